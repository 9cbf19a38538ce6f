//! The floor of `benches/compare.sh`: the least a client can do to server-side apply a set of
//! objects. It reads objects already serialised (one JSON object per line, as
//! `bench_apply render --jsonl` writes them), then sends one server-side-apply PATCH per object
//! with up to `--concurrency` requests in flight and nothing else: no discovery, no validation,
//! no ordering, no retries, no waiting.
//!
//! Transport: the `kube` client (hyper, rustls, the kubeconfig's client certificate). It speaks
//! HTTP/1.1, so `--concurrency C` means up to C pooled keep-alive connections — what the
//! kubeprint apply client uses too, so the difference between the two is client logic, not
//! transport.
//!
//! ```text
//! bench_floor --file objects.jsonl --namespace bench-1 [--concurrency 32] [--field-manager floor]
//! ```
//! Prints one JSON line: `{"objects":N,"requests_ms":...,"errors":0}`; exits 1 on any failed
//! request (after all were sent). Talks only to the cluster of `$KUBECONFIG`.

#[path = "cargo_bench.rs"]
mod cargo_bench;

use futures::{StreamExt, stream};
use kube::client::Body;
use kube::{Client, Config};
use std::time::Instant;

struct Args {
    file: String,
    namespace: String,
    concurrency: usize,
    manager: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_floor --file objects.jsonl --namespace NS [--concurrency C] [--field-manager NAME]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut file = None;
    let mut namespace = None;
    let mut concurrency = 32;
    let mut manager = "floor".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--file" => file = Some(value()),
            "--namespace" => namespace = Some(value()),
            "--concurrency" => concurrency = value().parse().unwrap_or_else(|_| usage()),
            "--field-manager" => manager = value(),
            _ => usage(),
        }
    }
    match (file, namespace) {
        (Some(file), Some(namespace)) if concurrency > 0 => Args {
            file,
            namespace,
            concurrency,
            manager,
        },
        _ => usage(),
    }
}

/// The resource (plural) of the kinds the comparison uses; no discovery, on purpose.
fn plural(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "ConfigMap" => "configmaps",
        "Secret" => "secrets",
        "Service" => "services",
        "ServiceAccount" => "serviceaccounts",
        "PersistentVolumeClaim" => "persistentvolumeclaims",
        "Deployment" => "deployments",
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        "Job" => "jobs",
        "NetworkPolicy" => "networkpolicies",
        "PodDisruptionBudget" => "poddisruptionbudgets",
        "Ingress" => "ingresses",
        _ => return None,
    })
}

/// One request: the URL path and the body, prepared before the clock starts.
fn prepare(line: &str, args: &Args) -> Result<(String, Vec<u8>), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad JSON line: {e}"))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .ok_or_else(|| format!("object without {k}"))
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    let name = v
        .pointer("/metadata/name")
        .and_then(|x| x.as_str())
        .ok_or("object without metadata.name")?;
    let plural = plural(kind).ok_or_else(|| format!("kind {kind} is not in the floor's table"))?;
    let root = if api_version.contains('/') {
        "apis"
    } else {
        "api"
    };
    let path = format!(
        "/{root}/{api_version}/namespaces/{}/{plural}/{name}?fieldManager={}",
        args.namespace, args.manager
    );
    Ok((path, line.as_bytes().to_vec()))
}

async fn send(client: &Client, path: &str, body: &[u8]) -> Result<(), String> {
    let request = http::Request::patch(path)
        .header(http::header::CONTENT_TYPE, "application/apply-patch+yaml")
        .header(http::header::ACCEPT, "application/json")
        .body(Body::from(body.to_vec()))
        .map_err(|e| e.to_string())?;
    let response = client
        .send(request)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{path}: HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        ))
    }
}

#[tokio::main]
async fn main() {
    if cargo_bench::is_cargo_run("bench_floor") {
        return;
    }
    let args = parse_args();
    let text = std::fs::read_to_string(&args.file).unwrap_or_else(|e| {
        eprintln!("bench_floor: {}: {e}", args.file);
        std::process::exit(2)
    });
    let requests: Vec<(String, Vec<u8>)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| prepare(l, &args))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            eprintln!("bench_floor: {e}");
            std::process::exit(2)
        });
    let config = Config::infer().await.unwrap_or_else(|e| {
        eprintln!("bench_floor: kubeconfig: {e}");
        std::process::exit(2)
    });
    let client = Client::try_from(config).unwrap_or_else(|e| {
        eprintln!("bench_floor: client: {e}");
        std::process::exit(2)
    });

    let start = Instant::now();
    let outcomes: Vec<Result<(), String>> = stream::iter(requests.iter())
        .map(|(path, body)| send(&client, path, body))
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let elapsed = start.elapsed();

    let errors: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    for e in errors.iter().take(5) {
        eprintln!("bench_floor: {e}");
    }
    println!(
        "{{\"objects\":{},\"concurrency\":{},\"requests_ms\":{:.1},\"errors\":{}}}",
        requests.len(),
        args.concurrency,
        elapsed.as_secs_f64() * 1e3,
        errors.len()
    );
    if !errors.is_empty() {
        std::process::exit(1);
    }
}
