//! # kubeprint
//!
//! Kubernetes applications as typed Rust values, following *Kubernetes: Up and Running*.
//!
//! Data flows one way: a typed builder → a validated `k8s-openapi` object → a [`Bundle`]
//! (ordered, cross-checked) → rendered YAML/JSON, or applied to a cluster by the client
//! (feature `client`, on by default).
//!
//! ```
//! use kubeprint::prelude::*;
//! let mut app = Bundle::new("settings");
//! app.add(ConfigMap::builder().name("settings").entry("level", "debug").build())?;
//! println!("{}", app.to_yaml()?);
//! # Ok::<(), kubeprint::Error>(())
//! ```
//!
//! ## Layout
//! - [`meta`], [`validate`], [`quantity`], [`error`]: names, labels, rules, quantities, errors.
//! - One module per kind ([`configmap`], ...), each with its builder and its validation.
//! - [`object`]: the [`Object`] enum over every supported `k8s-openapi` type and the
//!   [`Manifest`] trait builders implement.
//! - [`bundle`]: ordering, reference checks, config checksums and rendering.
//! - [`graph`]: a Mermaid/DOT picture of a bundle; [`testing`]: snapshot helpers.
//! - [`blueprint`]: production stacks (MySQL, Redis, MongoDB, Ghost, Parse) built from the builders.
//!
//! ## Kubernetes version
//! kubeprint, like every library on `k8s-openapi`, enables no `v1_*` feature of it: the final
//! binary chooses one (e.g. `k8s-openapi = { version = "0.29", features = ["latest"] }`).

#![warn(missing_docs)]
#![forbid(unsafe_code)]

// kubeprint builds objects with the shapes of the Kubernetes 1.37 API (for example, a
// Deployment's `spec` is required there, optional before). The final binary still chooses
// k8s-openapi's version feature; this only turns a wrong choice into a clear message.
k8s_openapi::k8s_if_le_1_36! {
    compile_error!(
        "kubeprint requires the `v1_37` (or `latest`) feature of k8s-openapi: \
         add `k8s-openapi = { version = \"0.29\", features = [\"latest\"] }` to your binary's dependencies"
    );
}

mod admission;
#[cfg(feature = "client")]
pub mod apply;
pub mod blueprint;
pub mod bundle;
#[cfg(feature = "cli")]
pub mod cli;
pub mod configmap;
pub mod endpointslice;
pub mod error;
pub mod graph;
pub mod ingress;
pub mod ingressclass;
pub mod limitrange;
pub mod meta;
pub mod namespace;
pub mod networkpolicy;
pub mod object;
pub mod persistentvolume;
pub mod persistentvolumeclaim;
pub mod pod;
pub mod poddisruptionbudget;
pub mod port;
pub mod priorityclass;
pub mod quantity;
pub mod rbac;
pub mod references;
pub mod resourcequota;
pub mod runtimeclass;
pub mod secret;
pub mod selector;
pub mod service;
pub mod serviceaccount;
pub mod storageclass;
pub mod testing;
pub mod validate;
pub mod workload;

#[cfg(feature = "client")]
pub use apply::Applier;
pub use bundle::Bundle;
pub use configmap::ConfigMap;
pub use endpointslice::EndpointSlice;
pub use error::{Error, ObjectRef, Result, Violation};
pub use ingress::Ingress;
pub use ingressclass::IngressClass;
pub use limitrange::LimitRange;
pub use meta::{Annotations, Customize, Labels};
pub use namespace::Namespace;
pub use networkpolicy::NetworkPolicy;
pub use object::{Manifest, Object, Tier};
pub use persistentvolume::PersistentVolume;
pub use persistentvolumeclaim::PersistentVolumeClaim;
pub use pod::{
    Container, ContainerSecurity, EnvFrom, EnvVar, Mount, PodSecurity, PodTemplate, Port, Probe,
    Resources, RestartPolicy, Volume, VolumeClaimTemplate,
};
pub use poddisruptionbudget::PodDisruptionBudget;
pub use priorityclass::PriorityClass;
pub use quantity::{Cpu, Memory, Storage};
pub use rbac::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
pub use resourcequota::ResourceQuota;
pub use runtimeclass::RuntimeClass;
pub use secret::Secret;
pub use selector::Selector;
pub use service::Service;
pub use serviceaccount::ServiceAccount;
pub use storageclass::StorageClass;
pub use workload::{
    CronJob, DaemonSet, DaemonSetStrategy, Deployment, DeploymentStrategy, HorizontalPodAutoscaler,
    IntOrPercent, Job, Pod, ReplicaSet, StatefulSet, StatefulSetStrategy, Workload,
};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "cli"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Re-export of the `k8s-openapi` crate kubeprint builds on.
pub use k8s_openapi;

/// Everything needed to describe an application: `use kubeprint::prelude::*;`.
pub mod prelude {
    pub use crate::bundle::Bundle;
    pub use crate::configmap::ConfigMap;
    pub use crate::endpointslice::EndpointSlice;
    pub use crate::error::{Error, Result};
    pub use crate::ingress::Ingress;
    pub use crate::ingressclass::IngressClass;
    pub use crate::limitrange::LimitRange;
    pub use crate::meta::Labels;
    pub use crate::namespace::Namespace;
    pub use crate::networkpolicy::NetworkPolicy;
    pub use crate::object::{Manifest, Object};
    pub use crate::persistentvolume::PersistentVolume;
    pub use crate::persistentvolumeclaim::PersistentVolumeClaim;
    pub use crate::pod::{
        Container, ContainerSecurity, EnvFrom, EnvVar, Hook, Mount, PodSecurity, PodTemplate, Port,
        Probe, Projection, Resources, RestartPolicy, Volume, VolumeClaimTemplate,
    };
    pub use crate::poddisruptionbudget::PodDisruptionBudget;
    pub use crate::priorityclass::PriorityClass;
    pub use crate::quantity::{Cpu, Memory, Storage};
    pub use crate::rbac::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
    pub use crate::resourcequota::ResourceQuota;
    pub use crate::runtimeclass::RuntimeClass;
    pub use crate::secret::Secret;
    pub use crate::selector::Selector;
    pub use crate::service::Service;
    pub use crate::serviceaccount::ServiceAccount;
    pub use crate::storageclass::StorageClass;
    pub use crate::workload::{
        ConcurrencyPolicy, CronJob, DaemonSet, DaemonSetStrategy, Deployment, DeploymentStrategy,
        HorizontalPodAutoscaler, IntOrPercent, Job, JobRestartPolicy, Pod, ReplicaSet, StatefulSet,
        StatefulSetStrategy, Workload,
    };
}
