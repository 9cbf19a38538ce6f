//! Chapter 11, *ConfigMaps and Secrets*: the kuard pod reading a ConfigMap as environment
//! variables, as a command-line argument and as files (`kuard-config.yaml`); a Secret with a TLS
//! certificate mounted as files (`kuard-secret.yaml`); and an image-pull Secret.
//!
//! ```sh
//! cargo run --example ch11_config
//! REGISTRY_PASSWORD=... cargo run --example ch11_config -- apply --wait
//! ```
//!
//! The ConfigMap and the Secret are read from `examples/data/`, like the book's
//! `kubectl create configmap my-config --from-file=my-config.txt ...`.

use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;
use std::path::PathBuf;

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(file)
}

/// The application: the ConfigMap, two Secrets and the pod using all three.
pub fn app() -> kubeprint::Result<Bundle> {
    // kubectl create configmap my-config --from-file=my-config.txt
    //   --from-literal=extra-param=extra-value --from-literal=another-param=another-value
    let config = ConfigMap::builder()
        .name("my-config")
        .file(data("my-config.txt"))
        .entry("extra-param", "extra-value")
        .entry("another-param", "another-value")
        .build();

    // kubectl create secret generic kuard-tls --from-file=kuard.crt --from-file=kuard.key
    let tls = Secret::builder()
        .name("kuard-tls")
        .file(data("kuard.crt"))
        .file(data("kuard.key"))
        .build();

    // kubectl create secret docker-registry my-image-pull-secret ...; the password comes from the
    // environment, never from source code.
    let password = std::env::var("REGISTRY_PASSWORD").unwrap_or_else(|_| "change-me".to_owned());
    let pull = Secret::docker_registry(
        "my-image-pull-secret",
        "https://index.docker.io/v1/",
        "kuard-demo",
        password,
    );

    let kuard = Container::builder()
        .name("test-container")
        .image("gcr.io/kuar-demo/kuard-amd64:blue")
        // A ConfigMap value as an argument: $(VAR) expands an environment variable.
        .command(["/kuard", "$(EXTRA_PARAM)"])
        .env(EnvVar::from_config_map(
            "ANOTHER_PARAM",
            "my-config",
            "another-param",
        ))
        .env(EnvVar::from_config_map(
            "EXTRA_PARAM",
            "my-config",
            "extra-param",
        ))
        .port(Port::tcp("http", 8080))
        .port(Port::tcp("https", 8443))
        .mount(Mount::new("config-volume", "/config"))
        .mount(Mount::new("tls-certs", "/tls").read_only())
        .build();

    let pod = Pod::builder()
        .name("kuard-config")
        .template(
            PodTemplate::builder()
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(kuard)
                .volume(Volume::config_map("config-volume", "my-config"))
                .volume(Volume::secret("tls-certs", "kuard-tls"))
                .image_pull_secret("my-image-pull-secret")
                .build(),
        )
        .build();

    Bundle::new("ch11-config")
        .with(config)?
        .with(tls)?
        .with(pull)?
        .with(pod)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
