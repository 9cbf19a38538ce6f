//! Plans: what an apply would do to each object, with a readable diff that leaves out what the
//! server manages and never shows a secret value.
//!
//! [`Applier::plan`](super::Applier::plan) asks the server (a server-side dry-run per object);
//! [`Plan::compute`] needs no server: it plans a bundle against live objects read before
//! ([`LiveObjects`]). Both turn an object's live state and planned state into a [`PlanItem`]
//! with the same code ([`plan_item`]); they differ only in where the planned state comes from.

use super::applyset::{ApplySet, PART_OF_LABEL};
use super::delete;
use super::error::{Error, FieldConflict, FieldError, Result};
use super::items;
use super::merge::simulate_apply;
use super::resources::{GroupKind, Key, ResourceCache, known_kinds};
use super::secrets;
use crate::bundle::Bundle;
use crate::error::ObjectRef;
use crate::object::Tier;
use crate::object::secret_fields::{self, FieldPattern};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// What an apply would do to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// The object does not exist and would be created.
    Create,
    /// The object exists and would change.
    Update,
    /// The object exists and would not change.
    Unchanged,
    /// An immutable field changes: the object must be deleted and created again (the apply does
    /// so only with `recreate(true)`).
    Replace {
        /// The immutable fields that change.
        fields: Vec<FieldError>,
    },
    /// Other field managers own fields the bundle sets: the apply fails unless forced.
    Conflict {
        /// The contested fields.
        conflicts: Vec<FieldConflict>,
    },
    /// The object left the bundle and would be deleted (ApplySet pruning).
    Prune,
    /// The object left the bundle but would be kept (its data is kept unless asked).
    Keep {
        /// Why.
        reason: String,
    },
}

impl Action {
    fn word(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Replace { .. } => "replace",
            Action::Conflict { .. } => "conflict",
            Action::Prune => "prune",
            Action::Keep { .. } => "keep",
        }
    }
}

/// One object of a [`Plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanItem {
    /// The object.
    pub object: ObjectRef,
    /// What would happen to it.
    pub action: Action,
    /// A unified diff of live → planned YAML, without server-managed fields; Secret values are
    /// shown as `<redacted>` (or `<redacted (changed)>`). Empty when nothing changes.
    pub diff: String,
}

/// What applying a bundle would do, object by object, computed with server-side dry-run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The ApplySet id of the bundle.
    pub applyset: String,
    /// One item per bundle object (in apply order), then the objects to prune.
    pub items: Vec<PlanItem>,
}

impl Plan {
    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.action != Action::Unchanged && !matches!(i.action, Action::Keep { .. }))
    }

    /// The items with a given action word (`create`, `update`, `unchanged`, `replace`, `conflict`,
    /// `prune`, `keep`).
    pub fn with_action(&self, word: &str) -> Vec<&PlanItem> {
        self.items
            .iter()
            .filter(|i| i.action.word() == word)
            .collect()
    }

    /// The item of an object, by kind and name.
    pub fn item(&self, kind: &str, name: &str) -> Option<&PlanItem> {
        self.items
            .iter()
            .find(|i| i.object.kind == kind && i.object.name == name)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            write!(f, "{:<9} {}", item.action.word(), item.object)?;
            match &item.action {
                Action::Replace { fields } => {
                    let fields: Vec<String> = fields.iter().map(ToString::to_string).collect();
                    write!(f, " (immutable: {})", fields.join("; "))?;
                }
                Action::Conflict { conflicts } => {
                    let c: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
                    write!(f, " ({})", c.join(", "))?;
                }
                Action::Keep { reason } => write!(f, " ({reason})")?,
                _ => {}
            }
            writeln!(f)?;
            for line in item.diff.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

/// Live objects as read from a cluster, for [`Plan::compute`]: keyed by API group, kind,
/// namespace and name (the version does not matter: one object is served at every version of
/// its group).
///
/// Objects are JSON as the apiserver returns them, with `apiVersion`, `kind` and
/// `metadata.name` (and `metadata.namespace` for namespaced kinds): a `kubectl get -o json`
/// item, a `kube::api::DynamicObject`, or a typed `k8s-openapi` object turned into JSON. Keep
/// their `metadata.managedFields`: the plan reads from them which fields the bundle applied
/// before, to show the ones it no longer sets as removed.
///
/// Its `Debug` output lists the objects, never their content (Secrets).
///
/// ```
/// use kubeprint::apply::LiveObjects;
/// use serde_json::json;
///
/// let mut live = LiveObjects::new();
/// live.insert(json!({
///     "apiVersion": "apps/v1", "kind": "Deployment",
///     "metadata": {"name": "web", "namespace": "demo", "resourceVersion": "7"},
///     "spec": {"replicas": 2}
/// }))?;
/// assert!(live.get("apps/v1", "Deployment", Some("demo"), "web").is_some());
/// assert!(live.insert(json!({"kind": "ConfigMap"})).is_err()); // no apiVersion, no name
/// # Ok::<(), kubeprint::apply::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct LiveObjects {
    objects: HashMap<Key, Value>,
}

impl fmt::Debug for LiveObjects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.sorted().map(|((gk, ns, name), _)| {
                if ns.is_empty() {
                    format!("{gk} {name}")
                } else {
                    format!("{gk} {ns}/{name}")
                }
            }))
            .finish()
    }
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

impl LiveObjects {
    /// No objects.
    pub fn new() -> Self {
        LiveObjects::default()
    }

