//! Parse Server on a MongoDB replica set, with an optional Parse Dashboard.
//!
//! A full example and the list of setters are on [`Parse`].
//!
//! ## Objects
//! For a blueprint named `api`: Deployment `api` (default 2 replicas) and Service `api`
//! (port 1337), Secret `api` (keys `master-key` and `maintenance-key`, and with the dashboard
//! `dashboard-password` and `dashboard-cookie-secret`; generated once), NetworkPolicy `api`,
//! a PodDisruptionBudget when there is more than one replica, an optional Ingress `api` for the
//! public URL ([`PublicIngress`]: host and path of `public_url`), an optional ConfigMap
//! `api-cloud` (Cloud Code `main.js`), and the database: by default an embedded [`MongoDb`]
//! blueprint named `api-mongodb` (database and user `parse`) whose NetworkPolicy admits Parse's
//! pods; or the MongoDB blueprint given; or an external URI in a Secret
//! ([`ParseDatabase::External`]). With a [`Dashboard`]: Deployment and Service `api-dashboard`
//! (port 4040) and NetworkPolicy `api-dashboard`.
//!
//! ## How it runs
//! - Configuration through `PARSE_SERVER_*` variables: `PARSE_SERVER_APPLICATION_ID`, the master
//!   and maintenance keys through `secretKeyRef`, `PARSE_PUBLIC_SERVER_URL`, and
//!   `PARSE_SERVER_MASTER_KEY_IPS` (the CIDR blocks allowed to use the master key; default
//!   loopback only, `127.0.0.1/32,::1/128`). Behind an Ingress every request comes from the
//!   ingress controller's pod IP: a block covering the pod network (`10.0.0.0/8` on many
//!   clusters) would hand the master key's powers to every external caller that has the key.
//!   Keep it loopback, and use the master key from inside the pod (`kubectl exec`, Cloud Code)
//!   or from a dedicated address.
//! - With a MongoDB blueprint, `PARSE_SERVER_DATABASE_URI` is assembled in the pod by Kubernetes'
//!   `$(VAR)` expansion from `PARSE_DATABASE_PASSWORD`, which comes from the MongoDB Secret: the
//!   password is in no manifest. (It must be URI-safe: generated ones are alphanumeric.)
//! - Probes `GET /parse/health` (503 while starting, 200 once connected to the database).
//! - Each Parse Server process caches the class schema in memory. A class created or changed
//!   through one pod is not known to the other pods until they reload it (a master-key request,
//!   a restart): seen on the real node, where an object created through one pod was refused
//!   (`code 119`) through the other. Create classes before scaling out, or restart the
//!   Deployment after a schema change; Parse's shared schema cache needs MongoDB change streams.
//! - UID/GID 1000 (`node` in the image), read-only root filesystem; emptyDirs at `/tmp` and
//!   `/parse-server/logs`.
//!
//! ## Reachability
//! The NetworkPolicy `api` admits, on port 1337, the declared [`Client`]s, the dashboard's pods
//! and the [`IngressController`](super::IngressController) of the [`PublicIngress`]: an
//! Ingress without a controller is a validation error, since nothing could reach Parse
//! through it where NetworkPolicy is enforced.
//!
//! The dashboard is off by default. Its browser code calls Parse Server with the master key
//! from the *browser's* address, which must therefore be in `master_key_ips`.

use super::mongodb::MongoDb;
use super::{
    Blueprint, Client, Credentials, PublicIngress, SecretKeyRef, check_clients, start_checks,
};
use crate::api::apps::Deployment;
use crate::api::core::configmap::ConfigMap;
use crate::api::core::secret::Generate;
use crate::bundle::Bundle;
use crate::error::Result;
use crate::meta::Labels;
use crate::pod::{Container, EnvVar, Mount, Port, Probe, Resources, Volume};
use crate::quantity::{Cpu, Memory};
use typed_builder::TypedBuilder;

