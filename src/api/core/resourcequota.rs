//! ResourceQuota: caps what one namespace may use in total — CPU and memory its pods request or
//! are limited to, storage its claims request, and how many objects of a kind it may hold.
//!
//! Once a quota caps CPU or memory, the apiserver rejects every pod whose containers do not say
//! how much they need; [`Bundle::check`](crate::Bundle::check) reports such pods before they
//! reach a cluster (a [`LimitRange`](crate::LimitRange) with defaults in the namespace fixes
//! them).
//!
//! A full example and the list of setters are on [`ResourceQuota`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta, push_unique};
use crate::object::{Manifest, Validate};
use crate::quantity::{Cpu, Memory, Storage, check_quantity};
use crate::validate::{self, Checker, one_of};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;
use typed_builder::TypedBuilder;

/// Which pods a quota counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuotaScope {
    /// Pods with `activeDeadlineSeconds` (Jobs' pods, typically).
    Terminating,
    /// Pods without `activeDeadlineSeconds`.
    NotTerminating,
    /// Pods with no requests or limits at all (only `pods` may be capped).
    BestEffort,
    /// Pods with some request or limit.
    NotBestEffort,
    /// Pods that name a priority class.
    PriorityClass,
    /// Pods with affinity terms across namespaces.
    CrossNamespacePodAffinity,
}

impl QuotaScope {
    /// Kubernetes' name for the scope.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaScope::Terminating => "Terminating",
            QuotaScope::NotTerminating => "NotTerminating",
            QuotaScope::BestEffort => "BestEffort",
            QuotaScope::NotBestEffort => "NotBestEffort",
            QuotaScope::PriorityClass => "PriorityClass",
            QuotaScope::CrossNamespacePodAffinity => "CrossNamespacePodAffinity",
        }
    }
}

/// Resources that count objects: whole numbers only.
const OBJECT_COUNTS: &[&str] = &[
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

/// Resource names a quota may cap without a `domain/` prefix (besides hugepages).
const STANDARD: &[&str] = &[
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
];

/// What the pod scopes may cap: pods and their compute resources.
const POD_SCOPED: &[&str] = &[
    "pods",
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// A ResourceQuota. `name` is required; caps are added with the setters below (`hard` for any
/// resource name).
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::resourcequota::QuotaScope;
///
/// let quota = ResourceQuota::builder()
///     .name("compute")
///     .requests_cpu(Cpu::cores(4))
///     .requests_memory(Memory::gib(8))
///     .limits_cpu(Cpu::cores(8))
///     .limits_memory(Memory::gib(16))
///     .pods(20)
///     .count("deployments.apps", 10)
///     .build()
///     .to_object()?;
/// let hard = quota.spec.unwrap().hard.unwrap();
/// assert_eq!(hard["requests.cpu"].0, "4");
/// assert_eq!(hard["count/deployments.apps"].0, "10");
///
/// let best_effort = ResourceQuota::builder()
///     .name("best-effort")
///     .pods(5)
///     .scope(QuotaScope::BestEffort)
///     .build();
/// assert!(best_effort.to_object().is_ok());
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ResourceQuota::builder()`](ResourceQuota::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace` (the namespace whose use is capped). |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.requests_cpu(cpu)` / `.requests_memory(memory)` / `.limits_cpu(cpu)` / `.limits_memory(memory)` / `.requests_storage(storage)` / `.class_requests_storage(class, storage)` / `.pods(n)` / `.count(resource, n)` / `.hard(resource, value)` (repeatable) | `spec.hard`, by resource name. |
/// | `.scope(scope)` (repeatable) | Which pods the quota counts (all when none). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation (`scopeSelector`, for one). |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct ResourceQuota {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace` (the namespace whose use is capped).
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// `spec.hard`, by resource name.
    #[builder(
        via_mutators,
        mutators(
            /// Caps the CPU the namespace's pods request, in total.
            pub fn requests_cpu(&mut self, cpu: Cpu) {
                self.hard.insert("requests.cpu".into(), cpu.to_string());
            }
            /// Caps the memory the namespace's pods request, in total.
            pub fn requests_memory(&mut self, memory: Memory) {
                self.hard.insert("requests.memory".into(), memory.to_string());
            }
            /// Caps the sum of the namespace's CPU limits.
            pub fn limits_cpu(&mut self, cpu: Cpu) {
                self.hard.insert("limits.cpu".into(), cpu.to_string());
            }
            /// Caps the sum of the namespace's memory limits.
            pub fn limits_memory(&mut self, memory: Memory) {
                self.hard.insert("limits.memory".into(), memory.to_string());
            }
            /// Caps the storage the namespace's claims request, in total.
            pub fn requests_storage(&mut self, storage: Storage) {
                self.hard.insert("requests.storage".into(), storage.to_string());
            }
            /// Caps the storage claims of one storage class request, in total.
            pub fn class_requests_storage(&mut self, class: impl Into<String>, storage: Storage) {
                self.hard.insert(
                    format!("{}.storageclass.storage.k8s.io/requests.storage", class.into()),
                    storage.to_string(),
                );
            }
            /// Caps the number of pods (not finished).
            pub fn pods(&mut self, n: u32) {
                self.hard.insert("pods".into(), n.to_string());
            }
            /// Caps the number of objects of a resource: `count("deployments.apps", 10)`,
            /// `count("secrets", 50)` (`count/<resource>[.<group>]`).
            pub fn count(&mut self, resource: impl Into<String>, n: u32) {
                self.hard.insert(format!("count/{}", resource.into()), n.to_string());
            }
            /// Caps any resource by name, with a quantity string (`hard("services.loadbalancers",
            /// "0")`).
            pub fn hard(&mut self, resource: impl Into<String>, value: impl Into<String>) {
                self.hard.insert(resource.into(), value.into());
            }
        )
    )]
    hard: BTreeMap<String, String>,
    /// Which pods the quota counts (all when none).
    #[builder(
        via_mutators,
        mutators(
            /// Counts only pods in `scope` (scopes are ANDed).
            pub fn scope(&mut self, scope: QuotaScope) {
                push_unique(&mut self.scopes, scope);
            }
        )
    )]
    scopes: Vec<QuotaScope>,
    /// Escape hatch: hooks run on the finished object before validation (`scopeSelector`, for
    /// one).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::ResourceQuota) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::ResourceQuota>,
}

