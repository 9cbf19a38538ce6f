//! Pod and container security: Pod Security Standards *restricted* by default.
//!
//! Every [`PodTemplate`](crate::pod::PodTemplate) uses [`PodSecurity::default()`] unless told
//! otherwise, which produces pods the *restricted* profile admits:
//!
//! - pod: `runAsNonRoot: true`, `seccompProfile: RuntimeDefault`,
//!   `automountServiceAccountToken: false`;
//! - every container: `allowPrivilegeEscalation: false`, `capabilities.drop: [ALL]`,
//!   `readOnlyRootFilesystem: true`.
//!
//! `runAsNonRoot` makes the kubelet refuse images whose user is root *or a name* (it cannot
//! check names): set a numeric user with [`PodSecurity::run_as_user`] for such images. A
//! read-only root filesystem needs writable paths (`/tmp`, caches) mounted as `emptyDir`
//! volumes, or [`PodSecurity::writable_root_filesystem`].
//!
//! ```
//! use kubeprint::pod::{PodSecurity, restricted_findings};
//! let sec = PodSecurity::default().run_as_user(1000).fs_group(2000);
//! let pod = sec.pod_context().unwrap();
//! assert_eq!(pod.run_as_non_root, Some(true));
//! assert_eq!(pod.seccomp_profile.unwrap().type_, "RuntimeDefault");
//! let container = sec.container_context().unwrap();
//! assert_eq!(container.capabilities.unwrap().drop.unwrap(), ["ALL"]);
//! ```

use crate::meta::push_unique;
use k8s_openapi::api::core::v1 as core;

/// How Kubernetes applies `fsGroup` ownership to volumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FsGroupChangePolicy {
    /// Change ownership only when the volume root does not match (faster for big volumes).
    OnRootMismatch,
    /// Always change ownership on mount (Kubernetes' default).
    Always,
}

impl FsGroupChangePolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FsGroupChangePolicy::OnRootMismatch => "OnRootMismatch",
            FsGroupChangePolicy::Always => "Always",
        }
    }
}

/// The security settings of a pod and the defaults of its containers.
///
/// [`PodSecurity::default()`] (= [`PodSecurity::restricted()`]) satisfies Pod Security
/// Standards *restricted*. Opting out is explicit: [`PodSecurity::writable_root_filesystem`],
/// [`PodSecurity::automount_service_account_token`], or [`PodSecurity::unrestricted`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSecurity {
    restricted: bool,
    run_as_user: Option<i64>,
    run_as_group: Option<i64>,
    fs_group: Option<i64>,
    fs_group_change_policy: Option<FsGroupChangePolicy>,
    supplemental_groups: Vec<i64>,
    add_capabilities: Vec<String>,
    writable_root: bool,
    automount_token: bool,
    host_volumes: bool,
    capabilities: bool,
}

impl Default for PodSecurity {
    fn default() -> Self {
        PodSecurity::restricted()
    }
}

impl PodSecurity {
    /// Pod Security Standards *restricted* (the default).
    pub fn restricted() -> Self {
        PodSecurity {
            restricted: true,
            run_as_user: None,
            run_as_group: None,
            fs_group: None,
            fs_group_change_policy: None,
            supplemental_groups: Vec::new(),
            add_capabilities: Vec::new(),
            writable_root: false,
            automount_token: false,
            host_volumes: false,
            capabilities: false,
        }
    }

    /// **Leaves Pod Security Standards *restricted*:** sets no security field at all, so the
    /// pod gets the runtime's defaults (root allowed, default capabilities, writable root
    /// filesystem, service account token mounted). Namespaces enforcing *baseline* or
    /// *restricted* may reject such pods. Numeric settings below still apply.
    ///
    /// ```
    /// use kubeprint::pod::PodSecurity;
    /// let open = PodSecurity::unrestricted();
    /// assert_eq!(open.pod_context(), None);
    /// assert_eq!(open.container_context(), None);
    /// assert_eq!(open.automount(), None);
    /// ```
    pub fn unrestricted() -> Self {
        PodSecurity {
            restricted: false,
            ..PodSecurity::restricted()
        }
    }

