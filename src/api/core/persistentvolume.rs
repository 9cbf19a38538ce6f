//! PersistentVolume (chapter 13, *Integrating Storage Solutions*): a piece of storage an
//! administrator makes available to claims — the book's NFS export, a local disk, a CSI volume.
//!
//! Claims find a volume by its storage class, size and access modes, and, to pick exactly one,
//! by its labels ([`PersistentVolumeClaim`](crate::PersistentVolumeClaim)'s `selector`) or its
//! name (`volume_name`). [`reserve_for`](PersistentVolumeBuilder::reserve_for) does the
//! opposite: it keeps the volume for one claim.
//!
//! A full example and the list of setters are on [`PersistentVolume`].

use crate::api::core::persistentvolumeclaim::{
    AccessMode, VolumeMode, check_access_modes, check_storage_size,
};
use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta, push_unique};
use crate::object::{Manifest, Validate};
use crate::pod::check;
use crate::pod::{HostPathType, NodeExpr};
use crate::quantity::Storage;
use crate::validate::{self, Checker, one_of};
use k8s_openapi::api::core::v1 as core;
use std::collections::BTreeMap;
use typed_builder::TypedBuilder;

/// What happens to a volume when the claim bound to it is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReclaimPolicy {
    /// The volume and its data stay; an administrator reclaims it by hand (the default for
    /// volumes made by hand).
    Retain,
    /// The volume and the storage behind it are deleted (the default for volumes a
    /// StorageClass provisions).
    Delete,
}

impl ReclaimPolicy {
    /// Kubernetes' name for the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            ReclaimPolicy::Retain => "Retain",
            ReclaimPolicy::Delete => "Delete",
        }
    }
}

/// Where a [`PersistentVolume`]'s data lives. Other volume types go through
/// [`customize`](PersistentVolumeBuilder::customize).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An NFS export.
    Nfs {
        /// Host name or IP address of the NFS server.
        server: String,
        /// The exported path (absolute).
        path: String,
        /// Mount the export read-only.
        read_only: bool,
    },
    /// A directory on the node (single-node test clusters only: the data stays on whichever node
    /// the pod ran).
    HostPath {
        /// The path on the node.
        path: String,
        /// What must be at the path.
        kind: Option<HostPathType>,
    },
    /// A local disk or directory of one node; needs
    /// [`require_node`](PersistentVolumeBuilder::require_node) so pods are scheduled there.
    Local {
        /// The path on the node (absolute).
        path: String,
        /// The filesystem to format a raw block device with.
        fs_type: Option<String>,
    },
    /// A volume of a CSI driver.
    Csi {
        /// The driver's name (`ebs.csi.aws.com`).
        driver: String,
        /// The volume's id in the storage system.
        volume_handle: String,
        /// The filesystem type to mount (`ext4`).
        fs_type: Option<String>,
        /// Mount read-only.
        read_only: bool,
        /// Driver-specific attributes, sorted by key.
        attributes: BTreeMap<String, String>,
    },
}

impl Source {
    /// An NFS export, read-write (the book's `nfs-volume.yaml`).
    pub fn nfs(server: impl Into<String>, path: impl Into<String>) -> Self {
        Source::Nfs {
            server: server.into(),
            path: path.into(),
            read_only: false,
        }
    }

    /// A directory on the node, whatever is there.
    pub fn host_path(path: impl Into<String>) -> Self {
        Source::HostPath {
            path: path.into(),
            kind: None,
        }
    }

    /// A local disk or directory.
    pub fn local(path: impl Into<String>) -> Self {
        Source::Local {
            path: path.into(),
            fs_type: None,
        }
    }

    /// A CSI volume, read-write, no attributes.
    pub fn csi(driver: impl Into<String>, volume_handle: impl Into<String>) -> Self {
        Source::Csi {
            driver: driver.into(),
            volume_handle: volume_handle.into(),
            fs_type: None,
            read_only: false,
            attributes: BTreeMap::new(),
        }
    }

