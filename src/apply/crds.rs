//! CustomResourceDefinition upgrades, judged before anything is applied: a new CRD must keep
//! every version the live CRD's `status.storedVersions` lists (objects are stored in them;
//! the apiserver refuses to drop one, but only when the CRD itself is applied, after other
//! objects may have been), and keep serving them (clients and the bundle's own objects read and
//! write them).

use super::error::{Error, Result};
use super::items::Item;
use super::rest::Ctx;
use crate::object::Object;
use serde_json::Value;

/// What is wrong with replacing `live` by `new` (both as JSON); empty when nothing is.
pub(crate) fn upgrade_problems(live: &Value, new: &Value) -> Vec<String> {
    let stored: Vec<&str> = live
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let versions: Vec<&Value> = new
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut problems = Vec::new();
    for v in stored {
        match versions
            .iter()
            .find(|n| n.get("name").and_then(Value::as_str) == Some(v))
        {
            None => problems.push(format!(
                "spec.versions: removes version {v:?}, which status.storedVersions of the live \
                 CRD lists (objects are stored in it: migrate them and remove it from \
                 storedVersions first)"
            )),
            Some(n) if n.get("served").and_then(Value::as_bool) != Some(true) => {
                problems.push(format!(
                    "spec.versions: stops serving version {v:?}, in which live objects are \
                     stored (status.storedVersions)"
                ))
            }
            Some(_) => {}
        }
    }
    problems
}

/// Checks every CRD of the bundle against its live self; all problems at once.
pub(crate) async fn check_upgrades(ctx: &Ctx, items: &[Item<'_>]) -> Result<()> {
    let mut errors = Vec::new();
    for item in items {
        let Object::CustomResourceDefinition(crd) = item.object else {
            continue;
        };
        let Some(live) = ctx.get(&item.target).await? else {
            continue;
        };
        let new = serde_json::to_value(crd.as_ref()).map_err(|e| Error::Response {
            object: item.target.object.clone(),
            operation: "render",
            message: e.to_string(),
        })?;
        let problems = upgrade_problems(&live, &new);
        if !problems.is_empty() {
            errors.push(Error::Refused {
                object: item.target.object.clone(),
                message: problems.join("; "),
            });
        }
    }
    match Error::many(errors) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_versions_must_stay_and_be_served() {
        let live = json!({"status": {"storedVersions": ["v1alpha1", "v1"]}});
        let keep = json!({"spec": {"versions": [
            {"name": "v1alpha1", "served": true, "storage": false},
            {"name": "v1", "served": true, "storage": true}]}});
        assert!(upgrade_problems(&live, &keep).is_empty());
        let drop = json!({"spec": {"versions": [{"name": "v1", "served": true, "storage": true}]}});
        let p = upgrade_problems(&live, &drop);
        assert_eq!(p.len(), 1);
        assert!(p[0].contains(r#"removes version "v1alpha1""#), "{p:?}");
        let unserve = json!({"spec": {"versions": [
            {"name": "v1alpha1", "served": false, "storage": false},
            {"name": "v1", "served": true, "storage": true}]}});
        assert!(upgrade_problems(&live, &unserve)[0].contains("stops serving"));
        // A new CRD (no live status): nothing to keep.
        assert!(upgrade_problems(&json!({}), &drop).is_empty());
    }
}
