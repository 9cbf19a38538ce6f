//! StorageClass (chapter 13, *dynamic volume provisioning*): how claims that name the class get
//! their volumes — the provisioner, its parameters, when to bind and what happens to the volume
//! when its claim goes away.
//!
//! A full example and the list of setters are on [`StorageClass`].

use crate::api::core::persistentvolume::ReclaimPolicy;
use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta, push_unique};
use crate::object::{Manifest, Validate};
use crate::validate::{self, Checker, one_of};
use k8s_openapi::api::storage::v1 as storage;
use std::collections::BTreeMap;
use typed_builder::TypedBuilder;

/// The annotation that makes a class the cluster's default (claims without a
/// `storageClassName` get it).
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

/// No dynamic provisioning: claims of the class bind to PersistentVolumes created beforehand
/// (local volumes, NFS exports).
pub const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

/// The apiserver's limits on a class's parameters: entries, and bytes of keys and values.
const MAX_PARAMETERS: usize = 512;
const MAX_PARAMETER_BYTES: usize = 256 * 1024;

/// When a claim of the class gets its volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingMode {
    /// As soon as the claim is created (the Kubernetes default).
    Immediate,
    /// When the first pod using the claim is scheduled, so the volume is made where the pod
    /// can run (zonal disks, local volumes).
    WaitForFirstConsumer,
}

impl BindingMode {
    /// Kubernetes' name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingMode::Immediate => "Immediate",
            BindingMode::WaitForFirstConsumer => "WaitForFirstConsumer",
        }
    }
}

/// A StorageClass (cluster-scoped). `name` and `provisioner` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::storageclass::BindingMode;
/// use kubeprint::persistentvolume::ReclaimPolicy;
///
/// let class = StorageClass::builder()
///     .name("fast")
///     .provisioner("pd.csi.storage.gke.io")
///     .parameter("type", "pd-ssd")
///     .binding_mode(BindingMode::WaitForFirstConsumer)
///     .reclaim_policy(ReclaimPolicy::Retain)
///     .allow_volume_expansion()
///     .build()
///     .to_object()?;
/// assert_eq!(class.parameters.unwrap()["type"], "pd-ssd");
/// assert_eq!(class.volume_binding_mode.as_deref(), Some("WaitForFirstConsumer"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`StorageClass::new`] (the required fields as arguments) or [`StorageClass::builder()`](StorageClass::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`: what claims put in `storageClassName`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.provisioner(impl Into<String>)` — **required** | The volume plugin or CSI driver that makes the volumes (`ebs.csi.aws.com`, [`NO_PROVISIONER`], ...). |
/// | `.default_class()` / `.default_class_if(bool)` | Makes this the cluster's default class (the [`DEFAULT_CLASS_ANNOTATION`]). |
/// | `.parameter(key, value)` (repeatable) | Provisioner parameters, sorted by key. |
/// | `.reclaim_policy(ReclaimPolicy)` / `.reclaim_policy_opt(Option<..>)` | What happens to a provisioned volume when its claim is deleted (Kubernetes' default: `Delete`). |
/// | `.binding_mode(BindingMode)` / `.binding_mode_opt(Option<..>)` | When claims get their volume (Kubernetes' default: `Immediate`). |
/// | `.allow_volume_expansion()` / `.allow_volume_expansion_if(bool)` | Lets claims of the class grow (`allowVolumeExpansion`). |
/// | `.mount_option(option)` (repeatable) | Mount options of the provisioned volumes, in the order added. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation (`allowedTopologies`, for one). |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct StorageClass {
    /// `metadata.name`: what claims put in `storageClassName`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The volume plugin or CSI driver that makes the volumes (`ebs.csi.aws.com`,
    /// [`NO_PROVISIONER`], ...).
    #[builder(setter(into))]
    provisioner: String,
    /// Makes this the cluster's default class (the [`DEFAULT_CLASS_ANNOTATION`]).
    #[builder(setter(strip_bool(fallback = default_class_if)))]
    default_class: bool,
    /// Provisioner parameters, sorted by key.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a provisioner parameter (a later value of the same key wins).
            pub fn parameter(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.parameters.insert(key.into(), value.into());
            }
        )
    )]
    parameters: BTreeMap<String, String>,
    /// What happens to a provisioned volume when its claim is deleted (Kubernetes' default:
    /// `Delete`).
    #[builder(default, setter(strip_option(fallback = reclaim_policy_opt)))]
    reclaim_policy: Option<ReclaimPolicy>,
    /// When claims get their volume (Kubernetes' default: `Immediate`).
    #[builder(default, setter(strip_option(fallback = binding_mode_opt)))]
    binding_mode: Option<BindingMode>,
    /// Lets claims of the class grow (`allowVolumeExpansion`).
    #[builder(setter(strip_bool(fallback = allow_volume_expansion_if)))]
    allow_volume_expansion: bool,
    /// Mount options of the provisioned volumes, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a mount option (`nfsvers=4.1`, `noatime`).
            pub fn mount_option(&mut self, option: impl Into<String>) {
                push_unique(&mut self.mount_options, option.into());
            }
        )
    )]
    mount_options: Vec<String>,
    /// Escape hatch: hooks run on the finished object before validation (`allowedTopologies`,
    /// for one).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut storage::StorageClass) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<storage::StorageClass>,
}

