//! Shared helpers for the apply client's cluster tests: the test cluster's kubeconfig, a
//! namespace per test (removed at the end, even when the test panics), raw API access for
//! assertions, a TCP proxy that can be cut, and a log capture.
#![allow(dead_code)]

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, PostParams};
use kubeprint::apply::Applier;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The test cluster's kubeconfig. Fails the test loudly when the cluster is not configured:
/// cluster tests never skip.
pub fn kubeconfig() -> PathBuf {
    match std::env::var_os("KUBEPRINT_TEST_KUBECONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "KUBEPRINT_TEST_KUBECONFIG is not set: cluster tests need the local control plane \
             (tools/cluster/up.sh, then `source <state>/env`)"
        ),
    }
}

/// A `kube::Config` for the test cluster.
pub async fn config() -> kube::Config {
    let path = kubeconfig();
    let kc = kube::config::Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kubeconfig");
    let host = config.cluster_url.host().unwrap_or_default().to_owned();
    assert!(
        host == "127.0.0.1" || host == "localhost",
        "tests only talk to a loopback apiserver, not {host}"
    );
    config
}

/// A plain `kube` client on the test cluster.
pub async fn client() -> kube::Client {
    kube::Client::try_from(config().await).expect("client")
}

/// A namespace for one test: `kp-apply-<test>`. Deleted (if left over) before the test and
/// again when dropped.
pub struct TestNs {
    pub name: String,
    pub client: kube::Client,
}

impl TestNs {
    pub async fn new(test: &str) -> TestNs {
        let ns = TestNs::reserve(test).await;
        let api: Api<Namespace> = Api::all(ns.client.clone());
        let obj = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(ns.name.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        api.create(&PostParams::default(), &obj)
            .await
            .expect("create namespace");
        ns
    }

    /// Like `new`, the namespace enforcing Pod Security *restricted* (also warn and audit), as
    /// kubeprint's `Namespace` builder labels it.
    pub async fn restricted(test: &str) -> TestNs {
        let ns = TestNs::reserve(test).await;
        let object = kubeprint::Namespace::builder()
            .name(ns.name.clone())
            .pod_security(kubeprint::namespace::Level::Restricted)
            .build();
        let object = kubeprint::Manifest::to_object(&object).expect("namespace");
        let labels = object.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels
                .get("pod-security.kubernetes.io/enforce")
                .map(String::as_str),
            Some("restricted")
        );
        Api::<Namespace>::all(ns.client.clone())
            .create(&PostParams::default(), &object)
            .await
            .expect("create namespace");
        ns
    }

    /// Like `new`, without creating the namespace (for tests that let the client create it).
    pub async fn reserve(test: &str) -> TestNs {
        let name = format!("kp-apply-{}", test.replace('_', "-"));
        assert!(name.len() <= 63, "namespace name too long: {name}");
        let client = client().await;
        let api: Api<Namespace> = Api::all(client.clone());
        // A leftover of an earlier run: wait until it is gone.
        if api.get_opt(&name).await.expect("get namespace").is_some() {
            let _ = api.delete(&name, &DeleteParams::default()).await;
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while api.get_opt(&name).await.expect("get namespace").is_some() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "leftover namespace {name} did not go away"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        TestNs { name, client }
    }

    /// An applier on the test cluster targeting this namespace, with short timeouts.
    pub async fn applier(&self) -> Applier {
        Applier::new(self.client.clone())
            .namespace(&self.name)
            .timeout(Duration::from_secs(120))
            .object_timeout(Duration::from_secs(90))
    }

    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        // Drop cannot await: delete from a helper thread with its own runtime, and wait for the
        // request (not for the namespace to be gone).
        let name = self.name.clone();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let api: Api<Namespace> = Api::all(client().await);
                let _ = api.delete(&name, &DeleteParams::background()).await;
            });
        });
        let _ = handle.join();
    }
}

/// A TCP proxy on a loopback port in front of the apiserver, which the test can cut at once
/// (every connection and the listener), to play an apiserver that stops.
pub struct Proxy {
    pub port: u16,
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: std::net::SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(tokio::sync::Notify::new());
        let stop2 = stop.clone();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { continue };
                        conns.spawn(async move {
                            if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                            }
                        });
                    }
                    () = stop2.notified() => break,
                }
            }
            // Dropping the set aborts every connection; dropping the listener closes the port.
            conns.abort_all();
        });
        Proxy { port, stop, task }
    }

    /// Cuts every connection and closes the port.
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }

    /// A handle that cuts the proxy from anywhere (e.g. an event callback).
    pub fn stopper(&self) -> Arc<tokio::sync::Notify> {
        self.stop.clone()
    }
}

/// The apiserver's address, from the kubeconfig.
pub async fn apiserver_addr() -> std::net::SocketAddr {
    let c = config().await;
    let host = c
        .cluster_url
        .host()
        .unwrap_or("127.0.0.1")
        .replace("localhost", "127.0.0.1");
    let port = c.cluster_url.port_u16().unwrap_or(443);
    format!("{host}:{port}").parse().expect("apiserver address")
}

/// A client whose requests go to `127.0.0.1:<port>` (TLS still checked against the apiserver's
/// certificate, which covers 127.0.0.1).
pub async fn client_via(port: u16) -> kube::Client {
    let mut c = config().await;
    c.cluster_url = format!("https://127.0.0.1:{port}").parse().expect("url");
    c.connect_timeout = Some(Duration::from_secs(2));
    kube::Client::try_from(c).expect("client")
}

/// Everything logged through `tracing` while installed (all levels, all fields).
#[derive(Clone, Default)]
pub struct LogCapture(pub Arc<Mutex<String>>);

impl LogCapture {
    pub fn text(&self) -> String {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

struct Visit<'a>(&'a mut String);

impl tracing::field::Visit for Visit<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for LogCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        if let Ok(mut s) = self.0.lock() {
            s.push_str(attrs.metadata().name());
            s.push(' ');
            attrs.record(&mut Visit(&mut s));
            s.push('\n');
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        tracing::span::Id::from_u64(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        if let Ok(mut s) = self.0.lock() {
            values.record(&mut Visit(&mut s));
            s.push('\n');
        }
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if let Ok(mut s) = self.0.lock() {
            s.push_str(event.metadata().target());
            s.push(' ');
            event.record(&mut Visit(&mut s));
            s.push('\n');
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
