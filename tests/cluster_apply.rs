//! The apply client against the real local control plane (tools/cluster). Needs
//! `KUBEPRINT_TEST_KUBECONFIG`; fails (never skips) without it. Each test works in its own
//! namespace `kp-apply-<test>`.
#![cfg(feature = "client")]

mod apply_support;

use apply_support::{Proxy, TestNs};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Secret, Service};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kubeprint::apply::{Action, Applier, Error, Event, Outcome, PART_OF_LABEL, Retry, Wait};
use kubeprint::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("valid object")
}

fn deployment(name: &str, app: &str, image: &str, replicas: i32) -> Deployment {
    from(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": [{"name": "kuard", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}]}
            }
        }
    }))
}

fn service(name: &str, app: &str) -> Service {
    from(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    }))
}

fn kuard(image: &str) -> Bundle {
    let mut b = Bundle::new("kuard");
    b.add(
        kubeprint::ConfigMap::builder()
            .name("kuard-config")
            .entry("another-param", "another-value")
            .build(),
    )
    .unwrap();
    b.add(deployment("kuard", "kuard", image, 2)).unwrap();
    b.add(service("kuard", "kuard")).unwrap();
    b
}

fn recorder() -> (
    Arc<Mutex<Vec<Event>>>,
    impl Fn(&Event) + Send + Sync + 'static,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    (events, move |e: &Event| e2.lock().unwrap().push(e.clone()))
}

async fn resource_versions(ns: &TestNs) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let cm = ns.api::<ConfigMap>().get("kuard-config").await.unwrap();
    out.push(("cm".into(), cm.metadata.resource_version.unwrap()));
    let d = ns.api::<Deployment>().get("kuard").await.unwrap();
    out.push(("deploy".into(), d.metadata.resource_version.unwrap()));
    let s = ns.api::<Service>().get("kuard").await.unwrap();
    out.push(("svc".into(), s.metadata.resource_version.unwrap()));
    out
}

#[tokio::test]
async fn kuard_ready_then_noop_then_new_rollout() {
    let ns = TestNs::new("kuard").await;
    let (events, record) = recorder();
    let applier = ns.applier().await.on_event(record);

    let t = Instant::now();
    let report = applier
        .apply(&kuard("gcr.io/kuar-demo/kuard-amd64:blue"))
        .await
        .expect("first apply");
    println!("first apply + ready: {:?}", t.elapsed());
    assert_eq!(report.count(Outcome::Created), 3, "{report:?}");
    let d = ns.api::<Deployment>().get("kuard").await.unwrap();
    let st = d.status.unwrap();
    assert_eq!(
        (st.available_replicas, st.updated_replicas),
        (Some(2), Some(2)),
        "ready when apply returns"
    );
    let slices: Api<k8s_openapi::api::discovery::v1::EndpointSlice> = ns.api();
    let slices = slices
        .list(&ListParams::default().labels("kubernetes.io/service-name=kuard"))
        .await
        .unwrap();
    assert!(
        slices
            .items
            .iter()
            .flat_map(|s| s.endpoints.iter())
            .any(|e| !e.is_empty()),
        "service has endpoints"
    );
    {
        let ev = events.lock().unwrap();
        let ready: Vec<String> = ev
            .iter()
            .filter(|e| matches!(e, Event::Ready { .. }))
            .map(|e| e.object().to_string())
            .collect();
        assert!(
            ready.iter().any(|r| r.starts_with("deployment")),
            "{ready:?}"
        );
        assert!(
            ev.iter().any(|e| matches!(e, Event::Waiting { .. })),
            "progress reported"
        );
        // Order: config before the service before the deployment.
        let applied: Vec<String> = ev
            .iter()
            .filter(|e| matches!(e, Event::Applied { .. }))
            .map(|e| e.object().kind.clone())
            .collect();
        assert_eq!(applied, ["ConfigMap", "Service", "Deployment"]);
    }

    // Re-apply: nothing changes on the server.
    let before = resource_versions(&ns).await;
    let t = Instant::now();
    let again = applier
        .apply(&kuard("gcr.io/kuar-demo/kuard-amd64:blue"))
        .await
        .expect("re-apply");
    println!("no-op re-apply: {:?}", t.elapsed());
    assert_eq!(again.count(Outcome::Unchanged), 3, "{again:?}");
    assert!(!again.changed());
    assert_eq!(
        resource_versions(&ns).await,
        before,
        "no new resourceVersion"
    );
    let rs: Api<ReplicaSet> = ns.api();
    assert_eq!(
        rs.list(&ListParams::default()).await.unwrap().items.len(),
        1,
        "no rollout"
    );

    // A new image: the apply waits for the new rollout.
    let v1_generation = ns
        .api::<Deployment>()
        .get("kuard")
        .await
        .unwrap()
        .metadata
        .generation;
    let third = applier
        .apply(&kuard("gcr.io/kuar-demo/kuard-amd64:green"))
        .await
        .expect("rollout");
    assert_eq!(
        third.outcome("Deployment", "kuard"),
        Some(Outcome::Configured)
    );
    assert_eq!(
        third.outcome("ConfigMap", "kuard-config"),
        Some(Outcome::Unchanged)
    );
    let d = ns.api::<Deployment>().get("kuard").await.unwrap();
    assert!(d.metadata.generation > v1_generation);
    let st = d.status.unwrap();
    assert_eq!(
        st.observed_generation, d.metadata.generation,
        "new generation observed"
    );
    assert_eq!(
        (st.updated_replicas, st.available_replicas, st.replicas),
        (Some(2), Some(2), Some(2))
    );
    let sets = rs.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(sets.len(), 2);
    let new_rs = sets
        .iter()
        .find(|r| {
            r.spec
                .template
                .as_ref()
                .unwrap()
                .spec
                .as_ref()
                .unwrap()
                .containers[0]
                .image
                .as_deref()
                == Some("gcr.io/kuar-demo/kuard-amd64:green")
        })
        .expect("new replicaset");
    assert_eq!(new_rs.status.as_ref().unwrap().available_replicas, Some(2));
}

