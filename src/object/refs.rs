//! What an object points at: the one walker over the references of an object, by name
//! (ConfigMaps, Secrets, claims, ServiceAccounts, Services, scale targets, classes) and by label
//! selector (Services, PodDisruptionBudgets, NetworkPolicies), with the field path of each.
//!
//! It knows nothing of bundles: [`crate::bundle::index`] resolves these references among a
//! bundle's objects, [`crate::check`] turns the unresolved ones into violations, and
//! [`crate::graph`] draws them as edges.

use crate::object::Object;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::BTreeMap;

/// The label an EndpointSlice carries naming its Service.
pub(crate) const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// What a reference is for; the graph labels its edges with [`Edge::label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Edge {
    Env,
    EnvFrom,
    Volume,
    ServiceAccount,
    PullSecret,
    ServiceName,
    Backend,
    Tls,
    ScaleTarget,
    EndpointsOf,
    Selects,
    Protects,
    AppliesTo,
    Admits,
    EgressTo,
}

impl Edge {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Edge::Env => "env",
            Edge::EnvFrom => "envFrom",
            Edge::Volume => "volume",
            Edge::ServiceAccount => "serviceAccount",
            Edge::PullSecret => "imagePullSecret",
            Edge::ServiceName => "serviceName",
            Edge::Backend => "backend",
            Edge::Tls => "tls",
            Edge::ScaleTarget => "scales",
            Edge::EndpointsOf => "endpoints of",
            Edge::Selects => "selects",
            Edge::Protects => "protects",
            Edge::AppliesTo => "applies to",
            Edge::Admits => "admits",
            Edge::EgressTo => "egress to",
        }
    }

    /// Whether the reference feeds configuration into pods (what the config checksum covers).
    pub(crate) fn is_config(self) -> bool {
        matches!(self, Edge::Env | Edge::EnvFrom | Edge::Volume)
    }
}

/// A port of a Service, named or numbered (Ingress backends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortRef<'a> {
    Name(&'a str),
    Number(i32),
}

/// A reference by name from one object to another in the same namespace.
#[derive(Clone, Debug)]
pub(crate) struct Ref<'a> {
    /// Field path of the name in the referring object.
    pub path: String,
    /// Kind of the object referred to.
    pub kind: &'a str,
    /// Name of the object referred to.
    pub name: &'a str,
    /// `optional: true`: the pod starts without it.
    pub optional: bool,
    /// Keys of a ConfigMap/Secret that must exist, with the path naming each.
    pub keys: Vec<(String, &'a str)>,
    /// A port of a Service that must exist, with its path.
    pub port: Option<(String, PortRef<'a>)>,
    pub edge: Edge,
}

impl<'a> Ref<'a> {
    fn new(path: String, kind: &'a str, name: &'a str, edge: Edge) -> Self {
        Ref {
            path,
            kind,
            name,
            optional: false,
            keys: Vec::new(),
            port: None,
            edge,
        }
    }

    fn optional(mut self, optional: Option<bool>) -> Self {
        self.optional = optional.unwrap_or(false);
        self
    }

    fn key(mut self, path: String, key: &'a str) -> Self {
        self.keys.push((path, key));
        self
    }
}

/// A label selector as found in objects: a plain map (Services) or a `LabelSelector`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Selector<'a> {
    Map(&'a BTreeMap<String, String>),
    Label(&'a LabelSelector),
}

impl Selector<'_> {
    /// Whether the selector selects every pod.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Selector::Map(m) => m.is_empty(),
            Selector::Label(s) => {
                s.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
                    && s.match_expressions.as_ref().is_none_or(Vec::is_empty)
            }
        }
    }

    /// Whether pods labelled `labels` are selected.
    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::Map(m) => m.iter().all(|(k, v)| labels.get(k) == Some(v)),
            Selector::Label(s) => {
                let by_labels = s
                    .match_labels
                    .iter()
                    .flatten()
                    .all(|(k, v)| labels.get(k) == Some(v));
                by_labels
                    && s.match_expressions.iter().flatten().all(|e| {
                        let value = labels.get(&e.key);
                        let values = e.values.as_deref().unwrap_or_default();
                        match e.operator.as_str() {
                            "In" => value.is_some_and(|v| values.contains(v)),
                            "NotIn" => value.is_none_or(|v| !values.contains(v)),
                            "Exists" => value.is_some(),
                            "DoesNotExist" => value.is_none(),
                            _ => false,
                        }
                    })
            }
        }
    }

    /// kubectl's notation: `app=web,tier in (a,b),!legacy`.
    pub(crate) fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        match self {
            Selector::Map(m) => parts.extend(m.iter().map(|(k, v)| format!("{k}={v}"))),
            Selector::Label(s) => {
                parts.extend(
                    s.match_labels
                        .iter()
                        .flatten()
                        .map(|(k, v)| format!("{k}={v}")),
                );
                for e in s.match_expressions.iter().flatten() {
                    let values = e.values.as_deref().unwrap_or_default().join(",");
                    parts.push(match e.operator.as_str() {
                        "In" => format!("{} in ({values})", e.key),
                        "NotIn" => format!("{} notin ({values})", e.key),
                        "Exists" => e.key.clone(),
                        "DoesNotExist" => format!("!{}", e.key),
                        other => format!("{} {other} ({values})", e.key),
                    });
                }
            }
        }
        if parts.is_empty() {
            "{}".to_owned()
        } else {
            parts.join(",")
        }
    }
}

