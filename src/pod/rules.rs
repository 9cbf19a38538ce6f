//! Pod-spec rules of the apiserver that the differential test (`tests/cluster_differential.rs`,
//! issue #13) found missing: resource names and extended resources, `resourceFieldRef`
//! divisors, security-context enums (procMount, AppArmor, supplemental groups policy, sysctls),
//! Windows pods, DNS, host aliases, node name, readiness and scheduling gates, duplicate host
//! ports and topology spread constraints, node `matchFields`, mount propagation and
//! `recursiveReadOnly`, probes of plain init containers, preemption policy. Run by
//! [`super::check::pod_spec`] after its own rules.

use crate::quantity::quantity_nanos;
use crate::validate::{self, Checker, one_of};
use k8s_openapi::api::core::v1 as core;
use std::collections::BTreeSet;
use std::net::IpAddr;

const NANO: i128 = 1_000_000_000;

/// Resources a container may name without a domain.
const STANDARD: &[&str] = &["cpu", "memory", "ephemeral-storage"];

/// Whether `name` is a native resource (no domain, or a `kubernetes.io` one).
fn native(name: &str) -> bool {
    match name.split_once('/') {
        None => true,
        Some((domain, _)) => domain == "kubernetes.io" || domain.ends_with(".kubernetes.io"),
    }
}

/// A container's requests and limits: names, extended resources and hugepages.
pub(crate) fn resources(c: &mut Checker, p: &str, r: &core::ResourceRequirements) {
    let empty = Default::default();
    let requests = r.requests.as_ref().unwrap_or(&empty);
    let limits = r.limits.as_ref().unwrap_or(&empty);
    let mut hugepages = false;
    for (field, map) in [("requests", requests), ("limits", limits)] {
        for (name, q) in map {
            let at = format!("{p}.{field}[{name:?}]");
            let huge = name.starts_with("hugepages-");
            hugepages |= huge;
            if !name.contains('/') {
                if !STANDARD.contains(&name.as_str()) && !huge {
                    c.fail(
                        &at,
                        format!(
                            "{name:?} is not a container resource (cpu, memory, \
                             ephemeral-storage, hugepages-<size>) nor a fully qualified \
                             extended resource (example.com/name)"
                        ),
                    );
                }
                continue;
            }
            if let Some(m) = validate::qualified_name(name) {
                c.fail(&at, m);
                continue;
            }
            if !native(name)
                && let Some(n) = quantity_nanos(q)
                && n % NANO != 0
            {
                c.fail(&at, format!("{:?} must be a whole number", q.0));
            }
        }
    }
    // Extended resources and hugepages cannot be overcommitted: a request needs the same limit.
    for (name, request) in requests {
        let extended = name.starts_with("hugepages-") || !native(name);
        if !extended {
            continue;
        }
        match limits.get(name) {
            None => c.fail(
                format_args!("{p}.limits[{name:?}]"),
                format!("required: {name} cannot be overcommitted, so a request needs a limit"),
            ),
            Some(l) if quantity_nanos(l) != quantity_nanos(request) => c.fail(
                format_args!("{p}.requests[{name:?}]"),
                format!(
                    "{:?} must equal the limit {:?}: {name} cannot be overcommitted",
                    request.0, l.0
                ),
            ),
            Some(_) => {}
        }
    }
    if hugepages
        && !["cpu", "memory"]
            .iter()
            .any(|k| requests.contains_key(*k) || limits.contains_key(*k))
    {
        c.fail(p, "hugepages need a cpu or memory request or limit too");
    }
}

/// The divisors a `resourceFieldRef` of `resource` accepts.
pub(crate) fn divisor(
    c: &mut Checker,
    p: &str,
    resource: &str,
    d: &k8s_openapi::apimachinery::pkg::api::resource::Quantity,
) {
    let Some(n) = quantity_nanos(d) else { return };
    let allowed: &[&str] = if resource.ends_with(".cpu") {
        &["1m", "1"]
    } else {
        &[
            "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
        ]
    };
    let ok = allowed.iter().any(|a| {
        quantity_nanos(&k8s_openapi::apimachinery::pkg::api::resource::Quantity(
            (*a).into(),
        )) == Some(n)
    });
    if !ok {
        c.fail(
            p,
            format!(
                "{:?} is not a divisor of {resource} (one of {})",
                d.0,
                allowed.join(", ")
            ),
        );
    }
}

fn ip(s: &str) -> Option<String> {
    s.parse::<IpAddr>()
        .is_err()
        .then(|| format!("{s:?} is not an IP address"))
}

