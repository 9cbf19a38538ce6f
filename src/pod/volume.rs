//! Volumes, mounts, and the claim templates of StatefulSets (chapters 5, 11, 13).
//!
//! A pod declares volumes; each container mounts the ones it needs by name:
//!
//! ```
//! use kubeprint::prelude::*;
//! let template = PodTemplate::builder()
//!     .volume(Volume::empty_dir("scratch").in_memory().size_limit(Memory::mib(64)))
//!     .volume(Volume::config_map("config", "kuard-config").item("app.properties", "app.properties"))
//!     .volume(Volume::secret("tls", "kuard-tls").default_mode(0o440))
//!     .volume(Volume::pvc("data", "kuard-data"))
//!     .container(
//!         Container::builder()
//!             .name("kuard")
//!             .image("gcr.io/kuar-demo/kuard-amd64:blue")
//!             .mount(Mount::new("scratch", "/tmp"))
//!             .mount(Mount::new("config", "/config").read_only())
//!             .mount(Mount::new("tls", "/tls").read_only())
//!             .mount(Mount::new("data", "/data"))
//!             .build(),
//!     )
//!     .build();
//! # let _ = template;
//! ```

use crate::meta::Labels;
use crate::quantity::Storage;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// A volume of a pod. Made with the constructors below (each returns a value with the modifiers
/// of that kind of volume) or from a raw `k8s-openapi` volume for other sources (CSI, projected,
/// downward API ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Volume(core::Volume);

impl Volume {
    /// A scratch directory that lives as long as the pod (`emptyDir`).
    pub fn empty_dir(name: impl Into<String>) -> EmptyDir {
        EmptyDir {
            name: name.into(),
            in_memory: false,
            size_limit: None,
        }
    }

    /// A file or directory of the node (`hostPath`). Gives access to the node: Pod Security
    /// *baseline* and *restricted* forbid it. Typical for node agents (DaemonSets).
    pub fn host_path(name: impl Into<String>, path: impl Into<String>) -> HostPath {
        HostPath {
            name: name.into(),
            path: path.into(),
            type_: None,
        }
    }

    /// The keys of ConfigMap `config_map` as files.
    pub fn config_map(name: impl Into<String>, config_map: impl Into<String>) -> Files {
        Files::new(name.into(), FilesSource::ConfigMap(config_map.into()))
    }

    /// The keys of Secret `secret` as files (on tmpfs).
    pub fn secret(name: impl Into<String>, secret: impl Into<String>) -> Files {
        Files::new(name.into(), FilesSource::Secret(secret.into()))
    }

    /// A PersistentVolumeClaim.
    pub fn pvc(name: impl Into<String>, claim: impl Into<String>) -> Claim {
        Claim {
            name: name.into(),
            claim: claim.into(),
            read_only: false,
        }
    }

    /// An NFS export (`server:path`).
    pub fn nfs(name: impl Into<String>, server: impl Into<String>, path: impl Into<String>) -> Nfs {
        Nfs {
            name: name.into(),
            server: server.into(),
            path: path.into(),
            read_only: false,
        }
    }

    /// The volume's name (what mounts refer to).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The volume as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::Volume {
        self.0.clone()
    }
}

impl From<core::Volume> for Volume {
    /// Any volume source `k8s-openapi` knows (validated with the pod like any other).
    fn from(v: core::Volume) -> Self {
        Volume(v)
    }
}

impl From<Volume> for core::Volume {
    fn from(v: Volume) -> Self {
        v.0
    }
}

fn volume(name: String, f: impl FnOnce(&mut core::Volume)) -> Volume {
    let mut v = core::Volume {
        name,
        ..core::Volume::default()
    };
    f(&mut v);
    Volume(v)
}

/// An `emptyDir` volume; see [`Volume::empty_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmptyDir {
    name: String,
    in_memory: bool,
    size_limit: Option<Storage>,
}

impl EmptyDir {
    /// Backs the directory with RAM (tmpfs, `medium: Memory`); counts against memory limits.
    #[must_use]
    pub fn in_memory(mut self) -> Self {
        self.in_memory = true;
        self
    }

    /// Evicts the pod when the directory grows beyond `limit` (`sizeLimit`).
    #[must_use]
    pub fn size_limit(mut self, limit: Storage) -> Self {
        self.size_limit = Some(limit);
        self
    }
}

impl From<EmptyDir> for Volume {
    fn from(e: EmptyDir) -> Self {
        volume(e.name, |v| {
            v.empty_dir = Some(core::EmptyDirVolumeSource {
                medium: e.in_memory.then(|| "Memory".to_owned()),
                size_limit: e.size_limit.map(Storage::to_quantity),
                ..core::EmptyDirVolumeSource::default()
            })
        })
    }
}