/// The default image.
pub const IMAGE: &str = "parseplatform/parse-server:8.6.26";
/// The default dashboard image.
pub const DASHBOARD_IMAGE: &str = "parseplatform/parse-dashboard:7.4.0";
/// Parse Server's port.
pub const PORT: i32 = 1337;
/// The dashboard's port.
pub const DASHBOARD_PORT: i32 = 4040;
/// Parse Server's mount path.
pub const MOUNT_PATH: &str = "/parse";
/// UID and GID of the `node` user of the official images.
pub const UID: i64 = 1000;
/// Secret key of the master key.
pub const MASTER_KEY_KEY: &str = "master-key";
/// Secret key of the maintenance key.
pub const MAINTENANCE_KEY_KEY: &str = "maintenance-key";
/// Secret key of the dashboard user's password.
pub const DASHBOARD_PASSWORD_KEY: &str = "dashboard-password";
/// Secret key of the dashboard's session cookie secret.
pub const DASHBOARD_COOKIE_KEY: &str = "dashboard-cookie-secret";

fn default_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(100), Memory::mib(256))
        .limit_memory(Memory::mib(1024))
}

fn default_dashboard_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(50), Memory::mib(128))
        .limit_memory(Memory::mib(512))
}

fn strings(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

/// Parse's database.
#[derive(Clone, Debug)]
pub enum ParseDatabase {
    /// A MongoDB blueprint, added to Parse's bundle; its NetworkPolicy admits Parse.
    MongoDb(Box<MongoDb>),
    /// A database managed elsewhere: the full connection URI is in this Secret key (declared
    /// external).
    External(SecretKeyRef),
}

impl From<MongoDb> for ParseDatabase {
    fn from(m: MongoDb) -> Self {
        ParseDatabase::MongoDb(Box::new(m))
    }
}

/// Parse Dashboard settings.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Dashboard, Parse};
/// let api = Parse::new("api", "shop")
///     .dashboard(Dashboard::builder().user("admin").app_name("Shop").build())
///     .build();
/// let bundle = api.bundle()?;
/// assert!(bundle.get("Deployment", "api-dashboard").is_some());
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Dashboard::builder()`](Dashboard::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.image(impl Into<String>)` | The image (default [`DASHBOARD_IMAGE`]). |
/// | `.user(impl Into<String>)` | The login name (password: [`DASHBOARD_PASSWORD_KEY`] in the Secret). |
/// | `.app_name(impl Into<String>)` / `.app_name_opt(Option<..>)` | The app name shown. |
/// | `.resources(Resources)` | Resources of the dashboard container. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Dashboard {
    /// The image (default [`DASHBOARD_IMAGE`]).
    #[builder(default = DASHBOARD_IMAGE.to_owned(), setter(into))]
    image: String,
    /// The login name (password: [`DASHBOARD_PASSWORD_KEY`] in the Secret).
    #[builder(default = "admin".to_owned(), setter(into))]
    user: String,
    /// The app name shown.
    #[builder(default, setter(into, strip_option(fallback = app_name_opt)))]
    app_name: Option<String>,
    /// Resources of the dashboard container.
    #[builder(default = default_dashboard_resources())]
    resources: Resources,
}

impl Default for Dashboard {
    fn default() -> Self {
        Dashboard::builder().build()
    }
}

