//! MySQL: one server in a StatefulSet, with a root account and one application user and
//! database.
//!
//! A full example and the list of setters are on [`MySql`].
//!
//! ## Objects
//! For a blueprint named `db`: StatefulSet `db` (one pod, `db-0`), headless Service
//! `db-headless` (stable pod DNS name), client Service `db` (port 3306), Secret `db` (keys
//! `root-password` and `password`, generated once) unless an existing Secret is given,
//! ConfigMap `db-config` (files of `/etc/mysql/conf.d`), ConfigMap `db-scripts` (the probe and
//! backup scripts), NetworkPolicy `db`; with backups CronJob and PersistentVolumeClaim
//! `db-backup`; with metrics Service and NetworkPolicy `db-metrics`
//! (and ServiceMonitor `db` if asked for); with `Eviction::Block` a
//! PodDisruptionBudget `db`.
//!
//! ## How it runs
//! - The image's entrypoint initialises an empty data directory: root password from
//!   `MYSQL_ROOT_PASSWORD_FILE`, application user and database from `MYSQL_USER`,
//!   `MYSQL_PASSWORD_FILE` and `MYSQL_DATABASE` (the `_FILE` variables point into the mounted
//!   Secret). Root may only log in from inside the pod (`MYSQL_ROOT_HOST=localhost`); the
//!   application user from anywhere the NetworkPolicy admits.
//! - The data directory is the claim's `mysql` sub-directory (`subPath`): `mysqld
//!   --initialize` refuses a directory that is not empty, and a fresh filesystem's root holds
//!   `lost+found`.
//! - Startup and liveness probes run `mysqladmin ping` (exit status 0 as long as the server
//!   answers, even when it refuses the login, as it does while initialising). Readiness runs an
//!   authenticated `SELECT 1`. Both log in as root over the socket with the password in an
//!   option file on a pipe (see `scripts/mysql-probe.sh`), never on a command line.
//! - Runs as UID/GID 999 (`mysql` in the image) with a read-only root filesystem; emptyDirs
//!   back `/var/run/mysqld` (socket, pid file), `/tmp` and `/var/lib/mysql-files`.
//!
//! ## Metrics
//! With [`Metrics`](super::Metrics): a `metrics` sidecar ([`EXPORTER_IMAGE`],
//! `mysqld_exporter`) serving Prometheus metrics on port 9104 (`metrics`), reached through
//! Service `NAME-metrics` (one target per pod; with [`ServiceMonitor`](super::ServiceMonitor) a Prometheus Operator
//! `ServiceMonitor` `NAME` selects it) and opened by NetworkPolicy `NAME-metrics` to the
//! declared scrapers only. It logs in over the pod's loopback as
//! [`EXPORTER_USER`]`@127.0.0.1`, a least-privilege account (PROCESS, REPLICATION CLIENT,
//! SELECT on `performance_schema`, at most 3 connections; nothing of the application's data)
//! whose password is generated once into the Secret (key [`EXPORTER_PASSWORD_KEY`]; an existing
//! Secret must have it). `scripts/mysql-exporter-user.sh` creates the account, run by the
//! image's entrypoint from `/docker-entrypoint-initdb.d` on the first start. **For a database
//! initialised before metrics were turned on**, run it once by hand (idempotent):
//! ```sh
//! kubectl exec db-0 -c mysql -- bash /opt/kubeprint/mysql-exporter-user.sh
//! ```
//! Tested by `tests/scripts/exporters.test.sh`: the script against a real MariaDB, then the
//! Debian `mysqld_exporter` (0.14, an older release than the image's) logging in with that
//! account reports `mysql_up 1` with no collector failing. The image's own flags
//! (`--mysqld.username`, `MYSQLD_EXPORTER_PASSWORD`) are rendered only.
//!
//! ## TLS
//! With [`Tls`](super::Tls): `ssl_cert`, `ssl_key` (and `ssl_ca`) from the `kubernetes.io/tls`
//! Secret, and `require_secure_transport = ON` (TCP connections without TLS are refused; the
//! Unix socket counts as secure) unless plaintext is allowed. The probes and the restore use
//! the socket and are unaffected; the backup job connects over TLS (`ssl-mode=VERIFY_CA` with
//! the CA, else `REQUIRED`); the exporter uses TLS on the loopback without verification (a
//! certificate issued for the Services cannot match 127.0.0.1; the traffic never leaves the
//! pod). Tested by `tests/scripts/mysql-tls.test.sh` against a real MariaDB running this
//! blueprint's rendered `kubeprint.cnf`.
//!
//! ## Backups
//! With [`Backup`](super::Backup): CronJob `db-backup` runs `scripts/mysql-backup.sh backup`
//! (the same image) as the application user over the Service: a consistent `mysqldump`
//! (`--single-transaction`, routines and triggers) of the application database, written to
//! `/backup/DATABASE-<UTC time>.sql` on PersistentVolumeClaim `db-backup` (under a temporary
//! name until complete), keeping the newest `keep`. The NetworkPolicy admits the backup pods.
//!
//! **Restore** (tested by `tests/scripts/mysql-backup.test.sh` against a real server): copy a
//! dump out of the claim (e.g. from a pod mounting `db-backup`), then feed it to the server's
//! own pod, which has the script and the password file:
//! ```sh
//! kubectl exec -i db-0 -c mysql -- bash /opt/kubeprint/mysql-backup.sh restore - < app-20261202T030000Z.sql
//! ```
//! The dump recreates the tables it holds (each `DROP TABLE IF EXISTS` first); tables created
//! after the dump are left alone.
//!
//! One replica only: MySQL replication (or Group Replication) needs an operator's care that a
//! plain StatefulSet cannot give. So no PodDisruptionBudget by default (one protecting a single
//! pod blocks node drains forever); [`Eviction::Block`](super::Eviction::Block) adds one for
//! those who want every move of the database to be a decision.
//!
//! ## Replacing the image
//! The image must behave like the official one: the `docker-entrypoint.sh` environment
//! variables above, `bash`, `mysql` and `mysqladmin` on the `PATH`, and
//! `/etc/mysql/conf.d` included by its `my.cnf`.

