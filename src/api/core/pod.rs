//! A bare Pod (chapter 5). Prefer a controller (Deployment, Job ...) for anything that should
//! survive a node failure.
//!
//! A full example and the list of setters are on [`Pod`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::pod::check::{self, PodContext, RestartRule};
use crate::pod::{PodTemplate, RestartPolicy};
use crate::validate::Checker;
use crate::workload::builder_workload;
use k8s_openapi::api::core::v1 as core;
use typed_builder::TypedBuilder;

/// A Pod made from a [`PodTemplate`]. `name` and `template` are required.
///
/// The pod's labels are the template's labels (selector labels included) plus `labels`; its
/// annotations the template's plus `annotations`.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let pod = Pod::builder()
///     .name("kuard")
///     .restart_policy(RestartPolicy::Never)
///     .template(
///         PodTemplate::builder()
///             .container(Container::builder().name("kuard").image("gcr.io/kuar-demo/kuard-amd64:blue").build())
///             .build(),
///     )
///     .build();
/// let object = pod.to_object()?;
/// assert_eq!(object.metadata.labels.unwrap()["app.kubernetes.io/name"], "kuard");
/// assert_eq!(object.spec.unwrap().restart_policy.as_deref(), Some("Never"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Pod::new`] (the required fields as arguments) or [`Pod::builder()`](Pod::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | Extra `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | Extra `metadata.annotations`. |
/// | `.template(PodTemplate)` — **required** | The pod: containers, volumes, scheduling, security. |
/// | `.restart_policy(RestartPolicy)` / `.restart_policy_opt(Option<..>)` | Overrides the template's restart policy (Kubernetes' default: `Always`). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Pod {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`; usually left to the bundle or the apply target.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// Extra `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// Extra `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The pod: containers, volumes, scheduling, security.
    template: PodTemplate,
    /// Overrides the template's restart policy (Kubernetes' default: `Always`).
    #[builder(default, setter(strip_option(fallback = restart_policy_opt)))]
    restart_policy: Option<RestartPolicy>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::Pod) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::Pod>,
}

impl Pod {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the pod template; go on with any
    /// other setter, then `.build()`. Same as `Pod::builder().name(..).template(..)`, but leaving
    /// one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        template: PodTemplate,
    ) -> PodBuilder<(
        (String,),
        (),
        (),
        (),
        (PodTemplate,),
        (),
        (Customize<core::Pod>,),
    )> {
        Self::builder().name(name).template(template)
    }
}

builder_workload!(Pod, "Pod");

impl Manifest for Pod {
    type Object = core::Pod;

    fn to_object(&self) -> Result<core::Pod> {
        let template = self.template.render(&self.name, self.restart_policy);
        let meta = template.metadata.unwrap_or_default();
        let mut labels = Labels::from(meta.labels.unwrap_or_default());
        labels.merge(&self.labels);
        let mut annotations = Annotations::from(meta.annotations.unwrap_or_default());
        annotations.merge(&self.annotations);
        let mut pod = core::Pod {
            metadata: object_meta(&self.name, self.namespace.as_ref(), &labels, &annotations),
            spec: template.spec,
            status: None,
        };
        self.template
            .keep_restricted_promise("Pod", &self.name, "spec")?;
        self.customize.apply(&mut pod);
        pod.to_object()
    }
}

impl Validate for core::Pod {
    fn validate(&self, c: &mut Checker) {
        match &self.spec {
            Some(spec) => check::pod_spec(c, "spec", spec, PodContext::new(RestartRule::Any)),
            None => c.fail("spec", "must be set"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{Container, Port};
    use crate::workload::Workload;

    fn template() -> PodTemplate {
        PodTemplate::builder()
            .selector_label("app", "kuard")
            .label("track", "stable")
            .annotation("note", "from template")
            .container(
                Container::builder()
                    .name("kuard")
                    .image("kuard")
                    .port(Port::tcp("http", 8080))
                    .build(),
            )
            .build()
    }

    #[test]
    fn labels_and_annotations_merge() {
        let pod = Pod::builder()
            .name("kuard")
            .namespace("demo")
            .labels(Labels::from([("track", "canary")]))
            .annotations(Annotations::from([("owner", "me")]))
            .template(template())
            .build()
            .to_object()
            .unwrap();
        let labels = pod.metadata.labels.unwrap();
        assert_eq!(
            (labels["app"].as_str(), labels["track"].as_str()),
            ("kuard", "canary")
        );
        let annotations = pod.metadata.annotations.unwrap();
        assert_eq!(
            (annotations["note"].as_str(), annotations["owner"].as_str()),
            ("from template", "me")
        );
        assert_eq!(pod.metadata.namespace.as_deref(), Some("demo"));
        assert_eq!(pod.spec.unwrap().restart_policy, None);
    }

    #[test]
    fn workload_impl() {
        let pod = Pod::builder().name("kuard").template(template()).build();
        assert_eq!(
            (pod.kind(), pod.name(), pod.api_version()),
            ("Pod", "kuard", "v1")
        );
        assert_eq!(pod.selector(), Labels::from([("app", "kuard")]));
        assert_eq!(pod.ports()[0].container_port, 8080);
        let object = pod.to_object().unwrap();
        assert_eq!(
            object.selector(),
            Labels::from([("app", "kuard"), ("track", "stable")])
        );
    }

    #[test]
    fn customize_is_validated() {
        let pod = Pod::builder()
            .name("kuard")
            .template(template())
            .customize(|p| p.spec.as_mut().unwrap().containers[0].name = "Kuard".into())
            .build();
        assert_eq!(
            pod.to_object().unwrap_err().to_string(),
            r#"pod "kuard": spec.containers[0].name: "Kuard" must consist of lowercase letters, digits and '-'"#
        );
    }

    #[test]
    fn raw_pod_without_spec() {
        let raw = core::Pod {
            metadata: object_meta("x", None, &Labels::new(), &Labels::new()),
            ..Default::default()
        };
        assert_eq!(
            raw.to_object().unwrap_err().to_string(),
            r#"pod "x": spec: must be set"#
        );
    }
}
