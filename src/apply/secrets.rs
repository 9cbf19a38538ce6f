//! Secret handling: values never leave the client in messages, and "generate once" keys keep
//! their live values.

use crate::object::secret_fields::{self, FieldPattern};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::sync::RwLock;

/// Values shorter than this are not scrubbed from messages: replacing every `a` or `ok` in an
/// error would garble it, and such values are not secrets anyone relies on.
const MIN_SCRUB_LEN: usize = 4;

/// The text shown instead of a secret value.
pub const REDACTED: &str = "<redacted>";

/// Knows every secret value of a run (the bundle's and the live ones read) and removes them from
/// any text before it is stored in an error or an event.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    values: RwLock<Vec<String>>,
}

impl Redactor {
    /// Remembers the values of a Secret given as JSON (`data` base64 or `stringData` text).
    pub(crate) fn add_secret(&self, secret: &Value) {
        let mut found = Vec::new();
        if let Some(data) = secret.get("data").and_then(Value::as_object) {
            for v in data.values().filter_map(Value::as_str) {
                found.push(v.to_owned());
                if let Ok(bytes) = STANDARD.decode(v) {
                    found.push(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        if let Some(data) = secret.get("stringData").and_then(Value::as_object) {
            for v in data.values().filter_map(Value::as_str) {
                found.push(v.to_owned());
                found.push(STANDARD.encode(v));
            }
        }
        self.add(found);
    }

    /// Remembers the secret values of `object` (JSON) of kind `kind`: a Secret's `data` and
    /// `stringData` (see [`Redactor::add_secret`]), otherwise whatever its `secret` field paths
    /// match (a custom object's secret fields).
    pub(crate) fn add_object(&self, kind: &str, object: &Value, secret: &[FieldPattern]) {
        if kind == "Secret" {
            self.add_secret(object);
        } else if !secret.is_empty() {
            self.add(secret_fields::secret_texts(object, secret));
        }
    }

    fn add(&self, found: Vec<String>) {
        let mut values = match self.values.write() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        };
        for v in found {
            // Multi-line values are also scrubbed line by line: messages may quote one line.
            let lines: Vec<String> = if v.contains('\n') {
                v.lines()
                    .map(str::to_owned)
                    .chain(std::iter::once(v.clone()))
                    .collect()
            } else {
                vec![v]
            };
            for l in lines {
                if l.trim().len() >= MIN_SCRUB_LEN && !values.contains(&l) {
                    values.push(l);
                }
            }
        }
        // Longest first, so a value containing another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// `text` with every known secret value replaced by `<redacted>`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let values = match self.values.read() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = text.to_owned();
        for v in values.iter() {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Prepares a Secret's apply body: `stringData` moves into `data` (base64), so the manager owns
/// `data` keys and a re-apply compares equal; keys marked "generate once" take the live value
/// when the live Secret has one. Returns the generate-once keys that kept a live value.
pub(crate) fn prepare_secret(
    body: &mut Value,
    generate_once: &[String],
    live: Option<&Value>,
) -> Vec<String> {
    let Some(obj) = body.as_object_mut() else {
        return Vec::new();
    };
    if let Some(Value::Object(string_data)) = obj.remove("stringData") {
        let data = obj
            .entry("data")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(data) = data.as_object_mut() {
            for (k, v) in string_data {
                if let Some(s) = v.as_str() {
                    data.insert(k, Value::String(STANDARD.encode(s)));
                }
            }
        }
    }
    let mut kept = Vec::new();
    let live_data = live.and_then(|l| l.get("data")).and_then(Value::as_object);
    if let Some(live_data) = live_data {
        let data = obj
            .entry("data")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(data) = data.as_object_mut() {
            for key in generate_once {
                if let Some(v) = live_data.get(key) {
                    data.insert(key.clone(), v.clone());
                    kept.push(key.clone());
                }
            }
        }
    }
    kept
}

/// Where a Secret holds its values, as secret field paths: a diff masks them with the same
/// mechanism as a custom object's secret fields ([`secret_fields::mask_pair`]).
pub(crate) fn secret_data_patterns() -> Vec<FieldPattern> {
    secret_fields::patterns(&["data.*".to_owned(), "stringData.*".to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scrubs_raw_base64_and_lines() {
        let r = Redactor::default();
        r.add_secret(&json!({"data": {"pw": STANDARD.encode("hunter22")}, "stringData": {"pem": "line-one\nline-two"}}));
        let msg = format!(
            "bad value {} and hunter22 and line-two",
            STANDARD.encode("hunter22")
        );
        let s = r.scrub(&msg);
        assert!(
            !s.contains("hunter22")
                && !s.contains(&STANDARD.encode("hunter22"))
                && !s.contains("line-two"),
            "{s}"
        );
        assert_eq!(s.matches(REDACTED).count(), 3);
    }

    #[test]
    fn short_values_are_not_scrubbed() {
        let r = Redactor::default();
        r.add_secret(&json!({"stringData": {"x": "ok"}}));
        assert_eq!(r.scrub("ok then"), "ok then");
    }

    #[test]
    fn string_data_moves_to_data_and_live_values_win() {
        let mut body =
            json!({"kind": "Secret", "stringData": {"user": "app", "password": "new-random"}});
        let live = json!({"data": {"password": STANDARD.encode("old-random"), "user": STANDARD.encode("other")}});
        let kept = prepare_secret(&mut body, &["password".to_owned()], Some(&live));
        assert_eq!(kept, ["password"]);
        assert!(body.get("stringData").is_none());
        assert_eq!(
            body["data"]["password"],
            json!(STANDARD.encode("old-random"))
        );
        // Keys not marked generate-once follow the bundle.
        assert_eq!(body["data"]["user"], json!(STANDARD.encode("app")));
    }

    #[test]
    fn generate_once_without_live_keeps_bundle_value() {
        let mut body = json!({"data": {"password": STANDARD.encode("fresh")}});
        let kept = prepare_secret(&mut body, &["password".to_owned()], None);
        assert!(kept.is_empty());
        assert_eq!(body["data"]["password"], json!(STANDARD.encode("fresh")));
    }

    #[test]
    fn mask_marks_changed_keys() {
        let mut live = json!({"data": {"a": "MQ==", "b": "Mg=="}});
        let mut new = json!({"data": {"a": "MQ==", "b": "Mw==", "c": "NA=="}});
        secret_fields::mask_pair(Some(&mut live), Some(&mut new), &secret_data_patterns());
        assert_eq!(
            new,
            json!({"data": {"a": REDACTED, "b": "<redacted (changed)>", "c": "<redacted (changed)>"}})
        );
        assert_eq!(live, json!({"data": {"a": REDACTED, "b": REDACTED}}));
    }

    #[test]
    fn objects_teach_the_redactor_by_kind_and_secret_fields() {
        let r = Redactor::default();
        r.add_object(
            "Secret",
            &json!({"data": {"pw": STANDARD.encode("hunter22")}}),
            &[],
        );
        let token = secret_fields::patterns(&["spec.token".to_owned()]);
        r.add_object(
            "Login",
            &json!({"spec": {"token": "t0ken-Value", "user": "app-user"}}),
            &token,
        );
        r.add_object("Login", &json!({"spec": {"note": "not-marked"}}), &[]);
        let s = r.scrub("hunter22 t0ken-Value app-user not-marked");
        assert_eq!(s, "<redacted> <redacted> app-user not-marked");
    }
}
