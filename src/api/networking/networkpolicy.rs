//! NetworkPolicy: which traffic may reach (ingress) or leave (egress) a set of pods.
//!
//! Policies are allow-lists. Once a pod is selected by a policy for a direction, only traffic
//! some rule allows gets through in that direction.
//!
//! A full example and the list of setters are on [`NetworkPolicy`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::port::{PortRef, Protocol, check_port_ref, check_protocol};
use crate::selector::{Selector, check_label_selector};
use crate::validate::{self, Checker};
use k8s_openapi::api::networking::v1 as net;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;
use std::net::IpAddr;
use typed_builder::TypedBuilder;

/// Parses `address/prefix` into (address as u128, address bits, prefix).
fn parse_cidr(s: &str) -> std::result::Result<(u128, u8, u8), String> {
    let bad = |why: &str| format!("{s:?} is not a valid CIDR ({why})");
    let Some((addr, prefix)) = s.split_once('/') else {
        return Err(bad("expected address/prefix, e.g. 10.0.0.0/16"));
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad("bad address"))?;
    let prefix: u8 = prefix.parse().map_err(|_| bad("bad prefix length"))?;
    let (value, bits) = match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    if prefix > bits {
        return Err(bad(&format!("prefix length above {bits}")));
    }
    Ok((value, bits, prefix))
}

/// Checks a CIDR such as `10.0.0.0/16` or `2001:db8::/32`.
pub(crate) fn cidr(s: &str) -> Option<String> {
    parse_cidr(s).err()
}

/// A CIDR as NetworkPolicy `ipBlock`s need it: no bits set beyond the prefix length
/// (`10.0.0.0/8`, not `10.0.0.1/8`).
fn network_cidr(s: &str) -> Option<String> {
    match parse_cidr(s) {
        Err(e) => Some(e),
        Ok((value, bits, prefix)) => {
            let host_bits = u32::from(bits - prefix);
            let host = if host_bits >= 128 {
                value
            } else {
                value & ((1u128 << host_bits) - 1)
            };
            (host != 0).then(|| format!("{s:?} has bits set beyond the prefix length"))
        }
    }
}

fn network(value: u128, bits: u8, prefix: u8) -> u128 {
    let host_bits = u32::from(bits - prefix);
    if host_bits >= 128 {
        0
    } else {
        value >> host_bits
    }
}

/// Whether `inner` is a strict subset of `outer` (both valid CIDRs).
fn strictly_within(inner: &str, outer: &str) -> bool {
    match (parse_cidr(inner), parse_cidr(outer)) {
        (Ok((iv, ib, ip)), Ok((ov, ob, op))) => {
            ib == ob && ip > op && network(iv, ib, op) == network(ov, ob, op)
        }
        _ => false,
    }
}

/// Where traffic comes from (ingress) or goes to (egress).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Pods with these labels in the policy's namespace.
    Pods(Selector),
    /// Every pod in the namespaces with these labels.
    Namespaces(Selector),
    /// Pods with `pods` labels in namespaces with `namespaces` labels.
    PodsInNamespaces {
        /// The pods.
        pods: Selector,
        /// Their namespaces.
        namespaces: Selector,
    },
    /// Addresses in a CIDR, minus some sub-ranges.
    IpBlock {
        /// The block, e.g. `10.0.0.0/8`.
        cidr: String,
        /// Sub-blocks excluded.
        except: Vec<String>,
    },
}

impl Peer {
    /// Pods with these labels in the policy's namespace.
    pub fn pods(selector: impl Into<Selector>) -> Self {
        Peer::Pods(selector.into())
    }

    /// Every pod in namespaces with these labels.
    pub fn namespaces(selector: impl Into<Selector>) -> Self {
        Peer::Namespaces(selector.into())
    }

    /// Every pod of the namespace named `name` (by its `kubernetes.io/metadata.name` label).
    pub fn namespace(name: impl Into<String>) -> Self {
        Peer::Namespaces(Selector::new().label("kubernetes.io/metadata.name", name))
    }

