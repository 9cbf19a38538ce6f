//! Live objects for `benches/plan.rs` when no cluster is at hand: a bundle's objects as the
//! apiserver (v1.37) returns them after kubeprint applied them — the apply body (namespace,
//! ApplySet member label) with what the server adds: `uid`, `resourceVersion`,
//! `creationTimestamp`, `generation`, `managedFields` (kubeprint's apply entry and, for
//! Deployments, the controller's status entry), defaulted fields (Deployment strategy, pod and
//! container defaults, probe defaults, port protocols, Service cluster IP and policies) and
//! `status`. Modelled on what the local control plane returns for the same objects
//! (`src/apply/testdata/live.json`).
#![allow(dead_code)]

use kubeprint::Bundle;
use kubeprint::apply::{LiveObjects, PART_OF_LABEL, applyset_id, parent_name};
use serde_json::{Map, Value, json};

const TIME: &str = "2026-01-01T00:00:00Z";

/// `bundle`'s objects as they are live in `namespace` after kubeprint applied them.
pub fn synthesise(bundle: &Bundle, namespace: &str) -> LiveObjects {
    let id = applyset_id(&parent_name(bundle.name()), namespace, "Secret", "");
    let mut live = LiveObjects::new();
    for (n, object) in bundle.objects().iter().enumerate() {
        let mut body = object.to_json_value().expect("renders");
        let meta = body["metadata"].as_object_mut().expect("metadata");
        if object.is_namespaced() {
            meta.insert("namespace".into(), json!(namespace));
        }
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        labels[PART_OF_LABEL] = json!(id);
        let applied = fields(&body, true);
        let mut v = body.clone();
        defaults(&mut v, n);
        let meta = v["metadata"].as_object_mut().expect("metadata");
        meta.insert(
            "uid".into(),
            json!(format!("00000000-0000-4000-8000-{n:012}")),
        );
        meta.insert("resourceVersion".into(), json!((1000 + n).to_string()));
        meta.insert("creationTimestamp".into(), json!(TIME));
        let mut managed = vec![json!({
            "apiVersion": object.api_version(), "fieldsType": "FieldsV1", "fieldsV1": applied,
            "manager": "kubeprint", "operation": "Apply", "time": TIME
        })];
        if object.kind() == "Deployment" {
            meta.insert("generation".into(), json!(1));
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            annotations["deployment.kubernetes.io/revision"] = json!("1");
            let status = fields(&v["status"], false);
            managed.push(json!({
                "apiVersion": "apps/v1", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}},
                             "f:status": status},
                "manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                "time": TIME
            }));
        }
        v["metadata"]["managedFields"] = Value::Array(managed);
        live.insert(v).expect("identified");
    }
    live
}

/// A `fieldsV1` tree of the fields `v` sets (list items of keyed lists as `k:{...}`).
fn fields(v: &Value, top: bool) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            if !top && m.is_empty() {
                return json!({});
            }
            for (k, x) in m {
                if top && matches!(k.as_str(), "apiVersion" | "kind") {
                    continue;
                }
                if top && k == "metadata" {
                    let mut meta = Map::new();
                    for section in ["labels", "annotations"] {
                        if let Some(s) = x.get(section).and_then(Value::as_object) {
                            let keys: Map<String, Value> =
                                s.keys().map(|k| (format!("f:{k}"), json!({}))).collect();
                            meta.insert(format!("f:{section}"), Value::Object(keys));
                        }
                    }
                    out.insert("f:metadata".into(), Value::Object(meta));
                    continue;
                }
                out.insert(format!("f:{k}"), fields(x, false));
            }
            Value::Object(out)
        }
        Value::Array(items)
            if items.iter().all(|i| i.get("name").is_some()) && !items.is_empty() =>
        {
            let mut out = Map::new();
            for i in items {
                let mut f = fields(i, false);
                f[".".to_owned()] = json!({});
                out.insert(format!("k:{}", json!({"name": i["name"]})), f);
            }
            Value::Object(out)
        }
        _ => json!({}),
    }
}

/// Sets `key` to `value` where unset.
fn default(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        m.entry(key).or_insert(value);
    }
}

fn ports_protocol(ports: Option<&mut Value>) {
    for p in ports.and_then(Value::as_array_mut).into_iter().flatten() {
        default(p, "protocol", json!("TCP"));
    }
}

/// What the apiserver and the controllers add to an object of the synthetic bundles.
fn defaults(v: &mut Value, n: usize) {
    match v["kind"].as_str().unwrap_or_default() {
        "Secret" => default(v, "type", json!("Opaque")),
        "Service" => {
            let ip = format!("10.96.{}.{}", n / 250, n % 250 + 1);
            let spec = &mut v["spec"];
            default(spec, "clusterIP", json!(ip));
            default(spec, "clusterIPs", json!([ip]));
            default(spec, "internalTrafficPolicy", json!("Cluster"));
            default(spec, "ipFamilies", json!(["IPv4"]));
            default(spec, "ipFamilyPolicy", json!("SingleStack"));
            default(spec, "sessionAffinity", json!("None"));
            default(spec, "type", json!("ClusterIP"));
            ports_protocol(spec.get_mut("ports"));
            v["status"] = json!({"loadBalancer": {}});
        }
        "Deployment" => {
            let replicas = v["spec"]["replicas"].clone();
            let spec = &mut v["spec"];
            default(spec, "progressDeadlineSeconds", json!(600));
            default(spec, "revisionHistoryLimit", json!(10));
            default(
                spec,
                "strategy",
                json!({"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}),
            );
            let pod = &mut spec["template"]["spec"];
            default(pod, "dnsPolicy", json!("ClusterFirst"));
            default(pod, "restartPolicy", json!("Always"));
            default(pod, "schedulerName", json!("default-scheduler"));
            default(pod, "terminationGracePeriodSeconds", json!(30));
            for c in pod["containers"].as_array_mut().into_iter().flatten() {
                default(c, "imagePullPolicy", json!("IfNotPresent"));
                default(c, "terminationMessagePath", json!("/dev/termination-log"));
                default(c, "terminationMessagePolicy", json!("File"));
                ports_protocol(c.get_mut("ports"));
                if let Some(probe) = c.get_mut("readinessProbe") {
                    default(probe, "failureThreshold", json!(3));
                    default(probe, "successThreshold", json!(1));
                    default(probe, "timeoutSeconds", json!(1));
                    if let Some(get) = probe.get_mut("httpGet") {
                        default(get, "scheme", json!("HTTP"));
                    }
                }
            }
            v["status"] = json!({
                "availableReplicas": replicas, "observedGeneration": 1, "readyReplicas": replicas,
                "replicas": replicas, "terminatingReplicas": 0, "updatedReplicas": replicas,
                "conditions": [
                    {"lastTransitionTime": TIME, "lastUpdateTime": TIME, "message": "Deployment has minimum availability.",
                     "reason": "MinimumReplicasAvailable", "status": "True", "type": "Available"},
                    {"lastTransitionTime": TIME, "lastUpdateTime": TIME,
                     "message": format!("ReplicaSet \"{}-5d8c7b9f6d\" has successfully progressed.", v["metadata"]["name"].as_str().unwrap_or_default()),
                     "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"}
                ]
            });
        }
        _ => {}
    }
}
