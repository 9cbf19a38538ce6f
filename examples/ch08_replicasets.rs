//! Chapter 8, *ReplicaSets*: the kuard ReplicaSet (`kuard-rs.yaml`) and the autoscaler the
//! chapter creates with `kubectl autoscale rs kuard --min=2 --max=5 --cpu-percent=80`.
//!
//! ```sh
//! cargo run --example ch08_replicasets
//! cargo run --example ch08_replicasets -- apply --wait
//! ```

use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;

/// The application: a ReplicaSet of kuard and its HorizontalPodAutoscaler.
pub fn app() -> kubeprint::Result<Bundle> {
    let kuard = ReplicaSet::builder()
        .name("kuard")
        // No `.replicas(..)`: the autoscaler owns the count. Setting it here too would make every
        // apply fight the autoscaler (a server-side apply conflict).
        .template(
            PodTemplate::builder()
                .selector_label("app", "kuard")
                .selector_label("version", "2")
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(
                    Container::builder()
                        .name("kuard")
                        .image("gcr.io/kuar-demo/kuard-amd64:green")
                        .port(Port::tcp("http", 8080))
                        // CPU utilization is a percentage of the request: the autoscaler needs one.
                        .resources(Resources::new().requests(Cpu::millis(200), Memory::mib(64)))
                        .build(),
                )
                .build(),
        )
        .build();

    let autoscaler = HorizontalPodAutoscaler::builder()
        .name("kuard")
        .target(&kuard)
        .min_replicas(2)
        .max_replicas(5)
        .cpu_utilization(80)
        .build();

    Bundle::new("ch08-replicasets")
        .with(kuard)?
        .with(autoscaler)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
