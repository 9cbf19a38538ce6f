//! These programs are tools of `benches/compare.sh`, declared as bench targets so that they are
//! neither examples nor installed binaries. `cargo bench` runs every bench target with `--bench`,
//! and `cargo test --benches` with no argument at all: both only get a note.

/// Whether this run is cargo's (no arguments, or only `--bench`); prints the note if so.
pub fn is_cargo_run(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cargo = args.is_empty() || args == ["--bench"];
    if cargo {
        eprintln!(
            "{name}: a tool of benches/compare.sh (see benches/README.md); nothing to measure on its own"
        );
    }
    cargo
}
