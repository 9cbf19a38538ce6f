//! No-op re-apply without a request per object, against the real local control plane
//! (tools/cluster): a re-apply that changes nothing sends no PATCH at all (counted at the
//! client, under the `kube` client's service), and every kind of change is still sent — our
//! field changed by us, a field we set changed by another manager (server-side apply with
//! force, and an update), a field we stopped setting, labels and annotations, an object deleted
//! or unlabelled out of band, stripped managedFields — while quantities the apiserver rewrites
//! (`1000m` → `1`) still prove unchanged, exactly where the apiserver's canonical form is the
//! client's. Needs `KUBEPRINT_TEST_KUBECONFIG`; fails (never skips) without it.
#![cfg(feature = "client")]

mod apply_support;

use apply_support::TestNs;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, ResourceQuota, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kubeprint::apply::{Applier, Error, Event, Outcome, Report};
use kubeprint::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::ServiceExt as _;

/// Every request the applier sends: method and path (with query).
type Log = Arc<Mutex<Vec<(http::Method, String)>>>;

/// An applier whose requests are recorded on their way to the apiserver.
async fn counted(ns: &TestNs) -> (Applier, Log) {
    let real = apply_support::client().await;
    let log: Log = Arc::default();
    let seen = log.clone();
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let real = real.clone();
        let path = req
            .uri()
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default();
        seen.lock().unwrap().push((req.method().clone(), path));
        async move { real.send(req).await }
    });
    let client = kube::Client::new(svc.boxed(), ns.name.clone());
    let applier = Applier::new(client)
        .namespace(&ns.name)
        .timeout(std::time::Duration::from_secs(120))
        .object_timeout(std::time::Duration::from_secs(90));
    (applier, log)
}

fn take(log: &Log) -> Vec<(http::Method, String)> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn patches(requests: &[(http::Method, String)]) -> Vec<String> {
    requests
        .iter()
        .filter(|(m, _)| m == http::Method::PATCH)
        .map(|(_, p)| p.split('?').next().unwrap_or_default().to_owned())
        .collect()
}

/// GETs of single objects (not lists; the ApplySet parent is one).
fn gets(requests: &[(http::Method, String)]) -> Vec<String> {
    requests
        .iter()
        .filter(|(m, p)| m == http::Method::GET && !p.contains("labelSelector"))
        .map(|(_, p)| p.clone())
        .collect()
}

fn json_of(o: impl serde::Serialize) -> Value {
    serde_json::to_value(o).unwrap()
}

fn from_json<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

#[derive(Clone)]
struct Spec {
    data: Vec<(&'static str, &'static str)>,
    image: &'static str,
    env: Vec<(&'static str, &'static str)>,
    cpu: &'static str,
    memory: &'static str,
    annotation: Option<&'static str>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            data: vec![("a", "1"), ("b", "2")],
            image: "registry.example/web:1",
            env: vec![("MODE", "fast"), ("LEVEL", "info")],
            // Written as the apiserver does not store them.
            cpu: "1000m",
            memory: "1024Mi",
            annotation: None,
        }
    }
}

fn bundle(spec: &Spec) -> Bundle {
    let mut b = Bundle::new("noop");
    let data: serde_json::Map<String, Value> = spec
        .data
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let mut cm_meta = json!({"name": "settings", "labels": {"app": "web"}});
    if let Some(a) = spec.annotation {
        cm_meta["annotations"] = json!({"example.com/note": a});
    }
    b.add(from_json::<ConfigMap>(json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": cm_meta, "data": data
    })))
    .unwrap();
    b.add(from_json::<Secret>(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"},
        "stringData": {"token": "s3cr3t-value"}
    })))
    .unwrap();
    let env: Vec<Value> = spec
        .env
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect();
    b.add(from_json::<Deployment>(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web", "image": spec.image, "env": env,
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "resources": {"limits": {"cpu": spec.cpu, "memory": spec.memory}}
                }]}
            }
        }
    })))
    .unwrap();
    // No protocol: the key of the port in managedFields has the server's default, TCP.
    b.add(from_json::<k8s_openapi::api::core::v1::Service>(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    })))
    .unwrap();
    b
}

