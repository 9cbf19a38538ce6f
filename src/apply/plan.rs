//! Plans: what an apply would do to each object, from a server-side dry-run, with a readable
//! diff that leaves out what the server manages and never shows a secret value.

use super::error::{FieldConflict, FieldError};
use super::secrets::mask_secret;
use crate::error::ObjectRef;
use serde_json::Value;
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

/// The object without server-managed fields.
pub(crate) fn strip(v: &Value) -> Value {
    let mut v = v.clone();
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

/// A unified diff of two objects' YAML (server fields stripped, Secret values masked).
pub(crate) fn diff(kind: &str, live: Option<&Value>, planned: Option<&Value>) -> String {
    let mut live = live.map(strip);
    let mut planned = planned.map(strip);
    if kind == "Secret" {
        let live_raw = live.clone();
        if let Some(l) = live.as_mut() {
            mask_secret(l, None);
        }
        if let Some(p) = planned.as_mut() {
            // Without a live Secret there is nothing to compare values with.
            match &live_raw {
                Some(raw) => mask_secret(p, Some(raw)),
                None => mask_secret(p, None),
            }
        }
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
    use serde_json::json;

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
        let d = diff("ConfigMap", Some(&live), Some(&new));
        assert!(d.contains("--- live") && d.contains("+++ planned"), "{d}");
        assert!(d.contains("-  k: old") && d.contains("+  k: new"), "{d}");
        assert!(!d.contains("resourceVersion"), "{d}");
        let same = json!({"kind": "ConfigMap", "metadata": {"name": "c", "resourceVersion": "9"}, "data": {"k": "old"}});
        assert_eq!(diff("ConfigMap", Some(&live), Some(&same)), "");
    }

    #[test]
    fn secret_diff_masks_values_but_shows_changed_keys() {
        let live = json!({"kind": "Secret", "metadata": {"name": "s", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"c2VudGluZWw=\"}}"}},
            "data": {"password": "c2VudGluZWw=", "user": "YXBw"}});
        let new = json!({"kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "bmV3LXNlbnRpbmVs", "user": "YXBw"}});
        let d = diff("Secret", Some(&live), Some(&new));
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
        let created = diff("Secret", None, Some(&new));
        assert!(
            created.contains("+  password: <redacted>") && !created.contains("bmV3"),
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
