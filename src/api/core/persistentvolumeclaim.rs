//! PersistentVolumeClaim (chapter 13 and StatefulSets): a request for storage.
//!
//! A full example and the list of setters are on [`PersistentVolumeClaim`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta, push_unique};
use crate::object::{Manifest, Validate};
use crate::quantity::{Storage, check_quantity, quantity_cmp};
use crate::selector::{Selector, check_label_selector};
use crate::validate::{self, Checker};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;
use typed_builder::TypedBuilder;

/// How a volume may be mounted. Used by [`PersistentVolumeClaim`] and by StatefulSet claim
/// templates ([`VolumeClaimTemplate`](crate::pod::VolumeClaimTemplate)); also re-exported as
/// `kubeprint::pod::AccessMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessMode {
    /// Read-write by the pods of a single node (the default when no mode is given).
    ReadWriteOnce,
    /// Read-only by many nodes.
    ReadOnlyMany,
    /// Read-write by many nodes.
    ReadWriteMany,
    /// Read-write by a single pod (may not be combined with other modes).
    ReadWriteOncePod,
}

impl AccessMode {
    /// Kubernetes' name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

/// Whether the volume is a filesystem or a raw block device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VolumeMode {
    /// A mounted filesystem (the default).
    Filesystem,
    /// A raw block device.
    Block,
}

impl VolumeMode {
    /// Kubernetes' name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeMode::Filesystem => "Filesystem",
            VolumeMode::Block => "Block",
        }
    }
}

/// A PersistentVolumeClaim. `name` and `size` are required; without any
/// [`access_mode`](PersistentVolumeClaimBuilder::access_mode) the claim is `ReadWriteOnce`.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::persistentvolumeclaim::AccessMode;
///
/// let pvc = PersistentVolumeClaim::builder()
///     .name("database")
///     .size(Storage::gib(1))
///     .access_mode(AccessMode::ReadWriteOnce)
///     .storage_class("standard")
///     .build();
/// let spec = pvc.to_object()?.spec.unwrap();
/// assert_eq!(spec.resources.unwrap().requests.unwrap()["storage"].0, "1Gi");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`PersistentVolumeClaim::new`] (the required fields as arguments) or [`PersistentVolumeClaim::builder()`](PersistentVolumeClaim::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.size(Storage)` — **required** | The storage requested (`spec.resources.requests.storage`). |
/// | `.access_mode(mode)` (repeatable) | Access modes, in the order added (`ReadWriteOnce` when none). |
/// | `.storage_class(impl Into<String>)` / `.storage_class_opt(Option<..>)` | `storageClassName`; unset uses the cluster's default class, `""` disables dynamic provisioning (bind to a pre-created PersistentVolume). |
/// | `.volume_mode(VolumeMode)` / `.volume_mode_opt(Option<..>)` | `volumeMode` (Filesystem by default). |
/// | `.selector(impl Into<Selector>)` / `.selector_opt(Option<..>)` | Only bind to PersistentVolumes with these labels (static provisioning). |
/// | `.volume_name(impl Into<String>)` / `.volume_name_opt(Option<..>)` | Bind to this PersistentVolume. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct PersistentVolumeClaim {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The storage requested (`spec.resources.requests.storage`).
    size: Storage,
    /// Access modes, in the order added (`ReadWriteOnce` when none).
    #[builder(
        via_mutators,
        mutators(
            /// Adds an access mode.
            pub fn access_mode(&mut self, mode: AccessMode) {
                push_unique(&mut self.access_modes, mode);
            }
        )
    )]
    access_modes: Vec<AccessMode>,
    /// `storageClassName`; unset uses the cluster's default class, `""` disables dynamic
    /// provisioning (bind to a pre-created PersistentVolume).
    #[builder(default, setter(into, strip_option(fallback = storage_class_opt)))]
    storage_class: Option<String>,
    /// `volumeMode` (Filesystem by default).
    #[builder(default, setter(strip_option(fallback = volume_mode_opt)))]
    volume_mode: Option<VolumeMode>,
    /// Only bind to PersistentVolumes with these labels (static provisioning).
    #[builder(default, setter(into, strip_option(fallback = selector_opt)))]
    selector: Option<Selector>,
    /// Bind to this PersistentVolume.
    #[builder(default, setter(into, strip_option(fallback = volume_name_opt)))]
    volume_name: Option<String>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::PersistentVolumeClaim) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::PersistentVolumeClaim>,
}

