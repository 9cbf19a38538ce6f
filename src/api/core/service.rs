//! Service (chapter 7): a stable name and address in front of a set of pods.
//!
//! A full example and the list of setters are on [`Service`].
//!
//! # A Service for a workload
//! [`Service::for_workload`] returns the *builder* pre-filled from a [`Workload`]: its name, its
//! selector and one port per container port (same name, `port` = `containerPort`, `targetPort`
//! by name). Everything else can still be set, and the ports can be replaced:
//!
//! ```
//! # use kubeprint::prelude::*;
//! # use kubeprint::service::{ServicePort, ServiceType};
//! # use k8s_openapi::api::apps::v1::Deployment;
//! # let deployment: Deployment = serde_json::from_value(serde_json::json!({
//! #   "metadata": {"name": "kuard"},
//! #   "spec": {"selector": {"matchLabels": {"app": "kuard"}},
//! #     "template": {"metadata": {"labels": {"app": "kuard"}}, "spec": {"containers": [
//! #       {"name": "kuard", "image": "kuard", "ports": [{"name": "http", "containerPort": 8080}]}]}}}
//! # })).unwrap();
//! let svc = Service::for_workload(&deployment)
//!     .service_type(ServiceType::NodePort)
//!     .build();
//! let spec = svc.to_object()?.spec.unwrap();
//! assert_eq!(spec.selector.unwrap()["app"], "kuard");
//! assert_eq!(spec.ports.unwrap()[0].port, 8080);
//!
//! // Serve the container's "http" port on port 80 instead:
//! let svc = Service::for_workload(&deployment)
//!     .clear_ports()
//!     .port(ServicePort::tcp("http", 80).target("http"))
//!     .build();
//! assert_eq!(svc.to_object()?.spec.unwrap().ports.unwrap()[0].port, 80);
//! # Ok::<(), kubeprint::Error>(())
//! ```
//!
//! # A Service for something outside the cluster (chapter 13)
//! [`Service::external_name`] makes a DNS alias (`ExternalName`), and
//! [`Service::external_endpoints`] a selector-less Service with an [`EndpointSlice`] listing
//! fixed addresses.

use crate::api::discovery::endpointslice::{EndpointPort, EndpointSlice};
use crate::api::networking::networkpolicy::cidr;
use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
/// The port vocabulary, defined in [`crate::port`] and shared with the pod layer.
pub use crate::port::{PortRef, Protocol};
use crate::port::{check_port_ref, check_protocol};
use crate::validate::{self, Checker};
use crate::workload::Workload;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;
use typed_builder::TypedBuilder;

/// The node port range of a default apiserver (`--service-node-port-range`).
pub const NODE_PORT_RANGE: std::ops::RangeInclusive<i32> = 30000..=32767;

/// One port of a Service.
///
/// ```
/// # use kubeprint::service::{ServicePort, PortRef};
/// let p = ServicePort::tcp("http", 80).target(8080).app_protocol("http");
/// assert_eq!(p.port(), 80);
/// let p = ServicePort::udp("dns", 53).target("dns");
/// assert_eq!(p.target_port(), Some(&PortRef::Name("dns".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    name: Option<String>,
    port: i32,
    protocol: Protocol,
    target: Option<PortRef>,
    node_port: Option<i32>,
    app_protocol: Option<String>,
}

impl ServicePort {
    /// A TCP port named `name`; `targetPort` defaults to the same number.
    pub fn tcp(name: impl Into<String>, port: i32) -> Self {
        ServicePort::new(Some(name.into()), port, Protocol::Tcp)
    }

    /// A UDP port named `name`.
    pub fn udp(name: impl Into<String>, port: i32) -> Self {
        ServicePort::new(Some(name.into()), port, Protocol::Udp)
    }

    /// An SCTP port named `name`.
    pub fn sctp(name: impl Into<String>, port: i32) -> Self {
        ServicePort::new(Some(name.into()), port, Protocol::Sctp)
    }

    /// An unnamed TCP port (allowed when it is the Service's only port).
    pub fn unnamed(port: i32) -> Self {
        ServicePort::new(None, port, Protocol::Tcp)
    }

    fn new(name: Option<String>, port: i32, protocol: Protocol) -> Self {
        ServicePort {
            name,
            port,
            protocol,
            target: None,
            node_port: None,
            app_protocol: None,
        }
    }

    /// The pods' port traffic goes to: a number, or a container port's name.
    #[must_use]
    pub fn target(mut self, target: impl Into<PortRef>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// A fixed node port (NodePort and LoadBalancer Services; 30000-32767). Without one the
    /// apiserver picks a free port.
    #[must_use]
    pub fn node_port(mut self, node_port: i32) -> Self {
        self.node_port = Some(node_port);
        self
    }

    /// The application protocol (`http`, `kubernetes.io/h2c`, ...), a hint for proxies.
    #[must_use]
    pub fn app_protocol(mut self, app_protocol: impl Into<String>) -> Self {
        self.app_protocol = Some(app_protocol.into());
        self
    }

    /// Changes the protocol.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// The port's name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The Service's port number.
    pub fn port(&self) -> i32 {
        self.port
    }

    /// The target port, when set.
    pub fn target_port(&self) -> Option<&PortRef> {
        self.target.as_ref()
    }

    fn to_k8s(&self) -> core::ServicePort {
        core::ServicePort {
            name: self.name.clone(),
            port: self.port,
            protocol: self.protocol.to_k8s(),
            target_port: self.target.as_ref().map(IntOrString::from),
            node_port: self.node_port,
            app_protocol: self.app_protocol.clone(),
        }
    }
}

/// How a Service is exposed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ServiceType {
    /// A virtual IP inside the cluster (the default).
    #[default]
    ClusterIp,
    /// No virtual IP (`clusterIP: None`): DNS returns the pods' addresses. For StatefulSets.
    Headless,
    /// A cluster IP plus a port on every node.
    NodePort,
    /// A node port plus a cloud load balancer.
    LoadBalancer,
    /// A DNS CNAME to this external host name; no proxying, no selector.
    ExternalName(String),
}