/// A label selector in an object that picks pods.
#[derive(Clone, Debug)]
pub(crate) struct SelectorRef<'a> {
    pub path: String,
    pub selector: Selector<'a>,
    pub edge: Edge,
    /// Whether selecting no workload in the bundle is fine (NetworkPolicy `{}` selectors).
    pub may_select_nothing: bool,
}

/// The pod spec inside an object, with the path of its fields and the pods' metadata.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PodSpecAt<'a> {
    pub path: &'static str,
    pub meta: Option<&'a ObjectMeta>,
    pub spec: &'a PodSpec,
}

impl<'a> PodSpecAt<'a> {
    /// The labels the pods get.
    pub(crate) fn labels(&self) -> Option<&'a BTreeMap<String, String>> {
        self.meta.and_then(|m| m.labels.as_ref())
    }
}

/// The pod spec of a Pod or of a pod controller's template.
pub(crate) fn pod_spec(o: &Object) -> Option<PodSpecAt<'_>> {
    let at = |path, meta, spec| Some(PodSpecAt { path, meta, spec });
    match o {
        Object::Pod(p) => at("spec", Some(&p.metadata), p.spec.as_ref()?),
        Object::Deployment(d) => at(
            "spec.template.spec",
            d.spec.template.metadata.as_ref(),
            d.spec.template.spec.as_ref()?,
        ),
        Object::StatefulSet(s) => at(
            "spec.template.spec",
            s.spec.template.metadata.as_ref(),
            s.spec.template.spec.as_ref()?,
        ),
        Object::DaemonSet(d) => at(
            "spec.template.spec",
            d.spec.template.metadata.as_ref(),
            d.spec.template.spec.as_ref()?,
        ),
        Object::ReplicaSet(r) => {
            let t = r.spec.template.as_ref()?;
            at("spec.template.spec", t.metadata.as_ref(), t.spec.as_ref()?)
        }
        Object::Job(j) => {
            let t = &j.spec.as_ref()?.template;
            at("spec.template.spec", t.metadata.as_ref(), t.spec.as_ref()?)
        }
        Object::CronJob(c) => {
            let t = &c.spec.job_template.spec.as_ref()?.template;
            at(
                "spec.jobTemplate.spec.template.spec",
                t.metadata.as_ref(),
                t.spec.as_ref()?,
            )
        }
        _ => None,
    }
}

/// Names of a StatefulSet's volumeClaimTemplates.
pub(crate) fn claim_templates(o: &Object) -> Vec<&str> {
    match o {
        Object::StatefulSet(s) => s
            .spec
            .volume_claim_templates
            .iter()
            .flatten()
            .filter_map(|c| c.metadata.name.as_deref())
            .collect(),
        _ => Vec::new(),
    }
}

