//! The workload-level rules of every kind, one test per rule, each asserting the exact message.

use kubeprint::k8s_openapi::api::apps::v1 as apps;
use kubeprint::k8s_openapi::api::autoscaling::v2 as autoscaling;
use kubeprint::k8s_openapi::api::batch::v1 as batch;
use kubeprint::k8s_openapi::api::core::v1 as core;
use kubeprint::k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement,
};
use kubeprint::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubeprint::prelude::*;
use kubeprint::workload::{
    FailureAction, PodFailurePolicy, ScaleTarget, ScalingPolicy, ScalingRules,
};

fn template() -> PodTemplate {
    PodTemplate::builder()
        .container(
            Container::builder()
                .name("main")
                .image("busybox:1.36")
                .port(Port::tcp("http", 8080))
                .mount(Mount::new("data", "/data"))
                .build(),
        )
        .volume(Volume::empty_dir("data"))
        .build()
}

fn errors<M: Manifest>(m: &M) -> Vec<String> {
    match m.to_object() {
        Ok(_) => Vec::new(),
        Err(e) => e.violations().iter().map(ToString::to_string).collect(),
    }
}

/// `rule!(name, base(), |o| mutation, "message")`: the mutated object has exactly that violation.
macro_rules! rule {
    ($name:ident, $base:expr, |$o:ident| $mutate:expr, $expected:expr) => {
        #[test]
        fn $name() {
            #[allow(unused_mut)]
            let mut $o = $base;
            $mutate;
            assert_eq!(errors(&$o), vec![String::from($expected)]);
        }
    };
}

// Deployment.
fn deployment() -> apps::Deployment {
    Deployment::builder()
        .name("web")
        .template(template())
        .build()
        .to_object()
        .unwrap()
}

