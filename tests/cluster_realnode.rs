//! Pods that really run: the local control plane's one real node (`tools/cluster/node-up.sh`,
//! joined by `up.sh` when `KUBEPRINT_REAL_NODE=1`, as `tools/test-all.sh` does). Containers start
//! under runc, probes run, volumes are mounted, Services route through kube-proxy and names
//! resolve through CoreDNS. Fails (never skips) without the cluster or without its real node.
//!
//! Each test's namespace opts in to the node (it is tainted `kubeprint.dev/real-node=true:
//! NoSchedule`): the apiserver's PodNodeSelector and PodTolerationRestriction admission plugins
//! give every pod of an annotated namespace the node selector and the toleration, so the
//! blueprints' pods are exactly what the blueprints build. Images are the local stand-ins of
//! `tools/cluster/node-images.sh` (`kubeprint.local/...`, never pulled); claims use the node's
//! local volumes (storage class `kubeprint-real-node`).
#![cfg(feature = "client")]

mod apply_support;

use apply_support::TestNs;
use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kubeprint::apply::Error as ApplyError;
use kubeprint::blueprint::{
    Blueprint, Ghost, GhostOwner, MySql, Parse, ParseDatabase, Persistence, Redis, SecretKeyRef,
    Sentinel,
};
use kubeprint::bundle::Bundle;
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

const NODE_LABEL: &str = "kubeprint.dev/real-node";
const STORAGE_CLASS: &str = "kubeprint-real-node";
const BUSYBOX: &str = "kubeprint.local/busybox:1";
const REDIS: &str = "kubeprint.local/redis:7";
const MARIADB: &str = "kubeprint.local/mariadb:10.11";
const PARSE: &str = "kubeprint.local/parse-server:8.6.26";
const FERRETDB: &str = "kubeprint.local/ferretdb:1";
const GHOST: &str = "kubeprint.local/ghost:6.36.0";

/// The real node: exactly one Ready node labelled for it, tainted. Fails the test otherwise.
async fn real_node(client: &kube::Client) -> String {
    let nodes: Api<Node> = Api::all(client.clone());
    let list = nodes
        .list(&ListParams::default().labels(&format!("{NODE_LABEL}=true")))
        .await
        .expect("list nodes");
    assert_eq!(
        list.items.len(),
        1,
        "the cluster has no real node (start it with KUBEPRINT_REAL_NODE=1 tools/cluster/up.sh)"
    );
    let node = &list.items[0];
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    assert!(ready, "the real node is not Ready");
    let tainted = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|t| {
            t.iter()
                .any(|t| t.key == NODE_LABEL && t.effect == "NoSchedule")
        });
    assert!(tainted, "the real node is not tainted {NODE_LABEL}");
    node.metadata.name.clone().expect("node name")
}

/// A namespace whose pods all go to the real node, enforcing Pod Security *restricted*.
async fn real_ns(test: &str) -> (TestNs, String) {
    let ns = TestNs::reserve(&format!("real-{test}")).await;
    let node = real_node(&ns.client).await;
    let object: Namespace = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {
            "name": ns.name,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
            "annotations": {
                "scheduler.alpha.kubernetes.io/node-selector": format!("{NODE_LABEL}=true"),
                "scheduler.alpha.kubernetes.io/defaultTolerations": json!([{
                    "key": NODE_LABEL, "operator": "Equal", "value": "true", "effect": "NoSchedule"
                }]).to_string(),
            },
        },
    }))
    .expect("namespace");
    Api::<Namespace>::all(ns.client.clone())
        .create(&PostParams::default(), &object)
        .await
        .expect("create namespace");
    (ns, node)
}

/// `kubectl` of the test cluster (`KUBEPRINT_CLUSTER_BIN`), for `exec`: its stdout, stderr and
/// whether it succeeded. kube-rs is built without websocket support here.
fn kubectl(args: &[&str]) -> (bool, String, String) {
    let bin = std::env::var("KUBEPRINT_CLUSTER_BIN")
        .expect("KUBEPRINT_CLUSTER_BIN is not set (source <cluster state>/env)");
    let out = Command::new(format!("{bin}/kubectl"))
        .arg("--kubeconfig")
        .arg(apply_support::kubeconfig())
        .arg("--request-timeout=60s")
        .args(args)
        .output()
        .expect("run kubectl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kubectl exec` into a container; returns (success, stdout, stderr).
fn exec(ns: &TestNs, pod: &str, container: &str, script: &str) -> (bool, String, String) {
    kubectl(&[
        "-n", &ns.name, "exec", pod, "-c", container, "--", "sh", "-c", script,
    ])
}

/// Like `exec`, failing the test unless the command succeeds; its stdout, trimmed.
fn exec_ok(ns: &TestNs, pod: &str, container: &str, script: &str) -> String {
    let (ok, out, err) = exec(ns, pod, container, script);
    assert!(ok, "exec {pod}/{container} `{script}` failed: {out}{err}");
    out.trim().to_owned()
}

/// Polls `check` every 250 ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn container_status<'a>(
    pod: &'a Pod,
    name: &str,
) -> Option<&'a k8s_openapi::api::core::v1::ContainerStatus> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == name)
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

async fn wait_pod_ready(ns: &TestNs, name: &str, limit: Duration) -> Pod {
    let api: Api<Pod> = ns.api();
    eventually(&format!("pod {name} ready"), limit, || {
        let api = api.clone();
        async move { api.get_opt(name).await.ok().flatten().filter(pod_ready) }
    })
    .await
}

/// The restricted container security context (non-root UID, read-only root, nothing extra).
fn restricted(uid: i64) -> serde_json::Value {
    json!({
        "runAsNonRoot": true, "runAsUser": uid, "runAsGroup": uid,
        "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}
    })
}

fn pod(name: &str, spec: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": spec,
    }))
    .expect("pod")
}

/// Claims of the real node's storage class.
fn node_storage() -> Persistence {
    Persistence::builder()
        .size("1Gi")
        .storage_class(STORAGE_CLASS)
        .build()
}

