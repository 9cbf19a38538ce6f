//! Job (chapter 10): pods that run to completion. The book's three patterns:
//!
//! A full example and the list of setters are on [`Job`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels};
use crate::object::{Manifest, Validate};
use crate::pod::check::{self, PodContext, RestartRule};
use crate::pod::{PodTemplate, RestartPolicy};
use crate::validate::{self, Checker};
use crate::workload::builder_workload;
use crate::workload::check_non_negative;
use k8s_openapi::api::batch::v1 as batch;
use typed_builder::TypedBuilder;

/// The restart policies a Job allows (`Always` is invalid for Jobs, so it cannot be written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobRestartPolicy {
    /// Restart a failed container in the same pod (the default).
    OnFailure,
    /// Replace a failed pod with a new one (needed for pod failure policies).
    Never,
}

impl From<JobRestartPolicy> for RestartPolicy {
    fn from(p: JobRestartPolicy) -> Self {
        match p {
            JobRestartPolicy::OnFailure => RestartPolicy::OnFailure,
            JobRestartPolicy::Never => RestartPolicy::Never,
        }
    }
}

/// What a pod failure policy rule does with a matching failed pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureAction {
    /// Fail the whole Job at once.
    FailJob,
    /// Fail the pod's completion index (Indexed Jobs with `backoffLimitPerIndex`).
    FailIndex,
    /// Do not count the failure against `backoffLimit`.
    Ignore,
    /// Count the failure as usual.
    Count,
}

impl FailureAction {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureAction::FailJob => "FailJob",
            FailureAction::FailIndex => "FailIndex",
            FailureAction::Ignore => "Ignore",
            FailureAction::Count => "Count",
        }
    }
}

/// Rules deciding what a failed pod means for its Job, checked in order.
///
/// ```
/// use kubeprint::workload::{FailureAction, PodFailurePolicy};
/// let policy = PodFailurePolicy::new()
///     .on_container_exit_codes(FailureAction::FailJob, "main", [42])
///     .ignore_disruptions();
/// let k8s = policy.to_k8s();
/// assert_eq!(k8s.rules.len(), 2);
/// assert_eq!(k8s.rules[1].on_pod_conditions.as_ref().unwrap()[0].type_, "DisruptionTarget");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodFailurePolicy(Vec<batch::PodFailurePolicyRule>);

impl PodFailurePolicy {
    /// No rules.
    pub fn new() -> Self {
        PodFailurePolicy::default()
    }

    fn exit_codes(
        mut self,
        action: FailureAction,
        container: Option<String>,
        operator: &str,
        codes: impl IntoIterator<Item = i32>,
    ) -> Self {
        let mut values: Vec<i32> = codes.into_iter().collect();
        values.sort_unstable();
        values.dedup();
        self.0.push(batch::PodFailurePolicyRule {
            action: action.as_str().into(),
            on_exit_codes: Some(batch::PodFailurePolicyOnExitCodesRequirement {
                container_name: container,
                operator: operator.into(),
                values,
            }),
            on_pod_conditions: None,
        });
        self
    }

    /// `action` when any container exits with one of `codes` (0 is not allowed).
    #[must_use]
    pub fn on_exit_codes(
        self,
        action: FailureAction,
        codes: impl IntoIterator<Item = i32>,
    ) -> Self {
        self.exit_codes(action, None, "In", codes)
    }

    /// `action` when any container fails with an exit code not in `codes`.
    #[must_use]
    pub fn on_exit_codes_except(
        self,
        action: FailureAction,
        codes: impl IntoIterator<Item = i32>,
    ) -> Self {
        self.exit_codes(action, None, "NotIn", codes)
    }

    /// `action` when container `container` exits with one of `codes`.
    #[must_use]
    pub fn on_container_exit_codes(
        self,
        action: FailureAction,
        container: impl Into<String>,
        codes: impl IntoIterator<Item = i32>,
    ) -> Self {
        self.exit_codes(action, Some(container.into()), "In", codes)
    }

    /// `action` when the failed pod has condition `condition` (with status `True`, the
    /// default).
    #[must_use]
    pub fn on_pod_condition(mut self, action: FailureAction, condition: impl Into<String>) -> Self {
        self.0.push(batch::PodFailurePolicyRule {
            action: action.as_str().into(),
            on_exit_codes: None,
            on_pod_conditions: Some(vec![batch::PodFailurePolicyOnPodConditionsPattern {
                type_: condition.into(),
                ..batch::PodFailurePolicyOnPodConditionsPattern::default()
            }]),
        });
        self
    }