/// What a `hostPath` must be on the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostPathType {
    /// A directory, created (0755) if missing.
    DirectoryOrCreate,
    /// An existing directory.
    Directory,
    /// A file, created (0644) if missing.
    FileOrCreate,
    /// An existing file.
    File,
    /// An existing UNIX socket.
    Socket,
    /// An existing character device.
    CharDevice,
    /// An existing block device.
    BlockDevice,
}

impl HostPathType {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            HostPathType::DirectoryOrCreate => "DirectoryOrCreate",
            HostPathType::Directory => "Directory",
            HostPathType::FileOrCreate => "FileOrCreate",
            HostPathType::File => "File",
            HostPathType::Socket => "Socket",
            HostPathType::CharDevice => "CharDevice",
            HostPathType::BlockDevice => "BlockDevice",
        }
    }
}

/// A `hostPath` volume; see [`Volume::host_path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPath {
    name: String,
    path: String,
    type_: Option<HostPathType>,
}

impl HostPath {
    /// Checks (or creates) the path as `type_` before mounting.
    #[must_use]
    pub fn type_(mut self, type_: HostPathType) -> Self {
        self.type_ = Some(type_);
        self
    }
}

impl From<HostPath> for Volume {
    fn from(h: HostPath) -> Self {
        volume(h.name, |v| {
            v.host_path = Some(core::HostPathVolumeSource {
                path: h.path,
                type_: h.type_.map(|t| t.as_str().to_owned()),
            })
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum FilesSource {
    ConfigMap(String),
    Secret(String),
}

/// A ConfigMap or Secret volume; see [`Volume::config_map`] and [`Volume::secret`].
///
/// ```
/// use kubeprint::pod::Volume;
/// let v = Volume::secret("tls", "kuard-tls")
///     .item("tls.crt", "certs/server.crt")
///     .default_mode(0o440)
///     .optional();
/// let k8s = kubeprint::pod::Volume::from(v).to_k8s().secret.unwrap();
/// assert_eq!(k8s.secret_name.as_deref(), Some("kuard-tls"));
/// assert_eq!(k8s.default_mode, Some(0o440));
/// assert_eq!(k8s.items.unwrap()[0].path, "certs/server.crt");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    name: String,
    source: FilesSource,
    items: Vec<(String, String)>,
    default_mode: Option<i32>,
    optional: bool,
}

impl Files {
    fn new(name: String, source: FilesSource) -> Self {
        Files {
            name,
            source,
            items: Vec::new(),
            default_mode: None,
            optional: false,
        }
    }

    /// Projects only the listed keys, `key` to the relative file `path`. Without items every
    /// key becomes a file named after it.
    #[must_use]
    pub fn item(mut self, key: impl Into<String>, path: impl Into<String>) -> Self {
        self.items.push((key.into(), path.into()));
        self
    }

    /// File permissions, e.g. `0o440` (Kubernetes' default is `0o644`).
    #[must_use]
    pub fn default_mode(mut self, mode: i32) -> Self {
        self.default_mode = Some(mode);
        self
    }

    /// Lets the pod start when the ConfigMap or Secret is missing.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

impl From<Files> for Volume {
    fn from(f: Files) -> Self {
        let items = (!f.items.is_empty()).then(|| {
            f.items
                .iter()
                .map(|(key, path)| core::KeyToPath {
                    key: key.clone(),
                    path: path.clone(),
                    ..core::KeyToPath::default()
                })
                .collect()
        });
        let optional = f.optional.then_some(true);
        volume(f.name, |v| match f.source {
            FilesSource::ConfigMap(name) => {
                v.config_map = Some(core::ConfigMapVolumeSource {
                    name,
                    items,
                    default_mode: f.default_mode,
                    optional,
                    ..core::ConfigMapVolumeSource::default()
                })
            }
            FilesSource::Secret(name) => {
                v.secret = Some(core::SecretVolumeSource {
                    secret_name: Some(name),
                    items,
                    default_mode: f.default_mode,
                    optional,
                    ..core::SecretVolumeSource::default()
                })
            }
        })
    }
}

/// A PersistentVolumeClaim volume; see [`Volume::pvc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    name: String,
    claim: String,
    read_only: bool,
}

impl Claim {
    /// Mounts the claim read-only in every container.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }
}

impl From<Claim> for Volume {
    fn from(c: Claim) -> Self {
        volume(c.name, |v| {
            v.persistent_volume_claim = Some(core::PersistentVolumeClaimVolumeSource {
                claim_name: c.claim,
                read_only: c.read_only.then_some(true),
            })
        })
    }
}

/// An NFS volume; see [`Volume::nfs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nfs {
    name: String,
    server: String,
    path: String,
    read_only: bool,
}

impl Nfs {
    /// Mounts the export read-only.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }
}

impl From<Nfs> for Volume {
    fn from(n: Nfs) -> Self {
        volume(n.name, |v| {
            v.nfs = Some(core::NFSVolumeSource {
                server: n.server,
                path: n.path,
                read_only: n.read_only.then_some(true),
            })
        })
    }
}

/// Mounts a pod volume (or a StatefulSet claim template) into a container.
///
/// ```
/// use kubeprint::pod::Mount;
/// let m = Mount::new("config", "/etc/app").read_only().sub_path("app").to_k8s();
/// assert_eq!((m.name.as_str(), m.mount_path.as_str()), ("config", "/etc/app"));
/// assert_eq!((m.read_only, m.sub_path.as_deref()), (Some(true), Some("app")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    volume: String,
    path: String,
    read_only: bool,
    sub_path: Option<String>,
}

impl Mount {
    /// Mounts volume `volume` at `path` in the container.
    pub fn new(volume: impl Into<String>, path: impl Into<String>) -> Self {
        Mount {
            volume: volume.into(),
            path: path.into(),
            read_only: false,
            sub_path: None,
        }
    }