use super::{
    Blueprint, Client, Credentials, Persistence, SecretKeyRef, check_clients, start_checks,
};
use crate::api::core::configmap::ConfigMap;
use crate::api::core::secret::Generate;
use crate::bundle::Bundle;
use crate::error::Result;
use crate::meta::Labels;
use crate::pod::{Container, EnvVar, Mount, Port, Probe, Resources, Volume};
use crate::quantity::{Cpu, Memory};
use typed_builder::TypedBuilder;

/// The default image.
pub const IMAGE: &str = "mysql:8.4.10";
/// The MySQL port.
pub const PORT: i32 = 3306;
/// UID and GID of the `mysql` user of the official image.
pub const UID: i64 = 999;
/// Secret key of the root password.
pub const ROOT_PASSWORD_KEY: &str = "root-password";
/// Secret key of the application user's password.
pub const PASSWORD_KEY: &str = "password";
/// Secret key of the metrics exporter's password (generated once, with metrics on).
pub const EXPORTER_PASSWORD_KEY: &str = "exporter-password";
/// The metrics exporter's account (`exporter`@`127.0.0.1`).
pub const EXPORTER_USER: &str = "exporter";
/// The default metrics exporter image ([`Metrics`](super::Metrics)).
pub const EXPORTER_IMAGE: &str = "prom/mysqld-exporter:v0.17.2";
/// The exporter's metrics port.
pub const METRICS_PORT: i32 = 9104;

const PROBE_SCRIPT: &str = include_str!("scripts/mysql-probe.sh");
const BACKUP_SCRIPT: &str = include_str!("scripts/mysql-backup.sh");
const EXPORTER_USER_SCRIPT: &str = include_str!("scripts/mysql-exporter-user.sh");

fn default_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(250), Memory::mib(512))
        .limit_memory(Memory::gib(1))
}

