//! The `apps/v1` API group: the controllers that keep pods running.

pub mod daemonset;
pub mod deployment;
pub mod replicaset;
pub mod statefulset;

pub use daemonset::{DaemonSet, DaemonSetStrategy};
pub use deployment::{Deployment, DeploymentStrategy};
pub use replicaset::ReplicaSet;
pub use statefulset::{PodManagementPolicy, PvcRetention, StatefulSet, StatefulSetStrategy};