/// Whether external traffic may be forwarded to pods on other nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalTrafficPolicy {
    /// Spread to every ready pod (the default; hides the client's address).
    Cluster,
    /// Only to pods on the node that received it (keeps the client's address).
    Local,
}

impl ExternalTrafficPolicy {
    fn as_str(self) -> &'static str {
        match self {
            ExternalTrafficPolicy::Cluster => "Cluster",
            ExternalTrafficPolicy::Local => "Local",
        }
    }
}

/// Session affinity: send a client's connections to the same pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionAffinity {
    /// No affinity (the default).
    #[default]
    None,
    /// Stick to a pod by client IP, for `timeout_seconds` (default 10800, at most 86400).
    ClientIp {
        /// How long the stickiness lasts; `None` keeps Kubernetes' default of 3 hours.
        timeout_seconds: Option<i32>,
    },
}

impl SessionAffinity {
    /// Client-IP affinity with Kubernetes' default timeout.
    pub fn client_ip() -> Self {
        SessionAffinity::ClientIp {
            timeout_seconds: None,
        }
    }

    /// Client-IP affinity lasting `seconds`.
    pub fn client_ip_for(seconds: i32) -> Self {
        SessionAffinity::ClientIp {
            timeout_seconds: Some(seconds),
        }
    }
}

/// A Service. `name` is required; ports, selector and the rest are optional.
///
/// A Service without a selector selects no pods: its endpoints come from an
/// [`EndpointSlice`] (see [`Service::external_endpoints`]).
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::service::{ServicePort, ServiceType};
///
/// let svc = Service::builder()
///     .name("kuard")
///     .selector([("app", "kuard")])
///     .port(ServicePort::tcp("http", 80).target("http"))
///     .service_type(ServiceType::LoadBalancer)
///     .build();
/// let object = svc.to_object()?;
/// let spec = object.spec.unwrap();
/// assert_eq!(spec.type_.as_deref(), Some("LoadBalancer"));
/// assert_eq!(spec.ports.unwrap()[0].port, 80);
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Service::builder()`](Service::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name` (a DNS-1035 label: lowercase, starting with a letter). |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations` (cloud load balancer settings often go here). |
/// | `.service_type(ServiceType)` | ClusterIP (default), headless, NodePort, LoadBalancer or ExternalName. |
/// | `.port(port)` / `.clear_ports()` (repeatable) | The ports, in the order added. |
/// | `.selector(labels)` / `.selector_label(key, value)` (repeatable) | The pods served: those with all these labels. |
/// | `.session_affinity(SessionAffinity)` | Session affinity (`ClientIP` with an optional timeout). |
/// | `.external_traffic_policy(ExternalTrafficPolicy)` / `.external_traffic_policy_opt(Option<..>)` | `externalTrafficPolicy` (NodePort and LoadBalancer only). |
/// | `.source_range(cidr)` (repeatable) | `loadBalancerSourceRanges`: client CIDRs allowed through the load balancer. |
/// | `.publish_not_ready_addresses()` / `.publish_not_ready_addresses_if(bool)` | Publish pods before they are ready (StatefulSet peers finding each other at startup). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(
    doc,
    mutators(
        /// Changes the name once set (e.g. the name [`Service::for_workload`] took from the
        /// workload).
        #[mutator(requires = [name])]
        pub fn rename(&mut self, name: impl Into<String>) {
            self.name = name.into();
        }
    )
)]
pub struct Service {
    /// `metadata.name` (a DNS-1035 label: lowercase, starting with a letter).
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations` (cloud load balancer settings often go here).
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// ClusterIP (default), headless, NodePort, LoadBalancer or ExternalName.
    #[builder(default)]
    service_type: ServiceType,
    /// The ports, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a port.
            pub fn port(&mut self, port: ServicePort) {
                self.ports.push(port);
            }
            /// Removes every port added so far (e.g. those [`Service::for_workload`] filled in).
            pub fn clear_ports(&mut self) {
                self.ports.clear();
            }
        )
    )]
    ports: Vec<ServicePort>,
    /// The pods served: those with all these labels.
    #[builder(
        via_mutators,
        mutators(
            /// Sets the selector (replacing an earlier one): pods with all these labels are served.
            pub fn selector(&mut self, labels: impl Into<Labels>) {
                self.selector = labels.into();
            }
            /// Adds one label to the selector.
            pub fn selector_label(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.selector.insert(key, value);
            }
        )
    )]
    selector: Labels,
    /// Session affinity (`ClientIP` with an optional timeout).
    #[builder(default)]
    session_affinity: SessionAffinity,
    /// `externalTrafficPolicy` (NodePort and LoadBalancer only).
    #[builder(default, setter(strip_option(fallback = external_traffic_policy_opt)))]
    external_traffic_policy: Option<ExternalTrafficPolicy>,
    /// `loadBalancerSourceRanges`: client CIDRs allowed through the load balancer.
    #[builder(
        via_mutators,
        mutators(
            /// Allows clients from this CIDR (e.g. `203.0.113.0/24`) through the load balancer.
            pub fn source_range(&mut self, cidr: impl Into<String>) {
                self.load_balancer_source_ranges.push(cidr.into());
            }
        )
    )]
    load_balancer_source_ranges: Vec<String>,
    /// Publish pods before they are ready (StatefulSet peers finding each other at startup).
    #[builder(setter(strip_bool(fallback = publish_not_ready_addresses_if)))]
    publish_not_ready_addresses: bool,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::Service) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::Service>,
}

