//! Whether a server-side apply changed an object, from its metadata before (listed before the
//! apply) and after (the apply's answer).
//!
//! Comparing resourceVersions is not enough: a controller writing `status` between the listing
//! and the apply gives the object a new resourceVersion although the apply changed nothing.
//! What the apply owns is compared instead:
//!
//! 1. the same resourceVersion: nothing was written — unchanged;
//! 2. the field manager's `Apply` entry in `managedFields` changed (its fields, or its time,
//!    which the apiserver renews exactly when an apply of that manager changes the object) —
//!    configured;
//! 3. the labels and annotations that entry owns changed — configured;
//! 4. objects whose spec `metadata.generation` tracks (workloads, Jobs, custom resources ...):
//!    configured exactly when the generation changed — anything else written meanwhile was
//!    status or other managers' metadata;
//! 5. other objects: the entry's time has a resolution of one second, so an apply changing the
//!    object within the second of the manager's previous change leaves it as it was. The new
//!    resourceVersion is then put down to another writer when another manager's entry changed
//!    (unchanged), and to this apply otherwise (configured).

use serde_json::{Map, Value};
use std::hash::{Hash, Hasher};

/// What the outcome of an apply is decided on: a few numbers per object, so that listing
/// thousands of members costs little memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) resource_version: String,
    generation: Option<i64>,
    /// The manager's `Apply` entry (time and fields); 0 without one.
    ours: u64,
    /// Every other `managedFields` entry.
    others: u64,
    /// The labels and annotations the manager's entry owns, with their values.
    owned_metadata: u64,
}

impl Fingerprint {
    /// The fingerprint of an object's `metadata` for field manager `manager`.
    pub(crate) fn of(meta: Option<&Value>, manager: &str) -> Fingerprint {
        let field = |k: &str| meta.and_then(|m| m.get(k));
        let mut ours = None;
        let mut others = hasher();
        for entry in field("managedFields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if is_apply_entry(entry, manager) {
                ours = Some(entry);
            } else {
                hash_value(entry, &mut others);
            }
        }
        let owned_metadata = {
            let mut h = hasher();
            if let Some(fields) = ours.and_then(|e| e.pointer("/fieldsV1/f:metadata")) {
                for section in ["labels", "annotations"] {
                    let values = field(section).and_then(Value::as_object);
                    let keys = fields
                        .get(format!("f:{section}"))
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(Map::keys)
                        .filter_map(|k| k.strip_prefix("f:"));
                    for key in keys {
                        section.hash(&mut h);
                        key.hash(&mut h);
                        hash_value(
                            values.and_then(|v| v.get(key)).unwrap_or(&Value::Null),
                            &mut h,
                        );
                    }
                }
            }
            h.finish()
        };
        Fingerprint {
            resource_version: field("resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            generation: field("generation").and_then(Value::as_i64),
            ours: ours.map_or(0, |e| {
                let mut h = hasher();
                hash_value(e.get("time").unwrap_or(&Value::Null), &mut h);
                hash_value(e.get("fieldsV1").unwrap_or(&Value::Null), &mut h);
                h.finish()
            }),
            others: others.finish(),
            owned_metadata,
        }
    }

    /// Whether the object changed from `self` (before the apply) to `after` by the apply: see
    /// the module documentation.
    pub(crate) fn changed_by_apply(&self, after: &Fingerprint) -> bool {
        if self.resource_version == after.resource_version {
            return false;
        }
        if self.ours != after.ours || self.owned_metadata != after.owned_metadata {
            return true;
        }
        match (self.generation, after.generation) {
            (Some(before), Some(now)) => before != now,
            _ => self.others == after.others,
        }
    }
}

/// Whether a `managedFields` entry is `manager`'s server-side apply of the main resource.
pub(crate) fn is_apply_entry(entry: &Value, manager: &str) -> bool {
    entry.get("manager").and_then(Value::as_str) == Some(manager)
        && entry.get("operation").and_then(Value::as_str) == Some("Apply")
        && entry
            .get("subresource")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
}

fn hasher() -> std::collections::hash_map::DefaultHasher {
    // Fixed keys: the same value hashes the same way before and after the apply.
    std::collections::hash_map::DefaultHasher::new()
}

