//! PodDisruptionBudget: how many pods of a set may be down at once during voluntary
//! disruptions (node drains, upgrades).
//!
//! A full example and the list of setters are on [`PodDisruptionBudget`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::selector::{Selector, check_label_selector};
use crate::validate::{self, Checker};
use crate::workload::{Workload, parse_percent};
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use typed_builder::TypedBuilder;

/// A number of pods, absolute or as a percentage (0-100, rounded up by the disruption
/// controller) of the selected pods: the same type as [`IntOrPercent`](crate::IntOrPercent).
pub use crate::workload::IntOrPercent as Amount;

/// The budget: exactly one of `minAvailable` or `maxUnavailable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// At least this many pods must stay available.
    MinAvailable(Amount),
    /// At most this many pods may be unavailable (works with scaling; usually the better choice).
    MaxUnavailable(Amount),
}

impl Budget {
    /// `minAvailable: n`.
    pub fn min_available(n: i32) -> Self {
        Budget::MinAvailable(Amount::Count(n))
    }
    /// `minAvailable: "p%"`.
    pub fn min_available_percent(p: i32) -> Self {
        Budget::MinAvailable(Amount::Percent(p))
    }
    /// `maxUnavailable: n`.
    pub fn max_unavailable(n: i32) -> Self {
        Budget::MaxUnavailable(Amount::Count(n))
    }
    /// `maxUnavailable: "p%"`.
    pub fn max_unavailable_percent(p: i32) -> Self {
        Budget::MaxUnavailable(Amount::Percent(p))
    }
}

/// When running-but-unready pods may be evicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnhealthyPodEvictionPolicy {
    /// Only while the budget is met (the default).
    IfHealthyBudget,
    /// Always (lets drains proceed past stuck, unhealthy pods).
    AlwaysAllow,
}

impl UnhealthyPodEvictionPolicy {
    fn as_str(self) -> &'static str {
        match self {
            UnhealthyPodEvictionPolicy::IfHealthyBudget => "IfHealthyBudget",
            UnhealthyPodEvictionPolicy::AlwaysAllow => "AlwaysAllow",
        }
    }
}

/// A PodDisruptionBudget. `name`, `selector` and `budget` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::poddisruptionbudget::Budget;
///
/// let pdb = PodDisruptionBudget::builder()
///     .name("kuard")
///     .selector(Labels::from([("app", "kuard")]))
///     .budget(Budget::max_unavailable_percent(25))
///     .build();
/// let spec = pdb.to_object()?.spec.unwrap();
/// assert_eq!(
///     spec.max_unavailable,
///     Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("25%".into()))
/// );
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`PodDisruptionBudget::new`] (the required fields as arguments) or [`PodDisruptionBudget::builder()`](PodDisruptionBudget::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.selector(impl Into<Selector>)` — **required** | The pods covered (usually a workload's selector). |
/// | `.budget(Budget)` — **required** | `minAvailable` or `maxUnavailable`. |
/// | `.unhealthy_pod_eviction_policy(UnhealthyPodEvictionPolicy)` / `.unhealthy_pod_eviction_policy_opt(Option<..>)` | `unhealthyPodEvictionPolicy`. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct PodDisruptionBudget {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The pods covered (usually a workload's selector).
    #[builder(setter(into))]
    selector: Selector,
    /// `minAvailable` or `maxUnavailable`.
    budget: Budget,
    /// `unhealthyPodEvictionPolicy`.
    #[builder(default, setter(strip_option(fallback = unhealthy_pod_eviction_policy_opt)))]
    unhealthy_pod_eviction_policy: Option<UnhealthyPodEvictionPolicy>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut policy::PodDisruptionBudget) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<policy::PodDisruptionBudget>,
}

impl PodDisruptionBudget {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name, the pods it protects and the budget; go
    /// on with any other setter, then `.build()`. Same as
    /// `PodDisruptionBudget::builder().name(..).selector(..).budget(..)`, but leaving one out is an
    /// ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        selector: impl Into<Selector>,
        budget: Budget,
    ) -> PodDisruptionBudgetBuilder<(
        (String,),
        (),
        (),
        (),
        (Selector,),
        (Budget,),
        (),
        (Customize<policy::PodDisruptionBudget>,),
    )> {
        Self::builder().name(name).selector(selector).budget(budget)
    }
}

impl PodDisruptionBudget {
    /// The budget's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A budget for `workload`'s pods, named after it.
    ///
    /// ```
    /// # use kubeprint::prelude::*;
    /// # use kubeprint::poddisruptionbudget::Budget;
    /// # let deployment: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(serde_json::json!({
    /// #   "metadata": {"name": "kuard"},
    /// #   "spec": {"selector": {"matchLabels": {"app": "kuard"}}, "template": {}}})).unwrap();
    /// let pdb = PodDisruptionBudget::for_workload(&deployment, Budget::max_unavailable(1));
    /// assert_eq!(pdb.to_object()?.spec.unwrap().selector.unwrap().match_labels.unwrap()["app"], "kuard");
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn for_workload(workload: &impl Workload, budget: Budget) -> PodDisruptionBudget {
        PodDisruptionBudget::builder()
            .name(workload.name().to_owned())
            .selector(workload.selector())
            .budget(budget)
            .build()
    }
}