/// Pod `client` (container `c`, restricted, as `uid`) running `image` idle, with env `var`
/// from `secret`; returns once it is ready. The tests run their clients in it (redis-cli,
/// Node's fetch).
async fn client_pod(ns: &TestNs, image: &str, uid: i64, var: &str, secret: &SecretKeyRef) {
    ns.api::<Pod>()
        .create(
            &PostParams::default(),
            &pod(
                "client",
                json!({
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "c", "image": image, "command": ["sleep", "3600"],
                        "env": [{"name": var, "valueFrom": {"secretKeyRef": {
                            "name": secret.secret, "key": secret.key}}}],
                        "securityContext": restricted(uid),
                    }],
                }),
            ),
        )
        .await
        .expect("client pod");
    wait_pod_ready(ns, "client", Duration::from_secs(60)).await;
}

/// Applies `bundle` and waits until every object is ready (each object may take all but the
/// last 20 s of `limit`); prints how long it took.
async fn apply_ready(ns: &TestNs, bundle: &Bundle, what: &str, limit: Duration) {
    let started = Instant::now();
    ns.applier()
        .await
        .timeout(limit)
        .object_timeout(limit.saturating_sub(Duration::from_secs(20)))
        .apply(bundle)
        .await
        .unwrap_or_else(|e| panic!("apply {what}: {e}"));
    eprintln!("{what} applied and ready in {:?}", started.elapsed());
}

/// Deletes a pod and waits until its replacement (same name, new UID) is ready.
async fn delete_and_wait_replaced(ns: &TestNs, name: &str, limit: Duration) -> Pod {
    let api: Api<Pod> = ns.api();
    let old = api.get(name).await.expect("pod").metadata.uid;
    api.delete(name, &DeleteParams::default())
        .await
        .expect("delete pod");
    eventually(&format!("pod {name} replaced and ready"), limit, || {
        let api = api.clone();
        let old = old.clone();
        async move {
            api.get_opt(name)
                .await
                .ok()
                .flatten()
                .filter(|p| p.metadata.uid != old && pod_ready(p))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_restricted_pod_has_read_only_root_and_its_uid() {
    let (ns, node) = real_ns("restricted").await;
    let started = Instant::now();
    ns.api::<Pod>()
        .create(
            &PostParams::default(),
            &pod(
                "locked",
                json!({
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "c", "image": BUSYBOX, "imagePullPolicy": "IfNotPresent",
                        "command": ["sleep", "3600"],
                        "securityContext": restricted(4321),
                    }],
                }),
            ),
        )
        .await
        .expect("create pod");
    let live = wait_pod_ready(&ns, "locked", Duration::from_secs(60)).await;
    eprintln!("pod start (create -> Ready): {:?}", started.elapsed());
    assert_eq!(
        live.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some(node.as_str()),
        "the pod runs on the real node"
    );
    assert_eq!(exec_ok(&ns, "locked", "c", "id -u; id -g"), "4321\n4321");
    let (ok, out, err) = exec(&ns, "locked", "c", "echo x >/written-to-root");
    assert!(!ok, "writing to the root filesystem succeeded: {out}");
    assert!(
        err.contains("Read-only file system"),
        "expected EROFS, got: {err}"
    );
    // No capabilities at all, effective or bounding; no privilege escalation.
    let status = exec_ok(
        &ns,
        "locked",
        "c",
        "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status",
    );
    assert!(status.contains("CapEff:\t0000000000000000"), "{status}");
    assert!(status.contains("CapBnd:\t0000000000000000"), "{status}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    assert!(
        status.contains("Seccomp:\t2"),
        "seccomp filter mode: {status}"
    );
    // The pod network: routes to the pod and service networks only, no default route.
    let routes = exec_ok(&ns, "locked", "c", "ip route");
    assert!(
        !routes.contains("default"),
        "a default route in the pod: {routes}"
    );
    assert!(routes.contains("10.96.0.0/16"), "{routes}");
    // Cluster DNS through the kube-dns Service.
    let dns = exec_ok(
        &ns,
        "locked",
        "c",
        "nslookup kubernetes.default.svc.cluster.local",
    );
    assert!(dns.contains("10.96.0.1"), "{dns}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_probes_gate_readiness_and_restart() {
    let (ns, _) = real_ns("probes").await;
    let www = json!({"name": "www", "mountPath": "/www"});
    let tmp = json!({"name": "tmp", "mountPath": "/tmp"});
    let spec = json!({
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}, "fsGroup": 2000},
        "volumes": [{"name": "www", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
        "containers": [
            {
                // exec probe: ready while /tmp/ready exists
                "name": "exec", "image": BUSYBOX, "command": ["sleep", "3600"],
                "securityContext": restricted(2000), "volumeMounts": [tmp.clone()],
                "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/ready"]},
                                   "periodSeconds": 1, "failureThreshold": 1},
            },
            {
                // HTTP probes: ready on /ready, alive on /alive (busybox httpd serving /www)
                "name": "http", "image": BUSYBOX,
                "command": ["sh", "-c", "echo ok >/www/alive && exec httpd -f -p 8080 -h /www"],
                "securityContext": restricted(2000), "volumeMounts": [www.clone()],
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080},
                                   "periodSeconds": 1, "failureThreshold": 1},
                "livenessProbe": {"httpGet": {"path": "/alive", "port": 8080},
                                  "periodSeconds": 1, "failureThreshold": 2},
            },
            {
                // TCP probe: the port opens only once /tmp/listen exists
                "name": "tcp", "image": BUSYBOX,
                "command": ["sh", "-c",
                    "while [ ! -f /tmp/listen ]; do sleep 0.2; done; exec httpd -f -p 9090 -h /tmp"],
                "securityContext": restricted(2000), "volumeMounts": [tmp],
                "readinessProbe": {"tcpSocket": {"port": 9090}, "periodSeconds": 1, "failureThreshold": 1},
            },
        ],
    });
    let api: Api<Pod> = ns.api();
    api.create(&PostParams::default(), &pod("probed", spec))
        .await
        .expect("create pod");
    let ready_of = |c: &'static str| {
        let api = api.clone();
        move || {
            let api = api.clone();
            async move {
                let p = api.get("probed").await.ok()?;
                let s = container_status(&p, c)?;
                Some((s.started == Some(true), s.ready, s.restart_count))
            }
        }
    };
    // All three run, none is ready yet; the pod is not ready.
    for c in ["exec", "http", "tcp"] {
        eventually(
            &format!("container {c} started"),
            Duration::from_secs(60),
            || {
                let f = ready_of(c);
                async move { f().await.filter(|(started, _, _)| *started) }
            },
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let p = api.get("probed").await.expect("pod");
    for c in ["exec", "http", "tcp"] {
        assert!(
            !container_status(&p, c).expect("status").ready,
            "{c} is ready before its probe can pass"
        );
    }
    assert!(!pod_ready(&p));

    // Each probe passes once its condition holds, and only that container becomes ready.
    exec_ok(&ns, "probed", "exec", "touch /tmp/ready");
    eventually("exec probe passes", Duration::from_secs(20), || {
        let f = ready_of("exec");
        async move { f().await.filter(|(_, ready, _)| *ready) }
    })
    .await;
    assert!(
        !container_status(&api.get("probed").await.expect("pod"), "http")
            .expect("http")
            .ready
    );
    exec_ok(&ns, "probed", "http", "echo ok >/www/ready");
    eventually("HTTP probe passes", Duration::from_secs(20), || {
        let f = ready_of("http");
        async move { f().await.filter(|(_, ready, _)| *ready) }
    })
    .await;
    exec_ok(&ns, "probed", "tcp", "touch /tmp/listen");
    eventually("TCP probe passes", Duration::from_secs(20), || {
        let f = ready_of("tcp");
        async move { f().await.filter(|(_, ready, _)| *ready) }
    })
    .await;
    wait_pod_ready(&ns, "probed", Duration::from_secs(20)).await;

    // Readiness is withdrawn when the exec probe fails again; the container is not restarted.
    exec_ok(&ns, "probed", "exec", "rm /tmp/ready");
    eventually("exec probe fails again", Duration::from_secs(20), || {
        let f = ready_of("exec");
        async move {
            f().await
                .filter(|(_, ready, restarts)| !*ready && *restarts == 0)
        }
    })
    .await;

    // A failing liveness probe restarts the container (its start re-creates /www/alive).
    exec_ok(&ns, "probed", "http", "rm /www/alive");
    let (_, _, restarts) = eventually("liveness restarts http", Duration::from_secs(60), || {
        let f = ready_of("http");
        async move { f().await.filter(|(_, _, restarts)| *restarts >= 1) }
    })
    .await;
    assert_eq!(restarts, 1);
    let p = api.get("probed").await.expect("pod");
    let last = container_status(&p, "http")
        .and_then(|s| s.last_state.as_ref())
        .and_then(|s| s.terminated.as_ref())
        .map(|t| t.exit_code);
    assert!(
        last.is_some(),
        "the restarted container has no terminated state"
    );
}

/// Deployment `crasher`: one container that prints, sleeps a second and exits 3; with a
/// readiness probe that never passes when `probe`.
fn crasher(probe: bool) -> Bundle {
    let mut container = json!({
        "name": "app", "image": BUSYBOX,
        "command": ["sh", "-c", "echo starting; sleep 1; exit 3"],
        "securityContext": restricted(1000),
    });
    if probe {
        container["readinessProbe"] =
            json!({"exec": {"command": ["test", "-f", "/tmp/never"]}, "periodSeconds": 1});
    }
    let deployment: k8s_openapi::api::apps::v1::Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "crasher"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "crasher"}},
            "template": {
                "metadata": {"labels": {"app": "crasher"}},
                "spec": {
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                },
            },
        },
    }))
    .expect("deployment");
    let mut bundle = Bundle::new("crasher");
    bundle.add(deployment).expect("add");
    bundle
}