    fn fill(&self, spec: &mut core::PersistentVolumeSpec) {
        match self {
            Source::Nfs {
                server,
                path,
                read_only,
            } => {
                spec.nfs = Some(core::NFSVolumeSource {
                    server: server.clone(),
                    path: path.clone(),
                    read_only: read_only.then_some(true),
                });
            }
            Source::HostPath { path, kind } => {
                spec.host_path = Some(core::HostPathVolumeSource {
                    path: path.clone(),
                    type_: kind.map(|k| k.as_str().to_owned()),
                });
            }
            Source::Local { path, fs_type } => {
                spec.local = Some(core::LocalVolumeSource {
                    path: path.clone(),
                    fs_type: fs_type.clone(),
                });
            }
            Source::Csi {
                driver,
                volume_handle,
                fs_type,
                read_only,
                attributes,
            } => {
                spec.csi = Some(core::CSIPersistentVolumeSource {
                    driver: driver.clone(),
                    volume_handle: volume_handle.clone(),
                    fs_type: fs_type.clone(),
                    read_only: read_only.then_some(true),
                    volume_attributes: (!attributes.is_empty()).then(|| attributes.clone()),
                    ..core::CSIPersistentVolumeSource::default()
                });
            }
        }
    }
}

/// A PersistentVolume (cluster-scoped). `name`, `capacity` and `source` are required; without
/// any [`access_mode`](PersistentVolumeBuilder::access_mode) the volume is `ReadWriteOnce`.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::persistentvolume::{ReclaimPolicy, Source};
/// use kubeprint::persistentvolumeclaim::AccessMode;
///
/// // The book's nfs-volume.yaml and the claim that selects it by label.
/// let volume = PersistentVolume::builder()
///     .name("nfs-database")
///     .labels(Labels::from([("volume", "my-volume")]))
///     .capacity(Storage::gib(1))
///     .access_mode(AccessMode::ReadWriteMany)
///     .source(Source::nfs("192.168.0.1", "/exports"))
///     .reclaim_policy(ReclaimPolicy::Retain)
///     .build();
/// let claim = PersistentVolumeClaim::builder()
///     .name("database")
///     .size(Storage::gib(1))
///     .access_mode(AccessMode::ReadWriteMany)
///     .storage_class("")
///     .selector(Selector::parse("volume=my-volume")?)
///     .build();
/// let bundle = Bundle::new("database").with(volume)?.with(claim)?;
/// let pv = bundle.objects()[0].to_json_value()?;
/// assert_eq!(pv["spec"]["nfs"]["server"], "192.168.0.1");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`PersistentVolume::new`] (the required fields as arguments) or [`PersistentVolume::builder()`](PersistentVolume::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`: what claims' selectors match. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.capacity(Storage)` — **required** | The size the volume offers (`spec.capacity.storage`). |
/// | `.source(Source)` — **required** | Where the data lives. |
/// | `.access_mode(mode)` (repeatable) | Access modes, in the order added (`ReadWriteOnce` when none). |
/// | `.reclaim_policy(ReclaimPolicy)` / `.reclaim_policy_opt(Option<..>)` | What happens when the bound claim is deleted (Kubernetes' default for volumes made by hand: `Retain`). |
/// | `.storage_class(impl Into<String>)` / `.storage_class_opt(Option<..>)` | `storageClassName`: only claims of this class bind to the volume; unset, only claims with `storage_class("")` do. |
/// | `.volume_mode(VolumeMode)` / `.volume_mode_opt(Option<..>)` | `volumeMode` (Filesystem by default). |
/// | `.mount_option(option)` (repeatable) | Mount options, in the order added (`nfsvers=4.1`, `hard`). |
/// | `.require_node(expr)` (repeatable) | Node expressions a node must meet to use the volume (ANDed); required for [`Source::Local`]. |
/// | `.reserve_for(impl Into<(String, String)>)` | Reserves the volume for one claim (`spec.claimRef`): `(namespace, claim name)`. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct PersistentVolume {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`: what claims' selectors match.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The size the volume offers (`spec.capacity.storage`).
    capacity: Storage,
    /// Where the data lives.
    source: Source,
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
    /// What happens when the bound claim is deleted (Kubernetes' default for volumes made by
    /// hand: `Retain`).
    #[builder(default, setter(strip_option(fallback = reclaim_policy_opt)))]
    reclaim_policy: Option<ReclaimPolicy>,
    /// `storageClassName`: only claims of this class bind to the volume; unset, only claims
    /// with `storage_class("")` do.
    #[builder(default, setter(into, strip_option(fallback = storage_class_opt)))]
    storage_class: Option<String>,
    /// `volumeMode` (Filesystem by default).
    #[builder(default, setter(strip_option(fallback = volume_mode_opt)))]
    volume_mode: Option<VolumeMode>,
    /// Mount options, in the order added (`nfsvers=4.1`, `hard`).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a mount option.
            pub fn mount_option(&mut self, option: impl Into<String>) {
                push_unique(&mut self.mount_options, option.into());
            }
        )
    )]
    mount_options: Vec<String>,
    /// Node expressions a node must meet to use the volume (ANDed); required for
    /// [`Source::Local`].
    #[builder(
        via_mutators,
        mutators(
            /// Requires nodes matching `expr` (`NodeExpr::is_in("kubernetes.io/hostname",
            /// ["node-1"])`).
            pub fn require_node(&mut self, expr: NodeExpr) {
                self.required_nodes.push(expr);
            }
        )
    )]
    required_nodes: Vec<NodeExpr>,
    /// Reserves the volume for one claim (`spec.claimRef`): `(namespace, claim name)`.
    #[builder(default, setter(transform = |namespace: impl Into<String>, claim: impl Into<String>| Some((namespace.into(), claim.into()))))]
    reserve_for: Option<(String, String)>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::PersistentVolume) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::PersistentVolume>,
}

