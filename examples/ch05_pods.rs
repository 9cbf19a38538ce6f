//! Chapter 5, *Pods*: the kuard pod with health checks, resource requests and limits, and
//! volumes (`kuard-pod-full.yaml`).
//!
//! ```sh
//! cargo run --example ch05_pods                      # print the YAML (no cluster needed)
//! cargo run --example ch05_pods -- apply --wait      # apply it and wait until the pod is ready
//! ```
//!
//! Differences from the book, on purpose: the pod runs as a non-root user under Pod Security
//! Standards *restricted* (kubeprint's default), and its data lives on a PersistentVolumeClaim
//! instead of a `hostPath` directory (which *restricted* forbids and which dies with its node).

use kubeprint::persistentvolumeclaim::AccessMode;
use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;

/// The application: the kuard pod and the claim for its data.
pub fn app() -> kubeprint::Result<Bundle> {
    let kuard = Container::builder()
        .name("kuard")
        .image("gcr.io/kuar-demo/kuard-amd64:blue")
        .port(Port::tcp("http", 8080))
        // Restart the container when /healthy fails three times in a row.
        .liveness(
            Probe::http_get("/healthy", "http")
                .initial_delay(5)
                .timeout(1)
                .period(10)
                .failure_threshold(3),
        )
        // Take the pod out of Service endpoints while /ready fails.
        .readiness(
            Probe::http_get("/ready", "http")
                .period(2)
                .timeout(1)
                .failure_threshold(3),
        )
        .resources(
            Resources::new()
                .requests(Cpu::millis(500), Memory::mib(128))
                .limits(Cpu::millis(1000), Memory::mib(256)),
        )
        .mount(Mount::new("kuard-data", "/data"))
        .mount(Mount::new("tmp", "/tmp"))
        .build();

    let pod = Pod::builder()
        .name("kuard")
        .template(
            PodTemplate::builder()
                .container(kuard)
                .volume(Volume::pvc("kuard-data", "kuard-data"))
                // The root filesystem is read-only: give kuard a writable /tmp.
                .volume(Volume::empty_dir("tmp"))
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(
                    PodSecurity::restricted()
                        .run_as_user(65534)
                        .run_as_group(65534)
                        .fs_group(65534),
                )
                .build(),
        )
        .build();

    let data = PersistentVolumeClaim::builder()
        .name("kuard-data")
        .size(Storage::gib(1))
        .access_mode(AccessMode::ReadWriteOnce)
        .build();

    Bundle::new("ch05-pods").with(data)?.with(pod)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