    /// Pods with `pods` labels in namespaces with `namespaces` labels.
    pub fn pods_in_namespaces(pods: impl Into<Selector>, namespaces: impl Into<Selector>) -> Self {
        Peer::PodsInNamespaces {
            pods: pods.into(),
            namespaces: namespaces.into(),
        }
    }

    /// Every address of a CIDR.
    pub fn cidr(cidr: impl Into<String>) -> Self {
        Peer::IpBlock {
            cidr: cidr.into(),
            except: Vec::new(),
        }
    }

    /// A CIDR minus sub-blocks.
    pub fn cidr_except<E: Into<String>>(
        cidr: impl Into<String>,
        except: impl IntoIterator<Item = E>,
    ) -> Self {
        Peer::IpBlock {
            cidr: cidr.into(),
            except: except.into_iter().map(Into::into).collect(),
        }
    }

    fn to_k8s(&self) -> net::NetworkPolicyPeer {
        let sel = |s: &Selector| Some(LabelSelector::from(s));
        match self {
            Peer::Pods(p) => net::NetworkPolicyPeer {
                pod_selector: sel(p),
                ..Default::default()
            },
            Peer::Namespaces(n) => net::NetworkPolicyPeer {
                namespace_selector: sel(n),
                ..Default::default()
            },
            Peer::PodsInNamespaces { pods, namespaces } => net::NetworkPolicyPeer {
                pod_selector: sel(pods),
                namespace_selector: sel(namespaces),
                ..Default::default()
            },
            Peer::IpBlock { cidr, except } => net::NetworkPolicyPeer {
                ip_block: Some(net::IPBlock {
                    cidr: cidr.clone(),
                    except: (!except.is_empty()).then(|| except.clone()),
                }),
                ..Default::default()
            },
        }
    }
}

/// A port (or port range) a rule allows.
///
/// ```
/// # use kubeprint::networkpolicy::PolicyPort;
/// let p: PolicyPort = 8080.into(); // TCP 8080
/// let named: PolicyPort = "http".into(); // the pods' port named "http", TCP
/// let dns = PolicyPort::udp(53);
/// let range = PolicyPort::tcp_range(30000, 32767);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyPort {
    protocol: Protocol,
    port: Option<PortRef>,
    end_port: Option<i32>,
}

impl PolicyPort {
    /// A TCP port, by number or by the pods' port name.
    pub fn tcp(port: impl Into<PortRef>) -> Self {
        PolicyPort {
            protocol: Protocol::Tcp,
            port: Some(port.into()),
            end_port: None,
        }
    }

    /// A UDP port.
    pub fn udp(port: impl Into<PortRef>) -> Self {
        PolicyPort {
            protocol: Protocol::Udp,
            port: Some(port.into()),
            end_port: None,
        }
    }

    /// Every port of a protocol.
    pub fn all(protocol: Protocol) -> Self {
        PolicyPort {
            protocol,
            port: None,
            end_port: None,
        }
    }

    /// TCP ports `start..=end`.
    pub fn tcp_range(start: i32, end: i32) -> Self {
        PolicyPort {
            protocol: Protocol::Tcp,
            port: Some(PortRef::Number(start)),
            end_port: Some(end),
        }
    }

    /// Changes the protocol.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    fn to_k8s(&self) -> net::NetworkPolicyPort {
        net::NetworkPolicyPort {
            protocol: self.protocol.to_k8s(),
            port: self.port.as_ref().map(IntOrString::from),
            end_port: self.end_port,
        }
    }
}

impl From<i32> for PolicyPort {
    fn from(n: i32) -> Self {
        PolicyPort::tcp(n)
    }
}

impl From<&str> for PolicyPort {
    fn from(name: &str) -> Self {
        PolicyPort::tcp(name)
    }
}

