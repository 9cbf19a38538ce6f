//! Each keyword accepted and rejected, defaults, metadata, versions, and odd input.

use super::*;
use serde_json::json;

/// A namespaced CRD `widgets.example.com` (kind Widget) whose `v1` has `spec` of `spec_schema`;
/// `v2` is defined but not served.
fn crd(spec_schema: Value) -> CustomResourceDefinition {
    crd_root(json!({
        "type": "object",
        "properties": {"spec": spec_schema}
    }))
}

fn crd_root(root: Value) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [
                {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": root}},
                {"name": "v2", "served": false, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}
            ]
        }
    }))
    .expect("crd")
}

fn widget(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec})
}

fn run(schema: Value, spec: Value) -> Vec<(String, String)> {
    validate_custom_object(&crd(schema), &widget(spec))
        .into_iter()
        .map(|v| (v.path, v.message))
        .collect()
}

#[track_caller]
fn ok(schema: Value, spec: Value) {
    let v = run(schema, spec);
    assert!(v.is_empty(), "expected no violation, got {v:?}");
}

/// Asserts exactly one violation, at `path`, whose message contains `needle`.
#[track_caller]
fn bad(schema: Value, spec: Value, path: &str, needle: &str) {
    let v = run(schema, spec);
    assert_eq!(v.len(), 1, "expected one violation at {path}, got {v:?}");
    assert_eq!(v[0].0, path, "{v:?}");
    assert!(
        v[0].1.contains(needle),
        "{:?} does not contain {needle:?}",
        v[0].1
    );
}

fn obj(props: Value) -> Value {
    json!({"type": "object", "properties": props})
}

#[test]
fn types() {
    let s = obj(json!({
        "o": {"type": "object"}, "a": {"type": "array", "items": {"type": "string"}},
        "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
        "b": {"type": "boolean"}
    }));
    ok(
        s.clone(),
        json!({"o": {}, "a": [], "s": "", "i": 3, "n": 1.5, "b": false}),
    );
    // The apiserver decodes 1.0 and 1e3 as floats and takes integral ones as integers.
    ok(s.clone(), json!({"i": 1.0, "n": 2}));
    ok(s.clone(), json!({"i": 1e3}));
    bad(
        s.clone(),
        json!({"i": 1.5}),
        "spec.i",
        "must be of type integer, got number 1.5",
    );
    bad(
        s.clone(),
        json!({"i": 1e20}),
        "spec.i",
        "must be of type integer",
    );
    bad(
        s.clone(),
        json!({"i": u64::MAX}),
        "spec.i",
        "must be of type integer",
    );
    bad(s.clone(), json!({"i": "3"}), "spec.i", "got string");
    bad(
        s.clone(),
        json!({"n": "1"}),
        "spec.n",
        "must be of type number",
    );
    bad(
        s.clone(),
        json!({"b": "true"}),
        "spec.b",
        "must be of type boolean",
    );
    bad(
        s.clone(),
        json!({"s": 1}),
        "spec.s",
        "must be of type string, got integer",
    );
    bad(
        s.clone(),
        json!({"o": []}),
        "spec.o",
        "must be of type object, got array",
    );
    bad(
        s.clone(),
        json!({"a": {}}),
        "spec.a",
        "must be of type array",
    );
    bad(
        s,
        json!({"a": ["x", 1]}),
        "spec.a[1]",
        "must be of type string",
    );
}

#[test]
fn nullable_and_null_pruning() {
    let s = obj(json!({"n": {"type": "string", "nullable": true}, "x": {"type": "string"}}));
    ok(s.clone(), json!({"n": null}));
    // A null in a non-nullable field is dropped before validation, as the apiserver does.
    ok(s.clone(), json!({"x": null}));
    let req = json!({"type": "object", "required": ["x"], "properties": {"x": {"type": "string"}}});
    bad(req, json!({"x": null}), "spec.x", "Required value");
    // In an array the null stays and is a type error.
    let arr = obj(json!({"a": {"type": "array", "items": {"type": "string"}}}));
    bad(arr, json!({"a": [null]}), "spec.a[0]", "got null");
    let arr = obj(json!({"a": {"type": "array", "items": {"type": "string", "nullable": true}}}));
    ok(arr, json!({"a": [null]}));
}

#[test]
fn int_or_string() {
    let s = obj(json!({"p": {"x-kubernetes-int-or-string": true}}));
    ok(s.clone(), json!({"p": 80}));
    ok(s.clone(), json!({"p": "http"}));
    bad(
        s.clone(),
        json!({"p": 1.5}),
        "spec.p",
        "integer or a string",
    );
    bad(
        s.clone(),
        json!({"p": true}),
        "spec.p",
        "integer or a string",
    );
    bad(s, json!({"p": {}}), "spec.p", "got object");
}