    /// Does not count pods killed by disruptions (preemption, eviction, node drain).
    #[must_use]
    pub fn ignore_disruptions(self) -> Self {
        self.on_pod_condition(FailureAction::Ignore, "DisruptionTarget")
    }

    /// The policy as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> batch::PodFailurePolicy {
        batch::PodFailurePolicy {
            rules: self.0.clone(),
        }
    }
}

/// The settings of a Job's run, shared by [`Job`] and [`crate::api::batch::CronJob`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobParams<'a> {
    pub completions: Option<i32>,
    pub parallelism: Option<i32>,
    pub backoff_limit: Option<i32>,
    pub active_deadline_seconds: Option<i64>,
    pub ttl_seconds_after_finished: Option<i32>,
    pub restart_policy: Option<JobRestartPolicy>,
    pub indexed: bool,
    pub pod_failure_policy: Option<&'a PodFailurePolicy>,
}

/// The [`JobParams`] of a builder with the Job settings as fields of the same names (`Job`,
/// `CronJob`), so the list of settings is written once.
macro_rules! job_params {
    ($builder:expr) => {
        $crate::api::batch::job::JobParams {
            completions: $builder.completions,
            parallelism: $builder.parallelism,
            backoff_limit: $builder.backoff_limit,
            active_deadline_seconds: $builder.active_deadline_seconds,
            ttl_seconds_after_finished: $builder.ttl_seconds_after_finished,
            restart_policy: $builder.restart_policy,
            indexed: $builder.indexed,
            pod_failure_policy: $builder.pod_failure_policy.as_ref(),
        }
    };
}
pub(crate) use job_params;

impl JobParams<'_> {
    /// The Job spec. The restart policy is the one given, else the template's, else `Never`
    /// with a pod failure policy (which requires it) and `OnFailure` without.
    pub(crate) fn spec(&self, template: &PodTemplate, name: &str) -> batch::JobSpec {
        let fallback = if self.pod_failure_policy.is_some() {
            RestartPolicy::Never
        } else {
            RestartPolicy::OnFailure
        };
        let restart = self
            .restart_policy
            .map(RestartPolicy::from)
            .or(template.restart_policy())
            .unwrap_or(fallback);
        batch::JobSpec {
            completions: self.completions,
            parallelism: self.parallelism,
            backoff_limit: self.backoff_limit,
            active_deadline_seconds: self.active_deadline_seconds,
            ttl_seconds_after_finished: self.ttl_seconds_after_finished,
            completion_mode: self.indexed.then(|| "Indexed".to_owned()),
            pod_failure_policy: self.pod_failure_policy.map(PodFailurePolicy::to_k8s),
            template: template.render(name, Some(restart)),
            ..batch::JobSpec::default()
        }
    }
}

