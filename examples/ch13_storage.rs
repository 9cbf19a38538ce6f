//! Chapter 13, *Integrating Storage Solutions and Kubernetes*:
//!
//! - a database outside the cluster, found by name: an `ExternalName` Service
//!   (`dns-service.yaml`) and a selector-less Service with fixed endpoints
//!   (`external-ip-service.yaml` + `external-ip-endpoints.yaml`);
//! - a singleton MySQL on a PersistentVolumeClaim (`mysql-replicaset.yaml`,
//!   `mysql-service.yaml`), its root password generated once into a Secret;
//! - a three-member MongoDB replica set as a StatefulSet with a headless Service and a volume
//!   claim per member (`mongo-simple.yaml`, `mongo-service.yaml`), with a liveness probe.
//!
//! ```sh
//! cargo run --example ch13_storage
//! cargo run --example ch13_storage -- apply --wait
//! cargo run --example ch13_storage -- delete                 # keeps the claims (the data)
//! ```
//!
//! Here the cluster's default storage class provisions the claims' volumes; the book's NFS
//! PersistentVolume and the claim that selects it are the `ch13_nfs_volume` example. For production-ready MySQL and MongoDB, see the `mysql` example and
//! `kubeprint::blueprint`.

use kubeprint::persistentvolumeclaim::AccessMode;
use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;
use kubeprint::secret::Generate;
use kubeprint::service::{ServicePort, ServiceType};

/// The official mysql and mongo images run as user and group 999.
fn database_security() -> PodSecurity {
    PodSecurity::restricted()
        .run_as_user(999)
        .run_as_group(999)
        .fs_group(999)
}

fn mysql() -> kubeprint::Result<Bundle> {
    let credentials = Secret::builder()
        .name("mysql-credentials")
        .generated("root-password", Generate::alphanumeric())
        .build();
    let claim = PersistentVolumeClaim::builder()
        .name("database")
        .size(Storage::gib(1))
        .access_mode(AccessMode::ReadWriteOnce)
        .build();
    let mysql = ReplicaSet::builder()
        .name("mysql")
        // One replica only: a second MySQL on the same files would corrupt them.
        .replicas(1)
        .template(
            PodTemplate::builder()
                .selector_label("app", "mysql")
                .security(database_security())
                .container(
                    Container::builder()
                        .name("database")
                        .image("mysql:8.4")
                        .env(EnvVar::from_secret(
                            "MYSQL_ROOT_PASSWORD",
                            "mysql-credentials",
                            "root-password",
                        ))
                        .port(Port::tcp("mysql", 3306))
                        .readiness(Probe::tcp("mysql").period(5))
                        .resources(Resources::new().requests(Cpu::millis(1000), Memory::gib(2)))
                        .mount(Mount::new("database", "/var/lib/mysql"))
                        // The root filesystem is read-only: MySQL's socket, temporary and
                        // secure-file directories get their own writable volumes.
                        .mount(Mount::new("run", "/var/run/mysqld"))
                        .mount(Mount::new("tmp", "/tmp"))
                        .mount(Mount::new("files", "/var/lib/mysql-files"))
                        .build(),
                )
                .volume(Volume::pvc("database", "database"))
                .volume(Volume::empty_dir("run"))
                .volume(Volume::empty_dir("tmp"))
                .volume(Volume::empty_dir("files"))
                .build(),
        )
        .build();
    let service = Service::for_workload(&mysql).build();
    Bundle::new("mysql")
        .with(credentials)?
        .with(claim)?
        .with(mysql)?
        .with(service)
}

fn mongo() -> kubeprint::Result<Bundle> {
    let mongo = StatefulSet::builder()
        .name("mongo")
        .service_name("mongo")
        .replicas(3)
        .template(
            PodTemplate::builder()
                .selector_label("app", "mongo")
                .security(database_security())
                .container(
                    Container::builder()
                        .name("mongodb")
                        .image("mongo:8.0")
                        .command(["mongod", "--replSet", "rs0", "--bind_ip_all"])
                        .port(Port::tcp("peer", 27017))
                        .liveness(
                            Probe::exec([
                                "mongosh",
                                "--quiet",
                                "--eval",
                                "db.adminCommand('ping').ok",
                            ])
                            .initial_delay(10)
                            .period(10)
                            .timeout(5),
                        )
                        .mount(Mount::new("database", "/data/db"))
                        .mount(Mount::new("tmp", "/tmp"))
                        .build(),
                )
                .volume(Volume::empty_dir("tmp"))
                .build(),
        )
        .volume_claim_template(VolumeClaimTemplate::new("database", Storage::gib(100)))
        .build();
    // Headless: each member gets a DNS name, mongo-0.mongo, mongo-1.mongo ...
    let service = Service::for_workload(&mongo)
        .service_type(ServiceType::Headless)
        .build();
    Bundle::new("mongo").with(mongo)?.with(service)
}

/// The application: both databases and the two ways to name an external one.
pub fn app() -> kubeprint::Result<Bundle> {
    let mut bundle = Bundle::new("ch13-storage");
    bundle.add(Service::external_name(
        "external-database",
        "database.company.com",
    ))?;
    let (service, endpoints) = Service::external_endpoints(
        "external-ip-database",
        ["192.168.0.1"],
        ServicePort::tcp("mysql", 3306),
    );
    bundle.add(service)?.add(endpoints)?;
    bundle.extend(mysql()?)?.extend(mongo()?)?;
    Ok(bundle)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