/// The long-running containers of a pod (app containers and restartable init containers,
/// i.e. native sidecars), with their paths.
pub(crate) fn serving_containers<'a>(p: &PodSpecAt<'a>) -> impl Iterator<Item = &'a Container> {
    p.spec.containers.iter().chain(
        p.spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always")),
    )
}

/// `format!` when `$on`, else an empty string.
macro_rules! p {
    ($on:expr, $($arg:tt)*) => {
        if $on { format!($($arg)*) } else { String::new() }
    };
}

/// Every container of a pod with the path of its list.
fn all_containers<'a>(
    p: &PodSpecAt<'a>,
    paths: bool,
) -> impl Iterator<Item = (String, &'a Container)> {
    let path = p.path;
    let main = p
        .spec
        .containers
        .iter()
        .enumerate()
        .map(move |(i, c)| (p!(paths, "{path}.containers[{i}]"), c));
    let init = p
        .spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(move |(i, c)| (p!(paths, "{path}.initContainers[{i}]"), c));
    main.chain(init)
}

/// The references of a pod spec; field paths are left empty unless `paths` (they cost most of
/// the walk, and the config checksum does not need them).
fn pod_refs<'a>(o: &'a Object, p: &PodSpecAt<'a>, paths: bool, out: &mut Vec<Ref<'a>>) {
    let path = p.path;
    let claim_templates = claim_templates(o);
    for (i, v) in p.spec.volumes.iter().flatten().enumerate() {
        let at = p!(paths, "{path}.volumes[{i}]");
        if let Some(cm) = &v.config_map {
            let mut r = Ref::new(
                p!(paths, "{at}.configMap.name"),
                "ConfigMap",
                &cm.name,
                Edge::Volume,
            )
            .optional(cm.optional);
            for (j, item) in cm.items.iter().flatten().enumerate() {
                r = r.key(p!(paths, "{at}.configMap.items[{j}].key"), &item.key);
            }
            out.push(r);
        }
        if let Some(s) = &v.secret
            && let Some(name) = &s.secret_name
        {
            let mut r = Ref::new(
                p!(paths, "{at}.secret.secretName"),
                "Secret",
                name,
                Edge::Volume,
            )
            .optional(s.optional);
            for (j, item) in s.items.iter().flatten().enumerate() {
                r = r.key(p!(paths, "{at}.secret.items[{j}].key"), &item.key);
            }
            out.push(r);
        }
        if let Some(pvc) = &v.persistent_volume_claim
            && !claim_templates.contains(&v.name.as_str())
        {
            out.push(Ref::new(
                p!(paths, "{at}.persistentVolumeClaim.claimName"),
                "PersistentVolumeClaim",
                &pvc.claim_name,
                Edge::Volume,
            ));
        }
        if let Some(csi) = &v.csi
            && let Some(secret) = &csi.node_publish_secret_ref
        {
            out.push(Ref::new(
                p!(paths, "{at}.csi.nodePublishSecretRef.name"),
                "Secret",
                &secret.name,
                Edge::Volume,
            ));
        }
        for (j, source) in v
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten())
            .enumerate()
        {
            let at = p!(paths, "{at}.projected.sources[{j}]");
            if let Some(cm) = &source.config_map {
                let mut r = Ref::new(
                    p!(paths, "{at}.configMap.name"),
                    "ConfigMap",
                    &cm.name,
                    Edge::Volume,
                )
                .optional(cm.optional);
                for (k, item) in cm.items.iter().flatten().enumerate() {
                    r = r.key(p!(paths, "{at}.configMap.items[{k}].key"), &item.key);
                }
                out.push(r);
            }
            if let Some(s) = &source.secret {
                let mut r = Ref::new(
                    p!(paths, "{at}.secret.name"),
                    "Secret",
                    &s.name,
                    Edge::Volume,
                )
                .optional(s.optional);
                for (k, item) in s.items.iter().flatten().enumerate() {
                    r = r.key(p!(paths, "{at}.secret.items[{k}].key"), &item.key);
                }
                out.push(r);
            }
        }
    }
    for (at, c) in all_containers(p, paths) {
        for (j, e) in c.env.iter().flatten().enumerate() {
            let Some(from) = &e.value_from else { continue };
            let at = p!(paths, "{at}.env[{j}].valueFrom");
            if let Some(k) = &from.config_map_key_ref {
                out.push(
                    Ref::new(
                        p!(paths, "{at}.configMapKeyRef.name"),
                        "ConfigMap",
                        &k.name,
                        Edge::Env,
                    )
                    .optional(k.optional)
                    .key(p!(paths, "{at}.configMapKeyRef.key"), &k.key),
                );
            }
            if let Some(k) = &from.secret_key_ref {
                out.push(
                    Ref::new(
                        p!(paths, "{at}.secretKeyRef.name"),
                        "Secret",
                        &k.name,
                        Edge::Env,
                    )
                    .optional(k.optional)
                    .key(p!(paths, "{at}.secretKeyRef.key"), &k.key),
                );
            }
        }
        for (j, e) in c.env_from.iter().flatten().enumerate() {
            let at = p!(paths, "{at}.envFrom[{j}]");
            if let Some(r) = &e.config_map_ref {
                out.push(
                    Ref::new(
                        p!(paths, "{at}.configMapRef.name"),
                        "ConfigMap",
                        &r.name,
                        Edge::EnvFrom,
                    )
                    .optional(r.optional),
                );
            }
            if let Some(r) = &e.secret_ref {
                out.push(
                    Ref::new(
                        p!(paths, "{at}.secretRef.name"),
                        "Secret",
                        &r.name,
                        Edge::EnvFrom,
                    )
                    .optional(r.optional),
                );
            }
        }
    }
    let sa = p
        .spec
        .service_account_name
        .as_ref()
        .map(|n| (n, "serviceAccountName"));
    let sa = sa.or(p
        .spec
        .service_account
        .as_ref()
        .map(|n| (n, "serviceAccount")));
    if let Some((name, field)) = sa
        && name != "default"
    {
        out.push(Ref::new(
            p!(paths, "{path}.{field}"),
            "ServiceAccount",
            name,
            Edge::ServiceAccount,
        ));
    }
    for (i, s) in p.spec.image_pull_secrets.iter().flatten().enumerate() {
        out.push(Ref::new(
            p!(paths, "{path}.imagePullSecrets[{i}].name"),
            "Secret",
            &s.name,
            Edge::PullSecret,
        ));
    }
}