rule!(
    deployment_replicas,
    deployment(),
    |d| d.spec.replicas = Some(-1),
    r#"deployment "web": spec.replicas: must be >= 0, got -1"#
);
rule!(
    deployment_min_ready_seconds,
    deployment(),
    |d| d.spec.min_ready_seconds = Some(-5),
    r#"deployment "web": spec.minReadySeconds: must be >= 0, got -5"#
);
rule!(
    deployment_revision_history_limit,
    deployment(),
    |d| d.spec.revision_history_limit = Some(-1),
    r#"deployment "web": spec.revisionHistoryLimit: must be >= 0, got -1"#
);
rule!(
    deployment_progress_deadline_after_min_ready,
    Deployment::builder()
        .name("web")
        .template(template())
        .min_ready_seconds(30)
        .progress_deadline_seconds(30)
        .build(),
    |d| (),
    r#"deployment "web": spec.progressDeadlineSeconds: must be greater than minReadySeconds (30), got 30"#
);
rule!(
    deployment_recreate_has_no_rolling_update,
    deployment(),
    |d| d.spec.strategy = Some(apps::DeploymentStrategy {
        type_: Some("Recreate".into()),
        rolling_update: DeploymentStrategy::rolling_update(1, 1)
            .to_k8s()
            .rolling_update,
    }),
    r#"deployment "web": spec.strategy.rollingUpdate: must not be set when type is Recreate"#
);
rule!(
    deployment_strategy_type,
    deployment(),
    |d| d.spec.strategy = Some(apps::DeploymentStrategy {
        type_: Some("BlueGreen".into()),
        rolling_update: None
    }),
    r#"deployment "web": spec.strategy.type: "BlueGreen" is not one of Recreate, RollingUpdate"#
);
rule!(
    deployment_surge_and_unavailable_not_both_zero,
    Deployment::builder()
        .name("web")
        .template(template())
        .strategy(DeploymentStrategy::rolling_update(
            0,
            IntOrPercent::percent(0)
        ))
        .build(),
    |d| (),
    r#"deployment "web": spec.strategy.rollingUpdate.maxUnavailable: must not be 0 when maxSurge is 0"#
);
rule!(
    deployment_max_unavailable_at_most_100_percent,
    Deployment::builder()
        .name("web")
        .template(template())
        .strategy(DeploymentStrategy::rolling_update(
            1,
            IntOrPercent::percent(150)
        ))
        .build(),
    |d| (),
    r#"deployment "web": spec.strategy.rollingUpdate.maxUnavailable: "150%" must not be more than 100%"#
);
rule!(
    deployment_max_surge_format,
    deployment(),
    |d| d.spec.strategy = Some(apps::DeploymentStrategy {
        type_: None,
        rolling_update: Some(apps::RollingUpdateDeployment {
            max_surge: Some(IntOrString::String("25".into())),
            max_unavailable: None
        }),
    }),
    r#"deployment "web": spec.strategy.rollingUpdate.maxSurge: "25" is not an integer or a percentage like "25%""#
);
rule!(
    deployment_max_surge_not_negative,
    Deployment::builder()
        .name("web")
        .template(template())
        .strategy(DeploymentStrategy::rolling_update(-1, 1))
        .build(),
    |d| (),
    r#"deployment "web": spec.strategy.rollingUpdate.maxSurge: must be >= 0, got -1"#
);
rule!(
    deployment_selector_matches_template,
    Deployment::builder()
        .name("web")
        .template(template())
        .customize(|d| {
            d.spec.template.metadata.as_mut().unwrap().labels =
                Some([("app".to_owned(), "other".to_owned())].into());
        })
        .build(),
    |d| (),
    r#"deployment "web": spec.template.metadata.labels: do not match the selector "app.kubernetes.io/name=web""#
);
rule!(
    deployment_selector_not_empty,
    deployment(),
    |d| d.spec.selector = LabelSelector::default(),
    r#"deployment "web": spec.selector: must not be empty"#
);
rule!(
    deployment_selector_expressions_match_too,
    deployment(),
    |d| d.spec.selector.match_expressions = Some(vec![LabelSelectorRequirement {
        key: "tier".into(),
        operator: "In".into(),
        values: Some(vec!["frontend".into()]),
    }]),
    r#"deployment "web": spec.template.metadata.labels: do not match the selector "app.kubernetes.io/name=web,tier in (frontend)""#
);
rule!(
    deployment_selector_syntax,
    deployment(),
    |d| d.spec.selector.match_expressions = Some(vec![LabelSelectorRequirement {
        key: "app.kubernetes.io/name".into(),
        operator: "Exists".into(),
        values: Some(vec!["web".into()]),
    }]),
    r#"deployment "web": spec.selector.matchExpressions[0].values: must be empty for Exists and DoesNotExist"#
);
rule!(
    deployment_template_restart_policy,
    Deployment::builder()
        .name("web")
        .template(
            PodTemplate::builder()
                .restart_policy(RestartPolicy::Never)
                .container(Container::builder().name("m").image("i").build())
                .build()
        )
        .build(),
    |d| (),
    r#"deployment "web": spec.template.spec.restartPolicy: "Never" is not allowed in a Deployment: only Always"#
);
rule!(
    deployment_template_spec_required,
    deployment(),
    |d| d.spec.template.spec = None,
    r#"deployment "web": spec.template.spec: must be set"#
);
rule!(
    deployment_customize_hook_is_validated,
    Deployment::builder()
        .name("web")
        .template(template())
        .customize(|d| d.spec.replicas = Some(-3))
        .build(),
    |d| (),
    r#"deployment "web": spec.replicas: must be >= 0, got -3"#
);
rule!(
    deployment_template_customize_hook_is_validated,
    Deployment::builder()
        .name("web")
        .template(
            PodTemplate::builder()
                .container(Container::builder().name("m").image("i").build())
                .customize(|t| t.spec.as_mut().unwrap().containers[0].image = None)
                .build(),
        )
        .build(),
    |d| (),
    r#"deployment "web": spec.template.spec.containers[0].image: must not be empty"#
);
rule!(
    deployment_container_customize_hook_is_validated,
    Deployment::builder()
        .name("web")
        .template(
            PodTemplate::builder()
                .container(
                    Container::builder()
                        .name("m")
                        .image("i")
                        .customize(|c| c.name = "M".into())
                        .build()
                )
                .build(),
        )
        .build(),
    |d| (),
    r#"deployment "web": spec.template.spec.containers[0].name: "M" must consist of lowercase letters, digits and '-'"#
);
rule!(
    deployment_name,
    Deployment::builder()
        .name("Web")
        .template(template())
        .build(),
    |d| (),
    r#"deployment "Web": metadata.name: "Web" must consist of lowercase letters, digits, '-' and '.'"#
);

// ReplicaSet.
fn replicaset() -> apps::ReplicaSet {
    ReplicaSet::builder()
        .name("kuard")
        .template(template())
        .build()
        .to_object()
        .unwrap()
}

