//! A picture of a bundle: which object uses, selects, exposes or scales which.
//!
//! Nodes are the bundle's objects (in install order), followed by the objects they refer to that
//! are not in the bundle: declared `external`, `optional` and absent, or `missing` (which
//! [`Bundle::check`] reports), external pod sets, and the claims a StatefulSet's
//! `volumeClaimTemplates` create. Edges, labelled with what the reference is for:
//! - Service → the workloads whose pods it selects (`selects`);
//! - workload → ConfigMaps, Secrets, PersistentVolumeClaims, ServiceAccount it uses
//!   (`env`, `envFrom`, `volume`, `serviceAccount`, `imagePullSecret`);
//! - StatefulSet → its headless Service (`serviceName`) and claim templates
//!   (`volumeClaimTemplate`);
//! - Ingress → Services (`backend`) and TLS Secrets (`tls`); EndpointSlice → its Service;
//! - NetworkPolicy → the workloads it applies to and those it admits or lets its pods reach
//!   (`applies to`, `admits`, `egress to`);
//! - HorizontalPodAutoscaler → its target (`scales`); PodDisruptionBudget → the workloads it
//!   protects (`protects`).
//! - PersistentVolumeClaim → its StorageClass (`class`) and the PersistentVolume it names
//!   (`volume`) or selects (`binds to`); PersistentVolume → its class and the claim it is
//!   reserved for (`reserved for`); Ingress → its IngressClass (`class`); workload → its
//!   PriorityClass (`priority`) and RuntimeClass (`runtime`); drawn only when both ends are in
//!   the bundle.
//!
//! Edges between the same two nodes are merged, their labels joined. The output is
//! deterministic, so it can be kept in a snapshot or a README.
//!
//! ```
//! use kubeprint::prelude::*;
//! let app = Bundle::new("demo").with(ConfigMap::builder().name("settings").build())?;
//! assert_eq!(kubeprint::graph::mermaid(&app), "flowchart LR\n  n0[\"ConfigMap settings\"]\n");
//! assert!(kubeprint::graph::dot(&app).starts_with("digraph \"demo\" {"));
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::bundle::Bundle;
use crate::bundle::index;
use crate::object::refs;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// Why a node outside the bundle is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Note {
    External,
    Optional,
    Missing,
    ClaimTemplate,
}

impl Note {
    fn text(self) -> &'static str {
        match self {
            Note::External => "external",
            Note::Optional => "optional, absent",
            Note::Missing => "missing",
            Note::ClaimTemplate => "volumeClaimTemplate",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Note::External | Note::Optional | Note::ClaimTemplate => "external",
            Note::Missing => "missing",
        }
    }
}

struct Node {
    kind: String,
    name: String,
    note: Option<Note>,
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    extra: BTreeMap<(String, String, Note), usize>,
    edges: BTreeMap<(usize, usize), BTreeSet<&'static str>>,
}

impl Graph {
    fn extra(&mut self, kind: &str, name: String, note: Note) -> usize {
        let key = (kind.to_owned(), name, note);
        if let Some(&i) = self.extra.get(&key) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            kind: key.0.clone(),
            name: key.1.clone(),
            note: Some(note),
        });
        self.extra.insert(key, i);
        i
    }

    fn edge(&mut self, from: usize, to: usize, label: &'static str) {
        self.edges.entry((from, to)).or_default().insert(label);
    }
}

fn build(bundle: &Bundle) -> Graph {
    let objects = bundle.objects();
    let mut g = Graph::default();
    for o in objects {
        let name = match bundle.namespace_of(o) {
            Some(ns) if o.namespace().is_some() && Some(ns) != bundle.namespace() => {
                format!("{ns}/{}", o.name())
            }
            _ => o.name().to_owned(),
        };
        g.nodes.push(Node {
            kind: o.kind().to_owned(),
            name,
            note: None,
        });
    }
    // Node numbers of the bundle's objects, by address: the lookups below hand back references
    // into `objects`. (Both maps are built once, so a graph of a large bundle stays linear.)
    let numbers: HashMap<*const crate::Object, usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o as *const crate::Object, i))
        .collect();
    let index_of = |target: &crate::Object| numbers.get(&(target as *const _)).copied();
    let index = index::Index::new(bundle);
    for (i, o) in objects.iter().enumerate() {
        let ns = bundle.namespace_of(o);
        for r in refs::refs(o) {
            let to = match bundle.find(r.kind, ns, r.name).and_then(index_of) {
                Some(j) => j,
                None => {
                    let note = if bundle.is_external(r.kind, r.name) {
                        Note::External
                    } else if r.optional {
                        Note::Optional
                    } else {
                        Note::Missing
                    };
                    g.extra(r.kind, r.name.to_owned(), note)
                }
            };
            g.edge(i, to, r.edge.label());
        }
        for (target, label) in index::bundle_links(bundle, o) {
            if let Some(j) = index_of(target) {
                g.edge(i, j, label);
            }
        }
        for template in refs::claim_templates(o) {
            let to = g.extra(
                "PersistentVolumeClaim",
                format!("{template}-{}-*", o.name()),
                Note::ClaimTemplate,
            );
            g.edge(i, to, "volumeClaimTemplate");
        }
        for s in refs::selector_refs(o) {
            for target in index.selected(o, s.selector) {
                if let Some(j) = index_of(target) {
                    g.edge(i, j, s.edge.label());
                }
            }
            for labels in index::selected_external(bundle, s.selector) {
                let to = g.extra("Pods", labels.to_string(), Note::External);
                g.edge(i, to, s.edge.label());
            }
        }
    }
    g
}

