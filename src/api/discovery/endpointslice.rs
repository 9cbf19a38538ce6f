//! EndpointSlice (chapter 13): the addresses behind a selector-less Service, e.g. a database
//! outside the cluster.
//!
//! A full example and the list of setters are on [`EndpointSlice`].
//!
//! [`Service::external_endpoints`](crate::Service::external_endpoints) builds a Service and its
//! slice together.

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::port::{Protocol, check_protocol};
use crate::validate::{self, Checker};
use k8s_openapi::api::discovery::v1 as discovery;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use typed_builder::TypedBuilder;

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label naming who manages an EndpointSlice; kubeprint sets it to `kubeprint` so the
/// cluster's EndpointSlice controller leaves the slice alone.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";

/// The most endpoints one slice may hold.
const MAX_ENDPOINTS: usize = 1000;

/// The kind of addresses a slice holds (all of one kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressType {
    /// IPv4 addresses.
    IPv4,
    /// IPv6 addresses.
    IPv6,
    /// Fully qualified domain names.
    Fqdn,
}

impl AddressType {
    /// Kubernetes' name: `IPv4`, `IPv6`, `FQDN`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::IPv4 => "IPv4",
            AddressType::IPv6 => "IPv6",
            AddressType::Fqdn => "FQDN",
        }
    }

    /// The type of one address: an IPv4 or IPv6 literal, else a domain name.
    pub fn of(address: &str) -> AddressType {
        match address.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => AddressType::IPv4,
            Ok(IpAddr::V6(_)) => AddressType::IPv6,
            Err(_) => AddressType::Fqdn,
        }
    }
}

/// One port of an EndpointSlice. Its name must match the Service port's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointPort {
    name: Option<String>,
    port: i32,
    protocol: Protocol,
    app_protocol: Option<String>,
}

impl EndpointPort {
    /// A TCP port named like the Service port it serves.
    pub fn tcp(name: impl Into<String>, port: i32) -> Self {
        EndpointPort::new(Some(name.into()), port, Protocol::Tcp)
    }

    /// A UDP port.
    pub fn udp(name: impl Into<String>, port: i32) -> Self {
        EndpointPort::new(Some(name.into()), port, Protocol::Udp)
    }

    /// An unnamed TCP port, for a Service whose only port is unnamed.
    pub fn unnamed(port: i32) -> Self {
        EndpointPort::new(None, port, Protocol::Tcp)
    }

    /// A port with every field given.
    pub fn new(name: Option<String>, port: i32, protocol: Protocol) -> Self {
        EndpointPort {
            name,
            port,
            protocol,
            app_protocol: None,
        }
    }

    /// The application protocol hint.
    #[must_use]
    pub fn app_protocol(mut self, app_protocol: impl Into<String>) -> Self {
        self.app_protocol = Some(app_protocol.into());
        self
    }

    fn to_k8s(&self) -> discovery::EndpointPort {
        discovery::EndpointPort {
            name: self.name.clone(),
            port: Some(self.port),
            protocol: self.protocol.to_k8s(),
            app_protocol: self.app_protocol.clone(),
        }
    }
}

/// An EndpointSlice for the Service named `service`. Each address becomes one ready endpoint.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::endpointslice::EndpointPort;
///
/// let slice = EndpointSlice::builder()
///     .name("external-database")
///     .service("external-database")
///     .address("192.168.0.1")
///     .address("192.168.0.2")
///     .port(EndpointPort::tcp("mysql", 3306))
///     .build();
/// let object = slice.to_object()?;
/// assert_eq!(object.address_type, "IPv4");
/// assert_eq!(object.metadata.labels.unwrap()["kubernetes.io/service-name"], "external-database");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`EndpointSlice::builder()`](EndpointSlice::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.service(impl Into<String>)` — **required** | The Service these endpoints belong to (the `kubernetes.io/service-name` label). |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`: the Service's namespace. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (the service-name and managed-by labels are added). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.address_type(AddressType)` / `.address_type_opt(Option<..>)` | `addressType`; by default the type of the first address (IPv4, IPv6, else FQDN). |
/// | `.address(address)` / `.addresses(addresses)` (repeatable) | The addresses, one endpoint each, in the order added. |
/// | `.port(port)` (repeatable) | The ports, in the order added. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct EndpointSlice {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// The Service these endpoints belong to (the `kubernetes.io/service-name` label).
    #[builder(setter(into))]
    service: String,
    /// `metadata.namespace`: the Service's namespace.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels` (the service-name and managed-by labels are added).
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// `addressType`; by default the type of the first address (IPv4, IPv6, else FQDN).
    #[builder(default, setter(strip_option(fallback = address_type_opt)))]
    address_type: Option<AddressType>,
    /// The addresses, one endpoint each, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds an address (an IP, or a host name for an FQDN slice).
            pub fn address(&mut self, address: impl Into<String>) {
                self.addresses.push(address.into());
            }
            /// Adds several addresses.
            pub fn addresses<A: Into<String>>(&mut self, addresses: impl IntoIterator<Item = A>) {
                self.addresses.extend(addresses.into_iter().map(Into::into));
            }
        )
    )]
    addresses: Vec<String>,
    /// The ports, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a port.
            pub fn port(&mut self, port: EndpointPort) {
                self.ports.push(port);
            }
        )
    )]
    ports: Vec<EndpointPort>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut discovery::EndpointSlice) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<discovery::EndpointSlice>,
}

