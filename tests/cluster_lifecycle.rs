//! Issue #12, "nothing is lost that the user did not ask to lose", through the command line
//! against the real local control plane (tools/cluster): several environments of one program
//! (ApplySet identity and prune), generated secrets kept as long as the claims they guard, and
//! stable generated values on the render path (a user-held seed).
//!
//! Needs `KUBEPRINT_TEST_KUBECONFIG`; fails (never skips) without it. Each test works in its own
//! namespaces `kp-lc-<test>-*`.

mod apply_support;

use apply_support::{client, kubeconfig};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim, Secret};
use kube::api::{Api, DeleteParams, PostParams};
use kubeprint::prelude::*;
use kubeprint::secret::Generate;
use kubeprint::{
    ConfigMap as ConfigMapBuilder, PersistentVolumeClaim as PersistentVolumeClaimBuilder,
    Secret as SecretBuilder,
};
use std::future::Future;
use std::time::{Duration, Instant};

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// Fresh namespaces for one test, deleted when it ends.
struct Namespaces {
    names: Vec<String>,
}

impl Namespaces {
    fn new(test: &str, suffixes: &[&str]) -> Namespaces {
        let names: Vec<String> = suffixes
            .iter()
            .map(|s| format!("kp-lc-{}-{s}", test.replace('_', "-")))
            .collect();
        block_on(async {
            let api: Api<Namespace> = Api::all(client().await);
            for name in &names {
                if api.get_opt(name).await.expect("get namespace").is_some() {
                    let _ = api.delete(name, &DeleteParams::foreground()).await;
                    let started = Instant::now();
                    while api.get_opt(name).await.expect("get namespace").is_some() {
                        assert!(
                            started.elapsed() < Duration::from_secs(120),
                            "{name} not gone"
                        );
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
                let ns: Namespace =
                    serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))
                        .unwrap();
                api.create(&PostParams::default(), &ns)
                    .await
                    .expect("create namespace");
            }
        });
        Namespaces { names }
    }

    fn ns(&self, i: usize) -> &str {
        &self.names[i]
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        let names = self.names.clone();
        block_on(async move {
            let api: Api<Namespace> = Api::all(client().await);
            for name in names {
                let _ = api.delete(&name, &DeleteParams::background()).await;
            }
        });
    }
}

fn get<K>(ns: &str, name: &str) -> Option<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    block_on(async {
        let api: Api<K> = Api::namespaced(client().await, ns);
        api.get_opt(name).await.expect("get")
    })
}

fn names<K>(ns: &str) -> Vec<String>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    block_on(async {
        let api: Api<K> = Api::namespaced(client().await, ns);
        api.list(&Default::default())
            .await
            .expect("list")
            .items
            .into_iter()
            .filter_map(|o| o.meta().name.clone())
            .collect()
    })
}

fn password(ns: &str, secret: &str) -> Vec<u8> {
    let s: Secret = get(ns, secret).unwrap_or_else(|| panic!("secret {ns}/{secret} missing"));
    s.data.expect("data")["password"].0.clone()
}

