//! CronJob (chapter 10): a Job on a schedule.
//!
//! A full example and the list of setters are on [`CronJob`].

use crate::api::batch::job::{JobRestartPolicy, PodFailurePolicy, job_params, job_spec};
use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels};
use crate::object::{Manifest, Validate};
use crate::pod::PodTemplate;
use crate::validate::{self, Checker};
use crate::workload::builder_workload;
use crate::workload::check_non_negative;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use typed_builder::TypedBuilder;

/// What a CronJob does when a run is due while the previous one still runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConcurrencyPolicy {
    /// Run both (the default).
    Allow,
    /// Skip the new run.
    Forbid,
    /// Stop the running Job and start the new one.
    Replace,
}

impl ConcurrencyPolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Replace => "Replace",
        }
    }
}

/// A CronJob. `name`, `schedule` and `template` are required; the Job settings are the same
/// as [`crate::api::batch::Job`]'s.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let cleanup = CronJob::builder()
///     .name("cleanup")
///     .schedule("0 */5 * * *")
///     .concurrency_policy(ConcurrencyPolicy::Forbid)
///     .successful_jobs_history_limit(3)
///     .template(
///         PodTemplate::builder()
///             .container(Container::builder().name("cleanup").image("busybox:1.36").args(["sh", "-c", "echo done"]).build())
///             .build(),
///     )
///     .build();
/// let object = cleanup.to_object()?;
/// assert_eq!(object.spec.schedule, "0 */5 * * *");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`CronJob::new`] (the required fields as arguments) or [`CronJob::builder()`](CronJob::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name` (at most 52 characters: Job names add a suffix). |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (the selector labels are added). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.own_labels_only()` / `.own_labels_only_if(bool)` | Leaves the selector labels off the object's own `metadata.labels`: they stay in the selector and on the pods, where they are needed, and the object carries only `labels` (and the bundle's labels). |
/// | `.schedule(impl Into<String>)` — **required** | Cron schedule: `minute hour day-of-month month day-of-week`, or `@hourly`, `@daily` ... |
/// | `.template(PodTemplate)` — **required** | The pods of each Job. |
/// | `.time_zone(impl Into<String>)` / `.time_zone_opt(Option<..>)` | IANA time zone of the schedule (default: the controller manager's). |
/// | `.concurrency_policy(ConcurrencyPolicy)` / `.concurrency_policy_opt(Option<..>)` | What to do when a run is due while the previous one still runs. |
/// | `.successful_jobs_history_limit(i32)` / `.successful_jobs_history_limit_opt(Option<..>)` | Finished Jobs kept (default 3). |
/// | `.failed_jobs_history_limit(i32)` / `.failed_jobs_history_limit_opt(Option<..>)` | Failed Jobs kept (default 1). |
/// | `.starting_deadline_seconds(i64)` / `.starting_deadline_seconds_opt(Option<..>)` | Seconds after a missed run during which it may still start. |
/// | `.suspend()` / `.suspend_if(bool)` | Suspends future runs. |
/// | `.completions(i32)` / `.completions_opt(Option<..>)` | Successful pods each Job needs. |
/// | `.parallelism(i32)` / `.parallelism_opt(Option<..>)` | Pods each Job runs at once. |
/// | `.backoff_limit(i32)` / `.backoff_limit_opt(Option<..>)` | Retries before a Job fails. |
/// | `.active_deadline_seconds(i64)` / `.active_deadline_seconds_opt(Option<..>)` | Seconds each Job may run in total. |
/// | `.ttl_seconds_after_finished(i32)` / `.ttl_seconds_after_finished_opt(Option<..>)` | Seconds after finishing before a Job is deleted. |
/// | `.restart_policy(JobRestartPolicy)` / `.restart_policy_opt(Option<..>)` | Overrides the template's restart policy (default `OnFailure`). |
/// | `.indexed()` / `.indexed_if(bool)` | Indexed completion mode for each Job. |
/// | `.pod_failure_policy(PodFailurePolicy)` / `.pod_failure_policy_opt(Option<..>)` | What failed pods mean for each Job. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct CronJob {
    /// `metadata.name` (at most 52 characters: Job names add a suffix).
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`; usually left to the bundle or the apply target.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels` (the selector labels are added).
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// Leaves the selector labels off the object's own `metadata.labels`: they stay in the
    /// selector and on the pods, where they are needed, and the object carries only `labels`
    /// (and the bundle's labels).
    #[builder(setter(strip_bool(fallback = own_labels_only_if)))]
    own_labels_only: bool,
    /// Cron schedule: `minute hour day-of-month month day-of-week`, or `@hourly`, `@daily` ...
    #[builder(setter(into))]
    schedule: String,
    /// The pods of each Job.
    template: PodTemplate,
    /// IANA time zone of the schedule (default: the controller manager's).
    #[builder(default, setter(into, strip_option(fallback = time_zone_opt)))]
    time_zone: Option<String>,
    /// What to do when a run is due while the previous one still runs.
    #[builder(default, setter(strip_option(fallback = concurrency_policy_opt)))]
    concurrency_policy: Option<ConcurrencyPolicy>,
    /// Finished Jobs kept (default 3).
    #[builder(default, setter(strip_option(fallback = successful_jobs_history_limit_opt)))]
    successful_jobs_history_limit: Option<i32>,
    /// Failed Jobs kept (default 1).
    #[builder(default, setter(strip_option(fallback = failed_jobs_history_limit_opt)))]
    failed_jobs_history_limit: Option<i32>,
    /// Seconds after a missed run during which it may still start.
    #[builder(default, setter(strip_option(fallback = starting_deadline_seconds_opt)))]
    starting_deadline_seconds: Option<i64>,
    /// Suspends future runs.
    #[builder(setter(strip_bool(fallback = suspend_if)))]
    suspend: bool,
    /// Successful pods each Job needs.
    #[builder(default, setter(strip_option(fallback = completions_opt)))]
    completions: Option<i32>,
    /// Pods each Job runs at once.
    #[builder(default, setter(strip_option(fallback = parallelism_opt)))]
    parallelism: Option<i32>,
    /// Retries before a Job fails.
    #[builder(default, setter(strip_option(fallback = backoff_limit_opt)))]
    backoff_limit: Option<i32>,
    /// Seconds each Job may run in total.
    #[builder(default, setter(strip_option(fallback = active_deadline_seconds_opt)))]
    active_deadline_seconds: Option<i64>,
    /// Seconds after finishing before a Job is deleted.
    #[builder(default, setter(strip_option(fallback = ttl_seconds_after_finished_opt)))]
    ttl_seconds_after_finished: Option<i32>,
    /// Overrides the template's restart policy (default `OnFailure`).
    #[builder(default, setter(strip_option(fallback = restart_policy_opt)))]
    restart_policy: Option<JobRestartPolicy>,
    /// Indexed completion mode for each Job.
    #[builder(setter(strip_bool(fallback = indexed_if)))]
    indexed: bool,
    /// What failed pods mean for each Job.
    #[builder(default, setter(strip_option(fallback = pod_failure_policy_opt)))]
    pod_failure_policy: Option<PodFailurePolicy>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut batch::CronJob) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<batch::CronJob>,
}

