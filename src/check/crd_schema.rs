//! Offline validation of a custom object against the structural schema of its
//! CustomResourceDefinition, the way kube-apiserver validates a create (issue #16).
//!
//! [`validate_custom_object`] takes the whole object as JSON and the CRD, and returns every
//! [`SchemaViolation`] sorted by path, then message. What it does, in the apiserver's order:
//!
//! 1. **Version**: the object's `apiVersion` must name the CRD's group and one of its *served*
//!    versions, and its `kind` the CRD's kind; that version's `openAPIV3Schema` is used.
//! 2. **Defaults**: on a copy, `null`s in non-nullable fields are dropped (or replaced by the
//!    field's `default`), then every absent field with a `default` gets it, recursively, as the
//!    apiserver's structural defaulting does before validation — so a defaulted field satisfies
//!    `required`. The caller's object is not changed.
//! 3. **Metadata**: `metadata.name` (or `generateName`) must be a DNS-1123 subdomain, labels and
//!    annotations must be valid (the rules of [`crate::validate`]), and the schema's own rules on
//!    `metadata.name` / `metadata.generateName` apply.
//! 4. **Schema**: `type` (integer vs number as the apiserver decodes JSON: `1.0` is an integer,
//!    `1.5` is not), `nullable`, `x-kubernetes-int-or-string`, `enum`, `pattern`, `format`,
//!    the numeric bounds, `multipleOf`, the length, item and property counts, `uniqueItems`,
//!    `required`, `properties`, `additionalProperties`, `items`, `allOf` / `anyOf` / `oneOf` /
//!    `not`, `x-kubernetes-list-type` (`set` and `map`: duplicates are errors),
//!    `x-kubernetes-embedded-resource` (`apiVersion` and `kind` required, `metadata` checked).
//! 5. **Unknown fields** (a field no `properties` / `additionalProperties` declares, outside a
//!    `x-kubernetes-preserve-unknown-fields` subtree) are *reported* ("unknown field"), as
//!    kubectl's default strict field validation (`--validate=strict`, `fieldValidation=Strict`)
//!    makes the apiserver do. Without strict validation the apiserver silently prunes them;
//!    kubeprint prefers to say so, since a pruned field is almost always a typo.
//!
//! 6. **CEL rules** (`x-kubernetes-validations`), with the feature `cel`, at their node with
//!    `self` its value; transition rules (`oldSelf`) do not run on create. A rule that cannot
//!    be evaluated here (without the feature: every rule) is returned as a [`SkippedRule`] by
//!    [`validate_custom_object_with_skipped`], never guessed.
//!
//! `docs/validation.md` ("Custom resources") lists what differs from the apiserver.
//!
//! Messages name a value by its type or a short excerpt only: custom objects can hold secrets.

use crate::error::ObjectRef;
use crate::validate::{self, Checker};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use regex::Regex;
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

/// One violation: `path` is a field path like `spec.replicas` or `spec.ports[1].name` or
/// `metadata.labels["x"]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SchemaViolation {
    /// Field path (empty for the whole object).
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

/// A CEL rule (`x-kubernetes-validations`) that was not evaluated: the object may still
/// break it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SkippedRule {
    /// The schema node's field path.
    pub path: String,
    /// The rule's text.
    pub rule: String,
    /// Why it was not evaluated.
    pub reason: String,
}

/// Nesting deeper than this is reported rather than followed (a schema is a finite tree, so
/// this only guards against pathological input built in code).
const MAX_DEPTH: usize = 200;

/// The largest integer a JSON number decoded as a float can hold exactly (2^53 - 1); the
/// apiserver takes a float-valued number as an integer only within it.
const MAX_JSON_INT: f64 = 9_007_199_254_740_991.0;

/// The fields of `ObjectMeta` (anything else under `metadata` is an unknown field).
const OBJECT_META_FIELDS: &[&str] = &[
    "annotations",
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "finalizers",
    "generateName",
    "generation",
    "labels",
    "managedFields",
    "name",
    "namespace",
    "ownerReferences",
    "resourceVersion",
    "selfLink",
    "uid",
];

/// Validates `object` (the whole custom object as JSON, with apiVersion/kind/metadata) against
/// the schema of the version named by its apiVersion in `crd`. A version the CRD does not
/// serve is a violation at `apiVersion`.
///
/// The result is sorted by path, then message, without duplicates; empty when the apiserver
/// (with strict field validation) would accept the object's create.
pub(crate) fn validate_custom_object(
    crd: &CustomResourceDefinition,
    object: &Value,
) -> Vec<SchemaViolation> {
    validate_custom_object_with_skipped(crd, object).0
}

/// [`validate_custom_object`], with the CEL rules it could not evaluate (sorted by path,
/// then rule): every rule without the `cel` feature; with it, the rules the evaluator
/// cannot compile or lacks functions for (see `crd_schema::cel`).
pub(crate) fn validate_custom_object_with_skipped(
    crd: &CustomResourceDefinition,
    object: &Value,
) -> (Vec<SchemaViolation>, Vec<SkippedRule>) {
    let mut v = Validator::default();
    v.object(crd, object);
    let mut out = v.out;
    out.sort();
    out.dedup();
    let mut skipped = v.skipped;
    skipped.sort();
    skipped.dedup();
    (out, skipped)
}

#[derive(Default)]
struct Validator<'s> {
    /// Compiled `pattern`s of this call, by pattern text (an invalid one keeps its error).
    regexes: HashMap<&'s str, Result<Regex, String>>,
    out: Vec<SchemaViolation>,
    skipped: Vec<SkippedRule>,
    #[cfg(feature = "cel")]
    rules: cel::Rules<'s>,
}

/// Where a schema node is being applied: in the structural skeleton (unknown fields and
/// embedded resources are checked) or inside `allOf`/`anyOf`/`oneOf`/`not` (value
/// validations only, as structural schemas define them).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Structural,
    Junctor,
}

