//! No input makes kubeprint panic (issue #13), and raw objects are decoded strictly.
//!
//! `no_panic_on_mutated_objects` is a bounded property test of the project's own (no fuzzing
//! crate): from every example's objects it makes random mutants — any node of the JSON replaced
//! by garbage (huge or malformed quantities, extreme numbers, odd strings, wrong types, another
//! node) — and runs each through `Object::from_json_value`, `Bundle::check`, `to_yaml` and
//! `to_json`, under `catch_unwind`. It runs for `KUBEPRINT_FUZZ_SECS` seconds (default 15),
//! from `KUBEPRINT_FUZZ_SEED` (default fixed, so CI is reproducible); a panic prints the
//! mutant and the seed that made it.

use kubeprint::prelude::*;
use kubeprint::{Cpu, Memory};
use serde_json::{Value, json};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

mod seeds;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const STRINGS: &[&str] = &[
    "",
    " ",
    "..",
    "../etc",
    "-1",
    "0",
    "-0",
    "1e99",
    "1E2147483647",
    "1e-2147483648",
    "1e2147483648",
    "17014118346046923173.168730371588410572e10",
    "99999999999999999999999999999999999999999Ei",
    "0.000000000000000000000000001",
    "1.5Gi",
    "100m",
    "+5",
    ".",
    "1.",
    ".5Mi",
    "Ki",
    "9223372036854775807",
    "-9223372036854775808",
    "a.b.c",
    "UPPER",
    "with space",
    "x:y",
    "http://",
    "ÿ",
    "🦀",
    "a/b/c",
    "*",
    "::1",
    "10.0.0.0/8",
    "10.0.0.1/8",
    "300.1.1.1",
    "Always",
    "IfNotPresent",
    "TCP",
    "UDP",
    "SCTP",
    "ClusterIP",
    "NodePort",
    "LoadBalancer",
    "None",
    "Local",
    "Indexed",
];

fn garbage(rng: &mut Rng, nodes: &[Value]) -> Value {
    match rng.below(12) {
        0..=3 => json!(rng.pick(STRINGS)),
        4 => json!(rng.pick(&[
            i64::MAX,
            i64::MIN,
            0,
            -1,
            1,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            65536
        ])),
        5 => json!(rng.pick(&[1e308, -1e308, 0.5, 1e-300])),
        6 => json!(rng.below(2) == 0),
        7 => Value::Null,
        8 => json!([]),
        9 => json!({}),
        10 => {
            let long = "a".repeat(rng.below(300));
            json!(long)
        }
        _ => rng.pick(nodes).clone(),
    }
}

/// Every node of `v` by JSON pointer.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn mutate(rng: &mut Rng, seed: &Value) -> Value {
    let mut v = seed.clone();
    for _ in 0..=rng.below(4) {
        let mut at = Vec::new();
        pointers(&v, String::new(), &mut at);
        // Keep apiVersion and kind (the others decode nothing), and the root.
        at.retain(|p| !p.is_empty() && p != "/apiVersion" && p != "/kind");
        if at.is_empty() {
            break;
        }
        let nodes: Vec<Value> = at
            .iter()
            .take(64)
            .filter_map(|p| v.pointer(p).cloned())
            .collect();
        let p = rng.pick(&at).clone();
        let new = garbage(rng, &nodes);
        if let Some(slot) = v.pointer_mut(&p) {
            *slot = new;
        }
    }
    v
}

fn run_one(seed: &seeds::Seed, mutant: &Value) {
    if let Ok(object) = Object::from_json_value(mutant.clone()) {
        let _ = object.validate();
        let mut b = seed.bundle.clone();
        b.objects_mut()[seed.index] = object.clone();
        let _ = b.check();
        let _ = b.to_yaml();
        let _ = b.to_json();
        let mut fresh = Bundle::new("fuzz");
        if fresh.add(object).is_ok() {
            let _ = fresh.check();
            let _ = fresh.to_yaml();
        }
    }
}

#[test]
fn no_panic_on_mutated_objects() {
    let secs: u64 = std::env::var("KUBEPRINT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let start_seed: u64 = std::env::var("KUBEPRINT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1313);
    let seeds = seeds::seeds();
    assert!(seeds.len() > 20, "{} seeds", seeds.len());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut rng = Rng(start_seed);
    let mut runs = 0u64;
    // Quiet the default hook: a caught panic is reported below, with its mutant.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    while Instant::now() < deadline && failure.is_none() {
        let state = rng.0;
        let seed = &seeds[rng.below(seeds.len())];
        let mutant = mutate(&mut rng, &seed.json);
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| run_one(seed, &mutant))) {
            let message = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failure = Some((state, message, mutant));
        }
        runs += 1;
    }
    std::panic::set_hook(hook);
    eprintln!("no_panic_on_mutated_objects: {runs} mutants in {secs} s");
    if let Some((state, message, mutant)) = failure {
        panic!(
            "panic {message:?} (rng state {state}) on\n{}",
            serde_json::to_string_pretty(&mutant).unwrap_or_default()
        );
    }
    assert!(runs > 100, "only {runs} mutants ran");
}

#[test]
fn no_panic_on_random_quantities() {
    let mut rng = Rng(42);
    let alphabet: Vec<char> = "0123456789.eE+-mkMGTPEKiun ".chars().collect();
    for _ in 0..200_000 {
        let len = rng.below(45);
        let s: String = (0..len).map(|_| *rng.pick(&alphabet)).collect();
        let _ = s.parse::<Memory>();
        let _ = s.parse::<Cpu>();
        // And through validation of a raw object, where the apiserver accepts any magnitude.
        if rng.below(50) == 0 {
            let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": s}}}});
            if let Ok(o) = Object::from_json_value(pvc) {
                let _ = o.validate();
            }
        }
    }
}

