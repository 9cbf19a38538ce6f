//! The command line against the real local control plane (tools/cluster): every subcommand, its
//! exit status and output, masked secrets, and progress in plain mode and on a terminal.
//!
//! Needs `KUBEPRINT_TEST_KUBECONFIG`; fails (never skips) without it. Each test works in its own
//! namespace `kp-cli-<test>`.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim};
use kube::api::{Api, DeleteParams, PostParams};
use kubeprint::prelude::*;
use kubeprint::{
    ConfigMap as ConfigMapBuilder, PersistentVolumeClaim as PersistentVolumeClaimBuilder,
};
use std::future::Future;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

mod example_build;

/// A secret value that must never be printed, and its base64 form.
const SENTINEL: &str = "Sentinel-cli-3f9a-never-print";
const SENTINEL_B64: &str = "U2VudGluZWwtY2xpLTNmOWEtbmV2ZXItcHJpbnQ";

fn kubeconfig() -> PathBuf {
    match std::env::var_os("KUBEPRINT_TEST_KUBECONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "KUBEPRINT_TEST_KUBECONFIG is not set: start the local control plane \
             (tools/cluster/up.sh; source target/cluster/env) or run `bash .ci/run`"
        ),
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

async fn client() -> kube::Client {
    let path = kubeconfig();
    let kc = kube::config::Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kubeconfig");
    kube::Client::try_from(config).expect("client")
}

/// A fresh namespace for one test, deleted when the test ends.
struct TestNs {
    name: String,
}

impl TestNs {
    fn new(test: &str) -> TestNs {
        let ns = TestNs::absent(test);
        let name = ns.name.clone();
        block_on(async {
            let api: Api<Namespace> = Api::all(client().await);
            let ns: Namespace =
                serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
            api.create(&PostParams::default(), &ns)
                .await
                .expect("create namespace");
        });
        ns
    }

    /// The name of a namespace for one test, which does not exist (deleted when the test ends,
    /// should the test create it).
    fn absent(test: &str) -> TestNs {
        let name = format!("kp-cli-{}", test.replace('_', "-"));
        block_on(async {
            let api: Api<Namespace> = Api::all(client().await);
            // A namespace left by an earlier, interrupted run: delete it and wait until it is gone.
            if api.get_opt(&name).await.expect("get namespace").is_some() {
                let _ = api.delete(&name, &DeleteParams::foreground()).await;
                let started = Instant::now();
                while api.get_opt(&name).await.expect("get namespace").is_some() {
                    assert!(
                        started.elapsed() < Duration::from_secs(120),
                        "namespace {name} not gone"
                    );
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        });
        TestNs { name }
    }

    /// Whether the object exists (every call has its own runtime, so its own client).
    fn exists<K>(&self, name: &str) -> bool
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        self.get::<K>(name).is_some()
    }

    fn get<K>(&self, name: &str) -> Option<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        block_on(async {
            let api: Api<K> = Api::namespaced(client().await, &self.name);
            api.get_opt(name).await.expect("get")
        })
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        let name = self.name.clone();
        block_on(async move {
            let api: Api<Namespace> = Api::all(client().await);
            let _ = api.delete(&name, &DeleteParams::background()).await;
        });
    }
}

/// What one command line run printed.
struct Run {
    status: u8,
    out: String,
    err: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.out, self.err)
    }

    /// Secret values never appear, in clear or base64.
    fn assert_no_secret(&self) {
        let all = self.all();
        assert!(
            !all.contains(SENTINEL) && !all.contains(SENTINEL_B64),
            "a secret value was printed:\n{all}"
        );
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status {}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.out, self.err
        )
    }
}

