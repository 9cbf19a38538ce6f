//! The pod-spec rules, written once and run by every workload's `Validate` with its own path
//! prefix (`spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec` ...).
//!
//! They mirror the apiserver's validation (plus a few checks it leaves to the kubelet, such as
//! probe and hook port names that no container port has). Stricter than the apiserver, on
//! purpose: a lifecycle `sleep` must last at least 1 second and be *shorter* than
//! `terminationGracePeriodSeconds` (the apiserver accepts 0 and a sleep equal to the grace
//! period); and file paths must be unique within a downward API volume too (the apiserver
//! checks duplicates only across the sources of a projected volume). The sleep and port-name
//! rules go through `Checker::strict`: their messages say so, and an object relaxes them with
//! the annotation `kubeprint.dev/relax: sleep-zero,sleep-grace,port-names`
//! (docs/validation.md). The rules the differential test found missing are in
//! `pod/rules.rs`.

use crate::port::check_port_ref;
use crate::quantity::{check_quantity, quantity_cmp};
use crate::selector::{Selector, check_label_selector};
use crate::validate::{self, Checker, one_of};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use std::collections::BTreeSet;

/// Which restart policies a kind of workload allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RestartRule {
    /// Pods: any policy.
    Any,
    /// Pod controllers of `apps/v1`: only `Always` (or unset, which defaults to it).
    AlwaysOnly(&'static str),
    /// Jobs: `OnFailure` or `Never`, and it must be set (the default, `Always`, is invalid).
    NotAlways(&'static str),
}

/// What the pod spec is checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PodContext<'a> {
    pub restart: RestartRule,
    /// Names of StatefulSet claim templates, which containers mount like volumes.
    pub claim_templates: &'a [String],
}

impl PodContext<'_> {
    pub(crate) fn new(restart: RestartRule) -> PodContext<'static> {
        PodContext {
            restart,
            claim_templates: &[],
        }
    }
}

/// The JSON names of the fields set on `value` (k8s-openapi omits unset fields), so checks work
/// on every Kubernetes version's field set.
fn set_fields<T: Serialize>(value: &T) -> Vec<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k)
            .collect(),
        _ => Vec::new(),
    }
}

fn relative_path(p: &str) -> Option<String> {
    if p.is_empty() {
        Some("must not be empty".into())
    } else if p.starts_with('/') || p.split('/').any(|part| part == "..") {
        Some(format!("{p:?} must be a relative path without \"..\""))
    } else {
        None
    }
}

fn id_range(n: i64) -> Option<String> {
    (!(0..=i64::from(i32::MAX)).contains(&n))
        .then(|| format!("must be between 0 and 2147483647, got {n}"))
}

fn weight(n: i32) -> Option<String> {
    (!(1..=100).contains(&n)).then(|| format!("must be between 1 and 100, got {n}"))
}

fn file_mode(mode: i32) -> Option<String> {
    // A negative mode in octal would print as its two's complement.
    let shown = if mode < 0 {
        mode.to_string()
    } else {
        format!("{mode:#o}")
    };
    (!(0..=0o777).contains(&mode)).then(|| format!("{shown} is not a file mode (0 to 0o777)"))
}

/// Checks a pod template (labels, annotations, spec) at `path` (e.g. `spec.template`).
pub(crate) fn template(
    c: &mut Checker,
    path: &str,
    t: &core::PodTemplateSpec,
    ctx: PodContext<'_>,
) {
    if let Some(meta) = &t.metadata {
        c.labels(&format!("{path}.metadata.labels"), meta.labels.as_ref());
        c.annotations(
            &format!("{path}.metadata.annotations"),
            meta.annotations.as_ref(),
        );
    }
    match &t.spec {
        Some(spec) => pod_spec(c, &format!("{path}.spec"), spec, ctx),
        None => c.fail(format_args!("{path}.spec"), "must be set"),
    }
}