#[test]
fn the_cited_huge_storage_is_accepted_as_the_apiserver_does() {
    let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "17014118346046923173.168730371588410572e10"}}}});
    let o = Object::from_json_value(pvc).unwrap();
    o.validate().unwrap();
}

#[test]
fn strict_decoding_names_unknown_fields() {
    let e = Object::from_json_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "a", "image": "nginx"},
                    {"name": "b", "image": "nginx", "imagePullPolicy": "Always",
                     "ports": [{"containerPort": 80, "protcol": "TCP"}]}
                ]}},
            "replica": 3
        }
    }))
    .unwrap_err();
    let paths: Vec<&str> = e.violations().iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.replica",
            "spec.template.spec.containers[1].ports[0].protcol"
        ]
    );
    assert!(
        e.to_string()
            .contains(r#"deployment "web": spec.replica: unknown field"#)
    );
    // Known fields, nulls and labels (free-form keys) are fine.
    Object::from_json_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"any-key": "v"}, "namespace": null},
        "data": {"whatever": "x"}
    }))
    .unwrap();
    // Unknown kinds and wrong apiVersions are errors too.
    let e = Object::from_json_value(json!({"apiVersion": "v1", "kind": "Deployment",
        "metadata": {"name": "x"}}))
    .unwrap_err();
    assert!(
        e.to_string().contains("is not one kubeprint supports"),
        "{e}"
    );
    // A Secret that does not decode never shows its value.
    let e = Object::from_json_value(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s"}, "data": {"password": "hunter2-not-base64!"}}))
    .unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    // YAML streams: every document, strictly.
    let objects = Object::from_yaml_str(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
    )
    .unwrap();
    assert_eq!(objects.len(), 2);
    let e = Object::from_yaml_str(
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {prots: []}\n",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), r#"service "a": spec.prots: unknown field"#);
}

/// Object rules the differential test found missing (issue #13), offline: each case's error
/// names the field. (The differential test checks them against the apiserver.)
#[test]
fn object_rules_of_issue_13() {
    let svc = |spec: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": merge(json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}), spec)})
    };
    let job = |spec: Value| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
               "spec": merge(json!({"template": {"spec": {"restartPolicy": "Never",
                   "containers": [{"name": "c", "image": "busybox"}]}}}), spec)})
    };
    let cases = [
        (
            svc(json!({"ipFamilies": ["IPv4", "IPv4"]})),
            r#"spec.ipFamilies[1]: duplicate IP family "IPv4""#,
        ),
        (
            svc(json!({"externalIPs": ["0.0.0.0"]})),
            r#"spec.externalIPs[0]: "0.0.0.0" may not be unspecified"#,
        ),
        (
            svc(json!({"internalTrafficPolicy": "Bogus"})),
            "spec.internalTrafficPolicy",
        ),
        (
            svc(json!({"loadBalancerClass": "example.com/lb"})),
            "spec.loadBalancerClass: may only be set for LoadBalancer services",
        ),
        (
            svc(json!({"clusterIP": "10.0.0.5", "clusterIPs": ["10.0.0.6"]})),
            "spec.clusterIPs[0]",
        ),
        (
            job(json!({"completionMode": "Indexed", "completions": 2, "parallelism": 200_000})),
            "spec.parallelism: must be at most 100000",
        ),
        (
            job(json!({"maxFailedIndexes": 1})),
            "spec.maxFailedIndexes: may only be set together with backoffLimitPerIndex",
        ),
        (
            job(json!({"podReplacementPolicy": "Bogus"})),
            "spec.podReplacementPolicy",
        ),
        (
            job(json!({"successPolicy": {"rules": [{"succeededCount": 1}]}})),
            "spec.successPolicy: may only be set when completionMode is Indexed",
        ),
        (
            job(json!({"manualSelector": true})),
            "spec.selector: required when manualSelector is true",
        ),
        (
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a".repeat(64)},
                   "spec": {"template": {"spec": {"restartPolicy": "Never",
                       "containers": [{"name": "c", "image": "busybox"}]}}}}),
            "metadata.name: \"aaaa",
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"..a": "x"}}),
            r#"data["..a"]: "..a" must not start with "..""#,
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "generateName": "Bad_"}}),
            "metadata.generateName",
        ),
        (
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
                   "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]}}),
            r#"spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.1/8" has bits set beyond the prefix length"#,
        ),
        (
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"},
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                            "dataSource": {"kind": "PersistentVolumeClaim", "name": "a"},
                            "dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "b"}}}),
            "spec.dataSource: must match dataSourceRef",
        ),
    ];
    for (object, expected) in cases {
        let o = Object::from_json_value(object.clone()).unwrap_or_else(|e| panic!("{e}: {object}"));
        let e = o.validate().expect_err(expected).to_string();
        assert!(e.contains(expected), "{expected}\nnot in\n{e}");
    }
    // And what the apiserver defaults is accepted.
    for object in [
        svc(json!({"ports": [{"port": 80, "protocol": "", "name": "a-long-port-name-for-dns"}]})),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s",
               "annotations": {"Example.COM/Key": "v"}}, "type": ""}),
        job(json!({"completionMode": "Indexed"})),
    ] {
        let o = Object::from_json_value(object.clone()).unwrap();
        o.validate().unwrap_or_else(|e| panic!("{e}: {object}"));
    }
}

fn merge(mut base: Value, over: Value) -> Value {
    if let (Some(b), Value::Object(o)) = (base.as_object_mut(), over) {
        for (k, v) in o {
            b.insert(k, v);
        }
    }
    base
}