/// The builder [`Service::for_workload`] returns: a [`ServiceBuilder`] with `name`, `selector`
/// and `ports` filled in. Every other setter can still be called once, and mutators (`rename`,
/// `port`, `clear_ports`, `selector`, `selector_label`, `source_range`, `customize`) any number
/// of times.
pub type ServiceFromWorkload = ServiceBuilder<(
    (String,),
    (),
    (),
    (),
    (),
    (Vec<ServicePort>,),
    (Labels,),
    (),
    (),
    (Vec<String>,),
    (),
    (Customize<core::Service>,),
)>;

impl Service {
    /// The Service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A builder pre-filled from `workload`: its name, its selector, and one port per container
    /// port — same name, `port` = `containerPort`, `targetPort` by name (by number for unnamed
    /// container ports, which are named `tcp-8080` etc. when there is more than one port).
    /// See the [module docs](self) for changing ports afterwards.
    ///
    /// Services select by labels only: a workload whose selector is made of `matchExpressions`
    /// alone gives an empty selector here, i.e. a Service that selects no pods — set one with
    /// `.selector(...)`.
    pub fn for_workload(workload: &impl Workload) -> ServiceFromWorkload {
        let ports = workload.ports();
        let several = ports.len() > 1;
        let mut builder = Service::builder()
            .name(workload.name().to_owned())
            .selector(workload.selector());
        for p in ports {
            let protocol = Protocol::from_k8s(p.protocol.as_deref()).unwrap_or_default();
            let port = match p.name {
                Some(name) if !name.is_empty() => {
                    ServicePort::new(Some(name.clone()), p.container_port, protocol).target(name)
                }
                _ => {
                    let name = several.then(|| {
                        format!(
                            "{}-{}",
                            protocol.as_str().to_ascii_lowercase(),
                            p.container_port
                        )
                    });
                    ServicePort::new(name, p.container_port, protocol).target(p.container_port)
                }
            };
            builder = builder.port(port);
        }
        builder
    }

    /// An `ExternalName` Service: a DNS alias for `host` (chapter 13's external database).
    ///
    /// ```
    /// # use kubeprint::prelude::*;
    /// let svc = Service::external_name("external-database", "database.company.com");
    /// assert_eq!(svc.to_object()?.spec.unwrap().external_name.as_deref(), Some("database.company.com"));
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn external_name(name: impl Into<String>, host: impl Into<String>) -> Service {
        Service::builder()
            .name(name)
            .service_type(ServiceType::ExternalName(host.into()))
            .build()
    }

    /// A selector-less Service plus the [`EndpointSlice`] that lists `addresses` (IPs or host
    /// names) for it: a stable in-cluster name for a server outside the cluster (chapter 13).
    /// The slice takes the Service's port name and protocol, and the target port number when
    /// one is given (else the Service port).
    ///
    /// ```
    /// # use kubeprint::prelude::*;
    /// # use kubeprint::service::ServicePort;
    /// let (svc, slice) = Service::external_endpoints(
    ///     "external-ip-database",
    ///     ["192.168.0.1"],
    ///     ServicePort::tcp("mysql", 3306),
    /// );
    /// let mut app = Bundle::new("db");
    /// app.add(svc)?.add(slice)?;
    /// assert_eq!(app.len(), 2);
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn external_endpoints<A: Into<String>>(
        name: impl Into<String>,
        addresses: impl IntoIterator<Item = A>,
        port: ServicePort,
    ) -> (Service, EndpointSlice) {
        let name = name.into();
        let number = match port.target {
            Some(PortRef::Number(n)) => n,
            _ => port.port,
        };
        let endpoint_port = EndpointPort::new(port.name.clone(), number, port.protocol);
        let endpoint_port = match &port.app_protocol {
            Some(a) => endpoint_port.app_protocol(a.clone()),
            None => endpoint_port,
        };
        let slice = EndpointSlice::builder()
            .name(name.clone())
            .service(name.clone())
            .addresses(addresses)
            .port(endpoint_port)
            .build();
        let service = Service::builder().name(name).port(port).build();
        (service, slice)
    }
}

impl Manifest for Service {
    type Object = core::Service;

    fn to_object(&self) -> Result<core::Service> {
        let (type_, cluster_ip, external_name) = match &self.service_type {
            ServiceType::ClusterIp => (None, None, None),
            ServiceType::Headless => (None, Some("None".to_owned()), None),
            ServiceType::NodePort => (Some("NodePort"), None, None),
            ServiceType::LoadBalancer => (Some("LoadBalancer"), None, None),
            ServiceType::ExternalName(host) => (Some("ExternalName"), None, Some(host.clone())),
        };
        let (session_affinity, session_affinity_config) = match self.session_affinity {
            SessionAffinity::None => (None, None),
            SessionAffinity::ClientIp { timeout_seconds } => (
                Some("ClientIP".to_owned()),
                timeout_seconds.map(|t| core::SessionAffinityConfig {
                    client_ip: Some(core::ClientIPConfig {
                        timeout_seconds: Some(t),
                    }),
                }),
            ),
        };
        let mut svc = core::Service {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(core::ServiceSpec {
                type_: type_.map(str::to_owned),
                cluster_ip,
                external_name,
                ports: (!self.ports.is_empty())
                    .then(|| self.ports.iter().map(ServicePort::to_k8s).collect()),
                selector: self.selector.to_option(),
                session_affinity,
                session_affinity_config,
                external_traffic_policy: self
                    .external_traffic_policy
                    .map(|p| p.as_str().to_owned()),
                load_balancer_source_ranges: (!self.load_balancer_source_ranges.is_empty())
                    .then(|| self.load_balancer_source_ranges.clone()),
                publish_not_ready_addresses: self.publish_not_ready_addresses.then_some(true),
                ..core::ServiceSpec::default()
            }),
            status: None,
        };
        self.customize.apply(&mut svc);
        svc.to_object()
    }
}