/// Applies Deployment `name` (3 replicas, no readiness probe) with `applier`; returns how long
/// after an independent watch first saw it ready the apply returned (negative: before).
async fn apply_and_time_against_a_watch(ns: &TestNs, applier: Applier, name: &str) -> f64 {
    // An observer watching the same Deployment notes when it first looks ready.
    let api: Api<Deployment> = ns.api();
    let field = format!("metadata.name={name}");
    let observer = tokio::spawn(async move {
        use futures::StreamExt;
        let stream = kube::runtime::watcher(
            api,
            kube::runtime::watcher::Config::default().fields(&field),
        );
        let mut stream = std::pin::pin!(kube::runtime::WatchStreamExt::applied_objects(stream));
        while let Some(Ok(d)) = stream.next().await {
            let s = d.status.clone().unwrap_or_default();
            if s.observed_generation == d.metadata.generation
                && s.available_replicas == Some(3)
                && s.updated_replicas == Some(3)
                && s.replicas == Some(3)
            {
                return Instant::now();
            }
        }
        panic!("watch ended");
    });
    let mut b = Bundle::new(name);
    b.add(deployment(name, name, "kuard:1", 3)).unwrap();
    applier.apply(&b).await.expect("apply");
    let returned = Instant::now();
    let seen = observer.await.unwrap();
    // Positive: apply returned after the observer saw readiness (the client's lag).
    let lag = returned.saturating_duration_since(seen);
    let lead = seen.saturating_duration_since(returned);
    println!(
        "apply returned {lag:?} after (or {lead:?} before) an independent watch saw the Deployment ready"
    );
    lag.as_secs_f64() - lead.as_secs_f64()
}

#[tokio::test]
async fn wait_returns_promptly_after_ready() {
    let ns = TestNs::new("prompt").await;
    // Without the settle window for probe-less containers (the next test), the wait ends as
    // soon as the Deployment is ready.
    let applier = ns.applier().await.wait(Wait::End).settle(Duration::ZERO);
    let lag = apply_and_time_against_a_watch(&ns, applier, "prompt").await;
    assert!(
        lag < 0.5,
        "waiting must end right after readiness, lagged {lag:.3}s"
    );
}

#[tokio::test]
async fn probe_less_workload_must_stay_ready_for_the_settle_window() {
    let ns = TestNs::new("settle").await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let applier = ns
        .applier()
        .await
        .wait(Wait::End)
        .settle(Duration::from_secs(2))
        .on_event(move |e| {
            if let Event::Waiting { message, .. } = e {
                seen.lock().unwrap().push(message.clone());
            }
        });
    let lag = apply_and_time_against_a_watch(&ns, applier, "settle").await;
    assert!(
        (2.0..2.8).contains(&lag),
        "held for the 2 s window after readiness, then returned at once: {lag:.3}s"
    );
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|m| m == "ready; held for 2s as container \"kuard\" has no readiness probe"),
        "{events:?}"
    );
}

