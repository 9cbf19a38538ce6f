//! Where pods may run: tolerations, node and pod (anti-)affinity, topology spread.
//!
//! Terms about "the replicas" (e.g. [`Affinity::spread_replicas`]) select the workload's own
//! pods: they are resolved to the workload's selector labels when the template is rendered.
//!
//! ```
//! use kubeprint::prelude::*;
//! use kubeprint::pod::{Affinity, NodeExpr, TopologySpread};
//! let template = PodTemplate::builder()
//!     .container(Container::builder().name("db").image("mongo:7").build())
//!     .affinity(
//!         Affinity::new()
//!             .require_node(NodeExpr::is_in("kubernetes.io/arch", ["amd64", "arm64"]))
//!             .spread_replicas("kubernetes.io/hostname"),
//!     )
//!     .topology_spread(TopologySpread::new("topology.kubernetes.io/zone").schedule_anyway())
//!     .build();
//! let spec = template.to_template_spec("mongo").spec.unwrap();
//! let anti = spec.affinity.unwrap().pod_anti_affinity.unwrap();
//! let term = &anti.required_during_scheduling_ignored_during_execution.unwrap()[0];
//! assert_eq!(term.topology_key, "kubernetes.io/hostname");
//! let selector = term.label_selector.as_ref().unwrap().match_labels.as_ref().unwrap();
//! assert_eq!(selector["app.kubernetes.io/name"], "mongo");
//! ```

use crate::meta::Labels;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// The effect of a taint a toleration matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaintEffect {
    /// New pods are not scheduled on the node.
    NoSchedule,
    /// The scheduler avoids the node.
    PreferNoSchedule,
    /// Running pods are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// Lets pods run on nodes with matching taints.
///
/// ```
/// use kubeprint::pod::{TaintEffect, Toleration};
/// let t = Toleration::equal("dedicated", "db").effect(TaintEffect::NoExecute).seconds(300).to_k8s();
/// assert_eq!(t.operator.as_deref(), Some("Equal"));
/// assert_eq!(t.toleration_seconds, Some(300));
/// let any = Toleration::exists("node-role.kubernetes.io/control-plane").to_k8s();
/// assert_eq!((any.operator.as_deref(), any.value), (Some("Exists"), None));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Toleration(core::Toleration);

impl Toleration {
    /// Tolerates taints with key `key`, whatever their value.
    pub fn exists(key: impl Into<String>) -> Self {
        Toleration(core::Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            ..core::Toleration::default()
        })
    }

    /// Tolerates taints `key=value`.
    pub fn equal(key: impl Into<String>, value: impl Into<String>) -> Self {
        Toleration(core::Toleration {
            key: Some(key.into()),
            operator: Some("Equal".into()),
            value: Some(value.into()),
            ..core::Toleration::default()
        })
    }

    /// Tolerates every taint (node agents in DaemonSets).
    pub fn everything() -> Self {
        Toleration(core::Toleration {
            operator: Some("Exists".into()),
            ..core::Toleration::default()
        })
    }

    /// Only taints with this effect (default: every effect).
    #[must_use]
    pub fn effect(mut self, effect: TaintEffect) -> Self {
        self.0.effect = Some(effect.as_str().to_owned());
        self
    }

    /// For `NoExecute`: how long the pod stays bound after the taint appears.
    #[must_use]
    pub fn seconds(mut self, seconds: i64) -> Self {
        self.0.toleration_seconds = Some(seconds);
        self
    }

    /// The toleration as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::Toleration {
        self.0.clone()
    }
}

/// One requirement on node labels.
///
/// ```
/// use kubeprint::pod::NodeExpr;
/// let e = NodeExpr::greater_than("example.com/cores", 8).to_k8s();
/// assert_eq!((e.operator.as_str(), e.values.unwrap()), ("Gt", vec!["8".to_owned()]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NodeExpr(core::NodeSelectorRequirement);

