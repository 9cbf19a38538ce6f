//! One program, two environments: a shop (web Deployment, Service, MySQL) deployed as `dev`
//! and `prod`, each in its own namespace, chosen with a flag of the program's own.
//!
//! ```sh
//! cargo run --example environments                            # dev, as YAML
//! cargo run --example environments -- --env prod              # prod, as YAML
//! cargo run --example environments -- --env prod apply --wait
//! SHOP_ENV=prod cargo run --example environments -- diff      # the flag also reads $SHOP_ENV
//! ```
//!
//! What differs is data ([`Settings`]); the objects are built by one chain of builder calls,
//! with the `_opt`/`_if` setters taking what an environment leaves out. Every object carries
//! `app.kubernetes.io/part-of: shop` and `environment: <env>` ([`Bundle::label`]).

use kubeprint::blueprint::{Blueprint, Client, MySql, Persistence};
use kubeprint::poddisruptionbudget::Budget;
use kubeprint::prelude::*;

/// The environments the program knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Env {
    /// One replica, small volume, no disruption budget.
    Dev,
    /// Three replicas with requests and limits, a disruption budget, a bigger volume.
    Prod,
}

/// The program's own options, next to kubeprint's (`render`, `apply`, `-n`, ...).
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// Which environment to render or deploy.
    #[arg(long, env = "SHOP_ENV", value_enum, default_value = "dev")]
    pub env: Env,
}

/// What one environment is made of.
pub struct Settings {
    /// `dev` or `prod`: the namespace is `shop-<name>`.
    pub name: &'static str,
    /// Web replicas; `None` leaves Kubernetes' default (1).
    pub replicas: Option<i32>,
    /// Requests and limits of the web container.
    pub resources: Option<Resources>,
    /// A PodDisruptionBudget keeping this many web pods during node drains.
    pub min_available: Option<i32>,
    /// The database volume.
    pub storage: &'static str,
}

impl Env {
    /// The environment's settings.
    pub fn settings(self) -> Settings {
        match self {
            Env::Dev => Settings {
                name: "dev",
                replicas: None,
                resources: None,
                min_available: None,
                storage: "1Gi",
            },
            Env::Prod => Settings {
                name: "prod",
                replicas: Some(3),
                resources: Some(
                    Resources::new()
                        .requests(Cpu::millis(250), Memory::mib(256))
                        .limits(Cpu::millis(1000), Memory::mib(512)),
                ),
                min_available: Some(2),
                storage: "50Gi",
            },
        }
    }
}

/// The application in environment `env`.
pub fn app_in(env: Env) -> kubeprint::Result<Bundle> {
    let s = env.settings();
    let mut app = Bundle::new("shop");
    app.set_namespace(&format!("shop-{}", s.name));
    app.label("app.kubernetes.io/part-of", "shop")
        .label("environment", s.name);
    app.add(
        Namespace::builder()
            .name(format!("shop-{}", s.name))
            .build(),
    )?;

    let db = MySql::builder()
        .name("shop-db")
        .database("shop")
        .user("shop")
        .storage(Persistence::builder().size(s.storage).build())
        .client(Client::pods(Labels::from([("app", "shop")])))
        .build();
    let conn = db.connection();
    app.extend(db.bundle()?)?;

    let web = Deployment::builder()
        .name("shop")
        .replicas_opt(s.replicas)
        .template(
            PodTemplate::builder()
                .selector_label("app", "shop")
                .container(
                    Container::builder()
                        .name("shop")
                        .image("ghcr.io/example/shop:1.4.2")
                        .port(Port::tcp("http", 8080))
                        .env(EnvVar::value("DB_HOST", conn.host.clone()))
                        .env(conn.password.env("DB_PASSWORD"))
                        .readiness(Probe::http_get("/ready", "http"))
                        .resources(s.resources.unwrap_or_default())
                        .build(),
                )
                .build(),
        )
        .build();
    app.add(Service::for_workload(&web).build())?;
    if let Some(min) = s.min_available {
        app.add(PodDisruptionBudget::for_workload(
            &web,
            Budget::MinAvailable(IntOrPercent::Count(min)),
        ))?;
    }
    app.add(web)?;
    Ok(app)
}

/// The `dev` environment (what `cargo run --example environments` prints).
pub fn app() -> kubeprint::Result<Bundle> {
    app_in(Env::Dev)
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    kubeprint::cli::run_with("The shop, in dev or prod.", |opts: Opts| app_in(opts.env))
}