/// A Parse Server. `name` and `app_id` are required.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Dashboard, IngressController, MongoDb, Parse, PublicIngress};
/// let api = Parse::builder()
///     .name("api")
///     .app_id("my-app")
///     .public_url("https://api.example.com/parse")
///     .ingress(
///         PublicIngress::builder()
///             .class("nginx")
///             .tls_secret("api-tls")
///             .controller(IngressController::namespace("ingress-nginx"))
///             .build(),
///     )
///     .database(MongoDb::builder().name("api-db").database("parse").user("parse").build())
///     .dashboard(Dashboard::default())
///     .build();
/// let conn = api.connection();
/// assert_eq!(conn.server_url, "http://api:1337/parse");
/// assert_eq!(conn.master_key.key, "master-key");
/// let bundle = api.bundle()?;
/// assert!(bundle.get("Ingress", "api").is_some());
/// assert!(bundle.get("Deployment", "api-dashboard").is_some());
/// bundle.check()?;
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Parse::new`] (the required fields as arguments) or [`Parse::builder()`](Parse::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | Name of the Deployment and Service, prefix of the other objects. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | Namespace of every object; left to the bundle or the apply target when unset. |
/// | `.app_id(impl Into<String>)` — **required** | The application id (`PARSE_SERVER_APPLICATION_ID`). |
/// | `.public_url(impl Into<String>)` / `.public_url_opt(Option<..>)` | The URL clients use (`PARSE_PUBLIC_SERVER_URL`); default: the Service's in-cluster URL. |
/// | `.master_key_ips(Vec<String>)` | Addresses or CIDR blocks allowed to use the master key (default localhost only). |
/// | `.image(impl Into<String>)` | The image (default [`IMAGE`]). |
/// | `.digest(impl Into<String>)` / `.digest_opt(Option<..>)` | Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`, which no re-pushed tag can change. |
/// | `.replicas(i32)` | Number of Parse Server pods (default 2). |
/// | `.spread(super::Spread)` | How the pods spread over nodes (default [`Spread::Soft`](super::Spread::Soft); only with more than one pod). |
/// | `.database(impl Into<ParseDatabase>)` / `.database_opt(Option<..>)` | The database; default: a MongoDB blueprint named `NAME-mongodb`. |
/// | `.credentials(Credentials)` | Where the keys come from (keys [`MASTER_KEY_KEY`], [`MAINTENANCE_KEY_KEY`], and with the dashboard [`DASHBOARD_PASSWORD_KEY`], [`DASHBOARD_COOKIE_KEY`]). |
/// | `.resources(Resources)` | Resources of each `parse-server` container (default: requests 100m CPU / 256Mi, limit 1Gi). |
/// | `.cloud_code(impl Into<String>)` / `.cloud_code_opt(Option<..>)` | Cloud Code: the content of `main.js`, mounted from a ConfigMap. |
/// | `.dashboard(Dashboard)` / `.dashboard_opt(Option<..>)` | The dashboard; off by default. |
/// | `.ingress(PublicIngress)` / `.ingress_opt(Option<..>)` | An Ingress for `public_url` (required with it), through the given ingress controller. |
/// | `.client(client)` (repeatable) | Pods allowed to connect to Parse Server (and to the dashboard). |
/// | `.labels(impl Into<Labels>)` | Extra labels on every object. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Parse {
    /// Name of the Deployment and Service, prefix of the other objects.
    #[builder(setter(into))]
    name: String,
    /// Namespace of every object; left to the bundle or the apply target when unset.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// The application id (`PARSE_SERVER_APPLICATION_ID`).
    #[builder(setter(into))]
    app_id: String,
    /// The URL clients use (`PARSE_PUBLIC_SERVER_URL`); default: the Service's in-cluster URL.
    #[builder(default, setter(into, strip_option(fallback = public_url_opt)))]
    public_url: Option<String>,
    /// Addresses or CIDR blocks allowed to use the master key (default localhost only).
    #[builder(
        default = strings(["127.0.0.1/32", "::1/128"]),
        setter(transform = |ips: impl IntoIterator<Item = impl Into<String>>| strings(ips))
    )]
    master_key_ips: Vec<String>,
    /// The image (default [`IMAGE`]).
    #[builder(default = IMAGE.to_owned(), setter(into))]
    image: String,
    /// Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`,
    /// which no re-pushed tag can change.
    #[builder(default, setter(into, strip_option(fallback = digest_opt)))]
    digest: Option<String>,
    /// Number of Parse Server pods (default 2).
    #[builder(default = 2)]
    replicas: i32,
    /// How the pods spread over nodes (default [`Spread::Soft`](super::Spread::Soft); only with more than one pod).
    #[builder(default)]
    spread: super::Spread,
    /// The database; default: a MongoDB blueprint named `NAME-mongodb`.
    #[builder(default, setter(into, strip_option(fallback = database_opt)))]
    database: Option<ParseDatabase>,
    /// Where the keys come from (keys [`MASTER_KEY_KEY`], [`MAINTENANCE_KEY_KEY`], and with the
    /// dashboard [`DASHBOARD_PASSWORD_KEY`], [`DASHBOARD_COOKIE_KEY`]).
    #[builder(default)]
    credentials: Credentials,
    /// Resources of each `parse-server` container (default: requests 100m CPU / 256Mi, limit 1Gi).
    #[builder(default = default_resources())]
    resources: Resources,
    /// Cloud Code: the content of `main.js`, mounted from a ConfigMap.
    #[builder(default, setter(into, strip_option(fallback = cloud_code_opt)))]
    cloud_code: Option<String>,
    /// The dashboard; off by default.
    #[builder(default, setter(strip_option(fallback = dashboard_opt)))]
    dashboard: Option<Dashboard>,
    /// An Ingress for `public_url` (required with it), through the given ingress controller.
    #[builder(default, setter(strip_option(fallback = ingress_opt)))]
    ingress: Option<PublicIngress>,
    /// Pods allowed to connect to Parse Server (and to the dashboard).
    #[builder(
        via_mutators,
        mutators(
            /// Admits a client through the NetworkPolicy.
            pub fn client(&mut self, client: Client) {
                self.clients.push(client);
            }
        )
    )]
    clients: Vec<Client>,
    /// Extra labels on every object.
    #[builder(default, setter(into))]
    labels: Labels,
}

