//! In-process benchmarks: build + validate + render.
//!
//! `cargo bench --bench render` (all), `cargo bench --bench render -- synthetic/1000` (one).
//! Groups:
//! - `chapters/{all,chNN}`: every chapter example (`examples/chNN_*.rs`: their `app()`), built,
//!   checked and rendered to YAML; `all` does the nine one after the other. Chapter 11 reads its
//!   files from `examples/data` each time, as the example does.
//! - `blueprints/{all,mysql,redis,ghost,parse}`: the four blueprint examples, the same way.
//! - `synthetic/<n>/{build,check,yaml,all,rolling}`: the synthetic bundle of
//!   `benches/support/synthetic.rs` (½ ConfigMaps, ¼ Services, ¼ Deployments), 1,000 and 10,000
//!   objects: building it (builders, validation, `Bundle::add`), checking it (validation +
//!   references), rendering YAML (which checks again), and all three as one would in a program;
//!   `rolling` is `all` with Deployments that read their ConfigMap and opt in to config
//!   checksums (`rollout_on_config_change`).
//!
//! Goals (issue 7): the four blueprints render in ≤ 1 ms; the chapter examples together in < 1 ms.
//!
//! Figures (criterion medians, 2-core shared machine, load average ≤ 1, old and new bench
//! binaries run back to back): before → after the indexed reference check and incremental
//! config checksums.
//!
//! | bench                     | before   | after    | ratio |
//! |---------------------------|----------|----------|-------|
//! | synthetic/1000/all        | 9.34 ms  | 6.64 ms  | 1.4×  |
//! | synthetic/1000/rolling    | 25.7 ms  | 7.70 ms  | 3.3×  |
//! | synthetic/10000/build     | 157 ms   | 51.9 ms  | 3.0×  |
//! | synthetic/10000/check     | 335 ms   | 22.5 ms  | 15×   |
//! | synthetic/10000/yaml      | 403 ms   | 66.0 ms  | 6.1×  |
//! | synthetic/10000/all       | 532 ms   | 115 ms   | 4.6×  |
//! | synthetic/10000/rolling   | 3.08 s   | 141 ms   | 22×   |
//! | chapters/all              | 400 µs   | 387 µs   | 1.03× |
//! | blueprints/all            | 780 µs   | 776 µs   | 1.0×  |

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/synthetic.rs"]
mod synthetic;

/// Includes example programs as modules so their `app()` can be benchmarked.
macro_rules! examples {
    ($($module:ident = $file:literal),* $(,)?) => {
        $(
            #[allow(dead_code)]
            #[path = $file]
            mod $module;
        )*
    };
}

examples! {
    ch05 = "../examples/ch05_pods.rs",
    ch06 = "../examples/ch06_labels.rs",
    ch07 = "../examples/ch07_service_discovery.rs",
    ch08 = "../examples/ch08_replicasets.rs",
    ch09 = "../examples/ch09_daemonsets.rs",
    ch10 = "../examples/ch10_jobs.rs",
    ch11 = "../examples/ch11_config.rs",
    ch12 = "../examples/ch12_deployments.rs",
    ch13 = "../examples/ch13_storage.rs",
    mysql = "../examples/mysql.rs",
    redis = "../examples/redis.rs",
    ghost = "../examples/ghost.rs",
    parse = "../examples/parse.rs",
}

type App = fn() -> kubeprint::Result<kubeprint::Bundle>;

const CHAPTERS: &[(&str, App)] = &[
    ("ch05", ch05::app),
    ("ch06", ch06::app),
    ("ch07", ch07::app),
    ("ch08", ch08::app),
    ("ch09", ch09::app),
    ("ch10", ch10::app),
    ("ch11", ch11::app),
    ("ch12", ch12::app),
    ("ch13", ch13::app),
];

const BLUEPRINTS: &[(&str, App)] = &[
    ("mysql", mysql::app),
    ("redis", redis::app),
    ("ghost", ghost::app),
    ("parse", parse::app),
];

/// Builds, checks and renders every app; returns the total YAML length.
fn render_all(apps: &[(&str, App)]) -> usize {
    apps.iter()
        .map(|(name, app)| {
            app()
                .and_then(|b| b.to_yaml())
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .len()
        })
        .sum()
}

fn examples(c: &mut Criterion) {
    for (group, apps) in [("chapters", CHAPTERS), ("blueprints", BLUEPRINTS)] {
        let mut g = c.benchmark_group(group);
        g.bench_function("all", |b| b.iter(|| black_box(render_all(apps))));
        for app in apps {
            g.bench_function(app.0, |b| {
                b.iter(|| black_box(render_all(std::slice::from_ref(app))))
            });
        }
        g.finish();
    }
}

fn synthetic_bundles(c: &mut Criterion) {
    for n in [1_000usize, 10_000] {
        let mut g = c.benchmark_group(format!("synthetic/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        if n >= 10_000 {
            g.sample_size(10)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(5));
        }
        g.bench_function(BenchmarkId::from_parameter("build"), |b| {
            b.iter(|| black_box(synthetic::bundle(n, 1, false).expect("synthetic bundle builds")))
        });
        // Built inside the closures: criterion runs them only when the filter selects them.
        g.bench_function(BenchmarkId::from_parameter("check"), |b| {
            let bundle = synthetic::bundle(n, 1, false).expect("synthetic bundle builds");
            b.iter(|| {
                black_box(&bundle)
                    .check()
                    .expect("synthetic bundle is valid")
            })
        });
        g.bench_function(BenchmarkId::from_parameter("yaml"), |b| {
            let bundle = synthetic::bundle(n, 1, false).expect("synthetic bundle builds");
            b.iter(|| {
                black_box(&bundle)
                    .to_yaml()
                    .expect("synthetic bundle renders")
            })
        });
        g.bench_function(BenchmarkId::from_parameter("all"), |b| {
            b.iter(|| {
                synthetic::bundle(n, 1, false)
                    .and_then(|b| b.to_yaml())
                    .expect("synthetic bundle renders")
            })
        });
        g.bench_function(BenchmarkId::from_parameter("rolling"), |b| {
            b.iter(|| {
                synthetic::rolling_bundle(n)
                    .and_then(|b| b.to_yaml())
                    .expect("rolling synthetic bundle renders")
            })
        });
        g.finish();
    }
}

criterion_group!(benches, examples, synthetic_bundles);
criterion_main!(benches);