    /// Runs every container as user `uid` (`runAsUser`; must not be 0 under *restricted*).
    #[must_use]
    pub fn run_as_user(mut self, uid: i64) -> Self {
        self.run_as_user = Some(uid);
        self
    }

    /// Runs every container with primary group `gid` (`runAsGroup`).
    #[must_use]
    pub fn run_as_group(mut self, gid: i64) -> Self {
        self.run_as_group = Some(gid);
        self
    }

    /// Makes volumes owned by group `gid` and adds it to every container's groups (`fsGroup`).
    #[must_use]
    pub fn fs_group(mut self, gid: i64) -> Self {
        self.fs_group = Some(gid);
        self
    }

    /// When `fsGroup` ownership is applied (`fsGroupChangePolicy`).
    #[must_use]
    pub fn fs_group_change_policy(mut self, policy: FsGroupChangePolicy) -> Self {
        self.fs_group_change_policy = Some(policy);
        self
    }

    /// Adds a supplemental group to every container's process (`supplementalGroups`).
    #[must_use]
    pub fn supplemental_group(mut self, gid: i64) -> Self {
        push_unique(&mut self.supplemental_groups, gid);
        self
    }

    /// Adds a Linux capability to every container (e.g. `NET_BIND_SERVICE` to listen on ports
    /// below 1024 — the only one *restricted* allows).
    #[must_use]
    pub fn add_capability(mut self, capability: impl Into<String>) -> Self {
        push_unique(&mut self.add_capabilities, capability.into());
        self
    }

    /// Opt-out: containers get a writable root filesystem (`readOnlyRootFilesystem: false`).
    /// Still *restricted*-compliant; prefer `emptyDir` mounts for the paths that need writing.
    #[must_use]
    pub fn writable_root_filesystem(mut self) -> Self {
        self.writable_root = true;
        self
    }

    /// Opt-out: mounts the service account token into the pod (needed by pods that call the
    /// Kubernetes API).
    #[must_use]
    pub fn automount_service_account_token(mut self) -> Self {
        self.automount_token = true;
        self
    }

    /// **Leaves *restricted* (and, for hostPath, *baseline*):** allows hostPath and NFS
    /// volumes in this template; every other setting stays as it is. Without this (or
    /// [`PodSecurity::unrestricted`]) a builder whose template has such a volume fails, so
    /// the default never breaks *restricted* silently.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let pod = |security: PodSecurity| Pod::builder()
    ///     .name("logs")
    ///     .template(PodTemplate::builder()
    ///         .security(security)
    ///         .volume(Volume::host_path("varlog", "/var/log"))
    ///         .container(Container::builder().name("tail").image("busybox:1.37")
    ///             .mount(Mount::new("varlog", "/var/log")).build())
    ///         .build())
    ///     .build();
    /// let e = pod(PodSecurity::default()).to_object().unwrap_err();
    /// assert!(e.to_string().contains("spec.volumes[0].hostPath: a hostPath volume breaks"));
    /// assert!(pod(PodSecurity::default().allow_host_volumes()).to_object().is_ok());
    /// ```
    #[must_use]
    pub fn allow_host_volumes(mut self) -> Self {
        self.host_volumes = true;
        self
    }

    /// **Leaves *restricted*:** allows containers of this template to add capabilities
    /// besides `NET_BIND_SERVICE` (with [`PodSecurity::add_capability`] or
    /// `ContainerSecurity::add_capability`). Without it, a builder adding one fails.
    #[must_use]
    pub fn allow_added_capabilities(mut self) -> Self {
        self.capabilities = true;
        self
    }

    /// Whether hostPath and NFS volumes were allowed ([`PodSecurity::allow_host_volumes`]).
    pub fn allows_host_volumes(&self) -> bool {
        !self.restricted || self.host_volumes
    }

