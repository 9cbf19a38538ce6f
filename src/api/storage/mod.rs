//! The `storage.k8s.io/v1` API group.

pub mod storageclass;

pub use storageclass::{BindingMode, StorageClass};
