//! Synthetic bundles for the benchmarks: N objects, half ConfigMaps, a quarter Services and a
//! quarter Deployments, grouped in "apps" of one ConfigMap + one Service + one Deployment (the
//! Service selects the Deployment's pods) plus extra ConfigMaps. Built with the public
//! builders, as a user would. Shared by `benches/render.rs` and `benches/bin/bench_apply.rs`
//! (`#[path]`-included), so the in-process and the on-cluster figures describe the same objects;
//! `plan_bundle` adds Secrets, for `benches/plan.rs`.
#![allow(dead_code)]

use kubeprint::prelude::*;
use kubeprint::service::ServicePort;

/// How many objects of each kind a synthetic bundle of `n` objects has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    pub configmaps: usize,
    pub services: usize,
    pub deployments: usize,
}

impl Mix {
    /// ½ ConfigMaps, ¼ Services, ¼ Deployments (the remainder goes to ConfigMaps), or only
    /// ConfigMaps.
    pub fn of(n: usize, configmaps_only: bool) -> Mix {
        if configmaps_only {
            return Mix {
                configmaps: n,
                services: 0,
                deployments: 0,
            };
        }
        let apps = n / 4;
        Mix {
            configmaps: n - 2 * apps,
            services: apps,
            deployments: apps,
        }
    }

    pub fn total(&self) -> usize {
        self.configmaps + self.services + self.deployments
    }
}

fn app_name(i: usize) -> String {
    format!("app-{i:05}")
}

fn config_map(i: usize) -> ConfigMap {
    config_map_at(i, "info")
}

fn config_map_at(i: usize, level: &str) -> ConfigMap {
    ConfigMap::builder()
        .name(format!("config-{i:05}"))
        .labels(Labels::from([("app.kubernetes.io/part-of", "bench"), ("bench.kubeprint.dev/shard", "a")]))
        .entry("LOG_LEVEL", level)
        .entry("FEATURE_FLAGS", "search,reports,export")
        .entry(
            "app.properties",
            format!("name=app-{i:05}\nthreads=4\ncache.size=128Mi\nupstream=http://backend-{i:05}:8080\n"),
        )
        .build()
}

fn service(i: usize) -> Service {
    Service::builder()
        .name(app_name(i))
        .labels(Labels::from([("app.kubernetes.io/part-of", "bench")]))
        .selector([("app.kubernetes.io/name", app_name(i))])
        .port(ServicePort::tcp("http", 80).target("http"))
        .build()
}

/// A Deployment like the book's kuard one; PodSecurity-restricted (kubeprint's default).
/// `rolling`: its container reads ConfigMap `config-<i>` (`envFrom`) and the pods roll when it
/// changes (the bundle keeps a config checksum on the template).
fn deployment(i: usize, replicas: i32, rolling: bool) -> Deployment {
    deployment_of(i, replicas, "gcr.io/kuar-demo/kuard-amd64:blue", rolling)
}

fn deployment_of(i: usize, replicas: i32, image: &str, rolling: bool) -> Deployment {
    let name = app_name(i);
    let config = format!("config-{i:05}");
    let mut container = Container::builder()
        .name("app")
        .image(image)
        .port(Port::tcp("http", 8080))
        .env(EnvVar::value("CONFIG_NAME", config.clone()))
        .readiness(Probe::http_get("/ready", "http").period(2))
        .resources(
            Resources::new()
                .requests(Cpu::millis(10), Memory::mib(16))
                .limit_memory(Memory::mib(64)),
        );
    let mut template = PodTemplate::builder()
        .selector_label("app.kubernetes.io/name", name.clone())
        .label("app.kubernetes.io/part-of", "bench")
        .security(PodSecurity::restricted().run_as_user(1000));
    if rolling {
        container = container.env_from(EnvFrom::config_map(config));
        template = template.rollout_on_config_change();
    }
    Deployment::builder()
        .name(name)
        .labels(Labels::from([("app.kubernetes.io/part-of", "bench")]))
        .replicas(replicas)
        .template(template.container(container.build()).build())
        .build()
}

/// The synthetic bundle of `n` objects (see the module docs). `replicas` is each Deployment's
/// replica count.
pub fn bundle(n: usize, replicas: i32, configmaps_only: bool) -> kubeprint::Result<Bundle> {
    build(n, replicas, configmaps_only, false, 0)
}

/// [`bundle`] with every `every`-th ConfigMap changed (`LOG_LEVEL` `debug`): with the mixed
/// kinds (ConfigMaps are half the objects) `every` = 10 changes 5 % of the objects.
pub fn changed_bundle(
    n: usize,
    replicas: i32,
    configmaps_only: bool,
    every: usize,
) -> kubeprint::Result<Bundle> {
    build(n, replicas, configmaps_only, false, every)
}

/// [`bundle`] whose Deployments each read their app's ConfigMap and opt in to rolling on
/// config changes, so the bundle maintains a config checksum per Deployment.
pub fn rolling_bundle(n: usize) -> kubeprint::Result<Bundle> {
    build(n, 1, false, true, 0)
}

fn build(
    n: usize,
    replicas: i32,
    configmaps_only: bool,
    rolling: bool,
    changed_every: usize,
) -> kubeprint::Result<Bundle> {
    let config_map = |i: usize| {
        if changed_every > 0 && i.is_multiple_of(changed_every) {
            config_map_at(i, "debug")
        } else {
            config_map_at(i, "info")
        }
    };
    let mix = Mix::of(n, configmaps_only);
    let mut b = Bundle::new("bench");
    for i in 0..mix.deployments {
        b.add(config_map(i))?;
        b.add(service(i))?;
        b.add(deployment(i, replicas, rolling))?;
    }
    for i in mix.deployments..mix.configmaps {
        b.add(config_map(i))?;
    }
    Ok(b)
}

/// The bundles of the plan benchmark (`benches/plan.rs`): `apps` apps of four objects each — a
/// ConfigMap, a Secret (a `user` and a generated-once `password`), a Service and a Deployment.
/// `revision` 2 changes every tenth app's ConfigMap (i % 10 == 1), Deployment image (== 2) and
/// Secret `user` (== 3) from revision 1; `retired` extra ConfigMaps are there only in revision
/// 1 (they are pruned by revision 2).
pub fn plan_bundle(apps: usize, revision: u32, retired: usize) -> kubeprint::Result<Bundle> {
    let changed = |i: usize, k: usize| revision > 1 && i % 10 == k;
    let mut b = Bundle::new("bench-plan");
    for i in 0..apps {
        b.add(config_map_at(
            i,
            if changed(i, 1) { "debug" } else { "info" },
        ))?;
        b.add(
            Secret::builder()
                .name(format!("db-{i:05}"))
                .labels(Labels::from([("app.kubernetes.io/part-of", "bench")]))
                .entry("user", if changed(i, 3) { "admin" } else { "app" })
                .generated("password", kubeprint::secret::Generate::alphanumeric())
                .build(),
        )?;
        b.add(service(i))?;
        let image = if changed(i, 2) {
            "gcr.io/kuar-demo/kuard-amd64:green"
        } else {
            "gcr.io/kuar-demo/kuard-amd64:blue"
        };
        b.add(deployment_of(i, 0, image, false))?;
    }
    if revision == 1 {
        for i in 0..retired {
            b.add(
                ConfigMap::builder()
                    .name(format!("retired-{i:05}"))
                    .entry("k", "v")
                    .build(),
            )?;
        }
    }
    Ok(b)
}
