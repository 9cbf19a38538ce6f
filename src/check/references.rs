//! Cross-object reference checks: the rules [`Bundle::check`] applies between the objects of a
//! [`Bundle`].
//!
//! One walker, two users: the same code lists what an object points at (by name or by label
//! selector) for these checks and for the edges [`crate::graph`] draws.
//!
//! Rules (every one reports the referring object and the field path):
//! - ConfigMaps, Secrets, PersistentVolumeClaims, ServiceAccounts and image pull Secrets a pod
//!   uses (volumes incl. projected sources and CSI secrets, `env[].valueFrom`, `envFrom`,
//!   `serviceAccountName`, `imagePullSecrets`) are in the bundle or declared external; the keys
//!   picked from a ConfigMap/Secret in the bundle exist. `optional: true` references are fine,
//!   and so is the ServiceAccount `default`, which every namespace has.
//! - A StatefulSet's pod volumes named like one of its `volumeClaimTemplates` are replaced by
//!   the generated claims, so they are not checked.
//! - A Service with a selector selects the pods of at least one workload in the bundle (or pods
//!   declared external), and every `targetPort` exists on each selected workload: a name must
//!   be a container port's name; a number must be a container port unless some container
//!   declares no ports at all. Protocols must agree.
//! - A Service without a selector (other than `ExternalName`) has an EndpointSlice in the
//!   bundle labelled `kubernetes.io/service-name`, or its endpoints are declared external.
//! - A StatefulSet's `serviceName` is a headless Service (`clusterIP: None`) in the bundle, or
//!   external.
//! - Ingress backends are Services in the bundle (or external) with the named/numbered port;
//!   TLS secrets exist.
//! - A HorizontalPodAutoscaler's `scaleTargetRef` exists.
//! - PodDisruptionBudget and NetworkPolicy selectors select some workload's pods. An empty
//!   selector (`{}`) of a NetworkPolicy (`spec.podSelector` or a peer) means "every pod in the
//!   namespace" and is always fine; peers with a `namespaceSelector` point into other
//!   namespaces and are not checked.
//!
//! Namespaces: an object without a namespace is in the bundle's target namespace; references
//! resolve within one namespace. External declarations match in any namespace.
//!
//! ```
//! use kubeprint::prelude::*;
//! use k8s_openapi::api::core::v1::{ConfigMapVolumeSource, Container, Pod, PodSpec, Volume};
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
//! let pod = Pod {
//!     metadata: ObjectMeta { name: Some("kuard".into()), ..Default::default() },
//!     spec: Some(PodSpec {
//!         containers: vec![Container { name: "kuard".into(), image: Some("kuard:blue".into()), ..Default::default() }],
//!         volumes: Some(vec![Volume {
//!             name: "config".into(),
//!             config_map: Some(ConfigMapVolumeSource { name: "kuard-config".into(), ..Default::default() }),
//!             ..Default::default()
//!         }]),
//!         ..Default::default()
//!     }),
//!     ..Default::default()
//! };
//! let mut app = Bundle::new("kuard").with(pod)?;
//! assert_eq!(
//!     app.check().unwrap_err().to_string(),
//!     r#"pod "kuard": spec.volumes[0].configMap.name: configmap "kuard-config" is neither in the bundle nor declared external"#
//! );
//! app.add(ConfigMap::builder().name("kuard-config").entry("level", "debug").build())?;
//! assert!(app.check().is_ok());
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::bundle::Bundle;
use crate::bundle::index::{Index, selected_external};
use crate::error::{ObjectRef, Violation};
use crate::object::Object;
use crate::object::refs::*;
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn display(kind: &str, name: &str) -> ObjectRef {
    ObjectRef::new(kind, name)
}

/// Keys a ConfigMap or Secret holds (Secrets: also the generate-once keys it announces).
fn has_key(o: &Object, key: &str) -> bool {
    match o {
        Object::ConfigMap(cm) => {
            cm.data.as_ref().is_some_and(|d| d.contains_key(key))
                || cm.binary_data.as_ref().is_some_and(|d| d.contains_key(key))
        }
        Object::Secret(s) => {
            s.data.as_ref().is_some_and(|d| d.contains_key(key))
                || s.string_data.as_ref().is_some_and(|d| d.contains_key(key))
                || o.generate_once_keys().iter().any(|k| k == key)
        }
        _ => true,
    }
}

fn check_ref(index: &Index<'_>, o: &Object, r: &Ref<'_>, out: &mut Vec<Violation>) {
    let bundle = index.bundle;
    let fail = |out: &mut Vec<Violation>, path: &str, message: String| {
        out.push(Violation::new(o.object_ref(), path, message));
    };
    let ns = bundle.namespace_of(o);
    let Some(target) = index.find(r.kind, ns, r.name) else {
        if r.optional || bundle.is_external(r.kind, r.name) {
            return;
        }
        let mut message = format!(
            "{} is neither in the bundle nor declared external",
            display(r.kind, r.name)
        );
        if let Some(other) = index.namespace_with(r.kind, r.name) {
            let _ = write!(message, " (the bundle has one in namespace {other:?})");
        }
        fail(out, &r.path, message);
        return;
    };
    if !r.optional {
        for (path, key) in &r.keys {
            if !has_key(target, key) {
                fail(
                    out,
                    path,
                    format!("{} has no key {key:?}", display(r.kind, r.name)),
                );
            }
        }
    }
    if let (Some((path, port)), Object::Service(svc)) = (&r.port, target) {
        let ports = svc.spec.iter().flat_map(|s| s.ports.iter().flatten());
        let (found, what) = match port {
            PortRef::Name(name) => (
                ports.clone().any(|p| p.name.as_deref() == Some(name)),
                format!("no port named {name:?}"),
            ),
            PortRef::Number(n) => (ports.clone().any(|p| p.port == *n), format!("no port {n}")),
        };
        if !found {
            fail(
                out,
                path,
                format!("{} has {what}", display("Service", r.name)),
            );
        }
    }
    if r.edge == Edge::ServiceName
        && let Object::Service(svc) = target
        && svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) != Some("None")
    {
        fail(
            out,
            &r.path,
            format!(
                "{} is not headless (its spec.clusterIP must be \"None\")",
                display("Service", r.name)
            ),
        );
    }
}