rule!(
    replicaset_replicas,
    replicaset(),
    |r| r.spec.replicas = Some(-1),
    r#"replicaset "kuard": spec.replicas: must be >= 0, got -1"#
);
rule!(
    replicaset_min_ready_seconds,
    replicaset(),
    |r| r.spec.min_ready_seconds = Some(-1),
    r#"replicaset "kuard": spec.minReadySeconds: must be >= 0, got -1"#
);
rule!(
    replicaset_template_required,
    replicaset(),
    |r| r.spec.template = None,
    r#"replicaset "kuard": spec.template: must be set"#
);
rule!(
    replicaset_selector_matches_template,
    replicaset(),
    |r| r.spec.selector.match_labels = Some([("app".to_owned(), "kuard".to_owned())].into()),
    r#"replicaset "kuard": spec.template.metadata.labels: do not match the selector "app=kuard""#
);
rule!(
    replicaset_restart_policy,
    replicaset(),
    |r| r
        .spec
        .template
        .as_mut()
        .unwrap()
        .spec
        .as_mut()
        .unwrap()
        .restart_policy = Some("OnFailure".into()),
    r#"replicaset "kuard": spec.template.spec.restartPolicy: "OnFailure" is not allowed in a ReplicaSet: only Always"#
);

// DaemonSet.
fn daemonset() -> apps::DaemonSet {
    DaemonSet::builder()
        .name("fluentd")
        .template(template())
        .build()
        .to_object()
        .unwrap()
}

rule!(
    daemonset_on_delete_has_no_rolling_update,
    daemonset(),
    |d| d.spec.update_strategy = Some(apps::DaemonSetUpdateStrategy {
        type_: Some("OnDelete".into()),
        rolling_update: Some(apps::RollingUpdateDaemonSet::default()),
    }),
    r#"daemonset "fluentd": spec.updateStrategy.rollingUpdate: must not be set when type is OnDelete"#
);
rule!(
    daemonset_strategy_type,
    daemonset(),
    |d| d.spec.update_strategy = Some(apps::DaemonSetUpdateStrategy {
        type_: Some("Recreate".into()),
        rolling_update: None
    }),
    r#"daemonset "fluentd": spec.updateStrategy.type: "Recreate" is not one of RollingUpdate, OnDelete"#
);
rule!(
    daemonset_surge_and_unavailable_not_both_zero,
    DaemonSet::builder()
        .name("fluentd")
        .template(template())
        .strategy(
            DaemonSetStrategy::rolling_update()
                .max_unavailable(0)
                .max_surge(0)
        )
        .build(),
    |d| (),
    r#"daemonset "fluentd": spec.updateStrategy.rollingUpdate.maxUnavailable: must not be 0 when maxSurge is 0"#
);
rule!(
    daemonset_min_ready_seconds,
    daemonset(),
    |d| d.spec.min_ready_seconds = Some(-1),
    r#"daemonset "fluentd": spec.minReadySeconds: must be >= 0, got -1"#
);
rule!(
    daemonset_restart_policy,
    daemonset(),
    |d| d.spec.template.spec.as_mut().unwrap().restart_policy = Some("Never".into()),
    r#"daemonset "fluentd": spec.template.spec.restartPolicy: "Never" is not allowed in a DaemonSet: only Always"#
);
rule!(
    daemonset_selector_matches_template,
    daemonset(),
    |d| d.spec.template.metadata = None,
    r#"daemonset "fluentd": spec.template.metadata.labels: do not match the selector "app.kubernetes.io/name=fluentd""#
);

// StatefulSet.
fn statefulset_builder() -> StatefulSet {
    StatefulSet::builder()
        .name("mongo")
        .service_name("mongo")
        .template(
            PodTemplate::builder()
                .container(
                    Container::builder()
                        .name("mongo")
                        .image("mongo:7")
                        .mount(Mount::new("database", "/data/db"))
                        .build(),
                )
                .build(),
        )
        .volume_claim_template(VolumeClaimTemplate::new("database", Storage::gib(10)))
        .build()
}

fn statefulset() -> apps::StatefulSet {
    statefulset_builder().to_object().unwrap()
}

fn claim(s: &mut apps::StatefulSet) -> &mut core::PersistentVolumeClaimSpec {
    s.spec.volume_claim_templates.as_mut().unwrap()[0]
        .spec
        .as_mut()
        .unwrap()
}

