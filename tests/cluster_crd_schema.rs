//! `check::validate_custom_object` (the custom-object check of `Bundle::check`) against the real
//! kube-apiserver (issue #16): a CRD with a rich structural schema is installed on the local
//! control plane, then a valid custom object and a few hundred single- and double-field
//! mutants of it are each sent as a server-side dry-run create with strict field validation
//! (what kubectl does by default), and kubeprint's offline
//! validation must agree with the apiserver on accept / reject for every one — except the
//! cases listed in [`KNOWN_DIFFERENCES`] (documented in docs/validation.md), which must still
//! differ (the list only shrinks). Prints a table per field.
//!
//! Needs the local control plane (`KUBEPRINT_TEST_KUBECONFIG`); fails without it.
#![cfg(feature = "client")]
// The CRD's schema is one large `json!` literal.
#![recursion_limit = "512"]

mod apply_support;

use futures::StreamExt;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const GROUP: &str = "kp-schema.example.com";
const CRD_NAME: &str = "gadgets.kp-schema.example.com";

/// Mutations whose answer kubeprint knows it does not match (label of the mutation): see
/// docs/validation.md, "Custom resources".
const KNOWN_DIFFERENCES: &[&str] = &[
    // A CEL rule calling `quantity()` (Kubernetes' quantity library, not in the `cel` crate):
    // skipped by kubeprint, so the object that breaks it is accepted.
    "cel-unsupported",
];

fn crd_json() -> Value {
    let s = |extra: Value| {
        let mut v = json!({"type": "string"});
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        v
    };
    let fmt = |f: &str| s(json!({"format": f}));
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": CRD_NAME},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
            "versions": [
                {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 40}}},
                        "spec": {
                            "type": "object",
                            "required": ["size"],
                            // CEL rules (feature `cel`); a transition rule, which does not run
                            // on create; one with a string function kubeprint adds
                            // (`lowerAscii()`); one with a function it lacks (`quantity()`).
                            "x-kubernetes-validations": [
                                {"rule": "!has(self.minV) || !has(self.maxV) || self.minV <= self.maxV",
                                 "message": "minV must not exceed maxV", "fieldPath": ".minV"},
                                {"rule": "!has(self.tags) || self.tags.all(t, t.size() <= 3)"},
                                {"rule": "!has(self.ratio) || self.ratio * 2.0 < 1.9"},
                                {"rule": "self.size == oldSelf.size"},
                                {"rule": "!has(self.lbl) || self.lbl.lowerAscii() == self.lbl"},
                                {"rule": "!has(self.q) || quantity(self.q).isLessThan(quantity('1Gi'))"}
                            ],
                            "properties": {
                                "size": {"type": "integer", "minimum": 1, "maximum": 100},
                                "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true},
                                "step": {"type": "integer", "multipleOf": 5},
                                "fraction": {"type": "number", "multipleOf": 0.25},
                                "coarse": {"type": "integer", "multipleOf": 2.5},
                                "rough": {"type": "number", "multipleOf": 2.5},
                                "name": s(json!({"minLength": 2, "maxLength": 5})),
                                "code": s(json!({"pattern": "^[A-Z]{3}-\\d+$"})),
                                "word": s(json!({"pattern": "\\bfoo\\b"})),
                                "spaced": s(json!({"pattern": "^\\S+\\s\\S+$"})),
                                "ident": s(json!({"pattern": "^\\w+$"})),
                                "mode": s(json!({"enum": ["Fast", "Slow"], "default": "Fast"})),
                                "level": {"type": "integer", "enum": [1, 2, 3]},
                                "port": {"x-kubernetes-int-or-string": true},
                                "nullableText": s(json!({"nullable": true})),
                                "plain": s(json!({})),
                                "tags": {"type": "array", "maxItems": 3, "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                                "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "protocol"],
                                          "items": {"type": "object", "required": ["name"], "properties": {
                                              "name": {"type": "string"},
                                              "protocol": {"type": "string", "default": "TCP"},
                                              "number": {"type": "integer", "minimum": 1}}}},
                                "labels": {"type": "object", "maxProperties": 2, "minProperties": 1, "additionalProperties": {"type": "string"}},
                                "atomicMap": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "integer"}},
                                "matrix": {"type": "array", "minItems": 1, "items": {"type": "array", "items": {"type": "number"}}},
                                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                                "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
                                "date": fmt("date"),
                                "when": fmt("date-time"),
                                "uid": fmt("uuid"),
                                "ip4": fmt("ipv4"),
                                "ip6": fmt("ipv6"),
                                "net": fmt("cidr"),
                                "host": fmt("hostname"),
                                "data": fmt("byte"),
                                "dur": fmt("duration"),
                                "mac": fmt("mac"),
                                "mail": fmt("email"),
                                "link": fmt("uri"),
                                "color": fmt("hexcolor"),
                                "short": fmt("k8s-short-name"),
                                "long": fmt("k8s-long-name"),
                                "small": {"type": "integer", "format": "int32"},
                                "choice": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                                           "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
                                "either": s(json!({"anyOf": [{"pattern": "^x"}, {"maxLength": 1}]})),
                                "notBad": s(json!({"not": {"enum": ["bad"]}})),
                                "both": {"type": "integer", "allOf": [{"minimum": 0}, {"maximum": 10}]},
                                "nested": {"type": "object", "default": {"inner": 7}, "required": ["inner"],
                                           "properties": {"inner": {"type": "integer", "default": 7, "minimum": 5}}},
                                "flag": {"type": "boolean"},
                                "minV": {"type": "integer"},
                                "maxV": {"type": "integer"},
                                "celName": s(json!({"x-kubernetes-validations": [
                                    {"rule": "self.matches('^[a-z]+$')", "messageExpression": "'not lowercase: ' + self"}]})),
                                "lbl": s(json!({})),
                                "q": s(json!({}))
                            }
                        },
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }}},
                {"name": "v2", "served": false, "storage": false, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
            ]
        }
    })
}

