//! Every example in render mode, the way CI runs them (no cluster).
//!
//! Each example file is compiled into this test as a module, so its `app()` is checked directly:
//! the command line with no arguments prints exactly the bundle's YAML, the YAML parses back
//! with the expected kinds and agrees with the JSON rendering, and a snapshot of it (secret
//! values redacted) is kept in `tests/snapshots/`. `example_binaries_*` then runs the real
//! example programs, built by cargo, as a user would.

use kubeprint::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

mod example_build;

macro_rules! examples {
    ($($name:ident = $path:literal),* $(,)?) => {
        $(
            #[allow(dead_code)]
            #[path = $path]
            mod $name;
        )*
        /// Every example: name and bundle function.
        const EXAMPLES: &[(&str, fn() -> kubeprint::Result<Bundle>)] = &[$((stringify!($name), $name::app)),*];
    };
}

examples!(
    ch05_pods = "../examples/ch05_pods.rs",
    ch06_labels = "../examples/ch06_labels.rs",
    ch07_service_discovery = "../examples/ch07_service_discovery.rs",
    ch08_replicasets = "../examples/ch08_replicasets.rs",
    ch09_daemonsets = "../examples/ch09_daemonsets.rs",
    ch10_jobs = "../examples/ch10_jobs.rs",
    ch11_config = "../examples/ch11_config.rs",
    ch12_deployments = "../examples/ch12_deployments.rs",
    ch13_storage = "../examples/ch13_storage.rs",
    ch13_nfs_volume = "../examples/ch13_nfs_volume.rs",
    mysql = "../examples/mysql.rs",
    redis = "../examples/redis.rs",
    mongodb = "../examples/mongodb.rs",
    ghost = "../examples/ghost.rs",
    parse = "../examples/parse.rs",
    environments = "../examples/environments.rs",
    custom_resource = "../examples/custom_resource.rs",
);

/// The kinds each example must render, with counts.
fn expected_kinds(example: &str) -> &'static [(&'static str, usize)] {
    match example {
        "ch05_pods" => &[("PersistentVolumeClaim", 1), ("Pod", 1)],
        "ch06_labels" => &[("Deployment", 4)],
        "ch07_service_discovery" => &[("Deployment", 2), ("Service", 2)],
        "ch08_replicasets" => &[("HorizontalPodAutoscaler", 1), ("ReplicaSet", 1)],
        "ch09_daemonsets" => &[("DaemonSet", 2)],
        "ch10_jobs" => &[("Job", 3), ("ReplicaSet", 1), ("Service", 1)],
        "ch11_config" => &[("ConfigMap", 1), ("Pod", 1), ("Secret", 2)],
        "ch12_deployments" => &[("Deployment", 1), ("Service", 1)],
        "ch13_storage" => &[
            ("EndpointSlice", 1),
            ("PersistentVolumeClaim", 1),
            ("ReplicaSet", 1),
            ("Secret", 1),
            ("Service", 4),
            ("StatefulSet", 1),
        ],
        "ch13_nfs_volume" => &[
            ("PersistentVolume", 1),
            ("PersistentVolumeClaim", 1),
            ("StorageClass", 1),
        ],
        "mysql" => &[
            ("ConfigMap", 2),
            ("NetworkPolicy", 1),
            ("Secret", 1),
            ("Service", 2),
            ("StatefulSet", 1),
        ],
        "redis" => &[
            ("ConfigMap", 2),
            ("NetworkPolicy", 1),
            ("PodDisruptionBudget", 1),
            ("Secret", 1),
            ("Service", 2),
            ("StatefulSet", 1),
        ],
        "mongodb" => &[
            ("ConfigMap", 1),
            ("NetworkPolicy", 1),
            ("PodDisruptionBudget", 1),
            ("Secret", 1),
            ("Service", 1),
            ("StatefulSet", 1),
        ],
        "ghost" => &[
            ("ConfigMap", 3),
            ("Deployment", 1),
            ("Ingress", 1),
            ("NetworkPolicy", 2),
            ("PersistentVolumeClaim", 1),
            ("Secret", 2),
            ("Service", 3),
            ("StatefulSet", 1),
        ],
        "parse" => &[
            ("ConfigMap", 1),
            ("Deployment", 1),
            ("Ingress", 1),
            ("NetworkPolicy", 2),
            ("PodDisruptionBudget", 2),
            ("Secret", 2),
            ("Service", 2),
            ("StatefulSet", 1),
        ],
        "environments" => &[
            ("ConfigMap", 2),
            ("Deployment", 1),
            ("Namespace", 1),
            ("NetworkPolicy", 1),
            ("Secret", 1),
            ("Service", 3),
            ("StatefulSet", 1),
        ],
        "custom_resource" => &[
            ("Backup", 2),
            ("ConfigMap", 1),
            ("CustomResourceDefinition", 1),
        ],
        other => panic!("no expectations for example {other}"),
    }
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml)
        .unwrap_or_else(|e| panic!("rendered YAML does not parse: {e}\n{yaml}"))
}

