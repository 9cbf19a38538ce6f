//! CustomResourceDefinition upgrades, judged before anything is applied: a new CRD must keep
//! every version the live CRD's `status.storedVersions` lists (objects are stored in them;
//! the apiserver refuses to drop one, but only when the CRD itself is applied, after other
//! objects may have been), and keep serving them (clients and the bundle's own objects read and
//! write them). The objects of its kind already in the cluster must pass its new schema: the
//! apiserver accepts a tightened schema and leaves them behind, and the next update of each one
//! (its controller's status write, a user's edit) fails. A planned tightening whose migration
//! follows opts out with the annotation [`EXISTING_OBJECTS_ANNOTATION`]` = "unchecked"` on the
//! CRD.

use super::error::{Error, Result};
use super::items::Item;
use super::rest::Ctx;
use crate::object::Object;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

/// The annotation on a CustomResourceDefinition that skips checking the objects of its kind in
/// the cluster against its new schema (value `unchecked`).
pub const EXISTING_OBJECTS_ANNOTATION: &str = "kubeprint.dev/existing-objects";

/// How many offending objects an error names (it counts all of them).
const NAMED: usize = 5;

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
        let mut problems = upgrade_problems(&live, &new);
        if problems.is_empty() && !skips_existing_objects(crd) {
            problems.extend(invalidated_objects(ctx, item, crd, &live).await?);
        }
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

fn skips_existing_objects(crd: &CustomResourceDefinition) -> bool {
    crd.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(EXISTING_OBJECTS_ANNOTATION))
        .is_some_and(|v| v == "unchecked")
}

/// The version to read the live objects in: the new storage version if the live CRD serves it,
/// else any version both serve (the apiserver converts between them).
fn version_to_read<'a>(live: &Value, crd: &'a CustomResourceDefinition) -> Option<&'a str> {
    let live_served: Vec<&str> = live
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    let mut versions: Vec<_> = crd.spec.versions.iter().filter(|v| v.served).collect();
    versions.sort_by_key(|v| !v.storage);
    versions
        .into_iter()
        .map(|v| v.name.as_str())
        .find(|v| live_served.contains(v))
}

/// The live objects of `crd`'s kind that its new schema refuses, as one problem (none when all
/// pass). Read page by page; each object is judged and dropped.
async fn invalidated_objects(
    ctx: &Ctx,
    item: &Item<'_>,
    crd: &CustomResourceDefinition,
    live: &Value,
) -> Result<Option<String>> {
    let Some(version) = version_to_read(live, crd) else {
        return Ok(None);
    };
    let path = format!(
        "/apis/{}/{version}/{}",
        crd.spec.group, crd.spec.names.plural
    );
    let request = kube::core::Request::new(path);
    let kind = crd.spec.names.kind.to_lowercase();
    let mut refused = 0usize;
    let named = ctx
        .list_with(&item.target.object, request, None, false, |object| {
            let violations = crate::check::crd_schema::validate_custom_object(crd, &object);
            let first = violations.first()?;
            refused += 1;
            let name = object.pointer("/metadata/name").and_then(Value::as_str)?;
            let at = object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(|ns| format!(" in {ns}"))
                .unwrap_or_default();
            Some(format!(
                "{kind} {name:?}{at}: {}: {}",
                first.path, first.message
            ))
        })
        .await?;
    if named.is_empty() {
        return Ok(None);
    }
    let shown: Vec<&str> = named.iter().take(NAMED).map(String::as_str).collect();
    Ok(Some(format!(
        "spec.versions: {refused} object(s) of this kind in the cluster do not pass the new \
         schema (read as {version}): {}{}; their next update would fail. Fix them first, or \
         annotate the CRD {EXISTING_OBJECTS_ANNOTATION}: unchecked for a planned migration",
        shown.join("; "),
        if refused > NAMED { "; ..." } else { "" }
    )))
}

/// The versions of `crd` (applied, as JSON) that must be reachable before objects of its kind
/// are applied: the served ones, as `/apis/{group}/{version}/{plural}`.
pub(crate) fn served_paths(crd: &Value) -> Vec<String> {
    let group = crd.pointer("/spec/group").and_then(Value::as_str);
    let plural = crd.pointer("/spec/names/plural").and_then(Value::as_str);
    let (Some(group), Some(plural)) = (group, plural) else {
        return Vec::new();
    };
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .map(|v| format!("/apis/{group}/{v}/{plural}"))
        .collect()
}

/// Waits until the apiserver serves every served version of the applied CRDs. `Established`
/// says a CRD's kind is served, but once it is true a version added by an update is not: the
/// apiserver's handler learns of the update a moment later and answers 404 until then, so
/// objects of the new version would be refused. Each path is listed (`limit=1`) until it answers.
pub(crate) async fn await_served(
    ctx: &Ctx,
    crds: &[(crate::error::ObjectRef, Value)],
    timeout: std::time::Duration,
) -> Result<()> {
    let started = std::time::Instant::now();
    for (object, crd) in crds {
        for path in served_paths(crd) {
            let mut delay = std::time::Duration::from_millis(50);
            loop {
                let request = kube::core::Request::new(path.clone())
                    .list(&kube::api::ListParams::default().limit(1))
                    .map_err(|e| super::rest::build_error(object, "list", e))?;
                let answer = ctx.send(object, "list", request).await?;
                if answer.ok() {
                    break;
                }
                if answer.code != 404 {
                    return Err(ctx.api_error(object, "list", &answer));
                }
                let elapsed = started.elapsed();
                if elapsed >= timeout {
                    return Err(Error::NotReady {
                        timed_out: true,
                        elapsed,
                        objects: vec![super::error::NotReady {
                            object: object.clone(),
                            failed: false,
                            state: format!("{path} is not served yet (404)"),
                            conditions: Vec::new(),
                            pods: Vec::new(),
                        }],
                    });
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(1));
            }
        }
    }
    Ok(())
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

    #[test]
    fn live_objects_are_read_in_the_new_storage_version_when_the_live_crd_serves_it() {
        let crd: CustomResourceDefinition = serde_json::from_value(json!({
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget"},
                "versions": [
                    {"name": "v1", "served": true, "storage": false},
                    {"name": "v2", "served": true, "storage": true}]}}))
        .unwrap();
        let both = json!({"spec": {"versions": [
            {"name": "v1", "served": true}, {"name": "v2", "served": true}]}});
        assert_eq!(version_to_read(&both, &crd), Some("v2"));
        let old = json!({"spec": {"versions": [{"name": "v1", "served": true}]}});
        assert_eq!(version_to_read(&old, &crd), Some("v1"));
        let none = json!({"spec": {"versions": [{"name": "v0", "served": true}]}});
        assert_eq!(version_to_read(&none, &crd), None);
    }
}
