//! The `policy/v1` API group.

pub mod poddisruptionbudget;

pub use poddisruptionbudget::{Budget, PodDisruptionBudget, UnhealthyPodEvictionPolicy};