impl StorageClass {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the provisioner; go on with any
    /// other setter, then `.build()`. Same as `StorageClass::builder().name(..).provisioner(..)`,
    /// but leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        provisioner: impl Into<String>,
    ) -> StorageClassBuilder<(
        (String,),
        (),
        (),
        (String,),
        (),
        (BTreeMap<String, String>,),
        (),
        (),
        (),
        (Vec<String>,),
        (Customize<storage::StorageClass>,),
    )> {
        Self::builder().name(name).provisioner(provisioner)
    }
}

impl StorageClass {
    /// The class's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for StorageClass {
    type Object = storage::StorageClass;

    fn to_object(&self) -> Result<storage::StorageClass> {
        let mut annotations = self.annotations.clone();
        if self.default_class {
            annotations.insert(DEFAULT_CLASS_ANNOTATION, "true");
        }
        let mut class = storage::StorageClass {
            metadata: object_meta(&self.name, None, &self.labels, &annotations),
            provisioner: self.provisioner.clone(),
            parameters: (!self.parameters.is_empty()).then(|| self.parameters.clone()),
            reclaim_policy: self.reclaim_policy.map(|p| p.as_str().to_owned()),
            volume_binding_mode: self.binding_mode.map(|m| m.as_str().to_owned()),
            allow_volume_expansion: self.allow_volume_expansion.then_some(true),
            mount_options: (!self.mount_options.is_empty()).then(|| self.mount_options.clone()),
            allowed_topologies: None,
        };
        self.customize.apply(&mut class);
        class.to_object()
    }
}

