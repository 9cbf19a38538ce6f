//! Containers and their ports.
//!
//! ```
//! use kubeprint::prelude::*;
//! let kuard = Container::builder()
//!     .name("kuard")
//!     .image("gcr.io/kuar-demo/kuard-amd64:blue")
//!     .port(Port::tcp("http", 8080))
//!     .liveness(Probe::http_get("/healthy", "http").initial_delay(5).period(10))
//!     .resources(Resources::new().requests(Cpu::millis(500), Memory::mib(128)))
//!     .build();
//! assert_eq!(kuard.name(), "kuard");
//! assert_eq!(kuard.ports()[0].number(), 8080);
//! ```

use crate::meta::Customize;
use crate::pod::env::{EnvFrom, EnvVar};
use crate::pod::lifecycle::{Hook, lifecycle};
use crate::pod::probe::Probe;
use crate::pod::resources::Resources;
use crate::pod::security::ContainerSecurity;
use crate::pod::volume::Mount;
/// The protocol of a container port (defined in [`crate::port`], shared with Services).
pub use crate::port::Protocol;
use k8s_openapi::api::core::v1 as core;
use typed_builder::TypedBuilder;

/// A port a container listens on.
///
/// Name ports: probes and Services can then refer to them by name, and the number can change
/// in one place.
///
/// ```
/// use kubeprint::pod::{Port, Protocol};
/// let dns = Port::udp("dns", 53);
/// assert_eq!(dns.protocol(), Protocol::Udp);
/// let web = Port::tcp("http", 8080).host_port(80);
/// let k8s = web.to_container_port();
/// assert_eq!((k8s.container_port, k8s.host_port), (8080, Some(80)));
/// assert_eq!(k8s.protocol.as_deref(), Some("TCP"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Port {
    name: Option<String>,
    number: i32,
    protocol: Protocol,
    host_port: Option<i32>,
    host_ip: Option<String>,
}

impl Port {
    fn new(name: Option<String>, number: i32, protocol: Protocol) -> Self {
        Port {
            name,
            number,
            protocol,
            host_port: None,
            host_ip: None,
        }
    }

    /// A named TCP port.
    pub fn tcp(name: impl Into<String>, number: i32) -> Self {
        Port::new(Some(name.into()), number, Protocol::Tcp)
    }

    /// A named UDP port.
    pub fn udp(name: impl Into<String>, number: i32) -> Self {
        Port::new(Some(name.into()), number, Protocol::Udp)
    }

    /// A named SCTP port.
    pub fn sctp(name: impl Into<String>, number: i32) -> Self {
        Port::new(Some(name.into()), number, Protocol::Sctp)
    }

    /// An unnamed TCP port (probes and Services can only refer to it by number).
    pub fn unnamed(number: i32) -> Self {
        Port::new(None, number, Protocol::Tcp)
    }

    /// Also exposes the port on the node's IP at `port` (`hostPort`). Rarely a good idea: it
    /// limits scheduling to one such pod per node, and Pod Security *baseline* forbids it.
    #[must_use]
    pub fn host_port(mut self, port: i32) -> Self {
        self.host_port = Some(port);
        self
    }

    /// The node IP the host port binds to (`hostIP`).
    #[must_use]
    pub fn host_ip(mut self, ip: impl Into<String>) -> Self {
        self.host_ip = Some(ip.into());
        self
    }

    /// The port's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The port number in the container.
    pub fn number(&self) -> i32 {
        self.number
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The port as `k8s-openapi` holds it (`protocol` always explicit).
    pub fn to_container_port(&self) -> core::ContainerPort {
        core::ContainerPort {
            name: self.name.clone(),
            container_port: self.number,
            protocol: self.protocol.to_k8s(),
            host_port: self.host_port,
            host_ip: self.host_ip.clone(),
        }
    }
}

/// When the kubelet pulls the container image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImagePullPolicy {
    /// Pull on every container start.
    Always,
    /// Pull only when the image is not on the node.
    IfNotPresent,
    /// Never pull; the image must be on the node.
    Never,
}

impl ImagePullPolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ImagePullPolicy::Always => "Always",
            ImagePullPolicy::IfNotPresent => "IfNotPresent",
            ImagePullPolicy::Never => "Never",
        }
    }
}