    /// Adds an object (replacing one of the same group, kind, namespace and name, which is
    /// returned). Fails, naming what is missing, without `apiVersion`, `kind` or
    /// `metadata.name`.
    pub fn insert(&mut self, object: Value) -> Result<Option<Value>> {
        let text = |p: &str| object.pointer(p).and_then(Value::as_str);
        let (api_version, kind, name) =
            (text("/apiVersion"), text("/kind"), text("/metadata/name"));
        let (Some(api_version), Some(kind), Some(name)) = (api_version, kind, name) else {
            let missing: Vec<&str> = [
                ("apiVersion", api_version),
                ("kind", kind),
                ("metadata.name", name),
            ]
            .into_iter()
            .filter(|(_, v)| v.is_none_or(str::is_empty))
            .map(|(k, _)| k)
            .collect();
            return Err(Error::Response {
                object: ObjectRef::new(kind.unwrap_or("object"), name.unwrap_or_default()),
                operation: "read live object",
                message: format!("no {}", missing.join(", no ")),
            });
        };
        let key = (
            GroupKind::new(group_of(api_version), kind),
            text("/metadata/namespace").unwrap_or_default().to_owned(),
            name.to_owned(),
        );
        Ok(self.objects.insert(key, object))
    }

    /// Adds a `kube` dynamic object (see [`LiveObjects::insert`]).
    pub fn insert_dynamic(&mut self, object: &kube::api::DynamicObject) -> Result<Option<Value>> {
        let value = serde_json::to_value(object).map_err(|e| Error::Response {
            object: ObjectRef::new("object", object.metadata.name.clone().unwrap_or_default()),
            operation: "read live object",
            message: e.to_string(),
        })?;
        self.insert(value)
    }

    /// The object of an API version's group, kind, namespace (`None` for cluster-scoped kinds)
    /// and name.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Value> {
        self.objects.get(&(
            GroupKind::new(group_of(api_version), kind),
            namespace.unwrap_or_default().to_owned(),
            name.to_owned(),
        ))
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Every object, ordered by group, kind, namespace and name.
    pub fn iter(&self) -> impl Iterator<Item = &Value> {
        self.sorted().map(|(_, v)| v)
    }

    fn sorted(&self) -> impl Iterator<Item = (&Key, &Value)> {
        let mut all: Vec<(&Key, &Value)> = self.objects.iter().collect();
        all.sort_unstable_by_key(|(k, _)| *k);
        all.into_iter()
    }
}

/// How [`Plan::compute`] plans: what an [`Applier`](super::Applier) would apply with. The
/// defaults are the applier's: field manager `kubeprint`, pruning on, data kept.
///
/// ```
/// let options = kubeprint::apply::PlanOptions::new("demo").field_manager("ci").prune(false);
/// # let _ = options;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    namespace: String,
    applyset_namespace: Option<String>,
    field_manager: String,
    prune: bool,
    delete_data: bool,
    delete_crds: bool,
}

impl PlanOptions {
    /// Options for applying into `namespace` (the namespace of namespaced objects that set
    /// none; the ApplySet parent's only for bundles without a namespace of their own, as
    /// [`Applier::applyset_namespace`](super::Applier::applyset_namespace) explains).
    pub fn new(namespace: impl Into<String>) -> Self {
        PlanOptions {
            namespace: namespace.into(),
            applyset_namespace: None,
            field_manager: "kubeprint".into(),
            prune: true,
            delete_data: false,
            delete_crds: false,
        }
    }

    /// Where the ApplySet of a bundle spanning several namespaces lives (see
    /// [`Applier::applyset_namespace`](super::Applier::applyset_namespace)).
    #[must_use]
    pub fn applyset_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.applyset_namespace = Some(namespace.into());
        self
    }

    /// The field manager whose earlier applies the live objects record (default `kubeprint`).
    #[must_use]
    pub fn field_manager(mut self, name: impl Into<String>) -> Self {
        self.field_manager = name.into();
        self
    }

    /// Whether members of the bundle's ApplySet that left the bundle are planned for deletion
    /// (default on).
    #[must_use]
    pub fn prune(mut self, prune: bool) -> Self {
        self.prune = prune;
        self
    }

    /// Whether pruning may delete PersistentVolumeClaims and namespaces holding claims
    /// (default off: they are kept).
    #[must_use]
    pub fn delete_data(mut self, delete: bool) -> Self {
        self.delete_data = delete;
        self
    }

    /// Whether pruning may delete CustomResourceDefinitions (default off: they are kept, as
    /// deleting one deletes every object of its kind).
    #[must_use]
    pub fn delete_crds(mut self, delete: bool) -> Self {
        self.delete_crds = delete;
        self
    }
}

