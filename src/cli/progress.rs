//! Progress of `apply` and `delete`: plain lines (pipes, CI) or live bars (terminals).
//!
//! Both are driven by the same [`Step`]s; [`Lines`] is pure, [`Bars`] draws with indicatif.

use super::output::{Color, paint};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What just happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A request for it is on its way.
    Applying,
    /// The server answered: `created`, `configured`, `unchanged` or `recreated`.
    Applied(String),
    /// A request failed transiently and is retried (what, why, when).
    Retrying(String),
    /// Being deleted and created again because immutable fields changed (which).
    Recreating(String),
    /// Waiting for it to become ready; `ready` of `desired` (pods, replicas, completions ...).
    Waiting {
        ready: u64,
        desired: u64,
        reason: Option<String>,
    },
    /// Ready.
    Ready,
    /// Failed, with the reason (never a secret value).
    Failed(String),
    /// Deleted because it left the bundle (`apply --prune`).
    Pruned,
    /// A delete request was sent; waiting for it to disappear.
    Deleting,
    /// Gone.
    Deleted,
    /// Deliberately not deleted, with the reason.
    Kept(String),
}

impl Step {
    /// Whether nothing more will happen to the object in this run.
    pub(crate) fn is_final(&self) -> bool {
        matches!(
            self,
            Step::Ready | Step::Failed(_) | Step::Pruned | Step::Deleted | Step::Kept(_)
        )
    }

    /// The words after the object's label, e.g. `waiting: 1/3 ready (MinimumReplicasUnavailable)`.
    pub(crate) fn describe(&self, dry_run: bool) -> String {
        let suffix = if dry_run { " (server dry run)" } else { "" };
        match self {
            Step::Applying => "applying".into(),
            Step::Applied(how) => format!("{how}{suffix}"),
            Step::Retrying(what) => format!("retrying: {what}"),
            Step::Recreating(fields) => format!("recreating (immutable: {fields})"),
            Step::Waiting {
                ready,
                desired,
                reason,
            } => match reason {
                Some(reason) => format!("waiting: {ready}/{desired} ready ({reason})"),
                None => format!("waiting: {ready}/{desired} ready"),
            },
            Step::Ready => "ready".into(),
            Step::Failed(why) => format!("failed: {why}"),
            Step::Pruned => format!("pruned{suffix}"),
            Step::Deleting => "deleting".into(),
            Step::Deleted => "deleted".into(),
            Step::Kept(why) => format!("kept ({why})"),
        }
    }

    fn color(&self) -> Option<Color> {
        match self {
            Step::Applied(how) if how == "created" => Some(Color::Green),
            Step::Ready => Some(Color::Green),
            Step::Applied(how) if how == "configured" || how == "recreated" => Some(Color::Yellow),
            Step::Applied(_) | Step::Kept(_) => Some(Color::Dim),
            Step::Retrying(_) | Step::Recreating(_) => Some(Color::Yellow),
            Step::Failed(_) => Some(Color::Red),
            Step::Pruned | Step::Deleted => Some(Color::Red),
            _ => None,
        }
    }
}

/// Plain progress: one line per event, skipping repeats (a `waiting` line only when the counts
/// or reason change; no `applying`/`deleting` lines, whose outcome follows).
#[derive(Debug, Default)]
pub(crate) struct Lines {
    last: BTreeMap<String, Step>,
    dry_run: bool,
    color: bool,
}

impl Lines {
    pub(crate) fn new(dry_run: bool, color: bool) -> Self {
        Lines {
            last: BTreeMap::new(),
            dry_run,
            color,
        }
    }

    /// The line to print for `step` of the object `label`, if any.
    pub(crate) fn line(&mut self, label: &str, step: &Step) -> Option<String> {
        if matches!(step, Step::Applying | Step::Deleting) {
            return None;
        }
        if self.last.get(label) == Some(step) {
            return None;
        }
        self.last.insert(label.to_owned(), step.clone());
        let words = step.describe(self.dry_run);
        let words = match step.color() {
            Some(c) => paint(self.color, c, &words),
            None => words,
        };
        Some(format!("{label} {words}"))
    }
}

/// Live bars on standard error: one per object in progress; an object that is done becomes a
/// plain line above the bars.
pub(crate) struct Bars {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
    /// Objects that reached a final step: later steps only print a line.
    done: BTreeSet<String>,
    lines: Lines,
    wait: bool,
}

