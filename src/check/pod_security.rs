//! Pod Security admission, judged before any cluster does (part of
//! [`Bundle::check`](crate::Bundle::check)): when the bundle makes a Namespace labelled
//! `pod-security.kubernetes.io/enforce: baseline` or `restricted`, every pod (and pod template)
//! the bundle puts in it is held to that level of the Pod Security Standards, as the
//! apiserver's admission will hold the pods — a Deployment whose template breaks the level is
//! accepted, and then never gets a pod.
//!
//! *Baseline*: no host namespaces, privileged containers, hostPath volumes or host ports;
//! added capabilities only from the default set; AppArmor and seccomp not `Unconfined`;
//! SELinux only the container types, no user or role; `procMount` `Default`; only the safe
//! sysctls; probe and lifecycle `httpGet.host` empty; no Windows host processes.
//! *Restricted* adds: only configMap, csi, downwardAPI, emptyDir, ephemeral,
//! persistentVolumeClaim, projected and secret volumes; `allowPrivilegeEscalation: false`;
//! `runAsNonRoot: true` and no `runAsUser: 0`; seccomp `RuntimeDefault` or `Localhost`;
//! capabilities drop `ALL` and add at most `NET_BIND_SERVICE`.
//!
//! Namespaces the bundle does not make are not known here (their labels live in the cluster).
//!
//! ```
//! use kubeprint::prelude::*;
//! use kubeprint::namespace::Level;
//! use kubeprint::pod::PodSecurity;
//! let mut b = Bundle::new("app");
//! b.add(Namespace::builder().name("shop").pod_security(Level::Restricted).build())?;
//! b.add(Pod::builder()
//!     .name("logs")
//!     .namespace("shop")
//!     .template(PodTemplate::builder()
//!         // The explicit opt-out the builder needs for a hostPath volume ...
//!         .security(PodSecurity::default().allow_host_volumes())
//!         .container(Container::builder()
//!             .name("tail")
//!             .image("busybox:1.37")
//!             .mount(Mount::new("varlog", "/var/log"))
//!             .build())
//!         .volume(Volume::host_path("varlog", "/var/log"))
//!         .build())
//!     .build())?;
//! // ... and what the namespace then refuses.
//! let e = b.check().unwrap_err();
//! assert!(e.to_string().contains(
//!     r#"pod "shop/logs": spec.volumes[0].hostPath: violates PodSecurity "restricted" of namespace "shop": hostPath volumes are not allowed"#
//! ), "{e}");
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::bundle::Bundle;
use crate::error::Violation;
use crate::object::Object;
use crate::object::refs::pod_spec;
use k8s_openapi::api::core::v1 as core;

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// Capabilities baseline lets a container add.
const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The sysctls baseline allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    Baseline,
    Restricted,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// What breaks Pod Security *restricted*, as (path below the pod spec, what).
pub(crate) fn restricted(spec: &core::PodSpec) -> Vec<(String, String)> {
    findings(spec, Level::Restricted)
}