fn kind_counts(docs: &[Value]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for d in docs {
        *counts
            .entry(d["kind"].as_str().unwrap_or("<none>").to_owned())
            .or_default() += 1;
    }
    counts.into_iter().collect()
}

/// The documents without Secret values, which are generated afresh on every build for
/// generate-once keys.
fn without_secret_values(mut docs: Vec<Value>) -> Vec<Value> {
    for d in &mut docs {
        if d["kind"] == "Secret"
            && let Some(o) = d.as_object_mut()
        {
            o.remove("data");
            o.remove("stringData");
        }
    }
    docs
}

fn cli(args: &[&str], app: fn() -> kubeprint::Result<Bundle>) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = kubeprint::cli::run_from(
        std::iter::once("example").chain(args.iter().copied()),
        app,
        &mut out,
        &mut err,
    );
    (
        status,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn every_example_renders_with_no_arguments() {
    for (name, app) in EXAMPLES {
        let (status, out, err) = cli(&[], *app);
        // Programs that generate secret values are told, once, that they change on every
        // render without a seed (issue #12); nothing else goes to stderr.
        let err = err.replace(kubeprint::cli::UNSEEDED_NOTE, "");
        assert_eq!((status, err.as_str()), (0, ""), "{name}");
        let docs = documents(&out);
        let expected: Vec<(String, usize)> = expected_kinds(name)
            .iter()
            .map(|(k, n)| ((*k).to_owned(), *n))
            .collect();
        assert_eq!(kind_counts(&docs), expected, "{name}");
        // The same as the bundle renders itself (up to freshly generated secret values).
        let bundle = app().unwrap();
        assert_eq!(
            without_secret_values(docs),
            without_secret_values(documents(&bundle.to_yaml().unwrap())),
            "{name}"
        );
    }
}

#[test]
fn yaml_and_json_renderings_agree() {
    for (name, app) in EXAMPLES {
        let bundle = app().unwrap();
        let yaml = documents(&bundle.to_yaml().unwrap());
        let json: Value = serde_json::from_str(&bundle.to_json().unwrap()).unwrap();
        assert_eq!(json["kind"], "List", "{name}");
        assert_eq!(Value::Array(yaml), json["items"], "{name}");
        let (status, out, _) = cli(&["render", "--format", "json"], *app);
        assert_eq!(status, 0, "{name}");
        let rendered: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            rendered["items"].as_array().map(Vec::len),
            Some(bundle.len()),
            "{name}"
        );
    }
}

