//! The rules between the objects of a [`Bundle`]: what [`Bundle::check`] reports besides each
//! object's own validation (which lives with its kind in [`crate::api`]).
//!
//! The checks read a bundle; the bundle does not know them. `Bundle::check` is defined here,
//! so `bundle` stores, orders and renders objects and this module judges them:
//! - every object validated again (a raw object or one changed through
//!   [`Bundle::objects_mut`] is judged like a built one), and no object twice;
//! - [`references`]: what an object names or selects is in the bundle or declared external,
//!   with the keys and ports it uses;
//! - [`admission`]: the bundle's own ResourceQuotas and LimitRanges applied to its pods and
//!   claims the way the apiserver's admission will;
//! - [`autoscaling`]: a workload scaled by an autoscaler of the bundle leaves `replicas` to
//!   it, and a utilization target has its request on every container;
//! - `crd_schema`: custom objects validated offline against the structural schema of their
//!   CustomResourceDefinition, as kube-apiserver validates them (also on their own, outside
//!   a bundle: [`validate_custom_object`]);
//! - [`pod_security`]: the pods of namespaces the bundle makes with an enforced Pod Security
//!   level (baseline, restricted) held to it, as Pod Security admission will;
//! - custom objects whose CRD is in the bundle (or registered with [`Bundle::know_crd`]): the
//!   version they name is served, and they pass the CRD's structural schema.
//!
//! Every violation names the object and the field path.

pub mod admission;
pub mod autoscaling;
// Custom objects against their CRD: `custom` checks the served version and turns
// `crd_schema`'s violations (the structural schema, CEL with feature "cel") into errors.
pub(crate) mod crd_schema;
mod custom;
pub mod pod_security;
pub mod references;

use crate::bundle::{Bundle, sort_key};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

/// Validates one custom object, given as JSON (`apiVersion`, `kind`, `metadata` and the
/// rest), against `crd` the way kube-apiserver validates its create with strict field
/// validation: the version is one the CRD serves and the kind its kind, and the object passes
/// that version's structural schema (types, formats, bounds, unknown fields, embedded
/// resources, `metadata`) and, with feature `cel`, its CEL rules (`x-kubernetes-validations`;
/// one the evaluator cannot run is skipped). docs/validation.md lists what differs from the
/// apiserver.
///
/// This is the check [`Bundle::check`] makes of every custom object whose CRD the bundle holds
/// or knows ([`Bundle::know_crd`]); call it for an object that is in no bundle, such as one
/// read from a file, or to test a CRD's schema. The violations name the object (its kind and
/// `metadata.name`) and are sorted by path, then message; none when the apiserver would accept
/// the object.
///
/// ```
/// use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
/// use serde_json::json;
/// let crd: CustomResourceDefinition = serde_json::from_value(json!({
///     "apiVersion": "apiextensions.k8s.io/v1",
///     "kind": "CustomResourceDefinition",
///     "metadata": {"name": "widgets.example.com"},
///     "spec": {
///         "group": "example.com",
///         "names": {"kind": "Widget", "plural": "widgets"},
///         "scope": "Namespaced",
///         "versions": [{"name": "v1", "served": true, "storage": true,
///             "schema": {"openAPIV3Schema": {"type": "object", "properties": {
///                 "spec": {"type": "object", "required": ["size"], "properties": {
///                     "size": {"type": "integer", "minimum": 1}}}}}}}]
///     }
/// }))?;
/// let widget = |spec| json!({"apiVersion": "example.com/v1", "kind": "Widget",
///     "metadata": {"name": "w"}, "spec": spec});
/// assert!(kubeprint::check::validate_custom_object(&crd, &widget(json!({"size": 3}))).is_empty());
///
/// let v = kubeprint::check::validate_custom_object(&crd, &widget(json!({"size": 0, "colour": "red"})));
/// let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
/// assert_eq!(paths, ["spec.colour", "spec.size"]);
/// assert_eq!(v[1].to_string(), r#"widget "w": spec.size: 0 must be greater than or equal to 1"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn validate_custom_object(
    crd: &CustomResourceDefinition,
    object: &serde_json::Value,
) -> Vec<Violation> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let kind = text(&object["kind"]);
    let who = ObjectRef::new(
        if kind.is_empty() { "object" } else { &kind },
        text(&object["metadata"]["name"]),
    )
    .in_namespace(object["metadata"]["namespace"].as_str());
    crd_schema::validate_custom_object(crd, object)
        .into_iter()
        .map(|v| Violation::new(who.clone(), v.path, v.message))
        .collect()
}
use crate::error::{Error, ObjectRef, Result, Violation};

impl Bundle {
    /// Validates every object again and checks the rules between them (see
    /// [`crate::check`]). Reports objects that are in the bundle twice (possible after
    /// [`Bundle::objects_mut`] or [`Bundle::set_namespace`]).
    pub fn check(&self) -> Result<()> {
        let mut violations = Vec::new();
        for o in self.objects() {
            if let Err(e) = o.validate() {
                violations.extend(e.violations().iter().cloned());
            }
        }
        for pair in self.objects().windows(2) {
            if let [a, b] = pair
                && sort_key(a) == sort_key(b)
            {
                violations.push(Violation::new(
                    b.object_ref(),
                    "",
                    format!("is in bundle {:?} more than once", self.name()),
                ));
            }
        }
        violations.extend(references::check(self));
        violations.extend(admission::check(self));
        violations.extend(autoscaling::check(self));
        violations.extend(pod_security::check(self));
        violations.extend(custom::check(self));
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(violations))
        }
    }
}