/// Checks a pod spec at `path` (e.g. `spec.template.spec`).
pub(crate) fn pod_spec(c: &mut Checker, path: &str, spec: &core::PodSpec, ctx: PodContext<'_>) {
    let all: Vec<(String, &core::Container, bool)> = spec
        .containers
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
        .collect();
    let names: BTreeSet<&str> = all.iter().map(|(_, k, _)| k.name.as_str()).collect();
    // Volumes first: mounts refer to them.
    let mut volumes = BTreeSet::new();
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let p = format!("{path}.volumes[{i}]");
        volume(c, &p, v, &names);
        if !volumes.insert(v.name.as_str()) {
            c.fail(
                format_args!("{p}.name"),
                format!("duplicate volume name {:?}", v.name),
            );
        }
    }
    let mut mountable = volumes.clone();
    mountable.extend(ctx.claim_templates.iter().map(String::as_str));

    if spec.containers.is_empty() {
        c.fail(
            format_args!("{path}.containers"),
            "must have at least one container",
        );
    }
    let grace = spec.termination_grace_period_seconds;
    let mut seen = BTreeSet::new();
    for (p, k, init) in &all {
        if !seen.insert(k.name.as_str()) {
            c.fail(
                format_args!("{p}.name"),
                format!("duplicate container name {:?}", k.name),
            );
        }
        container(c, p, k, &mountable, &names);
        if let Some(l) = &k.lifecycle {
            lifecycle(c, &format!("{p}.lifecycle"), l, k, *init, grace);
        }
    }

    let restart = spec.restart_policy.as_deref();
    if let Some(m) = restart.and_then(|p| one_of(p, &["Always", "OnFailure", "Never"])) {
        c.fail(format_args!("{path}.restartPolicy"), m);
    } else {
        restart_rule(c, path, spec.restart_policy.as_deref(), ctx.restart);
    }
    if let RestartRule::AlwaysOnly(kind) = ctx.restart
        && spec.active_deadline_seconds.is_some()
    {
        c.fail(
            format_args!("{path}.activeDeadlineSeconds"),
            format!("must not be set in a {kind}"),
        );
    }

    c.labels(&format!("{path}.nodeSelector"), spec.node_selector.as_ref());
    for (i, t) in spec.tolerations.iter().flatten().enumerate() {
        toleration(c, &format!("{path}.tolerations[{i}]"), t);
    }
    if let Some(a) = &spec.affinity {
        affinity(c, &format!("{path}.affinity"), a);
    }
    for (i, t) in spec
        .topology_spread_constraints
        .iter()
        .flatten()
        .enumerate()
    {
        topology_spread(c, &format!("{path}.topologySpreadConstraints[{i}]"), t);
    }

    let names = [
        (
            "serviceAccountName",
            spec.service_account_name.as_deref(),
            validate::dns1123_subdomain as fn(&str) -> _,
        ),
        (
            "priorityClassName",
            spec.priority_class_name.as_deref(),
            validate::dns1123_subdomain,
        ),
        (
            "runtimeClassName",
            spec.runtime_class_name.as_deref(),
            validate::dns1123_subdomain,
        ),
        (
            "hostname",
            spec.hostname.as_deref(),
            validate::dns1123_label,
        ),
        (
            "subdomain",
            spec.subdomain.as_deref(),
            validate::dns1123_label,
        ),
    ];
    for (field, value, rule) in names {
        if let Some(v) = value {
            c.check(format_args!("{path}.{field}"), rule(v));
        }
    }
    for (i, s) in spec.image_pull_secrets.iter().flatten().enumerate() {
        c.check(
            format_args!("{path}.imagePullSecrets[{i}].name"),
            validate::dns1123_subdomain(&s.name),
        );
    }
    if let Some(n) = spec.termination_grace_period_seconds {
        c.check(
            format_args!("{path}.terminationGracePeriodSeconds"),
            validate::non_negative(n),
        );
    }
    if let Some(n) = spec.active_deadline_seconds {
        c.check(
            format_args!("{path}.activeDeadlineSeconds"),
            validate::positive(n),
        );
    }
    if let Some(sc) = &spec.security_context {
        pod_security(c, &format!("{path}.securityContext"), sc);
    }
    super::rules::pod_spec(c, path, spec);
}

fn restart_rule(c: &mut Checker, path: &str, restart: Option<&str>, rule: RestartRule) {
    match rule {
        RestartRule::Any => {}
        RestartRule::AlwaysOnly(kind) => {
            if let Some(p) = restart.filter(|p| *p != "Always") {
                c.fail(
                    format_args!("{path}.restartPolicy"),
                    format!("{p:?} is not allowed in a {kind}: only Always"),
                );
            }
        }
        RestartRule::NotAlways(kind) => match restart {
            Some("Always") => c.fail(
                format_args!("{path}.restartPolicy"),
                format!("\"Always\" is not allowed in a {kind}: use OnFailure or Never"),
            ),
            None => c.fail(
                format_args!("{path}.restartPolicy"),
                format!("must be set in a {kind} (OnFailure or Never)"),
            ),
            Some(_) => {}
        },
    }
}

/// A `hostPath` source at `p` (pod volumes and PersistentVolumes).
pub(crate) fn host_path(c: &mut Checker, p: &str, h: &core::HostPathVolumeSource) {
    if h.path.is_empty() {
        c.fail(format_args!("{p}.path"), "must not be empty");
    }
    if h.path.split('/').any(|part| part == "..") {
        c.fail(
            format_args!("{p}.path"),
            format!("{:?} must not contain \"..\"", h.path),
        );
    }
    if let Some(t) = h.type_.as_deref().filter(|t| !t.is_empty()) {
        let allowed = [
            "DirectoryOrCreate",
            "Directory",
            "FileOrCreate",
            "File",
            "Socket",
            "CharDevice",
            "BlockDevice",
        ];
        c.check(format_args!("{p}.type"), one_of(t, &allowed));
    }
}

/// An `nfs` source at `p` (pod volumes and PersistentVolumes).
pub(crate) fn nfs(c: &mut Checker, p: &str, n: &core::NFSVolumeSource) {
    if n.server.is_empty() {
        c.fail(format_args!("{p}.server"), "must not be empty");
    }
    if !n.path.starts_with('/') {
        c.fail(
            format_args!("{p}.path"),
            format!("{:?} must be an absolute path", n.path),
        );
    }
}