#[tokio::test]
async fn service_of_workloads_scaled_to_zero_is_ready_without_endpoints() {
    let ns = TestNs::new("idle-svc").await;
    // Bounded: before, the Service waited for an endpoint that could never come.
    let applier = ns
        .applier()
        .await
        .wait(Wait::End)
        .object_timeout(Duration::from_secs(20));
    let mut b = Bundle::new("idle");
    b.add(deployment("idle", "idle", "kuard:1", 0)).unwrap();
    b.add(service("idle", "idle")).unwrap();
    let started = Instant::now();
    applier
        .apply(&b)
        .await
        .expect("a Service no endpoint will come to is ready");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // `wait_ready` (what `status` uses) agrees.
    applier.wait_ready(&b).await.expect("ready again");

    // Scaled up, the Service waits for its endpoints again, and gets them.
    let mut b = Bundle::new("idle");
    b.add(deployment("idle", "idle", "kuard:1", 1)).unwrap();
    b.add(service("idle", "idle")).unwrap();
    applier.apply(&b).await.expect("scaled up and ready");
    let slices: Api<k8s_openapi::api::discovery::v1::EndpointSlice> = ns.api();
    let listed = slices
        .list(&ListParams::default().labels("kubernetes.io/service-name=idle"))
        .await
        .unwrap();
    let ready_endpoints = listed
        .items
        .iter()
        .flat_map(|s| s.endpoints.iter().flatten())
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) != Some(false))
        .count();
    assert_eq!(ready_endpoints, 1, "the apply waited for the endpoint");
}

fn job(name: &str, extra: Value) -> Job {
    let mut spec = json!({
        "backoffLimit": 0,
        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "work", "image": "busybox"}]}}
    });
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            if k == "nodeSelector" {
                s["template"]["spec"]["nodeSelector"] = v.clone();
            } else {
                s.insert(k.clone(), v.clone());
            }
        }
    }
    from(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}))
}

#[tokio::test]
async fn job_success_and_fast_failure() {
    let ns = TestNs::new("jobs").await;
    let applier = ns.applier().await;
    let mut ok = Bundle::new("job-ok");
    ok.add(job("migrate", json!({}))).unwrap();
    applier.apply(&ok).await.expect("job succeeds");
    let j = ns.api::<Job>().get("migrate").await.unwrap();
    let complete = j
        .status
        .unwrap()
        .conditions
        .unwrap_or_default()
        .iter()
        .any(|c| c.type_ == "Complete" && c.status == "True");
    assert!(complete, "Complete when apply returns");

    // A Job that cannot run (no node matches) and has a 1 s deadline: it fails, and the apply
    // says so at once instead of waiting out its 90 s timeout.
    let mut bad = Bundle::new("job-bad");
    bad.add(job(
        "doomed",
        json!({"activeDeadlineSeconds": 1, "nodeSelector": {"kubeprint.dev/no-such-node": "x"}}),
    ))
    .unwrap();
    let t = Instant::now();
    let err = applier.apply(&bad).await.expect_err("job fails");
    println!("job failure reported after {:?}: {err}", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "fails fast, took {:?}",
        t.elapsed()
    );
    match &err {
        Error::NotReady {
            timed_out, objects, ..
        } => {
            assert!(!timed_out);
            assert_eq!(objects[0].object.name, "doomed");
            assert!(objects[0].failed);
            assert!(
                objects[0].state.contains("DeadlineExceeded"),
                "{}",
                objects[0].state
            );
            assert!(
                objects[0].pods.iter().any(|p| p.contains("Unschedulable")),
                "pod reasons listed: {:?}",
                objects[0].pods
            );
        }
        other => panic!("unexpected error {other}"),
    }
}

