//! The commands that talk to a cluster: connecting the way kubectl does, and mapping the apply
//! client's events to progress steps.

use super::args::{Apply as ApplyArgs, Delete as DeleteArgs, Diff, Global, Status as StatusArgs};
use super::output::{Color, Mode, color_diff, object_label, paint, table};
use super::progress::{Bars, Lines, Step};
use super::{BoxError, Console};
use crate::apply::{
    self as kubeprint_apply, Action, Applier, DeleteReport, Event, Outcome, Plan, Report, Wait,
};
use crate::bundle::Bundle;
use crate::error::ObjectRef;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::io::Write;

/// A client for the cluster chosen by `--kubeconfig` / `--context` (kubectl's rules: the file
/// given, else `$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account), and
/// the namespace for objects that set none (`--namespace`, else the context's, else `default`).
pub(crate) async fn connect(global: &Global) -> Result<(kube::Client, String), BoxError> {
    let options = KubeConfigOptions {
        context: global.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match &global.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| context(format!("reading kubeconfig {}", path.display()), e))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| context(format!("loading kubeconfig {}", path.display()), e))?
        }
        None if global.context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| context("loading kubeconfig".into(), e))?,
        None => kube::Config::infer()
            .await
            .map_err(|e| context("finding a cluster".into(), e))?,
    };
    let namespace = global
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let client =
        kube::Client::try_from(config).map_err(|e| context("creating the client".into(), e))?;
    Ok((client, namespace))
}

/// An error with what was being done, keeping the original as its source.
#[derive(Debug)]
pub(crate) struct Context {
    what: String,
    source: BoxError,
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Context {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

pub(crate) fn context(what: String, source: impl Into<BoxError>) -> BoxError {
    Box::new(Context {
        what,
        source: source.into(),
    })
}

/// The API group of a kind kubeprint supports (empty for the core group), for kubectl-style
/// labels like `deployment.apps/kuard`.
pub(crate) fn group_of(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "ControllerRevision" => "apps",
        "Job" | "CronJob" => "batch",
        "HorizontalPodAutoscaler" => "autoscaling",
        "Ingress" | "NetworkPolicy" | "IngressClass" => "networking.k8s.io",
        "PodDisruptionBudget" => "policy",
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => {
            "rbac.authorization.k8s.io"
        }
        "EndpointSlice" => "discovery.k8s.io",
        "StorageClass" => "storage.k8s.io",
        "PriorityClass" => "scheduling.k8s.io",
        "RuntimeClass" => "node.k8s.io",
        _ => "",
    }
}

/// Applier options shared by every cluster command.
fn applier(client: kube::Client, namespace: &str, global: &Global) -> Applier {
    let applier = Applier::new(client)
        .namespace(namespace)
        .field_manager(global.field_manager.clone());
    match &global.applyset_namespace {
        Some(ns) => applier.applyset_namespace(ns.clone()),
        None => applier,
    }
}

/// Warns about ApplySet parents the bundle left behind (kubeprint before #12 kept them in the
/// command line's namespace).
fn warn_orphaned(console: &mut Console<'_>, orphaned: &[ObjectRef]) -> Result<(), BoxError> {
    for o in orphaned {
        let ns = o.namespace.as_deref().unwrap_or_default();
        write(
            console.err,
            &format!(
                "warning: secret {ns}/{name} is an orphaned ApplySet parent of this program (an \
                 older kubeprint kept it in the command line's namespace); the set now lives \
                 with the bundle, so nothing uses it: delete it with \
                 `kubectl delete secret -n {ns} {name}`\n",
                name = o.name
            ),
        )?;
    }
    Ok(())
}

/// The kubectl-style label of the object an event or plan item is about.
pub(crate) fn label(object: &ObjectRef) -> String {
    object_label(&object.kind, group_of(&object.kind), &object.name)
}

/// The progress step an event stands for.
pub(crate) fn step(event: &Event) -> Step {
    match event {
        Event::Applying { .. } => Step::Applying,
        Event::Applied { outcome, .. } => Step::Applied(outcome.to_string()),
        Event::Skipped { .. } => Step::Applied("unchanged (skipped)".into()),
        Event::Retrying {
            operation,
            attempt,
            delay,
            reason,
            ..
        } => Step::Retrying(format!(
            "{operation} attempt {attempt} failed ({reason}); retrying in {delay:.1?}"
        )),
        Event::Recreating { fields, .. } => Step::Recreating(fields.join(", ")),
        Event::Waiting {
            ready,
            desired,
            message,
            ..
        } => Step::Waiting {
            ready: u64::from(*ready),
            desired: u64::from(*desired),
            reason: (!message.is_empty()).then(|| message.clone()),
        },
        Event::Ready { .. } => Step::Ready,
        Event::Failed { reason, .. } => Step::Failed(reason.clone()),
        Event::Pruned { .. } => Step::Pruned,
        Event::Kept { reason, .. } => Step::Kept(reason.clone()),
        Event::Deleting { .. } => Step::Deleting,
        Event::Deleted { .. } => Step::Deleted,
    }
}

/// Shows progress: bars on a terminal, plain lines otherwise.
struct Progress {
    view: View,
    /// Objects whose outcome (applied, pruned, kept) was shown.
    shown: BTreeSet<(String, &'static str)>,
}

enum View {
    Bars(Bars),
    Lines(Lines),
}

impl Progress {
    fn new(mode: Mode, dry_run: bool, wait: bool) -> Progress {
        let view = if mode.bars {
            View::Bars(Bars::new(dry_run, wait))
        } else {
            View::Lines(Lines::new(dry_run, mode.color))
        };
        Progress {
            view,
            shown: BTreeSet::new(),
        }
    }

