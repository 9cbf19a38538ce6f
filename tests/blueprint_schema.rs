//! Every blueprint, with defaults and customised, validated against the Kubernetes 1.37 OpenAPI
//! schemas with `kubernetes-validate --strict` (unknown fields are errors).
//!
//! Install the validator once with `bash tools/schema/setup.sh`. Like `tests/schema.rs`, these
//! tests FAIL when it is missing rather than pass without having checked anything.

use kubeprint::blueprint::{
    Backup, Blueprint, Client, Dashboard, Eviction, Ghost, GhostIngress, IngressController, Mail,
    Metrics, MongoDb, MySql, Parse, Persistence, PublicIngress, Redis, Sentinel, Spread, Tls,
};
use kubeprint::bundle::Bundle;
use kubeprint::meta::Labels;
use std::path::{Path, PathBuf};
use std::process::Command;

const KUBERNETES_VERSION: &str = "1.37.0";

fn validator() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(tool) = std::env::var_os("KUBEPRINT_KUBERNETES_VALIDATE") {
        candidates.push(tool.into());
    }
    if let Some(venv) = std::env::var_os("KUBEPRINT_SCHEMA_VENV") {
        candidates.push(Path::new(&venv).join("bin/kubernetes-validate"));
    }
    candidates.push(root.join("target/schema-venv/bin/kubernetes-validate"));
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        candidates.push(dir.join("kubernetes-validate"));
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "kubernetes-validate is not installed: run `bash tools/schema/setup.sh` \
             (or set KUBEPRINT_KUBERNETES_VALIDATE). Looked in {candidates:?}"
            )
        })
}

fn assert_valid(name: &str, bundle: &Bundle) {
    let yaml = bundle.to_yaml().unwrap_or_else(|e| panic!("{name}: {e}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("blueprint-schema");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, yaml).expect("write");
    let out = Command::new(validator())
        .args(["--strict", "--kubernetes-version", KUBERNETES_VERSION])
        .arg(&file)
        .output()
        .expect("run kubernetes-validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = text
        .lines()
        .filter(|l| l.starts_with("INFO") && l.contains(" passed for resource "))
        .count();
    let other: Vec<&str> = text.lines().filter(|l| !l.starts_with("INFO")).collect();
    // The file holds generated secrets: remove it whatever the outcome.
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success() && other.is_empty() && passed == bundle.len(),
        "{name}: kubernetes-validate --strict ({}; {passed} of {} passed):\n{text}",
        out.status,
        bundle.len()
    );
}

#[test]
fn every_blueprint_passes_strict_schema_validation() {
    let labels = Labels::from([("app", "shop")]);
    let cases: Vec<(&str, Bundle)> = vec![
        (
            "mysql",
            MySql::builder().name("db").build().bundle().unwrap(),
        ),
        (
            "mysql-custom",
            MySql::builder()
                .name("db")
                .namespace("shop")
                .setting("max_connections", "300")
                .client(Client::external_pods(labels.clone()))
                .client(Client::Cidr("10.1.2.3".into()))
                .backup(Backup::builder().time_zone("Europe/Paris").build())
                .metrics(
                    Metrics::builder()
                        .scraper(Client::namespace("monitoring"))
                        .build(),
                )
                .tls(Tls::builder().secret("db-tls").ca_key("ca.crt").build())
                .eviction(Eviction::Block)
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "redis-operations",
            Redis::builder()
                .name("cache")
                .backup(Backup::default())
                .metrics(Metrics::default())
                .tls(Tls::builder().secret("cache-tls").allow_plaintext().build())
                .eviction(Eviction::Block)
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "mongodb-operations",
            MongoDb::builder()
                .name("mongo")
                .backup(Backup::default())
                .metrics(Metrics::default())
                .tls(Tls::builder().secret("mongo-tls").ca_key("ca.crt").build())
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "redis",
            Redis::builder().name("cache").build().bundle().unwrap(),
        ),
        (
            "redis-sentinel",
            Redis::builder()
                .name("cache")
                .sentinel(Sentinel::builder().replicas(5).build())
                .storage(
                    Persistence::builder()
                        .size("2Gi")
                        .storage_class("fast")
                        .build(),
                )
                .client(Client::namespace("web"))
                .spread(Spread::Hard)
                .metrics(
                    Metrics::builder()
                        .scraper(Client::namespace("monitoring"))
                        .build(),
                )
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "mongodb",
            MongoDb::builder().name("mongo").build().bundle().unwrap(),
        ),
        (
            "ghost",
            Ghost::builder()
                .name("blog")
                .url("https://blog.example.com")
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "ghost-custom",
            Ghost::builder()
                .name("blog")
                .url("https://example.com/blog")
                .mail(
                    Mail::builder()
                        .from("a@example.com")
                        .host("smtp.example.com")
                        .secret("smtp")
                        .build(),
                )
                .ingress(
                    GhostIngress::builder()
                        .class("nginx")
                        .tls_secret("tls")
                        .controller(IngressController::namespace("ingress-nginx"))
                        .build(),
                )
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "parse",
            Parse::builder()
                .name("api")
                .app_id("app")
                .build()
                .bundle()
                .unwrap(),
        ),
        (
            "parse-custom",
            Parse::builder()
                .name("api")
                .app_id("app")
                .cloud_code("Parse.Cloud.define('x', () => 1);")
                .dashboard(Dashboard::default())
                .public_url("https://api.example.com/parse")
                .ingress(
                    PublicIngress::builder()
                        .controller(
                            IngressController::namespace("ingress-nginx")
                                .pods(Labels::from([("app.kubernetes.io/name", "ingress-nginx")])),
                        )
                        .build(),
                )
                .build()
                .bundle()
                .unwrap(),
        ),
    ];
    for (name, bundle) in &cases {
        assert_valid(name, bundle);
    }
}