/// Runs the command line (plain mode) on `app` in namespace `ns`.
fn cli(ns: &TestNs, args: &[&str], app: impl FnOnce() -> kubeprint::Result<Bundle>) -> Run {
    let kubeconfig = kubeconfig();
    let mut argv = vec![
        "app".to_owned(),
        "--kubeconfig".into(),
        kubeconfig.display().to_string(),
        "-n".into(),
        ns.name.clone(),
    ];
    argv.extend(args.iter().map(|s| (*s).to_owned()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = kubeprint::cli::run_from(argv, app, &mut out, &mut err);
    let run = Run {
        status,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    };
    run.assert_no_secret();
    run
}

/// kuard: a Deployment, its Service, a ConfigMap and a Secret holding the sentinel.
fn kuard(level: &str, password: &str, replicas: i32) -> kubeprint::Result<Bundle> {
    let deployment = Deployment::builder()
        .name("kuard")
        .replicas(replicas)
        .template(
            PodTemplate::builder()
                .selector_label("app", "kuard")
                // kwok holds the pods back (tools/cluster/kwok.yaml), so the rollout is
                // seen in progress however fast the control plane is.
                .annotation("pod-ready.stage.kwok.x-k8s.io/delay", "1500ms")
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(
                    Container::builder()
                        .name("kuard")
                        .image("gcr.io/kuar-demo/kuard-amd64:blue")
                        .port(Port::tcp("http", 8080))
                        .env(EnvVar::from_config_map("LEVEL", "kuard-config", "level"))
                        .env(EnvVar::from_secret("PASSWORD", "kuard-secret", "password"))
                        .build(),
                )
                .build(),
        )
        .build();
    let service = Service::for_workload(&deployment).build();
    Bundle::new("kuard")
        .with(
            ConfigMapBuilder::builder()
                .name("kuard-config")
                .entry("level", level)
                .build(),
        )?
        .with(
            Secret::builder()
                .name("kuard-secret")
                .entry("password", password)
                .build(),
        )?
        .with(deployment)?
        .with(service)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn apply_wait_reapply_status_and_diff() {
    let ns = TestNs::new("apply_wait");
    let app = || kuard("debug", SENTINEL, 2);

    let first = cli(&ns, &["apply", "--wait", "--timeout", "2m"], app);
    assert_eq!(first.status, 0, "{first:?}");
    assert_eq!(first.err, "", "{first:?}");
    let out = lines(&first.out);
    for expected in [
        "configmap/kuard-config created",
        "secret/kuard-secret created",
        "service/kuard created",
        "deployment.apps/kuard created",
        "deployment.apps/kuard ready",
        "service/kuard ready",
    ] {
        assert!(out.contains(&expected), "missing {expected:?}: {first:?}");
    }
    // Progress in plain mode: ready counts while the rollout goes on, one line per change.
    assert!(
        out.iter()
            .any(|l| l.starts_with("deployment.apps/kuard waiting: ") && l.contains("/2 ready")),
        "{first:?}"
    );
    let mut seen = out.clone();
    seen.dedup();
    assert_eq!(seen.len(), out.len(), "a line repeats: {first:?}");
    assert!(
        first
            .out
            .lines()
            .last()
            .unwrap()
            .starts_with("Applied 4 objects: 4 created in "),
        "{first:?}"
    );

    // Nothing changed: every object is proven unchanged from the listed members and not sent.
    let again = cli(&ns, &["apply", "--wait"], app);
    assert_eq!(again.status, 0, "{again:?}");
    assert!(
        again
            .out
            .lines()
            .last()
            .unwrap()
            .starts_with("Applied 4 objects: 4 unchanged (4 skipped) in "),
        "{again:?}"
    );
    for o in [
        "configmap/kuard-config",
        "secret/kuard-secret",
        "service/kuard",
        "deployment.apps/kuard",
    ] {
        assert!(
            again.out.contains(&format!("{o} unchanged")),
            "{o}: {again:?}"
        );
    }

    let status = cli(&ns, &["status"], app);
    assert_eq!(status.status, 0, "{status:?}");
    assert_eq!(
        lines(&status.out),
        [
            "OBJECT                   STATE     READY   MESSAGE",
            "secret/kuard-secret      in sync   yes",
            "configmap/kuard-config   in sync   yes",
            "service/kuard            in sync   yes",
            "deployment.apps/kuard    in sync   yes",
        ],
        "{status:?}"
    );

    let diff = cli(&ns, &["diff"], app);
    assert_eq!(
        (diff.status, diff.out.as_str(), diff.err.as_str()),
        (0, "Plan: 4 unchanged.\n", ""),
        "{diff:?}"
    );
}

#[test]
fn diff_shows_changes_and_masks_secrets() {
    let ns = TestNs::new("diff");
    let applied = cli(&ns, &["apply"], || kuard("debug", SENTINEL, 1));
    assert_eq!(applied.status, 0, "{applied:?}");

    // Another password (also a sentinel) and another level.
    let changed = || kuard("info", &format!("{SENTINEL}-2"), 1);
    let diff = cli(&ns, &["diff"], changed);
    assert_eq!(diff.status, 1, "{diff:?}");
    assert!(diff.out.contains("update configmap/kuard-config\n--- live/configmap/kuard-config\n+++ planned/configmap/kuard-config\n"), "{diff:?}");
    assert!(
        diff.out.contains("\n-  level: debug\n+  level: info\n"),
        "{diff:?}"
    );
    assert!(
        diff.out.contains("update secret/kuard-secret\n"),
        "{diff:?}"
    );
    assert!(
        diff.out
            .contains("-  password: <redacted>\n+  password: <redacted (changed)>\n"),
        "{diff:?}"
    );
    assert!(
        diff.out.ends_with("Plan: 2 to update, 2 unchanged.\n"),
        "{diff:?}"
    );
    assert!(!diff.out.contains("\x1b["), "plain mode: no colour");

    // diff changes nothing.
    let live = ns.get::<ConfigMap>("kuard-config").expect("configmap");
    assert_eq!(live.data.unwrap()["level"], "debug");

    // Objects that do not exist yet are shown whole, and count as changes.
    let more = || {
        let mut b = kuard("debug", SENTINEL, 1)?;
        b.add(
            ConfigMapBuilder::builder()
                .name("extra")
                .entry("k", "v")
                .build(),
        )?;
        Ok(b)
    };
    let diff = cli(&ns, &["diff"], more);
    assert_eq!(diff.status, 1, "{diff:?}");
    assert!(
        diff.out.starts_with(
            "create configmap/extra\n--- live/configmap/extra\n+++ planned/configmap/extra\n"
        ),
        "{diff:?}"
    );
}

#[test]
fn dry_run_changes_nothing_and_status_reports_missing_objects() {
    let ns = TestNs::new("dry_run");
    let app = || kuard("debug", SENTINEL, 1);
    let dry = cli(&ns, &["apply", "--dry-run"], app);
    assert_eq!(dry.status, 0, "{dry:?}");
    assert!(
        dry.out
            .contains("deployment.apps/kuard created (server dry run)"),
        "{dry:?}"
    );
    assert!(
        dry.out
            .trim_end()
            .ends_with("(server dry run: nothing was changed)."),
        "{dry:?}"
    );
    assert!(!ns.exists::<ConfigMap>("kuard-config"));

    let status = cli(&ns, &["status"], app);
    assert_eq!(status.status, 1, "{status:?}");
    assert!(
        status.out.contains("deployment.apps/kuard    missing   -"),
        "{status:?}"
    );
    assert!(
        status.out.contains("secret/kuard-secret      missing   -"),
        "{status:?}"
    );
}

#[test]
fn prune_deletes_what_left_the_program_and_nothing_else() {
    let ns = TestNs::new("prune");
    let two = || {
        Bundle::new("settings")
            .with(
                ConfigMapBuilder::builder()
                    .name("a")
                    .entry("k", "v")
                    .build(),
            )?
            .with(
                ConfigMapBuilder::builder()
                    .name("b")
                    .entry("k", "v")
                    .build(),
            )
    };
    let one = || {
        Bundle::new("settings").with(
            ConfigMapBuilder::builder()
                .name("a")
                .entry("k", "v")
                .build(),
        )
    };
    // An object of another program in the same namespace.
    let other = || {
        Bundle::new("other").with(
            ConfigMapBuilder::builder()
                .name("foreign")
                .entry("k", "v")
                .build(),
        )
    };
    assert_eq!(cli(&ns, &["apply"], two).status, 0);
    assert_eq!(cli(&ns, &["apply"], other).status, 0);

    // Without --prune, b stays; diff --prune previews the deletion.
    let kept = cli(&ns, &["apply"], one);
    assert_eq!(kept.status, 0, "{kept:?}");
    assert!(ns.exists::<ConfigMap>("b"));
    let preview = cli(&ns, &["diff", "--prune"], one);
    assert_eq!(preview.status, 1, "{preview:?}");
    assert!(preview.out.contains("prune configmap/b\n"), "{preview:?}");
    assert!(!preview.out.contains("foreign"), "{preview:?}");

    let pruned = cli(&ns, &["apply", "--prune"], one);
    assert_eq!(pruned.status, 0, "{pruned:?}");
    assert!(
        lines(&pruned.out).contains(&"configmap/b pruned"),
        "{pruned:?}"
    );
    assert!(pruned.out.contains(", 1 pruned in "), "{pruned:?}");
    assert!(!ns.exists::<ConfigMap>("b"));
    assert!(ns.exists::<ConfigMap>("a"));
    assert!(ns.exists::<ConfigMap>("foreign"));
}

#[test]
fn delete_keeps_claims_unless_asked() {
    let ns = TestNs::new("delete");
    let app = || {
        Bundle::new("data")
            .with(
                ConfigMapBuilder::builder()
                    .name("settings")
                    .entry("k", "v")
                    .build(),
            )?
            .with(
                PersistentVolumeClaimBuilder::builder()
                    .name("data")
                    .size(Storage::mib(10))
                    .build(),
            )
    };
    assert_eq!(cli(&ns, &["apply"], app).status, 0);

    let deleted = cli(&ns, &["delete", "--timeout", "1m"], app);
    assert_eq!(deleted.status, 0, "{deleted:?}");
    assert!(
        lines(&deleted.out).contains(&"configmap/settings deleted"),
        "{deleted:?}"
    );
    assert!(
        deleted
            .out
            .lines()
            .any(|l| l.starts_with("persistentvolumeclaim/data kept (")),
        "{deleted:?}"
    );
    assert!(
        deleted.out.contains(
            "kept 1 (delete --delete-data deletes them too): persistentvolumeclaim/data."
        ),
        "{deleted:?}"
    );
    assert!(!ns.exists::<ConfigMap>("settings"));
    assert!(ns.exists::<PersistentVolumeClaim>("data"));

    let purged = cli(&ns, &["delete", "--delete-data", "--timeout", "1m"], app);
    assert_eq!(purged.status, 0, "{purged:?}");
    assert!(
        lines(&purged.out).contains(&"persistentvolumeclaim/data deleted"),
        "{purged:?}"
    );
    assert!(!ns.exists::<PersistentVolumeClaim>("data"));
}

#[test]
fn conflicts_fail_with_a_short_cause_chain_and_force_takes_over() {
    let ns = TestNs::new("conflict");
    assert_eq!(
        cli(&ns, &["apply"], || kuard("debug", SENTINEL, 2)).status,
        0
    );
    // Another field manager sets replicas differently.
    let other = cli(&ns, &["--field-manager", "someone-else", "apply"], || {
        kuard("debug", SENTINEL, 3)
    });
    assert_eq!(other.status, 1, "{other:?}");
    assert_eq!(
        other.out.lines().filter(|l| l.contains("created")).count(),
        0,
        "{other:?}"
    );
    let first = other.err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{other:?}");
    assert!(
        first.contains("deployment \"")
            && first.contains("conflict")
            && first.contains("\"kubeprint\""),
        "{other:?}"
    );
    assert!(first.contains(".spec.replicas"), "{other:?}");
    assert!(
        !other.err.contains("Conflict {") && !other.err.contains("ObjectRef {"),
        "no Debug dump: {other:?}"
    );

    // The diff says so too.
    let diff = cli(&ns, &["--field-manager", "someone-else", "diff"], || {
        kuard("debug", SENTINEL, 3)
    });
    assert_eq!(diff.status, 1, "{diff:?}");
    assert!(
        diff.out
            .contains("conflict deployment.apps/kuard (.spec.replicas (owned by \"kubeprint\")"),
        "{diff:?}"
    );

    let forced = cli(
        &ns,
        &[
            "--field-manager",
            "someone-else",
            "apply",
            "--force-conflicts",
        ],
        || kuard("debug", SENTINEL, 3),
    );
    assert_eq!(forced.status, 0, "{forced:?}");
    assert!(
        lines(&forced.out).contains(&"deployment.apps/kuard configured"),
        "{forced:?}"
    );
}

#[test]
fn connection_problems_are_errors_with_the_right_status() {
    let ns = TestNs::new("connection");
    let app = || kuard("debug", SENTINEL, 1);
    let bad_context = cli(&ns, &["--context", "no-such-context", "apply"], app);
    assert_eq!(bad_context.status, 1, "{bad_context:?}");
    assert!(
        bad_context.err.starts_with("error: loading kubeconfig "),
        "{bad_context:?}"
    );
    assert!(
        bad_context.err.contains("\n  caused by: "),
        "{bad_context:?}"
    );
    for command in ["diff", "status"] {
        let run = cli(&ns, &["--context", "no-such-context", command], app);
        assert_eq!(run.status, 2, "{command}: {run:?}");
    }
    // A namespace that does not exist: apply fails unless asked to create it.
    let missing = TestNs::absent("no_such_namespace");
    let run = cli(&missing, &["apply"], app);
    assert_eq!(run.status, 1, "{run:?}");
    assert!(run.err.starts_with("error: "), "{run:?}");
    let created = cli(&missing, &["apply", "--create-namespace"], app);
    assert_eq!(created.status, 0, "{created:?}");
    drop(missing); // deletes it
}

#[test]
fn example_program_plain_progress_when_piped() {
    let ns = TestNs::new("example_plain");
    let exe = example_build::one("ch12_deployments");
    let out = Command::new(&exe)
        .args(["-n", &ns.name, "apply", "--wait", "--timeout", "2m"])
        .env("KUBECONFIG", kubeconfig())
        .env("CI", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("deployment.apps/kuard created\n")
            && stdout.contains("deployment.apps/kuard ready\n"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("deployment.apps/kuard waiting: ") && l.contains("/3 ready")),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\x1b') && out.stderr.is_empty(),
        "plain: no escapes, nothing on stderr"
    );

    let status = Command::new(&exe)
        .args(["-n", &ns.name, "status"])
        .env("KUBECONFIG", kubeconfig())
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
}

#[test]
fn example_program_draws_bars_on_a_terminal() {
    // `script` (util-linux, which the local control plane needs anyway) gives the program a
    // pseudo-terminal: colours and bars, and no deadlock between the bars' drawing thread and
    // the program's output.
    let ns = TestNs::new("example_tty");
    let exe = example_build::one("ch12_deployments");
    let log = std::env::temp_dir().join(format!("kubeprint-cli-tty-{}.log", std::process::id()));
    let command = format!("{} -n {} apply --wait --timeout 2m", exe.display(), ns.name);
    let started = Instant::now();
    let status = Command::new("script")
        .args(["-q", "-e", "-c", &command])
        .arg(&log)
        .env("KUBECONFIG", kubeconfig())
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("script (util-linux) is needed to give the program a terminal");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(status.success(), "{text}");
    assert!(started.elapsed() < Duration::from_secs(150));
    assert!(
        text.contains("\x1b["),
        "a terminal gets escape sequences: {text}"
    );
    assert!(text.contains("deployment.apps/kuard"), "{text}");
    assert!(text.contains("ready"), "{text}");
    assert!(text.contains("Applied 2 objects: 2 created in "), "{text}");
}

#[allow(dead_code)]
#[path = "../examples/ghost.rs"]
mod ghost;

#[test]
fn ghost_blueprint_applies_waits_and_reports_status() {
    // A whole blueprint through the command line: MySQL, then Ghost, with an Ingress (applied in
    // the Services tier, rendered last): status must match plan items to objects by name.
    let ns = TestNs::new("ghost");
    let applied = cli(&ns, &["apply", "--wait", "--timeout", "4m"], ghost::app);
    assert_eq!(applied.status, 0, "{applied:?}");
    assert!(
        lines(&applied.out).contains(&"statefulset.apps/blog-db ready"),
        "{applied:?}"
    );
    assert!(
        lines(&applied.out).contains(&"deployment.apps/blog ready"),
        "{applied:?}"
    );

    let status = cli(&ns, &["status"], ghost::app);
    assert_eq!(status.status, 0, "{status:?}");
    let rows: Vec<&str> = status.out.lines().skip(1).collect();
    assert_eq!(rows.len(), ghost::app().unwrap().len(), "{status:?}");
    for row in rows {
        assert!(
            row.contains(" in sync ") && row.contains(" yes"),
            "{row}: {status:?}"
        );
    }
    assert!(
        status.out.contains("ingress.networking.k8s.io/blog"),
        "{status:?}"
    );

    // The generated passwords survive a second apply: nothing changes.
    let again = cli(&ns, &["diff"], ghost::app);
    assert_eq!(again.status, 0, "{again:?}");
}