#[test]
fn unknown_fields_and_preserve() {
    let s = obj(json!({"a": {"type": "string"}}));
    bad(
        s.clone(),
        json!({"a": "x", "typo": 1}),
        "spec.typo",
        "unknown field",
    );
    let p = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                   "properties": {"a": {"type": "string"}}});
    ok(p.clone(), json!({"a": "x", "anything": {"deep": [1]}}));
    // Known fields of a preserving object are still validated.
    bad(p, json!({"a": 1}), "spec.a", "must be of type string");
    // Only the node that says so preserves: below it, unknown fields are reported again.
    let nested = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                        "properties": {"inner": obj(json!({"a": {"type": "string"}}))}});
    bad(
        nested,
        json!({"inner": {"b": 1}}),
        "spec.inner.b",
        "unknown field",
    );
    // Unknown top-level fields too (apiVersion, kind, metadata are always known).
    let v = validate_custom_object(
        &crd(obj(json!({}))),
        &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "status2": {}}),
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].path, "status2");
    // Field names that are not identifiers are quoted.
    bad(
        obj(json!({})),
        json!({"a b": 1}),
        r#"spec["a b"]"#,
        "unknown field",
    );
}

#[test]
fn additional_properties() {
    let s = obj(
        json!({"m": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}}),
    );
    ok(s.clone(), json!({"m": {"a": 1, "b": 2}}));
    bad(
        s.clone(),
        json!({"m": {"a": -1}}),
        r#"spec.m["a"]"#,
        "greater than or equal to 0",
    );
    bad(
        s,
        json!({"m": {"a": "x"}}),
        r#"spec.m["a"]"#,
        "must be of type integer",
    );
    let any = obj(json!({"m": {"type": "object", "additionalProperties": true}}));
    ok(any, json!({"m": {"a": {"b": [1]}}}));
    let none = obj(json!({"m": {"type": "object", "additionalProperties": false}}));
    bad(none, json!({"m": {"a": 1}}), "spec.m.a", "unknown field");
}

#[test]
fn required() {
    let s = json!({"type": "object", "required": ["a", "b"],
                   "properties": {"a": {"type": "string"}, "b": {"type": "string"}}});
    ok(s.clone(), json!({"a": "", "b": ""}));
    bad(s.clone(), json!({"a": ""}), "spec.b", "Required value");
    assert_eq!(run(s, json!({})).len(), 2);
}

#[test]
fn enums() {
    let s = obj(json!({"e": {"type": "string", "enum": ["Always", "Never"]},
                       "n": {"type": "integer", "enum": [1, 2]}}));
    ok(s.clone(), json!({"e": "Never", "n": 2}));
    ok(s.clone(), json!({"n": 2.0}));
    bad(
        s.clone(),
        json!({"e": "Sometimes"}),
        "spec.e",
        r#"Unsupported value "Sometimes": supported values: "Always", "Never""#,
    );
    bad(s, json!({"n": 3}), "spec.n", "Unsupported value 3");
}

#[test]
fn patterns() {
    let s = obj(json!({"p": {"type": "string", "pattern": "^[a-z]+$"},
                       "d": {"type": "string", "pattern": "^\\d+$"},
                       "u": {"type": "string", "pattern": "ab"}}));
    ok(s.clone(), json!({"p": "abc", "d": "123", "u": "xxabxx"}));
    bad(
        s.clone(),
        json!({"p": "ABC"}),
        "spec.p",
        "should match '^[a-z]+$'",
    );
    // Go's \d is ASCII: Arabic-Indic digits do not match it.
    bad(
        s.clone(),
        json!({"d": "\u{0661}\u{0662}"}),
        "spec.d",
        "should match",
    );
    // An invalid pattern (a look-ahead: ECMA syntax, not RE2) is reported, never a panic.
    let invalid = obj(json!({"p": {"type": "string", "pattern": "^(?=a)"}}));
    bad(invalid, json!({"p": "a"}), "spec.p", "does not compile");
}

#[test]
fn patterns_are_compiled_once_per_call() {
    let s = obj(json!({"a": {"type": "array", "items": {"type": "string", "pattern": "^x"}}}));
    let crd = crd(s);
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .unwrap()
        .open_api_v3_schema
        .as_ref()
        .unwrap();
    let mut v = Validator::default();
    let items: Vec<Value> = (0..50).map(|i| json!(format!("x{i}"))).collect();
    v.node_root(&widget(json!({"a": items})), schema);
    assert!(v.out.is_empty(), "{:?}", v.out);
    assert_eq!(v.regexes.len(), 1);
}

#[test]
fn numeric_bounds() {
    let s = obj(
        json!({"i": {"type": "integer", "minimum": 1, "maximum": 10},
                       "x": {"type": "number", "minimum": 0, "exclusiveMinimum": true,
                             "maximum": 1, "exclusiveMaximum": true}}),
    );
    ok(s.clone(), json!({"i": 1, "x": 0.5}));
    ok(s.clone(), json!({"i": 10}));
    bad(
        s.clone(),
        json!({"i": 0}),
        "spec.i",
        "greater than or equal to 1",
    );
    bad(
        s.clone(),
        json!({"i": 11}),
        "spec.i",
        "less than or equal to 10",
    );
    bad(
        s.clone(),
        json!({"x": 0}),
        "spec.x",
        "must be greater than 0",
    );
    bad(s, json!({"x": 1}), "spec.x", "must be less than 1");
}

