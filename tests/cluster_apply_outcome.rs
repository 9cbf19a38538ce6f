//! What the apply client reports, against the real local control plane (tools/cluster): a
//! re-apply that changes nothing is "unchanged" even when a controller wrote status meanwhile, a
//! real change is "configured", and an offline plan ([`Plan::compute`]) over live objects read
//! from the cluster agrees with the server's dry-run plan. Needs `KUBEPRINT_TEST_KUBECONFIG`;
//! fails (never skips) without it.
#![cfg(feature = "client")]

mod apply_support;

use apply_support::TestNs;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kubeprint::apply::{Event, LiveObjects, Outcome, Plan};
use kubeprint::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn web(env: &str, extra_label: Option<&str>) -> Deployment {
    let mut labels = json!({"app": "web"});
    if let Some(l) = extra_label {
        labels["tier"] = json!(l);
    }
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "kuard", "image": "gcr.io/kuar-demo/kuard-amd64:blue",
                    "env": [{"name": "GREETING", "value": env}],
                    "ports": [{"name": "http", "containerPort": 8080}]
                }]}
            }
        }
    }))
    .expect("deployment")
}

fn bundle(env: &str, level: &str, extra_label: Option<&str>) -> Bundle {
    let mut b = Bundle::new("outcome");
    b.add(
        kubeprint::ConfigMap::builder()
            .name("conf")
            .entry("level", level)
            .build(),
    )
    .unwrap();
    b.add(web(env, extra_label)).unwrap();
    b
}

/// Writes the Deployment's status (as its controller does) from another thread with its own
/// client and runtime: called from an event callback, while the apply waits.
fn write_status(ns: &str, n: usize) {
    let ns = ns.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let api: Api<Deployment> = Api::namespaced(apply_support::client().await, &ns);
            let patch = json!({"status": {"conditions": [{
                "type": "kubeprint.dev/Probe", "status": "True", "reason": "Test",
                "message": format!("status write {n}")
            }]}});
            api.patch_status("web", &PatchParams::default(), &Patch::Strategic(&patch))
                .await
                .expect("status write");
        });
    })
    .join()
    .expect("status writer");
}

fn resource_version(report: &kubeprint::apply::Report, kind: &str) -> String {
    report
        .objects
        .iter()
        .find(|o| o.object.kind == kind)
        .map(|o| o.resource_version.clone())
        .expect("applied")
}

#[tokio::test]
async fn noop_reapply_is_unchanged_while_status_is_written() {
    let ns = TestNs::new("outcome").await;
    let deployments: Api<Deployment> = ns.api();

    // Created and waited for: the controller has written status since.
    let applier = ns.applier().await;
    let first = applier.apply(&bundle("hello", "info", None)).await.unwrap();
    assert_eq!(first.count(Outcome::Created), 2, "{first:?}");
    let d = deployments.get("web").await.unwrap();
    let st = d.status.clone().unwrap();
    assert_eq!(st.observed_generation, d.metadata.generation);
    assert_eq!(st.available_replicas, Some(1));

    // Re-applied as it is: unchanged.
    let again = applier.apply(&bundle("hello", "info", None)).await.unwrap();
    assert_eq!(again.count(Outcome::Unchanged), 2, "{again:?}");

    // Re-applied while status is written between the client's listing of the members and its
    // apply request: the Deployment has a new resourceVersion, but the apply changed nothing.
    let writes = Arc::new(AtomicUsize::new(0));
    let (w, ns_name) = (writes.clone(), ns.name.clone());
    // The old path (every object sent): a skipped object would never meet the race.
    let racing = ns.applier().await.force_apply(true).on_event(move |e| {
        if let Event::Applying { object } = e
            && object.kind == "Deployment"
        {
            write_status(&ns_name, w.fetch_add(1, Ordering::SeqCst));
        }
    });
    let before = deployments
        .get("web")
        .await
        .unwrap()
        .metadata
        .resource_version;
    let raced = racing.apply(&bundle("hello", "info", None)).await.unwrap();
    assert_eq!(writes.load(Ordering::SeqCst), 1);
    assert_ne!(
        Some(resource_version(&raced, "Deployment")),
        before,
        "the status write happened during the apply"
    );
    assert_eq!(
        raced.outcome("Deployment", "web"),
        Some(Outcome::Unchanged),
        "{raced:?}"
    );
    assert!(!raced.changed(), "{raced:?}");

    // A real change during the same race: configured.
    let changed = racing
        .apply(&bundle("bonjour", "info", None))
        .await
        .unwrap();
    assert_eq!(
        changed.outcome("Deployment", "web"),
        Some(Outcome::Configured),
        "{changed:?}"
    );
    assert_eq!(
        changed.outcome("ConfigMap", "conf"),
        Some(Outcome::Unchanged)
    );
    let d = deployments.get("web").await.unwrap();
    let env = d.spec.template.spec.as_ref().unwrap().containers[0]
        .env
        .clone()
        .unwrap();
    assert_eq!(env[0].value.as_deref(), Some("bonjour"));

    // A label only (no new generation), while status is written: configured.
    let labelled = racing
        .apply(&bundle("bonjour", "info", Some("front")))
        .await
        .unwrap();
    assert_eq!(
        labelled.outcome("Deployment", "web"),
        Some(Outcome::Configured),
        "{labelled:?}"
    );
    assert_eq!(
        deployments.get("web").await.unwrap().metadata.generation,
        d.metadata.generation,
        "a label does not make a new generation"
    );
    let settled = racing
        .apply(&bundle("bonjour", "info", Some("front")))
        .await
        .unwrap();
    assert!(!settled.changed(), "{settled:?}");
}

