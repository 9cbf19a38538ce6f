//! The pod-spec rules, one test per rule, each asserting the exact message. They run on a raw
//! Deployment (what a customize hook or a hand-written object produces) so the path prefix is
//! `spec.template.spec`; the same rules run for every workload kind.

use kubeprint::k8s_openapi::api::apps::v1 as apps;
use kubeprint::k8s_openapi::api::core::v1 as core;
use kubeprint::k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kubeprint::pod::{Affinity, NodeExpr, Toleration, TopologySpread};
use kubeprint::prelude::*;

fn base() -> apps::Deployment {
    Deployment::builder()
        .name("web")
        .template(
            PodTemplate::builder()
                .volume(Volume::empty_dir("tmp"))
                .volume(Volume::config_map("config", "web-config"))
                .init_container(
                    Container::builder()
                        .name("init")
                        .image("busybox:1.36")
                        .build(),
                )
                .container(
                    Container::builder()
                        .name("web")
                        .image("nginx:1.27")
                        .port(Port::tcp("http", 8080))
                        .port(Port::tcp("metrics", 9090))
                        .env(EnvVar::value("MODE", "prod"))
                        .env_from(EnvFrom::config_map("web-env"))
                        .liveness(Probe::http_get("/healthz", "http"))
                        .readiness(Probe::tcp("http"))
                        .resources(
                            Resources::new()
                                .requests(Cpu::millis(100), Memory::mib(64))
                                .limits(Cpu::cores(1), Memory::mib(128)),
                        )
                        .mount(Mount::new("tmp", "/tmp"))
                        .mount(Mount::new("config", "/etc/web").read_only())
                        .build(),
                )
                .affinity(
                    Affinity::new()
                        .require_node(NodeExpr::exists("ssd"))
                        .prefer_spread_replicas(50, "kubernetes.io/hostname"),
                )
                .topology_spread(TopologySpread::new("topology.kubernetes.io/zone"))
                .toleration(Toleration::exists("dedicated"))
                .build(),
        )
        .build()
        .to_object()
        .expect("the base deployment is valid")
}

fn vol(v: impl Into<Volume>) -> core::Volume {
    v.into().to_k8s()
}

fn errors(d: &apps::Deployment) -> Vec<String> {
    match d.to_object() {
        Ok(_) => Vec::new(),
        Err(e) => e.violations().iter().map(ToString::to_string).collect(),
    }
}

fn spec(d: &mut apps::Deployment) -> &mut core::PodSpec {
    d.spec.template.spec.as_mut().unwrap()
}

fn web(d: &mut apps::Deployment) -> &mut core::Container {
    &mut spec(d).containers[0]
}

/// `rule!(name, |d| mutation, "path: message")`: the mutated base has exactly that violation.
macro_rules! rule {
    ($name:ident, |$d:ident| $mutate:expr, $expected:expr) => {
        #[test]
        fn $name() {
            let mut $d = base();
            $mutate;
            assert_eq!(
                errors(&$d),
                vec![format!(
                    "deployment \"web\": spec.template.spec.{}",
                    $expected
                )]
            );
        }
    };
}

#[test]
fn base_is_valid() {
    assert_eq!(errors(&base()), Vec::<String>::new());
}

// Containers.
rule!(
    at_least_one_container,
    |d| spec(&mut d).containers.clear(),
    "containers: must have at least one container"
);
rule!(
    container_name_is_dns_label,
    |d| web(&mut d).name = "Web".into(),
    r#"containers[0].name: "Web" must consist of lowercase letters, digits and '-'"#
);
rule!(
    container_names_unique_with_init_containers,
    |d| spec(&mut d).init_containers.as_mut().unwrap()[0].name = "web".into(),
    r#"initContainers[0].name: duplicate container name "web""#
);
rule!(
    container_image_required,
    |d| web(&mut d).image = Some(" ".into()),
    "containers[0].image: must not be empty"
);
rule!(
    image_pull_policy_value,
    |d| web(&mut d).image_pull_policy = Some("Sometimes".into()),
    r#"containers[0].imagePullPolicy: "Sometimes" is not one of Always, IfNotPresent, Never"#
);

// Ports.
rule!(
    port_name_length,
    |d| web(&mut d).ports.as_mut().unwrap()[1].name = Some("a-very-long-name".into()),
    r#"containers[0].ports[1].name: "a-very-long-name" is longer than 15 characters"#
);
rule!(
    port_name_needs_a_letter,
    |d| web(&mut d).ports.as_mut().unwrap()[1].name = Some("9090".into()),
    r#"containers[0].ports[1].name: "9090" must contain at least one letter"#
);
rule!(
    container_port_number,
    |d| web(&mut d).ports.as_mut().unwrap()[0].container_port = 0,
    "containers[0].ports[0].containerPort: 0 is not a port number (1-65535)"
);
rule!(
    host_port_number,
    |d| web(&mut d).ports.as_mut().unwrap()[0].host_port = Some(70000),
    "containers[0].ports[0].hostPort: 70000 is not a port number (1-65535)"
);
rule!(
    port_protocol,
    |d| web(&mut d).ports.as_mut().unwrap()[0].protocol = Some("HTTP".into()),
    r#"containers[0].ports[0].protocol: "HTTP" is not one of TCP, UDP, SCTP"#
);
rule!(
    port_names_unique,
    |d| web(&mut d).ports.as_mut().unwrap()[1].name = Some("http".into()),
    r#"containers[0].ports[1].name: duplicate port name "http""#
);
rule!(
    port_and_protocol_unique,
    |d| web(&mut d).ports.as_mut().unwrap()[1].container_port = 8080,
    "containers[0].ports[1]: duplicate port 8080/TCP"
);

#[test]
fn same_port_number_with_another_protocol_is_fine() {
    let mut d = base();
    let ports = web(&mut d).ports.as_mut().unwrap();
    ports[1].container_port = 8080;
    ports[1].protocol = Some("UDP".into());
    assert_eq!(errors(&d), Vec::<String>::new());
}