impl Manifest for PodDisruptionBudget {
    type Object = policy::PodDisruptionBudget;

    fn to_object(&self) -> Result<policy::PodDisruptionBudget> {
        let (min_available, max_unavailable) = match self.budget {
            Budget::MinAvailable(a) => (Some(a.into()), None),
            Budget::MaxUnavailable(a) => (None, Some(a.into())),
        };
        let mut pdb = policy::PodDisruptionBudget {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(policy::PodDisruptionBudgetSpec {
                selector: Some(self.selector.to_label_selector()),
                min_available,
                max_unavailable,
                unhealthy_pod_eviction_policy: self
                    .unhealthy_pod_eviction_policy
                    .map(|p| p.as_str().to_owned()),
            }),
            status: None,
        };
        self.customize.apply(&mut pdb);
        pdb.to_object()
    }
}

fn check_amount(c: &mut Checker, path: &str, value: &IntOrString) {
    match value {
        IntOrString::Int(n) => c.check(path, validate::non_negative((*n).into())),
        IntOrString::String(s) => match parse_percent(s) {
            Some(p) if (0..=100).contains(&p) => {}
            Some(_) => c.fail(
                path,
                format!("{s:?} must be a percentage between 0% and 100%"),
            ),
            None => c.fail(
                path,
                format!("{s:?} must be an integer or a percentage (e.g. \"50%\")"),
            ),
        },
    }
}

