//! Every kind's readiness, waves, namespaces and cluster-scoped objects, against the local
//! control plane (`KUBEPRINT_TEST_KUBECONFIG`; fails without it, never skips).
#![cfg(feature = "client")]

mod apply_support;

use apply_support::TestNs;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Secret};
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::Api;
use kubeprint::apply::{Error, Event, Outcome};
use kubeprint::prelude::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn object(v: Value) -> Object {
    let kind = v["kind"].as_str().unwrap_or_default().to_owned();
    macro_rules! parse {
        ($($k:literal => $t:ty),* $(,)?) => {
            match kind.as_str() {
                $($k => Object::from(serde_json::from_value::<$t>(v).expect($k)),)*
                other => panic!("unexpected kind {other}"),
            }
        };
    }
    use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
    parse! {
        "Namespace" => core::Namespace, "ServiceAccount" => core::ServiceAccount, "Secret" => core::Secret,
        "ConfigMap" => core::ConfigMap, "PersistentVolumeClaim" => core::PersistentVolumeClaim,
        "ClusterRole" => ClusterRole, "Service" => core::Service, "StatefulSet" => apps::StatefulSet,
        "Deployment" => apps::Deployment, "DaemonSet" => apps::DaemonSet, "Pod" => core::Pod,
        "Job" => batch::Job, "CronJob" => batch::CronJob,
    }
}

fn add(b: &mut Bundle, v: Value) {
    match object(v) {
        Object::Namespace(o) => b.add(o),
        Object::ServiceAccount(o) => b.add(o),
        Object::Secret(o) => b.add(o),
        Object::ConfigMap(o) => b.add(o),
        Object::PersistentVolumeClaim(o) => b.add(o),
        Object::ClusterRole(o) => b.add(o),
        Object::Service(o) => b.add(o),
        Object::StatefulSet(o) => b.add(o),
        Object::Deployment(o) => b.add(o),
        Object::DaemonSet(o) => b.add(o),
        Object::Pod(o) => b.add(o),
        Object::Job(o) => b.add(o),
        Object::CronJob(o) => b.add(o),
        _ => unreachable!(),
    }
    .expect("valid");
}

fn pod_spec(image: &str) -> Value {
    json!({"containers": [{"name": "main", "image": image}]})
}

fn mixed(ns: &str) -> Bundle {
    let mut b = Bundle::new("mixed");
    let wave = |w: &str| json!({"kubeprint.dev/wave": w});
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app"}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "annotations": {"kubeprint.dev/generate-once": "token"}},
        "stringData": {"token": "first-generated-token"}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"mode": "fast"}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "cache"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": format!("{ns}-reader")},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "app"},
        "spec": {"selector": {"app": "app"}, "ports": [{"port": 80}]}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
        "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "annotations": wave("0")},
        "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": pod_spec("postgres:16")}}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "annotations": wave("1")},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "app"}},
                 "template": {"metadata": {"labels": {"app": "app"}}, "spec": pod_spec("app:1")}}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec("agent:1")}}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"}, "spec": pod_spec("solo:1")}),
    );
    add(
        &mut b,
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "init"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "init:1"}]}}}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "main", "image": "backup:1"}]}}}}}}),
    );
    b
}

/// Removes the cluster-scoped leftovers of `mixed` even when the test fails.
struct ClusterRoleGuard(String);

impl Drop for ClusterRoleGuard {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let api: Api<ClusterRole> = Api::all(apply_support::client().await);
                let _ = api.delete(&name, &Default::default()).await;
            });
        })
        .join();
    }
}