    /// Whether added capabilities were allowed ([`PodSecurity::allow_added_capabilities`]).
    pub fn allows_added_capabilities(&self) -> bool {
        !self.restricted || self.capabilities
    }

    /// Whether this is the *restricted* profile (not [`PodSecurity::unrestricted`]).
    pub fn is_restricted(&self) -> bool {
        self.restricted
    }

    /// The pod-level `securityContext`; `None` when nothing is set.
    pub fn pod_context(&self) -> Option<core::PodSecurityContext> {
        let ctx = core::PodSecurityContext {
            run_as_non_root: self.restricted.then_some(true),
            seccomp_profile: self.restricted.then(|| core::SeccompProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            }),
            run_as_user: self.run_as_user,
            run_as_group: self.run_as_group,
            fs_group: self.fs_group,
            fs_group_change_policy: self.fs_group_change_policy.map(|p| p.as_str().to_owned()),
            supplemental_groups: (!self.supplemental_groups.is_empty())
                .then(|| self.supplemental_groups.clone()),
            ..core::PodSecurityContext::default()
        };
        (ctx != core::PodSecurityContext::default()).then_some(ctx)
    }

    /// The `securityContext` every container starts from; `None` when nothing is set.
    pub fn container_context(&self) -> Option<core::SecurityContext> {
        let add = (!self.add_capabilities.is_empty()).then(|| self.add_capabilities.clone());
        let ctx = if self.restricted {
            core::SecurityContext {
                allow_privilege_escalation: Some(false),
                capabilities: Some(core::Capabilities {
                    add,
                    drop: Some(vec!["ALL".into()]),
                }),
                read_only_root_filesystem: Some(!self.writable_root),
                ..core::SecurityContext::default()
            }
        } else {
            core::SecurityContext {
                capabilities: add.map(|add| core::Capabilities {
                    add: Some(add),
                    drop: None,
                }),
                ..core::SecurityContext::default()
            }
        };
        (ctx != core::SecurityContext::default()).then_some(ctx)
    }

    /// `automountServiceAccountToken`: `false` under *restricted* unless opted in, `true` when
    /// opted in, unset for [`PodSecurity::unrestricted`].
    pub fn automount(&self) -> Option<bool> {
        if self.automount_token {
            Some(true)
        } else {
            self.restricted.then_some(false)
        }
    }
}

/// Per-container overrides of the pod's container security defaults.
///
/// ```
/// use kubeprint::pod::{ContainerSecurity, PodSecurity};
/// let defaults = PodSecurity::default().container_context();
/// let sc = ContainerSecurity::new()
///     .writable_root_filesystem()
///     .run_as_user(999)
///     .add_capability("NET_BIND_SERVICE")
///     .apply_to(defaults.as_ref())
///     .unwrap();
/// assert_eq!(sc.read_only_root_filesystem, Some(false));
/// assert_eq!(sc.allow_privilege_escalation, Some(false)); // kept from the defaults
/// assert_eq!(sc.capabilities.unwrap().add.unwrap(), ["NET_BIND_SERVICE"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerSecurity {
    run_as_user: Option<i64>,
    run_as_group: Option<i64>,
    run_as_non_root: Option<bool>,
    read_only_root_filesystem: Option<bool>,
    allow_privilege_escalation: Option<bool>,
    privileged: bool,
    add_capabilities: Vec<String>,
    drop_capabilities: Vec<String>,
}

impl ContainerSecurity {
    /// No overrides.
    pub fn new() -> Self {
        ContainerSecurity::default()
    }

    /// Runs this container as user `uid`.
    #[must_use]
    pub fn run_as_user(mut self, uid: i64) -> Self {
        self.run_as_user = Some(uid);
        self
    }

    /// Runs this container with primary group `gid`.
    #[must_use]
    pub fn run_as_group(mut self, gid: i64) -> Self {
        self.run_as_group = Some(gid);
        self
    }

