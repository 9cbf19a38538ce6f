//! Lookups over the objects of a bundle: resolving what [`crate::object::refs`] says an object
//! points at, by name or by label selector, without scanning the bundle for every reference.
//! Read by the checks ([`crate::check`]), the graph and the apply client.

use super::Bundle;
use crate::meta::Labels;
use crate::object::Object;
use crate::object::refs::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Objects of the bundle an object is tied to by fields that may just as well name the
/// cluster's objects, with what ties them: a claim's `class` and the `volume` it names or
/// `binds to` by selector (volumes of its class whose labels the selector matches), a volume's
/// `class` and the claim it is `reserved for`, an Ingress's `class`, pods' `priority` and
/// `runtime` classes.
/// None of them has to be in
/// the bundle (classes and volumes are often the cluster's), so these are drawn, never
/// reported.
pub(crate) fn bundle_links<'b>(bundle: &'b Bundle, o: &Object) -> Vec<(&'b Object, &'static str)> {
    let mut out = Vec::new();
    if let Some(p) = pod_spec(o) {
        for (kind, name, label) in [
            (
                "PriorityClass",
                p.spec.priority_class_name.as_deref(),
                "priority",
            ),
            (
                "RuntimeClass",
                p.spec.runtime_class_name.as_deref(),
                "runtime",
            ),
        ] {
            out.extend(
                name.and_then(|n| bundle.find(kind, None, n))
                    .map(|c| (c, label)),
            );
        }
    }
    let class = |name: Option<&String>| {
        name.filter(|n| !n.is_empty())
            .and_then(|n| bundle.find("StorageClass", None, n))
    };
    match o {
        Object::PersistentVolumeClaim(c) => {
            let Some(spec) = &c.spec else { return out };
            out.extend(class(spec.storage_class_name.as_ref()).map(|sc| (sc, "class")));
            if let Some(volume) = spec.volume_name.as_ref().filter(|n| !n.is_empty()) {
                out.extend(
                    bundle
                        .find("PersistentVolume", None, volume)
                        .map(|v| (v, "volume")),
                );
            } else if let Some(selector) = &spec.selector {
                let selector = Selector::Label(selector);
                // Objects are sorted by install rank: the volumes are one run.
                let objects = bundle.objects();
                let rank = Object::install_rank_of("PersistentVolume");
                let start = objects.partition_point(|x| Some(x.install_rank()) < rank);
                let empty = BTreeMap::new();
                for v in &objects[start..] {
                    let Object::PersistentVolume(pv) = v else {
                        break;
                    };
                    let pv_class = pv
                        .spec
                        .as_ref()
                        .and_then(|s| s.storage_class_name.as_deref());
                    let same_class = spec
                        .storage_class_name
                        .as_deref()
                        .is_none_or(|c| c == pv_class.unwrap_or_default());
                    let labels = pv.metadata.labels.as_ref().unwrap_or(&empty);
                    if same_class && selector.matches(labels) {
                        out.push((v, "binds to"));
                    }
                }
            }
        }
        Object::PersistentVolume(v) => {
            let Some(spec) = &v.spec else { return out };
            out.extend(class(spec.storage_class_name.as_ref()).map(|sc| (sc, "class")));
            if let Some(claim) = &spec.claim_ref
                && let Some(name) = claim.name.as_deref()
            {
                out.extend(
                    bundle
                        .find("PersistentVolumeClaim", claim.namespace.as_deref(), name)
                        .map(|c| (c, "reserved for")),
                );
            }
        }
        Object::Ingress(i) => {
            let class = i.spec.as_ref().and_then(|s| s.ingress_class_name.as_ref());
            out.extend(
                class
                    .and_then(|n| bundle.find("IngressClass", None, n))
                    .map(|c| (c, "class")),
            );
        }
        _ => {}
    }
    out
}

/// Whether Service `svc` selects pods of the bundle's workloads and every one of them is scaled to
/// zero (`spec.replicas: 0` on a Deployment, ReplicaSet or StatefulSet): then no endpoint is
/// coming from the bundle, and an apply waiting for one would wait until its timeout.
#[cfg(feature = "client")]
pub(crate) fn service_expects_no_endpoints(index: &Index<'_>, svc: &Object) -> bool {
    if !matches!(svc, Object::Service(_)) {
        return false;
    }
    let mut selected = selector_refs(svc)
        .into_iter()
        .flat_map(|s| index.selected(svc, s.selector))
        .peekable();
    selected.peek().is_some() && selected.all(scaled_to_zero)
}

#[cfg(feature = "client")]
fn scaled_to_zero(o: &Object) -> bool {
    match o {
        Object::Deployment(d) => d.spec.replicas == Some(0),
        Object::ReplicaSet(r) => r.spec.replicas == Some(0),
        Object::StatefulSet(s) => s.spec.replicas == Some(0),
        _ => false,
    }
}

