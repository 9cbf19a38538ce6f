//! Ingress (chapter 8): HTTP routing by host and path to Services, with TLS.
//!
//! A full example and the list of setters are on [`Ingress`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::port::PortRef;
use crate::validate::{self, Checker};
use k8s_openapi::api::networking::v1 as net;
use typed_builder::TypedBuilder;

/// How a path matches request paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathType {
    /// By `/`-separated prefix: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`.
    Prefix,
    /// The exact path only.
    Exact,
    /// Up to the ingress controller.
    ImplementationSpecific,
}

impl PathType {
    fn as_str(self) -> &'static str {
        match self {
            PathType::Prefix => "Prefix",
            PathType::Exact => "Exact",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }
}

/// Where matching requests go: a Service port, by number or by the Service port's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    service: String,
    port: PortRef,
}

impl Backend {
    /// The Service `name`, port `port` (a number, or a Service port name).
    pub fn service(name: impl Into<String>, port: impl Into<PortRef>) -> Self {
        Backend {
            service: name.into(),
            port: port.into(),
        }
    }

    fn to_k8s(&self) -> net::IngressBackend {
        let port = match &self.port {
            PortRef::Number(n) => net::ServiceBackendPort {
                number: Some(*n),
                name: None,
            },
            PortRef::Name(s) => net::ServiceBackendPort {
                name: Some(s.clone()),
                number: None,
            },
        };
        net::IngressBackend {
            service: Some(net::IngressServiceBackend {
                name: self.service.clone(),
                port: Some(port),
            }),
            resource: None,
        }
    }
}

/// The paths of one host (or of every host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressRule {
    host: Option<String>,
    paths: Vec<(String, PathType, Backend)>,
}

impl IngressRule {
    /// Rules for requests to `host` (`*.example.com` wildcards allowed).
    pub fn host(host: impl Into<String>) -> Self {
        IngressRule {
            host: Some(host.into()),
            paths: Vec::new(),
        }
    }

    /// Rules for requests to any host.
    pub fn any_host() -> Self {
        IngressRule {
            host: None,
            paths: Vec::new(),
        }
    }

    /// Routes paths under `path` (a `Prefix` match) to `backend`.
    #[must_use]
    pub fn prefix(self, path: impl Into<String>, backend: Backend) -> Self {
        self.path(path, PathType::Prefix, backend)
    }

    /// Routes exactly `path` to `backend`.
    #[must_use]
    pub fn exact(self, path: impl Into<String>, backend: Backend) -> Self {
        self.path(path, PathType::Exact, backend)
    }

    /// Routes `path`, matched as `path_type`, to `backend`.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>, path_type: PathType, backend: Backend) -> Self {
        self.paths.push((path.into(), path_type, backend));
        self
    }

    fn to_k8s(&self) -> net::IngressRule {
        net::IngressRule {
            host: self.host.clone(),
            http: Some(net::HTTPIngressRuleValue {
                paths: self
                    .paths
                    .iter()
                    .map(|(path, path_type, backend)| net::HTTPIngressPath {
                        path: Some(path.clone()),
                        path_type: path_type.as_str().to_owned(),
                        backend: backend.to_k8s(),
                    })
                    .collect(),
            }),
        }
    }
}