    /// Opt-out (leaves *restricted*): lets this container run as root (`runAsNonRoot: false`).
    #[must_use]
    pub fn allow_root(mut self) -> Self {
        self.run_as_non_root = Some(false);
        self
    }

    /// Opt-out: a writable root filesystem for this container.
    #[must_use]
    pub fn writable_root_filesystem(mut self) -> Self {
        self.read_only_root_filesystem = Some(false);
        self
    }

    /// A read-only root filesystem for this container (also under an unrestricted pod).
    #[must_use]
    pub fn read_only_root_filesystem(mut self) -> Self {
        self.read_only_root_filesystem = Some(true);
        self
    }

    /// Opt-out (leaves *restricted*): lets processes gain privileges (setuid binaries).
    #[must_use]
    pub fn allow_privilege_escalation(mut self) -> Self {
        self.allow_privilege_escalation = Some(true);
        self
    }

    /// Opt-out (leaves *baseline*): a privileged container, with every capability and device
    /// of the node. Also allows privilege escalation, which a privileged container has anyway.
    #[must_use]
    pub fn privileged(mut self) -> Self {
        self.privileged = true;
        self.allow_privilege_escalation = Some(true);
        self
    }

    /// Adds a Linux capability to this container.
    #[must_use]
    pub fn add_capability(mut self, capability: impl Into<String>) -> Self {
        push_unique(&mut self.add_capabilities, capability.into());
        self
    }

    /// Drops a Linux capability from this container (on top of the defaults; the restricted
    /// defaults already drop `ALL`). Useful under an unrestricted pod.
    #[must_use]
    pub fn drop_capability(mut self, capability: impl Into<String>) -> Self {
        push_unique(&mut self.drop_capabilities, capability.into());
        self
    }

    /// `runAsNonRoot: true` for this container alone, e.g. in a pod built with
    /// [`PodSecurity::unrestricted`], which sets no security field.
    ///
    /// ```
    /// use kubeprint::pod::{ContainerSecurity, PodSecurity};
    /// let sc = ContainerSecurity::new()
    ///     .run_as_non_root()
    ///     .drop_capability("NET_RAW")
    ///     .apply_to(PodSecurity::unrestricted().container_context().as_ref())
    ///     .unwrap();
    /// assert_eq!(sc.run_as_non_root, Some(true));
    /// assert_eq!(sc.capabilities.unwrap().drop.unwrap(), ["NET_RAW"]);
    /// assert_eq!(sc.privileged, None);
    /// ```
    #[must_use]
    pub fn run_as_non_root(mut self) -> Self {
        self.run_as_non_root = Some(true);
        self
    }

    /// The container's `securityContext`: `defaults` with these overrides on top.
    pub fn apply_to(
        &self,
        defaults: Option<&core::SecurityContext>,
    ) -> Option<core::SecurityContext> {
        let mut ctx = defaults.cloned().unwrap_or_default();
        if self.run_as_user.is_some() {
            ctx.run_as_user = self.run_as_user;
        }
        if self.run_as_group.is_some() {
            ctx.run_as_group = self.run_as_group;
        }
        if self.run_as_non_root.is_some() {
            ctx.run_as_non_root = self.run_as_non_root;
        }
        if self.read_only_root_filesystem.is_some() {
            ctx.read_only_root_filesystem = self.read_only_root_filesystem;
        }
        if self.allow_privilege_escalation.is_some() {
            ctx.allow_privilege_escalation = self.allow_privilege_escalation;
        }
        if self.privileged {
            ctx.privileged = Some(true);
        }
        if !self.add_capabilities.is_empty() {
            let caps = ctx
                .capabilities
                .get_or_insert_with(core::Capabilities::default);
            let add = caps.add.get_or_insert_with(Vec::new);
            for c in &self.add_capabilities {
                push_unique(add, c.clone());
            }
        }
        if !self.drop_capabilities.is_empty() {
            let caps = ctx
                .capabilities
                .get_or_insert_with(core::Capabilities::default);
            let drop = caps.drop.get_or_insert_with(Vec::new);
            for c in &self.drop_capabilities {
                push_unique(drop, c.clone());
            }
        }
        (ctx != core::SecurityContext::default()).then_some(ctx)
    }
}

