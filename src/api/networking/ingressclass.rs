//! IngressClass (chapter 8): which controller implements the Ingresses that name the class,
//! optionally with a parameters object of that controller, and whether Ingresses without a
//! class get it.
//!
//! A full example and the list of setters are on [`IngressClass`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::validate::{self, Checker, one_of};
use k8s_openapi::api::networking::v1 as net;
use typed_builder::TypedBuilder;

/// The annotation that makes a class the cluster's default (Ingresses without
/// `ingressClassName` get it).
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// The most characters a controller name may have.
const MAX_CONTROLLER: usize = 250;

/// A controller-specific object holding the class's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameters(net::IngressClassParametersReference);

impl Parameters {
    fn reference(api_group: &str, kind: &str, name: &str) -> net::IngressClassParametersReference {
        net::IngressClassParametersReference {
            api_group: (!api_group.is_empty()).then(|| api_group.to_owned()),
            kind: kind.to_owned(),
            name: name.to_owned(),
            namespace: None,
            scope: None,
        }
    }

    /// A cluster-scoped parameters object (`api_group` empty for the core group).
    pub fn cluster(api_group: &str, kind: &str, name: &str) -> Self {
        Parameters(net::IngressClassParametersReference {
            scope: Some("Cluster".into()),
            ..Parameters::reference(api_group, kind, name)
        })
    }

    /// A parameters object in `namespace`.
    pub fn namespaced(api_group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        Parameters(net::IngressClassParametersReference {
            scope: Some("Namespace".into()),
            namespace: Some(namespace.to_owned()),
            ..Parameters::reference(api_group, kind, name)
        })
    }

    /// The reference as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> net::IngressClassParametersReference {
        self.0.clone()
    }
}

/// An IngressClass (cluster-scoped). `name` and `controller` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::ingressclass::Parameters;
///
/// let class = IngressClass::builder()
///     .name("nginx")
///     .controller("k8s.io/ingress-nginx")
///     .default_class()
///     .build()
///     .to_object()?;
/// assert_eq!(class.spec.unwrap().controller.as_deref(), Some("k8s.io/ingress-nginx"));
///
/// let external = IngressClass::builder()
///     .name("external-lb")
///     .controller("example.com/ingress-controller")
///     .parameters(Parameters::cluster("k8s.example.com", "IngressParameters", "external-lb"))
///     .build();
/// assert!(external.to_object().is_ok());
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`IngressClass::new`] (the required fields as arguments) or [`IngressClass::builder()`](IngressClass::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`: what Ingresses put in `ingressClassName`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.controller(impl Into<String>)` — **required** | The controller, a domain-prefixed path (`k8s.io/ingress-nginx`); immutable once made. |
/// | `.default_class()` / `.default_class_if(bool)` | Makes this the cluster's default class (the [`DEFAULT_CLASS_ANNOTATION`]). |
/// | `.parameters(Parameters)` / `.parameters_opt(Option<..>)` | The controller's parameters object. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct IngressClass {
    /// `metadata.name`: what Ingresses put in `ingressClassName`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The controller, a domain-prefixed path (`k8s.io/ingress-nginx`); immutable once made.
    #[builder(setter(into))]
    controller: String,
    /// Makes this the cluster's default class (the [`DEFAULT_CLASS_ANNOTATION`]).
    #[builder(setter(strip_bool(fallback = default_class_if)))]
    default_class: bool,
    /// The controller's parameters object.
    #[builder(default, setter(strip_option(fallback = parameters_opt)))]
    parameters: Option<Parameters>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut net::IngressClass) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<net::IngressClass>,
}

impl IngressClass {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the controller that implements it;
    /// go on with any other setter, then `.build()`. Same as
    /// `IngressClass::builder().name(..).controller(..)`, but leaving one out is an ordinary
    /// "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        controller: impl Into<String>,
    ) -> IngressClassBuilder<(
        (String,),
        (),
        (),
        (String,),
        (),
        (),
        (Customize<net::IngressClass>,),
    )> {
        Self::builder().name(name).controller(controller)
    }
}

impl IngressClass {
    /// The class's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for IngressClass {
    type Object = net::IngressClass;

    fn to_object(&self) -> Result<net::IngressClass> {
        let mut annotations = self.annotations.clone();
        if self.default_class {
            annotations.insert(DEFAULT_CLASS_ANNOTATION, "true");
        }
        let mut class = net::IngressClass {
            metadata: object_meta(&self.name, None, &self.labels, &annotations),
            spec: Some(net::IngressClassSpec {
                controller: Some(self.controller.clone()),
                parameters: self.parameters.as_ref().map(Parameters::to_k8s),
            }),
        };
        self.customize.apply(&mut class);
        class.to_object()
    }
}

/// A domain-prefixed path: `domain/path`, the domain a DNS subdomain, the path non-empty.
fn domain_prefixed_path(s: &str) -> Option<String> {
    if s.len() > MAX_CONTROLLER {
        return Some(format!(
            "is {} characters long; at most {MAX_CONTROLLER} are allowed",
            s.len()
        ));
    }
    match s.split_once('/') {
        Some((domain, path)) if !path.is_empty() => validate::dns1123_subdomain(domain)
            .map(|m| format!("domain {m}"))
            .or_else(|| {
                path.chars()
                    .any(|c| !(c.is_ascii_graphic()))
                    .then(|| format!("path {path:?} must be printable ASCII without spaces"))
            }),
        _ => Some(format!(
            "{s:?} must be a domain-prefixed path (example.com/ingress-controller)"
        )),
    }
}

