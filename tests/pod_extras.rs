//! Lifecycle hooks, downward API and projected volumes through the builders: the bundle's
//! reference check and config checksum see ConfigMaps and Secrets of projected volumes, and the
//! pod still passes Pod Security Standards *restricted*.

use kubeprint::pod::restricted_findings;
use kubeprint::prelude::*;

const CHECKSUM: &str = "kubeprint.dev/config-checksum";

fn web() -> Deployment {
    let template = PodTemplate::builder()
        .rollout_on_config_change()
        .termination_grace_period(45)
        .volume(Volume::empty_dir("tmp"))
        .volume(
            Volume::downward_api("podinfo")
                .field("labels", "metadata.labels")
                .field("annotations", "metadata.annotations")
                .field("name", "metadata.name")
                .field("namespace", "metadata.namespace")
                .field("uid", "metadata.uid")
                .resource("memory-limit", "web", "limits.memory")
                .resource("cpu-request", "web", "requests.cpu"),
        )
        .volume(
            Volume::projected("bundle")
                .source(Projection::config_map("settings").item("level", "config/level"))
                .source(Projection::secret("tls").item("tls.crt", "tls/tls.crt"))
                .source(Projection::downward_api().field("pod/labels", "metadata.labels"))
                .source(
                    Projection::service_account_token("vault/token")
                        .audience("vault")
                        .expiration(3600),
                )
                .default_mode(0o440),
        )
        .container(
            Container::builder()
                .name("web")
                .image("registry.example/web:1.0")
                .port(Port::tcp("http", 8080))
                .resources(
                    Resources::new()
                        .requests(Cpu::millis(100), Memory::mib(64))
                        .limits(Cpu::millis(500), Memory::mib(128)),
                )
                .post_start(Hook::http_get("/warm-up", "http"))
                .pre_stop(Hook::sleep(10))
                .mount(Mount::new("tmp", "/tmp"))
                .mount(Mount::new("podinfo", "/etc/podinfo").read_only())
                .mount(Mount::new("bundle", "/etc/bundle").read_only())
                .build(),
        )
        .container(
            Container::builder()
                .name("proxy")
                .image("registry.example/proxy:1.0")
                .pre_stop(Hook::exec(["/proxy", "drain"]))
                .build(),
        )
        .build();
    Deployment::builder().name("web").template(template).build()
}

fn config_map(level: &str) -> ConfigMap {
    ConfigMap::builder()
        .name("settings")
        .entry("level", level)
        .build()
}

fn tls(cert: &str) -> Secret {
    Secret::builder().name("tls").entry("tls.crt", cert).build()
}

fn app(level: &str, cert: &str) -> Bundle {
    Bundle::new("web")
        .with(web())
        .and_then(|b| b.with(config_map(level)))
        .and_then(|b| b.with(tls(cert)))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn checksum(b: &Bundle) -> String {
    let yaml = b.to_yaml().unwrap_or_else(|e| panic!("{e}"));
    yaml.lines()
        .find(|l| l.contains(CHECKSUM))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no checksum in\n{yaml}"))
}

#[test]
fn renders_hooks_and_volumes() {
    let yaml = app("info", "cert").to_yaml().unwrap();
    for expected in [
        "preStop:\n            sleep:\n              seconds: 10",
        "postStart:\n            httpGet:\n              path: /warm-up\n              port: http",
        "preStop:\n            exec:\n              command:\n              - /proxy\n              - drain",
        "terminationGracePeriodSeconds: 45",
        "- downwardAPI:\n          items:\n          - fieldRef:\n              fieldPath: metadata.labels\n            path: labels",
        "resourceFieldRef:\n              containerName: web\n              resource: limits.memory",
        "- serviceAccountToken:\n              audience: vault\n              expirationSeconds: 3600\n              path: vault/token",
        "defaultMode: 288",
    ] {
        assert!(yaml.contains(expected), "{expected:?} not in\n{yaml}");
    }
}

#[test]
fn projected_config_maps_and_secrets_are_references() {
    let b = Bundle::new("web")
        .with(web())
        .unwrap_or_else(|e| panic!("{e}"));
    let err = b.check().unwrap_err();
    let messages: Vec<String> = err.violations().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            r#"deployment "web": spec.template.spec.volumes[2].projected.sources[0].configMap.name: configmap "settings" is neither in the bundle nor declared external"#,
            r#"deployment "web": spec.template.spec.volumes[2].projected.sources[1].secret.name: secret "tls" is neither in the bundle nor declared external"#,
        ]
    );
    // A key the item names must exist.
    let b = Bundle::new("web")
        .with(web())
        .and_then(|b| {
            b.with(
                ConfigMap::builder()
                    .name("settings")
                    .entry("colour", "x")
                    .build(),
            )
        })
        .and_then(|b| b.with(tls("cert")))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = b.check().unwrap_err();
    assert_eq!(
        err.violations()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            r#"deployment "web": spec.template.spec.volumes[2].projected.sources[0].configMap.items[0].key: configmap "settings" has no key "level""#
        ]
    );
    assert!(app("info", "cert").check().is_ok());
}

#[test]
fn config_checksum_covers_projected_sources() {
    let base = checksum(&app("info", "cert"));
    assert_eq!(base, checksum(&app("info", "cert")));
    assert_ne!(base, checksum(&app("debug", "cert")));
    assert_ne!(base, checksum(&app("info", "other cert")));
}

#[test]
fn passes_pod_security_restricted() {
    let d = web().to_object().unwrap_or_else(|e| panic!("{e}"));
    let spec = d.spec.template.spec.unwrap_or_default();
    assert_eq!(restricted_findings(&spec), Vec::<String>::new());
}

#[test]
fn invalid_hooks_name_the_field() {
    let bad = Deployment::builder()
        .name("web")
        .template(
            PodTemplate::builder()
                .termination_grace_period(5)
                .container(
                    Container::builder()
                        .name("web")
                        .image("registry.example/web:1.0")
                        .pre_stop(Hook::sleep(5))
                        .post_start(Hook::http_get("/", "http"))
                        .build(),
                )
                .build(),
        )
        .build();
    let messages: Vec<String> = bad
        .to_object()
        .unwrap_err()
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        [
            r#"deployment "web": spec.template.spec.containers[0].lifecycle.postStart.httpGet.port: "http" is not the name of a port of this container (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: port-names relaxes it)"#,
            r#"deployment "web": spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds: must be less than terminationGracePeriodSeconds (5), got 5 (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: sleep-grace relaxes it)"#,
        ]
    );
}
