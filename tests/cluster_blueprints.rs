//! The blueprints on the local control plane (`KUBEPRINT_TEST_KUBECONFIG`; fails without it,
//! never skips): each is applied whole into a namespace enforcing Pod Security *restricted*,
//! every workload becomes ready on the simulated (kwok) nodes, and a second apply of a freshly
//! built bundle — with new random values for every generated key — changes nothing and keeps
//! every generated password.
//!
//! kwok simulates pods: containers do not run, so the blueprints' scripts and probes are not
//! executed here (see `tests/scripts/` for the harnesses that run them against real servers).
//! What is proven here: the apiserver accepts every object (schema, defaulting, validation,
//! Pod Security admission of every pod), the controllers create every pod and claim, and the
//! apply client's readiness and generate-once handling work on these bundles.
#![cfg(feature = "client")]

mod apply_support;

use apply_support::TestNs;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::{Api, ListParams};
use kubeprint::apply::Outcome;
use kubeprint::blueprint::{
    Blueprint, Client, Dashboard, Ghost, IngressController, MongoDb, MySql, Parse, Persistence,
    PublicIngress, Redis, Sentinel,
};
use kubeprint::bundle::Bundle;
use std::collections::BTreeMap;
use std::time::Duration;

/// A namespace enforcing Pod Security *restricted* (also warn and audit).
async fn restricted_namespace(test: &str) -> TestNs {
    TestNs::restricted(test).await
}

/// Every key of every Secret the bundle generates, as the cluster holds it now.
async fn generated_values(ns: &TestNs, bundle: &Bundle) -> BTreeMap<(String, String), Vec<u8>> {
    let api: Api<Secret> = ns.api();
    let mut values = BTreeMap::new();
    for o in bundle.objects().iter().filter(|o| o.kind() == "Secret") {
        let keys = o.generate_once_keys();
        assert!(!keys.is_empty(), "secret {} generates nothing", o.name());
        let live = api
            .get(o.name())
            .await
            .unwrap_or_else(|e| panic!("secret {}: {e}", o.name()));
        let data = live.data.unwrap_or_default();
        for key in keys {
            let value = data
                .get(&key)
                .unwrap_or_else(|| panic!("secret {} has no key {key}", o.name()));
            assert!(
                !value.0.is_empty(),
                "secret {} key {key} is empty",
                o.name()
            );
            values.insert((o.name().to_owned(), key), value.0.clone());
        }
    }
    values
}

/// Checks that every workload of the bundle has all its pods ready, and that every pod exists
/// (Pod Security admission let it in).
async fn assert_all_ready(ns: &TestNs, bundle: &Bundle) {
    let mut expected_pods = 0;
    for o in bundle.objects() {
        match o.kind() {
            "StatefulSet" => {
                let live = ns
                    .api::<StatefulSet>()
                    .get(o.name())
                    .await
                    .expect("statefulset");
                let want = live.spec.replicas.unwrap_or(1);
                let ready = live
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0);
                assert_eq!(ready, want, "statefulset {} ready replicas", o.name());
                expected_pods += want;
            }
            "Deployment" => {
                let live = ns
                    .api::<Deployment>()
                    .get(o.name())
                    .await
                    .expect("deployment");
                let want = live.spec.replicas.unwrap_or(1);
                let ready = live
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0);
                assert_eq!(ready, want, "deployment {} ready replicas", o.name());
                expected_pods += want;
            }
            _ => {}
        }
    }
    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default())
        .await
        .expect("pods");
    let ready = pods
        .items
        .iter()
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count();
    assert_eq!(
        ready,
        usize::try_from(expected_pods).unwrap_or_default(),
        "ready pods in {}",
        ns.name
    );
}

/// Applies the blueprint, checks readiness, applies a fresh build again and checks that nothing
/// changed, generated values included.
async fn apply_twice(test: &str, blueprint: &impl Blueprint) {
    let ns = restricted_namespace(test).await;
    apply_twice_in(&ns, test, blueprint).await;
}