impl Validate for core::Service {
    fn validate(&self, c: &mut Checker) {
        let default = core::ServiceSpec::default();
        let spec = self.spec.as_ref().unwrap_or(&default);
        let type_ = spec.type_.as_deref().unwrap_or("ClusterIP");
        if !matches!(
            type_,
            "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
        ) {
            c.fail(
                "spec.type",
                format!("{type_:?} is not a valid service type (ClusterIP, NodePort, LoadBalancer, ExternalName)"),
            );
        }
        let external_name = type_ == "ExternalName";
        let node_ports_allowed = matches!(type_, "NodePort" | "LoadBalancer");
        let cluster_ip = spec.cluster_ip.as_deref().unwrap_or_default();
        let headless = cluster_ip == "None";

        // Cluster IP.
        if external_name && !cluster_ip.is_empty() {
            c.fail(
                "spec.clusterIP",
                "must not be set for ExternalName services",
            );
        } else if headless && node_ports_allowed {
            c.fail(
                "spec.clusterIP",
                format!("may not be \"None\" for {type_} services"),
            );
        } else if !cluster_ip.is_empty()
            && !headless
            && cluster_ip.parse::<std::net::IpAddr>().is_err()
        {
            c.fail(
                "spec.clusterIP",
                format!("{cluster_ip:?} is not an IP address or \"None\""),
            );
        }

        // ExternalName.
        match (&spec.external_name, external_name) {
            (None, true) => c.fail("spec.externalName", "required for ExternalName services"),
            (Some(host), true) => {
                let host = host.strip_suffix('.').unwrap_or(host);
                c.check("spec.externalName", validate::dns1123_subdomain(host));
            }
            (Some(_), false) => c.fail(
                "spec.externalName",
                "may only be set for ExternalName services",
            ),
            (None, false) => {}
        }
        if external_name && spec.selector.as_ref().is_some_and(|s| !s.is_empty()) {
            c.fail(
                "spec.selector",
                "must not be set for ExternalName services (they select no pods)",
            );
        }
        c.labels("spec.selector", spec.selector.as_ref());

        // Ports.
        let ports = spec.ports.as_deref().unwrap_or_default();
        if ports.is_empty() && !headless && !external_name {
            c.fail(
                "spec.ports",
                "at least one port is required (except for headless and ExternalName services)",
            );
        }
        let mut names = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        let mut node_ports = BTreeSet::new();
        for (i, p) in ports.iter().enumerate() {
            let at = format!("spec.ports[{i}]");
            match p.name.as_deref().unwrap_or_default() {
                "" if ports.len() > 1 => c.fail(
                    format_args!("{at}.name"),
                    "required when the service has more than one port",
                ),
                "" => {}
                name => {
                    // Service port names are DNS labels (container ports' IANA names are
                    // stricter: at most 15 characters, a letter).
                    c.check(format_args!("{at}.name"), validate::dns1123_label(name));
                    if !names.insert(name) {
                        c.fail(
                            format_args!("{at}.name"),
                            format!("duplicate port name {name:?}"),
                        );
                    }
                }
            }
            c.check(format_args!("{at}.port"), validate::port_number(p.port));
            c.check(
                format_args!("{at}.protocol"),
                check_protocol(p.protocol.as_deref()),
            );
            let protocol = p
                .protocol
                .as_deref()
                .filter(|p| !p.is_empty())
                .unwrap_or("TCP");
            if !numbers.insert((p.port, protocol)) {
                c.fail(&at, format!("duplicate port {}/{protocol}", p.port));
            }
            if let Some(target) = &p.target_port {
                c.check(format_args!("{at}.targetPort"), check_port_ref(target));
            }
            if let Some(node_port) = p.node_port {
                if !node_ports_allowed {
                    c.fail(
                        format_args!("{at}.nodePort"),
                        "may only be set for NodePort and LoadBalancer services",
                    );
                } else if !NODE_PORT_RANGE.contains(&node_port) {
                    c.fail(
                        format_args!("{at}.nodePort"),
                        format!("{node_port} is outside the node port range 30000-32767"),
                    );
                } else if !node_ports.insert((node_port, protocol)) {
                    c.fail(
                        format_args!("{at}.nodePort"),
                        format!("duplicate node port {node_port}/{protocol}"),
                    );
                }
            }
            if let Some(app) = &p.app_protocol {
                c.check(
                    format_args!("{at}.appProtocol"),
                    validate::qualified_name(app),
                );
            }
        }

        // Affinity.
        match spec.session_affinity.as_deref() {
            None | Some("None") => {
                if spec
                    .session_affinity_config
                    .as_ref()
                    .is_some_and(|s| s.client_ip.is_some())
                {
                    c.fail(
                        "spec.sessionAffinityConfig",
                        "may only be set when sessionAffinity is ClientIP",
                    );
                }
            }
            Some("ClientIP") => {
                let timeout = spec
                    .session_affinity_config
                    .as_ref()
                    .and_then(|s| s.client_ip.as_ref())
                    .and_then(|ip| ip.timeout_seconds);
                if let Some(t) = timeout.filter(|t| !(1..=86400).contains(t)) {
                    c.fail(
                        "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                        format!("must be between 1 and 86400, got {t}"),
                    );
                }
            }
            Some(other) => c.fail(
                "spec.sessionAffinity",
                format!("{other:?} is not valid (None, ClientIP)"),
            ),
        }

        // Exposure.
        if let Some(policy) = spec.external_traffic_policy.as_deref() {
            if !matches!(policy, "Cluster" | "Local") {
                c.fail(
                    "spec.externalTrafficPolicy",
                    format!("{policy:?} is not valid (Cluster, Local)"),
                );
            } else if !node_ports_allowed {
                c.fail(
                    "spec.externalTrafficPolicy",
                    "may only be set for NodePort and LoadBalancer services",
                );
            }
        }
        let ranges = spec
            .load_balancer_source_ranges
            .as_deref()
            .unwrap_or_default();
        if !ranges.is_empty() && type_ != "LoadBalancer" {
            c.fail(
                "spec.loadBalancerSourceRanges",
                "may only be set for LoadBalancer services",
            );
        }
        for (i, r) in ranges.iter().enumerate() {
            c.check(format_args!("spec.loadBalancerSourceRanges[{i}]"), cidr(r));
        }
        exposure_and_families(c, spec, type_);
    }
}