fn skipped(report: &Report, kind: &str, name: &str) -> bool {
    report
        .objects
        .iter()
        .find(|o| o.object.kind == kind && o.object.name == name)
        .unwrap_or_else(|| panic!("{kind} {name} not in {report:?}"))
        .skipped
}

/// The bundle applied once; the next apply is counted from a clean log.
async fn applied(ns: &TestNs, spec: &Spec) -> (Applier, Log) {
    let (applier, log) = counted(ns).await;
    let first = applier.apply(&bundle(spec)).await.unwrap();
    assert_eq!(first.count(Outcome::Created), 4, "{first:?}");
    assert_eq!(first.skipped(), 0);
    take(&log);
    (applier, log)
}

#[tokio::test]
async fn a_true_noop_sends_no_patch_and_no_get_per_object() {
    let ns = TestNs::new("noop-true").await;
    let spec = Spec::default();
    let (applier, log) = applied(&ns, &spec).await;
    // The apiserver rewrote the quantities.
    let d = json_of(ns.api::<Deployment>().get("web").await.unwrap());
    let limits = &d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"];
    assert_eq!(limits, &json!({"cpu": "1", "memory": "1Gi"}));

    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    let applier = applier.on_event(move |e: &Event| e2.lock().unwrap().push(e.clone()));
    let again = applier.apply(&bundle(&spec)).await.unwrap();
    let requests = take(&log);
    println!("{requests:#?}");
    assert!(patches(&requests).is_empty(), "{requests:#?}");
    assert!(gets(&requests).len() <= 1, "only the parent: {requests:#?}");
    assert_eq!(again.count(Outcome::Unchanged), 4, "{again:?}");
    assert_eq!(again.skipped(), 4, "{again:?}");
    assert!(!again.changed());
    {
        let events = events.lock().unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::Skipped { .. }))
                .count(),
            4
        );
        assert!(!events.iter().any(|e| matches!(e, Event::Applying { .. })));
        assert!(
            events
                .iter()
                .any(|e| e.to_string().ends_with("unchanged (skipped)"))
        );
    }

    // The old path on request: one PATCH per object, the same outcomes.
    let forced = applier
        .clone()
        .force_apply(true)
        .apply(&bundle(&spec))
        .await
        .unwrap();
    let requests = take(&log);
    assert_eq!(patches(&requests).len(), 4, "{requests:#?}");
    assert_eq!(forced.count(Outcome::Unchanged), 4, "{forced:?}");
    assert_eq!(forced.skipped(), 0);
}

#[tokio::test]
async fn our_own_changes_are_sent() {
    let ns = TestNs::new("noop-ours").await;
    let (applier, log) = applied(&ns, &Spec::default()).await;
    let changed = Spec {
        data: vec![("a", "1"), ("b", "3")],
        image: "registry.example/web:2",
        ..Spec::default()
    };
    let report = applier.apply(&bundle(&changed)).await.unwrap();
    let sent = patches(&take(&log));
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        report.outcome("ConfigMap", "settings"),
        Some(Outcome::Configured)
    );
    assert_eq!(
        report.outcome("Deployment", "web"),
        Some(Outcome::Configured)
    );
    assert!(skipped(&report, "Secret", "token") && skipped(&report, "Service", "web"));
    let cm: ConfigMap = ns.api().get("settings").await.unwrap();
    assert_eq!(json_of(cm)["data"]["b"], "3");

    // A quantity changed to another value is a change, however it is written.
    let cpu = Spec {
        cpu: "1500m",
        ..changed.clone()
    };
    let report = applier.apply(&bundle(&cpu)).await.unwrap();
    assert_eq!(patches(&take(&log)).len(), 1);
    assert_eq!(
        report.outcome("Deployment", "web"),
        Some(Outcome::Configured)
    );
    // And one written differently for the same value is not.
    let same_cpu = Spec {
        cpu: "1.5",
        ..changed
    };
    let report = applier.apply(&bundle(&same_cpu)).await.unwrap();
    assert!(patches(&take(&log)).is_empty());
    assert_eq!(report.skipped(), 4, "{report:?}");
}