impl Plan {
    /// Plans applying `bundle` over `live` without a server: pure, deterministic, no I/O.
    ///
    /// Each bundle object is prepared as [`Applier::apply`](super::Applier::apply) prepares it
    /// (namespace, ApplySet member label, Secret `stringData` folded into `data`, "generate
    /// once" keys taking the live Secret's values) and compared with its live object: absent —
    /// [`Action::Create`]; present — the live object after a server-side apply, imitated on
    /// the client (maps merged, lists of objects merged by key, fields the field manager
    /// applied before and the bundle dropped removed), is compared with the live object as
    /// [`Applier::plan`](super::Applier::plan) compares the server's dry-run answer:
    /// [`Action::Unchanged`] or [`Action::Update`] with a unified diff, server-managed fields
    /// left out and Secret values masked. With pruning, live members of the bundle's ApplySet
    /// that left the bundle come last: [`Action::Prune`], or [`Action::Keep`] for claims (and
    /// namespaces and StatefulSets whose claims are among the live objects) unless deleting data.
    ///
    /// What only a server knows is not in an offline plan: defaults of fields the bundle
    /// adds, values the server writes differently (`1000m` is `1`), admission, conflicts with
    /// other field managers and immutable fields. [`Applier::plan`](super::Applier::plan)
    /// has them.
    ///
    /// ```
    /// use kubeprint::apply::{Action, LiveObjects, Plan, PlanOptions, PART_OF_LABEL};
    /// use kubeprint::prelude::*;
    /// use serde_json::json;
    ///
    /// let mut app = Bundle::new("shop");
    /// app.add(ConfigMap::builder().name("settings").entry("level", "debug").build())?;
    /// app.add(ConfigMap::builder().name("flags").entry("beta", "on").build())?;
    /// app.add(Secret::builder().name("db").entry("password", "s3cr3t-value").build())?;
    ///
    /// // As a cluster returns them (e.g. `kubectl get cm,secret -n demo -o json`).
    /// let id = kubeprint::apply::applyset_id("shop-applyset", "demo", "Secret", "");
    /// let mut live = LiveObjects::new();
    /// live.insert(json!({"apiVersion": "v1", "kind": "ConfigMap",
    ///     "metadata": {"name": "settings", "namespace": "demo", "resourceVersion": "41",
    ///                  "labels": {PART_OF_LABEL: id}},
    ///     "data": {"level": "info"}}))?;
    /// live.insert(json!({"apiVersion": "v1", "kind": "Secret",
    ///     "metadata": {"name": "db", "namespace": "demo", "labels": {PART_OF_LABEL: id}},
    ///     "type": "Opaque", "data": {"password": "b2xkLXZhbHVl"}}))?;
    /// live.insert(json!({"apiVersion": "v1", "kind": "ConfigMap",
    ///     "metadata": {"name": "old", "namespace": "demo", "labels": {PART_OF_LABEL: id}}}))?;
    ///
    /// let plan = Plan::compute(&app, &live, &PlanOptions::new("demo"))?;
    /// let settings = plan.item("ConfigMap", "settings").unwrap();
    /// assert_eq!(settings.action, Action::Update);
    /// assert!(settings.diff.contains("-  level: info\n+  level: debug"), "{}", settings.diff);
    /// assert_eq!(plan.item("ConfigMap", "flags").unwrap().action, Action::Create);
    /// assert_eq!(plan.item("ConfigMap", "old").unwrap().action, Action::Prune);
    /// let db = plan.item("Secret", "db").unwrap();
    /// assert!(db.diff.contains("<redacted (changed)>") && !db.diff.contains("b2xk"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compute(bundle: &Bundle, live: &LiveObjects, options: &PlanOptions) -> Result<Plan> {
        bundle.check()?;
        let (home, _) = super::applyset_home(
            bundle,
            &options.namespace,
            options.applyset_namespace.as_deref(),
        );
        let set_id = ApplySet::id_for(&home, bundle.name());
        let resources = ResourceCache::default();
        let items = items::prepare(bundle, &resources, &options.namespace, &set_id)?;
        let mut plan = Plan {
            applyset: set_id.clone(),
            items: Vec::with_capacity(items.len()),
        };
        for item in &items {
            let current = live.objects.get(&item.target.key());
            let mut body = item.body()?;
            if !item.generate_once.is_empty() {
                secrets::prepare_secret(&mut body, &item.generate_once, current);
            }
            plan.items.push(plan_item(
                item.target.object.clone(),
                item.kind(),
                &item.object.secret_patterns(),
                &body,
                current,
                Planned::Offline {
                    field_manager: &options.field_manager,
                },
            ));
        }
        if options.prune {
            let wanted: HashSet<Key> = items.iter().map(|i| i.target.key()).collect();
            // Generate-once Secrets stay while the bundle or the set holds claims (#12).
            let guards = delete::guards_data(
                items.iter().map(|i| i.kind()).chain(
                    live.objects
                        .iter()
                        .filter(|(_, v)| is_member(v, &set_id))
                        .map(|(k, _)| k.0.kind.as_str()),
                ),
            );
            // Like the applier: members in namespaces the bundle has no objects in are kept.
            let mut owned: BTreeSet<&str> = items
                .iter()
                .filter_map(|i| i.target.namespace.as_deref())
                .collect();
            owned.insert(&home);
            plan.items.extend(prune_offline(
                live,
                &wanted,
                &set_id,
                options.delete_data,
                options.delete_crds,
                guards,
                &owned,
            ));
        }
        Ok(plan)
    }
}

/// Where the planned state of an object comes from.
pub(crate) enum Planned<'a> {
    /// The server's answer to a server-side dry-run apply.
    Server(Value),
    /// No server: server-side apply imitated on the client for this field manager.
    Offline { field_manager: &'a str },
    /// The object's namespace does not exist yet: it can only be created.
    Create,
    /// The server refused: immutable fields change.
    Immutable(Vec<FieldError>),
    /// The server refused: other field managers own fields the body sets.
    Conflict(Vec<FieldConflict>),
}