    /// Mounts read-only.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// Mounts only the relative path `sub_path` of the volume.
    #[must_use]
    pub fn sub_path(mut self, sub_path: impl Into<String>) -> Self {
        self.sub_path = Some(sub_path.into());
        self
    }

    /// The mount as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::VolumeMount {
        core::VolumeMount {
            name: self.volume.clone(),
            mount_path: self.path.clone(),
            read_only: self.read_only.then_some(true),
            sub_path: self.sub_path.clone(),
            ..core::VolumeMount::default()
        }
    }
}

/// How a volume can be mounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessMode {
    /// Read-write by one node (the default of claim templates).
    ReadWriteOnce,
    /// Read-only by many nodes.
    ReadOnlyMany,
    /// Read-write by many nodes.
    ReadWriteMany,
    /// Read-write by one pod.
    ReadWriteOncePod,
}

impl AccessMode {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

/// A claim template of a StatefulSet: every replica gets its own PersistentVolumeClaim
/// `<template>-<statefulset>-<ordinal>`, mounted like a volume named after the template.
///
/// ```
/// use kubeprint::prelude::*;
/// let t = VolumeClaimTemplate::new("database", Storage::gib(100)).storage_class("fast");
/// let pvc = t.to_k8s();
/// assert_eq!(pvc.metadata.name.as_deref(), Some("database"));
/// let spec = pvc.spec.unwrap();
/// assert_eq!(spec.access_modes.unwrap(), ["ReadWriteOnce"]);
/// assert_eq!(spec.resources.unwrap().requests.unwrap()["storage"].0, "100Gi");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeClaimTemplate {
    name: String,
    size: Storage,
    access_modes: Vec<AccessMode>,
    storage_class: Option<String>,
    labels: Labels,
}

impl VolumeClaimTemplate {
    /// A claim template named `name` requesting `size`, `ReadWriteOnce` unless access modes
    /// are given.
    pub fn new(name: impl Into<String>, size: Storage) -> Self {
        VolumeClaimTemplate {
            name: name.into(),
            size,
            access_modes: Vec::new(),
            storage_class: None,
            labels: Labels::new(),
        }
    }

    /// Adds an access mode (replacing the `ReadWriteOnce` default).
    #[must_use]
    pub fn access_mode(mut self, mode: AccessMode) -> Self {
        if !self.access_modes.contains(&mode) {
            self.access_modes.push(mode);
        }
        self
    }

    /// The StorageClass to provision from (default: the cluster's default class).
    #[must_use]
    pub fn storage_class(mut self, class: impl Into<String>) -> Self {
        self.storage_class = Some(class.into());
        self
    }