#[tokio::test]
async fn a_field_another_manager_took_with_force_is_sent() {
    let ns = TestNs::new("noop-forced").await;
    let spec = Spec::default();
    let (applier, log) = applied(&ns, &spec).await;
    // kubectl apply --server-side --force-conflicts by another manager, same field, new value.
    let api: Api<ConfigMap> = ns.api();
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                        "data": {"b": "theirs"}});
    api.patch(
        "settings",
        &PatchParams::apply("kubectl").force(),
        &Patch::Apply(&theirs),
    )
    .await
    .unwrap();
    // Not skipped: the request is sent, and the server refuses it as the old path would.
    let err = applier.apply(&bundle(&spec)).await.unwrap_err();
    assert!(matches!(&err, Error::Conflict { .. }), "{err}");
    assert!(
        patches(&take(&log))
            .iter()
            .any(|p| p.ends_with("/configmaps/settings"))
    );
    // Taken back with force: the bundle's value again.
    let report = applier
        .clone()
        .force(true)
        .apply(&bundle(&spec))
        .await
        .unwrap();
    assert_eq!(
        report.outcome("ConfigMap", "settings"),
        Some(Outcome::Configured)
    );
    assert_eq!(
        json_of(api.get("settings").await.unwrap())["data"]["b"],
        "2"
    );

    // Another manager setting the same value shares the field: nothing to do.
    api.patch(
        "settings",
        &PatchParams::apply("kubectl").force(),
        &Patch::Apply(&json!({"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "settings"}, "data": {"b": "2"}})),
    )
    .await
    .unwrap();
    take(&log);
    let report = applier.apply(&bundle(&spec)).await.unwrap();
    assert!(patches(&take(&log)).is_empty(), "{report:?}");
    assert_eq!(report.skipped(), 4);
}

#[tokio::test]
async fn a_field_another_manager_updated_is_sent() {
    let ns = TestNs::new("noop-updated").await;
    let spec = Spec::default();
    let (applier, log) = applied(&ns, &spec).await;
    let deployments: Api<Deployment> = ns.api();
    // A PUT (update) by another manager of a field we set: the image.
    let mut d = json_of(deployments.get("web").await.unwrap());
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("registry.example/web:edited");
    d["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let d: Deployment = from_json(d);
    let pp = PostParams {
        field_manager: Some("kubectl-edit".into()),
        ..Default::default()
    };
    deployments.replace("web", &pp, &d).await.unwrap();
    let err = applier.apply(&bundle(&spec)).await.unwrap_err();
    assert!(matches!(&err, Error::Conflict { .. }), "{err}");
    assert!(
        patches(&take(&log))
            .iter()
            .any(|p| p.ends_with("/deployments/web"))
    );
    // A merge patch (an update too) of a label we set, on the Service.
    let applier = applier.force(true);
    applier.apply(&bundle(&spec)).await.unwrap();
    let services: Api<k8s_openapi::api::core::v1::Service> = ns.api();
    services
        .patch(
            "web",
            &PatchParams {
                field_manager: Some("kubectl-label".into()),
                ..Default::default()
            },
            &Patch::Merge(json!({"spec": {"selector": {"app": "other"}}})),
        )
        .await
        .unwrap();
    take(&log);
    let report = applier.apply(&bundle(&spec)).await.unwrap();
    assert!(!skipped(&report, "Service", "web"), "{report:?}");
    assert_eq!(report.outcome("Service", "web"), Some(Outcome::Configured));
    assert_eq!(
        json_of(services.get("web").await.unwrap())["spec"]["selector"],
        json!({"app": "web"})
    );
    assert_eq!(patches(&take(&log)).len(), 1);

    // A field nobody of the bundle sets, written by another manager: still nothing to do.
    deployments
        .patch(
            "web",
            &PatchParams {
                field_manager: Some("kubectl-annotate".into()),
                ..Default::default()
            },
            &Patch::Merge(json!({"metadata": {"annotations": {"example.com/owner": "ops"}}})),
        )
        .await
        .unwrap();
    let report = applier.apply(&bundle(&spec)).await.unwrap();
    assert!(patches(&take(&log)).is_empty(), "{report:?}");
    assert_eq!(report.skipped(), 4);
}

#[tokio::test]
async fn a_field_we_stopped_setting_is_sent() {
    let ns = TestNs::new("noop-dropped").await;
    let (applier, log) = applied(&ns, &Spec::default()).await;
    let fewer = Spec {
        data: vec![("a", "1")],
        env: vec![("MODE", "fast")],
        ..Spec::default()
    };
    let report = applier.apply(&bundle(&fewer)).await.unwrap();
    assert_eq!(patches(&take(&log)).len(), 2, "{report:?}");
    assert_eq!(
        report.outcome("ConfigMap", "settings"),
        Some(Outcome::Configured)
    );
    assert_eq!(
        report.outcome("Deployment", "web"),
        Some(Outcome::Configured)
    );
    let cm: ConfigMap = ns.api().get("settings").await.unwrap();
    assert_eq!(
        json_of(cm)["data"],
        json!({"a": "1"}),
        "b removed by the apply"
    );
    let d = json_of(ns.api::<Deployment>().get("web").await.unwrap());
    let env = &d["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env, &json!([{"name": "MODE", "value": "fast"}]));
}

#[tokio::test]
async fn labels_annotations_and_out_of_band_changes_are_sent() {
    let ns = TestNs::new("noop-meta").await;
    let spec = Spec::default();
    let (applier, log) = applied(&ns, &spec).await;
    // An annotation added by the bundle.
    let annotated = Spec {
        annotation: Some("hello"),
        ..Spec::default()
    };
    let report = applier.apply(&bundle(&annotated)).await.unwrap();
    assert_eq!(patches(&take(&log)).len(), 1);
    assert_eq!(
        report.outcome("ConfigMap", "settings"),
        Some(Outcome::Configured)
    );
    // ... and changed.
    let reworded = Spec {
        annotation: Some("bye"),
        ..Spec::default()
    };
    let report = applier.apply(&bundle(&reworded)).await.unwrap();
    assert_eq!(patches(&take(&log)).len(), 1);
    assert_eq!(
        report.outcome("ConfigMap", "settings"),
        Some(Outcome::Configured)
    );

    // The ApplySet label removed out of band: the object is no member any more, and is sent.
    let api: Api<ConfigMap> = ns.api();
    api.patch(
        "settings",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"applyset.kubernetes.io/part-of": null}}})),
    )
    .await
    .unwrap();
    let report = applier.apply(&bundle(&reworded)).await.unwrap();
    assert!(!skipped(&report, "ConfigMap", "settings"), "{report:?}");
    assert_eq!(patches(&take(&log)).len(), 1);
    let cm = json_of(api.get("settings").await.unwrap());
    assert!(cm["metadata"]["labels"]["applyset.kubernetes.io/part-of"].is_string());

    // Deleted out of band: created again.
    api.delete("settings", &DeleteParams::default())
        .await
        .unwrap();
    let report = applier.apply(&bundle(&reworded)).await.unwrap();
    assert_eq!(
        report.outcome("ConfigMap", "settings"),
        Some(Outcome::Created)
    );
    assert_eq!(patches(&take(&log)).len(), 1);
    assert_eq!(report.skipped(), 3);

    // managedFields stripped (`kubectl` can do that with a patch): no proof, sent.
    let secrets: Api<Secret> = ns.api();
    secrets
        .patch(
            "token",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"managedFields": [{}]}})),
        )
        .await
        .unwrap();
    let s = json_of(secrets.get("token").await.unwrap());
    assert!(s["metadata"].get("managedFields").is_none());
    let report = applier.apply(&bundle(&reworded)).await.unwrap();
    assert!(!skipped(&report, "Secret", "token"), "{report:?}");
    assert_eq!(
        patches(&take(&log)),
        [format!("/api/v1/namespaces/{}/secrets/token", ns.name)]
    );
    // ... after which the entry is back and the next re-apply is a no-op again.
    let report = applier.apply(&bundle(&reworded)).await.unwrap();
    assert!(patches(&take(&log)).is_empty(), "{report:?}");
}