fn child(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

fn map_entry(path: &str, key: &str) -> String {
    format!("{path}[{key:?}]")
}

fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The JSON type of `v` as the apiserver names it (`integer` for an integral number).
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if is_integer(n) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A short, secret-safe description of `v`: small scalars as they are, long strings cut,
/// arrays and objects by their size only.
pub(crate) fn excerpt(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let n = s.chars().count();
            if n <= 24 {
                format!("{s:?}")
            } else {
                let head: String = s.chars().take(16).collect();
                format!("{head:?}... ({n} characters)")
            }
        }
        Value::Number(n) => {
            let s = n.to_string();
            if s.len() <= 24 {
                s
            } else {
                format!("a number of {} digits", s.len())
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(o) => format!("an object of {} fields", o.len()),
    }
}

fn excerpt_number(n: &Number) -> String {
    excerpt(&Value::Number(n.clone()))
}

/// Whether `n` is an integer the way the apiserver decodes JSON: an int64 literal, or a
/// float-valued number (`1.0`, `1e3`) with no fraction within 2^53.
fn is_integer(n: &Number) -> bool {
    if n.is_i64() {
        return true;
    }
    if n.is_u64() {
        // Beyond int64 the apiserver decodes a float, which is past 2^53.
        return false;
    }
    n.as_f64().is_some_and(is_json_integer_f64)
}

fn is_json_integer_f64(f: f64) -> bool {
    f.is_finite() && f.abs() <= MAX_JSON_INT && f.fract() == 0.0
}

/// A float the apiserver's `multipleOf` accepts as an integral quotient (tolerating the
/// rounding of a binary division, e.g. 0.3 / 0.1).
fn is_near_integer(q: f64) -> bool {
    q.is_finite() && q.abs() <= MAX_JSON_INT && (q - q.round()).abs() < 1e-9
}

fn is_true(b: Option<bool>) -> bool {
    b == Some(true)
}

/// `required` from the schema (a name listed twice is reported once: the result is deduplicated).
fn required(s: &JSONSchemaProps) -> impl Iterator<Item = &String> {
    s.required.iter().flatten()
}

impl<'s> Validator<'s> {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(SchemaViolation {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Runs `f` and returns the violations it found, leaving `self.out` as it was.
    fn collect(&mut self, f: impl FnOnce(&mut Self)) -> Vec<SchemaViolation> {
        let saved = std::mem::take(&mut self.out);
        f(self);
        std::mem::replace(&mut self.out, saved)
    }

    fn object(&mut self, crd: &'s CustomResourceDefinition, object: &Value) {
        let Some(map) = object.as_object() else {
            self.fail(
                "",
                format!("must be a JSON object, got {}", type_name(object)),
            );
            return;
        };
        let crd_name = crd.metadata.name.as_deref().unwrap_or_default();
        let api_version = match map.get("apiVersion") {
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                self.fail(
                    "apiVersion",
                    format!("must be a string, got {}", type_name(other)),
                );
                return;
            }
            None => {
                self.fail("apiVersion", "Required value");
                return;
            }
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        if group != crd.spec.group {
            self.fail(
                "apiVersion",
                format!(
                    "group {group:?} is not the group {:?} of CustomResourceDefinition {crd_name:?}",
                    crd.spec.group
                ),
            );
            return;
        }
        let served: Vec<&str> = crd
            .spec
            .versions
            .iter()
            .filter(|v| v.served)
            .map(|v| v.name.as_str())
            .collect();
        let Some(ver) = crd
            .spec
            .versions
            .iter()
            .find(|v| v.name == version && v.served)
        else {
            let known = crd.spec.versions.iter().any(|v| v.name == version);
            self.fail(
                "apiVersion",
                format!(
                    "version {version:?} {} CustomResourceDefinition {crd_name:?} (served: {})",
                    if known {
                        "is not served by"
                    } else {
                        "is not a version of"
                    },
                    served.join(", ")
                ),
            );
            return;
        };
        match map.get("kind") {
            Some(Value::String(k)) if *k == crd.spec.names.kind => {}
            Some(Value::String(k)) => self.fail(
                "kind",
                format!(
                    "{k:?} is not the kind {:?} of CustomResourceDefinition {crd_name:?}",
                    crd.spec.names.kind
                ),
            ),
            Some(other) => self.fail(
                "kind",
                format!("must be a string, got {}", type_name(other)),
            ),
            None => self.fail("kind", "Required value"),
        }
        let schema = ver
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref());
        let mut copy = object.clone();
        if let Some(schema) = schema {
            default_node(&mut copy, schema, true, 0);
        }
        let Some(map) = copy.as_object() else {
            return;
        };
        let cluster_scoped = crd.spec.scope == "Cluster";
        self.metadata(map.get("metadata"), "metadata", true, cluster_scoped);
        let Some(schema) = schema else {
            // No schema: the apiserver keeps everything (only possible in old v1beta1 CRDs).
            return;
        };
        // The schema's own rules on metadata: only `name` and `generateName` may have any.
        if let (Some(Value::Object(meta)), Some(props)) = (
            map.get("metadata"),
            schema
                .properties
                .as_ref()
                .and_then(|p| p.get("metadata"))
                .and_then(|m| m.properties.as_ref()),
        ) {
            for field in ["name", "generateName"] {
                if let (Some(v), Some(s)) = (meta.get(field), props.get(field)) {
                    self.node(v, s, &child("metadata", field), Mode::Junctor, 1);
                }
            }
        }
        self.node_root(&copy, schema);
    }

    /// The root: like any object node, with `apiVersion`, `kind` and `metadata` implied.
    fn node_root(&mut self, v: &Value, s: &'s JSONSchemaProps) {
        self.node_inner(v, s, "", Mode::Structural, 0, true);
    }

    fn node(&mut self, v: &Value, s: &'s JSONSchemaProps, path: &str, mode: Mode, depth: usize) {
        self.node_inner(v, s, path, mode, depth, false);
    }

    /// Validates `v` against `s` at `path`. `typed_meta` marks a node whose `apiVersion`,
    /// `kind` and `metadata` are implied (the root and embedded resources).
    fn node_inner(
        &mut self,
        v: &Value,
        s: &'s JSONSchemaProps,
        path: &str,
        mode: Mode,
        depth: usize,
        typed_meta: bool,
    ) {
        if depth > MAX_DEPTH {
            self.fail(path, format!("nested more than {MAX_DEPTH} levels deep"));
            return;
        }
        if v.is_null() && is_true(s.nullable) {
            return;
        }
        if !self.check_type(v, s, path, mode) {
            return;
        }
        self.enum_(v, s, path);
        if mode == Mode::Structural {
            self.validation_rules(v, s, path);
        }
        match v {
            Value::String(text) => self.string(text, v, s, path),
            Value::Number(n) => self.number(n, s, path),
            Value::Array(items) => self.array(items, s, path, mode, depth),
            Value::Object(map) => {
                let embedded = is_true(s.x_kubernetes_embedded_resource);
                self.object_node(map, s, path, mode, depth, typed_meta || embedded);
                if embedded && mode == Mode::Structural {
                    self.embedded(map, path);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
        self.junctors(v, s, path, depth);
    }

    /// `type`, `x-kubernetes-int-or-string`, `nullable`: false when `v` has the wrong type
    /// (nothing else is checked then).
    fn check_type(&mut self, v: &Value, s: &JSONSchemaProps, path: &str, mode: Mode) -> bool {
        if is_true(s.x_kubernetes_int_or_string) {
            let ok =
                matches!(v, Value::String(_)) || matches!(v, Value::Number(n) if is_integer(n));
            if !ok {
                self.fail(
                    path,
                    format!(
                        "must be an integer or a string (x-kubernetes-int-or-string), got {}",
                        type_name(v)
                    ),
                );
            }
            return ok;
        }
        let Some(t) = s.type_.as_deref().filter(|t| !t.is_empty()) else {
            // No type: only with x-kubernetes-preserve-unknown-fields or
            // x-kubernetes-embedded-resource in the skeleton (anything goes), or in a junctor.
            if v.is_null() && mode == Mode::Structural && is_true(s.x_kubernetes_embedded_resource)
            {
                self.fail(path, "must be of type object, got null");
                return false;
            }
            return true;
        };
        let ok = match (t, v) {
            ("object", Value::Object(_))
            | ("array", Value::Array(_))
            | ("string", Value::String(_))
            | ("boolean", Value::Bool(_))
            | ("number", Value::Number(_)) => true,
            ("integer", Value::Number(n)) => is_integer(n),
            _ => false,
        };
        if !ok {
            let got = match v {
                Value::Number(n) if t == "integer" && !is_integer(n) => {
                    format!("number {}", excerpt(v))
                }
                _ => type_name(v).to_owned(),
            };
            self.fail(path, format!("must be of type {t}, got {got}"));
        }
        ok
    }

    fn enum_(&mut self, v: &Value, s: &JSONSchemaProps, path: &str) {
        let Some(values) = &s.enum_ else {
            return;
        };
        if values.iter().any(|e| json_equal(&e.0, v)) {
            return;
        }
        let mut allowed = String::new();
        for (i, e) in values.iter().take(10).enumerate() {
            if i > 0 {
                allowed.push_str(", ");
            }
            allowed.push_str(&excerpt(&e.0));
        }
        if values.len() > 10 {
            let _ = write!(allowed, ", ... ({} values)", values.len());
        }
        self.fail(
            path,
            format!(
                "Unsupported value {}: supported values: {allowed}",
                excerpt(v)
            ),
        );
    }

    fn string(&mut self, text: &str, v: &Value, s: &'s JSONSchemaProps, path: &str) {
        let chars = || text.chars().count() as i64;
        if let Some(max) = s.max_length
            && chars() > max
        {
            self.fail(
                path,
                format!("may not be longer than {max} characters, has {}", chars()),
            );
        }
        if let Some(min) = s.min_length
            && chars() < min
        {
            self.fail(
                path,
                format!("must be at least {min} characters long, has {}", chars()),
            );
        }
        if let Some(pattern) = s.pattern.as_deref() {
            match self.regex(pattern) {
                Ok(re) => {
                    if !re.is_match(text) {
                        self.fail(path, format!("{} should match '{pattern}'", excerpt(v)));
                    }
                }
                Err(e) => self.fail(
                    path,
                    format!("the CRD's pattern '{pattern}' does not compile: {e}"),
                ),
            }
        }
        if let Some(format) = s.format.as_deref()
            && let Some(ok) = formats::check(format, text)
            && !ok
        {
            self.fail(path, format!("{} is not of format {format}", excerpt(v)));
        }
    }

    /// The compiled `pattern`, compiled once per call. kube-apiserver uses Go's RE2 syntax,
    /// unanchored; the `regex` crate speaks the same dialect except that its Perl classes
    /// (`\d`, `\w`, `\s`, `\b`) are Unicode-aware: they are made ASCII here, as in Go.
    fn regex(&mut self, pattern: &'s str) -> Result<&Regex, String> {
        let entry = self.regexes.entry(pattern).or_insert_with(|| {
            regex::RegexBuilder::new(&go_regex(pattern))
                .size_limit(1 << 22)
                .build()
                .map_err(|e| {
                    // The regex error spans lines; its last line says what is wrong.
                    e.to_string()
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("invalid")
                        .trim()
                        .trim_start_matches("error: ")
                        .to_owned()
                })
        });
        entry.as_ref().map_err(Clone::clone)
    }

    fn number(&mut self, n: &Number, s: &JSONSchemaProps, path: &str) {
        let Some(x) = n.as_f64() else {
            return;
        };
        if let Some(max) = s.maximum {
            if is_true(s.exclusive_maximum) {
                if x >= max {
                    self.fail(path, format!("{n} must be less than {max}"));
                }
            } else if x > max {
                self.fail(path, format!("{n} must be less than or equal to {max}"));
            }
        }
        if let Some(min) = s.minimum {
            if is_true(s.exclusive_minimum) {
                if x <= min {
                    self.fail(path, format!("{n} must be greater than {min}"));
                }
            } else if x < min {
                self.fail(path, format!("{n} must be greater than or equal to {min}"));
            }
        }
        if let Some(factor) = s.multiple_of
            && factor > 0.0
        {
            match n.as_i64() {
                // An integer field with a fractional factor: the apiserver refuses every value.
                _ if s.type_.as_deref() == Some("integer") && factor.fract() != 0.0 => {
                    self.fail(
                        path,
                        format!(
                            "multipleOf {factor} of an integer field is not an integer, which \
                             the apiserver refuses for every value"
                        ),
                    );
                }
                // The apiserver divides an integer by the factor truncated to an integer
                // (so a factor below 1 refuses every integer, and 2.5 means 2).
                Some(i) => {
                    let f = factor.trunc();
                    if f < 1.0 {
                        self.fail(
                            path,
                            format!(
                                "multipleOf {factor} truncates to 0 for an integer value, which \
                                 the apiserver refuses"
                            ),
                        );
                    } else if f <= MAX_JSON_INT && i % (f as i64) != 0 {
                        self.fail(path, format!("{n} must be a multiple of {f}"));
                    }
                }
                None => {
                    if !is_near_integer(x / factor) {
                        self.fail(path, format!("{n} must be a multiple of {factor}"));
                    }
                }
            }
        }
        // The one numeric format the apiserver checks: int32's range.
        if s.format.as_deref() == Some("int32")
            && n.as_i64().is_none_or(|i| i32::try_from(i).is_err())
        {
            self.fail(
                path,
                format!("{} is not an integer of format int32", excerpt_number(n)),
            );
        }
    }

    fn array(
        &mut self,
        items: &[Value],
        s: &'s JSONSchemaProps,
        path: &str,
        mode: Mode,
        depth: usize,
    ) {
        let len = items.len() as i64;
        if let Some(max) = s.max_items
            && len > max
        {
            self.fail(path, format!("must have at most {max} items, has {len}"));
        }
        if let Some(min) = s.min_items
            && len < min
        {
            self.fail(path, format!("must have at least {min} items, has {len}"));
        }
        let list_type = s.x_kubernetes_list_type.as_deref();
        if is_true(s.unique_items) || list_type == Some("set") {
            let mut seen = HashSet::new();
            for (i, item) in items.iter().enumerate() {
                if !seen.insert(canonical(item)) {
                    self.fail(
                        index(path, i),
                        format!("Duplicate value: {}", excerpt(item)),
                    );
                }
            }
        }
        if list_type == Some("map") {
            let keys: Vec<&String> = s.x_kubernetes_list_map_keys.iter().flatten().collect();
            let mut seen = HashSet::new();
            for (i, item) in items.iter().enumerate() {
                let Value::Object(entry) = item else {
                    // Its type is reported by the item schema.
                    continue;
                };
                let key: Vec<String> = keys
                    .iter()
                    .map(|k| entry.get(k.as_str()).map(canonical).unwrap_or_default())
                    .collect();
                if !seen.insert(key) {
                    let mut what = String::new();
                    for (j, k) in keys.iter().enumerate() {
                        if j > 0 {
                            what.push_str(", ");
                        }
                        let value = entry.get(k.as_str()).map_or("absent".to_owned(), excerpt);
                        let _ = write!(what, "{k}: {value}");
                    }
                    self.fail(
                        index(path, i),
                        format!("Duplicate value: {{{what}}} (x-kubernetes-list-map-keys)"),
                    );
                }
            }
        }
        match &s.items {
            Some(JSONSchemaPropsOrArray::Schema(item_schema)) => {
                for (i, item) in items.iter().enumerate() {
                    self.node(item, item_schema, &index(path, i), mode, depth + 1);
                }
            }
            Some(JSONSchemaPropsOrArray::Schemas(schemas)) => {
                // Tuple form (not allowed in structural schemas): item i by schema i.
                for (i, (item, item_schema)) in items.iter().zip(schemas).enumerate() {
                    self.node(item, item_schema, &index(path, i), mode, depth + 1);
                }
            }
            None => {}
        }
    }

    fn object_node(
        &mut self,
        map: &Map<String, Value>,
        s: &'s JSONSchemaProps,
        path: &str,
        mode: Mode,
        depth: usize,
        typed_meta: bool,
    ) {
        let len = map.len() as i64;
        if let Some(max) = s.max_properties
            && len > max
        {
            self.fail(
                path,
                format!("must have at most {max} properties, has {len}"),
            );
        }
        if let Some(min) = s.min_properties
            && len < min
        {
            self.fail(
                path,
                format!("must have at least {min} properties, has {len}"),
            );
        }
        for r in required(s) {
            if !map.contains_key(r.as_str()) {
                self.fail(child(path, r), "Required value");
            }
        }
        let props = s.properties.as_ref();
        let additional = s.additional_properties.as_ref();
        let preserve = is_true(s.x_kubernetes_preserve_unknown_fields);
        for (k, value) in map {
            if typed_meta && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                // Checked as the object's type and metadata (the root) or by `embedded`; the
                // schema may still restrict them (root metadata: by `object`).
                if k != "metadata"
                    && let Some(ps) = props.and_then(|p| p.get(k))
                {
                    self.node(value, ps, &child(path, k), mode, depth + 1);
                }
                continue;
            }
            if let Some(ps) = props.and_then(|p| p.get(k)) {
                self.node(value, ps, &child(path, k), mode, depth + 1);
                continue;
            }
            match additional {
                Some(JSONSchemaPropsOrBool::Schema(ap)) => {
                    self.node(value, ap, &map_entry(path, k), mode, depth + 1);
                }
                Some(JSONSchemaPropsOrBool::Bool(true)) => {}
                _ if preserve || mode == Mode::Junctor => {}
                _ => self.fail(
                    child(path, k),
                    "unknown field: the CRD's schema does not declare it (the apiserver prunes \
                     it, or refuses it under strict field validation)",
                ),
            }
        }
    }

    /// `x-kubernetes-validations` at this node (CEL; see `crd_schema::cel`).
    fn validation_rules(&mut self, v: &Value, s: &'s JSONSchemaProps, path: &str) {
        for rule in s.x_kubernetes_validations.iter().flatten() {
            #[cfg(feature = "cel")]
            match self.rules.evaluate(rule, v, s) {
                cel::Outcome::Pass => {}
                cel::Outcome::Fail(field_path, message) => {
                    let at = match field_path.as_deref().map(str::trim) {
                        Some(f) if !f.is_empty() => {
                            let f = if path.is_empty() {
                                f.trim_start_matches('.')
                            } else {
                                f
                            };
                            format!("{path}{f}")
                        }
                        _ => path.to_owned(),
                    };
                    self.fail(at, message);
                }
                cel::Outcome::Skipped(reason) => self.skipped.push(SkippedRule {
                    path: path.to_owned(),
                    rule: rule.rule.clone(),
                    reason,
                }),
            }
            #[cfg(not(feature = "cel"))]
            {
                let _ = v;
                self.skipped.push(SkippedRule {
                    path: path.to_owned(),
                    rule: rule.rule.clone(),
                    reason: "kubeprint was built without its `cel` feature".to_owned(),
                });
            }
        }
    }

    /// `x-kubernetes-embedded-resource`: the object is a Kubernetes object of its own.
    fn embedded(&mut self, map: &Map<String, Value>, path: &str) {
        for field in ["apiVersion", "kind"] {
            match map.get(field) {
                Some(Value::String(s)) if !s.is_empty() => {}
                Some(Value::String(_)) | None => {
                    self.fail(child(path, field), "Required value: must not be empty");
                }
                Some(other) => self.fail(
                    child(path, field),
                    format!("must be a string, got {}", type_name(other)),
                ),
            }
        }
        self.metadata(map.get("metadata"), &child(path, "metadata"), false, false);
    }

    fn junctors(&mut self, v: &Value, s: &'s JSONSchemaProps, path: &str, depth: usize) {
        for sub in s.all_of.iter().flatten() {
            self.node(v, sub, path, Mode::Junctor, depth + 1);
        }
        if let Some(any) = s.any_of.as_ref().filter(|a| !a.is_empty()) {
            let mut first = None;
            let mut ok = false;
            for sub in any {
                let errors = self.collect(|me| me.node(v, sub, path, Mode::Junctor, depth + 1));
                if errors.is_empty() {
                    ok = true;
                    break;
                }
                first.get_or_insert(errors);
            }
            if !ok {
                let why = first
                    .and_then(|e| e.into_iter().next())
                    .map(|e| format!(" (first: {}{})", prefix(&e.path, path), e.message))
                    .unwrap_or_default();
                self.fail(
                    path,
                    format!("must match at least one schema of anyOf{why}"),
                );
            }
        }
        if let Some(one) = s.one_of.as_ref().filter(|a| !a.is_empty()) {
            let matching = one
                .iter()
                .filter(|sub| {
                    self.collect(|me| me.node(v, sub, path, Mode::Junctor, depth + 1))
                        .is_empty()
                })
                .count();
            if matching != 1 {
                self.fail(
                    path,
                    format!("must match exactly one schema of oneOf, matches {matching}"),
                );
            }
        }
        if let Some(not) = &s.not
            && self
                .collect(|me| me.node(v, not, path, Mode::Junctor, depth + 1))
                .is_empty()
        {
            self.fail(path, "must not match the schema of not");
        }
    }

    /// `metadata` of the object (`root`) or of an embedded resource.
    fn metadata(&mut self, meta: Option<&Value>, path: &str, root: bool, cluster_scoped: bool) {
        let meta = match meta {
            Some(Value::Object(m)) => m,
            Some(Value::Null) | None => {
                if root {
                    self.fail(
                        child(path, "name"),
                        "Required value: name or generateName is required",
                    );
                }
                return;
            }
            Some(other) => {
                self.fail(path, format!("must be an object, got {}", type_name(other)));
                return;
            }
        };
        for k in meta.keys() {
            if !OBJECT_META_FIELDS.contains(&k.as_str()) {
                self.fail(child(path, k), "unknown field: not a field of ObjectMeta");
            }
        }
        let string = |me: &mut Self, field: &str| -> Option<String> {
            match meta.get(field) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(other) => {
                    me.fail(
                        child(path, field),
                        format!("must be a string, got {}", type_name(other)),
                    );
                    None
                }
            }
        };
        let string_map = |me: &mut Self, field: &str| -> Option<BTreeMap<String, String>> {
            match meta.get(field) {
                Some(Value::Object(m)) => {
                    let mut out = BTreeMap::new();
                    for (k, v) in m {
                        match v {
                            Value::String(s) => {
                                out.insert(k.clone(), s.clone());
                            }
                            other => me.fail(
                                map_entry(&child(path, field), k),
                                format!("must be a string, got {}", type_name(other)),
                            ),
                        }
                    }
                    Some(out)
                }
                Some(Value::Null) | None => None,
                Some(other) => {
                    me.fail(
                        child(path, field),
                        format!("must be a map of strings, got {}", type_name(other)),
                    );
                    None
                }
            }
        };
        let name = string(self, "name").filter(|n| !n.is_empty());
        let generate_name = string(self, "generateName").filter(|n| !n.is_empty());
        let namespace = string(self, "namespace").filter(|n| !n.is_empty());
        let labels = string_map(self, "labels");
        let annotations = string_map(self, "annotations");
        let mut c = Checker::new(ObjectRef::new("", name.clone().unwrap_or_default()));
        let prefix_path = |field: &str| child(path, field);
        match (&name, &generate_name) {
            // The apiserver checks the name of the object, not of an embedded one.
            (Some(n), _) if root => c.check(prefix_path("name"), validate::dns1123_subdomain(n)),
            (Some(_), _) => {}
            (None, Some(_)) => {}
            (None, None) if root => c.fail(
                prefix_path("name"),
                "Required value: name or generateName is required",
            ),
            (None, None) => {}
        }
        if let Some(prefix) = generate_name.as_ref().filter(|_| root) {
            // A prefix the apiserver completes: checked as a name, a trailing '-' allowed.
            let completed = match prefix.strip_suffix('-') {
                Some(p) => format!("{p}-a"),
                None => format!("{prefix}a"),
            };
            c.check(
                prefix_path("generateName"),
                validate::dns1123_subdomain(&completed),
            );
        }
        if let Some(ns) = &namespace {
            if root && cluster_scoped {
                c.fail(
                    prefix_path("namespace"),
                    "must not be set: the custom resource is cluster-scoped",
                );
            } else {
                c.check(prefix_path("namespace"), validate::dns1123_label(ns));
            }
        }
        c.labels(&prefix_path("labels"), labels.as_ref());
        c.annotations(&prefix_path("annotations"), annotations.as_ref());
        for v in c.into_violations() {
            self.fail(v.path, v.message);
        }
    }
}

/// `path` relative to `base`, for a nested message (`spec.x` under `spec` is `x: `).
fn prefix(path: &str, base: &str) -> String {
    let rest = path.strip_prefix(base).unwrap_or(path);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    if rest.is_empty() {
        String::new()
    } else {
        format!("{rest}: ")
    }
}

/// JSON equality as the apiserver compares decoded values (an integer and a float are
/// different values unless the float is integral).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64() && x.as_f64().is_some(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// A canonical text of `v` for duplicate detection (object keys sorted; integral floats
/// written as integers).
fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(f)) if is_json_integer_f64(f) => {
                let _ = write!(out, "{}", f as i64);
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{k:?}:");
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// Structural defaulting, as the apiserver does it before validating: in an object, a `null`
/// in a non-nullable field is replaced by the field's `default` or dropped, an absent field
/// with a `default` gets it; then the defaults inside are applied too. Root `metadata` is
/// left alone (the apiserver allows defaults only below it, and kubeprint names objects).
fn default_node(v: &mut Value, s: &JSONSchemaProps, root: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(map) => {
            if let Some(props) = &s.properties {
                for (k, ps) in props {
                    if root && k == "metadata" {
                        continue;
                    }
                    default_field(map, k, ps);
                }
                for (k, value) in map.iter_mut() {
                    if root && k == "metadata" {
                        continue;
                    }
                    if let Some(ps) = props.get(k) {
                        default_node(value, ps, false, depth + 1);
                    }
                }
            } else if let Some(JSONSchemaPropsOrBool::Schema(ap)) = &s.additional_properties {
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in &keys {
                    default_field(map, k, ap);
                }
                for value in map.values_mut() {
                    default_node(value, ap, false, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(JSONSchemaPropsOrArray::Schema(is)) = &s.items {
                for item in items.iter_mut() {
                    if item.is_null()
                        && !is_true(is.nullable)
                        && let Some(d) = &is.default
                    {
                        *item = d.0.clone();
                    }
                    default_node(item, is, false, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn default_field(map: &mut Map<String, Value>, k: &str, ps: &JSONSchemaProps) {
    match map.get(k) {
        None => {
            if let Some(d) = &ps.default {
                map.insert(k.to_owned(), d.0.clone());
            }
        }
        Some(Value::Null) if !is_true(ps.nullable) => match &ps.default {
            Some(d) => {
                map.insert(k.to_owned(), d.0.clone());
            }
            None => {
                map.remove(k);
            }
        },
        Some(_) => {}
    }
}

/// `pattern` in the `regex` crate's syntax with Go's meaning: the Perl classes `\d`, `\w`,
/// `\s` and the word boundaries `\b`, `\B` made ASCII-only, as RE2 has them. Anything the
/// crate does not know (`\C`, `\Q...\E`) stays and fails to compile, which is reported.
fn go_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str(r"[\t\n\x0C\r ]"),
            Some('S') => out.push_str(r"[^\t\n\x0C\r ]"),
            Some('b') => out.push_str(r"(?-u:\b)"),
            Some('B') => out.push_str(r"(?-u:\B)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The string formats kube-apiserver checks for custom resources (kube-openapi's format
/// registry); any other format name is accepted unchecked, as there.
mod formats {
    use std::net::Ipv6Addr;

    /// `Some(valid)` for a format the apiserver checks, `None` for one it does not.
    pub(super) fn check(format: &str, s: &str) -> Option<bool> {
        Some(match format {
            "bsonobjectid" => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
            "byte" => base64(s),
            "cidr" => cidr(s),
            "date" => date(s),
            "date-time" | "datetime" => date_time(s),
            "duration" => duration(s),
            "email" => email(s),
            "hexcolor" => hexcolor(s),
            "hostname" => hostname(s),
            "ipv4" => ipv4(s),
            "ipv6" => ipv6(s),
            "k8s-short-name" => crate::validate::dns1123_label(s).is_none(),
            "k8s-long-name" => long_name(s),
            "mac" => mac(s),
            "uri" => uri(s),
            "uuid" => uuid(s, None),
            "uuid3" => uuid(s, Some(b'3')),
            "uuid4" => uuid(s, Some(b'4')),
            "uuid5" => uuid(s, Some(b'5')),
            _ => return None,
        })
    }

    /// Dotted IPv4 as the apiserver parses it ("sloppy", Go's `net.ParseIP` before 1.17):
    /// four decimal octets up to 255, leading zeros allowed.
    fn parse_ipv4_sloppy(s: &str) -> bool {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 4
            && parts.iter().all(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && {
                    let t = p.trim_start_matches('0');
                    t.len() <= 3 && t.parse::<u32>().unwrap_or(0) <= 255
                }
            })
    }

    /// An IPv6 address, its embedded IPv4 part (after the last ':') parsed sloppily.
    fn parse_ipv6_sloppy(s: &str) -> bool {
        if s.parse::<Ipv6Addr>().is_ok() {
            return true;
        }
        match s.rsplit_once(':') {
            Some((head, v4)) if v4.contains('.') && parse_ipv4_sloppy(v4) => {
                // Replace the IPv4 part by two hex groups and parse again.
                format!("{head}:0:0").parse::<Ipv6Addr>().is_ok()
            }
            _ => false,
        }
    }

    fn parse_ip(s: &str) -> bool {
        parse_ipv4_sloppy(s) || parse_ipv6_sloppy(s)
    }

    fn ipv4(s: &str) -> bool {
        parse_ip(s) && s.contains('.')
    }

    fn ipv6(s: &str) -> bool {
        parse_ip(s) && s.contains(':')
    }

    /// `net.ParseCIDR` as the apiserver calls it (sloppy): an address and a decimal prefix
    /// length (leading zeros allowed); host bits may be set.
    fn cidr(s: &str) -> bool {
        let Some((ip, bits)) = s.split_once('/') else {
            return false;
        };
        let max = if parse_ipv4_sloppy(ip) {
            32
        } else if parse_ipv6_sloppy(ip) {
            128
        } else {
            return false;
        };
        !bits.is_empty()
            && bits.bytes().all(|b| b.is_ascii_digit())
            && bits.trim_start_matches('0').len() <= 3
            && bits.trim_start_matches('0').parse::<u32>().unwrap_or(0) <= max
    }

    /// Standard base64 with padding (what the apiserver's `byte` format accepts).
    fn base64(s: &str) -> bool {
        use base64::Engine as _;
        !s.is_empty() && base64::engine::general_purpose::STANDARD.decode(s).is_ok()
    }

    fn digits(s: &str, n: usize) -> Option<u32> {
        (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    }

    /// `YYYY-MM-DD` with a real day of the month.
    fn date(s: &str) -> bool {
        let mut parts = s.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
            return false;
        };
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=days).contains(&d)
    }

    /// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T` and `Z` in either
    /// case; the zone is required.
    fn date_time(s: &str) -> bool {
        let Some((d, t)) = s.split_once(['T', 't']) else {
            return false;
        };
        if !date(d) {
            return false;
        }
        let (clock, zone) = if let Some(c) = t.strip_suffix(['Z', 'z']) {
            (c, None)
        } else if let Some(i) = t.rfind(['+', '-']) {
            (&t[..i], Some(&t[i + 1..]))
        } else {
            return false;
        };
        if let Some(z) = zone {
            let Some((h, m)) = z.split_once(':') else {
                return false;
            };
            let in_range =
                digits(h, 2).is_some_and(|h| h < 24) && digits(m, 2).is_some_and(|m| m < 60);
            if !in_range {
                return false;
            }
        }
        let (hms, frac) = match clock.split_once('.') {
            Some((hms, f)) => (hms, Some(f)),
            None => (clock, None),
        };
        if frac
            .is_some_and(|f| f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()))
        {
            return false;
        }
        let mut parts = hms.split(':');
        let (Some(h), Some(m), Some(sec), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        digits(h, 2).is_some_and(|h| h < 24)
            && digits(m, 2).is_some_and(|m| m < 60)
            && digits(sec, 2).is_some_and(|s| s < 60)
    }

    /// A Go duration (`1h30m`, `-1.5s`) or a number with a unit word (`3 days`, `2w`).
    fn duration(s: &str) -> bool {
        go_duration(s) || unit_duration(s)
    }

    fn go_duration(s: &str) -> bool {
        let s = s.strip_prefix(['-', '+']).unwrap_or(s);
        if s == "0" {
            return true;
        }
        if s.is_empty() {
            return false;
        }
        let mut rest = s;
        while !rest.is_empty() {
            let n = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let number = &rest[..n];
            if number.is_empty() || number == "." || number.matches('.').count() > 1 {
                return false;
            }
            rest = &rest[n..];
            let unit_len = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
                .iter()
                .find(|u| rest.starts_with(**u))
                .map(|u| u.len());
            match unit_len {
                // "m" is a prefix of "ms": the list tries "ms" first.
                Some(l) => rest = &rest[l..],
                None => return false,
            }
        }
        true
    }

    fn unit_duration(s: &str) -> bool {
        let n = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        if n == 0 {
            return false;
        }
        let unit = s[n..].trim_start();
        matches!(
            unit,
            "ns" | "nanosecond"
                | "nanoseconds"
                | "us"
                | "µs"
                | "microsecond"
                | "microseconds"
                | "ms"
                | "millisecond"
                | "milliseconds"
                | "s"
                | "sec"
                | "secs"
                | "second"
                | "seconds"
                | "m"
                | "min"
                | "mins"
                | "minute"
                | "minutes"
                | "h"
                | "hr"
                | "hrs"
                | "hour"
                | "hours"
                | "d"
                | "day"
                | "days"
                | "w"
                | "wk"
                | "wks"
                | "week"
                | "weeks"
        )
    }

    /// An approximation of Go's `net/mail.ParseAddress`: `local@domain`, optionally as
    /// `Name <local@domain>`.
    fn email(s: &str) -> bool {
        let addr = match (s.rfind('<'), s.strip_suffix('>')) {
            (Some(i), Some(inner)) => &inner[i + 1..],
            _ => s.trim(),
        };
        let Some((local, domain)) = addr.rsplit_once('@') else {
            return false;
        };
        !local.is_empty()
            && !domain.is_empty()
            && !addr
                .chars()
                .any(|c| c.is_whitespace() || c == '<' || c == '>')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
    }

    fn hexcolor(s: &str) -> bool {
        let h = s.strip_prefix('#').unwrap_or(s);
        (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
    }

    fn is_host_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || (!c.is_ascii() && (c.is_alphabetic() || is_symbol(c)))
    }

    /// Unicode symbols outside ASCII (emoji and the like), which the apiserver's hostname
    /// rule admits; approximated as non-alphanumeric, non-space, non-punctuation characters.
    fn is_symbol(c: char) -> bool {
        !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control() && !is_punctuation(c)
    }

    fn is_punctuation(c: char) -> bool {
        matches!(c, '\u{2010}'..='\u{2027}' | '\u{3001}'..='\u{3003}' | '\u{00A1}' | '\u{00BF}')
    }

    /// The apiserver's `hostname`: labels of letters (any script), digits and inner hyphens;
    /// a single label admits at most one hyphen run of one, and with dots the last label has
    /// at least two characters and no double hyphen. At most 255 bytes, labels at most 63.
    fn hostname(s: &str) -> bool {
        if s.is_empty() || s.len() > 255 || s.split('.').any(|p| p.len() > 63) {
            return false;
        }
        let labels: Vec<&str> = s.split('.').collect();
        let no_double_hyphen_tail = |l: &str| {
            // first char a host char, then (-? host char)*
            let mut chars = l.chars();
            if !chars.next().is_some_and(is_host_char) {
                return None;
            }
            let mut count = 0usize;
            let mut pending_hyphen = false;
            for c in chars {
                if c == '-' {
                    if pending_hyphen {
                        return None;
                    }
                    pending_hyphen = true;
                } else if is_host_char(c) {
                    pending_hyphen = false;
                    count += 1;
                } else {
                    return None;
                }
            }
            (!pending_hyphen).then_some(count)
        };
        if labels.len() == 1 {
            // One character, then an optional hyphen and up to 62 more without hyphens.
            let l = labels[0];
            let mut chars = l.chars();
            if !chars.next().is_some_and(is_host_char) {
                return false;
            }
            let rest: &str = chars.as_str();
            let rest = rest.strip_prefix('-').unwrap_or(rest);
            return rest.chars().count() <= 62 && rest.chars().all(is_host_char);
        }
        let (last, inner) = labels.split_last().unwrap_or((&"", &[]));
        let inner_ok = inner.iter().all(|l| {
            let chars: Vec<char> = l.chars().collect();
            match chars.as_slice() {
                [] => false,
                [c] => is_host_char(*c),
                [first, middle @ .., end] => {
                    is_host_char(*first)
                        && is_host_char(*end)
                        && middle.len() <= 61
                        && middle.iter().all(|c| *c == '-' || is_host_char(*c))
                }
            }
        });
        inner_ok && no_double_hyphen_tail(last).is_some_and(|n| (1..=62).contains(&n))
    }

    fn long_name(s: &str) -> bool {
        s.len() <= 253
            && !s.is_empty()
            && s.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    }

    /// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx:..`, `xx-xx-..` or `xxxx.xxxx..`.
    fn mac(s: &str) -> bool {
        let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
        let octets = if s.contains('.') {
            let parts: Vec<&str> = s.split('.').collect();
            if !parts.iter().all(|p| hex(p, 4)) {
                return false;
            }
            parts.len() * 2
        } else {
            let sep = if s.contains(':') { ':' } else { '-' };
            let parts: Vec<&str> = s.split(sep).collect();
            if !parts.iter().all(|p| hex(p, 2)) {
                return false;
            }
            parts.len()
        };
        matches!(octets, 6 | 8 | 20)
    }

    /// An approximation of Go's `url.ParseRequestURI`: an absolute URI (`scheme:...`) or an
    /// absolute path, without spaces.
    fn uri(s: &str) -> bool {
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return false;
        }
        if s.starts_with('/') {
            return true;
        }
        match s.split_once(':') {
            Some((scheme, _)) => {
                scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            }
            None => false,
        }
    }

    /// 8-4-4-4-12 hex digits, each hyphen optional, any case; `version` the first digit of
    /// the third group (for versions 4 and 5 also the variant: 8, 9, a or b).
    fn uuid(s: &str, version: Option<u8>) -> bool {
        let b = s.as_bytes();
        let mut i = 0;
        let mut groups = Vec::with_capacity(5);
        for (g, len) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
            if g > 0 && b.get(i) == Some(&b'-') {
                i += 1;
            }
            let Some(group) = b.get(i..i + len) else {
                return false;
            };
            if !group.iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            groups.push(group);
            i += len;
        }
        if i != b.len() {
            return false;
        }
        match version {
            None => true,
            Some(v) => {
                groups[2][0] == v
                    && (v == b'3'
                        || matches!(groups[3][0].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b'))
            }
        }
    }
}

#[cfg(feature = "cel")]
mod cel;

#[cfg(test)]
mod tests;
