//! Raw `k8s-openapi` objects for the crate's unit tests (references, bundle, graph).

use crate::bundle::Bundle;
use crate::object::Object;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec, Secret, Service, ServiceAccount,
    ServicePort, ServiceSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

pub(crate) fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

pub(crate) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A container with named TCP ports (`""` for an unnamed port).
pub(crate) fn container(name: &str, ports: &[(&str, i32)]) -> Container {
    let ports: Vec<ContainerPort> = ports
        .iter()
        .map(|(n, p)| ContainerPort {
            name: (!n.is_empty()).then(|| (*n).to_owned()),
            container_port: *p,
            ..Default::default()
        })
        .collect();
    Container {
        name: name.into(),
        image: Some("registry.example/app:1.0".into()),
        ports: (!ports.is_empty()).then_some(ports),
        ..Default::default()
    }
}

pub(crate) fn pod(containers: Vec<Container>) -> PodSpec {
    PodSpec {
        containers,
        ..Default::default()
    }
}

pub(crate) fn template(app: &str, spec: PodSpec) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(&[("app", app)])),
            ..Default::default()
        }),
        spec: Some(spec),
    }
}

pub(crate) fn selector(app: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels(&[("app", app)])),
        ..Default::default()
    }
}

/// A Deployment whose pods are labelled `app=<name>`.
pub(crate) fn deployment(name: &str, spec: PodSpec) -> Deployment {
    Deployment {
        metadata: meta(name),
        spec: DeploymentSpec {
            selector: selector(name),
            template: template(name, spec),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub(crate) fn statefulset(
    name: &str,
    service: Option<&str>,
    claims: &[&str],
    spec: PodSpec,
) -> StatefulSet {
    let claims: Vec<PersistentVolumeClaim> = claims.iter().map(|c| pvc(c)).collect();
    StatefulSet {
        metadata: meta(name),
        spec: StatefulSetSpec {
            selector: selector(name),
            service_name: service.map(str::to_owned),
            template: template(name, spec),
            volume_claim_templates: (!claims.is_empty()).then_some(claims),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub(crate) fn config_map(name: &str, keys: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: meta(name),
        data: Some(labels(keys)),
        ..Default::default()
    }
}

pub(crate) fn secret(name: &str, keys: &[(&str, &str)]) -> Secret {
    Secret {
        metadata: meta(name),
        string_data: Some(labels(keys)),
        ..Default::default()
    }
}

pub(crate) fn pvc(name: &str) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta(name),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(k8s_openapi::api::core::v1::VolumeResourceRequirements {
                requests: Some(
                    [(
                        "storage".to_owned(),
                        k8s_openapi::apimachinery::pkg::api::resource::Quantity("1Gi".into()),
                    )]
                    .into(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(crate) fn service_account(name: &str) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(name),
        ..Default::default()
    }
}

/// A ClusterIP Service selecting `app=<app>` with `(name, port, targetPort)` ports.
pub(crate) fn service(
    name: &str,
    app: &str,
    ports: &[(&str, i32, Option<IntOrString>)],
) -> Service {
    Service {
        metadata: meta(name),
        spec: Some(ServiceSpec {
            selector: (!app.is_empty()).then(|| labels(&[("app", app)])),
            ports: Some(
                ports
                    .iter()
                    .map(|(n, p, t)| ServicePort {
                        name: (!n.is_empty()).then(|| (*n).to_owned()),
                        port: *p,
                        target_port: t.clone(),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(crate) fn headless(mut s: Service) -> Service {
    if let Some(spec) = &mut s.spec {
        spec.cluster_ip = Some("None".into());
    }
    s
}

pub(crate) fn cm_volume(name: &str, config_map: &str) -> Volume {
    Volume {
        name: name.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(crate) fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(Default::default()),
        ..Default::default()
    }
}

/// A bundle of the objects; panics (test code) when one does not go in.
pub(crate) fn bundle(objects: Vec<Object>) -> Bundle {
    let mut b = Bundle::new("test");
    for o in objects {
        let name = o.object_ref().to_string();
        if let Err(e) = b.add(o.clone()) {
            panic!("adding {name}: {e}");
        }
    }
    b
}

/// The reference violations, one line each.
pub(crate) fn violations(b: &Bundle) -> Vec<String> {
    crate::check::references::check(b)
        .iter()
        .map(ToString::to_string)
        .collect()
}
