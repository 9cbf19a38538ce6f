//! The objects kubeprint knows: the real `k8s-openapi` types, gathered in one enum so a
//! [`Bundle`](crate::Bundle) can order, check, render and apply them.
//!
//! Builders implement [`Manifest`]: `to_object()` produces the validated `k8s-openapi` object.
//! Raw `k8s-openapi` objects implement it too, so anything a builder cannot express can still go
//! into a bundle — validated the same way.

pub mod custom;
pub(crate) mod refs;
pub mod secret_fields;

pub use custom::{CustomObject, CustomReadiness, DefinesReadiness, READINESS_ANNOTATION};

use crate::error::{ObjectRef, Result, Violation};
use crate::validate::{self, Checker};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolume, PersistentVolumeClaim, Pod, ResourceQuota,
    Secret, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Serialize, Serializer};
use std::fmt;

/// Annotation on a Secret listing the keys whose values are generated once: the apply client
/// keeps the live values of these keys instead of overwriting them.
pub const GENERATE_ONCE_ANNOTATION: &str = "kubeprint.dev/generate-once";

/// Annotation ordering objects within an apply tier: the apply client applies (and, when it
/// waits, readies) objects of lower waves first, e.g. a database (`"0"`, the default) before the
/// application that uses it (`"1"`). An integer, like Argo CD's sync waves.
pub const WAVE_ANNOTATION: &str = "kubeprint.dev/wave";

/// Something that produces a validated Kubernetes object: every builder, and every raw
/// `k8s-openapi` type kubeprint supports.
pub trait Manifest {
    /// The `k8s-openapi` type produced.
    type Object: Into<Object>;

    /// Builds the object (running `customize` hooks) and validates it.
    fn to_object(&self) -> Result<Self::Object>;

    /// The keys this manifest generates once, and how (a [`Secret`](crate::Secret) builder's
    /// `generated` keys; none for anything else). A [`Bundle`](crate::Bundle) remembers them
    /// so that [`Bundle::derive_generated`](crate::Bundle::derive_generated) can remake them
    /// from a [`Seed`](crate::secret::Seed).
    fn generated_keys(&self) -> Vec<(String, crate::secret::Generate)> {
        Vec::new()
    }
}

/// A boxed manifest is a manifest (so an [`Object`]'s boxed payload can go into a bundle).
impl<M: Manifest + ?Sized> Manifest for Box<M> {
    type Object = M::Object;

    fn to_object(&self) -> Result<M::Object> {
        (**self).to_object()
    }

    fn generated_keys(&self) -> Vec<(String, crate::secret::Generate)> {
        (**self).generated_keys()
    }
}

/// Per-kind validation of a finished `k8s-openapi` object; lives next to each kind's builder.
pub(crate) trait Validate {
    fn validate(&self, c: &mut Checker);
}

/// The apply waves: everything in one tier is applied (concurrently) before the next tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Namespaces.
    Namespaces,
    /// StorageClasses and PersistentVolumes: ready (a volume `Available`) before any claim is
    /// made, so a claim binds at once instead of at the volume controller's next resync.
    Storage,
    /// Service accounts, RBAC, Secrets, ConfigMaps, PVCs, policies.
    Config,
    /// Services, EndpointSlices, Ingresses.
    Services,
    /// Pods and pod controllers, autoscalers.
    Workloads,
    /// Jobs and CronJobs.
    Jobs,
}

/// [`Object::install_rank`] of custom objects: after every built-in kind (in the workloads tier,
/// so an operator's Deployment in the same bundle is applied with them), ordered among
/// themselves by group, kind, namespace and name.
pub const CUSTOM_RANK: u8 = 100;

