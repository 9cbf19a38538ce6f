//! What server-side apply would make of a live object, computed on the client: for plans made
//! without a server (see [`Plan::compute`](super::Plan::compute)).
//!
//! The apply body is merged into the live object — maps key by key, lists of objects by their
//! key field (`name`, `containerPort` + `protocol`, `mountPath` ...), other lists replaced —
//! and the fields the field manager applied before but the body no longer sets are removed,
//! unless another manager owns them too (read from the live object's `managedFields`). Empty
//! maps and lists the body sets where the live object has nothing are left out: the apiserver
//! drops those.
//!
//! The apiserver does more: it defaults new fields, normalises values (`1000m` → `1`) and runs
//! admission. A plan from this merge can therefore show a change where the server would see
//! none (a quantity written differently), never the reverse for fields the body sets.

use super::outcome::is_apply_entry;
use serde_json::{Map, Value};

/// `live` after a server-side apply of `body` by `manager`, starting from `base`: `live` or a
/// part of it (without `managedFields` and `status`, for comparing), whose fields are merged.
pub(crate) fn simulate_apply(live: &Value, base: Value, body: &Value, manager: &str) -> Value {
    let mut merged = base;
    overlay(&mut merged, body);
    let entries = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if let Some(owned) = entries
        .iter()
        .find(|e| is_apply_entry(e, manager))
        .and_then(fields_v1)
    {
        let others: Vec<&Map<String, Value>> = entries
            .iter()
            .filter(|e| !is_apply_entry(e, manager))
            .filter_map(fields_v1)
            .collect();
        release(&mut merged, body, owned, &others);
    }
    merged
}

fn fields_v1(entry: &Value) -> Option<&Map<String, Value>> {
    entry.get("fieldsV1").and_then(Value::as_object)
}

fn is_empty_container(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

/// Merges `src` (what is applied) into `dst`.
fn overlay(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, sv) in s {
                if sv.is_null() {
                    continue;
                }
                match d.get_mut(k) {
                    Some(dv) => overlay(dv, sv),
                    None if is_empty_container(sv) => {}
                    None => {
                        d.insert(k.clone(), sv.clone());
                    }
                }
            }
        }
        (Value::Array(d), Value::Array(s)) => merge_list(d, s),
        (dst, src) => *dst = src.clone(),
    }
}

/// The key fields of Kubernetes' associative lists, most specific first: a volume mount has a
/// `name` too, but its key is `mountPath`; a container port is keyed by port and protocol.
const LIST_KEYS: &[&[&str]] = &[
    &["mountPath"],
    &["devicePath"],
    &["containerPort", "protocol"],
    &["port", "protocol"],
    &["name"],
    &["ip"],
    &["conditionType"],
    &["topologyKey", "whenUnsatisfiable"],
    &["uid"],
    &["type"],
];

/// The key fields of a list of objects: the first set whose leading field every element has.
fn list_key(items: &[Value]) -> Option<&'static [&'static str]> {
    LIST_KEYS
        .iter()
        .copied()
        .find(|key| items.iter().all(|i| i.get(key[0]).is_some()))
}

/// Whether two values of key field `field` are equal; a missing `protocol` is the apiserver's
/// default, `TCP`.
fn key_field_eq(field: &str, a: Option<&Value>, b: Option<&Value>) -> bool {
    if field == "protocol" {
        a.and_then(Value::as_str).unwrap_or("TCP") == b.and_then(Value::as_str).unwrap_or("TCP")
    } else {
        a.is_some() && a == b
    }
}

fn same_key(a: &Value, b: &Value, key: &[&str]) -> bool {
    key.iter().all(|f| key_field_eq(f, a.get(f), b.get(f)))
}

fn merge_list(dst: &mut Vec<Value>, src: &[Value]) {
    if !src.is_empty() && src.iter().all(Value::is_object) {
        if let Some(key) = list_key(src) {
            // Associative: items merge with the live item of the same key, in the live order;
            // new items go at the end; live items the body lacks stay (see `release`).
            for s in src {
                match dst.iter_mut().find(|d| same_key(d, s, key)) {
                    Some(d) => overlay(d, s),
                    None => dst.push(s.clone()),
                }
            }
            return;
        }
        if dst.len() == src.len() {
            for (d, s) in dst.iter_mut().zip(src) {
                overlay(d, s);
            }
            return;
        }
    }
    *dst = src.to_vec();
}

/// Does a list item match a `k:{...}` key of `managedFields`?
fn matches_fields_key(item: &Value, key: &Map<String, Value>) -> bool {
    key.iter()
        .all(|(f, v)| key_field_eq(f, item.get(f), Some(v)))
}

