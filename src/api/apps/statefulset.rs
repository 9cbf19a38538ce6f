//! StatefulSet (chapter 13): replicas with stable names (`<name>-0`, `<name>-1` ...), stable
//! DNS through a headless Service, and a PersistentVolumeClaim each.
//!
//! A full example and the list of setters are on [`StatefulSet`].

use crate::api::core::persistentvolumeclaim::check_claim_spec;
use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels};
use crate::object::{Manifest, Validate};
use crate::pod::check::{PodContext, RestartRule};
use crate::pod::scheduling::match_labels;
use crate::pod::{PodTemplate, VolumeClaimTemplate};
use crate::validate::{self, Checker};
use crate::workload::builder_workload;
use crate::workload::{
    IntOrPercent, check_controller_pods, check_int_or_percent, check_non_negative, check_strategy,
};
use k8s_openapi::api::apps::v1 as apps;
use std::collections::BTreeSet;
use typed_builder::TypedBuilder;

/// In which order a StatefulSet creates and deletes pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PodManagementPolicy {
    /// One at a time, each ready before the next (the default).
    OrderedReady,
    /// All at once.
    Parallel,
}

impl PodManagementPolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PodManagementPolicy::OrderedReady => "OrderedReady",
            PodManagementPolicy::Parallel => "Parallel",
        }
    }
}

/// How a StatefulSet replaces its pods when the template changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatefulSetStrategy {
    /// Replace pods from the highest ordinal down (the default).
    RollingUpdate {
        /// Only pods with an ordinal ≥ `partition` are updated (staged rollouts).
        partition: Option<i32>,
        /// Pods that may be unavailable at once (needs the `MaxUnavailableStatefulSet`
        /// feature gate; default 1).
        max_unavailable: Option<IntOrPercent>,
    },
    /// Replace a pod only when it is deleted.
    OnDelete,
}

impl StatefulSetStrategy {
    /// A rolling update; refine with [`StatefulSetStrategy::partition`].
    pub fn rolling_update() -> Self {
        StatefulSetStrategy::RollingUpdate {
            partition: None,
            max_unavailable: None,
        }
    }

    /// [`StatefulSetStrategy::OnDelete`].
    pub fn on_delete() -> Self {
        StatefulSetStrategy::OnDelete
    }

    /// Sets the partition of a rolling update (no effect on `OnDelete`).
    #[must_use]
    pub fn partition(self, partition: i32) -> Self {
        match self {
            StatefulSetStrategy::RollingUpdate {
                max_unavailable, ..
            } => StatefulSetStrategy::RollingUpdate {
                partition: Some(partition),
                max_unavailable,
            },
            other => other,
        }
    }

    /// Sets `maxUnavailable` of a rolling update (no effect on `OnDelete`).
    #[must_use]
    pub fn max_unavailable(self, value: impl Into<IntOrPercent>) -> Self {
        match self {
            StatefulSetStrategy::RollingUpdate { partition, .. } => {
                StatefulSetStrategy::RollingUpdate {
                    partition,
                    max_unavailable: Some(value.into()),
                }
            }
            other => other,
        }
    }

    /// The strategy as `k8s-openapi` holds it.
    pub fn to_k8s(self) -> apps::StatefulSetUpdateStrategy {
        match self {
            StatefulSetStrategy::OnDelete => apps::StatefulSetUpdateStrategy {
                type_: Some("OnDelete".into()),
                rolling_update: None,
            },
            StatefulSetStrategy::RollingUpdate {
                partition,
                max_unavailable,
            } => apps::StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: (partition.is_some() || max_unavailable.is_some()).then(|| {
                    apps::RollingUpdateStatefulSetStrategy {
                        partition,
                        max_unavailable: max_unavailable.map(IntOrPercent::to_k8s),
                    }
                }),
            },
        }
    }
}

/// What happens to the claims of a StatefulSet's pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PvcRetention {
    /// Keep the claims (the default: data outlives the pods).
    Retain,
    /// Delete the claims.
    Delete,
}

impl PvcRetention {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PvcRetention::Retain => "Retain",
            PvcRetention::Delete => "Delete",
        }
    }
}

