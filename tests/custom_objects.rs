//! Custom objects offline: every way into a bundle (kube-derive and kopium-style types,
//! `DynamicObject` + `ApiResource`, `k8s_openapi::Resource` types, JSON), how the bundle names,
//! orders, renders and checks them.
#![cfg(feature = "client")]

use kube::CustomResource;
use kube::api::{ApiResource, DynamicObject};
use kubeprint::object::CustomObject;
use kubeprint::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A namespaced kind, as `#[derive(CustomResource)]` (and kopium, which generates the same
/// derive) makes it.
#[derive(CustomResource, Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "example.com",
    version = "v1",
    kind = "Gizmo",
    plural = "gizmoes",
    namespaced
)]
pub struct GizmoSpec {
    size: u32,
}

/// A cluster-scoped one.
#[derive(CustomResource, Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[kube(group = "policy.example.com", version = "v1beta1", kind = "Rule")]
pub struct RuleSpec {
    deny: Vec<String>,
}

#[test]
fn derived_types_keep_their_plural_and_scope() {
    let mut app = Bundle::new("t");
    app.set_namespace("prod");
    app.add_resource(&Gizmo::new("g", GizmoSpec { size: 3 }))
        .unwrap();
    app.add_resource(&Rule::new(
        "r",
        RuleSpec {
            deny: vec!["latest".into()],
        },
    ))
    .unwrap();
    let g = app.get("Gizmo", "g").unwrap();
    assert_eq!(
        (
            g.api_version(),
            g.plural(),
            g.is_namespaced(),
            g.namespace()
        ),
        ("example.com/v1", "gizmoes", true, Some("prod"))
    );
    let r = app.get("Rule", "r").unwrap();
    assert_eq!(
        (r.group(), r.plural(), r.is_namespaced(), r.namespace()),
        ("policy.example.com", "rules", false, None)
    );
    assert!(app.check().is_ok());
    let yaml = app.to_yaml().unwrap();
    assert!(
        yaml.contains("kind: Gizmo\nmetadata:\n  name: g\n  namespace: prod\nspec:\n  size: 3\n"),
        "{yaml}"
    );
    // Decoded back into the type: the rendering is what kube would send.
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    let back: Gizmo = serde_json::from_value(docs[0].clone()).unwrap();
    assert_eq!(back.spec.size, 3);
}

#[test]
fn the_crd_in_the_bundle_decides_plural_and_scope() {
    use kube::CustomResourceExt;
    let mut app = Bundle::new("t");
    app.add(Rule::crd()).unwrap();
    // A dynamic object whose ApiResource guessed wrong.
    let api = ApiResource {
        group: "policy.example.com".into(),
        version: "v1beta1".into(),
        api_version: "policy.example.com/v1beta1".into(),
        kind: "Rule".into(),
        plural: "rulez".into(),
    };
    let mut obj = DynamicObject::new("d", &api);
    obj.data = json!({"spec": {"deny": []}});
    app.add_dynamic(&obj, &api, true).unwrap();
    let d = app.get("Rule", "d").unwrap();
    assert_eq!((d.plural(), d.is_namespaced()), ("rules", false));
    assert!(app.check().is_ok());
    // A version the CRD does not serve.
    let mut v2 = CustomObject::new("policy.example.com/v2", "Rule", "rules", false).with_name("v2");
    v2.fields.insert("spec".into(), json!({"deny": []}));
    app.add(v2).unwrap();
    let e = app.check().unwrap_err().to_string();
    assert!(
        e.contains(r#"rule "v2": apiVersion: version "v2" is not served"#),
        "{e}"
    );
}

#[test]
fn k8s_openapi_types_kubeprint_lacks_become_custom_objects() {
    use k8s_openapi::api::coordination::v1::Lease;
    let lease = Lease {
        metadata: kube::api::ObjectMeta {
            name: Some("leader".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let o = CustomObject::from_resource(&lease).unwrap();
    assert_eq!(
        (o.api_version(), o.plural(), o.is_namespaced()),
        ("coordination.k8s.io/v1", "leases", true)
    );
    let mut app = Bundle::new("t");
    app.add(o).unwrap();
    assert_eq!(app.objects()[0].kind(), "Lease");
}

#[test]
fn custom_objects_are_validated_and_unique() {
    let mut app = Bundle::new("t");
    let e = app
        .add_resource(&Gizmo::new("Not Valid", GizmoSpec { size: 1 }))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(r#"gizmo "Not Valid": metadata.name"#), "{e}");
    app.add_resource(&Gizmo::new("g", GizmoSpec { size: 1 }))
        .unwrap();
    let e = app
        .add_resource(&Gizmo::new("g", GizmoSpec { size: 2 }))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is already in bundle"), "{e}");
    let mut r = Rule::new("r", RuleSpec { deny: vec![] });
    r.metadata.namespace = Some("prod".into());
    let e = app.add_resource(&r).unwrap_err().to_string();
    assert!(e.contains("metadata.namespace: must not be set"), "{e}");
}

#[test]
fn validate_custom_object_is_the_check_of_a_bundle() {
    let crd = <Gizmo as kube::CustomResourceExt>::crd();
    let objects = [
        json!({"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "ok"},
            "spec": {"size": 3}}),
        json!({"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "typed"},
            "spec": {"size": "three"}}),
        json!({"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "extra"},
            "spec": {"size": 1, "colour": "red"}, "status": {}}),
        json!({"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "empty"}}),
    ];
    let mut found = 0;
    for object in objects {
        let alone: Vec<String> = kubeprint::check::validate_custom_object(&crd, &object)
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut app = Bundle::new("t");
        app.know_crd(crd.clone());
        app.add(CustomObject::from_json_value(object.clone()).unwrap())
            .unwrap();
        let in_bundle: Vec<String> = match app.check() {
            Ok(()) => vec![],
            Err(e) => e.violations().iter().map(ToString::to_string).collect(),
        };
        assert_eq!(alone, in_bundle, "{object}");
        found += alone.len();
    }
    // The good object passes; each of the three others breaks at least one rule.
    assert!(found >= 3, "{found} violations");
}