    /// A label on every claim made from the template.
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key, value);
        self
    }

    /// The template's name (what containers mount).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template as `k8s-openapi` holds it (a PersistentVolumeClaim without namespace).
    pub fn to_k8s(&self) -> core::PersistentVolumeClaim {
        let modes = if self.access_modes.is_empty() {
            vec![AccessMode::ReadWriteOnce]
        } else {
            self.access_modes.clone()
        };
        core::PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                labels: self.labels.to_option(),
                ..ObjectMeta::default()
            },
            spec: Some(core::PersistentVolumeClaimSpec {
                access_modes: Some(modes.iter().map(|m| m.as_str().to_owned()).collect()),
                storage_class_name: self.storage_class.clone(),
                resources: Some(core::VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([(
                        "storage".to_owned(),
                        self.size.to_quantity(),
                    )])),
                    limits: None,
                }),
                ..core::PersistentVolumeClaimSpec::default()
            }),
            status: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantity::Memory;

    #[test]
    fn empty_dir() {
        let v = Volume::from(Volume::empty_dir("scratch")).to_k8s();
        assert_eq!(v.name, "scratch");
        assert_eq!(v.empty_dir, Some(core::EmptyDirVolumeSource::default()));
        let v: Volume = Volume::empty_dir("cache")
            .in_memory()
            .size_limit(Memory::mib(64))
            .into();
        let e = v.to_k8s().empty_dir.unwrap();
        assert_eq!(e.medium.as_deref(), Some("Memory"));
        assert_eq!(e.size_limit.unwrap().0, "64Mi");
        assert_eq!(v.name(), "cache");
    }

    #[test]
    fn host_path() {
        let v: Volume = Volume::host_path("varlog", "/var/log").into();
        assert_eq!(
            v.to_k8s().host_path.unwrap(),
            core::HostPathVolumeSource {
                path: "/var/log".into(),
                type_: None
            }
        );
        let v: Volume = Volume::host_path("sock", "/run/containerd.sock")
            .type_(HostPathType::Socket)
            .into();
        assert_eq!(
            v.to_k8s().host_path.unwrap().type_.as_deref(),
            Some("Socket")
        );
        let all = [
            HostPathType::DirectoryOrCreate,
            HostPathType::Directory,
            HostPathType::FileOrCreate,
            HostPathType::File,
            HostPathType::Socket,
            HostPathType::CharDevice,
            HostPathType::BlockDevice,
        ];
        let names: Vec<_> = all.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), 7);
        assert!(names.contains(&"BlockDevice") && names.contains(&"FileOrCreate"));
    }

    #[test]
    fn config_map_and_secret() {
        let v: Volume = Volume::config_map("config", "kuard-config").into();
        let cm = v.to_k8s().config_map.unwrap();
        assert_eq!(
            cm,
            core::ConfigMapVolumeSource {
                name: "kuard-config".into(),
                ..Default::default()
            }
        );
        let v: Volume = Volume::config_map("config", "kuard-config")
            .item("a", "a.txt")
            .item("b", "sub/b.txt")
            .default_mode(0o400)
            .optional()
            .into();
        let cm = v.to_k8s().config_map.unwrap();
        let items = cm.items.unwrap();
        assert_eq!(
            (items[1].key.as_str(), items[1].path.as_str()),
            ("b", "sub/b.txt")
        );
        assert_eq!((cm.default_mode, cm.optional), (Some(0o400), Some(true)));
        let v: Volume = Volume::secret("tls", "kuard-tls").into();
        let s = v.to_k8s();
        assert!(s.config_map.is_none());
        assert_eq!(s.secret.unwrap().secret_name.as_deref(), Some("kuard-tls"));
    }

    #[test]
    fn pvc_and_nfs() {
        let v: Volume = Volume::pvc("data", "mysql-data").into();
        assert_eq!(v.to_k8s().persistent_volume_claim.unwrap().read_only, None);
        let v: Volume = Volume::pvc("data", "mysql-data").read_only().into();
        let c = v.to_k8s().persistent_volume_claim.unwrap();
        assert_eq!(
            (c.claim_name.as_str(), c.read_only),
            ("mysql-data", Some(true))
        );
        let v: Volume = Volume::nfs("shared", "nfs.example.com", "/exports/www")
            .read_only()
            .into();
        let n = v.to_k8s().nfs.unwrap();
        assert_eq!(
            (n.server.as_str(), n.path.as_str(), n.read_only),
            ("nfs.example.com", "/exports/www", Some(true))
        );
    }

    #[test]
    fn mount() {
        let m = Mount::new("data", "/data").to_k8s();
        assert_eq!((m.read_only, m.sub_path), (None, None));
    }

    #[test]
    fn claim_template() {
        let t = VolumeClaimTemplate::new("db", Storage::gib(10))
            .access_mode(AccessMode::ReadWriteOncePod)
            .access_mode(AccessMode::ReadOnlyMany)
            .access_mode(AccessMode::ReadOnlyMany)
            .label("tier", "db");
        assert_eq!(t.name(), "db");
        let pvc = t.to_k8s();
        assert_eq!(pvc.metadata.labels.unwrap()["tier"], "db");
        let spec = pvc.spec.unwrap();
        assert_eq!(
            spec.access_modes.unwrap(),
            ["ReadWriteOncePod", "ReadOnlyMany"]
        );
        assert_eq!(spec.storage_class_name, None);
        let all = [
            AccessMode::ReadWriteOnce,
            AccessMode::ReadOnlyMany,
            AccessMode::ReadWriteMany,
            AccessMode::ReadWriteOncePod,
        ];
        assert_eq!(
            all.map(AccessMode::as_str),
            [
                "ReadWriteOnce",
                "ReadOnlyMany",
                "ReadWriteMany",
                "ReadWriteOncePod"
            ]
        );
    }
}
