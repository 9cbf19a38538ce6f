//! Renders bundles and validates them against the OpenAPI schemas of Kubernetes 1.37 with
//! `kubernetes-validate --strict` (unknown fields are errors).
//!
//! Install the validator once with `bash tools/schema/setup.sh` (a virtualenv under
//! `target/schema-venv`). These tests FAIL when it is missing — in CI and locally — rather than
//! pass without having checked anything.

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, ReplicaSet, ReplicaSetSpec, StatefulSet,
    StatefulSetSpec,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, HTTPGetAction, Namespace, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Pod, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, Secret, SecretEnvSource,
    SecretKeySelector, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec, Volume,
    VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubeprint::ingressclass::Parameters;
use kubeprint::limitrange::Limit;
use kubeprint::persistentvolume::{ReclaimPolicy, Source};
use kubeprint::persistentvolumeclaim::{AccessMode, VolumeMode};
use kubeprint::pod::{NodeExpr, TaintEffect, Toleration};
use kubeprint::priorityclass::Preemption;
use kubeprint::storageclass::BindingMode;
use kubeprint::{
    Bundle, Cpu, IngressClass, LimitRange, Manifest, Memory, Object, PersistentVolume,
    PriorityClass, ResourceQuota, RuntimeClass, Storage, StorageClass,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const KUBERNETES_VERSION: &str = "1.37.0";

/// Where `kubernetes-validate` is: `$KUBEPRINT_KUBERNETES_VALIDATE`, the virtualenv
/// `$KUBEPRINT_SCHEMA_VENV` or `target/schema-venv` made by `tools/schema/setup.sh`, or `PATH`.
fn validator() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(tool) = std::env::var_os("KUBEPRINT_KUBERNETES_VALIDATE") {
        candidates.push(tool.into());
    }
    if let Some(venv) = std::env::var_os("KUBEPRINT_SCHEMA_VENV") {
        candidates.push(Path::new(&venv).join("bin/kubernetes-validate"));
    }
    candidates.push(root.join("target/schema-venv/bin/kubernetes-validate"));
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        candidates.push(dir.join("kubernetes-validate"));
    }
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return found.clone();
    }
    let ci = if std::env::var_os("CI").is_some() {
        " (CI is set: the CI script must install it)"
    } else {
        ""
    };
    panic!(
        "\n\n*** kubernetes-validate is not installed{ci}.\n\
         *** The schema tests check rendered manifests against the Kubernetes {KUBERNETES_VERSION} OpenAPI\n\
         *** schemas and refuse to pass without checking. Install the validator with:\n\
         ***     bash tools/schema/setup.sh\n\
         *** (or point KUBEPRINT_KUBERNETES_VALIDATE at a kubernetes-validate executable).\n\
         *** Looked in: {candidates:?}\n"
    );
}

/// Validates `yaml` (one or more documents); `Err` with the tool's output unless every one of
/// `expected` documents passed and nothing else was said.
fn validate(name: &str, yaml: &str, expected: usize) -> Result<(), String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, yaml).map_err(|e| format!("writing {}: {e}", file.display()))?;
    let tool = validator();
    let out = Command::new(&tool)
        .args(["--strict", "--kubernetes-version", KUBERNETES_VERSION])
        .arg(&file)
        .output()
        .map_err(|e| format!("running {}: {e}", tool.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = text
        .lines()
        .filter(|l| l.starts_with("INFO") && l.contains(" passed for resource "))
        .count();
    let other: Vec<&str> = text.lines().filter(|l| !l.starts_with("INFO")).collect();
    if !out.status.success() || !other.is_empty() || passed != expected {
        return Err(format!(
            "kubernetes-validate --strict --kubernetes-version {KUBERNETES_VERSION} {} ({}; {passed} of {expected} passed):\n{text}",
            file.display(),
            out.status
        ));
    }
    Ok(())
}

fn assert_valid(name: &str, bundle: &Bundle) {
    let yaml = bundle
        .to_yaml()
        .unwrap_or_else(|e| panic!("bundle {name} does not render:\n{e}"));
    if let Err(e) = validate(name, &yaml, bundle.len()) {
        panic!("{e}");
    }
    // The JSON rendering too: a `List` has no schema, so each item is validated as a document.
    let json: serde_json::Value =
        serde_json::from_str(&bundle.to_json().unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
    let items = json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), bundle.len());
    let docs: Vec<String> = items
        .iter()
        .map(|i| serde_json::to_string(i).unwrap_or_default())
        .collect();
    if let Err(e) = validate(&format!("{name}-json"), &docs.join("\n---\n"), bundle.len()) {
        panic!("{e}");
    }
}

