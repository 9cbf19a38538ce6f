//! Deleting objects (teardown and pruning): reverse install order, wait until gone, and keep
//! data (PersistentVolumes, PersistentVolumeClaims, including those made from StatefulSet
//! volumeClaimTemplates, and namespaces that hold claims) unless the caller asks to delete it.

use super::error::Error;
use super::event::Event;
use super::readiness;
use super::resources::{Key, ResourceType, Target};
use super::rest::{Ctx, build_error};
use super::wait;
use crate::error::ObjectRef;
use crate::object::Tier;
use futures::StreamExt;
use kube::api::{DeleteParams, Preconditions, PropagationPolicy};
use kube::core::ApiResource;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// An object that was kept although it would have been deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The object.
    pub object: ObjectRef,
    /// Why it was kept.
    pub reason: String,
}

/// How to delete.
pub(crate) struct Removal {
    pub(crate) delete_data: bool,
    /// Whether CustomResourceDefinitions may be deleted (which deletes every object of them).
    pub(crate) delete_crds: bool,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    /// Pruning (emits `Pruned`) rather than teardown (emits `Deleting`/`Deleted`).
    pub(crate) pruning: bool,
    /// Only report what would happen.
    pub(crate) dry_run: bool,
    /// Generate-once Secrets to keep: the bundle keeps claims (see [`guards_data`]).
    pub(crate) keep_generated: BTreeSet<Key>,
}

/// Why a generate-once Secret is kept.
pub(crate) fn generated_kept() -> String {
    format!(
        "generated once, and the bundle's claims are kept: the data may need this value; {DATA_KEPT}"
    )
}

/// Whether a bundle or set with these kinds holds data the generated values may guard:
/// PersistentVolumeClaims, PersistentVolumes, or StatefulSets (whose templates make claims).
pub(crate) fn guards_data<'a>(kinds: impl IntoIterator<Item = &'a str>) -> bool {
    kinds.into_iter().any(|k| {
        matches!(
            k,
            "PersistentVolumeClaim" | "PersistentVolume" | "StatefulSet"
        )
    })
}

/// What a removal did.
#[derive(Debug, Default)]
pub(crate) struct Removed {
    pub(crate) deleted: Vec<ObjectRef>,
    pub(crate) kept: Vec<(Target, String)>,
}

pub(crate) const DATA_KEPT: &str = "data is kept unless deleting data is requested";

/// Why a CustomResourceDefinition is kept.
pub(crate) const CRD_KEPT: &str = "a CustomResourceDefinition is deleted only when deleting CRDs is \
     requested: deleting it deletes every object of its kind, in every namespace";

/// Whether a group-kind is CustomResourceDefinition's.
pub(crate) fn is_crd(group: &str, kind: &str) -> bool {
    group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition"
}

/// Why a namespace holding `n` claims is kept.
pub(crate) fn holds_claims(n: usize) -> String {
    format!("holds {n} PersistentVolumeClaim(s); deleting it would delete their data ({DATA_KEPT})")
}

/// Why a claim made from a StatefulSet's template is kept.
pub(crate) fn template_claim_kept() -> String {
    format!("made from a volumeClaimTemplate; {DATA_KEPT}")
}

/// The names of a StatefulSet's volumeClaimTemplates.
pub(crate) fn claim_templates(sts: &Value) -> Vec<&str> {
    sts.pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str))
        .collect()
}

