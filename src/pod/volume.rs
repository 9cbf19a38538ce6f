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

/// How a claim may be mounted (defined in [`crate::api::core::persistentvolumeclaim`]).
pub use crate::api::core::persistentvolumeclaim::AccessMode;
use crate::api::core::persistentvolumeclaim::claim_spec;
use crate::meta::{Labels, push_unique};
use crate::quantity::Storage;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A volume of a pod. Made with the constructors below (each returns a value with the modifiers
/// of that kind of volume) or from a raw `k8s-openapi` volume for other sources (CSI,
/// ephemeral ...).
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

    /// Facts about the pod as files (`downwardAPI`): its labels, annotations, name, namespace
    /// and UID, and the resource requests and limits of its containers.
    ///
    /// ```
    /// use kubeprint::pod::Volume;
    /// let v: Volume = Volume::downward_api("podinfo")
    ///     .field("labels", "metadata.labels")
    ///     .field("name", "metadata.name")
    ///     .resource("mem_limit", "app", "limits.memory")
    ///     .into();
    /// let items = v.to_k8s().downward_api.unwrap().items.unwrap();
    /// assert_eq!(items[0].field_ref.as_ref().unwrap().field_path, "metadata.labels");
    /// assert_eq!(items[2].resource_field_ref.as_ref().unwrap().resource, "limits.memory");
    /// ```
    pub fn downward_api(name: impl Into<String>) -> DownwardApi {
        DownwardApi {
            name: name.into(),
            items: Vec::new(),
            default_mode: None,
        }
    }

    /// Several sources in one directory (`projected`): ConfigMaps, Secrets, downward API
    /// files and a short-lived ServiceAccount token; see [`Projection`].
    ///
    /// ```
    /// use kubeprint::pod::{Projection, Volume};
    /// let v: Volume = Volume::projected("bundle")
    ///     .source(Projection::config_map("settings"))
    ///     .source(Projection::secret("tls").item("tls.crt", "certs/tls.crt"))
    ///     .source(Projection::service_account_token("vault-token").audience("vault").expiration(3600))
    ///     .into();
    /// let sources = v.to_k8s().projected.unwrap().sources.unwrap();
    /// assert_eq!(sources[0].config_map.as_ref().unwrap().name, "settings");
    /// assert_eq!(sources[2].service_account_token.as_ref().unwrap().expiration_seconds, Some(3600));
    /// ```
    pub fn projected(name: impl Into<String>) -> Projected {
        Projected {
            name: name.into(),
            sources: Vec::new(),
            default_mode: None,
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

fn field_file(path: String, field_path: String) -> core::DownwardAPIVolumeFile {
    core::DownwardAPIVolumeFile {
        path,
        field_ref: Some(core::ObjectFieldSelector {
            field_path,
            api_version: None,
        }),
        ..core::DownwardAPIVolumeFile::default()
    }
}

fn resource_file(path: String, container: String, resource: String) -> core::DownwardAPIVolumeFile {
    core::DownwardAPIVolumeFile {
        path,
        resource_field_ref: Some(core::ResourceFieldSelector {
            container_name: Some(container),
            resource,
            divisor: None,
        }),
        ..core::DownwardAPIVolumeFile::default()
    }
}

/// A `downwardAPI` volume; see [`Volume::downward_api`].
#[derive(Clone, Debug, PartialEq)]
pub struct DownwardApi {
    name: String,
    items: Vec<core::DownwardAPIVolumeFile>,
    default_mode: Option<i32>,
}

impl DownwardApi {
    /// The file `path` holds the pod field `field_path`: `metadata.labels`,
    /// `metadata.annotations` (one `key="value"` line each, updated when they change),
    /// `metadata.name`, `metadata.namespace`, `metadata.uid`, or one label or annotation
    /// (`metadata.labels['key']`, `metadata.annotations['key']`).
    #[must_use]
    pub fn field(mut self, path: impl Into<String>, field_path: impl Into<String>) -> Self {
        self.items.push(field_file(path.into(), field_path.into()));
        self
    }

    /// The file `path` holds a resource request or limit of container `container`:
    /// `limits.cpu`, `limits.memory`, `limits.ephemeral-storage`, `requests.cpu`,
    /// `requests.memory`, `requests.ephemeral-storage` (CPU in whole cores, rounded up;
    /// memory in bytes).
    #[must_use]
    pub fn resource(
        mut self,
        path: impl Into<String>,
        container: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        self.items.push(resource_file(
            path.into(),
            container.into(),
            resource.into(),
        ));
        self
    }

    /// File permissions, e.g. `0o440` (Kubernetes' default is `0o644`).
    #[must_use]
    pub fn default_mode(mut self, mode: i32) -> Self {
        self.default_mode = Some(mode);
        self
    }
}

impl From<DownwardApi> for Volume {
    fn from(d: DownwardApi) -> Self {
        volume(d.name, |v| {
            v.downward_api = Some(core::DownwardAPIVolumeSource {
                items: (!d.items.is_empty()).then_some(d.items),
                default_mode: d.default_mode,
                ..core::DownwardAPIVolumeSource::default()
            })
        })
    }
}

/// One source of a projected volume; see [`Volume::projected`].
///
/// Modifiers that belong to one kind of source (`item` and `optional` for ConfigMaps and
/// Secrets, `field` and `resource` for the downward API, `audience` and `expiration` for
/// tokens) do nothing on the other kinds.
///
/// ```
/// use kubeprint::pod::Projection;
/// let p = Projection::downward_api()
///     .field("labels", "metadata.labels")
///     .resource("cpu", "app", "requests.cpu")
///     .to_k8s();
/// assert_eq!(p.downward_api.unwrap().items.unwrap().len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Projection(core::VolumeProjection);

impl Projection {
    fn with(f: impl FnOnce(&mut core::VolumeProjection)) -> Self {
        let mut p = core::VolumeProjection::default();
        f(&mut p);
        Projection(p)
    }

    /// The keys of ConfigMap `config_map` as files.
    pub fn config_map(config_map: impl Into<String>) -> Self {
        Projection::with(|p| {
            p.config_map = Some(core::ConfigMapProjection {
                name: config_map.into(),
                ..core::ConfigMapProjection::default()
            })
        })
    }

    /// The keys of Secret `secret` as files.
    pub fn secret(secret: impl Into<String>) -> Self {
        Projection::with(|p| {
            p.secret = Some(core::SecretProjection {
                name: secret.into(),
                ..core::SecretProjection::default()
            })
        })
    }

    /// Pod fields and container resources as files; add them with `field` and `resource`
    /// (as on [`Volume::downward_api`]).
    pub fn downward_api() -> Self {
        Projection::with(|p| p.downward_api = Some(core::DownwardAPIProjection::default()))
    }

    /// A token of the pod's ServiceAccount in the file `path`, renewed by the kubelet before
    /// it expires (one hour unless `expiration` says otherwise).
    ///
    /// ```
    /// use kubeprint::pod::Projection;
    /// let p = Projection::service_account_token("token").audience("vault").expiration(600);
    /// let t = p.to_k8s().service_account_token.unwrap();
    /// assert_eq!((t.audience.as_deref(), t.expiration_seconds), (Some("vault"), Some(600)));
    /// ```
    pub fn service_account_token(path: impl Into<String>) -> Self {
        Projection::with(|p| {
            p.service_account_token = Some(core::ServiceAccountTokenProjection {
                path: path.into(),
                ..core::ServiceAccountTokenProjection::default()
            })
        })
    }

    /// Projects only the listed keys of a ConfigMap or Secret, `key` to the relative file
    /// `path`. Without items every key becomes a file named after it.
    #[must_use]
    pub fn item(mut self, key: impl Into<String>, path: impl Into<String>) -> Self {
        let item = core::KeyToPath {
            key: key.into(),
            path: path.into(),
            ..core::KeyToPath::default()
        };
        if let Some(cm) = &mut self.0.config_map {
            cm.items.get_or_insert_with(Vec::new).push(item);
        } else if let Some(s) = &mut self.0.secret {
            s.items.get_or_insert_with(Vec::new).push(item);
        }
        self
    }

    /// Lets the pod start when the ConfigMap or Secret is missing.
    #[must_use]
    pub fn optional(mut self) -> Self {
        if let Some(cm) = &mut self.0.config_map {
            cm.optional = Some(true);
        } else if let Some(s) = &mut self.0.secret {
            s.optional = Some(true);
        }
        self
    }

    /// A downward API file with a pod field; see [`DownwardApi::field`].
    #[must_use]
    pub fn field(mut self, path: impl Into<String>, field_path: impl Into<String>) -> Self {
        if let Some(d) = &mut self.0.downward_api {
            d.items
                .get_or_insert_with(Vec::new)
                .push(field_file(path.into(), field_path.into()));
        }
        self
    }

    /// A downward API file with a container resource; see [`DownwardApi::resource`].
    #[must_use]
    pub fn resource(
        mut self,
        path: impl Into<String>,
        container: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        if let Some(d) = &mut self.0.downward_api {
            d.items.get_or_insert_with(Vec::new).push(resource_file(
                path.into(),
                container.into(),
                resource.into(),
            ));
        }
        self
    }

    /// Who the token is for (`audience`; default: the API server). The recipient must
    /// reject tokens meant for someone else.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        if let Some(t) = &mut self.0.service_account_token {
            t.audience = Some(audience.into());
        }
        self
    }

    /// How long the token is valid (`expirationSeconds`): at least 600 (ten minutes).
    #[must_use]
    pub fn expiration(mut self, seconds: i64) -> Self {
        if let Some(t) = &mut self.0.service_account_token {
            t.expiration_seconds = Some(seconds);
        }
        self
    }

    /// The source as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::VolumeProjection {
        self.0.clone()
    }
}