#[tokio::test]
async fn every_kind_applies_waits_and_tears_down() {
    let ns = TestNs::reserve("mixed").await;
    let _cr = ClusterRoleGuard(format!("{}-reader", ns.name));
    let bundle = mixed(&ns.name);
    let mut applier = kubeprint::apply::Applier::new(ns.client.clone())
        .namespace(&ns.name)
        .timeout(Duration::from_secs(120))
        .object_timeout(Duration::from_secs(90));
    let mut events = applier.events();

    let t = Instant::now();
    let report = applier.apply(&bundle).await.expect("apply");
    println!(
        "{} objects applied and ready in {:?}",
        report.objects.len(),
        t.elapsed()
    );
    assert_eq!(report.count(Outcome::Created), bundle.len(), "{report:?}");
    let seen = events.drain();
    let pos = |f: &dyn Fn(&Event) -> bool| {
        seen.iter()
            .position(f)
            .unwrap_or_else(|| panic!("missing event in {seen:#?}"))
    };
    // Waves: the database is ready before the app is applied.
    let db_ready = pos(&|e| matches!(e, Event::Ready { object } if object.kind == "StatefulSet"));
    let app_applying =
        pos(&|e| matches!(e, Event::Applying { object } if object.kind == "Deployment"));
    assert!(
        db_ready < app_applying,
        "db ready ({db_ready}) before app applied ({app_applying})"
    );
    // Jobs come after the workloads are ready.
    let app_ready = pos(&|e| matches!(e, Event::Ready { object } if object.kind == "Deployment"));
    let job_applying = pos(&|e| matches!(e, Event::Applying { object } if object.kind == "Job"));
    assert!(app_ready < job_applying);
    for kind in [
        "Namespace",
        "DaemonSet",
        "Pod",
        "Job",
        "PersistentVolumeClaim",
        "Service",
        "StatefulSet",
        "ClusterRole",
    ] {
        pos(&|e| matches!(e, Event::Ready { object } if object.kind == kind));
    }
    let pvc: Api<PersistentVolumeClaim> = ns.api();
    assert_eq!(
        pvc.get("cache")
            .await
            .unwrap()
            .status
            .unwrap()
            .phase
            .as_deref(),
        Some("Bound")
    );

    // Everything is still there and ready: a no-op.
    let t = Instant::now();
    let again = applier.apply(&bundle).await.expect("re-apply");
    println!(
        "no-op re-apply of {} objects: {:?}",
        again.objects.len(),
        t.elapsed()
    );
    assert_eq!(again.count(Outcome::Unchanged), bundle.len(), "{again:?}");
    let plan = applier.plan(&bundle).await.expect("plan");
    assert!(!plan.has_changes(), "{plan}");
    applier.wait_ready(&bundle).await.expect("ready");

    // The generate-once token keeps its first value when the bundle generates another.
    let mut rotated = mixed(&ns.name);
    for o in rotated.objects_mut().iter_mut() {
        if let Object::Secret(s) = o {
            s.string_data =
                Some([("token".to_owned(), "second-generated-token".to_owned())].into());
        }
    }
    let r = applier
        .apply(&rotated)
        .await
        .expect("apply with a new generated token");
    assert_eq!(r.outcome("Secret", "creds"), Some(Outcome::Unchanged));
    let live: Api<Secret> = ns.api();
    assert_eq!(
        live.get("creds").await.unwrap().data.unwrap()["token"].0,
        b"first-generated-token"
    );

    // Teardown keeps the claim, the generated token that may guard its data (#12), and so the
    // namespace holding them; the cluster role goes.
    let report = applier.delete(&bundle).await.expect("teardown");
    let kept: Vec<&str> = report.kept.iter().map(|k| k.object.kind.as_str()).collect();
    assert_eq!(
        kept,
        ["PersistentVolumeClaim", "Secret", "Namespace"],
        "{report:?}"
    );
    let roles: Api<ClusterRole> = Api::all(ns.client.clone());
    assert!(
        roles
            .get_opt(&format!("{}-reader", ns.name))
            .await
            .unwrap()
            .is_none()
    );
    assert!(pvc.get_opt("cache").await.unwrap().is_some());
    events.drain();

    let t = Instant::now();
    let report = applier
        .clone()
        .delete_data(true)
        .delete(&bundle)
        .await
        .expect("teardown with data");
    println!("teardown incl. namespace: {:?}", t.elapsed());
    assert!(report.kept.is_empty(), "{report:?}");
    let nss: Api<Namespace> = Api::all(ns.client.clone());
    assert!(
        nss.get_opt(&ns.name).await.unwrap().is_none(),
        "namespace gone"
    );
    let deleted: Vec<Event> = std::iter::from_fn(|| events.try_recv()).collect();
    assert!(
        deleted
            .iter()
            .any(|e| matches!(e, Event::Deleted { object } if object.kind == "Namespace"))
    );
}

#[tokio::test]
async fn create_namespace_and_stream_events() {
    let ns = TestNs::reserve("createns").await;
    let mut applier = kubeprint::apply::Applier::new(ns.client.clone())
        .namespace(&ns.name)
        .create_namespace(true);
    let events = applier.events();
    let mut b = Bundle::new("createns");
    b.add(
        kubeprint::ConfigMap::builder()
            .name("c")
            .entry("k", "v")
            .build(),
    )
    .unwrap();
    let report = applier.apply(&b).await.expect("apply into a new namespace");
    assert_eq!(report.count(Outcome::Created), 1);
    drop(applier);
    let all: Vec<Event> = events.collect().await;
    let names: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            format!("configmap \"{}/c\": applying", ns.name),
            format!("configmap \"{}/c\": created", ns.name),
            format!("configmap \"{}/c\": ready", ns.name),
        ]
    );
}

