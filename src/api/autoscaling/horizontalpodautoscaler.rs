//! HorizontalPodAutoscaler (`autoscaling/v2`): scales a Deployment, ReplicaSet or
//! StatefulSet between bounds to keep resource use near a target.
//!
//! A full example and the list of setters are on [`HorizontalPodAutoscaler`].
//!
//! Utilization targets are percentages of the pods' *requests*: the target's containers need
//! requests for the resource, or the autoscaler cannot compute anything.

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::quantity::check_quantity;
use crate::validate::{self, Checker};
use crate::workload::Workload;
use k8s_openapi::api::autoscaling::v2 as autoscaling;
use typed_builder::TypedBuilder;

/// The workload an autoscaler scales (`scaleTargetRef`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScaleTarget {
    api_version: String,
    kind: String,
    name: String,
}

impl ScaleTarget {
    /// A target by kind and name; the API version follows from the kind (`apps/v1` for
    /// Deployment, ReplicaSet, StatefulSet).
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        let kind = kind.into();
        let api_version = match kind.as_str() {
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
            _ => "v1",
        };
        ScaleTarget {
            api_version: api_version.into(),
            kind,
            name: name.into(),
        }
    }

    /// A target of another API (e.g. a custom resource with a scale subresource).
    pub fn custom(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        ScaleTarget {
            api_version: api_version.into(),
            kind: kind.into(),
            name: name.into(),
        }
    }
}

impl<W: Workload + ?Sized> From<&W> for ScaleTarget {
    fn from(w: &W) -> Self {
        ScaleTarget {
            api_version: w.api_version().into(),
            kind: w.kind().into(),
            name: w.name().into(),
        }
    }
}

/// How the autoscaler chooses among several policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (the default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

impl SelectPolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SelectPolicy::Max => "Max",
            SelectPolicy::Min => "Min",
            SelectPolicy::Disabled => "Disabled",
        }
    }
}

/// At most `value` pods, or `value` percent, of change per `period_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScalingPolicy {
    percent: bool,
    value: i32,
    period_seconds: i32,
}

impl ScalingPolicy {
    /// At most `pods` pods per `period_seconds`.
    pub fn pods(pods: i32, period_seconds: i32) -> Self {
        ScalingPolicy {
            percent: false,
            value: pods,
            period_seconds,
        }
    }

    /// At most `percent`% of the current replicas per `period_seconds`.
    pub fn percent(percent: i32, period_seconds: i32) -> Self {
        ScalingPolicy {
            percent: true,
            value: percent,
            period_seconds,
        }
    }
}

/// Scaling behaviour in one direction.
///
/// ```
/// use kubeprint::workload::{ScalingPolicy, ScalingRules, SelectPolicy};
/// let down = ScalingRules::new()
///     .stabilization_window(300)
///     .policy(ScalingPolicy::percent(10, 60))
///     .policy(ScalingPolicy::pods(2, 60))
///     .select(SelectPolicy::Min);
/// let k8s = down.to_k8s();
/// assert_eq!(k8s.policies.unwrap()[0].type_, "Percent");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScalingRules {
    stabilization_window: Option<i32>,
    policies: Vec<ScalingPolicy>,
    select: Option<SelectPolicy>,
}

impl ScalingRules {
    /// Kubernetes' defaults.
    pub fn new() -> Self {
        ScalingRules::default()
    }

    /// Seconds of past recommendations considered, to avoid flapping (0–3600).
    #[must_use]
    pub fn stabilization_window(mut self, seconds: i32) -> Self {
        self.stabilization_window = Some(seconds);
        self
    }

    /// Adds a rate limit.
    #[must_use]
    pub fn policy(mut self, policy: ScalingPolicy) -> Self {
        self.policies.push(policy);
        self
    }

    /// How to choose among the policies.
    #[must_use]
    pub fn select(mut self, select: SelectPolicy) -> Self {
        self.select = Some(select);
        self
    }