impl NodeExpr {
    fn new(key: impl Into<String>, operator: &str, values: Option<Vec<String>>) -> Self {
        NodeExpr(core::NodeSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values,
        })
    }

    fn list(values: impl IntoIterator<Item = impl Into<String>>) -> Option<Vec<String>> {
        Some(values.into_iter().map(Into::into).collect())
    }

    /// The label's value is one of `values`.
    pub fn is_in(
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        NodeExpr::new(key, "In", NodeExpr::list(values))
    }

    /// The label is missing or its value is none of `values`.
    pub fn not_in(
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        NodeExpr::new(key, "NotIn", NodeExpr::list(values))
    }

    /// The node has the label.
    pub fn exists(key: impl Into<String>) -> Self {
        NodeExpr::new(key, "Exists", None)
    }

    /// The node does not have the label.
    pub fn does_not_exist(key: impl Into<String>) -> Self {
        NodeExpr::new(key, "DoesNotExist", None)
    }

    /// The label's value is an integer greater than `n`.
    pub fn greater_than(key: impl Into<String>, n: i64) -> Self {
        NodeExpr::new(key, "Gt", Some(vec![n.to_string()]))
    }

    /// The label's value is an integer less than `n`.
    pub fn less_than(key: impl Into<String>, n: i64) -> Self {
        NodeExpr::new(key, "Lt", Some(vec![n.to_string()]))
    }

    /// The requirement as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> core::NodeSelectorRequirement {
        self.0.clone()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct PodTerm {
    anti: bool,
    /// `None`: required; `Some(w)`: preferred with weight `w`.
    weight: Option<i32>,
    /// `None`: the workload's own pods.
    selector: Option<Labels>,
    topology_key: String,
}

/// Node affinity and pod (anti-)affinity of a pod template.
///
/// Required node expressions are ANDed (one node selector term). Preferred terms carry a
/// weight (1–100) the scheduler adds up per node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Affinity {
    required_node: Vec<NodeExpr>,
    preferred_node: Vec<(i32, NodeExpr)>,
    pods: Vec<PodTerm>,
}

impl Affinity {
    /// No constraints.
    pub fn new() -> Self {
        Affinity::default()
    }

    /// Only nodes that meet `expr` (and every other required expression).
    #[must_use]
    pub fn require_node(mut self, expr: NodeExpr) -> Self {
        self.required_node.push(expr);
        self
    }

    /// Prefers nodes that meet `expr`, with `weight` (1–100).
    #[must_use]
    pub fn prefer_node(mut self, weight: i32, expr: NodeExpr) -> Self {
        self.preferred_node.push((weight, expr));
        self
    }

    fn pod(
        mut self,
        anti: bool,
        weight: Option<i32>,
        selector: Option<Labels>,
        key: impl Into<String>,
    ) -> Self {
        self.pods.push(PodTerm {
            anti,
            weight,
            selector,
            topology_key: key.into(),
        });
        self
    }

    /// At most one replica per topology domain: required anti-affinity to the workload's own
    /// pods over `topology_key` (`kubernetes.io/hostname`: one per node). Replicas beyond the
    /// number of domains stay pending.
    #[must_use]
    pub fn spread_replicas(self, topology_key: impl Into<String>) -> Self {
        self.pod(true, None, None, topology_key)
    }

    /// Prefers one replica per topology domain (anti-affinity to the own pods, `weight` 1–100).
    #[must_use]
    pub fn prefer_spread_replicas(self, weight: i32, topology_key: impl Into<String>) -> Self {
        self.pod(true, Some(weight), None, topology_key)
    }

    /// Only in topology domains running pods with `labels` (e.g. next to a cache).
    #[must_use]
    pub fn require_near(self, labels: impl Into<Labels>, topology_key: impl Into<String>) -> Self {
        self.pod(false, None, Some(labels.into()), topology_key)
    }

    /// Prefers topology domains running pods with `labels`.
    #[must_use]
    pub fn prefer_near(
        self,
        weight: i32,
        labels: impl Into<Labels>,
        topology_key: impl Into<String>,
    ) -> Self {
        self.pod(false, Some(weight), Some(labels.into()), topology_key)
    }

    /// Never in topology domains running pods with `labels`.
    #[must_use]
    pub fn require_away_from(
        self,
        labels: impl Into<Labels>,
        topology_key: impl Into<String>,
    ) -> Self {
        self.pod(true, None, Some(labels.into()), topology_key)
    }

    /// Avoids topology domains running pods with `labels`.
    #[must_use]
    pub fn prefer_away_from(
        self,
        weight: i32,
        labels: impl Into<Labels>,
        topology_key: impl Into<String>,
    ) -> Self {
        self.pod(true, Some(weight), Some(labels.into()), topology_key)
    }

