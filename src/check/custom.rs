//! Custom objects against their CustomResourceDefinition (the bundle's own, or one registered
//! with [`Bundle::know_crd`]): the version they name is one the CRD serves, and the object
//! passes the CRD's schema ([`super::crd_schema`]). Custom objects of kinds no CRD of the bundle
//! defines are left to the apiserver.

use super::crd_schema;
use crate::bundle::Bundle;
use crate::error::Violation;
use crate::object::Object;
use crate::object::secret_fields;

pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let mut out = Vec::new();
    for o in bundle.objects() {
        let Object::Custom(c) = o else { continue };
        let Some(crd) = bundle.crd_of(c.group(), c.kind()) else {
            continue;
        };
        let served = crd
            .spec
            .versions
            .iter()
            .find(|v| v.name == c.version())
            .is_some_and(|v| v.served);
        if !served {
            let names: Vec<&str> = crd
                .spec
                .versions
                .iter()
                .filter(|v| v.served)
                .map(|v| v.name.as_str())
                .collect();
            out.push(Violation::new(
                o.object_ref(),
                "apiVersion",
                format!(
                    "version {:?} is not served by CRD {:?} (served: {})",
                    c.version(),
                    crd.metadata.name.as_deref().unwrap_or_default(),
                    names.join(", ")
                ),
            ));
            continue;
        }
        let Ok(value) = c.to_json_value() else {
            continue;
        };
        let secrets = secret_fields::secret_texts(&value, &c.secret_patterns());
        out.extend(
            crd_schema::validate_custom_object(crd, &value)
                .into_iter()
                .map(|v| Violation::new(o.object_ref(), v.path, scrub(&v.message, &secrets))),
        );
    }
    out
}

/// Values shorter than this are not replaced in the text of a message (as `apply`'s scrubbing
/// of Secret values): replacing every `1` or `ok` would garble it. Quoted, they still are.
const MIN_SCRUB_LEN: usize = 4;

/// `message` without any of the secret field values `secrets`: as the schema validator quotes
/// them ([`crd_schema::excerpt`]: quoted, or cut to a quoted head for long strings) and as
/// they are (a CEL `messageExpression` may return one).
fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for s in secrets {
        let quoted = crd_schema::excerpt(&serde_json::Value::String(s.clone()));
        out = out.replace(&quoted, secret_fields::REDACTED);
        if s.chars().count() >= MIN_SCRUB_LEN {
            out = out.replace(s.as_str(), secret_fields::REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::bundle::Bundle;
    use crate::object::CustomObject;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use serde_json::json;

    /// A CRD of `Widget.example.com`, v1 served with a schema requiring `spec.size` (an integer).
    fn widget_crd() -> CustomResourceDefinition {
        serde_json::from_value(json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": [
                    {"name": "v1", "served": true, "storage": true,
                     "subresources": {"status": {}},
                     "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "required": ["size"], "properties": {
                            "size": {"type": "integer", "minimum": 1},
                            "color": {"type": "string"},
                            "token": {"type": "string", "pattern": "^[a-z]+$"},
                            "mode": {"type": "string", "enum": ["fast", "safe"]}}},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}},
                    {"name": "v0", "served": false, "storage": false,
                     "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
                ]
            }
        }))
        .unwrap()
    }

    fn widget(version: &str, spec: serde_json::Value) -> CustomObject {
        CustomObject::new(format!("example.com/{version}"), "Widget", "widgets", true)
            .with_name("w")
            .with_field("spec", spec)
    }

    fn check(crd_in_bundle: bool, o: CustomObject) -> Result<(), String> {
        let mut b = Bundle::new("t");
        if crd_in_bundle {
            b.add(widget_crd()).map_err(|e| e.to_string())?;
        } else {
            b.know_crd(widget_crd());
        }
        b.add(o).map_err(|e| e.to_string())?;
        b.check().map_err(|e| e.to_string())
    }

    #[test]
    fn a_version_the_crd_does_not_serve_is_an_error() {
        for in_bundle in [true, false] {
            assert_eq!(check(in_bundle, widget("v1", json!({"size": 2}))), Ok(()));
            let e = check(in_bundle, widget("v0", json!({"size": 2}))).unwrap_err();
            assert_eq!(
                e,
                r#"widget "w": apiVersion: version "v0" is not served by CRD "widgets.example.com" (served: v1)"#
            );
            assert!(check(in_bundle, widget("v2", json!({}))).is_err());
        }
    }

    #[test]
    fn objects_without_a_crd_are_left_to_the_apiserver() {
        let mut b = Bundle::new("t");
        b.add(widget("v9", json!({"size": "not a number"})))
            .unwrap();
        assert!(b.check().is_ok());
    }

    #[test]
    fn schema_violations_name_object_and_field() {
        let e = check(true, widget("v1", json!({"color": "red"}))).unwrap_err();
        assert!(e.starts_with(r#"widget "w": spec"#), "{e}");
        assert!(e.contains("size"), "{e}");
        let e = check(false, widget("v1", json!({"size": "big"}))).unwrap_err();
        assert!(e.starts_with(r#"widget "w": spec.size: "#), "{e}");
    }

    /// A value marked secret never shows in a schema message, whether the validator quotes it
    /// whole or cut; unmarked, the same value shows (so the test can fail).
    #[test]
    fn secret_fields_never_reach_schema_messages() {
        let long = "Zq-a-very-long-secret-token-0123456789";
        for (field, value) in [
            ("token", "S3cret-Value!"),
            ("token", long),
            ("mode", "hunter22"),
            ("mode", "pw"),
        ] {
            let head: String = value.chars().take(16).collect();
            let mut spec = serde_json::Map::new();
            spec.insert("size".into(), json!(1));
            spec.insert(field.into(), json!(value));
            let w = widget("v1", serde_json::Value::Object(spec));
            let plain = check(true, w.clone()).unwrap_err();
            assert!(plain.contains(&head), "{plain}");
            let e = check(true, w.with_secret_field(format!("spec.{field}"))).unwrap_err();
            assert!(!e.contains(&head), "{e}");
            assert!(
                e.starts_with(&format!(r#"widget "w": spec.{field}: "#)),
                "{e}"
            );
            assert!(e.contains("<redacted>"), "{e}");
        }
    }

    #[test]
    fn a_secret_field_path_that_does_not_parse_is_an_error() {
        let w = widget("v1", json!({"size": 1})).with_secret_field("spec..token");
        let e = check(true, w).unwrap_err();
        assert_eq!(
            e,
            r#"widget "w": (secret field "spec..token"): has an empty field name (two dots, or a dot at an end)"#
        );
    }

    /// A bad name is reported once, not by both the object's own metadata rules and the schema.
    #[test]
    fn a_bad_name_is_reported_once() {
        let w = widget("v1", json!({"size": 1})).with_name("Not_A_Name");
        let e = check(true, w).unwrap_err();
        assert_eq!(e.matches("metadata.name").count(), 1, "{e}");
    }
}
