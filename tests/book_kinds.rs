//! Snapshots of the book's non-workload objects (chapters 7, 8, 11, 13) as kubeprint renders
//! them. Secret values are redacted in the snapshots.

use insta::internals::{Content, ContentPath};
use k8s_openapi::api::apps::v1::Deployment;
use kubeprint::endpointslice::EndpointPort;
use kubeprint::ingress::{Backend, IngressRule};
use kubeprint::namespace::Level;
use kubeprint::networkpolicy::PolicyPort;
use kubeprint::persistentvolumeclaim::AccessMode;
use kubeprint::poddisruptionbudget::Budget;
use kubeprint::prelude::*;
use kubeprint::secret::Generate;
use kubeprint::service::{ExternalTrafficPolicy, ServicePort, ServiceType, SessionAffinity};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ch11")
        .join(name)
}

/// Keeps a map's keys and replaces every value with `[redacted]`.
fn redact_values(mut value: Content, _path: ContentPath<'_>) -> Content {
    if let Content::Map(entries) = value.resolve_inner_mut() {
        for (_, v) in entries.iter_mut() {
            *v = Content::from("[redacted]");
        }
    }
    value
}

/// The Deployment `kubectl create deployment alpaca-prod --image=... --port=8080` makes (raw:
/// the workload builders live elsewhere).
fn alpaca_prod() -> Deployment {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "alpaca-prod", "labels": {"app": "alpaca"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "alpaca", "env": "prod"}},
            "template": {
                "metadata": {"labels": {"app": "alpaca", "env": "prod", "ver": "1"}},
                "spec": {"containers": [{
                    "name": "alpaca",
                    "image": "gcr.io/kuar-demo/kuard-amd64:blue",
                    "ports": [{"name": "http", "containerPort": 8080}]
                }]}
            }
        }
    }))
    .expect("valid Deployment JSON")
}

/// Renders the builders as one multi-document YAML, in the bundle's install order.
macro_rules! yaml {
    ($($m:expr),+ $(,)?) => {{
        let mut bundle = Bundle::new("book");
        $( bundle.add($m).unwrap(); )+
        bundle.to_yaml().unwrap()
    }};
}

#[test]
fn ch07_kuard_services() {
    let deployment = alpaca_prod();
    // `kubectl expose deployment alpaca-prod`
    let cluster_ip = Service::for_workload(&deployment).build();
    // The same Service edited to `type: NodePort` (a fixed node port here, so output is stable).
    let node_port = Service::for_workload(&deployment)
        .rename("alpaca-nodeport")
        .clear_ports()
        .port(
            ServicePort::tcp("http", 8080)
                .target("http")
                .node_port(30080),
        )
        .service_type(ServiceType::NodePort)
        .build();
    // ... and as a LoadBalancer, restricted to one client network, keeping client addresses.
    let load_balancer = Service::for_workload(&deployment)
        .rename("alpaca-lb")
        .clear_ports()
        .port(
            ServicePort::tcp("http", 80)
                .target("http")
                .app_protocol("http"),
        )
        .service_type(ServiceType::LoadBalancer)
        .source_range("203.0.113.0/24")
        .external_traffic_policy(ExternalTrafficPolicy::Local)
        .session_affinity(SessionAffinity::client_ip_for(600))
        .build();
    insta::assert_snapshot!(yaml!(cluster_ip, node_port, load_balancer));
}

#[test]
fn ch08_host_ingress() {
    let ingress = Ingress::builder()
        .name("host-ingress")
        .ingress_class("nginx")
        .rule(IngressRule::host("alpaca.example.com").prefix("/", Backend::service("alpaca", 8080)))
        .rule(
            IngressRule::host("bandicoot.example.com")
                .prefix("/", Backend::service("bandicoot", 8080))
                .prefix("/a/", Backend::service("alpaca", "http")),
        )
        .default_backend(Backend::service("be-default", 8080))
        .tls(["alpaca.example.com"], "tls-secret-name")
        .build();
    insta::assert_snapshot!(yaml!(ingress));
}

#[test]
fn ch11_configmap() {
    // kubectl create configmap my-config --from-file=my-config.txt
    //   --from-literal=extra-param=extra-value --from-literal=another-param=another-value
    let cm = ConfigMap::builder()
        .name("my-config")
        .file(fixture("my-config.txt"))
        .entry("extra-param", "extra-value")
        .entry("another-param", "another-value")
        .build();
    insta::assert_snapshot!(yaml!(cm));
}

