//! What the apiserver's admission would reject because of other objects of the bundle, found
//! before any cluster does (part of [`Bundle::check`](crate::Bundle::check)):
//!
//! - a [`ResourceQuota`](crate::ResourceQuota) that caps CPU, memory or ephemeral storage makes
//!   every pod of its namespace name that request or limit; pods that do not are rejected
//!   (`failed quota: must specify limits.cpu`), and their Deployment just never gets pods;
//! - a [`LimitRange`](crate::LimitRange) bounds each container (a minimum request, a maximum
//!   limit, a largest limit/request ratio) and each claim's storage.
//!
//! Both take the LimitRange's defaults into account, as admission does: a container without a
//! request gets `defaultRequest` (or `default`), one without a limit gets `default`, and a
//! container that sets only a limit requests the same amount. Quotas with scopes or a scope
//! selector count only some pods and are not checked here.

use crate::bundle::Bundle;
use crate::error::Violation;
use crate::object::Object;
use crate::quantity::quantity_cmp;
use crate::references::pod_spec;
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

/// The quotas' requirements: `cpu` and `requests.cpu` need a request, `limits.cpu` a limit.
fn needs(bundle: &Bundle) -> Vec<Need<'_>> {
    let mut out = Vec::new();
    for o in bundle.objects() {
        let Object::ResourceQuota(q) = o else {
            continue;
        };
        let Some(spec) = &q.spec else { continue };
        let scoped =
            spec.scopes.as_ref().is_some_and(|s| !s.is_empty()) || spec.scope_selector.is_some();
        if scoped {
            continue;
        }
        for key in spec.hard.iter().flat_map(|h| h.keys()) {
            let (field, resource) = match key.split_once('.') {
                Some(("requests", r)) => ("requests", r),
                Some(("limits", r)) => ("limits", r),
                _ => ("requests", key.as_str()),
            };
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

/// Checks every object's pods and claims against its namespace's quotas and limit ranges.
pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let needs = needs(bundle);
    let containers = ranges(bundle, "Container");
    let claims = ranges(bundle, "PersistentVolumeClaim");
    let mut out = Vec::new();
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
                let own = c.resources.as_ref();
                // The API's defaulting of a LimitRange entry: a missing default limit is the
                // maximum; a missing default request is the default limit (so, failing that,
                // the maximum), else the minimum.
                let limit = |r: &str| {
                    own.and_then(|x| get(&x.limits, r)).or_else(|| {
                        defaults
                            .iter()
                            .find_map(|(_, _, d)| get(&d.default, r).or_else(|| get(&d.max, r)))
                    })
                };
                let request = |r: &str| {
                    own.and_then(|x| get(&x.requests, r))
                        .or_else(|| own.and_then(|x| get(&x.limits, r)))
                        .or_else(|| {
                            defaults.iter().find_map(|(_, _, d)| {
                                get(&d.default_request, r)
                                    .or_else(|| get(&d.default, r))
                                    .or_else(|| get(&d.max, r))
                                    .or_else(|| get(&d.min, r))
                            })
                        })
                };
                for need in needs.iter().filter(|n| here(n.namespace)) {
                    let have = if need.field == "limits" {
                        limit(need.resource)
                    } else {
                        request(need.resource)
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
                    bounds(&mut out, o, &path, range, item, &request, &limit);
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

/// A container's effective request and limit against one LimitRange entry: the minimum needs
/// a request at least that big, the maximum a limit at most that big, the ratio a limit at most
/// that many times the request.
fn bounds<'q>(
    out: &mut Vec<Violation>,
    o: &Object,
    path: &str,
    range: &str,
    item: &core::LimitRangeItem,
    request: &dyn Fn(&str) -> Option<&'q Quantity>,
    limit: &dyn Fn(&str) -> Option<&'q Quantity>,
) {
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
    use crate::limitrange::Limit;
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
                .scope(crate::resourcequota::QuotaScope::Terminating)
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
}
