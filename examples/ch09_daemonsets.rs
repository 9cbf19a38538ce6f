//! Chapter 9, *DaemonSets*: fluentd on every node (`fluentd.yaml`), and nginx only on nodes
//! labelled `ssd=true` (`nginx-fast-storage.yaml`).
//!
//! ```sh
//! cargo run --example ch09_daemonsets
//! kubectl label nodes <node> ssd=true
//! cargo run --example ch09_daemonsets -- apply --wait
//! ```

use kubeprint::pod::{PodSecurity, TaintEffect, Toleration};
use kubeprint::prelude::*;

/// fluentd reads every container's logs from the node: it needs the node's directories
/// (`hostPath`) and root, so it explicitly leaves Pod Security Standards *restricted*. Such a
/// system agent belongs in `kube-system`, whose policy allows it.
fn fluentd() -> DaemonSet {
    DaemonSet::builder()
        .name("fluentd")
        .namespace("kube-system")
        .labels(Labels::from([("app", "fluentd")]))
        .template(
            PodTemplate::builder()
                .selector_label("app", "fluentd")
                .security(PodSecurity::unrestricted())
                // Run on control-plane nodes too.
                .toleration(
                    Toleration::exists("node-role.kubernetes.io/control-plane")
                        .effect(TaintEffect::NoSchedule),
                )
                .termination_grace_period(30)
                .container(
                    Container::builder()
                        .name("fluentd")
                        .image("fluent/fluentd:v1.17-1")
                        .resources(
                            Resources::new()
                                .requests(Cpu::millis(100), Memory::mib(200))
                                .limit_memory(Memory::mib(200)),
                        )
                        .mount(Mount::new("varlog", "/var/log"))
                        .mount(
                            Mount::new("varlibdockercontainers", "/var/lib/docker/containers")
                                .read_only(),
                        )
                        .build(),
                )
                .volume(Volume::host_path("varlog", "/var/log"))
                .volume(Volume::host_path(
                    "varlibdockercontainers",
                    "/var/lib/docker/containers",
                ))
                .build(),
        )
        .build()
}

/// nginx on SSD nodes only, replaced one node at a time on updates. The unprivileged nginx
/// image runs as user 101 and writes only to /tmp, so it stays *restricted*.
fn nginx_fast_storage() -> DaemonSet {
    DaemonSet::builder()
        .name("nginx-fast-storage")
        .labels(Labels::from([("app", "nginx"), ("ssd", "true")]))
        .strategy(DaemonSetStrategy::rolling_update().max_unavailable(1))
        .template(
            PodTemplate::builder()
                .selector_label("app", "nginx")
                .label("ssd", "true")
                .node_selector("ssd", "true")
                .security(PodSecurity::restricted().run_as_user(101).run_as_group(101))
                .container(
                    Container::builder()
                        .name("nginx")
                        .image("nginxinc/nginx-unprivileged:1.27")
                        .port(Port::tcp("http", 8080))
                        .readiness(Probe::http_get("/", "http"))
                        .mount(Mount::new("tmp", "/tmp"))
                        .build(),
                )
                .volume(Volume::empty_dir("tmp"))
                .build(),
        )
        .build()
}

/// The application: both DaemonSets.
pub fn app() -> kubeprint::Result<Bundle> {
    Bundle::new("ch09-daemonsets")
        .with(fluentd())?
        .with(nginx_fast_storage())
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