/// One plan item from an object's apply `body`, its `live` state (`None`: absent) and its
/// planned state. Shared by the online and the offline plan.
///
/// `secret` are the object's secret field paths (a custom object's; a Secret's values are
/// masked by kind): the diff shows none of their values.
pub(crate) fn plan_item(
    object: ObjectRef,
    kind: &str,
    secret: &[FieldPattern],
    body: &Value,
    live: Option<&Value>,
    planned: Planned<'_>,
) -> PlanItem {
    let diff = |live: Option<&Value>, planned: Option<&Value>| diff(kind, secret, live, planned);
    let compare = |live: Option<Value>, planned: Value| compare(kind, secret, live, planned);
    let (action, diff) = match planned {
        Planned::Create => (Action::Create, diff(None, Some(body))),
        Planned::Conflict(conflicts) => (Action::Conflict { conflicts }, String::new()),
        Planned::Immutable(fields) => {
            let shown = live.map(|l| project(l, body));
            (Action::Replace { fields }, diff(shown.as_ref(), Some(body)))
        }
        Planned::Server(planned) => compare(live.map(strip), planned),
        Planned::Offline { field_manager } => match live {
            None => compare(None, body.clone()),
            Some(l) => {
                let stripped = strip(l);
                let planned = simulate_apply(l, stripped.clone(), body, field_manager);
                compare(Some(stripped), planned)
            }
        },
    };
    PlanItem {
        object,
        action,
        diff,
    }
}

/// Create, update or unchanged, with the diff, from the live state (stripped) and the
/// planned state.
fn compare(
    kind: &str,
    secret: &[FieldPattern],
    live: Option<Value>,
    planned: Value,
) -> (Action, String) {
    let planned = strip_owned(planned);
    match live {
        None => (
            Action::Create,
            diff_stripped(kind, secret, None, Some(planned)),
        ),
        Some(live) if live == planned => (Action::Unchanged, String::new()),
        Some(live) => (
            Action::Update,
            diff_stripped(kind, secret, Some(live), Some(planned)),
        ),
    }
}

/// The install tier of a group-kind kubeprint knows (`None` for others).
fn tier_of(gk: &GroupKind) -> Option<Tier> {
    known_kinds()
        .into_iter()
        .find(|o| o.group() == gk.group && o.kind() == gk.kind)
        .map(|o| o.tier())
}

/// The names of the live claims in `namespace`, sorted.
fn claims_in<'a>(live: &'a LiveObjects, namespace: &'a str) -> impl Iterator<Item = &'a str> {
    let mut names: Vec<&str> = live
        .objects
        .keys()
        .filter(move |(gk, ns, _)| {
            gk.group.is_empty() && gk.kind == "PersistentVolumeClaim" && ns == namespace
        })
        .map(|(_, _, name)| name.as_str())
        .collect();
    names.sort_unstable();
    names.into_iter()
}

/// The prune items of an offline plan: live members of set `set_id` not in `wanted`, in the
/// order the apply deletes them (reverse install order, kinds kubeprint does not know first).
/// Whether a live object is a member of set `set_id`.
fn is_member(v: &Value, set_id: &str) -> bool {
    v.pointer("/metadata/labels")
        .and_then(|l| l.get(PART_OF_LABEL))
        .and_then(Value::as_str)
        == Some(set_id)
}

fn prune_offline(
    live: &LiveObjects,
    wanted: &HashSet<Key>,
    set_id: &str,
    delete_data: bool,
    delete_crds: bool,
    guards_data: bool,
    owned: &BTreeSet<&str>,
) -> Vec<PlanItem> {
    let member = |v: &Value| is_member(v, set_id);
    let mut stale: Vec<(Option<Tier>, &Key, &Value)> = live
        .objects
        .iter()
        .filter(|(k, v)| member(v) && !wanted.contains(*k))
        .map(|(k, v)| (tier_of(&k.0), k, v))
        .collect();
    stale.sort_by_key(|(tier, k, _)| (tier.is_some(), tier.map(std::cmp::Reverse), *k));
    let item = |kind: &str, ns: &str, name: &str, action: Action| PlanItem {
        object: ObjectRef::new(kind, name).in_namespace((!ns.is_empty()).then_some(ns)),
        action,
        diff: String::new(),
    };
    let (mut pruned, mut kept) = (Vec::new(), Vec::new());
    for (_, (gk, ns, name), object) in stale {
        let kind = gk.kind.as_str();
        let keep = |reason: String| Action::Keep { reason };
        if !ns.is_empty() && !owned.contains(ns.as_str()) {
            kept.push(item(kind, ns, name, keep(super::outside_reason(ns))));
            continue;
        }
        if delete::is_crd(&gk.group, kind) && !delete_crds {
            kept.push(item(kind, ns, name, keep(delete::CRD_KEPT.into())));
            continue;
        }
        if kind == "PersistentVolumeClaim" && gk.group.is_empty() && !delete_data {
            kept.push(item(kind, ns, name, keep(delete::DATA_KEPT.into())));
            continue;
        }
        if kind == "Secret"
            && gk.group.is_empty()
            && !delete_data
            && guards_data
            && object
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(crate::object::GENERATE_ONCE_ANNOTATION))
                .is_some()
        {
            kept.push(item(kind, ns, name, keep(delete::generated_kept())));
            continue;
        }
        if kind == "Namespace" && gk.group.is_empty() && !delete_data {
            let n = claims_in(live, name).count();
            if n > 0 {
                kept.push(item(kind, ns, name, keep(delete::holds_claims(n))));
                continue;
            }
        }
        pruned.push(item(kind, ns, name, Action::Prune));
        if kind == "StatefulSet" && gk.group == "apps" {
            let templates = delete::claim_templates(object);
            for claim in
                claims_in(live, ns).filter(|c| delete::is_template_claim(c, name, &templates))
            {
                let action = if delete_data {
                    Action::Prune
                } else {
                    keep(delete::template_claim_kept())
                };
                let claim = item("PersistentVolumeClaim", ns, claim, action);
                if delete_data {
                    pruned.push(claim);
                } else {
                    kept.push(claim);
                }
            }
        }
    }
    pruned.extend(kept);
    pruned
}