fn strings(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

/// One container of a pod. `name` and `image` are required.
///
/// Arguments may refer to environment variables as `$(NAME)`; Kubernetes expands them before
/// starting the container (no shell needed), and `$$(NAME)` escapes the expansion:
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let c = Container::builder()
///     .name("greeter")
///     .image("busybox:1.36")
///     .env(EnvVar::value("GREETING", "hello"))
///     .env(EnvVar::field("POD_IP", "status.podIP"))
///     .command(["echo"])
///     .args(["$(GREETING) from $(POD_IP)"])
///     .build();
/// assert_eq!(c.name(), "greeter");
/// ```
///
/// Every container gets the pod's container security defaults (see
/// [`PodSecurity`](crate::pod::PodSecurity)); `.security(..)` overrides them for this container.
///
/// # Setters
///
/// On [`Container::new`] (the required fields as arguments) or [`Container::builder()`](Container::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | The container's name, unique in its pod (a DNS-1123 label). |
/// | `.image(impl Into<String>)` — **required** | The image reference, e.g. `gcr.io/kuar-demo/kuard-amd64:blue`. |
/// | `.command(command)` (repeatable) | The entrypoint (`command`), replacing the image's ENTRYPOINT. |
/// | `.args(args)` (repeatable) | Arguments (`args`), replacing the image's CMD. `$(VAR)` refers to an environment variable. |
/// | `.working_dir(impl Into<String>)` / `.working_dir_opt(Option<..>)` | The working directory (`workingDir`). |
/// | `.image_pull_policy(ImagePullPolicy)` / `.image_pull_policy_opt(Option<..>)` | When to pull the image (`imagePullPolicy`); Kubernetes' default depends on the tag. |
/// | `.port(port)` (repeatable) | Container ports, in the order added. |
/// | `.env(var)` (repeatable) | Environment variables, in the order added (later ones may refer to earlier ones). |
/// | `.env_from(source)` (repeatable) | Whole ConfigMaps or Secrets as environment variables. |
/// | `.liveness(Probe)` / `.liveness_opt(Option<..>)` | The liveness probe: failing it restarts the container. |
/// | `.readiness(Probe)` / `.readiness_opt(Option<..>)` | The readiness probe: failing it takes the pod out of Service endpoints. |
/// | `.startup(Probe)` / `.startup_opt(Option<..>)` | The startup probe: the other probes wait until it succeeds once. |
/// | `.post_start(Hook)` / `.post_start_opt(Option<..>)` | A hook run right after the container is created (`lifecycle.postStart`). |
/// | `.pre_stop(Hook)` / `.pre_stop_opt(Option<..>)` | A hook run before the container gets SIGTERM (`lifecycle.preStop`), e.g. `Hook::sleep(5)` so load balancers stop sending traffic first. |
/// | `.resources(Resources)` | CPU, memory and ephemeral-storage requests and limits. |
/// | `.mount(mount)` (repeatable) | Volume mounts, in the order added. |
/// | `.security(ContainerSecurity)` | Overrides of the pod's container security defaults for this container. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished container; the pod is validated afterwards. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Container {
    /// The container's name, unique in its pod (a DNS-1123 label).
    #[builder(setter(into))]
    name: String,
    /// The image reference, e.g. `gcr.io/kuar-demo/kuard-amd64:blue`.
    #[builder(setter(into))]
    image: String,
    /// The entrypoint (`command`), replacing the image's ENTRYPOINT.
    #[builder(
        via_mutators,
        mutators(
            /// Sets the entrypoint (`command`), replacing the image's ENTRYPOINT.
            pub fn command(&mut self, command: impl IntoIterator<Item = impl Into<String>>) {
                self.command = strings(command);
            }
        )
    )]
    command: Vec<String>,
    /// Arguments (`args`), replacing the image's CMD. `$(VAR)` refers to an environment variable.
    #[builder(
        via_mutators,
        mutators(
            /// Sets the arguments (`args`), replacing the image's CMD; `$(VAR)` refers to an
            /// environment variable.
            pub fn args(&mut self, args: impl IntoIterator<Item = impl Into<String>>) {
                self.args = strings(args);
            }
        )
    )]
    args: Vec<String>,
    /// The working directory (`workingDir`).
    #[builder(default, setter(into, strip_option(fallback = working_dir_opt)))]
    working_dir: Option<String>,
    /// When to pull the image (`imagePullPolicy`); Kubernetes' default depends on the tag.
    #[builder(default, setter(strip_option(fallback = image_pull_policy_opt)))]
    image_pull_policy: Option<ImagePullPolicy>,
    /// Container ports, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a port (`Port::tcp("http", 8080)`).
            pub fn port(&mut self, port: Port) {
                self.ports.push(port);
            }
        )
    )]
    ports: Vec<Port>,
    /// Environment variables, in the order added (later ones may refer to earlier ones).
    #[builder(
        via_mutators,
        mutators(
            /// Adds an environment variable.
            pub fn env(&mut self, var: EnvVar) {
                self.env.push(var);
            }
        )
    )]
    env: Vec<EnvVar>,
    /// Whole ConfigMaps or Secrets as environment variables.
    #[builder(
        via_mutators,
        mutators(
            /// Adds every key of a ConfigMap or Secret as an environment variable.
            pub fn env_from(&mut self, source: EnvFrom) {
                self.env_from.push(source);
            }
        )
    )]
    env_from: Vec<EnvFrom>,
    /// The liveness probe: failing it restarts the container.
    #[builder(default, setter(strip_option(fallback = liveness_opt)))]
    liveness: Option<Probe>,
    /// The readiness probe: failing it takes the pod out of Service endpoints.
    #[builder(default, setter(strip_option(fallback = readiness_opt)))]
    readiness: Option<Probe>,
    /// The startup probe: the other probes wait until it succeeds once.
    #[builder(default, setter(strip_option(fallback = startup_opt)))]
    startup: Option<Probe>,
    /// A hook run right after the container is created (`lifecycle.postStart`).
    #[builder(default, setter(strip_option(fallback = post_start_opt)))]
    post_start: Option<Hook>,
    /// A hook run before the container gets SIGTERM (`lifecycle.preStop`), e.g.
    /// `Hook::sleep(5)` so load balancers stop sending traffic first.
    #[builder(default, setter(strip_option(fallback = pre_stop_opt)))]
    pre_stop: Option<Hook>,
    /// CPU, memory and ephemeral-storage requests and limits.
    #[builder(default)]
    resources: Resources,
    /// Volume mounts, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Mounts one of the pod's volumes (`Mount::new("data", "/data")`).
            pub fn mount(&mut self, mount: Mount) {
                self.mounts.push(mount);
            }
        )
    )]
    mounts: Vec<Mount>,
    /// Overrides of the pod's container security defaults for this container.
    #[builder(default)]
    security: ContainerSecurity,
    /// Escape hatch: hooks run on the finished container; the pod is validated afterwards.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished container.
            pub fn customize(&mut self, f: impl Fn(&mut core::Container) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::Container>,
}

