//! No-op re-apply without a request per object: when the live object (listed with the ApplySet's
//! members, never fetched one by one) proves that a server-side apply of the body would change
//! nothing, the apply of that object is skipped.
//!
//! The proof, for field manager `m` and the body `b` the apply would send:
//!
//! 1. the live object has exactly one `managedFields` entry of `m`, an `Apply` of the main
//!    resource (no subresource, no `Update` entry of the same name), in `FieldsV1`, with the
//!    `apiVersion` of `b` — and the live object is listed in that version;
//! 2. the fields of that entry are exactly the fields `b` sets: a field `m` owns that `b` no
//!    longer sets would be removed by the apply, a field `b` sets that `m` does not own would be
//!    taken over — either way the apply changes something;
//! 3. every value `b` sets equals the live value. The entry's shape tells how to compare: a leaf
//!    (`f:x: {}`) holding a map or list is atomic and compared whole; `k:{..}` entries are
//!    associative list items matched by their key (a missing `protocol` key field is the
//!    server's default `TCP`), `v:` entries set items; the items must also be in the live list
//!    in the body's order. Quantities of built-in kinds (resource limits and requests, capacity,
//!    quotas, `sizeLimit`) compare after the apiserver's canonicalisation (`1000m` is `1`,
//!    `1024Mi` is `1Gi`), only where that canonical form is computed exactly; other values
//!    compare as JSON (an int-or-string `8080` is not `"8080"`, `1` is not `1.0`). Fields the
//!    server defaulted are not in the entry, so not compared;
//! 4. what the apply relies on beyond the body is in the body too (the ApplySet `part-of` label
//!    is one of its labels); Secrets with generate-once keys are never skipped (their body
//!    depends on the live values).
//!
//! Anything unexpected (a `null` in the body, an `i:` entry, a list item matching two keys, a
//! value of another JSON type) fails the proof: a false "changed" costs one request, a false
//! "unchanged" would leave the cluster different from the bundle.

use super::applyset::Member;
use super::event::{Event, Outcome};
use super::items::Item;
use super::resources::Key;
use super::rest::Ctx;
use super::wait::WaitItem;
use super::{Applied, AppliedItem, Wait, needs_watch};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// What a member proven unchanged keeps from its listing.
#[derive(Clone, Debug)]
pub(crate) struct Proven {
    pub(crate) resource_version: String,
    /// The live object, when it is not ready and must be watched (only then: listing thousands
    /// of members must not keep thousands of objects).
    pub(crate) unready: Option<Value>,
}

/// Proves listed members unchanged against the bundle's items.
pub(crate) struct Prover<'a> {
    items: HashMap<Key, &'a Item<'a>>,
    manager: &'a str,
}

impl<'a> Prover<'a> {
    pub(crate) fn new(items: &'a [Item<'a>], manager: &'a str) -> Self {
        Prover {
            items: items
                .iter()
                // Generate-once Secrets take live values into their body: always applied.
                .filter(|i| i.generate_once.is_empty())
                .map(|i| (i.target.key(), i))
                .collect(),
            manager,
        }
    }

    /// The proof for the listed object `live` of key `key`; `None` when it fails (or the object
    /// is not one of the bundle's).
    pub(crate) fn prove(&self, key: &Key, live: &Value) -> Option<Proven> {
        let item = self.items.get(key)?;
        let body = item.body().ok()?;
        if !unchanged(&body, live, self.manager, is_builtin(&key.0.group)) {
            return None;
        }
        let resource_version = live
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)?
            .to_owned();
        Some(Proven {
            resource_version,
            unready: needs_watch(item, live).then(|| live.clone()),
        })
    }
}