fn backend_ref<'a>(
    path: String,
    backend: &'a k8s_openapi::api::networking::v1::IngressBackend,
) -> Option<Ref<'a>> {
    let service = backend.service.as_ref()?;
    let mut r = Ref::new(
        format!("{path}.service.name"),
        "Service",
        &service.name,
        Edge::Backend,
    );
    if let Some(port) = &service.port {
        if let Some(name) = &port.name {
            r.port = Some((format!("{path}.service.port.name"), PortRef::Name(name)));
        } else if let Some(number) = port.number {
            r.port = Some((
                format!("{path}.service.port.number"),
                PortRef::Number(number),
            ));
        }
    }
    Some(r)
}

/// What `o`'s pods refer to by name, without field paths (cheap; for config checksums).
pub(crate) fn pod_refs_without_paths(o: &Object) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    if let Some(p) = pod_spec(o) {
        pod_refs(o, &p, false, &mut out);
    }
    out
}

/// Everything `o` refers to by name, in field order.
pub(crate) fn refs(o: &Object) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    if let Some(p) = pod_spec(o) {
        pod_refs(o, &p, true, &mut out);
    }
    match o {
        Object::StatefulSet(s) => {
            if let Some(name) = &s.spec.service_name {
                out.push(Ref::new(
                    "spec.serviceName".into(),
                    "Service",
                    name,
                    Edge::ServiceName,
                ));
            }
        }
        Object::Ingress(i) => {
            let Some(spec) = &i.spec else { return out };
            if let Some(b) = &spec.default_backend {
                out.extend(backend_ref("spec.defaultBackend".into(), b));
            }
            for (j, rule) in spec.rules.iter().flatten().enumerate() {
                for (k, path) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
                    out.extend(backend_ref(
                        format!("spec.rules[{j}].http.paths[{k}].backend"),
                        &path.backend,
                    ));
                }
            }
            for (j, tls) in spec.tls.iter().flatten().enumerate() {
                if let Some(name) = &tls.secret_name {
                    out.push(Ref::new(
                        format!("spec.tls[{j}].secretName"),
                        "Secret",
                        name,
                        Edge::Tls,
                    ));
                }
            }
        }
        Object::HorizontalPodAutoscaler(h) => {
            let target = &h.spec.scale_target_ref;
            out.push(Ref::new(
                "spec.scaleTargetRef".into(),
                &target.kind,
                &target.name,
                Edge::ScaleTarget,
            ));
        }
        Object::EndpointSlice(e) => {
            if let Some(service) = e
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_NAME_LABEL))
            {
                out.push(Ref::new(
                    format!("metadata.labels[{SERVICE_NAME_LABEL:?}]"),
                    "Service",
                    service,
                    Edge::EndpointsOf,
                ));
            }
        }
        _ => {}
    }
    out
}