#[tokio::test]
async fn timeout_lists_everything_not_ready() {
    let ns = TestNs::new("timeout").await;
    // No settle window: "fine" (no readiness probe) would still be held when time runs out.
    let applier = ns
        .applier()
        .await
        .object_timeout(Duration::from_secs(2))
        .settle(Duration::ZERO);
    let mut b = Bundle::new("stuck");
    add(
        &mut b,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stuck"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "stuck"}},
                 "template": {"metadata": {"labels": {"app": "stuck"}},
                              "spec": {"nodeSelector": {"kubeprint.dev/no-such-node": "x"}, "containers": [{"name": "main", "image": "x:1"}]}}}}),
    );
    add(
        &mut b,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fine"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "fine"}},
                 "template": {"metadata": {"labels": {"app": "fine"}}, "spec": pod_spec("x:1")}}}),
    );
    let t = Instant::now();
    let err = applier.apply(&b).await.expect_err("times out");
    println!("{err}");
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    let Error::NotReady {
        timed_out: true,
        objects,
        ..
    } = &err
    else {
        panic!("unexpected {err}")
    };
    assert_eq!(objects.len(), 1, "only the stuck one: {objects:?}");
    assert_eq!(objects[0].object.name, "stuck");
    assert_eq!(objects[0].state, "0 of 1 updated replicas are available");
    assert!(
        objects[0]
            .conditions
            .iter()
            .any(|c| c.starts_with("Available=False")),
        "{:?}",
        objects[0].conditions
    );
    assert!(
        objects[0].pods.iter().any(|p| p.contains("Unschedulable")),
        "{:?}",
        objects[0].pods
    );
}

/// Lifecycle hooks, a downward API volume and a projected volume made with the builders: the
/// apiserver accepts them, Pod Security *restricted* admits the pods, and the apiserver's own
/// bounds are the ones kubeprint's rules mirror (a sleep longer than the grace period and a
/// token shorter than ten minutes are rejected; a sleep equal to the grace period is accepted,
/// where kubeprint is stricter).
#[tokio::test]
async fn hooks_and_projected_volumes_in_a_restricted_namespace() {
    use k8s_openapi::api::apps::v1::Deployment as K8sDeployment;
    use k8s_openapi::api::core::v1::Pod as K8sPod;
    use kube::api::PostParams;
    use kubeprint::prelude::{Hook, Projection};

    let ns = TestNs::restricted("podextras").await;

    let template = |pre_stop: Hook| {
        PodTemplate::builder()
            .termination_grace_period(45)
            .volume(
                Volume::downward_api("podinfo")
                    .field("labels", "metadata.labels")
                    .field("name", "metadata.name")
                    .resource("memory-limit", "web", "limits.memory"),
            )
            .volume(
                Volume::projected("bundle")
                    .source(Projection::config_map("settings").item("level", "config/level"))
                    .source(Projection::secret("tls"))
                    .source(Projection::downward_api().field("pod/uid", "metadata.uid"))
                    .source(
                        Projection::service_account_token("vault/token")
                            .audience("vault")
                            .expiration(3600),
                    ),
            )
            .container(
                Container::builder()
                    .name("web")
                    .image("registry.example/web:1.0")
                    .port(Port::tcp("http", 8080))
                    .resources(Resources::new().limits(Cpu::millis(500), Memory::mib(128)))
                    .post_start(Hook::http_get("/warm-up", "http"))
                    .pre_stop(pre_stop)
                    .mount(Mount::new("podinfo", "/etc/podinfo").read_only())
                    .mount(Mount::new("bundle", "/etc/bundle").read_only())
                    .build(),
            )
            .build()
    };
    let b = Bundle::new("podextras")
        .with(
            ConfigMap::builder()
                .name("settings")
                .entry("level", "info")
                .build(),
        )
        .and_then(|b| {
            b.with(
                kubeprint::Secret::builder()
                    .name("tls")
                    .entry("tls.crt", "cert")
                    .build(),
            )
        })
        .and_then(|b| {
            b.with(
                Deployment::builder()
                    .name("web")
                    .template(template(Hook::sleep(10)))
                    .build(),
            )
        })
        .and_then(|b| {
            b.with(
                Deployment::builder()
                    .name("drain")
                    .template(template(Hook::exec(["/web", "drain"])))
                    .build(),
            )
        })
        .expect("bundle");
    let applier = ns.applier().await;
    let report = applier.apply(&b).await.expect("apply");
    assert_eq!(report.count(Outcome::Created), b.len(), "{report:?}");
    let live = ns.api::<K8sDeployment>().get("web").await.expect("get");
    let spec = live.spec.template.spec.unwrap();
    let lifecycle = spec.containers[0].lifecycle.clone().unwrap();
    assert_eq!(lifecycle.pre_stop.unwrap().sleep.unwrap().seconds, 10);
    let volumes = spec.volumes.unwrap();
    assert_eq!(
        volumes[1]
            .projected
            .as_ref()
            .unwrap()
            .sources
            .as_ref()
            .unwrap()
            .len(),
        4
    );

    // Pod Security admission let the controllers create the pods (a rejected pod would leave
    // the Deployment unready, and no pod).
    let pods: Api<K8sPod> = ns.api();
    let live_pods = pods.list(&Default::default()).await.expect("list pods");
    assert_eq!(live_pods.items.len(), 2, "one pod per Deployment");

    // The apiserver's bounds, checked on raw pods (dry run, through Pod Security admission).
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let pod = |f: &dyn Fn(&mut k8s_openapi::api::core::v1::PodSpec)| {
        let mut p = Pod::builder()
            .name("bounds")
            .template(template(Hook::sleep(10)))
            .build()
            .to_object()
            .expect("valid pod");
        f(p.spec.as_mut().unwrap());
        p
    };
    let sleep = |s: i64| {
        pod(&move |spec| {
            spec.termination_grace_period_seconds = None;
            let hook = spec.containers[0].lifecycle.as_mut().unwrap();
            hook.pre_stop
                .as_mut()
                .unwrap()
                .sleep
                .as_mut()
                .unwrap()
                .seconds = s;
        })
    };
    pods.create(&dry, &sleep(29)).await.expect("a 29 s sleep");
    pods.create(&dry, &sleep(30))
        .await
        .expect("the apiserver accepts a sleep equal to the default grace period");
    let err = pods.create(&dry, &sleep(31)).await.expect_err("31 s sleep");
    assert!(
        err.to_string().contains("terminationGracePeriodSeconds"),
        "{err}"
    );
    let short_token = pod(&|spec| {
        let sources = spec.volumes.as_mut().unwrap()[1]
            .projected
            .as_mut()
            .unwrap()
            .sources
            .as_mut()
            .unwrap();
        sources[3]
            .service_account_token
            .as_mut()
            .unwrap()
            .expiration_seconds = Some(599);
    });
    let err = pods
        .create(&dry, &short_token)
        .await
        .expect_err("a 599 s token");
    assert!(err.to_string().contains("expirationSeconds"), "{err}");
}