/// A sysctl name: dot- or slash-separated segments of lowercase alphanumerics, '-', '_'.
fn sysctl_name(s: &str) -> Option<String> {
    let segment_ok = |seg: &str| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && seg
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && seg
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric())
    };
    (s.len() > 253 || !s.split(['.', '/']).all(segment_ok))
        .then(|| format!("{s:?} is not a sysctl name"))
}

fn app_armor(c: &mut Checker, p: &str, a: &core::AppArmorProfile) {
    c.check(
        format_args!("{p}.type"),
        one_of(&a.type_, &["RuntimeDefault", "Unconfined", "Localhost"]),
    );
    let profile = a.localhost_profile.as_deref();
    if a.type_ == "Localhost" && profile.is_none_or(|s| s.trim().is_empty()) {
        c.fail(
            format_args!("{p}.localhostProfile"),
            "required when type is Localhost",
        );
    }
    if a.type_ != "Localhost" && profile.is_some() {
        c.fail(
            format_args!("{p}.localhostProfile"),
            "may only be set when type is Localhost",
        );
    }
}

/// Everything of `spec` that a Windows pod must not set, by path.
fn linux_only(path: &str, spec: &core::PodSpec) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(sc) = &spec.security_context {
        let p = format!("{path}.securityContext");
        for (field, set) in [
            ("seLinuxOptions", sc.se_linux_options.is_some()),
            ("seccompProfile", sc.seccomp_profile.is_some()),
            ("appArmorProfile", sc.app_armor_profile.is_some()),
            ("fsGroup", sc.fs_group.is_some()),
            ("fsGroupChangePolicy", sc.fs_group_change_policy.is_some()),
            ("sysctls", sc.sysctls.is_some()),
            ("runAsUser", sc.run_as_user.is_some()),
            ("runAsGroup", sc.run_as_group.is_some()),
            ("supplementalGroups", sc.supplemental_groups.is_some()),
            (
                "supplementalGroupsPolicy",
                sc.supplemental_groups_policy.is_some(),
            ),
        ] {
            if set {
                out.push(format!("{p}.{field}"));
            }
        }
    }
    if spec.share_process_namespace.is_some() {
        out.push(format!("{path}.shareProcessNamespace"));
    }
    if spec.host_users.is_some() {
        out.push(format!("{path}.hostUsers"));
    }
    for (p, k, _) in containers(path, spec) {
        let Some(sc) = &k.security_context else {
            continue;
        };
        let p = format!("{p}.securityContext");
        for (field, set) in [
            ("seLinuxOptions", sc.se_linux_options.is_some()),
            ("seccompProfile", sc.seccomp_profile.is_some()),
            ("appArmorProfile", sc.app_armor_profile.is_some()),
            ("capabilities", sc.capabilities.is_some()),
            (
                "readOnlyRootFilesystem",
                sc.read_only_root_filesystem.is_some(),
            ),
            ("privileged", sc.privileged.is_some()),
            (
                "allowPrivilegeEscalation",
                sc.allow_privilege_escalation.is_some(),
            ),
            ("procMount", sc.proc_mount.is_some()),
            ("runAsUser", sc.run_as_user.is_some()),
            ("runAsGroup", sc.run_as_group.is_some()),
        ] {
            if set {
                out.push(format!("{p}.{field}"));
            }
        }
    }
    out
}

fn containers<'a>(path: &str, spec: &'a core::PodSpec) -> Vec<(String, &'a core::Container, bool)> {
    spec.containers
        .iter()
        .enumerate()
        .map(|(i, k)| (format!("{path}.containers[{i}]"), k, false))
        .chain(
            spec.init_containers
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, k)| (format!("{path}.initContainers[{i}]"), k, true)),
        )
        .collect()
}

