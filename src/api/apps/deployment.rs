//! Deployment (chapter 12): rolling out new versions of a ReplicaSet's pods.
//!
//! A full example and the list of setters are on [`Deployment`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels};
use crate::object::{Manifest, Validate};
use crate::pod::PodTemplate;
use crate::pod::check::{PodContext, RestartRule};
use crate::pod::scheduling::match_labels;
use crate::validate::Checker;
use crate::workload::builder_workload;
use crate::workload::{
    IntOrPercent, check_controller_pods, check_non_negative, check_strategy, rolling_bounds,
};
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
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let kuard = Deployment::builder()
///     .name("kuard")
///     .replicas(2)
///     .strategy(DeploymentStrategy::rolling_update(1, IntOrPercent::percent(25)))
///     .min_ready_seconds(10)
///     .progress_deadline_seconds(600)
///     .revision_history_limit(14)
///     .change_cause("Update to green kuard")
///     .template(
///         PodTemplate::builder()
///             .selector_label("run", "kuard")
///             .container(Container::builder().name("kuard").image("gcr.io/kuar-demo/kuard-amd64:green").build())
///             .build(),
///     )
///     .build();
/// let object = kuard.to_object()?;
/// assert_eq!(
///     object.metadata.annotations.unwrap()["kubernetes.io/change-cause"],
///     "Update to green kuard"
/// );
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Deployment::new`] (the required fields as arguments) or [`Deployment::builder()`](Deployment::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (the selector labels are added). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.own_labels_only()` / `.own_labels_only_if(bool)` | Leaves the selector labels off the object's own `metadata.labels`: they stay in the selector and on the pods, where they are needed, and the object carries only `labels` (and the bundle's labels). |
/// | `.template(PodTemplate)` — **required** | The pods to run. |
/// | `.replicas(i32)` / `.replicas_opt(Option<..>)` | Desired number of pods (Kubernetes' default: 1). Leave unset when an autoscaler owns it. |
/// | `.strategy(DeploymentStrategy)` / `.strategy_opt(Option<..>)` | How rollouts replace pods. |
/// | `.min_ready_seconds(i32)` / `.min_ready_seconds_opt(Option<..>)` | Seconds a new pod must be ready before it counts as available (slows bad rollouts). |
/// | `.progress_deadline_seconds(i32)` / `.progress_deadline_seconds_opt(Option<..>)` | Seconds without progress before the rollout is marked failed (default 600). |
/// | `.revision_history_limit(i32)` / `.revision_history_limit_opt(Option<..>)` | Old ReplicaSets kept for rollback (default 10). |
/// | `.paused()` / `.paused_if(bool)` | Creates the Deployment paused: template changes do not roll out until resumed. |
/// | `.change_cause(impl Into<String>)` / `.change_cause_opt(Option<..>)` | Why this revision exists (annotation `kubernetes.io/change-cause`). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Deployment {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`; usually left to the bundle or the apply target.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels` (the selector labels are added).
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// Leaves the selector labels off the object's own `metadata.labels`: they stay in the
    /// selector and on the pods, where they are needed, and the object carries only `labels`
    /// (and the bundle's labels).
    #[builder(setter(strip_bool(fallback = own_labels_only_if)))]
    own_labels_only: bool,
    /// The pods to run.
    template: PodTemplate,
    /// Desired number of pods (Kubernetes' default: 1). Leave unset when an autoscaler owns it.
    #[builder(default, setter(strip_option(fallback = replicas_opt)))]
    replicas: Option<i32>,
    /// How rollouts replace pods.
    #[builder(default, setter(strip_option(fallback = strategy_opt)))]
    strategy: Option<DeploymentStrategy>,
    /// Seconds a new pod must be ready before it counts as available (slows bad rollouts).
    #[builder(default, setter(strip_option(fallback = min_ready_seconds_opt)))]
    min_ready_seconds: Option<i32>,
    /// Seconds without progress before the rollout is marked failed (default 600).
    #[builder(default, setter(strip_option(fallback = progress_deadline_seconds_opt)))]
    progress_deadline_seconds: Option<i32>,
    /// Old ReplicaSets kept for rollback (default 10).
    #[builder(default, setter(strip_option(fallback = revision_history_limit_opt)))]
    revision_history_limit: Option<i32>,
    /// Creates the Deployment paused: template changes do not roll out until resumed.
    #[builder(setter(strip_bool(fallback = paused_if)))]
    paused: bool,
    /// Why this revision exists (annotation `kubernetes.io/change-cause`).
    #[builder(default, setter(into, strip_option(fallback = change_cause_opt)))]
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

impl Deployment {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the pod template; go on with any
    /// other setter, then `.build()`. Same as `Deployment::builder().name(..).template(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let pods = PodTemplate::builder()
    ///     .container(Container::new("web", "nginx:1.27").port(Port::tcp("http", 8080)).build())
    ///     .build();
    /// let web = Deployment::new("web", pods).replicas(3).build();
    /// assert_eq!(web.to_object()?.spec.replicas, Some(3));
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    ///
    /// Leaving out the template is an ordinary error that names it: `this function takes 2
    /// arguments but 1 argument was supplied … argument #2 of type kubeprint::PodTemplate is
    /// missing`, with `help: provide the argument: Deployment::new("web", /* PodTemplate */)`:
    ///
    /// ```compile_fail,E0061
    /// use kubeprint::prelude::*;
    /// let web = Deployment::new("web").replicas(3).build();
    /// ```
    pub fn new(
        name: impl Into<String>,
        template: PodTemplate,
    ) -> DeploymentBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (PodTemplate,),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (Customize<apps::Deployment>,),
    )> {
        Self::builder().name(name).template(template)
    }
}

builder_workload!(Deployment, "Deployment", controller);

impl Manifest for Deployment {
    type Object = apps::Deployment;

    fn to_object(&self) -> Result<apps::Deployment> {
        let (selector, mut metadata) = self.selector_and_meta();
        if let Some(cause) = &self.change_cause {
            metadata
                .annotations
                .get_or_insert_with(Default::default)
                .insert(CHANGE_CAUSE_ANNOTATION.to_owned(), cause.clone());
        }
        let mut d = apps::Deployment {
            metadata,
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
        self.template
            .keep_restricted_promise("Deployment", &self.name, "spec.template.spec")?;
        self.customize.apply(&mut d);
        d.to_object()
    }
}

impl Validate for apps::Deployment {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        check_non_negative(
            c,
            "spec",
            &[
                ("replicas", spec.replicas),
                ("minReadySeconds", spec.min_ready_seconds),
                ("revisionHistoryLimit", spec.revision_history_limit),
            ],
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
        if let Some(s) = &spec.strategy {
            check_strategy(
                c,
                "spec.strategy",
                (s.type_.as_deref(), s.rolling_update.as_ref()),
                ["Recreate", "RollingUpdate"],
                |c, path, ru| {
                    rolling_bounds(c, path, ru.max_surge.as_ref(), ru.max_unavailable.as_ref())
                },
            );
        }
        check_controller_pods(
            c,
            &spec.selector,
            &spec.template,
            PodContext::new(RestartRule::AlwaysOnly("Deployment")),
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
