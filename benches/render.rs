//! In-process benchmarks: build + validate + render.
//!
//! `cargo bench --bench render` (all), `cargo bench --bench render -- synthetic/1000` (one).
//! Groups:
//! - `synthetic/<n>/{build,check,yaml,all}`: the synthetic bundle of `benches/support/synthetic.rs`
//!   (½ ConfigMaps, ¼ Services, ¼ Deployments), 1,000 and 10,000 objects: building it (builders,
//!   validation, `Bundle::add`), checking it (validation + references), rendering YAML (which
//!   checks again), and all three as one would in a program.
//!
//! Goals (issue 7): the four blueprints render in ≤ 1 ms; the chapter examples together in < 1 ms.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/synthetic.rs"]
mod synthetic;

fn synthetic_bundles(c: &mut Criterion) {
    for n in [1_000usize, 10_000] {
        let mut g = c.benchmark_group(format!("synthetic/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        if n >= 10_000 {
            g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
        }
        g.bench_function(BenchmarkId::from_parameter("build"), |b| {
            b.iter(|| black_box(synthetic::bundle(n, 1, false).expect("synthetic bundle builds")))
        });
        let bundle = synthetic::bundle(n, 1, false).expect("synthetic bundle builds");
        g.bench_function(BenchmarkId::from_parameter("check"), |b| {
            b.iter(|| black_box(&bundle).check().expect("synthetic bundle is valid"))
        });
        g.bench_function(BenchmarkId::from_parameter("yaml"), |b| {
            b.iter(|| black_box(&bundle).to_yaml().expect("synthetic bundle renders"))
        });
        g.bench_function(BenchmarkId::from_parameter("all"), |b| {
            b.iter(|| synthetic::bundle(n, 1, false).and_then(|b| b.to_yaml()).expect("synthetic bundle renders"))
        });
        g.finish();
    }
}

criterion_group!(benches, synthetic_bundles);
criterion_main!(benches);