fn volume(c: &mut Checker, p: &str, v: &core::Volume, containers: &BTreeSet<&str>) {
    c.check(format_args!("{p}.name"), validate::dns1123_label(&v.name));
    let sources: Vec<String> = set_fields(v).into_iter().filter(|k| k != "name").collect();
    match sources.len() {
        // No source: the apiserver makes it an emptyDir.
        0 | 1 => {}
        _ => c.fail(
            p,
            format!(
                "volume {:?} must have exactly one volume source, found {}",
                v.name,
                sources.join(", ")
            ),
        ),
    }
    let items =
        |c: &mut Checker, p: &str, items: Option<&Vec<core::KeyToPath>>, mode: Option<i32>| {
            for (i, item) in items.into_iter().flatten().enumerate() {
                c.check(
                    format_args!("{p}.items[{i}].key"),
                    validate::config_key(&item.key),
                );
                c.check(
                    format_args!("{p}.items[{i}].path"),
                    relative_path(&item.path),
                );
                if let Some(m) = item.mode {
                    c.check(format_args!("{p}.items[{i}].mode"), file_mode(m));
                }
            }
            if let Some(m) = mode {
                c.check(format_args!("{p}.defaultMode"), file_mode(m));
            }
        };
    if let Some(cm) = &v.config_map {
        let p = format!("{p}.configMap");
        c.check(
            format_args!("{p}.name"),
            validate::dns1123_subdomain(&cm.name),
        );
        items(c, &p, cm.items.as_ref(), cm.default_mode);
    }
    if let Some(s) = &v.secret {
        let p = format!("{p}.secret");
        c.check(
            format_args!("{p}.secretName"),
            validate::dns1123_subdomain(s.secret_name.as_deref().unwrap_or_default()),
        );
        items(c, &p, s.items.as_ref(), s.default_mode);
    }
    if let Some(e) = &v.empty_dir {
        if let Some(m) = &e.medium
            && !(m.is_empty() || m == "Memory" || m.starts_with("HugePages"))
        {
            c.fail(
                format_args!("{p}.emptyDir.medium"),
                format!("{m:?} is not one of \"\", Memory, HugePages"),
            );
        }
        if let Some(q) = &e.size_limit {
            c.check(format_args!("{p}.emptyDir.sizeLimit"), check_quantity(q));
        }
    }
    if let Some(h) = &v.host_path {
        host_path(c, &format!("{p}.hostPath"), h);
    }
    if let Some(claim) = &v.persistent_volume_claim {
        c.check(
            format_args!("{p}.persistentVolumeClaim.claimName"),
            validate::dns1123_subdomain(&claim.claim_name),
        );
    }
    if let Some(n) = &v.nfs {
        nfs(c, &format!("{p}.nfs"), n);
    }
    if let Some(d) = &v.downward_api {
        let dp = format!("{p}.downwardAPI");
        downward_files(c, &dp, d.items.as_deref(), containers, &mut BTreeSet::new());
        if let Some(m) = d.default_mode {
            c.check(format_args!("{dp}.defaultMode"), file_mode(m));
        }
    }
    if let Some(pr) = &v.projected {
        projected(c, &format!("{p}.projected"), pr, containers);
    }
}

/// The fields a downward API volume file may hold (besides one label or annotation).
const VOLUME_FIELD_PATHS: [&str; 5] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.labels",
    "metadata.annotations",
];

/// Whether `fp` is `metadata.labels['<key>']` or `metadata.annotations['<key>']`.
fn subscripted_field(fp: &str) -> bool {
    ["metadata.labels['", "metadata.annotations['"]
        .iter()
        .any(|prefix| {
            fp.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix("']"))
                .is_some_and(|k| !k.is_empty())
        })
}

/// A file path of a volume that holds several sources: relative, and not used twice.
fn volume_file_path<'a>(c: &mut Checker, p: &str, path: &'a str, seen: &mut BTreeSet<&'a str>) {
    if let Some(m) = relative_path(path) {
        c.fail(p, m);
    } else if !seen.insert(path) {
        c.fail(p, format!("duplicate path {path:?}"));
    }
}

/// Checks the `items` of a downward API volume or projection at `p`.
fn downward_files<'a>(
    c: &mut Checker,
    p: &str,
    items: Option<&'a [core::DownwardAPIVolumeFile]>,
    containers: &BTreeSet<&str>,
    paths: &mut BTreeSet<&'a str>,
) {
    for (i, f) in items.into_iter().flatten().enumerate() {
        let ip = format!("{p}.items[{i}]");
        volume_file_path(c, &format!("{ip}.path"), &f.path, paths);
        if let Some(m) = f.mode {
            c.check(format_args!("{ip}.mode"), file_mode(m));
        }
        match (&f.field_ref, &f.resource_field_ref) {
            (Some(r), None) => {
                let fp = r.field_path.as_str();
                if !VOLUME_FIELD_PATHS.contains(&fp) && !subscripted_field(fp) {
                    c.fail(
                        format_args!("{ip}.fieldRef.fieldPath"),
                        format!(
                            "{fp:?} is not a supported field ({}, metadata.labels['<key>'], metadata.annotations['<key>'])",
                            VOLUME_FIELD_PATHS.join(", ")
                        ),
                    );
                }
                if let Some(v) = r.api_version.as_deref().filter(|v| !v.is_empty()) {
                    c.check(format_args!("{ip}.fieldRef.apiVersion"), one_of(v, &["v1"]));
                }
            }
            (None, Some(r)) => {
                let rp = format!("{ip}.resourceFieldRef");
                resource_field(c, &rp, r, containers);
                if r.container_name.as_deref().is_none_or(str::is_empty) {
                    c.fail(
                        format_args!("{rp}.containerName"),
                        "must be set in a volume",
                    );
                }
            }
            _ => c.fail(
                &ip,
                "must have exactly one of fieldRef and resourceFieldRef",
            ),
        }
    }
}

/// The shortest token lifetime the apiserver accepts (ten minutes), and the longest (2^32 s).
const MIN_TOKEN_SECONDS: i64 = 600;
const MAX_TOKEN_SECONDS: i64 = 1 << 32;