/// An Ingress. `name` is required, plus rules and/or a default backend.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::ingress::{Backend, IngressRule};
///
/// let ingress = Ingress::builder()
///     .name("host-ingress")
///     .ingress_class("nginx")
///     .rule(IngressRule::host("alpaca.example.com").prefix("/", Backend::service("alpaca", "http")))
///     .rule(
///         IngressRule::host("bandicoot.example.com")
///             .prefix("/", Backend::service("bandicoot", 8080))
///             .exact("/healthz", Backend::service("health", 80)),
///     )
///     .tls(["alpaca.example.com"], "alpaca-tls")
///     .build();
/// let spec = ingress.to_object()?.spec.unwrap();
/// assert_eq!(spec.rules.unwrap().len(), 2);
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Ingress::builder()`](Ingress::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations` (controller settings usually go here). |
/// | `.ingress_class(impl Into<String>)` / `.ingress_class_opt(Option<..>)` | `ingressClassName`: which controller serves this Ingress. |
/// | `.default_backend(Backend)` / `.default_backend_opt(Option<..>)` | Where requests no rule matches go. |
/// | `.rule(rule)` (repeatable) | Host and path rules, in the order added. |
/// | `.tls(hosts, secret)` (repeatable) | TLS: hosts and the `kubernetes.io/tls` Secret holding their certificate. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Ingress {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations` (controller settings usually go here).
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// `ingressClassName`: which controller serves this Ingress.
    #[builder(default, setter(into, strip_option(fallback = ingress_class_opt)))]
    ingress_class: Option<String>,
    /// Where requests no rule matches go.
    #[builder(default, setter(strip_option(fallback = default_backend_opt)))]
    default_backend: Option<Backend>,
    /// Host and path rules, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a rule.
            pub fn rule(&mut self, rule: IngressRule) {
                self.rules.push(rule);
            }
        )
    )]
    rules: Vec<IngressRule>,
    /// TLS: hosts and the `kubernetes.io/tls` Secret holding their certificate.
    #[builder(
        via_mutators,
        mutators(
            /// Terminates TLS for `hosts` with the certificate in Secret `secret`.
            pub fn tls<H: Into<String>>(&mut self, hosts: impl IntoIterator<Item = H>, secret: impl Into<String>) {
                self.tls.push((hosts.into_iter().map(Into::into).collect(), secret.into()));
            }
        )
    )]
    tls: Vec<(Vec<String>, String)>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut net::Ingress) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<net::Ingress>,
}

impl Ingress {
    /// The Ingress's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for Ingress {
    type Object = net::Ingress;

    fn to_object(&self) -> Result<net::Ingress> {
        let mut ingress = net::Ingress {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            spec: Some(net::IngressSpec {
                ingress_class_name: self.ingress_class.clone(),
                default_backend: self.default_backend.as_ref().map(Backend::to_k8s),
                rules: (!self.rules.is_empty())
                    .then(|| self.rules.iter().map(IngressRule::to_k8s).collect()),
                tls: (!self.tls.is_empty()).then(|| {
                    self.tls
                        .iter()
                        .map(|(hosts, secret)| net::IngressTLS {
                            hosts: (!hosts.is_empty()).then(|| hosts.clone()),
                            secret_name: Some(secret.clone()),
                        })
                        .collect()
                }),
            }),
            status: None,
        };
        self.customize.apply(&mut ingress);
        ingress.to_object()
    }
}

/// An Ingress host: a DNS name, optionally with a leading `*.` wildcard label; never an IP.
fn check_host(host: &str) -> Option<String> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Some(format!("{host:?} must be a DNS name, not an IP address"));
    }
    let rest = host.strip_prefix("*.").unwrap_or(host);
    if rest.contains('*') {
        return Some(format!(
            "{host:?}: a wildcard '*' is only allowed as the whole first label (*.example.com)"
        ));
    }
    validate::dns1123_subdomain(rest).map(|m| {
        if rest == host {
            m
        } else {
            format!("{host:?}: {m}")
        }
    })
}

fn check_path(path: Option<&str>, path_type: &str) -> Option<String> {
    let strict = matches!(path_type, "Prefix" | "Exact");
    let Some(path) = path.filter(|p| !p.is_empty()) else {
        return strict.then(|| format!("required for pathType {path_type}"));
    };
    if !path.starts_with('/') {
        return Some(format!(
            "{path:?} must be an absolute path (start with '/')"
        ));
    }
    if strict {
        if let Some(seq) = ["//", "/./", "/../", "%2f", "%2F"]
            .into_iter()
            .find(|s| path.contains(s))
        {
            return Some(format!("{path:?} must not contain {seq:?}"));
        }
        if let Some(suffix) = ["/..", "/."].into_iter().find(|s| path.ends_with(s)) {
            return Some(format!("{path:?} must not end with {suffix:?}"));
        }
    }
    None
}