/// A StatefulSet. `name`, `service_name` and `template` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let mongo = StatefulSet::builder()
///     .name("mongo")
///     .service_name("mongo")
///     .replicas(3)
///     .template(
///         PodTemplate::builder()
///             .container(
///                 Container::builder()
///                     .name("mongodb")
///                     .image("mongo:7.0")
///                     .command(["mongod", "--replSet", "rs0", "--bind_ip_all"])
///                     .port(Port::tcp("peer", 27017))
///                     .mount(Mount::new("database", "/data/db"))
///                     .build(),
///             )
///             .build(),
///     )
///     .volume_claim_template(VolumeClaimTemplate::new("database", Storage::gib(100)))
///     .build();
/// let object = mongo.to_object()?;
/// assert_eq!(object.spec.service_name.as_deref(), Some("mongo"));
/// assert_eq!(object.spec.volume_claim_templates.unwrap()[0].metadata.name.as_deref(), Some("database"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`StatefulSet::new`] (the required fields as arguments) or [`StatefulSet::builder()`](StatefulSet::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (the selector labels are added). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.own_labels_only()` / `.own_labels_only_if(bool)` | Leaves the selector labels off the object's own `metadata.labels`: they stay in the selector and on the pods, where they are needed, and the object carries only `labels` (and the bundle's labels). |
/// | `.service_name(impl Into<String>)` — **required** | The headless Service that gives each pod its DNS name (`<pod>.<service>.<namespace>.svc`). |
/// | `.template(PodTemplate)` — **required** | The pods to run. |
/// | `.replicas(i32)` / `.replicas_opt(Option<..>)` | Desired number of pods (Kubernetes' default: 1). |
/// | `.volume_claim_template(template)` (repeatable) | Claim templates: each pod gets its own claim per template, mounted by template name. |
/// | `.pod_management_policy(PodManagementPolicy)` / `.pod_management_policy_opt(Option<..>)` | Ordered (default) or parallel pod creation. |
/// | `.strategy(StatefulSetStrategy)` / `.strategy_opt(Option<..>)` | How pods are replaced when the template changes. |
/// | `.pvc_when_deleted(PvcRetention)` / `.pvc_when_deleted_opt(Option<..>)` | What happens to the claims when the StatefulSet is deleted. |
/// | `.pvc_when_scaled(PvcRetention)` / `.pvc_when_scaled_opt(Option<..>)` | What happens to the claims of pods removed by scaling down. |
/// | `.ordinals_start(i32)` / `.ordinals_start_opt(Option<..>)` | The first ordinal (default 0). |
/// | `.min_ready_seconds(i32)` / `.min_ready_seconds_opt(Option<..>)` | Seconds a new pod must be ready before it counts as available. |
/// | `.revision_history_limit(i32)` / `.revision_history_limit_opt(Option<..>)` | Old revisions kept for rollback (default 10). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct StatefulSet {
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
    /// The headless Service that gives each pod its DNS name
    /// (`<pod>.<service>.<namespace>.svc`).
    #[builder(setter(into))]
    service_name: String,
    /// The pods to run.
    template: PodTemplate,
    /// Desired number of pods (Kubernetes' default: 1).
    #[builder(default, setter(strip_option(fallback = replicas_opt)))]
    replicas: Option<i32>,
    /// Claim templates: each pod gets its own claim per template, mounted by template name.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a claim template (`VolumeClaimTemplate::new("data", Storage::gib(10))`).
            pub fn volume_claim_template(&mut self, template: VolumeClaimTemplate) {
                self.volume_claim_templates.push(template);
            }
        )
    )]
    volume_claim_templates: Vec<VolumeClaimTemplate>,
    /// Ordered (default) or parallel pod creation.
    #[builder(default, setter(strip_option(fallback = pod_management_policy_opt)))]
    pod_management_policy: Option<PodManagementPolicy>,
    /// How pods are replaced when the template changes.
    #[builder(default, setter(strip_option(fallback = strategy_opt)))]
    strategy: Option<StatefulSetStrategy>,
    /// What happens to the claims when the StatefulSet is deleted.
    #[builder(default, setter(strip_option(fallback = pvc_when_deleted_opt)))]
    pvc_when_deleted: Option<PvcRetention>,
    /// What happens to the claims of pods removed by scaling down.
    #[builder(default, setter(strip_option(fallback = pvc_when_scaled_opt)))]
    pvc_when_scaled: Option<PvcRetention>,
    /// The first ordinal (default 0).
    #[builder(default, setter(strip_option(fallback = ordinals_start_opt)))]
    ordinals_start: Option<i32>,
    /// Seconds a new pod must be ready before it counts as available.
    #[builder(default, setter(strip_option(fallback = min_ready_seconds_opt)))]
    min_ready_seconds: Option<i32>,
    /// Old revisions kept for rollback (default 10).
    #[builder(default, setter(strip_option(fallback = revision_history_limit_opt)))]
    revision_history_limit: Option<i32>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut apps::StatefulSet) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<apps::StatefulSet>,
}

