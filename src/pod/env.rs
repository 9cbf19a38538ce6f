//! Environment variables: literal values, ConfigMap and Secret keys, the downward API
//! (chapter 11).
//!
//! Container `command` and `args` may use `$(NAME)`: Kubernetes substitutes the variable's
//! value before starting the container, no shell involved (`$$(NAME)` keeps it literal).
//!
//! ```
//! use kubeprint::prelude::*;
//! let c = Container::builder()
//!     .name("test-container")
//!     .image("gcr.io/kuar-demo/kuard-amd64:blue")
//!     .env(EnvVar::from_config_map("ANOTHER_PARAM", "my-config", "another-param"))
//!     .env(EnvVar::from_secret("DB_PASSWORD", "db-creds", "password"))
//!     .env(EnvVar::field("MY_POD_IP", "status.podIP"))
//!     .env(EnvVar::resource("MEM_LIMIT", "test-container", "limits.memory"))
//!     .env_from(EnvFrom::config_map("app-settings").prefix("CFG_"))
//!     .command(["/kuard"])
//!     .args(["$(ANOTHER_PARAM)"])
//!     .build();
//! # let _ = c;
//! ```

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// One environment variable of a container.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvVar(core::EnvVar);

impl EnvVar {
    fn from_source(name: impl Into<String>, source: core::EnvVarSource) -> Self {
        EnvVar(core::EnvVar {
            name: name.into(),
            value: None,
            value_from: Some(source),
        })
    }

    /// A literal value.
    ///
    /// ```
    /// use kubeprint::pod::EnvVar;
    /// assert_eq!(EnvVar::value("LEVEL", "debug").to_k8s().value.as_deref(), Some("debug"));
    /// ```
    pub fn value(name: impl Into<String>, value: impl Into<String>) -> Self {
        EnvVar(core::EnvVar {
            name: name.into(),
            value: Some(value.into()),
            value_from: None,
        })
    }

    /// The value of `key` in ConfigMap `config_map`.
    pub fn from_config_map(
        name: impl Into<String>,
        config_map: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        EnvVar::from_source(
            name,
            core::EnvVarSource {
                config_map_key_ref: Some(core::ConfigMapKeySelector {
                    name: config_map.into(),
                    key: key.into(),
                    optional: None,
                }),
                ..core::EnvVarSource::default()
            },
        )
    }

    /// The value of `key` in Secret `secret`.
    ///
    /// ```
    /// use kubeprint::pod::EnvVar;
    /// let v = EnvVar::from_secret("TOKEN", "api", "token").optional().to_k8s();
    /// let r = v.value_from.unwrap().secret_key_ref.unwrap();
    /// assert_eq!((r.name.as_str(), r.key.as_str(), r.optional), ("api", "token", Some(true)));
    /// ```
    pub fn from_secret(
        name: impl Into<String>,
        secret: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        EnvVar::from_source(
            name,
            core::EnvVarSource {
                secret_key_ref: Some(core::SecretKeySelector {
                    name: secret.into(),
                    key: key.into(),
                    optional: None,
                }),
                ..core::EnvVarSource::default()
            },
        )
    }

    /// A field of the pod (downward API): `metadata.name`, `metadata.namespace`,
    /// `metadata.uid`, `metadata.labels['key']`, `metadata.annotations['key']`,
    /// `spec.nodeName`, `spec.serviceAccountName`, `status.hostIP`, `status.hostIPs`,
    /// `status.podIP`, `status.podIPs`.
    pub fn field(name: impl Into<String>, field_path: impl Into<String>) -> Self {
        EnvVar::from_source(
            name,
            core::EnvVarSource {
                field_ref: Some(core::ObjectFieldSelector {
                    field_path: field_path.into(),
                    api_version: None,
                }),
                ..core::EnvVarSource::default()
            },
        )
    }

    /// A resource request or limit of a container of the pod (downward API): `limits.cpu`,
    /// `limits.memory`, `limits.ephemeral-storage`, `requests.cpu`, `requests.memory`,
    /// `requests.ephemeral-storage`.
    ///
    /// ```
    /// use kubeprint::pod::EnvVar;
    /// let v = EnvVar::resource("MEM_MB", "app", "limits.memory").divisor("1Mi").to_k8s();
    /// let r = v.value_from.unwrap().resource_field_ref.unwrap();
    /// assert_eq!(r.divisor.unwrap().0, "1Mi");
    /// ```
    pub fn resource(
        name: impl Into<String>,
        container: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        EnvVar::from_source(
            name,
            core::EnvVarSource {
                resource_field_ref: Some(core::ResourceFieldSelector {
                    container_name: Some(container.into()),
                    resource: resource.into(),
                    divisor: None,
                }),
                ..core::EnvVarSource::default()
            },
        )
    }

    /// Lets the container start when the ConfigMap, Secret or key is missing (the variable is
    /// then unset). Only affects [`EnvVar::from_config_map`] and [`EnvVar::from_secret`].
    #[must_use]
    pub fn optional(mut self) -> Self {
        if let Some(source) = &mut self.0.value_from {
            if let Some(r) = &mut source.config_map_key_ref {
                r.optional = Some(true);
            }
            if let Some(r) = &mut source.secret_key_ref {
                r.optional = Some(true);
            }
        }
        self
    }