/// A Job. `name` and `template` are required; the restart policy defaults to `OnFailure`.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let oneshot = |name: &str| {
///     PodTemplate::builder()
///         .container(
///             Container::builder()
///                 .name("kuard")
///                 .image("gcr.io/kuar-demo/kuard-amd64:blue")
///                 .args(["--keygen-enable", "--keygen-exit-on-complete", "--keygen-num-to-gen=10"])
///                 .build(),
///         )
///         .build()
/// };
/// // One shot: one pod, retried on failure.
/// let one = Job::builder().name("oneshot").template(oneshot("oneshot")).build();
/// // Parallel: 10 completions, 5 pods at a time.
/// let parallel = Job::builder().name("parallel").completions(10).parallelism(5).template(oneshot("parallel")).build();
/// // Work queue: 5 consumers, no completion count (done when one exits 0 and the rest finish).
/// let queue = Job::builder().name("consumers").parallelism(5).template(oneshot("consumers")).build();
/// for job in [one, parallel, queue] {
///     let spec = job.to_object()?.spec.unwrap();
///     assert_eq!(spec.template.spec.unwrap().restart_policy.as_deref(), Some("OnFailure"));
/// }
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Job::new`] (the required fields as arguments) or [`Job::builder()`](Job::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (the selector labels are added). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.own_labels_only()` / `.own_labels_only_if(bool)` | Leaves the selector labels off the object's own `metadata.labels`: they stay in the selector and on the pods, where they are needed, and the object carries only `labels` (and the bundle's labels). |
/// | `.template(PodTemplate)` — **required** | The pods to run. |
/// | `.completions(i32)` / `.completions_opt(Option<..>)` | Successful pods needed to finish (unset with `parallelism`: a work queue). |
/// | `.parallelism(i32)` / `.parallelism_opt(Option<..>)` | Pods running at once. |
/// | `.backoff_limit(i32)` / `.backoff_limit_opt(Option<..>)` | Retries before the Job fails (default 6). |
/// | `.active_deadline_seconds(i64)` / `.active_deadline_seconds_opt(Option<..>)` | Seconds the Job may run in total before it fails. |
/// | `.ttl_seconds_after_finished(i32)` / `.ttl_seconds_after_finished_opt(Option<..>)` | Seconds after finishing before the Job (and its pods) are deleted. |
/// | `.restart_policy(JobRestartPolicy)` / `.restart_policy_opt(Option<..>)` | Overrides the template's restart policy (default `OnFailure`; `Never` with a pod failure policy). |
/// | `.indexed()` / `.indexed_if(bool)` | Indexed completion mode: each pod gets an index 0..completions (`JOB_COMPLETION_INDEX`); requires `completions`. |
/// | `.pod_failure_policy(PodFailurePolicy)` / `.pod_failure_policy_opt(Option<..>)` | What failed pods mean for the Job (requires restart policy `Never`). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Job {
    /// `metadata.name`.
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
    /// The pods to run.
    template: PodTemplate,
    /// Successful pods needed to finish (unset with `parallelism`: a work queue).
    #[builder(default, setter(strip_option(fallback = completions_opt)))]
    completions: Option<i32>,
    /// Pods running at once.
    #[builder(default, setter(strip_option(fallback = parallelism_opt)))]
    parallelism: Option<i32>,
    /// Retries before the Job fails (default 6).
    #[builder(default, setter(strip_option(fallback = backoff_limit_opt)))]
    backoff_limit: Option<i32>,
    /// Seconds the Job may run in total before it fails.
    #[builder(default, setter(strip_option(fallback = active_deadline_seconds_opt)))]
    active_deadline_seconds: Option<i64>,
    /// Seconds after finishing before the Job (and its pods) are deleted.
    #[builder(default, setter(strip_option(fallback = ttl_seconds_after_finished_opt)))]
    ttl_seconds_after_finished: Option<i32>,
    /// Overrides the template's restart policy (default `OnFailure`; `Never` with a pod failure
    /// policy).
    #[builder(default, setter(strip_option(fallback = restart_policy_opt)))]
    restart_policy: Option<JobRestartPolicy>,
    /// Indexed completion mode: each pod gets an index 0..completions
    /// (`JOB_COMPLETION_INDEX`); requires `completions`.
    #[builder(setter(strip_bool(fallback = indexed_if)))]
    indexed: bool,
    /// What failed pods mean for the Job (requires restart policy `Never`).
    #[builder(default, setter(strip_option(fallback = pod_failure_policy_opt)))]
    pod_failure_policy: Option<PodFailurePolicy>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut batch::Job) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<batch::Job>,
}

impl Job {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the pod template; go on with any
    /// other setter, then `.build()`. Same as `Job::builder().name(..).template(..)`, but leaving
    /// one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        template: PodTemplate,
    ) -> JobBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (PodTemplate,),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (Customize<batch::Job>,),
    )> {
        Self::builder().name(name).template(template)
    }
}

builder_workload!(Job, "Job", controller);

impl Manifest for Job {
    type Object = batch::Job;

    fn to_object(&self) -> Result<batch::Job> {
        let (_, metadata) = self.selector_and_meta();
        let mut job = batch::Job {
            metadata,
            spec: Some(job_params!(self).spec(&self.template, &self.name)),
            status: None,
        };
        self.template
            .keep_restricted_promise("Job", &self.name, "spec.template.spec")?;
        self.customize.apply(&mut job);
        job.to_object()
    }
}

impl Validate for batch::Job {
    fn validate(&self, c: &mut Checker) {
        match &self.spec {
            Some(spec) => job_spec(c, "spec", spec),
            None => c.fail("spec", "must be set"),
        }
    }
}