#[test]
fn statefulset_claim_templates_are_volumes() {
    assert_eq!(errors(&statefulset_builder()), Vec::<String>::new());
}

rule!(
    statefulset_service_name_required,
    statefulset(),
    |s| s.spec.service_name = None,
    r#"statefulset "mongo": spec.serviceName: must be set (the headless Service giving pods their DNS names)"#
);
rule!(
    statefulset_service_name_is_a_service_name,
    statefulset(),
    |s| s.spec.service_name = Some("1mongo".into()),
    r#"statefulset "mongo": spec.serviceName: "1mongo" must start with a lowercase letter"#
);
rule!(
    statefulset_replicas,
    statefulset(),
    |s| s.spec.replicas = Some(-2),
    r#"statefulset "mongo": spec.replicas: must be >= 0, got -2"#
);
rule!(
    statefulset_pod_management_policy,
    statefulset(),
    |s| s.spec.pod_management_policy = Some("Random".into()),
    r#"statefulset "mongo": spec.podManagementPolicy: "Random" is not one of OrderedReady, Parallel"#
);
rule!(
    statefulset_partition,
    statefulset(),
    |s| s.spec.update_strategy = Some(StatefulSetStrategy::rolling_update().partition(-1).to_k8s()),
    r#"statefulset "mongo": spec.updateStrategy.rollingUpdate.partition: must be >= 0, got -1"#
);
rule!(
    statefulset_max_unavailable_not_zero,
    statefulset(),
    |s| s.spec.update_strategy = Some(
        StatefulSetStrategy::rolling_update()
            .max_unavailable(0)
            .to_k8s()
    ),
    r#"statefulset "mongo": spec.updateStrategy.rollingUpdate.maxUnavailable: must not be 0"#
);
rule!(
    statefulset_on_delete_has_no_rolling_update,
    statefulset(),
    |s| s.spec.update_strategy = Some(apps::StatefulSetUpdateStrategy {
        type_: Some("OnDelete".into()),
        rolling_update: StatefulSetStrategy::rolling_update()
            .partition(1)
            .to_k8s()
            .rolling_update,
    }),
    r#"statefulset "mongo": spec.updateStrategy.rollingUpdate: must not be set when type is OnDelete"#
);
rule!(
    statefulset_retention_policy,
    statefulset(),
    |s| s.spec.persistent_volume_claim_retention_policy =
        Some(apps::StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_deleted: Some("Archive".into()),
            when_scaled: None,
        }),
    r#"statefulset "mongo": spec.persistentVolumeClaimRetentionPolicy.whenDeleted: "Archive" is not one of Retain, Delete"#
);
rule!(
    statefulset_ordinals_start,
    statefulset(),
    |s| s.spec.ordinals = Some(apps::StatefulSetOrdinals { start: Some(-1) }),
    r#"statefulset "mongo": spec.ordinals.start: must be >= 0, got -1"#
);
rule!(
    statefulset_claim_access_modes,
    statefulset(),
    |s| claim(&mut s).access_modes = None,
    r#"statefulset "mongo": spec.volumeClaimTemplates[0].spec.accessModes: must not be empty"#
);
rule!(
    statefulset_claim_access_mode_value,
    statefulset(),
    |s| claim(&mut s).access_modes = Some(vec!["ReadWriteAlways".into()]),
    r#"statefulset "mongo": spec.volumeClaimTemplates[0].spec.accessModes[0]: "ReadWriteAlways" is not one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod"#
);
rule!(
    statefulset_claim_storage_request,
    statefulset(),
    |s| claim(&mut s).resources = None,
    r#"statefulset "mongo": spec.volumeClaimTemplates[0].spec.resources.requests["storage"]: must be set"#
);
rule!(
    statefulset_claim_name,
    statefulset(),
    |s| {
        s.spec.volume_claim_templates.as_mut().unwrap()[0]
            .metadata
            .name = Some("Database".into());
        s.spec.template.spec.as_mut().unwrap().containers[0]
            .volume_mounts
            .as_mut()
            .unwrap()[0]
            .name = "Database".into();
    },
    r#"statefulset "mongo": spec.volumeClaimTemplates[0].metadata.name: "Database" must consist of lowercase letters, digits and '-'"#
);
rule!(
    statefulset_claim_name_unique_with_volumes,
    statefulset(),
    |s| s.spec.template.spec.as_mut().unwrap().volumes =
        Some(vec![Volume::from(Volume::empty_dir("database")).to_k8s()]),
    r#"statefulset "mongo": spec.volumeClaimTemplates[0].metadata.name: duplicate volume name "database""#
);
rule!(
    statefulset_mount_names_volume_or_claim,
    statefulset(),
    |s| s.spec.template.spec.as_mut().unwrap().containers[0]
        .volume_mounts
        .as_mut()
        .unwrap()[0]
        .name = "db".into(),
    r#"statefulset "mongo": spec.template.spec.containers[0].volumeMounts[0].name: no volume named "db""#
);
rule!(
    statefulset_restart_policy,
    statefulset(),
    |s| s.spec.template.spec.as_mut().unwrap().restart_policy = Some("OnFailure".into()),
    r#"statefulset "mongo": spec.template.spec.restartPolicy: "OnFailure" is not allowed in a StatefulSet: only Always"#
);

