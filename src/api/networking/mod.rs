//! The `networking.k8s.io/v1` API group.

pub mod ingress;
pub mod ingressclass;
pub mod networkpolicy;

pub use ingress::{Backend, Ingress, IngressRule, PathType};
pub use ingressclass::IngressClass;
pub use networkpolicy::{NetworkPolicy, Peer, PolicyPort, Rule, Rules};
