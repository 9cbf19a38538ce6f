//! RuntimeClass (chapter 19, *Securing Applications*): a container runtime configuration —
//! a sandbox such as gVisor or Kata Containers — that pods choose with
//! [`PodTemplate`](crate::PodTemplate)'s `runtime_class`, with the resources the sandbox itself
//! costs per pod and the nodes that have it.
//!
//! A full example and the list of setters are on [`RuntimeClass`].

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::pod::Toleration;
use crate::pod::check;
use crate::quantity::{Cpu, Memory, check_quantity};
use crate::validate::{self, Checker};
use k8s_openapi::api::node::v1 as node;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;
use typed_builder::TypedBuilder;

/// A RuntimeClass (cluster-scoped). `name` and `handler` are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
///
/// let sandbox = RuntimeClass::builder()
///     .name("gvisor")
///     .handler("runsc")
///     .overhead(Cpu::millis(250), Memory::mib(120))
///     .node_label("sandbox.example.com/gvisor", "true")
///     .build()
///     .to_object()?;
/// assert_eq!(sandbox.handler, "runsc");
/// assert_eq!(sandbox.overhead.unwrap().pod_fixed.unwrap()["memory"].0, "120Mi");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`RuntimeClass::new`] (the required fields as arguments) or [`RuntimeClass::builder()`](RuntimeClass::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`: what pods put in `runtimeClassName`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.handler(impl Into<String>)` — **required** | The handler name the nodes' container runtime knows (`runsc`, `kata`); a DNS label, immutable. |
/// | `.overhead((Cpu, Memory))` | What the sandbox costs per pod (`overhead.podFixed`), added to the pod's requests for scheduling and quota. |
/// | `.node_label(key, value)` (repeatable) | Labels a node must have to run the class's pods (merged into each pod's node selector). |
/// | `.toleration(toleration)` (repeatable) | Tolerations added to the class's pods (for nodes tainted for the sandbox). |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct RuntimeClass {
    /// `metadata.name`: what pods put in `runtimeClassName`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The handler name the nodes' container runtime knows (`runsc`, `kata`); a DNS label,
    /// immutable.
    #[builder(setter(into))]
    handler: String,
    /// What the sandbox costs per pod (`overhead.podFixed`), added to the pod's requests for
    /// scheduling and quota.
    #[builder(default, setter(transform = |cpu: Cpu, memory: Memory| Some((cpu, memory))))]
    overhead: Option<(Cpu, Memory)>,
    /// Labels a node must have to run the class's pods (merged into each pod's node selector).
    #[builder(
        via_mutators,
        mutators(
            /// Requires nodes labelled `key=value`.
            pub fn node_label(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.node_labels.insert(key.into(), value.into());
            }
        )
    )]
    node_labels: BTreeMap<String, String>,
    /// Tolerations added to the class's pods (for nodes tainted for the sandbox).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a toleration to the class's pods.
            pub fn toleration(&mut self, toleration: Toleration) {
                self.tolerations.push(toleration);
            }
        )
    )]
    tolerations: Vec<Toleration>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut node::RuntimeClass) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<node::RuntimeClass>,
}

impl RuntimeClass {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the CRI handler; go on with any
    /// other setter, then `.build()`. Same as `RuntimeClass::builder().name(..).handler(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        handler: impl Into<String>,
    ) -> RuntimeClassBuilder<(
        (String,),
        (),
        (),
        (String,),
        (),
        (BTreeMap<String, String>,),
        (Vec<Toleration>,),
        (Customize<node::RuntimeClass>,),
    )> {
        Self::builder().name(name).handler(handler)
    }
}

impl RuntimeClass {
    /// The class's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for RuntimeClass {
    type Object = node::RuntimeClass;