impl CronJob {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name, the cron schedule and the pod template;
    /// go on with any other setter, then `.build()`. Same as
    /// `CronJob::builder().name(..).schedule(..).template(..)`, but leaving one out is an ordinary
    /// "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        schedule: impl Into<String>,
        template: PodTemplate,
    ) -> CronJobBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (String,),
        (PodTemplate,),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (Customize<batch::CronJob>,),
    )> {
        Self::builder()
            .name(name)
            .schedule(schedule)
            .template(template)
    }
}

builder_workload!(CronJob, "CronJob", controller);

impl Manifest for CronJob {
    type Object = batch::CronJob;

    fn to_object(&self) -> Result<batch::CronJob> {
        let (selector, metadata) = self.selector_and_meta();
        let mut cj = batch::CronJob {
            metadata,
            spec: batch::CronJobSpec {
                schedule: self.schedule.clone(),
                time_zone: self.time_zone.clone(),
                concurrency_policy: self.concurrency_policy.map(|p| p.as_str().to_owned()),
                successful_jobs_history_limit: self.successful_jobs_history_limit,
                failed_jobs_history_limit: self.failed_jobs_history_limit,
                starting_deadline_seconds: self.starting_deadline_seconds,
                suspend: self.suspend.then_some(true),
                job_template: batch::JobTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: selector.to_option(),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(job_params!(self).spec(&self.template, &self.name)),
                },
            },
            status: None,
        };
        self.template.keep_restricted_promise(
            "CronJob",
            &self.name,
            "spec.jobTemplate.spec.template.spec",
        )?;
        self.customize.apply(&mut cj);
        cj.to_object()
    }
}

