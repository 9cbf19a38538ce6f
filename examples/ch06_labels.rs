//! Chapter 6, *Labels and Annotations*: the book's four deployments of two apps in three
//! environments, labelled `app`, `env` and `ver`, and selectors in kubectl's syntax.
//!
//! ```sh
//! cargo run --example ch06_labels                    # print the YAML
//! cargo run --example ch06_labels -- apply --wait
//! kubectl get pods --selector="app=bandicoot,ver=2"  # then query them like the book does
//! ```

use kubeprint::pod::PodSecurity;
use kubeprint::prelude::*;

/// One of the book's deployments: `app` and `env` select its pods; `ver` only describes them.
fn deployment(app: &str, env: &str, ver: &str, replicas: i32) -> Deployment {
    Deployment::builder()
        .name(format!("{app}-{env}"))
        .replicas(replicas)
        .labels(Labels::from([("app", app), ("env", env), ("ver", ver)]))
        .annotations(Labels::from([(
            "kubernetes.io/change-cause",
            format!("{app} version {ver} in {env}"),
        )]))
        .template(
            PodTemplate::builder()
                .selector_label("app", app)
                .selector_label("env", env)
                .label("ver", ver)
                // kuard's image runs as `nobody`, a name the kubelet cannot check: say it in numbers.
                .security(PodSecurity::restricted().run_as_user(65534))
                .container(
                    Container::builder()
                        .name(app)
                        .image(format!(
                            "gcr.io/kuar-demo/kuard-amd64:{}",
                            if ver == "1" { "blue" } else { "green" }
                        ))
                        .port(Port::tcp("http", 8080))
                        .build(),
                )
                .build(),
        )
        .build()
}

/// The application: alpaca in prod and test, bandicoot in prod and staging.
pub fn app() -> kubeprint::Result<Bundle> {
    let mut bundle = Bundle::new("ch06-labels");
    bundle
        .add(deployment("alpaca", "prod", "1", 2))?
        .add(deployment("alpaca", "test", "2", 1))?
        .add(deployment("bandicoot", "prod", "2", 2))?
        .add(deployment("bandicoot", "staging", "2", 1))?;
    Ok(bundle)
}

/// The selectors the chapter runs with `kubectl get --selector`, and the deployments each
/// matches (by their labels). `tests/examples.rs` checks the answers.
#[allow(dead_code)]
pub fn selections(bundle: &Bundle) -> kubeprint::Result<Vec<(String, Vec<String>)>> {
    let queries = [
        "ver=2",
        "app=bandicoot,ver=2",
        "app in (alpaca,bandicoot)",
        "canary",
        "!canary",
        "env!=prod",
    ];
    let mut out = Vec::new();
    for query in queries {
        let selector = Selector::parse(query)?;
        let matched = bundle
            .objects()
            .iter()
            .filter(|o| selector.matches(&o.metadata().labels.clone().unwrap_or_default()))
            .map(|o| o.name().to_owned())
            .collect();
        out.push((selector.to_string(), matched));
    }
    Ok(out)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