/// The result of an item whose member was proven unchanged: no request, the events a skipped
/// object gets ([`Event::Skipped`], and [`Event::Ready`] when it is ready and the apply waits).
pub(crate) fn skip(
    ctx: &Ctx,
    item: &Item<'_>,
    live: &BTreeMap<Key, Member>,
    wait: Wait,
) -> Option<AppliedItem> {
    let proven = live.get(&item.target.key())?.proven.as_ref()?;
    let object = item.target.object.clone();
    tracing::debug!(%object, resource_version = %proven.resource_version, "unchanged: skipped");
    ctx.emit(Event::Skipped {
        object: object.clone(),
    });
    let watch = match (&proven.unready, wait) {
        (_, Wait::None) => None,
        (Some(live), _) => Some(WaitItem {
            target: item.target.clone(),
            applied: live.clone(),
            expects_no_endpoints: item.expects_no_endpoints,
        }),
        (None, _) => {
            ctx.emit(Event::Ready {
                object: object.clone(),
            });
            None
        }
    };
    Some((
        Applied {
            object,
            outcome: Outcome::Unchanged,
            resource_version: proven.resource_version.clone(),
            skipped: true,
        },
        watch,
    ))
}

/// Whether a group is Kubernetes' own (its quantities are canonicalised by the apiserver; a
/// custom resource's are plain strings).
fn is_builtin(group: &str) -> bool {
    group.is_empty() || !group.contains('.') || group.ends_with(".k8s.io")
}

/// Whether a server-side apply of `body` by `manager` would leave `live` as it is: see the
/// module documentation.
pub(crate) fn unchanged(body: &Value, live: &Value, manager: &str, builtin: bool) -> bool {
    let Some(api_version) = body.get("apiVersion").and_then(Value::as_str) else {
        return false;
    };
    if live.get("apiVersion").and_then(Value::as_str) != Some(api_version)
        || live.get("kind").is_none()
        || live.get("kind") != body.get("kind")
    {
        return false;
    }
    if live.pointer("/metadata/deletionTimestamp").is_some() {
        // Going away: let the server say what an apply does to it.
        return false;
    }
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return false;
    };
    let mut ours = entries
        .iter()
        .filter(|e| e.get("manager").and_then(Value::as_str) == Some(manager));
    let (Some(entry), None) = (ours.next(), ours.next()) else {
        return false;
    };
    let str_of = |k: &str| entry.get(k).and_then(Value::as_str);
    if str_of("operation") != Some("Apply")
        || entry
            .get("subresource")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
        || str_of("apiVersion") != Some(api_version)
        || str_of("fieldsType") != Some("FieldsV1")
    {
        return false;
    }
    let Some(owned) = entry.get("fieldsV1").and_then(Value::as_object) else {
        return false;
    };
    let Some(body) = body.as_object() else {
        return false;
    };
    // What the apiserver never records in managedFields: the type and the identity (checked by
    // the listing: the live object has this group-kind, namespace and name).
    let mut top = body.clone();
    top.remove("apiVersion");
    top.remove("kind");
    top.remove("status");
    if let Some(meta) = top.get_mut("metadata") {
        let Some(m) = meta.as_object_mut() else {
            return false;
        };
        let same = |k: &str| m.get(k) == live.pointer(&format!("/metadata/{k}"));
        if !same("name") || (m.contains_key("namespace") && !same("namespace")) {
            return false;
        }
        m.remove("name");
        m.remove("namespace");
        // Stripped by the server when applied; a body setting them is not understood here.
        for k in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "managedFields",
            "selfLink",
        ] {
            if m.contains_key(k) {
                return false;
            }
        }
        if m.is_empty() {
            top.remove("metadata");
        }
    }
    let cmp = Compare { builtin };
    cmp.granular(&top, Some(live), owned, false)
}

/// The fields under these map keys of built-in kinds hold quantities.
const QUANTITY_MAPS: &[&str] = &[
    "limits",
    "requests",
    "capacity",
    "hard",
    "allocatable",
    "overhead",
    "max",
    "min",
    "default",
    "defaultRequest",
    "maxLimitRequestRatio",
];

/// A `k:{..}` entry of `managedFields`: the key's fields and the entry's subtree.
type KeyedEntry<'a> = (Map<String, Value>, &'a Map<String, Value>);

#[derive(Clone, Copy)]
struct Compare {
    builtin: bool,
}

