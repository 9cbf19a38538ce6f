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
//!   CustomResourceDefinition, as kube-apiserver validates them;
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

/// Not API: the `(path, message)` pairs of `crd_schema::validate_custom_object`, for the
/// differential test against kube-apiserver (`tests/cluster_crd_schema.rs`).
#[doc(hidden)]
pub fn __crd_schema_violations(
    crd: &CustomResourceDefinition,
    object: &serde_json::Value,
) -> Vec<(String, String)> {
    crd_schema::validate_custom_object(crd, object)
        .into_iter()
        .map(|v| (v.path, v.message))
        .collect()
}
use crate::error::{Error, Result, Violation};

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