impl From<core::VolumeProjection> for Projection {
    /// Wraps a raw source (validated with the pod like any other), e.g. a
    /// `clusterTrustBundle`.
    fn from(p: core::VolumeProjection) -> Self {
        Projection(p)
    }
}

/// A `projected` volume; see [`Volume::projected`].
#[derive(Clone, Debug, PartialEq)]
pub struct Projected {
    name: String,
    sources: Vec<Projection>,
    default_mode: Option<i32>,
}

impl Projected {
    /// Adds a source; their files share the volume's directory, so their paths must differ.
    #[must_use]
    pub fn source(mut self, source: Projection) -> Self {
        self.sources.push(source);
        self
    }

    /// File permissions, e.g. `0o440` (Kubernetes' default is `0o644`).
    #[must_use]
    pub fn default_mode(mut self, mode: i32) -> Self {
        self.default_mode = Some(mode);
        self
    }
}

impl From<Projected> for Volume {
    fn from(p: Projected) -> Self {
        volume(p.name, |v| {
            v.projected = Some(core::ProjectedVolumeSource {
                sources: Some(p.sources.into_iter().map(|s| s.0).collect()),
                default_mode: p.default_mode,
                ..core::ProjectedVolumeSource::default()
            })
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
        push_unique(&mut self.access_modes, mode);
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
        core::PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                labels: self.labels.to_option(),
                ..ObjectMeta::default()
            },
            spec: Some(claim_spec(
                self.size,
                &self.access_modes,
                self.storage_class.as_ref(),
            )),
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
