//! Apply benchmark on the local control plane: kubeprint's `Applier::apply` against
//! `kubectl apply --server-side -f` of the same rendered YAML and against bare concurrent
//! server-side-apply requests (the floor), for bundles of 50 and 500 ConfigMaps, first apply and
//! no-op re-apply; medians of `KUBEPRINT_BENCH_ROUNDS` (default 3) interleaved rounds. Each
//! variant works in its own namespace.
//!
//! ```text
//! source <cluster state>/env          # KUBEPRINT_TEST_KUBECONFIG, kubectl on PATH
//! cargo bench --bench apply            # sizes: KUBEPRINT_BENCH_SIZES=50,500 (default)
//! ```

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kubeprint::Bundle;
use kubeprint::apply::{Applier, Outcome};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/cluster.rs"]
mod cluster;

const CONNECTIONS: usize = 16;

fn bundle(n: usize) -> Bundle {
    let mut b = Bundle::new("bench");
    for i in 0..n {
        b.add(
            kubeprint::ConfigMap::builder()
                .name(format!("cm-{i:04}"))
                .entry("index", i.to_string())
                .entry("payload", "x".repeat(256))
                .build(),
        )
        .expect("valid");
    }
    b
}

async fn fresh_namespace(client: &kube::Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    if api.get_opt(name).await.expect("get").is_some() {
        let _ = api.delete(name, &DeleteParams::default()).await;
        while api.get_opt(name).await.expect("get").is_some() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let ns = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    api.create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
}

/// Deletes every ConfigMap and Secret of the namespace (the next apply creates again).
async fn empty_namespace(client: &kube::Client, ns: &str) {
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), ns);
    let lp = kube::api::ListParams::default();
    cms.delete_collection(&DeleteParams::default(), &lp)
        .await
        .expect("delete configmaps");
    secrets
        .delete_collection(&DeleteParams::default(), &lp)
        .await
        .expect("delete secrets");
    while cms.list(&lp).await.expect("list").items.iter().any(|c| {
        c.metadata
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("cm-"))
    }) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drop_namespace(client: &kube::Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let _ = api.delete(name, &DeleteParams::background()).await;
}

/// The floor: one server-side apply per object, `CONNECTIONS` at a time, nothing else.
async fn bare(client: &kube::Client, ns: &str, objects: &[serde_json::Value]) -> Duration {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let pp = PatchParams::apply("bench-floor");
    let t = Instant::now();
    let results: Vec<_> = futures::stream::iter(objects)
        .map(|o| {
            let api = api.clone();
            let pp = pp.clone();
            async move {
                let name = o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                api.patch(&name, &pp, &Patch::Apply(o)).await
            }
        })
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    let took = t.elapsed();
    assert!(results.iter().all(Result::is_ok), "bare apply failed");
    took
}