impl Parse {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the application id; go on with any
    /// other setter, then `.build()`. Same as `Parse::builder().name(..).app_id(..)`, but leaving
    /// one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        app_id: impl Into<String>,
    ) -> ParseBuilder<(
        (String,),
        (),
        (String,),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (Vec<Client>,),
        (),
    )> {
        Self::builder().name(name).app_id(app_id)
    }
}

/// How clients reach a [`Parse`] server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseConnection {
    /// In-cluster URL of the API (`http://SERVICE:1337/parse`).
    pub server_url: String,
    /// The public URL.
    pub public_url: String,
    /// The application id.
    pub app_id: String,
    /// Where the master key is.
    pub master_key: SecretKeyRef,
    /// Labels of Parse Server's pods.
    pub pod_labels: Labels,
}

impl Parse {
    /// The blueprint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn server_url(&self) -> String {
        format!(
            "http://{}:{PORT}{MOUNT_PATH}",
            super::service_host(&self.name, self.namespace.as_deref())
        )
    }

    fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| self.server_url())
    }

    /// The database blueprint or Secret in use (the default one when none was given).
    pub fn database(&self) -> ParseDatabase {
        match &self.database {
            Some(d) => d.clone(),
            None => ParseDatabase::MongoDb(Box::new(
                MongoDb::builder()
                    .name(format!("{}-mongodb", self.name))
                    .database("parse")
                    .user("parse")
                    .labels(self.labels.clone())
                    .build(),
            )),
        }
    }

    /// Validates the configuration (and the embedded MongoDB blueprint's): every problem, each
    /// naming its field.
    pub fn validate(&self) -> Result<()> {
        let mut c = start_checks("Parse", &self.name, self.namespace.as_deref(), "-dashboard");
        super::check_image(&mut c, "image", &self.image);
        super::check_digest(&mut c, &self.image, self.digest.as_deref());
        let id_ok = self
            .app_id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if self.app_id.is_empty() {
            c.fail("app_id", "must not be empty");
        } else if !id_ok {
            c.fail(
                "app_id",
                format!(
                    "{:?} must be ASCII letters, digits, '-', '_' or '.' (no spaces)",
                    self.app_id
                ),
            );
        } else if self.app_id.len() > 128 {
            c.fail(
                "app_id",
                format!("{:?} is longer than 128 characters", self.app_id),
            );
        }
        let scheme = match &self.public_url {
            Some(url) => match super::parse_http_url(url) {
                Ok((scheme, _, _)) => Some(scheme),
                Err(m) => {
                    c.fail("public_url", m);
                    None
                }
            },
            None => None,
        };
        if let Some(ingress) = &self.ingress {
            if self.public_url.is_none() {
                c.fail(
                    "ingress",
                    "needs a public_url (the Ingress routes its host and path)",
                );
            }
            ingress.check(&mut c, scheme);
        }
        if self.master_key_ips.is_empty() {
            c.fail(
                "master_key_ips",
                "must not be empty (use 127.0.0.1/32 for localhost only)",
            );
        }
        for (i, ip) in self.master_key_ips.iter().enumerate() {
            c.check(format_args!("master_key_ips[{i}]"), super::check_cidr(ip));
        }
        super::check_replicas(&mut c, self.replicas);
        self.credentials.check(&mut c, "credentials");
        if let Some(ParseDatabase::MongoDb(m)) = &self.database
            && m.connection().tls.is_some()
        {
            c.fail(
                "database",
                "an embedded MongoDB with TLS is not supported yet (Parse Server would need its \
                 CA); use ParseDatabase::External with a URI that carries the TLS options",
            );
        }
        if let Some(ParseDatabase::External(uri)) = &self.database {
            c.check(
                "database.secret",
                crate::validate::dns1123_subdomain(&uri.secret),
            );
            c.check("database.key", crate::validate::config_key(&uri.key));
        }
        if let Some(d) = &self.dashboard {
            super::check_image(&mut c, "dashboard.image", &d.image);
            if d.user.is_empty() || d.user.contains([':', '\n']) {
                c.fail("dashboard.user", format!("{:?} is not a user name", d.user));
            }
        }
        check_clients(&mut c, &self.clients);
        super::finish_with_embedded(c, self.database.is_some(), || match self.database() {
            ParseDatabase::MongoDb(m) => m.or_namespace(self.namespace.as_deref()).validate(),
            ParseDatabase::External(_) => Ok(()),
        })
    }
}