/// Every label selector of `o` that picks pods.
pub(crate) fn selector_refs(o: &Object) -> Vec<SelectorRef<'_>> {
    let mut out = Vec::new();
    let sel = |path: String, selector, edge, may_select_nothing| SelectorRef {
        path,
        selector,
        edge,
        may_select_nothing,
    };
    match o {
        Object::Service(s) => {
            if let Some(spec) = &s.spec
                && spec.type_.as_deref() != Some("ExternalName")
                && let Some(m) = &spec.selector
                && !m.is_empty()
            {
                out.push(sel(
                    "spec.selector".into(),
                    Selector::Map(m),
                    Edge::Selects,
                    false,
                ));
            }
        }
        Object::PodDisruptionBudget(p) => {
            if let Some(s) = p.spec.as_ref().and_then(|s| s.selector.as_ref()) {
                out.push(sel(
                    "spec.selector".into(),
                    Selector::Label(s),
                    Edge::Protects,
                    false,
                ));
            }
        }
        Object::NetworkPolicy(n) => {
            let Some(spec) = &n.spec else { return out };
            if let Some(s) = &spec.pod_selector {
                out.push(sel(
                    "spec.podSelector".into(),
                    Selector::Label(s),
                    Edge::AppliesTo,
                    true,
                ));
            }
            peer_selectors(
                spec.ingress.iter().flatten().map(|r| r.from.as_deref()),
                "spec.ingress",
                "from",
                Edge::Admits,
                &mut out,
            );
            peer_selectors(
                spec.egress.iter().flatten().map(|r| r.to.as_deref()),
                "spec.egress",
                "to",
                Edge::EgressTo,
                &mut out,
            );
        }
        _ => {}
    }
    out
}

/// The pod selectors of NetworkPolicy peers in this namespace (peers with a `namespaceSelector`
/// point elsewhere): `peers` lists each rule's peers, at `{rules}[i].{field}[j].podSelector`.
fn peer_selectors<'a>(
    peers: impl Iterator<Item = Option<&'a [NetworkPolicyPeer]>>,
    rules: &str,
    field: &str,
    edge: Edge,
    out: &mut Vec<SelectorRef<'a>>,
) {
    for (i, rule_peers) in peers.enumerate() {
        for (j, peer) in rule_peers.into_iter().flatten().enumerate() {
            if peer.namespace_selector.is_none()
                && let Some(s) = &peer.pod_selector
            {
                out.push(SelectorRef {
                    path: format!("{rules}[{i}].{field}[{j}].podSelector"),
                    selector: Selector::Label(s),
                    edge,
                    may_select_nothing: true,
                });
            }
        }
    }
}
