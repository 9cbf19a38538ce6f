//! Cross-object reference checks: the rules [`Bundle::check`] applies between the objects of a
//! [`Bundle`].
//!
//! One walker, two users: the same code lists what an object points at (by name or by label
//! selector) for these checks and for the edges [`crate::graph`] draws.
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
//!
//! ```
//! use kubeprint::prelude::*;
//! use k8s_openapi::api::core::v1::{ConfigMapVolumeSource, Container, Pod, PodSpec, Volume};
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
//! let pod = Pod {
//!     metadata: ObjectMeta { name: Some("kuard".into()), ..Default::default() },
//!     spec: Some(PodSpec {
//!         containers: vec![Container { name: "kuard".into(), image: Some("kuard:blue".into()), ..Default::default() }],
//!         volumes: Some(vec![Volume {
//!             name: "config".into(),
//!             config_map: Some(ConfigMapVolumeSource { name: "kuard-config".into(), ..Default::default() }),
//!             ..Default::default()
//!         }]),
//!         ..Default::default()
//!     }),
//!     ..Default::default()
//! };
//! let mut app = Bundle::new("kuard").with(pod)?;
//! assert_eq!(
//!     app.check().unwrap_err().to_string(),
//!     r#"pod "kuard": spec.volumes[0].configMap.name: configmap "kuard-config" is neither in the bundle nor declared external"#
//! );
//! app.add(ConfigMap::builder().name("kuard-config").entry("level", "debug").build())?;
//! assert!(app.check().is_ok());
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::bundle::Bundle;
use crate::error::{ObjectRef, Violation};
use crate::meta::Labels;
use crate::object::Object;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, HashMap, HashSet};
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

/// Objects of the bundle an object is tied to by fields that may just as well name the
/// cluster's objects, with what ties them: a claim's `class` and the `volume` it names or
/// `binds to` by selector (volumes of its class whose labels the selector matches), a volume's
/// `class` and the claim it is `reserved for`, an Ingress's `class`, pods' `priority` and
/// `runtime` classes.
/// None of them has to be in
/// the bundle (classes and volumes are often the cluster's), so these are drawn, never
/// reported.
pub(crate) fn bundle_links<'b>(bundle: &'b Bundle, o: &Object) -> Vec<(&'b Object, &'static str)> {
    let mut out = Vec::new();
    if let Some(p) = pod_spec(o) {
        for (kind, name, label) in [
            (
                "PriorityClass",
                p.spec.priority_class_name.as_deref(),
                "priority",
            ),
            (
                "RuntimeClass",
                p.spec.runtime_class_name.as_deref(),
                "runtime",
            ),
        ] {
            out.extend(
                name.and_then(|n| bundle.find(kind, None, n))
                    .map(|c| (c, label)),
            );
        }
    }
    let class = |name: Option<&String>| {
        name.filter(|n| !n.is_empty())
            .and_then(|n| bundle.find("StorageClass", None, n))
    };
    match o {
        Object::PersistentVolumeClaim(c) => {
            let Some(spec) = &c.spec else { return out };
            out.extend(class(spec.storage_class_name.as_ref()).map(|sc| (sc, "class")));
            if let Some(volume) = spec.volume_name.as_ref().filter(|n| !n.is_empty()) {
                out.extend(
                    bundle
                        .find("PersistentVolume", None, volume)
                        .map(|v| (v, "volume")),
                );
            } else if let Some(selector) = &spec.selector {
                let selector = Selector::Label(selector);
                // Objects are sorted by install rank: the volumes are one run.
                let objects = bundle.objects();
                let rank = Object::install_rank_of("PersistentVolume");
                let start = objects.partition_point(|x| Some(x.install_rank()) < rank);
                let empty = BTreeMap::new();
                for v in &objects[start..] {
                    let Object::PersistentVolume(pv) = v else {
                        break;
                    };
                    let pv_class = pv
                        .spec
                        .as_ref()
                        .and_then(|s| s.storage_class_name.as_deref());
                    let same_class = spec
                        .storage_class_name
                        .as_deref()
                        .is_none_or(|c| c == pv_class.unwrap_or_default());
                    let labels = pv.metadata.labels.as_ref().unwrap_or(&empty);
                    if same_class && selector.matches(labels) {
                        out.push((v, "binds to"));
                    }
                }
            }
        }
        Object::PersistentVolume(v) => {
            let Some(spec) = &v.spec else { return out };
            out.extend(class(spec.storage_class_name.as_ref()).map(|sc| (sc, "class")));
            if let Some(claim) = &spec.claim_ref
                && let Some(name) = claim.name.as_deref()
            {
                out.extend(
                    bundle
                        .find("PersistentVolumeClaim", claim.namespace.as_deref(), name)
                        .map(|c| (c, "reserved for")),
                );
            }
        }
        Object::Ingress(i) => {
            let class = i.spec.as_ref().and_then(|s| s.ingress_class_name.as_ref());
            out.extend(
                class
                    .and_then(|n| bundle.find("IngressClass", None, n))
                    .map(|c| (c, "class")),
            );
        }
        _ => {}
    }
    out
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

/// Whether Service `svc` selects pods of the bundle's workloads and every one of them is scaled to
/// zero (`spec.replicas: 0` on a Deployment, ReplicaSet or StatefulSet): then no endpoint is
/// coming from the bundle, and an apply waiting for one would wait until its timeout.
#[cfg(feature = "client")]
pub(crate) fn service_expects_no_endpoints(index: &Index<'_>, svc: &Object) -> bool {
    if !matches!(svc, Object::Service(_)) {
        return false;
    }
    let mut selected = selector_refs(svc)
        .into_iter()
        .flat_map(|s| index.selected(svc, s.selector))
        .peekable();
    selected.peek().is_some() && selected.all(scaled_to_zero)
}

#[cfg(feature = "client")]
fn scaled_to_zero(o: &Object) -> bool {
    match o {
        Object::Deployment(d) => d.spec.replicas == Some(0),
        Object::ReplicaSet(r) => r.spec.replicas == Some(0),
        Object::StatefulSet(s) => s.spec.replicas == Some(0),
        _ => false,
    }
}

/// The workloads in `bundle` whose pods `selector`, held by `from`, selects (same namespace),
/// by scanning the bundle: the oracle [`Index::selected`] is tested against.
#[cfg(test)]
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

/// Lookups over the objects of a bundle, built once per [`check`] so that resolving a
/// reference or a selector does not scan the whole bundle (which made checking quadratic).
/// Every answer is the one a scan in bundle order would give, in the same order.
pub(crate) struct Index<'b> {
    bundle: &'b Bundle,
    /// Objects by (kind, name), in bundle order.
    named: HashMap<(&'b str, &'b str), Vec<&'b Object>>,
    /// Objects whose pods have labels, per namespace.
    pods: HashMap<Option<&'b str>, Pods<'b>>,
    /// (namespace, Service) of every EndpointSlice labelled with its Service's name.
    slices: HashSet<(Option<&'b str>, &'b str)>,
}