impl Blueprint for Parse {
    type Connection = ParseConnection;

    fn bundle(&self) -> Result<Bundle> {
        self.validate()?;
        build(self)
    }

    fn connection(&self) -> ParseConnection {
        ParseConnection {
            server_url: self.server_url(),
            public_url: self.public_url(),
            app_id: self.app_id.clone(),
            master_key: SecretKeyRef::new(self.credentials.secret_name(&self.name), MASTER_KEY_KEY),
            pod_labels: super::selector_labels("parse-server", &self.name),
        }
    }
}

/// Where Cloud Code is mounted.
const CLOUD_DIR: &str = "/parse-server/cloud";

fn build(p: &Parse) -> Result<Bundle> {
    let name = p.name.as_str();
    let image = super::image_ref(&p.image, p.digest.as_deref());
    let labels = super::standard_labels("parse-server", name, "api", &p.labels);
    let selector = super::selector_labels("parse-server", name);
    let dashboard_name = format!("{name}-dashboard");
    let dashboard_selector = super::selector_labels("parse-dashboard", name);
    let secret = p.credentials.secret_name(name);
    let public_url = p.public_url();
    let mut bundle = Bundle::new(name);

    let mut keys = vec![
        (MASTER_KEY_KEY, Generate::Alphanumeric(40)),
        (MAINTENANCE_KEY_KEY, Generate::Alphanumeric(40)),
    ];
    if p.dashboard.is_some() {
        keys.push((DASHBOARD_PASSWORD_KEY, Generate::alphanumeric()));
        keys.push((DASHBOARD_COOKIE_KEY, Generate::Alphanumeric(48)));
    }
    super::add_credentials(&mut bundle, &p.credentials, name, &labels, &keys)?;

    // The database URI: assembled in the pod from the MongoDB Secret (`$(VAR)` expansion), or
    // read whole from the user's Secret.
    let mut server = Container::builder().name("parse-server").image(&image);
    match p.database() {
        ParseDatabase::MongoDb(m) => {
            let m = m
                .or_namespace(p.namespace.as_deref())
                .with_client(Client::Pods(selector.clone()));
            bundle.extend(m.bundle()?)?;
            let db = m.connection();
            server = server
                .env(EnvVar::from_secret(
                    "PARSE_DATABASE_PASSWORD",
                    &db.password.secret,
                    &db.password.key,
                ))
                .env(EnvVar::value(
                    "PARSE_SERVER_DATABASE_URI",
                    db.uri_with_password_var("PARSE_DATABASE_PASSWORD"),
                ));
        }
        ParseDatabase::External(uri) => {
            bundle.external_secret(uri.secret.clone());
            server = server.env(EnvVar::from_secret(
                "PARSE_SERVER_DATABASE_URI",
                &uri.secret,
                &uri.key,
            ));
        }
    }
    let health = || Probe::http_get(format!("{MOUNT_PATH}/health"), "http");
    server = server
        .port(Port::tcp("http", PORT))
        .env(EnvVar::value("PORT", PORT.to_string()))
        .env(EnvVar::value("PARSE_SERVER_APPLICATION_ID", &p.app_id))
        .env(EnvVar::from_secret(
            "PARSE_SERVER_MASTER_KEY",
            &secret,
            MASTER_KEY_KEY,
        ))
        .env(EnvVar::from_secret(
            "PARSE_SERVER_MAINTENANCE_KEY",
            &secret,
            MAINTENANCE_KEY_KEY,
        ))
        .env(EnvVar::value(
            "PARSE_SERVER_MASTER_KEY_IPS",
            p.master_key_ips.join(","),
        ))
        .env(EnvVar::value("PARSE_SERVER_MOUNT_PATH", MOUNT_PATH))
        // The server's own calls (Cloud Code's SDK) go to itself, from localhost.
        .env(EnvVar::value(
            "PARSE_SERVER_URL",
            format!("http://localhost:{PORT}{MOUNT_PATH}"),
        ))
        .env(EnvVar::value("PARSE_PUBLIC_SERVER_URL", &public_url))
        .mount(Mount::new("tmp", "/tmp"))
        .mount(Mount::new("logs", "/parse-server/logs"));
    let cloud = format!("{name}-cloud");
    if let Some(code) = &p.cloud_code {
        bundle.add(
            ConfigMap::builder()
                .name(&cloud)
                .labels(labels.clone())
                .entry("main.js", code.clone())
                .build(),
        )?;
        server = server
            .env(EnvVar::value(
                "PARSE_SERVER_CLOUD",
                format!("{CLOUD_DIR}/main.js"),
            ))
            .mount(Mount::new("cloud", CLOUD_DIR).read_only());
    }
    let server = server
        .startup(health().period(5).timeout(5).failure_threshold(60))
        .readiness(health().period(10).timeout(5).failure_threshold(3))
        .liveness(health().period(20).timeout(5).failure_threshold(3))
        .resources(p.resources.clone())
        .build();
    let mut template = super::spread_template!(
        super::labelled_template!(&selector, &labels),
        p.spread,
        p.replicas
    )
    .container(server)
    .volume(super::empty_dir("tmp"))
    .volume(super::empty_dir("logs"));
    if p.cloud_code.is_some() {
        template = template.volume(Volume::config_map("cloud", &cloud));
    }
    let template = template.security(super::pod_security(UID)).build();
    bundle.add(
        Deployment::builder()
            .name(name)
            .labels(labels.clone())
            .replicas(p.replicas)
            .template(template)
            .build(),
    )?;
    bundle.add(super::client_service(
        name,
        &labels,
        &selector,
        &[("http", PORT)],
    ))?;
    if p.replicas > 1 {
        bundle.add(super::disruption_budget(name, &labels, &selector))?;
    }
    let mut clients = p.clients.clone();
    if let (Some(ingress), Some(url)) = (&p.ingress, &p.public_url) {
        let (_, authority, path) = super::parse_http_url(url).map_err(|m| {
            crate::Error::Invalid(vec![crate::Violation::new(
                crate::ObjectRef::new("Parse", name),
                "public_url",
                m,
            )])
        })?;
        ingress.add(&mut bundle, name, &labels, authority, path, "http")?;
        clients.extend(ingress.controller_client());
    }
    let peers = p.dashboard.as_ref().map(|_| dashboard_selector.clone());
    super::network_policy(
        &mut bundle,
        name,
        &labels,
        &selector,
        &[PORT],
        &clients,
        peers.as_slice(),
    )?;

    if let Some(d) = &p.dashboard {
        let labels = super::standard_labels("parse-dashboard", name, "dashboard", &p.labels);
        let app_name = d.app_name.clone().unwrap_or_else(|| p.app_id.clone());
        let dashboard = Container::builder()
            .name("parse-dashboard")
            .image(&d.image)
            .port(Port::tcp("http", DASHBOARD_PORT))
            .env(EnvVar::value("PORT", DASHBOARD_PORT.to_string()))
            // The browser calls this URL with the master key.
            .env(EnvVar::value("PARSE_DASHBOARD_SERVER_URL", &public_url))
            .env(EnvVar::value("PARSE_DASHBOARD_APP_ID", &p.app_id))
            .env(EnvVar::value("PARSE_DASHBOARD_APP_NAME", app_name))
            .env(EnvVar::from_secret(
                "PARSE_DASHBOARD_MASTER_KEY",
                &secret,
                MASTER_KEY_KEY,
            ))
            .env(EnvVar::value("PARSE_DASHBOARD_USER_ID", &d.user))
            .env(EnvVar::from_secret(
                "PARSE_DASHBOARD_USER_PASSWORD",
                &secret,
                DASHBOARD_PASSWORD_KEY,
            ))
            .env(EnvVar::from_secret(
                "PARSE_DASHBOARD_COOKIE_SESSION_SECRET",
                &secret,
                DASHBOARD_COOKIE_KEY,
            ))
            // Behind an Ingress terminating TLS (X-Forwarded-Proto); the dashboard refuses
            // plain HTTP logins otherwise.
            .env(EnvVar::value("PARSE_DASHBOARD_TRUST_PROXY", "1"))
            .mount(Mount::new("tmp", "/tmp"))
            .startup(
                Probe::tcp("http")
                    .period(5)
                    .timeout(5)
                    .failure_threshold(60),
            )
            .readiness(
                Probe::tcp("http")
                    .period(10)
                    .timeout(5)
                    .failure_threshold(3),
            )
            .liveness(
                Probe::tcp("http")
                    .period(20)
                    .timeout(5)
                    .failure_threshold(3),
            )
            .resources(d.resources.clone())
            .build();
        let template = super::labelled_template!(&dashboard_selector, &labels)
            .container(dashboard)
            .volume(super::empty_dir("tmp"))
            .security(super::pod_security(UID))
            .build();
        bundle.add(
            Deployment::builder()
                .name(&dashboard_name)
                .labels(labels.clone())
                .replicas(1)
                .template(template)
                .build(),
        )?;
        bundle.add(super::client_service(
            &dashboard_name,
            &labels,
            &dashboard_selector,
            &[("http", DASHBOARD_PORT)],
        ))?;
        super::network_policy(
            &mut bundle,
            &dashboard_name,
            &labels,
            &dashboard_selector,
            &[DASHBOARD_PORT],
            &p.clients,
            &[],
        )?;
    }
    if let Some(ns) = &p.namespace {
        bundle.set_namespace(ns);
    }
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_and_ips() {
        let p = Parse::builder()
            .name("api")
            .app_id("my app")
            .master_key_ips(["10.0.0.0/8", "10.0.0.0/40", "localhost"])
            .public_url("api.example.com")
            .build();
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "parse \"api\": app_id: \"my app\" must be ASCII letters, digits, '-', '_' or '.' (no spaces)\n\
             parse \"api\": public_url: \"api.example.com\" is not an http:// or https:// URL\n\
             parse \"api\": master_key_ips[1]: \"10.0.0.0/40\" has an invalid prefix length (0-32)\n\
             parse \"api\": master_key_ips[2]: \"localhost\" is not an IP address or CIDR block"
        );
        Parse::builder()
            .name("api")
            .app_id("my-app")
            .build()
            .validate()
            .unwrap();
    }

    #[test]
    fn connection_defaults() {
        let p = Parse::builder()
            .name("api")
            .namespace("apps")
            .app_id("x")
            .build();
        let c = p.connection();
        assert_eq!(c.server_url, "http://api.apps.svc:1337/parse");
        assert_eq!(c.public_url, c.server_url);
        assert_eq!(c.master_key, SecretKeyRef::new("api", "master-key"));
    }
}