fn node_text(n: &Node) -> String {
    match n.note {
        Some(note) => format!("{} {} ({})", n.kind, n.name, note.text()),
        None => format!("{} {}", n.kind, n.name),
    }
}

/// Escapes text for a quoted Mermaid label: quotes, angle brackets and `#` become entity
/// codes, so no name can end the label or inject markup.
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a quoted DOT string.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn joined(labels: &BTreeSet<&str>) -> String {
    labels.iter().copied().collect::<Vec<_>>().join(", ")
}

/// The bundle as a [Mermaid](https://mermaid.js.org) flowchart (renders on GitHub in a
/// ```` ```mermaid ```` block). Nodes outside the bundle are dashed; missing ones red.
///
/// ```
/// use kubeprint::prelude::*;
/// use k8s_openapi::api::core::v1::{Pod, PodSpec, Container, Volume, SecretVolumeSource};
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// let pod = Pod {
///     metadata: ObjectMeta { name: Some("kuard".into()), ..Default::default() },
///     spec: Some(PodSpec {
///         containers: vec![Container { name: "kuard".into(), image: Some("kuard:blue".into()), ..Default::default() }],
///         volumes: Some(vec![Volume {
///             name: "tls".into(),
///             secret: Some(SecretVolumeSource { secret_name: Some("kuard-tls".into()), ..Default::default() }),
///             ..Default::default()
///         }]),
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// let mut app = Bundle::new("kuard");
/// app.add(pod)?.external_secret("kuard-tls");
/// assert_eq!(kubeprint::graph::mermaid(&app), "\
/// flowchart LR
///   n0[\"Pod kuard\"]
///   n1[\"Secret kuard-tls (external)\"]:::external
///   n0 -->|\"volume\"| n1
///   classDef external stroke-dasharray: 5 5
/// ");
/// # Ok::<(), kubeprint::Error>(())
/// ```
pub fn mermaid(bundle: &Bundle) -> String {
    let g = build(bundle);
    let mut out = String::from("flowchart LR\n");
    let mut classes = BTreeSet::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let _ = write!(out, "  n{i}[\"{}\"]", mermaid_escape(&node_text(n)));
        if let Some(note) = n.note {
            let _ = write!(out, ":::{}", note.class());
            classes.insert(note.class());
        }
        out.push('\n');
    }
    for ((from, to), labels) in &g.edges {
        let _ = writeln!(
            out,
            "  n{from} -->|\"{}\"| n{to}",
            mermaid_escape(&joined(labels))
        );
    }
    for class in classes {
        let style = match class {
            "missing" => "stroke:#d00,stroke-width:2px,stroke-dasharray: 5 5",
            _ => "stroke-dasharray: 5 5",
        };
        let _ = writeln!(out, "  classDef {class} {style}");
    }
    out
}