/// What breaks `level`, as (path below the pod spec, what).
fn findings(spec: &core::PodSpec, level: Level) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut bad = |path: String, what: &str| out.push((path, what.to_owned()));
    for (flag, field) in [
        (spec.host_network, "hostNetwork"),
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
    ] {
        if flag == Some(true) {
            bad(field.into(), "host namespaces are not allowed");
        }
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        if v.host_path.is_some() {
            bad(
                format!("volumes[{i}].hostPath"),
                "hostPath volumes are not allowed",
            );
        } else if level == Level::Restricted
            && let Ok(serde_json::Value::Object(m)) = serde_json::to_value(v)
        {
            for key in m
                .iter()
                .filter(|(k, v)| *k != "name" && !v.is_null())
                .map(|(k, _)| k)
                .filter(|k| !RESTRICTED_VOLUMES.contains(&k.as_str()))
            {
                bad(
                    format!("volumes[{i}].{key}"),
                    "only configMap, csi, downwardAPI, emptyDir, ephemeral, \
                     persistentVolumeClaim, projected and secret volumes are allowed",
                );
            }
        }
    }
    let pod = spec.security_context.as_ref();
    let se_linux = |bad: &mut dyn FnMut(String, &str), at: String, o: &core::SELinuxOptions| {
        if !SELINUX_TYPES.contains(&o.type_.as_deref().unwrap_or_default()) {
            bad(
                format!("{at}.type"),
                "only the SELinux types container_t, container_init_t, container_kvm_t and \
                 container_engine_t are allowed",
            );
        }
        for (field, v) in [("user", &o.user), ("role", &o.role)] {
            if v.as_deref().is_some_and(|s| !s.is_empty()) {
                bad(format!("{at}.{field}"), "must not be set");
            }
        }
    };
    let pod_seccomp = pod
        .and_then(|p| p.seccomp_profile.as_ref())
        .map(|s| s.type_.as_str());
    if let Some(p) = pod {
        if let Some(o) = &p.se_linux_options {
            se_linux(&mut bad, "securityContext.seLinuxOptions".into(), o);
        }
        if p.app_armor_profile
            .as_ref()
            .is_some_and(|a| a.type_ == "Unconfined")
        {
            bad(
                "securityContext.appArmorProfile.type".into(),
                "AppArmor must not be Unconfined",
            );
        }
        if pod_seccomp == Some("Unconfined") {
            bad(
                "securityContext.seccompProfile.type".into(),
                "seccomp must not be Unconfined",
            );
        }
        for (i, s) in p.sysctls.iter().flatten().enumerate() {
            if !SAFE_SYSCTLS.contains(&s.name.as_str()) {
                bad(
                    format!("securityContext.sysctls[{i}].name"),
                    &format!("sysctl {:?} is not a safe one", s.name),
                );
            }
        }
        if p.windows_options.as_ref().and_then(|w| w.host_process) == Some(true) {
            bad(
                "securityContext.windowsOptions.hostProcess".into(),
                "host processes are not allowed",
            );
        }
        if level == Level::Restricted && p.run_as_user == Some(0) {
            bad("securityContext.runAsUser".into(), "must not be 0 (root)");
        }
    }
    let pod_non_root = pod.and_then(|p| p.run_as_non_root);
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (format!("initContainers[{i}]"), c))
        .chain(
            spec.containers
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("containers[{i}]"), c)),
        );
    for (at, c) in containers {
        let sc = c.security_context.as_ref();
        let sp = format!("{at}.securityContext");
        if sc.and_then(|s| s.privileged) == Some(true) {
            bad(
                format!("{sp}.privileged"),
                "privileged containers are not allowed",
            );
        }
        if let Some(o) = sc.and_then(|s| s.se_linux_options.as_ref()) {
            se_linux(&mut bad, format!("{sp}.seLinuxOptions"), o);
        }
        if sc
            .and_then(|s| s.app_armor_profile.as_ref())
            .is_some_and(|a| a.type_ == "Unconfined")
        {
            bad(
                format!("{sp}.appArmorProfile.type"),
                "AppArmor must not be Unconfined",
            );
        }
        if sc.and_then(|s| s.proc_mount.as_deref()) == Some("Unmasked") {
            bad(format!("{sp}.procMount"), "procMount must be Default");
        }
        if sc
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process)
            == Some(true)
        {
            bad(
                format!("{sp}.windowsOptions.hostProcess"),
                "host processes are not allowed",
            );
        }
        let seccomp = sc
            .and_then(|s| s.seccomp_profile.as_ref())
            .map(|s| s.type_.as_str());
        if seccomp == Some("Unconfined") {
            bad(
                format!("{sp}.seccompProfile.type"),
                "seccomp must not be Unconfined",
            );
        }
        for (j, p) in c.ports.iter().flatten().enumerate() {
            if p.host_port.is_some_and(|h| h != 0) {
                bad(
                    format!("{at}.ports[{j}].hostPort"),
                    "host ports are not allowed",
                );
            }
        }
        let gets = [
            (
                "livenessProbe",
                c.liveness_probe.as_ref().and_then(|p| p.http_get.as_ref()),
            ),
            (
                "readinessProbe",
                c.readiness_probe.as_ref().and_then(|p| p.http_get.as_ref()),
            ),
            (
                "startupProbe",
                c.startup_probe.as_ref().and_then(|p| p.http_get.as_ref()),
            ),
            (
                "lifecycle.postStart",
                c.lifecycle
                    .as_ref()
                    .and_then(|l| l.post_start.as_ref())
                    .and_then(|h| h.http_get.as_ref()),
            ),
            (
                "lifecycle.preStop",
                c.lifecycle
                    .as_ref()
                    .and_then(|l| l.pre_stop.as_ref())
                    .and_then(|h| h.http_get.as_ref()),
            ),
        ];
        for (field, get) in gets {
            if get
                .and_then(|g| g.host.as_deref())
                .is_some_and(|h| !h.is_empty())
            {
                bad(
                    format!("{at}.{field}.httpGet.host"),
                    "probes and hooks must not name a host",
                );
            }
        }
        let caps = sc.and_then(|s| s.capabilities.as_ref());
        for (j, add) in caps
            .and_then(|c| c.add.as_ref())
            .into_iter()
            .flatten()
            .enumerate()
        {
            let allowed = if level == Level::Restricted {
                add == "NET_BIND_SERVICE"
            } else {
                BASELINE_CAPABILITIES.contains(&add.as_str())
            };
            if !allowed {
                bad(
                    format!("{sp}.capabilities.add[{j}]"),
                    &format!("capability {add} may not be added"),
                );
            }
        }
        if level == Level::Restricted {
            if sc.and_then(|s| s.allow_privilege_escalation) != Some(false) {
                bad(format!("{sp}.allowPrivilegeEscalation"), "must be false");
            }
            if !caps
                .and_then(|c| c.drop.as_ref())
                .is_some_and(|d| d.iter().any(|d| d == "ALL"))
            {
                bad(format!("{sp}.capabilities.drop"), "must drop ALL");
            }
            if sc.and_then(|s| s.run_as_non_root).or(pod_non_root) != Some(true) {
                bad(
                    format!("{sp}.runAsNonRoot"),
                    "must be true (here or for the pod)",
                );
            }
            if sc.and_then(|s| s.run_as_user) == Some(0) {
                bad(format!("{sp}.runAsUser"), "must not be 0 (root)");
            }
            if !matches!(
                seccomp.or(pod_seccomp),
                Some("RuntimeDefault" | "Localhost")
            ) {
                bad(
                    format!("{sp}.seccompProfile.type"),
                    "must be RuntimeDefault or Localhost (here or for the pod)",
                );
            }
        }
    }
    out
}