/// Checks every `targetPort` of Service `svc` against a selected workload.
fn check_target_ports(svc: &Object, workload: &Object, out: &mut Vec<Violation>) {
    let (Object::Service(s), Some(pod)) = (svc, pod_spec(workload)) else {
        return;
    };
    let containers: Vec<&Container> = serving_containers(&pod).collect();
    let any_without_ports = containers
        .iter()
        .any(|c| c.ports.as_ref().is_none_or(Vec::is_empty));
    let container_ports: Vec<_> = containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .collect();
    for (i, port) in s
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .enumerate()
    {
        // "" is TCP too: the apiserver defaults it.
        fn tcp(p: Option<&str>) -> &str {
            p.filter(|p| !p.is_empty()).unwrap_or("TCP")
        }
        let protocol = tcp(port.protocol.as_deref());
        let same_protocol = |p: &&&k8s_openapi::api::core::v1::ContainerPort| {
            tcp(p.protocol.as_deref()) == protocol
        };
        let suffix = if protocol == "TCP" {
            String::new()
        } else {
            format!(" with protocol {protocol}")
        };
        let (path, found, what) = match &port.target_port {
            Some(IntOrString::String(name)) => (
                format!("spec.ports[{i}].targetPort"),
                container_ports
                    .iter()
                    .filter(same_protocol)
                    .any(|p| p.name.as_deref() == Some(name.as_str())),
                format!("no container port named {name:?}{suffix}"),
            ),
            Some(IntOrString::Int(n)) => (
                format!("spec.ports[{i}].targetPort"),
                any_without_ports
                    || container_ports
                        .iter()
                        .filter(same_protocol)
                        .any(|p| p.container_port == *n),
                format!("no container port {n}{suffix}"),
            ),
            None => (
                format!("spec.ports[{i}].port"),
                any_without_ports
                    || container_ports
                        .iter()
                        .filter(same_protocol)
                        .any(|p| p.container_port == port.port),
                format!(
                    "no container port {}{suffix} (targetPort defaults to port)",
                    port.port
                ),
            ),
        };
        if !found {
            out.push(Violation::new(
                svc.object_ref(),
                path,
                format!("{} has {what}", display(workload.kind(), workload.name())),
            ));
        }
    }
}

