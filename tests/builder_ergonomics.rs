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
