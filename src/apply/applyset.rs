//! ApplySets (KEP-3659), so `kubectl` recognises what kubeprint applied: a parent Secret carries
//! the set's id, the tooling and the group-kinds and namespaces of its members; every member
//! carries the `part-of` label. Pruning lists members by that label, so objects of other sets and
//! objects nobody labelled are never touched.

use super::error::Error;
use super::noop::{Proven, Prover};
use super::outcome::Fingerprint;
use super::resources::{GroupKind, Key, ResourceType, Target};
use super::rest::{Ctx, build_error};
use crate::error::ObjectRef;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Label on the parent: the set's id.
pub const ID_LABEL: &str = "applyset.kubernetes.io/id";
/// Label on every member: the id of the set it belongs to.
pub const PART_OF_LABEL: &str = "applyset.kubernetes.io/part-of";
/// Annotation on the parent: `<tool>/<version>` of the tool that manages the set.
pub const TOOLING_ANNOTATION: &str = "applyset.kubernetes.io/tooling";
/// Annotation on the parent: the members' group-kinds, `Kind.group`, comma-separated.
pub const CONTAINS_GROUP_KINDS_ANNOTATION: &str = "applyset.kubernetes.io/contains-group-kinds";
/// Annotation on the parent: the members' namespaces other than the parent's.
pub const ADDITIONAL_NAMESPACES_ANNOTATION: &str = "applyset.kubernetes.io/additional-namespaces";

/// The tooling name kubeprint writes (`kubeprint/v<version>`).
pub const TOOLING_NAME: &str = "kubeprint";

/// The id of the ApplySet whose parent is `kind.group` `namespace/name`:
/// `applyset-` + base64url(sha256(`<name>.<namespace>.<kind>.<group>`)) + `-v1`, as KEP-3659
/// specifies.
///
/// ```
/// let id = kubeprint::apply::applyset_id("kuard", "default", "Secret", "");
/// assert!(id.starts_with("applyset-") && id.ends_with("-v1"));
/// assert_eq!(id.len(), "applyset-".len() + 43 + "-v1".len());
/// ```
pub fn applyset_id(name: &str, namespace: &str, kind: &str, group: &str) -> String {
    let digest = Sha256::digest(format!("{name}.{namespace}.{kind}.{group}").as_bytes());
    format!("applyset-{}-v1", URL_SAFE_NO_PAD.encode(digest))
}

/// The name of the parent Secret of a bundle's ApplySet: `<bundle>-applyset` (not the bundle's
/// own name, which its Secrets often use).
pub fn parent_name(bundle: &str) -> String {
    format!("{bundle}-applyset")
}

fn tooling() -> String {
    format!("{TOOLING_NAME}/v{}", env!("CARGO_PKG_VERSION"))
}

/// Whether a live object is an ApplySet parent kubeprint manages (its tooling annotation).
pub(crate) fn is_kubeprint_parent(live: &Value) -> bool {
    live.pointer("/metadata/annotations")
        .and_then(|a| a.get(TOOLING_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|t| t.rsplit_once('/').map_or(t, |(name, _)| name) == TOOLING_NAME)
}

/// A live member of the set.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) target: Target,
    /// What the apply's outcome is decided on (for the applier's field manager).
    pub(crate) state: Fingerprint,
    pub(crate) uid: String,
    /// A Secret with generate-once keys (the `kubeprint.dev/generate-once` annotation).
    pub(crate) generate_once: bool,
    /// Proven unchanged against the bundle: its apply is skipped (see [`super::noop`]).
    pub(crate) proven: Option<Proven>,
}

/// An ApplySet as read from its parent.
#[derive(Clone, Debug)]
pub(crate) struct ApplySet {
    pub(crate) parent: Target,
    pub(crate) id: String,
    pub(crate) exists: bool,
    /// Group-kinds the parent lists now.
    pub(crate) kinds: BTreeSet<GroupKind>,
    /// Namespaces the members may be in (the parent's and the additional ones).
    pub(crate) namespaces: BTreeSet<String>,
    /// The parent's tooling annotation as read.
    pub(crate) tooling: Option<String>,
}

/// Where members of one group-kind may be: a namespace, or `None` for cluster-scoped kinds.
pub(crate) type Scope = (GroupKind, Option<String>);

/// The places to list for members of `kinds` in `namespaces`.
pub(crate) async fn scopes(
    ctx: &Ctx,
    kinds: &BTreeSet<GroupKind>,
    namespaces: &BTreeSet<String>,
) -> Result<BTreeSet<Scope>, Error> {
    let mut out = BTreeSet::new();
    for gk in kinds {
        let rt = ctx.resources.resolve(ctx, gk).await?;
        if rt.namespaced {
            out.extend(namespaces.iter().map(|ns| (gk.clone(), Some(ns.clone()))));
        } else {
            out.insert((gk.clone(), None));
        }
    }
    Ok(out)
}

