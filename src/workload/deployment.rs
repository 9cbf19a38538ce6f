//! Deployment (chapter 12): rolling out new versions of a ReplicaSet's pods.
//!
//! ```
//! use kubeprint::prelude::*;
//! let kuard = Deployment::builder()
//!     .name("kuard")
//!     .replicas(2)
//!     .strategy(DeploymentStrategy::rolling_update(1, IntOrPercent::percent(25)))
//!     .min_ready_seconds(10)
//!     .progress_deadline_seconds(600)
//!     .revision_history_limit(14)
//!     .change_cause("Update to green kuard")
//!     .template(
//!         PodTemplate::builder()
//!             .selector_label("run", "kuard")
//!             .container(Container::builder().name("kuard").image("gcr.io/kuar-demo/kuard-amd64:green").build())
//!             .build(),
//!     )
//!     .build();
//! let object = kuard.to_object()?;
//! assert_eq!(
//!     object.metadata.annotations.unwrap()["kubernetes.io/change-cause"],
//!     "Update to green kuard"
//! );
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels};
use crate::object::{Manifest, Validate};
use crate::pod::PodTemplate;
use crate::pod::check::{self, PodContext, RestartRule};
use crate::pod::scheduling::match_labels;
use crate::validate::{self, Checker};
use crate::workload::{IntOrPercent, check_count, check_int_or_percent, workload_meta};
use k8s_openapi::api::apps::v1 as apps;
use typed_builder::TypedBuilder;

/// The annotation `kubectl rollout history` shows for each revision.
pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";

/// How a Deployment replaces old pods with new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeploymentStrategy {
    /// Delete every old pod, then create the new ones (downtime; never two versions at once).
    Recreate,
    /// Replace pods gradually (Kubernetes' default: 25% surge, 25% unavailable).
    RollingUpdate {
        /// How many pods above the desired count may exist during the rollout.
        max_surge: IntOrPercent,
        /// How many pods below the desired count may be unavailable during the rollout.
        max_unavailable: IntOrPercent,
    },
}

impl DeploymentStrategy {
    /// [`DeploymentStrategy::Recreate`].
    pub fn recreate() -> Self {
        DeploymentStrategy::Recreate
    }

    /// A rolling update; each bound is a count (`1`) or a percentage
    /// (`IntOrPercent::percent(25)`). They must not both be zero.
    pub fn rolling_update(
        max_surge: impl Into<IntOrPercent>,
        max_unavailable: impl Into<IntOrPercent>,
    ) -> Self {
        DeploymentStrategy::RollingUpdate {
            max_surge: max_surge.into(),
            max_unavailable: max_unavailable.into(),
        }
    }

    /// The strategy as `k8s-openapi` holds it.
    pub fn to_k8s(self) -> apps::DeploymentStrategy {
        match self {
            DeploymentStrategy::Recreate => apps::DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            },
            DeploymentStrategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => apps::DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: Some(max_surge.to_k8s()),
                    max_unavailable: Some(max_unavailable.to_k8s()),
                }),
            },
        }
    }
}

