//! Namespace: a scope for names, quotas and policies, with Pod Security Standards labels.
//!
//! A full example and the list of setters are on [`Namespace`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::validate::Checker;
use k8s_openapi::api::core::v1 as core;
use typed_builder::TypedBuilder;

/// The prefix of the Pod Security admission labels.
pub const POD_SECURITY_PREFIX: &str = "pod-security.kubernetes.io/";

const MODES: [&str; 3] = ["enforce", "warn", "audit"];

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// No restrictions.
    Privileged,
    /// Blocks known privilege escalations.
    Baseline,
    /// Current pod hardening best practice (what kubeprint's pods meet by default).
    Restricted,
}

impl Level {
    /// The label value: `privileged`, `baseline`, `restricted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A Namespace. `name` (a DNS-1123 label) is required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::namespace::Level;
///
/// let ns = Namespace::builder().name("kuard").pod_security(Level::Restricted).build();
/// let labels = ns.to_object()?.metadata.labels.unwrap();
/// assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");
/// assert_eq!(labels["pod-security.kubernetes.io/warn"], "restricted");
/// assert_eq!(labels["pod-security.kubernetes.io/audit"], "restricted");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Namespace::builder()`](Namespace::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. Labels given here win over those [`pod_security`](NamespaceBuilder::pod_security) sets, so `pod_security(Level::Restricted)` plus an explicit `pod-security.kubernetes.io/enforce: baseline` label enforces baseline and warns/audits restricted. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.pod_security(Level)` / `.pod_security_opt(Option<..>)` | Sets the `pod-security.kubernetes.io/enforce`, `warn` and `audit` labels to this level. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Namespace {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`. Labels given here win over those [`pod_security`](NamespaceBuilder::pod_security)
    /// sets, so `pod_security(Level::Restricted)` plus an explicit
    /// `pod-security.kubernetes.io/enforce: baseline` label enforces baseline and warns/audits
    /// restricted.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// Sets the `pod-security.kubernetes.io/enforce`, `warn` and `audit` labels to this level.
    #[builder(default, setter(strip_option(fallback = pod_security_opt)))]
    pod_security: Option<Level>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::Namespace) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::Namespace>,
}

impl Namespace {
    /// The Namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for Namespace {
    type Object = core::Namespace;

    fn to_object(&self) -> Result<core::Namespace> {
        let mut labels = Labels::new();
        if let Some(level) = self.pod_security {
            for mode in MODES {
                labels.insert(format!("{POD_SECURITY_PREFIX}{mode}"), level.as_str());
            }
        }
        labels.merge(&self.labels);
        let mut ns = core::Namespace {
            metadata: object_meta(&self.name, None, &labels, &self.annotations),
            spec: None,
            status: None,
        };
        self.customize.apply(&mut ns);
        ns.to_object()
    }
}

fn valid_version(v: &str) -> bool {
    v == "latest"
        || v.strip_prefix("v1.").is_some_and(|minor| {
            !minor.is_empty() && minor.len() <= 3 && minor.bytes().all(|b| b.is_ascii_digit())
        })
}

