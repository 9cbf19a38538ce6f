//! What the apiserver's admission would reject because of other objects of the bundle, found
//! before any cluster does (part of [`Bundle::check`](crate::Bundle::check)):
//!
//! - a [`ResourceQuota`](crate::ResourceQuota) that caps CPU, memory or ephemeral storage makes
//!   every pod of its namespace name that request or limit; pods that do not are rejected
//!   (`failed quota: must specify limits.cpu`), and their Deployment just never gets pods;
//! - a [`LimitRange`](crate::LimitRange) bounds each container (a minimum request, a maximum
//!   limit, a largest limit/request ratio) and each claim's storage;
//! - a quota smaller than what the bundle alone puts in its namespace — pods (a controller's
//!   replicas, a Job's parallelism) and their requests and limits, claims (StatefulSet claim
//!   templates times replicas) and their storage, objects of a kind (`count/...`) — refuses the
//!   rest: the namespace may hold more than the bundle, never less, so this is never a false
//!   alarm. DaemonSets and CronJobs are not counted, nor RuntimeClass overhead.
//!
//! Both take the LimitRange's defaults into account, as admission does: a container without a
//! request gets `defaultRequest` (or `default`), one without a limit gets `default`, and a
//! container that sets only a limit requests the same amount. Quotas with scopes or a scope
//! selector count only some pods and are not checked here.

use crate::bundle::Bundle;
use crate::error::Violation;
use crate::object::Object;
use crate::object::refs::pod_spec;
use crate::quantity::{Cpu, Memory, div_up, quantity_cmp, quantity_nanos};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Compute resources a quota can make pods name.
const COMPUTE: &[&str] = &["cpu", "memory", "ephemeral-storage"];

/// One requirement a quota puts on every container: `requests` or `limits` of `resource`.
struct Need<'a> {
    quota: &'a str,
    namespace: Option<&'a str>,
    field: &'static str,
    resource: &'static str,
}

/// The bundle's quotas that count every pod of their namespace (no scopes, no scope
/// selector), with their specs: the only ones these checks judge.
fn unscoped_quotas(bundle: &Bundle) -> Vec<(&Object, &core::ResourceQuotaSpec)> {
    bundle
        .objects()
        .iter()
        .filter_map(|o| match o {
            Object::ResourceQuota(q) => q
                .spec
                .as_ref()
                .filter(|s| {
                    s.scopes.as_ref().is_none_or(Vec::is_empty) && s.scope_selector.is_none()
                })
                .map(|s| (o, s)),
            _ => None,
        })
        .collect()
}

/// The quotas' requirements: `cpu` and `requests.cpu` need a request, `limits.cpu` a limit.
fn needs<'a>(
    bundle: &'a Bundle,
    quotas: &[(&'a Object, &'a core::ResourceQuotaSpec)],
) -> Vec<Need<'a>> {
    let mut out = Vec::new();
    for (o, spec) in quotas {
        for key in spec.hard.iter().flat_map(|h| h.keys()) {
            let key = usage_key(key);
            let field = match key.split_once('.') {
                Some(("requests", _)) => "requests",
                Some(("limits", _)) => "limits",
                _ => continue,
            };
            let resource = &key[field.len() + 1..];
            if let Some(resource) = COMPUTE.iter().find(|c| **c == resource) {
                out.push(Need {
                    quota: o.name(),
                    namespace: bundle.namespace_of(o),
                    field,
                    resource,
                });
            }
        }
    }
    out
}

/// The LimitRange entries of one kind, with their LimitRange's name and namespace.
fn ranges<'a>(
    bundle: &'a Bundle,
    kind: &str,
) -> Vec<(&'a str, Option<&'a str>, &'a core::LimitRangeItem)> {
    let mut out = Vec::new();
    for o in bundle.objects() {
        let Object::LimitRange(r) = o else { continue };
        for item in r.spec.iter().flat_map(|s| &s.limits) {
            if item.type_ == kind {
                out.push((o.name(), bundle.namespace_of(o), item));
            }
        }
    }
    out
}