macro_rules! objects {
    ($( $variant:ident($ty:ty) rank $rank:literal tier $tier:ident $(cluster $cluster:literal)?; )*) => {
        /// One Kubernetes object of a kind kubeprint supports.
        ///
        /// `Debug` masks Secret values: it prints a Secret's keys, never its data.
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        // Each variant boxes its k8s-openapi object: an unboxed `Object` was 3 KB, and a
        // bundle keeps objects sorted in a Vec, so every insertion moved kilobytes per element
        // (10,000 interleaved adds took 0.6 s). Boxed, an `Object` is two words; fields and
        // methods of the boxed object are reached through auto-deref as before.
        #[allow(missing_docs)]
        pub enum Object {
            $( $variant(Box<$ty>), )*
            /// An object of a kind kubeprint has no type for: a custom resource, or an imported
            /// object of an unknown kind.
            Custom(Box<CustomObject>),
        }

        $(
            impl From<$ty> for Object {
                fn from(o: $ty) -> Self {
                    Object::$variant(Box::new(o))
                }
            }

            impl Manifest for $ty {
                type Object = $ty;
                fn to_object(&self) -> Result<$ty> {
                    let o = self.clone();
                    Object::check(&o)?;
                    Ok(o)
                }
            }
        )*

        impl Object {
            /// Every kind an `Object` can be, in declaration order.
            pub const KINDS: &'static [&'static str] = &[$( <$ty as k8s_openapi::Resource>::KIND, )*];

            /// The object's metadata.
            pub fn metadata(&self) -> &ObjectMeta {
                match self { $( Object::$variant(o) => &o.metadata, )* Object::Custom(o) => &o.metadata }
            }

            /// The object's metadata, mutably.
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self { $( Object::$variant(o) => &mut o.metadata, )* Object::Custom(o) => &mut o.metadata }
            }

            /// The Kubernetes kind, e.g. `Deployment`.
            pub fn kind(&self) -> &str {
                match self { $( Object::$variant(_) => <$ty as k8s_openapi::Resource>::KIND, )* Object::Custom(o) => o.kind() }
            }

            /// The API group, empty for the core group.
            pub fn group(&self) -> &str {
                match self { $( Object::$variant(_) => <$ty as k8s_openapi::Resource>::GROUP, )* Object::Custom(o) => o.group() }
            }

            /// The API version, e.g. `apps/v1`.
            pub fn api_version(&self) -> &str {
                match self { $( Object::$variant(_) => <$ty as k8s_openapi::Resource>::API_VERSION, )* Object::Custom(o) => o.api_version() }
            }

            /// The plural resource name, e.g. `deployments`.
            pub fn plural(&self) -> &str {
                match self { $( Object::$variant(_) => <$ty as k8s_openapi::Resource>::URL_PATH_SEGMENT, )* Object::Custom(o) => o.plural() }
            }

            /// Whether objects of this kind live in a namespace.
            pub fn is_namespaced(&self) -> bool {
                match self { $( Object::$variant(_) => { true $( && !$cluster )? } )* Object::Custom(o) => o.is_namespaced() }
            }

            /// Position in install order (Helm's `InstallOrder`, extended): lower first.
            pub fn install_rank(&self) -> u8 {
                match self { $( Object::$variant(_) => $rank, )* Object::Custom(_) => CUSTOM_RANK }
            }

            /// [`Object::install_rank`] of the objects of `kind`; `None` for kinds an `Object`
            /// cannot be.
            pub(crate) fn install_rank_of(kind: &str) -> Option<u8> {
                $( if kind == <$ty as k8s_openapi::Resource>::KIND { return Some($rank); } )*
                None
            }

            /// The apply wave this object belongs to.
            pub fn tier(&self) -> Tier {
                match self { $( Object::$variant(_) => Tier::$tier, )* Object::Custom(_) => Tier::Workloads }
            }

            /// Validates the object with the rules of its kind.
            pub fn validate(&self) -> Result<()> {
                match self { $( Object::$variant(o) => Object::check(o.as_ref()), )* Object::Custom(o) => o.check() }
            }

            /// Decodes a JSON value of any kind kubeprint supports, by its `kind` (and
            /// `apiVersion` when given); fields the type does not know are left to the caller.
            fn decode_kind(kind: &str, api_version: Option<&str>, value: serde_json::Value)
                -> Option<std::result::Result<Object, serde_json::Error>> {
                $(
                    if kind == <$ty as k8s_openapi::Resource>::KIND
                        && api_version.is_none_or(|v| v == <$ty as k8s_openapi::Resource>::API_VERSION)
                    {
                        return Some(serde_json::from_value::<$ty>(value).map(Object::from));
                    }
                )*
                None
            }

            fn serialize_inner<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                match self { $( Object::$variant(o) => o.serialize(s), )* Object::Custom(o) => o.serialize(s) }
            }
        }
    };
}