#[test]
fn snapshots_with_secret_values_redacted() {
    for (name, app) in EXAMPLES {
        let bundle = app().unwrap();
        let redacted = kubeprint::testing::redacted_yaml(&bundle).unwrap();
        // Every secret value is replaced; keys stay.
        for doc in documents(&redacted)
            .iter()
            .filter(|d| d["kind"] == "Secret")
        {
            for (key, value) in doc["data"].as_object().into_iter().flatten() {
                assert_eq!(value, "<redacted>", "{name}: secret key {key}");
            }
        }
        insta::assert_snapshot!(*name, redacted);
    }
}

#[test]
fn every_example_draws_a_graph_without_a_cluster() {
    for (name, app) in EXAMPLES {
        let bundle = app().unwrap();
        let (status, out, err) = cli(&["graph"], *app);
        assert_eq!((status, err.as_str()), (0, ""), "{name}");
        assert_eq!(out, kubeprint::graph::mermaid(&bundle), "{name}");
        for o in bundle.objects() {
            // Objects outside the bundle's namespace are drawn with theirs.
            let node = match o.namespace() {
                Some(ns) if Some(ns) != bundle.namespace() => {
                    format!("\"{} {ns}/{}\"", o.kind(), o.name())
                }
                _ => format!("\"{} {}\"", o.kind(), o.name()),
            };
            assert!(out.contains(&node), "{name}: {node} not drawn");
        }
    }
}

#[test]
fn ch06_selectors_select_what_the_book_says() {
    let rows = ch06_labels::selections(&ch06_labels::app().unwrap()).unwrap();
    let rows: Vec<(&str, Vec<&str>)> = rows
        .iter()
        .map(|(s, n)| (s.as_str(), n.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "ver=2",
                vec!["alpaca-test", "bandicoot-prod", "bandicoot-staging"]
            ),
            (
                "app=bandicoot,ver=2",
                vec!["bandicoot-prod", "bandicoot-staging"]
            ),
            (
                "app in (alpaca,bandicoot)",
                vec![
                    "alpaca-prod",
                    "alpaca-test",
                    "bandicoot-prod",
                    "bandicoot-staging"
                ]
            ),
            ("canary", vec![]),
            (
                "!canary",
                vec![
                    "alpaca-prod",
                    "alpaca-test",
                    "bandicoot-prod",
                    "bandicoot-staging"
                ]
            ),
            ("env!=prod", vec!["alpaca-test", "bandicoot-staging"]),
        ]
    );
}

#[test]
fn generated_passwords_are_never_in_source_or_literal_env() {
    // Blueprint and chapter 13 passwords come from Secrets, not from `value:` fields.
    for (name, app) in EXAMPLES {
        let bundle = app().unwrap();
        let json = bundle.to_json().unwrap();
        let docs: Value = serde_json::from_str(&json).unwrap();
        for item in docs["items"].as_array().unwrap() {
            let containers = item
                .pointer("/spec/template/spec/containers")
                .or_else(|| item.pointer("/spec/containers"));
            for c in containers.and_then(Value::as_array).into_iter().flatten() {
                for env in c["env"].as_array().into_iter().flatten() {
                    let var = env["name"].as_str().unwrap_or_default();
                    if var.contains("PASSWORD") && !var.ends_with("_FILE") {
                        assert!(env.get("value").is_none(), "{name}: {var} is a literal");
                    }
                }
            }
        }
    }
}

/// The example programs as cargo builds them, by name (built once per test run; a no-op when
/// `cargo test` has built them already).
fn example_binaries() -> &'static BTreeMap<String, PathBuf> {
    static BINARIES: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();
    BINARIES.get_or_init(|| example_build::build(example_build::Examples::All))
}

