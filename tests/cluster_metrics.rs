//! The blueprints' metrics on the local control plane, with the Prometheus Operator's own
//! ServiceMonitor CRD (fetched from the Go module proxy by `tools/cluster/crds.sh`; the path in
//! `KUBEPRINT_SERVICEMONITOR_CRD`, else the script is run). Needs `KUBEPRINT_TEST_KUBECONFIG`;
//! fails (never skips) without it.
//!
//! What is proven: the vendor CRD and a blueprint's ServiceMonitor apply from an empty cluster
//! in one step (the CRD first, waited for), the apiserver's strict field validation against the
//! real schema accepts every field kubeprint writes, the monitor selects exactly the metrics
//! Service, whose named port the EndpointSlice controller resolves to every pod's exporter; a
//! Prometheus refusing the monitor (its status, written as an operator does) fails the wait.
//! The exporters themselves run in `tests/scripts/exporters.test.sh`; no Prometheus runs here.
//! The CRD is cluster-wide: the tests apply it (idempotent) and leave it installed.
#![cfg(feature = "client")]

mod apply_support;

use apply_support::TestNs;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use kubeprint::apply::Error;
use kubeprint::blueprint::{Blueprint, Client, Metrics, MongoDb, MySql, ServiceMonitor};
use kubeprint::bundle::Bundle;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The ServiceMonitor CRD's YAML, as the Prometheus Operator release ships it.
fn service_monitor_crd() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBEPRINT_SERVICEMONITOR_CRD") {
        return PathBuf::from(path);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/cluster/crds.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .output()
        .expect("run tools/cluster/crds.sh");
    assert!(
        out.status.success(),
        "tools/cluster/crds.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(dir.lines().last().expect("a directory").trim()).join("servicemonitors.yaml")
}

fn monitors(ns: &TestNs) -> Api<DynamicObject> {
    let resource = ApiResource {
        group: "monitoring.coreos.com".into(),
        version: "v1".into(),
        api_version: "monitoring.coreos.com/v1".into(),
        kind: "ServiceMonitor".into(),
        plural: "servicemonitors".into(),
    };
    Api::namespaced_with(ns.client.clone(), &ns.name, &resource)
}

/// The vendor CRD and `blueprint`'s objects in one bundle.
fn with_crd(blueprint: &impl Blueprint) -> Bundle {
    let mut bundle = Bundle::new("metrics");
    bundle
        .import_file(service_monitor_crd())
        .expect("import the ServiceMonitor CRD");
    bundle
        .extend(blueprint.bundle().expect("bundle"))
        .expect("extend");
    bundle
}

fn monitor() -> ServiceMonitor {
    ServiceMonitor::builder()
        .interval(Duration::from_secs(15))
        .scrape_timeout(Duration::from_millis(2500))
        .labels([("release", "kube-prometheus-stack")])
        .build()
}

/// `selector.matchLabels` as a label selector string.
fn selector_of(monitor: &Value) -> String {
    monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("matchLabels")
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().expect("a label value")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Waits until the EndpointSlices of `service` list `pods` ready endpoints on port `port` named
/// `metrics`.
async fn wait_for_endpoints(ns: &TestNs, service: &str, pods: usize, port: i32) {
    let slices: Api<EndpointSlice> = ns.api();
    let lp = ListParams::default().labels(&format!("kubernetes.io/service-name={service}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = slices.list(&lp).await.expect("endpointslices");
        let mut ready = 0;
        let mut ports = Vec::new();
        for slice in &list.items {
            for p in slice.ports.iter().flatten() {
                ports.push((p.name.clone(), p.port));
            }
            ready += slice
                .endpoints
                .iter()
                .flatten()
                .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
                .count();
        }
        let named = ports
            .iter()
            .all(|(name, p)| name.as_deref() == Some("metrics") && *p == Some(port));
        if ready == pods && named && !ports.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "service {service}: {ready} of {pods} endpoints ready, ports {ports:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn service_monitor_and_its_crd_reach_every_exporter() {
    let ns = TestNs::restricted("metrics_monitor").await;
    let mongo = MongoDb::builder()
        .name("mongo")
        .metrics(
            Metrics::builder()
                .scraper(Client::namespace("monitoring"))
                .service_monitor(monitor())
                .build(),
        )
        .build();
    let bundle = with_crd(&mongo);
    // kubeprint's own judgement of the monitor against the vendor schema (the CRD is in the
    // bundle), before the apiserver's.
    bundle
        .check()
        .expect("the bundle passes kubeprint's checks");
    ns.applier()
        .await
        .timeout(Duration::from_secs(300))
        .object_timeout(Duration::from_secs(240))
        .apply(&bundle)
        .await
        .expect("apply the CRD and the blueprint in one step");

    let live = monitors(&ns)
        .get("mongo")
        .await
        .expect("the ServiceMonitor");
    let live = serde_json::to_value(&live).expect("json");
    assert_eq!(
        live["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    let endpoint = &live["spec"]["endpoints"][0];
    assert_eq!(endpoint["port"], "metrics");
    assert_eq!(endpoint["interval"], "15s");
    assert_eq!(endpoint["scrapeTimeout"], "2500ms");

    // The monitor selects exactly the metrics Service, which has the port it names.
    let services: Api<Service> = ns.api();
    let selected = services
        .list(&ListParams::default().labels(&selector_of(&live)))
        .await
        .expect("services");
    let names: Vec<_> = selected
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect();
    assert_eq!(names, ["mongo-metrics"]);
    let ports = selected.items[0]
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    assert!(
        ports.iter().any(|p| p.name.as_deref() == Some("metrics")),
        "{ports:?}"
    );
    // Every member's exporter is a target: three ready endpoints on the exporter's port.
    wait_for_endpoints(
        &ns,
        "mongo-metrics",
        3,
        kubeprint::blueprint::mongodb::METRICS_PORT,
    )
    .await;
}

#[tokio::test]
async fn a_service_monitor_prometheus_refuses_fails_the_wait() {
    let ns = TestNs::restricted("metrics_refused").await;
    let db = MySql::builder()
        .name("db")
        .metrics(Metrics::builder().service_monitor(monitor()).build())
        .build();
    let bundle = with_crd(&db);
    let applier = ns
        .applier()
        .await
        .timeout(Duration::from_secs(300))
        .object_timeout(Duration::from_secs(240));
    applier.apply(&bundle).await.expect("apply");
    applier
        .wait_ready(&bundle)
        .await
        .expect("ready without an operator writing status");

    // A Prometheus Operator with status reporting on binds the monitor and refuses it.
    let status = json!({"status": {"bindings": [{
        "group": "monitoring.coreos.com", "resource": "prometheuses",
        "namespace": "monitoring", "name": "k8s",
        "conditions": [{"type": "Accepted", "status": "False",
            "lastTransitionTime": "2026-12-04T00:00:00Z",
            "reason": "InvalidConfiguration", "message": "the scrape timeout is too long"}]}]}});
    monitors(&ns)
        .patch_status(
            "db",
            &PatchParams::apply("test-operator").force(),
            &Patch::Apply(json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "status": status["status"],
            })),
        )
        .await
        .expect("write the operator's status");
    let e = applier
        .wait_ready(&bundle)
        .await
        .expect_err("a refused monitor is not ready");
    let text = e.to_string();
    assert!(
        matches!(
            e,
            Error::NotReady {
                timed_out: false,
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("prometheuses monitoring/k8s does not accept it: InvalidConfiguration"),
        "{text}"
    );
}