fn get<'a>(m: &'a Option<BTreeMap<String, Quantity>>, resource: &str) -> Option<&'a Quantity> {
    m.as_ref().and_then(|m| m.get(resource))
}

/// The Container entries of the LimitRanges of one namespace, with their LimitRange's name.
type Defaults<'a> = [&'a (&'a str, Option<&'a str>, &'a core::LimitRangeItem)];

/// A container's requests and limits as admission leaves them: its own; then the API's
/// defaulting (a lone limit is also the request); then the namespace's LimitRange defaults,
/// themselves defaulted by the API (a missing default limit is the maximum; a missing default
/// request is the default limit, so failing that the maximum, else the minimum).
struct Effective<'a> {
    own: Option<&'a core::ResourceRequirements>,
    defaults: &'a Defaults<'a>,
}

impl<'a> Effective<'a> {
    fn limit(&self, r: &str) -> Option<&'a Quantity> {
        self.own.and_then(|x| get(&x.limits, r)).or_else(|| {
            self.defaults
                .iter()
                .find_map(|(_, _, d)| get(&d.default, r).or_else(|| get(&d.max, r)))
        })
    }

    fn request(&self, r: &str) -> Option<&'a Quantity> {
        self.own
            .and_then(|x| get(&x.requests, r))
            .or_else(|| self.own.and_then(|x| get(&x.limits, r)))
            .or_else(|| {
                self.defaults.iter().find_map(|(_, _, d)| {
                    get(&d.default_request, r)
                        .or_else(|| get(&d.default, r))
                        .or_else(|| get(&d.max, r))
                        .or_else(|| get(&d.min, r))
                })
            })
    }
}