// Pod.
fn pod() -> core::Pod {
    Pod::builder()
        .name("kuard")
        .template(template())
        .build()
        .to_object()
        .unwrap()
}

rule!(
    pod_spec_required,
    pod(),
    |p| p.spec = None,
    r#"pod "kuard": spec: must be set"#
);
rule!(
    pod_rules_apply_under_spec,
    pod(),
    |p| p.spec.as_mut().unwrap().containers[0]
        .ports
        .as_mut()
        .unwrap()[0]
        .name = Some("a-very-long-name".into()),
    r#"pod "kuard": spec.containers[0].ports[0].name: "a-very-long-name" is longer than 15 characters"#
);
rule!(
    pod_active_deadline_positive,
    pod(),
    |p| p.spec.as_mut().unwrap().active_deadline_seconds = Some(0),
    r#"pod "kuard": spec.activeDeadlineSeconds: must be >= 1, got 0"#
);

#[test]
fn pods_take_any_restart_policy() {
    for policy in [
        RestartPolicy::Always,
        RestartPolicy::OnFailure,
        RestartPolicy::Never,
    ] {
        let pod = Pod::builder()
            .name("kuard")
            .template(template())
            .restart_policy(policy)
            .build();
        assert_eq!(errors(&pod), Vec::<String>::new());
    }
}

// Job.
fn job() -> batch::Job {
    Job::builder()
        .name("work")
        .template(template())
        .build()
        .to_object()
        .unwrap()
}

fn job_spec(j: &mut batch::Job) -> &mut batch::JobSpec {
    j.spec.as_mut().unwrap()
}

