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
///
/// With `controller`, the builder (which also has `namespace`, `labels`, `annotations` and
/// `own_labels_only`)
/// gets `selector_and_meta()`: its selector labels, and its metadata (the selector labels plus
/// its own labels, which win, and its annotations).
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
    ($ty:ty, $kind:literal, controller) => {
        $crate::workload::builder_workload!($ty, $kind);

        impl $ty {
            fn selector_and_meta(
                &self,
            ) -> (
                $crate::meta::Labels,
                k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
            ) {
                let selector = self.template.selector_for(&self.name);
                let meta = $crate::workload::workload_meta(
                    &self.name,
                    self.namespace.as_ref(),
                    &selector,
                    &self.labels,
                    &self.annotations,
                    self.own_labels_only,
                );
                (selector, meta)
            }
        }
    };
}

pub(crate) use builder_workload;

// The kinds live with their API groups (`crate::api::{core, apps, batch, autoscaling}`); they
// are re-exported here because this is where they were first documented, and
// `kubeprint::workload::Deployment` is a path users write.
pub use crate::api::apps::{
    DaemonSet, DaemonSetStrategy, Deployment, DeploymentStrategy, PodManagementPolicy,
    PvcRetention, ReplicaSet, StatefulSet, StatefulSetStrategy,
};
pub use crate::api::autoscaling::{
    HorizontalPodAutoscaler, ScaleTarget, ScalingPolicy, ScalingRules, SelectPolicy,
};
pub use crate::api::batch::{
    ConcurrencyPolicy, CronJob, FailureAction, Job, JobRestartPolicy, PodFailurePolicy,
};
pub use crate::api::core::Pod;
#[doc(hidden)]
pub use crate::api::{
    apps::{daemonset, deployment, replicaset, statefulset},
    autoscaling::horizontalpodautoscaler as hpa,
    batch::{cronjob, job},
    core::pod,
};

use crate::meta::{Annotations, Labels, object_meta};
use crate::pod::check::{self, PodContext};
use crate::validate::{self, Checker};
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
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

/// A count or a percentage of pods: a rollout's `maxSurge`/`maxUnavailable`, a
/// PodDisruptionBudget's `minAvailable`/`maxUnavailable` (there under the name
/// [`Amount`](crate::api::policy::poddisruptionbudget::Amount)).
///
/// ```
/// use kubeprint::IntOrPercent;
/// use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
/// assert_eq!(IntOrPercent::from(1).to_k8s(), IntOrString::Int(1));
/// assert_eq!(IntOrPercent::percent(25).to_k8s(), IntOrString::String("25%".into()));
/// assert_eq!(IntOrPercent::from_k8s(&IntOrString::String("25%".into())), Some(IntOrPercent::Percent(25)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// A number of pods.
    Count(i32),
    /// A percentage of the desired (or selected) pods.
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

    /// Reads the value of a raw object: an integer, or a string of an integer followed by `%`.
    /// `None` for any other string. The range is not checked.
    pub fn from_k8s(value: &IntOrString) -> Option<IntOrPercent> {
        match value {
            IntOrString::Int(n) => Some(IntOrPercent::Count(*n)),
            IntOrString::String(s) => parse_percent(s).map(IntOrPercent::Percent),
        }
    }
}

/// The number of a percentage string (`"25%"` → 25); `None` unless it is an integer and `%`.
pub(crate) fn parse_percent(s: &str) -> Option<i32> {
    s.strip_suffix('%')?.parse().ok()
}

impl From<i32> for IntOrPercent {
    fn from(n: i32) -> Self {
        IntOrPercent::Count(n)
    }
}

