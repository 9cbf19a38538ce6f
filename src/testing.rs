//! Snapshot testing of bundles, with Secret values redacted.
//!
//! [`redacted_yaml`] renders a bundle exactly like [`Bundle::to_yaml`] (same checks, same
//! order, same bytes) except that every value of a Secret's `data` and `stringData` is replaced
//! by `<redacted>`. Keys stay, and so do annotations such as the list of generate-once keys, so
//! a snapshot still shows *which* secrets an application has, never what they are. Generated
//! values, which differ on every build, therefore do not break snapshots either. The fields of
//! custom objects marked secret
//! ([`CustomObject::with_secret_field`](crate::object::CustomObject::with_secret_field),
//! [`Bundle::secret_field`]) are replaced the same way. [`redacted_json`] does the same for
//! [`Bundle::to_json`].
//!
//! Use it with [insta](https://insta.rs) (add `insta` to your `[dev-dependencies]`):
//!
//! ```
//! use kubeprint::prelude::*;
//! use kubeprint::testing::redacted_yaml;
//! use k8s_openapi::api::core::v1::Secret;
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
//!
//! let mut app = Bundle::new("demo");
//! app.add(Secret {
//!     metadata: ObjectMeta { name: Some("db".into()), ..Default::default() },
//!     string_data: Some([("password".to_owned(), "hunter2".to_owned())].into()),
//!     ..Default::default()
//! })?;
//! let yaml = redacted_yaml(&app)?;
//! assert!(yaml.contains("password: <redacted>"));
//! assert!(!yaml.contains("hunter2"));
//! // In a test: insta::assert_snapshot!(redacted_yaml(&app)?);
//! // or, equivalently: kubeprint::assert_bundle_snapshot!(app);
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::bundle::Bundle;
use crate::error::{Error, Result};
use crate::object::Object;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// What every Secret value is replaced by.
pub const REDACTED: &str = "<redacted>";

/// A Secret serialized like `k8s-openapi` does (same field order), values redacted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RedactedSecret<'a> {
    api_version: &'static str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<BTreeMap<&'a str, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    immutable: Option<bool>,
    metadata: &'a ObjectMeta,
    #[serde(skip_serializing_if = "Option::is_none")]
    string_data: Option<BTreeMap<&'a str, &'static str>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    type_: Option<&'a str>,
}

impl<'a> RedactedSecret<'a> {
    fn new(s: &'a Secret) -> Self {
        RedactedSecret {
            api_version: <Secret as k8s_openapi::Resource>::API_VERSION,
            kind: <Secret as k8s_openapi::Resource>::KIND,
            data: s.data.as_ref().map(|m| redact(m.keys())),
            immutable: s.immutable,
            metadata: &s.metadata,
            string_data: s.string_data.as_ref().map(|m| redact(m.keys())),
            type_: s.type_.as_deref(),
        }
    }
}

fn redact<'a>(keys: impl Iterator<Item = &'a String>) -> BTreeMap<&'a str, &'static str> {
    keys.map(|k| (k.as_str(), REDACTED)).collect()
}

/// The bundle as [`Bundle::to_yaml`] renders it (after [`Bundle::check`]), with every Secret
/// value replaced by [`REDACTED`]. Meant for snapshot tests; see the [module docs](self).
pub fn redacted_yaml(bundle: &Bundle) -> Result<String> {
    bundle.check()?;
    bundle.yaml_documents(|o| {
        let rendered = match o {
            Object::Secret(s) => serde_saphyr::to_string(&RedactedSecret::new(s)),
            Object::Custom(c) if !c.secret_fields().is_empty() => {
                serde_saphyr::to_string(&c.redacted())
            }
            other => serde_saphyr::to_string(other),
        };
        rendered.map_err(|e| Error::Render {
            object: o.object_ref(),
            message: e.to_string(),
        })
    })
}