impl Validate for core::Namespace {
    fn validate(&self, c: &mut Checker) {
        for (k, v) in self.metadata.labels.iter().flatten() {
            let Some(mode) = k.strip_prefix(POD_SECURITY_PREFIX) else {
                continue;
            };
            let path = format!("metadata.labels[{k:?}]");
            match mode.strip_suffix("-version") {
                Some(m) if MODES.contains(&m) => {
                    if !valid_version(v) {
                        c.fail(
                            path,
                            format!("{v:?} is not a Kubernetes minor version (latest, v1.30, ...)"),
                        );
                    }
                }
                None if MODES.contains(&mode) => {
                    if !matches!(v.as_str(), "privileged" | "baseline" | "restricted") {
                        c.fail(path, format!("{v:?} is not a Pod Security level (privileged, baseline, restricted)"));
                    }
                }
                _ => c.fail(
                    path,
                    "is not a Pod Security label (enforce, warn, audit and their -version)",
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_error(ns: core::Namespace) -> String {
        let e = ns.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn with_label(k: &str, v: &str) -> core::Namespace {
        Namespace::builder()
            .name("ns")
            .build()
            .to_object()
            .map(|mut ns| {
                ns.metadata.labels = Some([(k.to_string(), v.to_string())].into());
                ns
            })
            .unwrap()
    }

    #[test]
    fn plain_namespace() {
        let ns = Namespace::builder()
            .name("kuard")
            .labels([("team", "a")])
            .annotations([("owner", "me")])
            .build()
            .to_object()
            .unwrap();
        assert_eq!(ns.metadata.name.as_deref(), Some("kuard"));
        assert_eq!(ns.metadata.labels.unwrap().len(), 1);
        assert_eq!(ns.metadata.namespace, None);
    }

    #[test]
    fn explicit_labels_win_over_pod_security() {
        let ns = Namespace::builder()
            .name("legacy")
            .pod_security(Level::Restricted)
            .labels([("pod-security.kubernetes.io/enforce", "baseline")])
            .build()
            .to_object()
            .unwrap();
        let labels = ns.metadata.labels.unwrap();
        assert_eq!(labels["pod-security.kubernetes.io/enforce"], "baseline");
        assert_eq!(labels["pod-security.kubernetes.io/warn"], "restricted");
    }

    #[test]
    fn customize_hook() {
        let ns = Namespace::builder()
            .name("x")
            .customize(|n: &mut core::Namespace| {
                n.spec = Some(core::NamespaceSpec {
                    finalizers: Some(vec!["kubernetes".into()]),
                })
            })
            .build()
            .to_object()
            .unwrap();
        assert!(ns.spec.is_some());
    }

    #[test]
    fn rule_name_is_dns_label() {
        let e = Namespace::builder()
            .name("my.ns")
            .build()
            .to_object()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"namespace "my.ns": metadata.name: "my.ns" must consist of lowercase letters, digits and '-'"#
        );
    }

    #[test]
    fn rule_not_namespaced() {
        let ns = Namespace::builder()
            .name("a")
            .customize(|n: &mut core::Namespace| n.metadata.namespace = Some("b".into()))
            .build();
        assert_eq!(
            ns.to_object().unwrap_err().to_string(),
            r#"namespace "b/a": metadata.namespace: must not be set: Namespaces are not namespaced"#
        );
    }

    #[test]
    fn rule_pod_security_level() {
        assert_eq!(
            one_error(with_label("pod-security.kubernetes.io/enforce", "strict")),
            r#"namespace "ns": metadata.labels["pod-security.kubernetes.io/enforce"]: "strict" is not a Pod Security level (privileged, baseline, restricted)"#
        );
    }

    #[test]
    fn rule_pod_security_version() {
        assert!(
            with_label("pod-security.kubernetes.io/enforce-version", "v1.34")
                .to_object()
                .is_ok()
        );
        assert!(
            with_label("pod-security.kubernetes.io/warn-version", "latest")
                .to_object()
                .is_ok()
        );
        assert_eq!(
            one_error(with_label(
                "pod-security.kubernetes.io/audit-version",
                "1.34"
            )),
            r#"namespace "ns": metadata.labels["pod-security.kubernetes.io/audit-version"]: "1.34" is not a Kubernetes minor version (latest, v1.30, ...)"#
        );
    }

    #[test]
    fn rule_pod_security_label_name() {
        assert_eq!(
            one_error(with_label(
                "pod-security.kubernetes.io/enforcing",
                "restricted"
            )),
            r#"namespace "ns": metadata.labels["pod-security.kubernetes.io/enforcing"]: is not a Pod Security label (enforce, warn, audit and their -version)"#
        );
    }
}
