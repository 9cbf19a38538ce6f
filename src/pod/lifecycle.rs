//! Container lifecycle hooks: `postStart` and `preStop` (chapter 5).
//!
//! A `preStop` hook runs before the container gets SIGTERM; the usual use is a short sleep so
//! load balancers stop sending traffic before the server shuts down, or a command asking the
//! server to drain. A `postStart` hook runs right after the container is created.
//!
//! ```
//! use kubeprint::prelude::*;
//! let web = Container::builder()
//!     .name("nginx")
//!     .image("nginx:1.27")
//!     .port(Port::tcp("http", 8080))
//!     .post_start(Hook::http_get("/warm-up", "http"))
//!     .pre_stop(Hook::exec(["nginx", "-s", "quit"]))
//!     .build();
//! let template = PodTemplate::builder().container(web).termination_grace_period(60).build();
//! let spec = template.to_template_spec("web").spec.unwrap();
//! let lifecycle = spec.containers[0].lifecycle.clone().unwrap();
//! assert_eq!(lifecycle.pre_stop.unwrap().exec.unwrap().command.unwrap(), ["nginx", "-s", "quit"]);
//! assert!(lifecycle.post_start.unwrap().http_get.is_some());
//! ```
//!
//! The pod checks mirror the apiserver: exactly one handler, a non-empty command, a valid port
//! (a name must be one of the container's ports, as for probes), and a sleep of at least one
//! second that fits in the pod's `terminationGracePeriodSeconds` (30 when unset). kubeprint is
//! stricter than the apiserver in two ways: a sleep of 0 seconds (a no-op the apiserver accepts)
//! is an error, and a sleep must be *shorter* than the grace period, not equal to it — a
//! container that sleeps the whole grace period is killed without ever seeing SIGTERM.

use super::probe::{add_header, http_get_action, use_https};
/// A port a hook connects to (defined in [`crate::port`], shared with probes and Services).
pub use crate::port::PortRef;
use k8s_openapi::api::core::v1 as core;

/// What a lifecycle hook does: run a command, make an HTTP GET, or sleep.
///
/// Modifiers that belong to HTTP GET hooks (`header`, `https`, `host`) do nothing on the
/// other kinds.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook(core::LifecycleHandler);

impl Hook {
    fn with(f: impl FnOnce(&mut core::LifecycleHandler)) -> Self {
        let mut h = core::LifecycleHandler::default();
        f(&mut h);
        Hook(h)
    }

    /// Runs `command` in the container (no shell). A failing `postStart` command kills the
    /// container; a failing `preStop` command is only logged as an event.
    ///
    /// ```
    /// use kubeprint::pod::Hook;
    /// let h = Hook::exec(["/bin/sh", "-c", "sleep 5 && nginx -s quit"]).to_k8s();
    /// assert_eq!(h.exec.unwrap().command.unwrap()[0], "/bin/sh");
    /// ```
    pub fn exec(command: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let command = command.into_iter().map(Into::into).collect();
        Hook::with(|h| {
            h.exec = Some(core::ExecAction {
                command: Some(command),
            })
        })
    }

    /// An HTTP GET of `path` on `port` (a port name of the container, or a number).
    ///
    /// ```
    /// use kubeprint::pod::Hook;
    /// let h = Hook::http_get("/shutdown", "http").header("X-Drain", "1").to_k8s();
    /// let get = h.http_get.unwrap();
    /// assert_eq!(get.path.as_deref(), Some("/shutdown"));
    /// assert_eq!(get.http_headers.unwrap()[0].value, "1");
    /// ```
    pub fn http_get(path: impl Into<String>, port: impl Into<PortRef>) -> Self {
        Hook::with(|h| h.http_get = Some(http_get_action(path.into(), port.into())))
    }

    /// Sleeps `seconds` (the kubelet sleeps; the image needs no `sleep` binary). At least 1,
    /// and less than the pod's termination grace period.
    ///
    /// ```
    /// use kubeprint::pod::Hook;
    /// assert_eq!(Hook::sleep(5).to_k8s().sleep.unwrap().seconds, 5);
    /// ```
    pub fn sleep(seconds: i64) -> Self {
        Hook::with(|h| h.sleep = Some(core::SleepAction { seconds }))
    }

    /// Adds an HTTP header to an HTTP GET hook.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        add_header(&mut self.0.http_get, name.into(), value.into());
        self
    }

    /// Makes an HTTP GET hook use HTTPS (certificates are not verified).
    #[must_use]
    pub fn https(mut self) -> Self {
        use_https(&mut self.0.http_get);
        self
    }

    /// The host an HTTP GET hook connects to (default: the pod IP).
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        if let Some(get) = &mut self.0.http_get {
            get.host = Some(host.into());
        }
        self
    }

    /// The hook as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::LifecycleHandler {
        self.0.clone()
    }
}

impl From<core::LifecycleHandler> for Hook {
    /// Wraps a raw handler (validated with the pod like any other).
    fn from(h: core::LifecycleHandler) -> Self {
        Hook(h)
    }
}

/// The `lifecycle` of a container with these hooks, if there are any.
pub(crate) fn lifecycle(
    post_start: Option<&Hook>,
    pre_stop: Option<&Hook>,
) -> Option<core::Lifecycle> {
    (post_start.is_some() || pre_stop.is_some()).then(|| core::Lifecycle {
        post_start: post_start.map(Hook::to_k8s),
        pre_stop: pre_stop.map(Hook::to_k8s),
        ..core::Lifecycle::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    #[test]
    fn handlers() {
        let h = Hook::http_get("/quit", 8080)
            .https()
            .host("localhost")
            .to_k8s();
        let get = h.http_get.unwrap();
        assert_eq!(get.port, IntOrString::Int(8080));
        assert_eq!(get.scheme.as_deref(), Some("HTTPS"));
        assert_eq!(get.host.as_deref(), Some("localhost"));
        assert!(h.exec.is_none() && h.sleep.is_none() && h.tcp_socket.is_none());
        let h = Hook::http_get("/quit", "admin").to_k8s();
        assert_eq!(
            h.http_get.unwrap().port,
            IntOrString::String("admin".into())
        );
        let h = Hook::exec(vec!["true".to_owned()]).to_k8s();
        assert_eq!(h.exec.unwrap().command.unwrap(), ["true"]);
    }

    #[test]
    fn http_modifiers_do_not_leak() {
        let h = Hook::sleep(3).https().header("A", "b").host("x").to_k8s();
        assert_eq!(
            h,
            core::LifecycleHandler {
                sleep: Some(core::SleepAction { seconds: 3 }),
                ..Default::default()
            }
        );
    }

    #[test]
    fn lifecycle_only_when_a_hook_is_set() {
        assert_eq!(lifecycle(None, None), None);
        let stop = Hook::sleep(5);
        let l = lifecycle(None, Some(&stop)).unwrap();
        assert_eq!(l.post_start, None);
        assert_eq!(l.pre_stop.unwrap().sleep.unwrap().seconds, 5);
        let raw = core::LifecycleHandler::default();
        assert_eq!(Hook::from(raw.clone()).to_k8s(), raw);
    }
}