/// A MySQL server. Only `name` is required.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Client, MySql, Persistence};
/// use kubeprint::Labels;
/// let db = MySql::builder()
///     .name("shop-db")
///     .database("shop")
///     .user("shop")
///     .storage(Persistence::builder().size("50Gi").storage_class("fast").build())
///     .setting("max_connections", "300")
///     .client(Client::external_pods(Labels::from([("app", "shop")])))
///     .build();
/// let conn = db.connection();
/// assert_eq!((conn.host.as_str(), conn.port), ("shop-db", 3306));
/// assert_eq!(conn.password.key, "password");
/// let bundle = db.bundle()?;
/// bundle.check()?;
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`MySql::builder()`](MySql::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | Name of the StatefulSet and client Service, prefix of the other objects. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | Namespace of every object; left to the bundle or the apply target when unset. |
/// | `.image(impl Into<String>)` | The image (default [`IMAGE`]). |
/// | `.digest(impl Into<String>)` / `.digest_opt(Option<..>)` | Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`, which no re-pushed tag can change. |
/// | `.database(impl Into<String>)` | The application database, created on first start. |
/// | `.user(impl Into<String>)` | The application user, with all privileges on `database`. |
/// | `.credentials(Credentials)` | Where the passwords come from (keys [`ROOT_PASSWORD_KEY`] and [`PASSWORD_KEY`]). |
/// | `.storage(Persistence)` | The data volume (default 8Gi, claims retained). |
/// | `.eviction(super::Eviction)` | What a node drain may do to the pod (default [`Eviction::Allow`](super::Eviction): no PodDisruptionBudget; see [`Eviction`](super::Eviction) for the trade-off). |
/// | `.backup(super::Backup)` / `.backup_opt(Option<..>)` | Scheduled dumps of the application database (`mysqldump`); off by default. |
/// | `.tls(super::Tls)` / `.tls_opt(Option<..>)` | TLS with the certificate of a `kubernetes.io/tls` Secret; off by default. |
/// | `.metrics(super::Metrics)` / `.metrics_opt(Option<..>)` | A `mysqld_exporter` sidecar with a monitoring account of its own; off by default. |
/// | `.resources(Resources)` | Resources of the `mysql` container (default: requests 250m CPU / 512Mi, limit 1Gi). |
/// | `.setting(key, value)` (repeatable) | Server settings written to `/etc/mysql/conf.d/kubeprint.cnf` under `[mysqld]`. |
/// | `.client(client)` (repeatable) | Pods allowed to connect (besides nothing else: the NetworkPolicy denies the rest). |
/// | `.labels(impl Into<Labels>)` | Extra labels on every object (the selector labels are never changed by them). |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct MySql {
    /// Name of the StatefulSet and client Service, prefix of the other objects.
    #[builder(setter(into))]
    name: String,
    /// Namespace of every object; left to the bundle or the apply target when unset.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// The image (default [`IMAGE`]).
    #[builder(default = IMAGE.to_owned(), setter(into))]
    image: String,
    /// Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`,
    /// which no re-pushed tag can change.
    #[builder(default, setter(into, strip_option(fallback = digest_opt)))]
    digest: Option<String>,
    /// The application database, created on first start.
    #[builder(default = "app".to_owned(), setter(into))]
    database: String,
    /// The application user, with all privileges on `database`.
    #[builder(default = "app".to_owned(), setter(into))]
    user: String,
    /// Where the passwords come from (keys [`ROOT_PASSWORD_KEY`] and [`PASSWORD_KEY`]).
    #[builder(default)]
    credentials: Credentials,
    /// The data volume (default 8Gi, claims retained).
    #[builder(default = Persistence::of("8Gi"))]
    storage: Persistence,
    /// What a node drain may do to the pod (default [`Eviction::Allow`](super::Eviction): no
    /// PodDisruptionBudget; see [`Eviction`](super::Eviction) for the trade-off).
    #[builder(default)]
    eviction: super::Eviction,
    /// Scheduled dumps of the application database (`mysqldump`); off by default.
    #[builder(default, setter(strip_option(fallback = backup_opt)))]
    backup: Option<super::Backup>,
    /// TLS with the certificate of a `kubernetes.io/tls` Secret; off by default.
    #[builder(default, setter(strip_option(fallback = tls_opt)))]
    tls: Option<super::Tls>,
    /// A `mysqld_exporter` sidecar with a monitoring account of its own; off by default.
    #[builder(default, setter(strip_option(fallback = metrics_opt)))]
    metrics: Option<super::Metrics>,
    /// Resources of the `mysql` container (default: requests 250m CPU / 512Mi, limit 1Gi).
    #[builder(default = default_resources())]
    resources: Resources,
    /// Server settings written to `/etc/mysql/conf.d/kubeprint.cnf` under `[mysqld]`.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a server setting (`setting("max_connections", "300")`).
            pub fn setting(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.settings.push((key.into(), value.into()));
            }
        )
    )]
    settings: Vec<(String, String)>,
    /// Pods allowed to connect (besides nothing else: the NetworkPolicy denies the rest).
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
    /// Extra labels on every object (the selector labels are never changed by them).
    #[builder(default, setter(into))]
    labels: Labels,
}

