//! Custom objects: objects of kinds kubeprint has no type for (custom resources of a CRD, or
//! any kind an imported manifest names), held as their `apiVersion`, `kind`, plural, scope,
//! typed metadata and the rest of the body as JSON.
//!
//! A [`CustomObject`] needs no `kube` dependency, so render-only builds can hold them too. It is
//! made from:
//! - any `k8s_openapi::Resource` type ([`CustomObject::from_resource`]);
//! - with feature `client`, any `kube::Resource<DynamicType = ()>` type: `#[derive(CustomResource)]`
//!   and kopium-generated types ([`CustomObject::from_kube`]), and a `kube::api::DynamicObject`
//!   with its `ApiResource` ([`CustomObject::from_dynamic`]);
//! - JSON ([`CustomObject::from_json_value`]), which is what imported manifests of unknown kinds
//!   become.
//!
//! A bundle corrects the plural and scope of its custom objects from the
//! `CustomResourceDefinition` of their group and kind when it holds one.
//!
//! ```
//! use kubeprint::object::CustomObject;
//! use kubeprint::prelude::*;
//! let cert = CustomObject::new("cert-manager.io/v1", "Certificate", "certificates", true)
//!     .with_name("web")
//!     .with_field("spec", serde_json::json!({"secretName": "web-tls", "dnsNames": ["web.example"]}));
//! let mut app = Bundle::new("web");
//! app.add(cert)?;
//! assert_eq!(app.objects()[0].kind(), "Certificate");
//! assert_eq!(app.objects()[0].group(), "cert-manager.io");
//! assert!(app.to_yaml()?.contains("secretName: web-tls"));
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::error::{ObjectRef, Result};
use crate::validate::{self, Checker};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// Annotation choosing how the apply client judges an object ready. `"skip"`: ready once
/// applied (no wait), for a custom object whose controller is not there yet or never reports
/// status. Any kind may carry it.
pub const READINESS_ANNOTATION: &str = "kubeprint.dev/readiness";

/// What a custom kind's own readiness rule says of a live object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomReadiness {
    /// Ready.
    Ready,
    /// Not yet; the message says what it waits for.
    Progressing(String),
    /// Will not become ready without a change; the message says why.
    Failed(String),
}

/// A readiness rule: the live object (as JSON, with `status`) to its readiness.
pub type ReadinessRule = fn(&Value) -> CustomReadiness;

/// A type that defines its own readiness (instead of the kstatus rules the apply client uses
/// for custom kinds by default).
///
/// ```
/// use kubeprint::object::{CustomObject, CustomReadiness, DefinesReadiness};
/// struct Backup;
/// impl DefinesReadiness for Backup {
///     fn readiness(live: &serde_json::Value) -> CustomReadiness {
///         match live.pointer("/status/phase").and_then(|p| p.as_str()) {
///             Some("Done") => CustomReadiness::Ready,
///             Some("Error") => CustomReadiness::Failed("backup failed".into()),
///             _ => CustomReadiness::Progressing("backing up".into()),
///         }
///     }
/// }
/// let o = CustomObject::new("example.com/v1", "Backup", "backups", true)
///     .with_name("nightly")
///     .with_readiness_of::<Backup>();
/// assert!(o.readiness_rule().is_some());
/// ```
pub trait DefinesReadiness {
    /// The readiness of `live`.
    fn readiness(live: &Value) -> CustomReadiness;
}

/// An object of a kind kubeprint has no type for. See the [module documentation](self).
#[derive(Clone)]
pub struct CustomObject {
    api_version: String,
    kind: String,
    plural: String,
    namespaced: bool,
    /// The object's metadata, typed (and decoded strictly on import).
    pub metadata: ObjectMeta,
    /// Every top-level field but `apiVersion`, `kind` and `metadata` (`spec`, `status`, `data`…).
    pub fields: Map<String, Value>,
    readiness: Option<ReadinessRule>,
    /// The plural and scope are guesses (read from JSON; no type or CRD said).
    guessed: bool,
    /// Field paths of values to hide like a Secret's ([`super::secret_fields`]).
    secret_fields: Vec<String>,
}

impl PartialEq for CustomObject {
    fn eq(&self, other: &Self) -> bool {
        // The readiness rule is how the client waits, the secret fields how it is shown: not
        // part of the object.
        self.api_version == other.api_version
            && self.kind == other.kind
            && self.plural == other.plural
            && self.namespaced == other.namespaced
            && self.metadata == other.metadata
            && self.fields == other.fields
    }
}

