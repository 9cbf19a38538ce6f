//! DaemonSet (chapter 9): one pod per node (or per node matching a `nodeSelector`).
//!
//! A full example and the list of setters are on [`DaemonSet`].

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

/// How a DaemonSet replaces its pods when the template changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DaemonSetStrategy {
    /// Replace pods node by node (Kubernetes' default: one unavailable at a time, no surge).
    RollingUpdate {
        /// Nodes whose pod may be unavailable at once.
        max_unavailable: Option<IntOrPercent>,
        /// Nodes that may run an old and a new pod at once (needs `max_unavailable` 0 to
        /// update without gaps).
        max_surge: Option<IntOrPercent>,
    },
    /// Replace a pod only when it is deleted (manual, node by node).
    OnDelete,
}

impl DaemonSetStrategy {
    /// A rolling update with Kubernetes' default bounds; refine with
    /// [`DaemonSetStrategy::max_unavailable`] and [`DaemonSetStrategy::max_surge`].
    pub fn rolling_update() -> Self {
        DaemonSetStrategy::RollingUpdate {
            max_unavailable: None,
            max_surge: None,
        }
    }

    /// [`DaemonSetStrategy::OnDelete`].
    pub fn on_delete() -> Self {
        DaemonSetStrategy::OnDelete
    }

    /// Sets `maxUnavailable` of a rolling update (no effect on `OnDelete`).
    #[must_use]
    pub fn max_unavailable(self, value: impl Into<IntOrPercent>) -> Self {
        match self {
            DaemonSetStrategy::RollingUpdate { max_surge, .. } => {
                DaemonSetStrategy::RollingUpdate {
                    max_unavailable: Some(value.into()),
                    max_surge,
                }
            }
            other => other,
        }
    }

    /// Sets `maxSurge` of a rolling update (no effect on `OnDelete`).
    #[must_use]
    pub fn max_surge(self, value: impl Into<IntOrPercent>) -> Self {
        match self {
            DaemonSetStrategy::RollingUpdate {
                max_unavailable, ..
            } => DaemonSetStrategy::RollingUpdate {
                max_unavailable,
                max_surge: Some(value.into()),
            },
            other => other,
        }
    }

    /// The strategy as `k8s-openapi` holds it.
    pub fn to_k8s(self) -> apps::DaemonSetUpdateStrategy {
        match self {
            DaemonSetStrategy::OnDelete => apps::DaemonSetUpdateStrategy {
                type_: Some("OnDelete".into()),
                rolling_update: None,
            },
            DaemonSetStrategy::RollingUpdate {
                max_unavailable,
                max_surge,
            } => apps::DaemonSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: (max_unavailable.is_some() || max_surge.is_some()).then(|| {
                    apps::RollingUpdateDaemonSet {
                        max_unavailable: max_unavailable.map(IntOrPercent::to_k8s),
                        max_surge: max_surge.map(IntOrPercent::to_k8s),
                    }
                }),
            },
        }
    }
}

/// A DaemonSet. `name` and `template` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let fast = DaemonSet::builder()
///     .name("nginx-fast-storage")
///     .strategy(DaemonSetStrategy::rolling_update().max_unavailable(1))
///     .template(
///         PodTemplate::builder()
///             .selector_label("app", "nginx")
///             .label("ssd", "true")
///             .node_selector("ssd", "true")
///             .container(Container::builder().name("nginx").image("nginx:1.27").build())
///             .build(),
///     )
///     .build();
/// let object = fast.to_object()?;
/// let pod = object.spec.template.spec.unwrap();
/// assert_eq!(pod.node_selector.unwrap()["ssd"], "true");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`DaemonSet::new`] (the required fields as arguments) or [`DaemonSet::builder()`](DaemonSet::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (the selector labels are added). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.own_labels_only()` / `.own_labels_only_if(bool)` | Leaves the selector labels off the object's own `metadata.labels`: they stay in the selector and on the pods, where they are needed, and the object carries only `labels` (and the bundle's labels). |
/// | `.template(PodTemplate)` — **required** | The pod to run on every node. |
/// | `.strategy(DaemonSetStrategy)` / `.strategy_opt(Option<..>)` | How pods are replaced when the template changes. |
/// | `.min_ready_seconds(i32)` / `.min_ready_seconds_opt(Option<..>)` | Seconds a new pod must be ready before it counts as available. |
/// | `.revision_history_limit(i32)` / `.revision_history_limit_opt(Option<..>)` | Old revisions kept for rollback (default 10). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct DaemonSet {
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
    /// The pod to run on every node.
    template: PodTemplate,
    /// How pods are replaced when the template changes.
    #[builder(default, setter(strip_option(fallback = strategy_opt)))]
    strategy: Option<DaemonSetStrategy>,
    /// Seconds a new pod must be ready before it counts as available.
    #[builder(default, setter(strip_option(fallback = min_ready_seconds_opt)))]
    min_ready_seconds: Option<i32>,
    /// Old revisions kept for rollback (default 10).
    #[builder(default, setter(strip_option(fallback = revision_history_limit_opt)))]
    revision_history_limit: Option<i32>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut apps::DaemonSet) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<apps::DaemonSet>,
}