/// How clients reach a [`MySql`] server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MySqlConnection {
    /// Host name of the client Service.
    pub host: String,
    /// Port.
    pub port: i32,
    /// The application database.
    pub database: String,
    /// The application user.
    pub user: String,
    /// Where the application user's password is.
    pub password: SecretKeyRef,
    /// TLS, when on (`ssl-mode=VERIFY_CA` with its CA, or `VERIFY_IDENTITY` when the
    /// certificate names the host).
    pub tls: Option<super::ClientTls>,
    /// Labels of the server's pods (e.g. for a client's own egress policy).
    pub pod_labels: Labels,
}

impl MySql {
    /// The blueprint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The same blueprint, also admitting `client` through its NetworkPolicy.
    #[must_use]
    pub fn with_client(mut self, client: Client) -> Self {
        self.clients.push(client);
        self
    }

    /// The same blueprint in `namespace` unless it has one already.
    #[must_use]
    pub(crate) fn or_namespace(mut self, namespace: Option<&str>) -> Self {
        if self.namespace.is_none() {
            self.namespace = namespace.map(str::to_owned);
        }
        self
    }

    /// Validates the configuration: every problem, each naming its field.
    pub fn validate(&self) -> Result<()> {
        let mut c = start_checks("MySQL", &self.name, self.namespace.as_deref(), "-headless");
        super::check_image(&mut c, "image", &self.image);
        super::check_digest(&mut c, &self.image, self.digest.as_deref());
        c.check("database", identifier(&self.database, 64));
        c.check("user", identifier(&self.user, 32));
        if let Some(b) = &self.backup {
            b.check(&mut c);
        }
        if let Some(tls) = &self.tls {
            tls.check(&mut c);
        }
        if let Some(m) = &self.metrics {
            m.check(&mut c);
            if self.user == EXPORTER_USER {
                c.fail(
                    "user",
                    "must not be \"exporter\" with metrics on (the exporter's own account)",
                );
            }
        }
        if self.user == "root" {
            c.fail(
                "user",
                "must not be \"root\" (the root account is managed separately)",
            );
        }
        self.credentials.check(&mut c, "credentials");
        self.storage.check(&mut c, "storage");
        for (i, (key, value)) in self.settings.iter().enumerate() {
            c.check(format_args!("settings[{i}]"), setting(key, value));
        }
        check_clients(&mut c, &self.clients);
        c.finish()
    }
}

/// A MySQL identifier this blueprint accepts for database and user names: ASCII letters, digits
/// and `_`, not starting with a digit, at most `max` characters. (MySQL itself accepts more
/// when quoted; these are the names that need no quoting anywhere.)
fn identifier(s: &str, max: usize) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > max {
        return Some(format!("{s:?} is longer than {max} characters"));
    }
    let valid = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit());
    (!valid).then(|| format!("{s:?} is not a valid identifier: use ASCII letters, digits and '_', not starting with a digit"))
}

/// A `[mysqld]` option line: a name of letters, digits, '-' and '_', and a one-line value.
fn setting(key: &str, value: &str) -> Option<String> {
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Some(format!(
            "{key:?} is not an option name (letters, digits, '-' and '_')"
        ));
    }
    if value.contains(['\n', '\r']) {
        return Some(format!("the value of {key:?} must be one line"));
    }
    None
}

impl Blueprint for MySql {
    type Connection = MySqlConnection;

    fn bundle(&self) -> Result<Bundle> {
        self.validate()?;
        build(self)
    }

    fn connection(&self) -> MySqlConnection {
        MySqlConnection {
            host: super::service_host(&self.name, self.namespace.as_deref()),
            port: PORT,
            database: self.database.clone(),
            user: self.user.clone(),
            password: SecretKeyRef::new(self.credentials.secret_name(&self.name), PASSWORD_KEY),
            tls: self.tls.as_ref().map(|t| t.client(PORT)),
            pod_labels: super::selector_labels("mysql", &self.name),
        }
    }
}