impl fmt::Debug for CustomObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomObject")
            .field("api_version", &self.api_version)
            .field("kind", &self.kind)
            .field("plural", &self.plural)
            .field("namespaced", &self.namespaced)
            .field("metadata", &self.metadata)
            .field("fields", &self.masked_fields())
            .field("secret_fields", &self.secret_fields)
            .finish()
    }
}

/// The plural Kubernetes would most likely give `kind` when nothing says (lowercase, `s`, `es`
/// after s/x/ch/sh, `ies` after a consonant and `y`) — what `kubectl` guesses too. A CRD in the
/// bundle, or the type, says better.
pub fn guess_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

impl CustomObject {
    /// An empty object of `kind` in `api_version` (`group/version`), reached at `plural`,
    /// namespaced or not.
    pub fn new(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        plural: impl Into<String>,
        namespaced: bool,
    ) -> Self {
        CustomObject {
            api_version: api_version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            metadata: ObjectMeta::default(),
            fields: Map::new(),
            readiness: None,
            guessed: false,
            secret_fields: Vec::new(),
        }
    }

    /// Sets `metadata.name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.metadata.name = Some(name.into());
        self
    }

    /// Sets `metadata.namespace`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.metadata.namespace = Some(namespace.into());
        self
    }

    /// Sets a top-level field (`spec`, `data`, …).
    pub fn with_field(mut self, field: impl Into<String>, value: Value) -> Self {
        self.fields.insert(field.into(), value);
        self
    }

    /// Judges the object ready with `T`'s rule instead of the kstatus rules.
    pub fn with_readiness_of<T: DefinesReadiness>(mut self) -> Self {
        self.readiness = Some(T::readiness);
        self
    }

    /// Judges the object ready with `rule` instead of the kstatus rules.
    pub fn with_readiness(mut self, rule: ReadinessRule) -> Self {
        self.readiness = Some(rule);
        self
    }

    /// Hides the value at field path `path` (`spec.auth.password`; `*` for every key or item:
    /// `spec.users.*.password`) wherever a Secret's values are hidden: `render --redact`,
    /// [`testing::redacted_yaml`](crate::testing::redacted_yaml) snapshots, diffs, `Debug`,
    /// validation and apply error messages. The object itself is applied unchanged. The path
    /// syntax is in [`secret_fields`](super::secret_fields); a path that does not parse is an
    /// error of the object's check.
    ///
    /// ```
    /// use kubeprint::object::CustomObject;
    /// use kubeprint::prelude::*;
    /// let db = CustomObject::new("example.com/v1", "Database", "databases", true)
    ///     .with_name("orders")
    ///     .with_field("spec", serde_json::json!({"user": "app", "password": "s3cr3t-pw"}))
    ///     .with_secret_field("spec.password");
    /// assert!(!format!("{db:?}").contains("s3cr3t-pw"));
    /// let mut app = Bundle::new("shop");
    /// app.add(db)?;
    /// let shown = kubeprint::testing::redacted_yaml(&app)?;
    /// assert!(shown.contains("password: <redacted>") && shown.contains("user: app"));
    /// assert!(app.to_yaml()?.contains("password: s3cr3t-pw")); // what is applied
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn with_secret_field(mut self, path: impl Into<String>) -> Self {
        self.add_secret_field(path.into());
        self
    }

    /// The field paths hidden as secret ([`CustomObject::with_secret_field`]).
    pub fn secret_fields(&self) -> &[String] {
        &self.secret_fields
    }

    pub(crate) fn add_secret_field(&mut self, path: String) {
        if !self.secret_fields.contains(&path) {
            self.secret_fields.push(path);
        }
    }

    /// The parsed secret field paths (those that parse).
    pub(crate) fn secret_patterns(&self) -> Vec<super::secret_fields::FieldPattern> {
        super::secret_fields::patterns(&self.secret_fields)
    }

    /// The fields with the secret ones masked.
    fn masked_fields(&self) -> Map<String, Value> {
        let patterns = self.secret_patterns();
        if patterns.is_empty() {
            return self.fields.clone();
        }
        let mut fields = Value::Object(self.fields.clone());
        super::secret_fields::mask(&mut fields, &patterns, None);
        match fields {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The object with its secret fields masked, for showing it (`Debug`, redacted
    /// renderings).
    pub(crate) fn redacted(&self) -> CustomObject {
        CustomObject {
            fields: self.masked_fields(),
            ..self.clone()
        }
    }

    /// The object's own readiness rule, if it has one.
    pub fn readiness_rule(&self) -> Option<ReadinessRule> {
        self.readiness
    }

    /// The `apiVersion`, e.g. `cert-manager.io/v1`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The group: `apiVersion` before the `/` (empty for a core `v1`).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// The version: `apiVersion` after the `/`.
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, v)| v)
    }

    /// The kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The plural resource name the apiserver serves the kind at.
    pub fn plural(&self) -> &str {
        &self.plural
    }

    /// Whether objects of the kind live in a namespace.
    pub fn is_namespaced(&self) -> bool {
        self.namespaced
    }

    /// Sets where the kind is served (what a CRD says).
    pub(crate) fn set_resource(&mut self, plural: &str, namespaced: bool) {
        plural.clone_into(&mut self.plural);
        self.namespaced = namespaced;
        self.guessed = false;
    }

    /// Whether the plural and scope are guesses: the object was read from JSON (an imported
    /// manifest) and no CRD of the bundle says otherwise. The apply client then asks the
    /// apiserver's discovery where the kind is served; offline plans keep the guess.
    pub fn is_guessed(&self) -> bool {
        self.guessed
    }

    /// The object as a JSON object: `apiVersion`, `kind`, `metadata` and the other fields.
    pub fn to_json_value(&self) -> std::result::Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    /// Reads an object of any kind from JSON: `apiVersion` and `kind` must be set; `metadata` is
    /// decoded strictly (an unknown field of it is an error naming it), the rest is kept as it
    /// is. The plural is guessed ([`guess_plural`]) and the kind taken as namespaced, until a
    /// bundle holding the kind's CRD corrects both.
    pub fn from_json_value(value: Value) -> Result<CustomObject> {
        let Value::Object(mut map) = value else {
            return Err(crate::Error::Decode {
                what: "object".into(),
                message: "is not a JSON object".into(),
            });
        };
        let mut take = |k: &str| match map.remove(k) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let kind = take("kind").unwrap_or_default();
        let api_version = take("apiVersion").unwrap_or_default();
        let meta = map
            .remove("metadata")
            .unwrap_or_else(|| Value::Object(Map::new()));
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let who = ObjectRef::new(if kind.is_empty() { "object" } else { &kind }, name.clone());
        if kind.is_empty() || api_version.is_empty() {
            return Err(crate::Error::Decode {
                what: who.to_string(),
                message: "needs both apiVersion and kind".into(),
            });
        }
        let metadata: ObjectMeta =
            serde_json::from_value(meta.clone()).map_err(|e| crate::Error::Decode {
                what: who.to_string(),
                message: format!("metadata: {e}"),
            })?;
        let back = serde_json::to_value(&metadata).map_err(|e| crate::Error::Decode {
            what: who.to_string(),
            message: e.to_string(),
        })?;
        let mut unknown = Vec::new();
        super::unknown_fields(&meta, &back, "metadata".into(), &mut unknown);
        if !unknown.is_empty() {
            return Err(crate::Error::Invalid(
                unknown
                    .into_iter()
                    .map(|p| crate::Violation::new(who.clone(), p, "unknown field"))
                    .collect(),
            ));
        }
        let plural = guess_plural(&kind);
        Ok(CustomObject {
            api_version,
            kind,
            plural,
            namespaced: true,
            metadata,
            fields: map,
            readiness: None,
            guessed: true,
            secret_fields: Vec::new(),
        })
    }

    /// An object of a `k8s_openapi::Resource` type (a type generated for a kind k8s-openapi
    /// does not have, or a built-in type kubeprint does not support).
    pub fn from_resource<T>(object: &T) -> Result<CustomObject>
    where
        T: k8s_openapi::Resource + Serialize,
        T::Scope: 'static,
    {
        let value = serde_json::to_value(object).map_err(|e| crate::Error::Render {
            object: ObjectRef::new(T::KIND, ""),
            message: e.to_string(),
        })?;
        let mut o = CustomObject::from_json_value(with_type(value, T::API_VERSION, T::KIND))?;
        let namespaced = std::any::TypeId::of::<T::Scope>()
            != std::any::TypeId::of::<k8s_openapi::ClusterResourceScope>();
        o.set_resource(T::URL_PATH_SEGMENT, namespaced);
        Ok(o)
    }

    /// An object of a kube-rs resource type: `#[derive(kube::CustomResource)]` or kopium types.
    /// The plural comes from the type; the scope from the type's `Scope`.
    #[cfg(feature = "client")]
    pub fn from_kube<T>(object: &T) -> Result<CustomObject>
    where
        T: kube::Resource<DynamicType = ()> + Serialize,
        T::Scope: 'static,
    {
        let kind = T::kind(&()).into_owned();
        let value = serde_json::to_value(object).map_err(|e| crate::Error::Render {
            object: ObjectRef::new(kind.clone(), ""),
            message: e.to_string(),
        })?;
        let mut o = CustomObject::from_json_value(with_type(value, &T::api_version(&()), &kind))?;
        let namespaced = std::any::TypeId::of::<T::Scope>()
            != std::any::TypeId::of::<kube::core::ClusterResourceScope>();
        o.set_resource(&T::plural(&()), namespaced);
        Ok(o)
    }

    /// A `DynamicObject` of the type `api` describes, namespaced or not.
    #[cfg(feature = "client")]
    pub fn from_dynamic(
        object: &kube::api::DynamicObject,
        api: &kube::api::ApiResource,
        namespaced: bool,
    ) -> Result<CustomObject> {
        let value = serde_json::to_value(object).map_err(|e| crate::Error::Render {
            object: ObjectRef::new(api.kind.clone(), ""),
            message: e.to_string(),
        })?;
        let mut o = CustomObject::from_json_value(with_type(value, &api.api_version, &api.kind))?;
        o.set_resource(&api.plural, namespaced);
        Ok(o)
    }

    /// Validates what kubeprint knows of any object: its name (a DNS subdomain), namespace,
    /// labels and annotations, and the apiVersion and kind.
    pub(crate) fn check(&self) -> Result<()> {
        let name = self.metadata.name.clone().unwrap_or_default();
        let mut c = Checker::new(
            ObjectRef::new(self.kind.clone(), name.clone())
                .in_namespace(self.metadata.namespace.as_ref()),
        );
        c.relax(
            self.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(validate::RELAX_ANNOTATION))
                .map(String::as_str),
        );
        c.check("metadata.name", validate::dns1123_subdomain(&name));
        match &self.metadata.namespace {
            Some(_) if !self.namespaced => c.fail(
                "metadata.namespace",
                format!("must not be set: {} objects are not namespaced", self.kind),
            ),
            Some(ns) => c.check("metadata.namespace", validate::dns1123_label(ns)),
            None => {}
        }
        if self.plural.is_empty() {
            c.fail("kind", "has no plural resource name");
        }
        c.labels("metadata.labels", self.metadata.labels.as_ref());
        c.annotations("metadata.annotations", self.metadata.annotations.as_ref());
        for path in &self.secret_fields {
            if let Err(why) = super::secret_fields::FieldPattern::parse(path) {
                c.fail(format!("(secret field {path:?})"), why);
            }
        }
        c.finish()
    }
}