impl PersistentVolumeClaim {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the requested size; go on with any
    /// other setter, then `.build()`. Same as `PersistentVolumeClaim::builder().name(..).size(..)`,
    /// but leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        size: Storage,
    ) -> PersistentVolumeClaimBuilder<(
        (String,),
        (),
        (),
        (),
        (Storage,),
        (Vec<AccessMode>,),
        (),
        (),
        (),
        (),
        (Customize<core::PersistentVolumeClaim>,),
    )> {
        Self::builder().name(name).size(size)
    }
}

impl PersistentVolumeClaim {
    /// The claim's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The claim's spec, also used for StatefulSet `volumeClaimTemplates`.
    pub fn spec(&self) -> core::PersistentVolumeClaimSpec {
        core::PersistentVolumeClaimSpec {
            volume_mode: self.volume_mode.map(|m| m.as_str().to_owned()),
            selector: self.selector.as_ref().map(Selector::to_label_selector),
            volume_name: self.volume_name.clone(),
            ..claim_spec(self.size, &self.access_modes, self.storage_class.as_ref())
        }
    }
}

/// The spec every claim kubeprint builds starts from: `size` of storage, `modes` (or
/// `ReadWriteOnce` when none), and the storage class. Shared by [`PersistentVolumeClaim`] and
/// StatefulSet claim templates.
pub(crate) fn claim_spec(
    size: Storage,
    modes: &[AccessMode],
    storage_class: Option<&String>,
) -> core::PersistentVolumeClaimSpec {
    let modes = if modes.is_empty() {
        &[AccessMode::ReadWriteOnce][..]
    } else {
        modes
    };
    core::PersistentVolumeClaimSpec {
        access_modes: Some(modes.iter().map(|m| m.as_str().to_owned()).collect()),
        resources: Some(core::VolumeResourceRequirements {
            requests: Some(BTreeMap::from([("storage".to_owned(), size.to_quantity())])),
            limits: None,
        }),
        storage_class_name: storage_class.cloned(),
        ..core::PersistentVolumeClaimSpec::default()
    }
}

impl Manifest for PersistentVolumeClaim {
    type Object = core::PersistentVolumeClaim;

    fn to_object(&self) -> Result<core::PersistentVolumeClaim> {
        let mut pvc = core::PersistentVolumeClaim {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(self.spec()),
            status: None,
        };
        self.customize.apply(&mut pvc);
        pvc.to_object()
    }
}

/// Checks a storage size at `at` (a claim's request, a PersistentVolume's capacity): present,
/// a quantity, above zero. Returns it when it is all three.
pub(crate) fn check_storage_size<'q>(
    c: &mut Checker,
    at: String,
    size: Option<&'q Quantity>,
) -> Option<&'q Quantity> {
    let Some(q) = size else {
        c.fail(at, "required");
        return None;
    };
    if let Some(m) = check_quantity(q) {
        c.fail(at, m);
        None
    } else if q.0.parse::<Storage>().is_ok_and(|s| s.as_bytes() == 0) {
        c.fail(at, "must be greater than zero");
        None
    } else {
        Some(q)
    }
}

/// Checks `accessModes` under `path` (claims, claim templates and PersistentVolumes): at least
/// one, each known, `ReadWriteOncePod` alone.
pub(crate) fn check_access_modes(c: &mut Checker, path: &str, modes: Option<&[String]>) {
    let modes = modes.unwrap_or_default();
    if modes.is_empty() {
        c.fail(
            format_args!("{path}.accessModes"),
            "at least one access mode is required",
        );
    }
    for (i, m) in modes.iter().enumerate() {
        if !matches!(
            m.as_str(),
            "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod"
        ) {
            c.fail(
                format_args!("{path}.accessModes[{i}]"),
                format!("{m:?} is not valid (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod)"),
            );
        }
    }
    if modes.len() > 1 && modes.iter().any(|m| m == "ReadWriteOncePod") {
        c.fail(
            format_args!("{path}.accessModes"),
            "ReadWriteOncePod may not be combined with other access modes",
        );
    }
}