impl ResourceQuota {
    /// The quota's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for ResourceQuota {
    type Object = core::ResourceQuota;

    fn to_object(&self) -> Result<core::ResourceQuota> {
        let mut quota = core::ResourceQuota {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(core::ResourceQuotaSpec {
                hard: (!self.hard.is_empty()).then(|| {
                    self.hard
                        .iter()
                        .map(|(k, v)| (k.clone(), Quantity(v.clone())))
                        .collect()
                }),
                scopes: (!self.scopes.is_empty())
                    .then(|| self.scopes.iter().map(|s| s.as_str().to_owned()).collect()),
                scope_selector: None,
            }),
            status: None,
        };
        self.customize.apply(&mut quota);
        quota.to_object()
    }
}

/// Checks a resource name of a quota or limit range: a qualified name, and a standard one
/// unless it has a `domain/` prefix.
pub(crate) fn check_resource_name(c: &mut Checker, at: &str, name: &str, standard: &[&str]) {
    if let Some(m) = validate::qualified_name(name) {
        c.fail(at, m);
    } else if !name.contains('/')
        && !standard.contains(&name)
        && !name.starts_with("hugepages-")
        && !name.starts_with("requests.hugepages-")
    {
        c.fail(
            at,
            format!(
                "{name:?} is not a standard resource name ({}, ...; others need a domain/ prefix)",
                standard[..4].join(", ")
            ),
        );
    }
}

