//! Cross-object reference checks for a [`Bundle`](crate::Bundle).
//!
//! One walker, two users: [`refs`] and [`selector_refs`] list what an object points at (by name
//! or by label selector); [`check`] turns the references that do not resolve into
//! [`Violation`]s and [`crate::graph`] draws them as edges.
//!
//! Rules (every one reports the referring object and the field path):
//! - ConfigMaps, Secrets, PersistentVolumeClaims, ServiceAccounts and image pull Secrets a pod
//!   uses (volumes incl. projected sources and CSI secrets, `env[].valueFrom`, `envFrom`,
//!   `serviceAccountName`, `imagePullSecrets`) are in the bundle or declared external; the keys
//!   picked from a ConfigMap/Secret in the bundle exist. `optional: true` references are fine,
//!   and so is the ServiceAccount `default`, which every namespace has.
//! - A StatefulSet's pod volumes named like one of its `volumeClaimTemplates` are replaced by
//!   the generated claims, so they are not checked.
//! - A Service with a selector selects the pods of at least one workload in the bundle (or pods
//!   declared external), and every `targetPort` exists on each selected workload: a name must
//!   be a container port's name; a number must be a container port unless some container
//!   declares no ports at all. Protocols must agree.
//! - A Service without a selector (other than `ExternalName`) has an EndpointSlice in the
//!   bundle labelled `kubernetes.io/service-name`, or its endpoints are declared external.
//! - A StatefulSet's `serviceName` is a headless Service (`clusterIP: None`) in the bundle, or
//!   external.
//! - Ingress backends are Services in the bundle (or external) with the named/numbered port;
//!   TLS secrets exist.
//! - A HorizontalPodAutoscaler's `scaleTargetRef` exists.
//! - PodDisruptionBudget and NetworkPolicy selectors select some workload's pods. An empty
//!   selector (`{}`) of a NetworkPolicy (`spec.podSelector` or a peer) means "every pod in the
//!   namespace" and is always fine; peers with a `namespaceSelector` point into other
//!   namespaces and are not checked.
//!
//! Namespaces: an object without a namespace is in the bundle's target namespace; references
//! resolve within one namespace. External declarations match in any namespace.

use crate::bundle::Bundle;
use crate::error::{ObjectRef, Violation};
use crate::meta::Labels;
use crate::object::Object;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::fmt::Write as _;

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
fn serving_containers<'a>(p: &PodSpecAt<'a>) -> impl Iterator<Item = &'a Container> {
    p.spec.containers.iter().chain(
        p.spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always")),
    )
}

/// Every container of a pod with the path of its list.
fn all_containers<'a>(p: &PodSpecAt<'a>) -> impl Iterator<Item = (String, &'a Container)> {
    let path = p.path;
    let main = p
        .spec
        .containers
        .iter()
        .enumerate()
        .map(move |(i, c)| (format!("{path}.containers[{i}]"), c));
    let init = p
        .spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(move |(i, c)| (format!("{path}.initContainers[{i}]"), c));
    main.chain(init)
}

