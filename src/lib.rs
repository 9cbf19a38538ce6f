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
//! - Foundations: [`meta`], [`validate`], [`quantity`], [`selector`], [`port`], [`error`]:
//!   names, labels, the apiserver's rules, quantities, selectors, errors.
//! - [`pod`]: the one pod layer (containers, probes, volumes, env, security, scheduling) that
//!   every workload wraps; [`workload`]: what all workloads share.
//! - [`api`]: one file per kind, grouped by API group like `k8s_openapi::api` — [`api::core`],
//!   [`api::apps`], [`api::batch`], [`api::networking`], ... — each with its builder and the
//!   validation of its `k8s-openapi` type.
//! - [`object`]: the [`Object`] enum over every supported `k8s-openapi` type and the
//!   [`Manifest`] trait builders implement; [`bundle`]: storing, ordering, config checksums
//!   and rendering; [`check`]: the rules between a bundle's objects ([`Bundle::check`]).
//! - [`graph`]: a Mermaid/DOT picture of a bundle; [`testing`]: snapshot helpers.
//! - [`blueprint`]: production stacks (MySQL, Redis, MongoDB, Ghost, Parse) built from the builders.
//! - `apply` (feature `client`): the apply engine; `cli` (feature `cli`): a command line for
//!   infrastructure-as-code binaries.
//!
//! Every builder is also at the crate root (`kubeprint::Deployment`) and in [`prelude`].
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

// Foundations: errors, metadata, the apiserver's rules, quantities, selectors, ports.
pub mod error;
pub mod meta;
pub mod port;
pub mod quantity;
pub mod selector;
pub mod validate;

// The one pod layer every workload wraps, the workload trait, and every kind by API group.
pub mod api;
pub mod pod;
pub mod workload;

// A set of objects: the object enum, the bundle (stores, orders, renders) and the checks
// between its objects.
pub mod bundle;
pub mod check;
pub mod object;

// What is built on top: pictures, snapshot helpers, blueprints, the apply client, the CLI.
#[cfg(feature = "client")]
pub mod apply;
pub mod blueprint;
#[cfg(feature = "cli")]
pub mod cli;
pub mod graph;
pub mod testing;

#[cfg(test)]
mod fixtures;

// The module paths of the first releases (`kubeprint::service::ServiceType`), kept working.
#[doc(hidden)]
pub use api::core::{
    configmap, limitrange, namespace, persistentvolume, persistentvolumeclaim, resourcequota,
    secret, service, serviceaccount,
};
#[doc(hidden)]
pub use api::discovery::endpointslice;
#[doc(hidden)]
pub use api::networking::{ingress, ingressclass, networkpolicy};
#[doc(hidden)]
pub use api::node::runtimeclass;
#[doc(hidden)]
pub use api::policy::poddisruptionbudget;
#[doc(hidden)]
pub use api::rbac;
#[doc(hidden)]
pub use api::scheduling::priorityclass;
#[doc(hidden)]
pub use api::storage::storageclass;
#[doc(hidden)]
pub use check::references;

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
pub use object::{CustomObject, Manifest, Object, Tier};
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
    pub use crate::api::core::configmap::ConfigMap;
    pub use crate::api::core::limitrange::LimitRange;
    pub use crate::api::core::namespace::Namespace;
    pub use crate::api::core::persistentvolume::PersistentVolume;
    pub use crate::api::core::persistentvolume::Source as PersistentVolumeSource;
    pub use crate::api::core::persistentvolumeclaim::{AccessMode, PersistentVolumeClaim};
    pub use crate::api::core::resourcequota::ResourceQuota;
    pub use crate::api::core::secret::Secret;
    pub use crate::api::core::service::{Service, ServicePort, ServiceType};
    pub use crate::api::core::serviceaccount::ServiceAccount;
    pub use crate::api::discovery::endpointslice::EndpointSlice;
    pub use crate::api::networking::ingress::Ingress;
    pub use crate::api::networking::ingressclass::IngressClass;
    pub use crate::api::networking::networkpolicy::NetworkPolicy;
    pub use crate::api::node::runtimeclass::RuntimeClass;
    pub use crate::api::policy::poddisruptionbudget::PodDisruptionBudget;
    pub use crate::api::rbac::{
        ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject,
    };
    pub use crate::api::scheduling::priorityclass::PriorityClass;
    pub use crate::api::storage::storageclass::StorageClass;
    pub use crate::bundle::Bundle;
    pub use crate::error::{Error, Result};
    pub use crate::meta::Labels;
    pub use crate::object::{Manifest, Object};
    pub use crate::pod::{
        Container, ContainerSecurity, EnvFrom, EnvVar, Hook, ImagePullPolicy, Mount, PodSecurity,
        PodTemplate, Port, Probe, Projection, Resources, RestartPolicy, Volume,
        VolumeClaimTemplate,
    };
    pub use crate::quantity::{Cpu, Memory, Storage};
    pub use crate::selector::Selector;
    pub use crate::workload::{
        ConcurrencyPolicy, CronJob, DaemonSet, DaemonSetStrategy, Deployment, DeploymentStrategy,
        HorizontalPodAutoscaler, IntOrPercent, Job, JobRestartPolicy, Pod, ReplicaSet, StatefulSet,
        StatefulSetStrategy, Workload,
    };
}