fn projected(
    c: &mut Checker,
    p: &str,
    pr: &core::ProjectedVolumeSource,
    containers: &BTreeSet<&str>,
) {
    if let Some(m) = pr.default_mode {
        c.check(format_args!("{p}.defaultMode"), file_mode(m));
    }
    let mut paths = BTreeSet::new();
    let items = |c: &mut Checker, p: &str, items: Option<&'_ Vec<core::KeyToPath>>| {
        for (i, item) in items.into_iter().flatten().enumerate() {
            c.check(
                format_args!("{p}.items[{i}].key"),
                validate::config_key(&item.key),
            );
            if let Some(m) = item.mode {
                c.check(format_args!("{p}.items[{i}].mode"), file_mode(m));
            }
        }
    };
    for (i, source) in pr.sources.iter().flatten().enumerate() {
        let sp = format!("{p}.sources[{i}]");
        let kinds = set_fields(source);
        if kinds.len() != 1 {
            c.fail(
                &sp,
                format!(
                    "must have exactly one source, found {}",
                    if kinds.is_empty() {
                        "none".to_owned()
                    } else {
                        kinds.join(", ")
                    }
                ),
            );
        }
        if let Some(cm) = &source.config_map {
            let cp = format!("{sp}.configMap");
            c.check(
                format_args!("{cp}.name"),
                validate::dns1123_subdomain(&cm.name),
            );
            items(c, &cp, cm.items.as_ref());
            for (j, item) in cm.items.iter().flatten().enumerate() {
                volume_file_path(c, &format!("{cp}.items[{j}].path"), &item.path, &mut paths);
            }
        }
        if let Some(s) = &source.secret {
            let secp = format!("{sp}.secret");
            c.check(
                format_args!("{secp}.name"),
                validate::dns1123_subdomain(&s.name),
            );
            items(c, &secp, s.items.as_ref());
            for (j, item) in s.items.iter().flatten().enumerate() {
                volume_file_path(
                    c,
                    &format!("{secp}.items[{j}].path"),
                    &item.path,
                    &mut paths,
                );
            }
        }
        if let Some(d) = &source.downward_api {
            downward_files(
                c,
                &format!("{sp}.downwardAPI"),
                d.items.as_deref(),
                containers,
                &mut paths,
            );
        }
        if let Some(t) = &source.service_account_token {
            let tp = format!("{sp}.serviceAccountToken");
            volume_file_path(c, &format!("{tp}.path"), &t.path, &mut paths);
            if let Some(n) = t.expiration_seconds {
                if n < MIN_TOKEN_SECONDS {
                    c.fail(
                        format_args!("{tp}.expirationSeconds"),
                        format!("must be at least {MIN_TOKEN_SECONDS} (10 minutes), got {n}"),
                    );
                } else if n > MAX_TOKEN_SECONDS {
                    c.fail(
                        format_args!("{tp}.expirationSeconds"),
                        format!("must be at most {MAX_TOKEN_SECONDS} (2^32), got {n}"),
                    );
                }
            }
        }
    }
}

/// Kubernetes' default `terminationGracePeriodSeconds`.
const DEFAULT_GRACE_SECONDS: i64 = 30;

fn lifecycle(
    c: &mut Checker,
    p: &str,
    l: &core::Lifecycle,
    k: &core::Container,
    init: bool,
    grace: Option<i64>,
) {
    let sidecar = k.restart_policy.as_deref() == Some("Always");
    if init && !sidecar {
        c.fail(
            p,
            "must not be set in an init container (only in sidecars, restartPolicy: Always)",
        );
        return;
    }
    let port_names: BTreeSet<&str> = k
        .ports
        .iter()
        .flatten()
        .filter_map(|port| port.name.as_deref())
        .collect();
    for (field, handler) in [("postStart", &l.post_start), ("preStop", &l.pre_stop)] {
        let Some(h) = handler else { continue };
        let hp = format!("{p}.{field}");
        let handlers = [
            h.exec.is_some(),
            h.http_get.is_some(),
            h.sleep.is_some(),
            h.tcp_socket.is_some(),
        ];
        if handlers.iter().filter(|h| **h).count() != 1 {
            c.fail(
                &hp,
                "must have exactly one of exec, httpGet, sleep, tcpSocket",
            );
        }
        if let Some(exec) = &h.exec
            && exec.command.as_ref().is_none_or(Vec::is_empty)
        {
            c.fail(format_args!("{hp}.exec.command"), "must not be empty");
        }
        if let Some(get) = &h.http_get {
            http_get(c, &format!("{hp}.httpGet"), get, &port_names);
        }
        if let Some(tcp) = &h.tcp_socket {
            port_ref(c, &format!("{hp}.tcpSocket.port"), &tcp.port, &port_names);
        }
        if let Some(sleep) = &h.sleep {
            let limit = grace.unwrap_or(DEFAULT_GRACE_SECONDS);
            let source = if grace.is_some() { "" } else { ", the default" };
            if sleep.seconds < 0 {
                c.fail(
                    format_args!("{hp}.sleep.seconds"),
                    format!("must not be negative, got {}", sleep.seconds),
                );
            } else if sleep.seconds < 1 {
                c.strict(
                    "sleep-zero",
                    format_args!("{hp}.sleep.seconds"),
                    format!(
                        "must be >= 1, got {} (a sleep of 0 does nothing)",
                        sleep.seconds
                    ),
                );
            } else if grace.is_none_or(|g| g >= 0) && sleep.seconds > limit {
                c.fail(
                    format_args!("{hp}.sleep.seconds"),
                    format!(
                        "must not be more than terminationGracePeriodSeconds ({limit}{source}), \
                         got {}",
                        sleep.seconds
                    ),
                );
            } else if grace.is_none_or(|g| g >= 0) && sleep.seconds == limit {
                c.strict(
                    "sleep-grace",
                    format_args!("{hp}.sleep.seconds"),
                    format!(
                        "must be less than terminationGracePeriodSeconds ({limit}{source}), got {}",
                        sleep.seconds
                    ),
                );
            }
        }
    }
}