impl Bars {
    /// Bars for a run that waits for readiness (`wait`) or stops once objects are applied.
    pub(crate) fn new(dry_run: bool, wait: bool) -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: BTreeMap::new(),
            done: BTreeSet::new(),
            lines: Lines::new(dry_run, true),
            wait,
        }
    }

    fn style(counted: bool) -> ProgressStyle {
        let template = if counted {
            "{spinner:.cyan} {prefix:.bold} [{bar:20.green/white}] {pos}/{len} {msg}"
        } else {
            "{spinner:.cyan} {prefix:.bold} {msg}"
        };
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ")
    }

    pub(crate) fn update(&mut self, label: &str, step: &Step) {
        let line = self.lines.line(label, step);
        let finished = step.is_final() || (!self.wait && matches!(step, Step::Applied(_)));
        if finished || self.done.contains(label) {
            if finished {
                self.done.insert(label.to_owned());
            }
            if let Some(bar) = self.bars.remove(label) {
                bar.finish_and_clear();
                self.multi.remove(&bar);
            }
            if let Some(line) = line {
                let _ = self.multi.println(line);
            }
            return;
        }
        let bar = self.bars.entry(label.to_owned()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(Bars::style(false));
            bar.set_prefix(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        match step {
            Step::Waiting {
                ready,
                desired,
                reason,
            } => {
                bar.set_style(Bars::style(true));
                bar.set_length(*desired);
                bar.set_position(*ready);
                bar.set_message(reason.clone().unwrap_or_else(|| "waiting".into()));
            }
            other => bar.set_message(other.describe(self.lines.dry_run)),
        }
    }

    /// Clears the bars that are still drawn (on error or when waiting was not asked for).
    pub(crate) fn finish(&mut self) {
        for (_, bar) in std::mem::take(&mut self.bars) {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(ready: u64, desired: u64) -> Step {
        Step::Waiting {
            ready,
            desired,
            reason: None,
        }
    }

    #[test]
    fn plain_lines_skip_repeats_and_intermediate_steps() {
        let mut lines = Lines::new(false, false);
        let label = "deployment.apps/kuard";
        let steps = [
            Step::Applying,
            Step::Applied("created".into()),
            waiting(0, 3),
            waiting(0, 3),
            waiting(1, 3),
            Step::Waiting {
                ready: 1,
                desired: 3,
                reason: Some("ImagePullBackOff".into()),
            },
            waiting(3, 3),
            Step::Ready,
        ];
        let printed: Vec<String> = steps.iter().filter_map(|s| lines.line(label, s)).collect();
        assert_eq!(
            printed,
            [
                "deployment.apps/kuard created",
                "deployment.apps/kuard waiting: 0/3 ready",
                "deployment.apps/kuard waiting: 1/3 ready",
                "deployment.apps/kuard waiting: 1/3 ready (ImagePullBackOff)",
                "deployment.apps/kuard waiting: 3/3 ready",
                "deployment.apps/kuard ready",
            ]
        );
    }

    #[test]
    fn objects_are_tracked_separately() {
        let mut lines = Lines::new(false, false);
        assert!(lines.line("service/a", &waiting(0, 1)).is_some());
        assert!(lines.line("service/b", &waiting(0, 1)).is_some());
        assert!(lines.line("service/a", &waiting(0, 1)).is_none());
    }

    #[test]
    fn dry_run_and_teardown_words() {
        let mut lines = Lines::new(true, false);
        assert_eq!(
            lines
                .line("configmap/a", &Step::Applied("configured".into()))
                .unwrap(),
            "configmap/a configured (server dry run)"
        );
        assert_eq!(
            lines.line("configmap/old", &Step::Pruned).unwrap(),
            "configmap/old pruned (server dry run)"
        );
        let mut lines = Lines::new(false, false);
        assert_eq!(lines.line("statefulset.apps/db", &Step::Deleting), None);
        assert_eq!(
            lines.line("statefulset.apps/db", &Step::Deleted).unwrap(),
            "statefulset.apps/db deleted"
        );
        assert_eq!(
            lines
                .line(
                    "persistentvolumeclaim/data-db-0",
                    &Step::Kept("data; delete with --delete-data".into())
                )
                .unwrap(),
            "persistentvolumeclaim/data-db-0 kept (data; delete with --delete-data)"
        );
        assert_eq!(
            lines
                .line("job.batch/x", &Step::Failed("BackoffLimitExceeded".into()))
                .unwrap(),
            "job.batch/x failed: BackoffLimitExceeded"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let mut lines = Lines::new(false, true);
        assert_eq!(
            lines
                .line("service/a", &Step::Applied("created".into()))
                .unwrap(),
            "service/a \x1b[32mcreated\x1b[0m"
        );
        assert_eq!(
            lines.line("service/a", &waiting(0, 1)).unwrap(),
            "service/a waiting: 0/1 ready"
        );
    }

    #[test]
    fn bars_accept_every_step_without_a_terminal() {
        // Drawing goes to a hidden target when standard error is not a terminal; this checks the
        // bookkeeping: final steps remove the object's bar.
        let mut bars = Bars::new(false, true);
        bars.update("deployment.apps/kuard", &Step::Applying);
        bars.update("deployment.apps/kuard", &waiting(1, 3));
        assert_eq!(bars.bars.len(), 1);
        assert_eq!(bars.bars["deployment.apps/kuard"].length(), Some(3));
        assert_eq!(bars.bars["deployment.apps/kuard"].position(), 1);
        bars.update("deployment.apps/kuard", &Step::Ready);
        assert!(bars.bars.is_empty());
        // A step arriving after the final one only prints its line: no bar comes back.
        bars.update("deployment.apps/kuard", &Step::Applied("unchanged".into()));
        assert!(bars.bars.is_empty());
        bars.update("service/kuard", &Step::Applied("created".into()));
        assert_eq!(bars.bars.len(), 1, "waits for the service next");
        bars.finish();
        assert!(bars.bars.is_empty());
        let mut bars = Bars::new(false, false);
        bars.update("service/kuard", &Step::Applying);
        bars.update("service/kuard", &Step::Applied("created".into()));
        assert!(bars.bars.is_empty());
    }
}