impl StatefulSet {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name, the governing (headless) Service and
    /// the pod template; go on with any other setter, then `.build()`. Same as
    /// `StatefulSet::builder().name(..).service_name(..).template(..)`, but leaving one out is an
    /// ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        service_name: impl Into<String>,
        template: PodTemplate,
    ) -> StatefulSetBuilder<(
        (String,),
        (),
        (),
        (),
        (),
        (String,),
        (PodTemplate,),
        (),
        (Vec<VolumeClaimTemplate>,),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (Customize<apps::StatefulSet>,),
    )> {
        Self::builder()
            .name(name)
            .service_name(service_name)
            .template(template)
    }
}

builder_workload!(StatefulSet, "StatefulSet", controller);

impl StatefulSet {
    /// The headless Service's name.
    pub fn service_name(&self) -> &str {
        &self.service_name
    }
}

impl Manifest for StatefulSet {
    type Object = apps::StatefulSet;

    fn to_object(&self) -> Result<apps::StatefulSet> {
        let (selector, metadata) = self.selector_and_meta();
        let claims = &self.volume_claim_templates;
        let retention =
            (self.pvc_when_deleted.is_some() || self.pvc_when_scaled.is_some()).then(|| {
                apps::StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: self.pvc_when_deleted.map(|r| r.as_str().to_owned()),
                    when_scaled: self.pvc_when_scaled.map(|r| r.as_str().to_owned()),
                }
            });
        let mut sts = apps::StatefulSet {
            metadata,
            spec: apps::StatefulSetSpec {
                service_name: Some(self.service_name.clone()),
                replicas: self.replicas,
                selector: match_labels(&selector),
                template: self.template.render(&self.name, None),
                volume_claim_templates: (!claims.is_empty())
                    .then(|| claims.iter().map(VolumeClaimTemplate::to_k8s).collect()),
                pod_management_policy: self.pod_management_policy.map(|p| p.as_str().to_owned()),
                update_strategy: self.strategy.map(StatefulSetStrategy::to_k8s),
                persistent_volume_claim_retention_policy: retention,
                ordinals: self
                    .ordinals_start
                    .map(|start| apps::StatefulSetOrdinals { start: Some(start) }),
                min_ready_seconds: self.min_ready_seconds,
                revision_history_limit: self.revision_history_limit,
            },
            status: None,
        };
        self.template
            .keep_restricted_promise("StatefulSet", &self.name, "spec.template.spec")?;
        self.customize.apply(&mut sts);
        sts.to_object()
    }
}

impl Validate for apps::StatefulSet {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        match spec.service_name.as_deref() {
            None | Some("") => c.fail(
                "spec.serviceName",
                "must be set (the headless Service giving pods their DNS names)",
            ),
            Some(name) => c.check("spec.serviceName", validate::dns1035_label(name)),
        }
        check_non_negative(
            c,
            "spec",
            &[
                ("replicas", spec.replicas),
                ("minReadySeconds", spec.min_ready_seconds),
                ("revisionHistoryLimit", spec.revision_history_limit),
            ],
        );
        if let Some(policy) = &spec.pod_management_policy {
            c.check(
                "spec.podManagementPolicy",
                validate::one_of(policy, &["OrderedReady", "Parallel"]),
            );
        }
        if let Some(s) = &spec.update_strategy {
            check_strategy(
                c,
                "spec.updateStrategy",
                (s.type_.as_deref(), s.rolling_update.as_ref()),
                ["RollingUpdate", "OnDelete"],
                |c, path, ru| {
                    check_non_negative(c, path, &[("partition", ru.partition)]);
                    let at = format!("{path}.maxUnavailable");
                    if let Some(v) = &ru.max_unavailable
                        && check_int_or_percent(c, &at, v, true) == Some(true)
                    {
                        c.fail(at, "must not be 0");
                    }
                },
            );
        }
        if let Some(policy) = &spec.persistent_volume_claim_retention_policy {
            for (field, value) in [
                ("whenDeleted", &policy.when_deleted),
                ("whenScaled", &policy.when_scaled),
            ] {
                if let Some(v) = value {
                    c.check(
                        format_args!("spec.persistentVolumeClaimRetentionPolicy.{field}"),
                        validate::one_of(v, &["Retain", "Delete"]),
                    );
                }
            }
        }
        if let Some(start) = spec.ordinals.as_ref().and_then(|o| o.start) {
            c.check("spec.ordinals.start", validate::non_negative(start.into()));
        }