/// Applies [`crasher`] and checks that the applier reports it failed in CrashLoopBackOff, on
/// the real back-off, well before the timeout; returns the namespace.
async fn assert_crash_loop_reported(test: &str, probe: bool) -> TestNs {
    let (ns, _) = real_ns(test).await;
    let started = Instant::now();
    let err = ns
        .applier()
        .await
        .timeout(Duration::from_secs(150))
        .object_timeout(Duration::from_secs(120))
        .apply(&crasher(probe))
        .await
        .expect_err("a crash-looping Deployment is not ready");
    eprintln!("applier gave up after {:?}: {err}", started.elapsed());
    let ApplyError::NotReady { objects, .. } = &err else {
        panic!("expected NotReady, got {err}");
    };
    let crasher = objects
        .iter()
        .find(|o| o.object.to_string().contains("crasher"))
        .unwrap_or_else(|| panic!("crasher not reported: {err}"));
    assert!(crasher.failed, "reported as failed, not as slow: {err}");
    assert!(
        crasher.pods.iter().any(|p| p.contains("CrashLoopBackOff")),
        "CrashLoopBackOff not reported: {err}"
    );
    // Failed fast on the real back-off, well before the timeout.
    assert!(
        started.elapsed() < Duration::from_secs(110),
        "{:?}",
        started.elapsed()
    );
    ns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_applier_reports_a_real_crash_loop() {
    let ns = assert_crash_loop_reported("crashloop", true).await;
    // The container really ran: its output is in the log.
    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels("app=crasher"))
        .await
        .expect("pods");
    let name = pods.items[0].metadata.name.clone().expect("name");
    let (ok, log, _) = kubectl(&["-n", &ns.name, "logs", &name, "--previous"]);
    assert!(
        ok && log.contains("starting"),
        "log of the crashed container: {log}"
    );
}

