//! The `scheduling.k8s.io/v1` API group.

pub mod priorityclass;

pub use priorityclass::{Preemption, PriorityClass};