impl EndpointSlice {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the Service it belongs to; go on
    /// with any other setter, then `.build()`. Same as
    /// `EndpointSlice::builder().name(..).service(..)`, but leaving one out is an ordinary "missing
    /// argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        service: impl Into<String>,
    ) -> EndpointSliceBuilder<(
        (String,),
        (String,),
        (),
        (),
        (),
        (),
        (Vec<String>,),
        (Vec<EndpointPort>,),
        (Customize<discovery::EndpointSlice>,),
    )> {
        Self::builder().name(name).service(service)
    }
}

impl EndpointSlice {
    /// The slice's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for EndpointSlice {
    type Object = discovery::EndpointSlice;

    fn to_object(&self) -> Result<discovery::EndpointSlice> {
        let mut labels = self.labels.clone();
        labels.insert(SERVICE_NAME_LABEL, self.service.clone());
        labels.insert(MANAGED_BY_LABEL, "kubeprint");
        let address_type = self
            .address_type
            .or_else(|| self.addresses.first().map(|a| AddressType::of(a)))
            .unwrap_or(AddressType::IPv4);
        let mut slice = discovery::EndpointSlice {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &labels,
                &self.annotations,
            ),
            address_type: address_type.as_str().to_owned(),
            endpoints: Some(
                self.addresses
                    .iter()
                    .map(|a| discovery::Endpoint {
                        addresses: vec![a.clone()],
                        conditions: Some(discovery::EndpointConditions {
                            ready: Some(true),
                            ..Default::default()
                        }),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ports: (!self.ports.is_empty())
                .then(|| self.ports.iter().map(EndpointPort::to_k8s).collect()),
        };
        self.customize.apply(&mut slice);
        slice.to_object()
    }
}

fn check_address(address_type: &str, address: &str) -> Option<String> {
    match address_type {
        "IPv4" => address
            .parse::<Ipv4Addr>()
            .is_err()
            .then(|| format!("{address:?} is not an IPv4 address")),
        "IPv6" => address
            .parse::<Ipv6Addr>()
            .is_err()
            .then(|| format!("{address:?} is not an IPv6 address")),
        "FQDN" => validate::dns1123_subdomain(address),
        _ => None,
    }
}

impl Validate for discovery::EndpointSlice {
    fn validate(&self, c: &mut Checker) {
        let address_type = self.address_type.as_str();
        if !matches!(address_type, "IPv4" | "IPv6" | "FQDN") {
            c.fail(
                "addressType",
                format!("{address_type:?} is not valid (IPv4, IPv6, FQDN)"),
            );
        }
        let endpoints = self.endpoints.as_deref().unwrap_or_default();
        if endpoints.len() > MAX_ENDPOINTS {
            c.fail(
                "endpoints",
                format!(
                    "has {} endpoints, at most {MAX_ENDPOINTS} are allowed",
                    endpoints.len()
                ),
            );
        }
        for (i, e) in endpoints.iter().enumerate() {
            if e.addresses.is_empty() {
                c.fail(
                    format_args!("endpoints[{i}].addresses"),
                    "must have at least one address",
                );
            }
            if e.addresses.len() > 100 {
                c.fail(
                    format_args!("endpoints[{i}].addresses"),
                    "must have at most 100 addresses",
                );
            }
            for (j, a) in e.addresses.iter().enumerate() {
                c.check(
                    format_args!("endpoints[{i}].addresses[{j}]"),
                    check_address(address_type, a),
                );
            }
            if let Some(node) = &e.node_name {
                c.check(
                    format_args!("endpoints[{i}].nodeName"),
                    validate::dns1123_subdomain(node),
                );
            }
            if let Some(hostname) = &e.hostname {
                c.check(
                    format_args!("endpoints[{i}].hostname"),
                    validate::dns1123_label(hostname),
                );
            }
        }
        let mut names = BTreeSet::new();
        for (i, p) in self.ports.iter().flatten().enumerate() {
            let name = p.name.as_deref().unwrap_or_default();
            if !name.is_empty() {
                c.check(
                    format_args!("ports[{i}].name"),
                    validate::dns1123_label(name),
                );
            }
            if !names.insert(name) {
                c.fail(
                    format_args!("ports[{i}].name"),
                    format!("duplicate port name {name:?}"),
                );
            }
            // The apiserver accepts any number here; no proxy can use one outside 1-65535.
            if let Some(m) = p.port.and_then(validate::port_number) {
                c.strict("endpoint-port", format_args!("ports[{i}].port"), m);
            }
            c.check(
                format_args!("ports[{i}].protocol"),
                check_protocol(p.protocol.as_deref()),
            );
            if let Some(app) = &p.app_protocol {
                c.check(
                    format_args!("ports[{i}].appProtocol"),
                    validate::qualified_name(app),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_error(slice: EndpointSlice) -> String {
        let e = slice.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    #[allow(clippy::type_complexity)]
    fn db() -> EndpointSliceBuilder<(
        (String,),
        (String,),
        (),
        (),
        (),
        (),
        (Vec<String>,),
        (Vec<EndpointPort>,),
        (Customize<discovery::EndpointSlice>,),
    )> {
        EndpointSlice::builder().name("db").service("db")
    }

    #[test]
    fn builds_one_ready_endpoint_per_address() {
        let slice = db()
            .address("10.0.0.1")
            .addresses(["10.0.0.2"])
            .port(EndpointPort::tcp("mysql", 3306).app_protocol("mysql"))
            .labels([("team", "data")])
            .namespace("prod")
            .build();
        let o = slice.to_object().unwrap();
        let labels = o.metadata.labels.unwrap();
        assert_eq!(labels[SERVICE_NAME_LABEL], "db");
        assert_eq!(labels[MANAGED_BY_LABEL], "kubeprint");
        assert_eq!(labels["team"], "data");
        let endpoints = o.endpoints.unwrap();
        assert_eq!(endpoints.len(), 2);
        assert_eq!(endpoints[1].addresses, ["10.0.0.2"]);
        assert_eq!(endpoints[0].conditions.as_ref().unwrap().ready, Some(true));
        let port = &o.ports.unwrap()[0];
        assert_eq!(
            (
                port.port,
                port.protocol.as_deref(),
                port.app_protocol.as_deref()
            ),
            (Some(3306), Some("TCP"), Some("mysql"))
        );
    }

    #[test]
    fn address_type_inferred_or_given() {
        assert_eq!(AddressType::of("2001:db8::1"), AddressType::IPv6);
        assert_eq!(AddressType::of("db.example.com"), AddressType::Fqdn);
        let o = db()
            .address("2001:db8::1")
            .port(EndpointPort::unnamed(5432))
            .build()
            .to_object()
            .unwrap();
        assert_eq!(o.address_type, "IPv6");
        let o = db()
            .address_type(AddressType::Fqdn)
            .address("db.example.com")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(o.address_type, "FQDN");
    }

    #[test]
    fn rule_addresses_match_type() {
        let slice = db().address("10.0.0.1").address("2001:db8::1").build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": endpoints[1].addresses[0]: "2001:db8::1" is not an IPv4 address"#
        );
        let slice = db()
            .address_type(AddressType::IPv6)
            .address("10.0.0.1")
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": endpoints[0].addresses[0]: "10.0.0.1" is not an IPv6 address"#
        );
        let slice = db()
            .address_type(AddressType::Fqdn)
            .address("DB.example.com")
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": endpoints[0].addresses[0]: "DB.example.com" must consist of lowercase letters, digits, '-' and '.'"#
        );
    }

    #[test]
    fn rule_address_type_value() {
        let slice = db()
            .address("10.0.0.1")
            .customize(|s: &mut discovery::EndpointSlice| s.address_type = "IPv5".into())
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": addressType: "IPv5" is not valid (IPv4, IPv6, FQDN)"#
        );
    }

    #[test]
    fn rule_endpoint_needs_an_address() {
        let slice = db()
            .address("10.0.0.1")
            .customize(|s: &mut discovery::EndpointSlice| {
                s.endpoints
                    .as_mut()
                    .into_iter()
                    .for_each(|e| e[0].addresses.clear())
            })
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": endpoints[0].addresses: must have at least one address"#
        );
    }

    #[test]
    fn rule_too_many_endpoints() {
        let slice = db()
            .addresses((0..1001).map(|i| format!("10.0.{}.{}", i / 256, i % 256)))
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": endpoints: has 1001 endpoints, at most 1000 are allowed"#
        );
    }

    #[test]
    fn rule_port_names() {
        let slice = db()
            .address("10.0.0.1")
            .port(EndpointPort::tcp("MySQL", 3306))
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": ports[0].name: "MySQL" must consist of lowercase letters, digits and '-'"#
        );
        let slice = db()
            .address("10.0.0.1")
            .port(EndpointPort::tcp("a", 1))
            .port(EndpointPort::udp("a", 2))
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": ports[1].name: duplicate port name "a""#
        );
    }

    #[test]
    fn rule_port_number() {
        let slice = db()
            .address("10.0.0.1")
            .port(EndpointPort::unnamed(0))
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "db": ports[0].port: 0 is not a port number (1-65535) (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: endpoint-port relaxes it)"#
        );
    }

    #[test]
    fn rule_name() {
        let slice = EndpointSlice::builder()
            .name("DB")
            .service("db")
            .address("10.0.0.1")
            .build();
        assert_eq!(
            one_error(slice),
            r#"endpointslice "DB": metadata.name: "DB" must consist of lowercase letters, digits, '-' and '.'"#
        );
    }
}