#[test]
fn ch11_secrets_redacted() {
    // kubectl create secret generic kuard-tls --from-file=kuard.crt --from-file=kuard.key
    let generic = Secret::builder()
        .name("kuard-tls")
        .file(fixture("kuard.crt"))
        .file(fixture("kuard.key"))
        .build();
    // The same certificate as a typed TLS secret (for an Ingress).
    let cert = std::fs::read(fixture("kuard.crt")).unwrap();
    let key = std::fs::read(fixture("kuard.key")).unwrap();
    let tls = Secret::tls("kuard-tls-typed", cert, key);
    // kubectl create secret docker-registry my-image-pull-secret --docker-username=...
    let pull = Secret::docker_registry(
        "my-image-pull-secret",
        "https://index.docker.io/v1/",
        "kuard",
        "hunter2",
    );
    // A generated, immutable database password.
    let generated = Secret::builder()
        .name("db-credentials")
        .entry("username", "kuard")
        .generated("password", Generate::alphanumeric())
        .immutable()
        .build();
    let mut bundle = Bundle::new("book");
    bundle
        .add(generic)
        .unwrap()
        .add(tls)
        .unwrap()
        .add(pull)
        .unwrap()
        .add(generated)
        .unwrap();
    assert!(
        bundle.to_yaml().unwrap().contains(".dockerconfigjson:"),
        "the real rendering holds the data"
    );
    let objects = bundle.objects().to_vec();
    insta::assert_yaml_snapshot!(objects, {
        "[].data" => insta::dynamic_redaction(redact_values),
        "[].stringData" => insta::dynamic_redaction(redact_values),
    });
    // The redaction really hides every value.
    let snapshot = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots/book_kinds__ch11_secrets_redacted.snap"),
    )
    .unwrap_or_default();
    for leaked in ["hunter2", "TEST-FIXTURE", "a3VhcmQ", "LS0tLS1CRUdJTi"] {
        assert!(!snapshot.contains(leaked), "snapshot leaks {leaked}");
    }
}

#[test]
fn ch13_external_database_and_headless_service() {
    // A DNS alias for a database outside the cluster.
    let external_name = Service::external_name("external-database", "database.company.com");
    // A selector-less Service whose endpoints are fixed IPs.
    let (external_ip, slice) = Service::external_endpoints(
        "external-ip-database",
        ["192.168.0.1"],
        ServicePort::tcp("mysql", 3306),
    );
    // The headless Service giving MongoDB StatefulSet pods stable DNS names.
    let mongo = Service::builder()
        .name("mongo")
        .selector([("app", "mongo")])
        .port(ServicePort::tcp("peer", 27017).target(27017))
        .service_type(ServiceType::Headless)
        .publish_not_ready_addresses()
        .build();
    // The claim a single-instance MySQL mounts.
    let claim = PersistentVolumeClaim::builder()
        .name("database")
        .size(Storage::gib(1))
        .access_mode(AccessMode::ReadWriteOnce)
        .selector(Selector::parse("volume=my-volume").unwrap())
        .build();
    insta::assert_snapshot!(yaml!(external_name, external_ip, slice, mongo, claim));
}

#[test]
fn namespace_restricted_with_policies() {
    let ns = Namespace::builder()
        .name("kuard")
        .pod_security(Level::Restricted)
        .build();
    let sa = ServiceAccount::builder()
        .name("kuard")
        .namespace("kuard")
        .image_pull_secret("my-image-pull-secret")
        .build();
    let policy = NetworkPolicy::builder()
        .name("kuard")
        .namespace("kuard")
        .pod_selector(Labels::from([("app", "kuard")]))
        .deny_all()
        .allow_from_namespace("ingress-nginx", [PolicyPort::tcp("http")])
        .allow_dns()
        .build();
    let pdb = PodDisruptionBudget::for_workload(&alpaca_prod(), Budget::max_unavailable(1));
    insta::assert_snapshot!(yaml!(ns, sa, policy, pdb));
}

#[test]
fn endpoint_slice_for_ipv6_and_several_ports() {
    let slice = EndpointSlice::builder()
        .name("legacy-db")
        .service("legacy-db")
        .address("2001:db8::10")
        .address("2001:db8::11")
        .port(EndpointPort::tcp("postgres", 5432))
        .port(EndpointPort::tcp("metrics", 9187))
        .build()
        .to_object()
        .unwrap();
    assert_eq!(slice.address_type, "IPv6");
    assert_eq!(slice.endpoints.unwrap().len(), 2);
}