impl PersistentVolume {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name, the capacity and the volume source; go
    /// on with any other setter, then `.build()`. Same as
    /// `PersistentVolume::builder().name(..).capacity(..).source(..)`, but leaving one out is an
    /// ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        capacity: Storage,
        source: Source,
    ) -> PersistentVolumeBuilder<(
        (String,),
        (),
        (),
        (Storage,),
        (Source,),
        (Vec<AccessMode>,),
        (),
        (),
        (),
        (Vec<String>,),
        (Vec<NodeExpr>,),
        (),
        (Customize<core::PersistentVolume>,),
    )> {
        Self::builder().name(name).capacity(capacity).source(source)
    }
}

impl PersistentVolume {
    /// The volume's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for PersistentVolume {
    type Object = core::PersistentVolume;

    fn to_object(&self) -> Result<core::PersistentVolume> {
        let modes = if self.access_modes.is_empty() {
            &[AccessMode::ReadWriteOnce][..]
        } else {
            &self.access_modes
        };
        let mut spec = core::PersistentVolumeSpec {
            capacity: Some(BTreeMap::from([(
                "storage".to_owned(),
                self.capacity.to_quantity(),
            )])),
            access_modes: Some(modes.iter().map(|m| m.as_str().to_owned()).collect()),
            persistent_volume_reclaim_policy: self.reclaim_policy.map(|p| p.as_str().to_owned()),
            storage_class_name: self.storage_class.clone(),
            volume_mode: self.volume_mode.map(|m| m.as_str().to_owned()),
            mount_options: (!self.mount_options.is_empty()).then(|| self.mount_options.clone()),
            node_affinity: (!self.required_nodes.is_empty()).then(|| core::VolumeNodeAffinity {
                required: Some(core::NodeSelector {
                    node_selector_terms: vec![core::NodeSelectorTerm {
                        match_expressions: Some(
                            self.required_nodes.iter().map(NodeExpr::to_k8s).collect(),
                        ),
                        match_fields: None,
                    }],
                }),
            }),
            claim_ref: self
                .reserve_for
                .as_ref()
                .map(|(namespace, name)| core::ObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("PersistentVolumeClaim".into()),
                    namespace: Some(namespace.clone()),
                    name: Some(name.clone()),
                    ..core::ObjectReference::default()
                }),
            ..core::PersistentVolumeSpec::default()
        };
        self.source.fill(&mut spec);
        let mut pv = core::PersistentVolume {
            metadata: object_meta(&self.name, None, &self.labels, &self.annotations),
            spec: Some(spec),
            status: None,
        };
        self.customize.apply(&mut pv);
        pv.to_object()
    }
}

