//! The core API group (`apiVersion: v1`).

pub mod configmap;
pub mod limitrange;
pub mod namespace;
pub mod persistentvolume;
pub mod persistentvolumeclaim;
pub mod pod;
pub mod resourcequota;
pub mod secret;
pub mod service;
pub mod serviceaccount;

pub use configmap::ConfigMap;
pub use limitrange::{Limit, LimitKind, LimitRange};
pub use namespace::{Level, Namespace};
pub use persistentvolume::{PersistentVolume, ReclaimPolicy};
pub use persistentvolumeclaim::{AccessMode, PersistentVolumeClaim, VolumeMode};
pub use pod::Pod;
pub use resourcequota::{QuotaScope, ResourceQuota};
pub use secret::{Generate, Secret, SecretData, SecretType, SecretValue};
pub use service::{
    ExternalTrafficPolicy, Service, ServiceFromWorkload, ServicePort, ServiceType, SessionAffinity,
};
pub use serviceaccount::ServiceAccount;