fn base() -> Value {
    json!({
        "apiVersion": format!("{GROUP}/v1"),
        "kind": "Gadget",
        "metadata": {"name": "g", "labels": {"app": "g"}},
        "spec": {
            "size": 3, "ratio": 0.5, "step": 10, "fraction": 0.75, "name": "abc", "code": "ABC-12",
            "word": "a foo b", "spaced": "a b", "ident": "a_1", "mode": "Slow", "level": 2, "port": 80,
            "nullableText": "t", "plain": "p", "tags": ["a", "b"],
            "ports": [{"name": "http", "number": 80}, {"name": "http", "protocol": "UDP", "number": 80}],
            "labels": {"a": "b"}, "atomicMap": {"x": 1}, "matrix": [[1, 2.5], []],
            "free": {"anything": [1, {"x": null}]},
            "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}},
            "date": "2024-02-29", "when": "2024-01-02T03:04:05Z",
            "uid": "123e4567-e89b-12d3-a456-426614174000", "ip4": "10.0.0.1", "ip6": "fe80::1",
            "net": "10.0.0.0/8", "host": "example.com", "data": "aGVsbG8=", "dur": "1h30m",
            "mac": "00:1a:2b:3c:4d:5e", "mail": "a@example.com", "link": "https://example.com/x",
            "color": "#fff", "short": "web-1", "long": "a.b-c", "small": 5,
            "choice": {"a": "x"}, "either": "xyz", "notBad": "good", "both": 5, "nested": {"inner": 6},
            "flag": true
        }
    })
}

/// A mutation: a label, then JSON pointers (under `/spec` unless they start with `/`) and
/// values; `"<remove>"` removes the field.
type Mutation = (&'static str, &'static [(&'static str, &'static str)]);

