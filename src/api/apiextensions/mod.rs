//! The `apiextensions.k8s.io/v1` API group.

pub mod customresourcedefinition;