/// Why a pod spec does not meet Pod Security Standards *restricted* (empty when it does).
///
/// Not a validation error — leaving *restricted* is allowed — but a way to check, e.g. in
/// tests, that pods stay admissible in namespaces that enforce it. The rules are the ones
/// [`Bundle::check`](crate::Bundle::check) applies to the pods of a Namespace whose
/// `pod-security.kubernetes.io/enforce` label says `restricted` (baseline's and restricted's).
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::pod::restricted_findings;
/// let t = PodTemplate::builder()
///     .container(Container::builder().name("app").image("nginx").build())
///     .build();
/// let spec = t.to_template_spec("web").spec.unwrap();
/// assert!(restricted_findings(&spec).is_empty());
/// ```
pub fn restricted_findings(spec: &core::PodSpec) -> Vec<String> {
    crate::check::pod_security::restricted(spec)
        .into_iter()
        .map(|(path, what)| format!("spec.{path}: {what}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_defaults() {
        let s = PodSecurity::default();
        assert!(s.is_restricted());
        assert_eq!(s, PodSecurity::restricted());
        let pod = s.pod_context().unwrap();
        assert_eq!(
            pod,
            core::PodSecurityContext {
                run_as_non_root: Some(true),
                seccomp_profile: Some(core::SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    localhost_profile: None
                }),
                ..Default::default()
            }
        );
        let c = s.container_context().unwrap();
        assert_eq!(
            c,
            core::SecurityContext {
                allow_privilege_escalation: Some(false),
                capabilities: Some(core::Capabilities {
                    add: None,
                    drop: Some(vec!["ALL".into()])
                }),
                read_only_root_filesystem: Some(true),
                ..Default::default()
            }
        );
        assert_eq!(s.automount(), Some(false));
    }

    #[test]
    fn numeric_settings() {
        let s = PodSecurity::default()
            .run_as_user(1000)
            .run_as_group(3000)
            .fs_group(2000)
            .fs_group_change_policy(FsGroupChangePolicy::OnRootMismatch)
            .supplemental_group(4000)
            .supplemental_group(4000)
            .supplemental_group(5000);
        let pod = s.pod_context().unwrap();
        assert_eq!(
            (pod.run_as_user, pod.run_as_group, pod.fs_group),
            (Some(1000), Some(3000), Some(2000))
        );
        assert_eq!(
            pod.fs_group_change_policy.as_deref(),
            Some("OnRootMismatch")
        );
        assert_eq!(pod.supplemental_groups.unwrap(), [4000, 5000]);
        assert_eq!(FsGroupChangePolicy::Always.as_str(), "Always");
    }

    #[test]
    fn opt_outs() {
        let s = PodSecurity::default()
            .writable_root_filesystem()
            .automount_service_account_token();
        assert_eq!(
            s.container_context().unwrap().read_only_root_filesystem,
            Some(false)
        );
        assert_eq!(s.automount(), Some(true));
        assert_eq!(s.pod_context().unwrap().run_as_non_root, Some(true));
    }

    #[test]
    fn capabilities() {
        let s = PodSecurity::default()
            .add_capability("NET_BIND_SERVICE")
            .add_capability("NET_BIND_SERVICE");
        let caps = s.container_context().unwrap().capabilities.unwrap();
        assert_eq!(caps.add.unwrap(), ["NET_BIND_SERVICE"]);
        assert_eq!(caps.drop.unwrap(), ["ALL"]);
        let s = PodSecurity::unrestricted().add_capability("SYS_TIME");
        let caps = s.container_context().unwrap().capabilities.unwrap();
        assert_eq!(
            (caps.add.unwrap(), caps.drop),
            (vec!["SYS_TIME".to_owned()], None)
        );
    }

    #[test]
    fn unrestricted_keeps_numeric_settings() {
        let s = PodSecurity::unrestricted()
            .run_as_user(0)
            .automount_service_account_token();
        assert!(!s.is_restricted());
        let pod = s.pod_context().unwrap();
        assert_eq!(
            (pod.run_as_user, pod.run_as_non_root, pod.seccomp_profile),
            (Some(0), None, None)
        );
        assert_eq!(s.container_context(), None);
        assert_eq!(s.automount(), Some(true));
    }

    #[test]
    fn container_overrides() {
        assert_eq!(ContainerSecurity::new().apply_to(None), None);
        let sc = ContainerSecurity::new()
            .run_as_group(10)
            .allow_root()
            .read_only_root_filesystem()
            .apply_to(None)
            .unwrap();
        assert_eq!(
            (
                sc.run_as_group,
                sc.run_as_non_root,
                sc.read_only_root_filesystem
            ),
            (Some(10), Some(false), Some(true))
        );
        let defaults = PodSecurity::default()
            .add_capability("NET_BIND_SERVICE")
            .container_context();
        let sc = ContainerSecurity::new()
            .privileged()
            .add_capability("SYS_ADMIN")
            .add_capability("NET_BIND_SERVICE")
            .apply_to(defaults.as_ref())
            .unwrap();
        assert_eq!(
            (sc.privileged, sc.allow_privilege_escalation),
            (Some(true), Some(true))
        );
        assert_eq!(
            sc.capabilities.unwrap().add.unwrap(),
            ["NET_BIND_SERVICE", "SYS_ADMIN"]
        );
        let sc = ContainerSecurity::new()
            .allow_privilege_escalation()
            .apply_to(defaults.as_ref())
            .unwrap();
        assert_eq!(sc.allow_privilege_escalation, Some(true));
    }

    #[test]
    fn findings() {
        let restricted = PodSecurity::default();
        let container = core::Container {
            name: "c".into(),
            security_context: restricted.container_context(),
            ..Default::default()
        };
        let spec = core::PodSpec {
            containers: vec![container.clone()],
            security_context: restricted.pod_context(),
            ..Default::default()
        };
        assert_eq!(restricted_findings(&spec), Vec::<String>::new());

        let mut bad = spec.clone();
        bad.host_network = Some(true);
        bad.volumes = Some(vec![core::Volume {
            name: "h".into(),
            host_path: Some(core::HostPathVolumeSource {
                path: "/".into(),
                type_: None,
            }),
            ..Default::default()
        }]);
        bad.containers[0].security_context = ContainerSecurity::new()
            .privileged()
            .add_capability("SYS_ADMIN")
            .run_as_user(0)
            .apply_to(restricted.container_context().as_ref());
        bad.containers[0].ports = Some(vec![core::ContainerPort {
            container_port: 80,
            host_port: Some(80),
            ..Default::default()
        }]);
        assert_eq!(
            restricted_findings(&bad),
            [
                "spec.hostNetwork: host namespaces are not allowed",
                "spec.volumes[0].hostPath: hostPath volumes are not allowed",
                "spec.containers[0].securityContext.privileged: privileged containers are not allowed",
                "spec.containers[0].ports[0].hostPort: host ports are not allowed",
                "spec.containers[0].securityContext.capabilities.add[0]: capability SYS_ADMIN may not be added",
                "spec.containers[0].securityContext.allowPrivilegeEscalation: must be false",
                "spec.containers[0].securityContext.runAsUser: must not be 0 (root)",
            ]
        );

        let open = core::PodSpec {
            containers: vec![core::Container {
                name: "c".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            restricted_findings(&open),
            [
                "spec.containers[0].securityContext.allowPrivilegeEscalation: must be false",
                "spec.containers[0].securityContext.capabilities.drop: must drop ALL",
                "spec.containers[0].securityContext.runAsNonRoot: must be true (here or for the pod)",
                "spec.containers[0].securityContext.seccompProfile.type: must be RuntimeDefault or Localhost (here or for the pod)",
            ]
        );
    }
}