/// An applier that records its events, and the record.
fn recording(
    applier: kubeprint::apply::Applier,
) -> (
    kubeprint::apply::Applier,
    std::sync::Arc<std::sync::Mutex<Vec<Event>>>,
) {
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = events.clone();
    let applier = applier.on_event(move |e: &Event| record.lock().unwrap().push(e.clone()));
    (applier, events)
}

/// Where the first event that is `step` (`"Ready"`, `"Applying"`, ...) for one of `kinds` stands
/// in `events`.
fn first(events: &[Event], step: &str, kinds: &[&str]) -> Option<usize> {
    events.iter().position(|e| {
        let is_step = match e {
            Event::Ready { .. } => step == "Ready",
            Event::Applying { .. } => step == "Applying",
            _ => false,
        };
        is_step && kinds.contains(&e.object().kind.as_str())
    })
}

/// Polls `check` until it answers `Ok`, failing the test after `limit` with `what` and the
/// last `Err` it gave.
async fn eventually<T>(
    limit: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match check().await {
            Ok(done) => return done,
            Err(last) => assert!(Instant::now() < deadline, "{what}: {last}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Deletes a cluster-scoped object left by an earlier run and waits until it is gone.
async fn remove_leftover<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let _ = api.delete(name, &Default::default()).await;
    eventually(
        Duration::from_secs(60),
        "leftover is not going away",
        async || match api.get_opt(name).await.expect("get") {
            Some(_) => Err(name.to_owned()),
            None => Ok(()),
        },
    )
    .await;
}

#[tokio::test]
async fn storage_class_and_static_volume_bind_and_are_kept_as_data() {
    use k8s_openapi::api::core::v1::PersistentVolume as Pv;
    use k8s_openapi::api::storage::v1::StorageClass as Sc;
    use kubeprint::persistentvolume::{ReclaimPolicy, Source};
    use kubeprint::persistentvolumeclaim::AccessMode;
    use kubeprint::storageclass::{BindingMode, NO_PROVISIONER};

    let ns = TestNs::new("static_volume").await;
    // Cluster-scoped: named after the test's namespace, so runs of other tests cannot collide.
    let class = format!("{}-manual", ns.name);
    let volume = format!("{}-nfs", ns.name);
    let volumes: Api<Pv> = Api::all(ns.client.clone());
    let classes: Api<Sc> = Api::all(ns.client.clone());
    remove_leftover(&volumes, &volume).await;
    remove_leftover(&classes, &class).await;

    let bundle = Bundle::new("storage")
        .with(
            StorageClass::builder()
                .name(class.as_str())
                .provisioner(NO_PROVISIONER)
                .binding_mode(BindingMode::Immediate)
                .reclaim_policy(ReclaimPolicy::Retain)
                .build(),
        )
        .unwrap()
        .with(
            PersistentVolume::builder()
                .name(volume.as_str())
                .labels(Labels::from([("volume", ns.name.as_str())]))
                .capacity(Storage::gib(1))
                .source(Source::nfs("192.0.2.10", "/exports/database"))
                .access_mode(AccessMode::ReadWriteMany)
                .storage_class(class.as_str())
                .reclaim_policy(ReclaimPolicy::Retain)
                .build(),
        )
        .unwrap()
        .with(
            kubeprint::PersistentVolumeClaim::builder()
                .name("database")
                .size(Storage::gib(1))
                .access_mode(AccessMode::ReadWriteMany)
                .storage_class(class.as_str())
                .selector(Selector::parse(&format!("volume={}", ns.name)).unwrap())
                .build(),
        )
        .unwrap();
    let applier = ns.applier().await;
    let (recorded, events) = recording(applier.clone());
    let started = Instant::now();
    let report = recorded.apply(&bundle).await.expect("apply");
    println!("applied and bound in {:?}", started.elapsed());
    // The volume is Available before the claim is made, so the claim binds at once (made
    // together, it waits for the volume controller's periodic resync: 8-10 s here).
    {
        let events = events.lock().unwrap();
        let volume_ready = first(&events, "Ready", &["PersistentVolume"]);
        let claim_applying = first(&events, "Applying", &["PersistentVolumeClaim"]);
        assert!(
            volume_ready.is_some() && volume_ready < claim_applying,
            "{events:#?}"
        );
    }
    for (kind, name) in [
        ("StorageClass", class.as_str()),
        ("PersistentVolume", volume.as_str()),
        ("PersistentVolumeClaim", "database"),
    ] {
        assert_eq!(report.outcome(kind, name), Some(Outcome::Created), "{kind}");
    }
    // The wait returned: the claim is bound to exactly the volume its selector names.
    let claim = ns
        .api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>()
        .get("database")
        .await
        .unwrap();
    assert_eq!(
        claim.spec.unwrap().volume_name.as_deref(),
        Some(volume.as_str())
    );
    assert_eq!(claim.status.unwrap().phase.as_deref(), Some("Bound"));
    let pv = volumes.get(&volume).await.unwrap();
    assert_eq!(
        pv.metadata.namespace, None,
        "the applier's namespace is not put on a cluster-scoped object"
    );
    let claim_ref = pv.spec.unwrap().claim_ref.unwrap();
    assert_eq!(
        (claim_ref.namespace.as_deref(), claim_ref.name.as_deref()),
        (Some(ns.name.as_str()), Some("database"))
    );

    let again = applier.apply(&bundle).await.expect("re-apply");
    for o in &again.objects {
        assert_eq!(o.outcome, Outcome::Unchanged, "{}", o.object);
    }

    // Teardown keeps the data: the claim and the volume stay, the class goes.
    let report = applier.delete(&bundle).await.expect("teardown");
    let mut kept: Vec<String> = report.kept.iter().map(|k| k.object.to_string()).collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            format!("persistentvolume \"{volume}\""),
            format!("persistentvolumeclaim \"{}/database\"", ns.name),
        ]
    );
    assert!(classes.get_opt(&class).await.unwrap().is_none());
    assert!(volumes.get_opt(&volume).await.unwrap().is_some());

    // Asked to, it deletes them too, and waits until they are gone.
    applier
        .clone()
        .delete_data(true)
        .delete(&bundle)
        .await
        .expect("teardown with data");
    assert!(volumes.get_opt(&volume).await.unwrap().is_none());
    assert!(
        ns.api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>()
            .get_opt("database")
            .await
            .unwrap()
            .is_none()
    );
}