    fn show(&mut self, event: &Event, out: &mut dyn Write) -> Result<(), BoxError> {
        self.show_step(&label(event.object()), &step(event), out)
    }

    fn outcome(step: &Step) -> Option<&'static str> {
        match step {
            Step::Applied(_) => Some("applied"),
            Step::Pruned => Some("pruned"),
            Step::Kept(_) => Some("kept"),
            _ => None,
        }
    }

    /// Shows the outcome of an object the events did not report (a server dry run reports
    /// only at the end).
    fn show_missing(
        &mut self,
        label: String,
        step: Step,
        out: &mut dyn Write,
    ) -> Result<(), BoxError> {
        match Progress::outcome(&step) {
            Some(o) if self.shown.contains(&(label.clone(), o)) => Ok(()),
            _ => self.show_step(&label, &step, out),
        }
    }

    /// Shows what a finished apply did that its events did not say.
    fn reconcile(&mut self, report: &Report, out: &mut dyn Write) -> Result<(), BoxError> {
        for a in &report.objects {
            self.show_missing(label(&a.object), Step::Applied(a.outcome.to_string()), out)?;
        }
        for p in &report.pruned {
            self.show_missing(label(p), Step::Pruned, out)?;
        }
        for k in &report.kept {
            self.show_missing(label(&k.object), Step::Kept(k.reason.clone()), out)?;
        }
        Ok(())
    }