#[tokio::test]
async fn changes_in_quick_succession_are_configured() {
    // managedFields times have a resolution of one second: applies within one second must
    // still tell a change from none.
    let ns = TestNs::new("quick").await;
    let applier = ns.applier().await;
    let cms: Api<ConfigMap> = ns.api();
    applier.apply(&bundle("hello", "a", None)).await.unwrap();
    let mut same_second = 0;
    for (i, level) in ["b", "c", "d", "e"].into_iter().enumerate() {
        let stamp = |cm: &ConfigMap| {
            cm.metadata.managed_fields.as_ref().and_then(|m| {
                m.iter()
                    .find(|e| e.manager.as_deref() == Some("kubeprint"))
                    .and_then(|e| e.time.clone())
            })
        };
        let before = stamp(&cms.get("conf").await.unwrap());
        let r = applier.apply(&bundle("hello", level, None)).await.unwrap();
        assert_eq!(
            r.outcome("ConfigMap", "conf"),
            Some(Outcome::Configured),
            "change {i}: {r:?}"
        );
        assert_eq!(r.outcome("Deployment", "web"), Some(Outcome::Unchanged));
        let again = applier.apply(&bundle("hello", level, None)).await.unwrap();
        assert!(!again.changed(), "no-op {i}: {again:?}");
        if stamp(&cms.get("conf").await.unwrap()) == before {
            same_second += 1;
        }
    }
    println!("{same_second} of 4 changes fell in the second of the previous one");
}

async fn list_json<K>(ns: &TestNs) -> Vec<Value>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let items = ns
        .api::<K>()
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    // Typed objects serialise with apiVersion, kind and managedFields.
    items
        .into_iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect()
}

/// Every ConfigMap, Secret, Service and Deployment of the namespace, read once.
async fn live_objects(ns: &TestNs) -> LiveObjects {
    let mut live = LiveObjects::new();
    for items in [
        list_json::<ConfigMap>(ns).await,
        list_json::<Secret>(ns).await,
        list_json::<Service>(ns).await,
        list_json::<Deployment>(ns).await,
    ] {
        for item in items {
            live.insert(item).expect("identified");
        }
    }
    live
}