/// What one command line run printed.
struct Run {
    status: u8,
    out: String,
    err: String,
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

/// Runs the command line (plain mode) on `app` with `args` after the kubeconfig.
fn cli(args: &[&str], app: impl FnOnce() -> kubeprint::Result<Bundle>) -> Run {
    let mut argv = vec![
        "app".to_owned(),
        "--kubeconfig".into(),
        kubeconfig().display().to_string(),
    ];
    argv.extend(args.iter().map(|s| (*s).to_owned()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = kubeprint::cli::run_from(argv, app, &mut out, &mut err);
    let run = Run {
        status,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    };
    eprintln!("$ app {}\n{run:?}", args.join(" "));
    run
}

/// The program: `Bundle::new("shop")` in namespace `namespace`, a setting, a database
/// password generated once, and the database's claim.
fn shop(namespace: &str) -> kubeprint::Result<Bundle> {
    let mut app = Bundle::new("shop");
    app.set_namespace(namespace);
    app.add(
        ConfigMapBuilder::builder()
            .name("settings")
            .entry("env", namespace)
            .build(),
    )?;
    app.add(
        SecretBuilder::builder()
            .name("db")
            .generated("password", Generate::alphanumeric())
            .build(),
    )?;
    app.add(
        PersistentVolumeClaimBuilder::builder()
            .name("data")
            .size(Storage::mib(10))
            .build(),
    )?;
    Ok(app)
}

#[test]
fn environments_are_separate_sets_and_prune_stays_in_its_own() {
    // [0] stands for the context's namespace ("default"), [1] dev, [2] prod.
    let ns = Namespaces::new("envs", &["cli", "dev", "prod"]);
    let (cli_ns, dev, prod) = (ns.ns(0), ns.ns(1), ns.ns(2));
    let applied = cli(&["-n", cli_ns, "apply"], || shop(dev));
    assert_eq!(applied.status, 0, "{applied:?}");
    let dev_password = password(dev, "db");

    let prod_run = cli(&["-n", cli_ns, "apply", "--prune"], || shop(prod));
    assert_eq!(prod_run.status, 0, "{prod_run:?}");
    assert!(!prod_run.out.contains("pruned"), "{prod_run:?}");
    // Dev untouched: its objects, and its password.
    assert!(get::<ConfigMap>(dev, "settings").is_some(), "{prod_run:?}");
    assert!(get::<PersistentVolumeClaim>(dev, "data").is_some());
    assert_eq!(password(dev, "db"), dev_password);
    // Each set's parent lives with its bundle, not in the command line's namespace.
    assert!(get::<Secret>(dev, "shop-applyset").is_some());
    assert!(get::<Secret>(prod, "shop-applyset").is_some());
    assert!(get::<Secret>(cli_ns, "shop-applyset").is_none());

    // Another `-n` changes nothing: the set is the bundle's.
    let again = cli(&["-n", prod, "apply", "--prune"], || shop(dev));
    assert_eq!(again.status, 0, "{again:?}");
    assert!(again.out.contains("unchanged"), "{again:?}");
    assert!(!again.out.contains("pruned"), "{again:?}");
    assert!(get::<Secret>(prod, "db").is_some());
}

#[test]
fn a_parent_left_in_the_old_home_is_reported_as_orphaned() {
    let ns = Namespaces::new("orphan", &["cli", "dev"]);
    let (cli_ns, dev) = (ns.ns(0), ns.ns(1));
    // What kubeprint before #12 left behind: the parent in the command line's namespace,
    // listing the bundle's namespace as an additional one.
    let id = kubeprint::apply::applyset_id("shop-applyset", cli_ns, "Secret", "");
    block_on(async {
        let api: Api<Secret> = Api::namespaced(client().await, cli_ns);
        let parent: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "shop-applyset",
                "labels": {"applyset.kubernetes.io/id": id},
                "annotations": {
                    "applyset.kubernetes.io/tooling": "kubeprint/v0.1.0",
                    "applyset.kubernetes.io/contains-group-kinds": "ConfigMap,Secret",
                    "applyset.kubernetes.io/additional-namespaces": dev,
                }
            }
        }))
        .unwrap();
        api.create(&PostParams::default(), &parent)
            .await
            .expect("old parent");
    });
    let applied = cli(&["-n", cli_ns, "apply"], || shop(dev));
    assert_eq!(applied.status, 0, "{applied:?}");
    assert!(
        applied
            .err
            .contains(&format!("secret {cli_ns}/shop-applyset"))
            && applied.err.contains("orphaned"),
        "{applied:?}"
    );
}

#[test]
fn delete_keeps_the_generated_password_of_kept_data() {
    let ns = Namespaces::new("keep", &["app"]);
    let app_ns = ns.ns(0);
    assert_eq!(cli(&["apply"], || shop(app_ns)).status, 0);
    let before = password(app_ns, "db");

    let deleted = cli(&["delete", "--timeout", "1m"], || shop(app_ns));
    assert_eq!(deleted.status, 0, "{deleted:?}");
    assert!(get::<PersistentVolumeClaim>(app_ns, "data").is_some());
    assert!(get::<Secret>(app_ns, "db").is_some(), "{deleted:?}");
    assert!(get::<ConfigMap>(app_ns, "settings").is_none());

    assert_eq!(cli(&["apply"], || shop(app_ns)).status, 0);
    assert_eq!(password(app_ns, "db"), before, "the kept volume's password");

    // Pruning keeps it too while the claim is kept.
    let pruned = cli(&["apply", "--prune"], || {
        let mut b = Bundle::new("shop");
        b.set_namespace(app_ns);
        b.add(ConfigMapBuilder::builder().name("settings").build())?;
        Ok(b)
    });
    assert_eq!(pruned.status, 0, "{pruned:?}");
    assert!(get::<Secret>(app_ns, "db").is_some(), "{pruned:?}");
    assert_eq!(password(app_ns, "db"), before);

    // --delete-data removes both.
    let all = cli(&["delete", "--delete-data", "--timeout", "1m"], || {
        shop(app_ns)
    });
    assert_eq!(all.status, 0, "{all:?}");
    assert!(get::<Secret>(app_ns, "db").is_none(), "{all:?}");
    assert!(
        names::<PersistentVolumeClaim>(app_ns).is_empty()
            || get::<PersistentVolumeClaim>(app_ns, "data")
                .is_some_and(|c| c.metadata.deletion_timestamp.is_some()),
        "{all:?}"
    );
}