#[tokio::test]
async fn generate_once_secrets_are_always_sent() {
    let ns = TestNs::new("noop-generated").await;
    let (applier, log) = counted(&ns).await;
    let mut b = Bundle::new("generated");
    b.add(from_json::<Secret>(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "annotations": {"kubeprint.dev/generate-once": "password"}},
        "stringData": {"password": "first-random"}
    })))
    .unwrap();
    applier.apply(&b).await.unwrap();
    take(&log);
    let report = applier.apply(&b).await.unwrap();
    assert_eq!(report.skipped(), 0);
    assert_eq!(report.count(Outcome::Unchanged), 1);
    assert_eq!(patches(&take(&log)).len(), 1);
}

/// Quantities in the forms the client canonicalises itself (a re-apply must be skipped: the
/// client's canonical form is the one the apiserver stored) and in forms it leaves to the
/// server (a re-apply is sent, and changes nothing).
#[tokio::test]
async fn quantities_prove_unchanged_where_the_canonical_form_is_known() {
    let ns = TestNs::new("noop-quantity").await;
    let (applier, log) = counted(&ns).await;
    let known = [
        ("requests.cpu", "1000m"),
        ("requests.cpu", "0.5"),
        ("requests.cpu", "1.5"),
        ("requests.cpu", "1500m"),
        ("requests.cpu", "1000"),
        ("requests.cpu", "2000000"),
        ("requests.cpu", "0.1"),
        ("requests.cpu", "0.001"),
        ("requests.cpu", "12.30"),
        ("requests.memory", "1024Mi"),
        ("requests.memory", "1.5Gi"),
        ("requests.memory", "0.5Ki"),
        ("requests.memory", "2048Ki"),
        ("requests.memory", "1000Mi"),
        ("requests.memory", "128974848"),
        ("requests.memory", "129M"),
        ("requests.memory", "1Ei"),
    ];
    // Exponents, binary fractions, and what resource lists round up to milli-units.
    let unknown = [
        ("requests.cpu", "1e3"),
        ("requests.memory", "0.1Ki"),
        ("requests.cpu", "1n"),
        ("requests.cpu", "0.000001"),
    ];
    let quota = |i: usize, key: &str, value: &str| {
        from_json::<ResourceQuota>(json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": format!("q-{i}")},
            "spec": {"hard": {key: value}}
        }))
    };
    let mut b = Bundle::new("quantities");
    for (i, (k, v)) in known.iter().chain(&unknown).enumerate() {
        b.add(quota(i, k, v)).unwrap();
    }
    applier.apply(&b).await.unwrap();
    take(&log);
    let report = applier.apply(&b).await.unwrap();
    let api: Api<ResourceQuota> = ns.api();
    let mut sent = 0;
    for (i, (k, v)) in known.iter().chain(&unknown).enumerate() {
        let name = format!("q-{i}");
        let stored = json_of(api.get(&name).await.unwrap())["spec"]["hard"][*k].clone();
        // Forms the client leaves to the server are skipped only when stored as written.
        let expect_skip = i < known.len() || stored == json!(v);
        if !expect_skip {
            sent += 1;
        }
        assert_eq!(
            skipped(&report, "ResourceQuota", &name),
            expect_skip,
            "{k}: {v:?}, stored as {stored:?}"
        );
    }
    assert_eq!(
        report.count(Outcome::Unchanged),
        known.len() + unknown.len()
    );
    assert_eq!(sent, unknown.len() - 1, "1e3 is stored as written");
    assert_eq!(patches(&take(&log)).len(), sent);
}