impl Validate for policy::PodDisruptionBudget {
    fn validate(&self, c: &mut Checker) {
        let Some(spec) = &self.spec else {
            c.fail("spec", "required");
            return;
        };
        match (&spec.min_available, &spec.max_unavailable) {
            (Some(_), Some(_)) => c.fail(
                "spec",
                "minAvailable and maxUnavailable are mutually exclusive",
            ),
            (None, None) => c.fail("spec", "one of minAvailable or maxUnavailable is required"),
            (Some(v), None) => check_amount(c, "spec.minAvailable", v),
            (None, Some(v)) => check_amount(c, "spec.maxUnavailable", v),
        }
        match &spec.selector {
            None => c.fail(
                "spec.selector",
                "required (without one the budget covers no pods)",
            ),
            Some(s) => check_label_selector(c, "spec.selector", s),
        }
        if let Some(p) = spec
            .unhealthy_pod_eviction_policy
            .as_deref()
            .filter(|p| !matches!(*p, "IfHealthyBudget" | "AlwaysAllow"))
        {
            c.fail(
                "spec.unhealthyPodEvictionPolicy",
                format!("{p:?} is not valid (IfHealthyBudget, AlwaysAllow)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdb(budget: Budget) -> PodDisruptionBudget {
        PodDisruptionBudget::builder()
            .name("web")
            .selector([("app", "web")])
            .budget(budget)
            .build()
    }

    fn one_error(p: PodDisruptionBudget) -> String {
        let e = p.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn customized(
        budget: Budget,
        f: impl Fn(&mut policy::PodDisruptionBudgetSpec) + Send + Sync + 'static,
    ) -> PodDisruptionBudget {
        PodDisruptionBudget::builder()
            .name("web")
            .selector([("app", "web")])
            .budget(budget)
            .customize(move |p: &mut policy::PodDisruptionBudget| {
                p.spec.as_mut().into_iter().for_each(&f)
            })
            .build()
    }

    #[test]
    fn counts_and_percents() {
        let spec = pdb(Budget::min_available(2))
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(
            (spec.min_available, spec.max_unavailable),
            (Some(IntOrString::Int(2)), None)
        );
        let spec = pdb(Budget::min_available_percent(50))
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(spec.min_available, Some(IntOrString::String("50%".into())));
        let spec = pdb(Budget::max_unavailable(1))
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(
            (spec.min_available, spec.max_unavailable),
            (None, Some(IntOrString::Int(1)))
        );
    }

    #[test]
    fn amount_is_int_or_percent() {
        use crate::IntOrPercent;
        assert_eq!(
            Budget::min_available_percent(50),
            Budget::MinAvailable(IntOrPercent::percent(50))
        );
        assert_eq!(
            Budget::max_unavailable(1),
            Budget::MaxUnavailable(Amount::Count(1))
        );
    }

    #[test]
    fn eviction_policy_and_expressions() {
        let spec = PodDisruptionBudget::builder()
            .name("web")
            .selector(Selector::parse("app=web,track notin (canary)").unwrap())
            .budget(Budget::max_unavailable(1))
            .unhealthy_pod_eviction_policy(UnhealthyPodEvictionPolicy::AlwaysAllow)
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(
            spec.unhealthy_pod_eviction_policy.as_deref(),
            Some("AlwaysAllow")
        );
        assert_eq!(
            spec.selector.unwrap().match_expressions.unwrap()[0].operator,
            "NotIn"
        );
    }

    #[test]
    fn rule_exactly_one_budget() {
        let both = customized(Budget::min_available(1), |s| {
            s.max_unavailable = Some(IntOrString::Int(1))
        });
        assert_eq!(
            one_error(both),
            r#"poddisruptionbudget "web": spec: minAvailable and maxUnavailable are mutually exclusive"#
        );
        let neither = customized(Budget::min_available(1), |s| s.min_available = None);
        assert_eq!(
            one_error(neither),
            r#"poddisruptionbudget "web": spec: one of minAvailable or maxUnavailable is required"#
        );
    }

    #[test]
    fn rule_count_not_negative() {
        assert_eq!(
            one_error(pdb(Budget::max_unavailable(-1))),
            r#"poddisruptionbudget "web": spec.maxUnavailable: must be >= 0, got -1"#
        );
    }

    #[test]
    fn rule_percent_range() {
        assert_eq!(
            one_error(pdb(Budget::min_available_percent(150))),
            r#"poddisruptionbudget "web": spec.minAvailable: "150%" must be a percentage between 0% and 100%"#
        );
        let bad = customized(Budget::min_available(1), |s| {
            s.min_available = Some(IntOrString::String("half".into()))
        });
        assert_eq!(
            one_error(bad),
            r#"poddisruptionbudget "web": spec.minAvailable: "half" must be an integer or a percentage (e.g. "50%")"#
        );
    }

    #[test]
    fn rule_selector() {
        let none = customized(Budget::min_available(1), |s| s.selector = None);
        assert_eq!(
            one_error(none),
            r#"poddisruptionbudget "web": spec.selector: required (without one the budget covers no pods)"#
        );
        let bad = PodDisruptionBudget::builder()
            .name("web")
            .selector(Selector::new().label("app", "web!"))
            .budget(Budget::min_available(1))
            .build();
        assert_eq!(
            one_error(bad),
            r#"poddisruptionbudget "web": spec.selector.matchLabels["app"]: value "web!" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
    }

    #[test]
    fn rule_eviction_policy() {
        let bad = customized(Budget::min_available(1), |s| {
            s.unhealthy_pod_eviction_policy = Some("Never".into())
        });
        assert_eq!(
            one_error(bad),
            r#"poddisruptionbudget "web": spec.unhealthyPodEvictionPolicy: "Never" is not valid (IfHealthyBudget, AlwaysAllow)"#
        );
    }
}