/// One allow rule: traffic from/to any of `peers` (anyone when empty) on any of `ports` (every
/// port when empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    peers: Vec<Peer>,
    ports: Vec<PolicyPort>,
}

impl Rule {
    /// A rule allowing everything; narrow it with [`Rule::peer`] and [`Rule::port`].
    pub fn new() -> Self {
        Rule::default()
    }

    /// Adds a peer.
    #[must_use]
    pub fn peer(mut self, peer: Peer) -> Self {
        self.peers.push(peer);
        self
    }

    /// Adds a port.
    #[must_use]
    pub fn port(mut self, port: impl Into<PolicyPort>) -> Self {
        self.ports.push(port.into());
        self
    }

    fn parts(
        &self,
    ) -> (
        Option<Vec<net::NetworkPolicyPeer>>,
        Option<Vec<net::NetworkPolicyPort>>,
    ) {
        (
            (!self.peers.is_empty()).then(|| self.peers.iter().map(Peer::to_k8s).collect()),
            (!self.ports.is_empty()).then(|| self.ports.iter().map(PolicyPort::to_k8s).collect()),
        )
    }
}

/// The rules of a policy (what the builder's rule mutators fill in).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    ingress: Vec<Rule>,
    egress: Vec<Rule>,
    isolate_ingress: bool,
    isolate_egress: bool,
}