/// Removes from `merged` what `owned` (the manager's previous apply, a `fieldsV1` tree) has and
/// `body` no longer sets, unless one of `others` (the other managers' trees at the same place)
/// owns it too.
fn release(
    merged: &mut Value,
    body: &Value,
    owned: &Map<String, Value>,
    others: &[&Map<String, Value>],
) {
    for (path, sub) in owned {
        let sub = sub.as_object();
        let here: Vec<&Map<String, Value>> = others
            .iter()
            .filter_map(|o| o.get(path).and_then(Value::as_object))
            .collect();
        if let Some(field) = path.strip_prefix("f:") {
            let Some(m) = merged.as_object_mut() else {
                continue;
            };
            match body.get(field).filter(|b| !b.is_null()) {
                Some(b) => {
                    if let (Some(sub), Some(mv)) = (sub, m.get_mut(field)) {
                        release(mv, b, sub, &here);
                    }
                }
                None if here.is_empty() => {
                    m.remove(field);
                }
                None => {}
            }
        } else if let Some(key) = path.strip_prefix("k:") {
            let (Ok(Value::Object(key)), Some(list)) =
                (serde_json::from_str::<Value>(key), merged.as_array_mut())
            else {
                continue;
            };
            let applied = body
                .as_array()
                .and_then(|b| b.iter().find(|i| matches_fields_key(i, &key)));
            match applied {
                Some(b) => {
                    if let (Some(sub), Some(item)) =
                        (sub, list.iter_mut().find(|i| matches_fields_key(i, &key)))
                    {
                        release(item, b, sub, &here);
                    }
                }
                None if here.is_empty() => list.retain(|i| !matches_fields_key(i, &key)),
                None => {}
            }
        } else if let Some(value) = path.strip_prefix("v:") {
            let (Ok(value), Some(list)) =
                (serde_json::from_str::<Value>(value), merged.as_array_mut())
            else {
                continue;
            };
            let applied = body.as_array().is_some_and(|b| b.contains(&value));
            if !applied && here.is_empty() {
                list.retain(|i| *i != value);
            }
        }
        // `.` (the node itself) and `i:<n>` (atomic lists) need nothing.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn managed(fields: Value) -> Value {
        json!([{"manager": "kubeprint", "operation": "Apply", "time": "t", "fieldsV1": fields}])
    }

    #[test]
    fn unchanged_body_leaves_live_as_it_is() {
        let live = json!({
            "metadata": {"name": "web", "uid": "u", "labels": {"app": "web"}},
            "spec": {"template": {"spec": {"containers": [{
                "name": "app", "image": "a:1", "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "volumeMounts": [{"name": "data", "mountPath": "/a"}, {"name": "data", "mountPath": "/b"}]
            }]}}}
        });
        let body = json!({
            "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
            "spec": {"template": {"spec": {"containers": [{
                "name": "app", "image": "a:1",
                "ports": [{"containerPort": 8080, "name": "http"}],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "volumeMounts": [{"name": "data", "mountPath": "/a"}, {"name": "data", "mountPath": "/b"}]
            }]}}}
        });
        assert_eq!(
            simulate_apply(&live, live.clone(), &body, "kubeprint"),
            live
        );
    }

    #[test]
    fn changes_merge_by_key() {
        let live = json!({"spec": {"containers": [
            {"name": "sidecar", "image": "s:1"},
            {"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}], "terminationMessagePath": "/dev/termination-log"}
        ]}});
        let body = json!({"spec": {"containers": [
            {"name": "app", "image": "a:2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
        ]}});
        assert_eq!(
            simulate_apply(&live, live.clone(), &body, "kubeprint"),
            json!({"spec": {"containers": [
                {"name": "sidecar", "image": "s:1"},
                {"name": "app", "image": "a:2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "terminationMessagePath": "/dev/termination-log"}
            ]}})
        );
    }

    #[test]
    fn fields_the_manager_no_longer_applies_are_removed() {
        let mut live = json!({"data": {"a": "1", "b": "2", "theirs": "3"},
            "spec": {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 81, "protocol": "TCP"}],
                     "finalizers": ["x", "y"]}});
        live["metadata"] = json!({"managedFields": managed(json!({
            "f:data": {".": {}, "f:a": {}, "f:b": {}, "f:theirs": {}},
            "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}},
                                   "k:{\"port\":81,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}},
                       "f:finalizers": {"v:\"x\"": {}, "v:\"y\"": {}}}
        }))});
        // Another manager shares `theirs`: it stays.
        live["metadata"]["managedFields"]
            .as_array_mut()
            .unwrap()
            .push(json!({"manager": "helm", "operation": "Update", "fieldsV1": {"f:data": {"f:theirs": {}}}}));
        let body =
            json!({"data": {"a": "1"}, "spec": {"ports": [{"port": 80}], "finalizers": ["x"]}});
        let planned = simulate_apply(&live, live.clone(), &body, "kubeprint");
        assert_eq!(planned["data"], json!({"a": "1", "theirs": "3"}));
        assert_eq!(
            planned["spec"]["ports"],
            json!([{"port": 80, "protocol": "TCP"}])
        );
        assert_eq!(planned["spec"]["finalizers"], json!(["x"]));
    }

    #[test]
    fn lists_without_keys_are_replaced() {
        let live =
            json!({"args": ["a", "b"], "tolerations": [{"key": "k", "effect": "NoSchedule"}]});
        let body = json!({"args": ["c"], "tolerations": [{"key": "k", "effect": "NoSchedule"}, {"key": "j"}]});
        assert_eq!(simulate_apply(&live, live.clone(), &body, "m"), body);
    }
}
