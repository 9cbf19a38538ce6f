//! Synthetic bundles for the benchmarks: N objects, half ConfigMaps, a quarter Services and a
//! quarter Deployments, grouped in "apps" of one ConfigMap + one Service + one Deployment (the
//! Service selects the Deployment's pods) plus extra ConfigMaps. Built with the public
//! builders, as a user would. Shared by `benches/render.rs` and `examples/bench_apply.rs`
//! (`#[path]`-included), so the in-process and the on-cluster figures describe the same objects.
#![allow(dead_code)]

use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubeprint::prelude::*;
use kubeprint::service::{Service, ServicePort};
use std::collections::BTreeMap;

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
    ConfigMap::builder()
        .name(format!("config-{i:05}"))
        .labels(Labels::from([("app.kubernetes.io/part-of", "bench"), ("bench.kubeprint.dev/shard", "a")]))
        .entry("LOG_LEVEL", "info")
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

/// A Deployment like the book's kuard one, PodSecurity-restricted. Raw `k8s-openapi` until the
/// pod layer's builder is merged (validated the same way: `Manifest` for raw objects).
fn deployment(i: usize, replicas: i32) -> apps::Deployment {
    let name = app_name(i);
    let labels: BTreeMap<String, String> = [
        ("app.kubernetes.io/name".to_owned(), name.clone()),
        ("app.kubernetes.io/part-of".to_owned(), "bench".to_owned()),
    ]
    .into();
    let selector: BTreeMap<String, String> =
        [("app.kubernetes.io/name".to_owned(), name.clone())].into();
    let quantity = |s: &str| k8s_openapi::apimachinery::pkg::api::resource::Quantity(s.to_owned());
    apps::Deployment {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            labels: Some(labels.clone()),
            ..Default::default()
        },
        spec: apps::DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..Default::default()
            },
            template: core::PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..Default::default()
                }),
                spec: Some(core::PodSpec {
                    automount_service_account_token: Some(false),
                    security_context: Some(core::PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(1000),
                        seccomp_profile: Some(core::SeccompProfile {
                            type_: "RuntimeDefault".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    containers: vec![core::Container {
                        name: "app".into(),
                        image: Some("gcr.io/kuar-demo/kuard-amd64:blue".into()),
                        ports: Some(vec![core::ContainerPort {
                            name: Some("http".into()),
                            container_port: 8080,
                            ..Default::default()
                        }]),
                        env: Some(vec![core::EnvVar {
                            name: "CONFIG_NAME".into(),
                            value: Some(format!("config-{i:05}")),
                            ..Default::default()
                        }]),
                        resources: Some(core::ResourceRequirements {
                            requests: Some(
                                [
                                    ("cpu".to_owned(), quantity("10m")),
                                    ("memory".to_owned(), quantity("16Mi")),
                                ]
                                .into(),
                            ),
                            limits: Some([("memory".to_owned(), quantity("64Mi"))].into()),
                            ..Default::default()
                        }),
                        readiness_probe: Some(core::Probe {
                            http_get: Some(core::HTTPGetAction {
                                path: Some("/ready".into()),
                                port: IntOrString::String("http".into()),
                                ..Default::default()
                            }),
                            period_seconds: Some(2),
                            ..Default::default()
                        }),
                        security_context: Some(core::SecurityContext {
                            allow_privilege_escalation: Some(false),
                            read_only_root_filesystem: Some(true),
                            capabilities: Some(core::Capabilities {
                                drop: Some(vec!["ALL".into()]),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The synthetic bundle of `n` objects (see the module docs). `replicas` is each Deployment's
/// replica count.
pub fn bundle(n: usize, replicas: i32, configmaps_only: bool) -> kubeprint::Result<Bundle> {
    let mix = Mix::of(n, configmaps_only);
    let mut b = Bundle::new("bench");
    for i in 0..mix.deployments {
        b.add(config_map(i))?;
        b.add(service(i))?;
        b.add(deployment(i, replicas))?;
    }
    for i in mix.deployments..mix.configmaps {
        b.add(config_map(i))?;
    }
    Ok(b)
}
