//! ReplicaSet (chapter 8): keeps a number of identical pods running. Usually managed by a
//! Deployment; useful on its own to learn reconciliation.
//!
//! A full example and the list of setters are on [`ReplicaSet`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels};
use crate::object::{Manifest, Validate};
use crate::pod::PodTemplate;
use crate::pod::check::{PodContext, RestartRule};
use crate::pod::scheduling::match_labels;
use crate::validate::Checker;
use crate::workload::builder_workload;
use crate::workload::{check_controller_pods, check_non_negative};
use k8s_openapi::api::apps::v1 as apps;
use typed_builder::TypedBuilder;

/// A ReplicaSet. `name` and `template` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let rs = ReplicaSet::builder()
///     .name("kuard")
///     .replicas(2)
///     .template(
///         PodTemplate::builder()
///             .selector_label("app", "kuard")
///             .label("version", "2")
///             .container(Container::builder().name("kuard").image("gcr.io/kuar-demo/kuard-amd64:green").build())
///             .build(),
///     )
///     .build();
/// let object = rs.to_object()?;
/// assert_eq!(object.spec.selector.match_labels.unwrap()["app"], "kuard");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ReplicaSet::new`] (the required fields as arguments) or [`ReplicaSet::builder()`](ReplicaSet::builder);
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
/// | `.replicas(i32)` / `.replicas_opt(Option<..>)` | Desired number of pods (Kubernetes' default: 1). |
/// | `.min_ready_seconds(i32)` / `.min_ready_seconds_opt(Option<..>)` | Seconds a new pod must be ready before it counts as available. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct ReplicaSet {
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
    /// Desired number of pods (Kubernetes' default: 1).
    #[builder(default, setter(strip_option(fallback = replicas_opt)))]
    replicas: Option<i32>,
    /// Seconds a new pod must be ready before it counts as available.
    #[builder(default, setter(strip_option(fallback = min_ready_seconds_opt)))]
    min_ready_seconds: Option<i32>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut apps::ReplicaSet) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<apps::ReplicaSet>,
}

impl ReplicaSet {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the pod template; go on with any
    /// other setter, then `.build()`. Same as `ReplicaSet::builder().name(..).template(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        template: PodTemplate,
    ) -> ReplicaSetBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (PodTemplate,),
        (),
        (),
        (Customize<apps::ReplicaSet>,),
    )> {
        Self::builder().name(name).template(template)
    }
}

builder_workload!(ReplicaSet, "ReplicaSet", controller);

impl Manifest for ReplicaSet {
    type Object = apps::ReplicaSet;

    fn to_object(&self) -> Result<apps::ReplicaSet> {
        let (selector, metadata) = self.selector_and_meta();
        let mut rs = apps::ReplicaSet {
            metadata,
            spec: apps::ReplicaSetSpec {
                replicas: self.replicas,
                min_ready_seconds: self.min_ready_seconds,
                selector: match_labels(&selector),
                template: Some(self.template.render(&self.name, None)),
            },
            status: None,
        };
        self.template
            .keep_restricted_promise("ReplicaSet", &self.name, "spec.template.spec")?;
        self.customize.apply(&mut rs);
        rs.to_object()
    }
}

impl Validate for apps::ReplicaSet {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        check_non_negative(
            c,
            "spec",
            &[
                ("replicas", spec.replicas),
                ("minReadySeconds", spec.min_ready_seconds),
            ],
        );
        match &spec.template {
            Some(template) => check_controller_pods(
                c,
                &spec.selector,
                template,
                PodContext::new(RestartRule::AlwaysOnly("ReplicaSet")),
            ),
            None => c.fail("spec.template", "must be set"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Container;
    use crate::workload::Workload;

    fn rs() -> ReplicaSet {
        ReplicaSet::builder()
            .name("kuard")
            .replicas(3)
            .min_ready_seconds(5)
            .template(
                PodTemplate::builder()
                    .container(Container::builder().name("kuard").image("kuard").build())
                    .build(),
            )
            .build()
    }

    #[test]
    fn fields_and_default_selector() {
        let object = rs().to_object().unwrap();
        let spec = object.spec;
        assert_eq!((spec.replicas, spec.min_ready_seconds), (Some(3), Some(5)));
        assert_eq!(
            spec.selector.match_labels.unwrap()["app.kubernetes.io/name"],
            "kuard"
        );
        assert_eq!(
            object.metadata.labels.unwrap()["app.kubernetes.io/name"],
            "kuard"
        );
    }

    #[test]
    fn workload_impl() {
        let rs = rs();
        assert_eq!(
            (rs.kind(), rs.name(), rs.api_version()),
            ("ReplicaSet", "kuard", "apps/v1")
        );
        assert_eq!(rs.selector().to_string(), "app.kubernetes.io/name=kuard");
        assert!(rs.ports().is_empty());
        assert_eq!(rs.to_object().unwrap().selector(), rs.selector());
    }

    #[test]
    fn missing_template() {
        let mut raw = rs().to_object().unwrap();
        raw.spec.template = None;
        assert_eq!(
            raw.to_object().unwrap_err().to_string(),
            r#"replicaset "kuard": spec.template: must be set"#
        );
    }
}