/// The bundle as a [Graphviz](https://graphviz.org) digraph (`dot -Tsvg`). Nodes outside the
/// bundle are dashed; missing ones red.
///
/// ```
/// use kubeprint::prelude::*;
/// let app = Bundle::new("demo").with(ConfigMap::builder().name("settings").build())?;
/// assert_eq!(kubeprint::graph::dot(&app), "\
/// digraph \"demo\" {
///   rankdir=LR;
///   node [shape=box];
///   n0 [label=\"ConfigMap\\nsettings\"];
/// }
/// ");
/// # Ok::<(), kubeprint::Error>(())
/// ```
pub fn dot(bundle: &Bundle) -> String {
    let g = build(bundle);
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];\n",
        dot_escape(bundle.name())
    );
    for (i, n) in g.nodes.iter().enumerate() {
        let mut label = format!("{}\\n{}", dot_escape(&n.kind), dot_escape(&n.name));
        let style = match n.note {
            None => "",
            Some(note) => {
                let _ = write!(label, "\\n({})", note.text());
                match note {
                    Note::Missing => ", style=dashed, color=red",
                    _ => ", style=dashed",
                }
            }
        };
        let _ = writeln!(out, "  n{i} [label=\"{label}\"{style}];");
    }
    for ((from, to), labels) in &g.edges {
        let _ = writeln!(
            out,
            "  n{from} -> n{to} [label=\"{}\"];",
            dot_escape(&joined(labels))
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(mermaid_escape(r#"a"b<c>#d"#), "a#quot;b#lt;c#gt;#35;d");
        assert_eq!(dot_escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(dot_escape("a\nb"), "a b");
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use crate::Object;
    use crate::fixtures::*;
    use crate::object::GENERATE_ONCE_ANNOTATION;
    use k8s_openapi::api::autoscaling::v2::{
        CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec,
    };
    use k8s_openapi::api::core::v1::{
        Container, EnvFromSource, PersistentVolumeClaimVolumeSource, PodSpec, SecretEnvSource,
        Volume,
    };
    use k8s_openapi::api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
        IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
        NetworkPolicyPeer, NetworkPolicySpec, ServiceBackendPort,
    };
    use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    /// A web app with a database: every kind of edge, one external and one missing reference.
    fn objects() -> Vec<Object> {
        let web_spec = PodSpec {
            service_account_name: Some("web".into()),
            containers: vec![Container {
                env_from: Some(vec![EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: "db".into(),
                        optional: None,
                    }),
                    ..Default::default()
                }]),
                ..container("web", &[("http", 8080)])
            }],
            volumes: Some(vec![
                cm_volume("settings", "settings"),
                cm_volume("flags", "feature-flags"),
                Volume {
                    name: "uploads".into(),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: "uploads".into(),
                        read_only: None,
                    }),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let mut db_secret = secret("db", &[("password", "x")]);
        db_secret.metadata.annotations = Some(labels(&[(GENERATE_ONCE_ANNOTATION, "password")]));
        let ingress = Ingress {
            metadata: meta("web"),
            spec: Some(IngressSpec {
                rules: Some(vec![IngressRule {
                    host: Some("web.example.com".into()),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![HTTPIngressPath {
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: "web".into(),
                                    port: Some(ServiceBackendPort {
                                        name: Some("http".into()),
                                        number: None,
                                    }),
                                }),
                                ..Default::default()
                            },
                            path: Some("/".into()),
                            path_type: "Prefix".into(),
                        }],
                    }),
                }]),
                tls: Some(vec![IngressTLS {
                    hosts: None,
                    secret_name: Some("web-tls".into()),
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let hpa = HorizontalPodAutoscaler {
            metadata: meta("web"),
            spec: HorizontalPodAutoscalerSpec {
                max_replicas: 5,
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "Deployment".into(),
                    name: "web".into(),
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let pdb = PodDisruptionBudget {
            metadata: meta("db"),
            spec: Some(PodDisruptionBudgetSpec {
                max_unavailable: Some(IntOrString::Int(1)),
                selector: Some(selector("db")),
                ..Default::default()
            }),
            ..Default::default()
        };
        let policy = NetworkPolicy {
            metadata: meta("db"),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(selector("db")),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![
                        NetworkPolicyPeer {
                            pod_selector: Some(selector("web")),
                            ..Default::default()
                        },
                        NetworkPolicyPeer {
                            pod_selector: Some(selector("backup")),
                            ..Default::default()
                        },
                    ]),
                    ports: None,
                }]),
                ..Default::default()
            }),
        };
        vec![
            deployment("web", web_spec).into(),
            statefulset(
                "db",
                Some("db"),
                &["data"],
                pod(vec![container("db", &[("pg", 5432)])]),
            )
            .into(),
            service(
                "web",
                "web",
                &[("http", 80, Some(IntOrString::String("http".into())))],
            )
            .into(),
            headless(service("db", "db", &[("pg", 5432, None)])).into(),
            service_account("web").into(),
            config_map("settings", &[("level", "debug")]).into(),
            db_secret.into(),
            pvc("uploads").into(),
            ingress.into(),
            hpa.into(),
            pdb.into(),
            policy.into(),
        ]
    }

    fn app(objects: Vec<Object>) -> Bundle {
        let mut b = bundle(objects);
        b.external_secret("web-tls")
            .external_pods(crate::Labels::from([("app", "backup")]));
        b
    }

    #[test]
    fn mermaid_snapshot() {
        insta::assert_snapshot!("mermaid", mermaid(&app(objects())));
    }

    #[test]
    fn dot_snapshot() {
        insta::assert_snapshot!("dot", dot(&app(objects())));
    }

    #[test]
    fn storage_edges() {
        use crate::api::core::persistentvolume::Source;
        use crate::prelude::*;
        let mut b = Bundle::new("storage");
        b.add(
            StorageClass::builder()
                .name("nfs")
                .provisioner(crate::api::storage::storageclass::NO_PROVISIONER)
                .build(),
        )
        .unwrap();
        for (name, volume) in [("a", "one"), ("b", "two")] {
            b.add(
                PersistentVolume::builder()
                    .name(name)
                    .labels(Labels::from([("volume", volume)]))
                    .capacity(Storage::gib(1))
                    .source(Source::nfs("10.0.0.1", "/x"))
                    .storage_class("nfs")
                    .reserve_for("db", "picked")
                    .build(),
            )
            .unwrap();
        }
        b.add(
            PersistentVolumeClaim::builder()
                .name("selected")
                .namespace("db")
                .size(Storage::gib(1))
                .storage_class("nfs")
                .selector(Selector::parse("volume=two").unwrap())
                .build(),
        )
        .unwrap()
        .add(
            PersistentVolumeClaim::builder()
                .name("picked")
                .namespace("db")
                .size(Storage::gib(1))
                .storage_class("other")
                .volume_name("a")
                .build(),
        )
        .unwrap();
        let m = mermaid(&b);
        for edge in [
            r#"n1 -->|"class"| n0"#,
            r#"n2 -->|"class"| n0"#,
            r#"n1 -->|"reserved for"| n3"#,
            r#"n2 -->|"reserved for"| n3"#,
            r#"n3 -->|"volume"| n1"#,
            r#"n4 -->|"class"| n0"#,
            r#"n4 -->|"binds to"| n2"#,
        ] {
            assert!(m.contains(edge), "{edge}\n{m}");
        }
        // Nothing else: volume "a" does not match the selector, class "other" is not here.
        assert_eq!(m.matches("-->").count(), 7, "{m}");
    }

    #[test]
    fn class_edges() {
        use crate::api::networking::ingress::{Backend, IngressRule};
        use crate::prelude::*;
        let mut b = Bundle::new("classes");
        b.add(PriorityClass::builder().name("high").value(1000).build())
            .unwrap()
            .add(
                IngressClass::builder()
                    .name("lb")
                    .controller("example.com/lb")
                    .build(),
            )
            .unwrap()
            .add(
                Deployment::builder()
                    .name("web")
                    .template(
                        PodTemplate::builder()
                            .priority_class("high")
                            .container(Container::builder().name("web").image("nginx").build())
                            .build(),
                    )
                    .build(),
            )
            .unwrap()
            .add(
                Ingress::builder()
                    .name("web")
                    .ingress_class("lb")
                    .rule(
                        IngressRule::host("web.example.com")
                            .prefix("/", Backend::service("web", 80)),
                    )
                    .build(),
            )
            .unwrap();
        b.external_service("web");
        let m = mermaid(&b);
        assert!(m.contains(r#"-->|"priority"| n0"#), "{m}");
        assert!(m.contains(r#"-->|"class"| n"#), "{m}");
        assert_eq!(m.matches("-->").count(), 3, "{m}");
    }

    #[test]
    fn insertion_order_does_not_matter() {
        let mut reversed = objects();
        reversed.reverse();
        assert_eq!(mermaid(&app(objects())), mermaid(&app(reversed.clone())));
        assert_eq!(dot(&app(objects())), dot(&app(reversed)));
    }

    #[test]
    fn hostile_names_are_escaped() {
        let mut b = bundle(vec![config_map("a", &[]).into()]);
        for o in b.objects_mut().iter_mut() {
            o.metadata_mut().name = Some("x\"]; n9 --> n0; click n0 \"evil\" <b>#".into());
        }
        let m = mermaid(&b);
        assert_eq!(
            m,
            "flowchart LR\n  n0[\"ConfigMap x#quot;]; n9 --#gt; n0; click n0 #quot;evil#quot; #lt;b#gt;#35;\"]\n"
        );
        let d = dot(&b);
        assert!(
            d.contains(r#"n0 [label="ConfigMap\nx\"]; n9 --> n0; click n0 \"evil\" <b>#"];"#),
            "{d}"
        );
    }

    #[test]
    fn namespaces_show_when_not_the_target() {
        let mut other = config_map("b", &[]);
        other.metadata.namespace = Some("other".into());
        let mut b = bundle(vec![config_map("a", &[]).into(), other.into()]);
        b.set_namespace("prod");
        // Sorted by namespace: "other" before "prod"; the target namespace is not repeated.
        assert_eq!(
            mermaid(&b),
            "flowchart LR\n  n0[\"ConfigMap other/b\"]\n  n1[\"ConfigMap a\"]\n"
        );
    }
}