impl Validate for net::IngressClass {
    fn validate(&self, c: &mut Checker) {
        let Some(spec) = &self.spec else { return };
        if let Some(controller) = &spec.controller {
            c.check("spec.controller", domain_prefixed_path(controller));
        }
        if let Some(p) = &spec.parameters {
            if p.kind.is_empty() {
                c.fail("spec.parameters.kind", "required");
            }
            if p.name.is_empty() {
                c.fail("spec.parameters.name", "required");
            }
            if let Some(group) = p.api_group.as_deref().filter(|g| !g.is_empty()) {
                c.check(
                    "spec.parameters.apiGroup",
                    validate::dns1123_subdomain(group),
                );
            }
            match (p.scope.as_deref(), p.namespace.as_deref()) {
                (Some("Namespace"), None | Some("")) => c.fail(
                    "spec.parameters.namespace",
                    "required when the scope is Namespace",
                ),
                (Some("Namespace"), Some(ns)) => {
                    c.check("spec.parameters.namespace", validate::dns1123_label(ns))
                }
                (scope, Some(_)) if scope != Some("Namespace") => c.fail(
                    "spec.parameters.namespace",
                    "only allowed when the scope is Namespace",
                ),
                (Some(scope), _) => c.check(
                    "spec.parameters.scope",
                    one_of(scope, &["Cluster", "Namespace"]),
                ),
                _ => {}
            }
        }
        c.default_class_annotation(self.metadata.annotations.as_ref(), DEFAULT_CLASS_ANNOTATION);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(class: IngressClass) -> String {
        class.to_object().unwrap_err().to_string()
    }

    #[test]
    fn every_field() {
        let class = IngressClass::builder()
            .name("nginx")
            .controller("k8s.io/ingress-nginx")
            .default_class()
            .parameters(Parameters::namespaced(
                "",
                "ConfigMap",
                "ingress",
                "nginx-settings",
            ))
            .build()
            .to_object()
            .unwrap();
        assert_eq!(
            class.metadata.annotations.unwrap()[DEFAULT_CLASS_ANNOTATION],
            "true"
        );
        let p = class.spec.unwrap().parameters.unwrap();
        assert_eq!(
            (
                p.api_group,
                p.kind.as_str(),
                p.name.as_str(),
                p.namespace.as_deref(),
                p.scope.as_deref()
            ),
            (
                None,
                "ConfigMap",
                "nginx-settings",
                Some("ingress"),
                Some("Namespace")
            )
        );
    }

    #[test]
    fn rule_controller() {
        for (controller, expected) in [
            (
                "nginx",
                r#"spec.controller: "nginx" must be a domain-prefixed path"#,
            ),
            (
                "k8s.io/",
                r#"spec.controller: "k8s.io/" must be a domain-prefixed path"#,
            ),
            ("K8S.io/nginx", "spec.controller: domain "),
            (
                "k8s.io/in gress",
                r#"spec.controller: path "in gress" must be printable ASCII"#,
            ),
        ] {
            let e = errors(
                IngressClass::builder()
                    .name("c")
                    .controller(controller)
                    .build(),
            );
            assert!(e.contains(expected), "{controller}: {e}");
        }
        let long = format!("example.com/{}", "x".repeat(250));
        let e = errors(IngressClass::builder().name("c").controller(long).build());
        assert!(e.contains("is 262 characters long; at most 250"), "{e}");
    }

    #[test]
    fn rule_parameters_and_annotation() {
        let class = IngressClass::builder()
            .name("c")
            .controller("example.com/lb")
            .customize(|c: &mut net::IngressClass| {
                c.metadata.annotations =
                    Some([(DEFAULT_CLASS_ANNOTATION.to_owned(), "yes".to_owned())].into());
                if let Some(s) = c.spec.as_mut() {
                    s.parameters = Some(net::IngressClassParametersReference {
                        scope: Some("Namespace".into()),
                        ..Default::default()
                    });
                }
            })
            .build();
        let e = errors(class);
        for expected in [
            "spec.parameters.kind: required",
            "spec.parameters.name: required",
            "spec.parameters.namespace: required when the scope is Namespace",
            r#"is-default-class"]: "yes" is neither"#,
        ] {
            assert!(e.contains(expected), "{expected}\n{e}");
        }
        let cluster_with_namespace = IngressClass::builder()
            .name("c")
            .controller("example.com/lb")
            .customize(|c: &mut net::IngressClass| {
                if let Some(p) = c.spec.as_mut().and_then(|s| s.parameters.as_mut()) {
                    p.namespace = Some("x".into());
                }
            })
            .parameters(Parameters::cluster("example.com", "Params", "p"))
            .build();
        assert_eq!(
            errors(cluster_with_namespace),
            r#"ingressclass "c": spec.parameters.namespace: only allowed when the scope is Namespace"#
        );
    }
}