// Environment.
rule!(
    env_var_name,
    |d| web(&mut d).env.as_mut().unwrap()[0].name = "A=B".into(),
    r#"containers[0].env[0].name: "A=B" must be printable ASCII characters other than '='"#
);
rule!(
    env_value_and_value_from,
    |d| web(&mut d).env = Some(vec![core::EnvVar {
        value: Some("x".into()),
        ..EnvVar::field("IP", "status.podIP").to_k8s()
    }]),
    "containers[0].env[0].valueFrom: must not be set together with value"
);
rule!(
    env_value_from_one_source,
    |d| {
        let mut v = EnvVar::field("IP", "status.podIP").to_k8s();
        v.value_from.as_mut().unwrap().secret_key_ref = EnvVar::from_secret("X", "s", "k")
            .to_k8s()
            .value_from
            .unwrap()
            .secret_key_ref;
        web(&mut d).env = Some(vec![v]);
    },
    "containers[0].env[0].valueFrom: must have exactly one source, found 2"
);
rule!(
    env_config_map_name,
    |d| web(&mut d).env = Some(vec![
        EnvVar::from_config_map("P", "Web_Config", "k").to_k8s()
    ]),
    r#"containers[0].env[0].valueFrom.configMapKeyRef.name: "Web_Config" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    env_config_map_key,
    |d| web(&mut d).env = Some(vec![EnvVar::from_config_map("P", "cfg", "a/b").to_k8s()]),
    r#"containers[0].env[0].valueFrom.configMapKeyRef.key: "a/b" must consist of alphanumerics, '-', '_' or '.'"#
);
rule!(
    env_secret_name,
    |d| web(&mut d).env = Some(vec![
        EnvVar::from_secret("P", "-creds", "password").to_k8s()
    ]),
    r#"containers[0].env[0].valueFrom.secretKeyRef.name: "-creds" must be dot-separated parts that start and end with a lowercase letter or digit"#
);
rule!(
    env_secret_key,
    |d| web(&mut d).env = Some(vec![EnvVar::from_secret("P", "creds", "..").to_k8s()]),
    r#"containers[0].env[0].valueFrom.secretKeyRef.key: ".." is not a valid key"#
);
rule!(
    env_field_path,
    |d| web(&mut d).env = Some(vec![EnvVar::field("IP", "status.podIp").to_k8s()]),
    r#"containers[0].env[0].valueFrom.fieldRef.fieldPath: "status.podIp" is not a supported field (metadata.name, metadata.namespace, metadata.uid, spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP, status.podIPs, metadata.labels['<key>'], metadata.annotations['<key>'])"#
);

#[test]
fn env_field_path_label_subscripts() {
    let mut d = base();
    web(&mut d).env = Some(vec![
        EnvVar::field("APP", "metadata.labels['app.kubernetes.io/name']").to_k8s(),
        EnvVar::field("NOTE", "metadata.annotations['note']").to_k8s(),
    ]);
    assert_eq!(errors(&d), Vec::<String>::new());
}

rule!(
    env_resource_field,
    |d| web(&mut d).env = Some(vec![EnvVar::resource("M", "web", "limits.mem").to_k8s()]),
    r#"containers[0].env[0].valueFrom.resourceFieldRef.resource: "limits.mem" is not a supported resource (limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage)"#
);
rule!(
    env_resource_container,
    |d| web(&mut d).env = Some(vec![EnvVar::resource("M", "api", "limits.memory").to_k8s()]),
    r#"containers[0].env[0].valueFrom.resourceFieldRef.containerName: no container named "api""#
);
rule!(
    env_resource_divisor,
    |d| web(&mut d).env = Some(vec![
        EnvVar::resource("M", "web", "limits.memory")
            .divisor("1Mx")
            .to_k8s()
    ]),
    r#"containers[0].env[0].valueFrom.resourceFieldRef.divisor: "1Mx" is not a number with an optional suffix (m, Ki, Mi, Gi, k, M, G, ...)"#
);
rule!(
    env_from_one_source,
    |d| web(&mut d).env_from = Some(vec![core::EnvFromSource::default()]),
    "containers[0].envFrom[0]: must have exactly one of configMapRef and secretRef"
);
rule!(
    env_from_config_map_name,
    |d| web(&mut d).env_from = Some(vec![EnvFrom::config_map("Settings").to_k8s()]),
    r#"containers[0].envFrom[0].configMapRef.name: "Settings" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    env_from_secret_name,
    |d| web(&mut d).env_from = Some(vec![EnvFrom::secret("db creds").to_k8s()]),
    r#"containers[0].envFrom[0].secretRef.name: "db creds" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    env_from_prefix,
    |d| web(&mut d).env_from = Some(vec![EnvFrom::secret("creds").prefix("DB=").to_k8s()]),
    r#"containers[0].envFrom[0].prefix: "DB=" must be printable ASCII characters other than '='"#
);

// Resources.
rule!(
    quantities_parse,
    |d| {
        let limits = web(&mut d)
            .resources
            .as_mut()
            .unwrap()
            .limits
            .as_mut()
            .unwrap();
        limits.insert("cpu".into(), Quantity("lots".into()));
    },
    r#"containers[0].resources.limits["cpu"]: "lots" is not a number with an optional suffix (m, Ki, Mi, Gi, k, M, G, ...)"#
);
rule!(
    requests_at_most_limits,
    |d| {
        let requests = web(&mut d)
            .resources
            .as_mut()
            .unwrap()
            .requests
            .as_mut()
            .unwrap();
        requests.insert("memory".into(), Quantity("256Mi".into()));
    },
    r#"containers[0].resources.requests["memory"]: "256Mi" is more than the limit "128Mi""#
);

#[test]
fn requests_equal_to_limits_in_other_units_are_fine() {
    let mut d = base();
    let r = web(&mut d).resources.as_mut().unwrap();
    r.requests
        .as_mut()
        .unwrap()
        .insert("cpu".into(), Quantity("1000m".into()));
    r.requests
        .as_mut()
        .unwrap()
        .insert("memory".into(), Quantity("0.125Gi".into()));
    assert_eq!(errors(&d), Vec::<String>::new());
}

