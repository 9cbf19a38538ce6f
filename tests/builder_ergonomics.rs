//! What a program with environments writes: conditional settings in one builder chain,
//! bundle-wide labels, and namespace-less objects next to ones that name `default`.

use kubeprint::prelude::*;

/// The settings one environment differs by.
struct Env {
    name: &'static str,
    replicas: Option<i32>,
    completions: Option<i32>,
    paused: bool,
}

const DEV: Env = Env {
    name: "dev",
    replicas: None,
    completions: None,
    paused: true,
};
const PROD: Env = Env {
    name: "prod",
    replicas: Some(3),
    completions: Some(5),
    paused: false,
};

fn web(env: &Env) -> Deployment {
    Deployment::builder()
        .name("web")
        .replicas_opt(env.replicas)
        .paused_if(env.paused)
        .template(
            PodTemplate::builder()
                .container(
                    Container::builder()
                        .name("web")
                        .image("nginx:1.27")
                        .port(Port::tcp("http", 8080))
                        .liveness_opt(env.replicas.map(|_| Probe::http_get("/healthz", "http")))
                        .build(),
                )
                .build(),
        )
        .build()
}

fn migrate(env: &Env) -> Job {
    Job::builder()
        .name("migrate")
        .completions_opt(env.completions)
        .parallelism_opt(env.completions.map(|c| c.min(2)))
        .template(
            PodTemplate::builder()
                .container(
                    Container::builder()
                        .name("migrate")
                        .image("busybox:1.36")
                        .build(),
                )
                .build(),
        )
        .build()
}

#[test]
fn optional_setters_take_options_so_one_chain_serves_every_environment() -> Result<()> {
    let dev = web(&DEV).to_object()?;
    let prod = web(&PROD).to_object()?;
    assert_eq!((dev.spec.replicas, dev.spec.paused), (None, Some(true)));
    assert_eq!((prod.spec.replicas, prod.spec.paused), (Some(3), None));
    let container = |d: &k8s_openapi::api::apps::v1::Deployment| {
        d.spec.template.spec.as_ref().unwrap().containers[0].clone()
    };
    assert!(container(&dev).liveness_probe.is_none());
    assert!(container(&prod).liveness_probe.is_some());

    let job = migrate(&PROD).to_object()?;
    let spec = job.spec.unwrap();
    assert_eq!((spec.completions, spec.parallelism), (Some(5), Some(2)));
    let job = migrate(&DEV).to_object()?;
    let spec = job.spec.unwrap();
    assert_eq!((spec.completions, spec.parallelism), (None, None));
    Ok(())
}

#[test]
fn bundle_labels_reach_every_object_but_not_selectors() -> Result<()> {
    for env in [&DEV, &PROD] {
        let mut app = Bundle::new("shop");
        app.set_namespace(&format!("shop-{}", env.name));
        app.label("app.kubernetes.io/part-of", "shop")
            .label("env", env.name);
        app.add(web(env))?;
        app.add(Service::for_workload(&web(env)).build())?;
        app.add(migrate(env))?;
        app.check()?;
        for o in app.objects() {
            let labels = o.metadata().labels.clone().unwrap_or_default();
            assert_eq!(
                labels.get("env").map(String::as_str),
                Some(env.name),
                "{}",
                o.object_ref()
            );
            assert_eq!(labels["app.kubernetes.io/part-of"], "shop");
        }
        let Some(Object::Deployment(d)) = app.get("Deployment", "web") else {
            panic!("no deployment");
        };
        let selector = d.spec.selector.match_labels.clone().unwrap();
        assert!(!selector.contains_key("env"), "{selector:?}");
    }
    Ok(())
}

#[test]
fn an_object_without_namespace_is_in_default_when_the_bundle_names_none() -> Result<()> {
    let deployment = web(&DEV);
    let service = Service::for_workload(&deployment)
        .namespace("default")
        .build();
    let mut app = Bundle::new("shop");
    app.add(deployment)?.add(service)?;
    app.check()?;

    // Elsewhere than `default`, the same Service selects nothing in the bundle.
    let service = Service::for_workload(&web(&DEV)).namespace("other").build();
    let mut app = Bundle::new("shop");
    app.add(web(&DEV))?.add(service)?;
    let err = app.check().unwrap_err().to_string();
    assert!(err.contains(r#"service "other/web""#), "{err}");
    Ok(())
}

/// The constructors take the required fields as arguments and hand back the builder, so the
/// result is the same object the long form builds.
#[test]
fn constructors_take_the_required_fields_and_build_the_same_objects() -> Result<()> {
    let pods = || {
        PodTemplate::builder()
            .container(Container::new("web", "nginx:1.27").build())
            .build()
    };
    let short = Deployment::new("web", pods()).replicas(2).build();
    let long = Deployment::builder()
        .name("web")
        .template(pods())
        .replicas(2)
        .build();
    assert_eq!(
        serde_json::to_value(short.to_object()?).unwrap(),
        serde_json::to_value(long.to_object()?).unwrap()
    );

    let set = StatefulSet::new("db", "db", pods()).replicas(3).build();
    let set = set.to_object()?;
    assert_eq!(set.spec.service_name.as_deref(), Some("db"));

    let nightly = CronJob::new("backup", "0 3 * * *", pods())
        .time_zone("Etc/UTC")
        .build()
        .to_object()?;
    assert_eq!(nightly.spec.schedule, "0 3 * * *");

    let claim = PersistentVolumeClaim::new("data", Storage::gib(1)).build();
    assert_eq!(claim.to_object()?.metadata.name.as_deref(), Some("data"));
    Ok(())
}

/// `.own_labels_only()` leaves the selector labels off the controller's metadata; they stay in
/// the selector and on the pods, and the bundle still finds the pods of its Service.
#[test]
fn own_labels_only_keeps_selector_labels_off_the_controller() -> Result<()> {
    let template = || {
        PodTemplate::builder()
            .selector_label("app", "web")
            .container(
                Container::new("web", "nginx:1.27")
                    .port(Port::tcp("http", 8080))
                    .build(),
            )
            .build()
    };
    let plain = Deployment::new("web", template())
        .labels([("tier", "frontend")])
        .build()
        .to_object()?;
    let labels = plain.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get("app").map(String::as_str),
        Some("web"),
        "the default copies them"
    );

    let web = Deployment::new("web", template())
        .labels([("tier", "frontend")])
        .own_labels_only()
        .build();
    let object = web.to_object()?;
    let labels = object.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert_eq!(labels.get("tier").map(String::as_str), Some("frontend"));
    let spec = &object.spec;
    let selector = spec.selector.match_labels.clone().unwrap_or_default();
    assert_eq!(selector.get("app").map(String::as_str), Some("web"));
    let pod_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    assert_eq!(pod_labels.get("app").map(String::as_str), Some("web"));

    // The same switch on the other controllers, and `_if` for a computed choice.
    for job_labels in [
        Job::new("once", template())
            .own_labels_only_if(true)
            .build()
            .to_object()?
            .metadata
            .labels,
        StatefulSet::new("db", "db", template())
            .own_labels_only()
            .build()
            .to_object()?
            .metadata
            .labels,
        DaemonSet::new("agent", template())
            .own_labels_only()
            .build()
            .to_object()?
            .metadata
            .labels,
    ] {
        assert!(job_labels.unwrap_or_default().is_empty());
    }

    let mut app = Bundle::new("shop");
    let service = Service::for_workload(&web).build();
    app.add(web)?.add(service)?;
    app.check()?;
    Ok(())
}
