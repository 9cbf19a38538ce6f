//! When is an object ready? Pure functions over the live object's JSON (so they work with any
//! Kubernetes version's fields), unit-tested without a cluster. The rules follow
//! `kubectl rollout status`, plus fail-fast checks it lacks.

use super::resources::Rule;
use crate::object::CustomReadiness;
use serde_json::Value;

/// Where an object stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Ready,
    Progressing,
    Failed,
}

/// An evaluation: the state, progress counts and what it is waiting for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) state: State,
    pub(crate) ready: u32,
    pub(crate) desired: u32,
    pub(crate) message: String,
}

impl Status {
    fn ready(ready: i64, desired: i64) -> Self {
        Status {
            state: State::Ready,
            ready: clamp(ready),
            desired: clamp(desired),
            message: "ready".into(),
        }
    }
    fn progressing(ready: i64, desired: i64, message: impl Into<String>) -> Self {
        Status {
            state: State::Progressing,
            ready: clamp(ready),
            desired: clamp(desired),
            message: message.into(),
        }
    }
    fn failed(message: impl Into<String>) -> Self {
        Status {
            state: State::Failed,
            ready: 0,
            desired: 0,
            message: message.into(),
        }
    }
}

fn clamp(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn int(v: &Value, ptr: &str) -> Option<i64> {
    v.pointer(ptr).and_then(Value::as_i64)
}

fn text<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

fn conditions(v: &Value) -> impl Iterator<Item = &Value> {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn condition<'a>(v: &'a Value, type_: &str) -> Option<&'a Value> {
    conditions(v).find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

fn is_true(c: Option<&Value>) -> bool {
    c.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True")
}

/// The object's conditions as `Type=Status Reason: message`, for error reports.
pub(crate) fn describe_conditions(v: &Value) -> Vec<String> {
    conditions(v)
        .map(|c| {
            let mut s = format!("{}={}", text(c, "/type"), text(c, "/status"));
            let reason = text(c, "/reason");
            if !reason.is_empty() {
                s.push(' ');
                s.push_str(reason);
            }
            let message = text(c, "/message");
            if !message.is_empty() {
                s.push_str(": ");
                s.push_str(message);
            }
            s
        })
        .collect()
}

/// Whether the controller has seen the object's latest spec.
fn observed(v: &Value) -> bool {
    let generation = int(v, "/metadata/generation").unwrap_or(0);
    int(v, "/status/observedGeneration").is_some_and(|o| o >= generation)
}

const NOT_OBSERVED: &str = "waiting for the controller to observe the latest spec";

/// Evaluates an object of `kind`, as far as the object alone tells (pods and endpoints are
/// looked at separately).
pub(crate) fn evaluate(kind: &str, v: &Value) -> Status {
    match kind {
        "Deployment" => deployment(v),
        "StatefulSet" => statefulset(v),
        "DaemonSet" => daemonset(v),
        "ReplicaSet" => replicaset(v),
        "Job" => job(v),
        "Pod" => pod(v),
        "PersistentVolumeClaim" => pvc(v),
        "PersistentVolume" => pv(v),
        "ResourceQuota" => quota(v),
        "Namespace" => namespace(v),
        "HorizontalPodAutoscaler" => autoscaler(v),
        "CustomResourceDefinition" => crd(v),
        _ => Status::ready(1, 1),
    }
}

/// Evaluates an object by its type's rule: a built-in kind's, the kstatus rules, or the
/// type's own.
pub(crate) fn evaluate_with(rule: Rule, kind: &str, v: &Value) -> Status {
    match rule {
        Rule::Builtin => evaluate(kind, v),
        Rule::Kstatus { expects_status } => kstatus(v, expects_status),
        Rule::Own(rule) => match rule(v) {
            CustomReadiness::Ready => Status::ready(1, 1),
            CustomReadiness::Progressing(m) => Status::progressing(0, 1, m),
            CustomReadiness::Failed(m) => Status::failed(m),
        },
    }
}

/// A CRD is ready when the apiserver serves its kind: `Established` and `NamesAccepted`. Names
/// not accepted (another CRD has them) will not change by waiting.
fn crd(v: &Value) -> Status {
    let names = condition(v, "NamesAccepted");
    if names.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("False") {
        return Status::failed(format!(
            "names not accepted: {}",
            names.map(|c| text(c, "/message")).unwrap_or_default()
        ));
    }
    if is_true(condition(v, "Established")) && is_true(names) {
        Status::ready(1, 1)
    } else {
        Status::progressing(0, 1, "waiting for the apiserver to establish the CRD")
    }
}

/// The kstatus rules for custom kinds (those of `sigs.k8s.io/cli-utils`' kstatus, which
/// Flux and `kubectl wait` users know):
/// - `status.observedGeneration` below `metadata.generation`: not ready (the controller has not
///   seen the latest spec);
/// - condition `Stalled=True`: failed (the controller gave up), with its reason and message;
/// - `Reconciling=True`, or `Ready` not `True`: not ready yet;
/// - `Ready=True`, or no such conditions at all: ready;
/// - no `status` at all: not ready when the kind has a status subresource (the controller has
///   not seen the object yet), otherwise ready once applied (a kind without a controller).
pub(crate) fn kstatus(v: &Value, expects_status: bool) -> Status {
    let Some(status) = v
        .get("status")
        .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
    else {
        return if expects_status {
            Status::progressing(0, 1, "waiting for its controller to report status")
        } else {
            Status::ready(1, 1)
        };
    };
    let generation = int(v, "/metadata/generation").unwrap_or(0);
    if let Some(observed) = status.get("observedGeneration").and_then(Value::as_i64)
        && observed < generation
    {
        return Status::progressing(0, 1, NOT_OBSERVED);
    }
    let why = |c: &Value| {
        let reason = text(c, "/reason");
        let message = text(c, "/message");
        match (reason.is_empty(), message.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(": {reason}"),
            (true, false) => format!(": {message}"),
            (false, false) => format!(": {reason}: {message}"),
        }
    };
    if let Some(c) = condition(v, "Stalled").filter(|c| is_true(Some(c))) {
        return Status::failed(format!("stalled{}", why(c)));
    }
    if let Some(c) = condition(v, "Reconciling").filter(|c| is_true(Some(c))) {
        return Status::progressing(0, 1, format!("reconciling{}", why(c)));
    }
    match condition(v, "Ready") {
        Some(c) if !is_true(Some(c)) => Status::progressing(0, 1, format!("not ready{}", why(c))),
        _ => Status::ready(1, 1),
    }
}

/// An autoscaler is ready when it can scale its target (`AbleToScale`) and computes a scale
/// from its metrics (`ScalingActive`); until then the conditions' reason and message say why
/// (a missing target, metrics that cannot be read, a container without the request a
/// utilization target needs). `ScalingActive` false with reason `ScalingDisabled` (the
/// target is scaled to zero) counts as ready: nothing is wrong.
fn autoscaler(v: &Value) -> Status {
    let desired = int(v, "/status/desiredReplicas").unwrap_or(0);
    let current = int(v, "/status/currentReplicas").unwrap_or(0);
    for type_ in ["AbleToScale", "ScalingActive"] {
        match condition(v, type_) {
            None => {
                return Status::progressing(
                    current,
                    desired,
                    format!("waiting for the autoscaler to report {type_}"),
                );
            }
            Some(c) if text(c, "/status") == "True" => {}
            Some(c) if type_ == "ScalingActive" && text(c, "/reason") == "ScalingDisabled" => {}
            Some(c) => {
                return Status::progressing(
                    current,
                    desired,
                    format!(
                        "{type_} is False ({}): {}",
                        text(c, "/reason"),
                        text(c, "/message")
                    ),
                );
            }
        }
    }
    Status::ready(current, desired)
}

fn deployment(v: &Value) -> Status {
    let desired = int(v, "/spec/replicas").unwrap_or(1);
    // Generation first: a condition from an earlier rollout says nothing about this one.
    if !observed(v) {
        return Status::progressing(0, desired, NOT_OBSERVED);
    }
    if let Some(c) = condition(v, "Progressing")
        && text(c, "/reason") == "ProgressDeadlineExceeded"
    {
        return Status::failed(format!(
            "exceeded its progress deadline: {}",
            text(c, "/message")
        ));
    }
    let updated = int(v, "/status/updatedReplicas").unwrap_or(0);
    let replicas = int(v, "/status/replicas").unwrap_or(0);
    let available = int(v, "/status/availableReplicas").unwrap_or(0);
    if updated < desired {
        return Status::progressing(
            updated,
            desired,
            format!("{updated} of {desired} replicas updated"),
        );
    }
    if replicas > updated {
        return Status::progressing(
            available.min(updated),
            desired,
            format!(
                "{} old replicas are pending termination",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return Status::progressing(
            available,
            desired,
            format!("{available} of {updated} updated replicas are available"),
        );
    }
    Status::ready(available, desired)
}

fn statefulset(v: &Value) -> Status {
    let desired = int(v, "/spec/replicas").unwrap_or(1);
    if !observed(v) {
        return Status::progressing(0, desired, NOT_OBSERVED);
    }
    let ready = int(v, "/status/readyReplicas").unwrap_or(0);
    if ready < desired {
        return Status::progressing(
            ready,
            desired,
            format!("{ready} of {desired} pods are ready"),
        );
    }
    if text(v, "/spec/updateStrategy/type") == "OnDelete" {
        return Status::ready(ready, desired);
    }
    let updated = int(v, "/status/updatedReplicas").unwrap_or(0);
    let partition = int(v, "/spec/updateStrategy/rollingUpdate/partition").unwrap_or(0);
    if partition > 0 {
        let want = (desired - partition).max(0);
        if updated < want {
            return Status::progressing(
                updated,
                want,
                format!(
                    "partitioned rollout: {updated} of {want} pods above the partition updated"
                ),
            );
        }
        return Status::ready(ready, desired);
    }
    let current = text(v, "/status/currentRevision");
    let update = text(v, "/status/updateRevision");
    if current != update {
        return Status::progressing(
            updated,
            desired,
            format!("rolling update: {updated} of {desired} pods at revision {update}"),
        );
    }
    Status::ready(ready, desired)
}

fn daemonset(v: &Value) -> Status {
    let desired = int(v, "/status/desiredNumberScheduled").unwrap_or(0);
    if !observed(v) {
        return Status::progressing(0, desired, NOT_OBSERVED);
    }
    if text(v, "/spec/updateStrategy/type") == "OnDelete" {
        return Status::ready(desired, desired);
    }
    let updated = int(v, "/status/updatedNumberScheduled").unwrap_or(0);
    if updated < desired {
        return Status::progressing(
            updated,
            desired,
            format!("{updated} of {desired} updated pods are scheduled"),
        );
    }
    let available = int(v, "/status/numberAvailable").unwrap_or(0);
    if available < desired {
        return Status::progressing(
            available,
            desired,
            format!("{available} of {desired} updated pods are available"),
        );
    }
    Status::ready(available, desired)
}

fn replicaset(v: &Value) -> Status {
    let desired = int(v, "/spec/replicas").unwrap_or(1);
    if !observed(v) {
        return Status::progressing(0, desired, NOT_OBSERVED);
    }
    let available = int(v, "/status/availableReplicas").unwrap_or(0);
    if available < desired {
        return Status::progressing(
            available,
            desired,
            format!("{available} of {desired} replicas are available"),
        );
    }
    Status::ready(available, desired)
}

fn job(v: &Value) -> Status {
    let completions = int(v, "/spec/completions").unwrap_or(1);
    let succeeded = int(v, "/status/succeeded").unwrap_or(0);
    for type_ in ["Failed", "FailureTarget"] {
        if let Some(c) = condition(v, type_).filter(|c| is_true(Some(c))) {
            return Status::failed(format!(
                "job failed: {}: {}",
                text(c, "/reason"),
                text(c, "/message")
            ));
        }
    }
    if is_true(condition(v, "Complete")) {
        return Status::ready(succeeded.max(completions), completions);
    }
    if v.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        return Status::ready(succeeded, completions);
    }
    let active = int(v, "/status/active").unwrap_or(0);
    let failed = int(v, "/status/failed").unwrap_or(0);
    let mut message = format!("{succeeded} of {completions} completions; {active} active");
    if failed > 0 {
        message.push_str(&format!(", {failed} failed"));
    }
    Status::progressing(succeeded, completions, message)
}

fn pod(v: &Value) -> Status {
    match text(v, "/status/phase") {
        "Succeeded" => return Status::ready(1, 1),
        "Failed" => {
            return Status::failed(format!(
                "pod failed: {} {}",
                text(v, "/status/reason"),
                text(v, "/status/message")
            ));
        }
        _ => {}
    }
    if is_true(condition(v, "Ready")) {
        return Status::ready(1, 1);
    }
    // Container problems (CrashLoopBackOff ...) are judged by the waiter, see `pod_problems`.
    let phase = text(v, "/status/phase");
    let note = pod_notes(v).into_iter().next().unwrap_or_default();
    let phase = if phase.is_empty() { "Pending" } else { phase };
    Status::progressing(
        0,
        1,
        if note.is_empty() {
            format!("pod is {phase}")
        } else {
            format!("pod is {phase}: {note}")
        },
    )
}

fn pvc(v: &Value) -> Status {
    match text(v, "/status/phase") {
        "Bound" => Status::ready(1, 1),
        "Lost" => Status::failed("claim lost its volume"),
        phase => Status::progressing(
            0,
            1,
            format!(
                "claim is {}",
                if phase.is_empty() { "Pending" } else { phase }
            ),
        ),
    }
}

/// A volume is ready once the volume controller has taken it in: `Available` for claims, or
/// already `Bound`.
fn pv(v: &Value) -> Status {
    match text(v, "/status/phase") {
        "Available" | "Bound" => Status::ready(1, 1),
        "Released" => Status::failed(
            "volume was released by its deleted claim; no claim binds to it until an \
             administrator clears spec.claimRef (its data is still there)",
        ),
        "Failed" => Status::failed(format!(
            "volume failed: {}",
            match text(v, "/status/message") {
                "" => "no message",
                m => m,
            }
        )),
        phase => Status::progressing(
            0,
            1,
            format!(
                "volume is {}",
                if phase.is_empty() { "Pending" } else { phase }
            ),
        ),
    }
}

/// A quota is enforced once the quota controller has filled in its status: until then
/// admission neither checks nor counts the namespace's new pods against it, so workloads made
/// in that window would escape it.
fn quota(v: &Value) -> Status {
    let hard = v
        .pointer("/spec/hard")
        .filter(|h| h.as_object().is_some_and(|m| !m.is_empty()));
    match hard {
        Some(h) if v.pointer("/status/hard") != Some(h) => Status::progressing(
            0,
            1,
            "waiting for the quota controller to count the namespace's use",
        ),
        _ => Status::ready(1, 1),
    }
}

fn namespace(v: &Value) -> Status {
    match text(v, "/status/phase") {
        "Active" => Status::ready(1, 1),
        "Terminating" => Status::failed("namespace is terminating"),
        phase => Status::progressing(0, 1, format!("namespace is {phase}")),
    }
}

/// Container states that will not fix themselves: the workload fails fast on them.
const FATAL_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

fn pod_name(pod: &Value) -> &str {
    text(pod, "/metadata/name")
}

fn container_statuses(pod: &Value) -> impl Iterator<Item = &Value> {
    ["/status/initContainerStatuses", "/status/containerStatuses"]
        .into_iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
}

/// Fatal problems of a pod: `pod "web-1": container "app": ImagePullBackOff: message`.
pub(crate) fn pod_problems(pod: &Value) -> Vec<String> {
    container_statuses(pod)
        .filter_map(|c| {
            let reason = text(c, "/state/waiting/reason");
            FATAL_REASONS.contains(&reason).then(|| {
                let message = text(c, "/state/waiting/message");
                let mut s = format!(
                    "pod {:?}: container {:?}: {reason}",
                    pod_name(pod),
                    text(c, "/name")
                );
                if !message.is_empty() {
                    s.push_str(": ");
                    s.push_str(message);
                }
                s
            })
        })
        .collect()
}

/// Non-fatal trouble worth reporting when time runs out: unschedulable, restarts, failed phase.
pub(crate) fn pod_notes(pod: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(c) = condition(pod, "PodScheduled").filter(|c| text(c, "/status") == "False") {
        notes.push(format!(
            "pod {:?}: {}: {}",
            pod_name(pod),
            text(c, "/reason"),
            text(c, "/message")
        ));
    }
    for c in container_statuses(pod) {
        let restarts = int(c, "/restartCount").unwrap_or(0);
        let exit = int(c, "/lastState/terminated/exitCode");
        if restarts > 0 {
            let mut s = format!(
                "pod {:?}: container {:?}: restarted {restarts} time(s)",
                pod_name(pod),
                text(c, "/name")
            );
            if let Some(code) = exit {
                s.push_str(&format!(
                    ", last exit code {code} {}",
                    text(c, "/lastState/terminated/reason")
                ));
            }
            notes.push(s);
        }
    }
    if text(pod, "/status/phase") == "Failed" {
        notes.push(format!(
            "pod {:?}: Failed: {} {}",
            pod_name(pod),
            text(pod, "/status/reason"),
            text(pod, "/status/message")
        ));
    }
    notes
}

/// Kinds whose readiness depends on pods worth watching for fail-fast and error reports.
pub(crate) fn has_pods(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job"
    )
}

/// How long `v` (a workload or Pod as applied) must stay ready before it counts: `settle` when
/// a container of its pods has no readiness probe (ready the moment it starts, crashing or
/// not) and `minReadySeconds` does not cover it already; `None` otherwise. Also names the first
/// such container.
pub(crate) fn settle_window(
    kind: &str,
    v: &Value,
    settle: std::time::Duration,
) -> Option<(std::time::Duration, String)> {
    if settle.is_zero() {
        return None;
    }
    let containers = match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            if v.pointer("/spec/replicas").and_then(Value::as_i64) == Some(0) {
                return None;
            }
            let min_ready = v
                .pointer("/spec/minReadySeconds")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if std::time::Duration::from_secs(min_ready) >= settle {
                return None;
            }
            v.pointer("/spec/template/spec/containers")
        }
        "Pod" => v.pointer("/spec/containers"),
        _ => None,
    }?;
    containers
        .as_array()?
        .iter()
        .find(|c| c.get("readinessProbe").is_none_or(Value::is_null))
        .map(|c| (settle, text(c, "/name").to_owned()))
}

