//! Fields of custom objects that hold secret values.
//!
//! kubeprint knows where a Secret keeps its values (`data`, `stringData`); of a custom kind it
//! knows nothing, so a credential in a custom object would show in `render --redact`, diffs,
//! snapshots, `Debug` and error messages. A user marks such fields with a *field path*
//! ([`CustomObject::with_secret_field`](super::CustomObject::with_secret_field), or
//! [`Bundle::secret_field`](crate::Bundle::secret_field) for every object of a kind, imported
//! ones included), and every place that hides Secret values hides them too.
//!
//! A field path names fields from the top of the object, separated by dots:
//! `spec.auth.password`. `*` stands for every key of a map or every item of a list
//! (`spec.users.*.password`, `spec.credentials.*`); a number for one item of a list
//! (`spec.users.0.password`); `\.` for a dot inside a key (`data.tls\.key`), `\\` for a
//! backslash. A path that matches a map or a list hides all of it. Paths start below the
//! object's top: `apiVersion`, `kind` and `metadata` hold nothing secret and are refused.

use serde_json::Value;

/// What a hidden value shows.
pub(crate) const REDACTED: &str = "<redacted>";
/// What a hidden value that differs from the other side of a diff shows.
pub(crate) const REDACTED_CHANGED: &str = "<redacted (changed)>";

/// A parsed field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldPattern {
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    Any,
}

/// One step from a value to one of its children.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

impl FieldPattern {
    /// Parses a field path (see the [module docs](self)); the error says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<FieldPattern, String> {
        let mut segments = Vec::new();
        let mut current = String::new();
        let mut escaped_any = false;
        let mut chars = text.chars();
        let mut finish = |current: &mut String, escaped: bool| -> Result<(), String> {
            if current.is_empty() {
                return Err("has an empty field name (two dots, or a dot at an end)".into());
            }
            let segment = if current == "*" && !escaped {
                Segment::Any
            } else {
                Segment::Key(std::mem::take(current))
            };
            current.clear();
            segments.push(segment);
            Ok(())
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e @ ('.' | '\\')) => {
                        current.push(e);
                        escaped_any = true;
                    }
                    _ => return Err("has a backslash not before a dot or a backslash".into()),
                },
                '.' => {
                    finish(&mut current, escaped_any)?;
                    escaped_any = false;
                }
                c => current.push(c),
            }
        }
        finish(&mut current, escaped_any)?;
        match segments.first() {
            Some(Segment::Key(k)) if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") => {
                Err(format!("starts at {k:?}, which holds no secret values"))
            }
            Some(Segment::Any) => Err("starts with *: name the top-level field".into()),
            _ => Ok(FieldPattern { segments }),
        }
    }

    /// Every place in `root` the path matches, in document order.
    fn locations(&self, root: &Value) -> Vec<Vec<Step>> {
        let mut out = Vec::new();
        walk(root, &self.segments, &mut Vec::new(), &mut out);
        out
    }
}

fn walk(v: &Value, rest: &[Segment], at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let Some((first, rest)) = rest.split_first() else {
        out.push(at.clone());
        return;
    };
    let mut visit = |step: Step, child: &Value, at: &mut Vec<Step>| {
        at.push(step);
        walk(child, rest, at, out);
        at.pop();
    };
    match (first, v) {
        (Segment::Any, Value::Object(m)) => {
            for (k, child) in m {
                visit(Step::Key(k.clone()), child, at);
            }
        }
        (Segment::Any, Value::Array(items)) => {
            for (i, child) in items.iter().enumerate() {
                visit(Step::Index(i), child, at);
            }
        }
        (Segment::Key(k), Value::Object(m)) => {
            if let Some(child) = m.get(k) {
                visit(Step::Key(k.clone()), child, at);
            }
        }
        (Segment::Key(k), Value::Array(items)) => {
            if let Some((i, child)) = k
                .parse::<usize>()
                .ok()
                .and_then(|i| Some((i, items.get(i)?)))
            {
                visit(Step::Index(i), child, at);
            }
        }
        _ => {}
    }
}

