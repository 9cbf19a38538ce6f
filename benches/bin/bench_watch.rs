//! The independent observer of `benches/compare.sh`'s readiness measurement: watches the
//! Deployments and EndpointSlices of one namespace and records, on the local clock, the moment
//! each Deployment became ready (kubectl rollout-status rules) and each Service got a ready
//! endpoint. When every expected object is ready it prints one JSON line and exits:
//!
//! ```text
//! bench_watch --namespace NS --deployments D --services S [--synced-file PATH]
//! {"deployments":D,"services":S,"last_ready_unix_ns":...,"last_ready":"deployment/web-7"}
//! ```
//! `--synced-file` is created once both watches have listed the namespace, so a script can
//! start the client under test only when nothing can be missed. Comparing `last_ready_unix_ns`
//! with the moment the client's wait returned gives the wait's latency; both clocks are this
//! machine's realtime clock, and both processes see the same watch events from the same
//! apiserver.

#[path = "cargo_bench.rs"]
mod cargo_bench;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

fn usage() -> ! {
    eprintln!(
        "usage: bench_watch --namespace NS --deployments D --services S [--synced-file PATH]"
    );
    std::process::exit(2)
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// kubectl rollout-status: the controller saw the latest spec, every replica is updated and
/// available, and no old replica is left.
fn deployment_ready(d: &Deployment) -> bool {
    let Some(status) = &d.status else {
        return false;
    };
    let want = d.spec.replicas.unwrap_or(1);
    let observed = status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    observed
        && status.updated_replicas.unwrap_or(0) == want
        && status.replicas.unwrap_or(0) == want
        && status.available_replicas.unwrap_or(0) == want
}

fn slice_ready(s: &EndpointSlice) -> Option<String> {
    let service = s
        .metadata
        .labels
        .as_ref()?
        .get("kubernetes.io/service-name")?;
    let ready = s
        .endpoints
        .iter()
        .flatten()
        .any(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false));
    ready.then(|| service.clone())
}

enum Seen {
    Deployment(String),
    Service(String),
    Synced,
}

#[tokio::main]
async fn main() {
    if cargo_bench::is_cargo_run("bench_watch") {
        return;
    }
    let mut namespace = None;
    let mut want_deployments: Option<usize> = None;
    let mut want_services: Option<usize> = None;
    let mut synced_file = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--namespace" => namespace = Some(value()),
            "--deployments" => want_deployments = value().parse().ok(),
            "--services" => want_services = value().parse().ok(),
            "--synced-file" => synced_file = Some(value()),
            _ => usage(),
        }
    }
    let (Some(namespace), Some(want_deployments), Some(want_services)) =
        (namespace, want_deployments, want_services)
    else {
        usage()
    };
    let client = Client::try_default().await.unwrap_or_else(|e| {
        eprintln!("bench_watch: client: {e}");
        std::process::exit(2)
    });

    let deployments = watcher::watcher(
        Api::<Deployment>::namespaced(client.clone(), &namespace),
        Default::default(),
    )
    .map_ok(|event| match event {
        Event::Apply(d) | Event::InitApply(d) if deployment_ready(&d) => {
            vec![Seen::Deployment(d.metadata.name.unwrap_or_default())]
        }
        Event::InitDone => vec![Seen::Synced],
        _ => vec![],
    });
    let slices = watcher::watcher(
        Api::<EndpointSlice>::namespaced(client, &namespace),
        Default::default(),
    )
    .map_ok(|event| match event {
        Event::Apply(s) | Event::InitApply(s) => {
            slice_ready(&s).map(Seen::Service).into_iter().collect()
        }
        Event::InitDone => vec![Seen::Synced],
        _ => vec![],
    });
    let mut events = futures::stream::select(deployments.boxed(), slices.boxed());

    let mut synced = 0;
    let mut ready: BTreeMap<String, u128> = BTreeMap::new();
    let mut services = BTreeSet::new();
    let mut deployments_ready = BTreeSet::new();
    let done = |d: &BTreeSet<String>, s: &BTreeSet<String>| {
        d.len() >= want_deployments && s.len() >= want_services
    };
    while let Some(batch) = events.next().await {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                eprintln!("bench_watch: watch error (retrying): {e}");
                continue;
            }
        };
        let at = now_ns();
        for seen in batch {
            match seen {
                Seen::Synced => {
                    synced += 1;
                    if synced == 2
                        && let Some(path) = &synced_file
                        && let Err(e) = std::fs::write(path, b"synced\n")
                    {
                        eprintln!("bench_watch: {path}: {e}");
                        std::process::exit(2);
                    }
                }
                Seen::Deployment(name) => {
                    if deployments_ready.insert(name.clone()) {
                        ready.insert(format!("deployment/{name}"), at);
                    }
                }
                Seen::Service(name) => {
                    if services.insert(name.clone()) {
                        ready.insert(format!("service/{name}"), at);
                    }
                }
            }
        }
        if synced >= 2 && done(&deployments_ready, &services) {
            break;
        }
    }
    let Some((last, at)) = ready.iter().max_by_key(|(_, at)| **at) else {
        println!(
            "{{\"deployments\":0,\"services\":0,\"last_ready_unix_ns\":0,\"last_ready\":\"\"}}"
        );
        return;
    };
    println!(
        "{{\"deployments\":{},\"services\":{},\"last_ready_unix_ns\":{at},\"last_ready\":\"{last}\"}}",
        deployments_ready.len(),
        services.len()
    );
}