/// Without a readiness probe the container is ready while it runs, and the Deployment is
/// available for that second: the applier's settle window (default 5 s) keeps it from
/// reporting success then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_crash_right_after_start_without_a_probe_is_not_ready() {
    assert_crash_loop_reported("crash-noprobe", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_redis_standalone_serves_and_keeps_data() {
    let (ns, _) = real_ns("redis").await;
    let redis = Redis::builder()
        .name("cache")
        .image(REDIS)
        .storage(node_storage())
        .build();
    let bundle = redis.bundle().expect("bundle");
    apply_ready(&ns, &bundle, "redis standalone", Duration::from_secs(180)).await;
    assert_eq!(
        exec_ok(
            &ns,
            "cache-0",
            "redis",
            "id -u; redis-cli --no-auth-warning SET greeting hello"
        ),
        "999\nOK"
    );
    // Through the client Service (kube-proxy) and its DNS name, from another pod.
    client_pod(
        &ns,
        REDIS,
        999,
        "REDISCLI_AUTH",
        &SecretKeyRef::new("cache", "password"),
    )
    .await;
    let out = exec_ok(
        &ns,
        "client",
        "c",
        "redis-cli --no-auth-warning -h cache -p 6379 GET greeting",
    );
    assert_eq!(out, "hello");
    // The append-only file is on the claim; the data survives the pod.
    exec_ok(
        &ns,
        "cache-0",
        "redis",
        "redis-cli --no-auth-warning BGREWRITEAOF >/dev/null; sleep 2",
    );
    delete_and_wait_replaced(&ns, "cache-0", Duration::from_secs(120)).await;
    assert_eq!(
        exec_ok(
            &ns,
            "cache-0",
            "redis",
            "redis-cli --no-auth-warning GET greeting"
        ),
        "hello"
    );
    let claim = ns
        .api::<PersistentVolumeClaim>()
        .get("data-cache-0")
        .await
        .expect("claim");
    assert_eq!(
        claim.spec.and_then(|s| s.storage_class_name).as_deref(),
        Some(STORAGE_CLASS)
    );
}

/// The master's host name, as the Sentinel in `pod` sees it.
fn sentinel_master(ns: &TestNs, pod: &str) -> Option<String> {
    let (ok, out, _) = exec(
        ns,
        pod,
        "sentinel",
        "redis-cli --no-auth-warning -p 26379 SENTINEL get-master-addr-by-name mymaster",
    );
    ok.then(|| out.lines().next().unwrap_or_default().trim().to_owned())
        .filter(|m| !m.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_redis_sentinel_fails_over_and_keeps_data() {
    let (ns, _) = real_ns("sentinel").await;
    let redis = Redis::builder()
        .name("sessions")
        .image(REDIS)
        .sentinel(
            Sentinel::builder()
                .down_after_ms(2_000)
                .failover_timeout_ms(5_000)
                .build(),
        )
        .storage(node_storage())
        .build();
    let bundle = redis.bundle().expect("bundle");
    apply_ready(
        &ns,
        &bundle,
        "redis sentinel (3 pods)",
        Duration::from_secs(300),
    )
    .await;
    let master = sentinel_master(&ns, "sessions-1").expect("a master");
    assert!(
        master.starts_with("sessions-0."),
        "initial master: {master}"
    );
    assert!(
        exec_ok(
            &ns,
            "sessions-0",
            "redis",
            "redis-cli --no-auth-warning ROLE | head -1"
        ) == "master"
    );
    exec_ok(
        &ns,
        "sessions-0",
        "redis",
        "redis-cli --no-auth-warning SET session abc >/dev/null && redis-cli --no-auth-warning WAIT 2 5000",
    );
    for replica in ["sessions-1", "sessions-2"] {
        assert_eq!(
            exec_ok(
                &ns,
                replica,
                "redis",
                "redis-cli --no-auth-warning GET session"
            ),
            "abc",
            "replicated to {replica}"
        );
    }

    // Delete the master pod: the Sentinels elect a replica, which keeps the data.
    let failover = Instant::now();
    ns.api::<Pod>()
        .delete("sessions-0", &DeleteParams::default())
        .await
        .expect("delete master");
    let new_master = eventually("a new master", Duration::from_secs(90), || {
        let ns = &ns;
        async move { sentinel_master(ns, "sessions-1").filter(|m| !m.starts_with("sessions-0.")) }
    })
    .await;
    eprintln!("failover to {new_master} after {:?}", failover.elapsed());
    let new_pod = new_master.split('.').next().expect("pod name").to_owned();
    assert_eq!(
        exec_ok(
            &ns,
            &new_pod,
            "redis",
            "redis-cli --no-auth-warning ROLE | head -1"
        ),
        "master"
    );
    assert_eq!(
        exec_ok(
            &ns,
            &new_pod,
            "redis",
            "redis-cli --no-auth-warning GET session"
        ),
        "abc"
    );
    exec_ok(
        &ns,
        &new_pod,
        "redis",
        "redis-cli --no-auth-warning SET after failover >/dev/null",
    );

    // The old master comes back as a replica of the new one, with the data.
    wait_pod_ready(&ns, "sessions-0", Duration::from_secs(120)).await;
    let role = eventually("sessions-0 rejoins as a replica", Duration::from_secs(60), || {
        let ns = &ns;
        async move {
            let (ok, out, _) = exec(
                ns,
                "sessions-0",
                "redis",
                "redis-cli --no-auth-warning ROLE | head -1; redis-cli --no-auth-warning GET after",
            );
            (ok && out.trim() == "slave\nfailover").then_some(out)
        }
    })
    .await;
    assert!(role.starts_with("slave"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_mysql_initialises_serves_and_keeps_data() {
    let (ns, _) = real_ns("mysql").await;
    let db = MySql::builder()
        .name("db")
        .image(MARIADB)
        .database("shop")
        .user("shop")
        .storage(node_storage())
        .build();
    let bundle = db.bundle().expect("bundle");
    // Ready means the blueprint's startup probe (mysqladmin ping) and readiness probe (an
    // authenticated SELECT 1 as root, with the generated password) passed for real.
    apply_ready(
        &ns,
        &bundle,
        "mysql (mariadb stand-in)",
        Duration::from_secs(400),
    )
    .await;

    let root =
        "mariadb -uroot -p\"$(cat /etc/mysql-secret/root-password)\" --batch --skip-column-names";
    assert_eq!(exec_ok(&ns, "db-0", "mysql", "id -u"), "999");
    // The application user got the generated password and the database; it logs in over TCP.
    exec_ok(
        &ns,
        "db-0",
        "mysql",
        "mariadb -h 127.0.0.1 -ushop -p\"$(cat /etc/mysql-secret/password)\" shop \
         -e 'CREATE TABLE t (x INT); INSERT INTO t VALUES (42)'",
    );
    // Root exists only for localhost (MYSQL_ROOT_HOST=localhost); the generated password works.
    assert_eq!(
        exec_ok(
            &ns,
            "db-0",
            "mysql",
            &format!("{root} -e \"SELECT host FROM mysql.user WHERE user='root'\"")
        ),
        "localhost"
    );
    assert_eq!(
        exec_ok(
            &ns,
            "db-0",
            "mysql",
            &format!("{root} -e 'SHOW GRANTS FOR shop' | grep -c shop")
        ),
        "2"
    );
    let (ok, _, _) = exec(&ns, "db-0", "mysql", "mariadb -uroot -pwrong -e 'SELECT 1'");
    assert!(!ok, "root logs in with a wrong password");
    // The kubeprint.cnf of the ConfigMap (conf.d) is in effect.
    assert_eq!(
        exec_ok(
            &ns,
            "db-0",
            "mysql",
            &format!("{root} -e 'SELECT @@skip_name_resolve'")
        ),
        "1"
    );

    // The data directory is the claim's `mysql` sub-directory: it survives the pod, and the
    // entrypoint does not initialise it again.
    delete_and_wait_replaced(&ns, "db-0", Duration::from_secs(240)).await;
    assert_eq!(
        exec_ok(
            &ns,
            "db-0",
            "mysql",
            "mariadb -h 127.0.0.1 -ushop -p\"$(cat /etc/mysql-secret/password)\" shop \
             --batch --skip-column-names -e 'SELECT x FROM t'",
        ),
        "42"
    );
    let (ok, log, _) = kubectl(&["-n", &ns.name, "logs", "db-0", "-c", "mysql"]);
    assert!(
        ok && log.contains("skipping initialization"),
        "second start: {log}"
    );
}

/// One HTTP request with Node's `fetch`, run in `container` of `pod` (the Parse image has no
/// curl): `(status, body)`. A header value `env:NAME` is the container's variable NAME, so
/// no key ever appears in a command line.
fn node_fetch(
    ns: &TestNs,
    pod: &str,
    container: &str,
    method: &str,
    url: &str,
    headers: serde_json::Value,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    const JS: &str = r#"
const a = JSON.parse(process.argv[1]);
const h = {};
for (const [k, v] of Object.entries(a.headers)) h[k] = v.startsWith("env:") ? process.env[v.slice(4)] : v;
fetch(a.url, {method: a.method, headers: h, body: a.body === null ? undefined : JSON.stringify(a.body),
              signal: AbortSignal.timeout(20000)})
  .then(async r => console.log(r.status + " " + await r.text()))
  .catch(e => { console.error(String(e)); process.exit(1); });
"#;
    let arg = json!({"method": method, "url": url, "headers": headers, "body": body}).to_string();
    let (ok, out, err) = kubectl(&[
        "-n", &ns.name, "exec", pod, "-c", container, "--", "node", "-e", JS, &arg,
    ]);
    assert!(
        ok,
        "{method} {url} from {pod}/{container} failed: {out}{err}"
    );
    let (status, body) = out.trim().split_once(' ').unwrap_or((out.trim(), ""));
    let status = status
        .parse()
        .unwrap_or_else(|_| panic!("{method} {url}: no status in {out:?}"));
    let body = serde_json::from_str(body).unwrap_or(serde_json::Value::String(body.to_owned()));
    (status, body)
}

/// The MongoDB stand-in as an external database: FerretDB (SQLite backend) in a one-pod
/// StatefulSet with a claim, Service `ferretdb`, and Secret `parse-db` holding the URI.
async fn ferretdb(ns: &TestNs) {
    // FerretDB v1 speaks only PLAIN authentication to clients; its SQLite backend does not
    // check the password (see tools/cluster/README.md).
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "parse-db"},
        "stringData": {"uri": "mongodb://parse:not-checked@ferretdb:27017/parse?authMechanism=PLAIN"},
    }))
    .expect("secret");
    ns.api()
        .create(&PostParams::default(), &secret)
        .await
        .expect("create secret");
    let service: k8s_openapi::api::core::v1::Service = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "ferretdb"},
        "spec": {"selector": {"app": "ferretdb"}, "ports": [{"name": "mongodb", "port": 27017}]},
    }))
    .expect("service");
    ns.api()
        .create(&PostParams::default(), &service)
        .await
        .expect("create service");
    let sts: k8s_openapi::api::apps::v1::StatefulSet = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ferretdb"},
        "spec": {
            "serviceName": "ferretdb", "replicas": 1,
            "selector": {"matchLabels": {"app": "ferretdb"}},
            "template": {
                "metadata": {"labels": {"app": "ferretdb"}},
                "spec": {
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}, "fsGroup": 999},
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                    "containers": [{
                        "name": "ferretdb", "image": FERRETDB,
                        "ports": [{"name": "mongodb", "containerPort": 27017}],
                        "securityContext": restricted(999),
                        "volumeMounts": [{"name": "data", "mountPath": "/data/db"},
                                         {"name": "tmp", "mountPath": "/tmp"}],
                        "readinessProbe": {"tcpSocket": {"port": 27017}, "periodSeconds": 1},
                    }],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": STORAGE_CLASS,
                         "resources": {"requests": {"storage": "1Gi"}}},
            }],
        },
    }))
    .expect("statefulset");
    ns.api()
        .create(&PostParams::default(), &sts)
        .await
        .expect("create statefulset");
    wait_pod_ready(ns, "ferretdb-0", Duration::from_secs(90)).await;
}