    fn show_step(&mut self, label: &str, step: &Step, out: &mut dyn Write) -> Result<(), BoxError> {
        if let Some(o) = Progress::outcome(step) {
            self.shown.insert((label.to_owned(), o));
        }
        match &mut self.view {
            View::Bars(bars) => bars.update(label, step),
            View::Lines(lines) => {
                if let Some(line) = lines.line(label, step) {
                    writeln!(out, "{line}").map_err(super::output_error)?;
                    out.flush().map_err(super::output_error)?;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        if let View::Bars(bars) = &mut self.view {
            bars.finish();
        }
    }
}

/// Runs `operation` on an applier, showing its events as they come.
async fn with_progress<T, F>(
    applier: &mut Applier,
    progress: &mut Progress,
    console: &mut Console<'_>,
    operation: impl FnOnce(Applier) -> F,
) -> Result<T, BoxError>
where
    F: Future<Output = Result<T, kubeprint_apply::Error>>,
{
    let mut events = applier.events();
    let future = operation(applier.clone());
    tokio::pin!(future);
    let result = loop {
        tokio::select! {
            result = &mut future => break result,
            Some(event) = events.recv() => progress.show(&event, console.out)?,
        }
    };
    for event in events.drain() {
        progress.show(&event, console.out)?;
    }
    Ok(result?)
}

/// `diff`: the plan, as unified diffs; exit 1 when anything would change.
pub(crate) async fn diff(
    global: &Global,
    args: &Diff,
    bundle: &Bundle,
    console: &mut Console<'_>,
) -> Result<u8, BoxError> {
    let (client, namespace) = connect(global).await?;
    let mut plan = applier(client, &namespace, global)
        .prune(true)
        .plan(bundle)
        .await?;
    let mut would_prune = 0;
    if !args.prune {
        would_prune = plan
            .items
            .iter()
            .filter(|i| i.action == Action::Prune)
            .count();
        plan.items
            .retain(|i| !matches!(i.action, Action::Prune | Action::Keep { .. }));
    }
    write(console.out, &format_plan(&plan, console.mode.color))?;
    if would_prune > 0 {
        write(
            console.out,
            &format!(
                "{would_prune} object(s) would be pruned by apply --prune (diff --prune shows them).\n"
            ),
        )?;
    }
    Ok(if plan.has_changes() {
        super::EXIT_FAILURE_OR_CHANGES
    } else {
        super::EXIT_OK
    })
}

/// `apply`.
pub(crate) async fn apply(
    global: &Global,
    args: &ApplyArgs,
    bundle: &Bundle,
    console: &mut Console<'_>,
) -> Result<u8, BoxError> {
    let (client, namespace) = connect(global).await?;
    let mut applier = applier(client, &namespace, global)
        .dry_run(args.dry_run)
        .prune(args.prune)
        .force(args.force_conflicts)
        .force_apply(args.force_apply)
        .recreate(args.recreate)
        .create_namespace(args.create_namespace)
        .prune_other_namespaces(args.prune_other_namespaces)
        .delete_crds(args.delete_crds)
        .wait(if args.wait && !args.dry_run {
            Wait::Tiers
        } else {
            Wait::None
        })
        .timeout(args.timeout)
        .object_timeout(args.timeout)
        .settle(args.settle);
    let mut progress = Progress::new(console.mode, args.dry_run, args.wait && !args.dry_run);
    let result = with_progress(&mut applier, &mut progress, console, |a| async move {
        a.apply(bundle).await
    })
    .await;
    if let Ok(report) = &result {
        progress.reconcile(report, console.out)?;
    }
    progress.finish();
    let report = result?;
    warn_orphaned(console, &report.orphaned)?;
    write(console.out, &apply_summary(&report, args.dry_run))?;
    Ok(super::EXIT_OK)
}

/// `delete`.
pub(crate) async fn delete(
    global: &Global,
    args: &DeleteArgs,
    bundle: &Bundle,
    console: &mut Console<'_>,
) -> Result<u8, BoxError> {
    let (client, namespace) = connect(global).await?;
    let mut applier = applier(client, &namespace, global)
        .delete_data(args.delete_data)
        .delete_crds(args.delete_crds)
        .timeout(args.timeout)
        .object_timeout(args.timeout);
    let mut progress = Progress::new(console.mode, false, true);
    let result = with_progress(&mut applier, &mut progress, console, |a| async move {
        a.delete(bundle).await
    })
    .await;
    progress.finish();
    let report = result?;
    warn_orphaned(console, &report.orphaned)?;
    write(console.out, &delete_summary(&report))?;
    Ok(super::EXIT_OK)
}

/// What `status` found out about one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ObjectStatus {
    pub(crate) label: String,
    /// `missing`, `in sync`, `differs`, `conflict`, `replace`.
    pub(crate) state: &'static str,
    /// `Some(true)` ready, `Some(false)` not, `None` not looked at (missing).
    pub(crate) ready: Option<bool>,
    /// `ready/desired`, when known.
    pub(crate) counts: Option<(u32, u32)>,
    pub(crate) message: String,
}

/// `status`: existence (from a server-side dry-run plan) and readiness (waiting at most
/// `--timeout` for objects that are not ready yet).
pub(crate) async fn status(
    global: &Global,
    args: &StatusArgs,
    bundle: &Bundle,
    console: &mut Console<'_>,
) -> Result<u8, BoxError> {
    let (client, namespace) = connect(global).await?;
    let plan = applier(client.clone(), &namespace, global)
        .prune(false)
        .plan(bundle)
        .await?;
    let mut rows: Vec<ObjectStatus> = Vec::new();
    let mut present = Bundle::new(bundle.name());
    for item in &plan.items {
        let state = match item.action {
            Action::Create => "missing",
            Action::Unchanged => "in sync",
            Action::Update => "differs",
            Action::Replace { .. } => "replace",
            Action::Conflict { .. } => "conflict",
            _ => "unknown",
        };
        // Plan items come in apply order, which is not the bundle's: match them by name.
        let object = bundle.objects().iter().find(|o| {
            o.kind() == item.object.kind
                && o.name() == item.object.name
                && o.namespace()
                    .is_none_or(|ns| item.object.namespace.as_deref() == Some(ns))
        });
        if let (Some(object), false) = (object, state == "missing") {
            present.add(object.clone())?;
        }
        rows.push(ObjectStatus {
            label: label(&item.object),
            state,
            ..ObjectStatus::default()
        });
    }
    let mut applier = applier(client, &namespace, global)
        .fail_fast(false)
        .object_timeout(args.timeout)
        .timeout(args.timeout);
    let mut events = applier.events();
    let waited = applier.wait_ready(&present).await;
    drop(applier);
    for event in events.drain() {
        let Some(row) = rows.iter_mut().find(|r| r.label == label(event.object())) else {
            continue;
        };
        match event {
            Event::Ready { .. } => {
                row.ready = Some(true);
                row.message.clear();
            }
            Event::Waiting {
                ready,
                desired,
                message,
                ..
            } => {
                row.ready = Some(false);
                row.counts = Some((ready, desired));
                row.message = message;
            }
            Event::Failed { reason, .. } => {
                row.ready = Some(false);
                row.message = reason;
            }
            _ => {}
        }
    }
    match waited {
        Ok(()) => {}
        Err(kubeprint_apply::Error::NotReady { objects, .. }) => {
            for nr in objects {
                if let Some(row) = rows.iter_mut().find(|r| r.label == label(&nr.object)) {
                    row.ready = Some(false);
                    row.message = if nr.failed {
                        format!("failed: {}", nr.state)
                    } else {
                        nr.state.clone()
                    };
                }
            }
        }
        Err(e) => return Err(e.into()),
    }
    write(console.out, &format_status(&rows, console.mode.color))?;
    // Drift and conflicts are not "good" either: the cluster is not what the program says.
    let all_good = rows
        .iter()
        .all(|r| r.state == "in sync" && r.ready == Some(true));
    Ok(if all_good {
        super::EXIT_OK
    } else {
        super::EXIT_FAILURE_OR_CHANGES
    })
}

fn write(out: &mut dyn Write, text: &str) -> Result<(), BoxError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(super::output_error)
}

/// A plan as `kubectl diff` would show it: a unified diff per changed object, with the object in
/// the headers, then one line per object to prune or keep, then a summary.
pub(crate) fn format_plan(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for item in &plan.items {
        let label = label(&item.object);
        let word = match &item.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Replace { .. } => "replace",
            Action::Conflict { .. } => "conflict",
            Action::Prune => "prune",
            Action::Keep { .. } => "keep",
        };
        *counts.entry(word).or_default() += 1;
        let note = match &item.action {
            Action::Replace { fields } => {
                let fields: Vec<String> = fields.iter().map(ToString::to_string).collect();
                format!(
                    " (immutable: {}; apply --recreate deletes and recreates it)",
                    fields.join("; ")
                )
            }
            Action::Conflict { conflicts } => {
                let c: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
                format!(
                    " ({}; apply --force-conflicts takes them over)",
                    c.join(", ")
                )
            }
            Action::Keep { reason } => format!(" ({reason})"),
            _ => String::new(),
        };
        if word == "unchanged" {
            continue;
        }
        let heading = format!("{word} {label}{note}");
        let heading_color = match word {
            "create" => Color::Green,
            "prune" | "conflict" | "replace" => Color::Red,
            "keep" => Color::Dim,
            _ => Color::Yellow,
        };
        out.push_str(&paint(color, heading_color, &heading));
        out.push('\n');
        if !item.diff.is_empty() {
            let diff = item
                .diff
                .replacen("--- live", &format!("--- live/{label}"), 1)
                .replacen("+++ planned", &format!("+++ planned/{label}"), 1);
            out.push_str(&color_diff(&diff, color));
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    let summary: Vec<String> = [
        "create",
        "update",
        "replace",
        "conflict",
        "prune",
        "keep",
        "unchanged",
    ]
    .iter()
    .filter_map(|w| counts.get(w).map(|n| format!("{n} {}", summary_word(w))))
    .collect();
    if summary.is_empty() {
        out.push_str("Plan: nothing to do.\n");
    } else {
        out.push_str(&format!("Plan: {}.\n", summary.join(", ")));
    }
    out
}

fn summary_word(action: &str) -> &'static str {
    match action {
        "create" => "to create",
        "update" => "to update",
        "replace" => "to replace",
        "conflict" => "in conflict",
        "prune" => "to prune",
        "keep" => "kept",
        _ => "unchanged",
    }
}

/// The closing line of `apply`.
pub(crate) fn apply_summary(report: &Report, dry_run: bool) -> String {
    let mut parts = Vec::new();
    for (outcome, word) in [
        (Outcome::Created, "created"),
        (Outcome::Configured, "configured"),
        (Outcome::Recreated, "recreated"),
        (Outcome::Unchanged, "unchanged"),
    ] {
        let n = report.count(outcome);
        let skipped = report.skipped();
        if n > 0 && outcome == Outcome::Unchanged && skipped > 0 {
            // Proven unchanged from the listing: no request sent.
            parts.push(format!("{n} {word} ({skipped} skipped)"));
        } else if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if !report.pruned.is_empty() {
        parts.push(format!("{} pruned", report.pruned.len()));
    }
    if !report.kept.is_empty() {
        parts.push(format!("{} kept", report.kept.len()));
    }
    let what = if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join(", ")
    };
    let dry = if dry_run {
        " (server dry run: nothing was changed)"
    } else {
        ""
    };
    format!(
        "Applied {} objects: {what} in {:.1?}{dry}.\n",
        report.objects.len(),
        report.elapsed
    )
}

/// The closing line of `delete`.
pub(crate) fn delete_summary(report: &DeleteReport) -> String {
    let mut out = format!(
        "Deleted {} objects in {:.1?}",
        report.deleted.len(),
        report.elapsed
    );
    if report.kept.is_empty() {
        out.push_str(".\n");
    } else {
        let kept: Vec<String> = report.kept.iter().map(|k| label(&k.object)).collect();
        out.push_str(&format!(
            "; kept {} (delete --delete-data deletes them too): {}.\n",
            kept.len(),
            kept.join(", ")
        ));
    }
    out
}

/// The `status` table.
pub(crate) fn format_status(rows: &[ObjectStatus], color: bool) -> String {
    let mut table_rows = vec![vec![
        "OBJECT".to_owned(),
        "STATE".to_owned(),
        "READY".to_owned(),
        "MESSAGE".to_owned(),
    ]];
    for r in rows {
        let ready = match (r.ready, r.counts) {
            (None, _) => "-".to_owned(),
            (Some(true), _) => "yes".to_owned(),
            (Some(false), Some((n, m))) => format!("{n}/{m}"),
            (Some(false), None) => "no".to_owned(),
        };
        table_rows.push(vec![
            r.label.clone(),
            r.state.to_owned(),
            ready,
            r.message.clone(),
        ]);
    }
    let text = table(&table_rows);
    if !color {
        return text;
    }
    // Colour whole lines by health, keeping the alignment computed on plain text.
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let styled = match rows.get(i.wrapping_sub(1)) {
                _ if i == 0 => paint(true, Color::Bold, line),
                Some(r) if r.state == "missing" || r.ready == Some(false) => {
                    paint(true, Color::Red, line)
                }
                Some(r) if r.state != "in sync" => paint(true, Color::Yellow, line),
                _ => line.to_owned(),
            };
            styled + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{Applied, FieldConflict, Kept, PlanItem};
    use std::time::Duration;

    fn object(kind: &str, name: &str) -> ObjectRef {
        ObjectRef::new(kind, name).in_namespace(Some("demo"))
    }

    fn plan() -> Plan {
        let item = |kind: &str, name: &str, action: Action, diff: &str| PlanItem {
            object: object(kind, name),
            action,
            diff: diff.to_owned(),
        };
        Plan {
            applyset: "applyset-x".into(),
            items: vec![
                item(
                    "Secret",
                    "db",
                    Action::Update,
                    "--- live\n+++ planned\n@@ -1 +1 @@\n-  password: <redacted>\n+  password: <redacted (changed)>\n",
                ),
                item("ConfigMap", "settings", Action::Unchanged, ""),
                item(
                    "Service",
                    "web",
                    Action::Create,
                    "--- live\n+++ planned\n@@ -0,0 +1 @@\n+kind: Service\n",
                ),
                item(
                    "Deployment",
                    "web",
                    Action::Conflict {
                        conflicts: vec![FieldConflict {
                            manager: "kubectl-edit".into(),
                            field: ".spec.replicas".into(),
                        }],
                    },
                    "",
                ),
                item("ConfigMap", "old", Action::Prune, ""),
                item(
                    "PersistentVolumeClaim",
                    "data",
                    Action::Keep {
                        reason: "holds data".into(),
                    },
                    "",
                ),
            ],
        }
    }

    #[test]
    fn plans_read_like_kubectl_diff() {
        assert_eq!(
            format_plan(&plan(), false),
            "update secret/db\n\
             --- live/secret/db\n\
             +++ planned/secret/db\n\
             @@ -1 +1 @@\n\
             -  password: <redacted>\n\
             +  password: <redacted (changed)>\n\
             create service/web\n\
             --- live/service/web\n\
             +++ planned/service/web\n\
             @@ -0,0 +1 @@\n\
             +kind: Service\n\
             conflict deployment.apps/web (.spec.replicas (owned by \"kubectl-edit\"); apply --force-conflicts takes them over)\n\
             prune configmap/old\n\
             keep persistentvolumeclaim/data (holds data)\n\
             Plan: 1 to create, 1 to update, 1 in conflict, 1 to prune, 1 kept, 1 unchanged.\n"
        );
        let coloured = format_plan(&plan(), true);
        assert!(
            coloured.contains("\x1b[32mcreate service/web\x1b[0m"),
            "{coloured}"
        );
        assert!(
            coloured.contains("\x1b[31m-  password: <redacted>\x1b[0m"),
            "{coloured}"
        );
        assert_eq!(
            format_plan(&Plan::default(), false),
            "Plan: nothing to do.\n"
        );
    }

    #[test]
    fn summaries() {
        let applied = |name: &str, outcome| Applied {
            object: object("ConfigMap", name),
            outcome,
            resource_version: "1".into(),
            skipped: false,
        };
        let report = Report {
            applyset: "x".into(),
            objects: vec![
                applied("a", Outcome::Created),
                applied("b", Outcome::Unchanged),
                applied("c", Outcome::Unchanged),
            ],
            pruned: vec![object("ConfigMap", "old")],
            kept: vec![],
            orphaned: vec![],
            elapsed: Duration::from_millis(1234),
        };
        assert_eq!(
            apply_summary(&report, false),
            "Applied 3 objects: 1 created, 2 unchanged, 1 pruned in 1.2s.\n"
        );
        let mut skipping = report.clone();
        skipping.objects[2].skipped = true;
        assert_eq!(
            apply_summary(&skipping, false),
            "Applied 3 objects: 1 created, 2 unchanged (1 skipped), 1 pruned in 1.2s.\n"
        );
        assert_eq!(
            apply_summary(&Report::default(), true),
            "Applied 0 objects: nothing in 0.0ns (server dry run: nothing was changed).\n"
        );
        let deleted = DeleteReport {
            deleted: vec![object("Deployment", "web")],
            kept: vec![Kept {
                object: object("PersistentVolumeClaim", "data-db-0"),
                reason: "data".into(),
            }],
            orphaned: vec![],
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(
            delete_summary(&deleted),
            "Deleted 1 objects in 2.0s; kept 1 (delete --delete-data deletes them too): persistentvolumeclaim/data-db-0.\n"
        );
    }

    #[test]
    fn status_table() {
        let rows = [
            ObjectStatus {
                label: "configmap/settings".into(),
                state: "in sync",
                ready: Some(true),
                ..ObjectStatus::default()
            },
            ObjectStatus {
                label: "deployment.apps/web".into(),
                state: "differs",
                ready: Some(false),
                counts: Some((1, 3)),
                message: "1 of 3 updated replicas are available".into(),
            },
            ObjectStatus {
                label: "service/web".into(),
                state: "missing",
                ..ObjectStatus::default()
            },
        ];
        assert_eq!(
            format_status(&rows, false),
            "OBJECT                STATE     READY   MESSAGE\n\
             configmap/settings    in sync   yes\n\
             deployment.apps/web   differs   1/3     1 of 3 updated replicas are available\n\
             service/web           missing   -\n"
        );
        let coloured = format_status(&rows, true);
        assert!(coloured.starts_with("\x1b[1mOBJECT"), "{coloured}");
        assert!(coloured.contains("\n\x1b[31mservice/web"), "{coloured}");
    }

    #[test]
    fn events_become_steps() {
        let o = object("Deployment", "web");
        assert_eq!(label(&o), "deployment.apps/web");
        assert_eq!(
            step(&Event::Applied {
                object: o.clone(),
                outcome: Outcome::Created
            }),
            Step::Applied("created".into())
        );
        assert_eq!(
            step(&Event::Skipped { object: o.clone() }),
            Step::Applied("unchanged (skipped)".into())
        );
        assert_eq!(
            step(&Event::Waiting {
                object: o.clone(),
                ready: 1,
                desired: 3,
                message: String::new()
            }),
            Step::Waiting {
                ready: 1,
                desired: 3,
                reason: None
            }
        );
        assert_eq!(
            step(&Event::Retrying {
                object: o.clone(),
                operation: "apply",
                attempt: 1,
                delay: Duration::from_millis(200),
                reason: "503 Service Unavailable".into()
            })
            .describe(false),
            "retrying: apply attempt 1 failed (503 Service Unavailable); retrying in 200.0ms"
        );
        assert_eq!(
            step(&Event::Recreating {
                object: o.clone(),
                fields: vec!["spec.selector".into()]
            })
            .describe(false),
            "recreating (immutable: spec.selector)"
        );
        assert_eq!(
            step(&Event::Kept {
                object: o,
                reason: "data".into()
            }),
            Step::Kept("data".into())
        );
    }

    #[test]
    fn groups() {
        assert_eq!(group_of("Deployment"), "apps");
        assert_eq!(group_of("Service"), "");
        assert_eq!(group_of("PodDisruptionBudget"), "policy");
        // Every kind of the Object enum that is not in the core group is known.
        use k8s_openapi::Resource;
        macro_rules! same {
            ($($ty:ty),*) => { $( assert_eq!(group_of(<$ty>::KIND), <$ty>::GROUP, "{}", <$ty>::KIND); )* };
        }
        use k8s_openapi::api::{
            apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
        };
        use k8s_openapi::api::{
            discovery::v1 as discovery, networking::v1 as net, node::v1 as node,
            policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
            storage::v1 as storage,
        };
        same!(
            apps::Deployment,
            apps::ReplicaSet,
            apps::DaemonSet,
            apps::StatefulSet,
            batch::Job,
            batch::CronJob,
            autoscaling::HorizontalPodAutoscaler,
            net::Ingress,
            net::IngressClass,
            net::NetworkPolicy,
            policy::PodDisruptionBudget,
            rbac::Role,
            rbac::RoleBinding,
            rbac::ClusterRole,
            rbac::ClusterRoleBinding,
            discovery::EndpointSlice,
            core::Pod,
            core::Service,
            core::Secret,
            core::ConfigMap,
            core::Namespace,
            core::PersistentVolumeClaim,
            core::PersistentVolume,
            core::ResourceQuota,
            core::LimitRange,
            scheduling::PriorityClass,
            node::RuntimeClass,
            storage::StorageClass,
            core::ServiceAccount
        );
    }

    #[tokio::test]
    async fn a_missing_kubeconfig_is_a_short_error() {
        let global = Global {
            kubeconfig: Some("/nonexistent/kubeconfig".into()),
            ..Global::default()
        };
        let err = connect(&global).await.err().expect("no such file");
        let chain = super::super::error_chain(err.as_ref());
        assert!(
            chain.starts_with("error: reading kubeconfig /nonexistent/kubeconfig\n  caused by: "),
            "{chain}"
        );
        assert!(!chain.contains("Os {"), "{chain}");
    }
}