fn with_type(mut value: Value, api_version: &str, kind: &str) -> Value {
    if let Some(o) = value.as_object_mut() {
        o.insert("apiVersion".into(), Value::String(api_version.to_owned()));
        o.insert("kind".into(), Value::String(kind.to_owned()));
    }
    value
}

impl Serialize for CustomObject {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3 + self.fields.len()))?;
        m.serialize_entry("apiVersion", &self.api_version)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("metadata", &self.metadata)?;
        for (k, v) in &self.fields {
            if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl crate::object::Manifest for CustomObject {
    type Object = CustomObject;
    fn to_object(&self) -> Result<CustomObject> {
        self.check()?;
        Ok(self.clone())
    }
}

impl From<CustomObject> for crate::object::Object {
    fn from(o: CustomObject) -> Self {
        crate::object::Object::Custom(Box::new(o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plurals_are_guessed_like_kubernetes() {
        for (kind, plural) in [
            ("Certificate", "certificates"),
            ("Ingress", "ingresses"),
            ("Policy", "policies"),
            ("Gateway", "gateways"),
            ("Mesh", "meshes"),
        ] {
            assert_eq!(guess_plural(kind), plural, "{kind}");
        }
    }

    #[test]
    fn json_round_trip_keeps_every_field_and_checks_metadata() {
        let v = json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "labels": {"a": "b"}}, "spec": {"size": 3}});
        let o = CustomObject::from_json_value(v.clone()).unwrap();
        assert_eq!(o.group(), "example.com");
        assert_eq!(o.version(), "v1");
        assert_eq!(o.plural(), "widgets");
        assert_eq!(o.to_json_value().unwrap(), v);
        let e = CustomObject::from_json_value(json!({"apiVersion": "example.com/v1",
            "kind": "Widget", "metadata": {"name": "w", "lables": {}}}))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"widget "w": metadata.lables: unknown field"#
        );
        assert!(CustomObject::from_json_value(json!({"kind": "Widget"})).is_err());
    }

    #[test]
    fn check_names_scope_and_plural() {
        let o = CustomObject::new("example.com/v1", "Widget", "widgets", false)
            .with_name("Bad_Name")
            .with_namespace("ns");
        let e = o.check().unwrap_err().to_string();
        assert!(e.contains("metadata.name"), "{e}");
        assert!(e.contains("metadata.namespace: must not be set"), "{e}");
    }
}