fn kubectl(file: &std::path::Path, ns: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new("kubectl")
        .args([
            "apply",
            "--server-side",
            "--field-manager=bench-kubectl",
            "-n",
            ns,
            "-f",
        ])
        .arg(file)
        .output()
        .expect("kubectl on PATH (source the cluster env)");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "kubectl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn ms(d: Duration) -> String {
    format!("{:>8.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let path = std::env::var_os("KUBEPRINT_TEST_KUBECONFIG")
        .expect("KUBEPRINT_TEST_KUBECONFIG is not set: source the local cluster's env first");
    let client = cluster::loopback_client(&path).await;
    let version = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let server = client
        .apiserver_version()
        .await
        .map(|v| v.git_version)
        .unwrap_or_default();
    println!(
        "apiserver {server}; {}",
        version
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or("kubectl ?")
    );

    let sizes: Vec<usize> = std::env::var("KUBEPRINT_BENCH_SIZES")
        .unwrap_or_else(|_| "50,500".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "\n{:>5}  {:<8}  {:>11}  {:>11}  {:>11}  {:>9}  {:>10}",
        "n", "run", "floor", "kubeprint", "kubectl", "kp/floor", "kp/kubectl"
    );
    for n in sizes {
        let b = bundle(n);
        let yaml = b.to_yaml().expect("yaml");
        let file = std::env::temp_dir().join(format!("kubeprint-bench-{n}.yaml"));
        std::fs::write(&file, &yaml).expect("write yaml");

        let (ns_floor, ns_kp, ns_kubectl) = (
            format!("kp-bench-floor-{n}"),
            format!("kp-bench-kp-{n}"),
            format!("kp-bench-kubectl-{n}"),
        );
        for ns in [&ns_floor, &ns_kp, &ns_kubectl] {
            fresh_namespace(&client, ns).await;
        }
        let objects: Vec<serde_json::Value> = b
            .objects()
            .iter()
            .map(|o| {
                let mut v = o.to_json_value().expect("json");
                v["metadata"]["namespace"] = ns_floor.clone().into();
                v
            })
            .collect();
        // Where kubeprint's time goes: until its first object request, and after its last.
        let marks = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Instant>::new()));
        let m2 = marks.clone();
        let applier = Applier::new(client.clone())
            .namespace(&ns_kp)
            .concurrency(CONNECTIONS)
            .on_event(move |e| {
                if matches!(
                    e,
                    kubeprint::apply::Event::Applying { .. }
                        | kubeprint::apply::Event::Applied { .. }
                ) {
                    m2.lock().unwrap().push(Instant::now());
                }
            });
        let mut before_first = Vec::new();
        let mut after_last = Vec::new();

        // Rounds of: create (each variant), no-op re-apply (each variant), then delete
        // everything for the next round's create. The variants' order rotates every round.
        let rounds: usize = std::env::var("KUBEPRINT_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3);
        let mut create = [Vec::new(), Vec::new(), Vec::new()];
        let mut noop = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..rounds {
            for (phase, expect) in [
                (&mut create, Outcome::Created),
                (&mut noop, Outcome::Unchanged),
            ] {
                for k in 0..3 {
                    let variant = (k + round) % 3;
                    let took = match variant {
                        0 => bare(&client, &ns_floor, &objects).await,
                        1 => {
                            marks.lock().unwrap().clear();
                            let t = Instant::now();
                            let report = applier.apply(&b).await.expect("kubeprint apply");
                            let took = t.elapsed();
                            let end = Instant::now();
                            let m = marks.lock().unwrap();
                            if let (Some(first), Some(last)) = (m.first(), m.last()) {
                                before_first.push(first.duration_since(t));
                                after_last.push(end.duration_since(*last));
                            }
                            assert_eq!(
                                report.count(expect),
                                n,
                                "round {round}: every object {expect}"
                            );
                            took
                        }
                        _ => kubectl(&file, &ns_kubectl),
                    };
                    phase[variant].push(took);
                }
            }
            for ns in [&ns_floor, &ns_kp, &ns_kubectl] {
                empty_namespace(&client, ns).await;
            }
        }
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        println!(
            "{n:>5}  kubeprint overhead (median): {} before its first object request, {} after its last",
            ms(median(&mut before_first)).trim(),
            ms(median(&mut after_last)).trim()
        );
        for (run, times) in [("create", &mut create), ("no-op", &mut noop)] {
            let [floor, kp, kc] = [
                median(&mut times[0]),
                median(&mut times[1]),
                median(&mut times[2]),
            ];
            println!(
                "{n:>5}  {run:<8}  {}  {}  {}  {:>8.2}x  {:>9.2}x",
                ms(floor),
                ms(kp),
                ms(kc),
                kp.as_secs_f64() / floor.as_secs_f64(),
                kp.as_secs_f64() / kc.as_secs_f64()
            );
        }
        for ns in [&ns_floor, &ns_kp, &ns_kubectl] {
            drop_namespace(&client, ns).await;
        }
        let _ = std::fs::remove_file(&file);
    }
}