impl Container {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the container name and its image; go on with any
    /// other setter, then `.build()`. Same as `Container::builder().name(..).image(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        image: impl Into<String>,
    ) -> ContainerBuilder<(
        (String,),
        (String,),
        (Vec<String>,),
        (Vec<String>,),
        (),
        (),
        (Vec<Port>,),
        (Vec<EnvVar>,),
        (Vec<EnvFrom>,),
        (),
        (),
        (),
        (),
        (),
        (),
        (Vec<Mount>,),
        (),
        (Customize<core::Container>,),
    )> {
        Self::builder().name(name).image(image)
    }
}

impl Container {
    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The image reference.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// The container's ports.
    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    /// The container as `k8s-openapi` holds it, with `defaults` (the pod's container security
    /// defaults) under this container's own security overrides; customize hooks run last.
    pub(crate) fn to_k8s(&self, defaults: Option<&core::SecurityContext>) -> core::Container {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        let mut c = core::Container {
            name: self.name.clone(),
            image: Some(self.image.clone()),
            command: list(&self.command),
            args: list(&self.args),
            working_dir: self.working_dir.clone(),
            image_pull_policy: self.image_pull_policy.map(|p| p.as_str().to_owned()),
            ports: (!self.ports.is_empty())
                .then(|| self.ports.iter().map(Port::to_container_port).collect()),
            env: (!self.env.is_empty()).then(|| self.env.iter().map(EnvVar::to_k8s).collect()),
            env_from: (!self.env_from.is_empty())
                .then(|| self.env_from.iter().map(EnvFrom::to_k8s).collect()),
            liveness_probe: self.liveness.as_ref().map(Probe::to_k8s),
            readiness_probe: self.readiness.as_ref().map(Probe::to_k8s),
            startup_probe: self.startup.as_ref().map(Probe::to_k8s),
            lifecycle: lifecycle(self.post_start.as_ref(), self.pre_stop.as_ref()),
            resources: self.resources.to_requirements(),
            volume_mounts: (!self.mounts.is_empty())
                .then(|| self.mounts.iter().map(Mount::to_k8s).collect()),
            security_context: self.security.apply_to(defaults),
            ..core::Container::default()
        };
        self.customize.apply(&mut c);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{ContainerSecurity, PodSecurity};
    use crate::quantity::{Cpu, Memory};

    macro_rules! kuard {
        () => {
            Container::builder()
                .name("kuard")
                .image("gcr.io/kuar-demo/kuard-amd64:blue")
        };
    }

    #[test]
    fn minimal_container() {
        let c = kuard!().build().to_k8s(None);
        assert_eq!(c.name, "kuard");
        assert_eq!(
            c.image.as_deref(),
            Some("gcr.io/kuar-demo/kuard-amd64:blue")
        );
        assert!(c.command.is_none() && c.args.is_none() && c.ports.is_none() && c.env.is_none());
        assert!(c.resources.is_none() && c.security_context.is_none() && c.volume_mounts.is_none());
    }

    #[test]
    fn every_field() {
        let c = kuard!()
            .command(["/kuard"])
            .args(vec!["--address".to_owned(), ":$(PORT)".to_owned()])
            .working_dir("/srv")
            .image_pull_policy(ImagePullPolicy::IfNotPresent)
            .port(Port::tcp("http", 8080))
            .port(Port::udp("dns", 53).host_port(5353).host_ip("127.0.0.1"))
            .port(Port::sctp("sig", 9999))
            .port(Port::unnamed(9000))
            .env(EnvVar::value("PORT", "8080"))
            .env_from(EnvFrom::config_map("settings"))
            .liveness(Probe::http_get("/healthy", "http"))
            .readiness(Probe::http_get("/ready", 8080))
            .startup(Probe::tcp("http"))
            .resources(Resources::new().requests(Cpu::millis(500), Memory::mib(128)))
            .mount(crate::pod::Mount::new("data", "/data"))
            .build()
            .to_k8s(None);
        assert_eq!(c.command.unwrap(), ["/kuard"]);
        assert_eq!(c.args.unwrap(), ["--address", ":$(PORT)"]);
        assert_eq!(c.working_dir.as_deref(), Some("/srv"));
        assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
        let ports = c.ports.unwrap();
        assert_eq!(ports.len(), 4);
        assert_eq!(ports[1].protocol.as_deref(), Some("UDP"));
        assert_eq!(ports[1].host_port, Some(5353));
        assert_eq!(ports[1].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ports[2].protocol.as_deref(), Some("SCTP"));
        assert_eq!(ports[3].name, None);
        assert_eq!(c.env.unwrap()[0].value.as_deref(), Some("8080"));
        assert_eq!(
            c.env_from.unwrap()[0].config_map_ref.as_ref().unwrap().name,
            "settings"
        );
        assert!(c.liveness_probe.unwrap().http_get.is_some());
        assert!(c.readiness_probe.unwrap().http_get.is_some());
        assert!(c.startup_probe.unwrap().tcp_socket.is_some());
        assert_eq!(c.resources.unwrap().requests.unwrap()["cpu"].0, "500m");
        assert_eq!(c.volume_mounts.unwrap()[0].mount_path, "/data");
    }

    #[test]
    fn security_defaults_and_overrides() {
        let defaults = PodSecurity::default().container_context();
        let c = kuard!().build().to_k8s(defaults.as_ref());
        let sc = c.security_context.unwrap();
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        let c = kuard!()
            .security(
                ContainerSecurity::new()
                    .writable_root_filesystem()
                    .run_as_user(1000),
            )
            .build()
            .to_k8s(defaults.as_ref());
        let sc = c.security_context.unwrap();
        assert_eq!(sc.read_only_root_filesystem, Some(false));
        assert_eq!(sc.run_as_user, Some(1000));
        assert_eq!(sc.allow_privilege_escalation, Some(false));
    }

    #[test]
    fn lifecycle_hooks() {
        let c = kuard!().build().to_k8s(None);
        assert_eq!(c.lifecycle, None);
        let c = kuard!()
            .post_start(crate::pod::Hook::exec(["touch", "/tmp/started"]))
            .pre_stop(crate::pod::Hook::sleep(5))
            .build()
            .to_k8s(None);
        let l = c.lifecycle.unwrap();
        assert_eq!(l.pre_stop.unwrap().sleep.unwrap().seconds, 5);
        assert_eq!(
            l.post_start.unwrap().exec.unwrap().command.unwrap(),
            ["touch", "/tmp/started"]
        );
    }

    #[test]
    fn customize_runs_last() {
        let c = kuard!()
            .port(Port::tcp("http", 8080))
            .customize(|c| c.ports = None)
            .customize(|c| c.tty = Some(true))
            .build()
            .to_k8s(None);
        assert_eq!(c.ports, None);
        assert_eq!(c.tty, Some(true));
    }
}
