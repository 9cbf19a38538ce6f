//! CustomResourceDefinition: a new kind the apiserver serves. The raw `k8s-openapi` type goes
//! into a bundle as it is (kube's `CustomResourceExt::crd()` makes one from a
//! `#[derive(CustomResource)]` type), validated here for what the apiserver would refuse.
//!
//! The apply client applies CRDs first and waits until they are `Established` and
//! `NamesAccepted` before it applies any object of their kinds, so a bundle carrying a CRD and
//! its objects applies to an empty cluster in one step. Neither prune nor teardown deletes a
//! CRD (that deletes every object of it) unless asked to
//! ([`Applier::delete_crds`](crate::apply::Applier::delete_crds)).
//!
//! ```
//! use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
//!     CustomResourceDefinition, CustomResourceDefinitionNames, CustomResourceDefinitionSpec,
//!     CustomResourceDefinitionVersion,
//! };
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
//! use kubeprint::prelude::*;
//! let crd = CustomResourceDefinition {
//!     metadata: ObjectMeta { name: Some("widgets.example.com".into()), ..Default::default() },
//!     spec: CustomResourceDefinitionSpec {
//!         group: "example.com".into(),
//!         names: CustomResourceDefinitionNames {
//!             kind: "Widget".into(),
//!             plural: "widgets".into(),
//!             ..Default::default()
//!         },
//!         scope: "Namespaced".into(),
//!         versions: vec![CustomResourceDefinitionVersion {
//!             name: "v1".into(),
//!             served: true,
//!             storage: true,
//!             ..Default::default()
//!         }],
//!         ..Default::default()
//!     },
//!     ..Default::default()
//! };
//! let mut bad = crd.clone();
//! bad.metadata.name = Some("widgets".into());
//! assert_eq!(
//!     Bundle::new("w").with(bad).unwrap_err().to_string(),
//!     r#"customresourcedefinition "widgets": metadata.name: must be "widgets.example.com" (<plural>.<group>)"#
//! );
//! Bundle::new("w").with(crd)?;
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::object::Validate;
use crate::validate::{self, Checker};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

impl Validate for CustomResourceDefinition {
    fn validate(&self, c: &mut Checker) {
        let spec = &self.spec;
        let want = format!("{}.{}", spec.names.plural, spec.group);
        if self.metadata.name.as_deref() != Some(want.as_str()) {
            c.fail(
                "metadata.name",
                format!("must be {want:?} (<plural>.<group>)"),
            );
        }
        if spec.group.is_empty() || !spec.group.contains('.') {
            c.fail(
                "spec.group",
                format!("{:?} must be a DNS subdomain with a dot", spec.group),
            );
        }
        if spec.names.kind.is_empty() {
            c.fail("spec.names.kind", "must be set");
        }
        c.check(
            "spec.names.plural",
            validate::dns1123_label(&spec.names.plural),
        );
        if !matches!(spec.scope.as_str(), "Namespaced" | "Cluster") {
            c.fail(
                "spec.scope",
                format!("{:?} must be Namespaced or Cluster", spec.scope),
            );
        }
        if spec.versions.is_empty() {
            c.fail("spec.versions", "must list at least one version");
        }
        let storage = spec.versions.iter().filter(|v| v.storage).count();
        if !spec.versions.is_empty() && storage != 1 {
            c.fail(
                "spec.versions",
                format!("exactly one version must be the storage version ({storage} are)"),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, v) in spec.versions.iter().enumerate() {
            if !seen.insert(v.name.as_str()) {
                c.fail(
                    format!("spec.versions[{i}].name"),
                    format!("{:?} is listed twice", v.name),
                );
            }
            if v.storage && !v.served {
                c.fail(
                    format!("spec.versions[{i}].served"),
                    "the storage version must be served",
                );
            }
        }
    }
}

/// The group-kind, plural and scope a CRD defines: `(group, kind, plural, namespaced)`.
pub(crate) fn served_kind(crd: &CustomResourceDefinition) -> (&str, &str, &str, bool) {
    (
        &crd.spec.group,
        &crd.spec.names.kind,
        &crd.spec.names.plural,
        crd.spec.scope != "Cluster",
    )
}