/// The bundle's pods against the levels its Namespaces enforce.
pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let mut levels = Vec::new();
    for o in bundle.objects() {
        let Object::Namespace(n) = o else { continue };
        let level = match n
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(ENFORCE))
            .map(String::as_str)
        {
            Some("restricted") => Level::Restricted,
            Some("baseline") => Level::Baseline,
            _ => continue,
        };
        levels.push((o.name(), level));
    }
    let mut out = Vec::new();
    if levels.is_empty() {
        return out;
    }
    for o in bundle.objects() {
        let Some(ns) = bundle.namespace_of(o) else {
            continue;
        };
        let Some((_, level)) = levels.iter().find(|(n, _)| *n == ns) else {
            continue;
        };
        let Some(p) = pod_spec(o) else { continue };
        for (path, what) in findings(p.spec, *level) {
            out.push(Violation::new(
                o.object_ref(),
                format!("{}.{path}", p.path),
                format!(
                    "violates PodSecurity {:?} of namespace {ns:?}: {what}",
                    level.name()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::namespace::Level;
    use crate::prelude::*;

    fn raw_pod(ns: &str, spec: serde_json::Value) -> k8s_openapi::api::core::v1::Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": ns},
            "spec": spec
        }))
        .unwrap()
    }

    fn messages(level: Level, spec: serde_json::Value) -> Vec<String> {
        let mut b = Bundle::new("app");
        b.add(Namespace::builder().name("ns").pod_security(level).build())
            .unwrap();
        b.add(raw_pod("ns", spec.clone())).unwrap();
        // The same pod elsewhere is not judged.
        b.add(raw_pod("other", spec)).unwrap();
        super::check(&b)
            .iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect()
    }

    /// A pod that passes restricted, with `extra` merged into its first container.
    fn restricted_pod(extra: serde_json::Value) -> serde_json::Value {
        let mut c = serde_json::json!({
            "name": "c", "image": "busybox",
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": true,
                "seccompProfile": {"type": "RuntimeDefault"}
            }
        });
        if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                c.insert(k.clone(), v.clone());
            }
        }
        serde_json::json!({"containers": [c]})
    }

    #[test]
    fn restricted_pod_passes_both_levels() {
        for level in [Level::Baseline, Level::Restricted] {
            assert_eq!(
                messages(level, restricted_pod(serde_json::json!({}))),
                Vec::<String>::new()
            );
        }
    }

    #[test]
    fn the_missing_baseline_checks() {
        let probe = restricted_pod(serde_json::json!({
            "readinessProbe": {"httpGet": {"port": 80, "host": "example.com"}},
            "lifecycle": {"preStop": {"httpGet": {"port": 80, "host": "10.0.0.1"}}}
        }));
        assert_eq!(
            messages(Level::Baseline, probe),
            [
                r#"spec.containers[0].readinessProbe.httpGet.host: violates PodSecurity "baseline" of namespace "ns": probes and hooks must not name a host"#,
                r#"spec.containers[0].lifecycle.preStop.httpGet.host: violates PodSecurity "baseline" of namespace "ns": probes and hooks must not name a host"#,
            ]
        );
        let mut spec = restricted_pod(serde_json::json!({}));
        spec["securityContext"] = serde_json::json!({
            "sysctls": [{"name": "kernel.msgmax", "value": "1"},
                        {"name": "net.ipv4.tcp_syncookies", "value": "1"}],
            "seLinuxOptions": {"type": "spc_t"}
        });
        assert_eq!(
            messages(Level::Baseline, spec),
            [
                r#"spec.securityContext.seLinuxOptions.type: violates PodSecurity "baseline" of namespace "ns": only the SELinux types container_t, container_init_t, container_kvm_t and container_engine_t are allowed"#,
                r#"spec.securityContext.sysctls[0].name: violates PodSecurity "baseline" of namespace "ns": sysctl "kernel.msgmax" is not a safe one"#,
            ]
        );
    }

    #[test]
    fn restricted_is_more_than_baseline() {
        let spec = serde_json::json!({
            "containers": [{"name": "c", "image": "busybox",
                "securityContext": {"capabilities": {"add": ["CHOWN"]}}}],
            "volumes": [{"name": "n", "nfs": {"server": "s", "path": "/x"}}]
        });
        assert_eq!(
            messages(Level::Baseline, spec.clone()),
            Vec::<String>::new()
        );
        let m = messages(Level::Restricted, spec);
        assert_eq!(
            m.iter()
                .map(|m| m.split(':').next().unwrap_or_default())
                .collect::<Vec<_>>(),
            [
                "spec.volumes[0].nfs",
                "spec.containers[0].securityContext.capabilities.add[0]",
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
                "spec.containers[0].securityContext.capabilities.drop",
                "spec.containers[0].securityContext.runAsNonRoot",
                "spec.containers[0].securityContext.seccompProfile.type",
            ],
            "{m:#?}"
        );
    }

    #[test]
    fn bundle_check_reports_templates_in_enforcing_namespaces() {
        let mut b = Bundle::new("app");
        b.add(
            Namespace::builder()
                .name("ns")
                .pod_security(Level::Baseline)
                .build(),
        )
        .unwrap();
        b.add(
            Deployment::builder()
                .name("web")
                .namespace("ns")
                .template(
                    PodTemplate::builder()
                        .container(
                            Container::builder()
                                .name("web")
                                .image("nginx:1.27")
                                .port(Port::tcp("http", 80).host_port(8080))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .unwrap();
        let e = b.check().unwrap_err().to_string();
        assert!(
            e.contains(r#"spec.template.spec.containers[0].ports[0].hostPort: violates PodSecurity "baseline""#),
            "{e}"
        );
    }
}
