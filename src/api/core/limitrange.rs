//! LimitRange: per-container, per-pod and per-claim bounds in one namespace, and the requests
//! and limits containers get when they name none.
//!
//! Admission applies it to every new pod: defaults are filled in, then a container below a
//! minimum or above a maximum is rejected. [`Bundle::check`](crate::Bundle::check) runs the
//! same rules on the bundle's workloads.
//!
//! A full example and the list of setters are on [`LimitRange`].

use crate::api::core::resourcequota::check_resource_name;
use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::quantity::{Cpu, Memory, Storage, check_quantity, quantity_cmp, quantity_nanos};
use crate::validate::{Checker, one_of};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use typed_builder::TypedBuilder;

/// What a [`Limit`] bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LimitKind {
    /// Each container (the only kind with defaults).
    Container,
    /// Each pod: the sum of its containers.
    Pod,
    /// Each PersistentVolumeClaim's storage request.
    PersistentVolumeClaim,
}

impl LimitKind {
    /// Kubernetes' name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Container => "Container",
            LimitKind::Pod => "Pod",
            LimitKind::PersistentVolumeClaim => "PersistentVolumeClaim",
        }
    }
}

const CPU: &str = "cpu";
const MEMORY: &str = "memory";
const STORAGE: &str = "storage";
const RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage", "storage"];

/// One entry of a [`LimitRange`]: bounds, defaults and limit/request ratios for containers,
/// pods or claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    kind: LimitKind,
    min: BTreeMap<&'static str, String>,
    max: BTreeMap<&'static str, String>,
    default_limit: BTreeMap<&'static str, String>,
    default_request: BTreeMap<&'static str, String>,
    max_ratio: BTreeMap<&'static str, String>,
}

impl Limit {
    fn new(kind: LimitKind) -> Self {
        Limit {
            kind,
            min: BTreeMap::new(),
            max: BTreeMap::new(),
            default_limit: BTreeMap::new(),
            default_request: BTreeMap::new(),
            max_ratio: BTreeMap::new(),
        }
    }

    /// Bounds and defaults for each container.
    pub fn container() -> Self {
        Limit::new(LimitKind::Container)
    }

    /// Bounds for each pod (its containers' sum); pods take no defaults.
    pub fn pod() -> Self {
        Limit::new(LimitKind::Pod)
    }

    /// Bounds for each claim's storage request.
    pub fn claim() -> Self {
        Limit::new(LimitKind::PersistentVolumeClaim)
    }

    /// Minimum CPU and memory requests.
    #[must_use]
    pub fn min(self, cpu: Cpu, memory: Memory) -> Self {
        self.min_cpu(cpu).min_memory(memory)
    }

    /// Maximum CPU and memory limits (a container must then set limits, or get them by
    /// default).
    #[must_use]
    pub fn max(self, cpu: Cpu, memory: Memory) -> Self {
        self.max_cpu(cpu).max_memory(memory)
    }

    /// Minimum CPU request.
    #[must_use]
    pub fn min_cpu(mut self, cpu: Cpu) -> Self {
        self.min.insert(CPU, cpu.to_string());
        self
    }

    /// Minimum memory request.
    #[must_use]
    pub fn min_memory(mut self, memory: Memory) -> Self {
        self.min.insert(MEMORY, memory.to_string());
        self
    }

    /// Maximum CPU limit.
    #[must_use]
    pub fn max_cpu(mut self, cpu: Cpu) -> Self {
        self.max.insert(CPU, cpu.to_string());
        self
    }

    /// Maximum memory limit.
    #[must_use]
    pub fn max_memory(mut self, memory: Memory) -> Self {
        self.max.insert(MEMORY, memory.to_string());
        self
    }

    /// Smallest storage a claim may request.
    #[must_use]
    pub fn min_storage(mut self, storage: Storage) -> Self {
        self.min.insert(STORAGE, storage.to_string());
        self
    }

    /// Largest storage a claim may request.
    #[must_use]
    pub fn max_storage(mut self, storage: Storage) -> Self {
        self.max.insert(STORAGE, storage.to_string());
        self
    }

    /// Requests of containers that name none (containers only).
    #[must_use]
    pub fn default_requests(mut self, cpu: Cpu, memory: Memory) -> Self {
        self.default_request.insert(CPU, cpu.to_string());
        self.default_request.insert(MEMORY, memory.to_string());
        self
    }

    /// Limits of containers that name none (containers only); also their requests when no
    /// default request is given.
    #[must_use]
    pub fn default_limits(mut self, cpu: Cpu, memory: Memory) -> Self {
        self.default_limit.insert(CPU, cpu.to_string());
        self.default_limit.insert(MEMORY, memory.to_string());
        self
    }