/// The bundle as [`Bundle::to_json`] renders it (a `v1` `List`, after [`Bundle::check`]), with
/// every Secret value and every secret field of a custom object replaced by [`REDACTED`]
/// (what `render --format json --redact` prints).
///
/// ```
/// use kubeprint::prelude::*;
/// let mut app = Bundle::new("demo");
/// app.add(Secret::builder().name("db").entry("password", "hunter22").build())?;
/// let json = kubeprint::testing::redacted_json(&app)?;
/// assert!(json.contains(r#""password": "<redacted>""#) && !json.contains("aHVudGVyMjI"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
pub fn redacted_json(bundle: &Bundle) -> Result<String> {
    bundle.check()?;
    let items = bundle
        .objects()
        .iter()
        .map(|o| {
            let mut v = match o {
                Object::Custom(c) => Object::from(c.redacted()).to_json_value()?,
                other => other.to_json_value()?,
            };
            if let Object::Secret(_) = o {
                for field in ["data", "stringData"] {
                    for value in v
                        .get_mut(field)
                        .and_then(serde_json::Value::as_object_mut)
                        .into_iter()
                        .flat_map(|m| m.values_mut())
                    {
                        *value = REDACTED.into();
                    }
                }
            }
            Ok(v)
        })
        .collect::<Result<Vec<_>>>()?;
    let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": items });
    let mut s = serde_json::to_string_pretty(&list).map_err(|e| Error::Render {
        object: crate::error::ObjectRef::new("List", bundle.name()),
        message: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}

/// Asserts an [insta](https://insta.rs) snapshot of [`redacted_yaml`] of a bundle. Needs
/// `insta` among the calling crate's (dev-)dependencies; review snapshots with
/// `cargo insta review`. Panics, like every assertion, when the bundle does not render.
///
/// Forms, as for `insta::assert_snapshot!`:
/// - `assert_bundle_snapshot!(bundle)`: snapshot named after the test function;
/// - `assert_bundle_snapshot!("name", bundle)`: named snapshot;
/// - `assert_bundle_snapshot!(bundle, @"...")`: inline snapshot.
///
/// `bundle` is a [`Bundle`] or a reference to one.
///
/// ```no_run
/// # use kubeprint::prelude::*;
/// # fn my_app() -> kubeprint::Result<Bundle> { Ok(Bundle::new("app")) }
/// #[test]
/// fn app_renders() {
///     let app = my_app().unwrap();
///     kubeprint::assert_bundle_snapshot!(app);
/// }
/// ```
#[macro_export]
macro_rules! assert_bundle_snapshot {
    ($name:expr, $bundle:expr $(,)?) => {{
        let redacted_yaml = $crate::testing::redacted_yaml_or_panic(&$bundle);
        ::insta::assert_snapshot!($name, redacted_yaml);
    }};
    ($bundle:expr, @$snapshot:literal $(,)?) => {{
        let redacted_yaml = $crate::testing::redacted_yaml_or_panic(&$bundle);
        ::insta::assert_snapshot!(redacted_yaml, @$snapshot);
    }};
    ($bundle:expr $(,)?) => {{
        let redacted_yaml = $crate::testing::redacted_yaml_or_panic(&$bundle);
        ::insta::assert_snapshot!(redacted_yaml);
    }};
}

/// Used by [`assert_bundle_snapshot!`]: an assertion fails by panicking.
#[doc(hidden)]
#[track_caller]
pub fn redacted_yaml_or_panic(bundle: &Bundle) -> String {
    match redacted_yaml(bundle) {
        Ok(yaml) => yaml,
        Err(e) => panic!("bundle {:?} does not render:\n{e}", bundle.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::GENERATE_ONCE_ANNOTATION;
    use k8s_openapi::ByteString;

    const SENTINEL: &str = "s3ntinel-Value-9f2c";

    fn secret() -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some("db".into()),
                annotations: Some(
                    [(
                        GENERATE_ONCE_ANNOTATION.to_owned(),
                        "root-password".to_owned(),
                    )]
                    .into(),
                ),
                ..Default::default()
            },
            data: Some(
                [
                    (
                        "root-password".to_owned(),
                        ByteString(SENTINEL.as_bytes().to_vec()),
                    ),
                    ("binary".to_owned(), ByteString(vec![0, 159, 146, 150])),
                ]
                .into(),
            ),
            string_data: Some([("user".to_owned(), SENTINEL.to_owned())].into()),
            type_: Some("Opaque".into()),
            immutable: Some(false),
        }
    }

    fn bundle() -> Bundle {
        let mut b = Bundle::new("demo");
        let added = b.add(secret()).map(|_| ());
        assert!(added.is_ok(), "{added:?}");
        b
    }

    #[test]
    fn custom_secret_fields_never_appear() {
        let login = crate::object::CustomObject::new("example.com/v1", "Login", "logins", true)
            .with_name("api")
            .with_field(
                "spec",
                serde_json::json!({"user": "app", "keys": [{"id": 1, "value": SENTINEL}]}),
            )
            .with_secret_field("spec.keys.*.value");
        let mut b = bundle();
        b.add(login).unwrap();
        for shown in [
            redacted_yaml(&b).unwrap(),
            redacted_json(&b).unwrap(),
            format!("{b:?}"),
        ] {
            assert!(!shown.contains(SENTINEL), "{shown}");
            assert!(
                shown.contains("app") && shown.contains("<redacted>"),
                "{shown}"
            );
        }
        // The rendering that is applied keeps it (the test can fail).
        assert!(b.to_yaml().unwrap().contains(SENTINEL));
        assert!(b.to_json().unwrap().contains(SENTINEL));
        // Marked for the kind, on objects added before and after.
        let mut b = Bundle::new("demo");
        let spec = serde_json::json!({"token": SENTINEL});
        let one = crate::object::CustomObject::new("example.com/v1", "Login", "logins", true)
            .with_field("spec", spec.clone());
        b.add(one.clone().with_name("before")).unwrap();
        b.secret_field("Login", "spec.token");
        b.add(one.with_name("after")).unwrap();
        let yaml = redacted_yaml(&b).unwrap();
        assert_eq!(yaml.matches("token: <redacted>").count(), 2, "{yaml}");
        assert!(!yaml.contains(SENTINEL), "{yaml}");
    }

    #[test]
    fn redacted_json_is_to_json_with_values_replaced() {
        let b = bundle();
        let plain: serde_json::Value = serde_json::from_str(&b.to_json().unwrap()).unwrap();
        let mut expected = plain.clone();
        for field in ["data", "stringData"] {
            for v in expected["items"][0][field]
                .as_object_mut()
                .unwrap()
                .values_mut()
            {
                *v = REDACTED.into();
            }
        }
        let redacted: serde_json::Value =
            serde_json::from_str(&redacted_json(&b).unwrap()).unwrap();
        assert_eq!(redacted, expected);
        assert_ne!(redacted, plain);
    }

    #[test]
    fn sentinel_never_appears() {
        let b = bundle();
        let yaml = redacted_yaml(&b).unwrap();
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, SENTINEL);
        assert!(!yaml.contains(SENTINEL), "{yaml}");
        assert!(!yaml.contains(&encoded), "{yaml}");
        assert!(!yaml.contains("AJ+Slg=="), "{yaml}");
        // Debug of the bundle masks too.
        let debug = format!("{b:?}");
        assert!(
            !debug.contains(SENTINEL) && !debug.contains(&encoded),
            "{debug}"
        );
        // The unredacted rendering does contain it: the test can fail.
        assert!(b.to_yaml().unwrap().contains(&encoded));
    }

    #[test]
    fn redacted_secret_is_the_secret_with_values_replaced() {
        let yaml = redacted_yaml(&bundle()).unwrap();
        insta::assert_snapshot!(yaml, @r#"
        apiVersion: v1
        kind: Secret
        data:
          binary: <redacted>
          root-password: <redacted>
        immutable: false
        metadata:
          annotations:
            kubeprint.dev/generate-once: root-password
          name: db
        stringData:
          user: <redacted>
        type: Opaque
        "#);
    }

    #[test]
    fn same_bytes_as_to_yaml_apart_from_values() {
        let mut b = bundle();
        b.add(
            crate::ConfigMap::builder()
                .name("settings")
                .entry("level", "debug")
                .build(),
        )
        .unwrap();
        let mut plain = b.clone();
        for o in plain.objects_mut().iter_mut() {
            if let Object::Secret(s) = o {
                s.data = s
                    .data
                    .take()
                    .map(|d| d.into_keys().map(|k| (k, ByteString(Vec::new()))).collect());
                s.string_data = s
                    .string_data
                    .take()
                    .map(|d| d.into_keys().map(|k| (k, String::new())).collect());
            }
        }
        let redacted = redacted_yaml(&b).unwrap().replace(REDACTED, "X");
        let rendered = plain
            .to_yaml()
            .unwrap()
            .replace("''", "X")
            .replace("\"\"", "X");
        assert_eq!(redacted, rendered);
    }

    #[test]
    fn macro_forms() {
        let b = bundle();
        crate::assert_bundle_snapshot!(&b, @r#"
        apiVersion: v1
        kind: Secret
        data:
          binary: <redacted>
          root-password: <redacted>
        immutable: false
        metadata:
          annotations:
            kubeprint.dev/generate-once: root-password
          name: db
        stringData:
          user: <redacted>
        type: Opaque
        "#);
    }

    #[test]
    #[should_panic(expected = "does not render")]
    fn macro_panics_on_broken_bundle() {
        let mut b = Bundle::new("broken");
        b.add(crate::ConfigMap::builder().name("settings").build())
            .unwrap();
        for o in b.objects_mut().iter_mut() {
            o.metadata_mut().name = Some("Not A Name".into());
        }
        let _ = redacted_yaml_or_panic(&b);
    }
}