fn pod_refs<'a>(o: &'a Object, p: &PodSpecAt<'a>, out: &mut Vec<Ref<'a>>) {
    let path = p.path;
    let claim_templates = claim_templates(o);
    for (i, v) in p.spec.volumes.iter().flatten().enumerate() {
        let at = format!("{path}.volumes[{i}]");
        if let Some(cm) = &v.config_map {
            let mut r = Ref::new(
                format!("{at}.configMap.name"),
                "ConfigMap",
                &cm.name,
                Edge::Volume,
            )
            .optional(cm.optional);
            for (j, item) in cm.items.iter().flatten().enumerate() {
                r = r.key(format!("{at}.configMap.items[{j}].key"), &item.key);
            }
            out.push(r);
        }
        if let Some(s) = &v.secret
            && let Some(name) = &s.secret_name
        {
            let mut r = Ref::new(
                format!("{at}.secret.secretName"),
                "Secret",
                name,
                Edge::Volume,
            )
            .optional(s.optional);
            for (j, item) in s.items.iter().flatten().enumerate() {
                r = r.key(format!("{at}.secret.items[{j}].key"), &item.key);
            }
            out.push(r);
        }
        if let Some(pvc) = &v.persistent_volume_claim
            && !claim_templates.contains(&v.name.as_str())
        {
            out.push(Ref::new(
                format!("{at}.persistentVolumeClaim.claimName"),
                "PersistentVolumeClaim",
                &pvc.claim_name,
                Edge::Volume,
            ));
        }
        if let Some(csi) = &v.csi
            && let Some(secret) = &csi.node_publish_secret_ref
        {
            out.push(Ref::new(
                format!("{at}.csi.nodePublishSecretRef.name"),
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
            let at = format!("{at}.projected.sources[{j}]");
            if let Some(cm) = &source.config_map {
                let mut r = Ref::new(
                    format!("{at}.configMap.name"),
                    "ConfigMap",
                    &cm.name,
                    Edge::Volume,
                )
                .optional(cm.optional);
                for (k, item) in cm.items.iter().flatten().enumerate() {
                    r = r.key(format!("{at}.configMap.items[{k}].key"), &item.key);
                }
                out.push(r);
            }
            if let Some(s) = &source.secret {
                let mut r = Ref::new(format!("{at}.secret.name"), "Secret", &s.name, Edge::Volume)
                    .optional(s.optional);
                for (k, item) in s.items.iter().flatten().enumerate() {
                    r = r.key(format!("{at}.secret.items[{k}].key"), &item.key);
                }
                out.push(r);
            }
        }
    }
    for (at, c) in all_containers(p) {
        for (j, e) in c.env.iter().flatten().enumerate() {
            let Some(from) = &e.value_from else { continue };
            let at = format!("{at}.env[{j}].valueFrom");
            if let Some(k) = &from.config_map_key_ref {
                out.push(
                    Ref::new(
                        format!("{at}.configMapKeyRef.name"),
                        "ConfigMap",
                        &k.name,
                        Edge::Env,
                    )
                    .optional(k.optional)
                    .key(format!("{at}.configMapKeyRef.key"), &k.key),
                );
            }
            if let Some(k) = &from.secret_key_ref {
                out.push(
                    Ref::new(
                        format!("{at}.secretKeyRef.name"),
                        "Secret",
                        &k.name,
                        Edge::Env,
                    )
                    .optional(k.optional)
                    .key(format!("{at}.secretKeyRef.key"), &k.key),
                );
            }
        }
        for (j, e) in c.env_from.iter().flatten().enumerate() {
            let at = format!("{at}.envFrom[{j}]");
            if let Some(r) = &e.config_map_ref {
                out.push(
                    Ref::new(
                        format!("{at}.configMapRef.name"),
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
                        format!("{at}.secretRef.name"),
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
            format!("{path}.{field}"),
            "ServiceAccount",
            name,
            Edge::ServiceAccount,
        ));
    }
    for (i, s) in p.spec.image_pull_secrets.iter().flatten().enumerate() {
        out.push(Ref::new(
            format!("{path}.imagePullSecrets[{i}].name"),
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

/// Everything `o` refers to by name, in field order.
pub(crate) fn refs(o: &Object) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    if let Some(p) = pod_spec(o) {
        pod_refs(o, &p, &mut out);
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
            for (i, rule) in spec.ingress.iter().flatten().enumerate() {
                for (j, peer) in rule.from.iter().flatten().enumerate() {
                    if peer.namespace_selector.is_none()
                        && let Some(s) = &peer.pod_selector
                    {
                        out.push(sel(
                            format!("spec.ingress[{i}].from[{j}].podSelector"),
                            Selector::Label(s),
                            Edge::Admits,
                            true,
                        ));
                    }
                }
            }
            for (i, rule) in spec.egress.iter().flatten().enumerate() {
                for (j, peer) in rule.to.iter().flatten().enumerate() {
                    if peer.namespace_selector.is_none()
                        && let Some(s) = &peer.pod_selector
                    {
                        out.push(sel(
                            format!("spec.egress[{i}].to[{j}].podSelector"),
                            Selector::Label(s),
                            Edge::EgressTo,
                            true,
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// The workloads in `bundle` whose pods `selector`, held by `from`, selects (same namespace).
pub(crate) fn selected<'b>(
    bundle: &'b Bundle,
    from: &Object,
    selector: Selector<'_>,
) -> Vec<&'b Object> {
    let ns = bundle.namespace_of(from);
    bundle
        .objects()
        .iter()
        .filter(|o| bundle.namespace_of(o) == ns)
        .filter(|o| {
            pod_spec(o)
                .and_then(|p| p.labels())
                .is_some_and(|l| selector.matches(l))
        })
        .collect()
}

/// The pod label sets declared external that `selector` selects.
pub(crate) fn selected_external<'b>(bundle: &'b Bundle, selector: Selector<'_>) -> Vec<&'b Labels> {
    bundle
        .external_pod_labels()
        .filter(|l| selector.matches(l.as_map()))
        .collect()
}

fn display(kind: &str, name: &str) -> ObjectRef {
    ObjectRef::new(kind, name)
}

/// Keys a ConfigMap or Secret holds (Secrets: also the generate-once keys it announces).
fn has_key(o: &Object, key: &str) -> bool {
    match o {
        Object::ConfigMap(cm) => {
            cm.data.as_ref().is_some_and(|d| d.contains_key(key))
                || cm.binary_data.as_ref().is_some_and(|d| d.contains_key(key))
        }
        Object::Secret(s) => {
            s.data.as_ref().is_some_and(|d| d.contains_key(key))
                || s.string_data.as_ref().is_some_and(|d| d.contains_key(key))
                || o.generate_once_keys().iter().any(|k| k == key)
        }
        _ => true,
    }
}

fn check_ref(bundle: &Bundle, o: &Object, r: &Ref<'_>, out: &mut Vec<Violation>) {
    let fail = |out: &mut Vec<Violation>, path: &str, message: String| {
        out.push(Violation::new(o.object_ref(), path, message));
    };
    let ns = bundle.namespace_of(o);
    let Some(target) = bundle.find(r.kind, ns, r.name) else {
        if r.optional || bundle.is_external(r.kind, r.name) {
            return;
        }
        let mut message = format!(
            "{} is neither in the bundle nor declared external",
            display(r.kind, r.name)
        );
        let elsewhere: Vec<&str> = bundle
            .objects()
            .iter()
            .filter(|t| t.kind() == r.kind && t.name() == r.name)
            .filter_map(|t| bundle.namespace_of(t))
            .collect();
        if let Some(other) = elsewhere.first() {
            let _ = write!(message, " (the bundle has one in namespace {other:?})");
        }
        fail(out, &r.path, message);
        return;
    };
    if !r.optional {
        for (path, key) in &r.keys {
            if !has_key(target, key) {
                fail(
                    out,
                    path,
                    format!("{} has no key {key:?}", display(r.kind, r.name)),
                );
            }
        }
    }
    if let (Some((path, port)), Object::Service(svc)) = (&r.port, target) {
        let ports = svc.spec.iter().flat_map(|s| s.ports.iter().flatten());
        let (found, what) = match port {
            PortRef::Name(name) => (
                ports.clone().any(|p| p.name.as_deref() == Some(name)),
                format!("no port named {name:?}"),
            ),
            PortRef::Number(n) => (ports.clone().any(|p| p.port == *n), format!("no port {n}")),
        };
        if !found {
            fail(
                out,
                path,
                format!("{} has {what}", display("Service", r.name)),
            );
        }
    }
    if r.edge == Edge::ServiceName
        && let Object::Service(svc) = target
        && svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) != Some("None")
    {
        fail(
            out,
            &r.path,
            format!(
                "{} is not headless (its spec.clusterIP must be \"None\")",
                display("Service", r.name)
            ),
        );
    }
}

/// Checks every `targetPort` of Service `svc` against a selected workload.
fn check_target_ports(svc: &Object, workload: &Object, out: &mut Vec<Violation>) {
    let (Object::Service(s), Some(pod)) = (svc, pod_spec(workload)) else {
        return;
    };
    let containers: Vec<&Container> = serving_containers(&pod).collect();
    let any_without_ports = containers
        .iter()
        .any(|c| c.ports.as_ref().is_none_or(Vec::is_empty));
    let container_ports: Vec<_> = containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .collect();
    for (i, port) in s
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .enumerate()
    {
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        let same_protocol = |p: &&&k8s_openapi::api::core::v1::ContainerPort| {
            p.protocol.as_deref().unwrap_or("TCP") == protocol
        };
        let suffix = if protocol == "TCP" {
            String::new()
        } else {
            format!(" with protocol {protocol}")
        };
        let (path, found, what) = match &port.target_port {
            Some(IntOrString::String(name)) => (
                format!("spec.ports[{i}].targetPort"),
                container_ports
                    .iter()
                    .filter(same_protocol)
                    .any(|p| p.name.as_deref() == Some(name.as_str())),
                format!("no container port named {name:?}{suffix}"),
            ),
            Some(IntOrString::Int(n)) => (
                format!("spec.ports[{i}].targetPort"),
                any_without_ports
                    || container_ports
                        .iter()
                        .filter(same_protocol)
                        .any(|p| p.container_port == *n),
                format!("no container port {n}{suffix}"),
            ),
            None => (
                format!("spec.ports[{i}].port"),
                any_without_ports
                    || container_ports
                        .iter()
                        .filter(same_protocol)
                        .any(|p| p.container_port == port.port),
                format!(
                    "no container port {}{suffix} (targetPort defaults to port)",
                    port.port
                ),
            ),
        };
        if !found {
            out.push(Violation::new(
                svc.object_ref(),
                path,
                format!("{} has {what}", display(workload.kind(), workload.name())),
            ));
        }
    }
}

/// Every reference between objects of `bundle` that does not resolve, in bundle order.
pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let mut out = Vec::new();
    for o in bundle.objects() {
        for r in refs(o) {
            check_ref(bundle, o, &r, &mut out);
        }
        for s in selector_refs(o) {
            if s.may_select_nothing && s.selector.is_empty() {
                continue;
            }
            let workloads = selected(bundle, o, s.selector);
            if workloads.is_empty() && selected_external(bundle, s.selector).is_empty() {
                out.push(Violation::new(
                    o.object_ref(),
                    s.path.clone(),
                    format!(
                        "selector {} matches the pods of no workload in the bundle (nor pods declared external)",
                        s.selector.describe()
                    ),
                ));
            }
            if s.edge == Edge::Selects {
                for w in workloads {
                    check_target_ports(o, w, &mut out);
                }
            }
        }
        if let Object::Service(svc) = o
            && let Some(spec) = &svc.spec
            && spec.type_.as_deref() != Some("ExternalName")
            && spec.selector.as_ref().is_none_or(BTreeMap::is_empty)
        {
            let ns = bundle.namespace_of(o);
            let has_slice = bundle.objects().iter().any(|e| {
                matches!(e, Object::EndpointSlice(_))
                    && bundle.namespace_of(e) == ns
                    && e.metadata()
                        .labels
                        .as_ref()
                        .and_then(|l| l.get(SERVICE_NAME_LABEL))
                        .map(String::as_str)
                        == Some(o.name())
            });
            if !has_slice
                && !bundle.is_external("Endpoints", o.name())
                && !bundle.is_external("EndpointSlice", o.name())
            {
                out.push(Violation::new(
                    o.object_ref(),
                    "spec.selector",
                    format!(
                        "is empty and no EndpointSlice in the bundle is labelled {SERVICE_NAME_LABEL}={} (nor are its endpoints declared external)",
                        o.name()
                    ),
                ));
            }
        }
    }
    out
}