impl DaemonSet {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the pod template; go on with any
    /// other setter, then `.build()`. Same as `DaemonSet::builder().name(..).template(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        template: PodTemplate,
    ) -> DaemonSetBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (PodTemplate,),
        (),
        (),
        (),
        (Customize<apps::DaemonSet>,),
    )> {
        Self::builder().name(name).template(template)
    }
}

builder_workload!(DaemonSet, "DaemonSet", controller);

impl Manifest for DaemonSet {
    type Object = apps::DaemonSet;

    fn to_object(&self) -> Result<apps::DaemonSet> {
        let (selector, metadata) = self.selector_and_meta();
        let mut ds = apps::DaemonSet {
            metadata,
            spec: apps::DaemonSetSpec {
                selector: match_labels(&selector),
                template: self.template.render(&self.name, None),
                update_strategy: self.strategy.map(DaemonSetStrategy::to_k8s),
                min_ready_seconds: self.min_ready_seconds,
                revision_history_limit: self.revision_history_limit,
            },
            status: None,
        };
        self.template
            .keep_restricted_promise("DaemonSet", &self.name, "spec.template.spec")?;
        self.customize.apply(&mut ds);
        ds.to_object()
    }
}

impl Validate for apps::DaemonSet {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        check_non_negative(
            c,
            "spec",
            &[
                ("minReadySeconds", spec.min_ready_seconds),
                ("revisionHistoryLimit", spec.revision_history_limit),
            ],
        );
        if let Some(s) = &spec.update_strategy {
            check_strategy(
                c,
                "spec.updateStrategy",
                (s.type_.as_deref(), s.rolling_update.as_ref()),
                ["RollingUpdate", "OnDelete"],
                |c, path, ru| {
                    rolling_bounds(c, path, ru.max_surge.as_ref(), ru.max_unavailable.as_ref());
                    // A DaemonSet surges only with maxUnavailable 0 (unset, it defaults to 1).
                    let zero =
                        |v: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString| match v {
                            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => {
                                *n == 0
                            }
                            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
                                s,
                            ) => s.trim_end_matches('%') == "0",
                        };
                    if ru.max_surge.as_ref().is_some_and(|s| !zero(s))
                        && ru.max_unavailable.as_ref().is_none_or(|u| !zero(u))
                    {
                        c.fail(
                            format_args!("{path}.maxSurge"),
                            "may not be set when maxUnavailable is non-zero (unset, it is 1): \
                             set maxUnavailable to 0",
                        );
                    }
                },
            );
        }
        check_controller_pods(
            c,
            &spec.selector,
            &spec.template,
            PodContext::new(RestartRule::AlwaysOnly("DaemonSet")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Container;
    use crate::workload::Workload;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn ds(strategy: DaemonSetStrategy) -> apps::DaemonSet {
        DaemonSet::builder()
            .name("agent")
            .strategy(strategy)
            .min_ready_seconds(10)
            .revision_history_limit(2)
            .template(
                PodTemplate::builder()
                    .container(Container::builder().name("agent").image("agent").build())
                    .build(),
            )
            .build()
            .to_object()
            .unwrap()
    }

    #[test]
    fn strategies() {
        let s = ds(DaemonSetStrategy::rolling_update()).spec;
        let u = s.update_strategy.unwrap();
        assert_eq!(
            (u.type_.as_deref(), u.rolling_update),
            (Some("RollingUpdate"), None)
        );
        assert_eq!(
            (s.min_ready_seconds, s.revision_history_limit),
            (Some(10), Some(2))
        );
        let u = ds(DaemonSetStrategy::rolling_update()
            .max_unavailable(0)
            .max_surge(IntOrPercent::percent(10)))
        .spec
        .update_strategy
        .unwrap();
        let ru = u.rolling_update.unwrap();
        assert_eq!(
            (ru.max_unavailable, ru.max_surge),
            (
                Some(IntOrString::Int(0)),
                Some(IntOrString::String("10%".into()))
            )
        );
        let u = ds(DaemonSetStrategy::on_delete()
            .max_surge(1)
            .max_unavailable(1))
        .spec
        .update_strategy
        .unwrap();
        assert_eq!(
            (u.type_.as_deref(), u.rolling_update),
            (Some("OnDelete"), None)
        );
    }

    #[test]
    fn workload_impl() {
        let d = DaemonSet::builder()
            .name("agent")
            .template(
                PodTemplate::builder()
                    .container(Container::builder().name("agent").image("agent").build())
                    .build(),
            )
            .build();
        assert_eq!((d.kind(), d.api_version()), ("DaemonSet", "apps/v1"));
        assert_eq!(d.to_object().unwrap().selector(), d.selector());
    }
}