/// A Deployment. `name` and `template` are required.
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Deployment {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`; usually left to the bundle or the apply target.
    #[builder(default, setter(into, strip_option))]
    namespace: Option<String>,
    /// `metadata.labels` (the selector labels are added).
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The pods to run.
    template: PodTemplate,
    /// Desired number of pods (Kubernetes' default: 1). Leave unset when an autoscaler owns it.
    #[builder(default, setter(strip_option))]
    replicas: Option<i32>,
    /// How rollouts replace pods.
    #[builder(default, setter(strip_option))]
    strategy: Option<DeploymentStrategy>,
    /// Seconds a new pod must be ready before it counts as available (slows bad rollouts).
    #[builder(default, setter(strip_option))]
    min_ready_seconds: Option<i32>,
    /// Seconds without progress before the rollout is marked failed (default 600).
    #[builder(default, setter(strip_option))]
    progress_deadline_seconds: Option<i32>,
    /// Old ReplicaSets kept for rollback (default 10).
    #[builder(default, setter(strip_option))]
    revision_history_limit: Option<i32>,
    /// Creates the Deployment paused: template changes do not roll out until resumed.
    #[builder(setter(strip_bool))]
    paused: bool,
    /// Why this revision exists (annotation `kubernetes.io/change-cause`).
    #[builder(default, setter(into, strip_option))]
    change_cause: Option<String>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut apps::Deployment) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<apps::Deployment>,
}

builder_workload!(Deployment, "Deployment");

impl Manifest for Deployment {
    type Object = apps::Deployment;

    fn to_object(&self) -> Result<apps::Deployment> {
        let selector = self.template.selector_for(&self.name);
        let mut annotations = self.annotations.clone();
        if let Some(cause) = &self.change_cause {
            annotations.insert(CHANGE_CAUSE_ANNOTATION, cause.clone());
        }
        let mut d = apps::Deployment {
            metadata: workload_meta(
                &self.name,
                self.namespace.as_ref(),
                &selector,
                &self.labels,
                &annotations,
            ),
            spec: apps::DeploymentSpec {
                replicas: self.replicas,
                selector: match_labels(&selector),
                template: self.template.render(&self.name, None),
                strategy: self.strategy.map(DeploymentStrategy::to_k8s),
                min_ready_seconds: self.min_ready_seconds,
                progress_deadline_seconds: self.progress_deadline_seconds,
                revision_history_limit: self.revision_history_limit,
                paused: self.paused.then_some(true),
            },
            status: None,
        };
        self.customize.apply(&mut d);
        d.to_object()
    }
}

impl Validate for apps::Deployment {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        check_count(c, "spec.replicas", spec.replicas, validate::non_negative);
        check_count(
            c,
            "spec.minReadySeconds",
            spec.min_ready_seconds,
            validate::non_negative,
        );
        check_count(
            c,
            "spec.revisionHistoryLimit",
            spec.revision_history_limit,
            validate::non_negative,
        );
        if let Some(deadline) = spec.progress_deadline_seconds {
            let min_ready = spec.min_ready_seconds.unwrap_or(0);
            if deadline <= min_ready {
                c.fail(
                    "spec.progressDeadlineSeconds",
                    format!("must be greater than minReadySeconds ({min_ready}), got {deadline}"),
                );
            }
        }
        if let Some(strategy) = &spec.strategy {
            let kind = strategy.type_.as_deref().unwrap_or("RollingUpdate");
            match kind {
                "Recreate" => {
                    if strategy.rolling_update.is_some() {
                        c.fail(
                            "spec.strategy.rollingUpdate",
                            "must not be set when type is Recreate",
                        );
                    }
                }
                "RollingUpdate" => {
                    if let Some(ru) = &strategy.rolling_update {
                        let path = "spec.strategy.rollingUpdate";
                        rolling_bounds(c, path, ru.max_surge.as_ref(), ru.max_unavailable.as_ref());
                    }
                }
                other => c.fail(
                    "spec.strategy.type",
                    format!("{other:?} is not one of Recreate, RollingUpdate"),
                ),
            }
        }
        check::selector_and_template(c, "spec", &spec.selector, &spec.template);
        check::template(
            c,
            "spec.template",
            &spec.template,
            PodContext::new(RestartRule::AlwaysOnly("Deployment")),
        );
    }
}

/// Checks `maxSurge`/`maxUnavailable` under `path`: valid, unavailable ≤ 100%, not both zero.
pub(crate) fn rolling_bounds(
    c: &mut Checker,
    path: &str,
    max_surge: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    max_unavailable: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{Container, Port};
    use crate::workload::Workload;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn template() -> PodTemplate {
        PodTemplate::builder()
            .container(
                Container::builder()
                    .name("web")
                    .image("nginx")
                    .port(Port::tcp("http", 8080))
                    .build(),
            )
            .build()
    }

    #[test]
    fn every_field() {
        let d = Deployment::builder()
            .name("web")
            .namespace("prod")
            .labels(Labels::from([("team", "a")]))
            .template(template())
            .replicas(3)
            .strategy(DeploymentStrategy::recreate())
            .min_ready_seconds(5)
            .progress_deadline_seconds(120)
            .revision_history_limit(3)
            .paused()
            .change_cause("first")
            .build()
            .to_object()
            .unwrap();
        let labels = d.metadata.labels.unwrap();
        assert_eq!(
            (
                labels["team"].as_str(),
                labels["app.kubernetes.io/name"].as_str()
            ),
            ("a", "web")
        );
        assert_eq!(
            d.metadata.annotations.unwrap()[CHANGE_CAUSE_ANNOTATION],
            "first"
        );
        let spec = d.spec;
        assert_eq!(spec.replicas, Some(3));
        assert_eq!(spec.strategy.unwrap().type_.as_deref(), Some("Recreate"));
        assert_eq!(
            (spec.min_ready_seconds, spec.progress_deadline_seconds),
            (Some(5), Some(120))
        );
        assert_eq!(
            (spec.revision_history_limit, spec.paused),
            (Some(3), Some(true))
        );
        assert_eq!(spec.template.spec.unwrap().restart_policy, None);
    }

    #[test]
    fn rolling_update_strategy() {
        let s = DeploymentStrategy::rolling_update(IntOrPercent::percent(50), 0).to_k8s();
        let ru = s.rolling_update.unwrap();
        assert_eq!(s.type_.as_deref(), Some("RollingUpdate"));
        assert_eq!(ru.max_surge, Some(IntOrString::String("50%".into())));
        assert_eq!(ru.max_unavailable, Some(IntOrString::Int(0)));
        assert_eq!(IntOrPercent::count(2), IntOrPercent::from(2));
    }

    #[test]
    fn minimal_is_unopinionated() {
        let spec = Deployment::builder()
            .name("web")
            .template(template())
            .build()
            .to_object()
            .unwrap()
            .spec;
        assert_eq!(
            (spec.replicas, spec.strategy, spec.paused),
            (None, None, None)
        );
        assert_eq!(spec.revision_history_limit, None);
    }

    #[test]
    fn workload_impl() {
        let d = Deployment::builder()
            .name("web")
            .template(template())
            .build();
        assert_eq!(
            (d.kind(), d.name(), d.api_version()),
            ("Deployment", "web", "apps/v1")
        );
        assert_eq!(d.selector().to_string(), "app.kubernetes.io/name=web");
        assert_eq!(d.ports()[0].container_port, 8080);
        let object = d.to_object().unwrap();
        assert_eq!(
            (object.selector(), object.ports()),
            (d.selector(), d.ports())
        );
    }
}
