//! Where objects live on the apiserver. Kinds kubeprint knows need no discovery: their group,
//! version, plural and scope are static. Other group-kinds (met only when pruning a set written by
//! something else) are discovered once and cached.

use super::error::Error;
use super::rest::Ctx;
use crate::error::ObjectRef;
use crate::object::{Object, Tier};
use kube::core::{ApiResource, DynamicObject, Resource as _};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// A group and kind, printed as the ApplySet annotation wants: `Deployment.apps`, `ConfigMap`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct GroupKind {
    pub(crate) group: String,
    pub(crate) kind: String,
}

impl GroupKind {
    pub(crate) fn new(group: &str, kind: &str) -> Self {
        GroupKind {
            group: group.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// Parses `Kind.group` (the first dot separates kind from group).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        Some(match s.split_once('.') {
            Some((kind, group)) => GroupKind::new(group, kind),
            None => GroupKind::new("", s),
        })
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}.{}", self.kind, self.group)
        }
    }
}

/// How to reach objects of one type.
#[derive(Clone, Debug)]
pub(crate) struct ResourceType {
    pub(crate) api: ApiResource,
    pub(crate) namespaced: bool,
    /// The apply wave of kubeprint's kinds; `None` for discovered ones.
    pub(crate) tier: Option<Tier>,
    /// How objects of the type are judged ready.
    pub(crate) rule: Rule,
}

/// How objects of a type are judged ready (see [`super::readiness`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// The rules of the built-in kind (by kind name).
    Builtin,
    /// kstatus rules; `expects_status`: the kind has a status subresource, so an object without
    /// status is not ready yet (its controller has not seen it).
    Kstatus { expects_status: bool },
    /// The type's own rule.
    Own(crate::object::custom::ReadinessRule),
}

impl ResourceType {
    pub(crate) fn of(o: &Object) -> Self {
        let api_version = o.api_version();
        let version = api_version.rsplit('/').next().unwrap_or(api_version);
        ResourceType {
            api: ApiResource {
                group: o.group().to_owned(),
                version: version.to_owned(),
                api_version: api_version.to_owned(),
                kind: o.kind().to_owned(),
                plural: o.plural().to_owned(),
            },
            namespaced: o.is_namespaced(),
            tier: Some(o.tier()),
            rule: match o {
                Object::Custom(c) => match c.readiness_rule() {
                    Some(rule) => Rule::Own(rule),
                    None => Rule::Kstatus {
                        expects_status: false,
                    },
                },
                _ => Rule::Builtin,
            },
        }
    }

    pub(crate) fn group_kind(&self) -> GroupKind {
        GroupKind::new(&self.api.group, &self.api.kind)
    }

    /// The request builder for the collection in `namespace` (ignored for cluster-scoped types).
    pub(crate) fn request(&self, namespace: Option<&str>) -> kube::core::Request {
        let ns = if self.namespaced { namespace } else { None };
        kube::core::Request::new(DynamicObject::url_path(&self.api, ns))
    }
}

/// One object on the server.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) object: ObjectRef,
    pub(crate) rt: Arc<ResourceType>,
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
}

impl Target {
    pub(crate) fn new(rt: Arc<ResourceType>, namespace: Option<&str>, name: &str) -> Self {
        let namespace = if rt.namespaced {
            namespace.map(str::to_owned)
        } else {
            None
        };
        Target {
            object: ObjectRef::new(rt.api.kind.clone(), name).in_namespace(namespace.clone()),
            rt,
            namespace,
            name: name.to_owned(),
        }
    }

    pub(crate) fn request(&self) -> kube::core::Request {
        self.rt.request(self.namespace.as_deref())
    }

    /// `(group-kind, namespace, name)`: what identifies the object.
    pub(crate) fn key(&self) -> Key {
        (
            self.rt.group_kind(),
            self.namespace.clone().unwrap_or_default(),
            self.name.clone(),
        )
    }

    pub(crate) fn api(&self, client: kube::Client) -> kube::Api<DynamicObject> {
        match &self.namespace {
            Some(ns) => kube::Api::namespaced_with(client, ns, &self.rt.api),
            None => kube::Api::all_with(client, &self.rt.api),
        }
    }
}

/// What identifies an object: group-kind, namespace (empty for cluster-scoped), name.
pub(crate) type Key = (GroupKind, String, String);

/// The resource types seen so far, shared by an applier and its clones.
#[derive(Debug, Default)]
pub(crate) struct ResourceCache {
    types: Mutex<HashMap<GroupKind, Arc<ResourceType>>>,
    /// Custom kinds whose entry in `types` discovery confirmed (their objects' plural and
    /// scope were guesses).
    discovered: Mutex<std::collections::HashSet<GroupKind>>,
}

impl ResourceCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupKind, Arc<ResourceType>>> {
        match self.types.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The type of a bundle object (static, no request).
    pub(crate) fn of(&self, o: &Object) -> Arc<ResourceType> {
        let gk = GroupKind::new(o.group(), o.kind());
        self.lock()
            .entry(gk)
            .or_insert_with(|| Arc::new(ResourceType::of(o)))
            .clone()
    }