async fn apply_twice_in(ns: &TestNs, test: &str, blueprint: &impl Blueprint) {
    let applier = ns
        .applier()
        .await
        .timeout(Duration::from_secs(300))
        .object_timeout(Duration::from_secs(240));
    let first = blueprint.bundle().expect("bundle");
    let report = applier
        .apply(&first)
        .await
        .unwrap_or_else(|e| panic!("{test}: first apply: {e}"));
    assert!(
        report.objects.iter().all(|a| a.outcome == Outcome::Created),
        "{test}: {:?}",
        report.objects
    );
    assert_all_ready(ns, &first).await;
    let before = generated_values(ns, &first).await;

    // A new build has new random values; the cluster keeps the first ones, and since the
    // checksums leave generated values out, not even a pod template changes.
    let second = blueprint.bundle().expect("bundle");
    assert_ne!(
        format!("{:?}", secret_bytes(&first)),
        format!("{:?}", secret_bytes(&second))
    );
    let report = applier
        .apply(&second)
        .await
        .unwrap_or_else(|e| panic!("{test}: second apply: {e}"));
    let changed: Vec<_> = report
        .objects
        .iter()
        .filter(|a| a.outcome != Outcome::Unchanged)
        .collect();
    assert!(
        changed.is_empty(),
        "{test}: the second apply changed {changed:?}"
    );
    let after = generated_values(ns, &second).await;
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (key, value) in &before {
        assert!(
            after.get(key) == Some(value),
            "{test}: generated value {key:?} changed on the second apply"
        );
    }
    assert_all_ready(ns, &second).await;
}

