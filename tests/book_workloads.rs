//! The workloads of *Kubernetes: Up and Running*, chapters 5, 8, 9, 10, 12 and 13, written with
//! the builders and snapshotted as the YAML `kubectl apply -f` receives.
//!
//! Differences from the book's manifests are deliberate and visible in the snapshots: pods are
//! Pod Security Standards *restricted* unless a workload opts out (fluentd and stock nginx need
//! root), and images that name a non-numeric user get a numeric `runAsUser` so `runAsNonRoot`
//! can be verified by the kubelet.

use kubeprint::pod::{Affinity, ImagePullPolicy, restricted_findings};
use kubeprint::prelude::*;

const KUARD_BLUE: &str = "gcr.io/kuar-demo/kuard-amd64:blue";
const KUARD_GREEN: &str = "gcr.io/kuar-demo/kuard-amd64:green";
/// `nobody`: the kuard image's user, by number.
const NOBODY: i64 = 65534;

fn findings<M: Manifest>(manifest: &M) -> Vec<String>
where
    M::Object: Into<Object>,
{
    let object: Object = manifest
        .to_object()
        .unwrap_or_else(|e| panic!("{e}"))
        .into();
    let value = object.to_json_value().unwrap();
    let template = if object.kind() == "Pod" {
        &value["spec"]
    } else {
        &value["spec"]["template"]["spec"]
    };
    let spec: kubeprint::k8s_openapi::api::core::v1::PodSpec =
        serde_json::from_value(template.clone()).unwrap();
    restricted_findings(&spec)
}