#[tokio::test]
async fn failing_pods_fail_fast_with_reasons() {
    let ns = TestNs::new("crashloop").await;
    let (events, record) = recorder();
    let applier = ns.applier().await.on_event(record);
    // Pods that no node takes; the test plays the kubelet and reports an image pull failure.
    let mut d = deployment("broken", "broken", "registry.invalid/nope:1", 1);
    d.spec.template.spec.as_mut().unwrap().node_selector =
        Some([("kubeprint.dev/no-such-node".to_owned(), "x".to_owned())].into());
    let mut b = Bundle::new("broken");
    b.add(d).unwrap();
    let pods: Api<Pod> = ns.api();
    let kubelet = tokio::spawn(async move {
        loop {
            let list = pods
                .list(&ListParams::default().labels("app=broken"))
                .await
                .unwrap();
            if let Some(p) = list.items.first() {
                let name = p.metadata.name.clone().unwrap();
                let status = json!({"status": {"phase": "Pending", "containerStatuses": [{
                    "name": "kuard", "image": "registry.invalid/nope:1", "imageID": "", "ready": false, "restartCount": 0,
                    "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"registry.invalid/nope:1\""}}}]}});
                pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                    .await
                    .unwrap();
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let t = Instant::now();
    let err = applier.apply(&b).await.expect_err("fails");
    kubelet.await.unwrap();
    println!("failure after {:?}:\n{err}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(20));
    let Error::NotReady {
        timed_out: false,
        objects,
        ..
    } = &err
    else {
        panic!("unexpected {err}")
    };
    assert!(objects[0].failed);
    assert!(
        objects[0]
            .pods
            .iter()
            .any(|p| p.contains("ImagePullBackOff") && p.contains("container \"kuard\"")),
        "{:?}",
        objects[0].pods
    );
    assert!(
        events.lock().unwrap().iter().any(
            |e| matches!(e, Event::Failed { reason, .. } if reason.contains("ImagePullBackOff"))
        )
    );
}

#[tokio::test]
async fn conflict_with_another_field_manager() {
    let ns = TestNs::new("conflict").await;
    let cms: Api<ConfigMap> = ns.api();
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"level": "info"}});
    cms.patch(
        "shared",
        &PatchParams::apply("other-tool"),
        &Patch::Apply(&theirs),
    )
    .await
    .unwrap();

    let mut b = Bundle::new("conflict");
    b.add(
        kubeprint::ConfigMap::builder()
            .name("shared")
            .entry("level", "debug")
            .build(),
    )
    .unwrap();
    let applier = ns.applier().await;
    let plan = applier.plan(&b).await.expect("plan");
    assert!(
        matches!(
            plan.item("ConfigMap", "shared").unwrap().action,
            Action::Conflict { .. }
        ),
        "{plan}"
    );
    let err = applier.apply(&b).await.expect_err("conflict");
    println!("{err}");
    match &err {
        Error::Conflict { object, conflicts } => {
            assert_eq!(object.name, "shared");
            assert_eq!(conflicts.len(), 1);
            assert_eq!(conflicts[0].manager, "other-tool");
            assert_eq!(conflicts[0].field, ".data.level");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("\"other-tool\"") && err.to_string().contains(".data.level"));
    assert_eq!(
        cms.get("shared").await.unwrap().data.unwrap()["level"],
        "info",
        "nothing written"
    );

    let forced = ns
        .applier()
        .await
        .force(true)
        .apply(&b)
        .await
        .expect("forced");
    assert_eq!(
        forced.outcome("ConfigMap", "shared"),
        Some(Outcome::Configured)
    );
    let cm = cms.get("shared").await.unwrap();
    assert_eq!(cm.data.unwrap()["level"], "debug");
    let owners: Vec<String> = cm
        .metadata
        .managed_fields
        .unwrap()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(owners.contains(&"kubeprint".to_owned()), "{owners:?}");
}

fn cm_bundle(name: &str, cms: &[&str]) -> Bundle {
    let mut b = Bundle::new(name);
    for c in cms {
        b.add(
            kubeprint::ConfigMap::builder()
                .name(*c)
                .entry("k", *c)
                .build(),
        )
        .unwrap();
    }
    b
}

#[tokio::test]
async fn prune_removes_dropped_objects_only() {
    let ns = TestNs::new("prune").await;
    let cms: Api<ConfigMap> = ns.api();
    let (events, record) = recorder();
    let applier = ns.applier().await.on_event(record);
    applier
        .apply(&cm_bundle("shop", &["a", "b"]))
        .await
        .expect("v1");
    // A ConfigMap nobody labelled, and one of another set, in the same namespace.
    let foreign = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "foreign"}, "data": {"k": "v"}});
    cms.patch(
        "foreign",
        &PatchParams::apply("someone"),
        &Patch::Apply(&foreign),
    )
    .await
    .unwrap();
    applier
        .apply(&cm_bundle("other-shop", &["other"]))
        .await
        .expect("other set");

    // The parent Secret is a KEP-3659 ApplySet parent.
    let secrets: Api<Secret> = ns.api();
    let parent = secrets.get("shop-applyset").await.expect("parent");
    let id = kubeprint::apply::applyset_id("shop-applyset", &ns.name, "Secret", "");
    assert_eq!(
        parent.metadata.labels.as_ref().unwrap()["applyset.kubernetes.io/id"],
        id
    );
    let ann = parent.metadata.annotations.clone().unwrap();
    assert_eq!(
        ann["applyset.kubernetes.io/contains-group-kinds"],
        "ConfigMap"
    );
    assert!(ann["applyset.kubernetes.io/tooling"].starts_with("kubeprint/v"));
    assert_eq!(
        cms.get("a").await.unwrap().metadata.labels.unwrap()[PART_OF_LABEL],
        id
    );

    let v2 = cm_bundle("shop", &["a"]);
    let plan = applier.plan(&v2).await.expect("plan");
    println!("{plan}");
    assert_eq!(plan.with_action("prune").len(), 1);
    assert_eq!(plan.with_action("prune")[0].object.name, "b");
    assert_eq!(
        plan.item("ConfigMap", "a").unwrap().action,
        Action::Unchanged
    );

    let report = applier.apply(&v2).await.expect("v2");
    assert_eq!(
        report
            .pruned
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["b"]
    );
    assert!(
        cms.get_opt("b").await.unwrap().is_none(),
        "dropped object deleted"
    );
    assert!(cms.get_opt("a").await.unwrap().is_some());
    assert!(
        cms.get_opt("foreign").await.unwrap().is_some(),
        "unmanaged object kept"
    );
    assert!(
        cms.get_opt("other").await.unwrap().is_some(),
        "other set's object kept"
    );
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Pruned { object } if object.name == "b"))
    );

    // kubectl recognises the set: it reads the parent and refuses to manage another tool's set.
    let kubectl = std::env::var("KUBEPRINT_CLUSTER_BIN")
        .map(|b| format!("{b}/kubectl"))
        .unwrap_or_else(|_| "kubectl".into());
    let dir = std::env::temp_dir().join(format!("kp-applyset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("shop.yaml");
    std::fs::write(&file, v2.to_yaml().unwrap()).unwrap();
    let out = std::process::Command::new(&kubectl)
        .env("KUBECTL_APPLYSET", "true")
        .env("KUBECONFIG", apply_support::kubeconfig())
        .args([
            "apply",
            "--server-side",
            "--prune",
            "--applyset=shop-applyset",
            "-n",
            &ns.name,
            "-f",
        ])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("running {kubectl}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("kubectl: {stderr}");
    assert!(!out.status.success());
    assert!(
        stderr.contains("managed by tooling \"kubeprint\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn teardown_keeps_claims_unless_asked() {
    let ns = TestNs::new("teardown").await;
    let mut b = Bundle::new("db");
    b.add(from::<PersistentVolumeClaim>(json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "uploads"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}
    })))
    .unwrap();
    b.add(from::<Service>(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
        "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"name": "sql", "port": 5432}]}
    })))
    .unwrap();
    b.add(from::<StatefulSet>(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db", "replicas": 2,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16",
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    })))
    .unwrap();
    let (events, record) = recorder();
    let applier = ns.applier().await.on_event(record);
    applier.apply(&b).await.expect("apply");
    let pvcs: Api<PersistentVolumeClaim> = ns.api();
    let mut names: Vec<String> = pvcs
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    names.sort();
    assert_eq!(names, ["data-db-0", "data-db-1", "uploads"]);

    let report = applier.delete(&b).await.expect("teardown");
    println!("{report:?}");
    assert!(
        ns.api::<StatefulSet>()
            .get_opt("db")
            .await
            .unwrap()
            .is_none()
    );
    assert!(ns.api::<Service>().get_opt("db").await.unwrap().is_none());
    let mut kept: Vec<&str> = report.kept.iter().map(|k| k.object.name.as_str()).collect();
    kept.sort();
    assert_eq!(kept, ["data-db-0", "data-db-1", "uploads"]);
    assert_eq!(
        pvcs.list(&ListParams::default()).await.unwrap().items.len(),
        3,
        "claims survive teardown"
    );
    {
        let ev = events.lock().unwrap();
        let deleted: Vec<String> = ev
            .iter()
            .filter(|e| matches!(e, Event::Deleted { .. }))
            .map(|e| e.object().kind.clone())
            .collect();
        // Reverse order: the StatefulSet before its Service.
        let sts = deleted.iter().position(|k| k == "StatefulSet").unwrap();
        let svc = deleted.iter().position(|k| k == "Service").unwrap();
        assert!(sts < svc, "{deleted:?}");
    }
    // The set still tracks the kept claim.
    assert!(
        ns.api::<Secret>()
            .get_opt("db-applyset")
            .await
            .unwrap()
            .is_some()
    );

    let report = applier
        .clone()
        .delete_data(true)
        .delete(&b)
        .await
        .expect("teardown with data");
    assert_eq!(report.kept, []);
    assert!(
        pvcs.list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "claims deleted on request"
    );
    assert!(
        ns.api::<Secret>()
            .get_opt("db-applyset")
            .await
            .unwrap()
            .is_none(),
        "parent gone"
    );
}

