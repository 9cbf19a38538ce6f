//! Secret values never leave the apply client: not in plans, diffs, errors, events or logs
//! (asserted with a sentinel value), and "generate once" keys are never rotated silently.
//! Runs against the local control plane (`KUBEPRINT_TEST_KUBECONFIG`, never skipped). In its own
//! test binary so the log capture can be the process-wide subscriber.
#![cfg(feature = "client")]

mod apply_support;

use apply_support::{LogCapture, TestNs};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams};
use kubeprint::apply::{Error, Event};
use kubeprint::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("valid object")
}

fn recorder() -> (
    Arc<Mutex<Vec<Event>>>,
    impl Fn(&Event) + Send + Sync + 'static,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e2 = events.clone();
    (events, move |e: &Event| e2.lock().unwrap().push(e.clone()))
}

const SENTINEL: &str = "SENTINEL-7f3a9c2e-do-not-print";

#[tokio::test]
async fn secret_values_never_leak() {
    let logs = LogCapture::default();
    tracing::subscriber::set_global_default(logs.clone())
        .expect("the only subscriber of this test binary");
    let ns = TestNs::new("sentinel").await;
    let secret = |password: &str, generated: &str| -> Secret {
        from(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {"kubeprint.dev/generate-once": "root-password"}},
            "stringData": {"password": password, "root-password": generated}
        }))
    };
    let (events, record) = recorder();
    let applier = ns.applier().await.on_event(record);
    let mut seen = String::new();

    let v1 = Bundle::new("sentinel")
        .with(secret(SENTINEL, &format!("{SENTINEL}-root")))
        .unwrap();
    let plan = applier.plan(&v1).await.expect("plan");
    seen.push_str(&format!("{plan}\n{plan:?}\n"));
    assert!(plan.to_string().contains("<redacted>"), "{plan}");
    applier.apply(&v1).await.expect("apply");

    // A changed value shows as changed, without the value; the generate-once key keeps its live
    // value although the bundle generated a new one.
    let v2 = Bundle::new("sentinel")
        .with(secret(
            &format!("{SENTINEL}-2"),
            &format!("{SENTINEL}-root-rotated"),
        ))
        .unwrap();
    let plan = applier.plan(&v2).await.expect("plan v2");
    seen.push_str(&format!("{plan}\n{plan:?}\n"));
    let diff = &plan.item("Secret", "db").unwrap().diff;
    assert!(diff.contains("+  password: <redacted (changed)>"), "{diff}");
    assert!(
        !diff.contains("root-password: <redacted (changed)>"),
        "generate-once key unchanged: {diff}"
    );
    let report = applier
        .clone()
        .dry_run(true)
        .apply(&v2)
        .await
        .expect("dry run");
    seen.push_str(&format!("{report:?}\n"));
    applier.apply(&v2).await.expect("apply v2");
    let live = ns.api::<Secret>().get("db").await.unwrap();
    let data = live.data.unwrap();
    assert_eq!(
        data["root-password"].0,
        format!("{SENTINEL}-root").as_bytes(),
        "never rotated silently"
    );
    assert_eq!(data["password"].0, format!("{SENTINEL}-2").as_bytes());

    // Errors about the Secret: a conflict and an immutable-field change.
    let secrets: Api<Secret> = ns.api();
    let theirs = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "eC1vdGhlci14"}});
    secrets
        .patch(
            "db",
            &PatchParams::apply("intruder").force(),
            &Patch::Apply(&theirs),
        )
        .await
        .unwrap();
    let err = applier.apply(&v1).await.expect_err("conflict");
    seen.push_str(&format!("{err}\n{err:?}\n"));
    let mut typed = secret(SENTINEL, "whatever-value");
    typed.type_ = Some("kubernetes.io/basic-auth".into());
    typed
        .string_data
        .as_mut()
        .unwrap()
        .insert("username".into(), "admin".into());
    let err = applier
        .clone()
        .force(true)
        .apply(&Bundle::new("sentinel").with(typed).unwrap())
        .await
        .expect_err("immutable type");
    println!("{err}");
    assert!(matches!(err, Error::Immutable { .. }), "{err}");
    seen.push_str(&format!("{err}\n{err:?}\n"));

    for e in events.lock().unwrap().iter() {
        seen.push_str(&format!("{e}\n{e:?}\n"));
    }
    seen.push_str(&logs.text());
    assert!(
        logs.text().contains("applied"),
        "logs were captured: {}",
        logs.text().len()
    );
    assert!(!seen.contains(SENTINEL), "a secret value leaked:\n{seen}");
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(SENTINEL)
    };
    assert!(!seen.contains(&b64[..20]), "a base64 secret value leaked");
}