fn check_backend(c: &mut Checker, at: &str, backend: &net::IngressBackend) {
    match (&backend.service, &backend.resource) {
        (Some(service), None) => {
            c.check(
                format_args!("{at}.service.name"),
                validate::dns1035_label(&service.name),
            );
            match service.port.as_ref().map(|p| (&p.name, p.number)) {
                Some((Some(name), None)) => c.check(
                    format_args!("{at}.service.port.name"),
                    validate::port_name(name),
                ),
                Some((None, Some(n))) => c.check(
                    format_args!("{at}.service.port.number"),
                    validate::port_number(n),
                ),
                _ => c.fail(
                    format_args!("{at}.service.port"),
                    "must specify exactly one of name or number",
                ),
            }
        }
        (None, Some(_)) => {}
        _ => c.fail(at, "must specify exactly one of service or resource"),
    }
}

impl Validate for net::Ingress {
    fn validate(&self, c: &mut Checker) {
        let Some(spec) = &self.spec else {
            c.fail("spec", "required");
            return;
        };
        let rules = spec.rules.as_deref().unwrap_or_default();
        if rules.is_empty() && spec.default_backend.is_none() {
            c.fail("spec", "either defaultBackend or rules must be specified");
        }
        if let Some(class) = &spec.ingress_class_name {
            c.check("spec.ingressClassName", validate::dns1123_subdomain(class));
        }
        if let Some(b) = &spec.default_backend {
            check_backend(c, "spec.defaultBackend", b);
        }
        for (i, rule) in rules.iter().enumerate() {
            if let Some(host) = &rule.host {
                c.check(format_args!("spec.rules[{i}].host"), check_host(host));
            }
            let Some(http) = &rule.http else { continue };
            if http.paths.is_empty() {
                c.fail(
                    format_args!("spec.rules[{i}].http.paths"),
                    "at least one path is required",
                );
            }
            for (j, p) in http.paths.iter().enumerate() {
                let at = format!("spec.rules[{i}].http.paths[{j}]");
                if !matches!(
                    p.path_type.as_str(),
                    "Prefix" | "Exact" | "ImplementationSpecific"
                ) {
                    c.fail(
                        format_args!("{at}.pathType"),
                        format!(
                            "{:?} is not valid (Prefix, Exact, ImplementationSpecific)",
                            p.path_type
                        ),
                    );
                }
                c.check(
                    format_args!("{at}.path"),
                    check_path(p.path.as_deref(), &p.path_type),
                );
                check_backend(c, &format!("{at}.backend"), &p.backend);
            }
        }
        for (i, tls) in spec.tls.iter().flatten().enumerate() {
            for (j, host) in tls.hosts.iter().flatten().enumerate() {
                c.check(format_args!("spec.tls[{i}].hosts[{j}]"), check_host(host));
            }
            if let Some(secret) = &tls.secret_name {
                c.check(
                    format_args!("spec.tls[{i}].secretName"),
                    validate::dns1123_subdomain(secret),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_error(i: Ingress) -> String {
        let e = i.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn with_rule(rule: IngressRule) -> Ingress {
        Ingress::builder().name("web").rule(rule).build()
    }

    fn to(svc: &str) -> Backend {
        Backend::service(svc, 80)
    }

    #[test]
    fn rules_paths_backends_tls() {
        let o = Ingress::builder()
            .name("web")
            .namespace("prod")
            .annotations([("nginx.ingress.kubernetes.io/rewrite-target", "/")])
            .ingress_class("nginx")
            .default_backend(Backend::service("default-http", "http"))
            .rule(
                IngressRule::host("a.example.com")
                    .prefix("/", to("a"))
                    .exact("/x", Backend::service("x", "web")),
            )
            .rule(IngressRule::any_host().path(
                "/static",
                PathType::ImplementationSpecific,
                to("files"),
            ))
            .tls(["a.example.com", "*.example.com"], "example-tls")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(o.metadata.annotations.unwrap().len(), 1);
        let spec = o.spec.unwrap();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
        let default = spec.default_backend.unwrap().service.unwrap();
        assert_eq!(
            (default.name.as_str(), default.port.unwrap().name.as_deref()),
            ("default-http", Some("http"))
        );
        let rules = spec.rules.unwrap();
        let paths = &rules[0].http.as_ref().unwrap().paths;
        assert_eq!(
            (paths[0].path.as_deref(), paths[0].path_type.as_str()),
            (Some("/"), "Prefix")
        );
        assert_eq!(
            paths[0]
                .backend
                .service
                .as_ref()
                .unwrap()
                .port
                .as_ref()
                .unwrap()
                .number,
            Some(80)
        );
        assert_eq!(paths[1].path_type, "Exact");
        assert_eq!(rules[1].host, None);
        assert_eq!(
            rules[1].http.as_ref().unwrap().paths[0].path_type,
            "ImplementationSpecific"
        );
        let tls = &spec.tls.unwrap()[0];
        assert_eq!(tls.hosts.as_ref().unwrap().len(), 2);
        assert_eq!(tls.secret_name.as_deref(), Some("example-tls"));
    }

    #[test]
    fn rule_rules_or_default_backend() {
        assert_eq!(
            one_error(Ingress::builder().name("web").build()),
            r#"ingress "web": spec: either defaultBackend or rules must be specified"#
        );
        assert!(
            Ingress::builder()
                .name("web")
                .default_backend(to("a"))
                .build()
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_path_absolute() {
        assert_eq!(
            one_error(with_rule(
                IngressRule::host("a.example.com").prefix("api", to("a"))
            )),
            r#"ingress "web": spec.rules[0].http.paths[0].path: "api" must be an absolute path (start with '/')"#
        );
        assert_eq!(
            one_error(with_rule(IngressRule::any_host().path(
                "api",
                PathType::ImplementationSpecific,
                to("a")
            ))),
            r#"ingress "web": spec.rules[0].http.paths[0].path: "api" must be an absolute path (start with '/')"#
        );
        assert_eq!(
            one_error(with_rule(IngressRule::any_host().prefix("", to("a")))),
            r#"ingress "web": spec.rules[0].http.paths[0].path: required for pathType Prefix"#
        );
    }

    #[test]
    fn rule_path_sequences() {
        assert_eq!(
            one_error(with_rule(IngressRule::any_host().prefix("/a//b", to("a")))),
            r#"ingress "web": spec.rules[0].http.paths[0].path: "/a//b" must not contain "//""#
        );
        assert_eq!(
            one_error(with_rule(IngressRule::any_host().exact("/a/..", to("a")))),
            r#"ingress "web": spec.rules[0].http.paths[0].path: "/a/.." must not end with "/..""#
        );
        // Controllers may give ImplementationSpecific paths their own meaning (regexes ...).
        assert!(
            with_rule(IngressRule::any_host().path(
                "/a//b",
                PathType::ImplementationSpecific,
                to("a")
            ))
            .to_object()
            .is_ok()
        );
    }

    #[test]
    fn rule_host() {
        assert_eq!(
            one_error(with_rule(
                IngressRule::host("10.0.0.1").prefix("/", to("a"))
            )),
            r#"ingress "web": spec.rules[0].host: "10.0.0.1" must be a DNS name, not an IP address"#
        );
        assert_eq!(
            one_error(with_rule(
                IngressRule::host("a.*.example.com").prefix("/", to("a"))
            )),
            r#"ingress "web": spec.rules[0].host: "a.*.example.com": a wildcard '*' is only allowed as the whole first label (*.example.com)"#
        );
        assert_eq!(
            one_error(with_rule(
                IngressRule::host("Example.com").prefix("/", to("a"))
            )),
            r#"ingress "web": spec.rules[0].host: "Example.com" must consist of lowercase letters, digits, '-' and '.'"#
        );
        assert_eq!(
            one_error(with_rule(
                IngressRule::host("*.Example.com").prefix("/", to("a"))
            )),
            r#"ingress "web": spec.rules[0].host: "*.Example.com": "Example.com" must consist of lowercase letters, digits, '-' and '.'"#
        );
        assert!(
            with_rule(IngressRule::host("*.example.com").prefix("/", to("a")))
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_paths_required() {
        assert_eq!(
            one_error(with_rule(IngressRule::host("a.example.com"))),
            r#"ingress "web": spec.rules[0].http.paths: at least one path is required"#
        );
    }

    #[test]
    fn rule_backend_service() {
        assert_eq!(
            one_error(with_rule(
                IngressRule::any_host().prefix("/", Backend::service("1svc", 80))
            )),
            r#"ingress "web": spec.rules[0].http.paths[0].backend.service.name: "1svc" must start with a lowercase letter"#
        );
        assert_eq!(
            one_error(with_rule(
                IngressRule::any_host().prefix("/", Backend::service("svc", 0))
            )),
            r#"ingress "web": spec.rules[0].http.paths[0].backend.service.port.number: 0 is not a port number (1-65535)"#
        );
        assert_eq!(
            one_error(with_rule(
                IngressRule::any_host().prefix("/", Backend::service("svc", "HTTP"))
            )),
            r#"ingress "web": spec.rules[0].http.paths[0].backend.service.port.name: "HTTP" must consist of lowercase letters, digits and '-'"#
        );
    }

    #[test]
    fn rule_backend_shape() {
        let i = Ingress::builder()
            .name("web")
            .default_backend(to("a"))
            .customize(|i: &mut net::Ingress| {
                if let Some(b) = i.spec.as_mut().and_then(|s| s.default_backend.as_mut()) {
                    b.service.as_mut().into_iter().for_each(|s| {
                        s.port = Some(net::ServiceBackendPort {
                            name: Some("http".into()),
                            number: Some(80),
                        })
                    });
                }
            })
            .build();
        assert_eq!(
            one_error(i),
            r#"ingress "web": spec.defaultBackend.service.port: must specify exactly one of name or number"#
        );
        let i = Ingress::builder()
            .name("web")
            .default_backend(to("a"))
            .customize(|i: &mut net::Ingress| {
                i.spec
                    .as_mut()
                    .into_iter()
                    .for_each(|s| s.default_backend = Some(net::IngressBackend::default()))
            })
            .build();
        assert_eq!(
            one_error(i),
            r#"ingress "web": spec.defaultBackend: must specify exactly one of service or resource"#
        );
    }

    #[test]
    fn rule_path_type() {
        let i = with_rule(IngressRule::any_host().prefix("/", to("a"))).clone();
        let i = Ingress {
            customize: Customize::default(),
            ..i
        };
        let mut o = i.to_object().unwrap();
        if let Some(rules) = o.spec.as_mut().and_then(|s| s.rules.as_mut()) {
            rules[0]
                .http
                .as_mut()
                .into_iter()
                .for_each(|h| h.paths[0].path_type = "Regex".into());
        }
        let e = o.to_object().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"ingress "web": spec.rules[0].http.paths[0].pathType: "Regex" is not valid (Prefix, Exact, ImplementationSpecific)"#
        );
    }

    #[test]
    fn rule_tls() {
        let i = Ingress::builder()
            .name("web")
            .default_backend(to("a"))
            .tls(["1.2.3.4"], "Bad_Secret")
            .build();
        let e = i.to_object().unwrap_err();
        let lines: Vec<String> = e.violations().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                r#"ingress "web": spec.tls[0].hosts[0]: "1.2.3.4" must be a DNS name, not an IP address"#,
                r#"ingress "web": spec.tls[0].secretName: "Bad_Secret" must consist of lowercase letters, digits, '-' and '.'"#,
            ]
        );
    }

    #[test]
    fn rule_ingress_class() {
        let i = Ingress::builder()
            .name("web")
            .default_backend(to("a"))
            .ingress_class("NGINX")
            .build();
        assert_eq!(
            one_error(i),
            r#"ingress "web": spec.ingressClassName: "NGINX" must consist of lowercase letters, digits, '-' and '.'"#
        );
    }
}