fn container(
    c: &mut Checker,
    p: &str,
    k: &core::Container,
    volumes: &BTreeSet<&str>,
    containers: &BTreeSet<&str>,
) {
    c.check(format_args!("{p}.name"), validate::dns1123_label(&k.name));
    if k.image.as_deref().is_none_or(|i| i.trim().is_empty()) {
        c.fail(format_args!("{p}.image"), "must not be empty");
    }
    // An empty policy is defaulted by the apiserver, like a missing one.
    if let Some(policy) = k.image_pull_policy.as_ref().filter(|p| !p.is_empty()) {
        c.check(
            format_args!("{p}.imagePullPolicy"),
            one_of(policy, &["Always", "IfNotPresent", "Never"]),
        );
    }

    let mut port_names = BTreeSet::new();
    let mut port_pairs = BTreeSet::new();
    for (i, port) in k.ports.iter().flatten().enumerate() {
        let pp = format!("{p}.ports[{i}]");
        let protocol = port
            .protocol
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or("TCP");
        c.check(
            format_args!("{pp}.containerPort"),
            validate::port_number(port.container_port),
        );
        if let Some(h) = port.host_port.filter(|h| *h != 0) {
            c.check(format_args!("{pp}.hostPort"), validate::port_number(h));
        }
        c.check(
            format_args!("{pp}.protocol"),
            one_of(protocol, &["TCP", "UDP", "SCTP"]),
        );
        if let Some(name) = &port.name {
            c.check(format_args!("{pp}.name"), validate::port_name(name));
            if !port_names.insert(name.as_str()) {
                c.fail(
                    format_args!("{pp}.name"),
                    format!("duplicate port name {name:?}"),
                );
            }
        }
        if !port_pairs.insert((port.container_port, protocol)) {
            c.fail(
                &pp,
                format!("duplicate port {}/{protocol}", port.container_port),
            );
        }
    }

    for (i, e) in k.env.iter().flatten().enumerate() {
        env_var(c, &format!("{p}.env[{i}]"), e, containers);
    }
    for (i, e) in k.env_from.iter().flatten().enumerate() {
        let ep = format!("{p}.envFrom[{i}]");
        match (&e.config_map_ref, &e.secret_ref) {
            (Some(r), None) => c.check(
                format_args!("{ep}.configMapRef.name"),
                validate::dns1123_subdomain(&r.name),
            ),
            (None, Some(r)) => c.check(
                format_args!("{ep}.secretRef.name"),
                validate::dns1123_subdomain(&r.name),
            ),
            _ => c.fail(&ep, "must have exactly one of configMapRef and secretRef"),
        }
        if let Some(prefix) = e.prefix.as_deref().filter(|s| !s.is_empty()) {
            c.check(format_args!("{ep}.prefix"), validate::env_var_name(prefix));
        }
    }

    if let Some(r) = &k.resources {
        resources(c, &format!("{p}.resources"), r);
    }

    let probes = [
        ("livenessProbe", &k.liveness_probe),
        ("readinessProbe", &k.readiness_probe),
        ("startupProbe", &k.startup_probe),
    ];
    for (field, probe) in probes {
        if let Some(pr) = probe {
            check_probe(c, &format!("{p}.{field}"), field, pr, &port_names);
        }
    }

    let mut paths = BTreeSet::new();
    for (i, m) in k.volume_mounts.iter().flatten().enumerate() {
        let mp = format!("{p}.volumeMounts[{i}]");
        if !volumes.contains(m.name.as_str()) {
            c.fail(
                format_args!("{mp}.name"),
                format!("no volume named {:?}", m.name),
            );
        }
        if m.mount_path.is_empty() {
            c.fail(format_args!("{mp}.mountPath"), "must not be empty");
        } else if !paths.insert(m.mount_path.as_str()) {
            c.fail(
                format_args!("{mp}.mountPath"),
                format!("duplicate mount path {:?}", m.mount_path),
            );
        }
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            c.check(format_args!("{mp}.subPath"), relative_path(sub));
        }
    }

    if let Some(sc) = &k.security_context {
        container_security(c, &format!("{p}.securityContext"), sc);
    }
}

const FIELD_PATHS: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

const RESOURCE_FIELDS: [&str; 6] = [
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
];