/// The generated bytes of a bundle (to show two builds differ).
fn secret_bytes(bundle: &Bundle) -> Vec<Vec<u8>> {
    bundle
        .objects()
        .iter()
        .filter_map(|o| match o {
            kubeprint::Object::Secret(s) => Some(
                s.data
                    .iter()
                    .flatten()
                    .map(|(_, v)| v.0.clone())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

fn small() -> Persistence {
    Persistence::of("1Gi")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_blueprint() {
    // With backups: the CronJob and its claim are accepted too.
    apply_twice(
        "bp-mysql",
        &MySql::builder()
            .name("db")
            .storage(small())
            .backup(
                kubeprint::blueprint::Backup::builder()
                    .storage(small())
                    .build(),
            )
            .build(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_standalone_blueprint() {
    // With the metrics exporter sidecar: admitted under Pod Security restricted too.
    apply_twice(
        "bp-redis",
        &Redis::builder()
            .name("cache")
            .storage(small())
            .metrics(
                kubeprint::blueprint::Metrics::builder()
                    .scraper(Client::namespace("monitoring"))
                    .build(),
            )
            .build(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_sentinel_blueprint() {
    let redis = Redis::builder()
        .name("sessions")
        .sentinel(Sentinel::default())
        .storage(small())
        .build();
    apply_twice("bp-redis-sentinel", &redis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongodb_blueprint() {
    apply_twice(
        "bp-mongodb",
        &MongoDb::builder().name("mongo").storage(small()).build(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ghost_blueprint() {
    let ghost = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .database(
            MySql::builder()
                .name("blog-db")
                .database("ghost")
                .user("ghost")
                .storage(small())
                .build(),
        )
        .storage(small())
        .build();
    apply_twice("bp-ghost", &ghost).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_blueprint() {
    let parse = Parse::builder()
        .name("api")
        .app_id("bp-test")
        .database(
            MongoDb::builder()
                .name("api-db")
                .database("parse")
                .user("parse")
                .storage(small())
                .build(),
        )
        .dashboard(Dashboard::default())
        .build();
    apply_twice("bp-parse", &parse).await;
}

/// Parse behind an Ingress: the apiserver takes the Ingress, and the live NetworkPolicy admits
/// the declared client and the ingress controller's pods on port 1337 (kwok does not enforce
/// NetworkPolicy: what is proven is the policy as the cluster stores it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_behind_an_ingress() {
    let parse = Parse::builder()
        .name("api")
        .app_id("bp-test")
        .public_url("https://api.example.com/parse")
        .ingress(
            PublicIngress::builder()
                .controller(IngressController::namespace("ingress-nginx").pods(
                    kubeprint::Labels::from([("app.kubernetes.io/name", "ingress-nginx")]),
                ))
                .build(),
        )
        .client(Client::external_pods(kubeprint::Labels::from([(
            "app", "web",
        )])))
        .database(
            MongoDb::builder()
                .name("api-db")
                .database("parse")
                .user("parse")
                .replicas(1)
                .storage(small())
                .build(),
        )
        .build();
    let bundle = parse.bundle().expect("bundle");
    bundle.check().expect("bundle check");
    let ns = restricted_namespace("bp-parse-ingress").await;
    let applier = ns
        .applier()
        .await
        .timeout(Duration::from_secs(300))
        .object_timeout(Duration::from_secs(240));
    applier.apply(&bundle).await.expect("apply");
    assert_all_ready(&ns, &bundle).await;

    let ingress = ns.api::<Ingress>().get("api").await.expect("ingress");
    let rule = &ingress.spec.unwrap().rules.unwrap()[0];
    assert_eq!(rule.host.as_deref(), Some("api.example.com"));
    let path = &rule.http.as_ref().unwrap().paths[0];
    assert_eq!(path.path.as_deref(), Some("/parse"));
    let backend = path.backend.service.as_ref().unwrap();
    assert_eq!(backend.name, "api");
    assert_eq!(backend.port.as_ref().unwrap().name.as_deref(), Some("http"));

    let policy = ns.api::<NetworkPolicy>().get("api").await.expect("policy");
    let rules = policy.spec.unwrap().ingress.unwrap();
    let peers: Vec<String> = rules
        .iter()
        .map(|r| serde_json::to_string(r.from.as_ref().unwrap()).unwrap())
        .collect();
    assert_eq!(
        peers,
        [
            r#"[{"podSelector":{"matchLabels":{"app":"web"}}}]"#,
            r#"[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}},"podSelector":{"matchLabels":{"app.kubernetes.io/name":"ingress-nginx"}}}]"#,
        ]
    );
    for r in &rules {
        let ports: Vec<_> = r.ports.iter().flatten().map(|p| p.port.clone()).collect();
        assert_eq!(
            ports,
            [Some(
                k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1337)
            )]
        );
    }
}

/// The nodes the pods of the bundle's workload `name` run on (pod name → node), and the pods
/// the scheduler has not placed.
async fn placement(ns: &TestNs, name: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels(&format!("app.kubernetes.io/instance={name}")))
        .await
        .expect("pods");
    let mut placed = BTreeMap::new();
    let mut pending = Vec::new();
    for p in pods {
        let pod = p.metadata.name.clone().unwrap_or_default();
        match p.spec.and_then(|s| s.node_name) {
            Some(node) => {
                placed.insert(pod, node);
            }
            None => pending.push(pod),
        }
    }
    (placed, pending)
}

/// The real scheduler of the local control plane places the pods (on the three kwok nodes):
/// `Spread::Hard` puts three MongoDB members on three nodes and leaves a fourth Redis pod
/// unschedulable; the default `Spread::Soft` schedules a fourth pod anyway, every node used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_spread_over_nodes() {
    use kubeprint::apply::Wait;
    use kubeprint::blueprint::Spread;
    let ns = restricted_namespace("bp-spread").await;
    let applier = ns
        .applier()
        .await
        .timeout(Duration::from_secs(300))
        .object_timeout(Duration::from_secs(240));
    let nodes: std::collections::BTreeSet<String> =
        Api::<k8s_openapi::api::core::v1::Node>::all(apply_support::client().await)
            .list(&ListParams::default())
            .await
            .expect("nodes")
            .into_iter()
            // The nodes this namespace's pods may land on: not the tainted real node, whose
            // pods only namespaces that opt in get (tools/cluster/README.md).
            .filter(|n| {
                !n.spec
                    .as_ref()
                    .and_then(|s| s.taints.as_ref())
                    .is_some_and(|t| t.iter().any(|t| t.effect == "NoSchedule"))
            })
            .filter_map(|n| n.metadata.name)
            .collect();
    assert_eq!(
        nodes.len(),
        3,
        "the test expects three schedulable nodes: {nodes:?}"
    );

    let mongo = MongoDb::builder()
        .name("hard")
        .spread(Spread::Hard)
        .storage(small())
        .build();
    applier
        .apply(&mongo.bundle().unwrap())
        .await
        .expect("apply");
    let (placed, pending) = placement(&ns, "hard").await;
    assert!(pending.is_empty(), "{pending:?}");
    let used: std::collections::BTreeSet<_> = placed.values().cloned().collect();
    assert_eq!(used.len(), 3, "one member per node: {placed:?}");

    let soft = Redis::builder()
        .name("soft")
        .sentinel(Sentinel::builder().replicas(4).build())
        .storage(small())
        .build();
    applier.apply(&soft.bundle().unwrap()).await.expect("apply");
    let (placed, pending) = placement(&ns, "soft").await;
    assert!(
        pending.is_empty(),
        "soft spread schedules anyway: {pending:?}"
    );
    let used: std::collections::BTreeSet<_> = placed.values().cloned().collect();
    assert_eq!(placed.len(), 4);
    assert_eq!(used, nodes, "soft spread still uses every node: {placed:?}");

    let hard = Redis::builder()
        .name("strict")
        .sentinel(Sentinel::builder().replicas(4).build())
        .spread(Spread::Hard)
        .storage(small())
        .build();
    applier
        .clone()
        .wait(Wait::None)
        .apply(&hard.bundle().unwrap())
        .await
        .expect("apply");
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        let (placed, pending) = placement(&ns, "strict").await;
        if placed.len() == 3 && pending.len() == 1 {
            let used: std::collections::BTreeSet<_> = placed.values().cloned().collect();
            assert_eq!(used.len(), 3, "{placed:?}");
            // Still unschedulable a while later: the scheduler refuses, not just lags.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let pod = ns.api::<Pod>().get(&pending[0]).await.expect("pod");
            let scheduled = pod
                .status
                .and_then(|s| s.conditions)
                .into_iter()
                .flatten()
                .find(|c| c.type_ == "PodScheduled")
                .expect("PodScheduled condition");
            assert_eq!(scheduled.status, "False");
            assert_eq!(scheduled.reason.as_deref(), Some("Unschedulable"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "strict: placed {placed:?}, pending {pending:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// A `kubernetes.io/tls` Secret as cert-manager writes it (the apiserver checks the keys, not
/// the PEM; nothing here runs a server).
async fn tls_secret(ns: &TestNs, name: &str) {
    use k8s_openapi::ByteString;
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".to_owned()),
        data: Some(BTreeMap::from([
            ("tls.crt".to_owned(), ByteString(b"cert".to_vec())),
            ("tls.key".to_owned(), ByteString(b"key".to_vec())),
            ("ca.crt".to_owned(), ByteString(b"ca".to_vec())),
        ])),
        ..Default::default()
    };
    ns.api::<Secret>()
        .create(&kube::api::PostParams::default(), &secret)
        .await
        .unwrap_or_else(|e| panic!("secret {name}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_options_are_admitted() {
    // Backups, exporters with their accounts' Secret keys, TLS and single-replica budgets:
    // accepted by the apiserver under Pod Security restricted, ready, and stable on re-apply.
    use k8s_openapi::api::policy::v1::PodDisruptionBudget;
    use kubeprint::blueprint::{Backup, Eviction, Metrics, Tls};
    let metrics = || {
        Metrics::builder()
            .scraper(Client::namespace("monitoring"))
            .build()
    };
    let tls = |secret: &str| Tls::builder().secret(secret).ca_key("ca.crt").build();
    // One namespace each: the readiness check counts every pod of its namespace.
    let ns = restricted_namespace("bp-ops-mysql").await;
    tls_secret(&ns, "db-tls").await;
    apply_twice_in(
        &ns,
        "bp-ops-mysql",
        &MySql::builder()
            .name("db")
            .storage(small())
            .eviction(Eviction::Block)
            .backup(Backup::builder().storage(small()).build())
            .metrics(metrics())
            .tls(tls("db-tls"))
            .build(),
    )
    .await;
    let redis_ns = restricted_namespace("bp-ops-redis").await;
    tls_secret(&redis_ns, "cache-tls").await;
    apply_twice_in(
        &redis_ns,
        "bp-ops-redis",
        &Redis::builder()
            .name("cache")
            .storage(small())
            .eviction(Eviction::Block)
            .backup(Backup::builder().storage(small()).build())
            .metrics(metrics())
            .tls(tls("cache-tls"))
            .build(),
    )
    .await;
    let mongo_ns = restricted_namespace("bp-ops-mongodb").await;
    tls_secret(&mongo_ns, "mongo-tls").await;
    apply_twice_in(
        &mongo_ns,
        "bp-ops-mongodb",
        &MongoDb::builder()
            .name("mongo")
            .replicas(1)
            .storage(small())
            .backup(Backup::builder().storage(small()).build())
            .metrics(metrics())
            .tls(tls("mongo-tls"))
            .build(),
    )
    .await;
    let pdb = ns
        .api::<PodDisruptionBudget>()
        .get("db")
        .await
        .expect("pdb");
    let spec = pdb.spec.expect("spec");
    assert_eq!(
        spec.max_unavailable,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(0))
    );
    assert_eq!(
        spec.unhealthy_pod_eviction_policy.as_deref(),
        Some("AlwaysAllow")
    );
    // The apiserver computes the budget: a ready pod may not be evicted.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let status = ns
            .api::<PodDisruptionBudget>()
            .get("db")
            .await
            .expect("pdb")
            .status
            .unwrap_or_default();
        if status.current_healthy == Some(1) {
            assert_eq!(status.disruptions_allowed, Some(0));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pdb status: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