rule!(
    job_restart_policy_always_not_allowed,
    Job::builder()
        .name("work")
        .template(
            PodTemplate::builder()
                .restart_policy(RestartPolicy::Always)
                .container(Container::builder().name("m").image("i").build())
                .build()
        )
        .build(),
    |j| (),
    r#"job "work": spec.template.spec.restartPolicy: "Always" is not allowed in a Job: use OnFailure or Never"#
);
rule!(
    job_restart_policy_required,
    job(),
    |j| job_spec(&mut j)
        .template
        .spec
        .as_mut()
        .unwrap()
        .restart_policy = None,
    r#"job "work": spec.template.spec.restartPolicy: must be set in a Job (OnFailure or Never)"#
);
rule!(
    job_parallelism,
    job(),
    |j| job_spec(&mut j).parallelism = Some(-1),
    r#"job "work": spec.parallelism: must be >= 0, got -1"#
);
rule!(
    job_completions,
    job(),
    |j| job_spec(&mut j).completions = Some(-1),
    r#"job "work": spec.completions: must be >= 0, got -1"#
);
rule!(
    job_backoff_limit,
    job(),
    |j| job_spec(&mut j).backoff_limit = Some(-1),
    r#"job "work": spec.backoffLimit: must be >= 0, got -1"#
);
rule!(
    job_active_deadline,
    job(),
    |j| job_spec(&mut j).active_deadline_seconds = Some(-1),
    r#"job "work": spec.activeDeadlineSeconds: must be >= 0, got -1"#
);
rule!(
    job_ttl,
    job(),
    |j| job_spec(&mut j).ttl_seconds_after_finished = Some(-1),
    r#"job "work": spec.ttlSecondsAfterFinished: must be >= 0, got -1"#
);
rule!(
    job_completion_mode,
    job(),
    |j| job_spec(&mut j).completion_mode = Some("Ordered".into()),
    r#"job "work": spec.completionMode: "Ordered" is not one of NonIndexed, Indexed"#
);
rule!(
    job_indexed_needs_completions,
    Job::builder()
        .name("work")
        .template(template())
        .indexed()
        .parallelism(3)
        .build(),
    |j| (),
    r#"job "work": spec.completions: must be set when completionMode is Indexed"#
);
rule!(
    job_backoff_limit_per_index_needs_indexed,
    job(),
    |j| job_spec(&mut j).backoff_limit_per_index = Some(1),
    r#"job "work": spec.backoffLimitPerIndex: may only be set when completionMode is Indexed"#
);
rule!(
    job_pod_failure_policy_needs_never,
    Job::builder()
        .name("work")
        .template(template())
        .restart_policy(JobRestartPolicy::OnFailure)
        .pod_failure_policy(PodFailurePolicy::new().ignore_disruptions())
        .build(),
    |j| (),
    r#"job "work": spec.template.spec.restartPolicy: must be Never when podFailurePolicy is set"#
);
rule!(
    job_pod_failure_exit_code_zero,
    Job::builder()
        .name("work")
        .template(template())
        .pod_failure_policy(PodFailurePolicy::new().on_exit_codes(FailureAction::FailJob, [0, 1]))
        .build(),
    |j| (),
    r#"job "work": spec.podFailurePolicy.rules[0].onExitCodes.values: must not contain 0 for operator In"#
);
rule!(
    job_pod_failure_container,
    Job::builder()
        .name("work")
        .template(template())
        .pod_failure_policy(PodFailurePolicy::new().on_container_exit_codes(
            FailureAction::FailJob,
            "sidecar",
            [1]
        ))
        .build(),
    |j| (),
    r#"job "work": spec.podFailurePolicy.rules[0].onExitCodes.containerName: no container named "sidecar""#
);
rule!(
    job_pod_failure_fail_index_needs_per_index_limit,
    Job::builder()
        .name("work")
        .template(template())
        .pod_failure_policy(PodFailurePolicy::new().on_exit_codes(FailureAction::FailIndex, [2]))
        .build(),
    |j| (),
    r#"job "work": spec.podFailurePolicy.rules[0].action: FailIndex needs backoffLimitPerIndex"#
);
rule!(
    job_pod_failure_values_sorted,
    Job::builder()
        .name("work")
        .template(template())
        .pod_failure_policy(PodFailurePolicy::new().on_exit_codes(FailureAction::Count, [1]))
        .build()
        .to_object()
        .unwrap(),
    |j| job_spec(&mut j).pod_failure_policy.as_mut().unwrap().rules[0]
        .on_exit_codes
        .as_mut()
        .unwrap()
        .values = vec![3, 2],
    r#"job "work": spec.podFailurePolicy.rules[0].onExitCodes.values: must be sorted and unique"#
);
rule!(
    job_pod_failure_one_requirement,
    Job::builder()
        .name("work")
        .template(template())
        .pod_failure_policy(PodFailurePolicy::new().ignore_disruptions())
        .build()
        .to_object()
        .unwrap(),
    |j| job_spec(&mut j).pod_failure_policy.as_mut().unwrap().rules[0].on_pod_conditions = None,
    r#"job "work": spec.podFailurePolicy.rules[0]: must have exactly one of onExitCodes and onPodConditions"#
);
rule!(
    job_pod_failure_action,
    Job::builder()
        .name("work")
        .template(template())
        .pod_failure_policy(PodFailurePolicy::new().ignore_disruptions())
        .build()
        .to_object()
        .unwrap(),
    |j| job_spec(&mut j).pod_failure_policy.as_mut().unwrap().rules[0].action = "Retry".into(),
    r#"job "work": spec.podFailurePolicy.rules[0].action: "Retry" is not one of FailJob, FailIndex, Ignore, Count"#
);
rule!(
    job_manual_selector_matches,
    job(),
    |j| job_spec(&mut j).selector = Some(LabelSelector {
        match_labels: Some([("job".to_owned(), "x".to_owned())].into()),
        match_expressions: None
    }),
    r#"job "work": spec.template.metadata.labels: do not match the selector "job=x""#
);
rule!(
    job_spec_required,
    job(),
    |j| j.spec = None,
    r#"job "work": spec: must be set"#
);

// CronJob.
fn cronjob_builder() -> CronJob {
    CronJob::builder()
        .name("report")
        .schedule("0 3 * * *")
        .template(template())
        .build()
}