fn get<'a>(mut v: &'a Value, at: &[Step]) -> Option<&'a Value> {
    for step in at {
        v = match (step, v) {
            (Step::Key(k), Value::Object(m)) => m.get(k)?,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn get_mut<'a>(mut v: &'a mut Value, at: &[Step]) -> Option<&'a mut Value> {
    for step in at {
        v = match (step, v) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Parses the paths that parse (the object's check reports the others).
pub(crate) fn patterns<'a>(paths: impl IntoIterator<Item = &'a String>) -> Vec<FieldPattern> {
    paths
        .into_iter()
        .filter_map(|p| FieldPattern::parse(p).ok())
        .collect()
}

/// Replaces every value the patterns match in `root` with [`REDACTED`]; where `other` (the
/// other side of a diff) is given and holds a different value (or none) at that place, with
/// [`REDACTED_CHANGED`], so a diff shows which secret fields change without any value.
pub(crate) fn mask(root: &mut Value, patterns: &[FieldPattern], other: Option<&Value>) {
    // Every place and whether it changed first, against the unmasked values: patterns may
    // overlap (`spec.auth` and `spec.auth.password`).
    let places: Vec<(Vec<Step>, bool)> = patterns
        .iter()
        .flat_map(|p| p.locations(root))
        .map(|at| {
            let changed = other.is_some_and(|o| get(o, &at) != get(root, &at));
            (at, changed)
        })
        .collect();
    for (at, changed) in places {
        // None when an enclosing match was masked already.
        if let Some(v) = get_mut(root, &at) {
            *v = Value::String(if changed { REDACTED_CHANGED } else { REDACTED }.into());
        }
    }
}

/// Masks both sides of a diff: each value shows whether it differs from the other side's.
#[cfg(feature = "client")]
pub(crate) fn mask_pair(
    live: Option<&mut Value>,
    planned: Option<&mut Value>,
    patterns: &[FieldPattern],
) {
    if patterns.is_empty() {
        return;
    }
    let live_raw = live.as_deref().cloned();
    if let Some(p) = planned {
        // Without a live object there is nothing to compare with: plain `<redacted>`.
        mask(p, patterns, live_raw.as_ref());
    }
    if let Some(l) = live {
        mask(l, patterns, None);
    }
}

/// Every scalar the patterns match in `root`, as text (strings as they are, numbers and
/// booleans as JSON writes them), including those inside matched maps and lists: what must
/// not appear in a message.
pub(crate) fn secret_texts(root: &Value, patterns: &[FieldPattern]) -> Vec<String> {
    let mut out = Vec::new();
    for p in patterns {
        for at in p.locations(root) {
            if let Some(v) = get(root, &at) {
                scalars(v, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn scalars(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(_) | Value::Null => {}
        Value::Array(items) => items.iter().for_each(|i| scalars(i, out)),
        Value::Object(m) => m.values().for_each(|i| scalars(i, out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> FieldPattern {
        FieldPattern::parse(text).unwrap()
    }

    #[test]
    fn paths_parse_with_wildcards_indexes_and_escapes() {
        assert_eq!(
            p("spec.users.*.password").segments,
            vec![
                Segment::Key("spec".into()),
                Segment::Key("users".into()),
                Segment::Any,
                Segment::Key("password".into())
            ]
        );
        assert_eq!(
            p(r"data.tls\.key").segments,
            vec![Segment::Key("data".into()), Segment::Key("tls.key".into())]
        );
        assert_eq!(
            p(r"spec.\\x").segments[1],
            Segment::Key(r"\x".into()),
            "an escaped backslash"
        );
        for (bad, why) in [
            ("", "empty"),
            ("spec..password", "empty"),
            ("spec.", "empty"),
            (".spec", "empty"),
            (r"spec.a\b", "backslash"),
            ("metadata.annotations", "holds no secret"),
            ("kind", "holds no secret"),
            ("*.password", "starts with *"),
        ] {
            let e = FieldPattern::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn masking_hides_every_match_and_nothing_else() {
        let mut v = json!({"spec": {
            "users": [{"name": "a", "password": "pw-a"}, {"name": "b", "password": "pw-b"}],
            "token": {"kind": "bearer", "value": "t0k3n"},
            "keys": {"one": "k1", "two": "k2"},
            "size": 3
        }});
        mask(
            &mut v,
            &[
                p("spec.users.*.password"),
                p("spec.token"),
                p("spec.keys.two"),
            ],
            None,
        );
        assert_eq!(
            v,
            json!({"spec": {
                "users": [{"name": "a", "password": REDACTED}, {"name": "b", "password": REDACTED}],
                "token": REDACTED,
                "keys": {"one": "k1", "two": REDACTED},
                "size": 3
            }})
        );
        // An index names one item; a path that matches nothing changes nothing.
        let mut v = json!({"spec": {"users": [{"password": "x"}, {"password": "y"}]}});
        mask(
            &mut v,
            &[
                p("spec.users.1.password"),
                p("spec.nothing.here"),
                p("spec.users.9"),
            ],
            None,
        );
        assert_eq!(
            v,
            json!({"spec": {"users": [{"password": "x"}, {"password": REDACTED}]}})
        );
        // Overlapping paths, either order: the enclosing one decides, against the old values.
        for pats in [
            [p("spec.auth.password"), p("spec.auth")],
            [p("spec.auth"), p("spec.auth.password")],
        ] {
            let old = json!({"spec": {"auth": {"user": "u", "password": "old"}}});
            let mut v = json!({"spec": {"auth": {"user": "u", "password": "new"}}});
            mask(&mut v, &pats, Some(&old));
            assert_eq!(v, json!({"spec": {"auth": REDACTED_CHANGED}}));
            let mut same = old.clone();
            mask(&mut same, &pats, Some(&old));
            assert_eq!(same, json!({"spec": {"auth": REDACTED}}));
        }
    }

    #[cfg(feature = "client")]
    #[test]
    fn pairs_show_which_secret_fields_change() {
        let pats = [p("spec.auth.*")];
        let mut live = json!({"spec": {"auth": {"user": "u", "password": "old"}}});
        let mut planned = json!({"spec": {"auth": {"user": "u", "password": "new", "otp": "1"}}});
        mask_pair(Some(&mut live), Some(&mut planned), &pats);
        assert_eq!(
            live,
            json!({"spec": {"auth": {"user": REDACTED, "password": REDACTED}}})
        );
        assert_eq!(
            planned,
            json!({"spec": {"auth": {"user": REDACTED, "password": REDACTED_CHANGED, "otp": REDACTED_CHANGED}}})
        );
        let mut created = json!({"spec": {"auth": {"password": "new"}}});
        mask_pair(None, Some(&mut created), &pats);
        assert_eq!(created, json!({"spec": {"auth": {"password": REDACTED}}}));
    }

    #[test]
    fn secret_texts_are_every_scalar_below_a_match() {
        let v =
            json!({"spec": {"token": {"value": "t0k3n", "pin": 123456, "on": true}, "other": "x"}});
        assert_eq!(
            secret_texts(&v, &[p("spec.token")]),
            vec!["123456", "t0k3n"]
        );
        assert!(secret_texts(&v, &[p("spec.none")]).is_empty());
    }
}