// ---------- raw objects for every kind ----------

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn app(name: &str) -> BTreeMap<String, String> {
    labels(&[("app.kubernetes.io/name", name)])
}

fn selector(name: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(app(name)),
        ..Default::default()
    }
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Quantity((*v).to_owned())))
        .collect()
}

/// A container that passes Pod Security Standards "restricted".
fn container(name: &str, ports: &[(&str, i32)]) -> Container {
    Container {
        name: name.into(),
        image: Some(format!("registry.example/{name}:1.0")),
        ports: (!ports.is_empty()).then(|| {
            ports
                .iter()
                .map(|(n, p)| ContainerPort {
                    name: Some((*n).to_owned()),
                    container_port: *p,
                    protocol: Some("TCP".into()),
                    ..Default::default()
                })
                .collect()
        }),
        resources: Some(ResourceRequirements {
            requests: Some(quantities(&[("cpu", "100m"), ("memory", "64Mi")])),
            limits: Some(quantities(&[("memory", "128Mi")])),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pod_spec(containers: Vec<Container>) -> PodSpec {
    PodSpec {
        containers,
        automount_service_account_token: Some(false),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(65532),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn template(name: &str, spec: PodSpec) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(app(name)),
            ..Default::default()
        }),
        spec: Some(spec),
    }
}

fn claim(name: &str) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta(name),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(quantities(&[("storage", "1Gi")])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn service(name: &str, selector: Option<&str>, port: i32, target: Option<&str>) -> Service {
    Service {
        metadata: meta(name),
        spec: Some(ServiceSpec {
            selector: selector.map(app),
            ports: Some(vec![ServicePort {
                name: Some("main".into()),
                port,
                protocol: Some("TCP".into()),
                target_port: target.map(|t| IntOrString::String(t.into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn web() -> Deployment {
    let mut c = container("web", &[("http", 8080)]);
    c.env = Some(vec![EnvVar {
        name: "DB_PASSWORD".into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: "db".into(),
                key: "password".into(),
                optional: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }]);
    c.env_from = Some(vec![EnvFromSource {
        secret_ref: Some(SecretEnvSource {
            name: "db".into(),
            optional: Some(true),
        }),
        prefix: Some("DB_".into()),
        ..Default::default()
    }]);
    c.volume_mounts = Some(vec![
        VolumeMount {
            name: "settings".into(),
            mount_path: "/etc/web".into(),
            read_only: Some(true),
            ..Default::default()
        },
        VolumeMount {
            name: "uploads".into(),
            mount_path: "/var/uploads".into(),
            ..Default::default()
        },
        VolumeMount {
            name: "tmp".into(),
            mount_path: "/tmp".into(),
            ..Default::default()
        },
    ]);
    c.readiness_probe = Some(Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/ready".into()),
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        period_seconds: Some(10),
        ..Default::default()
    });
    let mut spec = pod_spec(vec![c]);
    spec.service_account_name = Some("web".into());
    spec.volumes = Some(vec![
        Volume {
            name: "settings".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: "settings".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "uploads".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: "uploads".into(),
                read_only: None,
            }),
            ..Default::default()
        },
        Volume {
            name: "tmp".into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
    ]);
    let mut template = template("web", spec);
    if let Some(m) = template.metadata.as_mut() {
        m.annotations = Some(labels(&[(
            kubeprint::bundle::ROLLOUT_ON_CONFIG_CHANGE,
            "true",
        )]));
    }
    Deployment {
        metadata: meta("web"),
        spec: DeploymentSpec {
            // Scaled by the HorizontalPodAutoscaler "web": the count is the autoscaler's.
            replicas: None,
            selector: selector("web"),
            template,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn job_spec(name: &str) -> JobSpec {
    let mut spec = pod_spec(vec![container(name, &[])]);
    spec.restart_policy = Some("Never".into());
    JobSpec {
        backoff_limit: Some(2),
        template: template(name, spec),
        ..Default::default()
    }
}

fn rule(resources: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|r| (*r).to_owned()).collect()),
        verbs: vec!["get".into(), "list".into(), "watch".into()],
        ..Default::default()
    }
}

fn web_subject() -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        name: "web".into(),
        namespace: Some("shop".into()),
        ..Default::default()
    }
}

/// One object of every kind kubeprint supports, referring to each other consistently.
fn every_kind() -> Vec<Object> {
    let mut secret = Secret {
        metadata: meta("db"),
        string_data: Some(labels(&[("password", "not-a-real-password")])),
        data: Some(
            [(
                "ca.der".to_owned(),
                ByteString(vec![0x30, 0x82, 0xff, 0x00]),
            )]
            .into(),
        ),
        type_: Some("Opaque".into()),
        ..Default::default()
    };
    secret.metadata.annotations = Some(labels(&[(
        kubeprint::object::GENERATE_ONCE_ANNOTATION,
        "password",
    )]));
    let mut db_service = service("db", Some("db"), 5432, Some("pg"));
    if let Some(s) = db_service.spec.as_mut() {
        s.cluster_ip = Some("None".into());
    }
    let mut legacy_slice_meta = meta("legacy-1");
    legacy_slice_meta.labels = Some(labels(&[("kubernetes.io/service-name", "legacy")]));
    let crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "widgets.shop.example.com"},
            "spec": {
                "group": "shop.example.com",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]
            }
        }))
        .expect("crd");
    vec![
        crd.into(),
        Namespace {
            metadata: meta("shop"),
            ..Default::default()
        }
        .into(),
        NetworkPolicy {
            metadata: meta("db"),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(selector("db")),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(selector("web")),
                        ..Default::default()
                    }]),
                    ports: Some(vec![NetworkPolicyPort {
                        port: Some(IntOrString::Int(5432)),
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    }]),
                }]),
                ..Default::default()
            }),
        }
        .into(),
        PodDisruptionBudget {
            metadata: meta("db"),
            spec: Some(PodDisruptionBudgetSpec {
                max_unavailable: Some(IntOrString::Int(1)),
                selector: Some(selector("db")),
                ..Default::default()
            }),
            ..Default::default()
        }
        .into(),
        ServiceAccount {
            metadata: meta("web"),
            automount_service_account_token: Some(false),
            ..Default::default()
        }
        .into(),
        secret.into(),
        ConfigMap {
            metadata: meta("settings"),
            data: Some(labels(&[("level", "debug")])),
            binary_data: Some([("logo.bin".to_owned(), ByteString(vec![0, 159, 146, 150]))].into()),
            ..Default::default()
        }
        .into(),
        claim("uploads").into(),
        IngressClass::builder()
            .name("nginx")
            .controller("k8s.io/ingress-nginx")
            .default_class()
            .parameters(Parameters::namespaced(
                "",
                "ConfigMap",
                "shop",
                "nginx-settings",
            ))
            .build()
            .to_object()
            .unwrap()
            .into(),
        PriorityClass::builder()
            .name("shop-critical")
            .value(100_000)
            .preemption(Preemption::Never)
            .description("the shop's own pods")
            .build()
            .to_object()
            .unwrap()
            .into(),
        RuntimeClass::builder()
            .name("gvisor")
            .handler("runsc")
            .overhead(Cpu::millis(250), Memory::mib(120))
            .node_label("sandbox.example.com/gvisor", "true")
            .toleration(Toleration::exists("sandbox").effect(TaintEffect::NoSchedule))
            .build()
            .to_object()
            .unwrap()
            .into(),
        // Namespace policies, as their builders make them.
        ResourceQuota::builder()
            .name("compute")
            .requests_cpu(Cpu::cores(8))
            .requests_memory(Memory::gib(16))
            .limits_cpu(Cpu::cores(16))
            .limits_memory(Memory::gib(32))
            .requests_storage(Storage::gib(500))
            .class_requests_storage("fast", Storage::gib(100))
            .pods(50)
            .count("deployments.apps", 20)
            .hard("services.loadbalancers", "0")
            .build()
            .to_object()
            .unwrap()
            .into(),
        LimitRange::builder()
            .name("defaults")
            .limit(
                Limit::container()
                    .min(Cpu::millis(10), Memory::mib(16))
                    .default_requests(Cpu::millis(100), Memory::mib(128))
                    .default_limits(Cpu::millis(500), Memory::mib(512))
                    .max(Cpu::cores(4), Memory::gib(8))
                    .max_cpu_ratio(10),
            )
            .limit(Limit::pod().max(Cpu::cores(8), Memory::gib(16)))
            .limit(
                Limit::claim()
                    .min_storage(Storage::gib(1))
                    .max_storage(Storage::gib(100)),
            )
            .build()
            .to_object()
            .unwrap()
            .into(),
        // The cluster-scoped storage kinds, as their builders make them (every field set).
        StorageClass::builder()
            .name("fast")
            .provisioner("pd.csi.storage.gke.io")
            .default_class()
            .parameter("type", "pd-ssd")
            .reclaim_policy(ReclaimPolicy::Retain)
            .binding_mode(BindingMode::WaitForFirstConsumer)
            .allow_volume_expansion()
            .mount_option("noatime")
            .build()
            .to_object()
            .unwrap()
            .into(),
        PersistentVolume::builder()
            .name("nfs-uploads")
            .labels(kubeprint::Labels::from([("volume", "uploads")]))
            .capacity(Storage::gib(5))
            .source(Source::nfs("192.168.0.1", "/exports/uploads"))
            .access_mode(AccessMode::ReadWriteMany)
            .reclaim_policy(ReclaimPolicy::Retain)
            .storage_class("")
            .volume_mode(VolumeMode::Filesystem)
            .mount_option("nfsvers=4.1")
            .require_node(NodeExpr::exists("kubernetes.io/hostname"))
            .reserve_for("shop", "uploads")
            .build()
            .to_object()
            .unwrap()
            .into(),
        ClusterRole {
            metadata: meta("shop-node-reader"),
            rules: Some(vec![rule(&["nodes"])]),
            ..Default::default()
        }
        .into(),
        ClusterRoleBinding {
            metadata: meta("shop-node-reader"),
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "ClusterRole".into(),
                name: "shop-node-reader".into(),
            },
            subjects: Some(vec![web_subject()]),
        }
        .into(),
        Role {
            metadata: meta("web"),
            rules: Some(vec![rule(&["configmaps"])]),
        }
        .into(),
        RoleBinding {
            metadata: meta("web"),
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "Role".into(),
                name: "web".into(),
            },
            subjects: Some(vec![web_subject()]),
        }
        .into(),
        service("web", Some("web"), 80, Some("http")).into(),
        db_service.into(),
        service("legacy", None, 5432, None).into(),
        EndpointSlice {
            metadata: legacy_slice_meta,
            address_type: "IPv4".into(),
            endpoints: Some(vec![Endpoint {
                addresses: vec!["10.0.0.10".into()],
                ..Default::default()
            }]),
            ports: Some(vec![EndpointPort {
                name: Some("main".into()),
                port: Some(5432),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
        }
        .into(),
        DaemonSet {
            metadata: meta("agent"),
            spec: DaemonSetSpec {
                selector: selector("agent"),
                template: template("agent", pod_spec(vec![container("agent", &[])])),
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
        Pod {
            metadata: meta("debug"),
            spec: Some(pod_spec(vec![container("debug", &[])])),
            ..Default::default()
        }
        .into(),
        ReplicaSet {
            metadata: meta("cache"),
            spec: ReplicaSetSpec {
                replicas: Some(1),
                selector: selector("cache"),
                template: Some(template(
                    "cache",
                    pod_spec(vec![container("cache", &[("redis", 6379)])]),
                )),
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
        web().into(),
        HorizontalPodAutoscaler {
            metadata: meta("web"),
            spec: HorizontalPodAutoscalerSpec {
                min_replicas: Some(2),
                max_replicas: 10,
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "Deployment".into(),
                    name: "web".into(),
                },
                metrics: Some(vec![MetricSpec {
                    type_: "Resource".into(),
                    resource: Some(ResourceMetricSource {
                        name: "cpu".into(),
                        target: MetricTarget {
                            type_: "Utilization".into(),
                            average_utilization: Some(80),
                            ..Default::default()
                        },
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
        StatefulSet {
            metadata: meta("db"),
            spec: StatefulSetSpec {
                service_name: Some("db".into()),
                selector: selector("db"),
                template: template("db", {
                    let mut c = container("db", &[("pg", 5432)]);
                    c.volume_mounts = Some(vec![VolumeMount {
                        name: "data".into(),
                        mount_path: "/var/lib/postgresql".into(),
                        ..Default::default()
                    }]);
                    pod_spec(vec![c])
                }),
                volume_claim_templates: Some(vec![claim("data")]),
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
        Job {
            metadata: meta("migrate"),
            spec: Some(job_spec("migrate")),
            ..Default::default()
        }
        .into(),
        CronJob {
            metadata: meta("report"),
            spec: CronJobSpec {
                schedule: "0 3 * * *".into(),
                time_zone: Some("Etc/UTC".into()),
                concurrency_policy: Some("Forbid".into()),
                job_template: JobTemplateSpec {
                    metadata: None,
                    spec: Some(job_spec("report")),
                },
                ..Default::default()
            },
            ..Default::default()
        }
        .into(),
        Ingress {
            metadata: meta("web"),
            spec: Some(IngressSpec {
                ingress_class_name: Some("nginx".into()),
                rules: Some(vec![IngressRule {
                    host: Some("shop.example.com".into()),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![HTTPIngressPath {
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: "web".into(),
                                    port: Some(ServiceBackendPort {
                                        name: Some("main".into()),
                                        number: None,
                                    }),
                                }),
                                ..Default::default()
                            },
                            path: Some("/".into()),
                            path_type: "Prefix".into(),
                        }],
                    }),
                }]),
                tls: Some(vec![IngressTLS {
                    hosts: Some(vec!["shop.example.com".into()]),
                    secret_name: Some("shop-tls".into()),
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
        .into(),
    ]
}

fn every_kind_bundle() -> Bundle {
    let mut b = Bundle::new("shop");
    b.set_namespace("shop");
    for o in every_kind() {
        let name = o.object_ref().to_string();
        if let Err(e) = b.add(o) {
            panic!("adding {name}: {e}");
        }
    }
    b.external_secret("shop-tls");
    b
}

#[test]
fn every_kind_validates_against_kubernetes_1_37() {
    let bundle = every_kind_bundle();
    let kinds: BTreeSet<&str> = bundle.objects().iter().map(Object::kind).collect();
    let all: BTreeSet<&str> = Object::KINDS.iter().copied().collect();
    assert_eq!(
        kinds, all,
        "the schema bundle must hold one object of every kind"
    );
    assert_valid("every-kind", &bundle);
}

#[test]
fn the_validator_rejects_what_kubernetes_would() {
    // Proof that the checks above can fail: an unknown field and a wrongly typed one.
    let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  bogus: 1\n---\n\
               apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: two\n";
    let err =
        validate("rejected", bad, 2).expect_err("kubernetes-validate accepted invalid objects");
    assert!(err.contains("'bogus' was unexpected"), "{err}");
    assert!(err.contains("replicas"), "{err}");
    // And a document it has no schema for is not silently counted as checked.
    let unknown = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n";
    assert!(validate("unknown-kind", unknown, 1).is_err());
}

#[test]
fn rendering_is_byte_stable_and_independent_of_insertion_order() {
    let forward = every_kind_bundle();
    let mut reversed = Bundle::new("shop");
    reversed.set_namespace("shop");
    let mut objects = every_kind();
    objects.reverse();
    for o in objects {
        if let Err(e) = reversed.add(o) {
            panic!("{e}");
        }
    }
    reversed.external_secret("shop-tls");
    let yaml = forward.to_yaml().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(yaml, forward.to_yaml().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(yaml, reversed.to_yaml().unwrap_or_else(|e| panic!("{e}")));
    let json = forward.to_json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json, reversed.to_json().unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(forward, reversed);
    assert_eq!(
        kubeprint::graph::mermaid(&forward),
        kubeprint::graph::mermaid(&reversed)
    );
    // Install order: the CRD and the Namespace first, the Ingress last.
    let first: Vec<&str> = forward.objects().iter().take(2).map(Object::kind).collect();
    assert_eq!(first, ["CustomResourceDefinition", "Namespace"]);
    assert_eq!(forward.objects().last().map(Object::kind), Some("Ingress"));
}

/// Lifecycle hooks, a downward API volume and a projected volume, made with the builders.
#[test]
fn hooks_downward_api_and_projected_volumes_validate() {
    use kubeprint::prelude as kp;
    use kubeprint::prelude::{Hook, Projection};
    let template = kp::PodTemplate::builder()
        .termination_grace_period(45)
        .volume(
            kp::Volume::downward_api("podinfo")
                .field("labels", "metadata.labels")
                .field("tier", "metadata.labels['tier']")
                .field("uid", "metadata.uid")
                .resource("memory-limit", "web", "limits.memory")
                .default_mode(0o444),
        )
        .volume(
            kp::Volume::projected("bundle")
                .source(Projection::config_map("settings").item("level", "config/level"))
                .source(Projection::secret("tls").optional())
                .source(Projection::downward_api().field("pod/name", "metadata.name"))
                .source(
                    Projection::service_account_token("vault/token")
                        .audience("vault")
                        .expiration(3600),
                )
                .default_mode(0o440),
        )
        .container(
            kp::Container::builder()
                .name("web")
                .image("registry.example/web:1.0")
                .port(kp::Port::tcp("http", 8080))
                .post_start(Hook::http_get("/warm-up", "http").header("X-Warm", "1"))
                .pre_stop(Hook::sleep(10))
                .mount(kp::Mount::new("podinfo", "/etc/podinfo").read_only())
                .mount(kp::Mount::new("bundle", "/etc/bundle").read_only())
                .build(),
        )
        .container(
            kp::Container::builder()
                .name("proxy")
                .image("registry.example/proxy:1.0")
                .pre_stop(Hook::exec(["/proxy", "drain"]))
                .build(),
        )
        .build();
    let mut b = Bundle::new("web");
    b.set_namespace("web");
    b.external_secret("tls");
    let b = b
        .with(
            kp::Deployment::builder()
                .name("web")
                .template(template)
                .build(),
        )
        .and_then(|b| {
            b.with(
                kp::ConfigMap::builder()
                    .name("settings")
                    .entry("level", "info")
                    .build(),
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_valid("pod-extras", &b);
}