/// Fields the server manages: left out of diffs and comparisons.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Annotations the server or other tools maintain. `last-applied-configuration` may hold a
/// Secret's values in clear: it must never reach a diff.
const SERVER_ANNOTATIONS: &[&str] = &[
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// The object without server-managed fields (copying only what stays: `managedFields` and
/// `status` are often most of a live object).
pub(crate) fn strip(v: &Value) -> Value {
    let Some(obj) = v.as_object() else {
        return v.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, x) in obj {
        match (k.as_str(), x) {
            ("status", _) => {}
            ("metadata", Value::Object(meta)) => {
                let mut m = serde_json::Map::new();
                for (mk, mx) in meta {
                    if SERVER_METADATA.contains(&mk.as_str()) {
                        continue;
                    }
                    m.insert(mk.clone(), mx.clone());
                }
                out.insert(k.clone(), Value::Object(m));
            }
            _ => {
                out.insert(k.clone(), x.clone());
            }
        }
    }
    strip_owned(Value::Object(out))
}

/// [`strip`], in place.
pub(crate) fn strip_owned(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.remove("status");
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in SERVER_METADATA {
                meta.remove(*k);
            }
            let empty = if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut)
            {
                for k in SERVER_ANNOTATIONS {
                    a.remove(*k);
                }
                a.is_empty()
            } else {
                false
            };
            if empty {
                meta.remove("annotations");
            }
        }
    }
    v
}

/// The part of `live` that `shape` has fields for (what an apply of `shape` would compare).
pub(crate) fn project(live: &Value, shape: &Value) -> Value {
    match (live, shape) {
        (Value::Object(l), Value::Object(s)) => Value::Object(
            s.iter()
                .filter_map(|(k, sv)| l.get(k).map(|lv| (k.clone(), project(lv, sv))))
                .collect(),
        ),
        (Value::Array(l), Value::Array(s)) => Value::Array(
            l.iter()
                .enumerate()
                .map(|(i, lv)| s.get(i).map_or_else(|| lv.clone(), |sv| project(lv, sv)))
                .collect(),
        ),
        _ => live.clone(),
    }
}

/// A unified diff of two objects' YAML (server fields stripped, Secret values and the `secret`
/// fields masked).
pub(crate) fn diff(
    kind: &str,
    secret: &[FieldPattern],
    live: Option<&Value>,
    planned: Option<&Value>,
) -> String {
    diff_stripped(kind, secret, live.map(strip), planned.map(strip))
}

