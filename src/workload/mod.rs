//! Workloads: Pod, ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob and the
//! HorizontalPodAutoscaler. Each wraps the one pod-template layer in [`crate::pod`].
//!
//! [`Workload`] is what other kinds need to know about a workload: a Service built from a
//! workload takes its selector and ports from it.

use crate::meta::Labels;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;

/// A set of pods selected by labels, with container ports.
///
/// Implemented by the workload builders and by the `k8s-openapi` workload types.
pub trait Workload {
    /// The Kubernetes kind (e.g. `Deployment`).
    fn kind(&self) -> &'static str;
    /// The workload's name.
    fn name(&self) -> &str;
    /// Labels that select exactly this workload's pods (stable; never hashes).
    fn selector(&self) -> Labels;
    /// Every port of every (non-init) container, in container order.
    fn ports(&self) -> Vec<core::ContainerPort>;
}

fn template_ports(template: Option<&core::PodTemplateSpec>) -> Vec<core::ContainerPort> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(pod_spec_ports)
        .unwrap_or_default()
}

pub(crate) fn pod_spec_ports(spec: &core::PodSpec) -> Vec<core::ContainerPort> {
    spec.containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten().cloned())
        .collect()
}

macro_rules! k8s_workload {
    ($ty:ty, $kind:literal, |$spec:ident| $template:expr) => {
        impl Workload for $ty {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn name(&self) -> &str {
                self.metadata.name.as_deref().unwrap_or_default()
            }
            fn selector(&self) -> Labels {
                self.spec
                    .selector
                    .match_labels
                    .clone()
                    .map(Labels::from)
                    .unwrap_or_default()
            }
            fn ports(&self) -> Vec<core::ContainerPort> {
                let $spec = &self.spec;
                template_ports($template)
            }
        }
    };
}

k8s_workload!(apps::Deployment, "Deployment", |s| Some(&s.template));
k8s_workload!(apps::ReplicaSet, "ReplicaSet", |s| s.template.as_ref());
k8s_workload!(apps::DaemonSet, "DaemonSet", |s| Some(&s.template));
k8s_workload!(apps::StatefulSet, "StatefulSet", |s| Some(&s.template));

impl Workload for core::Pod {
    fn kind(&self) -> &'static str {
        "Pod"
    }
    fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
    fn selector(&self) -> Labels {
        self.metadata
            .labels
            .clone()
            .map(Labels::from)
            .unwrap_or_default()
    }
    fn ports(&self) -> Vec<core::ContainerPort> {
        self.spec.as_ref().map(pod_spec_ports).unwrap_or_default()
    }
}

impl Workload for batch::Job {
    fn kind(&self) -> &'static str {
        "Job"
    }
    fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
    fn selector(&self) -> Labels {
        self.spec
            .as_ref()
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .map(Labels::from)
            .unwrap_or_default()
    }
    fn ports(&self) -> Vec<core::ContainerPort> {
        template_ports(self.spec.as_ref().map(|s| &s.template))
    }
}