fn build(m: &MySql) -> Result<Bundle> {
    let name = m.name.as_str();
    let image = super::image_ref(&m.image, m.digest.as_deref());
    let labels = super::standard_labels("mysql", name, "database", &m.labels);
    let selector = super::selector_labels("mysql", name);
    let secret = m.credentials.secret_name(name);
    let config = format!("{name}-config");
    let scripts = format!("{name}-scripts");
    let headless = format!("{name}-headless");
    let mut bundle = Bundle::new(name);

    let mut keys = vec![
        (ROOT_PASSWORD_KEY, Generate::alphanumeric()),
        (PASSWORD_KEY, Generate::alphanumeric()),
    ];
    if m.metrics.is_some() {
        keys.push((EXPORTER_PASSWORD_KEY, Generate::alphanumeric()));
    }
    super::add_credentials(&mut bundle, &m.credentials, name, &labels, &keys)?;
    bundle.add(
        ConfigMap::builder()
            .name(&config)
            .labels(labels.clone())
            .entry("kubeprint.cnf", server_config(m))
            .build(),
    )?;
    let mut files = vec![
        super::BACKUP_LIB,
        ("mysql-backup.sh", BACKUP_SCRIPT),
        ("mysql-probe.sh", PROBE_SCRIPT),
    ];
    if m.metrics.is_some() {
        files.push(("mysql-exporter-user.sh", EXPORTER_USER_SCRIPT));
    }
    bundle.add(super::scripts_config_map(&scripts, &labels, &files))?;

    let secret_file = |key: &str| format!("{SECRET_DIR}/{key}");
    let probe = |mode: &str| Probe::exec(super::script_command("bash", "mysql-probe.sh", &[mode]));
    let mysql = Container::builder()
        .name("mysql")
        .image(&image)
        .port(Port::tcp("mysql", PORT))
        .env(EnvVar::value(
            "MYSQL_ROOT_PASSWORD_FILE",
            secret_file(ROOT_PASSWORD_KEY),
        ))
        .env(EnvVar::value("MYSQL_ROOT_HOST", "localhost"))
        .env(EnvVar::value("MYSQL_DATABASE", &m.database))
        .env(EnvVar::value("MYSQL_USER", &m.user))
        .env(EnvVar::value(
            "MYSQL_PASSWORD_FILE",
            secret_file(PASSWORD_KEY),
        ))
        .mount(Mount::new("data", "/var/lib/mysql").sub_path("mysql"))
        .mount(Mount::new("config", "/etc/mysql/conf.d").read_only())
        .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
        .mount(Mount::new("secret", SECRET_DIR).read_only())
        .mount(Mount::new("run", "/var/run/mysqld"))
        .mount(Mount::new("tmp", "/tmp"))
        .mount(Mount::new("files", "/var/lib/mysql-files"))
        // First start initialises the data directory (time zones, users): up to 10 minutes.
        .startup(probe("ping").period(10).timeout(5).failure_threshold(60))
        .liveness(probe("ping").period(10).timeout(5).failure_threshold(3))
        .readiness(probe("ready").period(10).timeout(5).failure_threshold(3))
        .resources(m.resources.clone());
    let mut secret_volume = Volume::secret("secret", &secret)
        .item(ROOT_PASSWORD_KEY, ROOT_PASSWORD_KEY)
        .item(PASSWORD_KEY, PASSWORD_KEY)
        .default_mode(0o440);
    let mut exporter = None;
    let mysql = match &m.tls {
        Some(_) => mysql.mount(Mount::new("tls", super::TLS_DIR).read_only()),
        None => mysql,
    };
    let mysql = match &m.metrics {
        None => mysql.build(),
        Some(metrics) => {
            secret_volume = secret_volume.item(EXPORTER_PASSWORD_KEY, EXPORTER_PASSWORD_KEY);
            exporter = Some(exporter_container(metrics, &secret, m.tls.is_some()));
            // The image's entrypoint runs it once the root password is set, on the first start.
            mysql
                .env(EnvVar::value(
                    "MYSQL_EXPORTER_PASSWORD_FILE",
                    secret_file(EXPORTER_PASSWORD_KEY),
                ))
                .mount(
                    Mount::new(
                        "scripts",
                        "/docker-entrypoint-initdb.d/kubeprint-exporter-user.sh",
                    )
                    .sub_path("mysql-exporter-user.sh")
                    .read_only(),
                )
                .build()
        }
    };
    let mut template = super::labelled_template!(&selector, &labels)
        .container(mysql)
        .volume(Volume::config_map("config", &config))
        .volume(Volume::config_map("scripts", &scripts).default_mode(0o555))
        .volume(secret_volume)
        .volume(super::empty_dir("run"))
        .volume(super::empty_dir("tmp"))
        .volume(super::empty_dir("files"))
        .security(super::pod_security(UID))
        .termination_grace_period(60);
    if let Some(exporter) = exporter {
        template = template.container(exporter);
    }
    if let Some(tls) = &m.tls {
        template = template.volume(tls.volume(&mut bundle));
    }
    let template = template.build();
    bundle.add(super::stateful_set(
        name, &labels, &headless, 1, template, &m.storage, None,
    )?)?;
    bundle.add(super::headless_service(
        &headless,
        &labels,
        &selector,
        &[("mysql", PORT)],
    ))?;
    bundle.add(super::client_service(
        name,
        &labels,
        &selector,
        &[("mysql", PORT)],
    ))?;
    super::single_replica_budget(&mut bundle, m.eviction, name, &labels, &selector)?;
    let mut peers = Vec::new();
    if let Some(b) = &m.backup {
        let backup_selector = super::selector_labels("mysql-backup", name);
        let backup_labels = super::standard_labels("mysql-backup", name, "backup", &m.labels);
        let dump = Container::builder()
            .name("backup")
            .image(&image)
            .command(super::script_command(
                "bash",
                "mysql-backup.sh",
                &["backup"],
            ))
            .env(EnvVar::value("MYSQL_HOST", name))
            .env(EnvVar::value("MYSQL_PORT", PORT.to_string()))
            .env(EnvVar::value("MYSQL_USER", &m.user))
            .env(EnvVar::value("MYSQL_DATABASE", &m.database))
            .env(EnvVar::value(
                "MYSQL_PASSWORD_FILE",
                secret_file(PASSWORD_KEY),
            ))
            .env(EnvVar::value("BACKUP_DIR", BACKUP_DIR))
            .env(EnvVar::value("BACKUP_KEEP", b.keep().to_string()))
            .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
            .mount(Mount::new("secret", SECRET_DIR).read_only())
            .mount(Mount::new("backup", BACKUP_DIR))
            .mount(Mount::new("tmp", "/tmp"))
            .resources(
                Resources::new()
                    .requests(Cpu::millis(100), Memory::mib(128))
                    .limit_memory(Memory::mib(512)),
            );
        // Over the network with TLS: verifying with the CA only (the job needs no server key).
        let dump = match &m.tls {
            None => dump.build(),
            Some(tls) if tls.has_ca() => dump
                .env(EnvVar::value("MYSQL_SSL_CA", super::Tls::file("ca.crt")))
                .mount(Mount::new("tls", super::TLS_DIR).read_only())
                .build(),
            Some(_) => dump.env(EnvVar::value("MYSQL_TLS", "required")).build(),
        };
        let mut template = super::labelled_template!(&backup_selector, &backup_labels);
        if let Some(tls) = m.tls.as_ref().filter(|t| t.has_ca()) {
            template = template.volume(
                Volume::secret("tls", tls.secret())
                    .item(tls.ca_key_name(), "ca.crt")
                    .default_mode(0o440),
            );
        }
        let template = template
            .container(dump)
            .volume(Volume::config_map("scripts", &scripts).default_mode(0o555))
            .volume(
                Volume::secret("secret", &secret)
                    .item(PASSWORD_KEY, PASSWORD_KEY)
                    .default_mode(0o440),
            )
            .volume(Volume::pvc("backup", format!("{name}-backup")))
            .volume(super::empty_dir("tmp"))
            .security(super::pod_security(UID))
            .build();
        b.add(&mut bundle, name, &backup_labels, template)?;
        peers.push(backup_selector);
    }
    super::network_policy(
        &mut bundle,
        name,
        &labels,
        &selector,
        &[PORT],
        &m.clients,
        &peers,
    )?;
    if let Some(metrics) = &m.metrics {
        metrics.add(&mut bundle, name, &labels, &selector, METRICS_PORT)?;
    }
    if let Some(ns) = &m.namespace {
        bundle.set_namespace(ns);
    }
    Ok(bundle)
}