/// [`diff`] of objects stripped already.
fn diff_stripped(
    kind: &str,
    secret: &[FieldPattern],
    mut live: Option<Value>,
    mut planned: Option<Value>,
) -> String {
    if kind == "Secret" {
        let data = secrets::secret_data_patterns();
        secret_fields::mask_pair(live.as_mut(), planned.as_mut(), &data);
    } else {
        secret_fields::mask_pair(live.as_mut(), planned.as_mut(), secret);
    }
    let to_yaml = |v: &Option<Value>| match v {
        Some(v) => serde_saphyr::to_string(v).unwrap_or_else(|e| format!("# cannot render: {e}\n")),
        None => String::new(),
    };
    let (old, new) = (to_yaml(&live), to_yaml(&planned));
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("live", "planned")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::core::secret::Generate;
    use crate::api::core::service::ServicePort;
    use crate::prelude::*;
    use serde_json::json;

    const NS: &str = "kp-plan-fixture";

    /// The objects of `testdata/live.json`: that file is what the apiserver (v1.37) returned
    /// after `kubectl apply --server-side --field-manager=kubeprint` of their bodies (see
    /// `print_bodies`), with the Deployment's controller done (status written).
    fn shop(level: &str, image: &str) -> Bundle {
        let mut b = Bundle::new("shop");
        b.add(
            ConfigMap::builder()
                .name("settings")
                .entry("LOG_LEVEL", level)
                .entry("app.properties", "threads=4\ncache.size=128Mi\n")
                .build(),
        )
        .unwrap();
        b.add(
            Secret::builder()
                .name("db")
                .entry("user", "shop")
                .generated("password", Generate::alphanumeric())
                .build(),
        )
        .unwrap();
        b.add(
            Service::builder()
                .name("web")
                .selector([("app.kubernetes.io/name", "web")])
                .port(ServicePort::tcp("http", 80).target("http"))
                .build(),
        )
        .unwrap();
        b.add(
            Deployment::builder()
                .name("web")
                .replicas(2)
                .template(
                    PodTemplate::builder()
                        .selector_label("app.kubernetes.io/name", "web")
                        .security(PodSecurity::restricted().run_as_user(1000))
                        .container(
                            Container::builder()
                                .name("app")
                                .image(image)
                                .port(Port::tcp("http", 8080))
                                .env(EnvVar::value("CONFIG_NAME", "settings"))
                                .readiness(Probe::http_get("/ready", "http").period(2))
                                .resources(
                                    Resources::new()
                                        .requests(Cpu::millis(10), Memory::mib(16))
                                        .limit_memory(Memory::mib(64)),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .unwrap();
        b
    }

    fn fixture() -> LiveObjects {
        let list: Value = serde_json::from_str(include_str!("testdata/live.json")).unwrap();
        let mut live = LiveObjects::new();
        for item in list["items"].as_array().unwrap() {
            live.insert(item.clone()).unwrap();
        }
        live
    }

    /// Prints the apply bodies of `shop`, to record `testdata/live.json` again:
    /// `cargo test --lib print_bodies -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints the fixture's input"]
    fn print_bodies() {
        let b = shop("info", "gcr.io/kuar-demo/kuard-amd64:blue");
        let id = ApplySet::id_for(NS, b.name());
        let items = items::prepare(&b, &ResourceCache::default(), NS, &id).unwrap();
        for i in &items {
            println!("{}", i.body().unwrap());
        }
    }

    fn compute(b: &Bundle, live: &LiveObjects) -> Plan {
        Plan::compute(b, live, &PlanOptions::new(NS)).unwrap()
    }

    fn actions(plan: &Plan) -> Vec<(String, &'static str)> {
        plan.items
            .iter()
            .map(|i| {
                (
                    format!("{}/{}", i.object.kind, i.object.name),
                    i.action.word(),
                )
            })
            .collect()
    }

    #[test]
    fn the_applied_state_plans_unchanged() {
        // Server defaults, status, managedFields and the live generated password are no change.
        let plan = compute(
            &shop("info", "gcr.io/kuar-demo/kuard-amd64:blue"),
            &fixture(),
        );
        assert_eq!(
            actions(&plan),
            [
                ("Secret/db".to_owned(), "unchanged"),
                ("ConfigMap/settings".to_owned(), "unchanged"),
                ("Service/web".to_owned(), "unchanged"),
                ("Deployment/web".to_owned(), "unchanged"),
            ],
            "{plan}"
        );
        assert!(!plan.has_changes());
        assert!(plan.items.iter().all(|i| i.diff.is_empty()), "{plan}");
    }

    #[test]
    fn changes_plan_updates_with_diffs() {
        let plan = compute(
            &shop("debug", "gcr.io/kuar-demo/kuard-amd64:green"),
            &fixture(),
        );
        let settings = plan.item("ConfigMap", "settings").unwrap();
        assert_eq!(settings.action, Action::Update);
        assert!(
            settings.diff.starts_with("--- live\n+++ planned\n")
                && settings
                    .diff
                    .contains("-  LOG_LEVEL: info\n+  LOG_LEVEL: debug\n"),
            "{}",
            settings.diff
        );
        let web = plan.item("Deployment", "web").unwrap();
        assert_eq!(web.action, Action::Update);
        assert!(
            web.diff
                .contains("-        image: gcr.io/kuar-demo/kuard-amd64:blue")
                && web
                    .diff
                    .contains("+        image: gcr.io/kuar-demo/kuard-amd64:green"),
            "{}",
            web.diff
        );
        // Only the image changes: defaults the server wrote are on both sides.
        assert_eq!(
            web.diff
                .lines()
                .filter(|l| l.starts_with(['+', '-']))
                .count(),
            4
        );
        assert!(!web.diff.contains("status") && !web.diff.contains("managedFields"));
        assert_eq!(
            plan.item("Service", "web").unwrap().action,
            Action::Unchanged
        );
        assert_eq!(plan.item("Secret", "db").unwrap().action, Action::Unchanged);
    }

    #[test]
    fn new_objects_plan_creates() {
        let mut b = shop("info", "gcr.io/kuar-demo/kuard-amd64:blue");
        b.add(ConfigMap::builder().name("extra").entry("k", "v").build())
            .unwrap();
        let plan = compute(&b, &fixture());
        let extra = plan.item("ConfigMap", "extra").unwrap();
        assert_eq!(extra.action, Action::Create);
        assert!(
            extra.diff.contains("+  k: v") && !extra.diff.contains("\n-"),
            "{}",
            extra.diff
        );
        assert_eq!(plan.with_action("unchanged").len(), 4, "{plan}");
        // Nothing live: everything is created, Secret values masked.
        let plan = compute(&b, &LiveObjects::new());
        assert_eq!(plan.with_action("create").len(), 5, "{plan}");
        let db = plan.item("Secret", "db").unwrap();
        assert!(db.diff.contains("+  user: <redacted>"), "{}", db.diff);
        assert!(!db.diff.contains("c2hvcA=="), "{}", db.diff);
    }

    #[test]
    fn secret_values_are_masked_and_generated_ones_kept() {
        let live = fixture();
        let live_password = live
            .get("v1", "Secret", Some(NS), "db")
            .and_then(|s| s.pointer("/data/password"))
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();
        let mut b = Bundle::new("shop");
        let db = Secret::builder()
            .name("db")
            .entry("user", "another-user")
            .generated("password", Generate::alphanumeric())
            .build();
        b.add(db).unwrap();
        let plan = Plan::compute(&b, &live, &PlanOptions::new(NS).prune(false)).unwrap();
        let item = plan.item("Secret", "db").unwrap();
        assert_eq!(item.action, Action::Update);
        assert!(
            item.diff
                .contains("-  user: <redacted>\n+  user: <redacted (changed)>"),
            "{}",
            item.diff
        );
        // The generated password keeps its live value: not a changed line.
        assert!(!item.diff.contains("-  password"), "{}", item.diff);
        let everything = format!("{plan}{plan:?}{live:?}");
        for value in [
            live_password.as_str(),
            "YW5vdGhlci11c2Vy", // base64("another-user")
            "another-user",
            "c2hvcA==", // base64("shop"), the live user
        ] {
            assert!(!everything.contains(value), "{value} leaked: {everything}");
        }
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let mut b = shop("info", "gcr.io/kuar-demo/kuard-amd64:blue");
        let mut objects = b.objects_mut();
        let settings = objects
            .iter_mut()
            .find_map(|o| match o {
                Object::ConfigMap(c) => Some(c),
                _ => None,
            })
            .unwrap();
        settings.data.as_mut().unwrap().remove("app.properties");
        drop(objects);
        let plan = compute(&b, &fixture());
        let item = plan.item("ConfigMap", "settings").unwrap();
        assert_eq!(item.action, Action::Update, "{plan}");
        assert!(item.diff.contains("-  app.properties: |"), "{}", item.diff);
        assert!(!item.diff.contains("+  "), "{}", item.diff);
    }

    #[test]
    fn members_that_left_the_bundle_are_pruned_claims_kept() {
        let mut live = fixture();
        let id = ApplySet::id_for(NS, "shop");
        let member = |kind: &str, name: &str| {
            json!({"apiVersion": "v1", "kind": kind,
                   "metadata": {"name": name, "namespace": NS, "labels": {PART_OF_LABEL: id}}})
        };
        live.insert(member("ConfigMap", "old")).unwrap();
        live.insert(member("PersistentVolumeClaim", "data"))
            .unwrap();
        live.insert(json!({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "not-ours", "namespace": NS}}))
            .unwrap();
        let b = shop("info", "gcr.io/kuar-demo/kuard-amd64:blue");
        let plan = compute(&b, &live);
        assert_eq!(
            actions(&plan)[4..],
            [
                ("ConfigMap/old".to_owned(), "prune"),
                ("PersistentVolumeClaim/data".to_owned(), "keep"),
            ],
            "{plan}"
        );
        assert!(plan.item("ConfigMap", "not-ours").is_none());
        let all = Plan::compute(&b, &live, &PlanOptions::new(NS).delete_data(true)).unwrap();
        assert_eq!(all.with_action("prune").len(), 2, "{all}");
        let none = Plan::compute(&b, &live, &PlanOptions::new(NS).prune(false)).unwrap();
        assert_eq!(none.items.len(), 4, "{none}");
    }

    #[test]
    fn crds_that_left_the_bundle_are_kept_unless_deleting_crds() {
        let mut live = fixture();
        let id = ApplySet::id_for(NS, "shop");
        live.insert(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                           "metadata": {"name": "widgets.example.com", "labels": {PART_OF_LABEL: id}}}))
            .unwrap();
        live.insert(json!({"apiVersion": "example.com/v1", "kind": "Widget",
                           "metadata": {"name": "w", "namespace": NS, "labels": {PART_OF_LABEL: id}}}))
            .unwrap();
        let b = shop("info", "gcr.io/kuar-demo/kuard-amd64:blue");
        let plan = compute(&b, &live);
        assert_eq!(
            actions(&plan)[4..],
            [
                ("Widget/w".to_owned(), "prune"),
                (
                    "CustomResourceDefinition/widgets.example.com".to_owned(),
                    "keep"
                ),
            ],
            "{plan}"
        );
        let all = Plan::compute(&b, &live, &PlanOptions::new(NS).delete_crds(true)).unwrap();
        assert_eq!(all.with_action("prune").len(), 2, "{all}");
    }

    #[test]
    fn the_set_lives_with_the_bundle_and_keeps_generated_secrets_with_claims() {
        // The bundle's own namespace is the set's home, whatever namespace the options give.
        let mut b = Bundle::new("shop");
        b.set_namespace("shop-dev");
        b.add(crate::ConfigMap::builder().name("settings").build())
            .unwrap();
        let plan = Plan::compute(&b, &LiveObjects::new(), &PlanOptions::new("default")).unwrap();
        assert_eq!(plan.applyset, ApplySet::id_for("shop-dev", "shop"));
        assert_ne!(plan.applyset, ApplySet::id_for("default", "shop"));

        let id = ApplySet::id_for("shop-dev", "shop");
        let mut live = LiveObjects::new();
        let member = |kind: &str, name: &str, annotations: Value| {
            json!({"apiVersion": "v1", "kind": kind,
                   "metadata": {"name": name, "namespace": "shop-dev",
                                "labels": {PART_OF_LABEL: id}, "annotations": annotations}})
        };
        let generated = json!({crate::object::GENERATE_ONCE_ANNOTATION: "password"});
        live.insert(member("Secret", "db", generated.clone()))
            .unwrap();
        live.insert(member("Secret", "plain", json!({}))).unwrap();
        live.insert(member("PersistentVolumeClaim", "data", json!({})))
            .unwrap();
        let plan = Plan::compute(&b, &live, &PlanOptions::new("default")).unwrap();
        let action = |kind: &str, name: &str| {
            plan.item(kind, name)
                .map(|i| i.action.clone())
                .unwrap_or(Action::Unchanged)
        };
        assert!(
            matches!(action("Secret", "db"), Action::Keep { .. }),
            "{plan}"
        );
        assert_eq!(action("Secret", "plain"), Action::Prune, "{plan}");
        // Without claims, nothing guards the password.
        let mut no_data = LiveObjects::new();
        no_data.insert(member("Secret", "db", generated)).unwrap();
        let plan = Plan::compute(&b, &no_data, &PlanOptions::new("default")).unwrap();
        assert_eq!(plan.item("Secret", "db").unwrap().action, Action::Prune);
        // A member in a namespace the bundle has no objects in is kept.
        let mut elsewhere = LiveObjects::new();
        elsewhere
            .insert(json!({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "old", "namespace": "shop-other",
                                        "labels": {PART_OF_LABEL: id}}}))
            .unwrap();
        let plan = Plan::compute(&b, &elsewhere, &PlanOptions::new("default")).unwrap();
        assert!(
            matches!(&plan.item("ConfigMap", "old").unwrap().action,
                     Action::Keep { reason } if reason.contains("shop-other")),
            "{plan}"
        );
    }

    #[test]
    fn live_objects_are_keyed_by_group_kind_namespace_name() {
        let mut live = LiveObjects::new();
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "n"}});
        assert!(live.insert(d.clone()).unwrap().is_none());
        // Another version of the same group: the same object.
        let mut d2 = d.clone();
        d2["apiVersion"] = json!("apps/v1beta2");
        assert_eq!(live.insert(d2).unwrap(), Some(d));
        assert_eq!(live.len(), 1);
        assert!(live.get("apps/v1", "Deployment", Some("n"), "a").is_some());
        assert!(live.get("apps/v1", "Deployment", None, "a").is_none());
        let err = live
            .insert(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))
            .unwrap_err();
        assert!(err.to_string().contains("no metadata.name"), "{err}");
        live.insert(json!({"apiVersion": "v1", "kind": "Secret",
                           "metadata": {"name": "s", "namespace": "n"}, "data": {"k": "c2VjcmV0"}}))
            .unwrap();
        assert_eq!(
            format!("{live:?}"),
            "[\"Secret n/s\", \"Deployment.apps n/a\"]"
        );
    }

    #[test]
    fn strip_removes_server_fields_only() {
        let live = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "uid": "u", "resourceVersion": "7", "managedFields": [{}], "creationTimestamp": "t",
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}, "labels": {"a": "b"}},
            "data": {"k": "v"}, "status": {}
        });
        assert_eq!(
            strip(&live),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "b"}}, "data": {"k": "v"}})
        );
    }

    #[test]
    fn diff_shows_changes_and_ignores_server_fields() {
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "1"}, "data": {"k": "old"}});
        let new = json!({"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "2"}, "data": {"k": "new"}});
        let d = diff("ConfigMap", &[], Some(&live), Some(&new));
        assert!(d.contains("--- live") && d.contains("+++ planned"), "{d}");
        assert!(d.contains("-  k: old") && d.contains("+  k: new"), "{d}");
        assert!(!d.contains("resourceVersion"), "{d}");
        let same = json!({"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "9"}, "data": {"k": "old"}});
        assert_eq!(diff("ConfigMap", &[], Some(&live), Some(&same)), "");
    }

    #[test]
    fn secret_diff_masks_values_but_shows_changed_keys() {
        let live = json!({"kind": "Secret", "metadata": {"name": "s", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"c2VudGluZWw=\"}}"}},
            "data": {"password": "c2VudGluZWw=", "user": "YXBw"}});
        let new = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "bmV3LXNlbnRpbmVs", "user": "YXBw"}});
        let d = diff("Secret", &[], Some(&live), Some(&new));
        assert!(
            !d.contains("c2VudGluZWw") && !d.contains("bmV3") && !d.contains("YXBw"),
            "{d}"
        );
        assert!(
            d.contains("-  password: <redacted>")
                && d.contains("+  password: <redacted (changed)>"),
            "{d}"
        );
        assert!(
            !d.contains("-  user"),
            "unchanged keys are not changed lines: {d}"
        );
        let created = diff("Secret", &[], None, Some(&new));
        assert!(
            created.contains("+  password: <redacted>") && !created.contains("bmV3"),
            "{created}"
        );
    }

    #[test]
    fn custom_secret_fields_are_masked_in_diffs() {
        let secret = [FieldPattern::parse("spec.auth.*").unwrap()];
        let obj = |password: &str| {
            json!({"apiVersion": "example.com/v1", "kind": "Login", "metadata": {"name": "api"},
                "spec": {"replicas": 1, "auth": {"user": "app-user", "password": password}}})
        };
        let (live, new) = (obj("old-pass-1"), obj("new-pass-2"));
        let d = diff("Login", &secret, Some(&live), Some(&new));
        assert!(
            d.contains("-    password: <redacted>")
                && d.contains("+    password: <redacted (changed)>"),
            "{d}"
        );
        assert!(
            !d.contains("old-pass-1") && !d.contains("new-pass-2") && !d.contains("app-user"),
            "{d}"
        );
        assert_eq!(diff("Login", &secret, Some(&live), Some(&live)), "");
        // Unmarked, the same diff shows the values (the test can fail).
        assert!(diff("Login", &[], Some(&live), Some(&new)).contains("new-pass-2"));
        let created = diff("Login", &secret, None, Some(&new));
        assert!(
            created.contains("+    password: <redacted>") && !created.contains("new-pass-2"),
            "{created}"
        );
    }

    #[test]
    fn projection_keeps_only_planned_fields() {
        let live = json!({"spec": {"selector": {"matchLabels": {"app": "a"}}, "replicas": 1, "strategy": {}}, "status": {}});
        let shape = json!({"spec": {"selector": {"matchLabels": {"app": "b"}}}});
        assert_eq!(
            project(&live, &shape),
            json!({"spec": {"selector": {"matchLabels": {"app": "a"}}}})
        );
    }
}
