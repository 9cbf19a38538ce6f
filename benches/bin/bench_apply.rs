//! The kubeprint contender of `benches/compare.sh`: builds the synthetic bundle
//! (`benches/support/synthetic.rs`) and applies it with [`kubeprint::apply::Applier`], exactly as
//! an application would; also renders the inputs of the other contenders.
//!
//! ```text
//! bench_apply render --n N [--replicas R] [--configmaps-only] [--changed-every K]
//!                    --yaml FILE --jsonl FILE
//!     writes the bundle as multi-document YAML (for kubectl) and as one JSON object per line
//!     (for bench_floor); prints {"objects":..,"configmaps":..,"services":..,"deployments":..}
//! bench_apply apply --n N [--replicas R] [--configmaps-only] [--changed-every K] --namespace NS
//!                   [--wait] [--concurrency C] [--force-apply]
//!     builds, validates and applies the bundle (server-side apply, default settings: field
//!     manager "kubeprint", ApplySet bookkeeping, no pruning, unchanged objects skipped unless
//!     --force-apply) and, with --wait, waits until every object is ready; prints
//!     {"objects":..,"created":..,"configured":..,"unchanged":..,"skipped":..,"build_ms":..,
//!     "apply_ms":..,"returned_unix_ns":..}
//! bench_apply delete --n N [--replicas R] [--configmaps-only] --namespace NS
//!     tears the applied bundle down (Applier::delete: reverse order, waiting until gone)
//! ```
//! `--changed-every K` changes every K-th ConfigMap (`LOG_LEVEL`): K = 10 changes 5 % of the
//! mixed objects (ConfigMaps are half of them).
//! Replicas default to 0, so the apply figures measure the client and the apiserver, not the
//! pods the controllers would start meanwhile. Talks only to the cluster of `$KUBECONFIG`.

#[path = "cargo_bench.rs"]
mod cargo_bench;

#[path = "../support/synthetic.rs"]
mod synthetic;

use kubeprint::apply::{Applier, Outcome, Wait};
use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Args {
    command: String,
    n: usize,
    replicas: i32,
    configmaps_only: bool,
    yaml: Option<String>,
    jsonl: Option<String>,
    namespace: Option<String>,
    wait: bool,
    concurrency: Option<usize>,
    changed_every: usize,
    force_apply: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_apply render --n N [--replicas R] [--configmaps-only] [--changed-every K] --yaml FILE --jsonl FILE\n       \
         bench_apply apply --n N [--replicas R] [--configmaps-only] [--changed-every K] --namespace NS [--wait] [--concurrency C] [--force-apply]\n       \
         bench_apply delete --n N [--replicas R] [--configmaps-only] --namespace NS"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        command: it.next().unwrap_or_else(|| usage()),
        ..Args::default()
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--n" => a.n = value().parse().unwrap_or_else(|_| usage()),
            "--replicas" => a.replicas = value().parse().unwrap_or_else(|_| usage()),
            "--configmaps-only" => a.configmaps_only = true,
            "--yaml" => a.yaml = Some(value()),
            "--jsonl" => a.jsonl = Some(value()),
            "--namespace" => a.namespace = Some(value()),
            "--wait" => a.wait = true,
            "--concurrency" => a.concurrency = Some(value().parse().unwrap_or_else(|_| usage())),
            "--changed-every" => a.changed_every = value().parse().unwrap_or_else(|_| usage()),
            "--force-apply" => a.force_apply = true,
            _ => usage(),
        }
    }
    if a.n == 0 {
        usage()
    }
    a
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("bench_apply: {what}: {e}");
    std::process::exit(1)
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn render(a: &Args) {
    let (Some(yaml_path), Some(jsonl_path)) = (&a.yaml, &a.jsonl) else {
        usage()
    };
    let bundle = synthetic::changed_bundle(a.n, a.replicas, a.configmaps_only, a.changed_every)
        .unwrap_or_else(|e| fail("build", e));
    let yaml = bundle.to_yaml().unwrap_or_else(|e| fail("render", e));
    std::fs::write(yaml_path, yaml).unwrap_or_else(|e| fail(yaml_path, e));
    let mut jsonl = Vec::new();
    for o in &bundle {
        serde_json::to_writer(&mut jsonl, o).unwrap_or_else(|e| fail("json", e));
        jsonl.push(b'\n');
    }
    std::fs::write(jsonl_path, jsonl).unwrap_or_else(|e| fail(jsonl_path, e));
    let mix = synthetic::Mix::of(a.n, a.configmaps_only);
    println!(
        "{{\"objects\":{},\"configmaps\":{},\"services\":{},\"deployments\":{}}}",
        bundle.len(),
        mix.configmaps,
        mix.services,
        mix.deployments
    );
}

async fn apply(a: &Args) {
    let Some(namespace) = &a.namespace else {
        usage()
    };
    let start = Instant::now();
    let bundle = synthetic::changed_bundle(a.n, a.replicas, a.configmaps_only, a.changed_every)
        .unwrap_or_else(|e| fail("build", e));
    let built = start.elapsed();
    let mut applier = Applier::try_default()
        .await
        .unwrap_or_else(|e| fail("client", e))
        .namespace(namespace.clone())
        .wait(if a.wait { Wait::End } else { Wait::None })
        .force_apply(a.force_apply);
    if let Some(c) = a.concurrency {
        applier = applier.concurrency(c);
    }
    let t = Instant::now();
    let report = applier
        .apply(&bundle)
        .await
        .unwrap_or_else(|e| fail("apply", e));
    let applied = t.elapsed();
    let returned = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // A no-op re-apply should leave everything unchanged: name what did change.
    for o in report
        .objects
        .iter()
        .filter(|o| o.outcome == Outcome::Configured)
        .take(20)
    {
        eprintln!("bench_apply: configured {}", o.object);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{{\"objects\":{},\"created\":{},\"configured\":{},\"unchanged\":{},\"skipped\":{},\"build_ms\":{:.2},\"apply_ms\":{:.1},\"returned_unix_ns\":{returned}}}",
        report.objects.len(),
        report.count(Outcome::Created),
        report.count(Outcome::Configured),
        report.count(Outcome::Unchanged),
        report.skipped(),
        ms(built),
        ms(applied)
    );
}

async fn delete(a: &Args) {
    let Some(namespace) = &a.namespace else {
        usage()
    };
    let bundle =
        synthetic::bundle(a.n, a.replicas, a.configmaps_only).unwrap_or_else(|e| fail("build", e));
    let applier = Applier::try_default()
        .await
        .unwrap_or_else(|e| fail("client", e))
        .namespace(namespace.clone());
    let t = Instant::now();
    let report = applier
        .delete(&bundle)
        .await
        .unwrap_or_else(|e| fail("delete", e));
    println!(
        "{{\"deleted\":{},\"delete_ms\":{:.1}}}",
        report.deleted.len(),
        ms(t.elapsed())
    );
}

fn main() {
    if cargo_bench::is_cargo_run("bench_apply") {
        return;
    }
    let args = parse_args();
    match args.command.as_str() {
        "render" => render(&args),
        // The runtime only where it is needed: rendering stays a plain, quick process.
        "apply" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| fail("tokio runtime", e))
            .block_on(apply(&args)),
        "delete" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| fail("tokio runtime", e))
            .block_on(delete(&args)),
        _ => usage(),
    }
}