    /// Where the apiserver serves `guessed`'s kind (its plural and scope were guessed), by
    /// discovery, once; `None` when the apiserver does not serve it (yet).
    pub(crate) async fn discover(
        &self,
        ctx: &Ctx,
        guessed: &Arc<ResourceType>,
    ) -> Option<Arc<ResourceType>> {
        let gk = guessed.group_kind();
        let known = match self.discovered.lock() {
            Ok(d) => d.contains(&gk),
            Err(p) => p.into_inner().contains(&gk),
        };
        if known {
            return self.lock().get(&gk).cloned();
        }
        let group = match kube::discovery::oneshot::group(&ctx.client, &gk.group).await {
            Ok(g) => g,
            Err(e) => {
                tracing::debug!(kind = %gk, error = %e, "discovery found no such group; keeping the guessed plural and scope");
                return None;
            }
        };
        let (api, caps) = group.recommended_kind(&gk.kind)?;
        let rt = Arc::new(ResourceType {
            api,
            namespaced: caps.scope == kube::discovery::Scope::Namespaced,
            tier: guessed.tier,
            rule: guessed.rule,
        });
        self.lock().insert(gk.clone(), rt.clone());
        match self.discovered.lock() {
            Ok(mut d) => d.insert(gk),
            Err(p) => p.into_inner().insert(gk),
        };
        Some(rt)
    }

    /// The type of a group-kind: static for kubeprint's kinds, discovered (once) otherwise.
    pub(crate) async fn resolve(
        &self,
        ctx: &Ctx,
        gk: &GroupKind,
    ) -> Result<Arc<ResourceType>, Error> {
        if let Some(rt) = self.lock().get(gk) {
            return Ok(rt.clone());
        }
        if let Some(o) = known_kinds()
            .into_iter()
            .find(|o| o.group() == gk.group && o.kind() == gk.kind)
        {
            return Ok(self.of(&o));
        }
        let object = ObjectRef::new(gk.to_string(), "");
        let group = kube::discovery::oneshot::group(&ctx.client, &gk.group)
            .await
            .map_err(|e| Error::Api {
                object: object.clone(),
                operation: "discover",
                code: 0,
                reason: "Discovery".into(),
                message: e.to_string(),
            })?;
        let (api, caps) = group.recommended_kind(&gk.kind).ok_or_else(|| Error::Api {
            object,
            operation: "discover",
            code: 404,
            reason: "NotFound".into(),
            message: format!("the apiserver serves no kind {gk}"),
        })?;
        let rt = Arc::new(ResourceType {
            api,
            namespaced: caps.scope == kube::discovery::Scope::Namespaced,
            tier: None,
            rule: Rule::Kstatus {
                expects_status: false,
            },
        });
        self.lock().insert(gk.clone(), rt.clone());
        Ok(rt)
    }
}

/// One empty object of every kind kubeprint knows (for their static type information).
pub(crate) fn known_kinds() -> Vec<Object> {
    use k8s_openapi::api::{
        apps, autoscaling, batch, core, discovery, networking, node, policy, rbac, scheduling,
        storage,
    };
    vec![
        k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition::default().into(),
        core::v1::Namespace::default().into(),
        storage::v1::StorageClass::default().into(),
        core::v1::PersistentVolume::default().into(),
        networking::v1::NetworkPolicy::default().into(),
        core::v1::ResourceQuota::default().into(),
        core::v1::LimitRange::default().into(),
        scheduling::v1::PriorityClass::default().into(),
        node::v1::RuntimeClass::default().into(),
        policy::v1::PodDisruptionBudget::default().into(),
        core::v1::ServiceAccount::default().into(),
        core::v1::Secret::default().into(),
        core::v1::ConfigMap::default().into(),
        core::v1::PersistentVolumeClaim::default().into(),
        rbac::v1::ClusterRole::default().into(),
        rbac::v1::ClusterRoleBinding::default().into(),
        rbac::v1::Role::default().into(),
        rbac::v1::RoleBinding::default().into(),
        core::v1::Service::default().into(),
        discovery::v1::EndpointSlice::default().into(),
        apps::v1::DaemonSet::default().into(),
        core::v1::Pod::default().into(),
        apps::v1::ReplicaSet::default().into(),
        apps::v1::Deployment::default().into(),
        autoscaling::v2::HorizontalPodAutoscaler::default().into(),
        apps::v1::StatefulSet::default().into(),
        batch::v1::Job::default().into(),
        batch::v1::CronJob::default().into(),
        networking::v1::IngressClass::default().into(),
        networking::v1::Ingress::default().into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_kind_round_trip() {
        for s in [
            "ConfigMap",
            "Deployment.apps",
            "Certificate.cert-manager.io",
        ] {
            assert_eq!(
                GroupKind::parse(s).map(|g| g.to_string()).as_deref(),
                Some(s)
            );
        }
        assert_eq!(
            GroupKind::parse("Deployment.apps"),
            Some(GroupKind::new("apps", "Deployment"))
        );
        assert_eq!(GroupKind::parse(" "), None);
    }

    #[test]
    fn static_types_have_urls() {
        let kinds = known_kinds();
        let ranks: std::collections::BTreeSet<u8> =
            kinds.iter().map(Object::install_rank).collect();
        assert_eq!(
            ranks.len(),
            kinds.len(),
            "every known kind has its own rank"
        );
        let dep = kinds
            .iter()
            .find(|o| o.kind() == "Deployment")
            .map(ResourceType::of)
            .unwrap();
        assert_eq!(
            DynamicObject::url_path(&dep.api, Some("ns")),
            "/apis/apps/v1/namespaces/ns/deployments"
        );
        let ns = kinds
            .iter()
            .find(|o| o.kind() == "Namespace")
            .map(ResourceType::of)
            .unwrap();
        assert!(!ns.namespaced);
        assert_eq!(ns.request(Some("ignored")).url_path, "/api/v1/namespaces");
    }
}
