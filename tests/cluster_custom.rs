//! Custom resources against the real local control plane (tools/cluster): CRDs and their
//! objects in one bundle, readiness driven by a test controller, prune and teardown that keep
//! CRDs unless asked, refused CRD upgrades, imported vendor YAML. Needs
//! `KUBEPRINT_TEST_KUBECONFIG`; fails (never skips) without it. Each test has its own namespace
//! and its own CRD group (`<test>.kp.test`), as CRDs are cluster-wide.
#![cfg(feature = "client")]

mod apply_support;
#[path = "fixtures/kopium/mailbox.rs"]
mod mailbox;

use apply_support::TestNs;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams};
use kubeprint::apply::{CONTAINS_GROUP_KINDS_ANNOTATION, Error, Event, Outcome, Wait};
use kubeprint::object::{CustomObject, READINESS_ANNOTATION};
use kubeprint::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The CRD `widgets.<group>`: namespaced kind `Widget`, versions `versions` (the last the
/// storage version), each with a status subresource when `status` and a schema keeping
/// unknown fields.
fn crd(group: &str, versions: &[&str], status: bool) -> CustomResourceDefinition {
    let versions: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut version = json!({
                "name": v, "served": true, "storage": i + 1 == versions.len(),
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}
            });
            if status {
                version["subresources"] = json!({"status": {}});
            }
            version
        })
        .collect();
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {
            "group": group,
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "scope": "Namespaced",
            "versions": versions
        }
    }))
    .expect("crd")
}

fn widget(group: &str, version: &str, name: &str) -> CustomObject {
    CustomObject::new(format!("{group}/{version}"), "Widget", "widgets", true)
        .with_name(name)
        .with_field("spec", json!({"size": 3}))
}

fn widget_api(group: &str, version: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: format!("{group}/{version}"),
        kind: "Widget".into(),
        plural: "widgets".into(),
    }
}

/// A fresh CRD group for `test`: a leftover CRD of an earlier run is deleted (and waited for).
async fn fresh_group(ns: &TestNs, test: &str) -> String {
    let group = format!("{}.kp.test", test.replace('_', "-"));
    remove_leftover_crd(ns, &format!("widgets.{group}")).await;
    group
}