/// The `metrics` sidecar: `mysqld_exporter` logging in as [`EXPORTER_USER`] over the pod's
/// loopback, its password from the Secret through `MYSQLD_EXPORTER_PASSWORD`.
fn exporter_container(metrics: &super::Metrics, secret: &str, tls: bool) -> Container {
    let mut args = vec![
        format!("--mysqld.address=127.0.0.1:{PORT}"),
        format!("--mysqld.username={EXPORTER_USER}"),
        format!("--web.listen-address=:{METRICS_PORT}"),
    ];
    if tls {
        // TLS over the pod's loopback, where a certificate issued for the Services cannot
        // match 127.0.0.1: encrypted, not verified (the traffic never leaves the pod).
        args.push("--tls.insecure-skip-verify".to_owned());
    }
    metrics.sidecar(super::Exporter {
        image: EXPORTER_IMAGE,
        port: METRICS_PORT,
        health_path: "/",
        memory_limit: Memory::mib(64),
        args,
        env: vec![EnvVar::from_secret(
            "MYSQLD_EXPORTER_PASSWORD",
            secret,
            EXPORTER_PASSWORD_KEY,
        )],
        mounts: Vec::new(),
    })
}

/// Where the backup claim is mounted in the backup pods.
const BACKUP_DIR: &str = "/backup";

