//! Chapter 7, *Service Discovery*: two deployments and the Services that give them stable names
//! (`kubectl create deployment ... && kubectl expose deployment ...`), one of them reachable
//! from outside the cluster on a NodePort.
//!
//! ```sh
//! cargo run --example ch07_service_discovery
//! cargo run --example ch07_service_discovery -- apply --wait
//! kubectl get endpoints alpaca-prod --watch     # ready pods come and go behind the name
//! ```

use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;
use kubeprint::service::ServiceType;

/// A kuard deployment whose readiness probe decides whether its pods receive traffic.
fn kuard(name: &str, image: &str, replicas: i32) -> Deployment {
    Deployment::builder()
        .name(name)
        .replicas(replicas)
        .template(
            PodTemplate::builder()
                .selector_label("app", name)
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(
                    Container::builder()
                        .name(name)
                        .image(image)
                        .port(Port::tcp("http", 8080))
                        .readiness(
                            Probe::http_get("/ready", "http")
                                .period(2)
                                .initial_delay(0)
                                .failure_threshold(3)
                                .success_threshold(1),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

/// The application: alpaca (ClusterIP) and bandicoot (NodePort), each behind its Service.
pub fn app() -> kubeprint::Result<Bundle> {
    let alpaca = kuard("alpaca-prod", "gcr.io/kuar-demo/kuard-amd64:blue", 3);
    let bandicoot = kuard("bandicoot-prod", "gcr.io/kuar-demo/kuard-amd64:green", 2);
    // A Service built from a workload takes its selector and ports from it.
    let alpaca_service = Service::for_workload(&alpaca).build();
    let bandicoot_service = Service::for_workload(&bandicoot)
        .service_type(ServiceType::NodePort)
        .build();

    Bundle::new("ch07-service-discovery")
        .with(alpaca)?
        .with(alpaca_service)?
        .with(bandicoot)?
        .with(bandicoot_service)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