/// Deletes CRD `name` if an earlier run left it, and waits until it is gone.
async fn remove_leftover_crd(ns: &TestNs, name: &str) {
    let api: Api<CustomResourceDefinition> = Api::all(ns.client.clone());
    if api.get_opt(name).await.expect("get crd").is_some() {
        let _ = api.delete(name, &DeleteParams::default()).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while api.get_opt(name).await.expect("get crd").is_some() {
            assert!(
                Instant::now() < deadline,
                "leftover CRD {name} did not go away"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn crd_exists(ns: &TestNs, group: &str) -> bool {
    let api: Api<CustomResourceDefinition> = Api::all(ns.client.clone());
    api.get_opt(&format!("widgets.{group}"))
        .await
        .expect("get crd")
        .is_some()
}

async fn drop_crd(ns: &TestNs, group: &str) {
    let api: Api<CustomResourceDefinition> = Api::all(ns.client.clone());
    let _ = api
        .delete(&format!("widgets.{group}"), &DeleteParams::default())
        .await;
}

/// A test controller: once widgets `names` exist, waits `delay`, then writes their status with
/// `conditions` (and the observed generation).
fn controller(
    ns: &TestNs,
    group: &str,
    names: &[&str],
    delay: Duration,
    conditions: Value,
) -> tokio::task::JoinHandle<()> {
    controller_of(ns, &widget_api(group, "v1"), names, delay, conditions)
}

/// [`controller`] for objects of any kind (`api`).
fn controller_of(
    ns: &TestNs,
    api: &ApiResource,
    names: &[&str],
    delay: Duration,
    conditions: Value,
) -> tokio::task::JoinHandle<()> {
    let api: Api<DynamicObject> = Api::namespaced_with(ns.client.clone(), &ns.name, api);
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    tokio::spawn(async move {
        for name in names {
            let live = loop {
                if let Ok(Some(o)) = api.get_opt(&name).await {
                    break o;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            tokio::time::sleep(delay).await;
            let generation = live.metadata.generation.unwrap_or(1);
            let status =
                json!({"status": {"observedGeneration": generation, "conditions": conditions}});
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                .await
                .expect("patch status");
        }
    })
}

fn ready_true() -> Value {
    json!([{"type": "Ready", "status": "True", "reason": "Done", "message": "all good",
        "lastTransitionTime": "2026-01-01T00:00:00Z"}])
}

#[tokio::test]
async fn crd_and_objects_apply_from_empty_in_one_step_and_wait_for_the_controller() {
    let ns = TestNs::new("custom_one_step").await;
    let group = fresh_group(&ns, "custom-one-step").await;
    let mut app = Bundle::new("widgets");
    app.add(crd(&group, &["v1"], true)).unwrap();
    app.add(widget(&group, "v1", "a")).unwrap();
    app.add(widget(&group, "v1", "b")).unwrap();
    app.add(
        kubeprint::ConfigMap::builder()
            .name("settings")
            .entry("a", "b")
            .build(),
    )
    .unwrap();
    let delay = Duration::from_millis(1500);
    let ctl = controller(&ns, &group, &["a", "b"], delay, ready_true());
    let started = Instant::now();
    let report = ns
        .applier()
        .await
        .wait(Wait::Tiers)
        .apply(&app)
        .await
        .expect("one apply from an empty cluster");
    assert!(
        started.elapsed() >= delay,
        "returned before the controller reported ready"
    );
    ctl.await.unwrap();
    assert_eq!(report.count(Outcome::Created), 4, "{:?}", report.objects);
    // The CRD came first.
    assert_eq!(
        report.objects[0].object.to_string(),
        format!("customresourcedefinition \"widgets.{group}\"")
    );
    // The ApplySet lists the custom group-kinds.
    let parents: Api<k8s_openapi::api::core::v1::Secret> = ns.api();
    let parent = parents.get("widgets-applyset").await.expect("parent");
    let kinds = parent
        .metadata
        .annotations
        .unwrap_or_default()
        .get(CONTAINS_GROUP_KINDS_ANNOTATION)
        .cloned()
        .unwrap_or_default();
    assert!(kinds.contains(&format!("Widget.{group}")), "{kinds}");
    assert!(
        kinds.contains("CustomResourceDefinition.apiextensions.k8s.io"),
        "{kinds}"
    );
    // Again: nothing changes, and the status the controller wrote is not touched.
    let again = ns.applier().await.apply(&app).await.expect("re-apply");
    assert_eq!(again.count(Outcome::Unchanged), 4, "{:?}", again.objects);
    drop_crd(&ns, &group).await;
}

#[tokio::test]
async fn crds_are_waited_for_even_without_waiting() {
    let ns = TestNs::new("custom_no_wait").await;
    let group = fresh_group(&ns, "custom-no-wait").await;
    let mut app = Bundle::new("widgets");
    app.add(crd(&group, &["v1"], true)).unwrap();
    for n in 0..5 {
        app.add(widget(&group, "v1", &format!("w{n}"))).unwrap();
    }
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let record = events.clone();
    let report = ns
        .applier()
        .await
        .wait(Wait::None)
        .on_event(move |e: &Event| record.lock().unwrap().push(e.clone()))
        .apply(&app)
        .await
        .expect("the widgets are applied once the CRD is established");
    assert_eq!(report.count(Outcome::Created), 6, "{:?}", report.objects);
    // The CRD was ready (Established, NamesAccepted) before the first widget was sent.
    let events = events.lock().unwrap().clone();
    let crd_ready = events.iter().position(
        |e| matches!(e, Event::Ready { object } if object.to_string().contains("widgets.")),
    );
    let first_widget = events.iter().position(
        |e| matches!(e, Event::Applying { object } if object.to_string().starts_with("widget ")),
    );
    assert!(
        crd_ready.is_some() && crd_ready < first_widget,
        "{events:?}"
    );
    drop_crd(&ns, &group).await;
}

#[tokio::test]
async fn stalled_custom_object_fails_the_apply() {
    let ns = TestNs::new("custom_stalled").await;
    let group = fresh_group(&ns, "custom-stalled").await;
    let mut app = Bundle::new("widgets");
    app.add(crd(&group, &["v1"], true)).unwrap();
    app.add(widget(&group, "v1", "bad")).unwrap();
    // Opted out: never waited for, although its controller never writes status.
    let mut quiet = widget(&group, "v1", "quiet");
    quiet.metadata.annotations =
        Some([(READINESS_ANNOTATION.to_owned(), "skip".to_owned())].into());
    app.add(quiet).unwrap();
    let stalled = json!([{"type": "Stalled", "status": "True", "reason": "BadSize",
        "message": "size 3 is not allowed", "lastTransitionTime": "2026-01-01T00:00:00Z"}]);
    let ctl = controller(&ns, &group, &["bad"], Duration::from_millis(300), stalled);
    let started = Instant::now();
    let e = ns
        .applier()
        .await
        .apply(&app)
        .await
        .expect_err("a stalled object fails the apply");
    ctl.await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(60), "failed fast");
    let text = e.to_string();
    match &e {
        Error::NotReady {
            timed_out, objects, ..
        } => {
            assert!(!timed_out, "{text}");
            assert_eq!(objects.len(), 1, "{text}");
            assert!(objects[0].failed, "{text}");
        }
        other => panic!("not NotReady: {other}"),
    }
    assert!(text.contains("widget \""), "{text}");
    assert!(
        text.contains("stalled: BadSize: size 3 is not allowed"),
        "{text}"
    );
    drop_crd(&ns, &group).await;
}

#[tokio::test]
async fn prune_custom_objects_keep_crds_unless_asked() {
    let ns = TestNs::new("custom_prune").await;
    let group = fresh_group(&ns, "custom-prune").await;
    let applier = || async { ns.applier().await.prune(true) };
    let bundle = |widgets: &[&str], with_crd: bool| {
        let mut b = Bundle::new("widgets");
        if with_crd {
            // Without a status subresource: ready once applied.
            b.add(crd(&group, &["v1"], false)).unwrap();
        }
        for w in widgets {
            b.add(widget(&group, "v1", w)).unwrap();
        }
        b.add(kubeprint::ConfigMap::builder().name("settings").build())
            .unwrap();
        b
    };
    applier()
        .await
        .apply(&bundle(&["a", "b"], true))
        .await
        .expect("apply");
    let widgets: Api<DynamicObject> =
        Api::namespaced_with(ns.client.clone(), &ns.name, &widget_api(&group, "v1"));
    let report = applier()
        .await
        .apply(&bundle(&["a"], true))
        .await
        .expect("prune b");
    assert_eq!(
        report
            .pruned
            .iter()
            .map(|o| o.to_string())
            .collect::<Vec<_>>(),
        [format!("widget \"{}/b\"", ns.name)]
    );
    assert!(widgets.get_opt("b").await.unwrap().is_none());
    assert!(widgets.get_opt("a").await.unwrap().is_some());

    // The CRD and its objects leave the bundle: the objects are pruned, the CRD kept.
    let report = applier()
        .await
        .apply(&bundle(&[], false))
        .await
        .expect("prune a");
    assert!(widgets.get_opt("a").await.unwrap().is_none());
    assert_eq!(report.kept.len(), 1, "{:?}", report.kept);
    assert!(
        report.kept[0].reason.contains("CustomResourceDefinition"),
        "{:?}",
        report.kept
    );
    assert!(crd_exists(&ns, &group).await);

    // Teardown keeps it too (it is still a member), unless deleting CRDs is asked for.
    let report = ns
        .applier()
        .await
        .delete(&bundle(&[], false))
        .await
        .expect("teardown");
    assert!(
        report
            .kept
            .iter()
            .any(|k| k.object.to_string().contains("widgets.")),
        "{:?}",
        report.kept
    );
    assert!(crd_exists(&ns, &group).await);
    let report = ns
        .applier()
        .await
        .delete_crds(true)
        .delete(&bundle(&[], false))
        .await
        .expect("teardown with delete_crds");
    assert!(
        report
            .deleted
            .iter()
            .any(|o| o.to_string().contains("widgets.")),
        "{:?}",
        report.deleted
    );
    assert!(!crd_exists(&ns, &group).await);
}

#[tokio::test]
async fn crd_upgrade_removing_a_stored_version_is_refused_before_applying() {
    let ns = TestNs::new("custom_upgrade").await;
    let group = fresh_group(&ns, "custom-upgrade").await;
    let mut v1 = Bundle::new("widgets");
    v1.add(crd(&group, &["v1alpha1"], false)).unwrap();
    v1.add(widget(&group, "v1alpha1", "old")).unwrap();
    ns.applier().await.apply(&v1).await.expect("apply v1alpha1");
    // Serving a new version as well is fine.
    let mut both = Bundle::new("widgets");
    both.add(crd(&group, &["v1alpha1", "v1"], false)).unwrap();
    both.add(widget(&group, "v1", "old")).unwrap();
    ns.applier().await.apply(&both).await.expect("add v1");

    // Dropping v1alpha1, in which "old" is stored: refused, and nothing applied.
    let mut dropped = Bundle::new("widgets");
    dropped.add(crd(&group, &["v1"], false)).unwrap();
    dropped.add(widget(&group, "v1", "old")).unwrap();
    dropped
        .add(kubeprint::ConfigMap::builder().name("new").build())
        .unwrap();
    let e = ns
        .applier()
        .await
        .apply(&dropped)
        .await
        .expect_err("refused");
    let text = e.to_string();
    assert!(matches!(e, Error::Refused { .. }), "{text}");
    assert!(
        text.contains("removes version \"v1alpha1\", which status.storedVersions"),
        "{text}"
    );
    let cms: Api<ConfigMap> = ns.api();
    assert!(
        cms.get_opt("new").await.unwrap().is_none(),
        "applied anyway"
    );
    let api: Api<CustomResourceDefinition> = Api::all(ns.client.clone());
    let live = api.get(&format!("widgets.{group}")).await.unwrap();
    assert_eq!(live.spec.versions.len(), 2, "the CRD was changed");
    drop_crd(&ns, &group).await;
}

/// `crd(..)` with `spec.size` limited to `max` (when given).
fn crd_with_max_size(group: &str, max: Option<i64>) -> CustomResourceDefinition {
    let mut c = crd(group, &["v1"], false);
    let mut size = json!({"type": "integer"});
    if let Some(max) = max {
        size["maximum"] = json!(max);
    }
    let schema = c.spec.versions[0].schema.as_mut().expect("a schema");
    schema.open_api_v3_schema = Some(
        serde_json::from_value(json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"size": size}},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}))
        .expect("schema"),
    );
    c
}

/// A CRD upgrade that tightens the schema under objects already in the cluster is refused
/// before anything is applied, naming them; the opt-out annotation lets it through.
#[tokio::test]
async fn crd_upgrade_that_invalidates_live_objects_is_refused_before_applying() {
    let ns = TestNs::new("custom_tighten").await;
    let group = fresh_group(&ns, "custom-tighten").await;
    let mut before = Bundle::new("widgets");
    before.add(crd_with_max_size(&group, None)).unwrap();
    before
        .add(widget(&group, "v1", "big").with_field("spec", json!({"size": 7})))
        .unwrap();
    before
        .add(widget(&group, "v1", "small").with_field("spec", json!({"size": 2})))
        .unwrap();
    ns.applier().await.apply(&before).await.expect("apply");

    // The new CRD allows at most 5: "big" (7) would be left behind. The bundle no longer sets
    // "big" (another owner might); it is the live object that counts.
    let mut tightened = Bundle::new("widgets");
    tightened.add(crd_with_max_size(&group, Some(5))).unwrap();
    tightened
        .add(widget(&group, "v1", "small").with_field("spec", json!({"size": 2})))
        .unwrap();
    tightened
        .add(kubeprint::ConfigMap::builder().name("new").build())
        .unwrap();
    let e = ns
        .applier()
        .await
        .apply(&tightened)
        .await
        .expect_err("refused");
    let text = e.to_string();
    assert!(matches!(e, Error::Refused { .. }), "{text}");
    assert!(
        text.contains("1 object(s) of this kind in the cluster"),
        "{text}"
    );
    assert!(
        text.contains(r#"widget "big" in "#) && text.contains("spec.size"),
        "{text}"
    );
    assert!(!text.contains(r#""small""#), "{text}");
    let cms: Api<ConfigMap> = ns.api();
    assert!(
        cms.get_opt("new").await.unwrap().is_none(),
        "applied anyway"
    );

    // A planned migration: annotated, the same upgrade goes through.
    let mut annotated = crd_with_max_size(&group, Some(5));
    annotated.metadata.annotations = Some(
        [(
            kubeprint::apply::EXISTING_OBJECTS_ANNOTATION.to_owned(),
            "unchecked".to_owned(),
        )]
        .into(),
    );
    let mut migrating = Bundle::new("widgets");
    migrating.add(annotated).unwrap();
    migrating
        .add(widget(&group, "v1", "small").with_field("spec", json!({"size": 2})))
        .unwrap();
    ns.applier()
        .await
        .prune(false)
        .apply(&migrating)
        .await
        .expect("annotated upgrade");
    drop_crd(&ns, &group).await;
}

#[tokio::test]
async fn imported_vendor_yaml_is_applied_and_pruned() {
    let ns = TestNs::new("custom_import").await;
    let group = fresh_group(&ns, "custom-import").await;
    let crd_yaml = kubeprint::Bundle::new("x")
        .with(crd(&group, &["v1"], false))
        .unwrap()
        .to_yaml()
        .unwrap();
    let vendor = format!(
        "# vendor.yaml: what a chart renders\n{crd_yaml}---\n\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vendor
  labels: {{app: vendor}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: vendor}}}}
  template:
    metadata: {{labels: {{app: vendor}}}}
    spec:
      containers:
      - name: vendor
        image: registry.k8s.io/pause:3.10
---
apiVersion: v1
kind: Service
metadata: {{name: vendor}}
spec:
  selector: {{app: vendor}}
  ports: [{{port: 80}}]
---
apiVersion: {group}/v1
kind: Widget
metadata: {{name: vendor}}
spec: {{size: 1}}
"
    );
    let mut app = Bundle::new("vendor");
    app.import_yaml(&vendor).expect("import");
    assert!(matches!(
        app.get("Deployment", "vendor"),
        Some(Object::Deployment(_))
    ));
    assert!(matches!(
        app.get("Widget", "vendor"),
        Some(Object::Custom(_))
    ));
    let report = ns
        .applier()
        .await
        .wait(Wait::End)
        .prune(true)
        .apply(&app)
        .await
        .expect("apply the vendor's objects");
    assert_eq!(report.count(Outcome::Created), 4, "{:?}", report.objects);

    // The next release drops the Deployment, its Service and the Widget (keeping the CRD).
    let next: String = vendor
        .split("\n---\n")
        .filter(|d| {
            !["Deployment", "Service", "Widget"]
                .iter()
                .any(|k| d.contains(&format!("\nkind: {k}\n")))
        })
        .collect::<Vec<_>>()
        .join("\n---\n");
    let mut app = Bundle::new("vendor");
    app.import_yaml(&next).expect("import next");
    assert_eq!(app.len(), 1, "{}", app.to_yaml().unwrap());
    let report = ns
        .applier()
        .await
        .prune(true)
        .apply(&app)
        .await
        .expect("prune");
    let mut pruned: Vec<String> = report.pruned.iter().map(|o| o.to_string()).collect();
    pruned.sort();
    assert_eq!(
        pruned,
        [
            format!("deployment \"{}/vendor\"", ns.name),
            format!("service \"{}/vendor\"", ns.name),
            format!("widget \"{}/vendor\"", ns.name)
        ]
    );
    drop_crd(&ns, &group).await;
}

#[tokio::test]
async fn imported_objects_of_a_kind_installed_elsewhere_are_placed_by_discovery() {
    let ns = TestNs::new("custom_discovered").await;
    let group = fresh_group(&ns, "custom-discovered").await;
    // The CRD is someone else's: cluster-scoped, plural "widgets".
    let mut cluster_crd = crd(&group, &["v1"], false);
    cluster_crd.spec.scope = "Cluster".into();
    let mut defs = Bundle::new("defs");
    defs.add(cluster_crd).unwrap();
    ns.applier()
        .await
        .apply(&defs)
        .await
        .expect("install the CRD");
    // A vendor manifest with an object of it: imported, its scope is a guess (namespaced).
    let mut app = Bundle::new("vendor");
    app.set_namespace(&ns.name);
    app.import_yaml(&format!(
        "apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: global}}\nspec: {{size: 1}}\n"
    ))
    .unwrap();
    let report = ns
        .applier()
        .await
        .apply(&app)
        .await
        .expect("discovery corrects the scope");
    assert_eq!(
        report.objects[0].object.to_string(),
        "widget \"global\"",
        "cluster-scoped"
    );
    let widgets: Api<DynamicObject> = Api::all_with(ns.client.clone(), &widget_api(&group, "v1"));
    assert!(widgets.get_opt("global").await.unwrap().is_some());
    let again = ns.applier().await.apply(&app).await.expect("re-apply");
    assert_eq!(again.count(Outcome::Unchanged), 1, "{:?}", again.objects);
    ns.applier().await.delete(&app).await.expect("teardown");
    assert!(widgets.get_opt("global").await.unwrap().is_none());
    drop_crd(&ns, &group).await;
}

/// The whole text of an error, its causes included.
fn error_text(e: &dyn std::error::Error) -> String {
    std::iter::successors(Some(e), |e| e.source())
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

#[tokio::test]
async fn secret_fields_of_custom_objects_stay_out_of_server_errors_and_diffs() {
    let ns = TestNs::new("custom_secret").await;
    let group = fresh_group(&ns, "custom-secret").await;
    // Someone else's CRD (not in the bundle: nothing is checked offline), whose schema makes
    // the apiserver quote a refused value: `Unsupported value: "..."`.
    let mut defs = Bundle::new("defs");
    let mut schema_crd = crd(&group, &["v1"], false);
    schema_crd.spec.versions[0].schema = Some(
        serde_json::from_value(json!({"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "size": {"type": "integer"},
                "mode": {"type": "string", "enum": ["fast", "safe"]},
                "token": {"type": "string"}}}}}}))
        .unwrap(),
    );
    defs.add(schema_crd).unwrap();
    ns.applier()
        .await
        .apply(&defs)
        .await
        .expect("install the CRD");

    let app = |mode: &str, token: &str, marked: bool| {
        let mut w = CustomObject::new(format!("{group}/v1"), "Widget", "widgets", true)
            .with_name("login")
            .with_field("spec", json!({"size": 1, "mode": mode, "token": token}));
        if marked {
            w = w
                .with_secret_field("spec.mode")
                .with_secret_field("spec.token");
        }
        let mut b = Bundle::new("secrets");
        b.set_namespace(&ns.name);
        b.add(w).unwrap();
        b
    };
    // Unmarked, the apiserver's refusal quotes the value (so the marked case can fail).
    let e = ns
        .applier()
        .await
        .apply(&app("hunter22-mode", "t0ken-one-Value", false))
        .await
        .expect_err("mode is not in the enum");
    assert!(
        error_text(&e).contains("hunter22-mode"),
        "{}",
        error_text(&e)
    );
    // Marked, the same refusal names the field and hides the value.
    let e = ns
        .applier()
        .await
        .apply(&app("hunter22-mode", "t0ken-one-Value", true))
        .await
        .expect_err("mode is not in the enum");
    let text = error_text(&e);
    assert!(
        text.contains("spec.mode") && text.contains("<redacted>") && !text.contains("hunter22"),
        "{text}"
    );

    ns.applier()
        .await
        .apply(&app("safe", "t0ken-one-Value", true))
        .await
        .expect("a valid widget applies");
    let plan = ns
        .applier()
        .await
        .plan(&app("safe", "t0ken-two-Value", true))
        .await
        .expect("plan");
    let item = plan.item("Widget", "login").expect("the widget is planned");
    assert!(
        item.diff.contains("-  token: <redacted>")
            && item.diff.contains("+  token: <redacted (changed)>")
            && item.diff.contains("mode: <redacted>"),
        "{}",
        item.diff
    );
    assert!(
        !item.diff.contains("t0ken-") && !item.diff.contains("safe"),
        "{}",
        item.diff
    );
    let unmarked = ns
        .applier()
        .await
        .plan(&app("safe", "t0ken-two-Value", false))
        .await
        .expect("plan");
    assert!(
        unmarked
            .item("Widget", "login")
            .unwrap()
            .diff
            .contains("t0ken-two-Value"),
        "unmarked, the diff shows the value"
    );
    ns.applier()
        .await
        .delete(&app("safe", "x", true))
        .await
        .expect("teardown");
    drop_crd(&ns, &group).await;
}