impl From<IntOrPercent> for IntOrString {
    fn from(value: IntOrPercent) -> Self {
        value.to_k8s()
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
        IntOrString::String(s) => match parse_percent(s) {
            Some(p) if max_100 && p > 100 => {
                c.fail(path, format!("{s:?} must not be more than 100%"));
                return None;
            }
            Some(p) => p,
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

/// Checks that every count given is `>= 0`; `prefix` and the count's field name make its path
/// (`spec` + `replicas` → `spec.replicas`).
pub(crate) fn check_non_negative<T: Into<i64> + Copy>(
    c: &mut Checker,
    prefix: &str,
    counts: &[(&str, Option<T>)],
) {
    for (field, value) in counts {
        if let Some(n) = value {
            c.check(
                format_args!("{prefix}.{field}"),
                validate::non_negative((*n).into()),
            );
        }
    }
}

/// Checks an update strategy at `path` (`spec.strategy`, `spec.updateStrategy`): its `type`
/// (unset means RollingUpdate) must be one of `types`; the type that is not RollingUpdate
/// forbids `rollingUpdate`, and RollingUpdate has `rolling` check it.
pub(crate) fn check_strategy<R>(
    c: &mut Checker,
    path: &str,
    (type_, rolling_update): (Option<&str>, Option<&R>),
    types: [&str; 2],
    rolling: impl FnOnce(&mut Checker, &str, &R),
) {
    // An empty type is defaulted to RollingUpdate by the apiserver, like a missing one.
    match type_.filter(|t| !t.is_empty()).unwrap_or("RollingUpdate") {
        "RollingUpdate" => {
            if let Some(ru) = rolling_update {
                rolling(c, &format!("{path}.rollingUpdate"), ru);
            }
        }
        other if types.contains(&other) => {
            if rolling_update.is_some() {
                c.fail(
                    format_args!("{path}.rollingUpdate"),
                    format!("must not be set when type is {other}"),
                );
            }
        }
        other => c.fail(
            format_args!("{path}.type"),
            format!("{other:?} is not one of {}", types.join(", ")),
        ),
    }
}

/// Checks `maxSurge`/`maxUnavailable` under `path`: valid, unavailable ≤ 100%, not both zero.
pub(crate) fn rolling_bounds(
    c: &mut Checker,
    path: &str,
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
) {
    let surge_zero =
        max_surge.map(|v| check_int_or_percent(c, &format!("{path}.maxSurge"), v, false));
    let unavailable_zero = max_unavailable
        .map(|v| check_int_or_percent(c, &format!("{path}.maxUnavailable"), v, true));
    if surge_zero == Some(Some(true)) && unavailable_zero == Some(Some(true)) {
        c.fail(
            format_args!("{path}.maxUnavailable"),
            "must not be 0 when maxSurge is 0",
        );
    }
}

/// Checks a pod controller's selector against its pod template, then the template
/// (`spec.selector`, `spec.template`).
pub(crate) fn check_controller_pods(
    c: &mut Checker,
    selector: &LabelSelector,
    template: &core::PodTemplateSpec,
    ctx: PodContext<'_>,
) {
    check::selector_and_template(c, "spec", selector, template);
    check::template(c, "spec.template", template, ctx);
}

/// Metadata of a workload: its labels are the selector labels plus the user's (which win).
pub(crate) fn workload_meta(
    name: &str,
    namespace: Option<&String>,
    selector: &Labels,
    labels: &Labels,
    annotations: &Annotations,
    own_labels_only: bool,
) -> ObjectMeta {
    if own_labels_only {
        return object_meta(name, namespace, labels, annotations);
    }
    let mut all = selector.clone();
    all.merge(labels);
    object_meta(name, namespace, &all, annotations)
}

/// Every port of every (non-init) container of `spec`.
fn pod_spec_ports(spec: Option<&core::PodSpec>) -> Vec<core::ContainerPort> {
    spec.into_iter()
        .flat_map(|s| &s.containers)
        .flat_map(|c| c.ports.iter().flatten().cloned())
        .collect()
}

/// The pod spec of a template.
fn template_pod_spec(template: Option<&core::PodTemplateSpec>) -> Option<&core::PodSpec> {
    template.and_then(|t| t.spec.as_ref())
}

/// A template's labels (Jobs and CronJobs select their pods by them).
fn template_labels(template: Option<&core::PodTemplateSpec>) -> Labels {
    template
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .map(Labels::from)
        .unwrap_or_default()
}

/// `Workload` for a `k8s-openapi` type: `|o| selector: <Labels>, pod_spec: <Option<&PodSpec>>`.
macro_rules! k8s_workload {
    ($ty:ty, $kind:literal, |$o:ident| selector: $selector:expr, pod_spec: $pod_spec:expr) => {
        impl Workload for $ty {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn name(&self) -> &str {
                self.metadata.name.as_deref().unwrap_or_default()
            }
            fn selector(&self) -> Labels {
                let $o = self;
                $selector
            }
            fn ports(&self) -> Vec<core::ContainerPort> {
                let $o = self;
                pod_spec_ports($pod_spec)
            }
        }
    };
}

/// The labels of an apps/v1 selector's `matchLabels`.
fn match_labels_of(selector: &LabelSelector) -> Labels {
    selector
        .match_labels
        .clone()
        .map(Labels::from)
        .unwrap_or_default()
}

k8s_workload!(apps::Deployment, "Deployment", |o|
    selector: match_labels_of(&o.spec.selector),
    pod_spec: template_pod_spec(Some(&o.spec.template)));
k8s_workload!(apps::ReplicaSet, "ReplicaSet", |o|
    selector: match_labels_of(&o.spec.selector),
    pod_spec: template_pod_spec(o.spec.template.as_ref()));
k8s_workload!(apps::DaemonSet, "DaemonSet", |o|
    selector: match_labels_of(&o.spec.selector),
    pod_spec: template_pod_spec(Some(&o.spec.template)));
k8s_workload!(apps::StatefulSet, "StatefulSet", |o|
    selector: match_labels_of(&o.spec.selector),
    pod_spec: template_pod_spec(Some(&o.spec.template)));
k8s_workload!(core::Pod, "Pod", |o|
    selector: o.metadata.labels.clone().map(Labels::from).unwrap_or_default(),
    pod_spec: o.spec.as_ref());
k8s_workload!(batch::Job, "Job", |o|
    selector: template_labels(o.spec.as_ref().map(|s| &s.template)),
    pod_spec: template_pod_spec(o.spec.as_ref().map(|s| &s.template)));
k8s_workload!(batch::CronJob, "CronJob", |o|
    selector: template_labels(o.spec.job_template.spec.as_ref().map(|s| &s.template)),
    pod_spec: template_pod_spec(o.spec.job_template.spec.as_ref().map(|s| &s.template)));