// Probes.
rule!(
    probe_needs_one_handler,
    |d| web(&mut d).liveness_probe = Some(core::Probe {
        period_seconds: Some(5),
        ..Default::default()
    }),
    "containers[0].livenessProbe: must have exactly one of httpGet, tcpSocket, exec, grpc"
);
rule!(
    probe_only_one_handler,
    |d| web(&mut d).liveness_probe.as_mut().unwrap().exec = Probe::exec(["true"]).to_k8s().exec,
    "containers[0].livenessProbe: must have exactly one of httpGet, tcpSocket, exec, grpc"
);
rule!(
    probe_named_port_exists,
    |d| web(&mut d).liveness_probe = Some(Probe::http_get("/healthz", "helth").to_k8s()),
    r#"containers[0].livenessProbe.httpGet.port: "helth" is not the name of a port of this container (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: port-names relaxes it)"#
);
rule!(
    probe_tcp_named_port_exists,
    |d| web(&mut d).readiness_probe = Some(Probe::tcp("db").to_k8s()),
    r#"containers[0].readinessProbe.tcpSocket.port: "db" is not the name of a port of this container (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: port-names relaxes it)"#
);
rule!(
    probe_port_name_format,
    |d| web(&mut d).liveness_probe = Some(Probe::http_get("/", "HTTP").to_k8s()),
    r#"containers[0].livenessProbe.httpGet.port: "HTTP" must consist of lowercase letters, digits and '-'"#
);
rule!(
    probe_port_number,
    |d| web(&mut d).liveness_probe = Some(Probe::http_get("/", 0).to_k8s()),
    "containers[0].livenessProbe.httpGet.port: 0 is not a port number (1-65535)"
);
rule!(
    probe_port_of_another_container_is_not_enough,
    |d| {
        let init = &mut spec(&mut d).init_containers.as_mut().unwrap()[0];
        init.ports = Some(vec![Port::tcp("admin", 9000).to_container_port()]);
        web(&mut d).startup_probe = Some(Probe::tcp("admin").to_k8s());
    },
    r#"containers[0].startupProbe.tcpSocket.port: "admin" is not the name of a port of this container (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: port-names relaxes it)"#
);
rule!(
    probe_scheme,
    |d| web(&mut d)
        .liveness_probe
        .as_mut()
        .unwrap()
        .http_get
        .as_mut()
        .unwrap()
        .scheme = Some("FTP".into()),
    r#"containers[0].livenessProbe.httpGet.scheme: "FTP" is not one of HTTP, HTTPS"#
);
rule!(
    probe_header_name,
    |d| web(&mut d).liveness_probe =
        Some(Probe::http_get("/", "http").header("X Probe", "1").to_k8s()),
    r#"containers[0].livenessProbe.httpGet.httpHeaders[0].name: "X Probe" is not a valid HTTP header name"#
);
rule!(
    probe_exec_command,
    |d| web(&mut d).liveness_probe = Some(Probe::exec(Vec::<String>::new()).to_k8s()),
    "containers[0].livenessProbe.exec.command: must not be empty"
);
rule!(
    probe_grpc_port,
    |d| web(&mut d).liveness_probe = Some(Probe::grpc(0).to_k8s()),
    "containers[0].livenessProbe.grpc.port: 0 is not a port number (1-65535)"
);
rule!(
    probe_timing_not_negative,
    |d| web(&mut d).readiness_probe = Some(Probe::tcp("http").period(-1).to_k8s()),
    "containers[0].readinessProbe.periodSeconds: must be >= 0, got -1"
);
rule!(
    probe_initial_delay_not_negative,
    |d| web(&mut d).readiness_probe = Some(Probe::tcp("http").initial_delay(-5).to_k8s()),
    "containers[0].readinessProbe.initialDelaySeconds: must be >= 0, got -5"
);
rule!(
    liveness_success_threshold_is_one,
    |d| web(&mut d).liveness_probe =
        Some(Probe::http_get("/", "http").success_threshold(2).to_k8s()),
    "containers[0].livenessProbe.successThreshold: must be 1 for liveness probes, got 2"
);
rule!(
    startup_success_threshold_is_one,
    |d| web(&mut d).startup_probe = Some(Probe::tcp(8080).success_threshold(3).to_k8s()),
    "containers[0].startupProbe.successThreshold: must be 1 for startup probes, got 3"
);
rule!(
    readiness_probe_has_no_grace_period,
    |d| web(&mut d).readiness_probe =
        Some(Probe::tcp("http").termination_grace_period(10).to_k8s()),
    "containers[0].readinessProbe.terminationGracePeriodSeconds: must not be set for readiness probes"
);
rule!(
    probe_grace_period_positive,
    |d| web(&mut d).liveness_probe = Some(
        Probe::http_get("/", "http")
            .termination_grace_period(0)
            .to_k8s()
    ),
    "containers[0].livenessProbe.terminationGracePeriodSeconds: must be >= 1, got 0"
);

#[test]
fn readiness_success_threshold_may_exceed_one() {
    let mut d = base();
    web(&mut d).readiness_probe = Some(Probe::tcp("http").success_threshold(3).to_k8s());
    assert_eq!(errors(&d), Vec::<String>::new());
}

// Volumes.
rule!(
    volume_name_is_dns_label,
    |d| {
        spec(&mut d).volumes.as_mut().unwrap()[0].name = "Tmp".into();
        web(&mut d).volume_mounts.as_mut().unwrap()[0].name = "Tmp".into();
    },
    r#"volumes[0].name: "Tmp" must consist of lowercase letters, digits and '-'"#
);
rule!(
    volume_names_unique,
    |d| spec(&mut d)
        .volumes
        .as_mut()
        .unwrap()
        .push(vol(Volume::pvc("tmp", "scratch"))),
    r#"volumes[2].name: duplicate volume name "tmp""#
);
#[test]
fn volume_without_a_source_is_an_empty_dir() {
    // The apiserver makes it an emptyDir (issue #13: was a false reject).
    let mut d = base();
    spec(&mut d).volumes.as_mut().unwrap().push(core::Volume {
        name: "empty".into(),
        ..Default::default()
    });
    assert_eq!(errors(&d), Vec::<String>::new());
}

#[test]
fn empty_values_the_apiserver_defaults_are_accepted() {
    let mut d = base();
    web(&mut d).image_pull_policy = Some(String::new());
    assert_eq!(errors(&d), Vec::<String>::new());
}

/// `raw_rule!(name, "path", json, "path: message")`: the base with `json` set at `path` of the
/// pod spec (`P`) or its first container (`C`) has exactly that violation.
macro_rules! raw_rule {
    ($name:ident, $at:literal, $json:expr, $expected:expr) => {
        #[test]
        fn $name() {
            let mut v = serde_json::to_value(base()).unwrap();
            let (root, field) = $at.split_at(1);
            let target = if root == "C" {
                &mut v["spec"]["template"]["spec"]["containers"][0]
            } else {
                &mut v["spec"]["template"]["spec"]
            };
            target[field] = $json;
            let d: apps::Deployment = serde_json::from_value(v).unwrap();
            assert_eq!(
                errors(&d),
                vec![format!(
                    "deployment \"web\": spec.template.spec.{}",
                    $expected
                )]
            );
        }
    };
}