/// Every reference between objects of `bundle` that does not resolve, in bundle order.
pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let index = Index::new(bundle);
    let mut out = Vec::new();
    for o in bundle.objects() {
        for r in refs(o) {
            check_ref(&index, o, &r, &mut out);
        }
        for s in selector_refs(o) {
            if s.may_select_nothing && s.selector.is_empty() {
                continue;
            }
            let workloads = index.selected(o, s.selector);
            if workloads.is_empty() && selected_external(bundle, s.selector).is_empty() {
                out.push(Violation::new(
                    o.object_ref(),
                    s.path.clone(),
                    format!(
                        "selector {} matches the pods of no workload in the bundle (nor pods declared external)",
                        s.selector.describe()
                    ),
                ));
            }
            if s.edge == Edge::Selects {
                for w in workloads {
                    check_target_ports(o, w, &mut out);
                }
            }
        }
        if let Object::Service(svc) = o
            && let Some(spec) = &svc.spec
            && spec.type_.as_deref() != Some("ExternalName")
            && spec.selector.as_ref().is_none_or(BTreeMap::is_empty)
            && !index.has_slice(bundle.namespace_of(o), o.name())
            && !bundle.is_external("Endpoints", o.name())
            && !bundle.is_external("EndpointSlice", o.name())
        {
            out.push(Violation::new(
                o.object_ref(),
                "spec.selector",
                format!(
                    "is empty and no EndpointSlice in the bundle is labelled {SERVICE_NAME_LABEL}={} (nor are its endpoints declared external)",
                    o.name()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::index::*;
    use crate::fixtures::*;
    use crate::object::GENERATE_ONCE_ANNOTATION;
    use k8s_openapi::api::apps::v1::DaemonSet;
    use k8s_openapi::api::autoscaling::v2::{
        CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
    };
    use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::api::core::v1::{
        CSIVolumeSource, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapProjection,
        EnvFromSource, EnvVar, EnvVarSource, KeyToPath, LocalObjectReference,
        PersistentVolumeClaimVolumeSource, Pod, ProjectedVolumeSource, SecretEnvSource,
        SecretKeySelector, SecretProjection, SecretVolumeSource, Volume, VolumeProjection,
    };
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    use k8s_openapi::api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
        IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
        NetworkPolicyPeer, NetworkPolicySpec, ServiceBackendPort,
    };
    use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    fn web(spec: PodSpec) -> Object {
        deployment("web", spec).into()
    }

    fn web_container() -> Container {
        container("web", &[("http", 8080)])
    }

    fn with_volumes(volumes: Vec<Volume>) -> PodSpec {
        PodSpec {
            volumes: Some(volumes),
            ..pod(vec![web_container()])
        }
    }

    fn env_from_cm(name: &str, key: &str, optional: Option<bool>) -> EnvVar {
        EnvVar {
            name: "LEVEL".into(),
            value_from: Some(EnvVarSource {
                config_map_key_ref: Some(ConfigMapKeySelector {
                    name: name.into(),
                    key: key.into(),
                    optional,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn env_from_secret(name: &str, key: &str) -> EnvVar {
        EnvVar {
            name: "PASSWORD".into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: name.into(),
                    key: key.into(),
                    optional: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn with_env(env: Vec<EnvVar>) -> PodSpec {
        pod(vec![Container {
            env: Some(env),
            ..web_container()
        }])
    }

    #[test]
    fn config_map_volume_missing() {
        let b = bundle(vec![web(with_volumes(vec![
            empty_dir("tmp"),
            cm_volume("config", "settings"),
        ]))]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[1].configMap.name: configmap "settings" is neither in the bundle nor declared external"#
            ]
        );
    }

    #[test]
    fn config_map_volume_present_external_or_optional() {
        let spec = with_volumes(vec![cm_volume("config", "settings")]);
        let b = bundle(vec![
            web(spec.clone()),
            config_map("settings", &[("a", "b")]).into(),
        ]);
        assert!(violations(&b).is_empty());
        let mut b = bundle(vec![web(spec.clone())]);
        b.external("configmap", "settings");
        assert!(violations(&b).is_empty());
        let mut optional = spec;
        if let Some(cm) = optional
            .volumes
            .as_mut()
            .and_then(|v| v[0].config_map.as_mut())
        {
            cm.optional = Some(true);
        }
        assert!(violations(&bundle(vec![web(optional)])).is_empty());
    }

    #[test]
    fn volume_items_keys_must_exist() {
        let mut v = cm_volume("config", "settings");
        if let Some(cm) = v.config_map.as_mut() {
            cm.items = Some(vec![
                KeyToPath {
                    key: "a".into(),
                    path: "a.conf".into(),
                    ..Default::default()
                },
                KeyToPath {
                    key: "nope".into(),
                    path: "b.conf".into(),
                    ..Default::default()
                },
            ]);
        }
        let b = bundle(vec![
            web(with_volumes(vec![v])),
            config_map("settings", &[("a", "1")]).into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].configMap.items[1].key: configmap "settings" has no key "nope""#
            ]
        );
    }

    #[test]
    fn secret_csi_and_projected_volumes() {
        let volumes = vec![
            Volume {
                name: "tls".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some("tls".into()),
                    items: Some(vec![KeyToPath {
                        key: "tls.key".into(),
                        path: "k".into(),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Volume {
                name: "store".into(),
                csi: Some(CSIVolumeSource {
                    driver: "secrets-store.csi.k8s.io".into(),
                    node_publish_secret_ref: Some(LocalObjectReference {
                        name: "csi-creds".into(),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Volume {
                name: "all".into(),
                projected: Some(ProjectedVolumeSource {
                    sources: Some(vec![
                        VolumeProjection {
                            service_account_token: Some(
                                k8s_openapi::api::core::v1::ServiceAccountTokenProjection {
                                    path: "token".into(),
                                    ..Default::default()
                                },
                            ),
                            ..Default::default()
                        },
                        VolumeProjection {
                            config_map: Some(ConfigMapProjection {
                                name: "proj-cm".into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        VolumeProjection {
                            secret: Some(SecretProjection {
                                name: "proj-secret".into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        VolumeProjection {
                            secret: Some(SecretProjection {
                                name: "maybe".into(),
                                optional: Some(true),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ];
        let b = bundle(vec![
            web(with_volumes(volumes.clone())),
            secret("tls", &[("tls.crt", "x")]).into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].secret.items[0].key: secret "tls" has no key "tls.key""#,
                r#"deployment "web": spec.template.spec.volumes[1].csi.nodePublishSecretRef.name: secret "csi-creds" is neither in the bundle nor declared external"#,
                r#"deployment "web": spec.template.spec.volumes[2].projected.sources[1].configMap.name: configmap "proj-cm" is neither in the bundle nor declared external"#,
                r#"deployment "web": spec.template.spec.volumes[2].projected.sources[2].secret.name: secret "proj-secret" is neither in the bundle nor declared external"#,
            ]
        );
        let mut b = bundle(vec![
            web(with_volumes(volumes)),
            secret("tls", &[("tls.key", "x")]).into(),
        ]);
        b.external_secret("csi-creds")
            .external_config_map("proj-cm")
            .external_secret("proj-secret");
        assert!(violations(&b).is_empty(), "{:?}", violations(&b));
    }

    #[test]
    fn env_value_from_and_keys() {
        let env = vec![
            env_from_cm("settings", "level", None),
            env_from_cm("settings", "colour", None),
            env_from_cm("settings", "optional-key", Some(true)),
            env_from_secret("db", "password"),
            env_from_secret("db", "root-password"),
            env_from_secret("absent", "x"),
        ];
        let mut db = secret("db", &[("password", "x"), ("root-password", "y")]);
        db.metadata.annotations = Some(labels(&[(GENERATE_ONCE_ANNOTATION, "root-password")]));
        let b = bundle(vec![
            web(with_env(env)),
            config_map("settings", &[("level", "debug")]).into(),
            db.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef.key: configmap "settings" has no key "colour""#,
                r#"deployment "web": spec.template.spec.containers[0].env[5].valueFrom.secretKeyRef.name: secret "absent" is neither in the bundle nor declared external"#,
            ]
        );
    }

    #[test]
    fn env_from_and_init_containers() {
        let init = Container {
            env_from: Some(vec![
                EnvFromSource {
                    config_map_ref: Some(ConfigMapEnvSource {
                        name: "init-settings".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
                EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: "init-secret".into(),
                        optional: Some(true),
                    }),
                    ..Default::default()
                },
                EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: "init-creds".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
            ]),
            ..container("init", &[])
        };
        let spec = PodSpec {
            init_containers: Some(vec![init]),
            ..pod(vec![web_container()])
        };
        let b = bundle(vec![web(spec), secret("init-creds", &[]).into()]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.initContainers[0].envFrom[0].configMapRef.name: configmap "init-settings" is neither in the bundle nor declared external"#
            ]
        );
    }

    #[test]
    fn service_account_and_pull_secrets() {
        let spec = PodSpec {
            service_account_name: Some("web".into()),
            image_pull_secrets: Some(vec![LocalObjectReference {
                name: "registry".into(),
            }]),
            ..pod(vec![web_container()])
        };
        let b = bundle(vec![web(spec.clone())]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.serviceAccountName: serviceaccount "web" is neither in the bundle nor declared external"#,
                r#"deployment "web": spec.template.spec.imagePullSecrets[0].name: secret "registry" is neither in the bundle nor declared external"#,
            ]
        );
        let mut b = bundle(vec![web(spec), service_account("web").into()]);
        b.external_secret("registry");
        assert!(violations(&b).is_empty());
        // Every namespace has the ServiceAccount "default".
        let default = PodSpec {
            service_account_name: Some("default".into()),
            ..pod(vec![web_container()])
        };
        assert!(violations(&bundle(vec![web(default)])).is_empty());
    }

    #[test]
    fn persistent_volume_claims_and_claim_templates() {
        let claim = |name: &str, claim: &str| Volume {
            name: name.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.into(),
                read_only: None,
            }),
            ..Default::default()
        };
        let b = bundle(vec![web(with_volumes(vec![claim("data", "web-data")]))]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].persistentVolumeClaim.claimName: persistentvolumeclaim "web-data" is neither in the bundle nor declared external"#
            ]
        );
        let b = bundle(vec![
            web(with_volumes(vec![claim("data", "web-data")])),
            pvc("web-data").into(),
        ]);
        assert!(violations(&b).is_empty());
        // A StatefulSet's claim templates are not PVCs the bundle must hold; its other claims are.
        // (A pod volume named like a claim template is rejected by StatefulSet validation.)
        let sts = statefulset(
            "db",
            Some("db"),
            &["data"],
            with_volumes(vec![claim("other", "missing")]),
        );
        let b = bundle(vec![
            sts.into(),
            headless(service("db", "", &[("", 5432, None)])).into(),
        ]);
        let v = violations(&b);
        assert_eq!(
            v.iter()
                .filter(|m| m.contains("persistentvolumeclaim"))
                .collect::<Vec<_>>(),
            [
                r#"statefulset "db": spec.template.spec.volumes[0].persistentVolumeClaim.claimName: persistentvolumeclaim "missing" is neither in the bundle nor declared external"#
            ]
        );
    }

    #[test]
    fn service_selects_nothing() {
        let b = bundle(vec![
            web(pod(vec![web_container()])).clone(),
            service("api", "api", &[("http", 80, None)]).into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "api": spec.selector: selector app=api matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
        let mut b = b;
        b.external_pods(crate::Labels::from([("app", "api"), ("tier", "backend")]));
        assert!(violations(&b).is_empty());
    }

    #[test]
    fn service_target_ports() {
        let name = |n: &str| Some(IntOrString::String(n.into()));
        let svc = service(
            "web",
            "web",
            &[
                ("http", 80, name("http")),
                ("admin", 81, name("admin")),
                ("num", 82, Some(IntOrString::Int(9090))),
                ("same", 8080, None),
                ("missing", 83, None),
            ],
        );
        let b = bundle(vec![web(pod(vec![web_container()])), svc.clone().into()]);
        assert_eq!(
            violations(&b),
            [
                r#"service "web": spec.ports[1].targetPort: deployment "web" has no container port named "admin""#,
                r#"service "web": spec.ports[2].targetPort: deployment "web" has no container port 9090"#,
                r#"service "web": spec.ports[4].port: deployment "web" has no container port 83 (targetPort defaults to port)"#,
            ]
        );
        // A container declaring no ports may listen on any number; names still must exist.
        let spec = pod(vec![web_container(), container("sidecar", &[])]);
        let b = bundle(vec![web(spec), svc.into()]);
        assert_eq!(
            violations(&b),
            [
                r#"service "web": spec.ports[1].targetPort: deployment "web" has no container port named "admin""#
            ]
        );
    }

    #[test]
    fn service_port_protocols_and_sidecars() {
        let mut svc = service(
            "dns",
            "web",
            &[("dns", 53, Some(IntOrString::String("dns".into())))],
        );
        if let Some(p) = svc.spec.as_mut().and_then(|s| s.ports.as_mut()) {
            p[0].protocol = Some("UDP".into());
        }
        // The container port "dns" is TCP (the default).
        let b = bundle(vec![
            web(pod(vec![container("web", &[("dns", 53)])])),
            svc.clone().into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "dns": spec.ports[0].targetPort: deployment "web" has no container port named "dns" with protocol UDP"#
            ]
        );
        // A native sidecar (restartable init container) serves ports too.
        let mut sidecar = container("proxy", &[("dns", 53)]);
        sidecar.restart_policy = Some("Always".into());
        if let Some(p) = sidecar.ports.as_mut() {
            p[0].protocol = Some("UDP".into());
        }
        let spec = PodSpec {
            init_containers: Some(vec![sidecar]),
            ..pod(vec![web_container()])
        };
        assert!(violations(&bundle(vec![web(spec), svc.into()])).is_empty());
    }

    #[test]
    fn service_selecting_several_workloads_checks_each() {
        let mut canary = deployment("web-canary", pod(vec![container("web", &[("web", 8080)])]));
        // Label the canary's pods app=web too (selector keeps its own label).
        if let Some(m) = canary.spec.template.metadata.as_mut() {
            m.labels = Some(labels(&[("app", "web"), ("track", "canary")]));
        }
        canary.spec.selector = LabelSelector {
            match_labels: Some(labels(&[("track", "canary")])),
            ..Default::default()
        };
        let svc = service(
            "web",
            "web",
            &[("http", 80, Some(IntOrString::String("http".into())))],
        );
        let b = bundle(vec![
            web(pod(vec![web_container()])),
            canary.into(),
            svc.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "web": spec.ports[0].targetPort: deployment "web-canary" has no container port named "http""#
            ]
        );
    }

    #[test]
    fn selectorless_services_need_endpoints() {
        let svc = service("legacy-db", "", &[("", 5432, None)]);
        let b = bundle(vec![svc.clone().into()]);
        assert_eq!(
            violations(&b),
            [
                r#"service "legacy-db": spec.selector: is empty and no EndpointSlice in the bundle is labelled kubernetes.io/service-name=legacy-db (nor are its endpoints declared external)"#
            ]
        );
        let slice = EndpointSlice {
            metadata: ObjectMeta {
                labels: Some(labels(&[(SERVICE_NAME_LABEL, "legacy-db")])),
                ..meta("legacy-db-1")
            },
            address_type: "IPv4".into(),
            endpoints: None,
            ports: None,
        };
        assert!(violations(&bundle(vec![svc.clone().into(), slice.clone().into()])).is_empty());
        let mut b = bundle(vec![svc.clone().into()]);
        b.external_endpoints("legacy-db");
        assert!(violations(&b).is_empty());
        // An EndpointSlice for a Service that is not there.
        assert_eq!(
            violations(&bundle(vec![slice.into()])),
            [
                r#"endpointslice "legacy-db-1": metadata.labels["kubernetes.io/service-name"]: service "legacy-db" is neither in the bundle nor declared external"#
            ]
        );
        // ExternalName Services have neither.
        let mut ext = service("search", "", &[]);
        if let Some(s) = ext.spec.as_mut() {
            s.type_ = Some("ExternalName".into());
            s.external_name = Some("search.example.com".into());
        }
        assert!(violations(&bundle(vec![ext.into()])).is_empty());
    }

    #[test]
    fn statefulset_service_name() {
        let sts = |svc: &str| -> Object {
            statefulset(
                "db",
                Some(svc),
                &[],
                pod(vec![container("db", &[("pg", 5432)])]),
            )
            .into()
        };
        let plain = service("db", "db", &[("pg", 5432, None)]);
        assert_eq!(
            violations(&bundle(vec![sts("db")])),
            [
                r#"statefulset "db": spec.serviceName: service "db" is neither in the bundle nor declared external"#
            ]
        );
        assert_eq!(
            violations(&bundle(vec![sts("db"), plain.clone().into()])),
            [
                r#"statefulset "db": spec.serviceName: service "db" is not headless (its spec.clusterIP must be "None")"#
            ]
        );
        assert!(violations(&bundle(vec![sts("db"), headless(plain).into()])).is_empty());
        let mut b = bundle(vec![sts("elsewhere")]);
        b.external_service("elsewhere");
        assert!(violations(&b).is_empty());
    }

    fn backend(service: &str, port: ServiceBackendPort) -> IngressBackend {
        IngressBackend {
            service: Some(IngressServiceBackend {
                name: service.into(),
                port: Some(port),
            }),
            ..Default::default()
        }
    }

    fn port_name(n: &str) -> ServiceBackendPort {
        ServiceBackendPort {
            name: Some(n.into()),
            number: None,
        }
    }

    fn port_number(n: i32) -> ServiceBackendPort {
        ServiceBackendPort {
            name: None,
            number: Some(n),
        }
    }

    #[test]
    fn ingress_backends_and_tls() {
        let path = |b| HTTPIngressPath {
            backend: b,
            path: Some("/".into()),
            path_type: "Prefix".into(),
        };
        let ingress = Ingress {
            metadata: meta("web"),
            spec: Some(IngressSpec {
                default_backend: Some(backend("web", port_number(80))),
                rules: Some(vec![IngressRule {
                    host: Some("web.example.com".into()),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![
                            path(backend("web", port_name("http"))),
                            path(backend("web", port_name("https"))),
                            path(backend("web", port_number(8080))),
                            path(backend("api", port_name("http"))),
                        ],
                    }),
                }]),
                tls: Some(vec![IngressTLS {
                    hosts: None,
                    secret_name: Some("web-tls".into()),
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let svc = service(
            "web",
            "web",
            &[("http", 80, Some(IntOrString::String("http".into())))],
        );
        let b = bundle(vec![
            web(pod(vec![web_container()])),
            svc.into(),
            ingress.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"ingress "web": spec.rules[0].http.paths[1].backend.service.port.name: service "web" has no port named "https""#,
                r#"ingress "web": spec.rules[0].http.paths[2].backend.service.port.number: service "web" has no port 8080"#,
                r#"ingress "web": spec.rules[0].http.paths[3].backend.service.name: service "api" is neither in the bundle nor declared external"#,
                r#"ingress "web": spec.tls[0].secretName: secret "web-tls" is neither in the bundle nor declared external"#,
            ]
        );
    }

    #[test]
    fn hpa_target() {
        let hpa = HorizontalPodAutoscaler {
            metadata: meta("web"),
            spec: HorizontalPodAutoscalerSpec {
                max_replicas: 5,
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "Deployment".into(),
                    name: "web".into(),
                },
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            violations(&bundle(vec![hpa.clone().into()])),
            [
                r#"horizontalpodautoscaler "web": spec.scaleTargetRef: deployment "web" is neither in the bundle nor declared external"#
            ]
        );
        assert!(violations(&bundle(vec![hpa.into(), web(pod(vec![web_container()]))])).is_empty());
    }

    fn pdb(selector: LabelSelector) -> PodDisruptionBudget {
        PodDisruptionBudget {
            metadata: meta("web"),
            spec: Some(PodDisruptionBudgetSpec {
                min_available: Some(IntOrString::Int(1)),
                selector: Some(selector),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pdb_selects_something() {
        let expr = |op: &str, values: &[&str]| LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "app".into(),
                operator: op.into(),
                values: (!values.is_empty())
                    .then(|| values.iter().map(|v| (*v).to_owned()).collect()),
            }]),
            ..Default::default()
        };
        let workload = || web(pod(vec![web_container()]));
        assert!(violations(&bundle(vec![workload(), pdb(selector("web")).into()])).is_empty());
        assert!(
            violations(&bundle(vec![
                workload(),
                pdb(expr("In", &["api", "web"])).into()
            ]))
            .is_empty()
        );
        assert!(violations(&bundle(vec![workload(), pdb(expr("Exists", &[])).into()])).is_empty());
        assert_eq!(
            violations(&bundle(vec![
                workload(),
                pdb(expr("NotIn", &["web"])).into()
            ])),
            [
                r#"poddisruptionbudget "web": spec.selector: selector app notin (web) matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
        assert_eq!(
            violations(&bundle(vec![workload(), pdb(selector("api")).into()])),
            [
                r#"poddisruptionbudget "web": spec.selector: selector app=api matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
    }

    #[test]
    fn network_policy_selectors() {
        let peer = |pods: Option<LabelSelector>, ns: Option<LabelSelector>| NetworkPolicyPeer {
            pod_selector: pods,
            namespace_selector: ns,
            ..Default::default()
        };
        let policy = |pod_selector: LabelSelector, from: Vec<NetworkPolicyPeer>| -> Object {
            NetworkPolicy {
                metadata: meta("web"),
                spec: Some(NetworkPolicySpec {
                    pod_selector: Some(pod_selector),
                    ingress: Some(vec![NetworkPolicyIngressRule {
                        from: Some(from),
                        ports: None,
                    }]),
                    ..Default::default()
                }),
            }
            .into()
        };
        let workload = || web(pod(vec![web_container()]));
        // `{}` selects every pod of the namespace: fine, even in a bundle without workloads.
        assert!(violations(&bundle(vec![policy(LabelSelector::default(), vec![])])).is_empty());
        // Peers in other namespaces are not checked; an empty peer selector is fine.
        let ok = policy(
            selector("web"),
            vec![
                peer(Some(selector("ingress")), Some(LabelSelector::default())),
                peer(Some(LabelSelector::default()), None),
            ],
        );
        assert!(violations(&bundle(vec![workload(), ok])).is_empty());
        let bad = policy(
            selector("wbe"),
            vec![peer(Some(selector("frontend")), None)],
        );
        assert_eq!(
            violations(&bundle(vec![workload(), bad])),
            [
                r#"networkpolicy "web": spec.podSelector: selector app=wbe matches the pods of no workload in the bundle (nor pods declared external)"#,
                r#"networkpolicy "web": spec.ingress[0].from[0].podSelector: selector app=frontend matches the pods of no workload in the bundle (nor pods declared external)"#,
            ]
        );
    }

    #[test]
    fn namespaces_scope_references() {
        let mut settings = config_map("settings", &[("a", "b")]);
        settings.metadata.namespace = Some("other".into());
        let b = bundle(vec![
            web(with_volumes(vec![cm_volume("config", "settings")])),
            settings.clone().into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].configMap.name: configmap "settings" is neither in the bundle nor declared external (the bundle has one in namespace "other")"#
            ]
        );
        // With target namespace "other", the namespace-less Deployment lands next to it.
        let mut b = b;
        b.set_namespace("other");
        assert!(violations(&b).is_empty(), "{:?}", violations(&b));
        // A Service selects only workloads of its own namespace.
        let mut svc = service("web", "web", &[("http", 80, None)]);
        svc.metadata.namespace = Some("elsewhere".into());
        let b = bundle(vec![
            web(pod(vec![container("web", &[("http", 80)])])),
            svc.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "elsewhere/web": spec.selector: selector app=web matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
    }

    #[test]
    fn every_pod_source_is_walked() {
        let spec = with_volumes(vec![cm_volume("config", "settings")]);
        let job_spec = PodSpec {
            restart_policy: Some("Never".into()),
            ..spec.clone()
        };
        let job = Job {
            metadata: meta("migrate"),
            spec: Some(JobSpec {
                template: template("migrate", job_spec.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let cron = CronJob {
            metadata: meta("report"),
            spec: CronJobSpec {
                schedule: "0 * * * *".into(),
                job_template: JobTemplateSpec {
                    metadata: None,
                    spec: Some(JobSpec {
                        template: template("report", job_spec.clone()),
                        ..Default::default()
                    }),
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let daemon = DaemonSet {
            metadata: meta("agent"),
            spec: k8s_openapi::api::apps::v1::DaemonSetSpec {
                selector: selector("agent"),
                template: template("agent", spec.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        let bare = Pod {
            metadata: meta("bare"),
            spec: Some(spec.clone()),
            ..Default::default()
        };
        let b = bundle(vec![job.into(), cron.into(), daemon.into(), bare.into()]);
        let missing = r#"configmap "settings" is neither in the bundle nor declared external"#;
        assert_eq!(
            violations(&b),
            [
                format!(
                    r#"daemonset "agent": spec.template.spec.volumes[0].configMap.name: {missing}"#
                ),
                format!(r#"pod "bare": spec.volumes[0].configMap.name: {missing}"#),
                format!(
                    r#"job "migrate": spec.template.spec.volumes[0].configMap.name: {missing}"#
                ),
                format!(
                    r#"cronjob "report": spec.jobTemplate.spec.template.spec.volumes[0].configMap.name: {missing}"#
                ),
            ]
        );
    }

    #[test]
    fn selector_semantics_and_notation() {
        let pods = labels(&[("app", "web"), ("tier", "front")]);
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        };
        let s = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![
                req("tier", "In", &["front", "back"]),
                req("track", "NotIn", &["canary"]),
                req("legacy", "DoesNotExist", &[]),
                req("app", "Exists", &[]),
            ]),
        };
        let sel = Selector::Label(&s);
        assert!(sel.matches(&pods));
        assert_eq!(
            sel.describe(),
            "app=web,tier in (front,back),track notin (canary),!legacy,app"
        );
        let mut canary = pods.clone();
        canary.insert("track".into(), "canary".into());
        assert!(!sel.matches(&canary));
        let unknown = LabelSelector {
            match_expressions: Some(vec![req("app", "Like", &["w"])]),
            ..Default::default()
        };
        assert!(!Selector::Label(&unknown).matches(&pods));
        assert!(Selector::Label(&LabelSelector::default()).is_empty());
        assert_eq!(Selector::Label(&LabelSelector::default()).describe(), "{}");
    }

    #[test]
    fn network_policy_peer_paths_and_edges() {
        use k8s_openapi::api::networking::v1::NetworkPolicyEgressRule;
        let peer = |app: &str, other_namespace: bool| NetworkPolicyPeer {
            pod_selector: Some(selector(app)),
            namespace_selector: other_namespace.then(LabelSelector::default),
            ..Default::default()
        };
        let policy: Object = NetworkPolicy {
            metadata: meta("web"),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(selector("web")),
                ingress: Some(vec![
                    NetworkPolicyIngressRule {
                        from: Some(vec![peer("a", false), peer("b", true), peer("c", false)]),
                        ports: None,
                    },
                    NetworkPolicyIngressRule {
                        from: None,
                        ports: None,
                    },
                    NetworkPolicyIngressRule {
                        from: Some(vec![peer("d", false)]),
                        ports: None,
                    },
                ]),
                egress: Some(vec![
                    NetworkPolicyEgressRule {
                        to: Some(vec![peer("e", true)]),
                        ports: None,
                    },
                    NetworkPolicyEgressRule {
                        to: Some(vec![peer("f", false), peer("g", false)]),
                        ports: None,
                    },
                ]),
                ..Default::default()
            }),
        }
        .into();
        let found: Vec<(String, String, Edge)> = selector_refs(&policy)
            .into_iter()
            .map(|s| (s.path, s.selector.describe(), s.edge))
            .collect();
        let row = |path: &str, app: &str, edge| (path.to_owned(), format!("app={app}"), edge);
        assert_eq!(
            found,
            [
                row("spec.podSelector", "web", Edge::AppliesTo),
                row("spec.ingress[0].from[0].podSelector", "a", Edge::Admits),
                row("spec.ingress[0].from[2].podSelector", "c", Edge::Admits),
                row("spec.ingress[2].from[0].podSelector", "d", Edge::Admits),
                row("spec.egress[1].to[0].podSelector", "f", Edge::EgressTo),
                row("spec.egress[1].to[1].podSelector", "g", Edge::EgressTo),
            ]
        );
    }

    /// The index answers like a scan of the bundle, in the same order.
    #[test]
    fn index_selects_like_a_scan() {
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        };
        let labelled = |name: &str, ns: Option<&str>, pairs: &[(&str, &str)]| -> Object {
            let mut d = deployment(name, pod(vec![web_container()]));
            d.metadata.namespace = ns.map(str::to_owned);
            d.spec.selector.match_labels = Some(labels(pairs));
            if let Some(m) = d.spec.template.metadata.as_mut() {
                m.labels = Some(labels(pairs));
            }
            d.into()
        };
        let bare = |name: &str, pairs: &[(&str, &str)]| -> Object {
            let mut p = Pod {
                metadata: meta(name),
                spec: Some(pod(vec![web_container()])),
                ..Default::default()
            };
            p.metadata.labels = (!pairs.is_empty()).then(|| labels(pairs));
            p.into()
        };
        let b = bundle(vec![
            labelled("web", None, &[("app", "web"), ("tier", "front")]),
            labelled("web-canary", None, &[("app", "web"), ("track", "canary")]),
            labelled("api", None, &[("app", "api"), ("tier", "back")]),
            bare("unlabelled", &[]),
            labelled("web", Some("other"), &[("app", "web"), ("tier", "front")]),
            bare("bare", &[("app", "web"), ("tier", "back")]),
            config_map("web", &[]).into(),
        ]);
        let maps = [
            labels(&[]),
            labels(&[("app", "web")]),
            labels(&[("app", "web"), ("tier", "front")]),
            labels(&[("tier", "back")]),
            labels(&[("app", "nope")]),
        ];
        let label_selectors = [
            LabelSelector::default(),
            selector("web"),
            LabelSelector {
                match_expressions: Some(vec![req("tier", "In", &["front", "back"])]),
                ..Default::default()
            },
            LabelSelector {
                match_expressions: Some(vec![req("track", "DoesNotExist", &[])]),
                ..Default::default()
            },
            LabelSelector {
                match_labels: Some(labels(&[("app", "web")])),
                match_expressions: Some(vec![req("track", "NotIn", &["canary"])]),
            },
            LabelSelector {
                match_labels: Some(labels(&[("app", "web"), ("tier", "nope")])),
                ..Default::default()
            },
        ];
        let selectors: Vec<Selector<'_>> = maps
            .iter()
            .map(Selector::Map)
            .chain(label_selectors.iter().map(Selector::Label))
            .collect();
        let index = Index::new(&b);
        let names = |objects: Vec<&Object>| -> Vec<String> {
            objects.iter().map(|o| o.object_ref().to_string()).collect()
        };
        let mut answers = 0;
        for from in b.objects() {
            for &s in &selectors {
                let scanned = names(selected(&b, from, s));
                assert_eq!(names(index.selected(from, s)), scanned, "{}", s.describe());
                answers += scanned.len();
            }
        }
        // Not vacuous: the selectors do select, in both namespaces.
        assert!(answers > 20, "{answers}");
        let other = b.objects().iter().find(|o| o.namespace() == Some("other"));
        assert_eq!(
            other.map(|o| names(index.selected(o, selectors[1]))),
            Some(vec![r#"deployment "other/web""#.to_owned()])
        );
    }

    #[test]
    #[cfg(feature = "client")]
    fn services_of_workloads_scaled_to_zero_expect_no_endpoints() {
        use crate::prelude::*;
        let workload = |name: &str, app: &str, replicas: i32| {
            Deployment::builder()
                .name(name)
                .replicas(replicas)
                .template(
                    PodTemplate::builder()
                        .selector_label("app", app)
                        .container(Container::builder().name("c").image("busybox:1").build())
                        .build(),
                )
                .build()
        };
        let svc = |name: &str, app: &str| {
            Service::builder()
                .name(name)
                .selector([("app", app)])
                .port(crate::api::core::service::ServicePort::tcp("http", 80))
                .build()
        };
        let mut b = Bundle::new("t");
        b.add(workload("idle", "idle", 0)).unwrap();
        b.add(workload("idle-too", "idle", 0)).unwrap();
        b.add(workload("busy", "busy", 2)).unwrap();
        b.add(workload("mixed-0", "mixed", 0)).unwrap();
        b.add(workload("mixed-1", "mixed", 1)).unwrap();
        for (name, app) in [
            ("idle", "idle"),
            ("busy", "busy"),
            ("mixed", "mixed"),
            ("none", "x"),
        ] {
            b.add(svc(name, app)).unwrap();
        }
        let index = Index::new(&b);
        let expects_none =
            |name: &str| service_expects_no_endpoints(&index, b.get("Service", name).unwrap());
        assert!(expects_none("idle"), "every selected workload at 0");
        assert!(!expects_none("busy"));
        assert!(!expects_none("mixed"), "one selected workload has pods");
        assert!(!expects_none("none"), "pods from elsewhere may come");
        assert!(!service_expects_no_endpoints(
            &index,
            b.get("Deployment", "idle").unwrap()
        ));
    }
}