fn cronjob() -> batch::CronJob {
    cronjob_builder().to_object().unwrap()
}

rule!(
    cronjob_schedule,
    CronJob::builder()
        .name("report")
        .schedule("0 25 * * *")
        .template(template())
        .build(),
    |c| (),
    r#"cronjob "report": spec.schedule: "0 25 * * *": hour 25 is out of range 0-23"#
);
rule!(
    cronjob_name_length,
    CronJob::builder()
        .name("a".repeat(53))
        .schedule("@daily")
        .template(template())
        .build(),
    |c| (),
    format!(
        r#"cronjob "{0}": metadata.name: "{0}" is longer than 52 characters (Job names add 11)"#,
        "a".repeat(53)
    )
);
rule!(
    cronjob_concurrency_policy,
    cronjob(),
    |c| c.spec.concurrency_policy = Some("Queue".into()),
    r#"cronjob "report": spec.concurrencyPolicy: "Queue" is not one of Allow, Forbid, Replace"#
);
rule!(
    cronjob_history_limits,
    cronjob(),
    |c| c.spec.failed_jobs_history_limit = Some(-1),
    r#"cronjob "report": spec.failedJobsHistoryLimit: must be >= 0, got -1"#
);
rule!(
    cronjob_starting_deadline,
    cronjob(),
    |c| c.spec.starting_deadline_seconds = Some(-10),
    r#"cronjob "report": spec.startingDeadlineSeconds: must be >= 0, got -10"#
);
rule!(
    cronjob_time_zone,
    cronjob(),
    |c| c.spec.time_zone = Some("Europe/../Paris".into()),
    r#"cronjob "report": spec.timeZone: "Europe/../Paris" is not an IANA time zone name"#
);
rule!(
    cronjob_job_template_required,
    cronjob(),
    |c| c.spec.job_template.spec = None,
    r#"cronjob "report": spec.jobTemplate.spec: must be set"#
);
rule!(
    cronjob_job_rules_apply_under_job_template,
    cronjob(),
    |c| c
        .spec
        .job_template
        .spec
        .as_mut()
        .unwrap()
        .template
        .spec
        .as_mut()
        .unwrap()
        .restart_policy = Some("Always".into()),
    r#"cronjob "report": spec.jobTemplate.spec.template.spec.restartPolicy: "Always" is not allowed in a Job: use OnFailure or Never"#
);
rule!(
    cronjob_job_counts,
    CronJob::builder()
        .name("report")
        .schedule("@hourly")
        .template(template())
        .backoff_limit(-1)
        .build(),
    |c| (),
    r#"cronjob "report": spec.jobTemplate.spec.backoffLimit: must be >= 0, got -1"#
);

// HorizontalPodAutoscaler.
fn hpa() -> autoscaling::HorizontalPodAutoscaler {
    let web = Deployment::builder()
        .name("web")
        .template(template())
        .build();
    HorizontalPodAutoscaler::builder()
        .name("web")
        .target(&web)
        .max_replicas(5)
        .cpu_utilization(70)
        .build()
        .to_object()
        .unwrap()
}