#[test]
fn multiple_of() {
    let s = obj(
        json!({"i": {"type": "integer", "multipleOf": 5}, "x": {"type": "number", "multipleOf": 0.1}}),
    );
    ok(s.clone(), json!({"i": 15, "x": 0.3}));
    ok(s.clone(), json!({"i": -10, "x": 2.0}));
    bad(s.clone(), json!({"i": 7}), "spec.i", "multiple of 5");
    bad(s.clone(), json!({"x": 0.15}), "spec.x", "multiple of 0.1");
    // The apiserver truncates the factor for an integer value: 0.1 becomes 0 and refuses 2,
    // 2.5 becomes 2 and refuses 5.
    bad(s, json!({"x": 2}), "spec.x", "truncates to 0");
    let f = obj(json!({"i": {"type": "number", "multipleOf": 2.5}}));
    ok(f.clone(), json!({"i": 4}));
    bad(f, json!({"i": 5}), "spec.i", "multiple of 2");
    // An integer field with a fractional factor refuses every value.
    let f = obj(json!({"i": {"type": "integer", "multipleOf": 2.5}}));
    bad(f.clone(), json!({"i": 5}), "spec.i", "not an integer");
    bad(f, json!({"i": 4}), "spec.i", "not an integer");
}

#[test]
fn lengths_count_characters() {
    let s = obj(json!({"s": {"type": "string", "minLength": 2, "maxLength": 3}}));
    ok(s.clone(), json!({"s": "ab"}));
    // Three characters, nine bytes: fine, as the apiserver counts runes.
    ok(s.clone(), json!({"s": "日本語"}));
    bad(
        s.clone(),
        json!({"s": "a"}),
        "spec.s",
        "at least 2 characters",
    );
    bad(
        s,
        json!({"s": "abcd"}),
        "spec.s",
        "longer than 3 characters",
    );
}

#[test]
fn item_and_property_counts() {
    let s = obj(
        json!({"a": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}},
                       "m": {"type": "object", "minProperties": 1, "maxProperties": 1,
                             "additionalProperties": {"type": "string"}}}),
    );
    ok(s.clone(), json!({"a": [1], "m": {"k": "v"}}));
    bad(s.clone(), json!({"a": []}), "spec.a", "at least 1 items");
    bad(
        s.clone(),
        json!({"a": [1, 2, 3]}),
        "spec.a",
        "at most 2 items",
    );
    bad(
        s.clone(),
        json!({"m": {}}),
        "spec.m",
        "at least 1 properties",
    );
    bad(
        s,
        json!({"m": {"a": "", "b": ""}}),
        "spec.m",
        "at most 1 properties",
    );
}

#[test]
fn unique_items_and_sets() {
    let u = obj(json!({"a": {"type": "array", "uniqueItems": true, "items": {"type": "integer"}}}));
    ok(u.clone(), json!({"a": [1, 2]}));
    bad(
        u.clone(),
        json!({"a": [1, 2, 1]}),
        "spec.a[2]",
        "Duplicate value: 1",
    );
    // 1 and 1.0 are one value to the apiserver.
    bad(u, json!({"a": [1, 1.0]}), "spec.a[1]", "Duplicate value");
    let set = obj(
        json!({"a": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}),
    );
    ok(set.clone(), json!({"a": ["x", "y"]}));
    bad(
        set,
        json!({"a": ["x", "x"]}),
        "spec.a[1]",
        r#"Duplicate value: "x""#,
    );
}

#[test]
fn list_maps() {
    let s = obj(json!({"ports": {
        "type": "array", "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name", "protocol"],
        "items": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "protocol": {"type": "string", "default": "TCP"},
            "port": {"type": "integer"}}}}}));
    ok(
        s.clone(),
        json!({"ports": [{"name": "a", "port": 1}, {"name": "a", "protocol": "UDP", "port": 1}]}),
    );
    bad(
        s.clone(),
        json!({"ports": [{"name": "a", "port": 1}, {"name": "b"}, {"name": "a", "port": 2}]}),
        "spec.ports[2]",
        r#"Duplicate value: {name: "a", protocol: "TCP"}"#,
    );
    // The default makes the keys equal.
    bad(
        s,
        json!({"ports": [{"name": "a"}, {"name": "a", "protocol": "TCP"}]}),
        "spec.ports[1]",
        "Duplicate value",
    );
    // map-type has no effect on validation.
    ok(
        obj(
            json!({"m": {"type": "object", "x-kubernetes-map-type": "atomic",
                        "additionalProperties": {"type": "string"}}}),
        ),
        json!({"m": {"a": "b"}}),
    );
}