/// Checks a Job spec at `p` (`spec`, or `spec.jobTemplate.spec` in a CronJob).
pub(crate) fn job_spec(c: &mut Checker, p: &str, spec: &batch::JobSpec) {
    check_non_negative(
        c,
        p,
        &[
            ("parallelism", spec.parallelism),
            ("completions", spec.completions),
            ("backoffLimit", spec.backoff_limit),
            ("backoffLimitPerIndex", spec.backoff_limit_per_index),
            ("maxFailedIndexes", spec.max_failed_indexes),
            ("ttlSecondsAfterFinished", spec.ttl_seconds_after_finished),
        ],
    );
    check_non_negative(
        c,
        p,
        &[("activeDeadlineSeconds", spec.active_deadline_seconds)],
    );
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    if let Some(mode) = &spec.completion_mode {
        c.check(
            format_args!("{p}.completionMode"),
            validate::one_of(mode, &["NonIndexed", "Indexed"]),
        );
    }
    // With neither set, the apiserver defaults both to 1.
    if indexed && spec.completions.is_none() && spec.parallelism.is_some() {
        c.fail(
            format_args!("{p}.completions"),
            "must be set when completionMode is Indexed",
        );
    }
    if indexed && spec.parallelism.is_some_and(|n| n > 100_000) {
        c.fail(
            format_args!("{p}.parallelism"),
            "must be at most 100000 when completionMode is Indexed",
        );
    }
    if spec.max_failed_indexes.is_some() && spec.backoff_limit_per_index.is_none() {
        c.fail(
            format_args!("{p}.maxFailedIndexes"),
            "may only be set together with backoffLimitPerIndex",
        );
    }
    if let Some(policy) = &spec.pod_replacement_policy {
        c.check(
            format_args!("{p}.podReplacementPolicy"),
            validate::one_of(policy, &["TerminatingOrFailed", "Failed"]),
        );
    }
    if spec.success_policy.is_some() && !indexed {
        c.fail(
            format_args!("{p}.successPolicy"),
            "may only be set when completionMode is Indexed",
        );
    }
    if spec.manual_selector == Some(true) && spec.selector.is_none() {
        c.fail(
            format_args!("{p}.selector"),
            "required when manualSelector is true",
        );
    }
    for (field, set) in [
        (
            "backoffLimitPerIndex",
            spec.backoff_limit_per_index.is_some(),
        ),
        ("maxFailedIndexes", spec.max_failed_indexes.is_some()),
    ] {
        if set && !indexed {
            c.fail(
                format_args!("{p}.{field}"),
                "may only be set when completionMode is Indexed",
            );
        }
    }

    let pod = spec.template.spec.as_ref();
    if let Some(policy) = &spec.pod_failure_policy {
        if pod.and_then(|s| s.restart_policy.as_deref()) != Some("Never") {
            c.fail(
                format_args!("{p}.template.spec.restartPolicy"),
                "must be Never when podFailurePolicy is set",
            );
        }
        let containers: Vec<&str> = pod
            .iter()
            .flat_map(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
            })
            .map(|k| k.name.as_str())
            .collect();
        for (i, rule) in policy.rules.iter().enumerate() {
            failure_rule(
                c,
                &format!("{p}.podFailurePolicy.rules[{i}]"),
                rule,
                &containers,
                spec.backoff_limit_per_index.is_some(),
            );
        }
    }

    if let Some(selector) = &spec.selector {
        check::selector_and_template(c, p, selector, &spec.template);
    }
    check::template(
        c,
        &format!("{p}.template"),
        &spec.template,
        PodContext::new(RestartRule::NotAlways("Job")),
    );
}