    /// The affinity as `k8s-openapi` holds it; `own` are the workload's selector labels.
    pub fn to_k8s(&self, own: &Labels) -> core::Affinity {
        let node = (!self.required_node.is_empty() || !self.preferred_node.is_empty()).then(|| {
            core::NodeAffinity {
                required_during_scheduling_ignored_during_execution: (!self
                    .required_node
                    .is_empty())
                .then(|| core::NodeSelector {
                    node_selector_terms: vec![core::NodeSelectorTerm {
                        match_expressions: Some(
                            self.required_node.iter().map(NodeExpr::to_k8s).collect(),
                        ),
                        match_fields: None,
                    }],
                }),
                preferred_during_scheduling_ignored_during_execution: (!self
                    .preferred_node
                    .is_empty())
                .then(|| {
                    self.preferred_node
                        .iter()
                        .map(|(weight, expr)| core::PreferredSchedulingTerm {
                            weight: *weight,
                            preference: core::NodeSelectorTerm {
                                match_expressions: Some(vec![expr.to_k8s()]),
                                match_fields: None,
                            },
                        })
                        .collect()
                }),
            }
        });
        let pod_terms = |anti: bool| {
            let term = |t: &PodTerm| core::PodAffinityTerm {
                label_selector: Some(match_labels(t.selector.as_ref().unwrap_or(own))),
                topology_key: t.topology_key.clone(),
                ..core::PodAffinityTerm::default()
            };
            let required: Vec<_> = self
                .pods
                .iter()
                .filter(|t| t.anti == anti && t.weight.is_none())
                .map(term)
                .collect();
            let preferred: Vec<_> = self
                .pods
                .iter()
                .filter(|t| t.anti == anti)
                .filter_map(|t| {
                    t.weight.map(|weight| core::WeightedPodAffinityTerm {
                        weight,
                        pod_affinity_term: term(t),
                    })
                })
                .collect();
            (!required.is_empty() || !preferred.is_empty()).then_some((
                (!required.is_empty()).then_some(required),
                (!preferred.is_empty()).then_some(preferred),
            ))
        };
        core::Affinity {
            node_affinity: node,
            pod_affinity: pod_terms(false).map(|(required, preferred)| core::PodAffinity {
                required_during_scheduling_ignored_during_execution: required,
                preferred_during_scheduling_ignored_during_execution: preferred,
            }),
            pod_anti_affinity: pod_terms(true).map(|(required, preferred)| core::PodAntiAffinity {
                required_during_scheduling_ignored_during_execution: required,
                preferred_during_scheduling_ignored_during_execution: preferred,
            }),
        }
    }
}

pub(crate) fn match_labels(labels: &Labels) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels.as_map().clone()),
        match_expressions: None,
    }
}

/// Spreads the workload's pods evenly over topology domains (zones, nodes ...).
///
/// ```
/// use kubeprint::pod::TopologySpread;
/// let t = TopologySpread::new("topology.kubernetes.io/zone").max_skew(2).min_domains(3);
/// let k8s = t.to_k8s(&kubeprint::Labels::from([("app", "web")]));
/// assert_eq!((k8s.max_skew, k8s.when_unsatisfiable.as_str()), (2, "DoNotSchedule"));
/// assert_eq!(k8s.min_domains, Some(3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologySpread {
    topology_key: String,
    max_skew: i32,
    schedule_anyway: bool,
    min_domains: Option<i32>,
    selector: Option<Labels>,
}

impl TopologySpread {
    /// Spread over `topology_key` with a maximum skew of 1, refusing to schedule otherwise.
    pub fn new(topology_key: impl Into<String>) -> Self {
        TopologySpread {
            topology_key: topology_key.into(),
            max_skew: 1,
            schedule_anyway: false,
            min_domains: None,
            selector: None,
        }
    }

    /// The largest allowed difference in pod count between two domains.
    #[must_use]
    pub fn max_skew(mut self, max_skew: i32) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// Schedules anyway when the spread cannot be met (`whenUnsatisfiable: ScheduleAnyway`).
    #[must_use]
    pub fn schedule_anyway(mut self) -> Self {
        self.schedule_anyway = true;
        self
    }

    /// Counts at least `n` domains, even empty ones (only with `DoNotSchedule`).
    #[must_use]
    pub fn min_domains(mut self, n: i32) -> Self {
        self.min_domains = Some(n);
        self
    }

    /// Counts pods with `labels` instead of the workload's own pods.
    #[must_use]
    pub fn selecting(mut self, labels: impl Into<Labels>) -> Self {
        self.selector = Some(labels.into());
        self
    }