// Rules the differential test found missing (issue #13).
raw_rule!(
    divisor_of_cpu,
    "Cenv",
    serde_json::json!([{"name": "X", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "3m"}}}]),
    r#"containers[0].env[0].valueFrom.resourceFieldRef.divisor: "3m" is not a divisor of limits.cpu (one of 1m, 1)"#
);
raw_rule!(
    extended_resource_needs_a_limit,
    "Cresources",
    serde_json::json!({"requests": {"example.com/gpu": "1"}}),
    r#"containers[0].resources.limits["example.com/gpu"]: required: example.com/gpu cannot be overcommitted, so a request needs a limit"#
);
raw_rule!(
    extended_resource_is_whole,
    "Cresources",
    serde_json::json!({"limits": {"example.com/gpu": "500m"}}),
    r#"containers[0].resources.limits["example.com/gpu"]: "500m" must be a whole number"#
);
raw_rule!(
    resource_name_standard_or_qualified,
    "Cresources",
    serde_json::json!({"limits": {"gpu": "1"}}),
    r#"containers[0].resources.limits["gpu"]: "gpu" is not a container resource (cpu, memory, ephemeral-storage, hugepages-<size>) nor a fully qualified extended resource (example.com/name)"#
);
raw_rule!(
    hugepages_need_cpu_or_memory,
    "Cresources",
    serde_json::json!({"limits": {"hugepages-2Mi": "2Mi"}}),
    "containers[0].resources: hugepages need a cpu or memory request or limit too"
);
raw_rule!(
    unmasked_proc_mount_needs_user_namespaces,
    "CsecurityContext",
    serde_json::json!({"procMount": "Unmasked"}),
    "containers[0].securityContext.procMount: Unmasked needs the pod's hostUsers: false"
);
raw_rule!(
    duplicate_host_ports,
    "Cports",
    serde_json::json!([{"name": "http", "containerPort": 80, "hostPort": 8080}, {"containerPort": 81, "hostPort": 8080}]),
    "containers[0].ports[1].hostPort: duplicate host port 8080"
);
raw_rule!(
    dns_policy_none_needs_nameservers,
    "PdnsPolicy",
    serde_json::json!("None"),
    "dnsConfig.nameservers: required: dnsPolicy None needs at least one nameserver"
);
raw_rule!(
    host_alias_ip,
    "PhostAliases",
    serde_json::json!([{"ip": "bad"}]),
    r#"hostAliases[0].ip: "bad" is not an IP address"#
);
raw_rule!(
    init_containers_have_no_probes,
    "PinitContainers",
    serde_json::json!([{"name": "init", "image": "busybox", "readinessProbe": {"exec": {"command": ["true"]}}}]),
    "initContainers[0].readinessProbe: must not be set on an init container (only on a sidecar, restartPolicy: Always)"
);
raw_rule!(
    match_fields_only_metadata_name,
    "Paffinity",
    serde_json::json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.labels", "operator": "In", "values": ["a"]}]}]}}}),
    r#"affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: "metadata.labels" is not a supported field (metadata.name)"#
);
raw_rule!(
    sysctl_names,
    "PsecurityContext",
    serde_json::json!({"sysctls": [{"name": "bad name", "value": "1"}]}),
    r#"securityContext.sysctls[0].name: "bad name" is not a sysctl name"#
);
raw_rule!(
    host_path_without_dot_dot,
    "Pvolumes",
    serde_json::json!([{"name": "tmp", "hostPath": {"path": "/a/../b"}}, {"name": "config", "emptyDir": {}}]),
    r#"volumes[0].hostPath.path: "/a/../b" must not contain "..""#
);
raw_rule!(
    preemption_policy,
    "PpreemptionPolicy",
    serde_json::json!("Sometimes"),
    r#"preemptionPolicy: "Sometimes" is not one of PreemptLowerPriority, Never"#
);
rule!(
    volume_only_one_source,
    |d| spec(&mut d).volumes.as_mut().unwrap()[0].secret =
        Volume::from(Volume::secret("x", "tls")).to_k8s().secret,
    r#"volumes[0]: volume "tmp" must have exactly one volume source, found emptyDir, secret"#
);
rule!(
    volume_config_map_name,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] = vol(Volume::config_map("config", "web_config")),
    r#"volumes[1].configMap.name: "web_config" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    volume_item_path_relative,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] =
        vol(Volume::config_map("config", "cfg").item("app", "../etc/passwd")),
    r#"volumes[1].configMap.items[0].path: "../etc/passwd" must be a relative path without "..""#
);
rule!(
    volume_item_key,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] =
        vol(Volume::config_map("config", "cfg").item("a b", "ab")),
    r#"volumes[1].configMap.items[0].key: "a b" must consist of alphanumerics, '-', '_' or '.'"#
);
rule!(
    volume_default_mode,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] =
        vol(Volume::secret("config", "tls").default_mode(0o1777)),
    "volumes[1].secret.defaultMode: 0o1777 is not a file mode (0 to 0o777)"
);
rule!(
    volume_secret_name,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] = vol(Volume::secret("config", "")),
    "volumes[1].secret.secretName: must not be empty"
);
rule!(
    volume_empty_dir_medium,
    |d| spec(&mut d).volumes.as_mut().unwrap()[0]
        .empty_dir
        .as_mut()
        .unwrap()
        .medium = Some("Disk".into()),
    r#"volumes[0].emptyDir.medium: "Disk" is not one of "", Memory, HugePages"#
);
rule!(
    volume_empty_dir_size_limit,
    |d| spec(&mut d).volumes.as_mut().unwrap()[0]
        .empty_dir
        .as_mut()
        .unwrap()
        .size_limit = Some(Quantity("-1Gi".into())),
    r#"volumes[0].emptyDir.sizeLimit: "-1Gi" must not be negative"#
);
rule!(
    volume_host_path_required,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] = vol(Volume::host_path("config", "")),
    "volumes[1].hostPath.path: must not be empty"
);
rule!(
    volume_host_path_type,
    |d| {
        let mut v = Volume::from(Volume::host_path("config", "/etc")).to_k8s();
        v.host_path.as_mut().unwrap().type_ = Some("Folder".into());
        spec(&mut d).volumes.as_mut().unwrap()[1] = v;
    },
    r#"volumes[1].hostPath.type: "Folder" is not one of DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice"#
);
rule!(
    volume_claim_name,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] = vol(Volume::pvc("config", "")),
    "volumes[1].persistentVolumeClaim.claimName: must not be empty"
);
rule!(
    volume_nfs_path_absolute,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] =
        vol(Volume::nfs("config", "nfs.local", "exports/www")),
    r#"volumes[1].nfs.path: "exports/www" must be an absolute path"#
);
rule!(
    volume_nfs_server,
    |d| spec(&mut d).volumes.as_mut().unwrap()[1] = vol(Volume::nfs("config", "", "/exports")),
    "volumes[1].nfs.server: must not be empty"
);

// Mounts.
rule!(
    mount_names_a_volume,
    |d| web(&mut d)
        .volume_mounts
        .as_mut()
        .unwrap()
        .push(Mount::new("cache", "/cache").to_k8s()),
    r#"containers[0].volumeMounts[2].name: no volume named "cache""#
);
rule!(
    mount_path_required,
    |d| web(&mut d).volume_mounts.as_mut().unwrap()[0].mount_path = String::new(),
    "containers[0].volumeMounts[0].mountPath: must not be empty"
);
rule!(
    mount_paths_unique,
    |d| web(&mut d).volume_mounts.as_mut().unwrap()[1].mount_path = "/tmp".into(),
    r#"containers[0].volumeMounts[1].mountPath: duplicate mount path "/tmp""#
);
rule!(
    mount_sub_path_relative,
    |d| web(&mut d).volume_mounts.as_mut().unwrap()[1] =
        Mount::new("config", "/etc/web").sub_path("/etc").to_k8s(),
    r#"containers[0].volumeMounts[1].subPath: "/etc" must be a relative path without "..""#
);