/// Where the Secret's keys are mounted as files (`*_FILE` variables, readiness script).
const SECRET_DIR: &str = "/etc/mysql-secret";

/// `/etc/mysql/conf.d/kubeprint.cnf`.
fn server_config(m: &MySql) -> String {
    let mut cnf = String::from("# Managed by kubeprint.\n[mysqld]\nskip-name-resolve\n");
    if let Some(tls) = &m.tls {
        cnf.push_str(&format!(
            "ssl_cert = {}\nssl_key = {}\n",
            super::Tls::file("tls.crt"),
            super::Tls::file("tls.key")
        ));
        if tls.has_ca() {
            cnf.push_str(&format!("ssl_ca = {}\n", super::Tls::file("ca.crt")));
        }
        // The socket counts as secure: the probes and the restore (in the pod) are unaffected.
        let require = if tls.plaintext_allowed() { "OFF" } else { "ON" };
        cnf.push_str(&format!("require_secure_transport = {require}\n"));
    }
    for (key, value) in &m.settings {
        cnf.push_str(&format!("{key} = {value}\n"));
    }
    cnf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(m: &MySql) -> String {
        m.validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid() {
        let m = MySql::builder().name("db").build();
        m.validate().unwrap();
        let c = m.connection();
        assert_eq!(c.host, "db");
        assert_eq!(c.password, SecretKeyRef::new("db", "password"));
        let m = MySql::builder()
            .name("db")
            .namespace("shop")
            .credentials(Credentials::existing("mine"))
            .build();
        let c = m.connection();
        assert_eq!(c.host, "db.shop.svc");
        assert_eq!(c.password, SecretKeyRef::new("mine", "password"));
    }

    #[test]
    fn bad_identifiers() {
        let m = MySql::builder()
            .name("db")
            .database("my-db")
            .user("9lives")
            .build();
        assert_eq!(
            errors(&m),
            "mysql \"db\": database: \"my-db\" is not a valid identifier: use ASCII letters, digits and '_', not starting with a digit\n\
             mysql \"db\": user: \"9lives\" is not a valid identifier: use ASCII letters, digits and '_', not starting with a digit"
        );
        let m = MySql::builder().name("db").user("root").build();
        assert_eq!(
            errors(&m),
            "mysql \"db\": user: must not be \"root\" (the root account is managed separately)"
        );
        let m = MySql::builder().name("db").user("a".repeat(33)).build();
        assert_eq!(
            errors(&m),
            format!(
                "mysql \"db\": user: \"{}\" is longer than 32 characters",
                "a".repeat(33)
            )
        );
    }

    #[test]
    fn bad_storage_and_settings() {
        let m = MySql::builder()
            .name("db")
            .namespace("Shop")
            .storage(Persistence::of("lots"))
            .setting("max connections", "1")
            .setting("init_connect", "a\nb")
            .build();
        let e = errors(&m);
        assert!(e.contains("mysql \"Shop/db\": namespace: \"Shop\" must consist of lowercase letters, digits and '-'"), "{e}");
        assert!(
            e.contains("mysql \"Shop/db\": storage.size: quantity \"lots\""),
            "{e}"
        );
        assert!(
            e.contains("settings[0]: \"max connections\" is not an option name"),
            "{e}"
        );
        assert!(
            e.contains("settings[1]: the value of \"init_connect\" must be one line"),
            "{e}"
        );
    }
}
