//! The `node.k8s.io/v1` API group.

pub mod runtimeclass;

pub use runtimeclass::RuntimeClass;