#[rustfmt::skip]
const MUTATIONS: &[Mutation] = &[
    ("size", &[("size", "0")]), ("size", &[("size", "1")]), ("size", &[("size", "100")]),
    ("size", &[("size", "101")]), ("size", &[("size", r#""3""#)]), ("size", &[("size", "3.0")]),
    ("size", &[("size", "3.5")]), ("size", &[("size", "1e1")]), ("size", &[("size", "-1")]),
    ("size", &[("size", "null")]), ("size", &[("size", "<remove>")]),
    ("size", &[("size", "18446744073709551615")]), ("size", &[("size", "true")]),
    ("ratio", &[("ratio", "0")]), ("ratio", &[("ratio", "1")]), ("ratio", &[("ratio", "0.999")]),
    ("ratio", &[("ratio", "1e-9")]), ("ratio", &[("ratio", r#""0.5""#)]), ("ratio", &[("ratio", "-0.1")]),
    ("step", &[("step", "15")]), ("step", &[("step", "7")]), ("step", &[("step", "0")]),
    ("step", &[("step", "-5")]), ("step", &[("step", "10.0")]),
    ("fraction", &[("fraction", "0.5")]), ("fraction", &[("fraction", "0.3")]), ("fraction", &[("fraction", "2")]),
    ("fraction", &[("fraction", "1.25")]), ("fraction", &[("fraction", "2.0")]),
    ("coarse", &[("coarse", "4")]), ("coarse", &[("coarse", "5")]), ("coarse", &[("coarse", "5.0")]),
    ("rough", &[("rough", "4")]), ("rough", &[("rough", "5")]), ("rough", &[("rough", "5.0")]), ("rough", &[("rough", "7.5")]),
    ("int32", &[("small", "2147483647")]), ("int32", &[("small", "-2147483649")]),
    ("name", &[("name", r#""ab""#)]), ("name", &[("name", r#""a""#)]), ("name", &[("name", r#""abcde""#)]),
    ("name", &[("name", r#""abcdef""#)]), ("name", &[("name", r#""日本語""#)]),
    ("name", &[("name", r#""日本語日本語""#)]), ("name", &[("name", r#""ééééé""#)]), ("name", &[("name", r#""""#)]),
    ("code", &[("code", r#""ABC-1""#)]), ("code", &[("code", r#""AB-1""#)]), ("code", &[("code", r#""ABC-١٢""#)]),
    ("code", &[("code", r#""xABC-12""#)]), ("code", &[("code", r#""ABC-12\n""#)]),
    ("word", &[("word", r#""foo""#)]), ("word", &[("word", r#""foobar""#)]), ("word", &[("word", r#""éfoo""#)]),
    ("word", &[("word", r#""x_foo""#)]),
    ("spaced", &[("spaced", r#""a\tb""#)]), ("spaced", &[("spaced", "\"a\u{00a0}b\"")]), ("spaced", &[("spaced", r#""ab""#)]),
    ("ident", &[("ident", r#""é""#)]), ("ident", &[("ident", r#""ab_9""#)]), ("ident", &[("ident", r#""a-b""#)]),
    ("mode", &[("mode", r#""Fast""#)]), ("mode", &[("mode", r#""fast""#)]), ("mode", &[("mode", "<remove>")]),
    ("mode", &[("mode", "null")]), ("mode", &[("mode", "1")]),
    ("level", &[("level", "3")]), ("level", &[("level", "4")]), ("level", &[("level", "2.0")]), ("level", &[("level", r#""2""#)]),
    ("port", &[("port", "8080")]), ("port", &[("port", r#""http""#)]), ("port", &[("port", "1.5")]),
    ("port", &[("port", "true")]), ("port", &[("port", "80.0")]), ("port", &[("port", "null")]), ("port", &[("port", "{}")]),
    ("nullable", &[("nullableText", "null")]), ("nullable", &[("nullableText", "1")]),
    ("plain", &[("plain", "null")]), ("plain", &[("plain", "1")]), ("plain", &[("plain", "[]")]),
    ("tags", &[("tags", r#"["a", "a"]"#)]), ("tags", &[("tags", r#"["a", "b", "c", "d"]"#)]), ("tags", &[("tags", "[]")]),
    ("tags", &[("tags", "[1]")]), ("tags", &[("tags", "[null]")]), ("tags", &[("tags", r#""a""#)]), ("tags", &[("tags", "null")]),
    ("ports", &[("ports", r#"[{"name": "a", "number": 1}, {"name": "a", "number": 2}]"#)]),
    ("ports", &[("ports", r#"[{"name": "a"}, {"name": "a", "protocol": "TCP"}]"#)]),
    ("ports", &[("ports", r#"[{"name": "a"}, {"name": "a", "protocol": "SCTP"}]"#)]),
    ("ports", &[("ports", r#"[{"number": 1}]"#)]), ("ports", &[("ports", r#"[{"name": "x", "extra": 1}]"#)]),
    ("ports", &[("ports", r#"[{"name": "x", "number": 0}]"#)]), ("ports", &[("ports", "[]")]),
    ("ports", &[("ports", r#"["x"]"#)]),
    ("labels", &[("labels", r#"{"a": 1}"#)]), ("labels", &[("labels", r#"{"a": "b", "c": "d", "e": "f"}"#)]),
    ("labels", &[("labels", "{}")]), ("labels", &[("labels", r#"{"a": "b", "c": "d"}"#)]), ("labels", &[("labels", r#"{"a": null}"#)]),
    ("atomic-map", &[("atomicMap", r#"{"x": "1"}"#)]), ("atomic-map", &[("atomicMap", r#"{"y": 2, "z": 3}"#)]),
    ("matrix", &[("matrix", "[]")]), ("matrix", &[("matrix", r#"[["a"]]"#)]), ("matrix", &[("matrix", "[[1e300, -0.5]]")]),
    ("matrix", &[("matrix", "[1]")]),
    ("free", &[("free", r#"{"deep": {"er": [null, {"x": 1}]}}"#)]), ("free", &[("free", r#""string""#)]),
    ("free", &[("free", "{}")]),
    ("template", &[("template/apiVersion", "<remove>")]), ("template", &[("template/kind", r#""""#)]),
    ("template", &[("template/metadata/name", r#""Bad_Name""#)]),
    ("template", &[("template/metadata/labels", r#"{"bad key!": "v"}"#)]),
    ("template", &[("template/metadata/nme", r#""x""#)]), ("template", &[("template/extra", r#"{"a": 1}"#)]),
    ("template", &[("template", r#""cm""#)]), ("template", &[("template/metadata", "<remove>")]),
    ("template", &[("template/apiVersion", "1")]), ("template", &[("template/metadata/namespace", r#""Bad NS""#)]),
    ("date", &[("date", r#""2023-02-29""#)]), ("date", &[("date", r#""2024-1-1""#)]), ("date", &[("date", r#""2024-12-31""#)]),
    ("date", &[("date", r#""2024-02-29T00:00:00Z""#)]), ("date", &[("date", r#""""#)]),
    ("when", &[("when", r#""2024-01-02T03:04:05""#)]), ("when", &[("when", r#""2024-01-02 03:04:05Z""#)]),
    ("when", &[("when", r#""2024-01-02T03:04:05.123456789+01:00""#)]), ("when", &[("when", r#""2024-01-02t03:04:05z""#)]),
    ("when", &[("when", r#""yesterday""#)]), ("when", &[("when", r#""2024-01-02T03:04Z""#)]),
    ("when", &[("when", r#""2024-13-02T03:04:05Z""#)]), ("when", &[("when", r#""2024-01-02T03:04:05.1Z""#)]),
    ("uid", &[("uid", r#""123E4567E89B12D3A456426614174000""#)]), ("uid", &[("uid", r#""not-a-uuid""#)]),
    ("uid", &[("uid", r#""123e4567-e89b-12d3-a456-42661417400""#)]),
    ("ipv4", &[("ip4", r#""10.0.0.256""#)]), ("ipv4", &[("ip4", r#""010.0.0.1""#)]), ("ipv4", &[("ip4", r#""::ffff:1.2.3.4""#)]),
    ("ipv4", &[("ip4", r#""1.2.3""#)]),
    ("ipv6", &[("ip6", r#""10.0.0.1""#)]), ("ipv6", &[("ip6", r#""::1""#)]), ("ipv6", &[("ip6", r#""fe80:::1""#)]),
    ("ipv6", &[("ip6", r#""::ffff:1.2.3.4""#)]),
    ("cidr", &[("net", r#""10.0.0.1/8""#)]), ("cidr", &[("net", r#""10.0.0.0/33""#)]), ("cidr", &[("net", r#""10.0.0.0""#)]),
    ("cidr", &[("net", r#""fd00::/64""#)]), ("cidr", &[("net", r#""10.0.0.0/08""#)]),
    ("hostname", &[("host", r#""a-b-c""#)]), ("hostname", &[("host", r#""-a.com""#)]), ("hostname", &[("host", r#""a_b.com""#)]),
    ("hostname", &[("host", r#""localhost""#)]), ("hostname", &[("host", r#""ex.c""#)]), ("hostname", &[("host", r#""a-b.example.com""#)]),
    ("hostname", &[("host", r#""a.b--c""#)]), ("hostname", &[("host", r#""münchen.de""#)]), ("hostname", &[("host", r#""1.2.3.4""#)]),
    ("byte", &[("data", r#""not base64!""#)]), ("byte", &[("data", r#""""#)]), ("byte", &[("data", r#""YQ""#)]),
    ("byte", &[("data", r#""YQ==""#)]), ("byte", &[("data", r#""a-_b""#)]),
    ("duration", &[("dur", r#""3 days""#)]), ("duration", &[("dur", r#""1 fortnight""#)]), ("duration", &[("dur", r#""1.5h""#)]),
    ("duration", &[("dur", r#""-2m3s""#)]), ("duration", &[("dur", r#""5""#)]), ("duration", &[("dur", r#""2w""#)]),
    ("mac", &[("mac", r#""00:1a:2b:3c:4d""#)]), ("mac", &[("mac", r#""00-1A-2B-3C-4D-5E""#)]), ("mac", &[("mac", r#""001a.2b3c.4d5e""#)]),
    ("email", &[("mail", r#""not-an-email""#)]), ("email", &[("mail", r#""Ann <a@example.com>""#)]), ("email", &[("mail", r#""a@b""#)]),
    ("uri", &[("link", r#""relative""#)]), ("uri", &[("link", r#""/path""#)]), ("uri", &[("link", r#""mailto:a@b.c""#)]),
    ("hexcolor", &[("color", r#""red""#)]), ("hexcolor", &[("color", r##""#ffff""##)]), ("hexcolor", &[("color", r#""a0b0c0""#)]),
    ("k8s-short-name", &[("short", r#""Web""#)]), ("k8s-short-name", &[("short", r#""a.b""#)]),
    ("k8s-long-name", &[("long", r#""A.b""#)]), ("k8s-long-name", &[("long", r#""a..b""#)]),
    ("int32", &[("small", "5000000000")]), ("int32", &[("small", "-5")]),
    ("oneOf", &[("choice", r#"{"a": "x", "b": "y"}"#)]), ("oneOf", &[("choice", "{}")]), ("oneOf", &[("choice", r#"{"b": "y"}"#)]),
    ("anyOf", &[("either", r#""zz""#)]), ("anyOf", &[("either", r#""z""#)]), ("anyOf", &[("either", r#""x""#)]),
    ("not", &[("notBad", r#""bad""#)]), ("not", &[("notBad", r#""Bad""#)]),
    ("allOf", &[("both", "11")]), ("allOf", &[("both", "-1")]), ("allOf", &[("both", "0")]),
    ("defaults", &[("nested", "{}")]), ("defaults", &[("nested", r#"{"inner": 4}"#)]), ("defaults", &[("nested", r#"{"inner": null}"#)]),
    ("defaults", &[("nested", "<remove>")]), ("defaults", &[("nested", "null")]),
    ("flag", &[("flag", r#""true""#)]), ("flag", &[("flag", "0")]),
    ("unknown", &[("typo", "1")]), ("unknown", &[("/typo", "1")]), ("unknown", &[("/metadata/colour", r#""red""#)]),
    ("unknown", &[("/status", r#"{"anything": 1}"#)]), ("unknown", &[("/spec", "<remove>")]),
    ("metadata", &[("/metadata/name", r#""Bad_Name""#)]), ("metadata", &[("/metadata/name", r#""a.b""#)]),
    ("metadata", &[("/metadata/name", r#""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa""#)]),
    ("metadata", &[("/metadata/labels", r#"{"bad key!": "v"}"#)]), ("metadata", &[("/metadata/labels", r#"{"a": "bad value!"}"#)]),
    ("metadata", &[("/metadata/annotations", r#"{"-bad": "v"}"#)]), ("metadata", &[("/metadata/annotations", r#"{"example.com/ok": "any value!"}"#)]),
    ("metadata", &[("/metadata/name", r#""-a""#)]),
    ("version", &[("/apiVersion", r#""kp-schema.example.com/v2""#)]), ("kind", &[("/kind", r#""Gizmo""#)]),
    ("cel", &[("minV", "5"), ("maxV", "3")]), ("cel", &[("minV", "1"), ("maxV", "3")]), ("cel", &[("minV", "5")]),
    ("cel", &[("tags", r#"["abcd"]"#)]), ("cel", &[("tags", r#"["abc"]"#)]), ("cel", &[("celName", r#""abc""#)]),
    ("cel", &[("celName", r#""Abc""#)]), ("cel", &[("ratio", "0.95")]), ("cel", &[("ratio", "0.9")]),
    ("cel", &[("lbl", r#""abc""#)]), ("cel", &[("lbl", r#""ABC""#)]),
    ("cel-unsupported", &[("q", r#""1Mi""#)]), ("cel-unsupported", &[("q", r#""2Gi""#)]),
    // Two fields at once.
    ("combo", &[("size", "0"), ("name", r#""a""#)]), ("combo", &[("size", "5"), ("name", r#""abcd""#)]),
    ("combo", &[("mode", "<remove>"), ("nested", "<remove>"), ("port", r#""https""#)]),
];

/// Sets `value` at JSON pointer `path` in `v`, making objects on the way; `"<remove>"`
/// removes the field.
fn set(v: &mut Value, path: &str, value: &str) {
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    let (last, parents) = parts.split_last().expect("path");
    let mut here = v;
    for p in parents {
        here = here
            .as_object_mut()
            .expect("object on the path")
            .entry(*p)
            .or_insert_with(|| json!({}));
    }
    let map = here.as_object_mut().expect("object at the path");
    if value == "<remove>" {
        map.remove(*last);
    } else {
        map.insert(
            (*last).to_owned(),
            serde_json::from_str(value).unwrap_or_else(|e| panic!("{value}: {e}")),
        );
    }
}

fn mutant(mutation: &Mutation) -> Value {
    let mut v = base();
    for (path, value) in mutation.1 {
        let full = if path.starts_with('/') {
            (*path).to_owned()
        } else {
            format!("/spec/{path}")
        };
        set(&mut v, &full, value);
    }
    v
}

/// The apiserver's answer to a dry-run create with strict field validation.
async fn apiserver(client: &kube::Client, ns: &str, object: &Value) -> Result<(), String> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let url =
        format!("/apis/{api_version}/namespaces/{ns}/gadgets?dryRun=All&fieldValidation=Strict");
    let request = http::Request::post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(object).expect("json"))
        .expect("request");
    match client.request_text(request).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) => Err(format!("{} {}", s.code, s.message)),
        Err(e) => panic!("apiserver unreachable: {e}"),
    }
}

async fn install_crd(client: &kube::Client) -> CustomResourceDefinition {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd: CustomResourceDefinition = serde_json::from_value(crd_json()).expect("crd");
    if api.get_opt(CRD_NAME).await.expect("get crd").is_some() {
        let _ = api.delete(CRD_NAME, &DeleteParams::default()).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while api.get_opt(CRD_NAME).await.expect("get crd").is_some() {
            assert!(
                std::time::Instant::now() < deadline,
                "old CRD did not go away"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    api.create(&PostParams::default(), &crd)
        .await
        .unwrap_or_else(|e| panic!("create CRD: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let live = api.get(CRD_NAME).await.expect("get crd");
        let established = live
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| {
                c.iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
            });
        if established {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "CRD not established");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The discovery and the handler follow Established shortly; wait until a create of the
    // valid object is answered by the CRD's handler rather than a 404.
    crd
}

#[derive(Default)]
struct Row {
    both_accept: usize,
    both_reject: usize,
    false_accept: usize,
    false_reject: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crd_schema_agrees_with_the_apiserver() {
    let ns = apply_support::TestNs::new("crd-schema").await;
    let client = ns.client.clone();
    let crd = install_crd(&client).await;

    // The valid object first, until the new resource is served.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match apiserver(&client, &ns.name, &base()).await {
            Ok(()) => break,
            Err(e) if e.starts_with("404") && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("the valid object is refused: {e}"),
        }
    }
    let refused = kubeprint::check::validate_custom_object(&crd, &base());
    assert!(
        refused.is_empty(),
        "kubeprint refuses the valid object: {refused:?}"
    );

    let mut objects: Vec<(String, String, Value)> = vec![("base".into(), "valid".into(), base())];
    for m in MUTATIONS {
        let what =
            m.1.iter()
                .map(|(p, v)| format!("{p}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
        objects.push((m.0.to_owned(), what, mutant(m)));
    }
    // Pairs of single mutations (a fixed, spread-out choice): two faults, or a fault and a
    // harmless change, in one object.
    let n = MUTATIONS.len();
    for (i, first) in MUTATIONS.iter().enumerate() {
        let second = &MUTATIONS[(i * 7 + 3) % n];
        // Known differences are measured alone.
        if first.0 == second.0
            || KNOWN_DIFFERENCES.contains(&first.0)
            || KNOWN_DIFFERENCES.contains(&second.0)
            || second.1.iter().any(|(p, _)| p.starts_with('/'))
        {
            continue;
        }
        let mut v = mutant(first);
        for (path, value) in second.1 {
            let full = if path.starts_with('/') {
                (*path).to_owned()
            } else {
                format!("/spec/{path}")
            };
            set(&mut v, &full, value);
        }
        let what = format!("{:?} + {:?}", first.1, second.1);
        objects.push(("pair".into(), what, v));
    }

    let results: Vec<_> = futures::stream::iter(objects.into_iter().map(|(label, what, v)| {
        let client = client.clone();
        let ns = ns.name.clone();
        let crd = &crd;
        async move {
            let api = apiserver(&client, &ns, &v).await;
            let kp: Vec<(String, String)> = kubeprint::check::validate_custom_object(crd, &v)
                .into_iter()
                .map(|v| (v.path, v.message))
                .collect();
            (label, what, api, kp)
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;

    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut disagreements: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut path_agree = 0;
    let mut both_reject = 0;
    for (label, what, api, kp) in &results {
        let row = table.entry(label.clone()).or_default();
        match (api, kp.is_empty()) {
            (Ok(()), true) => row.both_accept += 1,
            (Err(message), false) => {
                row.both_reject += 1;
                both_reject += 1;
                if kp.iter().any(|(p, _)| {
                    let p = p.split('[').next().unwrap_or_default();
                    !p.is_empty() && message.contains(p)
                }) {
                    path_agree += 1;
                }
            }
            (Err(message), true) => {
                row.false_accept += 1;
                disagreements
                    .entry(label.clone())
                    .or_default()
                    .push(format!("FALSE ACCEPT {what}: apiserver: {message}"));
            }
            (Ok(()), false) => {
                row.false_reject += 1;
                disagreements
                    .entry(label.clone())
                    .or_default()
                    .push(format!("FALSE REJECT {what}: kubeprint: {kp:?}"));
            }
        }
    }
    println!(
        "\n{:<16} {:>7} {:>7} {:>7} {:>7}",
        "field", "both-ok", "both-no", "f-acc", "f-rej"
    );
    let mut sum = Row::default();
    for (k, r) in &table {
        println!(
            "{k:<16} {:>7} {:>7} {:>7} {:>7}",
            r.both_accept, r.both_reject, r.false_accept, r.false_reject
        );
        sum.both_accept += r.both_accept;
        sum.both_reject += r.both_reject;
        sum.false_accept += r.false_accept;
        sum.false_reject += r.false_reject;
    }
    let total = results.len();
    println!(
        "{:<16} {:>7} {:>7} {:>7} {:>7}",
        "total", sum.both_accept, sum.both_reject, sum.false_accept, sum.false_reject
    );
    println!(
        "\n{total} objects: {} agree ({} accepted, {} rejected by both), {} disagree; \
         field path named by the apiserver's message too: {path_agree}/{both_reject}",
        sum.both_accept + sum.both_reject,
        sum.both_accept,
        sum.both_reject,
        sum.false_accept + sum.false_reject
    );
    for (label, list) in &disagreements {
        println!("\n[{label}] ({}):", list.len());
        for l in list {
            println!("  {l}");
        }
    }
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let _ = api.delete(CRD_NAME, &DeleteParams::background()).await;

    let unexpected: Vec<_> = disagreements
        .keys()
        .filter(|k| !KNOWN_DIFFERENCES.contains(&k.as_str()))
        .collect();
    let gone: Vec<_> = KNOWN_DIFFERENCES
        .iter()
        .filter(|k| !disagreements.contains_key(**k))
        .collect();
    assert!(
        unexpected.is_empty(),
        "kubeprint and the apiserver disagree on: {unexpected:?}"
    );
    assert!(
        gone.is_empty(),
        "listed differences that agree now (remove them from KNOWN_DIFFERENCES): {gone:?}"
    );
    assert!(total >= 200, "only {total} objects");
}