/// A kopium-generated type (tests/fixtures/kopium/) on the apiserver: its CRD and two objects
/// in one apply from an empty cluster, the wait waiting for the controller's status (the type's
/// CRD has a status subresource), the objects read back as the generated type, a re-apply
/// sending nothing, and prune of one of them.
#[tokio::test]
async fn kopium_types_apply_wait_read_back_and_prune() {
    use mailbox::{Mailbox, MailboxProtocol, MailboxSpec};
    let ns = TestNs::new("custom_kopium").await;
    let crds: Api<CustomResourceDefinition> = Api::all(ns.client.clone());
    let crd_name = "mailboxes.mail.kp.test";
    remove_leftover_crd(&ns, crd_name).await;
    let mailbox = |name: &str, protocol| {
        Mailbox::new(
            name,
            MailboxSpec {
                address: format!("{name}@example.com"),
                protocol,
                quota: None,
                retention_days: Some(7),
                labels: None,
                forwards: None,
                password_secret_ref: None,
            },
        )
    };
    let app = |names: &[&str]| {
        let mut b = Bundle::new("mail");
        b.set_namespace(&ns.name);
        b.import_yaml(include_str!("fixtures/kopium/mailboxes.yaml"))
            .unwrap();
        for n in names {
            b.add_resource(&mailbox(n, MailboxProtocol::Imap)).unwrap();
        }
        b
    };
    // The controller: once a mailbox exists, report it Ready (after a delay the wait must sit out).
    let api: Api<Mailbox> = Api::namespaced(ns.client.clone(), &ns.name);
    let delay = Duration::from_millis(1200);
    let ctl = controller_of(
        &ns,
        &ApiResource::erase::<Mailbox>(&()),
        &["ops", "sales"],
        delay,
        ready_true(),
    );
    let started = Instant::now();
    let report = ns
        .applier()
        .await
        .wait(Wait::Tiers)
        .apply(&app(&["ops", "sales"]))
        .await
        .expect("CRD and mailboxes in one apply");
    assert!(
        started.elapsed() >= delay,
        "returned before the controller reported ready"
    );
    ctl.await.unwrap();
    assert_eq!(report.count(Outcome::Created), 3, "{:?}", report.objects);
    // Read back as the generated type, status included.
    let ops = api.get("ops").await.expect("typed get");
    assert_eq!(ops.spec.address, "ops@example.com");
    assert!(matches!(ops.spec.protocol, MailboxProtocol::Imap));
    assert_eq!(ops.spec.retention_days, Some(7));
    let conditions = ops.status.and_then(|s| s.conditions).unwrap_or_default();
    assert_eq!(conditions.first().map(|c| c.status.as_str()), Some("True"));
    let again = ns
        .applier()
        .await
        .apply(&app(&["ops", "sales"]))
        .await
        .expect("re-apply");
    assert_eq!(again.count(Outcome::Unchanged), 3, "{:?}", again.objects);
    assert_eq!(
        again.skipped(),
        3,
        "a no-op re-apply sends no PATCH: {:?}",
        again.objects
    );
    // Prune: "sales" left the program.
    let pruned = ns
        .applier()
        .await
        .prune(true)
        .apply(&app(&["ops"]))
        .await
        .expect("prune");
    assert_eq!(
        pruned
            .pruned
            .iter()
            .map(|o| o.to_string())
            .collect::<Vec<_>>(),
        [format!("mailbox \"{}/sales\"", ns.name)]
    );
    assert!(api.get_opt("sales").await.unwrap().is_none());
    assert!(api.get_opt("ops").await.unwrap().is_some());
    assert!(
        crds.get_opt(crd_name).await.unwrap().is_some(),
        "prune keeps the CRD"
    );
    let _ = crds.delete(crd_name, &DeleteParams::default()).await;
}