/// A NetworkPolicy. `name` is required. The policy applies to the pods `pod_selector` selects
/// (every pod of the namespace by default).
///
/// The `policyTypes` are derived: `Ingress` when there are ingress rules or ingress is isolated
/// (or the policy is empty — Kubernetes' "deny all ingress"), `Egress` when there are egress
/// rules or egress is isolated.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::networkpolicy::{Peer, PolicyPort, Rule};
///
/// // Isolate the database, then let only the web tier reach it on 5432, and let it resolve DNS.
/// let policy = NetworkPolicy::builder()
///     .name("db")
///     .pod_selector(Labels::from([("app", "db")]))
///     .deny_all()
///     .allow_from_pods([("app", "web")], [5432])
///     .allow_dns()
///     .build();
/// let spec = policy.to_object()?.spec.unwrap();
/// assert_eq!(spec.policy_types.unwrap(), ["Ingress", "Egress"]);
/// assert_eq!(spec.ingress.unwrap().len(), 1);
///
/// // Rules in full: from a CIDR except one subnet, to TCP ports 8000-8100.
/// let rule = Rule::new()
///     .peer(Peer::cidr_except("10.0.0.0/8", ["10.1.0.0/16"]))
///     .port(PolicyPort::tcp_range(8000, 8100));
/// let policy = NetworkPolicy::builder().name("api").ingress(rule).build();
/// assert!(policy.to_object().is_ok());
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`NetworkPolicy::builder()`](NetworkPolicy::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.pod_selector(impl Into<Selector>)` | The pods the policy applies to; empty = every pod in the namespace. |
/// | `.ingress(rule)` / `.egress(rule)` / `.deny_all()` / `.deny_all_ingress()` / `.deny_all_egress()` / `.allow_from_pods(labels, ports)` / `.allow_from_namespace(namespace, ports)` / `.allow_to_pods(labels, ports)` / `.allow_dns()` (repeatable) | Allow rules and isolation. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct NetworkPolicy {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The pods the policy applies to; empty = every pod in the namespace.
    #[builder(default, setter(into))]
    pod_selector: Selector,
    /// Allow rules and isolation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds an ingress allow rule.
            pub fn ingress(&mut self, rule: Rule) {
                self.rules.ingress.push(rule);
            }
            /// Adds an egress allow rule.
            pub fn egress(&mut self, rule: Rule) {
                self.rules.egress.push(rule);
            }
            /// Isolates the pods in both directions: only what other rules allow gets through.
            pub fn deny_all(&mut self) {
                self.rules.isolate_ingress = true;
                self.rules.isolate_egress = true;
            }
            /// Isolates the pods' ingress.
            pub fn deny_all_ingress(&mut self) {
                self.rules.isolate_ingress = true;
            }
            /// Isolates the pods' egress.
            pub fn deny_all_egress(&mut self) {
                self.rules.isolate_egress = true;
            }
            /// Allows ingress from pods with these labels (same namespace) on these ports
            /// (every port when empty).
            pub fn allow_from_pods<P: Into<PolicyPort>>(&mut self, labels: impl Into<Selector>, ports: impl IntoIterator<Item = P>) {
                let rule = ports.into_iter().fold(Rule::new().peer(Peer::pods(labels)), Rule::port);
                self.rules.ingress.push(rule);
            }
            /// Allows ingress from every pod of the namespace named `namespace` on these ports.
            pub fn allow_from_namespace<P: Into<PolicyPort>>(&mut self, namespace: impl Into<String>, ports: impl IntoIterator<Item = P>) {
                let rule = ports.into_iter().fold(Rule::new().peer(Peer::namespace(namespace)), Rule::port);
                self.rules.ingress.push(rule);
            }
            /// Allows egress to pods with these labels (same namespace) on these ports.
            pub fn allow_to_pods<P: Into<PolicyPort>>(&mut self, labels: impl Into<Selector>, ports: impl IntoIterator<Item = P>) {
                let rule = ports.into_iter().fold(Rule::new().peer(Peer::pods(labels)), Rule::port);
                self.rules.egress.push(rule);
            }
            /// Allows egress to the cluster DNS (pods `k8s-app=kube-dns` in `kube-system`, port 53
            /// over UDP and TCP): needed by nearly every pod whose egress is isolated.
            pub fn allow_dns(&mut self) {
                let dns = Peer::pods_in_namespaces(
                    Selector::new().label("k8s-app", "kube-dns"),
                    Selector::new().label("kubernetes.io/metadata.name", "kube-system"),
                );
                self.rules.egress.push(Rule::new().peer(dns).port(PolicyPort::udp(53)).port(PolicyPort::tcp(53)));
            }
        )
    )]
    rules: Rules,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut net::NetworkPolicy) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<net::NetworkPolicy>,
}

impl NetworkPolicy {
    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for NetworkPolicy {
    type Object = net::NetworkPolicy;

    fn to_object(&self) -> Result<net::NetworkPolicy> {
        let r = &self.rules;
        let egress = r.isolate_egress || !r.egress.is_empty();
        let ingress = r.isolate_ingress || !r.ingress.is_empty() || !egress;
        let mut types = Vec::new();
        if ingress {
            types.push("Ingress".to_owned());
        }
        if egress {
            types.push("Egress".to_owned());
        }
        let mut policy = net::NetworkPolicy {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(net::NetworkPolicySpec {
                pod_selector: Some(self.pod_selector.to_label_selector()),
                policy_types: Some(types),
                ingress: (!r.ingress.is_empty()).then(|| {
                    r.ingress
                        .iter()
                        .map(|rule| {
                            let (from, ports) = rule.parts();
                            net::NetworkPolicyIngressRule { from, ports }
                        })
                        .collect()
                }),
                egress: (!r.egress.is_empty()).then(|| {
                    r.egress
                        .iter()
                        .map(|rule| {
                            let (to, ports) = rule.parts();
                            net::NetworkPolicyEgressRule { to, ports }
                        })
                        .collect()
                }),
            }),
        };
        self.customize.apply(&mut policy);
        policy.to_object()
    }
}

fn check_peers(c: &mut Checker, at: &str, peers: &[net::NetworkPolicyPeer]) {
    for (j, peer) in peers.iter().enumerate() {
        let at = format!("{at}[{j}]");
        let selectors = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
        match &peer.ip_block {
            Some(_) if selectors => c.fail(
                &at,
                "may not specify both ipBlock and a pod or namespace selector",
            ),
            None if !selectors => c.fail(
                &at,
                "must specify a peer (podSelector, namespaceSelector or ipBlock)",
            ),
            _ => {}
        }
        if let Some(s) = &peer.pod_selector {
            check_label_selector(c, &format!("{at}.podSelector"), s);
        }
        if let Some(s) = &peer.namespace_selector {
            check_label_selector(c, &format!("{at}.namespaceSelector"), s);
        }
        if let Some(block) = &peer.ip_block {
            let cidr_ok = parse_cidr(&block.cidr).is_ok();
            c.check(format_args!("{at}.ipBlock.cidr"), network_cidr(&block.cidr));
            for (k, e) in block.except.iter().flatten().enumerate() {
                let path = format!("{at}.ipBlock.except[{k}]");
                match network_cidr(e) {
                    Some(m) => c.fail(path, m),
                    None if cidr_ok && !strictly_within(e, &block.cidr) => {
                        c.fail(
                            path,
                            format!("{e:?} must be a strict subset of cidr {:?}", block.cidr),
                        );
                    }
                    None => {}
                }
            }
        }
    }
}

fn check_ports(c: &mut Checker, at: &str, ports: &[net::NetworkPolicyPort]) {
    for (j, p) in ports.iter().enumerate() {
        let at = format!("{at}[{j}]");
        c.check(
            format_args!("{at}.protocol"),
            check_protocol(p.protocol.as_deref()),
        );
        if let Some(port) = &p.port {
            c.check(format_args!("{at}.port"), check_port_ref(port));
        }
        if let Some(end) = p.end_port {
            match &p.port {
                Some(IntOrString::Int(start)) => {
                    if let Some(m) = validate::port_number(end) {
                        c.fail(format_args!("{at}.endPort"), m);
                    } else if end < *start {
                        c.fail(
                            format_args!("{at}.endPort"),
                            format!("{end} must not be less than port {start}"),
                        );
                    }
                }
                _ => c.fail(
                    format_args!("{at}.endPort"),
                    "may only be set with a numeric port",
                ),
            }
        }
    }
}

impl Validate for net::NetworkPolicy {
    fn validate(&self, c: &mut Checker) {
        let default = net::NetworkPolicySpec::default();
        let spec = self.spec.as_ref().unwrap_or(&default);
        if let Some(s) = &spec.pod_selector {
            check_label_selector(c, "spec.podSelector", s);
        }
        let types = spec.policy_types.as_deref().unwrap_or_default();
        let mut seen = BTreeSet::new();
        for (i, t) in types.iter().enumerate() {
            if !matches!(t.as_str(), "Ingress" | "Egress") {
                c.fail(
                    format_args!("spec.policyTypes[{i}]"),
                    format!("{t:?} is not valid (Ingress, Egress)"),
                );
            } else if !seen.insert(t.as_str()) {
                c.fail(
                    format_args!("spec.policyTypes[{i}]"),
                    format!("duplicate {t:?}"),
                );
            }
        }
        let ingress = spec.ingress.as_deref().unwrap_or_default();
        let egress = spec.egress.as_deref().unwrap_or_default();
        if !types.is_empty() && !ingress.is_empty() && !seen.contains("Ingress") {
            c.fail(
                "spec.ingress",
                "has rules but policyTypes does not include Ingress (they would be ignored)",
            );
        }
        if !types.is_empty() && !egress.is_empty() && !seen.contains("Egress") {
            c.fail(
                "spec.egress",
                "has rules but policyTypes does not include Egress (they would be ignored)",
            );
        }
        for (i, rule) in ingress.iter().enumerate() {
            check_peers(
                c,
                &format!("spec.ingress[{i}].from"),
                rule.from.as_deref().unwrap_or_default(),
            );
            check_ports(
                c,
                &format!("spec.ingress[{i}].ports"),
                rule.ports.as_deref().unwrap_or_default(),
            );
        }
        for (i, rule) in egress.iter().enumerate() {
            check_peers(
                c,
                &format!("spec.egress[{i}].to"),
                rule.to.as_deref().unwrap_or_default(),
            );
            check_ports(
                c,
                &format!("spec.egress[{i}].ports"),
                rule.ports.as_deref().unwrap_or_default(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::type_complexity)]
    fn policy() -> NetworkPolicyBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (Rules,),
        (Customize<net::NetworkPolicy>,),
    )> {
        NetworkPolicy::builder().name("np")
    }

    fn one_error(p: NetworkPolicy) -> String {
        let e = p.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn spec(p: NetworkPolicy) -> net::NetworkPolicySpec {
        p.to_object().unwrap().spec.unwrap()
    }

    #[test]
    fn empty_policy_denies_ingress_to_all_pods() {
        let s = spec(policy().build());
        assert_eq!(s.pod_selector, Some(LabelSelector::default()));
        assert_eq!(s.policy_types.unwrap(), ["Ingress"]);
        assert_eq!((s.ingress, s.egress), (None, None));
    }

    #[test]
    fn deny_all_isolates_both_directions() {
        let s = spec(policy().deny_all().build());
        assert_eq!(s.policy_types.unwrap(), ["Ingress", "Egress"]);
        let s = spec(policy().deny_all_egress().build());
        assert_eq!(s.policy_types.unwrap(), ["Egress"]);
        let s = spec(policy().deny_all_ingress().build());
        assert_eq!(s.policy_types.unwrap(), ["Ingress"]);
    }

    #[test]
    fn egress_only_rules_leave_ingress_alone() {
        let s = spec(policy().allow_to_pods([("app", "db")], [5432]).build());
        assert_eq!(s.policy_types.unwrap(), ["Egress"]);
        let to = &s.egress.unwrap()[0];
        assert_eq!(
            to.ports.as_ref().unwrap()[0].port,
            Some(IntOrString::Int(5432))
        );
    }

    #[test]
    fn allow_helpers() {
        let s = spec(
            policy()
                .pod_selector(Selector::parse("app=db").unwrap())
                .allow_from_pods([("app", "web")], ["postgres"])
                .allow_from_namespace("monitoring", [9187])
                .allow_dns()
                .build(),
        );
        assert_eq!(s.pod_selector.unwrap().match_labels.unwrap()["app"], "db");
        assert_eq!(s.policy_types.unwrap(), ["Ingress", "Egress"]);
        let ingress = s.ingress.unwrap();
        let from = &ingress[0].from.as_ref().unwrap()[0];
        assert_eq!(
            from.pod_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap()["app"],
            "web"
        );
        assert_eq!(
            ingress[0].ports.as_ref().unwrap()[0].port,
            Some(IntOrString::String("postgres".into()))
        );
        let ns = &ingress[1].from.as_ref().unwrap()[0];
        assert_eq!(
            ns.namespace_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap()["kubernetes.io/metadata.name"],
            "monitoring"
        );
        let dns = &s.egress.unwrap()[0];
        let peer = &dns.to.as_ref().unwrap()[0];
        assert!(peer.pod_selector.is_some() && peer.namespace_selector.is_some());
        let ports = dns.ports.as_ref().unwrap();
        assert_eq!(
            (ports[0].protocol.as_deref(), ports[1].protocol.as_deref()),
            (Some("UDP"), Some("TCP"))
        );
        // No ports: every port.
        let s = spec(
            policy()
                .allow_from_pods([("app", "web")], Vec::<i32>::new())
                .build(),
        );
        assert_eq!(s.ingress.unwrap()[0].ports, None);
    }

    #[test]
    fn full_rules() {
        let rule = Rule::new()
            .peer(Peer::cidr_except("10.0.0.0/8", ["10.1.0.0/16"]))
            .peer(Peer::pods_in_namespaces([("app", "x")], [("team", "y")]))
            .port(PolicyPort::tcp_range(8000, 8100))
            .port(PolicyPort::all(Protocol::Udp));
        let s = spec(
            policy()
                .ingress(rule)
                .egress(Rule::new().peer(Peer::cidr("0.0.0.0/0")))
                .build(),
        );
        let from = s.ingress.unwrap()[0].from.clone().unwrap();
        assert_eq!(
            from[0].ip_block.as_ref().unwrap().except.as_ref().unwrap(),
            &["10.1.0.0/16"]
        );
        assert!(from[1].pod_selector.is_some() && from[1].namespace_selector.is_some());
        assert_eq!(
            s.egress.unwrap()[0].to.as_ref().unwrap()[0]
                .ip_block
                .as_ref()
                .unwrap()
                .cidr,
            "0.0.0.0/0"
        );
    }

    #[test]
    fn cidr_math() {
        assert!(cidr("10.0.0.0/8").is_none());
        assert!(cidr("2001:db8::/32").is_none());
        assert!(cidr("0.0.0.0/0").is_none());
        assert_eq!(
            cidr("10.0.0.0").as_deref(),
            Some(r#""10.0.0.0" is not a valid CIDR (expected address/prefix, e.g. 10.0.0.0/16)"#)
        );
        assert_eq!(
            cidr("10.0.0/8").as_deref(),
            Some(r#""10.0.0/8" is not a valid CIDR (bad address)"#)
        );
        assert_eq!(
            cidr("::/129").as_deref(),
            Some(r#""::/129" is not a valid CIDR (prefix length above 128)"#)
        );
        assert_eq!(
            cidr("1.2.3.4/x").as_deref(),
            Some(r#""1.2.3.4/x" is not a valid CIDR (bad prefix length)"#)
        );
        assert!(strictly_within("10.1.0.0/16", "10.0.0.0/8"));
        assert!(strictly_within("10.255.255.255/32", "10.0.0.0/8"));
        assert!(!strictly_within("10.0.0.0/8", "10.0.0.0/8"));
        assert!(!strictly_within("11.0.0.0/16", "10.0.0.0/8"));
        assert!(strictly_within("1.2.3.0/24", "0.0.0.0/0"));
        assert!(!strictly_within("2001:db8::/48", "10.0.0.0/8"));
        assert!(strictly_within("2001:db8:1::/48", "2001:db8::/32"));
    }

    #[test]
    fn rule_selector_values() {
        let p = policy()
            .pod_selector(Selector::new().label("app", "-x"))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.podSelector.matchLabels["app"]: value "-x" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
        let p = policy()
            .allow_from_pods(Selector::new().is_in("tier", Vec::<String>::new()), [80])
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].from[0].podSelector.matchExpressions[0].values: must be non-empty for operator In"#
        );
    }

    #[test]
    fn rule_cidr() {
        let p = policy()
            .ingress(Rule::new().peer(Peer::cidr("10.0.0.0/40")))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0/40" is not a valid CIDR (prefix length above 32)"#
        );
    }

    #[test]
    fn rule_except_within_cidr() {
        let p = policy()
            .egress(Rule::new().peer(Peer::cidr_except("10.0.0.0/16", ["10.1.0.0/24"])))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.egress[0].to[0].ipBlock.except[0]: "10.1.0.0/24" must be a strict subset of cidr "10.0.0.0/16""#
        );
        let p = policy()
            .egress(Rule::new().peer(Peer::cidr_except("10.0.0.0/16", ["bogus"])))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.egress[0].to[0].ipBlock.except[0]: "bogus" is not a valid CIDR (expected address/prefix, e.g. 10.0.0.0/16)"#
        );
    }

    #[test]
    fn rule_peer_shape() {
        let p = policy()
            .ingress(Rule::new().peer(Peer::cidr("10.0.0.0/8")))
            .customize(|n: &mut net::NetworkPolicy| {
                if let Some(rules) = n.spec.as_mut().and_then(|s| s.ingress.as_mut()) {
                    rules[0]
                        .from
                        .as_mut()
                        .into_iter()
                        .for_each(|f| f[0].pod_selector = Some(LabelSelector::default()));
                }
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].from[0]: may not specify both ipBlock and a pod or namespace selector"#
        );
        let p = policy()
            .ingress(Rule::new().peer(Peer::cidr("10.0.0.0/8")))
            .customize(|n: &mut net::NetworkPolicy| {
                if let Some(rules) = n.spec.as_mut().and_then(|s| s.ingress.as_mut()) {
                    rules[0].from = Some(vec![net::NetworkPolicyPeer::default()]);
                }
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].from[0]: must specify a peer (podSelector, namespaceSelector or ipBlock)"#
        );
    }

    #[test]
    fn rule_ports() {
        let p = policy()
            .ingress(Rule::new().port(PolicyPort::tcp(0)))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].ports[0].port: 0 is not a port number (1-65535)"#
        );
        let p = policy().ingress(Rule::new().port("HTTP")).build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].ports[0].port: "HTTP" must consist of lowercase letters, digits and '-'"#
        );
    }

    #[test]
    fn rule_end_port() {
        let p = policy()
            .ingress(Rule::new().port(PolicyPort::tcp_range(9000, 8000)))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].ports[0].endPort: 8000 must not be less than port 9000"#
        );
        let p = policy()
            .ingress(Rule::new().port(PolicyPort::tcp_range(9000, 70000)))
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].ports[0].endPort: 70000 is not a port number (1-65535)"#
        );
        let mut named = PolicyPort::tcp("http");
        named.end_port = Some(90);
        let p = policy().ingress(Rule::new().port(named)).build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].ports[0].endPort: may only be set with a numeric port"#
        );
    }

    #[test]
    fn rule_policy_types() {
        let p = policy()
            .customize(|n: &mut net::NetworkPolicy| {
                n.spec
                    .as_mut()
                    .into_iter()
                    .for_each(|s| s.policy_types = Some(vec!["Ingress".into(), "Inbound".into()]))
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.policyTypes[1]: "Inbound" is not valid (Ingress, Egress)"#
        );
        let p = policy()
            .customize(|n: &mut net::NetworkPolicy| {
                n.spec
                    .as_mut()
                    .into_iter()
                    .for_each(|s| s.policy_types = Some(vec!["Ingress".into(), "Ingress".into()]))
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.policyTypes[1]: duplicate "Ingress""#
        );
    }

    #[test]
    fn rule_rules_need_their_policy_type() {
        let p = policy()
            .allow_to_pods([("app", "db")], [5432])
            .customize(|n: &mut net::NetworkPolicy| {
                n.spec
                    .as_mut()
                    .into_iter()
                    .for_each(|s| s.policy_types = Some(vec!["Ingress".into()]))
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.egress: has rules but policyTypes does not include Egress (they would be ignored)"#
        );
        let p = policy()
            .allow_from_pods([("app", "web")], [80])
            .customize(|n: &mut net::NetworkPolicy| {
                n.spec
                    .as_mut()
                    .into_iter()
                    .for_each(|s| s.policy_types = Some(vec!["Egress".into()]))
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress: has rules but policyTypes does not include Ingress (they would be ignored)"#
        );
    }

    #[test]
    fn rule_protocol() {
        let p = policy()
            .ingress(Rule::new().port(80))
            .customize(|n: &mut net::NetworkPolicy| {
                if let Some(rules) = n.spec.as_mut().and_then(|s| s.ingress.as_mut()) {
                    rules[0]
                        .ports
                        .as_mut()
                        .into_iter()
                        .for_each(|p| p[0].protocol = Some("ICMP".into()));
                }
            })
            .build();
        assert_eq!(
            one_error(p),
            r#"networkpolicy "np": spec.ingress[0].ports[0].protocol: "ICMP" is not a valid protocol (TCP, UDP, SCTP)"#
        );
    }
}