fn yaml<M: Manifest>(manifest: M) -> String {
    Bundle::new("book")
        .with(manifest)
        .and_then(|b| b.to_yaml())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Chapter 5: the kuard pod with health checks, resource requests and limits, and a volume.
#[test]
fn ch05_kuard_pod() {
    let pod = Pod::builder()
        .name("kuard")
        .template(
            PodTemplate::builder()
                // NFS leaves restricted: an explicit opt-out (issue #13).
                .security(
                    PodSecurity::default()
                        .run_as_user(NOBODY)
                        .allow_host_volumes(),
                )
                .volume(Volume::nfs("kuard-data", "my.nfs.server.local", "/exports"))
                .container(
                    Container::builder()
                        .name("kuard")
                        .image(KUARD_BLUE)
                        .port(Port::tcp("http", 8080))
                        .resources(
                            Resources::new()
                                .requests(Cpu::millis(500), Memory::mib(128))
                                .limits(Cpu::cores(1), Memory::mib(256)),
                        )
                        .mount(Mount::new("kuard-data", "/data"))
                        .liveness(
                            Probe::http_get("/healthy", 8080)
                                .initial_delay(5)
                                .timeout(1)
                                .period(10)
                                .failure_threshold(3),
                        )
                        .readiness(
                            Probe::http_get("/ready", "http")
                                .initial_delay(30)
                                .timeout(1)
                                .period(10)
                                .failure_threshold(3),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    // NFS is not among the volume types Pod Security *restricted* admits; everything else is.
    assert_eq!(
        findings(&pod),
        [
            "spec.volumes[0].nfs: only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes are allowed"
        ]
    );
    insta::assert_snapshot!(yaml(pod));
}

/// Chapter 8: the kuard ReplicaSet.
#[test]
fn ch08_kuard_replicaset() {
    let rs = ReplicaSet::builder()
        .name("kuard")
        .replicas(1)
        .template(
            PodTemplate::builder()
                .selector_label("app", "kuard")
                .selector_label("version", "2")
                .security(PodSecurity::default().run_as_user(NOBODY))
                .container(
                    Container::builder()
                        .name("kuard")
                        .image(KUARD_GREEN)
                        .build(),
                )
                .build(),
        )
        .build();
    insta::assert_snapshot!(yaml(rs));
}

/// Chapter 9: fluentd on every node, reading the node's logs (needs root and hostPath, so it
/// leaves Pod Security *restricted* explicitly).
#[test]
fn ch09_fluentd_daemonset() {
    let fluentd = DaemonSet::builder()
        .name("fluentd")
        .template(
            PodTemplate::builder()
                .selector_label("app", "fluentd")
                .security(PodSecurity::unrestricted())
                .termination_grace_period(30)
                .volume(Volume::host_path("varlog", "/var/log"))
                .volume(Volume::host_path(
                    "varlibdockercontainers",
                    "/var/lib/docker/containers",
                ))
                .container(
                    Container::builder()
                        .name("fluentd")
                        .image("fluent/fluentd:v0.14.10")
                        .resources(
                            Resources::new()
                                .limit_memory(Memory::mib(200))
                                .requests(Cpu::millis(100), Memory::mib(200)),
                        )
                        .mount(Mount::new("varlog", "/var/log"))
                        .mount(
                            Mount::new("varlibdockercontainers", "/var/lib/docker/containers")
                                .read_only(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    assert!(
        findings(&fluentd)
            .contains(&"spec.volumes[0].hostPath: hostPath volumes are not allowed".to_owned())
    );
    insta::assert_snapshot!(yaml(fluentd));
}

/// Chapter 9: nginx only on nodes labelled `ssd=true` (stock nginx runs as root).
#[test]
fn ch09_nginx_fast_storage_daemonset() {
    let nginx = DaemonSet::builder()
        .name("nginx-fast-storage")
        .template(
            PodTemplate::builder()
                .selector_label("app", "nginx")
                .selector_label("ssd", "true")
                .node_selector("ssd", "true")
                .security(PodSecurity::unrestricted())
                .container(
                    Container::builder()
                        .name("nginx")
                        .image("nginx:1.10.0")
                        .build(),
                )
                .build(),
        )
        .build();
    insta::assert_snapshot!(yaml(nginx));
}

fn keygen(args: &[&str]) -> Container {
    Container::builder()
        .name("kuard")
        .image(KUARD_BLUE)
        .image_pull_policy(ImagePullPolicy::Always)
        .args(args.iter().copied())
        .build()
}

/// Chapter 10, pattern 1: a one-shot Job.
#[test]
fn ch10_oneshot_job() {
    let job = Job::builder()
        .name("oneshot")
        .template(
            PodTemplate::builder()
                .security(PodSecurity::default().run_as_user(NOBODY))
                .container(keygen(&[
                    "--keygen-enable",
                    "--keygen-exit-on-complete",
                    "--keygen-num-to-gen=10",
                ]))
                .build(),
        )
        .build();
    insta::assert_snapshot!(yaml(job));
}

/// Chapter 10, pattern 2: parallel, a fixed number of completions.
#[test]
fn ch10_parallel_job() {
    let job = Job::builder()
        .name("parallel")
        .labels(Labels::from([("chapter", "jobs")]))
        .parallelism(5)
        .completions(10)
        .template(
            PodTemplate::builder()
                .label("chapter", "jobs")
                .security(PodSecurity::default().run_as_user(NOBODY))
                .container(keygen(&[
                    "--keygen-enable",
                    "--keygen-exit-on-complete",
                    "--keygen-num-to-gen=10",
                ]))
                .build(),
        )
        .build();
    insta::assert_snapshot!(yaml(job));
}

/// Chapter 10, pattern 3: work-queue consumers — parallelism, no completions.
#[test]
fn ch10_queue_consumers_job() {
    let job = Job::builder()
        .name("consumers")
        .labels(Labels::from([("chapter", "jobs")]))
        .parallelism(5)
        .template(
            PodTemplate::builder()
                .selector_label("app", "message-queue")
                .selector_label("component", "consumer")
                .label("chapter", "jobs")
                .security(PodSecurity::default().run_as_user(NOBODY))
                .container(
                    Container::builder()
                        .name("worker")
                        .image(KUARD_BLUE)
                        .image_pull_policy(ImagePullPolicy::Always)
                        .args([
                            "--keygen-enable",
                            "--keygen-exit-on-complete",
                            "--keygen-memq-server=http://queue:8080/memq/server",
                            "--keygen-memq-queue=keygen",
                        ])
                        .build(),
                )
                .build(),
        )
        .build();
    let object = job.to_object().unwrap();
    assert_eq!(
        object.spec.as_ref().unwrap().completions,
        None,
        "a work queue has no completion count"
    );
    insta::assert_snapshot!(yaml(job));
}

/// Chapter 12: the kuard Deployment after the book's rollout tuning.
#[test]
fn ch12_kuard_deployment() {
    let kuard = Deployment::builder()
        .name("kuard")
        .replicas(2)
        .strategy(DeploymentStrategy::rolling_update(
            IntOrPercent::percent(25),
            IntOrPercent::percent(25),
        ))
        .min_ready_seconds(60)
        .progress_deadline_seconds(600)
        .revision_history_limit(14)
        .change_cause("Update to green kuard")
        .template(
            PodTemplate::builder()
                .selector_label("run", "kuard")
                .security(PodSecurity::default().run_as_user(NOBODY))
                .container(
                    Container::builder()
                        .name("kuard")
                        .image(KUARD_GREEN)
                        .image_pull_policy(ImagePullPolicy::Always)
                        .port(Port::tcp("http", 8080))
                        .build(),
                )
                .build(),
        )
        .build();
    assert_eq!(findings(&kuard), Vec::<String>::new());
    insta::assert_snapshot!(yaml(kuard));
}

/// Chapter 13: a MongoDB replica set as a StatefulSet with a claim per replica. The official
/// image's `mongodb` user is 999; mongod's socket goes to `/tmp`, an emptyDir under the
/// read-only root filesystem. Replicas prefer distinct nodes.
#[test]
fn ch13_mongo_statefulset() {
    let mongo = StatefulSet::builder()
        .name("mongo")
        .service_name("mongo")
        .replicas(3)
        .template(
            PodTemplate::builder()
                .selector_label("app", "mongo")
                .security(
                    PodSecurity::default()
                        .run_as_user(999)
                        .run_as_group(999)
                        .fs_group(999),
                )
                .affinity(Affinity::new().prefer_spread_replicas(100, "kubernetes.io/hostname"))
                .volume(Volume::empty_dir("tmp"))
                .container(
                    Container::builder()
                        .name("mongodb")
                        .image("mongo:3.4.24")
                        .command(["mongod", "--replSet", "rs0"])
                        .port(Port::tcp("peer", 27017))
                        .mount(Mount::new("database", "/data/db"))
                        .mount(Mount::new("tmp", "/tmp"))
                        .liveness(
                            Probe::exec(["/usr/bin/mongo", "--eval", "db.serverStatus()"])
                                .initial_delay(10)
                                .timeout(10),
                        )
                        .build(),
                )
                .build(),
        )
        .volume_claim_template(VolumeClaimTemplate::new("database", Storage::gib(100)))
        .build();
    assert_eq!(findings(&mongo), Vec::<String>::new());
    // The headless Service that gives each replica its DNS name (mongo-0.mongo ...).
    let service = Service::for_workload(&mongo)
        .service_type(kubeprint::service::ServiceType::Headless)
        .build();
    let yaml = Bundle::new("book")
        .with(mongo)
        .and_then(|b| b.with(service))
        .and_then(|b| b.to_yaml())
        .unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(yaml);
}
