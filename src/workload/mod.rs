//! Workloads: Pod, ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob and the
//! HorizontalPodAutoscaler. Each wraps the one pod-template layer in [`crate::pod`].
//!
//! [`Workload`] is what other kinds need to know about a workload: a Service built from a
//! workload takes its selector and ports from it.
//!
//! ```
//! use kubeprint::prelude::*;
//! let web = Deployment::builder()
//!     .name("web")
//!     .replicas(3)
//!     .template(
//!         PodTemplate::builder()
//!             .container(
//!                 Container::builder().name("nginx").image("nginx:1.27").port(Port::tcp("http", 8080)).build(),
//!             )
//!             .build(),
//!     )
//!     .build();
//! assert_eq!(web.kind(), "Deployment");
//! assert_eq!(web.api_version(), "apps/v1");
//! assert_eq!(web.selector().to_string(), "app.kubernetes.io/name=web");
//! assert_eq!(web.ports()[0].name.as_deref(), Some("http"));
//! # Ok::<(), kubeprint::Error>(())
//! ```

/// `Workload` for a builder with `name: String` and `template: PodTemplate` fields.
macro_rules! builder_workload {
    ($ty:ty, $kind:literal) => {
        impl $crate::workload::Workload for $ty {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn selector(&self) -> $crate::meta::Labels {
                self.template.selector_for(&self.name)
            }
            fn ports(&self) -> Vec<k8s_openapi::api::core::v1::ContainerPort> {
                self.template.ports()
            }
        }
    };
}

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod hpa;
pub mod job;
pub mod pod;
pub mod replicaset;
pub mod statefulset;

pub use cronjob::{ConcurrencyPolicy, CronJob};
pub use daemonset::{DaemonSet, DaemonSetStrategy};
pub use deployment::{Deployment, DeploymentStrategy};
pub use hpa::{HorizontalPodAutoscaler, ScaleTarget, ScalingPolicy, ScalingRules, SelectPolicy};
pub use job::{FailureAction, Job, JobRestartPolicy, PodFailurePolicy};
pub use pod::Pod;
pub use replicaset::ReplicaSet;
pub use statefulset::{PodManagementPolicy, PvcRetention, StatefulSet, StatefulSetStrategy};

use crate::meta::{Annotations, Labels, object_meta};
use crate::validate::{self, Checker};
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A set of pods selected by labels, with container ports.
///
/// Implemented by the workload builders and by the `k8s-openapi` workload types.
pub trait Workload {
    /// The Kubernetes kind (e.g. `Deployment`).
    fn kind(&self) -> &'static str;
    /// The workload's name.
    fn name(&self) -> &str;
    /// Labels that select exactly this workload's pods (stable; never hashes).
    fn selector(&self) -> Labels;
    /// Every port of every (non-init) container, in container order.
    fn ports(&self) -> Vec<core::ContainerPort>;

    /// The API version of the kind, e.g. `apps/v1` (what a `scaleTargetRef` needs).
    fn api_version(&self) -> &'static str {
        match self.kind() {
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
            "Job" | "CronJob" => "batch/v1",
            _ => "v1",
        }
    }
}

/// A count or a percentage of replicas (`maxSurge`, `maxUnavailable`, ...).
///
/// ```
/// use kubeprint::IntOrPercent;
/// use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
/// assert_eq!(IntOrPercent::from(1).to_k8s(), IntOrString::Int(1));
/// assert_eq!(IntOrPercent::percent(25).to_k8s(), IntOrString::String("25%".into()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// A number of pods.
    Count(i32),
    /// A percentage of the desired replicas.
    Percent(i32),
}

impl IntOrPercent {
    /// A number of pods.
    pub fn count(n: i32) -> Self {
        IntOrPercent::Count(n)
    }

    /// A percentage of the desired replicas.
    pub fn percent(p: i32) -> Self {
        IntOrPercent::Percent(p)
    }

    /// The value as `k8s-openapi` holds it.
    pub fn to_k8s(self) -> IntOrString {
        match self {
            IntOrPercent::Count(n) => IntOrString::Int(n),
            IntOrPercent::Percent(p) => IntOrString::String(format!("{p}%")),
        }
    }
}