/// Names of the ready Parse Server pods, once `count` pods with UIDs not in `old` are ready.
async fn parse_pods(ns: &TestNs, count: usize, old: &[String]) -> Vec<(String, String)> {
    let api: Api<Pod> = ns.api();
    eventually(
        &format!("{count} new Parse Server pods ready"),
        Duration::from_secs(240),
        || {
            let api = api.clone();
            async move {
                let list = api
                    .list(&ListParams::default().labels(
                        "app.kubernetes.io/name=parse-server,app.kubernetes.io/instance=api",
                    ))
                    .await
                    .ok()?;
                let pods: Vec<(String, String)> = list
                    .items
                    .iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .filter_map(|p| Some((p.metadata.name.clone()?, p.metadata.uid.clone()?)))
                    .collect();
                let ready = list.items.iter().filter(|p| {
                    pod_ready(p)
                        && p.metadata.deletion_timestamp.is_none()
                        && !old.contains(p.metadata.uid.as_ref().expect("uid"))
                });
                (ready.count() == count && pods.len() == count).then_some(pods)
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_parse_serves_and_keeps_data() {
    let (ns, node) = real_ns("parse").await;
    let started = Instant::now();
    ferretdb(&ns).await;
    eprintln!("ferretdb ready in {:?}", started.elapsed());
    let parse = Parse::new("api", "shop")
        .image(PARSE)
        .database(ParseDatabase::External(SecretKeyRef::new(
            "parse-db", "uri",
        )))
        .build();
    let conn = parse.connection();
    let bundle = parse.bundle().expect("bundle");
    // Ready means the blueprint's startup and readiness probes (GET /parse/health, 200 only
    // once Parse Server is connected to its database and initialised) passed for real.
    apply_ready(
        &ns,
        &bundle,
        "parse (2 pods, ferretdb stand-in)",
        Duration::from_secs(300),
    )
    .await;
    let pods = parse_pods(&ns, 2, &[]).await;
    let server = pods[0].0.clone();
    for (name, _) in &pods {
        let p = ns.api::<Pod>().get(name).await.expect("pod");
        assert_eq!(
            p.spec.as_ref().and_then(|s| s.node_name.as_deref()),
            Some(node.as_str())
        );
        assert_eq!(
            container_status(&p, "parse-server").map(|s| s.restart_count),
            Some(0),
            "{name} restarted"
        );
    }
    assert_eq!(exec_ok(&ns, &server, "parse-server", "id -u"), "1000");

    let local = "http://127.0.0.1:1337/parse";
    let (status, body) = node_fetch(
        &ns,
        &server,
        "parse-server",
        "GET",
        &format!("{local}/health"),
        json!({}),
        None,
    );
    assert_eq!((status, &body), (200, &json!({"status": "ok"})));

    // From loopback inside the pod, the master key works (PARSE_SERVER_MASTER_KEY_IPS is
    // loopback only): it creates the class (Parse 8 refuses client class creation).
    let master = json!({"X-Parse-Application-Id": "shop", "X-Parse-Master-Key": "env:PARSE_SERVER_MASTER_KEY"});
    let (status, body) = node_fetch(
        &ns,
        &server,
        "parse-server",
        "POST",
        &format!("{local}/schemas/GameScore"),
        master.clone(),
        Some(json!({"className": "GameScore",
                    "fields": {"score": {"type": "Number"}, "player": {"type": "String"}}})),
    );
    assert_eq!(status, 200, "create class: {body}");
    // Each Parse Server caches the schema in memory and, without schema hooks (MongoDB change
    // streams, which the blueprint does not enable), does not see a class another replica
    // created: a client request through the Service to the other pod gets 400 "Permission
    // denied" (Parse 8 refuses client class creation) until that pod reloads its schema. A
    // master-key schema read reloads it; do that on every pod (from its own loopback).
    for (name, _) in &pods {
        let (status, body) = node_fetch(
            &ns,
            name,
            "parse-server",
            "GET",
            &format!("{local}/schemas/GameScore"),
            master.clone(),
            None,
        );
        assert_eq!(status, 200, "schema on {name}: {body}");
    }

    // Another pod reaches Parse through its Service (kube-proxy, CoreDNS), with the app id.
    client_pod(&ns, PARSE, 1000, "MASTER_KEY", &conn.master_key).await;
    let url = conn.server_url.clone();
    assert_eq!(url, "http://api:1337/parse");
    let app = json!({"X-Parse-Application-Id": "shop"});
    let (status, body) = node_fetch(
        &ns,
        "client",
        "c",
        "POST",
        &format!("{url}/classes/GameScore"),
        app.clone(),
        Some(json!({"score": 42, "player": "ada"})),
    );
    assert_eq!(status, 201, "create object: {body}");
    let id = body["objectId"].as_str().expect("objectId").to_owned();
    let object = format!("{url}/classes/GameScore/{id}");
    let (status, body) = node_fetch(&ns, "client", "c", "GET", &object, app.clone(), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["score"], &body["player"]),
        (&json!(42), &json!("ada"))
    );
    // A wrong application id is refused.
    let (status, _) = node_fetch(
        &ns,
        "client",
        "c",
        "GET",
        &object,
        json!({"X-Parse-Application-Id": "other"}),
        None,
    );
    assert_eq!(status, 403);
    // The right master key from a pod address is refused (not loopback), while the same
    // request from loopback in the server's pod succeeds.
    let remote_master =
        json!({"X-Parse-Application-Id": "shop", "X-Parse-Master-Key": "env:MASTER_KEY"});
    let (status, body) = node_fetch(
        &ns,
        "client",
        "c",
        "GET",
        &format!("{url}/schemas"),
        remote_master,
        None,
    );
    assert_eq!(status, 403, "master key from a pod address: {body}");
    assert_eq!(body, json!({"error": "unauthorized"}));
    let (status, body) = node_fetch(
        &ns,
        &server,
        "parse-server",
        "GET",
        &format!("{local}/schemas/GameScore"),
        master.clone(),
        None,
    );
    assert_eq!(status, 200, "{body}");

    // The data lives in the database's claim: it survives the database pod and new Parse pods.
    delete_and_wait_replaced(&ns, "ferretdb-0", Duration::from_secs(120)).await;
    let old: Vec<String> = pods.iter().map(|(_, uid)| uid.clone()).collect();
    for (name, _) in &pods {
        ns.api::<Pod>()
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete parse pod");
    }
    let restarted = Instant::now();
    let pods = parse_pods(&ns, 2, &old).await;
    eprintln!("parse pods replaced and ready in {:?}", restarted.elapsed());
    let (status, body) = node_fetch(&ns, "client", "c", "GET", &object, app, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["score"], json!(42));
    let (status, body) = node_fetch(
        &ns,
        &pods[0].0,
        "parse-server",
        "GET",
        &format!("{local}/schemas/GameScore"),
        master,
        None,
    );
    assert_eq!(status, 200, "{body}");
    let claim = ns
        .api::<PersistentVolumeClaim>()
        .get("data-ferretdb-0")
        .await
        .expect("claim");
    assert_eq!(
        claim.spec.and_then(|s| s.storage_class_name).as_deref(),
        Some(STORAGE_CLASS)
    );
}

/// Ghost's pod of Deployment `blog`: `(name, uid)` of the one ready pod whose UID is not `old`,
/// once no other pod is left.
async fn ghost_pod(ns: &TestNs, old: Option<&str>, limit: Duration) -> (String, String) {
    let api: Api<Pod> = ns.api();
    eventually("the Ghost pod ready", limit, || {
        let api = api.clone();
        async move {
            let list = api
                .list(
                    &ListParams::default()
                        .labels("app.kubernetes.io/name=ghost,app.kubernetes.io/instance=blog"),
                )
                .await
                .ok()?;
            let [p] = list.items.as_slice() else {
                return None;
            };
            let uid = p.metadata.uid.clone()?;
            (pod_ready(p) && p.metadata.deletion_timestamp.is_none() && old != Some(uid.as_str()))
                .then(|| Some((p.metadata.name.clone()?, uid)))
                .flatten()
        }
    })
    .await
}

/// Seconds from the `ghost` container's start to the pod's Ready condition.
fn start_to_ready(pod: &Pod) -> Option<i64> {
    let started = container_status(pod, "ghost")?
        .state
        .as_ref()?
        .running
        .as_ref()?
        .started_at
        .as_ref()?
        .0;
    let ready = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?
        .last_transition_time
        .as_ref()?
        .0;
    Some(ready.as_second() - started.as_second())
}

/// What Ghost's Admin API does for the owner, run with Node in the client pod `client`: log in
/// through the session endpoint (e-mail `email`, the password from the pod's `OWNER_PASSWORD`,
/// so it never appears on a command line), then, when `then` is `post` or `image`, publish a
/// post titled `title` (no body: `?source=html` needs the optional html-to-mobiledoc package,
/// which the stand-in image lacks) or upload a 1×1 PNG, with the session cookie. Returns the login's
/// `(status, body)` and the second request's.
fn ghost_admin(
    ns: &TestNs,
    email: &str,
    then: &str,
    title: &str,
) -> ((u16, serde_json::Value), Option<(u16, serde_json::Value)>) {
    const JS: &str = r#"
const a = JSON.parse(process.argv[1]);
const admin = "http://blog/ghost/api/admin";
const origin = {Origin: "http://blog"};
const timeout = () => AbortSignal.timeout(30000);
const answer = async (r) => { const t = await r.text(); let b; try { b = JSON.parse(t); } catch { b = t; } return [r.status, b]; };
(async () => {
  const login = await fetch(`${admin}/session/`, {method: "POST", signal: timeout(),
    headers: {...origin, "Content-Type": "application/json"},
    body: JSON.stringify({username: a.email, password: process.env.OWNER_PASSWORD})});
  const out = {login: await answer(login)};
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const auth = {...origin, Cookie: cookie};
  if (a.then === "post") {
    const r = await fetch(`${admin}/posts/`, {method: "POST", signal: timeout(),
      headers: {...auth, "Content-Type": "application/json"},
      body: JSON.stringify({posts: [{title: a.title, status: "published"}]})});
    out.then = await answer(r);
  } else if (a.then === "image") {
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
    const form = new FormData();
    form.append("file", new Blob([png], {type: "image/png"}), "kubeprint.png");
    form.append("ref", "kubeprint.png");
    const r = await fetch(`${admin}/images/upload/`, {method: "POST", signal: timeout(), headers: auth, body: form});
    out.then = await answer(r);
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"#;
    let arg = json!({"email": email, "then": then, "title": title}).to_string();
    let (ok, out, err) = kubectl(&[
        "-n", &ns.name, "exec", "client", "-c", "c", "--", "node", "-e", JS, &arg,
    ]);
    assert!(ok, "admin API from the client pod failed: {out}{err}");
    let v: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("admin API: {out:?}"));
    let pair = |v: &serde_json::Value| {
        (
            v[0].as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .expect("status"),
            v[1].clone(),
        )
    };
    (pair(&v["login"]), v.get("then").map(pair))
}

/// A plain GET from the client pod: `(status, body as text)`.
fn client_get(ns: &TestNs, url: &str) -> (u16, String) {
    let (status, body) = node_fetch(ns, "client", "c", "GET", url, json!({}), None);
    let text = match body {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_node_ghost_sets_up_its_owner_and_keeps_content() {
    let (ns, node) = real_ns("ghost").await;
    let db = MySql::builder()
        .name("blog-db")
        .image(MARIADB)
        .database("ghost")
        .user("ghost")
        .storage(node_storage())
        .build();
    // No mail: the blueprint turns staff device verification off, so the owner can log in.
    let blog = Ghost::new("blog", "http://blog")
        .image(GHOST)
        .database(db)
        .storage(node_storage())
        .owner(
            GhostOwner::builder()
                .blog_title("Kubeprint Real Node")
                .build(),
        )
        .build();
    let conn = blog.connection();
    let (email, password) = conn.owner.clone().expect("an owner");
    assert_eq!(email, "owner@blog.invalid");
    let bundle = blog.bundle().expect("bundle");
    // Ready means the startup and readiness probes (GET /ghost/api/admin/site/ as the public
    // URL's host) passed: Ghost is up on MariaDB, its migrations done, on the first start.
    apply_ready(
        &ns,
        &bundle,
        "ghost + mysql (mariadb stand-in)",
        Duration::from_secs(600),
    )
    .await;
    let (pod_name, uid) = ghost_pod(&ns, None, Duration::from_secs(60)).await;
    let p = ns.api::<Pod>().get(&pod_name).await.expect("pod");
    assert_eq!(
        p.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        Some(node.as_str())
    );
    assert_eq!(
        container_status(&p, "ghost").map(|s| s.restart_count),
        Some(0),
        "Ghost restarted on its first start"
    );
    eprintln!("ghost container start -> Ready: {:?} s", start_to_ready(&p));
    assert_eq!(exec_ok(&ns, &pod_name, "ghost", "id -u"), "1000");
    // The entrypoint seeded the empty content volume from the image (themes included).
    assert_eq!(
        exec_ok(&ns, &pod_name, "ghost", "ls /var/lib/ghost/content/themes"),
        "casper\nsource"
    );

    // The owner sidecar created the owner through the setup API.
    let owner_log = eventually(
        "the owner sidecar reports the owner",
        Duration::from_secs(120),
        || async {
            let (ok, log, _) = kubectl(&["-n", &ns.name, "logs", &pod_name, "-c", "owner"]);
            (ok && (log.contains("created the owner account") || log.contains("nothing to do")))
                .then_some(log)
        },
    )
    .await;
    assert!(
        owner_log.contains("created the owner account owner@blog.invalid"),
        "{owner_log}"
    );

    // A client pod (the Ghost image, for Node's fetch) with the owner's password from the Secret.
    client_pod(&ns, GHOST, 1000, "OWNER_PASSWORD", &password).await;

    // Through the Service: the site is set up, and a second setup is refused.
    let setup = "http://blog/ghost/api/admin/authentication/setup/";
    let (status, body) = node_fetch(&ns, "client", "c", "GET", setup, json!({}), None);
    assert_eq!(
        (status, &body),
        (200, &json!({"setup": [{"status": true}]}))
    );
    let (status, body) = node_fetch(
        &ns,
        "client",
        "c",
        "POST",
        setup,
        json!({"Origin": "http://blog", "Content-Type": "application/json"}),
        Some(
            json!({"setup": [{"name": "Mallory", "email": "mallory@example.com",
                               "password": "Correct-Horse-Battery-9", "blogTitle": "Mine"}]}),
        ),
    );
    assert_eq!(status, 403, "a second setup: {body}");
    // The public site answers, with the title the owner sidecar set.
    let (status, home) = client_get(&ns, "http://blog/");
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("Kubeprint Real Node"), "{home}");

    // The owner logs in with the generated password and no device verification (no mail), then
    // publishes a post and uploads an image (stored in the content volume, via /tmp).
    let ((status, body), _) = ghost_admin(&ns, &email, "login", "");
    assert_eq!(status, 201, "owner login: {body}");
    let ((status, body), post) = ghost_admin(&ns, &email, "post", "Hello from the real node");
    assert_eq!(status, 201, "owner login: {body}");
    let (status, body) = post.expect("post answer");
    assert_eq!(status, 201, "create post: {body}");
    let post_url = body["posts"][0]["url"]
        .as_str()
        .expect("post url")
        .to_owned();
    let ((_, _), image) = ghost_admin(&ns, &email, "image", "");
    let (status, body) = image.expect("upload answer");
    assert_eq!(status, 201, "upload: {body}");
    let image_url = body["images"][0]["url"]
        .as_str()
        .expect("image url")
        .to_owned();
    assert!(
        image_url.starts_with("http://blog/content/images/"),
        "{image_url}"
    );
    let file = image_url.trim_start_matches("http://blog/content/");
    exec_ok(
        &ns,
        &pod_name,
        "ghost",
        &format!("test -s '/var/lib/ghost/content/{file}'"),
    );
    let (status, page) = client_get(&ns, &post_url);
    assert_eq!(status, 200, "{post_url}: {page}");
    assert!(page.contains("Hello from the real node"));
    let wrong = node_fetch(
        &ns,
        "client",
        "c",
        "POST",
        "http://blog/ghost/api/admin/session/",
        json!({"Origin": "http://blog", "Content-Type": "application/json"}),
        Some(json!({"username": email, "password": "not-the-password-1"})),
    );
    assert_ne!(wrong.0, 201, "a wrong password logs in: {:?}", wrong.1);

    // A new pod: the post (MySQL) and the image (the content volume) are still there, the
    // entrypoint does not seed again, and the owner sidecar finds the owner.
    ns.api::<Pod>()
        .delete(&pod_name, &DeleteParams::default())
        .await
        .expect("delete the Ghost pod");
    let restarted = Instant::now();
    let (pod_name, _) = ghost_pod(&ns, Some(&uid), Duration::from_secs(300)).await;
    eprintln!("ghost pod replaced and ready in {:?}", restarted.elapsed());
    let (status, page) = client_get(&ns, &post_url);
    assert_eq!(status, 200, "{post_url} after the restart: {page}");
    assert!(page.contains("Hello from the real node"));
    let (status, _) = client_get(&ns, &image_url);
    assert_eq!(status, 200, "{image_url} after the restart");
    let (ok, log, _) = kubectl(&["-n", &ns.name, "logs", &pod_name, "-c", "ghost"]);
    assert!(ok && !log.contains("seeding"), "second start seeded: {log}");
    let ((status, body), _) = ghost_admin(&ns, &email, "login", "");
    assert_eq!(status, 201, "owner login after the restart: {body}");
    let owner_log = eventually(
        "the new owner sidecar finds the owner",
        Duration::from_secs(120),
        || async {
            let (ok, log, _) = kubectl(&["-n", &ns.name, "logs", &pod_name, "-c", "owner"]);
            (ok && log.contains("nothing to do")).then_some(log)
        },
    )
    .await;
    assert!(!owner_log.contains("created"), "{owner_log}");
}