    /// The constraint as `k8s-openapi` holds it; `own` are the workload's selector labels.
    pub fn to_k8s(&self, own: &Labels) -> core::TopologySpreadConstraint {
        core::TopologySpreadConstraint {
            topology_key: self.topology_key.clone(),
            max_skew: self.max_skew,
            when_unsatisfiable: if self.schedule_anyway {
                "ScheduleAnyway"
            } else {
                "DoNotSchedule"
            }
            .into(),
            min_domains: self.min_domains,
            label_selector: Some(match_labels(self.selector.as_ref().unwrap_or(own))),
            ..core::TopologySpreadConstraint::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerations() {
        let t = Toleration::everything().to_k8s();
        assert_eq!(
            t,
            core::Toleration {
                operator: Some("Exists".into()),
                ..Default::default()
            }
        );
        let t = Toleration::exists("gpu")
            .effect(TaintEffect::NoSchedule)
            .to_k8s();
        assert_eq!(
            (t.key.as_deref(), t.effect.as_deref()),
            (Some("gpu"), Some("NoSchedule"))
        );
        assert_eq!(TaintEffect::PreferNoSchedule.as_str(), "PreferNoSchedule");
    }

    #[test]
    fn node_affinity() {
        let a = Affinity::new()
            .require_node(NodeExpr::is_in("zone", ["a", "b"]))
            .require_node(NodeExpr::does_not_exist("spot"))
            .prefer_node(50, NodeExpr::exists("ssd"))
            .prefer_node(10, NodeExpr::less_than("load", 3))
            .to_k8s(&Labels::new());
        let node = a.node_affinity.unwrap();
        let required = node
            .required_during_scheduling_ignored_during_execution
            .unwrap();
        let exprs = required.node_selector_terms[0]
            .match_expressions
            .clone()
            .unwrap();
        assert_eq!(
            exprs
                .iter()
                .map(|e| e.operator.as_str())
                .collect::<Vec<_>>(),
            ["In", "DoesNotExist"]
        );
        assert_eq!(exprs[0].values.clone().unwrap(), ["a", "b"]);
        assert_eq!(exprs[1].values, None);
        let preferred = node
            .preferred_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(
            preferred.iter().map(|p| p.weight).collect::<Vec<_>>(),
            [50, 10]
        );
        assert_eq!(
            preferred[1].preference.match_expressions.as_ref().unwrap()[0].operator,
            "Lt"
        );
        assert!(a.pod_affinity.is_none() && a.pod_anti_affinity.is_none());
        assert_eq!(NodeExpr::not_in("k", ["v"]).to_k8s().operator, "NotIn");
    }

    #[test]
    fn pod_affinity_and_anti_affinity() {
        let own = Labels::from([("app", "db")]);
        let cache = Labels::from([("app", "cache")]);
        let a = Affinity::new()
            .spread_replicas("kubernetes.io/hostname")
            .prefer_spread_replicas(100, "topology.kubernetes.io/zone")
            .require_near(cache.clone(), "kubernetes.io/hostname")
            .prefer_near(20, cache.clone(), "topology.kubernetes.io/zone")
            .require_away_from(Labels::from([("app", "batch")]), "kubernetes.io/hostname")
            .prefer_away_from(
                5,
                Labels::from([("tier", "noisy")]),
                "kubernetes.io/hostname",
            )
            .to_k8s(&own);
        assert!(a.node_affinity.is_none());
        let sel =
            |t: &core::PodAffinityTerm| t.label_selector.clone().unwrap().match_labels.unwrap();
        let anti = a.pod_anti_affinity.unwrap();
        let req = anti
            .required_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(req.len(), 2);
        assert_eq!(sel(&req[0]), *own.as_map());
        assert_eq!(sel(&req[1])["app"], "batch");
        let pref = anti
            .preferred_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(pref.iter().map(|p| p.weight).collect::<Vec<_>>(), [100, 5]);
        assert_eq!(
            pref[0].pod_affinity_term.topology_key,
            "topology.kubernetes.io/zone"
        );
        let near = a.pod_affinity.unwrap();
        assert_eq!(
            sel(&near
                .required_during_scheduling_ignored_during_execution
                .unwrap()[0]),
            *cache.as_map()
        );
        assert_eq!(
            near.preferred_during_scheduling_ignored_during_execution
                .unwrap()[0]
                .weight,
            20
        );
    }

    #[test]
    fn topology_spread() {
        let own = Labels::from([("app", "web")]);
        let t = TopologySpread::new("kubernetes.io/hostname").to_k8s(&own);
        assert_eq!(
            (t.max_skew, t.when_unsatisfiable.as_str(), t.min_domains),
            (1, "DoNotSchedule", None)
        );
        assert_eq!(
            t.label_selector.unwrap().match_labels.unwrap(),
            *own.as_map()
        );
        let t = TopologySpread::new("zone")
            .schedule_anyway()
            .selecting(Labels::from([("x", "y")]))
            .to_k8s(&own);
        assert_eq!(t.when_unsatisfiable, "ScheduleAnyway");
        assert_eq!(t.label_selector.unwrap().match_labels.unwrap()["x"], "y");
    }
}
