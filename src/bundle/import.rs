//! Importing manifests a program did not write (a vendor's YAML, `helm template` output): known
//! kinds become typed objects, validated as such; other kinds become
//! [`CustomObject`](crate::object::CustomObject)s. Decoding is strict (an unknown field is an
//! error naming the document and the field), and all or nothing: when one document is wrong,
//! nothing is added.

use super::Bundle;
use crate::error::{Error, Result};
use crate::object::Object;
use serde_json::Value;
use std::path::Path;

/// Error of document `index` (counted from 1, empty documents included).
fn in_document(index: usize, e: Error) -> Error {
    match e {
        Error::Decode { what, message } => Error::Decode {
            what: format!("document {index} ({what})"),
            message,
        },
        Error::Invalid(violations) => {
            let what = violations
                .first()
                .map(|v| v.object.to_string())
                .unwrap_or_default();
            let message = violations
                .iter()
                .map(|v| {
                    if v.path.is_empty() {
                        v.message.clone()
                    } else {
                        format!("{}: {}", v.path, v.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            Error::Decode {
                what: format!("document {index} ({what})"),
                message,
            }
        }
        other => other,
    }
}

/// The objects of decoded documents: `List`s unpacked, `null` documents skipped.
fn objects_of(docs: Vec<Value>) -> Result<Vec<Object>> {
    let mut out = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let index = i + 1;
        if doc.is_null() {
            continue;
        }
        let is_list = doc.get("kind").and_then(Value::as_str) == Some("List")
            || (doc
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && doc.get("items").is_some_and(Value::is_array));
        if is_list {
            let items = match doc {
                Value::Object(mut m) => m.remove("items"),
                _ => None,
            };
            for (n, item) in items
                .and_then(|v| match v {
                    Value::Array(a) => Some(a),
                    _ => None,
                })
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                let o = Object::from_json_value_or_custom(item)
                    .map_err(|e| in_document(index, prefix_item(n, e)))?;
                out.push(o);
            }
            continue;
        }
        let o = Object::from_json_value_or_custom(doc).map_err(|e| in_document(index, e))?;
        out.push(o);
    }
    let mut violations = Vec::new();
    for o in &out {
        if let Err(e) = o.validate() {
            violations.extend(e.violations().iter().cloned());
        }
    }
    if violations.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(violations))
    }
}

fn prefix_item(n: usize, e: Error) -> Error {
    match e {
        Error::Decode { what, message } => Error::Decode {
            what: format!("items[{n}] {what}"),
            message,
        },
        other => other,
    }
}

impl Bundle {
    /// Adds the objects of a YAML stream (documents separated by `---`, `List`s unpacked): kinds
    /// kubeprint knows become typed objects, validated as such; other kinds become
    /// [`CustomObject`](crate::object::CustomObject)s. Decoding is strict (an unknown field is an
    /// error naming the document, from 1, and the field) and all or nothing: when one document
    /// is wrong, nothing is added. Validation errors name the object and field like
    /// [`Bundle::add`]'s.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let vendor = "\
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80}]
    /// ---
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: ServiceMonitor
    /// metadata: {name: web}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    /// ";
    /// let mut app = Bundle::new("web");
    /// app.import_yaml(vendor)?;
    /// assert!(matches!(app.get("Service", "web"), Some(Object::Service(_))));
    /// assert!(matches!(app.get("ServiceMonitor", "web"), Some(Object::Custom(_))));
    ///
    /// let typo = "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  prots: []\n";
    /// assert_eq!(
    ///     app.import_yaml(&format!("---\n{typo}")).unwrap_err().to_string(),
    ///     r#"decoding document 1 (service "db"): spec.prots: unknown field"#
    /// );
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn import_yaml(&mut self, yaml: &str) -> Result<&mut Self> {
        let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).map_err(|e| Error::Decode {
            what: "YAML stream".into(),
            message: e.to_string(),
        })?;
        let objects = objects_of(docs)?;
        self.insert_all(objects)?;
        Ok(self)
    }

    /// Adds the objects of a JSON document: one object, a `List`, or a JSON array of objects.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("a");
    /// app.import_json(r#"{"apiVersion": "v1", "kind": "List", "items": [
    ///     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
    ///     {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}]}"#)?;
    /// assert_eq!(app.len(), 2);
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn import_json(&mut self, json: &str) -> Result<&mut Self> {
        let value: Value = serde_json::from_str(json).map_err(|e| Error::Decode {
            what: "JSON document".into(),
            message: e.to_string(),
        })?;
        let docs = match value {
            Value::Array(items) => items,
            one => vec![one],
        };
        let objects = objects_of(docs)?;
        self.insert_all(objects)?;
        Ok(self)
    }

    /// Adds the objects of a reader's YAML (or JSON, which is YAML) stream.
    pub fn import_reader(&mut self, mut reader: impl std::io::Read) -> Result<&mut Self> {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|e| Error::Decode {
                what: "input".into(),
                message: e.to_string(),
            })?;
        self.import_yaml(&text)
    }

    /// Adds the objects of a YAML or JSON file (by its extension: `.json` is JSON, anything else
    /// YAML).
    pub fn import_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Decode {
            what: path.display().to_string(),
            message: e.to_string(),
        })?;
        if path.extension().is_some_and(|e| e == "json") {
            self.import_json(&text)
        } else {
            self.import_yaml(&text)
        }
    }
}