#[test]
fn example_binaries_render_and_reject_bad_arguments() {
    let binaries: BTreeMap<&String, &PathBuf> = example_binaries().iter().collect();
    let names: Vec<&str> = binaries.keys().map(|n| n.as_str()).collect();
    let expected: Vec<&str> = {
        let mut e: Vec<&str> = EXAMPLES.iter().map(|(n, _)| *n).collect();
        e.sort_unstable();
        e
    };
    assert_eq!(
        names, expected,
        "every example is tested here, and only examples"
    );
    for (name, exe) in binaries {
        // No arguments: the YAML on stdout, nothing on stderr, exit 0 (CI=1: plain mode).
        let out = Command::new(exe)
            .env("CI", "1")
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr =
            String::from_utf8_lossy(&out.stderr).replace(kubeprint::cli::UNSEEDED_NOTE, "");
        assert!(stderr.is_empty(), "{name}: {stderr}");
        let docs = documents(&String::from_utf8(out.stdout).unwrap());
        let expected: Vec<(String, usize)> = expected_kinds(name)
            .iter()
            .map(|(k, n)| ((*k).to_owned(), *n))
            .collect();
        assert_eq!(kind_counts(&docs), expected, "{name}");

        // Bad arguments: clap's usage error, exit 2.
        let out = Command::new(exe).arg("--no-such-option").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("unexpected argument '--no-such-option'") && err.contains("Usage:"),
            "{name}: {err}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
}

#[test]
fn example_binary_without_a_cluster_fails_with_a_short_cause_chain() {
    let binaries = example_binaries();
    let exe = &binaries["ch12_deployments"];
    for (command, status) in [("apply", 1), ("delete", 1), ("diff", 2), ("status", 2)] {
        let out = Command::new(exe)
            .args([command, "--kubeconfig", "/nonexistent/kubeconfig"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(status), "{command}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("error: reading kubeconfig /nonexistent/kubeconfig\n  caused by: "),
            "{command}: {err}"
        );
        assert!(
            !err.contains("Os {") && !err.contains("kind:"),
            "no Debug dump: {err}"
        );
        assert!(out.stdout.is_empty(), "{command}");
    }
}

#[test]
fn readme_shows_the_current_ghost_picture() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let graph = kubeprint::graph::mermaid(&ghost::app().unwrap());
    assert!(
        readme.contains(&format!("```mermaid\n{graph}```\n")),
        "README.md's Mermaid picture is stale: replace it with the output of \
         `cargo run --example ghost -- graph`:\n{graph}"
    );
}

/// The seed from the environment (`KUBEPRINT_SEED`, `KUBEPRINT_SEED_FILE`) makes the
/// generated values of a rendered program stable, in a real process (environment variables
/// are process-wide, so this runs the built example).
#[test]
fn seed_from_the_environment_makes_renders_byte_identical() {
    let binaries = example_binaries();
    let exe = binaries.get("mysql").expect("the mysql example is built");
    let render = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(exe);
        cmd.env("CI", "1")
            .env_remove("KUBECONFIG")
            .env_remove("KUBEPRINT_SEED")
            .env_remove("KUBEPRINT_SEED_FILE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let seed = "a seed the user keeps outside the program";
    let (a, a_err) = render(&[("KUBEPRINT_SEED", seed)]);
    let (b, _) = render(&[("KUBEPRINT_SEED", seed)]);
    assert_eq!(a, b, "one seed, one rendering");
    assert!(!a.contains(seed), "the seed is never in the output");
    assert!(!a_err.contains(kubeprint::cli::UNSEEDED_NOTE), "{a_err}");

    let dir = std::env::temp_dir().join(format!("kubeprint-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed");
    std::fs::write(&file, format!("{seed}\n")).unwrap();
    let (from_file, _) = render(&[("KUBEPRINT_SEED_FILE", file.to_str().unwrap())]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        from_file, a,
        "the file's one trailing newline is not part of the seed"
    );

    let (other, _) = render(&[("KUBEPRINT_SEED", "another seed")]);
    assert_ne!(other, a, "another seed, other values");
    let (unseeded, unseeded_err) = render(&[]);
    assert_ne!(unseeded, a);
    assert!(
        unseeded_err.contains(kubeprint::cli::UNSEEDED_NOTE),
        "{unseeded_err}"
    );
}