objects! {
    CustomResourceDefinition(CustomResourceDefinition) rank 0 tier Namespaces cluster true;
    Namespace(Namespace) rank 1 tier Namespaces cluster true;
    StorageClass(StorageClass) rank 2 tier Storage cluster true;
    PersistentVolume(PersistentVolume) rank 3 tier Storage cluster true;
    NetworkPolicy(NetworkPolicy) rank 4 tier Config;
    ResourceQuota(ResourceQuota) rank 5 tier Config;
    LimitRange(LimitRange) rank 6 tier Config;
    PriorityClass(PriorityClass) rank 7 tier Config cluster true;
    RuntimeClass(RuntimeClass) rank 8 tier Config cluster true;
    PodDisruptionBudget(PodDisruptionBudget) rank 9 tier Config;
    ServiceAccount(ServiceAccount) rank 10 tier Config;
    Secret(Secret) rank 11 tier Config;
    ConfigMap(ConfigMap) rank 12 tier Config;
    PersistentVolumeClaim(PersistentVolumeClaim) rank 13 tier Config;
    ClusterRole(ClusterRole) rank 14 tier Config cluster true;
    ClusterRoleBinding(ClusterRoleBinding) rank 15 tier Config cluster true;
    Role(Role) rank 16 tier Config;
    RoleBinding(RoleBinding) rank 17 tier Config;
    Service(Service) rank 18 tier Services;
    EndpointSlice(EndpointSlice) rank 19 tier Services;
    DaemonSet(DaemonSet) rank 20 tier Workloads;
    Pod(Pod) rank 21 tier Workloads;
    ReplicaSet(ReplicaSet) rank 22 tier Workloads;
    Deployment(Deployment) rank 23 tier Workloads;
    HorizontalPodAutoscaler(HorizontalPodAutoscaler) rank 24 tier Workloads;
    StatefulSet(StatefulSet) rank 25 tier Workloads;
    Job(Job) rank 26 tier Jobs;
    CronJob(CronJob) rank 27 tier Jobs;
    IngressClass(IngressClass) rank 28 tier Services cluster true;
    Ingress(Ingress) rank 29 tier Services;
}

impl Object {
    /// The object's name (empty when unset, which validation rejects).
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// The object's namespace, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// The field paths of a custom object hidden as secret (none for other kinds: a Secret's
    /// values are hidden by kind).
    #[cfg(feature = "client")]
    pub(crate) fn secret_patterns(&self) -> Vec<secret_fields::FieldPattern> {
        match self {
            Object::Custom(c) => c.secret_patterns(),
            _ => Vec::new(),
        }
    }