impl Validate for batch::CronJob {
    fn validate(&self, c: &mut Checker) {
        let name = self.metadata.name.as_deref().unwrap_or_default();
        if name.len() > 52 {
            c.fail(
                "metadata.name",
                format!("{name:?} is longer than 52 characters (Job names add 11)"),
            );
        }
        let spec = &self.spec;
        c.check("spec.schedule", cron_schedule(&spec.schedule));
        if let Some(tz) = &spec.time_zone {
            let valid = !tz.is_empty()
                && tz
                    .split('/')
                    .all(|part| !part.is_empty() && part != "." && part != "..")
                && tz
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "/_-+".contains(ch));
            if !valid {
                c.fail(
                    "spec.timeZone",
                    format!("{tz:?} is not an IANA time zone name"),
                );
            }
        }
        if let Some(p) = &spec.concurrency_policy {
            c.check(
                "spec.concurrencyPolicy",
                validate::one_of(p, &["Allow", "Forbid", "Replace"]),
            );
        }
        check_non_negative(
            c,
            "spec",
            &[
                (
                    "successfulJobsHistoryLimit",
                    spec.successful_jobs_history_limit,
                ),
                ("failedJobsHistoryLimit", spec.failed_jobs_history_limit),
            ],
        );
        check_non_negative(
            c,
            "spec",
            &[("startingDeadlineSeconds", spec.starting_deadline_seconds)],
        );
        if let Some(meta) = &spec.job_template.metadata {
            c.labels("spec.jobTemplate.metadata.labels", meta.labels.as_ref());
            c.annotations(
                "spec.jobTemplate.metadata.annotations",
                meta.annotations.as_ref(),
            );
        }
        match &spec.job_template.spec {
            Some(job) => job_spec(c, "spec.jobTemplate.spec", job),
            None => c.fail("spec.jobTemplate.spec", "must be set"),
        }
    }
}

