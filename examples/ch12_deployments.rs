//! Chapter 12, *Deployments*: kuard rolled out gradually (`kuard-deployment.yaml`), with the
//! change-cause annotation `kubectl rollout history` shows, and a Service in front.
//!
//! ```sh
//! cargo run --example ch12_deployments
//! cargo run --example ch12_deployments -- apply --wait   # waits for the rollout, like `kubectl rollout status`
//! ```

use kubeprint::pod::{ImagePullPolicy, PodSecurity};
use kubeprint::prelude::*;

/// The application: the kuard Deployment and its Service.
pub fn app() -> kubeprint::Result<Bundle> {
    let kuard = Deployment::builder()
        .name("kuard")
        .replicas(3)
        // At most one extra pod and one missing pod while the new version rolls out.
        .strategy(DeploymentStrategy::rolling_update(1, 1))
        // A new pod must stay ready for 10 s before the rollout moves on ...
        .min_ready_seconds(10)
        // ... and the rollout is failed after 10 minutes without progress.
        .progress_deadline_seconds(600)
        .revision_history_limit(14)
        .change_cause("Update to green kuard")
        .template(
            PodTemplate::builder()
                .selector_label("run", "kuard")
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(
                    Container::builder()
                        .name("kuard")
                        .image("gcr.io/kuar-demo/kuard-amd64:green")
                        .image_pull_policy(ImagePullPolicy::IfNotPresent)
                        .port(Port::tcp("http", 8080))
                        .readiness(Probe::http_get("/ready", "http").period(2))
                        .liveness(
                            Probe::http_get("/healthy", "http")
                                .initial_delay(5)
                                .period(10),
                        )
                        .resources(Resources::new().requests(Cpu::millis(100), Memory::mib(64)))
                        .build(),
                )
                .build(),
        )
        .build();
    let service = Service::for_workload(&kuard).build();

    Bundle::new("ch12-deployments").with(kuard)?.with(service)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