    fn to_object(&self) -> Result<node::RuntimeClass> {
        let scheduling =
            (!self.node_labels.is_empty() || !self.tolerations.is_empty()).then(|| {
                node::Scheduling {
                    node_selector: (!self.node_labels.is_empty()).then(|| self.node_labels.clone()),
                    tolerations: (!self.tolerations.is_empty())
                        .then(|| self.tolerations.iter().map(Toleration::to_k8s).collect()),
                }
            });
        let mut class = node::RuntimeClass {
            metadata: object_meta(&self.name, None, &self.labels, &self.annotations),
            handler: self.handler.clone(),
            overhead: self.overhead.map(|(cpu, memory)| node::Overhead {
                pod_fixed: Some(BTreeMap::from([
                    ("cpu".to_owned(), cpu.to_quantity()),
                    ("memory".to_owned(), memory.to_quantity()),
                ])),
            }),
            scheduling,
        };
        self.customize.apply(&mut class);
        class.to_object()
    }
}

impl Validate for node::RuntimeClass {
    fn validate(&self, c: &mut Checker) {
        if self.handler.is_empty() {
            c.fail("handler", "required");
        } else {
            c.check("handler", validate::dns1123_label(&self.handler));
        }
        let fixed: Option<&BTreeMap<String, Quantity>> =
            self.overhead.as_ref().and_then(|o| o.pod_fixed.as_ref());
        for (name, q) in fixed.into_iter().flatten() {
            c.check(
                format_args!("overhead.podFixed[{name:?}]"),
                check_quantity(q),
            );
        }
        if let Some(s) = &self.scheduling {
            c.labels("scheduling.nodeSelector", s.node_selector.as_ref());
            for (i, t) in s.tolerations.iter().flatten().enumerate() {
                check::toleration(c, &format!("scheduling.tolerations[{i}]"), t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::TaintEffect;

    #[test]
    fn every_field() {
        let class = RuntimeClass::builder()
            .name("kata")
            .handler("kata-qemu")
            .overhead(Cpu::millis(250), Memory::mib(160))
            .node_label("katacontainers.io/kata-runtime", "true")
            .toleration(Toleration::exists("sandbox").effect(TaintEffect::NoSchedule))
            .build()
            .to_object()
            .unwrap();
        assert_eq!(class.handler, "kata-qemu");
        let fixed = class.overhead.unwrap().pod_fixed.unwrap();
        assert_eq!(
            (fixed["cpu"].0.as_str(), fixed["memory"].0.as_str()),
            ("250m", "160Mi")
        );
        let s = class.scheduling.unwrap();
        assert_eq!(
            s.node_selector.unwrap()["katacontainers.io/kata-runtime"],
            "true"
        );
        assert_eq!(s.tolerations.unwrap()[0].key.as_deref(), Some("sandbox"));
        let plain = RuntimeClass::builder()
            .name("runc")
            .handler("runc")
            .build()
            .to_object()
            .unwrap();
        assert_eq!((plain.overhead, plain.scheduling), (None, None));
    }

    #[test]
    fn rules() {
        let e = RuntimeClass::builder()
            .name("x")
            .handler("Run_SC")
            .node_label("bad key!", "v")
            .customize(|c: &mut node::RuntimeClass| {
                c.overhead = Some(node::Overhead {
                    pod_fixed: Some([("cpu".to_owned(), Quantity("lots".into()))].into()),
                });
                c.scheduling.as_mut().into_iter().for_each(|s| {
                    s.tolerations = Some(vec![k8s_openapi::api::core::v1::Toleration {
                        key: Some("k".into()),
                        operator: Some("Sometimes".into()),
                        ..Default::default()
                    }])
                });
            })
            .build()
            .to_object()
            .unwrap_err()
            .to_string();
        for expected in [
            r#"runtimeclass "x": handler: "Run_SC""#,
            r#"overhead.podFixed["cpu"]: "lots" is not a number"#,
            r#"scheduling.nodeSelector["bad key!"]"#,
            "scheduling.tolerations[0].operator",
        ] {
            assert!(e.contains(expected), "{expected}\n{e}");
        }
        let empty = RuntimeClass::builder().name("x").handler("").build();
        assert_eq!(
            empty.to_object().unwrap_err().to_string(),
            r#"runtimeclass "x": handler: required"#
        );
    }
}
