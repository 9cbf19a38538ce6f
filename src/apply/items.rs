//! The bundle's objects as the client applies them: where each goes, when, and its apply body.
//!
//! Bodies are built when they are needed (one request, one plan item) and dropped after:
//! holding every body of a large bundle as JSON at once cost more memory than the bundle
//! itself.

use super::applyset::PART_OF_LABEL;
use super::error::{Error, Result};
use super::resources::{ResourceCache, ResourceType, Rule, Target};
use super::secrets;
use crate::bundle::Bundle;
use crate::bundle::index;
use crate::object::{Object, Tier, WAVE_ANNOTATION};
use serde_json::{Value, json};
use std::sync::Arc;

/// One bundle object, ready to apply.
#[derive(Clone, Debug)]
pub(crate) struct Item<'a> {
    pub(crate) object: &'a Object,
    pub(crate) target: Target,
    /// The ApplySet id the member label carries.
    pub(crate) set_id: &'a str,
    /// The Secret keys whose live values win ("generate once").
    pub(crate) generate_once: Vec<String>,
    pub(crate) phase: (Tier, i64),
    /// A Service whose pods, all from the bundle's workloads, are scaled to zero: ready once it
    /// exists, as no endpoint will come.
    pub(crate) expects_no_endpoints: bool,
}

impl Item<'_> {
    pub(crate) fn kind(&self) -> &str {
        &self.target.rt.api.kind
    }

    /// The body to apply: `status` dropped, `apiVersion` and `kind` set, the namespace set, the
    /// member label added, a Secret's `stringData` folded into `data`. Generate-once keys are
    /// not resolved (that needs the live Secret: [`secrets::prepare_secret`]).
    pub(crate) fn body(&self) -> Result<Value> {
        let mut body = self.object.to_json_value()?;
        let not_json = |message: &str| Error::Response {
            object: self.target.object.clone(),
            operation: "render",
            message: message.to_owned(),
        };
        let o = body
            .as_object_mut()
            .ok_or_else(|| not_json("not a JSON object"))?;
        o.remove("status");
        o.insert("apiVersion".into(), json!(self.object.api_version()));
        o.insert("kind".into(), json!(self.object.kind()));
        let meta = o
            .entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| not_json("metadata is not an object"))?;
        match &self.target.namespace {
            Some(ns) => {
                meta.insert("namespace".into(), json!(ns));
            }
            // A custom object whose guessed scope discovery corrected.
            None => {
                meta.remove("namespace");
            }
        }
        if let Some(labels) = meta
            .entry("labels")
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            labels.insert(PART_OF_LABEL.into(), json!(self.set_id));
        }
        if self.object.kind() == "Secret" {
            secrets::prepare_secret(&mut body, &[], None);
        }
        Ok(body)
    }
}

/// The type of a bundle object; a custom kind whose CRD the bundle knows has the status
/// subresource the CRD gives its version (an object without status is then not ready yet).
fn rt_of(bundle: &Bundle, resources: &ResourceCache, object: &Object) -> Arc<ResourceType> {
    let rt = resources.of(object);
    let Object::Custom(c) = object else { return rt };
    let Rule::Kstatus { .. } = rt.rule else {
        return rt;
    };
    let expects_status = bundle.crd_of(c.group(), c.kind()).is_some_and(|crd| {
        crd.spec.versions.iter().any(|v| {
            v.name == c.version() && v.subresources.as_ref().is_some_and(|s| s.status.is_some())
        })
    });
    if !expects_status {
        return rt;
    }
    let mut own = (*rt).clone();
    own.rule = Rule::Kstatus { expects_status };
    Arc::new(own)
}

/// The bundle's objects in install order, checked for what the apply would refuse (a foreign
/// member label, a wave annotation that is not an integer) before anything is sent.
pub(crate) fn prepare<'a>(
    bundle: &'a Bundle,
    resources: &ResourceCache,
    namespace: &str,
    set_id: &'a str,
) -> Result<Vec<Item<'a>>> {
    let mut items = Vec::with_capacity(bundle.len());
    for object in bundle {
        let ns = if object.is_namespaced() {
            Some(object.namespace().unwrap_or(namespace))
        } else {
            None
        };
        let target = Target::new(rt_of(bundle, resources, object), ns, object.name());
        let meta = object.metadata();
        if let Some(other) = meta.labels.as_ref().and_then(|l| l.get(PART_OF_LABEL))
            && other != set_id
        {
            return Err(Error::Refused {
                object: target.object,
                message: format!("already has label {PART_OF_LABEL}={other:?}; kubeprint sets it"),
            });
        }
        let wave = match meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(WAVE_ANNOTATION))
        {
            None => 0,
            Some(w) => w.trim().parse::<i64>().map_err(|_| Error::Refused {
                object: target.object.clone(),
                message: format!("annotation {WAVE_ANNOTATION}: {w:?} is not an integer"),
            })?,
        };
        items.push(Item {
            object,
            target,
            set_id,
            generate_once: object.generate_once_keys(),
            phase: (object.tier(), wave),
            expects_no_endpoints: false,
        });
    }
    Ok(items)
}

/// Marks the Services no endpoint will come to (every workload of the bundle they select is
/// scaled to zero), for the readiness wait. Separate from [`prepare`]: plans do not wait, and
/// need not index the bundle's pods.
pub(crate) fn mark_services_without_endpoints(bundle: &Bundle, items: &mut [Item<'_>]) {
    if !items.iter().any(|i| matches!(i.object, Object::Service(_))) {
        return;
    }
    let index = index::Index::new(bundle);
    for item in items {
        item.expects_no_endpoints = index::service_expects_no_endpoints(&index, item.object);
    }
}