/// The restarts of every container of `pods` (live Pods as JSON), summed.
pub(crate) fn restarts<'a>(pods: impl IntoIterator<Item = &'a Value>) -> i64 {
    pods.into_iter()
        .flat_map(|p| {
            p.pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|c| int(c, "/restartCount"))
        .sum()
}

/// The label selector (kubectl syntax) of a workload's pods, from its `spec.selector`; for a Job,
/// its controller uid.
pub(crate) fn pod_selector(kind: &str, v: &Value) -> Option<String> {
    if kind == "Job" {
        let uid = text(v, "/metadata/uid");
        let name = text(v, "/metadata/name");
        return Some(if uid.is_empty() {
            format!("batch.kubernetes.io/job-name={name}")
        } else {
            format!("batch.kubernetes.io/controller-uid={uid}")
        });
    }
    label_selector(v.pointer("/spec/selector")?)
}

/// A `LabelSelector` (matchLabels + matchExpressions) in kubectl's string syntax.
pub(crate) fn label_selector(sel: &Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(labels) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = text(e, "/key");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match text(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            _ => return None,
        });
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Whether a pod belongs to the workload's current revision (problems of old pods, which a
/// rollout is replacing, are not the new revision's failure). `rs_revision` gives the
/// `deployment.kubernetes.io/revision` of a ReplicaSet by name, when known.
pub(crate) fn pod_is_current(
    kind: &str,
    workload: &Value,
    pod: &Value,
    rs_revision: impl Fn(&str) -> Option<String>,
) -> bool {
    let label = |k: &str| {
        pod.pointer("/metadata/labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
    };
    match kind {
        "StatefulSet" => {
            let update = text(workload, "/status/updateRevision");
            update.is_empty() || label("controller-revision-hash") == Some(update)
        }
        "DaemonSet" => {
            let generation = int(workload, "/metadata/generation").map(|g| g.to_string());
            match (label("pod-template-generation"), generation) {
                (Some(p), Some(g)) => p == g,
                _ => true,
            }
        }
        "Deployment" => {
            let want = workload
                .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                .and_then(Value::as_str);
            let owner = pod
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|o| o.get("kind").and_then(Value::as_str) == Some("ReplicaSet"))
                .and_then(|o| o.get("name"))
                .and_then(Value::as_str);
            match (want, owner) {
                (Some(want), Some(rs)) => rs_revision(rs).as_deref() == Some(want),
                _ => false,
            }
        }
        _ => true,
    }
}

/// A Service's readiness from its EndpointSlices: a Service with a selector is ready when some
/// endpoint is ready; one without (or an ExternalName), or one no endpoint will come to
/// (`expects_no_endpoints`: the bundle's workloads it selects are all scaled to zero), once it
/// exists.
pub(crate) fn service(svc: &Value, slices: &[&Value], expects_no_endpoints: bool) -> Status {
    let has_selector = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty());
    if expects_no_endpoints || !has_selector || text(svc, "/spec/type") == "ExternalName" {
        return Status::ready(1, 1);
    }
    let mut total = 0i64;
    let mut ready = 0i64;
    for s in slices {
        for e in s
            .get("endpoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            total += 1;
            // An unset `ready` means ready (EndpointSlice API).
            if e.pointer("/conditions/ready").and_then(Value::as_bool) != Some(false) {
                ready += 1;
            }
        }
    }
    if ready > 0 {
        Status::ready(ready, total.max(1))
    } else {
        Status::progressing(
            0,
            total.max(1),
            format!("no ready endpoints ({total} not ready)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(generation: i64, status: Value) -> Value {
        json!({"metadata": {"generation": generation}, "spec": {"replicas": 3}, "status": status})
    }

    #[test]
    fn probe_less_workloads_are_held_unless_min_ready_seconds_covers_it() {
        let five = std::time::Duration::from_secs(5);
        let deployment = |probe: bool, min_ready: u64, replicas: i64| {
            let mut c = json!({"name": "app"});
            if probe {
                c["readinessProbe"] = json!({"httpGet": {"path": "/", "port": 80}});
            }
            json!({"spec": {"replicas": replicas, "minReadySeconds": min_ready,
                "template": {"spec": {"containers": [
                    {"name": "sidecar", "readinessProbe": {"exec": {"command": ["true"]}}}, c]}}}})
        };
        assert_eq!(
            settle_window("Deployment", &deployment(false, 0, 2), five),
            Some((five, "app".to_owned()))
        );
        assert_eq!(
            settle_window("Deployment", &deployment(true, 0, 2), five),
            None
        );
        assert_eq!(
            settle_window("Deployment", &deployment(false, 5, 2), five),
            None
        );
        assert!(settle_window("StatefulSet", &deployment(false, 4, 2), five).is_some());
        assert_eq!(
            settle_window("Deployment", &deployment(false, 0, 0), five),
            None
        );
        assert_eq!(
            settle_window(
                "Deployment",
                &deployment(false, 0, 2),
                std::time::Duration::ZERO
            ),
            None
        );
        assert_eq!(settle_window("Job", &deployment(false, 0, 2), five), None);
        let pod = json!({"spec": {"containers": [{"name": "web"}]}});
        assert_eq!(
            settle_window("Pod", &pod, five),
            Some((five, "web".to_owned()))
        );
        let pods = [
            json!({"status": {"containerStatuses": [{"restartCount": 2}, {"restartCount": 1}]}}),
            json!({"status": {}}),
        ];
        assert_eq!(restarts(pods.iter()), 3);
    }

    #[test]
    fn crd_ready_when_established_and_names_accepted() {
        let of = |est: &str, names: &str| {
            crd(&json!({"status": {"conditions": [
                {"type": "NamesAccepted", "status": names, "reason": "r", "message": "taken by x"},
                {"type": "Established", "status": est}]}}))
        };
        assert_eq!(
            evaluate("CustomResourceDefinition", &json!({})).state,
            State::Progressing
        );
        assert_eq!(of("False", "True").state, State::Progressing);
        assert_eq!(of("True", "True").state, State::Ready);
        let s = of("False", "False");
        assert_eq!(
            (s.state, s.message.as_str()),
            (State::Failed, "names not accepted: taken by x")
        );
    }

    #[test]
    fn kstatus_rules() {
        let o = |generation: i64, status: Value| json!({"metadata": {"generation": generation}, "status": status});
        let cond = |t: &str, s: &str| json!({"type": t, "status": s, "reason": "Why", "message": "because"});
        // No status: ready unless the kind has a status subresource.
        assert_eq!(kstatus(&json!({"spec": {}}), false).state, State::Ready);
        let s = kstatus(&json!({"spec": {}, "status": {}}), true);
        assert_eq!(
            (s.state, s.message.as_str()),
            (
                State::Progressing,
                "waiting for its controller to report status"
            )
        );
        // Generations.
        let s = kstatus(
            &o(
                2,
                json!({"observedGeneration": 1, "conditions": [cond("Ready", "True")]}),
            ),
            true,
        );
        assert_eq!(
            (s.state, s.message.as_str()),
            (State::Progressing, NOT_OBSERVED)
        );
        assert_eq!(
            kstatus(
                &o(
                    2,
                    json!({"observedGeneration": 2, "conditions": [cond("Ready", "True")]})
                ),
                true
            )
            .state,
            State::Ready
        );
        // Conditions.
        let s = kstatus(&o(1, json!({"conditions": [cond("Ready", "False")]})), true);
        assert_eq!(
            (s.state, s.message.as_str()),
            (State::Progressing, "not ready: Why: because")
        );
        let s = kstatus(
            &o(
                1,
                json!({"conditions": [cond("Reconciling", "True"), cond("Ready", "True")]}),
            ),
            true,
        );
        assert_eq!(s.state, State::Progressing);
        let s = kstatus(
            &o(
                1,
                json!({"conditions": [cond("Stalled", "True"), cond("Reconciling", "True")]}),
            ),
            true,
        );
        assert_eq!(
            (s.state, s.message.as_str()),
            (State::Failed, "stalled: Why: because")
        );
        assert_eq!(
            kstatus(
                &o(1, json!({"conditions": [cond("Stalled", "False")]})),
                true
            )
            .state,
            State::Ready
        );
        assert_eq!(
            kstatus(&o(1, json!({"phase": "Running"})), true).state,
            State::Ready
        );
    }

    #[test]
    fn own_rules_win() {
        fn never(_: &Value) -> CustomReadiness {
            CustomReadiness::Failed("never".into())
        }
        let s = evaluate_with(Rule::Own(never), "Widget", &json!({}));
        assert_eq!((s.state, s.message.as_str()), (State::Failed, "never"));
        // A custom kind that shares a built-in kind's name is judged by kstatus, not by it.
        let s = evaluate_with(
            Rule::Kstatus {
                expects_status: false,
            },
            "Deployment",
            &json!({"spec": {"replicas": 3}}),
        );
        assert_eq!(s.state, State::Ready);
    }

    #[test]
    fn autoscaler_rules() {
        let hpa = |conditions: Value| json!({"status": {"currentReplicas": 2, "desiredReplicas": 3, "conditions": conditions}});
        let cond = |t: &str, s: &str, r: &str| json!({"type": t, "status": s, "reason": r, "message": "m"});
        let s = evaluate("HorizontalPodAutoscaler", &json!({}));
        assert_eq!(s.state, State::Progressing);
        assert!(s.message.contains("AbleToScale"), "{}", s.message);
        let s = autoscaler(&hpa(json!([
            cond("AbleToScale", "True", "SucceededGetScale"),
            cond("ScalingActive", "False", "FailedGetResourceMetric")
        ])));
        assert_eq!(
            (s.state, s.message.as_str()),
            (
                State::Progressing,
                "ScalingActive is False (FailedGetResourceMetric): m"
            )
        );
        let s = autoscaler(&hpa(json!([
            cond("AbleToScale", "False", "FailedGetScale"),
            cond("ScalingActive", "True", "ValidMetricFound")
        ])));
        assert!(
            s.message.starts_with("AbleToScale is False"),
            "{}",
            s.message
        );
        let s = autoscaler(&hpa(json!([
            cond("AbleToScale", "True", "ReadyForNewScale"),
            cond("ScalingActive", "True", "ValidMetricFound")
        ])));
        assert_eq!((s.state, s.ready, s.desired), (State::Ready, 2, 3));
        let s = autoscaler(&hpa(json!([
            cond("AbleToScale", "True", "ReadyForNewScale"),
            cond("ScalingActive", "False", "ScalingDisabled")
        ])));
        assert_eq!(s.state, State::Ready);
    }

    #[test]
    fn deployment_rules() {
        let s = deployment(&deploy(
            2,
            json!({"observedGeneration": 1, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 3}),
        ));
        assert_eq!(
            (s.state, s.message.as_str()),
            (State::Progressing, NOT_OBSERVED)
        );
        let s = deployment(&deploy(
            2,
            json!({"observedGeneration": 2, "updatedReplicas": 1, "replicas": 4, "availableReplicas": 3}),
        ));
        assert_eq!(s.message, "1 of 3 replicas updated");
        let s = deployment(&deploy(
            2,
            json!({"observedGeneration": 2, "updatedReplicas": 3, "replicas": 4, "availableReplicas": 3}),
        ));
        assert_eq!(s.message, "1 old replicas are pending termination");
        let s = deployment(&deploy(
            2,
            json!({"observedGeneration": 2, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 2}),
        ));
        assert_eq!((s.state, s.ready, s.desired), (State::Progressing, 2, 3));
        let s = deployment(&deploy(
            2,
            json!({"observedGeneration": 2, "updatedReplicas": 3, "replicas": 3, "availableReplicas": 3}),
        ));
        assert_eq!(s.state, State::Ready);
        let s = deployment(&deploy(
            2,
            json!({"observedGeneration": 2, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing."}]}),
        ));
        assert_eq!(s.state, State::Failed);
        assert!(s.message.contains("timed out progressing"));
    }

    #[test]
    fn deployment_scaled_to_zero_is_ready() {
        let v = json!({"metadata": {"generation": 1}, "spec": {"replicas": 0}, "status": {"observedGeneration": 1}});
        assert_eq!(deployment(&v).state, State::Ready);
    }

    #[test]
    fn statefulset_rules() {
        let base = |status: Value, strategy: Value| json!({"metadata": {"generation": 1}, "spec": {"replicas": 3, "updateStrategy": strategy}, "status": status});
        let rolling = json!({"type": "RollingUpdate"});
        let s = statefulset(&base(
            json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 2}),
            rolling.clone(),
        ));
        assert_eq!(s.message, "2 of 3 pods are ready");
        let s = statefulset(&base(
            json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "a", "updateRevision": "b"}),
            rolling.clone(),
        ));
        assert_eq!(s.state, State::Progressing);
        assert!(s.message.contains("revision b"));
        let s = statefulset(&base(
            json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "currentRevision": "b", "updateRevision": "b"}),
            rolling,
        ));
        assert_eq!(s.state, State::Ready);
        // Partition 2 of 3: one updated pod is enough, revisions may differ.
        let part = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 2}});
        let s = statefulset(&base(
            json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 0, "currentRevision": "a", "updateRevision": "b"}),
            part.clone(),
        ));
        assert_eq!((s.state, s.ready, s.desired), (State::Progressing, 0, 1));
        let s = statefulset(&base(
            json!({"observedGeneration": 1, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 1, "currentRevision": "a", "updateRevision": "b"}),
            part,
        ));
        assert_eq!(s.state, State::Ready);
    }

    #[test]
    fn daemonset_rules() {
        let v = |updated: i64, available: i64| json!({"metadata": {"generation": 3}, "spec": {}, "status": {"observedGeneration": 3, "desiredNumberScheduled": 3, "updatedNumberScheduled": updated, "numberAvailable": available}});
        assert_eq!(
            daemonset(&v(2, 3)).message,
            "2 of 3 updated pods are scheduled"
        );
        assert_eq!(
            daemonset(&v(3, 2)).message,
            "2 of 3 updated pods are available"
        );
        assert_eq!(daemonset(&v(3, 3)).state, State::Ready);
    }

    #[test]
    fn job_rules() {
        let v = |conds: Value| json!({"spec": {"completions": 2}, "status": {"succeeded": 1, "active": 1, "conditions": conds}});
        assert_eq!(job(&v(json!([]))).message, "1 of 2 completions; 1 active");
        assert_eq!(
            job(&v(json!([{"type": "Complete", "status": "True"}]))).state,
            State::Ready
        );
        let s = job(&v(
            json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]),
        ));
        assert_eq!(s.state, State::Failed);
        assert!(s.message.contains("BackoffLimitExceeded"));
        assert_eq!(
            job(&v(
                json!([{"type": "FailureTarget", "status": "True", "reason": "DeadlineExceeded"}])
            ))
            .state,
            State::Failed
        );
        assert_eq!(
            job(&v(json!([{"type": "Failed", "status": "False"}]))).state,
            State::Progressing
        );
    }

    #[test]
    fn pod_rules_and_fail_fast() {
        let ready = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(pod(&ready).state, State::Ready);
        for reason in [
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
        ] {
            let p = json!({"metadata": {"name": "p"}, "status": {"phase": "Pending", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 2, "state": {"waiting": {"reason": reason, "message": "boom"}}}]}});
            assert_eq!(
                pod_problems(&p),
                [format!("pod \"p\": container \"app\": {reason}: boom")]
            );
        }
        let waiting = json!({"metadata": {"name": "p"}, "status": {"phase": "Pending", "containerStatuses": [
            {"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}]}});
        assert_eq!(pod(&waiting).state, State::Progressing);
        assert!(pod_problems(&waiting).is_empty());
        let unsched = json!({"metadata": {"name": "p"}, "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available"}]}});
        let s = pod(&unsched);
        assert_eq!(s.state, State::Progressing);
        assert!(
            s.message.contains("Unschedulable: 0/3 nodes"),
            "{}",
            s.message
        );
        assert_eq!(
            pod(&json!({"status": {"phase": "Succeeded"}})).state,
            State::Ready
        );
        assert_eq!(
            pod(&json!({"status": {"phase": "Failed", "reason": "Evicted"}})).state,
            State::Failed
        );
    }

    #[test]
    fn resource_quota() {
        let spec = json!({"spec": {"hard": {"pods": "4", "requests.cpu": "2"}}});
        assert_eq!(evaluate("ResourceQuota", &spec).state, State::Progressing);
        let counted = json!({
            "spec": {"hard": {"pods": "4", "requests.cpu": "2"}},
            "status": {"hard": {"pods": "4", "requests.cpu": "2"}, "used": {"pods": "0", "requests.cpu": "0"}}
        });
        assert_eq!(evaluate("ResourceQuota", &counted).state, State::Ready);
        let changed = json!({
            "spec": {"hard": {"pods": "8"}},
            "status": {"hard": {"pods": "4"}}
        });
        assert_eq!(
            evaluate("ResourceQuota", &changed).state,
            State::Progressing
        );
        assert_eq!(
            evaluate("ResourceQuota", &json!({"spec": {}})).state,
            State::Ready
        );
    }

    #[test]
    fn persistent_volume() {
        for (phase, state) in [
            ("Available", State::Ready),
            ("Bound", State::Ready),
            ("Pending", State::Progressing),
            ("", State::Progressing),
            ("Released", State::Failed),
            ("Failed", State::Failed),
        ] {
            let status = evaluate("PersistentVolume", &json!({"status": {"phase": phase}}));
            assert_eq!(status.state, state, "{phase}");
        }
        let failed = pv(&json!({"status": {"phase": "Failed", "message": "recycler pod failed"}}));
        assert_eq!(failed.message, "volume failed: recycler pod failed");
        assert_eq!(pv(&json!({})).message, "volume is Pending",);
    }

    #[test]
    fn pvc_namespace_service() {
        assert_eq!(
            pvc(&json!({"status": {"phase": "Bound"}})).state,
            State::Ready
        );
        assert_eq!(
            pvc(&json!({"status": {"phase": "Pending"}})).state,
            State::Progressing
        );
        assert_eq!(
            namespace(&json!({"status": {"phase": "Active"}})).state,
            State::Ready
        );
        assert_eq!(
            namespace(&json!({"status": {"phase": "Terminating"}})).state,
            State::Failed
        );
        let svc = json!({"spec": {"selector": {"app": "web"}}});
        assert_eq!(service(&svc, &[], false).state, State::Progressing);
        assert_eq!(service(&svc, &[], true).state, State::Ready);
        let slice = json!({"endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": false}}, {"addresses": ["10.0.0.2"], "conditions": {"ready": true}}]});
        let s = service(&svc, &[&slice], false);
        assert_eq!((s.state, s.ready, s.desired), (State::Ready, 1, 2));
        assert_eq!(
            service(&json!({"spec": {"type": "ClusterIP"}}), &[], false).state,
            State::Ready
        );
        assert_eq!(evaluate("ConfigMap", &json!({})).state, State::Ready);
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"app": "web", "tier": "fe"}, "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["a", "b"]}, {"key": "canary", "operator": "DoesNotExist"}]});
        assert_eq!(
            label_selector(&sel).as_deref(),
            Some("app=web,tier=fe,env in (a,b),!canary")
        );
        let job = json!({"metadata": {"name": "j", "uid": "u-1"}});
        assert_eq!(
            pod_selector("Job", &job).as_deref(),
            Some("batch.kubernetes.io/controller-uid=u-1")
        );
    }

    #[test]
    fn current_revision_filter() {
        let sts = json!({"status": {"updateRevision": "db-2"}});
        let old = json!({"metadata": {"labels": {"controller-revision-hash": "db-1"}}});
        let new = json!({"metadata": {"labels": {"controller-revision-hash": "db-2"}}});
        assert!(!pod_is_current("StatefulSet", &sts, &old, |_| None));
        assert!(pod_is_current("StatefulSet", &sts, &new, |_| None));
        let dep = json!({"metadata": {"annotations": {"deployment.kubernetes.io/revision": "3"}}});
        let pod =
            json!({"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc"}]}});
        assert!(pod_is_current("Deployment", &dep, &pod, |rs| (rs
            == "web-abc")
            .then(|| "3".to_owned())));
        assert!(!pod_is_current("Deployment", &dep, &pod, |_| Some(
            "2".to_owned()
        )));
        assert!(pod_is_current("Job", &json!({}), &pod, |_| None));
    }
}