// Pod-level fields.
rule!(
    restart_policy_value,
    |d| spec(&mut d).restart_policy = Some("Sometimes".into()),
    r#"restartPolicy: "Sometimes" is not one of Always, OnFailure, Never"#
);
rule!(
    restart_policy_always_in_deployments,
    |d| spec(&mut d).restart_policy = Some("OnFailure".into()),
    r#"restartPolicy: "OnFailure" is not allowed in a Deployment: only Always"#
);
rule!(
    no_active_deadline_in_deployments,
    |d| spec(&mut d).active_deadline_seconds = Some(60),
    "activeDeadlineSeconds: must not be set in a Deployment"
);
rule!(
    node_selector_labels,
    |d| spec(&mut d).node_selector = Some([("ssd".to_owned(), "yes please".to_owned())].into()),
    r#"nodeSelector["ssd"]: value "yes please" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
);
rule!(
    service_account_name,
    |d| spec(&mut d).service_account_name = Some("Web".into()),
    r#"serviceAccountName: "Web" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    priority_class_name,
    |d| spec(&mut d).priority_class_name = Some("high!".into()),
    r#"priorityClassName: "high!" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    hostname_is_dns_label,
    |d| spec(&mut d).hostname = Some("web.0".into()),
    r#"hostname: "web.0" must consist of lowercase letters, digits and '-'"#
);
rule!(
    subdomain_is_dns_label,
    |d| spec(&mut d).subdomain = Some("-web".into()),
    r#"subdomain: "-web" must start and end with a lowercase letter or digit"#
);
rule!(
    image_pull_secret_name,
    |d| spec(&mut d).image_pull_secrets = Some(vec![core::LocalObjectReference {
        name: "Registry".into()
    }]),
    r#"imagePullSecrets[0].name: "Registry" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    termination_grace_period_not_negative,
    |d| spec(&mut d).termination_grace_period_seconds = Some(-1),
    "terminationGracePeriodSeconds: must be >= 0, got -1"
);

// Tolerations.
rule!(
    toleration_empty_key_needs_exists,
    |d| spec(&mut d).tolerations = Some(vec![core::Toleration {
        value: Some("x".into()),
        ..Default::default()
    }]),
    "tolerations[0].operator: must be Exists when key is empty"
);
rule!(
    toleration_exists_has_no_value,
    |d| spec(&mut d).tolerations.as_mut().unwrap()[0].value = Some("db".into()),
    "tolerations[0].value: must be empty when operator is Exists"
);
rule!(
    toleration_operator,
    |d| spec(&mut d).tolerations.as_mut().unwrap()[0].operator = Some("In".into()),
    r#"tolerations[0].operator: "In" is not one of Equal, Exists"#
);
rule!(
    toleration_effect,
    |d| spec(&mut d).tolerations.as_mut().unwrap()[0].effect = Some("NoRun".into()),
    r#"tolerations[0].effect: "NoRun" is not one of NoSchedule, PreferNoSchedule, NoExecute"#
);
rule!(
    toleration_seconds_need_no_execute,
    |d| spec(&mut d).tolerations = Some(vec![
        Toleration::exists("node.kubernetes.io/unreachable")
            .seconds(30)
            .to_k8s()
    ]),
    "tolerations[0].tolerationSeconds: may only be set when effect is NoExecute"
);
rule!(
    toleration_key,
    |d| spec(&mut d).tolerations = Some(vec![Toleration::equal("bad key", "v").to_k8s()]),
    r#"tolerations[0].key: name "bad key" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
);

// Affinity.
fn required_node_expr(
    d: &mut apps::Deployment,
) -> &mut kubeprint::k8s_openapi::api::core::v1::NodeSelectorRequirement {
    let node = spec(d)
        .affinity
        .as_mut()
        .unwrap()
        .node_affinity
        .as_mut()
        .unwrap();
    let terms = &mut node
        .required_during_scheduling_ignored_during_execution
        .as_mut()
        .unwrap()
        .node_selector_terms;
    &mut terms[0].match_expressions.as_mut().unwrap()[0]
}

const NODE_EXPR: &str = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]";
const ANTI: &str = "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]";

rule!(
    node_expr_in_needs_values,
    |d| *required_node_expr(&mut d) = NodeExpr::is_in("zone", Vec::<String>::new()).to_k8s(),
    format!("{NODE_EXPR}.values: must not be empty for In and NotIn")
);
rule!(
    node_expr_exists_has_no_values,
    |d| required_node_expr(&mut d).values = Some(vec!["true".into()]),
    format!("{NODE_EXPR}.values: must be empty for Exists and DoesNotExist")
);
rule!(
    node_expr_gt_needs_one_integer,
    |d| {
        let expr = required_node_expr(&mut d);
        expr.operator = "Gt".into();
        expr.values = Some(vec!["many".into()]);
    },
    format!("{NODE_EXPR}.values: must be a single integer for Gt and Lt")
);
rule!(
    node_expr_operator,
    |d| required_node_expr(&mut d).operator = "Near".into(),
    format!(
        r#"{NODE_EXPR}.operator: "Near" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt"#
    )
);
rule!(
    node_affinity_needs_terms,
    |d| {
        let node = spec(&mut d)
            .affinity
            .as_mut()
            .unwrap()
            .node_affinity
            .as_mut()
            .unwrap();
        node.required_during_scheduling_ignored_during_execution
            .as_mut()
            .unwrap()
            .node_selector_terms
            .clear();
    },
    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: must have at least one term"
);
rule!(
    node_preference_weight,
    |d| {
        let a = Affinity::new().prefer_node(0, NodeExpr::exists("ssd"));
        spec(&mut d).affinity = Some(a.to_k8s(&Labels::new()));
    },
    "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: must be between 1 and 100, got 0"
);
rule!(
    pod_affinity_weight,
    |d| {
        let anti = spec(&mut d)
            .affinity
            .as_mut()
            .unwrap()
            .pod_anti_affinity
            .as_mut()
            .unwrap();
        anti.preferred_during_scheduling_ignored_during_execution
            .as_mut()
            .unwrap()[0]
            .weight = 101;
    },
    format!("{ANTI}.weight: must be between 1 and 100, got 101")
);
rule!(
    pod_affinity_topology_key,
    |d| {
        let a = Affinity::new()
            .spread_replicas("")
            .to_k8s(&Labels::from([("app", "web")]));
        spec(&mut d).affinity = Some(a);
    },
    "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: must not be empty"
);
rule!(
    pod_affinity_selector,
    |d| {
        let a = Affinity::new()
            .require_near(Labels::from([("app", "-cache")]), "kubernetes.io/hostname");
        spec(&mut d).affinity = Some(a.to_k8s(&Labels::new()));
    },
    r#"affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels["app"]: value "-cache" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
);

