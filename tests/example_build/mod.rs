//! Builds the example programs with cargo, the way a user would run them, for the tests that
//! execute them (`tests/examples.rs`, `tests/cluster_cli.rs`). A no-op when `cargo test` has
//! built them already.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// Which examples to build.
pub enum Examples<'a> {
    /// `cargo build --examples`.
    All,
    /// `cargo build --example NAME`.
    One(&'a str),
}

/// Builds examples and returns their executables by name. Panics with the compiler's own
/// messages when the build fails.
pub fn build(which: Examples<'_>) -> BTreeMap<String, PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    // Cargo sets these for the test process; passed on, they would look like a changed
    // environment to build scripts that read them, and rebuild half the dependency tree.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let per_crate = [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
        ]
        .iter()
        .any(|p| name.starts_with(p));
        if per_crate || name == "OUT_DIR" {
            command.env_remove(name.as_ref());
        }
    }
    command.arg("build");
    match which {
        Examples::All => command.arg("--examples"),
        Examples::One(name) => command.args(["--example", name]),
    };
    let output = command
        .args(["--message-format=json", "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo build");
    let messages: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    // With --message-format=json the compiler's diagnostics (the cause: a type error, a killed
    // linker, a full disk) are on stdout; stderr only says that a crate failed.
    assert!(
        output.status.success(),
        "cargo build of the examples failed:\n{}\n{}",
        messages
            .iter()
            .filter(|m| m["reason"] == "compiler-message")
            .filter_map(|m| m["message"]["rendered"].as_str())
            .collect::<String>(),
        String::from_utf8_lossy(&output.stderr)
    );
    messages
        .iter()
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "example"))
        })
        .filter_map(|m| {
            let name = m["target"]["name"].as_str()?;
            let exe = m["executable"].as_str()?;
            Some((name.to_owned(), PathBuf::from(exe)))
        })
        .collect()
}

/// One example's executable.
pub fn one(name: &str) -> PathBuf {
    build(Examples::One(name))
        .remove(name)
        .unwrap_or_else(|| panic!("cargo built no executable for example {name}"))
}
