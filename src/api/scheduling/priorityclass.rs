//! PriorityClass: how important pods that name it are — the scheduler places them first and,
//! unless told not to, evicts lower-priority pods to make room.
//!
//! Pods name a class with [`PodTemplate`](crate::PodTemplate)'s `priority_class`; admission
//! rejects pods whose class does not exist, so a bundle that defines its class applies it
//! before its workloads.
//!
//! A full example and the list of setters are on [`PriorityClass`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::validate::{Checker, one_of};
use k8s_openapi::api::scheduling::v1 as scheduling;
use typed_builder::TypedBuilder;

/// The highest value a class made by users may have; higher ones are the system's
/// (`system-cluster-critical`, `system-node-critical`).
pub const HIGHEST_USER_VALUE: i32 = 1_000_000_000;

/// Whether pods of the class evict lower-priority pods to be scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preemption {
    /// They do (the Kubernetes default).
    PreemptLowerPriority,
    /// They wait for room instead.
    Never,
}

impl Preemption {
    /// Kubernetes' name for the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Preemption::PreemptLowerPriority => "PreemptLowerPriority",
            Preemption::Never => "Never",
        }
    }
}

/// A PriorityClass (cluster-scoped). `name` and `value` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::priorityclass::Preemption;
///
/// let class = PriorityClass::builder()
///     .name("batch-low")
///     .value(-10)
///     .preemption(Preemption::Never)
///     .description("Reports: run when there is room, never evict anything")
///     .build()
///     .to_object()?;
/// assert_eq!(class.value, Some(-10));
/// assert_eq!(class.preemption_policy.as_deref(), Some("Never"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`PriorityClass::new`] (the required fields as arguments) or [`PriorityClass::builder()`](PriorityClass::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`: what pods put in `priorityClassName`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.value(i32)` — **required** | The priority: higher is more important, at most [`HIGHEST_USER_VALUE`]; immutable. |
/// | `.global_default()` / `.global_default_if(bool)` | Makes this the priority of pods that name no class (one class per cluster at most). |
/// | `.preemption(Preemption)` / `.preemption_opt(Option<..>)` | Whether the pods preempt others (Kubernetes' default: `PreemptLowerPriority`). |
/// | `.description(impl Into<String>)` / `.description_opt(Option<..>)` | What the class is for. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct PriorityClass {
    /// `metadata.name`: what pods put in `priorityClassName`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The priority: higher is more important, at most [`HIGHEST_USER_VALUE`]; immutable.
    value: i32,
    /// Makes this the priority of pods that name no class (one class per cluster at most).
    #[builder(setter(strip_bool(fallback = global_default_if)))]
    global_default: bool,
    /// Whether the pods preempt others (Kubernetes' default: `PreemptLowerPriority`).
    #[builder(default, setter(strip_option(fallback = preemption_opt)))]
    preemption: Option<Preemption>,
    /// What the class is for.
    #[builder(default, setter(into, strip_option(fallback = description_opt)))]
    description: Option<String>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut scheduling::PriorityClass) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<scheduling::PriorityClass>,
}

impl PriorityClass {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the priority value; go on with any
    /// other setter, then `.build()`. Same as `PriorityClass::builder().name(..).value(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        value: i32,
    ) -> PriorityClassBuilder<(
        (String,),
        (),
        (),
        (i32,),
        (),
        (),
        (),
        (Customize<scheduling::PriorityClass>,),
    )> {
        Self::builder().name(name).value(value)
    }
}

impl PriorityClass {
    /// The class's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for PriorityClass {
    type Object = scheduling::PriorityClass;

    fn to_object(&self) -> Result<scheduling::PriorityClass> {
        let mut class = scheduling::PriorityClass {
            metadata: object_meta(&self.name, None, &self.labels, &self.annotations),
            value: Some(self.value),
            global_default: self.global_default.then_some(true),
            preemption_policy: self.preemption.map(|p| p.as_str().to_owned()),
            description: self.description.clone(),
        };
        self.customize.apply(&mut class);
        class.to_object()
    }
}

impl Validate for scheduling::PriorityClass {
    fn validate(&self, c: &mut Checker) {
        let name = self.metadata.name.as_deref().unwrap_or_default();
        if name.starts_with("system-") {
            c.fail(
                "metadata.name",
                format!("{name:?}: names starting with \"system-\" are reserved for the system's classes"),
            );
        }
        match self.value {
            None => c.fail("value", "required"),
            Some(v) if v > HIGHEST_USER_VALUE => c.fail(
                "value",
                format!(
                    "{v} is above {HIGHEST_USER_VALUE}, the highest a user-defined class may have"
                ),
            ),
            Some(_) => {}
        }
        if let Some(p) = &self.preemption_policy {
            c.check(
                "preemptionPolicy",
                one_of(p, &["PreemptLowerPriority", "Never"]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field() {
        let class = PriorityClass::builder()
            .name("critical-web")
            .value(HIGHEST_USER_VALUE)
            .global_default()
            .preemption(Preemption::PreemptLowerPriority)
            .description("the shop")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(class.value, Some(HIGHEST_USER_VALUE));
        assert_eq!(class.global_default, Some(true));
        assert_eq!(
            class.preemption_policy.as_deref(),
            Some("PreemptLowerPriority")
        );
        assert_eq!(class.description.as_deref(), Some("the shop"));
        let plain = PriorityClass::builder()
            .name("p")
            .value(0)
            .build()
            .to_object()
            .unwrap();
        assert_eq!(
            (
                plain.global_default,
                plain.preemption_policy,
                plain.description
            ),
            (None, None, None)
        );
    }

    #[test]
    fn rules() {
        let e = PriorityClass::builder()
            .name("system-mine")
            .value(HIGHEST_USER_VALUE + 1)
            .customize(|c: &mut scheduling::PriorityClass| {
                c.preemption_policy = Some("Sometimes".into())
            })
            .build()
            .to_object()
            .unwrap_err();
        assert_eq!(e.violations().len(), 3, "{e}");
        let e = e.to_string();
        for expected in [
            r#"metadata.name: "system-mine": names starting with "system-" are reserved"#,
            "value: 1000000001 is above 1000000000, the highest a user-defined class may have",
            r#"preemptionPolicy: "Sometimes" is not one of PreemptLowerPriority, Never"#,
        ] {
            assert!(e.contains(expected), "{expected}\n{e}");
        }
    }
}