/// The objects of one namespace whose pods have labels.
#[derive(Default)]
struct Pods<'b> {
    /// In bundle order, with their pods' labels.
    all: Vec<(&'b Object, &'b BTreeMap<String, String>)>,
    /// Positions in `all` (ascending) of the pods labelled `key=value`.
    labelled: HashMap<(&'b str, &'b str), Vec<usize>>,
}

impl<'b> Index<'b> {
    pub(crate) fn new(bundle: &'b Bundle) -> Self {
        let mut index = Index {
            bundle,
            named: HashMap::new(),
            pods: HashMap::new(),
            slices: HashSet::new(),
        };
        for o in bundle.objects() {
            index.named.entry((o.kind(), o.name())).or_default().push(o);
            let ns = bundle.namespace_of(o);
            if let Some(labels) = pod_spec(o).and_then(|p| p.labels()) {
                let pods = index.pods.entry(ns).or_default();
                for (k, v) in labels {
                    pods.labelled
                        .entry((k, v))
                        .or_default()
                        .push(pods.all.len());
                }
                pods.all.push((o, labels));
            }
            if let Object::EndpointSlice(e) = o
                && let Some(service) = e
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(SERVICE_NAME_LABEL))
            {
                index.slices.insert((ns, service));
            }
        }
        index
    }

    /// The first object of `kind` named `name` in namespace `ns` (any namespace for
    /// cluster-scoped kinds): [`Bundle::find`].
    fn find(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<&'b Object> {
        self.named
            .get(&(kind, name))?
            .iter()
            .copied()
            .find(|o| !o.is_namespaced() || self.bundle.namespace_of(o) == ns)
    }

    /// The first namespace (in bundle order) with an object of `kind` named `name`.
    fn namespace_with(&self, kind: &str, name: &str) -> Option<&'b str> {
        let bundle = self.bundle;
        self.named
            .get(&(kind, name))?
            .iter()
            .find_map(|o| bundle.namespace_of(o))
    }

    /// [`selected`]: the workloads whose pods `selector`, held by `from`, selects.
    pub(crate) fn selected(&self, from: &Object, selector: Selector<'_>) -> Vec<&'b Object> {
        let Some(pods) = self.pods.get(&self.bundle.namespace_of(from)) else {
            return Vec::new();
        };
        // Every selected pod has each `key=value` the selector requires: the fewest pods
        // labelled with one of them are the candidates.
        let required = match selector {
            Selector::Map(m) => Some(m),
            Selector::Label(s) => s.match_labels.as_ref(),
        };
        let mut candidates: Option<&[usize]> = None;
        for (k, v) in required.into_iter().flatten() {
            let with = pods
                .labelled
                .get(&(k.as_str(), v.as_str()))
                .map_or(&[][..], Vec::as_slice);
            if candidates.is_none_or(|c| with.len() < c.len()) {
                candidates = Some(with);
            }
        }
        let matches = |(o, labels): &(&'b Object, &BTreeMap<String, String>)| {
            selector.matches(labels).then_some(*o)
        };
        match candidates {
            Some(positions) => positions
                .iter()
                .filter_map(|&i| pods.all.get(i).and_then(matches))
                .collect(),
            None => pods.all.iter().filter_map(matches).collect(),
        }
    }

    /// Whether an EndpointSlice in namespace `ns` is labelled with Service `service`.
    fn has_slice(&self, ns: Option<&str>, service: &str) -> bool {
        self.slices.contains(&(ns, service))
    }
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

fn check_ref(index: &Index<'_>, o: &Object, r: &Ref<'_>, out: &mut Vec<Violation>) {
    let bundle = index.bundle;
    let fail = |out: &mut Vec<Violation>, path: &str, message: String| {
        out.push(Violation::new(o.object_ref(), path, message));
    };
    let ns = bundle.namespace_of(o);
    let Some(target) = index.find(r.kind, ns, r.name) else {
        if r.optional || bundle.is_external(r.kind, r.name) {
            return;
        }
        let mut message = format!(
            "{} is neither in the bundle nor declared external",
            display(r.kind, r.name)
        );
        if let Some(other) = index.namespace_with(r.kind, r.name) {
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
    let index = Index::new(bundle);
    let mut out = Vec::new();
    for o in bundle.objects() {
        for r in refs(o) {
            check_ref(&index, o, &r, &mut out);
        }
        for s in selector_refs(o) {
            if s.may_select_nothing && s.selector.is_empty() {
                continue;
            }
            let workloads = index.selected(o, s.selector);
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
            && !index.has_slice(bundle.namespace_of(o), o.name())
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
    out
}

/// Raw `k8s-openapi` objects for tests (references, bundle, graph).
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::bundle::Bundle;
    use crate::object::Object;
    use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
    use k8s_openapi::api::core::v1::{
        ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, PersistentVolumeClaim,
        PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec, Secret, Service, ServiceAccount,
        ServicePort, ServiceSpec, Volume,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use std::collections::BTreeMap;

    pub(crate) fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    pub(crate) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// A container with named TCP ports (`""` for an unnamed port).
    pub(crate) fn container(name: &str, ports: &[(&str, i32)]) -> Container {
        let ports: Vec<ContainerPort> = ports
            .iter()
            .map(|(n, p)| ContainerPort {
                name: (!n.is_empty()).then(|| (*n).to_owned()),
                container_port: *p,
                ..Default::default()
            })
            .collect();
        Container {
            name: name.into(),
            image: Some("registry.example/app:1.0".into()),
            ports: (!ports.is_empty()).then_some(ports),
            ..Default::default()
        }
    }

    pub(crate) fn pod(containers: Vec<Container>) -> PodSpec {
        PodSpec {
            containers,
            ..Default::default()
        }
    }

    pub(crate) fn template(app: &str, spec: PodSpec) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(labels(&[("app", app)])),
                ..Default::default()
            }),
            spec: Some(spec),
        }
    }

    pub(crate) fn selector(app: &str) -> LabelSelector {
        LabelSelector {
            match_labels: Some(labels(&[("app", app)])),
            ..Default::default()
        }
    }

    /// A Deployment whose pods are labelled `app=<name>`.
    pub(crate) fn deployment(name: &str, spec: PodSpec) -> Deployment {
        Deployment {
            metadata: meta(name),
            spec: DeploymentSpec {
                selector: selector(name),
                template: template(name, spec),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub(crate) fn statefulset(
        name: &str,
        service: Option<&str>,
        claims: &[&str],
        spec: PodSpec,
    ) -> StatefulSet {
        let claims: Vec<PersistentVolumeClaim> = claims.iter().map(|c| pvc(c)).collect();
        StatefulSet {
            metadata: meta(name),
            spec: StatefulSetSpec {
                selector: selector(name),
                service_name: service.map(str::to_owned),
                template: template(name, spec),
                volume_claim_templates: (!claims.is_empty()).then_some(claims),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub(crate) fn config_map(name: &str, keys: &[(&str, &str)]) -> ConfigMap {
        ConfigMap {
            metadata: meta(name),
            data: Some(labels(keys)),
            ..Default::default()
        }
    }

    pub(crate) fn secret(name: &str, keys: &[(&str, &str)]) -> Secret {
        Secret {
            metadata: meta(name),
            string_data: Some(labels(keys)),
            ..Default::default()
        }
    }

    pub(crate) fn pvc(name: &str) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: meta(name),
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                resources: Some(k8s_openapi::api::core::v1::VolumeResourceRequirements {
                    requests: Some(
                        [(
                            "storage".to_owned(),
                            k8s_openapi::apimachinery::pkg::api::resource::Quantity("1Gi".into()),
                        )]
                        .into(),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(crate) fn service_account(name: &str) -> ServiceAccount {
        ServiceAccount {
            metadata: meta(name),
            ..Default::default()
        }
    }

    /// A ClusterIP Service selecting `app=<app>` with `(name, port, targetPort)` ports.
    pub(crate) fn service(
        name: &str,
        app: &str,
        ports: &[(&str, i32, Option<IntOrString>)],
    ) -> Service {
        Service {
            metadata: meta(name),
            spec: Some(ServiceSpec {
                selector: (!app.is_empty()).then(|| labels(&[("app", app)])),
                ports: Some(
                    ports
                        .iter()
                        .map(|(n, p, t)| ServicePort {
                            name: (!n.is_empty()).then(|| (*n).to_owned()),
                            port: *p,
                            target_port: t.clone(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(crate) fn headless(mut s: Service) -> Service {
        if let Some(spec) = &mut s.spec {
            spec.cluster_ip = Some("None".into());
        }
        s
    }

    pub(crate) fn cm_volume(name: &str, config_map: &str) -> Volume {
        Volume {
            name: name.into(),
            config_map: Some(ConfigMapVolumeSource {
                name: config_map.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(crate) fn empty_dir(name: &str) -> Volume {
        Volume {
            name: name.into(),
            empty_dir: Some(Default::default()),
            ..Default::default()
        }
    }

    /// A bundle of the objects; panics (test code) when one does not go in.
    pub(crate) fn bundle(objects: Vec<Object>) -> Bundle {
        let mut b = Bundle::new("test");
        for o in objects {
            let name = o.object_ref().to_string();
            if let Err(e) = b.add(o.clone()) {
                panic!("adding {name}: {e}");
            }
        }
        b
    }

    /// The reference violations, one line each.
    pub(crate) fn violations(b: &Bundle) -> Vec<String> {
        super::check(b).iter().map(ToString::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::object::GENERATE_ONCE_ANNOTATION;
    use k8s_openapi::api::apps::v1::DaemonSet;
    use k8s_openapi::api::autoscaling::v2::{
        CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
    };
    use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
    use k8s_openapi::api::core::v1::{
        CSIVolumeSource, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapProjection,
        EnvFromSource, EnvVar, EnvVarSource, KeyToPath, LocalObjectReference,
        PersistentVolumeClaimVolumeSource, Pod, ProjectedVolumeSource, SecretEnvSource,
        SecretKeySelector, SecretProjection, SecretVolumeSource, Volume, VolumeProjection,
    };
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    use k8s_openapi::api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
        IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
        NetworkPolicyPeer, NetworkPolicySpec, ServiceBackendPort,
    };
    use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn web(spec: PodSpec) -> Object {
        deployment("web", spec).into()
    }

    fn web_container() -> Container {
        container("web", &[("http", 8080)])
    }

    fn with_volumes(volumes: Vec<Volume>) -> PodSpec {
        PodSpec {
            volumes: Some(volumes),
            ..pod(vec![web_container()])
        }
    }

    fn env_from_cm(name: &str, key: &str, optional: Option<bool>) -> EnvVar {
        EnvVar {
            name: "LEVEL".into(),
            value_from: Some(EnvVarSource {
                config_map_key_ref: Some(ConfigMapKeySelector {
                    name: name.into(),
                    key: key.into(),
                    optional,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn env_from_secret(name: &str, key: &str) -> EnvVar {
        EnvVar {
            name: "PASSWORD".into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: name.into(),
                    key: key.into(),
                    optional: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn with_env(env: Vec<EnvVar>) -> PodSpec {
        pod(vec![Container {
            env: Some(env),
            ..web_container()
        }])
    }

    #[test]
    fn config_map_volume_missing() {
        let b = bundle(vec![web(with_volumes(vec![
            empty_dir("tmp"),
            cm_volume("config", "settings"),
        ]))]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[1].configMap.name: configmap "settings" is neither in the bundle nor declared external"#
            ]
        );
    }

    #[test]
    fn config_map_volume_present_external_or_optional() {
        let spec = with_volumes(vec![cm_volume("config", "settings")]);
        let b = bundle(vec![
            web(spec.clone()),
            config_map("settings", &[("a", "b")]).into(),
        ]);
        assert!(violations(&b).is_empty());
        let mut b = bundle(vec![web(spec.clone())]);
        b.external("configmap", "settings");
        assert!(violations(&b).is_empty());
        let mut optional = spec;
        if let Some(cm) = optional
            .volumes
            .as_mut()
            .and_then(|v| v[0].config_map.as_mut())
        {
            cm.optional = Some(true);
        }
        assert!(violations(&bundle(vec![web(optional)])).is_empty());
    }

    #[test]
    fn volume_items_keys_must_exist() {
        let mut v = cm_volume("config", "settings");
        if let Some(cm) = v.config_map.as_mut() {
            cm.items = Some(vec![
                KeyToPath {
                    key: "a".into(),
                    path: "a.conf".into(),
                    ..Default::default()
                },
                KeyToPath {
                    key: "nope".into(),
                    path: "b.conf".into(),
                    ..Default::default()
                },
            ]);
        }
        let b = bundle(vec![
            web(with_volumes(vec![v])),
            config_map("settings", &[("a", "1")]).into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].configMap.items[1].key: configmap "settings" has no key "nope""#
            ]
        );
    }

    #[test]
    fn secret_csi_and_projected_volumes() {
        let volumes = vec![
            Volume {
                name: "tls".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some("tls".into()),
                    items: Some(vec![KeyToPath {
                        key: "tls.key".into(),
                        path: "k".into(),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Volume {
                name: "store".into(),
                csi: Some(CSIVolumeSource {
                    driver: "secrets-store.csi.k8s.io".into(),
                    node_publish_secret_ref: Some(LocalObjectReference {
                        name: "csi-creds".into(),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            Volume {
                name: "all".into(),
                projected: Some(ProjectedVolumeSource {
                    sources: Some(vec![
                        VolumeProjection {
                            service_account_token: Some(
                                k8s_openapi::api::core::v1::ServiceAccountTokenProjection {
                                    path: "token".into(),
                                    ..Default::default()
                                },
                            ),
                            ..Default::default()
                        },
                        VolumeProjection {
                            config_map: Some(ConfigMapProjection {
                                name: "proj-cm".into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        VolumeProjection {
                            secret: Some(SecretProjection {
                                name: "proj-secret".into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                        VolumeProjection {
                            secret: Some(SecretProjection {
                                name: "maybe".into(),
                                optional: Some(true),
                                ..Default::default()
                            }),
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ];
        let b = bundle(vec![
            web(with_volumes(volumes.clone())),
            secret("tls", &[("tls.crt", "x")]).into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].secret.items[0].key: secret "tls" has no key "tls.key""#,
                r#"deployment "web": spec.template.spec.volumes[1].csi.nodePublishSecretRef.name: secret "csi-creds" is neither in the bundle nor declared external"#,
                r#"deployment "web": spec.template.spec.volumes[2].projected.sources[1].configMap.name: configmap "proj-cm" is neither in the bundle nor declared external"#,
                r#"deployment "web": spec.template.spec.volumes[2].projected.sources[2].secret.name: secret "proj-secret" is neither in the bundle nor declared external"#,
            ]
        );
        let mut b = bundle(vec![
            web(with_volumes(volumes)),
            secret("tls", &[("tls.key", "x")]).into(),
        ]);
        b.external_secret("csi-creds")
            .external_config_map("proj-cm")
            .external_secret("proj-secret");
        assert!(violations(&b).is_empty(), "{:?}", violations(&b));
    }

    #[test]
    fn env_value_from_and_keys() {
        let env = vec![
            env_from_cm("settings", "level", None),
            env_from_cm("settings", "colour", None),
            env_from_cm("settings", "optional-key", Some(true)),
            env_from_secret("db", "password"),
            env_from_secret("db", "root-password"),
            env_from_secret("absent", "x"),
        ];
        let mut db = secret("db", &[("password", "x"), ("root-password", "y")]);
        db.metadata.annotations = Some(labels(&[(GENERATE_ONCE_ANNOTATION, "root-password")]));
        let b = bundle(vec![
            web(with_env(env)),
            config_map("settings", &[("level", "debug")]).into(),
            db.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef.key: configmap "settings" has no key "colour""#,
                r#"deployment "web": spec.template.spec.containers[0].env[5].valueFrom.secretKeyRef.name: secret "absent" is neither in the bundle nor declared external"#,
            ]
        );
    }

    #[test]
    fn env_from_and_init_containers() {
        let init = Container {
            env_from: Some(vec![
                EnvFromSource {
                    config_map_ref: Some(ConfigMapEnvSource {
                        name: "init-settings".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
                EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: "init-secret".into(),
                        optional: Some(true),
                    }),
                    ..Default::default()
                },
                EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: "init-creds".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
            ]),
            ..container("init", &[])
        };
        let spec = PodSpec {
            init_containers: Some(vec![init]),
            ..pod(vec![web_container()])
        };
        let b = bundle(vec![web(spec), secret("init-creds", &[]).into()]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.initContainers[0].envFrom[0].configMapRef.name: configmap "init-settings" is neither in the bundle nor declared external"#
            ]
        );
    }

    #[test]
    fn service_account_and_pull_secrets() {
        let spec = PodSpec {
            service_account_name: Some("web".into()),
            image_pull_secrets: Some(vec![LocalObjectReference {
                name: "registry".into(),
            }]),
            ..pod(vec![web_container()])
        };
        let b = bundle(vec![web(spec.clone())]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.serviceAccountName: serviceaccount "web" is neither in the bundle nor declared external"#,
                r#"deployment "web": spec.template.spec.imagePullSecrets[0].name: secret "registry" is neither in the bundle nor declared external"#,
            ]
        );
        let mut b = bundle(vec![web(spec), service_account("web").into()]);
        b.external_secret("registry");
        assert!(violations(&b).is_empty());
        // Every namespace has the ServiceAccount "default".
        let default = PodSpec {
            service_account_name: Some("default".into()),
            ..pod(vec![web_container()])
        };
        assert!(violations(&bundle(vec![web(default)])).is_empty());
    }

    #[test]
    fn persistent_volume_claims_and_claim_templates() {
        let claim = |name: &str, claim: &str| Volume {
            name: name.into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.into(),
                read_only: None,
            }),
            ..Default::default()
        };
        let b = bundle(vec![web(with_volumes(vec![claim("data", "web-data")]))]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].persistentVolumeClaim.claimName: persistentvolumeclaim "web-data" is neither in the bundle nor declared external"#
            ]
        );
        let b = bundle(vec![
            web(with_volumes(vec![claim("data", "web-data")])),
            pvc("web-data").into(),
        ]);
        assert!(violations(&b).is_empty());
        // A StatefulSet's claim templates are not PVCs the bundle must hold; its other claims are.
        // (A pod volume named like a claim template is rejected by StatefulSet validation.)
        let sts = statefulset(
            "db",
            Some("db"),
            &["data"],
            with_volumes(vec![claim("other", "missing")]),
        );
        let b = bundle(vec![
            sts.into(),
            headless(service("db", "", &[("", 5432, None)])).into(),
        ]);
        let v = violations(&b);
        assert_eq!(
            v.iter()
                .filter(|m| m.contains("persistentvolumeclaim"))
                .collect::<Vec<_>>(),
            [
                r#"statefulset "db": spec.template.spec.volumes[0].persistentVolumeClaim.claimName: persistentvolumeclaim "missing" is neither in the bundle nor declared external"#
            ]
        );
    }

    #[test]
    fn service_selects_nothing() {
        let b = bundle(vec![
            web(pod(vec![web_container()])).clone(),
            service("api", "api", &[("http", 80, None)]).into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "api": spec.selector: selector app=api matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
        let mut b = b;
        b.external_pods(crate::Labels::from([("app", "api"), ("tier", "backend")]));
        assert!(violations(&b).is_empty());
    }

    #[test]
    fn service_target_ports() {
        let name = |n: &str| Some(IntOrString::String(n.into()));
        let svc = service(
            "web",
            "web",
            &[
                ("http", 80, name("http")),
                ("admin", 81, name("admin")),
                ("num", 82, Some(IntOrString::Int(9090))),
                ("same", 8080, None),
                ("missing", 83, None),
            ],
        );
        let b = bundle(vec![web(pod(vec![web_container()])), svc.clone().into()]);
        assert_eq!(
            violations(&b),
            [
                r#"service "web": spec.ports[1].targetPort: deployment "web" has no container port named "admin""#,
                r#"service "web": spec.ports[2].targetPort: deployment "web" has no container port 9090"#,
                r#"service "web": spec.ports[4].port: deployment "web" has no container port 83 (targetPort defaults to port)"#,
            ]
        );
        // A container declaring no ports may listen on any number; names still must exist.
        let spec = pod(vec![web_container(), container("sidecar", &[])]);
        let b = bundle(vec![web(spec), svc.into()]);
        assert_eq!(
            violations(&b),
            [
                r#"service "web": spec.ports[1].targetPort: deployment "web" has no container port named "admin""#
            ]
        );
    }

    #[test]
    fn service_port_protocols_and_sidecars() {
        let mut svc = service(
            "dns",
            "web",
            &[("dns", 53, Some(IntOrString::String("dns".into())))],
        );
        if let Some(p) = svc.spec.as_mut().and_then(|s| s.ports.as_mut()) {
            p[0].protocol = Some("UDP".into());
        }
        // The container port "dns" is TCP (the default).
        let b = bundle(vec![
            web(pod(vec![container("web", &[("dns", 53)])])),
            svc.clone().into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "dns": spec.ports[0].targetPort: deployment "web" has no container port named "dns" with protocol UDP"#
            ]
        );
        // A native sidecar (restartable init container) serves ports too.
        let mut sidecar = container("proxy", &[("dns", 53)]);
        sidecar.restart_policy = Some("Always".into());
        if let Some(p) = sidecar.ports.as_mut() {
            p[0].protocol = Some("UDP".into());
        }
        let spec = PodSpec {
            init_containers: Some(vec![sidecar]),
            ..pod(vec![web_container()])
        };
        assert!(violations(&bundle(vec![web(spec), svc.into()])).is_empty());
    }

    #[test]
    fn service_selecting_several_workloads_checks_each() {
        let mut canary = deployment("web-canary", pod(vec![container("web", &[("web", 8080)])]));
        // Label the canary's pods app=web too (selector keeps its own label).
        if let Some(m) = canary.spec.template.metadata.as_mut() {
            m.labels = Some(labels(&[("app", "web"), ("track", "canary")]));
        }
        canary.spec.selector = LabelSelector {
            match_labels: Some(labels(&[("track", "canary")])),
            ..Default::default()
        };
        let svc = service(
            "web",
            "web",
            &[("http", 80, Some(IntOrString::String("http".into())))],
        );
        let b = bundle(vec![
            web(pod(vec![web_container()])),
            canary.into(),
            svc.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "web": spec.ports[0].targetPort: deployment "web-canary" has no container port named "http""#
            ]
        );
    }

    #[test]
    fn selectorless_services_need_endpoints() {
        let svc = service("legacy-db", "", &[("", 5432, None)]);
        let b = bundle(vec![svc.clone().into()]);
        assert_eq!(
            violations(&b),
            [
                r#"service "legacy-db": spec.selector: is empty and no EndpointSlice in the bundle is labelled kubernetes.io/service-name=legacy-db (nor are its endpoints declared external)"#
            ]
        );
        let slice = EndpointSlice {
            metadata: ObjectMeta {
                labels: Some(labels(&[(SERVICE_NAME_LABEL, "legacy-db")])),
                ..meta("legacy-db-1")
            },
            address_type: "IPv4".into(),
            endpoints: None,
            ports: None,
        };
        assert!(violations(&bundle(vec![svc.clone().into(), slice.clone().into()])).is_empty());
        let mut b = bundle(vec![svc.clone().into()]);
        b.external_endpoints("legacy-db");
        assert!(violations(&b).is_empty());
        // An EndpointSlice for a Service that is not there.
        assert_eq!(
            violations(&bundle(vec![slice.into()])),
            [
                r#"endpointslice "legacy-db-1": metadata.labels["kubernetes.io/service-name"]: service "legacy-db" is neither in the bundle nor declared external"#
            ]
        );
        // ExternalName Services have neither.
        let mut ext = service("search", "", &[]);
        if let Some(s) = ext.spec.as_mut() {
            s.type_ = Some("ExternalName".into());
            s.external_name = Some("search.example.com".into());
        }
        assert!(violations(&bundle(vec![ext.into()])).is_empty());
    }

    #[test]
    fn statefulset_service_name() {
        let sts = |svc: &str| -> Object {
            statefulset(
                "db",
                Some(svc),
                &[],
                pod(vec![container("db", &[("pg", 5432)])]),
            )
            .into()
        };
        let plain = service("db", "db", &[("pg", 5432, None)]);
        assert_eq!(
            violations(&bundle(vec![sts("db")])),
            [
                r#"statefulset "db": spec.serviceName: service "db" is neither in the bundle nor declared external"#
            ]
        );
        assert_eq!(
            violations(&bundle(vec![sts("db"), plain.clone().into()])),
            [
                r#"statefulset "db": spec.serviceName: service "db" is not headless (its spec.clusterIP must be "None")"#
            ]
        );
        assert!(violations(&bundle(vec![sts("db"), headless(plain).into()])).is_empty());
        let mut b = bundle(vec![sts("elsewhere")]);
        b.external_service("elsewhere");
        assert!(violations(&b).is_empty());
    }

    fn backend(service: &str, port: ServiceBackendPort) -> IngressBackend {
        IngressBackend {
            service: Some(IngressServiceBackend {
                name: service.into(),
                port: Some(port),
            }),
            ..Default::default()
        }
    }

    fn port_name(n: &str) -> ServiceBackendPort {
        ServiceBackendPort {
            name: Some(n.into()),
            number: None,
        }
    }

    fn port_number(n: i32) -> ServiceBackendPort {
        ServiceBackendPort {
            name: None,
            number: Some(n),
        }
    }

    #[test]
    fn ingress_backends_and_tls() {
        let path = |b| HTTPIngressPath {
            backend: b,
            path: Some("/".into()),
            path_type: "Prefix".into(),
        };
        let ingress = Ingress {
            metadata: meta("web"),
            spec: Some(IngressSpec {
                default_backend: Some(backend("web", port_number(80))),
                rules: Some(vec![IngressRule {
                    host: Some("web.example.com".into()),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![
                            path(backend("web", port_name("http"))),
                            path(backend("web", port_name("https"))),
                            path(backend("web", port_number(8080))),
                            path(backend("api", port_name("http"))),
                        ],
                    }),
                }]),
                tls: Some(vec![IngressTLS {
                    hosts: None,
                    secret_name: Some("web-tls".into()),
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let svc = service(
            "web",
            "web",
            &[("http", 80, Some(IntOrString::String("http".into())))],
        );
        let b = bundle(vec![
            web(pod(vec![web_container()])),
            svc.into(),
            ingress.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"ingress "web": spec.rules[0].http.paths[1].backend.service.port.name: service "web" has no port named "https""#,
                r#"ingress "web": spec.rules[0].http.paths[2].backend.service.port.number: service "web" has no port 8080"#,
                r#"ingress "web": spec.rules[0].http.paths[3].backend.service.name: service "api" is neither in the bundle nor declared external"#,
                r#"ingress "web": spec.tls[0].secretName: secret "web-tls" is neither in the bundle nor declared external"#,
            ]
        );
    }

    #[test]
    fn hpa_target() {
        let hpa = HorizontalPodAutoscaler {
            metadata: meta("web"),
            spec: HorizontalPodAutoscalerSpec {
                max_replicas: 5,
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "Deployment".into(),
                    name: "web".into(),
                },
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            violations(&bundle(vec![hpa.clone().into()])),
            [
                r#"horizontalpodautoscaler "web": spec.scaleTargetRef: deployment "web" is neither in the bundle nor declared external"#
            ]
        );
        assert!(violations(&bundle(vec![hpa.into(), web(pod(vec![web_container()]))])).is_empty());
    }

    fn pdb(selector: LabelSelector) -> PodDisruptionBudget {
        PodDisruptionBudget {
            metadata: meta("web"),
            spec: Some(PodDisruptionBudgetSpec {
                min_available: Some(IntOrString::Int(1)),
                selector: Some(selector),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pdb_selects_something() {
        let expr = |op: &str, values: &[&str]| LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "app".into(),
                operator: op.into(),
                values: (!values.is_empty())
                    .then(|| values.iter().map(|v| (*v).to_owned()).collect()),
            }]),
            ..Default::default()
        };
        let workload = || web(pod(vec![web_container()]));
        assert!(violations(&bundle(vec![workload(), pdb(selector("web")).into()])).is_empty());
        assert!(
            violations(&bundle(vec![
                workload(),
                pdb(expr("In", &["api", "web"])).into()
            ]))
            .is_empty()
        );
        assert!(violations(&bundle(vec![workload(), pdb(expr("Exists", &[])).into()])).is_empty());
        assert_eq!(
            violations(&bundle(vec![
                workload(),
                pdb(expr("NotIn", &["web"])).into()
            ])),
            [
                r#"poddisruptionbudget "web": spec.selector: selector app notin (web) matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
        assert_eq!(
            violations(&bundle(vec![workload(), pdb(selector("api")).into()])),
            [
                r#"poddisruptionbudget "web": spec.selector: selector app=api matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
    }

    #[test]
    fn network_policy_selectors() {
        let peer = |pods: Option<LabelSelector>, ns: Option<LabelSelector>| NetworkPolicyPeer {
            pod_selector: pods,
            namespace_selector: ns,
            ..Default::default()
        };
        let policy = |pod_selector: LabelSelector, from: Vec<NetworkPolicyPeer>| -> Object {
            NetworkPolicy {
                metadata: meta("web"),
                spec: Some(NetworkPolicySpec {
                    pod_selector: Some(pod_selector),
                    ingress: Some(vec![NetworkPolicyIngressRule {
                        from: Some(from),
                        ports: None,
                    }]),
                    ..Default::default()
                }),
            }
            .into()
        };
        let workload = || web(pod(vec![web_container()]));
        // `{}` selects every pod of the namespace: fine, even in a bundle without workloads.
        assert!(violations(&bundle(vec![policy(LabelSelector::default(), vec![])])).is_empty());
        // Peers in other namespaces are not checked; an empty peer selector is fine.
        let ok = policy(
            selector("web"),
            vec![
                peer(Some(selector("ingress")), Some(LabelSelector::default())),
                peer(Some(LabelSelector::default()), None),
            ],
        );
        assert!(violations(&bundle(vec![workload(), ok])).is_empty());
        let bad = policy(
            selector("wbe"),
            vec![peer(Some(selector("frontend")), None)],
        );
        assert_eq!(
            violations(&bundle(vec![workload(), bad])),
            [
                r#"networkpolicy "web": spec.podSelector: selector app=wbe matches the pods of no workload in the bundle (nor pods declared external)"#,
                r#"networkpolicy "web": spec.ingress[0].from[0].podSelector: selector app=frontend matches the pods of no workload in the bundle (nor pods declared external)"#,
            ]
        );
    }

    #[test]
    fn namespaces_scope_references() {
        let mut settings = config_map("settings", &[("a", "b")]);
        settings.metadata.namespace = Some("other".into());
        let b = bundle(vec![
            web(with_volumes(vec![cm_volume("config", "settings")])),
            settings.clone().into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"deployment "web": spec.template.spec.volumes[0].configMap.name: configmap "settings" is neither in the bundle nor declared external (the bundle has one in namespace "other")"#
            ]
        );
        // With target namespace "other", the namespace-less Deployment lands next to it.
        let mut b = b;
        b.set_namespace("other");
        assert!(violations(&b).is_empty(), "{:?}", violations(&b));
        // A Service selects only workloads of its own namespace.
        let mut svc = service("web", "web", &[("http", 80, None)]);
        svc.metadata.namespace = Some("elsewhere".into());
        let b = bundle(vec![
            web(pod(vec![container("web", &[("http", 80)])])),
            svc.into(),
        ]);
        assert_eq!(
            violations(&b),
            [
                r#"service "elsewhere/web": spec.selector: selector app=web matches the pods of no workload in the bundle (nor pods declared external)"#
            ]
        );
    }

    #[test]
    fn every_pod_source_is_walked() {
        let spec = with_volumes(vec![cm_volume("config", "settings")]);
        let job_spec = PodSpec {
            restart_policy: Some("Never".into()),
            ..spec.clone()
        };
        let job = Job {
            metadata: meta("migrate"),
            spec: Some(JobSpec {
                template: template("migrate", job_spec.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let cron = CronJob {
            metadata: meta("report"),
            spec: CronJobSpec {
                schedule: "0 * * * *".into(),
                job_template: JobTemplateSpec {
                    metadata: None,
                    spec: Some(JobSpec {
                        template: template("report", job_spec.clone()),
                        ..Default::default()
                    }),
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let daemon = DaemonSet {
            metadata: meta("agent"),
            spec: k8s_openapi::api::apps::v1::DaemonSetSpec {
                selector: selector("agent"),
                template: template("agent", spec.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        let bare = Pod {
            metadata: meta("bare"),
            spec: Some(spec.clone()),
            ..Default::default()
        };
        let b = bundle(vec![job.into(), cron.into(), daemon.into(), bare.into()]);
        let missing = r#"configmap "settings" is neither in the bundle nor declared external"#;
        assert_eq!(
            violations(&b),
            [
                format!(
                    r#"daemonset "agent": spec.template.spec.volumes[0].configMap.name: {missing}"#
                ),
                format!(r#"pod "bare": spec.volumes[0].configMap.name: {missing}"#),
                format!(
                    r#"job "migrate": spec.template.spec.volumes[0].configMap.name: {missing}"#
                ),
                format!(
                    r#"cronjob "report": spec.jobTemplate.spec.template.spec.volumes[0].configMap.name: {missing}"#
                ),
            ]
        );
    }

    #[test]
    fn selector_semantics_and_notation() {
        let pods = labels(&[("app", "web"), ("tier", "front")]);
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        };
        let s = LabelSelector {
            match_labels: Some(labels(&[("app", "web")])),
            match_expressions: Some(vec![
                req("tier", "In", &["front", "back"]),
                req("track", "NotIn", &["canary"]),
                req("legacy", "DoesNotExist", &[]),
                req("app", "Exists", &[]),
            ]),
        };
        let sel = Selector::Label(&s);
        assert!(sel.matches(&pods));
        assert_eq!(
            sel.describe(),
            "app=web,tier in (front,back),track notin (canary),!legacy,app"
        );
        let mut canary = pods.clone();
        canary.insert("track".into(), "canary".into());
        assert!(!sel.matches(&canary));
        let unknown = LabelSelector {
            match_expressions: Some(vec![req("app", "Like", &["w"])]),
            ..Default::default()
        };
        assert!(!Selector::Label(&unknown).matches(&pods));
        assert!(Selector::Label(&LabelSelector::default()).is_empty());
        assert_eq!(Selector::Label(&LabelSelector::default()).describe(), "{}");
    }

    #[test]
    fn network_policy_peer_paths_and_edges() {
        use k8s_openapi::api::networking::v1::NetworkPolicyEgressRule;
        let peer = |app: &str, other_namespace: bool| NetworkPolicyPeer {
            pod_selector: Some(selector(app)),
            namespace_selector: other_namespace.then(LabelSelector::default),
            ..Default::default()
        };
        let policy: Object = NetworkPolicy {
            metadata: meta("web"),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(selector("web")),
                ingress: Some(vec![
                    NetworkPolicyIngressRule {
                        from: Some(vec![peer("a", false), peer("b", true), peer("c", false)]),
                        ports: None,
                    },
                    NetworkPolicyIngressRule {
                        from: None,
                        ports: None,
                    },
                    NetworkPolicyIngressRule {
                        from: Some(vec![peer("d", false)]),
                        ports: None,
                    },
                ]),
                egress: Some(vec![
                    NetworkPolicyEgressRule {
                        to: Some(vec![peer("e", true)]),
                        ports: None,
                    },
                    NetworkPolicyEgressRule {
                        to: Some(vec![peer("f", false), peer("g", false)]),
                        ports: None,
                    },
                ]),
                ..Default::default()
            }),
        }
        .into();
        let found: Vec<(String, String, Edge)> = selector_refs(&policy)
            .into_iter()
            .map(|s| (s.path, s.selector.describe(), s.edge))
            .collect();
        let row = |path: &str, app: &str, edge| (path.to_owned(), format!("app={app}"), edge);
        assert_eq!(
            found,
            [
                row("spec.podSelector", "web", Edge::AppliesTo),
                row("spec.ingress[0].from[0].podSelector", "a", Edge::Admits),
                row("spec.ingress[0].from[2].podSelector", "c", Edge::Admits),
                row("spec.ingress[2].from[0].podSelector", "d", Edge::Admits),
                row("spec.egress[1].to[0].podSelector", "f", Edge::EgressTo),
                row("spec.egress[1].to[1].podSelector", "g", Edge::EgressTo),
            ]
        );
    }

    /// The index answers like a scan of the bundle, in the same order.
    #[test]
    fn index_selects_like_a_scan() {
        let req = |key: &str, op: &str, values: &[&str]| LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        };
        let labelled = |name: &str, ns: Option<&str>, pairs: &[(&str, &str)]| -> Object {
            let mut d = deployment(name, pod(vec![web_container()]));
            d.metadata.namespace = ns.map(str::to_owned);
            d.spec.selector.match_labels = Some(labels(pairs));
            if let Some(m) = d.spec.template.metadata.as_mut() {
                m.labels = Some(labels(pairs));
            }
            d.into()
        };
        let bare = |name: &str, pairs: &[(&str, &str)]| -> Object {
            let mut p = Pod {
                metadata: meta(name),
                spec: Some(pod(vec![web_container()])),
                ..Default::default()
            };
            p.metadata.labels = (!pairs.is_empty()).then(|| labels(pairs));
            p.into()
        };
        let b = bundle(vec![
            labelled("web", None, &[("app", "web"), ("tier", "front")]),
            labelled("web-canary", None, &[("app", "web"), ("track", "canary")]),
            labelled("api", None, &[("app", "api"), ("tier", "back")]),
            bare("unlabelled", &[]),
            labelled("web", Some("other"), &[("app", "web"), ("tier", "front")]),
            bare("bare", &[("app", "web"), ("tier", "back")]),
            config_map("web", &[]).into(),
        ]);
        let maps = [
            labels(&[]),
            labels(&[("app", "web")]),
            labels(&[("app", "web"), ("tier", "front")]),
            labels(&[("tier", "back")]),
            labels(&[("app", "nope")]),
        ];
        let label_selectors = [
            LabelSelector::default(),
            selector("web"),
            LabelSelector {
                match_expressions: Some(vec![req("tier", "In", &["front", "back"])]),
                ..Default::default()
            },
            LabelSelector {
                match_expressions: Some(vec![req("track", "DoesNotExist", &[])]),
                ..Default::default()
            },
            LabelSelector {
                match_labels: Some(labels(&[("app", "web")])),
                match_expressions: Some(vec![req("track", "NotIn", &["canary"])]),
            },
            LabelSelector {
                match_labels: Some(labels(&[("app", "web"), ("tier", "nope")])),
                ..Default::default()
            },
        ];
        let selectors: Vec<Selector<'_>> = maps
            .iter()
            .map(Selector::Map)
            .chain(label_selectors.iter().map(Selector::Label))
            .collect();
        let index = Index::new(&b);
        let names = |objects: Vec<&Object>| -> Vec<String> {
            objects.iter().map(|o| o.object_ref().to_string()).collect()
        };
        let mut answers = 0;
        for from in b.objects() {
            for &s in &selectors {
                let scanned = names(selected(&b, from, s));
                assert_eq!(names(index.selected(from, s)), scanned, "{}", s.describe());
                answers += scanned.len();
            }
        }
        // Not vacuous: the selectors do select, in both namespaces.
        assert!(answers > 20, "{answers}");
        let other = b.objects().iter().find(|o| o.namespace() == Some("other"));
        assert_eq!(
            other.map(|o| names(index.selected(o, selectors[1]))),
            Some(vec![r#"deployment "other/web""#.to_owned()])
        );
    }

    #[test]
    #[cfg(feature = "client")]
    fn services_of_workloads_scaled_to_zero_expect_no_endpoints() {
        use crate::prelude::*;
        let workload = |name: &str, app: &str, replicas: i32| {
            Deployment::builder()
                .name(name)
                .replicas(replicas)
                .template(
                    PodTemplate::builder()
                        .selector_label("app", app)
                        .container(Container::builder().name("c").image("busybox:1").build())
                        .build(),
                )
                .build()
        };
        let svc = |name: &str, app: &str| {
            Service::builder()
                .name(name)
                .selector([("app", app)])
                .port(crate::service::ServicePort::tcp("http", 80))
                .build()
        };
        let mut b = Bundle::new("t");
        b.add(workload("idle", "idle", 0)).unwrap();
        b.add(workload("idle-too", "idle", 0)).unwrap();
        b.add(workload("busy", "busy", 2)).unwrap();
        b.add(workload("mixed-0", "mixed", 0)).unwrap();
        b.add(workload("mixed-1", "mixed", 1)).unwrap();
        for (name, app) in [
            ("idle", "idle"),
            ("busy", "busy"),
            ("mixed", "mixed"),
            ("none", "x"),
        ] {
            b.add(svc(name, app)).unwrap();
        }
        let index = Index::new(&b);
        let expects_none =
            |name: &str| service_expects_no_endpoints(&index, b.get("Service", name).unwrap());
        assert!(expects_none("idle"), "every selected workload at 0");
        assert!(!expects_none("busy"));
        assert!(!expects_none("mixed"), "one selected workload has pods");
        assert!(!expects_none("none"), "pods from elsewhere may come");
        assert!(!service_expects_no_endpoints(
            &index,
            b.get("Deployment", "idle").unwrap()
        ));
    }
}