        let volumes: BTreeSet<&str> = spec
            .template
            .spec
            .iter()
            .flat_map(|s| s.volumes.iter().flatten())
            .map(|v| v.name.as_str())
            .collect();
        let mut claims = Vec::new();
        for (i, t) in spec.volume_claim_templates.iter().flatten().enumerate() {
            let p = format!("spec.volumeClaimTemplates[{i}]");
            let name = t.metadata.name.clone().unwrap_or_default();
            c.check(
                format_args!("{p}.metadata.name"),
                validate::dns1123_label(&name),
            );
            if claims.contains(&name) || volumes.contains(name.as_str()) {
                c.fail(
                    format_args!("{p}.metadata.name"),
                    format!("duplicate volume name {name:?}"),
                );
            }
            c.labels(&format!("{p}.metadata.labels"), t.metadata.labels.as_ref());
            let Some(claim) = &t.spec else {
                c.fail(format_args!("{p}.spec"), "must be set");
                continue;
            };
            check_claim_spec(c, &format!("{p}.spec"), claim);
            claims.push(name);
        }

        let ctx = PodContext {
            restart: RestartRule::AlwaysOnly("StatefulSet"),
            claim_templates: &claims,
        };
        check_controller_pods(c, &spec.selector, &spec.template, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{AccessMode, Container, Mount};
    use crate::quantity::Storage;
    use crate::workload::Workload;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn template() -> PodTemplate {
        PodTemplate::builder()
            .container(
                Container::builder()
                    .name("db")
                    .image("postgres:17")
                    .mount(Mount::new("data", "/var/lib/postgresql"))
                    .build(),
            )
            .build()
    }

    #[test]
    fn every_field() {
        let sts = StatefulSet::builder()
            .name("pg")
            .service_name("pg")
            .template(template())
            .replicas(2)
            .volume_claim_template(
                VolumeClaimTemplate::new("data", Storage::gib(5))
                    .access_mode(AccessMode::ReadWriteOncePod)
                    .storage_class("ssd"),
            )
            .pod_management_policy(PodManagementPolicy::Parallel)
            .strategy(
                StatefulSetStrategy::rolling_update()
                    .partition(1)
                    .max_unavailable(1),
            )
            .pvc_when_deleted(PvcRetention::Delete)
            .pvc_when_scaled(PvcRetention::Retain)
            .ordinals_start(1)
            .min_ready_seconds(3)
            .revision_history_limit(4)
            .build();
        assert_eq!(sts.service_name(), "pg");
        let spec = sts.to_object().unwrap().spec;
        assert_eq!(
            (spec.replicas, spec.pod_management_policy.as_deref()),
            (Some(2), Some("Parallel"))
        );
        let claim = spec.volume_claim_templates.unwrap().remove(0).spec.unwrap();
        assert_eq!(claim.access_modes.unwrap(), ["ReadWriteOncePod"]);
        assert_eq!(claim.storage_class_name.as_deref(), Some("ssd"));
        let ru = spec.update_strategy.unwrap().rolling_update.unwrap();
        assert_eq!(
            (ru.partition, ru.max_unavailable),
            (Some(1), Some(IntOrString::Int(1)))
        );
        let r = spec.persistent_volume_claim_retention_policy.unwrap();
        assert_eq!(
            (r.when_deleted.as_deref(), r.when_scaled.as_deref()),
            (Some("Delete"), Some("Retain"))
        );
        assert_eq!(spec.ordinals.unwrap().start, Some(1));
        assert_eq!(
            (spec.min_ready_seconds, spec.revision_history_limit),
            (Some(3), Some(4))
        );
    }

    #[test]
    fn strategies() {
        assert_eq!(
            StatefulSetStrategy::rolling_update()
                .to_k8s()
                .rolling_update,
            None
        );
        let s = StatefulSetStrategy::on_delete()
            .partition(3)
            .max_unavailable(2)
            .to_k8s();
        assert_eq!(
            (s.type_.as_deref(), s.rolling_update),
            (Some("OnDelete"), None)
        );
        assert_eq!(PodManagementPolicy::OrderedReady.as_str(), "OrderedReady");
    }

    #[test]
    fn claim_templates_are_mountable() {
        let sts = StatefulSet::builder()
            .name("pg")
            .service_name("pg")
            .template(template())
            .volume_claim_template(VolumeClaimTemplate::new("data", Storage::gib(5)))
            .build();
        assert!(sts.to_object().is_ok());
        assert_eq!((sts.kind(), sts.api_version()), ("StatefulSet", "apps/v1"));
        assert_eq!(sts.to_object().unwrap().selector(), sts.selector());
    }
}