    /// How messages name this object: `deployment "web"`.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::new(self.kind(), self.name()).in_namespace(self.namespace())
    }

    /// The object as JSON, with `apiVersion` and `kind`.
    pub fn to_json_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self).map_err(|e| crate::Error::Render {
            object: self.object_ref(),
            message: e.to_string(),
        })
    }

    /// The keys of a Secret marked "generate once" (see [`GENERATE_ONCE_ANNOTATION`]).
    pub fn generate_once_keys(&self) -> Vec<String> {
        match self {
            Object::Secret(s) => s
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(GENERATE_ONCE_ANNOTATION))
                .map(|keys| {
                    keys.split(',')
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Reads one object from JSON, strictly: `apiVersion` and `kind` pick the type, and a field
    /// the type does not have (a misspelling) is an error naming its path, as
    /// `kubectl --validate=strict` would. The object is not validated; [`Bundle::add`] does that.
    ///
    /// ```
    /// use kubeprint::Object;
    /// let o = Object::from_json_str(r#"{"apiVersion": "v1", "kind": "ConfigMap",
    ///     "metadata": {"name": "web"}, "data": {"a": "b"}}"#).unwrap();
    /// assert_eq!(o.kind(), "ConfigMap");
    /// let e = Object::from_json_str(r#"{"apiVersion": "v1", "kind": "ConfigMap",
    ///     "metadata": {"name": "web", "lables": {"a": "b"}}}"#).unwrap_err();
    /// assert_eq!(e.to_string(), r#"configmap "web": metadata.lables: unknown field"#);
    /// ```
    ///
    /// [`Bundle::add`]: crate::Bundle::add
    pub fn from_json_str(json: &str) -> Result<Object> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| crate::Error::Decode {
                what: "JSON document".into(),
                message: e.to_string(),
            })?;
        Object::from_json_value(value)
    }

    /// Reads the objects of a YAML stream (documents separated by `---`; empty documents are
    /// skipped), each strictly as [`Object::from_json_str`] does.
    ///
    /// ```
    /// use kubeprint::Object;
    /// let objects = Object::from_yaml_str(
    ///     "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n\
    ///      ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replica: 2\n",
    /// );
    /// assert_eq!(
    ///     objects.unwrap_err().to_string(),
    ///     r#"deployment "web": spec.replica: unknown field"#
    /// );
    /// ```
    pub fn from_yaml_str(yaml: &str) -> Result<Vec<Object>> {
        let docs: Vec<serde_json::Value> =
            serde_saphyr::from_multiple(yaml).map_err(|e| crate::Error::Decode {
                what: "YAML stream".into(),
                message: e.to_string(),
            })?;
        docs.into_iter()
            .filter(|d| !d.is_null())
            .map(Object::from_json_value)
            .collect()
    }

    /// Reads one object from a JSON value, strictly (see [`Object::from_json_str`]).
    pub fn from_json_value(value: serde_json::Value) -> Result<Object> {
        let text = |k: &str| {
            value
                .get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let kind = text("kind").unwrap_or_default();
        let api_version = text("apiVersion");
        let name = value
            .pointer("/metadata/name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let who = ObjectRef::new(if kind.is_empty() { "object" } else { &kind }, name.clone());
        let decode_error = |message: String| crate::Error::Decode {
            what: who.to_string(),
            message,
        };
        if kind.is_empty() {
            return Err(decode_error("has no kind".into()));
        }
        let object = match Object::decode_kind(&kind, api_version.as_deref(), value.clone()) {
            None => {
                return Err(decode_error(format!(
                    "kind {kind:?} of apiVersion {:?} is not one kubeprint supports",
                    api_version.unwrap_or_default()
                )));
            }
            // serde's messages may quote a value: never a Secret's.
            Some(Err(_)) if kind == "Secret" => {
                return Err(decode_error(
                    "does not decode as a Secret (value not shown)".into(),
                ));
            }
            Some(Err(e)) => return Err(decode_error(e.to_string())),
            Some(Ok(o)) => o,
        };
        let back = object.to_json_value()?;
        let mut unknown = Vec::new();
        unknown_fields(&value, &back, String::new(), &mut unknown);
        if unknown.is_empty() {
            Ok(object)
        } else {
            Err(crate::Error::Invalid(
                unknown
                    .into_iter()
                    .map(|path| Violation::new(object.object_ref(), path, "unknown field"))
                    .collect(),
            ))
        }
    }

    /// Reads one object from a JSON value like [`Object::from_json_value`], except that a kind
    /// kubeprint has no type for becomes an [`Object::Custom`] (its metadata still decoded
    /// strictly). A kind kubeprint knows in an `apiVersion` it does not (`extensions/v1beta1`
    /// Ingress) is an error, not a custom object.
    ///
    /// ```
    /// use kubeprint::Object;
    /// let v = serde_json::json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
    ///     "metadata": {"name": "web"}, "spec": {"secretName": "web-tls"}});
    /// let o = Object::from_json_value_or_custom(v).unwrap();
    /// assert!(matches!(o, Object::Custom(_)));
    /// assert_eq!((o.group(), o.plural()), ("cert-manager.io", "certificates"));
    /// ```
    pub fn from_json_value_or_custom(value: serde_json::Value) -> Result<Object> {
        let kind = value.get("kind").and_then(serde_json::Value::as_str);
        let known = kind.is_some_and(|k| Object::KINDS.contains(&k));
        if known || kind.is_none() {
            Object::from_json_value(value)
        } else {
            CustomObject::from_json_value(value).map(Object::from)
        }
    }

    fn check<K>(o: &K) -> Result<()>
    where
        K: Validate + k8s_openapi::Metadata<Ty = ObjectMeta> + k8s_openapi::Resource,
        K::Scope: 'static,
    {
        let meta = o.metadata();
        let name = meta.name.clone().unwrap_or_default();
        let mut c = Checker::new(
            ObjectRef::new(K::KIND, name.clone()).in_namespace(meta.namespace.as_ref()),
        );
        // Names of Namespaces and Services are DNS labels; Services' DNS-1035 labels. RBAC
        // names are path segments (`system:aggregate-to-view`).
        let rule: fn(&str) -> Option<String> = match K::KIND {
            "Service" => validate::dns1035_label,
            // A StatefulSet's name goes into its pods' hostnames and a label: a DNS label.
            "Namespace" | "StatefulSet" => validate::dns1123_label,
            // A Job's name is the value of its pods' `job-name` label: at most 63 characters.
            "Job" => |n| {
                validate::dns1123_subdomain(n).or_else(|| {
                    (n.len() > 63).then(|| {
                        format!(
                            "{n:?} is longer than 63 characters (it is the value of the pods' \
                             job-name label)"
                        )
                    })
                })
            },
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
                validate::path_segment_name
            }
            _ => validate::dns1123_subdomain,
        };
        c.relax(
            meta.annotations
                .as_ref()
                .and_then(|a| a.get(validate::RELAX_ANNOTATION))
                .map(String::as_str),
        );
        c.check("metadata.name", rule(&name));
        // generateName is a prefix the apiserver completes: checked as a name, a trailing '-'
        // allowed.
        if let Some(prefix) = meta.generate_name.as_deref().filter(|p| !p.is_empty()) {
            let completed = match prefix.strip_suffix('-') {
                Some(p) => format!("{p}-a"),
                None => format!("{prefix}a"),
            };
            c.check("metadata.generateName", rule(&completed));
        }
        let cluster_scoped = std::any::TypeId::of::<K::Scope>()
            == std::any::TypeId::of::<k8s_openapi::ClusterResourceScope>();
        match &meta.namespace {
            Some(_) if cluster_scoped => {
                let plural = if K::KIND.ends_with('s') { "es" } else { "s" };
                c.fail(
                    "metadata.namespace",
                    format!("must not be set: {}{plural} are not namespaced", K::KIND),
                );
            }
            Some(ns) => c.check("metadata.namespace", validate::dns1123_label(ns)),
            None => {}
        }
        c.labels("metadata.labels", meta.labels.as_ref());
        c.annotations("metadata.annotations", meta.annotations.as_ref());
        o.validate(&mut c);
        c.finish()
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.serialize_inner(s)
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Secret(s) => {
                let keys: Vec<&String> = s
                    .data
                    .iter()
                    .flat_map(|d| d.keys())
                    .chain(s.string_data.iter().flat_map(|d| d.keys()))
                    .collect();
                f.debug_struct("Secret")
                    .field("metadata", &s.metadata)
                    .field("type", &s.type_)
                    .field("keys", &keys)
                    .field("values", &"<redacted>")
                    .finish()
            }
            Object::Custom(c) => {
                let value = c.redacted().to_json_value().map_err(|_| fmt::Error)?;
                write!(f, "{}({value})", c.kind())
            }
            other => {
                let value = other.to_json_value().map_err(|_| fmt::Error)?;
                write!(f, "{}({value})", other.kind())
            }
        }
    }
}

/// The paths of `input`'s fields that the decoded and re-serialised object (`back`) lost: fields
/// its type does not have. (A `null` is nothing to lose.)
fn unknown_fields(
    input: &serde_json::Value,
    back: &serde_json::Value,
    path: String,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (input, back) {
        (Value::Object(i), Value::Object(b)) => {
            for (k, v) in i {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(bv) => unknown_fields(v, bv, p, out),
                    None if v.is_null() => {}
                    None => out.push(p),
                }
            }
        }
        (Value::Array(i), Value::Array(b)) => {
            for (n, (v, bv)) in i.iter().zip(b).enumerate() {
                unknown_fields(v, bv, format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}