// Topology spread.
fn spread(d: &mut apps::Deployment) -> &mut core::TopologySpreadConstraint {
    &mut spec(d).topology_spread_constraints.as_mut().unwrap()[0]
}

rule!(
    spread_max_skew_positive,
    |d| spread(&mut d).max_skew = 0,
    "topologySpreadConstraints[0].maxSkew: must be >= 1, got 0"
);
rule!(
    spread_topology_key,
    |d| spread(&mut d).topology_key = String::new(),
    "topologySpreadConstraints[0].topologyKey: must not be empty"
);
rule!(
    spread_when_unsatisfiable,
    |d| spread(&mut d).when_unsatisfiable = "Wait".into(),
    r#"topologySpreadConstraints[0].whenUnsatisfiable: "Wait" is not one of DoNotSchedule, ScheduleAnyway"#
);
rule!(
    spread_min_domains_needs_do_not_schedule,
    |d| *spread(&mut d) = TopologySpread::new("zone")
        .schedule_anyway()
        .min_domains(2)
        .to_k8s(&Labels::from([("a", "b")])),
    "topologySpreadConstraints[0].minDomains: may only be set when whenUnsatisfiable is DoNotSchedule"
);
rule!(
    spread_selector,
    |d| {
        let selector = spread(&mut d).label_selector.as_mut().unwrap();
        selector.match_expressions = Some(vec![
            kubeprint::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement {
                key: "tier".into(),
                operator: "Is".into(),
                values: None,
            },
        ]);
    },
    r#"topologySpreadConstraints[0].labelSelector.matchExpressions[0].operator: "Is" is not a valid operator (In, NotIn, Exists, DoesNotExist)"#
);

// Security.
rule!(
    privileged_needs_privilege_escalation,
    |d| web(&mut d).security_context.as_mut().unwrap().privileged = Some(true),
    "containers[0].securityContext.allowPrivilegeEscalation: must not be false when privileged is true"
);
rule!(
    sys_admin_needs_privilege_escalation,
    |d| {
        let caps = web(&mut d)
            .security_context
            .as_mut()
            .unwrap()
            .capabilities
            .as_mut()
            .unwrap();
        caps.add = Some(vec!["SYS_ADMIN".into()]);
    },
    "containers[0].securityContext.allowPrivilegeEscalation: must not be false when capability SYS_ADMIN is added"
);
rule!(
    run_as_user_range,
    |d| web(&mut d).security_context.as_mut().unwrap().run_as_user = Some(-1),
    "containers[0].securityContext.runAsUser: must be between 0 and 2147483647, got -1"
);
rule!(
    fs_group_range,
    |d| spec(&mut d).security_context.as_mut().unwrap().fs_group = Some(1 << 40),
    "securityContext.fsGroup: must be between 0 and 2147483647, got 1099511627776"
);
rule!(
    fs_group_change_policy,
    |d| spec(&mut d)
        .security_context
        .as_mut()
        .unwrap()
        .fs_group_change_policy = Some("Never".into()),
    r#"securityContext.fsGroupChangePolicy: "Never" is not one of OnRootMismatch, Always"#
);
rule!(
    seccomp_localhost_needs_profile,
    |d| spec(&mut d)
        .security_context
        .as_mut()
        .unwrap()
        .seccomp_profile
        .as_mut()
        .unwrap()
        .type_ = "Localhost".into(),
    "securityContext.seccompProfile.localhostProfile: must be set when type is Localhost"
);
rule!(
    seccomp_type,
    |d| spec(&mut d)
        .security_context
        .as_mut()
        .unwrap()
        .seccomp_profile
        .as_mut()
        .unwrap()
        .type_ = "Default".into(),
    r#"securityContext.seccompProfile.type: "Default" is not one of RuntimeDefault, Localhost, Unconfined"#
);

#[test]
fn leaving_restricted_is_not_an_error() {
    let d = Deployment::builder()
        .name("node-agent")
        .template(
            PodTemplate::builder()
                .security(PodSecurity::unrestricted().run_as_user(0))
                .volume(Volume::host_path("root", "/"))
                .container(
                    Container::builder()
                        .name("agent")
                        .image("agent:1")
                        .security(
                            ContainerSecurity::new()
                                .privileged()
                                .add_capability("SYS_ADMIN"),
                        )
                        .mount(Mount::new("root", "/host"))
                        .build(),
                )
                .build(),
        )
        .build();
    let object = d.to_object().expect("opting out of restricted is allowed");
    assert!(
        !kubeprint::pod::restricted_findings(object.spec.template.spec.as_ref().unwrap())
            .is_empty()
    );
}