fn env_var(c: &mut Checker, p: &str, e: &core::EnvVar, containers: &BTreeSet<&str>) {
    c.check(format_args!("{p}.name"), validate::env_var_name(&e.name));
    let Some(from) = &e.value_from else { return };
    if e.value.as_deref().is_some_and(|v| !v.is_empty()) {
        c.fail(
            format_args!("{p}.valueFrom"),
            "must not be set together with value",
        );
    }
    let sources = set_fields(from);
    if sources.len() != 1 {
        c.fail(
            format_args!("{p}.valueFrom"),
            format!("must have exactly one source, found {}", sources.len()),
        );
    }
    if let Some(r) = &from.config_map_key_ref {
        c.check(
            format_args!("{p}.valueFrom.configMapKeyRef.name"),
            validate::dns1123_subdomain(&r.name),
        );
        c.check(
            format_args!("{p}.valueFrom.configMapKeyRef.key"),
            validate::config_key(&r.key),
        );
    }
    if let Some(r) = &from.secret_key_ref {
        c.check(
            format_args!("{p}.valueFrom.secretKeyRef.name"),
            validate::dns1123_subdomain(&r.name),
        );
        c.check(
            format_args!("{p}.valueFrom.secretKeyRef.key"),
            validate::config_key(&r.key),
        );
    }
    if let Some(f) = &from.field_ref {
        let fp = f.field_path.as_str();
        let subscript = ["metadata.labels['", "metadata.annotations['"]
            .iter()
            .any(|prefix| {
                fp.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix("']"))
                    .is_some_and(|k| !k.is_empty())
            });
        if !FIELD_PATHS.contains(&fp) && !subscript {
            c.fail(
                format_args!("{p}.valueFrom.fieldRef.fieldPath"),
                format!("{fp:?} is not a supported field ({}, metadata.labels['<key>'], metadata.annotations['<key>'])", FIELD_PATHS.join(", ")),
            );
        }
        if let Some(v) = f.api_version.as_deref().filter(|v| !v.is_empty()) {
            c.check(
                format_args!("{p}.valueFrom.fieldRef.apiVersion"),
                one_of(v, &["v1"]),
            );
        }
    }
    if let Some(r) = &from.resource_field_ref {
        resource_field(c, &format!("{p}.valueFrom.resourceFieldRef"), r, containers);
    }
}

/// Checks a `resourceFieldRef` (of an environment variable or a downward API file) at `rp`.
fn resource_field(
    c: &mut Checker,
    rp: &str,
    r: &core::ResourceFieldSelector,
    containers: &BTreeSet<&str>,
) {
    if !RESOURCE_FIELDS.contains(&r.resource.as_str())
        && !r.resource.starts_with("limits.hugepages-")
        && !r.resource.starts_with("requests.hugepages-")
    {
        c.fail(
            format_args!("{rp}.resource"),
            format!(
                "{:?} is not a supported resource ({})",
                r.resource,
                RESOURCE_FIELDS.join(", ")
            ),
        );
    }
    if let Some(name) = r.container_name.as_deref().filter(|n| !n.is_empty())
        && !containers.contains(name)
    {
        c.fail(
            format_args!("{rp}.containerName"),
            format!("no container named {name:?}"),
        );
    }
    if let Some(d) = &r.divisor {
        c.check(format_args!("{rp}.divisor"), check_quantity(d));
    }
}

fn resources(c: &mut Checker, p: &str, r: &core::ResourceRequirements) {
    for (field, map) in [("requests", &r.requests), ("limits", &r.limits)] {
        for (name, q) in map.iter().flatten() {
            c.check(format_args!("{p}.{field}[{name:?}]"), check_quantity(q));
        }
    }
    let limits = r.limits.as_ref();
    for (name, request) in r.requests.iter().flatten() {
        if let Some(limit) = limits.and_then(|l| l.get(name))
            && quantity_cmp(request, limit) == Some(std::cmp::Ordering::Greater)
        {
            c.fail(
                format_args!("{p}.requests[{name:?}]"),
                format!("{:?} is more than the limit {:?}", request.0, limit.0),
            );
        }
    }
}

fn port_ref(c: &mut Checker, p: &str, port: &IntOrString, names: &BTreeSet<&str>) {
    if let Some(m) = check_port_ref(port) {
        c.fail(p, m);
    } else if let IntOrString::String(name) = port
        && !names.contains(name.as_str())
    {
        // The apiserver leaves this to the kubelet, which then fails the probe forever.
        c.strict(
            "port-names",
            p,
            format!("{name:?} is not the name of a port of this container"),
        );
    }
}

fn http_header_name(name: &str) -> Option<String> {
    let token = |ch: char| ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch);
    (name.is_empty() || !name.chars().all(token))
        .then(|| format!("{name:?} is not a valid HTTP header name"))
}

/// Checks an HTTP GET of a probe or hook at `p` (`....httpGet`).
fn http_get(c: &mut Checker, p: &str, get: &core::HTTPGetAction, port_names: &BTreeSet<&str>) {
    port_ref(c, &format!("{p}.port"), &get.port, port_names);
    if let Some(s) = &get.scheme {
        c.check(format_args!("{p}.scheme"), one_of(s, &["HTTP", "HTTPS"]));
    }
    for (i, h) in get.http_headers.iter().flatten().enumerate() {
        c.check(
            format_args!("{p}.httpHeaders[{i}].name"),
            http_header_name(&h.name),
        );
    }
}

fn check_probe(
    c: &mut Checker,
    p: &str,
    field: &str,
    probe: &core::Probe,
    port_names: &BTreeSet<&str>,
) {
    let handlers = [
        probe.http_get.is_some(),
        probe.tcp_socket.is_some(),
        probe.exec.is_some(),
        probe.grpc.is_some(),
    ];
    if handlers.iter().filter(|h| **h).count() != 1 {
        c.fail(p, "must have exactly one of httpGet, tcpSocket, exec, grpc");
    }
    if let Some(get) = &probe.http_get {
        http_get(c, &format!("{p}.httpGet"), get, port_names);
    }
    if let Some(tcp) = &probe.tcp_socket {
        port_ref(c, &format!("{p}.tcpSocket.port"), &tcp.port, port_names);
    }
    if let Some(exec) = &probe.exec
        && exec.command.as_ref().is_none_or(Vec::is_empty)
    {
        c.fail(format_args!("{p}.exec.command"), "must not be empty");
    }
    if let Some(grpc) = &probe.grpc {
        c.check(
            format_args!("{p}.grpc.port"),
            validate::port_number(grpc.port),
        );
    }
    let numbers = [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("periodSeconds", probe.period_seconds),
        ("successThreshold", probe.success_threshold),
        ("failureThreshold", probe.failure_threshold),
    ];
    for (name, value) in numbers {
        if let Some(n) = value {
            c.check(format_args!("{p}.{name}"), validate::non_negative(n.into()));
        }
    }
    let kind = match field {
        "livenessProbe" => "liveness",
        "startupProbe" => "startup",
        _ => "readiness",
    };
    if kind != "readiness"
        && let Some(n) = probe.success_threshold.filter(|n| *n != 1)
    {
        c.fail(
            format_args!("{p}.successThreshold"),
            format!("must be 1 for {kind} probes, got {n}"),
        );
    }
    if let Some(n) = probe.termination_grace_period_seconds {
        if kind == "readiness" {
            c.fail(
                format_args!("{p}.terminationGracePeriodSeconds"),
                "must not be set for readiness probes",
            );
        } else {
            c.check(
                format_args!("{p}.terminationGracePeriodSeconds"),
                validate::positive(n),
            );
        }
    }
}

