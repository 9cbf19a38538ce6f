//! ServiceAccount: the identity pods run as.
//!
//! Secure by default: `automountServiceAccountToken: false` unless
//! [`automount_token(true)`](ServiceAccountBuilder::automount_token) is set, so only pods that
//! talk to the API server get a token.
//!
//! A full example and the list of setters are on [`ServiceAccount`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::validate::{self, Checker};
use k8s_openapi::api::core::v1 as core;
use typed_builder::TypedBuilder;

/// A ServiceAccount. `name` is required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let sa = ServiceAccount::builder().name("kuard").image_pull_secret("regcred").build();
/// let object = sa.to_object()?;
/// assert_eq!(object.automount_service_account_token, Some(false));
/// assert_eq!(object.image_pull_secrets.unwrap()[0].name, "regcred");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ServiceAccount::builder()`](ServiceAccount::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations` (e.g. cloud workload identity bindings). |
/// | `.automount_token(bool)` | Whether pods using this account get an API token mounted by default (default `false`). |
/// | `.image_pull_secret(name)` (repeatable) | Secrets used to pull images for pods running as this account. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct ServiceAccount {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations` (e.g. cloud workload identity bindings).
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// Whether pods using this account get an API token mounted by default (default `false`).
    #[builder(default = false)]
    automount_token: bool,
    /// Secrets used to pull images for pods running as this account.
    #[builder(
        via_mutators,
        mutators(
            /// Adds an image pull secret (a `kubernetes.io/dockerconfigjson` Secret's name).
            pub fn image_pull_secret(&mut self, name: impl Into<String>) {
                self.image_pull_secrets.push(name.into());
            }
        )
    )]
    image_pull_secrets: Vec<String>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::ServiceAccount) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::ServiceAccount>,
}

impl ServiceAccount {
    /// The ServiceAccount's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for ServiceAccount {
    type Object = core::ServiceAccount;

    fn to_object(&self) -> Result<core::ServiceAccount> {
        let mut sa = core::ServiceAccount {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            automount_service_account_token: Some(self.automount_token),
            image_pull_secrets: (!self.image_pull_secrets.is_empty()).then(|| {
                self.image_pull_secrets
                    .iter()
                    .map(|n| core::LocalObjectReference { name: n.clone() })
                    .collect()
            }),
            secrets: None,
        };
        self.customize.apply(&mut sa);
        sa.to_object()
    }
}

impl Validate for core::ServiceAccount {
    fn validate(&self, c: &mut Checker) {
        for (i, s) in self.image_pull_secrets.iter().flatten().enumerate() {
            c.check(
                format_args!("imagePullSecrets[{i}].name"),
                validate::dns1123_subdomain(&s.name),
            );
        }
        for (i, s) in self.secrets.iter().flatten().enumerate() {
            if let Some(name) = &s.name {
                c.check(
                    format_args!("secrets[{i}].name"),
                    validate::dns1123_subdomain(name),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automount_opt_in() {
        let sa = ServiceAccount::builder()
            .name("api-client")
            .automount_token(true)
            .namespace("ops")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(sa.automount_service_account_token, Some(true));
        assert_eq!(sa.metadata.namespace.as_deref(), Some("ops"));
        assert_eq!(sa.image_pull_secrets, None);
    }

    #[test]
    fn several_pull_secrets_and_customize() {
        let sa = ServiceAccount::builder()
            .name("kuard")
            .image_pull_secret("a")
            .image_pull_secret("b")
            .customize(|s: &mut core::ServiceAccount| {
                s.metadata.finalizers = Some(vec!["x/y".into()])
            })
            .build()
            .to_object()
            .unwrap();
        let names: Vec<_> = sa
            .image_pull_secrets
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(sa.metadata.finalizers.is_some());
    }

    #[test]
    fn rule_pull_secret_name() {
        let e = ServiceAccount::builder()
            .name("kuard")
            .image_pull_secret("Reg_Cred")
            .build()
            .to_object()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"serviceaccount "kuard": imagePullSecrets[0].name: "Reg_Cred" must consist of lowercase letters, digits, '-' and '.'"#
        );
        let e = ServiceAccount::builder()
            .name("kuard")
            .image_pull_secret("")
            .build()
            .to_object()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"serviceaccount "kuard": imagePullSecrets[0].name: must not be empty"#
        );
    }

    #[test]
    fn rule_name() {
        let e = ServiceAccount::builder()
            .name("Kuard")
            .build()
            .to_object()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"serviceaccount "Kuard": metadata.name: "Kuard" must consist of lowercase letters, digits, '-' and '.'"#
        );
    }
}