    /// The most a CPU limit may exceed its request: `limit ≤ ratio × request`.
    #[must_use]
    pub fn max_cpu_ratio(mut self, ratio: u32) -> Self {
        self.max_ratio.insert(CPU, ratio.to_string());
        self
    }

    /// The most a memory limit may exceed its request: `limit ≤ ratio × request`.
    #[must_use]
    pub fn max_memory_ratio(mut self, ratio: u32) -> Self {
        self.max_ratio.insert(MEMORY, ratio.to_string());
        self
    }

    /// The entry as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::LimitRangeItem {
        let map = |m: &BTreeMap<&'static str, String>| {
            (!m.is_empty()).then(|| {
                m.iter()
                    .map(|(k, v)| ((*k).to_owned(), Quantity(v.clone())))
                    .collect()
            })
        };
        core::LimitRangeItem {
            type_: self.kind.as_str().to_owned(),
            min: map(&self.min),
            max: map(&self.max),
            default: map(&self.default_limit),
            default_request: map(&self.default_request),
            max_limit_request_ratio: map(&self.max_ratio),
        }
    }
}

/// A LimitRange. `name` is required, and at least one [`limit`](LimitRangeBuilder::limit).
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::limitrange::Limit;
///
/// let limits = LimitRange::builder()
///     .name("defaults")
///     .limit(
///         Limit::container()
///             .default_requests(Cpu::millis(100), Memory::mib(128))
///             .default_limits(Cpu::millis(500), Memory::mib(256))
///             .max(Cpu::cores(2), Memory::gib(2)),
///     )
///     .limit(Limit::claim().min_storage(Storage::gib(1)).max_storage(Storage::gib(50)))
///     .build()
///     .to_object()?;
/// let container = &limits.spec.unwrap().limits[0];
/// assert_eq!(container.type_, "Container");
/// assert_eq!(container.default_request.as_ref().unwrap()["cpu"].0, "100m");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`LimitRange::builder()`](LimitRange::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace` (the namespace whose pods and claims are bounded). |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.limit(limit)` (repeatable) | The entries, in the order added. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct LimitRange {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace` (the namespace whose pods and claims are bounded).
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The entries, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds an entry (one per kind: containers, pods, claims).
            pub fn limit(&mut self, limit: Limit) {
                self.limits.push(limit);
            }
        )
    )]
    limits: Vec<Limit>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::LimitRange) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::LimitRange>,
}

impl LimitRange {
    /// The LimitRange's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for LimitRange {
    type Object = core::LimitRange;

    fn to_object(&self) -> Result<core::LimitRange> {
        let mut range = core::LimitRange {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(core::LimitRangeSpec {
                limits: self.limits.iter().map(Limit::to_k8s).collect(),
            }),
        };
        self.customize.apply(&mut range);
        range.to_object()
    }
}

type Quantities = Option<BTreeMap<String, Quantity>>;