fn seccomp(c: &mut Checker, p: &str, s: &core::SeccompProfile) {
    c.check(
        format_args!("{p}.type"),
        one_of(&s.type_, &["RuntimeDefault", "Localhost", "Unconfined"]),
    );
    let has_profile = s
        .localhost_profile
        .as_deref()
        .is_some_and(|l| !l.is_empty());
    if s.type_ == "Localhost" && !has_profile {
        c.fail(
            format_args!("{p}.localhostProfile"),
            "must be set when type is Localhost",
        );
    }
    if s.type_ != "Localhost" && has_profile {
        c.fail(
            format_args!("{p}.localhostProfile"),
            "may only be set when type is Localhost",
        );
    }
}

fn pod_security(c: &mut Checker, p: &str, sc: &core::PodSecurityContext) {
    for (field, value) in [
        ("runAsUser", sc.run_as_user),
        ("runAsGroup", sc.run_as_group),
        ("fsGroup", sc.fs_group),
    ] {
        if let Some(n) = value {
            c.check(format_args!("{p}.{field}"), id_range(n));
        }
    }
    for (i, g) in sc.supplemental_groups.iter().flatten().enumerate() {
        c.check(format_args!("{p}.supplementalGroups[{i}]"), id_range(*g));
    }
    if let Some(policy) = &sc.fs_group_change_policy {
        c.check(
            format_args!("{p}.fsGroupChangePolicy"),
            one_of(policy, &["OnRootMismatch", "Always"]),
        );
    }
    if let Some(s) = &sc.seccomp_profile {
        seccomp(c, &format!("{p}.seccompProfile"), s);
    }
}

fn container_security(c: &mut Checker, p: &str, sc: &core::SecurityContext) {
    for (field, value) in [
        ("runAsUser", sc.run_as_user),
        ("runAsGroup", sc.run_as_group),
    ] {
        if let Some(n) = value {
            c.check(format_args!("{p}.{field}"), id_range(n));
        }
    }
    if sc.allow_privilege_escalation == Some(false) {
        if sc.privileged == Some(true) {
            c.fail(
                format_args!("{p}.allowPrivilegeEscalation"),
                "must not be false when privileged is true",
            );
        }
        let adds = sc.capabilities.as_ref().and_then(|c| c.add.as_ref());
        if adds.is_some_and(|a| {
            a.iter()
                .any(|cap| cap == "SYS_ADMIN" || cap == "CAP_SYS_ADMIN")
        }) {
            c.fail(
                format_args!("{p}.allowPrivilegeEscalation"),
                "must not be false when capability SYS_ADMIN is added",
            );
        }
    }
    if let Some(s) = &sc.seccomp_profile {
        seccomp(c, &format!("{p}.seccompProfile"), s);
    }
}

/// A toleration at `p` (pods, RuntimeClass scheduling).
pub(crate) fn toleration(c: &mut Checker, p: &str, t: &core::Toleration) {
    let key = t.key.as_deref().unwrap_or_default();
    let operator = t
        .operator
        .as_deref()
        .filter(|o| !o.is_empty())
        .unwrap_or("Equal");
    if !key.is_empty() {
        c.check(format_args!("{p}.key"), validate::label_key(key));
    } else if operator != "Exists" {
        c.fail(
            format_args!("{p}.operator"),
            "must be Exists when key is empty",
        );
    }
    let value = t.value.as_deref().unwrap_or_default();
    match operator {
        "Equal" => c.check(format_args!("{p}.value"), validate::label_value(value)),
        "Exists" => {
            if !value.is_empty() {
                c.fail(
                    format_args!("{p}.value"),
                    "must be empty when operator is Exists",
                );
            }
        }
        other => c.check(
            format_args!("{p}.operator"),
            one_of(other, &["Equal", "Exists"]),
        ),
    }
    let effect = t.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() {
        c.check(
            format_args!("{p}.effect"),
            one_of(effect, &["NoSchedule", "PreferNoSchedule", "NoExecute"]),
        );
    }
    if t.toleration_seconds.is_some() && effect != "NoExecute" {
        c.fail(
            format_args!("{p}.tolerationSeconds"),
            "may only be set when effect is NoExecute",
        );
    }
}

