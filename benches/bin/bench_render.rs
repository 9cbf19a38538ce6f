//! The kubeprint side of `benches/compare.sh`'s whole-process render: the smallest program a
//! user would write to print an application's YAML — build the bundle, check it, render it —
//! with no command line, client or async runtime linked in.
//!
//! ```text
//! bench_render kuard        # examples/ch12_deployments.rs: the kuard Deployment and Service
//! bench_render blueprints   # examples/{mysql,redis,ghost,parse}.rs, one after the other
//! ```
//! YAML goes to standard output (the four blueprints as one multi-document stream).

#[path = "cargo_bench.rs"]
mod cargo_bench;

use std::io::Write;

// The examples' `app()` functions; their `main`s (the command line) go unused and unlinked.
#[allow(dead_code)]
#[path = "../../examples/ghost.rs"]
mod ghost_example;
#[allow(dead_code)]
#[path = "../../examples/ch12_deployments.rs"]
mod kuard_example;
#[allow(dead_code)]
#[path = "../../examples/mysql.rs"]
mod mysql_example;
#[allow(dead_code)]
#[path = "../../examples/parse.rs"]
mod parse_example;
#[allow(dead_code)]
#[path = "../../examples/redis.rs"]
mod redis_example;

type App = fn() -> kubeprint::Result<kubeprint::Bundle>;

fn main() -> std::process::ExitCode {
    if cargo_bench::is_cargo_run("bench_render") {
        return std::process::ExitCode::SUCCESS;
    }
    let which = std::env::args().nth(1).unwrap_or_default();
    let apps: &[App] = match which.as_str() {
        "kuard" => &[kuard_example::app],
        "blueprints" => &[
            mysql_example::app,
            redis_example::app,
            ghost_example::app,
            parse_example::app,
        ],
        _ => {
            eprintln!("usage: bench_render kuard|blueprints");
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    for (i, app) in apps.iter().enumerate() {
        let yaml = match app().and_then(|b| b.to_yaml()) {
            Ok(yaml) => yaml,
            Err(e) => {
                eprintln!("bench_render: {which}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let sep: &[u8] = if i > 0 { b"---\n" } else { b"" };
        if let Err(e) = out
            .write_all(sep)
            .and_then(|()| out.write_all(yaml.as_bytes()))
        {
            eprintln!("bench_render: stdout: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
