//! Port vocabulary shared by containers, probes, Services, EndpointSlices, NetworkPolicies and
//! Ingresses: the transport [`Protocol`] and a port referred to by number or name ([`PortRef`]).
//!
//! Both are also re-exported where they are used: `kubeprint::pod::{Protocol, PortRef}` and
//! `kubeprint::service::{Protocol, PortRef}` are these same types.
//!
//! ```
//! use kubeprint::port::{PortRef, Protocol};
//! use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
//!
//! assert_eq!(Protocol::from_k8s(Some("UDP")), Some(Protocol::Udp));
//! assert_eq!(Protocol::default().to_string(), "TCP");
//! assert_eq!(IntOrString::from(PortRef::from("http")), IntOrString::String("http".into()));
//! assert_eq!(PortRef::from(&IntOrString::Int(8080)), PortRef::Number(8080));
//! ```

use crate::validate;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::fmt;

/// The transport protocol of a port (container, Service, EndpointSlice, NetworkPolicy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `TCP` (the default).
    #[default]
    Tcp,
    /// `UDP`.
    Udp,
    /// `SCTP`.
    Sctp,
}

impl Protocol {
    /// The name Kubernetes uses: `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Reads Kubernetes' name; `None` (unset) is TCP, an unknown name gives `None`.
    ///
    /// ```
    /// use kubeprint::port::Protocol;
    /// assert_eq!(Protocol::from_k8s(None), Some(Protocol::Tcp));
    /// assert_eq!(Protocol::from_k8s(Some("SCTP")), Some(Protocol::Sctp));
    /// assert_eq!(Protocol::from_k8s(Some("HTTP")), None);
    /// ```
    pub fn from_k8s(s: Option<&str>) -> Option<Protocol> {
        match s {
            None | Some("TCP") => Some(Protocol::Tcp),
            Some("UDP") => Some(Protocol::Udp),
            Some("SCTP") => Some(Protocol::Sctp),
            Some(_) => None,
        }
    }

    /// The protocol as `k8s-openapi` objects hold it (always explicit, never left unset).
    pub(crate) fn to_k8s(self) -> Option<String> {
        Some(self.as_str().to_owned())
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a protocol string of a raw object.
pub(crate) fn check_protocol(p: Option<&str>) -> Option<String> {
    // An empty protocol is defaulted to TCP by the apiserver, like a missing one.
    let p = p.filter(|p| !p.is_empty());
    match (p, Protocol::from_k8s(p)) {
        (Some(p), None) => Some(format!("{p:?} is not a valid protocol (TCP, UDP, SCTP)")),
        _ => None,
    }
}

/// A port referred to by number or by name: a probe's port, a Service's `targetPort`, an
/// Ingress backend's port, a NetworkPolicy port.
///
/// ```
/// use kubeprint::port::PortRef;
/// assert_eq!(PortRef::from("http"), PortRef::Name("http".into()));
/// assert_eq!(PortRef::from(8080), PortRef::Number(8080));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortRef {
    /// A port number.
    Number(i32),
    /// A port's name: a container port's name (probes, Service target ports, NetworkPolicy
    /// ports), or a Service port's name (Ingress backends). Probes' names must exist in the
    /// container: validation checks it.
    Name(String),
}

impl PortRef {
    /// The reference as `k8s-openapi` holds it.
    ///
    /// ```
    /// use kubeprint::port::PortRef;
    /// use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    /// assert_eq!(PortRef::from(80).to_k8s(), IntOrString::Int(80));
    /// ```
    pub fn to_k8s(&self) -> IntOrString {
        IntOrString::from(self)
    }
}

impl From<i32> for PortRef {
    fn from(n: i32) -> Self {
        PortRef::Number(n)
    }
}

impl From<&str> for PortRef {
    fn from(name: &str) -> Self {
        PortRef::Name(name.to_owned())
    }
}

impl From<String> for PortRef {
    fn from(name: String) -> Self {
        PortRef::Name(name)
    }
}

impl From<&IntOrString> for PortRef {
    fn from(p: &IntOrString) -> Self {
        match p {
            IntOrString::Int(n) => PortRef::Number(*n),
            IntOrString::String(s) => PortRef::Name(s.clone()),
        }
    }
}

impl From<&PortRef> for IntOrString {
    fn from(p: &PortRef) -> Self {
        match p {
            PortRef::Number(n) => IntOrString::Int(*n),
            PortRef::Name(s) => IntOrString::String(s.clone()),
        }
    }
}

impl From<PortRef> for IntOrString {
    fn from(p: PortRef) -> Self {
        match p {
            PortRef::Number(n) => IntOrString::Int(n),
            PortRef::Name(s) => IntOrString::String(s),
        }
    }
}

/// Checks an `IntOrString` port: a number 1-65535 or an IANA service name.
pub(crate) fn check_port_ref(p: &IntOrString) -> Option<String> {
    match p {
        IntOrString::Int(n) => validate::port_number(*n),
        IntOrString::String(s) => validate::port_name(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_round_trip() {
        for p in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            assert_eq!(Protocol::from_k8s(Some(p.as_str())), Some(p));
            assert_eq!(p.to_string(), p.as_str());
            assert_eq!(p.to_k8s().as_deref(), Some(p.as_str()));
        }
        assert_eq!(Protocol::from_k8s(Some("tcp")), None);
    }

    #[test]
    fn protocol_check() {
        assert_eq!(check_protocol(None), None);
        assert_eq!(check_protocol(Some("UDP")), None);
        assert_eq!(
            check_protocol(Some("HTTP")).as_deref(),
            Some(r#""HTTP" is not a valid protocol (TCP, UDP, SCTP)"#)
        );
    }

    #[test]
    fn port_ref_conversions() {
        assert_eq!(
            PortRef::from(String::from("dns")),
            PortRef::Name("dns".into())
        );
        for p in [PortRef::Number(53), PortRef::Name("dns".into())] {
            let k8s = IntOrString::from(&p);
            assert_eq!(IntOrString::from(p.clone()), k8s);
            assert_eq!(p.to_k8s(), k8s);
            assert_eq!(PortRef::from(&k8s), p);
        }
    }

    #[test]
    fn port_ref_check() {
        assert_eq!(check_port_ref(&IntOrString::Int(8080)), None);
        assert_eq!(check_port_ref(&IntOrString::String("http".into())), None);
        assert_eq!(
            check_port_ref(&IntOrString::Int(0)).as_deref(),
            Some("0 is not a port number (1-65535)")
        );
        assert_eq!(
            check_port_ref(&IntOrString::String("HTTP".into())).as_deref(),
            Some(r#""HTTP" must consist of lowercase letters, digits and '-'"#)
        );
    }
}