/// The volume types a PersistentVolume spec can name, with their field names, set or not.
fn sources(spec: &core::PersistentVolumeSpec) -> [(&'static str, bool); 22] {
    [
        (
            "awsElasticBlockStore",
            spec.aws_elastic_block_store.is_some(),
        ),
        ("azureDisk", spec.azure_disk.is_some()),
        ("azureFile", spec.azure_file.is_some()),
        ("cephfs", spec.cephfs.is_some()),
        ("cinder", spec.cinder.is_some()),
        ("csi", spec.csi.is_some()),
        ("fc", spec.fc.is_some()),
        ("flexVolume", spec.flex_volume.is_some()),
        ("flocker", spec.flocker.is_some()),
        ("gcePersistentDisk", spec.gce_persistent_disk.is_some()),
        ("glusterfs", spec.glusterfs.is_some()),
        ("hostPath", spec.host_path.is_some()),
        ("iscsi", spec.iscsi.is_some()),
        ("local", spec.local.is_some()),
        ("nfs", spec.nfs.is_some()),
        (
            "photonPersistentDisk",
            spec.photon_persistent_disk.is_some(),
        ),
        ("portworxVolume", spec.portworx_volume.is_some()),
        ("quobyte", spec.quobyte.is_some()),
        ("rbd", spec.rbd.is_some()),
        ("scaleIO", spec.scale_io.is_some()),
        ("storageos", spec.storageos.is_some()),
        ("vsphereVolume", spec.vsphere_volume.is_some()),
    ]
}

impl Validate for core::PersistentVolume {
    fn validate(&self, c: &mut Checker) {
        let Some(spec) = &self.spec else {
            c.fail("spec", "required");
            return;
        };
        check_storage_size(
            c,
            "spec.capacity[\"storage\"]".into(),
            spec.capacity.as_ref().and_then(|m| m.get("storage")),
        );
        check_access_modes(c, "spec", spec.access_modes.as_deref());
        let set: Vec<&str> = sources(spec)
            .into_iter()
            .filter_map(|(name, set)| set.then_some(name))
            .collect();
        match set.len() {
            0 => c.fail(
                "spec",
                "must name a volume type (nfs, hostPath, local, csi, ...)",
            ),
            1 => {}
            _ => c.fail(
                "spec",
                format!(
                    "names {} volume types ({}); exactly one is allowed",
                    set.len(),
                    set.join(", ")
                ),
            ),
        }
        if let Some(n) = &spec.nfs {
            check::nfs(c, "spec.nfs", n);
        }
        if let Some(h) = &spec.host_path {
            check::host_path(c, "spec.hostPath", h);
        }
        if let Some(l) = &spec.local {
            if !l.path.starts_with('/') {
                c.fail(
                    "spec.local.path",
                    format!("{:?} must be an absolute path", l.path),
                );
            }
            if spec
                .node_affinity
                .as_ref()
                .and_then(|a| a.required.as_ref())
                .is_none()
            {
                c.fail(
                    "spec.nodeAffinity.required",
                    "a local volume needs it: pods can only use the volume on its own node",
                );
            }
        }
        if let Some(csi) = &spec.csi {
            if csi.driver.is_empty() {
                c.fail("spec.csi.driver", "must not be empty");
            } else {
                c.check(
                    "spec.csi.driver",
                    validate::dns1123_subdomain(&csi.driver.to_lowercase()),
                );
            }
            if csi.volume_handle.is_empty() {
                c.fail("spec.csi.volumeHandle", "must not be empty");
            }
        }
        if let Some(policy) = &spec.persistent_volume_reclaim_policy {
            c.check(
                "spec.persistentVolumeReclaimPolicy",
                one_of(policy, &["Retain", "Delete", "Recycle"]),
            );
        }
        if let Some(class) = spec.storage_class_name.as_deref().filter(|s| !s.is_empty()) {
            c.check("spec.storageClassName", validate::dns1123_subdomain(class));
        }
        if let Some(mode) = &spec.volume_mode {
            c.check("spec.volumeMode", one_of(mode, &["Filesystem", "Block"]));
        }
        for (i, option) in spec.mount_options.iter().flatten().enumerate() {
            if option.is_empty() {
                c.fail(format_args!("spec.mountOptions[{i}]"), "must not be empty");
            }
        }
        if let Some(required) = spec
            .node_affinity
            .as_ref()
            .and_then(|a| a.required.as_ref())
        {
            check::node_selector(c, "spec.nodeAffinity.required", required);
        }
        if let Some(claim) = &spec.claim_ref {
            match claim.name.as_deref() {
                None | Some("") => c.fail("spec.claimRef.name", "required"),
                Some(name) => c.check("spec.claimRef.name", validate::dns1123_subdomain(name)),
            }
            match claim.namespace.as_deref() {
                None | Some("") => c.fail("spec.claimRef.namespace", "required"),
                Some(ns) => c.check("spec.claimRef.namespace", validate::dns1123_label(ns)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A builder with the required fields set.
    macro_rules! volume {
        () => {
            volume!(Source::nfs("nfs.example.internal", "/exports"))
        };
        ($source:expr) => {
            volume!($source, Storage::gib(1))
        };
        ($source:expr, $capacity:expr) => {
            PersistentVolume::builder()
                .name("data")
                .capacity($capacity)
                .source($source)
        };
    }

    fn one_error(pv: PersistentVolume) -> String {
        let e = pv.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn spec(pv: PersistentVolume) -> core::PersistentVolumeSpec {
        pv.to_object().unwrap().spec.unwrap()
    }

    #[test]
    fn defaults() {
        let s = spec(volume!().build());
        assert_eq!(s.capacity.unwrap()["storage"].0, "1Gi");
        assert_eq!(s.access_modes.unwrap(), ["ReadWriteOnce"]);
        let nfs = s.nfs.unwrap();
        assert_eq!(
            (nfs.server.as_str(), nfs.path.as_str(), nfs.read_only),
            ("nfs.example.internal", "/exports", None)
        );
        assert_eq!(
            (
                s.persistent_volume_reclaim_policy,
                s.storage_class_name,
                s.volume_mode,
                s.mount_options,
                s.node_affinity,
                s.claim_ref,
            ),
            (None, None, None, None, None, None)
        );
    }

    #[test]
    fn every_field() {
        let s = spec(
            PersistentVolume::builder()
                .name("disk-1")
                .capacity(Storage::gib(100))
                .source(Source::Local {
                    path: "/mnt/disks/ssd1".into(),
                    fs_type: Some("ext4".into()),
                })
                .access_mode(AccessMode::ReadWriteOncePod)
                .reclaim_policy(ReclaimPolicy::Delete)
                .storage_class("local-ssd")
                .volume_mode(VolumeMode::Filesystem)
                .mount_option("noatime")
                .require_node(NodeExpr::is_in("kubernetes.io/hostname", ["node-1"]))
                .reserve_for("db", "data-mysql-0")
                .build(),
        );
        assert_eq!(s.local.unwrap().fs_type.as_deref(), Some("ext4"));
        assert_eq!(s.access_modes.unwrap(), ["ReadWriteOncePod"]);
        assert_eq!(
            s.persistent_volume_reclaim_policy.as_deref(),
            Some("Delete")
        );
        assert_eq!(s.storage_class_name.as_deref(), Some("local-ssd"));
        assert_eq!(s.volume_mode.as_deref(), Some("Filesystem"));
        assert_eq!(s.mount_options.unwrap(), ["noatime"]);
        let terms = s
            .node_affinity
            .unwrap()
            .required
            .unwrap()
            .node_selector_terms;
        assert_eq!(terms.len(), 1);
        let expr = &terms[0].match_expressions.as_ref().unwrap()[0];
        assert_eq!(
            (
                expr.key.as_str(),
                expr.operator.as_str(),
                expr.values.clone()
            ),
            ("kubernetes.io/hostname", "In", Some(vec!["node-1".into()]))
        );
        let claim = s.claim_ref.unwrap();
        assert_eq!(
            (
                claim.kind.as_deref(),
                claim.namespace.as_deref(),
                claim.name.as_deref()
            ),
            (
                Some("PersistentVolumeClaim"),
                Some("db"),
                Some("data-mysql-0")
            )
        );
    }

    #[test]
    fn every_source() {
        let s = spec(
            volume!(Source::Nfs {
                server: "10.0.0.2".into(),
                path: "/srv".into(),
                read_only: true,
            })
            .build(),
        );
        assert_eq!(s.nfs.unwrap().read_only, Some(true));
        let s = spec(
            volume!(Source::HostPath {
                path: "/var/lib/data".into(),
                kind: Some(HostPathType::DirectoryOrCreate),
            })
            .build(),
        );
        assert_eq!(
            s.host_path.unwrap().type_.as_deref(),
            Some("DirectoryOrCreate")
        );
        let s = spec(volume!(Source::host_path("/tmp/pv")).build());
        assert_eq!(s.host_path.unwrap().type_, None);
        let mut csi = Source::csi("ebs.csi.aws.com", "vol-0123");
        if let Source::Csi {
            attributes,
            read_only,
            ..
        } = &mut csi
        {
            attributes.insert("zone".into(), "a".into());
            *read_only = true;
        }
        let s = spec(volume!(csi).build());
        let csi = s.csi.unwrap();
        assert_eq!(
            (
                csi.driver.as_str(),
                csi.volume_handle.as_str(),
                csi.read_only
            ),
            ("ebs.csi.aws.com", "vol-0123", Some(true))
        );
        assert_eq!(csi.volume_attributes.unwrap()["zone"], "a");
    }

    #[test]
    fn rule_exactly_one_source() {
        let pv = volume!()
            .customize(|p: &mut core::PersistentVolume| {
                p.spec.as_mut().into_iter().for_each(|s| s.nfs = None)
            })
            .build();
        assert_eq!(
            one_error(pv),
            r#"persistentvolume "data": spec: must name a volume type (nfs, hostPath, local, csi, ...)"#
        );
        let pv = volume!()
            .customize(|p: &mut core::PersistentVolume| {
                p.spec.as_mut().into_iter().for_each(|s| {
                    s.host_path = Some(core::HostPathVolumeSource {
                        path: "/x".into(),
                        type_: None,
                    })
                })
            })
            .build();
        assert_eq!(
            one_error(pv),
            r#"persistentvolume "data": spec: names 2 volume types (hostPath, nfs); exactly one is allowed"#
        );
    }

    #[test]
    fn rule_capacity() {
        assert_eq!(
            one_error(
                volume!(
                    Source::nfs("nfs.example.internal", "/exports"),
                    Storage::bytes(0)
                )
                .build()
            ),
            r#"persistentvolume "data": spec.capacity["storage"]: must be greater than zero"#
        );
        let pv = volume!()
            .customize(|p: &mut core::PersistentVolume| {
                p.spec.as_mut().into_iter().for_each(|s| s.capacity = None)
            })
            .build();
        assert_eq!(
            one_error(pv),
            r#"persistentvolume "data": spec.capacity["storage"]: required"#
        );
    }

    #[test]
    fn rule_local_needs_node_affinity_and_absolute_path() {
        let pv = volume!(Source::local("mnt/disk")).build();
        let e = pv.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 2, "{e}");
        let e = e.to_string();
        assert!(
            e.contains(r#"spec.local.path: "mnt/disk" must be an absolute path"#),
            "{e}"
        );
        assert!(
            e.contains("spec.nodeAffinity.required: a local volume needs it"),
            "{e}"
        );
        let pv = volume!(Source::local("/mnt/disk"))
            .require_node(NodeExpr::is_in(
                "kubernetes.io/hostname",
                Vec::<String>::new(),
            ))
            .build();
        assert_eq!(
            one_error(pv),
            r#"persistentvolume "data": spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: must not be empty for In and NotIn"#
        );
    }

    #[test]
    fn rule_source_fields() {
        assert_eq!(
            one_error(volume!(Source::nfs("", "/x")).build()),
            r#"persistentvolume "data": spec.nfs.server: must not be empty"#
        );
        assert_eq!(
            one_error(volume!(Source::nfs("s", "x")).build()),
            r#"persistentvolume "data": spec.nfs.path: "x" must be an absolute path"#
        );
        assert_eq!(
            one_error(volume!(Source::host_path("")).build()),
            r#"persistentvolume "data": spec.hostPath.path: must not be empty"#
        );
        let e = volume!(Source::csi("", ""))
            .build()
            .to_object()
            .unwrap_err();
        assert_eq!(e.violations().len(), 2, "{e}");
        assert!(e.to_string().contains("spec.csi.driver: must not be empty"));
        assert!(
            e.to_string()
                .contains("spec.csi.volumeHandle: must not be empty")
        );
    }

    #[test]
    fn rule_values_and_claim_ref() {
        let pv = volume!()
            .customize(|p: &mut core::PersistentVolume| {
                p.metadata.namespace = Some("ns".into());
                if let Some(s) = p.spec.as_mut() {
                    s.persistent_volume_reclaim_policy = Some("Keep".into());
                    s.volume_mode = Some("Raw".into());
                    s.access_modes = Some(vec![]);
                    s.claim_ref = Some(core::ObjectReference::default());
                }
            })
            .build();
        let e = pv.to_object().unwrap_err().to_string();
        for expected in [
            "metadata.namespace: must not be set: PersistentVolumes are not namespaced",
            r#"spec.persistentVolumeReclaimPolicy: "Keep" is not one of Retain, Delete, Recycle"#,
            r#"spec.volumeMode: "Raw" is not one of Filesystem, Block"#,
            "spec.accessModes: at least one access mode is required",
            "spec.claimRef.name: required",
            "spec.claimRef.namespace: required",
        ] {
            assert!(e.contains(expected), "{expected}\n{e}");
        }
    }
}