rule!(
    hpa_min_replicas,
    hpa(),
    |h| h.spec.min_replicas = Some(0),
    r#"horizontalpodautoscaler "web": spec.minReplicas: must be >= 1, got 0"#
);
rule!(
    hpa_max_at_least_min,
    hpa(),
    |h| h.spec.min_replicas = Some(6),
    r#"horizontalpodautoscaler "web": spec.maxReplicas: must be >= minReplicas (6), got 5"#
);
rule!(
    hpa_max_positive,
    hpa(),
    |h| h.spec.max_replicas = 0,
    r#"horizontalpodautoscaler "web": spec.maxReplicas: must be >= 1, got 0"#
);
rule!(
    hpa_target_is_scalable,
    HorizontalPodAutoscaler::builder()
        .name("fluentd")
        .target(
            &DaemonSet::builder()
                .name("fluentd")
                .template(template())
                .build()
        )
        .max_replicas(3)
        .build(),
    |h| (),
    r#"horizontalpodautoscaler "fluentd": spec.scaleTargetRef.kind: "DaemonSet" cannot be scaled (no scale subresource)"#
);
rule!(
    hpa_target_kind_required,
    hpa(),
    |h| h.spec.scale_target_ref.kind = String::new(),
    r#"horizontalpodautoscaler "web": spec.scaleTargetRef.kind: must not be empty"#
);
rule!(
    hpa_target_name,
    HorizontalPodAutoscaler::builder()
        .name("web")
        .target(ScaleTarget::new("Deployment", ""))
        .max_replicas(3)
        .build(),
    |h| (),
    r#"horizontalpodautoscaler "web": spec.scaleTargetRef.name: must not be empty"#
);
rule!(
    hpa_utilization_positive,
    hpa(),
    |h| h.spec.metrics.as_mut().unwrap()[0]
        .resource
        .as_mut()
        .unwrap()
        .target
        .average_utilization = Some(0),
    r#"horizontalpodautoscaler "web": spec.metrics[0].resource.target.averageUtilization: must be >= 1, got 0"#
);
rule!(
    hpa_utilization_required,
    hpa(),
    |h| h.spec.metrics.as_mut().unwrap()[0]
        .resource
        .as_mut()
        .unwrap()
        .target
        .average_utilization = None,
    r#"horizontalpodautoscaler "web": spec.metrics[0].resource.target.averageUtilization: must be set when type is Utilization"#
);
rule!(
    hpa_target_type,
    hpa(),
    |h| h.spec.metrics.as_mut().unwrap()[0]
        .resource
        .as_mut()
        .unwrap()
        .target
        .type_ = "Percent".into(),
    r#"horizontalpodautoscaler "web": spec.metrics[0].resource.target.type: "Percent" is not one of Utilization, Value, AverageValue"#
);
rule!(
    hpa_metric_type,
    hpa(),
    |h| h.spec.metrics.as_mut().unwrap()[0].type_ = "Cpu".into(),
    r#"horizontalpodautoscaler "web": spec.metrics[0].type: "Cpu" is not one of Resource, Pods, Object, External, ContainerResource"#
);
rule!(
    hpa_stabilization_window,
    {
        let web = Deployment::builder()
            .name("web")
            .template(template())
            .build();
        HorizontalPodAutoscaler::builder()
            .name("web")
            .target(&web)
            .max_replicas(5)
            .scale_down(ScalingRules::new().stabilization_window(4000))
            .build()
    },
    |h| (),
    r#"horizontalpodautoscaler "web": spec.behavior.scaleDown.stabilizationWindowSeconds: must be between 0 and 3600, got 4000"#
);
rule!(
    hpa_policy_period,
    {
        let web = Deployment::builder()
            .name("web")
            .template(template())
            .build();
        HorizontalPodAutoscaler::builder()
            .name("web")
            .target(&web)
            .max_replicas(5)
            .scale_up(ScalingRules::new().policy(ScalingPolicy::pods(4, 0)))
            .build()
    },
    |h| (),
    r#"horizontalpodautoscaler "web": spec.behavior.scaleUp.policies[0].periodSeconds: must be between 1 and 1800, got 0"#
);
rule!(
    hpa_policy_value,
    {
        let web = Deployment::builder()
            .name("web")
            .template(template())
            .build();
        HorizontalPodAutoscaler::builder()
            .name("web")
            .target(&web)
            .max_replicas(5)
            .scale_up(ScalingRules::new().policy(ScalingPolicy::percent(0, 60)))
            .build()
    },
    |h| (),
    r#"horizontalpodautoscaler "web": spec.behavior.scaleUp.policies[0].value: must be >= 1, got 0"#
);
rule!(
    hpa_select_policy,
    hpa(),
    |h| h.spec.behavior = Some(autoscaling::HorizontalPodAutoscalerBehavior {
        scale_up: Some(autoscaling::HPAScalingRules {
            select_policy: Some("Avg".into()),
            ..Default::default()
        }),
        scale_down: None,
    }),
    r#"horizontalpodautoscaler "web": spec.behavior.scaleUp.selectPolicy: "Avg" is not one of Max, Min, Disabled"#
);

#[test]
fn a_template_needs_a_container() {
    let d = Deployment::builder()
        .name("web")
        .template(PodTemplate::builder().build())
        .build();
    assert_eq!(
        errors(&d),
        [r#"deployment "web": spec.template.spec.containers: must have at least one container"#]
    );
    let j = Job::builder()
        .name("work")
        .template(PodTemplate::builder().build())
        .build();
    assert_eq!(
        errors(&j),
        [r#"job "work": spec.template.spec.containers: must have at least one container"#]
    );
}