/// The fields of an entry, by their JSON names, in the order their values must rise.
fn ordered(item: &core::LimitRangeItem) -> [(&'static str, &Quantities); 4] {
    [
        ("min", &item.min),
        ("defaultRequest", &item.default_request),
        ("default", &item.default),
        ("max", &item.max),
    ]
}

impl Validate for core::LimitRange {
    fn validate(&self, c: &mut Checker) {
        let Some(spec) = &self.spec else {
            c.fail("spec", "required");
            return;
        };
        if spec.limits.is_empty() {
            c.fail("spec.limits", "at least one limit is required");
        }
        let mut kinds = Vec::new();
        for (i, item) in spec.limits.iter().enumerate() {
            let p = format!("spec.limits[{i}]");
            let kind = item.type_.as_str();
            if let Some(m) = one_of(kind, &["Container", "Pod", "PersistentVolumeClaim"]) {
                c.fail(format_args!("{p}.type"), m);
            } else if kinds.contains(&kind) {
                c.fail(
                    format_args!("{p}.type"),
                    format!("{kind} is limited twice: one entry per kind"),
                );
            }
            kinds.push(kind);
            if kind != "Container" {
                for (field, value) in [
                    ("default", &item.default),
                    ("defaultRequest", &item.default_request),
                ] {
                    if value.as_ref().is_some_and(|m| !m.is_empty()) {
                        c.fail(
                            format_args!("{p}.{field}"),
                            format!("only containers take defaults, not a {kind}"),
                        );
                    }
                }
            }
            if kind == "PersistentVolumeClaim"
                && !item
                    .min
                    .iter()
                    .chain(&item.max)
                    .any(|m| m.contains_key(STORAGE))
            {
                c.fail(
                    format_args!("{p}"),
                    "a PersistentVolumeClaim entry needs a minimum or maximum storage",
                );
            }
            check_entry(c, &p, item);
        }
    }
}

/// Names, quantities, and for each resource `min ≤ defaultRequest ≤ default ≤ max` and a ratio
/// of at least 1 that `max / min` allows.
fn check_entry(c: &mut Checker, p: &str, item: &core::LimitRangeItem) {
    let mut fields = ordered(item).to_vec();
    fields.push(("maxLimitRequestRatio", &item.max_limit_request_ratio));
    let mut valid = true;
    for (field, values) in &fields {
        for (name, q) in values.iter().flatten() {
            let at = format!("{p}.{field}[{name:?}]");
            check_resource_name(c, &at, name, RESOURCES);
            if let Some(m) = check_quantity(q) {
                c.fail(at, m);
                valid = false;
            }
        }
    }
    if !valid {
        return;
    }
    let get = |values: &Quantities, name: &str| values.as_ref().and_then(|m| m.get(name)).cloned();
    let names: std::collections::BTreeSet<&String> = fields
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().map(|(k, _)| k))
        .collect();
    for name in names {
        let order = ordered(item);
        for (i, (low_field, low)) in order.iter().enumerate() {
            let Some(low) = get(low, name) else { continue };
            for (high_field, high) in &order[i + 1..] {
                let Some(high) = get(high, name) else {
                    continue;
                };
                if quantity_cmp(&low, &high) == Some(Ordering::Greater) {
                    c.fail(
                        format_args!("{p}.{low_field}[{name:?}]"),
                        format!("{:?} is above {high_field} {:?}", low.0, high.0),
                    );
                }
            }
        }
        if let Some(ratio) = get(&item.max_limit_request_ratio, name) {
            let at = format!("{p}.maxLimitRequestRatio[{name:?}]");
            if quantity_cmp(&ratio, &Quantity("1".into())) == Some(Ordering::Less) {
                c.fail(
                    &at,
                    format!(
                        "{:?} is below 1: a limit is never below its request",
                        ratio.0
                    ),
                );
            } else if let (Some(min), Some(max)) = (get(&item.min, name), get(&item.max, name))
                && let (Some(min_n), Some(max_n), Some(r)) = (
                    quantity_nanos(&min),
                    quantity_nanos(&max),
                    quantity_nanos(&ratio),
                )
                && min_n > 0
                && r.checked_mul(min_n)
                    .is_some_and(|p| p > max_n.saturating_mul(1_000_000_000))
            {
                c.fail(
                    &at,
                    format!(
                        "{:?} is more than max / min allows ({:?} / {:?})",
                        ratio.0,
                        get(&item.max, name).map(|q| q.0).unwrap_or_default(),
                        get(&item.min, name).map(|q| q.0).unwrap_or_default(),
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(range: LimitRange) -> String {
        range.to_object().unwrap_err().to_string()
    }

    fn raw(items: Vec<core::LimitRangeItem>) -> LimitRange {
        LimitRange::builder()
            .name("lr")
            .customize(move |r: &mut core::LimitRange| {
                r.spec = Some(core::LimitRangeSpec {
                    limits: items.clone(),
                })
            })
            .build()
    }

    fn q(pairs: &[(&str, &str)]) -> Quantities {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Quantity((*v).to_owned())))
                .collect(),
        )
    }

    #[test]
    fn every_setter() {
        let r = LimitRange::builder()
            .name("all")
            .namespace("team")
            .limit(
                Limit::container()
                    .min(Cpu::millis(50), Memory::mib(64))
                    .default_requests(Cpu::millis(100), Memory::mib(128))
                    .default_limits(Cpu::millis(500), Memory::mib(256))
                    .max(Cpu::cores(2), Memory::gib(2))
                    .max_cpu_ratio(10)
                    .max_memory_ratio(4),
            )
            .limit(
                Limit::pod()
                    .max_cpu(Cpu::cores(4))
                    .max_memory(Memory::gib(4)),
            )
            .limit(
                Limit::claim()
                    .min_storage(Storage::gib(1))
                    .max_storage(Storage::gib(50)),
            )
            .build()
            .to_object()
            .unwrap();
        let limits = r.spec.unwrap().limits;
        let render = |m: &Quantities| -> Vec<(String, String)> {
            m.iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect()
        };
        let c = &limits[0];
        assert_eq!(c.type_, "Container");
        assert_eq!(
            render(&c.min),
            [
                ("cpu".into(), "50m".into()),
                ("memory".into(), "64Mi".into())
            ]
        );
        assert_eq!(render(&c.default_request)[0].1, "100m");
        assert_eq!(render(&c.default)[1].1, "256Mi");
        assert_eq!(render(&c.max)[0].1, "2");
        assert_eq!(
            render(&c.max_limit_request_ratio),
            [("cpu".into(), "10".into()), ("memory".into(), "4".into())]
        );
        assert_eq!(limits[1].type_, "Pod");
        assert_eq!(limits[1].default, None);
        assert_eq!(limits[2].type_, "PersistentVolumeClaim");
        assert_eq!(render(&limits[2].max), [("storage".into(), "50Gi".into())]);
    }

    #[test]
    fn rule_at_least_one_entry_one_per_kind() {
        assert_eq!(
            errors(LimitRange::builder().name("lr").build()),
            r#"limitrange "lr": spec.limits: at least one limit is required"#
        );
        let twice = LimitRange::builder()
            .name("lr")
            .limit(Limit::container().max_cpu(Cpu::cores(1)))
            .limit(Limit::container().max_memory(Memory::gib(1)))
            .build();
        assert_eq!(
            errors(twice),
            r#"limitrange "lr": spec.limits[1].type: Container is limited twice: one entry per kind"#
        );
        let e = errors(raw(vec![core::LimitRangeItem {
            type_: "Node".into(),
            ..Default::default()
        }]));
        assert!(
            e.contains(r#"spec.limits[0].type: "Node" is not one of Container, Pod"#),
            "{e}"
        );
    }

    #[test]
    fn rule_defaults_only_for_containers_and_claims_need_storage() {
        let e = errors(raw(vec![
            core::LimitRangeItem {
                type_: "Pod".into(),
                default: q(&[("cpu", "1")]),
                default_request: q(&[("cpu", "1")]),
                ..Default::default()
            },
            core::LimitRangeItem {
                type_: "PersistentVolumeClaim".into(),
                max: q(&[("cpu", "1")]),
                ..Default::default()
            },
        ]));
        assert!(
            e.contains("spec.limits[0].default: only containers take defaults, not a Pod"),
            "{e}"
        );
        assert!(
            e.contains("spec.limits[0].defaultRequest: only containers take defaults"),
            "{e}"
        );
        assert!(
            e.contains(
                "spec.limits[1]: a PersistentVolumeClaim entry needs a minimum or maximum storage"
            ),
            "{e}"
        );
    }

    #[test]
    fn rule_order_of_bounds_and_defaults() {
        let r = LimitRange::builder()
            .name("lr")
            .limit(
                Limit::container()
                    .min_cpu(Cpu::cores(1))
                    .default_requests(Cpu::millis(500), Memory::gib(1))
                    .default_limits(Cpu::cores(3), Memory::mib(512))
                    .max(Cpu::cores(2), Memory::gib(2)),
            )
            .build();
        let e = errors(r);
        for expected in [
            r#"spec.limits[0].min["cpu"]: "1" is above defaultRequest "500m""#,
            r#"spec.limits[0].defaultRequest["memory"]: "1Gi" is above default "512Mi""#,
            r#"spec.limits[0].default["cpu"]: "3" is above max "2""#,
        ] {
            assert!(e.contains(expected), "{expected}\n{e}");
        }
        assert_eq!(e.lines().count(), 3, "{e}");
    }

    #[test]
    fn rule_ratio() {
        let below_one = raw(vec![core::LimitRangeItem {
            type_: "Container".into(),
            max_limit_request_ratio: q(&[("cpu", "500m")]),
            ..Default::default()
        }]);
        assert_eq!(
            errors(below_one),
            r#"limitrange "lr": spec.limits[0].maxLimitRequestRatio["cpu"]: "500m" is below 1: a limit is never below its request"#
        );
        let too_big = LimitRange::builder()
            .name("lr")
            .limit(
                Limit::container()
                    .min_memory(Memory::gib(1))
                    .max_memory(Memory::gib(2))
                    .max_memory_ratio(3),
            )
            .build();
        assert_eq!(
            errors(too_big),
            r#"limitrange "lr": spec.limits[0].maxLimitRequestRatio["memory"]: "3" is more than max / min allows ("2Gi" / "1Gi")"#
        );
    }

    #[test]
    fn rule_names_and_quantities() {
        let e = errors(raw(vec![core::LimitRangeItem {
            type_: "Container".into(),
            max: q(&[("gpu", "1"), ("cpu", "many")]),
            ..Default::default()
        }]));
        assert!(
            e.contains(r#"spec.limits[0].max["gpu"]: "gpu" is not a standard resource name"#),
            "{e}"
        );
        assert!(
            e.contains(r#"spec.limits[0].max["cpu"]: "many" is not a number"#),
            "{e}"
        );
    }
}