/// The admission rules `Bundle::check` applies offline for quotas and limit ranges are the
/// apiserver's: raw pods that break them are rejected by the real admission plugins, the
/// LimitRange's defaults (including a maximum standing in for a missing default) are what
/// admission fills in, and a bundle that meets them is admitted and becomes ready.
#[tokio::test]
async fn quotas_and_limit_ranges_admit_what_the_bundle_check_admits() {
    use k8s_openapi::api::core::v1::{
        LimitRange as K8sLimitRange, Pod as K8sPod, ResourceQuota as K8sQuota,
    };
    use kube::api::PostParams;
    use kubeprint::limitrange::Limit;

    let ns = TestNs::restricted("quota").await;

    let quota = ResourceQuota::builder()
        .name("compute")
        .requests_cpu(Cpu::cores(2))
        .limits_memory(Memory::gib(2))
        .pods(4)
        .build();
    let web = |resources: Resources| {
        Deployment::builder()
            .name("web")
            .replicas(2)
            .template(
                PodTemplate::builder()
                    .container(
                        Container::builder()
                            .name("web")
                            .image("nginx:1.27")
                            .resources(resources)
                            .build(),
                    )
                    .build(),
            )
            .build()
    };
    // Offline: without requests and limits the quota's namespace rejects the pods.
    let mut unfit = Bundle::new("quota");
    unfit
        .add(quota.clone())
        .unwrap()
        .add(web(Resources::new()))
        .unwrap();
    let e = unfit.check().unwrap_err().to_string();
    assert!(
        e.contains(r#"resources.requests["cpu"]: required: resourcequota "compute""#),
        "{e}"
    );
    assert!(e.contains(r#"resources.limits["memory"]: required"#), "{e}");

    // The real apiserver agrees: the quota (once the controller has counted it) rejects such a
    // pod with the reason the check gives.
    let quotas: Api<K8sQuota> = ns.api();
    quotas
        .create(&PostParams::default(), &quota.to_object().unwrap())
        .await
        .expect("create quota");
    let bare = |name: &str, resources: Option<k8s_openapi::api::core::v1::ResourceRequirements>| {
        let mut pod: K8sPod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{"name": "web", "image": "nginx:1.27",
                    "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
            }
        }))
        .unwrap();
        pod.spec.as_mut().unwrap().containers[0].resources = resources;
        pod
    };
    let pods: Api<K8sPod> = ns.api();
    // Admission enforces a quota only once the quota controller has filled in its status
    // (before, pods pass unchecked and uncounted): wait for that, as kubeprint's apply does.
    until_counted(&quotas, "compute").await;
    let rejection = pods
        .create(&PostParams::default(), &bare("bare", None))
        .await
        .expect_err("a pod without requests and limits is rejected")
        .to_string();
    assert!(rejection.contains("must specify"), "{rejection}");
    assert!(
        rejection.contains("limits.memory") && rejection.contains("requests.cpu"),
        "{rejection}"
    );

    // A LimitRange whose maximum stands in for the default limit and request: admission fills
    // them in (as the check assumes) and the same pod is admitted.
    let range = LimitRange::builder()
        .name("bounds")
        .limit(Limit::container().max(Cpu::millis(500), Memory::mib(512)))
        .build();
    let ranges: Api<K8sLimitRange> = ns.api();
    ranges
        .create(&PostParams::default(), &range.to_object().unwrap())
        .await
        .expect("create limit range");
    // LimitRanger reads LimitRanges from the apiserver's informer, and a namespace it found
    // none in is remembered as empty for 30 s: a pod made right after the LimitRange can still
    // miss its defaults. Retry until the defaults apply (in about fifteen runs, one missed them
    // on the first attempt).
    let admitted = eventually(
        Duration::from_secs(40),
        "LimitRange defaults never applied",
        async || match pods
            .create(&PostParams::default(), &bare("defaulted", None))
            .await
        {
            Ok(pod) => Ok(pod),
            Err(e) if e.to_string().contains("must specify") => Err(e.to_string()),
            Err(e) => panic!("defaults from the LimitRange satisfy the quota: {e}"),
        },
    )
    .await;
    let r = admitted.spec.unwrap().containers[0]
        .resources
        .clone()
        .unwrap();
    assert_eq!(r.limits.unwrap()["memory"].0, "512Mi");
    assert_eq!(r.requests.unwrap()["cpu"].0, "500m");
    // Above the maximum: rejected, as the check says.
    let too_big = k8s_openapi::api::core::v1::ResourceRequirements {
        limits: Some(
            [(
                "cpu".into(),
                k8s_openapi::apimachinery::pkg::api::resource::Quantity("1".into()),
            )]
            .into(),
        ),
        ..Default::default()
    };
    let err = pods
        .create(&PostParams::default(), &bare("too-big", Some(too_big)))
        .await
        .expect_err("above the LimitRange maximum")
        .to_string();
    assert!(
        err.contains("maximum cpu usage per Container is 500m"),
        "{err}"
    );
    pods.delete("defaulted", &Default::default()).await.unwrap();
    quotas.delete("compute", &Default::default()).await.unwrap();
    ranges.delete("bounds", &Default::default()).await.unwrap();

    let mut offline = Bundle::new("quota");
    offline
        .add(quota.clone())
        .unwrap()
        .add(range.clone())
        .unwrap()
        .add(web(Resources::new().limits(Cpu::cores(1), Memory::mib(256))))
        .unwrap();
    let e = offline.check().unwrap_err().to_string();
    assert!(
        e.contains(
            r#"resources.limits["cpu"]: "1" is above the maximum "500m" of limitrange "bounds""#
        ),
        "{e}"
    );

    // The bundle that passes the check: applied with kubeprint, its pods are admitted (the
    // quota is enforced before the workloads are made: pods made earlier would escape it) and
    // the Deployment becomes ready.
    let mut fit = Bundle::new("quota");
    fit.add(quota)
        .unwrap()
        .add(range)
        .unwrap()
        .add(web(Resources::new()))
        .unwrap()
        .add(
            // A bare pod sets its own resources: unlike the Deployment's, which its ReplicaSet
            // retries, it would fail the apply if it met LimitRanger before the new LimitRange.
            kubeprint::Pod::builder()
                .name("once")
                .template(
                    PodTemplate::builder()
                        .container(
                            Container::builder()
                                .name("once")
                                .image("busybox:1.37")
                                .resources(
                                    Resources::new()
                                        .request_cpu(Cpu::millis(500))
                                        .limit_memory(Memory::mib(512)),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .unwrap();
    fit.check()
        .expect("the LimitRange's defaults satisfy the quota");
    let (recorded, events) = recording(ns.applier().await);
    recorded.apply(&fit).await.expect("apply");
    {
        let events = events.lock().unwrap();
        let quota_ready = first(&events, "Ready", &["ResourceQuota"]);
        let first_workload = first(&events, "Applying", &["Deployment", "Pod"]);
        assert!(
            quota_ready.is_some() && quota_ready < first_workload,
            "{events:#?}"
        );
    }
    let used = quotas
        .get("compute")
        .await
        .unwrap()
        .status
        .unwrap()
        .used
        .unwrap();
    assert_eq!(used["pods"].0, "3");
    assert_eq!(used["requests.cpu"].0, "1500m");
    assert_eq!(used["limits.memory"].0, "1536Mi");
}

/// Waits until the quota controller has filled in quota `name`'s status: only then does
/// admission enforce it.
async fn until_counted(quotas: &Api<k8s_openapi::api::core::v1::ResourceQuota>, name: &str) {
    eventually(
        Duration::from_secs(30),
        "the quota controller never counted",
        async || match quotas.get(name).await.unwrap().status.and_then(|s| s.hard) {
            Some(_) => Ok(()),
            None => Err(name.to_owned()),
        },
    )
    .await;
}

/// A quota applied with its workloads constrains them: the apply waits until the quota
/// controller has counted the namespace (before that, admission lets pods through unchecked
/// and uncounted). The namespace already runs one pod the bundle does not know, so the bundle's
/// two pods fit `pods: 2` on paper (the offline check passes) and the second is refused.
#[tokio::test]
async fn a_quota_is_enforced_before_the_workloads_of_its_bundle() {
    let ns = TestNs::new("quota_first").await;
    let pod = |name: &str| {
        kubeprint::Pod::builder()
            .name(name)
            .template(
                PodTemplate::builder()
                    .container(
                        Container::builder()
                            .name("main")
                            .image("busybox:1.37")
                            .build(),
                    )
                    .build(),
            )
            .build()
    };
    let pods = ns.api::<k8s_openapi::api::core::v1::Pod>();
    pods.create(&Default::default(), &pod("existing").to_object().unwrap())
        .await
        .expect("a pod outside the bundle");
    let mut b = Bundle::new("quota-first");
    b.add(ResourceQuota::builder().name("two-pods").pods(2).build())
        .unwrap()
        .add(pod("first"))
        .unwrap()
        .add(pod("second"))
        .unwrap();
    b.check().expect("on paper the bundle fits its quota");
    let err = ns
        .applier()
        .await
        .apply(&b)
        .await
        .expect_err("the quota admits one more pod")
        .to_string();
    assert!(err.contains("exceeded quota: two-pods"), "{err}");
    let items = pods.list(&Default::default()).await.unwrap().items;
    assert_eq!(items.len(), 2, "the existing pod and one of the bundle's");
}

/// The offline side of the same rule: a quota below what the bundle alone needs is reported
/// before anything is sent, and the real apiserver agrees (the third replica never appears).
#[tokio::test]
async fn a_quota_below_the_bundles_own_use_is_reported_and_the_apiserver_agrees() {
    use k8s_openapi::api::apps::v1::Deployment as K8sDeployment;
    use k8s_openapi::api::core::v1::ResourceQuota as K8sQuota;

    let ns = TestNs::new("quota_total").await;
    let quota = ResourceQuota::builder()
        .name("cpu")
        .requests_cpu(Cpu::cores(2))
        .build();
    let web = Deployment::builder()
        .name("web")
        .replicas(3)
        .template(
            PodTemplate::builder()
                .container(
                    Container::builder()
                        .name("web")
                        .image("nginx:1.27")
                        .resources(Resources::new().request_cpu(Cpu::cores(1)))
                        .build(),
                )
                .build(),
        )
        .build();
    let mut b = Bundle::new("quota-total");
    b.add(quota.clone()).unwrap().add(web.clone()).unwrap();
    let e = b.check().unwrap_err().to_string();
    assert!(
        e.contains(r#"resourcequota "cpu": spec.hard["requests.cpu"]: "2" is less than the bundle's own use in this namespace, 3"#),
        "{e}"
    );

    // Sent as it is, bypassing the check: two replicas run, the third is refused for good.
    let quotas = ns.api::<K8sQuota>();
    quotas
        .create(&Default::default(), &quota.to_object().unwrap())
        .await
        .unwrap();
    until_counted(&quotas, "cpu").await;
    let deployments = ns.api::<K8sDeployment>();
    deployments
        .create(&Default::default(), &web.to_object().unwrap())
        .await
        .unwrap();
    // Two replicas fit and run; the third is refused (the status may catch up in steps).
    eventually(
        Duration::from_secs(60),
        "not two replicas and a ReplicaFailure",
        async || {
            let status = deployments
                .get("web")
                .await
                .unwrap()
                .status
                .unwrap_or_default();
            let refused = status.conditions.iter().flatten().any(|c| {
                c.type_.as_deref() == Some("ReplicaFailure")
                    && c.message
                        .as_deref()
                        .is_some_and(|m| m.contains("exceeded quota: cpu"))
            });
            if refused && status.replicas == Some(2) {
                Ok(())
            } else {
                Err(format!("{status:?}"))
            }
        },
    )
    .await;
}

#[tokio::test]
async fn ingress_class_applies_with_its_ingress_and_goes_on_teardown() {
    use k8s_openapi::api::networking::v1::IngressClass as K8sClass;
    use kubeprint::ingress::{Backend, IngressRule};

    let ns = TestNs::new("ingress_class").await;
    let class = format!("{}-lb", ns.name);
    let classes: Api<K8sClass> = Api::all(ns.client.clone());
    remove_leftover(&classes, &class).await;
    let mut bundle = Bundle::new("web")
        .with(
            IngressClass::builder()
                .name(class.as_str())
                .controller("example.com/ingress-controller")
                .build(),
        )
        .unwrap()
        .with(
            Ingress::builder()
                .name("web")
                .ingress_class(class.as_str())
                .rule(IngressRule::host("web.example.com").prefix("/", Backend::service("web", 80)))
                .build(),
        )
        .unwrap();
    bundle.external_service("web");
    let applier = ns.applier().await.wait(kubeprint::apply::Wait::None);
    let report = applier.apply(&bundle).await.expect("apply");
    assert_eq!(
        report.outcome("IngressClass", &class),
        Some(Outcome::Created)
    );
    let live = classes.get(&class).await.unwrap();
    assert_eq!(
        live.spec.unwrap().controller.as_deref(),
        Some("example.com/ingress-controller")
    );
    assert_eq!(live.metadata.namespace, None);
    let ingress = ns
        .api::<k8s_openapi::api::networking::v1::Ingress>()
        .get("web")
        .await
        .unwrap();
    assert_eq!(
        ingress.spec.unwrap().ingress_class_name.as_deref(),
        Some(class.as_str())
    );
    applier.delete(&bundle).await.expect("teardown");
    assert!(classes.get_opt(&class).await.unwrap().is_none());
}

/// Applies a cluster-scoped class (`K`, named `name`, made by `class`) with a one-replica
/// Deployment whose pods name it (`template`), checks the class was ready before the
/// Deployment was sent, returns the pod's spec as admission left it, then tears the bundle down
/// and checks the class went with it.
async fn pod_of_class<K, M>(
    ns: &TestNs,
    name: &str,
    class: M,
    template: PodTemplate,
) -> k8s_openapi::api::core::v1::PodSpec
where
    K: kube::Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>
        + k8s_openapi::Resource
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    M: Manifest,
{
    let classes: Api<K> = Api::all(ns.client.clone());
    remove_leftover(&classes, name).await;
    let bundle = Bundle::new("classed")
        .with(class)
        .unwrap()
        .with(Deployment::builder().name("web").template(template).build())
        .unwrap();
    let applier = ns.applier().await;
    let (recorded, events) = recording(applier.clone());
    recorded.apply(&bundle).await.expect("apply");
    {
        // The class is in place before the Deployment is even sent.
        let events = events.lock().unwrap();
        let class_ready = first(&events, "Ready", &[<K as k8s_openapi::Resource>::KIND]);
        let workload = first(&events, "Applying", &["Deployment"]);
        assert!(
            class_ready.is_some() && class_ready < workload,
            "{events:#?}"
        );
    }
    let pods = ns
        .api::<k8s_openapi::api::core::v1::Pod>()
        .list(&Default::default())
        .await
        .unwrap()
        .items;
    assert_eq!(pods.len(), 1);
    applier.delete(&bundle).await.expect("teardown");
    assert!(classes.get_opt(name).await.unwrap().is_none());
    pods[0].spec.clone().unwrap()
}

fn web_container() -> Container {
    Container::builder().name("web").image("nginx:1.27").build()
}

/// A PriorityClass of the bundle exists before the pods that name it (admission rejects pods
/// whose class is missing), and they get its value.
#[tokio::test]
async fn priority_class_applies_before_the_pods_that_name_it() {
    let ns = TestNs::new("priority").await;
    let class = format!("{}-high", ns.name);
    let spec = pod_of_class::<k8s_openapi::api::scheduling::v1::PriorityClass, _>(
        &ns,
        &class,
        PriorityClass::builder()
            .name(class.as_str())
            .value(1_000)
            .preemption(kubeprint::priorityclass::Preemption::Never)
            .build(),
        PodTemplate::builder()
            .priority_class(class.as_str())
            .container(web_container())
            .build(),
    )
    .await;
    assert_eq!(
        (spec.priority, spec.preemption_policy.as_deref()),
        (Some(1_000), Some("Never"))
    );
}

/// A RuntimeClass of the bundle exists before the pods that name it (admission rejects pods
/// whose class is missing); admission adds its overhead and node selector to them.
#[tokio::test]
async fn runtime_class_overhead_and_node_selector_reach_the_pods() {
    let ns = TestNs::new("runtime").await;
    let class = format!("{}-sandbox", ns.name);
    let spec = pod_of_class::<k8s_openapi::api::node::v1::RuntimeClass, _>(
        &ns,
        &class,
        RuntimeClass::builder()
            .name(class.as_str())
            .handler("runsc")
            .overhead(Cpu::millis(250), Memory::mib(120))
            .node_label("kubernetes.io/os", "linux")
            .build(),
        PodTemplate::builder()
            .runtime_class(class.as_str())
            .container(web_container())
            .build(),
    )
    .await;
    assert_eq!(spec.runtime_class_name.as_deref(), Some(class.as_str()));
    let overhead = spec.overhead.unwrap();
    assert_eq!(
        (overhead["cpu"].0.as_str(), overhead["memory"].0.as_str()),
        ("250m", "120Mi")
    );
    assert_eq!(spec.node_selector.unwrap()["kubernetes.io/os"], "linux");
}
