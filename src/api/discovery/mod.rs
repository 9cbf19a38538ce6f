//! The `discovery.k8s.io/v1` API group.

pub mod endpointslice;

pub use endpointslice::{AddressType, EndpointPort, EndpointSlice};