impl From<i32> for IntOrPercent {
    fn from(n: i32) -> Self {
        IntOrPercent::Count(n)
    }
}

/// Checks a count-or-percentage at `path` (non-negative; at most 100% when `max_100`).
/// Returns whether it is zero, `None` when it is invalid.
pub(crate) fn check_int_or_percent(
    c: &mut Checker,
    path: &str,
    value: &IntOrString,
    max_100: bool,
) -> Option<bool> {
    let n = match value {
        IntOrString::Int(n) => *n,
        IntOrString::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<i32>().ok()) {
            Some(p) => {
                if max_100 && p > 100 {
                    c.fail(path, format!("{s:?} must not be more than 100%"));
                    return None;
                }
                p
            }
            None => {
                c.fail(
                    path,
                    format!("{s:?} is not an integer or a percentage like \"25%\""),
                );
                return None;
            }
        },
    };
    if let Some(m) = validate::non_negative(n.into()) {
        c.fail(path, m);
        return None;
    }
    Some(n == 0)
}

/// Checks an optional count at `path` with `rule`.
pub(crate) fn check_count(
    c: &mut Checker,
    path: &str,
    value: Option<impl Into<i64>>,
    rule: fn(i64) -> Option<String>,
) {
    if let Some(n) = value {
        c.check(path, rule(n.into()));
    }
}

/// Metadata of a workload: its labels are the selector labels plus the user's (which win).
pub(crate) fn workload_meta(
    name: &str,
    namespace: Option<&String>,
    selector: &Labels,
    labels: &Labels,
    annotations: &Annotations,
) -> ObjectMeta {
    let mut all = selector.clone();
    all.merge(labels);
    object_meta(name, namespace, &all, annotations)
}

fn template_ports(template: Option<&core::PodTemplateSpec>) -> Vec<core::ContainerPort> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(pod_spec_ports)
        .unwrap_or_default()
}

pub(crate) fn pod_spec_ports(spec: &core::PodSpec) -> Vec<core::ContainerPort> {
    spec.containers.iter().flat_map(|c| c.ports.iter().flatten().cloned()).collect()
}

macro_rules! k8s_workload {
    ($ty:ty, $kind:literal, |$spec:ident| $template:expr) => {
        impl Workload for $ty {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn name(&self) -> &str {
                self.metadata.name.as_deref().unwrap_or_default()
            }
            fn selector(&self) -> Labels {
                self.spec.selector.match_labels.clone().map(Labels::from).unwrap_or_default()
            }
            fn ports(&self) -> Vec<core::ContainerPort> {
                let $spec = &self.spec;
                template_ports($template)
            }
        }
    };
}

k8s_workload!(apps::Deployment, "Deployment", |s| Some(&s.template));
k8s_workload!(apps::ReplicaSet, "ReplicaSet", |s| s.template.as_ref());
k8s_workload!(apps::DaemonSet, "DaemonSet", |s| Some(&s.template));
k8s_workload!(apps::StatefulSet, "StatefulSet", |s| Some(&s.template));

impl Workload for core::Pod {
    fn kind(&self) -> &'static str {
        "Pod"
    }
    fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
    fn selector(&self) -> Labels {
        self.metadata.labels.clone().map(Labels::from).unwrap_or_default()
    }
    fn ports(&self) -> Vec<core::ContainerPort> {
        self.spec.as_ref().map(pod_spec_ports).unwrap_or_default()
    }
}

impl Workload for batch::CronJob {
    fn kind(&self) -> &'static str {
        "CronJob"
    }
    fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
    fn selector(&self) -> Labels {
        self.spec
            .job_template
            .spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .map(Labels::from)
            .unwrap_or_default()
    }
    fn ports(&self) -> Vec<core::ContainerPort> {
        template_ports(self.spec.job_template.spec.as_ref().map(|s| &s.template))
    }
}

impl Workload for batch::Job {
    fn kind(&self) -> &'static str {
        "Job"
    }
    fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
    fn selector(&self) -> Labels {
        self.spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .map(Labels::from)
            .unwrap_or_default()
    }
    fn ports(&self) -> Vec<core::ContainerPort> {
        template_ports(self.spec.as_ref().map(|s| &s.template))
    }
}
