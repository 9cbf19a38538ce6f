//! Health checks: liveness, readiness and startup probes (chapter 5).
//!
//! ```
//! use kubeprint::pod::Probe;
//! let live = Probe::http_get("/healthy", "http")
//!     .initial_delay(5)
//!     .timeout(1)
//!     .period(10)
//!     .failure_threshold(3);
//! let k8s = live.to_k8s();
//! assert_eq!(k8s.http_get.unwrap().path.as_deref(), Some("/healthy"));
//! assert_eq!(k8s.period_seconds, Some(10));
//! ```

/// A port a probe connects to (defined in [`crate::port`], shared with Services).
pub use crate::port::PortRef;
use k8s_openapi::api::core::v1 as core;

/// A probe: one check (HTTP GET, TCP connect, command, gRPC health) plus its timing.
///
/// Modifiers that belong to one kind of check (`header`, `https`, `host`, `service`) do
/// nothing on the other kinds.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe(core::Probe);

impl Probe {
    fn with(f: impl FnOnce(&mut core::Probe)) -> Self {
        let mut p = core::Probe::default();
        f(&mut p);
        Probe(p)
    }

    /// An HTTP GET of `path` on `port` (a port name or number); 200–399 is healthy.
    ///
    /// ```
    /// use kubeprint::pod::Probe;
    /// let p = Probe::http_get("/ready", 8443).https().header("X-Probe", "kubelet").to_k8s();
    /// let get = p.http_get.unwrap();
    /// assert_eq!(get.scheme.as_deref(), Some("HTTPS"));
    /// assert_eq!(get.http_headers.unwrap()[0].name, "X-Probe");
    /// ```
    pub fn http_get(path: impl Into<String>, port: impl Into<PortRef>) -> Self {
        Probe::with(|p| p.http_get = Some(http_get_action(path.into(), port.into())))
    }

    /// A TCP connection to `port`; healthy when it opens.
    pub fn tcp(port: impl Into<PortRef>) -> Self {
        Probe::with(|p| {
            p.tcp_socket = Some(core::TCPSocketAction {
                port: PortRef::to_k8s(&port.into()),
                host: None,
            })
        })
    }

    /// Runs `command` in the container (no shell); exit code 0 is healthy.
    ///
    /// ```
    /// use kubeprint::pod::Probe;
    /// let p = Probe::exec(["cat", "/tmp/healthy"]).period(5).to_k8s();
    /// assert_eq!(p.exec.unwrap().command.unwrap(), ["cat", "/tmp/healthy"]);
    /// ```
    pub fn exec(command: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let command = command.into_iter().map(Into::into).collect();
        Probe::with(|p| {
            p.exec = Some(core::ExecAction {
                command: Some(command),
            })
        })
    }

    /// The gRPC health-checking protocol on `port` (a number: gRPC probes cannot use names).
    ///
    /// ```
    /// use kubeprint::pod::Probe;
    /// let p = Probe::grpc(9090).service("liveness").to_k8s();
    /// assert_eq!(p.grpc.unwrap().service.as_deref(), Some("liveness"));
    /// ```
    pub fn grpc(port: i32) -> Self {
        Probe::with(|p| {
            p.grpc = Some(core::GRPCAction {
                port,
                ..core::GRPCAction::default()
            })
        })
    }

    /// Adds an HTTP header to an HTTP GET probe.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        add_header(&mut self.0.http_get, name.into(), value.into());
        self
    }

    /// Makes an HTTP GET probe use HTTPS (certificates are not verified).
    #[must_use]
    pub fn https(mut self) -> Self {
        use_https(&mut self.0.http_get);
        self
    }

    /// The host an HTTP GET or TCP probe connects to (default: the pod IP).
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        let host = Some(host.into());
        if let Some(get) = &mut self.0.http_get {
            get.host = host;
        } else if let Some(tcp) = &mut self.0.tcp_socket {
            tcp.host = host;
        }
        self
    }

    /// The service name a gRPC probe asks about.
    #[must_use]
    pub fn service(mut self, service: impl Into<String>) -> Self {
        if let Some(grpc) = &mut self.0.grpc {
            grpc.service = Some(service.into());
        }
        self
    }

    /// Seconds after the container starts before the first probe (`initialDelaySeconds`).
    #[must_use]
    pub fn initial_delay(mut self, seconds: i32) -> Self {
        self.0.initial_delay_seconds = Some(seconds);
        self
    }

    /// Seconds between probes (`periodSeconds`, Kubernetes' default 10).
    #[must_use]
    pub fn period(mut self, seconds: i32) -> Self {
        self.0.period_seconds = Some(seconds);
        self
    }

    /// Seconds before a probe attempt times out (`timeoutSeconds`, default 1).
    #[must_use]
    pub fn timeout(mut self, seconds: i32) -> Self {
        self.0.timeout_seconds = Some(seconds);
        self
    }

    /// Consecutive successes to count as healthy after a failure (`successThreshold`, default
    /// 1; liveness and startup probes must keep 1).
    #[must_use]
    pub fn success_threshold(mut self, n: i32) -> Self {
        self.0.success_threshold = Some(n);
        self
    }

    /// Consecutive failures to count as unhealthy (`failureThreshold`, default 3).
    #[must_use]
    pub fn failure_threshold(mut self, n: i32) -> Self {
        self.0.failure_threshold = Some(n);
        self
    }

    /// Grace period when a failing liveness or startup probe kills the container
    /// (`terminationGracePeriodSeconds`); overrides the pod's. Not allowed on readiness probes.
    #[must_use]
    pub fn termination_grace_period(mut self, seconds: i64) -> Self {
        self.0.termination_grace_period_seconds = Some(seconds);
        self
    }

    /// The probe as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::Probe {
        self.0.clone()
    }
}