/// The workloads in `bundle` whose pods `selector`, held by `from`, selects (same namespace),
/// by scanning the bundle: the oracle [`Index::selected`] is tested against.
#[cfg(test)]
pub(crate) fn selected<'b>(
    bundle: &'b Bundle,
    from: &Object,
    selector: Selector<'_>,
) -> Vec<&'b Object> {
    let ns = bundle.namespace_of(from);
    bundle
        .objects()
        .iter()
        .filter(|o| bundle.namespace_of(o) == ns)
        .filter(|o| {
            pod_spec(o)
                .and_then(|p| p.labels())
                .is_some_and(|l| selector.matches(l))
        })
        .collect()
}

/// Lookups over the objects of a bundle, built once per [`check`] so that resolving a
/// reference or a selector does not scan the whole bundle (which made checking quadratic).
/// Every answer is the one a scan in bundle order would give, in the same order.
pub(crate) struct Index<'b> {
    pub(crate) bundle: &'b Bundle,
    /// Objects by (kind, name), in bundle order.
    named: HashMap<(&'b str, &'b str), Vec<&'b Object>>,
    /// Objects whose pods have labels, per namespace.
    pods: HashMap<Option<&'b str>, Pods<'b>>,
    /// (namespace, Service) of every EndpointSlice labelled with its Service's name.
    slices: HashSet<(Option<&'b str>, &'b str)>,
}

/// The objects of one namespace whose pods have labels.
#[derive(Default)]
struct Pods<'b> {
    /// In bundle order, with their pods' labels.
    all: Vec<(&'b Object, &'b BTreeMap<String, String>)>,
    /// Positions in `all` (ascending) of the pods labelled `key=value`.
    labelled: HashMap<(&'b str, &'b str), Vec<usize>>,
}

impl<'b> Index<'b> {
    pub(crate) fn new(bundle: &'b Bundle) -> Self {
        let mut index = Index {
            bundle,
            named: HashMap::new(),
            pods: HashMap::new(),
            slices: HashSet::new(),
        };
        for o in bundle.objects() {
            index.named.entry((o.kind(), o.name())).or_default().push(o);
            let ns = bundle.namespace_of(o);
            if let Some(labels) = pod_spec(o).and_then(|p| p.labels()) {
                let pods = index.pods.entry(ns).or_default();
                for (k, v) in labels {
                    pods.labelled
                        .entry((k, v))
                        .or_default()
                        .push(pods.all.len());
                }
                pods.all.push((o, labels));
            }
            if let Object::EndpointSlice(e) = o
                && let Some(service) = e
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(SERVICE_NAME_LABEL))
            {
                index.slices.insert((ns, service));
            }
        }
        index
    }

    /// The first object of `kind` named `name` in namespace `ns` (any namespace for
    /// cluster-scoped kinds): [`Bundle::find`].
    pub(crate) fn find(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<&'b Object> {
        self.named
            .get(&(kind, name))?
            .iter()
            .copied()
            .find(|o| !o.is_namespaced() || self.bundle.namespace_of(o) == ns)
    }

    /// The first namespace (in bundle order) with an object of `kind` named `name`.
    pub(crate) fn namespace_with(&self, kind: &str, name: &str) -> Option<&'b str> {
        let bundle = self.bundle;
        self.named
            .get(&(kind, name))?
            .iter()
            .find_map(|o| bundle.namespace_of(o))
    }

    /// [`selected`]: the workloads whose pods `selector`, held by `from`, selects.
    pub(crate) fn selected(&self, from: &Object, selector: Selector<'_>) -> Vec<&'b Object> {
        let Some(pods) = self.pods.get(&self.bundle.namespace_of(from)) else {
            return Vec::new();
        };
        // Every selected pod has each `key=value` the selector requires: the fewest pods
        // labelled with one of them are the candidates.
        let required = match selector {
            Selector::Map(m) => Some(m),
            Selector::Label(s) => s.match_labels.as_ref(),
        };
        let mut candidates: Option<&[usize]> = None;
        for (k, v) in required.into_iter().flatten() {
            let with = pods
                .labelled
                .get(&(k.as_str(), v.as_str()))
                .map_or(&[][..], Vec::as_slice);
            if candidates.is_none_or(|c| with.len() < c.len()) {
                candidates = Some(with);
            }
        }
        let matches = |(o, labels): &(&'b Object, &BTreeMap<String, String>)| {
            selector.matches(labels).then_some(*o)
        };
        match candidates {
            Some(positions) => positions
                .iter()
                .filter_map(|&i| pods.all.get(i).and_then(matches))
                .collect(),
            None => pods.all.iter().filter_map(matches).collect(),
        }
    }

    /// Whether an EndpointSlice in namespace `ns` is labelled with Service `service`.
    pub(crate) fn has_slice(&self, ns: Option<&str>, service: &str) -> bool {
        self.slices.contains(&(ns, service))
    }
}

/// The pod label sets declared external that `selector` selects.
pub(crate) fn selected_external<'b>(bundle: &'b Bundle, selector: Selector<'_>) -> Vec<&'b Labels> {
    bundle
        .external_pod_labels()
        .filter(|l| selector.matches(l.as_map()))
        .collect()
}