fn is_empty_container(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn absent_or_empty(v: Option<&Value>) -> bool {
    v.is_none_or(|v| v.is_null() || is_empty_container(v))
}

impl Compare {
    /// One node: `body` the value the apply sets, `live` the live value there, `owned` the
    /// manager's `fieldsV1` subtree for it; `quantity` when a scalar here is a quantity.
    fn node(
        self,
        body: &Value,
        live: Option<&Value>,
        owned: &Map<String, Value>,
        quantity: bool,
    ) -> bool {
        let leaf = owned.is_empty();
        match body {
            Value::Null => false,
            Value::Object(b) if b.is_empty() => leaf && absent_or_empty(live),
            Value::Array(a) if a.is_empty() => leaf && absent_or_empty(live),
            Value::Object(_) | Value::Array(_) if leaf => self.atomic(body, live, quantity),
            Value::Object(b) => self.granular(b, live, owned, quantity),
            Value::Array(a) => self.list(a, live, owned),
            scalar => leaf && self.scalar(scalar, live, quantity),
        }
    }

    /// A map whose fields are owned one by one.
    fn granular(
        self,
        body: &Map<String, Value>,
        live: Option<&Value>,
        owned: &Map<String, Value>,
        quantities: bool,
    ) -> bool {
        let Some(live) = live.and_then(Value::as_object) else {
            return false;
        };
        let mut seen = 0usize;
        for (path, _) in owned {
            match path.strip_prefix("f:") {
                Some(field) if body.contains_key(field) => seen += 1,
                // Owned, no longer set: the apply removes it.
                Some(_) => return false,
                None if path == "." => {}
                // `k:`, `v:`, `i:` in a map: not a shape the body can have.
                None => return false,
            }
        }
        if seen != body.len() {
            // A field set that the manager does not own (yet): the apply takes it over —
            // unless it is an empty map or list, which the apiserver may not record.
            for (k, v) in body {
                let empty_unowned = is_empty_container(v) && absent_or_empty(live.get(k));
                if !(owned.contains_key(&format!("f:{k}")) || empty_unowned) {
                    return false;
                }
            }
        }
        body.iter().all(|(k, v)| {
            let Some(sub) = owned.get(&format!("f:{k}")) else {
                // An empty container neither owned nor live (checked above).
                return true;
            };
            let Some(sub) = sub.as_object() else {
                return false;
            };
            let q = self.flag(quantities, k, v);
            match v {
                Value::Object(b) if !sub.is_empty() && !b.is_empty() => {
                    self.granular(b, live.get(k), sub, q)
                }
                _ => self.node(v, live.get(k), sub, q),
            }
        })
    }

    /// For the value `v` of key `k` in a map (whose scalar values are quantities when `qmap`):
    /// whether `v` is a quantity (a scalar) or holds quantities (a map).
    fn flag(self, qmap: bool, k: &str, v: &Value) -> bool {
        self.builtin
            && match v {
                Value::Object(_) => QUANTITY_MAPS.contains(&k),
                _ => qmap || k == "sizeLimit",
            }
    }

    /// A list whose items are owned one by one: associative (`k:`) or a set (`v:`).
    fn list(self, body: &[Value], live: Option<&Value>, owned: &Map<String, Value>) -> bool {
        let Some(live) = live.and_then(Value::as_array) else {
            return false;
        };
        let mut keys: Vec<KeyedEntry<'_>> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        for (path, sub) in owned {
            if path == "." {
                continue;
            }
            if let Some(k) = path.strip_prefix("k:") {
                let (Ok(Value::Object(key)), Some(sub)) =
                    (serde_json::from_str::<Value>(k), sub.as_object())
                else {
                    return false;
                };
                keys.push((key, sub));
            } else if let Some(v) = path.strip_prefix("v:") {
                let Ok(v) = serde_json::from_str::<Value>(v) else {
                    return false;
                };
                values.push(v);
            } else {
                return false;
            }
        }
        match (keys.is_empty(), values.is_empty()) {
            (false, true) => self.associative(body, live, &keys),
            (true, false) => set(body, live, &values),
            _ => false,
        }
    }

    fn associative(self, body: &[Value], live: &[Value], keys: &[KeyedEntry<'_>]) -> bool {
        if body.len() != keys.len() {
            return false;
        }
        let mut used = vec![false; keys.len()];
        let mut last_live: Option<usize> = None;
        for item in body {
            let Some(item_map) = item.as_object() else {
                return false;
            };
            let mut matching = keys
                .iter()
                .enumerate()
                .filter(|(_, (key, _))| key_matches(item_map, key));
            let (Some((i, (key, sub))), None) = (matching.next(), matching.next()) else {
                return false;
            };
            if std::mem::replace(&mut used[i], true) {
                return false;
            }
            // The live item of that key (the live list has the defaulted key fields).
            let mut found = live.iter().enumerate().filter(|(_, l)| {
                l.as_object()
                    .is_some_and(|l| key.iter().all(|(f, v)| l.get(f) == Some(v)))
            });
            let (Some((at, live_item)), None) = (found.next(), found.next()) else {
                return false;
            };
            if last_live.is_some_and(|prev| at <= prev) {
                return false;
            }
            last_live = Some(at);
            if !self.granular(item_map, Some(live_item), sub, false) {
                return false;
            }
        }
        true
    }

    /// Compared whole (atomic maps and lists).
    fn atomic(self, body: &Value, live: Option<&Value>, quantity: bool) -> bool {
        self.atomic_at(body, live, quantity, false)
    }

    /// [`Compare::atomic`]; `float` when a number here is a float field of a built-in kind.
    fn atomic_at(self, body: &Value, live: Option<&Value>, quantity: bool, float: bool) -> bool {
        let Some(live) = live else {
            return false;
        };
        match (body, live) {
            (Value::Object(b), Value::Object(l)) => {
                b.len() == l.len()
                    && b.iter().all(|(k, v)| {
                        let float = self.builtin && FLOAT_FIELDS.contains(&k.as_str());
                        self.atomic_at(v, l.get(k), self.flag(quantity, k, v), float)
                    })
            }
            (Value::Array(b), Value::Array(l)) => {
                b.len() == l.len() && b.iter().zip(l).all(|(b, l)| self.atomic(b, Some(l), false))
            }
            (Value::Null, _) | (Value::Object(_) | Value::Array(_), _) => false,
            (Value::Number(b), Value::Number(l)) if float => same_number(b, l),
            (scalar, _) => self.scalar(scalar, Some(live), quantity),
        }
    }

    fn scalar(self, body: &Value, live: Option<&Value>, quantity: bool) -> bool {
        let Some(live) = live else {
            return false;
        };
        if body == live {
            return true;
        }
        match (body, live) {
            (Value::String(b), Value::String(l)) if quantity => {
                canonical_quantity(b).is_some_and(|c| c == *l)
            }
            // A custom resource's numbers are JSON numbers (an integral float is an integer
            // to its schema): `1.0` sent comes back `1`.
            (Value::Number(b), Value::Number(l)) if !self.builtin => same_number(b, l),
            _ => false,
        }
    }
}

/// The float fields of built-in kinds (`float64` in Go): k8s-openapi writes them `1.0`, the
/// apiserver gives them back `1`. Only CRD schemas (`JSONSchemaProps`) have them. An integer
/// field of a built-in kind sent as `2.0` is refused by the apiserver, so it must not compare
/// equal to `2`.
const FLOAT_FIELDS: &[&str] = &["minimum", "maximum", "multipleOf"];

/// Whether two JSON numbers have the same value (`1.0` and `1`); integers beyond 2^53, which
/// a float cannot tell apart, only as integers (then they are not equal, or `==` said so).
fn same_number(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    const EXACT: u64 = 1 << 53;
    let exact = |n: &serde_json::Number| {
        n.is_f64()
            || n.as_i64().is_some_and(|i| i.unsigned_abs() <= EXACT)
            || n.as_u64().is_some_and(|u| u <= EXACT)
    };
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y && exact(a) && exact(b),
        _ => false,
    }
}