#[test]
fn one_seed_renders_byte_identical_yaml_and_keeps_values_through_kubectl() {
    let ns = Namespaces::new("seed", &["app"]);
    let app_ns = ns.ns(0);
    let dir = std::env::temp_dir().join(format!("kp-lc-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed");
    std::fs::write(&seed, "a seed only the operator holds\n").unwrap();
    let other = dir.join("other");
    std::fs::write(&other, "another seed\n").unwrap();
    let seed_s = seed.display().to_string();
    let other_s = other.display().to_string();

    let one = cli(&["render", "--seed-file", &seed_s], || shop(app_ns));
    let two = cli(&["render", "--seed-file", &seed_s], || shop(app_ns));
    let three = cli(&["render", "--seed-file", &other_s], || shop(app_ns));
    assert_eq!(one.status, 0, "{one:?}");
    assert_eq!(one.out, two.out, "one seed, one rendering");
    assert_ne!(one.out, three.out, "another seed, other values");
    assert!(
        !one.out.contains("a seed only"),
        "the seed is never printed"
    );
    assert!(!one.err.contains("change on every render"), "{one:?}");
    let unseeded = cli(&["render"], || shop(app_ns));
    assert!(
        unseeded.err.contains("change on every render") && unseeded.err.contains("--seed-file"),
        "{unseeded:?}"
    );

    // render | kubectl apply -f -, then kubeprint apply: the value stays.
    let file = dir.join("rendered.yaml");
    std::fs::write(&file, &one.out).unwrap();
    let kubectl = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig())
        .args(["apply", "-f"])
        .arg(&file)
        .output()
        .expect("kubectl");
    assert!(kubectl.status.success(), "{kubectl:?}");
    let rendered = password(app_ns, "db");
    let applied = cli(&["apply"], || shop(app_ns));
    assert_eq!(applied.status, 0, "{applied:?}");
    assert_eq!(password(app_ns, "db"), rendered);
    // A re-render with the seed still matches the live value.
    let four = cli(&["render", "--seed-file", &seed_s], || shop(app_ns));
    assert_eq!(four.out, one.out);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn status_and_diff_exit_codes_tell_the_truth() {
    let ns = Namespaces::new("codes", &["app"]);
    let app_ns = ns.ns(0);
    let settings = |value: &str, extra: bool| {
        let mut b = Bundle::new("codes");
        b.set_namespace(app_ns);
        b.add(
            ConfigMapBuilder::builder()
                .name("settings")
                .entry("env", value)
                .build(),
        )?;
        if extra {
            b.add(ConfigMapBuilder::builder().name("extra").build())?;
        }
        Ok(b)
    };
    assert_eq!(cli(&["apply"], || settings("one", true)).status, 0);
    let in_sync = cli(&["status"], || settings("one", true));
    assert_eq!(in_sync.status, 0, "{in_sync:?}");

    // Drift: the program wants another setting than the cluster has.
    let status = cli(&["status"], || settings("two", false));
    assert_eq!(status.status, 1, "{status:?}");
    assert!(status.out.contains("differs"), "{status:?}");

    // diff without --prune says what a prune would remove; with it, shows it.
    let diff = cli(&["diff"], || settings("two", false));
    assert_eq!(diff.status, 1, "{diff:?}");
    assert!(
        diff.out
            .contains("1 object(s) would be pruned by apply --prune"),
        "{diff:?}"
    );
    assert!(!diff.out.contains("prune configmap/extra"), "{diff:?}");
    let pruning = cli(&["diff", "--prune"], || settings("two", false));
    assert!(pruning.out.contains("prune configmap/extra"), "{pruning:?}");
    assert!(!pruning.out.contains("would be pruned"), "{pruning:?}");
}

fn scaled_web(replicas: Option<i32>) -> kubeprint::Result<Bundle> {
    let template = PodTemplate::builder()
        .selector_label("app", "web")
        .security(PodSecurity::restricted().run_as_user(65534))
        .container(
            Container::builder()
                .name("web")
                .image("registry.k8s.io/pause:3.10")
                .resources(Resources::new().requests(Cpu::millis(100), Memory::mib(32)))
                .build(),
        )
        .build();
    let web = match replicas {
        Some(n) => Deployment::builder()
            .name("web")
            .replicas(n)
            .template(template)
            .build(),
        None => Deployment::builder().name("web").template(template).build(),
    };
    let hpa = HorizontalPodAutoscaler::builder()
        .name("web")
        .target(&web)
        .min_replicas(1)
        .max_replicas(3)
        .cpu_utilization(80)
        .build();
    Bundle::new("web").with(web)?.with(hpa)
}

#[test]
fn an_autoscaled_workload_leaves_replicas_alone_and_status_shows_the_autoscaler() {
    let ns = Namespaces::new("hpa", &["app"]);
    let app_ns = ns.ns(0);
    // Offline: a fixed replicas next to an autoscaler is refused before anything is sent.
    let refused = cli(&["-n", app_ns, "apply"], || scaled_web(Some(3)));
    assert_eq!(refused.status, 1, "{refused:?}");
    assert!(
        refused.err.contains("spec.replicas") && refused.err.contains("HorizontalPodAutoscaler"),
        "{refused:?}"
    );
    assert!(get::<k8s_openapi::api::apps::v1::Deployment>(app_ns, "web").is_none());

    let applied = cli(&["-n", app_ns, "apply"], || scaled_web(None));
    assert_eq!(applied.status, 0, "{applied:?}");
    // This control plane has no metrics server: the autoscaler can scale its target but not
    // compute a scale, and status says so from its conditions (the controller reconciles every
    // 15 s).
    let started = Instant::now();
    loop {
        let status = cli(&["-n", app_ns, "status", "--timeout", "5s"], || {
            scaled_web(None)
        });
        let row = status
            .out
            .lines()
            .find(|l| l.starts_with("horizontalpodautoscaler.autoscaling/web"))
            .unwrap_or_default()
            .to_owned();
        if row.contains("ScalingActive is False") {
            assert_eq!(status.status, 1, "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the autoscaler never reported ScalingActive: {status:?}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

#[test]
fn a_multi_namespace_set_is_never_rehomed_and_prunes_only_its_namespaces() {
    let ns = Namespaces::new("multi", &["a", "b"]);
    let (a, b) = (ns.ns(0).to_owned(), ns.ns(1).to_owned());
    let app = |namespaces: &[&str]| {
        let mut bundle = Bundle::new("multi");
        for n in namespaces {
            bundle.add(
                ConfigMapBuilder::builder()
                    .name("settings")
                    .namespace(*n)
                    .build(),
            )?;
        }
        Ok(bundle)
    };
    let first = cli(&["-n", &a, "apply"], || app(&[&a, &b]));
    assert_eq!(first.status, 0, "{first:?}");
    assert!(get::<Secret>(&a, "multi-applyset").is_some());

    // Another -n would start a second set: refused, naming where the set lives.
    let moved = cli(&["-n", &b, "apply"], || app(&[&a, &b]));
    assert_eq!(moved.status, 1, "{moved:?}");
    assert!(
        moved.err.contains(&format!("{a}/multi-applyset")) && moved.err.contains("use namespace"),
        "{moved:?}"
    );
    assert!(get::<Secret>(&b, "multi-applyset").is_none());
    // ... unless the set's home is named explicitly.
    let explicit = cli(&["-n", &b, "--applyset-namespace", &a, "apply"], || {
        app(&[&a, &b])
    });
    assert_eq!(explicit.status, 0, "{explicit:?}");
    assert!(explicit.out.contains("unchanged"), "{explicit:?}");

    // The program leaves namespace b: prune keeps b's member unless asked.
    let pruned = cli(&["-n", &a, "apply", "--prune"], || app(&[&a]));
    assert_eq!(pruned.status, 0, "{pruned:?}");
    assert!(get::<ConfigMap>(&b, "settings").is_some(), "{pruned:?}");
    assert!(pruned.out.contains("kept"), "{pruned:?}");
    let all = cli(
        &["-n", &a, "apply", "--prune", "--prune-other-namespaces"],
        || app(&[&a]),
    );
    assert_eq!(all.status, 0, "{all:?}");
    assert!(get::<ConfigMap>(&b, "settings").is_none(), "{all:?}");
    assert!(get::<ConfigMap>(&a, "settings").is_some());
}