fn failure_rule(
    c: &mut Checker,
    rp: &str,
    rule: &batch::PodFailurePolicyRule,
    containers: &[&str],
    per_index: bool,
) {
    match rule.action.as_str() {
        "FailJob" | "Ignore" | "Count" => {}
        "FailIndex" => {
            if !per_index {
                c.fail(
                    format_args!("{rp}.action"),
                    "FailIndex needs backoffLimitPerIndex",
                );
            }
        }
        other => c.fail(
            format_args!("{rp}.action"),
            format!("{other:?} is not one of FailJob, FailIndex, Ignore, Count"),
        ),
    }
    match (&rule.on_exit_codes, &rule.on_pod_conditions) {
        (Some(codes), None) => {
            let op = codes.operator.as_str();
            c.check(
                format_args!("{rp}.onExitCodes.operator"),
                validate::one_of(op, &["In", "NotIn"]),
            );
            let values = &codes.values;
            if values.is_empty() {
                c.fail(format_args!("{rp}.onExitCodes.values"), "must not be empty");
            } else if values.windows(2).any(|w| w[0] >= w[1]) {
                c.fail(
                    format_args!("{rp}.onExitCodes.values"),
                    "must be sorted and unique",
                );
            }
            if op == "In" && values.contains(&0) {
                c.fail(
                    format_args!("{rp}.onExitCodes.values"),
                    "must not contain 0 for operator In",
                );
            }
            if let Some(name) = &codes.container_name
                && !containers.contains(&name.as_str())
            {
                c.fail(
                    format_args!("{rp}.onExitCodes.containerName"),
                    format!("no container named {name:?}"),
                );
            }
        }
        (None, Some(patterns)) => {
            if patterns.is_empty() {
                c.fail(format_args!("{rp}.onPodConditions"), "must not be empty");
            }
            for (j, pattern) in patterns.iter().enumerate() {
                if pattern.type_.is_empty() {
                    c.fail(
                        format_args!("{rp}.onPodConditions[{j}].type"),
                        "must not be empty",
                    );
                }
                if let Some(status) = &pattern.status {
                    c.check(
                        format_args!("{rp}.onPodConditions[{j}].status"),
                        validate::one_of(status, &["True", "False", "Unknown"]),
                    );
                }
            }
        }
        _ => c.fail(
            rp,
            "must have exactly one of onExitCodes and onPodConditions",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Container;
    use crate::workload::Workload;

    fn template() -> PodTemplate {
        PodTemplate::builder()
            .container(Container::builder().name("main").image("busybox").build())
            .build()
    }

    #[test]
    fn every_field() {
        let job = Job::builder()
            .name("work")
            .template(template())
            .completions(4)
            .parallelism(2)
            .backoff_limit(1)
            .active_deadline_seconds(600)
            .ttl_seconds_after_finished(60)
            .restart_policy(JobRestartPolicy::Never)
            .indexed()
            .build()
            .to_object()
            .unwrap();
        let spec = job.spec.unwrap();
        assert_eq!(
            (spec.completions, spec.parallelism, spec.backoff_limit),
            (Some(4), Some(2), Some(1))
        );
        assert_eq!(
            (
                spec.active_deadline_seconds,
                spec.ttl_seconds_after_finished
            ),
            (Some(600), Some(60))
        );
        assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
        assert_eq!(spec.selector, None);
        assert_eq!(
            spec.template.spec.unwrap().restart_policy.as_deref(),
            Some("Never")
        );
    }

    #[test]
    fn restart_policy_resolution() {
        let restart = |job: Job| {
            job.to_object()
                .unwrap()
                .spec
                .unwrap()
                .template
                .spec
                .unwrap()
                .restart_policy
                .unwrap()
        };
        assert_eq!(
            restart(Job::builder().name("a").template(template()).build()),
            "OnFailure"
        );
        let never = PodTemplate::builder()
            .restart_policy(RestartPolicy::Never)
            .container(Container::builder().name("main").image("busybox").build())
            .build();
        assert_eq!(
            restart(Job::builder().name("a").template(never.clone()).build()),
            "Never"
        );
        assert_eq!(
            restart(
                Job::builder()
                    .name("a")
                    .template(never)
                    .restart_policy(JobRestartPolicy::OnFailure)
                    .build()
            ),
            "OnFailure"
        );
        let with_policy = Job::builder()
            .name("a")
            .template(template())
            .pod_failure_policy(
                PodFailurePolicy::new().on_exit_codes(FailureAction::FailJob, [3, 1, 3]),
            )
            .build();
        let spec = with_policy.to_object().unwrap().spec.unwrap();
        assert_eq!(
            spec.pod_failure_policy.unwrap().rules[0]
                .on_exit_codes
                .as_ref()
                .unwrap()
                .values,
            [1, 3]
        );
        assert_eq!(
            spec.template.spec.unwrap().restart_policy.as_deref(),
            Some("Never")
        );
    }

    #[test]
    fn failure_policy_rules() {
        let p = PodFailurePolicy::new()
            .on_exit_codes_except(FailureAction::Count, [0])
            .on_pod_condition(FailureAction::FailIndex, "ConfigIssue")
            .to_k8s();
        assert_eq!(p.rules[0].on_exit_codes.as_ref().unwrap().operator, "NotIn");
        assert_eq!(p.rules[0].action, "Count");
        assert_eq!(p.rules[1].action, "FailIndex");
        assert_eq!(FailureAction::Ignore.as_str(), "Ignore");
    }

    #[test]
    fn workload_impl() {
        let job = Job::builder().name("work").template(template()).build();
        assert_eq!((job.kind(), job.api_version()), ("Job", "batch/v1"));
        assert_eq!(job.to_object().unwrap().selector(), job.selector());
    }
}