#[tokio::test]
async fn immutable_selector_change_then_recreate() {
    let ns = TestNs::new("immutable").await;
    let applier = ns.applier().await;
    let v1 = Bundle::new("web")
        .with(deployment("web", "web-v1", "kuard:1", 1))
        .unwrap();
    applier.apply(&v1).await.expect("v1");
    let v2 = Bundle::new("web")
        .with(deployment("web", "web-v2", "kuard:1", 1))
        .unwrap();

    let plan = applier.plan(&v2).await.expect("plan");
    println!("{plan}");
    let item = plan.item("Deployment", "web").unwrap();
    assert!(
        matches!(&item.action, Action::Replace { fields } if fields.iter().any(|f| f.field == "spec.selector")),
        "{plan}"
    );
    assert!(item.diff.contains("web-v2"), "{}", item.diff);

    let err = applier.apply(&v2).await.expect_err("immutable");
    println!("{err}");
    match &err {
        Error::Immutable { object, fields } => {
            assert_eq!(object.name, "web");
            assert!(
                fields.iter().any(|f| f.field == "spec.selector"),
                "{fields:?}"
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert!(
        err.to_string()
            .contains("deployment \"kp-apply-immutable/web\"")
            && err.to_string().contains("spec.selector")
    );

    let old_uid = ns
        .api::<Deployment>()
        .get("web")
        .await
        .unwrap()
        .metadata
        .uid;
    let report = applier
        .clone()
        .recreate(true)
        .apply(&v2)
        .await
        .expect("recreate");
    assert_eq!(
        report.outcome("Deployment", "web"),
        Some(Outcome::Recreated)
    );
    let d = ns.api::<Deployment>().get("web").await.unwrap();
    assert_ne!(d.metadata.uid, old_uid);
    assert_eq!(d.spec.selector.match_labels.unwrap()["app"], "web-v2");
    assert_eq!(
        d.status.unwrap().available_replicas,
        Some(1),
        "ready after recreate"
    );
    // Re-applying the new version is a no-op.
    assert!(!applier.apply(&v2).await.expect("again").changed());
}

#[tokio::test]
async fn unreachable_apiserver_fails_in_bounded_time() {
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let applier = kubeprint::apply::Applier::new(apply_support::client_via(port).await)
        .namespace("kp-apply-unreachable")
        .retry(Retry {
            attempts: 4,
            initial: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
        });
    let t = Instant::now();
    let err = applier
        .apply(&cm_bundle("gone", &["a"]))
        .await
        .expect_err("unreachable");
    println!("after {:?}: {err}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(err.is_unavailable(), "{err}");
    assert!(
        matches!(&err, Error::Unavailable { attempts: 4, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn apiserver_stopping_mid_apply_then_rerun_converges() {
    let ns = TestNs::new("outage").await;
    let proxy = Proxy::start(apply_support::apiserver_addr().await).await;
    let stopper = proxy.stopper();
    let applied = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = applied.clone();
    let names: Vec<String> = (0..60).map(|i| format!("cm-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let bundle = cm_bundle("outage", &refs);
    let flaky = kubeprint::apply::Applier::new(apply_support::client_via(proxy.port).await)
        .namespace(&ns.name)
        .concurrency(4)
        .request_timeout(Duration::from_secs(2))
        .retry(Retry {
            attempts: 4,
            initial: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        })
        .on_event(move |e| {
            if matches!(e, Event::Applied { .. })
                && counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 20
            {
                // The apiserver "stops": every connection is cut and nothing listens any more.
                stopper.notify_one();
            }
        });
    let t = Instant::now();
    let err = flaky
        .apply(&bundle)
        .await
        .expect_err("the apiserver went away");
    let took = t.elapsed();
    println!(
        "failed after {took:?} ({} applied): {err}",
        applied.load(std::sync::atomic::Ordering::SeqCst)
    );
    assert!(took < Duration::from_secs(10), "bounded: {took:?}");
    assert!(err.is_unavailable(), "{err}");
    proxy.stop().await;

    let cms: Api<ConfigMap> = ns.api();
    let partial = cms
        .list(&ListParams::default().labels(PART_OF_LABEL))
        .await
        .unwrap()
        .items
        .len();
    assert!(
        (20..60).contains(&partial),
        "stopped mid-apply: {partial} of 60 applied"
    );

    // The apiserver is back (a direct connection): the rerun converges.
    let report = ns.applier().await.apply(&bundle).await.expect("rerun");
    assert_eq!(report.objects.len(), 60);
    assert_eq!(report.count(Outcome::Unchanged), partial, "{report:?}");
    assert_eq!(report.count(Outcome::Created), 60 - partial);
    let all = cms
        .list(&ListParams::default().labels(PART_OF_LABEL))
        .await
        .unwrap()
        .items;
    let mut got: Vec<String> = all.into_iter().filter_map(|c| c.metadata.name).collect();
    got.sort();
    assert_eq!(got, names, "nothing lost, nothing duplicated");
    assert!(report.pruned.is_empty());
    assert!(!ns.applier().await.apply(&bundle).await.unwrap().changed());
}

#[tokio::test]
async fn transient_errors_are_retried() {
    use tower::ServiceExt as _;
    let ns = TestNs::new("retry").await;
    let real = apply_support::client().await;
    // Fault injection the real apiserver cannot do on demand: the first two apply requests get
    // 429 (with Retry-After) and 503, then requests pass through.
    let patches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = patches.clone();
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let real = real.clone();
        let n = if req.method() == http::Method::PATCH {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        } else {
            usize::MAX
        };
        async move {
            let status = |code: u16, after: Option<&str>| {
                let body = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": "TooManyRequests", "message": "slow down"});
                let mut r = http::Response::builder()
                    .status(code)
                    .header("content-type", "application/json");
                if let Some(a) = after {
                    r = r.header("retry-after", a);
                }
                Ok::<_, kube::Error>(
                    r.body(kube::client::Body::from(serde_json::to_vec(&body).unwrap()))
                        .unwrap(),
                )
            };
            match n {
                0 => status(429, Some("1")),
                1 => status(503, None),
                _ => real.send(req).await,
            }
        }
    });
    let client = kube::Client::new(svc.boxed(), ns.name.clone());
    let (events, record) = recorder();
    let applier = kubeprint::apply::Applier::new(client)
        .namespace(&ns.name)
        .on_event(record);
    let t = Instant::now();
    let report = applier
        .apply(&cm_bundle("retry", &["a"]))
        .await
        .expect("retried");
    assert_eq!(report.count(Outcome::Created), 1);
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    let retries: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .map(ToString::to_string)
        .collect();
    println!("{retries:#?}");
    assert_eq!(retries.len(), 2);
    assert!(retries[0].contains("429") && retries[1].contains("503"));

    // A non-transient failure is not retried and names the object.
    let invalid = Bundle::new("retry").with(from::<ConfigMap>(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "v"}}))).unwrap();
    let forbidden = kubeprint::apply::Applier::new(apply_support::client().await)
        .namespace("kp-apply-no-such-namespace");
    let err = forbidden.apply(&invalid).await.expect_err("no namespace");
    println!("{err}");
    assert!(matches!(&err, Error::Api { code: 404, .. }), "{err}");
    assert!(
        err.to_string().contains("kp-apply-no-such-namespace"),
        "{err}"
    );
}

fn statefulset(service_name: &str) -> StatefulSet {
    from(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {
            "serviceName": service_name, "replicas": 2,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                "storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    }))
}

/// The StatefulSet alone; its governing Service is declared outside the bundle.
fn sts_bundle(service_name: &str) -> Bundle {
    let mut bundle = Bundle::new("db");
    bundle.external_service(service_name);
    bundle.add(statefulset(service_name)).unwrap();
    bundle
}

fn uids<K: kube::Resource>(items: Vec<K>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|o| {
            (
                o.meta().name.clone().unwrap(),
                o.meta().uid.clone().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn statefulset_recreate_keeps_pods_and_claims() {
    let ns = TestNs::new("sts-recreate").await;
    let (events, record) = recorder();
    let applier = ns.applier().await.on_event(record);
    applier.apply(&sts_bundle("db")).await.expect("v1");
    let pods: Api<Pod> = ns.api();
    let pvcs: Api<PersistentVolumeClaim> = ns.api();
    let pods_before = uids(
        pods.list(&ListParams::default().labels("app=db"))
            .await
            .unwrap()
            .items,
    );
    let claims_before = uids(pvcs.list(&ListParams::default()).await.unwrap().items);
    assert_eq!(pods_before.len(), 2);
    assert_eq!(claims_before.len(), 2);

    // serviceName cannot change in place.
    let v2 = sts_bundle("db-headless");
    let err = applier.apply(&v2).await.expect_err("forbidden");
    println!("{err}");
    assert!(
        matches!(&err, Error::Immutable { fields, .. } if fields.iter().any(|f| f.field == "spec.serviceName")),
        "{err}"
    );

    let old = ns
        .api::<StatefulSet>()
        .get("db")
        .await
        .unwrap()
        .metadata
        .uid;
    let report = applier
        .clone()
        .recreate(true)
        .apply(&v2)
        .await
        .expect("recreate");
    assert_eq!(
        report.outcome("StatefulSet", "db"),
        Some(Outcome::Recreated)
    );
    let sts = ns.api::<StatefulSet>().get("db").await.unwrap();
    assert_ne!(sts.metadata.uid, old);
    assert_eq!(sts.spec.service_name.as_deref(), Some("db-headless"));
    assert_eq!(sts.status.unwrap().ready_replicas, Some(2));
    // Orphaned, then adopted: the same pods (same uids) and the same claims.
    let pods_after = pods
        .list(&ListParams::default().labels("app=db"))
        .await
        .unwrap()
        .items;
    for p in &pods_after {
        let owner = p
            .metadata
            .owner_references
            .as_ref()
            .and_then(|o| o.first())
            .map(|o| o.uid.clone());
        assert_eq!(
            owner,
            sts.metadata.uid.clone(),
            "pod adopted by the new StatefulSet"
        );
    }
    assert_eq!(uids(pods_after), pods_before, "pods kept running");
    assert_eq!(
        uids(pvcs.list(&ListParams::default()).await.unwrap().items),
        claims_before,
        "claims kept"
    );
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Recreating { .. }))
    );
}

#[tokio::test]
async fn apiserver_stopping_while_waiting_fails_in_bounded_time() {
    let ns = TestNs::new("outage-wait").await;
    let proxy = Proxy::start(apply_support::apiserver_addr().await).await;
    let stopper = proxy.stopper();
    // Never ready (no node matches), so the client is watching when the apiserver goes.
    let mut d = deployment("waiting", "waiting", "kuard:1", 1);
    d.spec.template.spec.as_mut().unwrap().node_selector =
        Some([("kubeprint.dev/no-such-node".to_owned(), "x".to_owned())].into());
    let applier = kubeprint::apply::Applier::new(apply_support::client_via(proxy.port).await)
        .namespace(&ns.name)
        .object_timeout(Duration::from_secs(60))
        .retry(Retry {
            attempts: 3,
            initial: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        })
        .on_event(move |e| {
            if matches!(e, Event::Waiting { .. }) {
                stopper.notify_one();
            }
        });
    let t = Instant::now();
    let err = applier
        .apply(&Bundle::new("waiting").with(d).unwrap())
        .await
        .expect_err("apiserver gone");
    println!("after {:?}: {err}", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "bounded, not the 60 s object timeout: {:?}",
        t.elapsed()
    );
    assert!(
        matches!(&err, Error::Unavailable { operation: "watch", object, .. } if object.name == "waiting"),
        "{err}"
    );
    proxy.stop().await;
}
