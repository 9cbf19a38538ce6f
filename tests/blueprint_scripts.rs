//! The blueprints' scripts, run outside Kubernetes (kwok does not execute containers).
//!
//! - Always: syntax of every script (`bash -n` / `sh -n` / `node --check`) and the replica-set
//!   join logic of MongoDB against a simulated replica set (node), the Ghost owner sidecar
//!   against a stand-in of Ghost's setup API (node), and the MongoDB backup script's own logic
//!   with stand-ins for `mongodump` / `mongorestore` (the real tools are not on the test
//!   machines; tests/scripts/mongodb-backup.test.sh).
//! - `--ignored` (they need packages and root): the Redis scripts against real `redis-server`
//!   and Sentinel processes (failover, rejoin, re-created pod, loss of the master's whole pod,
//!   backup and restore with replicas and no failover),
//!   the Redis start script's module loading, the Redis backup and restore (AOF on) against a
//!   real `redis-server`, the MySQL monitoring account with the Debian `mysqld_exporter` and
//!   `redis_exporter` (tests/scripts/exporters.test.sh), Redis and MySQL TLS with certificates
//!   made by openssl (tests/scripts/{redis,mysql}-tls.test.sh), the MySQL probe and
//!   the MySQL backup and restore against a real server (MariaDB), and shellcheck. See `tests/scripts/*.test.*`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scripts() -> PathBuf {
    root().join("src/blueprint/scripts")
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e} (is it installed?)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{text}",
        out.status
    );
    println!("{text}");
}

fn files(ext: &str) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(scripts())
        .expect("scripts dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| p.display().to_string())
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no .{ext} scripts");
    found
}

#[test]
fn scripts_parse() {
    for f in files("sh") {
        let text = std::fs::read_to_string(&f).expect("read");
        // POSIX sh scripts are checked by sh (dash on Debian, as in the Redis and MongoDB images).
        let shell = if text.starts_with("#!/bin/bash") {
            "bash"
        } else {
            "sh"
        };
        run(shell, &["-n", &f]);
    }
    for f in files("js") {
        run("node", &["--check", &f]);
    }
}

#[test]
fn mongodb_replicaset_logic() {
    run("node", &["tests/scripts/mongodb-replicaset.test.mjs"]);
}

#[test]
fn ghost_owner_setup_logic() {
    run("node", &["tests/scripts/ghost-owner.test.mjs"]);
}

/// Stand-ins for the Database Tools only: what the script hands them, its checks, the rotation.
#[test]
fn mongodb_backup_script_logic() {
    run("bash", &["tests/scripts/mongodb-backup.test.sh"]);
}

#[test]
#[ignore = "needs shellcheck"]
fn scripts_pass_shellcheck() {
    let mut args = vec![
        "-x".to_owned(),
        "-P".to_owned(),
        scripts().display().to_string(),
    ];
    args.extend(files("sh"));
    // Every shell harness, and what they share (harness.sh, also followed from each).
    let mut harnesses: Vec<String> = std::fs::read_dir(root().join("tests/scripts"))
        .expect("tests/scripts")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.sh") || n == "harness.sh")
        })
        .map(|p| p.display().to_string())
        .collect();
    harnesses.sort();
    assert!(harnesses.len() > 9, "{harnesses:?}");
    args.extend(harnesses);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("shellcheck", &args);
}

#[test]
#[ignore = "needs root, redis-server and redis-cli (Debian: redis-server redis-sentinel)"]
fn redis_scripts_against_real_servers() {
    run("bash", &["tests/scripts/redis-sentinel.test.sh"]);
}

#[test]
#[ignore = "needs redis-server, redis-cli and cc (no root)"]
fn redis_modules_against_a_real_server() {
    run("bash", &["tests/scripts/redis-modules.test.sh"]);
}

#[test]
#[ignore = "needs mariadb-server, prometheus-mysqld-exporter, redis-server, prometheus-redis-exporter, curl; strace for the argv check"]
fn metrics_exporters_against_real_servers() {
    run("bash", &["tests/scripts/exporters.test.sh"]);
}

#[test]
#[ignore = "needs redis-server and redis-cli with TLS, openssl, prometheus-redis-exporter, curl (no root)"]
fn redis_tls_against_a_real_server() {
    run("bash", &["tests/scripts/redis-tls.test.sh"]);
}

#[test]
#[ignore = "needs mariadb-server, openssl, prometheus-mysqld-exporter, curl"]
fn mysql_tls_against_a_real_server() {
    use kubeprint::blueprint::{Blueprint, MySql, Tls};
    // The server runs the blueprint's own rendered configuration.
    let db = MySql::builder()
        .name("db")
        .tls(Tls::builder().secret("db-tls").ca_key("ca.crt").build())
        .build();
    let config = db
        .bundle()
        .expect("bundle")
        .get("ConfigMap", "db-config")
        .expect("db-config")
        .to_json_value()
        .expect("json");
    let cnf = config["data"]["kubeprint.cnf"]
        .as_str()
        .expect("kubeprint.cnf");
    let path = std::env::temp_dir().join(format!("kubeprint-mysql-tls-{}.cnf", std::process::id()));
    std::fs::write(&path, cnf).expect("write the configuration");
    let out = Command::new("bash")
        .arg("tests/scripts/mysql-tls.test.sh")
        .env("KUBEPRINT_MYSQL_CNF", &path)
        .current_dir(root())
        .output()
        .expect("running bash");
    let _ = std::fs::remove_file(&path);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "mysql-tls.test.sh failed ({}):\n{text}",
        out.status
    );
    assert!(
        text.contains("the blueprint's rendered kubeprint.cnf"),
        "{text}"
    );
    println!("{text}");
}

#[test]
#[ignore = "needs redis-server and redis-cli (no root); strace for the argv check"]
fn redis_backup_and_restore_against_a_real_server() {
    run("bash", &["tests/scripts/redis-backup.test.sh"]);
}

#[test]
#[ignore = "needs mariadb-server (or mysql-server), mysql and mysqldump; strace for the argv check"]
fn mysql_backup_and_restore_against_a_real_server() {
    run("bash", &["tests/scripts/mysql-backup.test.sh"]);
}

#[test]
#[ignore = "needs mariadb-server (or mysql-server), mysql and mysqladmin; strace for the argv check"]
fn mysql_probe_against_a_real_server() {
    run("bash", &["tests/scripts/mysql-probe.test.sh"]);
}
