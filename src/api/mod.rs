//! Every kind kubeprint has a builder for, one file per kind, grouped by the API group its
//! `apiVersion` names — the same tree as `k8s_openapi::api::<group>` and the Kubernetes API
//! reference, so `apiVersion: batch/v1` is found in [`batch`].
//!
//! | module | API group | kinds |
//! | --- | --- | --- |
//! | [`core`] | `v1` | Namespace, Pod, Service, ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim, PersistentVolume, ResourceQuota, LimitRange |
//! | [`apiextensions`] | `apiextensions.k8s.io/v1` | CustomResourceDefinition (the raw `k8s-openapi` type) |
//! | [`apps`] | `apps/v1` | Deployment, ReplicaSet, DaemonSet, StatefulSet |
//! | [`batch`] | `batch/v1` | Job, CronJob |
//! | [`autoscaling`] | `autoscaling/v2` | HorizontalPodAutoscaler |
//! | [`networking`] | `networking.k8s.io/v1` | Ingress, IngressClass, NetworkPolicy |
//! | [`discovery`] | `discovery.k8s.io/v1` | EndpointSlice |
//! | [`policy`] | `policy/v1` | PodDisruptionBudget |
//! | [`rbac`] | `rbac.authorization.k8s.io/v1` | Role, ClusterRole, RoleBinding, ClusterRoleBinding |
//! | [`storage`] | `storage.k8s.io/v1` | StorageClass |
//! | [`scheduling`] | `scheduling.k8s.io/v1` | PriorityClass |
//! | [`node`] | `node.k8s.io/v1` | RuntimeClass |
//!
//! The workload kinds (Pod, ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob) all
//! wrap the one pod layer in [`crate::pod`] and share the [`crate::workload::Workload`] trait.
//! Each kind's file holds its builder, its `Manifest` impl and the validation of its
//! `k8s-openapi` type; rules that span objects live in [`crate::check`].
//!
//! The builders are also at the crate root and in the prelude (`kubeprint::Deployment`,
//! `use kubeprint::prelude::*`); the module paths of the first releases
//! (`kubeprint::service::ServiceType`, `kubeprint::workload::Job`) still work.

pub mod apiextensions;
pub mod apps;
pub mod autoscaling;
pub mod batch;
pub mod core;
pub mod discovery;
pub mod networking;
pub mod node;
pub mod policy;
pub mod rbac;
pub mod scheduling;
pub mod storage;