fn app(level: &str, image: &str, extra: bool, dropped: bool, user: &str) -> Bundle {
    let mut b = Bundle::new("agree");
    let mut settings = kubeprint::ConfigMap::builder()
        .name("settings")
        .entry("level", level);
    if !dropped {
        settings = settings.entry("mode", "fast");
    }
    b.add(settings.build()).unwrap();
    b.add(
        kubeprint::Secret::builder()
            .name("db")
            .entry("user", user)
            .generated("password", kubeprint::secret::Generate::alphanumeric())
            .build(),
    )
    .unwrap();
    b.add(
        kubeprint::Service::builder()
            .name("web")
            .selector([("app.kubernetes.io/name", "web")])
            .port(kubeprint::service::ServicePort::tcp("http", 80).target("http"))
            .build(),
    )
    .unwrap();
    b.add(
        kubeprint::Deployment::builder()
            .name("web")
            .replicas(1)
            .template(
                PodTemplate::builder()
                    .selector_label("app.kubernetes.io/name", "web")
                    .security(PodSecurity::restricted().run_as_user(1000))
                    .container(
                        Container::builder()
                            .name("app")
                            .image(image)
                            .port(Port::tcp("http", 8080))
                            .env(EnvVar::value("LEVEL", level))
                            .resources(
                                Resources::new()
                                    .requests(Cpu::millis(10), Memory::mib(16))
                                    .limit_memory(Memory::mib(64)),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build(),
    )
    .unwrap();
    if extra {
        b.add(
            kubeprint::ConfigMap::builder()
                .name("extra")
                .entry("k", "v")
                .build(),
        )
        .unwrap();
    }
    b
}

#[tokio::test]
async fn offline_plan_agrees_with_the_server() {
    let ns = TestNs::new("agree").await;
    let applier = ns.applier().await;
    let v1 = app(
        "info",
        "gcr.io/kuar-demo/kuard-amd64:blue",
        false,
        false,
        "shop",
    );
    applier.apply(&v1).await.unwrap();
    let live = live_objects(&ns).await;

    let offline = Plan::compute(&v1, &live, &applier.plan_options()).unwrap();
    let online = applier.plan(&v1).await.unwrap();
    assert!(!offline.has_changes(), "{offline}");
    assert_eq!(offline, online);

    // Changed data, a dropped key, a new image, a changed Secret value (masked), a new object.
    let v2 = app(
        "debug",
        "gcr.io/kuar-demo/kuard-amd64:green",
        true,
        true,
        "admin",
    );
    let offline = Plan::compute(&v2, &live, &applier.plan_options()).unwrap();
    let online = applier.plan(&v2).await.unwrap();
    println!("offline:\n{offline}\nonline:\n{online}");
    let actions = |p: &Plan| -> Vec<(String, String)> {
        p.items
            .iter()
            .map(|i| (i.object.to_string(), format!("{:?}", i.action)))
            .collect()
    };
    assert_eq!(actions(&offline), actions(&online));
    assert_eq!(offline.with_action("update").len(), 3, "{offline}");
    assert_eq!(offline.with_action("create").len(), 1, "{offline}");
    assert_eq!(offline.with_action("unchanged").len(), 1, "{offline}");
    // Where the server adds nothing the bundle does not set, the diffs are the same text.
    for (kind, name) in [
        ("ConfigMap", "settings"),
        ("Secret", "db"),
        ("Deployment", "web"),
    ] {
        assert_eq!(
            offline.item(kind, name).unwrap().diff,
            online.item(kind, name).unwrap().diff,
            "{kind} {name}"
        );
    }
    let settings = &offline.item("ConfigMap", "settings").unwrap().diff;
    assert!(settings.contains("-  mode: fast"), "{settings}");
    let db = &offline.item("Secret", "db").unwrap().diff;
    assert!(
        db.contains("+  user: <redacted (changed)>") && !db.contains("YWRtaW4"),
        "{db}"
    );

    // After the apply, both see no change again.
    applier.apply(&v2).await.unwrap();
    let live = live_objects(&ns).await;
    let offline = Plan::compute(&v2, &live, &applier.plan_options()).unwrap();
    assert!(!offline.has_changes(), "{offline}");
    assert_eq!(offline, applier.plan(&v2).await.unwrap());
}