/// Lists the live members of set `id` in `scopes`, metadata only, with their state for field
/// manager `manager`. With a `prover`, whole objects are listed and each is proven unchanged
/// against the bundle or not (one request per page still; only the verdict is kept).
pub(crate) async fn list_members(
    ctx: &Ctx,
    id: &str,
    scopes: &BTreeSet<Scope>,
    concurrency: usize,
    manager: &str,
    prover: Option<&Prover<'_>>,
) -> Result<BTreeMap<Key, Member>, Error> {
    let selector = format!("{PART_OF_LABEL}={id}");
    let results: Vec<Result<Vec<Member>, Error>> = futures::stream::iter(scopes)
        .map(|(gk, ns)| {
            let selector = selector.clone();
            async move {
                let rt = ctx.resources.resolve(ctx, gk).await?;
                let object = ObjectRef::new(rt.api.kind.clone(), "*").in_namespace(ns.clone());
                // Each page becomes members at once: the listed metadata (with managedFields)
                // of thousands of objects is never held whole.
                ctx.list_with(
                    &object,
                    rt.request(ns.as_deref()),
                    Some(&selector),
                    prover.is_none(),
                    |mut item| {
                        // Items of a list carry no type; they are in the version listed.
                        if prover.is_some()
                            && let Some(o) = item.as_object_mut()
                        {
                            o.entry("apiVersion")
                                .or_insert_with(|| json!(rt.api.api_version));
                            o.entry("kind").or_insert_with(|| json!(rt.api.kind));
                        }
                        let meta = item.get("metadata")?;
                        let name = meta.get("name")?.as_str()?;
                        // Only exact members (the selector already says so; be sure).
                        let label = meta
                            .pointer("/labels")
                            .and_then(|l| l.get(PART_OF_LABEL))
                            .and_then(Value::as_str);
                        if label != Some(id) {
                            return None;
                        }
                        let item_ns = meta.get("namespace").and_then(Value::as_str);
                        let target = Target::new(rt.clone(), item_ns, name);
                        let proven = prover.and_then(|p| p.prove(&target.key(), &item));
                        Some(Member {
                            target,
                            state: Fingerprint::of(Some(meta), manager),
                            uid: meta
                                .get("uid")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                            generate_once: rt.api.kind == "Secret"
                                && meta
                                    .pointer("/annotations")
                                    .and_then(|a| a.get(crate::object::GENERATE_ONCE_ANNOTATION))
                                    .is_some(),
                            proven,
                        })
                    },
                )
                .await
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut out = BTreeMap::new();
    for r in results {
        for m in r? {
            out.insert(m.target.key(), m);
        }
    }
    Ok(out)
}

impl ApplySet {
    /// The id of a bundle's set whose parent is in `namespace`.
    pub(crate) fn id_for(namespace: &str, bundle: &str) -> String {
        applyset_id(&parent_name(bundle), namespace, "Secret", "")
    }

    /// Reads the parent (a Secret) and checks it is kubeprint's and carries the right id.
    pub(crate) async fn load(
        ctx: &Ctx,
        parent_rt: Arc<ResourceType>,
        namespace: &str,
        bundle: &str,
    ) -> Result<Self, Error> {
        let name = parent_name(bundle);
        let parent = Target::new(parent_rt, Some(namespace), &name);
        let id = applyset_id(&name, namespace, &parent.rt.api.kind, &parent.rt.api.group);
        debug_assert_eq!(id, ApplySet::id_for(namespace, bundle));
        let mut set = ApplySet {
            parent,
            id,
            exists: false,
            kinds: BTreeSet::new(),
            namespaces: BTreeSet::new(),
            tooling: None,
        };
        set.namespaces.insert(namespace.to_owned());
        let Some(live) = ctx.get(&set.parent).await? else {
            return Ok(set);
        };
        set.exists = true;
        let refuse = |message: String| Error::ApplySet {
            object: set.parent.object.clone(),
            message,
        };
        let annotations = live
            .pointer("/metadata/annotations")
            .cloned()
            .unwrap_or(Value::Null);
        let tool = annotations.get(TOOLING_ANNOTATION).and_then(Value::as_str);
        match tool {
            None => {
                return Err(refuse(format!(
                    "exists without the {TOOLING_ANNOTATION} annotation; refusing to adopt it"
                )));
            }
            Some(t) if t.rsplit_once('/').map_or(t, |(name, _)| name) != TOOLING_NAME => {
                return Err(refuse(format!("is managed by {t:?}, not {TOOLING_NAME}")));
            }
            Some(t) => set.tooling = Some(t.to_owned()),
        }
        let id = live
            .pointer("/metadata/labels")
            .and_then(|l| l.get(ID_LABEL))
            .and_then(Value::as_str);
        if id != Some(set.id.as_str()) {
            return Err(refuse(format!(
                "has {ID_LABEL}={:?}, want {:?}",
                id.unwrap_or(""),
                set.id
            )));
        }
        if let Some(kinds) = annotations
            .get(CONTAINS_GROUP_KINDS_ANNOTATION)
            .and_then(Value::as_str)
        {
            set.kinds
                .extend(kinds.split(',').filter_map(GroupKind::parse));
        }
        if let Some(ns) = annotations
            .get(ADDITIONAL_NAMESPACES_ANNOTATION)
            .and_then(Value::as_str)
        {
            set.namespaces.extend(
                ns.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
        Ok(set)
    }

    /// Writes the parent (server-side apply) listing `kinds` and `namespaces`.
    pub(crate) async fn write(
        &mut self,
        ctx: &Ctx,
        field_manager: &str,
        kinds: &BTreeSet<GroupKind>,
        namespaces: &BTreeSet<String>,
    ) -> Result<(), Error> {
        let parent_ns = self.parent.namespace.clone().unwrap_or_default();
        let mut with_parent = namespaces.clone();
        with_parent.insert(parent_ns.clone());
        if self.exists
            && self.tooling.as_deref() == Some(tooling().as_str())
            && &self.kinds == kinds
            && self.namespaces == with_parent
        {
            // Says all that already: no request.
            return Ok(());
        }
        // Sorted as strings, as kubectl writes them.
        let mut kinds_s: Vec<String> = kinds.iter().map(ToString::to_string).collect();
        kinds_s.sort();
        let kinds_s = kinds_s.join(",");
        let additional = namespaces
            .iter()
            .filter(|n| **n != parent_ns && !n.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(",");
        let mut annotations = serde_json::Map::new();
        annotations.insert(TOOLING_ANNOTATION.into(), json!(tooling()));
        annotations.insert(CONTAINS_GROUP_KINDS_ANNOTATION.into(), json!(kinds_s));
        if !additional.is_empty() {
            annotations.insert(ADDITIONAL_NAMESPACES_ANNOTATION.into(), json!(additional));
        }
        let body = json!({
            "apiVersion": self.parent.rt.api.api_version,
            "kind": self.parent.rt.api.kind,
            "metadata": {
                "name": self.parent.name,
                "namespace": parent_ns,
                "labels": { ID_LABEL: self.id },
                "annotations": annotations,
            },
        });
        // The parent is kubeprint's bookkeeping (checked above): take its fields over if needed.
        let pp = kube::api::PatchParams {
            field_manager: Some(field_manager.to_owned()),
            force: true,
            ..Default::default()
        };
        let req = self
            .parent
            .request()
            .patch(&self.parent.name, &pp, &kube::api::Patch::Apply(&body))
            .map_err(|e| build_error(&self.parent.object, "apply", e))?;
        let answer = ctx.send(&self.parent.object, "apply", req).await?;
        if !answer.ok() {
            return Err(ctx.api_error(&self.parent.object, "apply", &answer));
        }
        self.exists = true;
        self.kinds = kinds.clone();
        self.namespaces = with_parent;
        self.tooling = Some(tooling());
        Ok(())
    }

    /// Lists the live members of the set among `kinds` in `namespaces` (cluster-wide for
    /// cluster-scoped kinds), metadata only.
    pub(crate) async fn members(
        &self,
        ctx: &Ctx,
        kinds: &BTreeSet<GroupKind>,
        namespaces: &BTreeSet<String>,
        concurrency: usize,
        manager: &str,
    ) -> Result<BTreeMap<Key, Member>, Error> {
        let scopes = scopes(ctx, kinds, namespaces).await?;
        list_members(ctx, &self.id, &scopes, concurrency, manager, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_matches_the_kep_formula() {
        // Expected values computed independently:
        // printf '<name>.<namespace>.<kind>.<group>' | openssl dgst -sha256 -binary | basenc --base64url | tr -d =
        assert_eq!(
            applyset_id("kuard-applyset", "demo", "Secret", ""),
            "applyset-wandBSo0HTyon4eG5ARsTeNg8g0AFgyj3ZnZVd5KwyE-v1"
        );
        let id = applyset_id("test-set", "default", "ConfigMap", "");
        assert_eq!(
            id,
            "applyset-5lCGfqffIEKbtRno3jN93Gx9OTWWcjpTkM2dCujD-18-v1"
        );
        assert!(id.len() <= 63, "a label value: {id}");
    }
}