impl Validate for core::ResourceQuota {
    fn validate(&self, c: &mut Checker) {
        let Some(spec) = &self.spec else { return };
        let hard = spec.hard.as_ref();
        for (name, value) in hard.into_iter().flatten() {
            let at = format!("spec.hard[{name:?}]");
            check_resource_name(c, &at, name, STANDARD);
            if let Some(m) = check_quantity(value) {
                c.fail(&at, m);
            } else if (OBJECT_COUNTS.contains(&name.as_str()) || name.starts_with("count/"))
                && !value.0.bytes().all(|b| b.is_ascii_digit())
            {
                c.fail(
                    &at,
                    format!("{:?} must be a whole number: it counts objects", value.0),
                );
            }
        }
        let scopes = spec.scopes.as_deref().unwrap_or_default();
        let mut seen = Vec::new();
        for (i, scope) in scopes.iter().enumerate() {
            let at = format!("spec.scopes[{i}]");
            let known = [
                "Terminating",
                "NotTerminating",
                "BestEffort",
                "NotBestEffort",
                "PriorityClass",
                "CrossNamespacePodAffinity",
                "VolumeAttributesClass",
            ];
            if let Some(m) = one_of(scope, &known) {
                c.fail(&at, m);
                continue;
            }
            if seen.contains(&scope.as_str()) {
                c.fail(&at, format!("{scope:?} is listed twice"));
            }
            seen.push(scope.as_str());
            // What each scope can count (the apiserver's IsResourceQuotaScopeValidForResource).
            let supported: &[&str] = match scope.as_str() {
                "BestEffort" => &["pods"],
                "VolumeAttributesClass" => &["persistentvolumeclaims", "requests.storage"],
                _ => POD_SCOPED,
            };
            for name in hard.into_iter().flat_map(|h| h.keys()) {
                if !supported.contains(&name.as_str()) && !name.starts_with("count/") {
                    c.fail(
                        format_args!("spec.hard[{name:?}]"),
                        format!(
                            "scope {scope} counts only {}: it cannot cap {name}",
                            supported.join(", ")
                        ),
                    );
                }
            }
        }
        for (a, b) in [
            ("Terminating", "NotTerminating"),
            ("BestEffort", "NotBestEffort"),
        ] {
            if seen.contains(&a) && seen.contains(&b) {
                c.fail(
                    "spec.scopes",
                    format!("{a} and {b} exclude each other: the quota would count nothing"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(f: impl Fn(&mut core::ResourceQuotaSpec) + Send + Sync + 'static) -> ResourceQuota {
        ResourceQuota::builder()
            .name("q")
            .customize(move |q: &mut core::ResourceQuota| q.spec.as_mut().into_iter().for_each(&f))
            .build()
    }

    fn errors(q: ResourceQuota) -> String {
        q.to_object().unwrap_err().to_string()
    }

    #[test]
    fn every_setter() {
        let q = ResourceQuota::builder()
            .name("all")
            .namespace("team")
            .requests_cpu(Cpu::millis(1500))
            .requests_memory(Memory::gib(2))
            .limits_cpu(Cpu::cores(3))
            .limits_memory(Memory::gib(4))
            .requests_storage(Storage::gib(100))
            .class_requests_storage("fast", Storage::gib(10))
            .pods(10)
            .count("deployments.apps", 5)
            .hard("services.loadbalancers", "0")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(q.metadata.namespace.as_deref(), Some("team"));
        let hard: BTreeMap<String, String> = q
            .spec
            .unwrap()
            .hard
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect();
        assert_eq!(
            hard,
            BTreeMap::from(
                [
                    ("count/deployments.apps", "5"),
                    ("fast.storageclass.storage.k8s.io/requests.storage", "10Gi"),
                    ("limits.cpu", "3"),
                    ("limits.memory", "4Gi"),
                    ("pods", "10"),
                    ("requests.cpu", "1500m"),
                    ("requests.memory", "2Gi"),
                    ("requests.storage", "100Gi"),
                    ("services.loadbalancers", "0"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
            )
        );
    }

    #[test]
    fn rule_resource_names_and_values() {
        let e = errors(quota(|s| {
            s.hard = Some(BTreeMap::from([
                ("gpus".into(), Quantity("1".into())),
                ("example.com/gpus".into(), Quantity("2".into())),
                ("pods".into(), Quantity("1.5".into())),
                ("count/jobs.batch".into(), Quantity("2k".into())),
                ("requests.cpu".into(), Quantity("lots".into())),
                ("hugepages-2Mi".into(), Quantity("1Gi".into())),
            ]))
        }));
        assert!(
            e.contains(r#"spec.hard["gpus"]: "gpus" is not a standard resource name"#),
            "{e}"
        );
        assert!(!e.contains("example.com/gpus"), "{e}");
        assert!(!e.contains("hugepages"), "{e}");
        assert!(
            e.contains(r#"spec.hard["pods"]: "1.5" must be a whole number: it counts objects"#),
            "{e}"
        );
        assert!(
            e.contains(r#"spec.hard["count/jobs.batch"]: "2k" must be a whole number"#),
            "{e}"
        );
        assert!(
            e.contains(r#"spec.hard["requests.cpu"]: "lots" is not a number"#),
            "{e}"
        );
        assert_eq!(e.lines().count(), 4, "{e}");
    }

    #[test]
    fn rule_scopes() {
        // NotTerminating counts pods and their compute resources, not claims' storage: the
        // builder does not hide that.
        let not_terminating = ResourceQuota::builder()
            .name("q")
            .pods(10)
            .requests_storage(Storage::gib(100))
            .scope(QuotaScope::NotTerminating)
            .build();
        assert!(errors(not_terminating).contains(
            r#"spec.hard["requests.storage"]: scope NotTerminating counts only pods, cpu"#
        ),);
        let best_effort = ResourceQuota::builder()
            .name("q")
            .pods(3)
            .requests_cpu(Cpu::cores(1))
            .scope(QuotaScope::BestEffort)
            .build();
        assert_eq!(
            errors(best_effort),
            r#"resourcequota "q": spec.hard["requests.cpu"]: scope BestEffort counts only pods: it cannot cap requests.cpu"#
        );
        let conflicting = ResourceQuota::builder()
            .name("q")
            .pods(3)
            .scope(QuotaScope::Terminating)
            .scope(QuotaScope::NotTerminating)
            .build();
        assert_eq!(
            errors(conflicting),
            r#"resourcequota "q": spec.scopes: Terminating and NotTerminating exclude each other: the quota would count nothing"#
        );
        let e = errors(quota(|s| {
            s.scopes = Some(vec![
                "Sometimes".into(),
                "BestEffort".into(),
                "BestEffort".into(),
            ])
        }));
        assert!(
            e.contains(r#"spec.scopes[0]: "Sometimes" is not one of Terminating"#),
            "{e}"
        );
        assert!(
            e.contains(r#"spec.scopes[2]: "BestEffort" is listed twice"#),
            "{e}"
        );
    }
}