/// Checks a claim spec at `path` (`spec`, or `spec.volumeClaimTemplates[0].spec` for
/// StatefulSets: claim templates follow the same rules).
pub(crate) fn check_claim_spec(
    c: &mut Checker,
    path: &str,
    spec: &core::PersistentVolumeClaimSpec,
) {
    check_access_modes(c, path, spec.access_modes.as_deref());
    let resources = spec.resources.as_ref();
    let request = resources
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"));
    let limit = resources
        .and_then(|r| r.limits.as_ref())
        .and_then(|r| r.get("storage"));
    let at = format!("{path}.resources.requests[\"storage\"]");
    if let (Some(q), Some(l)) = (check_storage_size(c, at, request), limit) {
        let at_limit = format!("{path}.resources.limits[\"storage\"]");
        match check_quantity(l) {
            Some(m) => c.fail(at_limit, m),
            None if quantity_cmp(l, q) == Some(std::cmp::Ordering::Less) => {
                c.fail(
                    at_limit,
                    format!("{:?} must not be less than the request {:?}", l.0, q.0),
                );
            }
            None => {}
        }
    }
    if let Some(class) = spec.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
        c.check(
            format_args!("{path}.storageClassName"),
            validate::dns1123_subdomain(class),
        );
    }
    if let Some(mode) = spec
        .volume_mode
        .as_deref()
        .filter(|m| !matches!(*m, "Filesystem" | "Block"))
    {
        c.fail(
            format_args!("{path}.volumeMode"),
            format!("{mode:?} is not valid (Filesystem, Block)"),
        );
    }
    if let Some(s) = &spec.selector {
        check_label_selector(c, &format!("{path}.selector"), s);
    }
    // Both set: they must name the same object (the apiserver copies one into the other).
    if let (Some(src), Some(r)) = (&spec.data_source, &spec.data_source_ref) {
        let group = |g: &Option<String>| g.clone().unwrap_or_default();
        if src.kind != r.kind
            || src.name != r.name
            || group(&src.api_group) != group(&r.api_group)
            || r.namespace.as_deref().is_some_and(|n| !n.is_empty())
        {
            c.fail(
                format_args!("{path}.dataSource"),
                "must match dataSourceRef when both are set",
            );
        }
    }
}