#[test]
fn junctors() {
    let any = obj(json!({"v": {"type": "string", "anyOf": [{"pattern": "^a"}, {"maxLength": 2}]}}));
    ok(any.clone(), json!({"v": "abcdef"}));
    ok(any.clone(), json!({"v": "zz"}));
    bad(
        any,
        json!({"v": "zzz"}),
        "spec.v",
        "at least one schema of anyOf",
    );
    let one = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                     "oneOf": [{"required": ["a"]}, {"required": ["b"]}]});
    ok(one.clone(), json!({"a": ""}));
    bad(
        one.clone(),
        json!({"a": "", "b": ""}),
        "spec",
        "exactly one schema of oneOf, matches 2",
    );
    bad(one, json!({}), "spec", "matches 0");
    let all = obj(json!({"v": {"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 5}]}}));
    ok(all.clone(), json!({"v": 3}));
    bad(all, json!({"v": 6}), "spec.v", "less than or equal to 5");
    let not = obj(json!({"v": {"type": "string", "not": {"enum": ["forbidden"]}}}));
    ok(not.clone(), json!({"v": "fine"}));
    bad(not, json!({"v": "forbidden"}), "spec.v", "must not match");
    // Junctors constrain values only: a field they do not mention is no unknown field there.
    let j = json!({"type": "object", "properties": {"a": {"type": "string"}},
                   "anyOf": [{"properties": {"a": {"minLength": 1}}}]});
    ok(j, json!({"a": "x"}));
}

#[test]
fn formats() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("byte", &["aGVsbG8=", "YQ=="], &["not base64!", "YQ="]),
        (
            "date",
            &["2024-02-29"],
            &["2023-02-29", "2024-1-01", "20240101"],
        ),
        (
            "date-time",
            &[
                "2024-01-02T03:04:05Z",
                "2024-01-02T03:04:05.123+01:00",
                "2024-01-02t03:04:05z",
            ],
            &[
                "2024-01-02 03:04:05Z",
                "2024-01-02T25:04:05Z",
                "2024-01-02T03:04:05",
                "yesterday",
            ],
        ),
        (
            "duration",
            &["1h30m", "-1.5s", "3 days", "0"],
            &["1 fortnight", "h"],
        ),
        (
            "uuid",
            &[
                "123e4567-e89b-12d3-a456-426614174000",
                "123E4567E89B12D3A456426614174000",
            ],
            &[
                "123e4567-e89b-12d3-a456",
                "g23e4567-e89b-12d3-a456-426614174000",
            ],
        ),
        (
            "uuid4",
            &["123e4567-e89b-42d3-a456-426614174000"],
            &["123e4567-e89b-12d3-a456-426614174000"],
        ),
        (
            "ipv4",
            &["10.0.0.1", "010.0.0.1", "::ffff:1.2.3.4"],
            &["10.0.0.256", "1.2.3", "::1"],
        ),
        (
            "ipv6",
            &["::1", "fe80::1", "::ffff:1.2.3.4"],
            &["10.0.0.1", "fe80:::1"],
        ),
        (
            "cidr",
            &["10.0.0.0/8", "10.0.0.1/8", "fd00::/64", "10.0.0.0/08"],
            &["10.0.0.0", "10.0.0.0/33", "x/8", "fd00::/129"],
        ),
        (
            "hostname",
            &["example.com", "a-b.example.com", "localhost", "a-"],
            &["-a.com", "a..b", "a_b.com", "ex.c"],
        ),
        (
            "mac",
            &["00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e"],
            &["00:1a:2b:3c:4d", "zz:1a:2b:3c:4d:5e"],
        ),
        (
            "email",
            &["a@example.com", "Ann <a@example.com>"],
            &["not-an-email", "@example.com"],
        ),
        (
            "uri",
            &["https://example.com/x", "/relative/path"],
            &["relative", "http://exa mple.com"],
        ),
        ("hexcolor", &["#fff", "a0b0c0"], &["#ffff", "red"]),
        (
            "bsonobjectid",
            &["507f1f77bcf86cd799439011"],
            &["507f1f77bcf86cd79943901"],
        ),
        ("k8s-short-name", &["web-1"], &["Web", "a.b"]),
        ("k8s-long-name", &["a.b-c"], &["A.b", "a..b"]),
    ];
    for (format, good, wrong) in cases {
        let s = obj(json!({"v": {"type": "string", "format": format}}));
        for g in *good {
            let v = run(s.clone(), json!({"v": g}));
            assert!(v.is_empty(), "{format} {g:?}: {v:?}");
        }
        for w in *wrong {
            let v = run(s.clone(), json!({"v": w}));
            assert_eq!(v.len(), 1, "{format} {w:?} accepted");
            assert!(
                v[0].1.contains(&format!("is not of format {format}")),
                "{v:?}"
            );
        }
    }
    // Formats the apiserver does not check (and unknown ones) accept anything.
    for format in ["int32", "password", "something-else"] {
        ok(
            obj(json!({"v": {"type": "string", "format": format}})),
            json!({"v": "anything"}),
        );
    }
    // Formats apply to strings, except int32's range.
    let int32 = obj(json!({"v": {"type": "integer", "format": "int32"}}));
    ok(int32.clone(), json!({"v": -2_147_483_648_i64}));
    bad(
        int32,
        json!({"v": 5_000_000_000_i64}),
        "spec.v",
        "not an integer of format int32",
    );
    ok(
        obj(json!({"v": {"type": "integer", "format": "date"}})),
        json!({"v": 5}),
    );
}

#[test]
fn defaults_are_applied_before_validation() {
    let s = json!({"type": "object", "required": ["replicas", "mode"], "properties": {
        "replicas": {"type": "integer", "default": 1, "minimum": 1},
        "mode": {"type": "string", "default": "fast", "enum": ["fast", "slow"]},
        "nested": {"type": "object", "default": {}, "required": ["x"],
                   "properties": {"x": {"type": "integer", "default": 3}}},
        "bad": {"type": "integer", "default": 0, "minimum": 1}}});
    // `bad` defaults to 0, which its own minimum refuses: the apiserver refuses such a CRD,
    // here it shows the default is validated like any value.
    bad(
        s.clone(),
        json!({}),
        "spec.bad",
        "greater than or equal to 1",
    );
    // A null in a non-nullable field with a default gets the default.
    ok(s.clone(), json!({"replicas": null, "bad": 2}));
    bad(
        s,
        json!({"replicas": 0, "bad": 2}),
        "spec.replicas",
        "greater than or equal to 1",
    );
}

#[test]
fn defaults_fill_required_fields() {
    let s = json!({"type": "object", "required": ["replicas"], "properties": {
        "replicas": {"type": "integer", "default": 1},
        "nested": {"type": "object", "default": {}, "required": ["x"],
                   "properties": {"x": {"type": "integer", "default": 3}}}}});
    ok(s.clone(), json!({}));
    ok(s.clone(), json!({"replicas": null}));
    bad(
        s,
        json!({"replicas": "x"}),
        "spec.replicas",
        "must be of type integer",
    );
    // The caller's object is not changed.
    let crd =
        crd(json!({"type": "object", "properties": {"r": {"type": "integer", "default": 1}}}));
    let object = widget(json!({}));
    assert!(validate_custom_object(&crd, &object).is_empty());
    assert_eq!(object["spec"], json!({}));
}

#[test]
fn embedded_resources() {
    let s = obj(
        json!({"template": {"type": "object", "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true}}),
    );
    ok(
        s.clone(),
        json!({"template": {"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {"a": "b"}}, "data": {"k": "v"}}}),
    );
    bad(
        s.clone(),
        json!({"template": {"kind": "ConfigMap"}}),
        "spec.template.apiVersion",
        "Required value",
    );
    bad(
        s.clone(),
        json!({"template": {"apiVersion": "v1", "kind": ""}}),
        "spec.template.kind",
        "Required value",
    );
    // The apiserver leaves an embedded object's name alone.
    ok(
        s.clone(),
        json!({"template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}}),
    );
    bad(
        s.clone(),
        json!({"template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {"a": "b!"}}}}),
        r#"spec.template.metadata.labels["a"]"#,
        "b!",
    );
    bad(
        s,
        json!({"template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"nme": "x"}}}),
        "spec.template.metadata.nme",
        "unknown field",
    );
    // Without preserve-unknown-fields only apiVersion, kind and metadata are implied.
    let strict = obj(
        json!({"t": {"type": "object", "x-kubernetes-embedded-resource": true,
        "properties": {"spec": {"type": "object"}}}}),
    );
    ok(
        strict.clone(),
        json!({"t": {"apiVersion": "v1", "kind": "X", "spec": {}}}),
    );
    bad(
        strict,
        json!({"t": {"apiVersion": "v1", "kind": "X", "data": 1}}),
        "spec.t.data",
        "unknown field",
    );
}

#[track_caller]
fn object_violations(object: Value) -> Vec<(String, String)> {
    validate_custom_object(&crd(obj(json!({}))), &object)
        .into_iter()
        .map(|v| (v.path, v.message))
        .collect()
}

#[test]
fn metadata() {
    let with_meta = |meta: Value| {
        object_violations(
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": meta}),
        )
    };
    assert!(
        with_meta(
            json!({"name": "a.b-c", "namespace": "ns", "labels": {"app": "x"},
                             "annotations": {"example.com/a": "anything"}})
        )
        .is_empty()
    );
    assert!(with_meta(json!({"generateName": "web-"})).is_empty());
    let v = with_meta(json!({"name": "Bad_Name"}));
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].0, "metadata.name");
    let v = with_meta(json!({}));
    assert_eq!(
        v,
        vec![(
            "metadata.name".to_owned(),
            "Required value: name or generateName is required".to_owned()
        )]
    );
    let v = with_meta(json!({"name": "a", "labels": {"bad key!": "v"}}));
    assert_eq!(v[0].0, r#"metadata.labels["bad key!"]"#, "{v:?}");
    let v = with_meta(json!({"name": "a", "annotations": {"-bad": "v"}}));
    assert_eq!(v[0].0, r#"metadata.annotations["-bad"]"#, "{v:?}");
    let v = with_meta(json!({"name": "a", "namespace": "Bad"}));
    assert_eq!(v[0].0, "metadata.namespace", "{v:?}");
    let v = with_meta(json!({"name": "a", "labels": {"a": 1}}));
    assert_eq!(
        v[0],
        (
            r#"metadata.labels["a"]"#.to_owned(),
            "must be a string, got integer".to_owned()
        )
    );
    let v = with_meta(json!({"name": "a", "colour": "red"}));
    assert_eq!(v[0].0, "metadata.colour");
    assert_eq!(
        object_violations(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": 3}))
            [0]
        .0,
        "metadata"
    );
}

#[test]
fn metadata_rules_of_the_schema() {
    let crd = crd_root(json!({"type": "object", "properties": {
        "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}}}));
    let named = |name: &str| {
        validate_custom_object(
            &crd,
            &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}}),
        )
    };
    assert!(named("abcde").is_empty());
    let v = named("abcdef");
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].path, "metadata.name");
}

#[test]
fn cluster_scoped_objects_have_no_namespace() {
    let mut c = crd(obj(json!({})));
    c.spec.scope = "Cluster".into();
    let v = validate_custom_object(
        &c,
        &json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "a", "namespace": "ns"}}),
    );
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].path, "metadata.namespace");
}

#[test]
fn versions_and_kind() {
    let c = crd(obj(json!({})));
    let at = |api_version: Value, kind: &str| {
        validate_custom_object(
            &c,
            &json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "a"}}),
        )
    };
    assert!(at(json!("example.com/v1"), "Widget").is_empty());
    let v = at(json!("example.com/v2"), "Widget");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "apiVersion");
    assert!(
        v[0].message.contains(r#""v2" is not served"#),
        "{}",
        v[0].message
    );
    let v = at(json!("example.com/v9"), "Widget");
    assert!(
        v[0].message.contains("is not a version of"),
        "{}",
        v[0].message
    );
    assert!(v[0].message.contains("(served: v1)"), "{}", v[0].message);
    let v = at(json!("other.com/v1"), "Widget");
    assert!(
        v[0].message.contains(r#"group "other.com""#),
        "{}",
        v[0].message
    );
    let v = at(json!(1), "Widget");
    assert_eq!(v[0].path, "apiVersion");
    let v = at(json!("example.com/v1"), "Gadget");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "kind");
    let v = validate_custom_object(&c, &json!([1, 2]));
    assert_eq!(v[0].message, "must be a JSON object, got array");
}

#[test]
fn violations_are_sorted_and_say_no_more_than_an_excerpt() {
    let s = obj(
        json!({"z": {"type": "string", "pattern": "^x"}, "a": {"type": "integer"},
                       "m": {"type": "string", "enum": ["x"]}}),
    );
    let secret = "s3cr3t-value-that-must-not-appear-whole-0123456789";
    let v = run(
        s,
        json!({"z": secret, "a": {"password": secret}, "m": secret}),
    );
    let paths: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["spec.a", "spec.m", "spec.z"]);
    for (_, m) in &v {
        assert!(!m.contains(secret), "{m}");
        assert!(!m.contains("0123456789"), "{m}");
    }
    assert!(v[0].1.contains("got object"), "{v:?}");
}

/// A small deterministic generator (xorshift), so the odd-input test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn random_value(r: &mut Rng, depth: u32) -> Value {
    let keys = [
        "a",
        "b",
        "name",
        "x y",
        "apiVersion",
        "kind",
        "metadata",
        "",
    ];
    match r.below(if depth > 3 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(r.below(2) == 0),
        2 => json!(r.next() as i64),
        3 => json!(*r.pick(&[0.5, -1e300, 1e20, 2.0, f64::MIN_POSITIVE])),
        4 => json!(*r.pick(&[
            "",
            "a",
            "日本",
            "\u{0}",
            "10.0.0.1",
            "2024-01-01",
            "((",
            "-"
        ])),
        5 => json!(u64::MAX),
        6 => Value::Array(
            (0..r.below(4))
                .map(|_| random_value(r, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..r.below(4))
                .map(|_| ((*r.pick(&keys)).to_owned(), random_value(r, depth + 1)))
                .collect(),
        ),
    }
}

/// Makes one keyword's value.
type Gen = fn(&mut Rng) -> Value;

fn random_schema(r: &mut Rng, depth: u32) -> Value {
    let mut s = Map::new();
    let types = [
        "object", "array", "string", "integer", "number", "boolean", "", "bogus",
    ];
    s.insert("type".into(), json!(r.pick(&types)));
    let extras: [(&str, Gen); 27] = [
        ("x-kubernetes-validations", |r| {
            json!([{"rule": r.pick(&["self.a > 1", "has(self.b)", "self.size() < 2", "((", "self.x.y.z", "self == oldSelf", "1/0 == 1"]),
                    "messageExpression": "self.a", "fieldPath": ".a"}])
        }),
        ("nullable", |r| json!(r.below(2) == 0)),
        ("x-kubernetes-int-or-string", |_| json!(true)),
        ("x-kubernetes-preserve-unknown-fields", |_| json!(true)),
        ("x-kubernetes-embedded-resource", |_| json!(true)),
        ("required", |_| json!(["a", "name"])),
        ("enum", |r| json!([random_value(r, 3), "a", 1])),
        ("pattern", |r| {
            json!(r.pick(&["^a", "(", "\\d+", "(?=x)", "\\", "[[:alpha:]]", "\\pL"]))
        }),
        ("minimum", |r| json!(*r.pick(&[0.0, -1.5, 1e300]))),
        ("maximum", |r| json!(*r.pick(&[0.0, 10.0, -1e300]))),
        ("exclusiveMinimum", |_| json!(true)),
        ("multipleOf", |r| {
            json!(*r.pick(&[0.0, -2.0, 0.1, 3.0, 1e-300]))
        }),
        ("minLength", |r| json!(*r.pick(&[0_i64, -1, i64::MAX]))),
        ("maxLength", |r| json!(*r.pick(&[0_i64, -1, 2]))),
        ("minItems", |_| json!(1)),
        ("maxItems", |_| json!(-5)),
        ("uniqueItems", |_| json!(true)),
        ("minProperties", |_| json!(i64::MAX)),
        ("maxProperties", |_| json!(0)),
        ("format", |r| {
            json!(r.pick(&[
                "date",
                "date-time",
                "byte",
                "uuid",
                "ipv4",
                "ipv6",
                "cidr",
                "hostname",
                "duration",
                "mac",
                "uri",
                "email"
            ]))
        }),
        ("additionalProperties", |r| {
            if r.below(2) == 0 {
                json!(false)
            } else {
                json!({"type": "string"})
            }
        }),
        ("x-kubernetes-list-type", |r| {
            json!(r.pick(&["set", "map", "atomic", "bogus"]))
        }),
        ("x-kubernetes-list-map-keys", |_| json!(["name", "missing"])),
        ("x-kubernetes-map-type", |_| json!("atomic")),
        ("default", |r| random_value(r, 2)),
        ("items", |_| json!({"type": "string"})),
        ("not", |_| json!({})),
    ];
    for _ in 0..r.below(5) {
        let (k, f) = r.pick(&extras);
        let v = f(r);
        s.insert((*k).to_owned(), v);
    }
    if depth < 4 {
        let mut props = Map::new();
        for k in ["a", "b", "name", "metadata"] {
            if r.below(2) == 0 {
                props.insert(k.to_owned(), random_schema(r, depth + 1));
            }
        }
        s.insert("properties".into(), Value::Object(props));
        if r.below(3) == 0 {
            s.insert("items".into(), random_schema(r, depth + 1));
        }
        for j in ["allOf", "anyOf", "oneOf"] {
            if r.below(5) == 0 {
                s.insert(
                    j.into(),
                    json!([random_schema(r, depth + 2), random_schema(r, depth + 2)]),
                );
            }
        }
    }
    Value::Object(s)
}

#[test]
fn odd_input_never_panics_and_stays_sorted() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut checked = 0;
    for _ in 0..3000 {
        let root = random_schema(&mut r, 0);
        let Ok(crd) = std::panic::catch_unwind(|| crd_root(root.clone())) else {
            continue; // a schema serde refuses (e.g. a default k8s-openapi cannot hold)
        };
        for _ in 0..4 {
            let mut object = random_value(&mut r, 0);
            if r.below(2) == 0
                && let Value::Object(m) = &mut object
            {
                m.insert("apiVersion".into(), json!("example.com/v1"));
                m.insert("kind".into(), json!("Widget"));
            }
            let v = validate_custom_object(&crd, &object);
            let mut sorted = v.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(v, sorted);
            checked += 1;
        }
    }
    assert!(checked > 5000, "{checked}");
}

#[test]
fn deep_values_are_cut_off_not_overflowed() {
    // A schema nested 300 levels deep (built in code, past serde's recursion limit).
    let mut schema = JSONSchemaProps {
        type_: Some("object".into()),
        ..Default::default()
    };
    let mut value = json!({});
    for _ in 0..300 {
        schema = JSONSchemaProps {
            type_: Some("object".into()),
            properties: Some(BTreeMap::from([("a".to_owned(), schema)])),
            ..Default::default()
        };
        value = json!({"a": value});
    }
    let mut v = Validator::default();
    v.node_root(&value, &schema);
    assert!(
        v.out.iter().any(|e| e.message.contains("nested more than")),
        "{:?}",
        v.out.len()
    );
}

fn with_rules(rules: Value, props: Value) -> Value {
    json!({"type": "object", "x-kubernetes-validations": rules, "properties": props})
}

fn skipped(schema: Value, spec: Value) -> Vec<SkippedRule> {
    validate_custom_object_with_skipped(&crd(schema), &widget(spec)).1
}

#[cfg(feature = "cel")]
#[test]
fn cel_rules() {
    let props = json!({"min": {"type": "integer"}, "max": {"type": "integer"},
                       "name": {"type": "string"}, "ratio": {"type": "number"},
                       "items": {"type": "array", "items": {"type": "integer"}}});
    let rule = |r: &str| with_rules(json!([{"rule": r}]), props.clone());
    ok(rule("self.min <= self.max"), json!({"min": 1, "max": 2}));
    bad(
        rule("self.min <= self.max"),
        json!({"min": 3, "max": 2}),
        "spec",
        "failed rule: self.min <= self.max",
    );
    ok(rule("self.items.size() < 3"), json!({"items": [1, 2]}));
    bad(
        rule("self.items.size() < 3"),
        json!({"items": [1, 2, 3]}),
        "spec",
        "failed rule",
    );
    ok(rule("has(self.name)"), json!({"name": "x"}));
    bad(rule("has(self.name)"), json!({}), "spec", "failed rule");
    ok(
        rule("self.name.matches('^[a-z]+$')"),
        json!({"name": "abc"}),
    );
    bad(
        rule("self.name.matches('^[a-z]+$')"),
        json!({"name": "ABC"}),
        "spec",
        "failed rule",
    );
    ok(rule("self.items.all(i, i > 0)"), json!({"items": [1, 2]}));
    ok(rule("self.min + 1 == 2"), json!({"min": 1}));
    // The part of Kubernetes' strings library kubeprint adds.
    ok(
        rule("self.name.lowerAscii() == 'abc' && self.name.upperAscii() == 'ABC'"),
        json!({"name": "aBc"}),
    );
    bad(
        rule("self.name.lowerAscii() == self.name"),
        json!({"name": "aBc"}),
        "spec",
        "failed rule",
    );
    ok(
        rule("self.name.indexOf('c') == 2 && self.name.lastIndexOf('x') == -1"),
        json!({"name": "äbc"}),
    );
    ok(
        rule("self.name.split(',').size() == 3 && self.name.trim() == self.name"),
        json!({"name": "a,b,c"}),
    );
    // A number field is a double even when written as an integer.
    ok(rule("self.ratio > 0.5"), json!({"ratio": 1}));
    // A field the rule needs is absent: the apiserver's "no such key", a violation.
    bad(rule("self.min > 0"), json!({}), "spec", "no such key: min");
    // Transition rules do not run on create.
    ok(rule("self.min == oldSelf.min"), json!({"min": 1}));
    // message, messageExpression and fieldPath.
    let m = with_rules(
        json!([{"rule": "self.min <= self.max", "message": "min must not exceed max",
                               "fieldPath": ".min"}]),
        props.clone(),
    );
    bad(
        m,
        json!({"min": 3, "max": 2}),
        "spec.min",
        "min must not exceed max",
    );
    let m = with_rules(
        json!([{"rule": "self.min <= self.max",
                               "messageExpression": "'min is ' + string(self.min)"}]),
        props.clone(),
    );
    bad(m, json!({"min": 3, "max": 2}), "spec", "min is 3");
    // Rules on a field's own schema node: `self` is the field.
    let field = obj(
        json!({"n": {"type": "integer", "x-kubernetes-validations": [{"rule": "self % 2 == 0"}]}}),
    );
    ok(field.clone(), json!({"n": 4}));
    bad(field, json!({"n": 3}), "spec.n", "failed rule");
}

#[cfg(feature = "cel")]
#[test]
fn cel_rules_it_cannot_evaluate_are_skipped() {
    let props = json!({"name": {"type": "string"}, "q": {"type": "string"}});
    for rule in [
        "self.name.charAt(0) == 'a'",
        "quantity(self.q).isGreaterThan(quantity('1Mi'))",
        "self.?name.orValue('') == ''",
        "this is not CEL ((",
        "self.name",
    ] {
        let schema = with_rules(json!([{"rule": rule}]), props.clone());
        let spec = json!({"name": "a", "q": "1Gi"});
        assert!(run(schema.clone(), spec.clone()).is_empty(), "{rule}");
        let s = skipped(schema, spec);
        assert_eq!(s.len(), 1, "{rule}: {s:?}");
        assert_eq!(s[0].path, "spec");
        assert_eq!(s[0].rule, rule);
    }
    let transition = with_rules(
        json!([{"rule": "self.name == oldSelf.name", "optionalOldSelf": true}]),
        props,
    );
    assert_eq!(skipped(transition, json!({"name": "a"})).len(), 1);
}

#[cfg(not(feature = "cel"))]
#[test]
fn cel_rules_are_skipped_without_the_feature() {
    let schema = with_rules(
        json!([{"rule": "self.x > 0"}]),
        json!({"x": {"type": "integer"}}),
    );
    assert!(run(schema.clone(), json!({"x": 0})).is_empty());
    let s = skipped(schema, json!({"x": 0}));
    assert_eq!(s.len(), 1);
    assert!(s[0].reason.contains("without its `cel` feature"), "{s:?}");
}

#[test]
fn large_objects_take_linear_time() {
    // A list map of n entries with a pattern, defaults and enums, and a set of n strings.
    let s = obj(json!({"ports": {
        "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
        "items": {"type": "object", "properties": {
            "name": {"type": "string", "pattern": "^p[0-9]+$"},
            "protocol": {"type": "string", "default": "TCP", "enum": ["TCP", "UDP"]}}}},
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}));
    let crd = crd(s);
    let time = |n: usize| {
        let ports: Vec<Value> = (0..n).map(|i| json!({"name": format!("p{i}")})).collect();
        let tags: Vec<Value> = (0..n).map(|i| json!(format!("t{i}"))).collect();
        let object = widget(json!({"ports": ports, "tags": tags}));
        let start = std::time::Instant::now();
        assert!(validate_custom_object(&crd, &object).is_empty());
        start.elapsed()
    };
    // 32 times the entries: about 32 times the time when linear, 1024 times when quadratic.
    // The bound leaves room for a loaded machine's noise (the fastest of three small runs).
    let small = (0..3).map(|_| time(1_000)).min().unwrap_or_default();
    let large = time(32_000);
    println!("1k entries: {small:?}, 32k entries: {large:?}");
    assert!(large < small * 300, "1k: {small:?}, 32k: {large:?}");
}