/// Checks every object's pods and claims against its namespace's quotas and limit ranges.
pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let quotas = unscoped_quotas(bundle);
    let needs = needs(bundle, &quotas);
    let containers = ranges(bundle, "Container");
    let claims = ranges(bundle, "PersistentVolumeClaim");
    let mut out = totals(bundle, &quotas, &containers);
    if needs.is_empty() && containers.is_empty() && claims.is_empty() {
        return out;
    }
    for o in bundle.objects() {
        let ns = bundle.namespace_of(o);
        let here = |n: Option<&str>| n == ns;
        if let Some(p) = pod_spec(o) {
            let all = p
                .spec
                .init_containers
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, c)| (format!("{}.initContainers[{i}]", p.path), c))
                .chain(
                    p.spec
                        .containers
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (format!("{}.containers[{i}]", p.path), c)),
                );
            let defaults: Vec<_> = containers.iter().filter(|(_, n, _)| here(*n)).collect();
            for (path, c) in all {
                let effective = Effective {
                    own: c.resources.as_ref(),
                    defaults: &defaults,
                };
                for need in needs.iter().filter(|n| here(n.namespace)) {
                    let have = if need.field == "limits" {
                        effective.limit(need.resource)
                    } else {
                        effective.request(need.resource)
                    };
                    if have.is_none() {
                        out.push(Violation::new(
                            o.object_ref(),
                            format!("{path}.resources.{}[{:?}]", need.field, need.resource),
                            format!(
                                "required: resourcequota {:?} caps {}.{} in this namespace, so the \
                                 apiserver rejects pods that do not set it (set it, or give the \
                                 namespace a LimitRange with a default)",
                                need.quota, need.field, need.resource
                            ),
                        ));
                    }
                }
                for (range, _, item) in &defaults {
                    bounds(&mut out, o, &path, range, item, &effective);
                }
            }
        }
        let claim_specs: Vec<(String, &core::PersistentVolumeClaimSpec)> = match o {
            Object::PersistentVolumeClaim(c) => {
                c.spec.iter().map(|s| ("spec".to_owned(), s)).collect()
            }
            Object::StatefulSet(s) => s
                .spec
                .volume_claim_templates
                .iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, t)| {
                    Some((
                        format!("spec.volumeClaimTemplates[{i}].spec"),
                        t.spec.as_ref()?,
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        for (path, spec) in claim_specs {
            let size = spec
                .resources
                .as_ref()
                .and_then(|r| get(&r.requests, "storage"));
            let Some(size) = size else { continue };
            for (range, _, item) in claims.iter().filter(|(_, n, _)| here(*n)) {
                let at = format!("{path}.resources.requests[\"storage\"]");
                if let Some(min) = get(&item.min, "storage")
                    && quantity_cmp(size, min) == Some(Ordering::Less)
                {
                    out.push(Violation::new(
                        o.object_ref(),
                        at.clone(),
                        format!(
                            "{:?} is below the minimum {:?} of limitrange {range:?}",
                            size.0, min.0
                        ),
                    ));
                }
                if let Some(max) = get(&item.max, "storage")
                    && quantity_cmp(size, max) == Some(Ordering::Greater)
                {
                    out.push(Violation::new(
                        o.object_ref(),
                        at,
                        format!(
                            "{:?} is above the maximum {:?} of limitrange {range:?}",
                            size.0, max.0
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The pod-level amounts a quota caps, as `requests.X` / `limits.X`.
const POD_AMOUNTS: [(&str, &str); 6] = [
    ("requests", "cpu"),
    ("requests", "memory"),
    ("requests", "ephemeral-storage"),
    ("limits", "cpu"),
    ("limits", "memory"),
    ("limits", "ephemeral-storage"),
];

/// How many pods of an object run at once right after the apply: a Pod's one, a controller's
/// replicas, a Job's parallelism (at most its completions). DaemonSets (one per node) and
/// CronJobs (none until a schedule fires) are not counted.
fn pods_at_once(o: &Object) -> i128 {
    let n = match o {
        Object::Pod(_) => 1,
        Object::Deployment(d) => d.spec.replicas.unwrap_or(1),
        Object::ReplicaSet(r) => r.spec.replicas.unwrap_or(1),
        Object::StatefulSet(s) => s.spec.replicas.unwrap_or(1),
        Object::Job(j) => j.spec.as_ref().map_or(1, |s| {
            let parallel = s.parallelism.unwrap_or(1);
            s.completions.map_or(parallel, |c| c.min(parallel))
        }),
        _ => 0,
    };
    i128::from(n.max(0))
}

/// What one pod asks of a quota: per `requests.X`/`limits.X`, the sum over its app containers
/// (and sidecars, restartable init containers) or the largest init container, whichever is more
/// (the scheduler's and the quota's rule), in nano-units.
fn pod_amounts(spec: &core::PodSpec, defaults: &Defaults<'_>) -> BTreeMap<String, i128> {
    let mut out = BTreeMap::new();
    for (field, resource) in POD_AMOUNTS {
        let amount = |c: &core::Container| {
            let e = Effective {
                own: c.resources.as_ref(),
                defaults,
            };
            let q = if field == "limits" {
                e.limit(resource)
            } else {
                e.request(resource)
            };
            q.and_then(quantity_nanos).unwrap_or(0)
        };
        let inits = spec.init_containers.iter().flatten();
        let sidecar = |c: &&core::Container| c.restart_policy.as_deref() == Some("Always");
        // Saturating: quantities can be far beyond i128 (the apiserver accepts them), and a
        // saturated total exceeds any quota, as it would.
        let running: i128 = spec
            .containers
            .iter()
            .chain(inits.clone().filter(sidecar))
            .map(amount)
            .fold(0, i128::saturating_add);
        let init_max = inits.filter(|c| !sidecar(c)).map(amount).max().unwrap_or(0);
        let total = running.max(init_max);
        if total > 0 {
            out.insert(format!("{field}.{resource}"), total);
        }
    }
    out
}

/// A quota key as the usage is counted: `cpu` is `requests.cpu`, `services` is
/// `count/services`, and so on.
fn usage_key(key: &str) -> String {
    match key {
        "cpu" | "memory" | "ephemeral-storage" => format!("requests.{key}"),
        "services"
        | "secrets"
        | "persistentvolumeclaims"
        | "replicationcontrollers"
        | "resourcequotas" => format!("count/{key}"),
        other => other.to_owned(),
    }
}

/// Formats `nanos` of a quota key for a message: CPU in cores or millicores, memory and
/// storage in bytes with a suffix, counts as whole numbers.
fn amount(key: &str, nanos: i128) -> String {
    let whole = |div: i128| u64::try_from(div_up(nanos.max(0), div)).unwrap_or(u64::MAX);
    if key.ends_with("cpu") {
        Cpu::millis(whole(1_000_000)).to_string()
    } else if key.ends_with("memory") || key.ends_with("storage") {
        Memory::bytes(whole(1_000_000_000)).to_string()
    } else {
        whole(1_000_000_000).to_string()
    }
}

/// What the bundle itself puts in each namespace, against the namespace's unscoped quotas:
/// pods and their requests and limits at once, claims and their storage, objects by kind. The
/// namespace may hold more than the bundle, never less, so a quota below the bundle's own use
/// certainly refuses part of it — typically a Deployment whose last replicas never appear.
/// (ConfigMaps are not counted: every namespace holds `kube-root-ca.crt` besides.)
fn totals(
    bundle: &Bundle,
    quotas: &[(&Object, &core::ResourceQuotaSpec)],
    ranges: &[(&str, Option<&str>, &core::LimitRangeItem)],
) -> Vec<Violation> {
    let mut out = Vec::new();
    if quotas.is_empty() {
        return out;
    }
    let quota_namespaces: Vec<Option<&str>> =
        quotas.iter().map(|(q, _)| bundle.namespace_of(q)).collect();
    // (namespace, key) → (nano-units, who uses them)
    let mut used: BTreeMap<(Option<String>, String), (i128, Vec<String>)> = BTreeMap::new();
    let mut add = |ns: Option<&str>, key: String, nanos: i128, who: String| {
        let entry = used.entry((ns.map(str::to_owned), key)).or_default();
        entry.0 = entry.0.saturating_add(nanos);
        entry.1.push(who);
    };
    const ONE: i128 = 1_000_000_000;
    for o in bundle.objects() {
        let ns = bundle.namespace_of(o);
        if !quota_namespaces.contains(&ns) {
            continue;
        }
        let who = o.object_ref().to_string();
        let group = o.group();
        let count_key = if group.is_empty() {
            format!("count/{}", o.plural())
        } else {
            format!("count/{}.{group}", o.plural())
        };
        if o.plural() != "configmaps" {
            add(ns, count_key, ONE, who.clone());
        }
        let n = pods_at_once(o);
        if let (Some(p), true) = (pod_spec(o), n > 0) {
            add(
                ns,
                "pods".into(),
                n.saturating_mul(ONE),
                format!("{who}: {n}"),
            );
            let defaults: Vec<_> = ranges.iter().filter(|(_, rn, _)| *rn == ns).collect();
            for (key, each) in pod_amounts(p.spec, &defaults) {
                let text = format!("{who}: {n} × {}", amount(&key, each));
                add(ns, key, n.saturating_mul(each), text);
            }
        }
        let claims: Vec<(i128, &core::PersistentVolumeClaimSpec)> = match o {
            Object::PersistentVolumeClaim(c) => c.spec.iter().map(|s| (1, s)).collect(),
            Object::StatefulSet(s) => s
                .spec
                .volume_claim_templates
                .iter()
                .flatten()
                .filter_map(|t| Some((n, t.spec.as_ref()?)))
                .collect(),
            _ => Vec::new(),
        };
        for (count, spec) in claims {
            if count == 0 {
                continue;
            }
            if !matches!(o, Object::PersistentVolumeClaim(_)) {
                add(
                    ns,
                    "count/persistentvolumeclaims".into(),
                    count.saturating_mul(ONE),
                    format!("{who}: {count}"),
                );
            }
            let size = spec
                .resources
                .as_ref()
                .and_then(|r| get(&r.requests, "storage"))
                .and_then(quantity_nanos)
                .unwrap_or(0);
            let text = format!("{who}: {count} × {}", amount("requests.storage", size));
            add(
                ns,
                "requests.storage".into(),
                count.saturating_mul(size),
                text.clone(),
            );
            if let Some(class) = spec.storage_class_name.as_deref().filter(|c| !c.is_empty()) {
                add(
                    ns,
                    format!("{class}.storageclass.storage.k8s.io/requests.storage"),
                    count.saturating_mul(size),
                    text,
                );
            }
        }
    }
    for (q, spec) in quotas {
        let ns = bundle.namespace_of(q).map(str::to_owned);
        for (key, hard) in spec.hard.iter().flatten() {
            let Some(limit) = quantity_nanos(hard) else {
                continue;
            };
            let Some((total, who)) = used.get(&(ns.clone(), usage_key(key))) else {
                continue;
            };
            if *total > limit {
                let shown: Vec<&str> = who.iter().take(3).map(String::as_str).collect();
                let more = if who.len() > 3 {
                    format!(", and {} more", who.len() - 3)
                } else {
                    String::new()
                };
                out.push(Violation::new(
                    q.object_ref(),
                    format!("spec.hard[{key:?}]"),
                    format!(
                        "{:?} is less than the bundle's own use in this namespace, {} ({}{more}): \
                         the apiserver will refuse what goes beyond it",
                        hard.0,
                        amount(&usage_key(key), *total),
                        shown.join("; ")
                    ),
                ));
            }
        }
    }
    out
}

/// A container's effective request and limit against one LimitRange entry: the minimum needs
/// a request at least that big, the maximum a limit at most that big, the ratio a limit at most
/// that many times the request.
fn bounds(
    out: &mut Vec<Violation>,
    o: &Object,
    path: &str,
    range: &str,
    item: &core::LimitRangeItem,
    effective: &Effective<'_>,
) {
    let request = |r: &str| effective.request(r);
    let limit = |r: &str| effective.limit(r);
    let mut fail = |field: &str, resource: &str, message: String| {
        out.push(Violation::new(
            o.object_ref(),
            format!("{path}.resources.{field}[{resource:?}]"),
            message,
        ));
    };
    // With the entry's own defaults every container has a request where there is a minimum and
    // a limit where there is a maximum; what remains is whether they fit.
    let mut outside =
        |field: &str, resource: &str, value: &Quantity, word: &str, bound: &Quantity| {
            fail(
                field,
                resource,
                format!(
                    "{:?} is {word} the {} {:?} of limitrange {range:?}",
                    value.0,
                    if word == "below" {
                        "minimum"
                    } else {
                        "maximum"
                    },
                    bound.0
                ),
            )
        };
    for (resource, min) in item.min.iter().flatten() {
        for (field, value) in [("requests", request(resource)), ("limits", limit(resource))] {
            if let Some(v) = value
                && quantity_cmp(v, min) == Some(Ordering::Less)
            {
                outside(field, resource, v, "below", min);
            }
        }
    }
    for (resource, max) in item.max.iter().flatten() {
        for (field, value) in [("requests", request(resource)), ("limits", limit(resource))] {
            if let Some(v) = value
                && quantity_cmp(v, max) == Some(Ordering::Greater)
            {
                outside(field, resource, v, "above", max);
            }
        }
    }
    for (resource, ratio) in item.max_limit_request_ratio.iter().flatten() {
        let (Some(l), Some(r)) = (limit(resource), request(resource)) else {
            continue;
        };
        let (Some(l_n), Some(r_n), Some(ratio_n)) = (
            crate::quantity::quantity_nanos(l),
            crate::quantity::quantity_nanos(r),
            crate::quantity::quantity_nanos(ratio),
        ) else {
            continue;
        };
        // limit / request > ratio, in integers: limit × 10⁹ > ratio × request.
        if r_n > 0 && l_n.saturating_mul(1_000_000_000) > ratio_n.saturating_mul(r_n) {
            fail(
                "limits",
                resource,
                format!(
                    "{:?} is more than {:?} times the request {:?} (limitrange {range:?})",
                    l.0, ratio.0, r.0
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::api::core::limitrange::Limit;
    use crate::prelude::*;
    use crate::{LimitRange, ResourceQuota};

    fn web(resources: Resources) -> Deployment {
        Deployment::builder()
            .name("web")
            .template(
                PodTemplate::builder()
                    .container(
                        Container::builder()
                            .name("web")
                            .image("nginx:1.27")
                            .resources(resources)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn compute_quota() -> ResourceQuota {
        ResourceQuota::builder()
            .name("compute")
            .requests_cpu(Cpu::cores(4))
            .limits_memory(Memory::gib(8))
            .pods(10)
            .build()
    }

    fn messages(b: &Bundle) -> Vec<String> {
        super::check(b).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn quota_needs_requests_and_limits() {
        let mut b = Bundle::new("app");
        b.add(compute_quota())
            .unwrap()
            .add(web(Resources::new()))
            .unwrap();
        assert_eq!(
            messages(&b),
            [
                r#"deployment "web": spec.template.spec.containers[0].resources.limits["memory"]: required: resourcequota "compute" caps limits.memory in this namespace, so the apiserver rejects pods that do not set it (set it, or give the namespace a LimitRange with a default)"#,
                r#"deployment "web": spec.template.spec.containers[0].resources.requests["cpu"]: required: resourcequota "compute" caps requests.cpu in this namespace, so the apiserver rejects pods that do not set it (set it, or give the namespace a LimitRange with a default)"#,
            ]
        );
        // Bundle::check reports it too.
        assert!(b.check().is_err());
        // A limit alone also sets the request (the API's default).
        let mut b = Bundle::new("app");
        b.add(compute_quota())
            .unwrap()
            .add(web(Resources::new().limits(Cpu::cores(1), Memory::gib(1))))
            .unwrap();
        assert_eq!(messages(&b), Vec::<String>::new());
    }

    fn replicas(name: &str, n: i32, resources: Resources) -> Deployment {
        Deployment::builder()
            .name(name)
            .replicas(n)
            .template(
                PodTemplate::builder()
                    .container(
                        Container::builder()
                            .name("c")
                            .image("nginx:1.27")
                            .resources(resources)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn quota_below_the_bundles_own_use() {
        let mut b = Bundle::new("app");
        b.add(
            ResourceQuota::builder()
                .name("compute")
                .requests_cpu(Cpu::cores(2))
                .limits_memory(Memory::gib(1))
                .pods(4)
                .count("deployments.apps", 1)
                .build(),
        )
        .unwrap()
        .add(replicas(
            "web",
            3,
            Resources::new()
                .request_cpu(Cpu::cores(1))
                .limit_memory(Memory::mib(256)),
        ))
        .unwrap()
        .add(replicas(
            "worker",
            2,
            Resources::new()
                .request_cpu(Cpu::millis(100))
                .limit_memory(Memory::mib(512)),
        ))
        .unwrap();
        assert_eq!(
            messages(&b),
            [
                r#"resourcequota "compute": spec.hard["count/deployments.apps"]: "1" is less than the bundle's own use in this namespace, 2 (deployment "web"; deployment "worker"): the apiserver will refuse what goes beyond it"#,
                r#"resourcequota "compute": spec.hard["limits.memory"]: "1Gi" is less than the bundle's own use in this namespace, 1792Mi (deployment "web": 3 × 256Mi; deployment "worker": 2 × 512Mi): the apiserver will refuse what goes beyond it"#,
                r#"resourcequota "compute": spec.hard["pods"]: "4" is less than the bundle's own use in this namespace, 5 (deployment "web": 3; deployment "worker": 2): the apiserver will refuse what goes beyond it"#,
                r#"resourcequota "compute": spec.hard["requests.cpu"]: "2" is less than the bundle's own use in this namespace, 3200m (deployment "web": 3 × 1; deployment "worker": 2 × 100m): the apiserver will refuse what goes beyond it"#,
            ]
        );
    }

    #[test]
    fn quota_totals_count_defaults_init_containers_claims_and_only_their_namespace() {
        let init_heavy = Pod::builder()
            .name("migrate")
            .template(
                PodTemplate::builder()
                    .init_container(
                        Container::builder()
                            .name("init")
                            .image("busybox:1.37")
                            .resources(Resources::new().request_cpu(Cpu::cores(3)))
                            .build(),
                    )
                    .container(
                        Container::builder()
                            .name("app")
                            .image("busybox:1.37")
                            .resources(Resources::new().request_cpu(Cpu::cores(1)))
                            .build(),
                    )
                    .build(),
            )
            .build();
        let db = StatefulSet::builder()
            .name("db")
            .replicas(3)
            .service_name("db")
            .template(
                PodTemplate::builder()
                    .container(Container::builder().name("db").image("mysql:8.4").build())
                    .build(),
            )
            .volume_claim_template(VolumeClaimTemplate::new("data", Storage::gib(10)))
            .build();
        let mut b = Bundle::new("app");
        b.add(
            ResourceQuota::builder()
                .name("q")
                .requests_cpu(Cpu::millis(2500))
                .limits_memory(Memory::gib(1))
                .requests_storage(Storage::gib(25))
                .hard("persistentvolumeclaims", "2")
                .build(),
        )
        .unwrap()
        .add(
            ResourceQuota::builder()
                .name("elsewhere")
                .namespace("other")
                .pods(0)
                .build(),
        )
        .unwrap()
        .add(
            LimitRange::builder()
                .name("defaults")
                .limit(Limit::container().default_limits(Cpu::millis(200), Memory::mib(512)))
                .build(),
        )
        .unwrap()
        .add(init_heavy)
        .unwrap()
        .add(db)
        .unwrap();
        b.external_service("db");
        let m = messages(&b);
        let find = |key: &str| {
            m.iter()
                .find(|v| v.contains(&format!("[{key:?}]")))
                .cloned()
        };
        // The init container's 3 cores outweigh the app's 1; the database's three pods get the
        // LimitRange's default request of 200m each: 3 + 0.6.
        assert!(
            find("requests.cpu").is_some_and(|v| v.contains(", 3600m (")),
            "{m:#?}"
        );
        // Four pods at the default limit of 512Mi.
        assert!(
            find("limits.memory").is_some_and(|v| v.contains(", 2Gi (")),
            "{m:#?}"
        );
        // Three claims of 10Gi from the claim template.
        assert!(
            find("requests.storage")
                .is_some_and(|v| v.contains(r#", 30Gi (statefulset "db": 3 × 10Gi)"#)),
            "{m:#?}"
        );
        assert!(
            find("persistentvolumeclaims").is_some_and(|v| v.contains(", 3 (")),
            "{m:#?}"
        );
        // The other namespace's quota sees none of it.
        assert!(!m.iter().any(|v| v.contains("elsewhere")), "{m:#?}");
        assert_eq!(m.len(), 4, "{m:#?}");
    }

    #[test]
    fn limit_range_defaults_satisfy_a_quota() {
        let mut b = Bundle::new("app");
        b.add(compute_quota())
            .unwrap()
            .add(
                LimitRange::builder()
                    .name("defaults")
                    .limit(Limit::container().default_limits(Cpu::millis(500), Memory::mib(256)))
                    .build(),
            )
            .unwrap()
            .add(web(Resources::new()))
            .unwrap();
        assert_eq!(messages(&b), Vec::<String>::new());
    }

    #[test]
    fn other_namespaces_and_scoped_quotas_do_not_count() {
        let mut b = Bundle::new("app");
        b.add(
            ResourceQuota::builder()
                .name("elsewhere")
                .namespace("other")
                .limits_cpu(Cpu::cores(1))
                .build(),
        )
        .unwrap()
        .add(
            ResourceQuota::builder()
                .name("jobs")
                .limits_cpu(Cpu::cores(1))
                .scope(crate::api::core::resourcequota::QuotaScope::Terminating)
                .build(),
        )
        .unwrap()
        .add(web(Resources::new()))
        .unwrap();
        assert_eq!(messages(&b), Vec::<String>::new());
    }

    #[test]
    fn containers_within_limit_range_bounds() {
        let range = LimitRange::builder()
            .name("bounds")
            .limit(
                Limit::container()
                    .min_cpu(Cpu::millis(100))
                    .max(Cpu::cores(2), Memory::gib(1))
                    .max_memory_ratio(2),
            )
            .limit(Limit::claim().max_storage(Storage::gib(10)))
            .build();
        let mut b = Bundle::new("app");
        b.add(range)
            .unwrap()
            .add(web(Resources::new()
                .requests(Cpu::millis(50), Memory::mib(256))
                .limits(Cpu::cores(4), Memory::mib(768))))
            .unwrap()
            .add(
                PersistentVolumeClaim::builder()
                    .name("big")
                    .size(Storage::gib(20))
                    .build(),
            )
            .unwrap();
        assert_eq!(
            messages(&b),
            [
                r#"persistentvolumeclaim "big": spec.resources.requests["storage"]: "20Gi" is above the maximum "10Gi" of limitrange "bounds""#,
                r#"deployment "web": spec.template.spec.containers[0].resources.requests["cpu"]: "50m" is below the minimum "100m" of limitrange "bounds""#,
                r#"deployment "web": spec.template.spec.containers[0].resources.limits["cpu"]: "4" is above the maximum "2" of limitrange "bounds""#,
                r#"deployment "web": spec.template.spec.containers[0].resources.limits["memory"]: "768Mi" is more than "2" times the request "256Mi" (limitrange "bounds")"#,
            ]
        );
        // A maximum is also the default limit, and so the default request: a quota on
        // limits and requests is met by it.
        let mut b = Bundle::new("app");
        b.add(compute_quota())
            .unwrap()
            .add(
                LimitRange::builder()
                    .name("bounds")
                    .limit(Limit::container().max(Cpu::cores(1), Memory::gib(1)))
                    .build(),
            )
            .unwrap()
            .add(web(Resources::new()))
            .unwrap();
        assert_eq!(messages(&b), Vec::<String>::new());
    }

    /// Issue #13: quotas and pods with quantities beyond i128 (which the apiserver accepts)
    /// overflowed the totals in debug builds. Now they saturate, and a saturated total exceeds
    /// any quota but a saturated one.
    #[test]
    fn huge_quantities_saturate_instead_of_overflowing() {
        let huge = "17014118346046923173.168730371588410572e10";
        let pod = |name: &str| -> k8s_openapi::api::core::v1::Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": name},
                "spec": {
                    "initContainers": [{"name": "i", "image": "busybox:1.37",
                        "resources": {"requests": {"cpu": huge, "memory": "1e40"}}}],
                    "containers": [
                        {"name": "a", "image": "busybox:1.37",
                         "resources": {"requests": {"cpu": huge, "memory": huge}}},
                        {"name": "b", "image": "busybox:1.37",
                         "resources": {"requests": {"cpu": huge, "memory": huge}}}
                    ]
                }
            }))
            .unwrap()
        };
        let db: k8s_openapi::api::apps::v1::StatefulSet =
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "db"},
                "spec": {
                    "replicas": i32::MAX,
                    "serviceName": "db",
                    "selector": {"matchLabels": {"app": "db"}},
                    "template": {
                        "metadata": {"labels": {"app": "db"}},
                        "spec": {"containers": [{"name": "db", "image": "mysql:8.4",
                            "resources": {"requests": {"cpu": huge}}}]}
                    },
                    "volumeClaimTemplates": [{
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"],
                                 "resources": {"requests": {"storage": huge}}}
                    }]
                }
            }))
            .unwrap();
        let quota: k8s_openapi::api::core::v1::ResourceQuota =
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "q"},
                "spec": {"hard": {"requests.cpu": "1e20", "requests.storage": "1Ei",
                                  "requests.memory": "1e99"}}
            }))
            .unwrap();
        let mut b = Bundle::new("app");
        b.add(quota).unwrap();
        b.add(pod("p1")).unwrap().add(pod("p2")).unwrap();
        b.add(db).unwrap();
        b.external_service("db");
        let m = messages(&b);
        let find = |key: &str| m.iter().any(|v| v.contains(&format!("[{key:?}]")));
        assert!(find("requests.cpu"), "{m:#?}");
        assert!(find("requests.storage"), "{m:#?}");
        // 1e99 saturates too: equal to the saturated total, so not exceeded.
        assert!(!find("requests.memory"), "{m:#?}");
        // Printing the totals does not overflow either.
        assert_eq!(
            super::amount("requests.cpu", i128::MAX),
            Cpu::millis(u64::MAX).to_string()
        );
    }
}