/// The rules of the module doc, on the pod spec at `path`.
pub(crate) fn pod_spec(c: &mut Checker, path: &str, spec: &core::PodSpec) {
    let all = containers(path, spec);
    // Host ports: unique per protocol and host IP, across the app containers (and apart,
    // across the init containers).
    for init in [false, true] {
        let mut seen = BTreeSet::new();
        for (p, k, _) in all.iter().filter(|(_, _, i)| *i == init) {
            for (i, port) in k.ports.iter().flatten().enumerate() {
                let Some(host) = port.host_port.filter(|h| *h != 0) else {
                    continue;
                };
                let key = (
                    port.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    port.host_ip.clone().unwrap_or_default(),
                    host,
                );
                if !seen.insert(key) {
                    c.fail(
                        format_args!("{p}.ports[{i}].hostPort"),
                        format!("duplicate host port {host}"),
                    );
                }
            }
        }
    }
    let host_users_off = spec.host_users == Some(false);
    for (p, k, init) in &all {
        let sidecar = k.restart_policy.as_deref() == Some("Always");
        if *init && !sidecar {
            for (field, set) in [
                ("livenessProbe", k.liveness_probe.is_some()),
                ("readinessProbe", k.readiness_probe.is_some()),
                ("startupProbe", k.startup_probe.is_some()),
            ] {
                if set {
                    c.fail(
                        format_args!("{p}.{field}"),
                        "must not be set on an init container (only on a sidecar, \
                         restartPolicy: Always)",
                    );
                }
            }
        }
        if let Some(r) = &k.resources {
            resources(c, &format!("{p}.resources"), r);
        }
        for (i, e) in k.env.iter().flatten().enumerate() {
            if let Some(r) = e
                .value_from
                .as_ref()
                .and_then(|v| v.resource_field_ref.as_ref())
                && let Some(d) = &r.divisor
            {
                divisor(
                    c,
                    &format!("{p}.env[{i}].valueFrom.resourceFieldRef.divisor"),
                    &r.resource,
                    d,
                );
            }
        }
        let privileged = k
            .security_context
            .as_ref()
            .and_then(|s| s.privileged)
            .unwrap_or(false);
        for (i, m) in k.volume_mounts.iter().flatten().enumerate() {
            let mp = format!("{p}.volumeMounts[{i}]");
            if let Some(prop) = m.mount_propagation.as_deref() {
                c.check(
                    format_args!("{mp}.mountPropagation"),
                    one_of(prop, &["Bidirectional", "HostToContainer", "None"]),
                );
                if prop == "Bidirectional" && !privileged {
                    c.fail(
                        format_args!("{mp}.mountPropagation"),
                        "Bidirectional needs a privileged container",
                    );
                }
            }
            if let Some(rro) = m.recursive_read_only.as_deref() {
                c.check(
                    format_args!("{mp}.recursiveReadOnly"),
                    one_of(rro, &["Disabled", "IfPossible", "Enabled"]),
                );
                if rro != "Disabled" && m.read_only != Some(true) {
                    c.fail(
                        format_args!("{mp}.recursiveReadOnly"),
                        "may only be set when readOnly is true",
                    );
                }
                if rro == "Enabled" && m.mount_propagation.as_deref().is_some_and(|p| p != "None") {
                    c.fail(
                        format_args!("{mp}.recursiveReadOnly"),
                        "Enabled needs mountPropagation None",
                    );
                }
            }
            let sub = m.sub_path.as_deref().is_some_and(|s| !s.is_empty());
            let expr = m.sub_path_expr.as_deref().is_some_and(|s| !s.is_empty());
            if sub && expr {
                c.fail(
                    format_args!("{mp}.subPathExpr"),
                    "subPath and subPathExpr are mutually exclusive",
                );
            }
        }
        if let Some(sc) = &k.security_context {
            let sp = format!("{p}.securityContext");
            if let Some(pm) = sc.proc_mount.as_deref() {
                c.check(
                    format_args!("{sp}.procMount"),
                    one_of(pm, &["Default", "Unmasked"]),
                );
                if pm == "Unmasked" && !host_users_off {
                    c.fail(
                        format_args!("{sp}.procMount"),
                        "Unmasked needs the pod's hostUsers: false",
                    );
                }
            }
            if let Some(a) = &sc.app_armor_profile {
                app_armor(c, &format!("{sp}.appArmorProfile"), a);
            }
        }
    }
    if let Some(sc) = &spec.security_context {
        let sp = format!("{path}.securityContext");
        if let Some(a) = &sc.app_armor_profile {
            app_armor(c, &format!("{sp}.appArmorProfile"), a);
        }
        if let Some(s) = sc.supplemental_groups_policy.as_deref() {
            c.check(
                format_args!("{sp}.supplementalGroupsPolicy"),
                one_of(s, &["Merge", "Strict"]),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, s) in sc.sysctls.iter().flatten().enumerate() {
            c.check(format_args!("{sp}.sysctls[{i}].name"), sysctl_name(&s.name));
            if !seen.insert(s.name.as_str()) {
                c.fail(
                    format_args!("{sp}.sysctls[{i}].name"),
                    format!("duplicate sysctl {:?}", s.name),
                );
            }
        }
    }
    if spec.share_process_namespace == Some(true) && spec.host_pid == Some(true) {
        c.fail(
            format_args!("{path}.shareProcessNamespace"),
            "must not be true together with hostPID",
        );
    }
    if let Some(os) = &spec.os {
        c.check(
            format_args!("{path}.os.name"),
            one_of(&os.name, &["linux", "windows"]),
        );
        if os.name == "windows" {
            for field in linux_only(path, spec) {
                c.fail(field, "must not be set for a windows pod");
            }
        }
    }
    let policy = spec.dns_policy.as_deref();
    if let Some(d) = policy {
        c.check(
            format_args!("{path}.dnsPolicy"),
            one_of(
                d,
                &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
            ),
        );
    }
    let nameservers = spec
        .dns_config
        .as_ref()
        .and_then(|d| d.nameservers.as_ref())
        .map_or(0, Vec::len);
    if policy == Some("None") && nameservers == 0 {
        c.fail(
            format_args!("{path}.dnsConfig.nameservers"),
            "required: dnsPolicy None needs at least one nameserver",
        );
    }
    if let Some(d) = &spec.dns_config {
        let dp = format!("{path}.dnsConfig");
        if nameservers > 3 {
            c.fail(
                format_args!("{dp}.nameservers"),
                "must have at most 3 entries",
            );
        }
        for (i, n) in d.nameservers.iter().flatten().enumerate() {
            c.check(format_args!("{dp}.nameservers[{i}]"), ip(n));
        }
        let searches = d.searches.as_deref().unwrap_or_default();
        if searches.len() > 32 {
            c.fail(
                format_args!("{dp}.searches"),
                "must have at most 32 entries",
            );
        }
        for (i, s) in searches.iter().enumerate() {
            let domain = s.strip_suffix('.').unwrap_or(s);
            if s != "." {
                c.check(
                    format_args!("{dp}.searches[{i}]"),
                    validate::dns1123_subdomain(domain),
                );
            }
        }
        for (i, o) in d.options.iter().flatten().enumerate() {
            if o.name.as_deref().is_none_or(str::is_empty) {
                c.fail(format_args!("{dp}.options[{i}].name"), "must not be empty");
            }
        }
    }
    for (i, a) in spec.host_aliases.iter().flatten().enumerate() {
        c.check(format_args!("{path}.hostAliases[{i}].ip"), ip(&a.ip));
        for (j, h) in a.hostnames.iter().flatten().enumerate() {
            c.check(
                format_args!("{path}.hostAliases[{i}].hostnames[{j}]"),
                validate::dns1123_subdomain(h),
            );
        }
    }
    if let Some(n) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        c.check(
            format_args!("{path}.nodeName"),
            validate::dns1123_subdomain(n),
        );
    }
    for (i, g) in spec.readiness_gates.iter().flatten().enumerate() {
        c.check(
            format_args!("{path}.readinessGates[{i}].conditionType"),
            validate::qualified_name(&g.condition_type),
        );
    }
    let mut gates = BTreeSet::new();
    for (i, g) in spec.scheduling_gates.iter().flatten().enumerate() {
        c.check(
            format_args!("{path}.schedulingGates[{i}]"),
            validate::qualified_name(&g.name),
        );
        if !gates.insert(g.name.as_str()) {
            c.fail(
                format_args!("{path}.schedulingGates[{i}]"),
                format!("duplicate scheduling gate {:?}", g.name),
            );
        }
    }
    let mut spread = BTreeSet::new();
    for (i, t) in spec
        .topology_spread_constraints
        .iter()
        .flatten()
        .enumerate()
    {
        if !spread.insert((t.topology_key.as_str(), t.when_unsatisfiable.as_str())) {
            c.fail(
                format_args!("{path}.topologySpreadConstraints[{i}]"),
                format!(
                    "duplicate topologyKey {:?} with whenUnsatisfiable {:?}",
                    t.topology_key, t.when_unsatisfiable
                ),
            );
        }
    }
    if let Some(p) = spec.preemption_policy.as_deref() {
        c.check(
            format_args!("{path}.preemptionPolicy"),
            one_of(p, &["PreemptLowerPriority", "Never"]),
        );
    }
}

/// A node selector term's `matchFields` at `p`: only `metadata.name`, with `In`/`NotIn` and
/// exactly one value.
pub(crate) fn match_fields(c: &mut Checker, p: &str, fields: &[core::NodeSelectorRequirement]) {
    for (i, f) in fields.iter().enumerate() {
        let fp = format!("{p}.matchFields[{i}]");
        if f.key != "metadata.name" {
            c.fail(
                format_args!("{fp}.key"),
                format!("{:?} is not a supported field (metadata.name)", f.key),
            );
        }
        match f.operator.as_str() {
            "In" | "NotIn" => {
                if f.values.as_ref().map_or(0, Vec::len) != 1 {
                    c.fail(format_args!("{fp}.values"), "must have exactly one value");
                }
            }
            other => c.fail(
                format_args!("{fp}.operator"),
                format!("{other:?} is not one of In, NotIn"),
            ),
        }
    }
}