/// The rules of the IP families, cluster IPs, external IPs, internal traffic policy and the
/// LoadBalancer-only fields (the differential test's findings, issue #13).
fn exposure_and_families(c: &mut Checker, spec: &core::ServiceSpec, type_: &str) {
    use std::net::IpAddr;
    let lb = type_ == "LoadBalancer";
    if let Some(p) = spec.internal_traffic_policy.as_deref() {
        c.check(
            "spec.internalTrafficPolicy",
            validate::one_of(p, &["Cluster", "Local"]),
        );
    }
    if let Some(p) = spec.ip_family_policy.as_deref() {
        c.check(
            "spec.ipFamilyPolicy",
            validate::one_of(p, &["SingleStack", "PreferDualStack", "RequireDualStack"]),
        );
    }
    let families = spec.ip_families.as_deref().unwrap_or_default();
    if families.len() > 2 {
        c.fail("spec.ipFamilies", "must have at most 2 entries");
    }
    let mut seen = BTreeSet::new();
    for (i, f) in families.iter().enumerate() {
        c.check(
            format_args!("spec.ipFamilies[{i}]"),
            validate::one_of(f, &["IPv4", "IPv6"]),
        );
        if !seen.insert(f.as_str()) {
            c.fail(
                format_args!("spec.ipFamilies[{i}]"),
                format!("duplicate IP family {f:?}"),
            );
        }
    }
    let ips = spec.cluster_ips.as_deref().unwrap_or_default();
    if let (Some(ip), Some(first)) = (spec.cluster_ip.as_deref(), ips.first())
        && !ip.is_empty()
        && ip != first
    {
        c.fail(
            "spec.clusterIPs[0]",
            format!("{first:?} must be the clusterIP {ip:?}"),
        );
    }
    for (i, ip) in ips.iter().enumerate().skip(1) {
        if ip.parse::<IpAddr>().is_err() {
            c.fail(
                format_args!("spec.clusterIPs[{i}]"),
                format!("{ip:?} is not an IP address"),
            );
        }
    }
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        let at = format!("spec.externalIPs[{i}]");
        match ip.parse::<IpAddr>() {
            Err(_) => c.fail(&at, format!("{ip:?} is not an IP address")),
            Ok(a) if a.is_unspecified() => c.fail(&at, format!("{ip:?} may not be unspecified")),
            Ok(_) => {}
        }
    }
    if !lb {
        for (field, set) in [
            ("loadBalancerClass", spec.load_balancer_class.is_some()),
            (
                "allocateLoadBalancerNodePorts",
                spec.allocate_load_balancer_node_ports.is_some(),
            ),
        ] {
            if set {
                c.fail(
                    format_args!("spec.{field}"),
                    "may only be set for LoadBalancer services",
                );
            }
        }
    }
    if spec.health_check_node_port.is_some()
        && !(lb && spec.external_traffic_policy.as_deref() == Some("Local"))
    {
        c.fail(
            "spec.healthCheckNodePort",
            "may only be set for LoadBalancer services with externalTrafficPolicy Local",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1 as apps;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    fn errors(svc: Service) -> Vec<String> {
        match svc.to_object() {
            Ok(_) => Vec::new(),
            Err(e) => e.violations().iter().map(ToString::to_string).collect(),
        }
    }

    fn one_error(svc: Service) -> String {
        let e = errors(svc);
        assert_eq!(e.len(), 1, "{e:#?}");
        e[0].clone()
    }

    fn web() -> ServiceFromWorkload {
        Service::builder().name("web").selector([("app", "web")])
    }

    fn raw(spec: core::ServiceSpec) -> core::Service {
        core::Service {
            metadata: ObjectMeta {
                name: Some("web".into()),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
            status: None,
        }
    }

    fn raw_error(spec: core::ServiceSpec) -> String {
        let e = raw(spec).to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn deployment(ports: serde_json::Value) -> apps::Deployment {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "kuard"},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "kuard"}},
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "kuard", "ver": "1"}},
                    "spec": {"containers": [
                        {"name": "kuard", "image": "gcr.io/kuar-demo/kuard-amd64:blue", "ports": ports},
                        {"name": "sidecar", "image": "busybox"}
                    ]}
                }
            }
        }))
        .unwrap()
    }

    #[test]
    fn cluster_ip_default() {
        let svc = web()
            .port(
                ServicePort::tcp("http", 80)
                    .target("http")
                    .app_protocol("http"),
            )
            .build()
            .to_object()
            .unwrap();
        let spec = svc.spec.unwrap();
        assert_eq!(spec.type_, None);
        assert_eq!(spec.cluster_ip, None);
        assert_eq!(spec.selector.unwrap()["app"], "web");
        let p = &spec.ports.unwrap()[0];
        assert_eq!(p.name.as_deref(), Some("http"));
        assert_eq!(p.protocol.as_deref(), Some("TCP"));
        assert_eq!(p.target_port, Some(IntOrString::String("http".into())));
        assert_eq!(p.app_protocol.as_deref(), Some("http"));
    }

    #[test]
    fn every_type() {
        let build = |t: ServiceType| {
            web()
                .port(ServicePort::tcp("http", 80).target(8080))
                .service_type(t)
                .build()
                .to_object()
                .unwrap()
                .spec
                .unwrap()
        };
        assert_eq!(
            build(ServiceType::NodePort).type_.as_deref(),
            Some("NodePort")
        );
        assert_eq!(
            build(ServiceType::LoadBalancer).type_.as_deref(),
            Some("LoadBalancer")
        );
        let headless = build(ServiceType::Headless);
        assert_eq!(
            (headless.type_, headless.cluster_ip.as_deref()),
            (None, Some("None"))
        );
        let ext = Service::external_name("db", "db.example.com")
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(ext.type_.as_deref(), Some("ExternalName"));
        assert_eq!(ext.selector, None);
        assert_eq!(ext.ports, None);
    }

    #[test]
    fn node_port_load_balancer_options() {
        let svc = web()
            .port(ServicePort::tcp("http", 80).target(8080).node_port(30080))
            .port(ServicePort::udp("dns", 53))
            .service_type(ServiceType::LoadBalancer)
            .source_range("203.0.113.0/24")
            .source_range("2001:db8::/32")
            .external_traffic_policy(ExternalTrafficPolicy::Local)
            .build()
            .to_object()
            .unwrap();
        let spec = svc.spec.unwrap();
        let ports = spec.ports.unwrap();
        assert_eq!(ports[0].node_port, Some(30080));
        assert_eq!(ports[1].protocol.as_deref(), Some("UDP"));
        assert_eq!(ports[1].target_port, None);
        assert_eq!(
            spec.load_balancer_source_ranges.unwrap(),
            ["203.0.113.0/24", "2001:db8::/32"]
        );
        assert_eq!(spec.external_traffic_policy.as_deref(), Some("Local"));
    }

    #[test]
    fn affinity_and_not_ready() {
        let spec = web()
            .port(ServicePort::unnamed(80))
            .session_affinity(SessionAffinity::client_ip_for(600))
            .publish_not_ready_addresses()
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(spec.session_affinity.as_deref(), Some("ClientIP"));
        assert_eq!(
            spec.session_affinity_config
                .unwrap()
                .client_ip
                .unwrap()
                .timeout_seconds,
            Some(600)
        );
        assert_eq!(spec.publish_not_ready_addresses, Some(true));
        let spec = web()
            .port(ServicePort::unnamed(80))
            .session_affinity(SessionAffinity::client_ip())
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(
            (
                spec.session_affinity.as_deref(),
                spec.session_affinity_config
            ),
            (Some("ClientIP"), None)
        );
    }

    #[test]
    fn selector_mutators_and_customize() {
        let svc = Service::builder()
            .name("web")
            .selector_label("app", "web")
            .selector_label("tier", "front")
            .port(ServicePort::unnamed(80))
            .customize(|s: &mut core::Service| {
                if let Some(spec) = s.spec.as_mut() {
                    spec.internal_traffic_policy = Some("Local".into());
                }
            })
            .namespace("prod")
            .labels([("team", "a")])
            .build()
            .to_object()
            .unwrap();
        assert_eq!(svc.metadata.namespace.as_deref(), Some("prod"));
        let spec = svc.spec.unwrap();
        assert_eq!(spec.selector.unwrap().len(), 2);
        assert_eq!(spec.internal_traffic_policy.as_deref(), Some("Local"));
        // `selector` replaces.
        let spec = web()
            .selector([("x", "y")])
            .port(ServicePort::unnamed(80))
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap();
        assert_eq!(spec.selector.unwrap().keys().collect::<Vec<_>>(), ["x"]);
    }

    #[test]
    fn for_workload_takes_name_selector_and_ports() {
        let d = deployment(serde_json::json!([
            {"name": "http", "containerPort": 8080},
            {"name": "metrics", "containerPort": 9090},
        ]));
        let svc = Service::for_workload(&d).build().to_object().unwrap();
        assert_eq!(svc.metadata.name.as_deref(), Some("kuard"));
        let spec = svc.spec.unwrap();
        assert_eq!(
            spec.selector.unwrap(),
            [("app.kubernetes.io/name".to_string(), "kuard".to_string())].into()
        );
        let ports = spec.ports.unwrap();
        assert_eq!(ports.len(), 2);
        assert_eq!(
            (ports[0].name.as_deref(), ports[0].port),
            (Some("http"), 8080)
        );
        assert_eq!(
            ports[0].target_port,
            Some(IntOrString::String("http".into()))
        );
        assert_eq!(
            (ports[1].name.as_deref(), ports[1].port),
            (Some("metrics"), 9090)
        );
        // The result is still a builder: change type, add a port, replace ports.
        let svc = Service::for_workload(&d)
            .service_type(ServiceType::NodePort)
            .port(ServicePort::tcp("debug", 7000))
            .build()
            .to_object()
            .unwrap();
        let spec = svc.spec.unwrap();
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
        assert_eq!(spec.ports.unwrap().len(), 3);
        let svc = Service::for_workload(&d)
            .clear_ports()
            .port(ServicePort::tcp("http", 80).target("http"))
            .build();
        assert_eq!(
            svc.to_object().unwrap().spec.unwrap().ports.unwrap().len(),
            1
        );
    }

    #[test]
    fn for_workload_unnamed_ports() {
        let single = deployment(serde_json::json!([{"containerPort": 8080}]));
        let p = &Service::for_workload(&single)
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap()
            .ports
            .unwrap()[0];
        assert_eq!(
            (p.name.as_deref(), p.target_port.clone()),
            (None, Some(IntOrString::Int(8080)))
        );
        let two = deployment(
            serde_json::json!([{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}]),
        );
        let ports = Service::for_workload(&two)
            .build()
            .to_object()
            .unwrap()
            .spec
            .unwrap()
            .ports
            .unwrap();
        assert_eq!(ports[0].name.as_deref(), Some("tcp-8080"));
        assert_eq!(ports[1].name.as_deref(), Some("udp-53"));
        assert_eq!(ports[1].protocol.as_deref(), Some("UDP"));
    }

    #[test]
    fn for_workload_without_ports_needs_one() {
        let d = apps::Deployment {
            metadata: ObjectMeta {
                name: Some("worker".into()),
                ..ObjectMeta::default()
            },
            spec: apps::DeploymentSpec {
                selector: LabelSelector {
                    match_labels: Some([("app".to_string(), "worker".to_string())].into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            status: None,
        };
        assert_eq!(
            one_error(Service::for_workload(&d).build()),
            r#"service "worker": spec.ports: at least one port is required (except for headless and ExternalName services)"#
        );
        // Headless is fine without ports.
        assert!(
            Service::for_workload(&d)
                .service_type(ServiceType::Headless)
                .build()
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn external_endpoints_pair() {
        let (svc, slice) = Service::external_endpoints(
            "external-db",
            ["10.0.0.5", "10.0.0.6"],
            ServicePort::tcp("mysql", 3306),
        );
        let svc = svc.to_object().unwrap();
        assert_eq!(svc.spec.as_ref().unwrap().selector, None);
        let slice = slice.to_object().unwrap();
        assert_eq!(
            slice.metadata.labels.unwrap()["kubernetes.io/service-name"],
            "external-db"
        );
        assert_eq!(slice.address_type, "IPv4");
        assert_eq!(slice.endpoints.unwrap().len(), 2);
        let port = &slice.ports.unwrap()[0];
        assert_eq!(
            (port.name.as_deref(), port.port),
            (Some("mysql"), Some(3306))
        );
        // A numeric target port is the port on the endpoints.
        let (_, slice) = Service::external_endpoints(
            "db",
            ["db.example.com"],
            ServicePort::unnamed(5432).target(6432),
        );
        let slice = slice.to_object().unwrap();
        assert_eq!(slice.address_type, "FQDN");
        assert_eq!(slice.ports.unwrap()[0].port, Some(6432));
    }

    // --- one test per validation rule ---

    #[test]
    fn rule_name_is_dns1035() {
        let svc = Service::builder()
            .name("1web")
            .port(ServicePort::unnamed(80))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "1web": metadata.name: "1web" must start with a lowercase letter"#
        );
    }

    #[test]
    fn rule_type_value() {
        let e = raw_error(core::ServiceSpec {
            type_: Some("Bogus".into()),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.type: "Bogus" is not a valid service type (ClusterIP, NodePort, LoadBalancer, ExternalName)"#
        );
    }

    #[test]
    fn rule_ports_required() {
        assert_eq!(
            one_error(web().build()),
            r#"service "web": spec.ports: at least one port is required (except for headless and ExternalName services)"#
        );
    }

    #[test]
    fn rule_port_names_required_with_several_ports() {
        let svc = web()
            .port(ServicePort::tcp("http", 80))
            .port(ServicePort::unnamed(443))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[1].name: required when the service has more than one port"#
        );
    }

    #[test]
    fn rule_port_name_format() {
        let svc = web().port(ServicePort::tcp("Http", 80)).build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].name: "Http" must consist of lowercase letters, digits and '-'"#
        );
    }

    #[test]
    fn rule_unique_port_names() {
        let svc = web()
            .port(ServicePort::tcp("http", 80))
            .port(ServicePort::tcp("http", 8080))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[1].name: duplicate port name "http""#
        );
    }

    #[test]
    fn rule_unique_port_numbers() {
        let svc = web()
            .port(ServicePort::tcp("http", 80))
            .port(ServicePort::tcp("alt", 80))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[1]: duplicate port 80/TCP"#
        );
        // Same number, different protocol: fine (DNS over TCP and UDP).
        assert!(
            web()
                .port(ServicePort::tcp("dns-tcp", 53))
                .port(ServicePort::udp("dns", 53))
                .build()
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_port_number_range() {
        let svc = web().port(ServicePort::tcp("http", 70000)).build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].port: 70000 is not a port number (1-65535)"#
        );
    }

    #[test]
    fn rule_protocol_value() {
        let mut p = ServicePort::unnamed(80).to_k8s();
        p.protocol = Some("HTTP".into());
        let e = raw_error(core::ServiceSpec {
            ports: Some(vec![p]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.ports[0].protocol: "HTTP" is not a valid protocol (TCP, UDP, SCTP)"#
        );
    }

    #[test]
    fn rule_target_port_name() {
        let svc = web()
            .port(ServicePort::tcp("http", 80).target("http_alt"))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].targetPort: "http_alt" must consist of lowercase letters, digits and '-'"#
        );
        let svc = web()
            .port(ServicePort::tcp("http", 80).target("a-very-long-port-name"))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].targetPort: "a-very-long-port-name" is longer than 15 characters"#
        );
    }

    #[test]
    fn rule_target_port_number() {
        let svc = web().port(ServicePort::tcp("http", 80).target(0)).build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].targetPort: 0 is not a port number (1-65535)"#
        );
    }

    #[test]
    fn rule_node_port_range() {
        let svc = web()
            .service_type(ServiceType::NodePort)
            .port(ServicePort::tcp("http", 80).node_port(8080))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].nodePort: 8080 is outside the node port range 30000-32767"#
        );
    }

    #[test]
    fn rule_node_port_only_for_node_port_services() {
        let svc = web()
            .port(ServicePort::tcp("http", 80).node_port(30080))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].nodePort: may only be set for NodePort and LoadBalancer services"#
        );
    }

    #[test]
    fn rule_unique_node_ports() {
        let svc = web()
            .service_type(ServiceType::NodePort)
            .port(ServicePort::tcp("http", 80).node_port(30080))
            .port(ServicePort::tcp("https", 443).node_port(30080))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[1].nodePort: duplicate node port 30080/TCP"#
        );
    }

    #[test]
    fn rule_app_protocol() {
        let svc = web()
            .port(ServicePort::tcp("http", 80).app_protocol("not a protocol"))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.ports[0].appProtocol: name "not a protocol" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
    }

    #[test]
    fn rule_headless_node_port_invalid() {
        let e = raw_error(core::ServiceSpec {
            type_: Some("NodePort".into()),
            cluster_ip: Some("None".into()),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.clusterIP: may not be "None" for NodePort services"#
        );
    }

    #[test]
    fn rule_cluster_ip_value() {
        let e = raw_error(core::ServiceSpec {
            cluster_ip: Some("none".into()),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.clusterIP: "none" is not an IP address or "None""#
        );
    }

    #[test]
    fn rule_external_name_required() {
        let e = raw_error(core::ServiceSpec {
            type_: Some("ExternalName".into()),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.externalName: required for ExternalName services"#
        );
    }

    #[test]
    fn rule_external_name_is_dns() {
        assert_eq!(
            one_error(Service::external_name("db", "Database.Company.com")),
            r#"service "db": spec.externalName: "Database.Company.com" must consist of lowercase letters, digits, '-' and '.'"#
        );
        // A trailing dot (fully qualified) is fine.
        assert!(
            Service::external_name("db", "database.company.com.")
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_external_name_has_no_selector() {
        let svc = web()
            .service_type(ServiceType::ExternalName("db.example.com".into()))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.selector: must not be set for ExternalName services (they select no pods)"#
        );
    }

    #[test]
    fn rule_external_name_only_for_external_name_type() {
        let e = raw_error(core::ServiceSpec {
            external_name: Some("db.example.com".into()),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.externalName: may only be set for ExternalName services"#
        );
    }

    #[test]
    fn rule_external_name_has_no_cluster_ip() {
        let e = raw_error(core::ServiceSpec {
            type_: Some("ExternalName".into()),
            external_name: Some("db.example.com".into()),
            cluster_ip: Some("10.0.0.1".into()),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.clusterIP: must not be set for ExternalName services"#
        );
    }

    #[test]
    fn rule_selector_labels() {
        let svc = web()
            .selector_label("bad key", "x")
            .port(ServicePort::unnamed(80))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.selector["bad key"]: name "bad key" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
    }

    #[test]
    fn rule_affinity_timeout() {
        let svc = web()
            .port(ServicePort::unnamed(80))
            .session_affinity(SessionAffinity::client_ip_for(100_000))
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.sessionAffinityConfig.clientIP.timeoutSeconds: must be between 1 and 86400, got 100000"#
        );
    }

    #[test]
    fn rule_affinity_value_and_config() {
        let e = raw_error(core::ServiceSpec {
            session_affinity: Some("Cookie".into()),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.sessionAffinity: "Cookie" is not valid (None, ClientIP)"#
        );
        let e = raw_error(core::ServiceSpec {
            session_affinity_config: Some(core::SessionAffinityConfig {
                client_ip: Some(core::ClientIPConfig {
                    timeout_seconds: Some(10),
                }),
            }),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.sessionAffinityConfig: may only be set when sessionAffinity is ClientIP"#
        );
    }

    #[test]
    fn rule_source_ranges_only_for_load_balancers() {
        let svc = web()
            .port(ServicePort::unnamed(80))
            .source_range("10.0.0.0/8")
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.loadBalancerSourceRanges: may only be set for LoadBalancer services"#
        );
    }

    #[test]
    fn rule_source_range_is_cidr() {
        let svc = web()
            .service_type(ServiceType::LoadBalancer)
            .port(ServicePort::unnamed(80))
            .source_range("10.0.0.0/33")
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.loadBalancerSourceRanges[0]: "10.0.0.0/33" is not a valid CIDR (prefix length above 32)"#
        );
    }

    #[test]
    fn rule_external_traffic_policy_only_when_external() {
        let svc = web()
            .port(ServicePort::unnamed(80))
            .external_traffic_policy(ExternalTrafficPolicy::Local)
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.externalTrafficPolicy: may only be set for NodePort and LoadBalancer services"#
        );
        let e = raw_error(core::ServiceSpec {
            type_: Some("NodePort".into()),
            external_traffic_policy: Some("Nearest".into()),
            ports: Some(vec![ServicePort::unnamed(80).to_k8s()]),
            ..Default::default()
        });
        assert_eq!(
            e,
            r#"service "web": spec.externalTrafficPolicy: "Nearest" is not valid (Cluster, Local)"#
        );
    }

    #[test]
    fn customize_runs_before_validation() {
        let svc = web()
            .port(ServicePort::unnamed(80))
            .customize(|s: &mut core::Service| {
                s.spec
                    .as_mut()
                    .into_iter()
                    .for_each(|spec| spec.type_ = Some("Weird".into()))
            })
            .build();
        assert_eq!(
            one_error(svc),
            r#"service "web": spec.type: "Weird" is not a valid service type (ClusterIP, NodePort, LoadBalancer, ExternalName)"#
        );
    }
}