const MACROS: [&str; 7] = [
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Checks a cron schedule the way the CronJob controller's parser reads it.
pub(crate) fn cron_schedule(schedule: &str) -> Option<String> {
    let s = schedule.trim();
    if s.starts_with("TZ=") || s.starts_with("CRON_TZ=") {
        return Some(format!(
            "{schedule:?} must not set TZ or CRON_TZ; use timeZone"
        ));
    }
    if s.starts_with('@') {
        let ok = MACROS.contains(&s)
            || s.strip_prefix("@every ")
                .is_some_and(|d| !d.trim().is_empty());
        return (!ok).then(|| {
            format!(
                "{schedule:?} is not one of {}, @every <duration>",
                MACROS.join(", ")
            )
        });
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        return Some(format!(
            "{schedule:?} must have 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        ));
    }
    let specs: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day-of-month", 1, 31, &[]),
        ("month", 1, 12, &MONTHS),
        ("day-of-week", 0, 6, &DAYS),
    ];
    for (field, (name, min, max, names)) in fields.iter().zip(specs) {
        if let Err(m) = cron_field(field, min, max, names) {
            return Some(format!("{schedule:?}: {name} {m}"));
        }
    }
    None
}

fn cron_field(field: &str, min: u32, max: u32, names: &[&str]) -> std::result::Result<(), String> {
    let value = |v: &str| -> std::result::Result<u32, String> {
        let upper = v.to_ascii_uppercase();
        // Names count from the field's minimum (JAN = 1, SUN = 0).
        if let Some(i) = names.iter().position(|n| *n == upper) {
            return Ok(min + i as u32);
        }
        let n: u32 = v.parse().map_err(|_| format!("{v:?} is not a number"))?;
        if n < min || n > max {
            return Err(format!("{n} is out of range {min}-{max}"));
        }
        Ok(n)
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(format!("step {step:?} is not a positive number")),
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        match range.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi) = (value(lo)?, value(hi)?);
                if lo > hi {
                    return Err(format!("range {part:?} is backwards"));
                }
            }
            None => {
                value(range)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::batch::job::FailureAction;
    use crate::pod::Container;
    use crate::workload::Workload;

    #[test]
    fn schedules() {
        for ok in [
            "*/5 * * * *",
            "0 0 1 JAN,jul MON-FRI",
            "@daily",
            "@every 1h30m",
            "0-30/10 9-17 ? * 1-5",
            "59 23 31 12 6",
        ] {
            assert_eq!(cron_schedule(ok), None, "{ok}");
        }
        assert_eq!(
            cron_schedule("* * * *").unwrap(),
            r#""* * * *" must have 5 fields (minute hour day-of-month month day-of-week), found 4"#
        );
        assert_eq!(
            cron_schedule("60 * * * *").unwrap(),
            r#""60 * * * *": minute 60 is out of range 0-59"#
        );
        assert_eq!(
            cron_schedule("0 0 0 * *").unwrap(),
            r#""0 0 0 * *": day-of-month 0 is out of range 1-31"#
        );
        assert_eq!(
            cron_schedule("*/0 * * * *").unwrap(),
            r#""*/0 * * * *": minute step "0" is not a positive number"#
        );
        assert_eq!(
            cron_schedule("5-1 * * * *").unwrap(),
            r#""5-1 * * * *": minute range "5-1" is backwards"#
        );
        assert_eq!(
            cron_schedule("* * * FOO *").unwrap(),
            r#""* * * FOO *": month "FOO" is not a number"#
        );
        assert_eq!(
            cron_schedule("@sometimes").unwrap(),
            r#""@sometimes" is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>"#
        );
        assert_eq!(
            cron_schedule("TZ=UTC 0 * * * *").unwrap(),
            r#""TZ=UTC 0 * * * *" must not set TZ or CRON_TZ; use timeZone"#
        );
    }

    #[test]
    fn every_field() {
        let cj = CronJob::builder()
            .name("report")
            .schedule("@hourly")
            .template(
                PodTemplate::builder()
                    .container(Container::builder().name("r").image("r").build())
                    .build(),
            )
            .time_zone("Europe/Paris")
            .concurrency_policy(ConcurrencyPolicy::Replace)
            .successful_jobs_history_limit(1)
            .failed_jobs_history_limit(2)
            .starting_deadline_seconds(30)
            .suspend()
            .completions(2)
            .parallelism(2)
            .backoff_limit(0)
            .active_deadline_seconds(100)
            .ttl_seconds_after_finished(10)
            .restart_policy(JobRestartPolicy::Never)
            .indexed()
            .pod_failure_policy(PodFailurePolicy::new().on_exit_codes(FailureAction::FailJob, [2]))
            .build();
        assert_eq!((cj.kind(), cj.api_version()), ("CronJob", "batch/v1"));
        let object = cj.to_object().unwrap();
        assert_eq!(object.selector(), cj.selector());
        let spec = object.spec;
        assert_eq!(spec.time_zone.as_deref(), Some("Europe/Paris"));
        assert_eq!(spec.concurrency_policy.as_deref(), Some("Replace"));
        assert_eq!(
            (
                spec.successful_jobs_history_limit,
                spec.failed_jobs_history_limit
            ),
            (Some(1), Some(2))
        );
        assert_eq!(
            (spec.starting_deadline_seconds, spec.suspend),
            (Some(30), Some(true))
        );
        assert_eq!(
            spec.job_template.metadata.unwrap().labels.unwrap()["app.kubernetes.io/name"],
            "report"
        );
        let job = spec.job_template.spec.unwrap();
        assert_eq!(
            (job.completions, job.parallelism, job.backoff_limit),
            (Some(2), Some(2), Some(0))
        );
        assert_eq!(
            (job.active_deadline_seconds, job.ttl_seconds_after_finished),
            (Some(100), Some(10))
        );
        assert_eq!(job.completion_mode.as_deref(), Some("Indexed"));
        assert!(job.pod_failure_policy.is_some());
        assert_eq!(
            job.template.spec.unwrap().restart_policy.as_deref(),
            Some("Never")
        );
        assert_eq!(ConcurrencyPolicy::Allow.as_str(), "Allow");
    }
}