impl From<core::Probe> for Probe {
    /// Wraps a raw probe (validated with the pod like any other).
    fn from(p: core::Probe) -> Self {
        Probe(p)
    }
}

/// An HTTP GET of `path` on `port` (probes and lifecycle hooks share it).
pub(super) fn http_get_action(path: String, port: PortRef) -> core::HTTPGetAction {
    core::HTTPGetAction {
        path: Some(path),
        port: PortRef::to_k8s(&port),
        ..core::HTTPGetAction::default()
    }
}

/// Adds a header to an HTTP GET action, if the handler is one.
pub(super) fn add_header(get: &mut Option<core::HTTPGetAction>, name: String, value: String) {
    if let Some(get) = get {
        get.http_headers
            .get_or_insert_with(Vec::new)
            .push(core::HTTPHeader { name, value });
    }
}

/// Switches an HTTP GET action to HTTPS, if the handler is one.
pub(super) fn use_https(get: &mut Option<core::HTTPGetAction>) {
    if let Some(get) = get {
        get.scheme = Some("HTTPS".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    #[test]
    fn http_get_by_name_and_number() {
        let p = Probe::http_get("/healthy", "http").to_k8s();
        let get = p.http_get.unwrap();
        assert_eq!(get.port, IntOrString::String("http".into()));
        assert_eq!(get.scheme, None);
        let p = Probe::http_get("/healthy", 8080).host("localhost").to_k8s();
        let get = p.http_get.unwrap();
        assert_eq!(get.port, IntOrString::Int(8080));
        assert_eq!(get.host.as_deref(), Some("localhost"));
        let p = Probe::http_get("/", String::from("admin"))
            .header("A", "1")
            .header("B", "2")
            .https();
        let get = p.to_k8s().http_get.unwrap();
        assert_eq!(
            get.http_headers
                .unwrap()
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(get.scheme.as_deref(), Some("HTTPS"));
    }

    #[test]
    fn tcp_exec_grpc() {
        let p = Probe::tcp(5432).host("127.0.0.1").to_k8s();
        let tcp = p.tcp_socket.unwrap();
        assert_eq!(
            (tcp.port, tcp.host.as_deref()),
            (IntOrString::Int(5432), Some("127.0.0.1"))
        );
        let p = Probe::exec(vec!["pg_isready".to_owned()]).to_k8s();
        assert_eq!(p.exec.unwrap().command.unwrap(), ["pg_isready"]);
        let p = Probe::grpc(9090).to_k8s();
        let grpc = p.grpc.unwrap();
        assert_eq!((grpc.port, grpc.service), (9090, None));
    }

    #[test]
    fn kind_specific_modifiers_do_not_leak() {
        let p = Probe::tcp("db")
            .https()
            .header("X", "y")
            .service("s")
            .to_k8s();
        assert!(p.http_get.is_none() && p.grpc.is_none());
        assert_eq!(p.tcp_socket.unwrap().port, IntOrString::String("db".into()));
    }

    #[test]
    fn timing() {
        let p = Probe::exec(["true"])
            .initial_delay(5)
            .period(10)
            .timeout(2)
            .success_threshold(1)
            .failure_threshold(4)
            .termination_grace_period(30)
            .to_k8s();
        assert_eq!(p.initial_delay_seconds, Some(5));
        assert_eq!(p.period_seconds, Some(10));
        assert_eq!(p.timeout_seconds, Some(2));
        assert_eq!(p.success_threshold, Some(1));
        assert_eq!(p.failure_threshold, Some(4));
        assert_eq!(p.termination_grace_period_seconds, Some(30));
    }
}