impl Validate for storage::StorageClass {
    fn validate(&self, c: &mut Checker) {
        if self.provisioner.is_empty() {
            c.fail("provisioner", "required");
        } else {
            // The apiserver lower-cases the provisioner before checking it.
            c.check(
                "provisioner",
                validate::qualified_name(&self.provisioner.to_lowercase()),
            );
        }
        let parameters = self.parameters.as_ref();
        let count = parameters.map_or(0, BTreeMap::len);
        if count > MAX_PARAMETERS {
            c.fail(
                "parameters",
                format!("has {count} entries; at most {MAX_PARAMETERS} are allowed"),
            );
        }
        let bytes: usize = parameters
            .into_iter()
            .flatten()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        if bytes > MAX_PARAMETER_BYTES {
            c.fail(
                "parameters",
                format!("has {bytes} bytes of keys and values; at most {MAX_PARAMETER_BYTES} are allowed"),
            );
        }
        if let Some(policy) = &self.reclaim_policy {
            c.check("reclaimPolicy", one_of(policy, &["Delete", "Retain"]));
        }
        if let Some(mode) = &self.volume_binding_mode {
            c.check(
                "volumeBindingMode",
                one_of(mode, &["Immediate", "WaitForFirstConsumer"]),
            );
        }
        for (i, option) in self.mount_options.iter().flatten().enumerate() {
            if option.is_empty() {
                c.fail(format_args!("mountOptions[{i}]"), "must not be empty");
            }
        }
        c.default_class_annotation(self.metadata.annotations.as_ref(), DEFAULT_CLASS_ANNOTATION);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A builder with the required fields set.
    macro_rules! class {
        () => {
            StorageClass::builder()
                .name("local")
                .provisioner(NO_PROVISIONER)
        };
    }

    fn one_error(class: StorageClass) -> String {
        let e = class.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    #[test]
    fn only_what_is_asked_for() {
        let sc = class!().build().to_object().unwrap();
        assert_eq!(sc.provisioner, NO_PROVISIONER);
        assert_eq!(sc.metadata.annotations, None);
        assert_eq!(
            (
                sc.parameters,
                sc.reclaim_policy,
                sc.volume_binding_mode,
                sc.allow_volume_expansion,
                sc.mount_options,
            ),
            (None, None, None, None, None)
        );
    }

    #[test]
    fn every_field() {
        let sc = class!()
            .default_class()
            .parameter("b", "2")
            .parameter("a", "1")
            .parameter("b", "3")
            .reclaim_policy(ReclaimPolicy::Retain)
            .binding_mode(BindingMode::WaitForFirstConsumer)
            .allow_volume_expansion()
            .mount_option("noatime")
            .mount_option("nfsvers=4.1")
            .mount_option("noatime")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(
            sc.metadata.annotations.unwrap()[DEFAULT_CLASS_ANNOTATION],
            "true"
        );
        assert_eq!(
            sc.parameters.unwrap(),
            BTreeMap::from([("a".into(), "1".into()), ("b".into(), "3".into())])
        );
        assert_eq!(sc.reclaim_policy.as_deref(), Some("Retain"));
        assert_eq!(
            sc.volume_binding_mode.as_deref(),
            Some("WaitForFirstConsumer")
        );
        assert_eq!(sc.allow_volume_expansion, Some(true));
        assert_eq!(sc.mount_options.unwrap(), ["noatime", "nfsvers=4.1"]);
    }

    #[test]
    fn rule_provisioner() {
        let sc = StorageClass::builder().name("x").provisioner("").build();
        assert_eq!(one_error(sc), r#"storageclass "x": provisioner: required"#);
        let sc = StorageClass::builder()
            .name("x")
            .provisioner("example.com/has space")
            .build();
        assert!(one_error(sc).starts_with(r#"storageclass "x": provisioner: name "has space""#),);
        // Upper case is fine: the apiserver checks the lower-cased name.
        let sc = StorageClass::builder()
            .name("x")
            .provisioner("Example.COM/Disk")
            .build();
        assert!(sc.to_object().is_ok());
    }

    #[test]
    fn rule_no_namespace() {
        let sc = class!()
            .customize(|s: &mut storage::StorageClass| s.metadata.namespace = Some("ns".into()))
            .build();
        assert_eq!(
            one_error(sc),
            r#"storageclass "ns/local": metadata.namespace: must not be set: StorageClasses are not namespaced"#
        );
    }

    #[test]
    fn rule_policy_and_mode_values() {
        let sc = class!()
            .customize(|s: &mut storage::StorageClass| {
                s.reclaim_policy = Some("Recycle".into());
                s.volume_binding_mode = Some("Later".into());
            })
            .build();
        let e = sc.to_object().unwrap_err().to_string();
        assert!(
            e.contains(r#"reclaimPolicy: "Recycle" is not one of Delete, Retain"#),
            "{e}"
        );
        assert!(
            e.contains(
                r#"volumeBindingMode: "Later" is not one of Immediate, WaitForFirstConsumer"#
            ),
            "{e}"
        );
    }

    #[test]
    fn rule_parameter_limits() {
        let mut many = class!();
        for i in 0..=MAX_PARAMETERS {
            many = many.parameter(format!("k{i}"), "v");
        }
        assert_eq!(
            one_error(many.build()),
            r#"storageclass "local": parameters: has 513 entries; at most 512 are allowed"#
        );
        let big = class!()
            .parameter("k", "v".repeat(MAX_PARAMETER_BYTES))
            .build();
        assert_eq!(
            one_error(big),
            r#"storageclass "local": parameters: has 262145 bytes of keys and values; at most 262144 are allowed"#
        );
    }

    #[test]
    fn rule_default_annotation_and_mount_options() {
        let sc = class!()
            .annotations(Annotations::from([(DEFAULT_CLASS_ANNOTATION, "yes")]))
            .mount_option("")
            .build();
        let e = sc.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 2, "{e}");
        let e = e.to_string();
        assert!(e.contains(r#"mountOptions[0]: must not be empty"#), "{e}");
        assert!(
            e.contains(r#"metadata.annotations["storageclass.kubernetes.io/is-default-class"]: "yes" is neither"#),
            "{e}"
        );
    }
}