/// Whether a body list item has the key of a `k:{..}` entry (a missing `protocol` is `TCP`, the
/// apiserver's default for the key fields of ports).
fn key_matches(item: &Map<String, Value>, key: &Map<String, Value>) -> bool {
    key.iter().all(|(f, v)| match item.get(f) {
        Some(b) => b == v,
        None => f == "protocol" && v.as_str() == Some("TCP"),
    })
}

/// A list of scalars owned item by item: the same values, each in the live list, in order.
fn set(body: &[Value], live: &[Value], owned: &[Value]) -> bool {
    if body.len() != owned.len()
        || !body.iter().all(|b| owned.contains(b))
        || !owned.iter().all(|o| body.contains(o))
    {
        return false;
    }
    let mut from = 0usize;
    for b in body {
        if b.is_object() || b.is_array() || b.is_null() {
            return false;
        }
        match live[from.min(live.len())..].iter().position(|l| l == b) {
            Some(p) => from += p + 1,
            None => return false,
        }
    }
    true
}

/// The form the apiserver stores a quantity in (`resource.Quantity`'s canonical string), for
/// the plain forms only: decimal numbers with a decimal (`m`, `k`, `M` ...) or binary (`Ki`,
/// `Mi` ...) suffix or none, exact to the milli-unit. `None` for anything else (exponents,
/// signs, finer precision, binary fractions, values beyond 64 bits), which then compares as
/// written.
pub(crate) fn canonical_quantity(s: &str) -> Option<String> {
    const BINARY: [(&str, u32); 6] = [
        ("Ki", 1),
        ("Mi", 2),
        ("Gi", 3),
        ("Ti", 4),
        ("Pi", 5),
        ("Ei", 6),
    ];
    const DECIMAL: [(&str, i32); 9] = [
        ("n", -9),
        ("u", -6),
        ("m", -3),
        ("k", 3),
        ("M", 6),
        ("G", 9),
        ("T", 12),
        ("P", 15),
        ("E", 18),
    ];
    let (number, exp10, pow1024) = if let Some((n, p)) = BINARY
        .iter()
        .find_map(|(suf, p)| s.strip_suffix(suf).map(|n| (n, *p)))
    {
        (n, 0i32, p)
    } else if let Some((n, e)) = DECIMAL
        .iter()
        .find_map(|(suf, e)| s.strip_suffix(suf).map(|n| (n, *e)))
    {
        (n, e, 0)
    } else {
        (s, 0, 0)
    };
    let (int, frac) = match number.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (number, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 30
    {
        return None;
    }
    let mut mantissa: i128 = format!("{int}{frac}").parse().ok()?;
    let mut exp = exp10 - i32::try_from(frac.len()).ok()?;
    if mantissa == 0 {
        return Some("0".into());
    }
    if pow1024 > 0 {
        // Binary: an integer number of units, else the apiserver switches to decimal.
        mantissa = mantissa.checked_mul(1i128 << (10 * pow1024))?;
        while exp < 0 {
            if mantissa % 10 != 0 {
                return None;
            }
            mantissa /= 10;
            exp += 1;
        }
        let value = i64::try_from(mantissa).ok()?;
        if value >= 1024 {
            let (mut v, mut p) = (value, 0usize);
            while v % 1024 == 0 && p < BINARY.len() {
                v /= 1024;
                p += 1;
            }
            let suffix = if p == 0 { "" } else { BINARY[p - 1].0 };
            return Some(format!("{v}{suffix}"));
        }
        // Below 1024: decimal, as the apiserver prints it.
        mantissa = i128::from(value);
        exp = 0;
    }
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exp += 1;
    }
    if exp < -3 {
        // Finer than a milli-unit: the apiserver rounds resource lists up to milli-units (and
        // any quantity to nano-units).
        return None;
    }
    // The exponent down to a multiple of three.
    let r = exp.rem_euclid(3);
    mantissa = mantissa.checked_mul(10i128.pow(u32::try_from(r).ok()?))?;
    exp -= r;
    let mantissa = i64::try_from(mantissa).ok()?;
    let suffix = match exp {
        0 => "",
        e => DECIMAL.iter().find(|(_, x)| *x == e)?.0,
    };
    Some(format!("{mantissa}{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(fields: Value) -> Value {
        json!({"manager": "kubeprint", "operation": "Apply", "apiVersion": "apps/v1",
               "fieldsType": "FieldsV1", "time": "2026-01-01T00:00:00Z", "fieldsV1": fields})
    }

    fn deployment_body() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "demo",
                         "labels": {"app": "web", "applyset.kubernetes.io/part-of": "set"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "app", "image": "a:1", "args": ["--x"],
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}
                    }]}
                }
            }
        })
    }

    fn deployment_fields() -> Value {
        json!({
            "f:metadata": {"f:labels": {"f:app": {}, "f:applyset.kubernetes.io/part-of": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                        ".": {}, "f:name": {}, "f:image": {}, "f:args": {},
                        "f:ports": {"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {
                            ".": {}, "f:containerPort": {}, "f:name": {}}},
                        "f:resources": {"f:limits": {"f:cpu": {}, "f:memory": {}}}
                    }}}
                }
            }
        })
    }

    /// What the apiserver makes of the body: defaults, canonical quantities, status, other
    /// managers.
    fn deployment_live() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "demo", "uid": "u", "resourceVersion": "7",
                         "generation": 1,
                         "labels": {"app": "web", "applyset.kubernetes.io/part-of": "set"},
                         "annotations": {"deployment.kubernetes.io/revision": "1"},
                         "managedFields": [
                             entry(deployment_fields()),
                             {"manager": "kube-controller-manager", "operation": "Update",
                              "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                              "fieldsV1": {"f:metadata": {"f:annotations": {".": {},
                                  "f:deployment.kubernetes.io/revision": {}}}}}
                         ]},
            "spec": {
                "replicas": 2, "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "app", "image": "a:1", "args": ["--x"],
                        "imagePullPolicy": "IfNotPresent",
                        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}
                    }], "restartPolicy": "Always"}
                }
            },
            "status": {"observedGeneration": 1}
        })
    }

    fn proves(body: &Value, live: &Value) -> bool {
        unchanged(body, live, "kubeprint", true)
    }

    /// A CRD's schema bounds are floats (k8s-openapi writes `1.0`, the apiserver gives back
    /// `1`); a custom resource's numbers compare by value; integers of built-in kinds do not.
    #[test]
    fn numbers_compare_by_value_where_the_apiserver_rewrites_them() {
        let fields = json!({"f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:group": {}, "f:versions": {}, "f:size": {}}});
        let object = |api_version: &str, minimum: Value, size: Value| {
            json!({"apiVersion": api_version, "kind": "Thing",
                "metadata": {"name": "t", "labels": {"app": "a"}, "managedFields": [{
                    "manager": "kubeprint", "operation": "Apply", "apiVersion": api_version,
                    "fieldsType": "FieldsV1", "fieldsV1": fields}]},
                "spec": {"group": "g", "size": size,
                    "versions": [{"name": "v1", "schema": {"minimum": minimum}}]}})
        };
        // The body: the same without managedFields.
        let body = |api_version: &str, minimum: Value, size: Value| {
            let mut b = object(api_version, minimum, size);
            b["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("managedFields");
            b
        };
        let builtin = "apiextensions.k8s.io/v1";
        let live = object(builtin, json!(1), json!(3));
        assert!(proves(&body(builtin, json!(1), json!(3)), &live));
        assert!(proves(&body(builtin, json!(1.0), json!(3)), &live));
        assert!(!proves(&body(builtin, json!(1.5), json!(3)), &live));
        // `size` is no float field: 3.0 for an integer of a built-in kind is refused, not equal.
        assert!(!proves(&body(builtin, json!(1.0), json!(3.0)), &live));
        let custom = "example.com/v1";
        let live = object(custom, json!(1), json!(3));
        let custom_proves = |b: &Value| unchanged(b, &live, "kubeprint", false);
        assert!(custom_proves(&body(custom, json!(1.0), json!(3.0))));
        assert!(!custom_proves(&body(custom, json!(1.0), json!(3.5))));
        // Beyond 2^53 floats cannot tell integers apart.
        let big = 9_007_199_254_740_993_u64; // 2^53 + 1
        let live = object(custom, json!(1), json!(big));
        let float_of_big = serde_json::Number::from_f64(big as f64)
            .map(Value::Number)
            .unwrap();
        assert!(!unchanged(
            &body(custom, json!(1), float_of_big),
            &live,
            "kubeprint",
            false
        ));
    }

    #[test]
    fn the_same_object_is_unchanged() {
        assert!(proves(&deployment_body(), &deployment_live()));
    }

    #[test]
    fn every_changed_value_fails_the_proof() {
        let live = deployment_live();
        for (pointer, value) in [
            ("/spec/replicas", json!(3)),
            ("/spec/template/spec/containers/0/image", json!("a:2")),
            ("/spec/template/spec/containers/0/args", json!(["--y"])),
            (
                "/spec/template/spec/containers/0/args",
                json!(["--x", "--y"]),
            ),
            ("/spec/selector/matchLabels/app", json!("api")),
            ("/metadata/labels/app", json!("api")),
            (
                "/spec/template/spec/containers/0/ports/0/name",
                json!("web"),
            ),
            (
                "/spec/template/spec/containers/0/resources/limits/cpu",
                json!("2"),
            ),
            (
                "/spec/template/spec/containers/0/resources/limits/memory",
                json!("1Gi "),
            ),
            ("/spec/replicas", json!("2")),
            ("/spec/replicas", json!(2.0)),
        ] {
            let mut body = deployment_body();
            *body.pointer_mut(pointer).unwrap() = value.clone();
            assert!(!proves(&body, &live), "{pointer} = {value}");
        }
    }

    #[test]
    fn changed_live_values_fail_the_proof() {
        for (pointer, value) in [
            ("/spec/replicas", json!(1)),
            (
                "/spec/template/spec/containers/0/resources/limits/cpu",
                json!("1500m"),
            ),
            ("/spec/selector/matchLabels/extra", json!("x")),
            (
                "/metadata/labels/applyset.kubernetes.io~1part-of",
                json!("other"),
            ),
        ] {
            let mut live = deployment_live();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            live.pointer_mut(parent).unwrap()[key.replace("~1", "/")] = value.clone();
            assert!(!proves(&deployment_body(), &live), "{pointer} = {value}");
        }
        let mut gone = deployment_live();
        gone["metadata"]["labels"]
            .as_object_mut()
            .unwrap()
            .remove("app");
        assert!(!proves(&deployment_body(), &gone));
    }

    #[test]
    fn a_field_no_longer_set_or_not_owned_fails_the_proof() {
        let live = deployment_live();
        let mut body = deployment_body();
        body["spec"].as_object_mut().unwrap().remove("replicas");
        assert!(!proves(&body, &live), "owned, no longer set");
        let mut body = deployment_body();
        body["spec"]["revisionHistoryLimit"] = json!(10);
        assert!(!proves(&body, &live), "set, equal, but not owned");
        let mut body = deployment_body();
        body["spec"]["template"]["spec"]["containers"][0]["ports"]
            .as_array_mut()
            .unwrap()
            .clear();
        assert!(!proves(&body, &live), "list item no longer set");
    }

    #[test]
    fn the_entry_must_be_ours_and_alone() {
        let body = deployment_body();
        let mut deleting = deployment_live();
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert!(!proves(&body, &deleting));
        let mut stripped = deployment_live();
        stripped["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("managedFields");
        assert!(!proves(&body, &stripped));
        for (k, v) in [
            ("operation", json!("Update")),
            ("apiVersion", json!("apps/v1beta1")),
            ("subresource", json!("status")),
            ("manager", json!("kubectl")),
        ] {
            let mut live = deployment_live();
            live["metadata"]["managedFields"][0][k] = v.clone();
            assert!(!proves(&body, &live), "{k} = {v}");
        }
        let mut twice = deployment_live();
        let second = json!({"manager": "kubeprint", "operation": "Update", "apiVersion": "apps/v1",
                            "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:paused": {}}}});
        twice["metadata"]["managedFields"]
            .as_array_mut()
            .unwrap()
            .push(second);
        assert!(!proves(&body, &twice));
        assert!(!unchanged(&body, &deployment_live(), "other", true));
    }

    #[test]
    fn lists_compare_by_key_and_order() {
        let mut body = deployment_body();
        let mut live = deployment_live();
        let mut fields = deployment_fields();
        let c = &mut body["spec"]["template"]["spec"]["containers"];
        c.as_array_mut()
            .unwrap()
            .push(json!({"name": "side", "image": "s:1"}));
        let lc = &mut live["spec"]["template"]["spec"]["containers"];
        lc.as_array_mut()
            .unwrap()
            .push(json!({"name": "side", "image": "s:1", "imagePullPolicy": "IfNotPresent"}));
        fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"side\"}"] =
            json!({".": {}, "f:name": {}, "f:image": {}});
        live["metadata"]["managedFields"][0]["fieldsV1"] = fields;
        assert!(proves(&body, &live));
        // The live list in another order: the apply would reorder it.
        let mut swapped = live.clone();
        swapped["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .swap(0, 1);
        assert!(!proves(&body, &swapped));
        // The same item twice in the body.
        let mut twice = body.clone();
        twice["spec"]["template"]["spec"]["containers"][1]["name"] = json!("app");
        assert!(!proves(&twice, &live));
    }

    #[test]
    fn sets_and_empty_containers() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "resourceVersion": "1",
                         "finalizers": ["a", "x", "b"],
                         "managedFields": [{"manager": "kubeprint", "operation": "Apply",
                             "apiVersion": "v1", "fieldsType": "FieldsV1",
                             "fieldsV1": {"f:data": {"f:k": {}},
                                          "f:metadata": {"f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}}}}]},
            "data": {"k": "v"}});
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "finalizers": ["a", "b"], "annotations": {}},
            "data": {"k": "v"}});
        assert!(unchanged(&body, &live, "kubeprint", true));
        let mut other_order = body.clone();
        other_order["metadata"]["finalizers"] = json!(["b", "a"]);
        assert!(!unchanged(&other_order, &live, "kubeprint", true));
        let mut more = body.clone();
        more["metadata"]["finalizers"] = json!(["a", "b", "c"]);
        assert!(!unchanged(&more, &live, "kubeprint", true));
        // An empty map the body sets where the live object has values: not unchanged.
        let mut live_annotated = live.clone();
        live_annotated["metadata"]["annotations"] = json!({"x": "y"});
        assert!(!unchanged(&body, &live_annotated, "kubeprint", true));
        // A null in the body is not understood.
        let mut null = body.clone();
        null["data"]["k"] = Value::Null;
        assert!(!unchanged(&null, &live, "kubeprint", true));
    }

    #[test]
    fn quantities_compare_canonically_only_for_builtin_kinds() {
        let body = deployment_body();
        let live = deployment_live();
        assert!(unchanged(&body, &live, "kubeprint", true));
        assert!(
            !unchanged(&body, &live, "kubeprint", false),
            "custom resources compare as written"
        );
    }

    #[test]
    fn canonical_quantities() {
        for (input, canonical) in [
            ("0", Some("0")),
            ("0m", Some("0")),
            ("1", Some("1")),
            ("1000m", Some("1")),
            ("1500m", Some("1500m")),
            ("0.5", Some("500m")),
            ("1.5", Some("1500m")),
            ("100m", Some("100m")),
            ("1000", Some("1k")),
            ("1500", Some("1500")),
            ("1000000", Some("1M")),
            ("0.1", Some("100m")),
            ("2k", Some("2k")),
            ("1n", None),
            ("0.0001", None),
            ("0.001", Some("1m")),
            ("1024Mi", Some("1Gi")),
            ("1536Mi", Some("1536Mi")),
            ("1.5Gi", Some("1536Mi")),
            ("1Ki", Some("1Ki")),
            ("512", Some("512")),
            ("0.5Ki", Some("512")),
            ("128974848", Some("128974848")),
            ("129M", Some("129M")),
            ("1e3", None),
            ("-1", None),
            ("1.", None),
            (".5", None),
            ("+1", None),
            ("0.0000000001", None),
            ("0.1Ki", None),
            ("", None),
            ("1 ", None),
            ("abc", None),
        ] {
            assert_eq!(canonical_quantity(input).as_deref(), canonical, "{input:?}");
        }
    }
}
