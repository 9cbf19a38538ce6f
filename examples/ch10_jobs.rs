//! Chapter 10, *Jobs*: the three patterns. A one-shot Job (`job-oneshot.yaml`), a Job with ten
//! completions five at a time (`job-parallel.yaml`), and a work queue: a queue server
//! (`rs-queue.yaml`), its Service (`service-queue.yaml`) and five consumers that run until the
//! queue is empty (`job-consumers.yaml`).
//!
//! ```sh
//! cargo run --example ch10_jobs
//! cargo run --example ch10_jobs -- apply --wait   # waits for the queue, then for every Job
//! ```
//!
//! The book fills the queue with a shell loop (`load-queue.sh`); without it the consumers find
//! the queue empty and finish at once.

use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;

const KUARD: &str = "gcr.io/kuar-demo/kuard-amd64:blue";

/// kuard generating RSA keys and exiting when done, with extra arguments.
fn keygen(extra: &[&str]) -> PodTemplate {
    let mut args = vec!["--keygen-enable", "--keygen-exit-on-complete"];
    args.extend_from_slice(extra);
    PodTemplate::builder()
        .security(PodSecurity::restricted().run_as_user(65534))
        .container(
            Container::builder()
                .name("kuard")
                .image(KUARD)
                .args(args)
                .resources(Resources::new().requests(Cpu::millis(100), Memory::mib(64)))
                .build(),
        )
        .build()
}

/// The application: the three Job patterns.
pub fn app() -> kubeprint::Result<Bundle> {
    // 1. One shot: a single pod, restarted on failure until it succeeds once.
    let oneshot = Job::builder()
        .name("oneshot")
        .template(keygen(&["--keygen-num-to-gen=10"]))
        .build();

    // 2. Parallel: ten successful completions, at most five pods at a time.
    let parallel = Job::builder()
        .name("parallel")
        .completions(10)
        .parallelism(5)
        .template(keygen(&["--keygen-num-to-gen=10"]))
        .build();

    // 3. Work queue: a queue server behind a Service ...
    let queue = ReplicaSet::builder()
        .name("queue")
        .replicas(1)
        .template(
            PodTemplate::builder()
                .selector_label("app", "work-queue")
                .selector_label("component", "queue")
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(
                    Container::builder()
                        .name("queue")
                        .image(KUARD)
                        .port(Port::tcp("http", 8080))
                        .readiness(Probe::http_get("/ready", "http"))
                        .build(),
                )
                .build(),
        )
        .build();
    let queue_service = Service::for_workload(&queue).build();

    // ... and consumers: five pods, no completion count; done when one pod exits 0 (the queue is
    // empty) and the others finish.
    let consumers = Job::builder()
        .name("consumers")
        .parallelism(5)
        .template(keygen(&[
            "--keygen-memq-server=http://queue:8080/memq/server",
            "--keygen-memq-queue=keygen",
        ]))
        .build();

    Bundle::new("ch10-jobs")
        .with(oneshot)?
        .with(parallel)?
        .with(queue)?
        .with(queue_service)?
        .with(consumers)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