    /// Unit for an [`EnvVar::resource`] value (e.g. `1Mi`, `1m`); the value is divided by it.
    #[must_use]
    pub fn divisor(mut self, divisor: impl Into<String>) -> Self {
        if let Some(r) = self
            .0
            .value_from
            .as_mut()
            .and_then(|s| s.resource_field_ref.as_mut())
        {
            r.divisor = Some(Quantity(divisor.into()));
        }
        self
    }

    /// The variable's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The variable as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::EnvVar {
        self.0.clone()
    }
}

impl From<core::EnvVar> for EnvVar {
    /// Wraps a raw variable (validated with the pod like any other).
    fn from(v: core::EnvVar) -> Self {
        EnvVar(v)
    }
}

/// Every key of a ConfigMap or Secret as environment variables (`envFrom`).
///
/// ```
/// use kubeprint::pod::EnvFrom;
/// let e = EnvFrom::secret("db-creds").prefix("DB_").optional().to_k8s();
/// assert_eq!(e.prefix.as_deref(), Some("DB_"));
/// assert_eq!(e.secret_ref.unwrap().optional, Some(true));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EnvFrom(core::EnvFromSource);

impl EnvFrom {
    /// Every key of ConfigMap `name`.
    pub fn config_map(name: impl Into<String>) -> Self {
        EnvFrom(core::EnvFromSource {
            config_map_ref: Some(core::ConfigMapEnvSource {
                name: name.into(),
                optional: None,
            }),
            ..core::EnvFromSource::default()
        })
    }

    /// Every key of Secret `name`.
    pub fn secret(name: impl Into<String>) -> Self {
        EnvFrom(core::EnvFromSource {
            secret_ref: Some(core::SecretEnvSource {
                name: name.into(),
                optional: None,
            }),
            ..core::EnvFromSource::default()
        })
    }

    /// Prepends `prefix` to every variable name.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.0.prefix = Some(prefix.into());
        self
    }

    /// Lets the container start when the ConfigMap or Secret is missing.
    #[must_use]
    pub fn optional(mut self) -> Self {
        if let Some(r) = &mut self.0.config_map_ref {
            r.optional = Some(true);
        }
        if let Some(r) = &mut self.0.secret_ref {
            r.optional = Some(true);
        }
        self
    }

    /// The source as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::EnvFromSource {
        self.0.clone()
    }
}

impl From<core::EnvFromSource> for EnvFrom {
    fn from(e: core::EnvFromSource) -> Self {
        EnvFrom(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal() {
        let v = EnvVar::value("A", "1");
        assert_eq!(v.name(), "A");
        assert_eq!(
            v.to_k8s(),
            core::EnvVar {
                name: "A".into(),
                value: Some("1".into()),
                value_from: None
            }
        );
        // `optional` and `divisor` do nothing to literal values.
        assert_eq!(v.clone().optional().divisor("1Mi"), v);
    }

    #[test]
    fn config_map_key() {
        let v = EnvVar::from_config_map("P", "cfg", "param").to_k8s();
        let r = v
            .value_from
            .as_ref()
            .unwrap()
            .config_map_key_ref
            .as_ref()
            .unwrap();
        assert_eq!(
            (r.name.as_str(), r.key.as_str(), r.optional),
            ("cfg", "param", None)
        );
        let v = EnvVar::from_config_map("P", "cfg", "param")
            .optional()
            .to_k8s();
        assert_eq!(
            v.value_from.unwrap().config_map_key_ref.unwrap().optional,
            Some(true)
        );
    }

    #[test]
    fn secret_key() {
        let v = EnvVar::from_secret("P", "s", "k").to_k8s();
        let src = v.value_from.unwrap();
        assert!(src.config_map_key_ref.is_none());
        assert_eq!(src.secret_key_ref.unwrap().optional, None);
    }

    #[test]
    fn downward_api() {
        let v = EnvVar::field("IP", "status.podIP").to_k8s();
        assert_eq!(
            v.value_from.unwrap().field_ref.unwrap().field_path,
            "status.podIP"
        );
        let v = EnvVar::resource("CPU", "app", "requests.cpu")
            .divisor("1m")
            .to_k8s();
        let r = v.value_from.unwrap().resource_field_ref.unwrap();
        assert_eq!(r.container_name.as_deref(), Some("app"));
        assert_eq!(r.resource, "requests.cpu");
        assert_eq!(r.divisor, Some(Quantity("1m".into())));
    }

    #[test]
    fn env_from() {
        let e = EnvFrom::config_map("cfg")
            .prefix("CFG_")
            .optional()
            .to_k8s();
        let r = e.config_map_ref.unwrap();
        assert_eq!((r.name.as_str(), r.optional), ("cfg", Some(true)));
        assert_eq!(e.prefix.as_deref(), Some("CFG_"));
        assert!(e.secret_ref.is_none());
        let e = EnvFrom::secret("s").to_k8s();
        assert_eq!(e.secret_ref.unwrap().optional, None);
        assert_eq!(e.prefix, None);
    }
}