    /// The rules as `k8s-openapi` holds them.
    pub fn to_k8s(&self) -> autoscaling::HPAScalingRules {
        autoscaling::HPAScalingRules {
            stabilization_window_seconds: self.stabilization_window,
            select_policy: self.select.map(|s| s.as_str().to_owned()),
            policies: (!self.policies.is_empty()).then(|| {
                self.policies
                    .iter()
                    .map(|p| autoscaling::HPAScalingPolicy {
                        type_: if p.percent { "Percent" } else { "Pods" }.into(),
                        value: p.value,
                        period_seconds: p.period_seconds,
                    })
                    .collect()
            }),
            ..autoscaling::HPAScalingRules::default()
        }
    }
}

/// A HorizontalPodAutoscaler. `name`, `target` and `max_replicas` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let web = Deployment::builder()
///     .name("web")
///     .template(
///         PodTemplate::builder()
///             .container(
///                 Container::builder()
///                     .name("web")
///                     .image("nginx:1.27")
///                     .resources(Resources::new().request_cpu(Cpu::millis(200)))
///                     .build(),
///             )
///             .build(),
///     )
///     .build();
/// let hpa = HorizontalPodAutoscaler::builder()
///     .name("web")
///     .target(&web)
///     .min_replicas(2)
///     .max_replicas(10)
///     .cpu_utilization(70)
///     .build();
/// let object = hpa.to_object()?;
/// assert_eq!(object.spec.scale_target_ref.kind, "Deployment");
/// assert_eq!(object.spec.scale_target_ref.api_version.as_deref(), Some("apps/v1"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`HorizontalPodAutoscaler::new`] (the required fields as arguments) or [`HorizontalPodAutoscaler::builder()`](HorizontalPodAutoscaler::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name` (usually the target's name). |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.target(impl Into<ScaleTarget>)` — **required** | The workload to scale: `.target(&deployment)` or `.target(ScaleTarget::new(..))`. |
/// | `.min_replicas(i32)` / `.min_replicas_opt(Option<..>)` | The fewest replicas (default 1). |
/// | `.max_replicas(i32)` — **required** | The most replicas. |
/// | `.cpu_utilization(i32)` / `.cpu_utilization_opt(Option<..>)` | Target average CPU use, in percent of the CPU requests. |
/// | `.memory_utilization(i32)` / `.memory_utilization_opt(Option<..>)` | Target average memory use, in percent of the memory requests. |
/// | `.scale_up(ScalingRules)` / `.scale_up_opt(Option<..>)` | Scaling-up behaviour. |
/// | `.scale_down(ScalingRules)` / `.scale_down_opt(Option<..>)` | Scaling-down behaviour. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct HorizontalPodAutoscaler {
    /// `metadata.name` (usually the target's name).
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`; usually left to the bundle or the apply target.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The workload to scale: `.target(&deployment)` or `.target(ScaleTarget::new(..))`.
    #[builder(setter(into))]
    target: ScaleTarget,
    /// The fewest replicas (default 1).
    #[builder(default, setter(strip_option(fallback = min_replicas_opt)))]
    min_replicas: Option<i32>,
    /// The most replicas.
    max_replicas: i32,
    /// Target average CPU use, in percent of the CPU requests.
    #[builder(default, setter(strip_option(fallback = cpu_utilization_opt)))]
    cpu_utilization: Option<i32>,
    /// Target average memory use, in percent of the memory requests.
    #[builder(default, setter(strip_option(fallback = memory_utilization_opt)))]
    memory_utilization: Option<i32>,
    /// Scaling-up behaviour.
    #[builder(default, setter(strip_option(fallback = scale_up_opt)))]
    scale_up: Option<ScalingRules>,
    /// Scaling-down behaviour.
    #[builder(default, setter(strip_option(fallback = scale_down_opt)))]
    scale_down: Option<ScalingRules>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut autoscaling::HorizontalPodAutoscaler) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<autoscaling::HorizontalPodAutoscaler>,
}

impl HorizontalPodAutoscaler {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name, the workload it scales and the replica
    /// ceiling; go on with any other setter, then `.build()`. Same as
    /// `HorizontalPodAutoscaler::builder().name(..).target(..).max_replicas(..)`, but leaving one
    /// out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        target: ScaleTarget,
        max_replicas: i32,
    ) -> HorizontalPodAutoscalerBuilder<(
        (String,),
        (),
        (),
        (),
        (ScaleTarget,),
        (),
        (i32,),
        (),
        (),
        (),
        (),
        (Customize<autoscaling::HorizontalPodAutoscaler>,),
    )> {
        Self::builder()
            .name(name)
            .target(target)
            .max_replicas(max_replicas)
    }
}

fn utilization(resource: &str, percent: i32) -> autoscaling::MetricSpec {
    autoscaling::MetricSpec {
        type_: "Resource".into(),
        resource: Some(autoscaling::ResourceMetricSource {
            name: resource.into(),
            target: autoscaling::MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(percent),
                ..autoscaling::MetricTarget::default()
            },
        }),
        ..autoscaling::MetricSpec::default()
    }
}

impl Manifest for HorizontalPodAutoscaler {
    type Object = autoscaling::HorizontalPodAutoscaler;

    fn to_object(&self) -> Result<autoscaling::HorizontalPodAutoscaler> {
        let metrics: Vec<_> = [
            ("cpu", self.cpu_utilization),
            ("memory", self.memory_utilization),
        ]
        .into_iter()
        .filter_map(|(resource, target)| target.map(|t| utilization(resource, t)))
        .collect();
        let behavior = (self.scale_up.is_some() || self.scale_down.is_some()).then(|| {
            autoscaling::HorizontalPodAutoscalerBehavior {
                scale_up: self.scale_up.as_ref().map(ScalingRules::to_k8s),
                scale_down: self.scale_down.as_ref().map(ScalingRules::to_k8s),
            }
        });
        let mut hpa = autoscaling::HorizontalPodAutoscaler {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: autoscaling::HorizontalPodAutoscalerSpec {
                scale_target_ref: autoscaling::CrossVersionObjectReference {
                    api_version: Some(self.target.api_version.clone()),
                    kind: self.target.kind.clone(),
                    name: self.target.name.clone(),
                },
                min_replicas: self.min_replicas,
                max_replicas: self.max_replicas,
                metrics: (!metrics.is_empty()).then_some(metrics),
                behavior,
            },
            status: None,
        };
        self.customize.apply(&mut hpa);
        hpa.to_object()
    }
}

impl Validate for autoscaling::HorizontalPodAutoscaler {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        let target = &spec.scale_target_ref;
        if target.kind.is_empty() {
            c.fail("spec.scaleTargetRef.kind", "must not be empty");
        } else if ["Pod", "DaemonSet", "Job", "CronJob"].contains(&target.kind.as_str()) {
            c.fail(
                "spec.scaleTargetRef.kind",
                format!("{:?} cannot be scaled (no scale subresource)", target.kind),
            );
        }
        c.check(
            "spec.scaleTargetRef.name",
            validate::dns1123_subdomain(&target.name),
        );
        let min = spec.min_replicas.unwrap_or(1);
        if let Some(n) = spec.min_replicas {
            c.check("spec.minReplicas", validate::positive(n.into()));
        }
        if spec.max_replicas < 1 {
            c.check(
                "spec.maxReplicas",
                validate::positive(spec.max_replicas.into()),
            );
        } else if spec.max_replicas < min {
            c.fail(
                "spec.maxReplicas",
                format!("must be >= minReplicas ({min}), got {}", spec.max_replicas),
            );
        }
        for (i, m) in spec.metrics.iter().flatten().enumerate() {
            let p = format!("spec.metrics[{i}]");
            c.check(
                format_args!("{p}.type"),
                validate::one_of(
                    &m.type_,
                    &[
                        "Resource",
                        "Pods",
                        "Object",
                        "External",
                        "ContainerResource",
                    ],
                ),
            );
            if m.type_ == "Resource" {
                match &m.resource {
                    Some(r) => {
                        if r.name.is_empty() {
                            c.fail(format_args!("{p}.resource.name"), "must not be empty");
                        }
                        metric_target(c, &format!("{p}.resource.target"), &r.target);
                    }
                    None => c.fail(
                        format_args!("{p}.resource"),
                        "must be set when type is Resource",
                    ),
                }
            }
        }
        if let Some(b) = &spec.behavior {
            for (field, rules) in [("scaleUp", &b.scale_up), ("scaleDown", &b.scale_down)] {
                if let Some(r) = rules {
                    scaling_rules(c, &format!("spec.behavior.{field}"), r);
                }
            }
        }
    }
}

fn metric_target(c: &mut Checker, p: &str, t: &autoscaling::MetricTarget) {
    match t.type_.as_str() {
        "Utilization" => match t.average_utilization {
            Some(n) => c.check(
                format_args!("{p}.averageUtilization"),
                validate::positive(n.into()),
            ),
            None => c.fail(
                format_args!("{p}.averageUtilization"),
                "must be set when type is Utilization",
            ),
        },
        "Value" => match &t.value {
            Some(q) => c.check(format_args!("{p}.value"), check_quantity(q)),
            None => c.fail(format_args!("{p}.value"), "must be set when type is Value"),
        },
        "AverageValue" => match &t.average_value {
            Some(q) => c.check(format_args!("{p}.averageValue"), check_quantity(q)),
            None => c.fail(
                format_args!("{p}.averageValue"),
                "must be set when type is AverageValue",
            ),
        },
        other => c.fail(
            format_args!("{p}.type"),
            format!("{other:?} is not one of Utilization, Value, AverageValue"),
        ),
    }
}

fn scaling_rules(c: &mut Checker, p: &str, r: &autoscaling::HPAScalingRules) {
    if let Some(n) = r
        .stabilization_window_seconds
        .filter(|n| !(0..=3600).contains(n))
    {
        c.fail(
            format_args!("{p}.stabilizationWindowSeconds"),
            format!("must be between 0 and 3600, got {n}"),
        );
    }
    if let Some(s) = &r.select_policy {
        c.check(
            format_args!("{p}.selectPolicy"),
            validate::one_of(s, &["Max", "Min", "Disabled"]),
        );
    }
    for (i, policy) in r.policies.iter().flatten().enumerate() {
        let pp = format!("{p}.policies[{i}]");
        c.check(
            format_args!("{pp}.type"),
            validate::one_of(&policy.type_, &["Pods", "Percent"]),
        );
        c.check(
            format_args!("{pp}.value"),
            validate::positive(policy.value.into()),
        );
        if !(1..=1800).contains(&policy.period_seconds) {
            c.fail(
                format_args!("{pp}.periodSeconds"),
                format!("must be between 1 and 1800, got {}", policy.period_seconds),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field() {
        let hpa = HorizontalPodAutoscaler::builder()
            .name("db")
            .target(ScaleTarget::new("StatefulSet", "db"))
            .min_replicas(1)
            .max_replicas(3)
            .cpu_utilization(60)
            .memory_utilization(80)
            .scale_up(
                ScalingRules::new()
                    .policy(ScalingPolicy::pods(1, 60))
                    .select(SelectPolicy::Max),
            )
            .scale_down(
                ScalingRules::new()
                    .stabilization_window(600)
                    .select(SelectPolicy::Disabled),
            )
            .build()
            .to_object()
            .unwrap();
        let spec = hpa.spec;
        assert_eq!(
            spec.scale_target_ref.api_version.as_deref(),
            Some("apps/v1")
        );
        let metrics = spec.metrics.unwrap();
        assert_eq!(metrics.len(), 2);
        assert_eq!(metrics[1].resource.as_ref().unwrap().name, "memory");
        assert_eq!(
            metrics[1]
                .resource
                .as_ref()
                .unwrap()
                .target
                .average_utilization,
            Some(80)
        );
        let b = spec.behavior.unwrap();
        assert_eq!(b.scale_up.unwrap().policies.unwrap()[0].type_, "Pods");
        let down = b.scale_down.unwrap();
        assert_eq!(
            (
                down.stabilization_window_seconds,
                down.select_policy.as_deref()
            ),
            (Some(600), Some("Disabled"))
        );
    }

    #[test]
    fn minimal() {
        let spec = HorizontalPodAutoscaler::builder()
            .name("web")
            .target(ScaleTarget::custom("example.com/v1", "Widget", "w"))
            .max_replicas(5)
            .build()
            .to_object()
            .unwrap()
            .spec;
        assert_eq!(
            (spec.min_replicas, spec.metrics, spec.behavior),
            (None, None, None)
        );
        assert_eq!(
            spec.scale_target_ref.api_version.as_deref(),
            Some("example.com/v1")
        );
        assert_eq!(ScaleTarget::new("Widget", "w").api_version, "v1");
    }
}