// Template metadata.
#[test]
fn template_label_values() {
    let mut d = base();
    let labels = d
        .spec
        .template
        .metadata
        .as_mut()
        .unwrap()
        .labels
        .as_mut()
        .unwrap();
    labels.insert("version".into(), "2.0!".into());
    assert_eq!(
        errors(&d),
        [
            r#"deployment "web": spec.template.metadata.labels["version"]: value "2.0!" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        ]
    );
}

#[test]
fn every_violation_is_reported_once_per_line() {
    let mut d = base();
    web(&mut d).name = "Web".into();
    web(&mut d).ports.as_mut().unwrap()[1].name = Some("a-very-long-name".into());
    spec(&mut d).restart_policy = Some("Never".into());
    let e = d.to_object().unwrap_err();
    assert_eq!(
        e.to_string(),
        [
            r#"deployment "web": spec.template.spec.containers[0].name: "Web" must consist of lowercase letters, digits and '-'"#,
            r#"deployment "web": spec.template.spec.containers[0].ports[1].name: "a-very-long-name" is longer than 15 characters"#,
            r#"deployment "web": spec.template.spec.restartPolicy: "Never" is not allowed in a Deployment: only Always"#,
        ]
        .join("\n")
    );
}

#[test]
fn builder_and_raw_objects_are_checked_alike() {
    let from_builder = Deployment::builder()
        .name("web")
        .template(
            PodTemplate::builder()
                .container(
                    Container::builder()
                        .name("web")
                        .image("nginx")
                        .port(Port::tcp("a-very-long-name", 80))
                        .build(),
                )
                .build(),
        )
        .build()
        .to_object()
        .unwrap_err();
    assert_eq!(
        from_builder.to_string(),
        r#"deployment "web": spec.template.spec.containers[0].ports[0].name: "a-very-long-name" is longer than 15 characters"#
    );
}

#[test]
fn probe_port_numbers_need_no_declared_port() {
    let mut d = base();
    web(&mut d).liveness_probe = Some(Probe::http_get("/", 8081).to_k8s());
    web(&mut d).readiness_probe = Some(Probe::tcp(5000).to_k8s());
    assert_eq!(errors(&d), Vec::<String>::new());
}

// Lifecycle hooks.

fn hooks(post_start: Option<Hook>, pre_stop: Option<Hook>) -> Option<core::Lifecycle> {
    Some(core::Lifecycle {
        post_start: post_start.map(|h| h.to_k8s()),
        pre_stop: pre_stop.map(|h| h.to_k8s()),
        ..Default::default()
    })
}

#[test]
fn hooks_of_every_kind_are_valid() {
    let mut d = base();
    web(&mut d).lifecycle = hooks(
        Some(
            Hook::http_get("/warm", "metrics")
                .https()
                .header("X-Warm", "1"),
        ),
        Some(Hook::sleep(29)),
    );
    assert_eq!(errors(&d), Vec::<String>::new());
    web(&mut d).lifecycle = hooks(Some(Hook::http_get("/", 8081)), Some(Hook::exec(["quit"])));
    assert_eq!(errors(&d), Vec::<String>::new());
    spec(&mut d).termination_grace_period_seconds = Some(120);
    web(&mut d).lifecycle = hooks(None, Some(Hook::sleep(90)));
    assert_eq!(errors(&d), Vec::<String>::new());
}

rule!(
    hook_has_exactly_one_handler,
    |d| web(&mut d).lifecycle = hooks(None, Some(core::LifecycleHandler::default().into())),
    "containers[0].lifecycle.preStop: must have exactly one of exec, httpGet, sleep, tcpSocket"
);
rule!(
    hook_exec_command_not_empty,
    |d| web(&mut d).lifecycle = hooks(Some(Hook::exec(Vec::<String>::new())), None),
    "containers[0].lifecycle.postStart.exec.command: must not be empty"
);
rule!(
    hook_http_port_name_is_a_container_port,
    |d| web(&mut d).lifecycle = hooks(None, Some(Hook::http_get("/quit", "admin"))),
    r#"containers[0].lifecycle.preStop.httpGet.port: "admin" is not the name of a port of this container (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: port-names relaxes it)"#
);
rule!(
    hook_http_port_number,
    |d| web(&mut d).lifecycle = hooks(None, Some(Hook::http_get("/quit", 70000))),
    "containers[0].lifecycle.preStop.httpGet.port: 70000 is not a port number (1-65535)"
);
rule!(
    hook_http_scheme_and_header,
    |d| {
        let mut h = Hook::http_get("/quit", "http")
            .header("Bad Header", "x")
            .to_k8s();
        h.http_get.as_mut().unwrap().http_headers.as_mut().unwrap()[0].name = "ok".into();
        h.http_get.as_mut().unwrap().scheme = Some("FTP".into());
        web(&mut d).lifecycle = hooks(None, Some(h.into()));
    },
    r#"containers[0].lifecycle.preStop.httpGet.scheme: "FTP" is not one of HTTP, HTTPS"#
);
rule!(
    hook_http_header_name,
    |d| web(&mut d).lifecycle = hooks(
        None,
        Some(Hook::http_get("/quit", "http").header("Bad Header", "x"))
    ),
    r#"containers[0].lifecycle.preStop.httpGet.httpHeaders[0].name: "Bad Header" is not a valid HTTP header name"#
);
rule!(
    hook_sleep_at_least_one_second,
    |d| web(&mut d).lifecycle = hooks(None, Some(Hook::sleep(0))),
    "containers[0].lifecycle.preStop.sleep.seconds: must be >= 1, got 0 (a sleep of 0 does nothing) (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: sleep-zero relaxes it)"
);
rule!(
    hook_sleep_shorter_than_the_default_grace_period,
    |d| web(&mut d).lifecycle = hooks(None, Some(Hook::sleep(30))),
    "containers[0].lifecycle.preStop.sleep.seconds: must be less than terminationGracePeriodSeconds (30, the default), got 30 (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: sleep-grace relaxes it)"
);
rule!(
    hook_sleep_shorter_than_the_grace_period,
    |d| {
        spec(&mut d).termination_grace_period_seconds = Some(10);
        web(&mut d).lifecycle = hooks(Some(Hook::sleep(15)), None);
    },
    "containers[0].lifecycle.postStart.sleep.seconds: must not be more than terminationGracePeriodSeconds (10), got 15"
);
rule!(
    hook_not_in_plain_init_containers,
    |d| spec(&mut d).init_containers.as_mut().unwrap()[0].lifecycle =
        hooks(None, Some(Hook::sleep(1))),
    "initContainers[0].lifecycle: must not be set in an init container (only in sidecars, restartPolicy: Always)"
);

#[test]
fn hooks_in_sidecars_are_checked() {
    let mut d = base();
    let init = &mut spec(&mut d).init_containers.as_mut().unwrap()[0];
    init.restart_policy = Some("Always".into());
    init.lifecycle = hooks(None, Some(Hook::sleep(5)));
    assert_eq!(errors(&d), Vec::<String>::new());
    let init = &mut spec(&mut d).init_containers.as_mut().unwrap()[0];
    init.lifecycle = hooks(None, Some(Hook::http_get("/", "http")));
    assert_eq!(
        errors(&d),
        [
            r#"deployment "web": spec.template.spec.initContainers[0].lifecycle.preStop.httpGet.port: "http" is not the name of a port of this container (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: port-names relaxes it)"#
        ]
    );
}

// Downward API and projected volumes.

fn downward(
    f: impl FnOnce(kubeprint::pod::volume::DownwardApi) -> kubeprint::pod::volume::DownwardApi,
) -> core::Volume {
    vol(f(Volume::downward_api("podinfo")))
}

#[test]
fn downward_api_and_projected_volumes_are_valid() {
    let mut d = base();
    let volumes = spec(&mut d).volumes.as_mut().unwrap();
    volumes.push(downward(|v| {
        v.field("labels", "metadata.labels")
            .field("annotations", "metadata.annotations")
            .field("name", "metadata.name")
            .field("namespace", "metadata.namespace")
            .field("uid", "metadata.uid")
            .field("tier", "metadata.labels['tier']")
            .resource("mem", "web", "limits.memory")
            .resource("init-cpu", "init", "requests.cpu")
            .default_mode(0o444)
    }));
    volumes.push(vol(Volume::projected("bundle")
        .source(Projection::config_map("settings").item("a", "config/a"))
        .source(
            Projection::secret("tls")
                .item("tls.crt", "tls/tls.crt")
                .optional(),
        )
        .source(Projection::downward_api().field("pod/labels", "metadata.labels"))
        .source(
            Projection::service_account_token("token")
                .audience("vault")
                .expiration(600),
        )
        .default_mode(0o440)));
    assert_eq!(errors(&d), Vec::<String>::new());
}

fn with_volume(d: &mut apps::Deployment, v: core::Volume) {
    spec(d).volumes.as_mut().unwrap().push(v);
}

rule!(
    downward_field_path,
    |d| with_volume(&mut d, downward(|v| v.field("node", "spec.nodeName"))),
    r#"volumes[2].downwardAPI.items[0].fieldRef.fieldPath: "spec.nodeName" is not a supported field (metadata.name, metadata.namespace, metadata.uid, metadata.labels, metadata.annotations, metadata.labels['<key>'], metadata.annotations['<key>'])"#
);
rule!(
    downward_item_has_one_reference,
    |d| {
        let mut v = downward(|v| v.field("name", "metadata.name"));
        v.downward_api.as_mut().unwrap().items.as_mut().unwrap()[0].field_ref = None;
        with_volume(&mut d, v);
    },
    "volumes[2].downwardAPI.items[0]: must have exactly one of fieldRef and resourceFieldRef"
);
rule!(
    downward_resource_needs_a_container,
    |d| {
        let mut v = downward(|v| v.resource("mem", "web", "limits.memory"));
        let items = v.downward_api.as_mut().unwrap().items.as_mut().unwrap();
        items[0].resource_field_ref.as_mut().unwrap().container_name = None;
        with_volume(&mut d, v);
    },
    "volumes[2].downwardAPI.items[0].resourceFieldRef.containerName: must be set in a volume"
);
rule!(
    downward_resource_container_exists,
    |d| with_volume(
        &mut d,
        downward(|v| v.resource("mem", "app", "limits.memory"))
    ),
    r#"volumes[2].downwardAPI.items[0].resourceFieldRef.containerName: no container named "app""#
);
rule!(
    downward_resource_name,
    |d| with_volume(&mut d, downward(|v| v.resource("gpu", "web", "limits.gpu"))),
    r#"volumes[2].downwardAPI.items[0].resourceFieldRef.resource: "limits.gpu" is not a supported resource (limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, requests.ephemeral-storage)"#
);
rule!(
    downward_path_relative,
    |d| with_volume(&mut d, downward(|v| v.field("../name", "metadata.name"))),
    r#"volumes[2].downwardAPI.items[0].path: "../name" must be a relative path without "..""#
);
rule!(
    downward_paths_unique,
    |d| with_volume(
        &mut d,
        downward(|v| v
            .field("name", "metadata.name")
            .field("name", "metadata.uid"))
    ),
    r#"volumes[2].downwardAPI.items[1].path: duplicate path "name""#
);
rule!(
    downward_default_mode,
    |d| with_volume(
        &mut d,
        downward(|v| v.field("name", "metadata.name").default_mode(0o1777))
    ),
    "volumes[2].downwardAPI.defaultMode: 0o1777 is not a file mode (0 to 0o777)"
);

fn projected(sources: Vec<Projection>) -> core::Volume {
    vol(sources
        .into_iter()
        .fold(Volume::projected("bundle"), |v, s| v.source(s)))
}

rule!(
    projected_token_lasts_ten_minutes,
    |d| with_volume(
        &mut d,
        projected(vec![
            Projection::service_account_token("token").expiration(599)
        ])
    ),
    "volumes[2].projected.sources[0].serviceAccountToken.expirationSeconds: must be at least 600 (10 minutes), got 599"
);
rule!(
    projected_token_at_most_2_32_seconds,
    |d| with_volume(
        &mut d,
        projected(vec![
            Projection::service_account_token("token").expiration((1 << 32) + 1)
        ])
    ),
    "volumes[2].projected.sources[0].serviceAccountToken.expirationSeconds: must be at most 4294967296 (2^32), got 4294967297"
);
rule!(
    projected_token_path,
    |d| with_volume(
        &mut d,
        projected(vec![Projection::service_account_token("")])
    ),
    "volumes[2].projected.sources[0].serviceAccountToken.path: must not be empty"
);
rule!(
    projected_paths_unique_across_sources,
    |d| with_volume(
        &mut d,
        projected(vec![
            Projection::config_map("settings").item("token", "token"),
            Projection::service_account_token("token"),
        ])
    ),
    r#"volumes[2].projected.sources[1].serviceAccountToken.path: duplicate path "token""#
);
rule!(
    projected_source_has_exactly_one_kind,
    |d| {
        let mut s = Projection::config_map("settings").to_k8s();
        s.secret = Projection::secret("tls").to_k8s().secret;
        with_volume(&mut d, projected(vec![s.into()]));
    },
    "volumes[2].projected.sources[0]: must have exactly one source, found configMap, secret"
);
rule!(
    projected_config_map_name,
    |d| with_volume(&mut d, projected(vec![Projection::config_map("Settings")])),
    r#"volumes[2].projected.sources[0].configMap.name: "Settings" must consist of lowercase letters, digits, '-' and '.'"#
);
rule!(
    projected_secret_item_key,
    |d| with_volume(
        &mut d,
        projected(vec![Projection::secret("tls").item("a b", "a")])
    ),
    r#"volumes[2].projected.sources[0].secret.items[0].key: "a b" must consist of alphanumerics, '-', '_' or '.'"#
);
rule!(
    projected_downward_items,
    |d| with_volume(
        &mut d,
        projected(vec![Projection::downward_api().field("ip", "status.podIP")])
    ),
    r#"volumes[2].projected.sources[0].downwardAPI.items[0].fieldRef.fieldPath: "status.podIP" is not a supported field (metadata.name, metadata.namespace, metadata.uid, metadata.labels, metadata.annotations, metadata.labels['<key>'], metadata.annotations['<key>'])"#
);
rule!(
    projected_default_mode,
    |d| with_volume(
        &mut d,
        vol(Volume::projected("bundle")
            .source(Projection::config_map("a"))
            .default_mode(-1))
    ),
    "volumes[2].projected.defaultMode: -1 is not a file mode (0 to 0o777)"
);

#[test]
fn rules_kept_stricter_say_so_and_relax_per_object() {
    let mut d = base();
    web(&mut d).lifecycle = Some(core::Lifecycle {
        pre_stop: Some(core::LifecycleHandler {
            sleep: Some(core::SleepAction { seconds: 0 }),
            ..Default::default()
        }),
        ..Default::default()
    });
    assert_eq!(
        errors(&d),
        [
            r#"deployment "web": spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds: must be >= 1, got 0 (a sleep of 0 does nothing) (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: sleep-zero relaxes it)"#
        ]
    );
    d.metadata.annotations = Some(
        [(
            kubeprint::validate::RELAX_ANNOTATION.to_owned(),
            "port-names,sleep-zero".to_owned(),
        )]
        .into(),
    );
    assert_eq!(errors(&d), Vec::<String>::new());
    // Other rules stay: a negative sleep is the apiserver's error too.
    web(&mut d)
        .lifecycle
        .as_mut()
        .unwrap()
        .pre_stop
        .as_mut()
        .unwrap()
        .sleep = Some(core::SleepAction { seconds: -1 });
    assert_eq!(errors(&d).len(), 1, "{:?}", errors(&d));
}