impl Validate for core::PersistentVolumeClaim {
    fn validate(&self, c: &mut Checker) {
        match &self.spec {
            None => c.fail("spec", "required"),
            Some(spec) => check_claim_spec(c, "spec", spec),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn one_error(p: PersistentVolumeClaim) -> String {
        let e = p.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn customized(
        f: impl Fn(&mut core::PersistentVolumeClaimSpec) + Send + Sync + 'static,
    ) -> PersistentVolumeClaim {
        PersistentVolumeClaim::builder()
            .name("data")
            .size(Storage::gib(1))
            .customize(move |p: &mut core::PersistentVolumeClaim| {
                p.spec.as_mut().into_iter().for_each(&f)
            })
            .build()
    }

    #[test]
    fn defaults_to_read_write_once() {
        let spec = PersistentVolumeClaim::builder()
            .name("data")
            .size(Storage::mib(512))
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(spec.access_modes.unwrap(), ["ReadWriteOnce"]);
        assert_eq!(
            spec.resources.unwrap().requests.unwrap()["storage"],
            Quantity("512Mi".into())
        );
        assert_eq!(
            (spec.storage_class_name, spec.volume_mode, spec.selector),
            (None, None, None)
        );
    }

    #[test]
    fn every_field() {
        let spec = PersistentVolumeClaim::builder()
            .name("data")
            .namespace("db")
            .size(Storage::gib(10))
            .access_mode(AccessMode::ReadWriteMany)
            .access_mode(AccessMode::ReadOnlyMany)
            .access_mode(AccessMode::ReadWriteMany)
            .storage_class("")
            .volume_mode(VolumeMode::Block)
            .selector(Selector::parse("volume=my-volume").unwrap())
            .volume_name("pv-1")
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(
            spec.access_modes.unwrap(),
            ["ReadWriteMany", "ReadOnlyMany"]
        );
        assert_eq!(spec.storage_class_name.as_deref(), Some(""));
        assert_eq!(spec.volume_mode.as_deref(), Some("Block"));
        assert_eq!(
            spec.selector.unwrap().match_labels.unwrap()["volume"],
            "my-volume"
        );
        assert_eq!(spec.volume_name.as_deref(), Some("pv-1"));
    }

    #[test]
    fn rule_access_modes_required() {
        assert_eq!(
            one_error(customized(|s| s.access_modes = None)),
            r#"persistentvolumeclaim "data": spec.accessModes: at least one access mode is required"#
        );
    }

    #[test]
    fn rule_access_mode_value() {
        assert_eq!(
            one_error(customized(
                |s| s.access_modes = Some(vec!["ReadWriteSometimes".into()])
            )),
            r#"persistentvolumeclaim "data": spec.accessModes[0]: "ReadWriteSometimes" is not valid (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod)"#
        );
    }

    #[test]
    fn rule_read_write_once_pod_alone() {
        let p = PersistentVolumeClaim::builder()
            .name("data")
            .size(Storage::gib(1))
            .access_mode(AccessMode::ReadWriteOncePod)
            .access_mode(AccessMode::ReadOnlyMany)
            .build();
        assert_eq!(
            one_error(p),
            r#"persistentvolumeclaim "data": spec.accessModes: ReadWriteOncePod may not be combined with other access modes"#
        );
    }

    #[test]
    fn rule_size_required_and_positive() {
        assert_eq!(
            one_error(customized(|s| s.resources = None)),
            r#"persistentvolumeclaim "data": spec.resources.requests["storage"]: required"#
        );
        let p = PersistentVolumeClaim::builder()
            .name("data")
            .size(Storage::bytes(0))
            .build();
        assert_eq!(
            one_error(p),
            r#"persistentvolumeclaim "data": spec.resources.requests["storage"]: must be greater than zero"#
        );
        let bad = customized(|s| {
            s.resources.as_mut().into_iter().for_each(|r| {
                r.requests = Some([("storage".into(), Quantity("lots".into()))].into())
            })
        });
        assert_eq!(
            one_error(bad),
            r#"persistentvolumeclaim "data": spec.resources.requests["storage"]: "lots" is not a number with an optional suffix (m, Ki, Mi, Gi, k, M, G, ...)"#
        );
    }

    #[test]
    fn rule_limit_not_below_request() {
        let p = customized(|s| {
            s.resources.as_mut().into_iter().for_each(|r| {
                r.limits = Some([("storage".into(), Quantity("512Mi".into()))].into())
            })
        });
        assert_eq!(
            one_error(p),
            r#"persistentvolumeclaim "data": spec.resources.limits["storage"]: "512Mi" must not be less than the request "1Gi""#
        );
    }

    #[test]
    fn rule_storage_class_name() {
        let p = PersistentVolumeClaim::builder()
            .name("data")
            .size(Storage::gib(1))
            .storage_class("Fast_SSD")
            .build();
        assert_eq!(
            one_error(p),
            r#"persistentvolumeclaim "data": spec.storageClassName: "Fast_SSD" must consist of lowercase letters, digits, '-' and '.'"#
        );
    }

    #[test]
    fn rule_volume_mode() {
        assert_eq!(
            one_error(customized(|s| s.volume_mode = Some("Raw".into()))),
            r#"persistentvolumeclaim "data": spec.volumeMode: "Raw" is not valid (Filesystem, Block)"#
        );
    }

    #[test]
    fn rule_selector() {
        let p = PersistentVolumeClaim::builder()
            .name("data")
            .size(Storage::gib(1))
            .selector(Selector::new().label("v", "-"))
            .build();
        assert_eq!(
            one_error(p),
            r#"persistentvolumeclaim "data": spec.selector.matchLabels["v"]: value "-" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
    }

    #[test]
    fn rule_spec_required() {
        let p = customized(|_| {}).to_object().map(|mut p| {
            p.spec = None;
            p
        });
        let e = p.unwrap().to_object().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"persistentvolumeclaim "data": spec: required"#
        );
    }
}