/// Whether `claim` is named as StatefulSet `sts`'s controller names the claims of its
/// templates: `<template>-<statefulset>-<ordinal>`.
pub(crate) fn is_template_claim(claim: &str, sts: &str, templates: &[&str]) -> bool {
    templates.iter().any(|t| {
        claim
            .strip_prefix(&format!("{t}-{sts}-"))
            .is_some_and(|ordinal| {
                !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

fn pvc_type() -> Arc<ResourceType> {
    Arc::new(ResourceType {
        api: ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: "PersistentVolumeClaim".into(),
            plural: "persistentvolumeclaims".into(),
        },
        namespaced: true,
        tier: Some(Tier::Config),
        rule: super::resources::Rule::Builtin,
    })
}

/// What a delete request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deletion {
    /// The object is gone.
    Done,
    /// The object is being deleted (finalizers, orphaning): wait until it is gone.
    Pending,
    /// There was nothing to delete (already gone, or replaced by another object of that name).
    Absent,
}

/// Deletes one object.
pub(crate) async fn delete_one(
    ctx: &Ctx,
    target: &Target,
    propagation: PropagationPolicy,
    uid: Option<&str>,
) -> Result<Deletion, Error> {
    let mut dp = DeleteParams {
        propagation_policy: Some(propagation),
        ..Default::default()
    };
    if let Some(uid) = uid.filter(|u| !u.is_empty()) {
        dp.preconditions = Some(Preconditions {
            uid: Some(uid.to_owned()),
            resource_version: None,
        });
    }
    let req = target
        .request()
        .delete(&target.name, &dp)
        .map_err(|e| build_error(&target.object, "delete", e))?;
    let answer = ctx.send(&target.object, "delete", req).await?;
    match answer.code {
        // Gone already, or replaced by another object of the same name (uid precondition).
        404 | 409 => Ok(Deletion::Absent),
        _ if answer.ok() => {
            let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            let pending = body.get("kind").and_then(Value::as_str) != Some("Status")
                && body.pointer("/metadata/deletionTimestamp").is_some();
            Ok(if pending {
                Deletion::Pending
            } else {
                Deletion::Done
            })
        }
        _ => Err(ctx.api_error(&target.object, "delete", &answer)),
    }
}

/// Claims made from a StatefulSet's volumeClaimTemplates: `<template>-<statefulset>-<ordinal>`,
/// labelled with the StatefulSet's selector labels.
async fn claims_of_statefulset(
    ctx: &Ctx,
    sts: &Value,
    namespace: &str,
) -> Result<Vec<Target>, Error> {
    let name = sts
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let templates = claim_templates(sts);
    if templates.is_empty() {
        return Ok(Vec::new());
    }
    let selector = sts
        .pointer("/spec/selector/matchLabels")
        .map(|m| readiness::label_selector(&serde_json::json!({ "matchLabels": m })))
        .unwrap_or_default();
    let rt = pvc_type();
    let object = ObjectRef::new("PersistentVolumeClaim", "*").in_namespace(Some(namespace));
    let claims = ctx
        .list(
            &object,
            rt.request(Some(namespace)),
            selector.as_deref(),
            true,
        )
        .await?;
    let mut out = Vec::new();
    for c in claims {
        let Some(claim) = c.pointer("/metadata/name").and_then(Value::as_str) else {
            continue;
        };
        if is_template_claim(claim, name, &templates) {
            out.push(Target::new(rt.clone(), Some(namespace), claim));
        }
    }
    Ok(out)
}

/// Deletes `targets` tier by tier in reverse install order (unknown kinds first), waiting for
/// each tier to be gone before the next. Claims and namespaces holding claims are kept unless
/// `delete_data`.
/// `bodies` are the bundle's versions of objects, used when the live one is gone already (a
/// StatefulSet's claims can still be found from its templates).
pub(crate) async fn remove(
    ctx: &Ctx,
    targets: Vec<(Target, Option<String>)>,
    bodies: &BTreeMap<Key, Value>,
    how: &Removal,
) -> Result<Removed, Error> {
    let mut removed = Removed::default();
    // Reverse install order: kinds without a tier (discovered) first, then the highest tier.
    let mut by_tier: BTreeMap<Option<Tier>, Vec<(Target, Option<String>)>> = BTreeMap::new();
    for (t, uid) in targets {
        by_tier.entry(t.rt.tier).or_default().push((t, uid));
    }
    let mut tiers: Vec<_> = by_tier.into_iter().collect();
    tiers.sort_by_key(|(tier, _)| (tier.is_some(), tier.map(std::cmp::Reverse)));
    for (_, group) in tiers {
        let mut delete_now = Vec::new();
        let mut claims_after = Vec::new();
        for (target, uid) in group {
            let kind = target.rt.api.kind.as_str();
            // Deleting a PersistentVolume whose policy is Delete deletes its storage; one still
            // bound to a kept claim would hang in Terminating. Both are data.
            if is_crd(&target.rt.api.group, kind) && !how.delete_crds {
                keep(ctx, how, &mut removed, target, CRD_KEPT.into());
                continue;
            }
            if matches!(kind, "PersistentVolumeClaim" | "PersistentVolume") && !how.delete_data {
                keep(ctx, how, &mut removed, target, DATA_KEPT.into());
                continue;
            }
            if kind == "Secret" && !how.delete_data && how.keep_generated.contains(&target.key()) {
                keep(ctx, how, &mut removed, target, generated_kept());
                continue;
            }
            if kind == "Namespace" && !how.delete_data {
                let rt = pvc_type();
                let object = ObjectRef::new("PersistentVolumeClaim", "*")
                    .in_namespace(Some(target.name.as_str()));
                let claims = ctx
                    .list(&object, rt.request(Some(&target.name)), None, true)
                    .await?;
                if !claims.is_empty() {
                    keep(ctx, how, &mut removed, target, holds_claims(claims.len()));
                    continue;
                }
            }
            if kind == "StatefulSet" {
                // Its claims outlive it (Kubernetes' default); report or delete them after it.
                let spec = match ctx.get(&target).await? {
                    Some(live) => Some(live),
                    None => bodies.get(&target.key()).cloned(),
                };
                if let Some(spec) = spec {
                    let ns = target.namespace.clone().unwrap_or_default();
                    claims_after.extend(claims_of_statefulset(ctx, &spec, &ns).await?);
                }
            }
            delete_now.push((target, uid));
        }
        delete_tier(ctx, delete_now, how, &mut removed).await?;
        for claim in claims_after {
            if how.delete_data {
                delete_tier(ctx, vec![(claim, None)], how, &mut removed).await?;
            } else {
                keep(ctx, how, &mut removed, claim, template_claim_kept());
            }
        }
    }
    Ok(removed)
}

fn keep(ctx: &Ctx, how: &Removal, removed: &mut Removed, target: Target, reason: String) {
    if !how.dry_run {
        ctx.emit(Event::Kept {
            object: target.object.clone(),
            reason: reason.clone(),
        });
    }
    removed.kept.push((target, reason));
}

async fn delete_tier(
    ctx: &Ctx,
    group: Vec<(Target, Option<String>)>,
    how: &Removal,
    removed: &mut Removed,
) -> Result<(), Error> {
    if how.dry_run {
        removed
            .deleted
            .extend(group.into_iter().map(|(t, _)| t.object));
        return Ok(());
    }
    let results: Vec<(Target, Result<Deletion, Error>)> = futures::stream::iter(group)
        .map(|(target, uid)| async move {
            if how.pruning {
                tracing::info!(object = %target.object, "pruning");
            } else {
                ctx.emit(Event::Deleting {
                    object: target.object.clone(),
                });
            }
            let r = delete_one(ctx, &target, PropagationPolicy::Background, uid.as_deref()).await;
            (target, r)
        })
        .buffer_unordered(how.concurrency.max(1))
        .collect()
        .await;
    let mut errors = Vec::new();
    let mut wait_for = Vec::new();
    for (target, r) in results {
        match r {
            Ok(Deletion::Absent) => {}
            Ok(Deletion::Pending) => wait_for.push(target),
            Ok(Deletion::Done) => {
                if !how.pruning {
                    ctx.emit(Event::Deleted {
                        object: target.object.clone(),
                    });
                }
                done(ctx, how, removed, &target);
            }
            Err(e) => errors.push(e),
        }
    }
    if let Some(e) = Error::many(errors) {
        return Err(e);
    }
    let waited = wait_for.clone();
    wait::wait_gone(ctx, wait_for, how.timeout, !how.pruning).await?;
    for target in &waited {
        done(ctx, how, removed, target);
    }
    Ok(())
}

fn done(ctx: &Ctx, how: &Removal, removed: &mut Removed, target: &Target) {
    if how.pruning {
        ctx.emit(Event::Pruned {
            object: target.object.clone(),
        });
    }
    removed.deleted.push(target.object.clone());
}