/// Hashes a JSON value by content (object keys in map order, which is sorted).
fn hash_value(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => {
            2u8.hash(h);
            n.to_string().hash(h);
        }
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for x in a {
                hash_value(x, h);
            }
        }
        Value::Object(m) => {
            (5u8, m.len()).hash(h);
            for (k, x) in m {
                k.hash(h);
                hash_value(x, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(rv: &str, generation: Option<i64>, ours_time: &str, others_time: &str) -> Value {
        let mut m = json!({
            "resourceVersion": rv,
            "labels": {"app": "web", "team": "a"},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "managedFields": [
                {"manager": "kubeprint", "operation": "Apply", "time": ours_time,
                 "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:replicas": {}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                 "time": others_time, "fieldsV1": {"f:status": {"f:replicas": {}}}}
            ]
        });
        if let Some(g) = generation {
            m["generation"] = json!(g);
        }
        m
    }

    fn fp(m: &Value) -> Fingerprint {
        Fingerprint::of(Some(m), "kubeprint")
    }

    #[test]
    fn same_resource_version_is_unchanged() {
        let m = meta("5", Some(1), "t1", "t1");
        assert!(!fp(&m).changed_by_apply(&fp(&m)));
    }

    #[test]
    fn status_written_meanwhile_is_not_a_change() {
        // A controller wrote status between the listing and the apply: new resourceVersion,
        // the controller's entry renewed, ours and the generation as they were.
        let before = meta("5", Some(1), "t1", "t1");
        let after = meta("6", Some(1), "t1", "t2");
        assert!(!fp(&before).changed_by_apply(&fp(&after)));
        // Also for kinds without a generation (a PVC bound, a Service's load balancer).
        let before = meta("5", None, "t1", "t1");
        let after = meta("6", None, "t1", "t2");
        assert!(!fp(&before).changed_by_apply(&fp(&after)));
        // Annotations the apply does not own may change meanwhile too.
        let mut after = meta("6", Some(1), "t1", "t2");
        after["annotations"]["deployment.kubernetes.io/revision"] = json!("2");
        after["labels"]["team"] = json!("b");
        assert!(!fp(&meta("5", Some(1), "t1", "t1")).changed_by_apply(&fp(&after)));
    }

    #[test]
    fn our_entry_renewed_is_a_change() {
        let before = meta("5", Some(1), "t1", "t1");
        assert!(fp(&before).changed_by_apply(&fp(&meta("6", Some(1), "t2", "t1"))));
        assert!(fp(&before).changed_by_apply(&fp(&meta("6", Some(2), "t1", "t1"))));
        let mut fields_changed = meta("6", Some(1), "t1", "t1");
        fields_changed["managedFields"][0]["fieldsV1"]["f:spec"]["f:paused"] = json!({});
        assert!(fp(&before).changed_by_apply(&fp(&fields_changed)));
    }

    #[test]
    fn a_change_within_the_same_second() {
        // Our entry's time did not move (same second) but an owned label changed.
        let before = meta("5", Some(1), "t1", "t1");
        let mut after = meta("6", Some(1), "t1", "t1");
        after["labels"]["app"] = json!("api");
        assert!(fp(&before).changed_by_apply(&fp(&after)));
        // A spec change shows in the generation even when nothing else tells.
        assert!(fp(&before).changed_by_apply(&fp(&meta("6", Some(2), "t1", "t2"))));
        // Without a generation and without another writer, the new resourceVersion is ours.
        let before = meta("5", None, "t1", "t1");
        assert!(fp(&before).changed_by_apply(&fp(&meta("6", None, "t1", "t1"))));
    }

    #[test]
    fn other_managers_entries_of_the_same_name_are_not_ours() {
        let m = json!({"managedFields": [
            {"manager": "kubeprint", "operation": "Update", "time": "t1", "fieldsV1": {}},
            {"manager": "kubeprint", "operation": "Apply", "subresource": "status", "time": "t1", "fieldsV1": {}}
        ]});
        assert_eq!(fp(&m).ours, 0);
        assert!(is_apply_entry(
            &json!({"manager": "kubeprint", "operation": "Apply"}),
            "kubeprint"
        ));
    }
}