fn node_term(c: &mut Checker, p: &str, term: &core::NodeSelectorTerm) {
    super::rules::match_fields(c, p, term.match_fields.as_deref().unwrap_or_default());
    for (i, r) in term.match_expressions.iter().flatten().enumerate() {
        let rp = format!("{p}.matchExpressions[{i}]");
        c.check(format_args!("{rp}.key"), validate::label_key(&r.key));
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => {
                c.fail(
                    format_args!("{rp}.values"),
                    "must not be empty for In and NotIn",
                );
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                c.fail(
                    format_args!("{rp}.values"),
                    "must be empty for Exists and DoesNotExist",
                );
            }
            "Gt" | "Lt" if values.len() != 1 || values[0].parse::<i64>().is_err() => {
                c.fail(
                    format_args!("{rp}.values"),
                    "must be a single integer for Gt and Lt",
                );
            }
            op => c.check(
                format_args!("{rp}.operator"),
                one_of(op, &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
            ),
        }
    }
}

/// A node selector at `p` (required node affinity of pods, node affinity of PersistentVolumes):
/// at least one term, each term's expressions valid.
pub(crate) fn node_selector(c: &mut Checker, p: &str, selector: &core::NodeSelector) {
    if selector.node_selector_terms.is_empty() {
        c.fail(
            format_args!("{p}.nodeSelectorTerms"),
            "must have at least one term",
        );
    }
    for (i, t) in selector.node_selector_terms.iter().enumerate() {
        node_term(c, &format!("{p}.nodeSelectorTerms[{i}]"), t);
    }
}

fn pod_term(c: &mut Checker, p: &str, term: &core::PodAffinityTerm) {
    if term.topology_key.is_empty() {
        c.fail(format_args!("{p}.topologyKey"), "must not be empty");
    } else {
        c.check(
            format_args!("{p}.topologyKey"),
            validate::qualified_name(&term.topology_key),
        );
    }
    if let Some(s) = &term.label_selector {
        check_label_selector(c, &format!("{p}.labelSelector"), s);
    }
    if let Some(s) = &term.namespace_selector {
        check_label_selector(c, &format!("{p}.namespaceSelector"), s);
    }
}

fn affinity(c: &mut Checker, p: &str, a: &core::Affinity) {
    if let Some(node) = &a.node_affinity {
        let np = format!("{p}.nodeAffinity");
        if let Some(req) = &node.required_during_scheduling_ignored_during_execution {
            node_selector(
                c,
                &format!("{np}.requiredDuringSchedulingIgnoredDuringExecution"),
                req,
            );
        }
        for (i, t) in node
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            let tp = format!("{np}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            c.check(format_args!("{tp}.weight"), weight(t.weight));
            node_term(c, &format!("{tp}.preference"), &t.preference);
        }
    }
    let pods = [
        (
            "podAffinity",
            a.pod_affinity.as_ref().map(|x| {
                (
                    &x.required_during_scheduling_ignored_during_execution,
                    &x.preferred_during_scheduling_ignored_during_execution,
                )
            }),
        ),
        (
            "podAntiAffinity",
            a.pod_anti_affinity.as_ref().map(|x| {
                (
                    &x.required_during_scheduling_ignored_during_execution,
                    &x.preferred_during_scheduling_ignored_during_execution,
                )
            }),
        ),
    ];
    for (field, terms) in pods {
        let Some((required, preferred)) = terms else {
            continue;
        };
        for (i, t) in required.iter().flatten().enumerate() {
            pod_term(
                c,
                &format!("{p}.{field}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"),
                t,
            );
        }
        for (i, t) in preferred.iter().flatten().enumerate() {
            let tp = format!("{p}.{field}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
            c.check(format_args!("{tp}.weight"), weight(t.weight));
            pod_term(c, &format!("{tp}.podAffinityTerm"), &t.pod_affinity_term);
        }
    }
}

fn topology_spread(c: &mut Checker, p: &str, t: &core::TopologySpreadConstraint) {
    c.check(
        format_args!("{p}.maxSkew"),
        validate::positive(t.max_skew.into()),
    );
    if t.topology_key.is_empty() {
        c.fail(format_args!("{p}.topologyKey"), "must not be empty");
    } else {
        c.check(
            format_args!("{p}.topologyKey"),
            validate::qualified_name(&t.topology_key),
        );
    }
    c.check(
        format_args!("{p}.whenUnsatisfiable"),
        one_of(&t.when_unsatisfiable, &["DoNotSchedule", "ScheduleAnyway"]),
    );
    if let Some(n) = t.min_domains {
        c.check(format_args!("{p}.minDomains"), validate::positive(n.into()));
        if t.when_unsatisfiable != "DoNotSchedule" {
            c.fail(
                format_args!("{p}.minDomains"),
                "may only be set when whenUnsatisfiable is DoNotSchedule",
            );
        }
    }
    if let Some(s) = &t.label_selector {
        check_label_selector(c, &format!("{p}.labelSelector"), s);
    }
}

/// Checks a workload's selector against its pod template: syntax, not empty, and that it
/// selects the template's labels.
pub(crate) fn selector_and_template(
    c: &mut Checker,
    spec_path: &str,
    selector: &LabelSelector,
    template: &core::PodTemplateSpec,
) {
    check_label_selector(c, &format!("{spec_path}.selector"), selector);
    // A selector that does not parse was reported just above.
    let Ok(selector) = Selector::try_from(selector) else {
        return;
    };
    if selector.is_empty() {
        c.fail(format_args!("{spec_path}.selector"), "must not be empty");
        return;
    }
    let labels = template.metadata.as_ref().and_then(|m| m.labels.clone());
    if !selector.matches(&labels.unwrap_or_default()) {
        c.fail(
            format_args!("{spec_path}.template.metadata.labels"),
            format!("do not match the selector {:?}", selector.to_string()),
        );
    }
}
