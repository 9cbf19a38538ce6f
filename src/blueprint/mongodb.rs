//! MongoDB: a replica set in a StatefulSet (default 3 members, set `rs0`), with keyFile
//! authentication between members, a root user and one application user and database.
//!
//! A full example and the list of setters are on [`MongoDb`].
//!
//! ## Objects
//! For a blueprint named `mongo`: StatefulSet `mongo`, headless Service `mongo-headless`
//! (publishing not-ready pods, so members resolve each other while the set forms; there is no
//! load-balancing Service: replica-set clients connect to the members, see
//! [`MongoDbConnection`]), Secret `mongo` (keys `root-password`, `password`, `keyfile`; generated
//! once), ConfigMap `mongo-scripts`, NetworkPolicy `mongo` and a PodDisruptionBudget
//! (`maxUnavailable: 1`) when there is more than one member; with backups CronJob and
//! PersistentVolumeClaim `mongo-backup`; with metrics NetworkPolicy `mongo-metrics`.
//!
//! ## How it runs
//! - The image's entrypoint creates the root user on an empty data directory
//!   (`MONGO_INITDB_ROOT_PASSWORD_FILE` points into the mounted Secret), then `mongod` starts
//!   with `--replSet`, `--keyFile` and `--bind_ip_all`.
//! - The keyFile must be mode 0400 and owned by the server's user; a Secret volume's files
//!   belong to root, so an init container copies it into an emptyDir with the right mode.
//! - A sidecar, `replicaset`, runs `scripts/mongodb-replicaset.js` with `mongosh` until this
//!   member is in the set, then idles. One idempotent step per run: pod 0 initiates the set
//!   with every member, but only once every member answers and none belongs to a set yet (an
//!   unreachable member may hold the real set's configuration); any other pod that is not a
//!   member asks the primary to add it (which also covers scaling up); once the set has a
//!   primary, the application user is created if missing. The same path serves first starts,
//!   restarts and scale-ups. Pods are created in parallel (`podManagementPolicy: Parallel`):
//!   no member can be ready before the set exists.
//! - Probes use `mongosh`: startup and liveness `ping`, readiness `hello` reporting a primary
//!   or secondary. None needs a password.
//! - UID/GID 999 (`mongodb` in the image), read-only root filesystem; emptyDirs back `/tmp`
//!   (the entrypoint's and mongod's temporary files, `HOME` of `mongosh`) and the keyFile.
//!
//! ## TLS
//! With [`Tls`](super::Tls) (its CA key required): `--tlsMode requireTLS` (or `preferTLS` with
//! plaintext allowed), the Secret's certificate and key joined into one PEM file by an init
//! container (`--tlsCertificateKeyFile` reads both from one file), `--tlsCAFile`, and
//! `--tlsAllowConnectionsWithoutCertificates` (clients authenticate with passwords, members with
//! the keyFile). The certificate must name every member
//! (`NAME-i.NAME-headless.NAMESPACE.svc`) and, if it has extended key usages, allow client
//! authentication too (members present it to each other). Probes, the `replicaset` sidecar and
//! the exporter connect with `tls=true` and the CA; over the loopback they skip the host name
//! check only. The connection's URIs carry `tls=true`. **Rendered only** (no MongoDB here); the
//! official image's entrypoint handling TLS arguments during its first-start initialisation is
//! not verified.
//!
//! ## Metrics
//! With [`Metrics`](super::Metrics): a `metrics` sidecar ([`EXPORTER_IMAGE`],
//! `mongodb_exporter`) in every pod, reading its own `mongod` (`directConnection`) and serving
//! Prometheus metrics on port 9216 (`metrics`), reached through Service `NAME-metrics`
//! (one target per pod; with [`ServiceMonitor`](super::ServiceMonitor) a Prometheus Operator
//! `ServiceMonitor` `NAME` selects it) and opened by NetworkPolicy `NAME-metrics` to the
//! declared scrapers only. It logs in as [`EXPORTER_USER`] in `admin` with the built-in role
//! `clusterMonitor` only (server, replication and collection statistics; no application data
//! and no `read` on `local`, which would expose every write through the oplog — so oplog
//! window metrics are absent), its password generated once into the Secret (key
//! [`EXPORTER_PASSWORD_KEY`]; an existing Secret must have it). The `replicaset` sidecar
//! creates the user through the primary on every start until it exists, so turning metrics on
//! for an existing set works too. The user-creation logic is tested against the simulated
//! replica set (`tests/scripts/mongodb-replicaset.test.mjs`); MongoDB and the exporter are not
//! run (no MongoDB on the test machines): **rendered only**.
//!
//! ## Backups
//! With [`Backup`](super::Backup): CronJob `mongo-backup` runs `scripts/mongodb-backup.sh
//! backup` (the same image, which ships the MongoDB Database Tools): `mongodump --db DATABASE
//! --archive --gzip` over the replica set connection string (every member through the headless
//! Service, `replicaSet=`) with `--readPreference=secondaryPreferred`, so a secondary does the
//! reading and the primary only when no secondary is up. The archive goes to
//! `/backup/DATABASE-<UTC time>.archive.gz` on PersistentVolumeClaim `mongo-backup`, under a
//! temporary name until complete and checked (an intact gzip stream holding a mongodump
//! archive), keeping the newest `keep` (`scripts/backup-lib.sh`, the routine the MySQL and Redis
//! backups use too). The NetworkPolicy admits the backup pods to the database port. With
//! [`Tls`](super::Tls) the job verifies the members with the CA (`--ssl --sslCAFile`).
//!
//! ```
//! use kubeprint::blueprint::{Backup, Blueprint, MongoDb};
//! let db = MongoDb::builder()
//!     .name("mongo")
//!     .backup(Backup::builder().schedule("30 2 * * *").keep(14).build())
//!     .build();
//! let bundle = db.bundle()?;
//! assert!(bundle.get("CronJob", "mongo-backup").is_some());
//! assert!(bundle.get("PersistentVolumeClaim", "mongo-backup").is_some());
//! # Ok::<(), kubeprint::Error>(())
//! ```
//!
//! The job logs in as [`BACKUP_USER`] in `admin` with the built-in role `read` on the
//! application database only: all `mongodump --db` needs (the broader built-in `backup` role
//! reads every database). Its password is generated once into the Secret (key
//! [`BACKUP_PASSWORD_KEY`]; an existing Secret must have it) and reaches `mongodump` as the
//! `password:` of its `--config` YAML on a file descriptor, never on a command line or in the
//! environment of the job. The `replicaset` sidecar creates the user through the primary on
//! every start until it exists, like the exporter's: **for a set initialised before backups
//! were on**, turning them on changes the pod template, and the rolling restart that follows
//! creates the user; nothing is to be done by hand.
//!
//! **Consistency**: no `--oplog` (mongodump accepts it only for a dump of the whole instance,
//! not of one database), so the dump is not a point-in-time snapshot: each collection is as it
//! was when mongodump read it, and writes during the dump may be in it or not. For a moment in
//! time across collections, stop the writers during the backup (or take volume snapshots).
//!
//! **Restore**: copy an archive out of the claim, then feed it to the `replicaset` sidecar of
//! any member, which has the script, the application user's password and the connection
//! string:
//! ```sh
//! kubectl exec -i mongo-0 -c replicaset -- sh /opt/kubeprint/mongodb-backup.sh restore - < app-20261202T030000Z.archive.gz
//! ```
//! It runs `mongorestore --archive --gzip --drop --nsInclude 'DATABASE.*'` as the application
//! user through the primary: every collection the dump holds is dropped and recreated from it
//! (documents and indexes; what was written to it since the backup is gone); collections
//! created after the backup are left alone; users and roles are not touched. No
//! `--oplogReplay`: the dump has no oplog.
//!
//! **Tested**: the script with stand-ins for `mongodump` and `mongorestore`
//! (`tests/scripts/mongodb-backup.test.sh`: the arguments and configuration it hands them, the
//! password on no command line, a failed dump leaving no file and every older one, the
//! rotation), the user creation against the simulated replica set, and the rendered objects.
//! The real tools and MongoDB are not run (not on the test machines): the dump and restore
//! themselves are **rendered only**.
//!
//! Scaling down does not remove members from the replica set configuration; do that with
//! `rs.remove()` first.

use super::{
    Blueprint, Client, Credentials, Persistence, SecretKeyRef, check_clients, start_checks,
};
use crate::api::apps::PodManagementPolicy;
use crate::api::core::secret::Generate;
use crate::bundle::Bundle;
use crate::error::Result;
use crate::meta::Labels;
use crate::pod::{Container, EnvVar, Mount, Port, Probe, Resources, Volume};
use crate::quantity::{Cpu, Memory};
use typed_builder::TypedBuilder;

/// The default image.
pub const IMAGE: &str = "mongo:8.0.17";
/// The mongod port.
pub const PORT: i32 = 27017;
/// UID and GID of the `mongodb` user of the official image.
pub const UID: i64 = 999;
/// Secret key of the root password.
pub const ROOT_PASSWORD_KEY: &str = "root-password";
/// Secret key of the application user's password.
pub const PASSWORD_KEY: &str = "password";
/// Secret key of the replica-set keyFile.
pub const KEYFILE_KEY: &str = "keyfile";
/// Secret key of the metrics exporter's password (generated once, with metrics on).
pub const EXPORTER_PASSWORD_KEY: &str = "exporter-password";
/// The metrics exporter's user (in `admin`, role `clusterMonitor`).
pub const EXPORTER_USER: &str = "exporter";
/// The default metrics exporter image ([`Metrics`](super::Metrics)).
pub const EXPORTER_IMAGE: &str = "percona/mongodb_exporter:0.47.1";
/// The exporter's metrics port.
pub const METRICS_PORT: i32 = 9216;
/// Secret key of the backup user's password (generated once, with backups on).
pub const BACKUP_PASSWORD_KEY: &str = "backup-password";
/// The backup job's user (in `admin`, role `read` on the application database only).
pub const BACKUP_USER: &str = "backup";

const KEYFILE_SCRIPT: &str = include_str!("scripts/mongodb-keyfile.sh");
const REPLICASET_SCRIPT: &str = include_str!("scripts/mongodb-replicaset.sh");
const REPLICASET_JS: &str = include_str!("scripts/mongodb-replicaset.js");
const BACKUP_SCRIPT: &str = include_str!("scripts/mongodb-backup.sh");

fn default_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(250), Memory::gib(1))
        .limit_memory(Memory::gib(2))
}

/// A MongoDB replica set. Only `name` is required.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, MongoDb};
/// let db = MongoDb::builder().name("mongo").database("parse").user("parse").build();
/// let conn = db.connection();
/// assert_eq!(conn.replica_set, "rs0");
/// assert_eq!(conn.hosts[0], "mongo-0.mongo-headless:27017");
/// assert_eq!(
///     conn.uri_without_credentials(),
///     "mongodb://mongo-0.mongo-headless:27017,mongo-1.mongo-headless:27017,mongo-2.mongo-headless:27017/parse?replicaSet=rs0&authSource=parse"
/// );
/// db.bundle()?.check()?;
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`MongoDb::builder()`](MongoDb::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | Name of the StatefulSet and client Service, prefix of the other objects. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | Namespace of every object; left to the bundle or the apply target when unset. |
/// | `.image(impl Into<String>)` | The image (default [`IMAGE`]). |
/// | `.digest(impl Into<String>)` / `.digest_opt(Option<..>)` | Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`, which no re-pushed tag can change. |
/// | `.replicas(i32)` | Number of members (default 3; 1 gives a single-member set). |
/// | `.spread(super::Spread)` | How the pods spread over nodes (default [`Spread::Soft`](super::Spread::Soft); only with more than one pod). |
/// | `.replica_set(impl Into<String>)` | The replica set name. |
/// | `.root_user(impl Into<String>)` | The root user's name (its password is [`ROOT_PASSWORD_KEY`]). |
/// | `.database(impl Into<String>)` | The application database. |
/// | `.user(impl Into<String>)` | The application user, with `readWrite` on `database` (authentication database: `database`). |
/// | `.credentials(Credentials)` | Where the passwords and keyFile come from (keys [`ROOT_PASSWORD_KEY`], [`PASSWORD_KEY`], [`KEYFILE_KEY`]). |
/// | `.storage(Persistence)` | The data volume of each member (default 10Gi, claims retained). |
/// | `.resources(Resources)` | Resources of each `mongod` container (default: requests 250m CPU / 1Gi, limit 2Gi). |
/// | `.tls(super::Tls)` / `.tls_opt(Option<..>)` | TLS with the certificate of a `kubernetes.io/tls` Secret (its CA key is required); off by default. |
/// | `.metrics(super::Metrics)` / `.metrics_opt(Option<..>)` | A `mongodb_exporter` sidecar in every pod, with a `clusterMonitor` user of its own; off by default. |
/// | `.backup(super::Backup)` / `.backup_opt(Option<..>)` | Scheduled dumps of the application database (`mongodump` from a secondary, as a `read`-only user of its own); off by default. See the module documentation for the restore. |
/// | `.client(client)` (repeatable) | Pods allowed to connect. |
/// | `.labels(impl Into<Labels>)` | Extra labels on every object. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct MongoDb {
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
    /// Number of members (default 3; 1 gives a single-member set).
    #[builder(default = 3)]
    replicas: i32,
    /// How the pods spread over nodes (default [`Spread::Soft`](super::Spread::Soft); only with more than one pod).
    #[builder(default)]
    spread: super::Spread,
    /// The replica set name.
    #[builder(default = "rs0".to_owned(), setter(into))]
    replica_set: String,
    /// The root user's name (its password is [`ROOT_PASSWORD_KEY`]).
    #[builder(default = "root".to_owned(), setter(into))]
    root_user: String,
    /// The application database.
    #[builder(default = "app".to_owned(), setter(into))]
    database: String,
    /// The application user, with `readWrite` on `database` (authentication database:
    /// `database`).
    #[builder(default = "app".to_owned(), setter(into))]
    user: String,
    /// Where the passwords and keyFile come from (keys [`ROOT_PASSWORD_KEY`],
    /// [`PASSWORD_KEY`], [`KEYFILE_KEY`]).
    #[builder(default)]
    credentials: Credentials,
    /// The data volume of each member (default 10Gi, claims retained).
    #[builder(default = Persistence::of("10Gi"))]
    storage: Persistence,
    /// Resources of each `mongod` container (default: requests 250m CPU / 1Gi, limit 2Gi).
    #[builder(default = default_resources())]
    resources: Resources,
    /// TLS with the certificate of a `kubernetes.io/tls` Secret (its CA key is required); off by
    /// default.
    #[builder(default, setter(strip_option(fallback = tls_opt)))]
    tls: Option<super::Tls>,
    /// A `mongodb_exporter` sidecar in every pod, with a `clusterMonitor` user of its own; off
    /// by default.
    #[builder(default, setter(strip_option(fallback = metrics_opt)))]
    metrics: Option<super::Metrics>,
    /// Scheduled dumps of the application database (`mongodump` from a secondary, as a
    /// `read`-only user of its own); off by default. See the module documentation for the
    /// restore.
    #[builder(default, setter(strip_option(fallback = backup_opt)))]
    backup: Option<super::Backup>,
    /// Pods allowed to connect.
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

/// How clients reach a [`MongoDb`] replica set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MongoDbConnection {
    /// Seed list: every member, `host:port`.
    pub hosts: Vec<String>,
    /// The replica set name.
    pub replica_set: String,
    /// The application database (also the user's authentication database).
    pub database: String,
    /// The application user.
    pub user: String,
    /// Where the application user's password is.
    pub password: SecretKeyRef,
    /// TLS, when on: the URIs then carry `tls=true`; clients verify with its CA
    /// (`tlsCAFile`).
    pub tls: Option<super::ClientTls>,
    /// Labels of the MongoDB pods.
    pub pod_labels: Labels,
}

impl MongoDbConnection {
    /// `mongodb://hosts/database?replicaSet=..&authSource=..`, without user and password.
    pub fn uri_without_credentials(&self) -> String {
        format!(
            "mongodb://{}/{}?replicaSet={}&authSource={}{}",
            self.hosts.join(","),
            self.database,
            self.replica_set,
            self.database,
            self.tls_option()
        )
    }

    /// `&tls=true` with TLS on.
    fn tls_option(&self) -> &'static str {
        if self.tls.is_some() { "&tls=true" } else { "" }
    }

    /// The URI with `user:$(PASSWORD_VAR)@`: a container argument or variable that Kubernetes
    /// completes from an earlier environment variable `password_var` (fed from the Secret).
    /// The password must be URI-safe (a generated one is alphanumeric).
    pub fn uri_with_password_var(&self, password_var: &str) -> String {
        format!(
            "mongodb://{}:$({password_var})@{}/{}?replicaSet={}&authSource={}{}",
            self.user,
            self.hosts.join(","),
            self.database,
            self.replica_set,
            self.database,
            self.tls_option()
        )
    }
}

impl MongoDb {
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

    #[must_use]
    pub(crate) fn or_namespace(mut self, namespace: Option<&str>) -> Self {
        if self.namespace.is_none() {
            self.namespace = namespace.map(str::to_owned);
        }
        self
    }

    fn headless(&self) -> String {
        format!("{}-headless", self.name)
    }

    /// Validates the configuration: every problem, each naming its field.
    pub fn validate(&self) -> Result<()> {
        let mut c = start_checks(
            "MongoDB",
            &self.name,
            self.namespace.as_deref(),
            "-headless",
        );
        super::check_image(&mut c, "image", &self.image);
        super::check_digest(&mut c, &self.image, self.digest.as_deref());
        super::check_replicas(&mut c, self.replicas);
        if self.replicas > 50 {
            c.fail(
                "replicas",
                format!(
                    "a replica set has at most 50 members, got {}",
                    self.replicas
                ),
            );
        }
        c.check("replica_set", name_rule(&self.replica_set, 64, &['-', '_']));
        c.check(
            "root_user",
            name_rule(&self.root_user, 64, &['-', '_', '.']),
        );
        c.check("user", name_rule(&self.user, 64, &['-', '_', '.']));
        // Database names: no `/\. "$*<>:|?` and shorter than 64 bytes.
        c.check("database", name_rule(&self.database, 63, &['-', '_']));
        if matches!(self.database.as_str(), "admin" | "local" | "config") {
            c.fail(
                "database",
                format!("{:?} is a system database", self.database),
            );
        }
        if self.user == self.root_user {
            c.fail("user", "must differ from root_user");
        }
        if let Some(tls) = &self.tls {
            tls.check(&mut c);
            if !tls.has_ca() {
                c.fail(
                    "tls.ca_key",
                    "must be set for MongoDB: mongod refuses TLS without a chain of trust \
                     (tlsCAFile), and the members verify each other with it",
                );
            }
        }
        if let Some(m) = &self.metrics {
            m.check(&mut c);
            if self.root_user == EXPORTER_USER {
                c.fail(
                    "root_user",
                    "must not be \"exporter\" with metrics on (the exporter's own user)",
                );
            }
        }
        if let Some(b) = &self.backup {
            b.check(&mut c);
            if self.root_user == BACKUP_USER {
                c.fail(
                    "root_user",
                    "must not be \"backup\" with backups on (the backup job's own user)",
                );
            }
        }
        self.credentials.check(&mut c, "credentials");
        self.storage.check(&mut c, "storage");
        check_clients(&mut c, &self.clients);
        c.finish()
    }
}

/// A name of ASCII letters, digits and the given punctuation, not starting with punctuation.
fn name_rule(s: &str, max: usize, punctuation: &[char]) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > max {
        return Some(format!("{s:?} is longer than {max} characters"));
    }
    let valid = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || punctuation.contains(&c))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric());
    let allowed: String = punctuation
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    (!valid).then(|| {
        format!(
            "{s:?} must be ASCII letters, digits and {allowed}, starting with a letter or digit"
        )
    })
}

impl Blueprint for MongoDb {
    type Connection = MongoDbConnection;

    fn bundle(&self) -> Result<Bundle> {
        self.validate()?;
        build(self)
    }

    fn connection(&self) -> MongoDbConnection {
        let domain = super::service_host(&self.headless(), self.namespace.as_deref());
        MongoDbConnection {
            hosts: (0..self.replicas.max(1))
                .map(|i| format!("{}-{i}.{domain}:{PORT}", self.name))
                .collect(),
            replica_set: self.replica_set.clone(),
            database: self.database.clone(),
            user: self.user.clone(),
            password: SecretKeyRef::new(self.credentials.secret_name(&self.name), PASSWORD_KEY),
            tls: self.tls.as_ref().map(|t| t.client(PORT)),
            pod_labels: super::selector_labels("mongodb", &self.name),
        }
    }
}

/// Where the Secret's files are mounted.
const SECRET_DIR: &str = "/etc/mongodb-secret";
/// Where the init container puts the keyFile.
const KEYFILE_DIR: &str = "/run/mongodb";

/// The `mongosh` command of a probe: evaluates `code` against the local mongod, without
/// credentials (`ping` and `hello` need none).
/// URI options of a connection over the pod's loopback with TLS: verified with the CA, except
/// the host name (a certificate issued for the members' names cannot match 127.0.0.1).
fn loopback_tls_options() -> String {
    format!(
        "&tls=true&tlsCAFile={}&tlsAllowInvalidHostnames=true",
        super::Tls::file("ca.crt")
    )
}

fn mongosh_probe(code: &str, tls: bool) -> Probe {
    let options = if tls {
        loopback_tls_options()
    } else {
        String::new()
    };
    Probe::exec([
        "mongosh".to_owned(),
        format!(
            "mongodb://127.0.0.1:27017/?directConnection=true&serverSelectionTimeoutMS=3000{options}"
        ),
        "--quiet".to_owned(),
        "--norc".to_owned(),
        "--eval".to_owned(),
        code.to_owned(),
    ])
}

fn build(m: &MongoDb) -> Result<Bundle> {
    let name = m.name.as_str();
    let image = super::image_ref(&m.image, m.digest.as_deref());
    let labels = super::standard_labels("mongodb", name, "database", &m.labels);
    let selector = super::selector_labels("mongodb", name);
    let secret = m.credentials.secret_name(name);
    let scripts = format!("{name}-scripts");
    let headless = m.headless();
    let mut bundle = Bundle::new(name);

    let mut keys = vec![
        (ROOT_PASSWORD_KEY, Generate::alphanumeric()),
        (PASSWORD_KEY, Generate::alphanumeric()),
        // 756 random bytes, base64: 1008 characters of the base64 set (keyFiles allow 6-1024).
        (KEYFILE_KEY, Generate::Base64(756)),
    ];
    if m.metrics.is_some() {
        keys.push((EXPORTER_PASSWORD_KEY, Generate::alphanumeric()));
    }
    if m.backup.is_some() {
        keys.push((BACKUP_PASSWORD_KEY, Generate::alphanumeric()));
    }
    super::add_credentials(&mut bundle, &m.credentials, name, &labels, &keys)?;
    let mut files = vec![
        ("mongodb-keyfile.sh", KEYFILE_SCRIPT),
        ("mongodb-replicaset.sh", REPLICASET_SCRIPT),
        ("mongodb-replicaset.js", REPLICASET_JS),
    ];
    if m.backup.is_some() {
        // In the members' pods too: the restore runs in the `replicaset` sidecar.
        files.push(super::BACKUP_LIB);
        files.push(("mongodb-backup.sh", BACKUP_SCRIPT));
    }
    bundle.add(super::scripts_config_map(&scripts, &labels, &files))?;

    let keyfile = format!("{KEYFILE_DIR}/keyfile");
    let init = Container::builder()
        .name("keyfile")
        .image(&image)
        .command(super::script_command(
            "sh",
            "mongodb-keyfile.sh",
            &[&format!("{SECRET_DIR}/{KEYFILE_KEY}"), &keyfile],
        ))
        .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
        .mount(Mount::new("secret", SECRET_DIR).read_only())
        .mount(Mount::new("keyfile", KEYFILE_DIR))
        .resources(
            Resources::new()
                .requests(Cpu::millis(10), Memory::mib(16))
                .limit_memory(Memory::mib(32)),
        )
        .build();
    let tls = m.tls.is_some();
    let ping = || mongosh_probe("quit(db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1)", tls);
    let mut args: Vec<String> = [
        "mongod",
        "--replSet",
        m.replica_set.as_str(),
        "--bind_ip_all",
        "--port",
        "27017",
        "--dbpath",
        "/data/db",
        "--keyFile",
        keyfile.as_str(),
    ]
    .map(str::to_owned)
    .into();
    if let Some(t) = &m.tls {
        let mode = if t.plaintext_allowed() {
            "preferTLS"
        } else {
            "requireTLS"
        };
        args.extend([
            "--tlsMode".to_owned(),
            mode.to_owned(),
            "--tlsCertificateKeyFile".to_owned(),
            TLS_PEM.to_owned(),
            "--tlsCAFile".to_owned(),
            super::Tls::file("ca.crt"),
            // Clients authenticate with passwords, members with the keyFile.
            "--tlsAllowConnectionsWithoutCertificates".to_owned(),
        ]);
    }
    let mongod = Container::builder()
        .name("mongod")
        .image(&image)
        .args(args)
        .port(Port::tcp("mongodb", PORT))
        .env(EnvVar::value("MONGO_INITDB_ROOT_USERNAME", &m.root_user))
        .env(EnvVar::value(
            "MONGO_INITDB_ROOT_PASSWORD_FILE",
            format!("{SECRET_DIR}/{ROOT_PASSWORD_KEY}"),
        ))
        // mongosh (entrypoint, probes) keeps its history and logs under $HOME.
        .env(EnvVar::value("HOME", "/tmp"))
        .mount(Mount::new("data", "/data/db"))
        .mount(Mount::new("secret", SECRET_DIR).read_only())
        .mount(Mount::new("keyfile", KEYFILE_DIR).read_only())
        .mount(Mount::new("tmp", "/tmp"))
        .startup(ping().period(10).timeout(10).failure_threshold(60))
        .liveness(ping().period(20).timeout(10).failure_threshold(3))
        .readiness(
            mongosh_probe(
                "const h = db.hello(); quit(h.isWritablePrimary || h.secondary ? 0 : 1)",
                tls,
            )
            .period(10)
            .timeout(10)
            .failure_threshold(3),
        )
        .resources(m.resources.clone());
    let mongod = if tls {
        mongod
            .mount(Mount::new("tls", super::TLS_DIR).read_only())
            .mount(Mount::new("tls-pem", TLS_PEM_DIR).read_only())
            .build()
    } else {
        mongod.build()
    };
    let sidecar = Container::builder()
        .name("replicaset")
        .image(&image)
        .command(super::script_command(
            "sh",
            "mongodb-replicaset.sh",
            &[&format!("{}/mongodb-replicaset.js", super::SCRIPTS_DIR)],
        ))
        .env(EnvVar::field("POD_NAME", "metadata.name"))
        .env(EnvVar::field("POD_NAMESPACE", "metadata.namespace"))
        .env(EnvVar::value("MONGODB_HEADLESS", &headless))
        .env(EnvVar::value("MONGODB_STATEFULSET", name))
        .env(EnvVar::value("MONGODB_REPLICAS", m.replicas.to_string()))
        .env(EnvVar::value("MONGODB_REPLICA_SET", &m.replica_set))
        .env(EnvVar::value("MONGODB_PORT", PORT.to_string()))
        .env(EnvVar::value("MONGODB_ROOT_USER", &m.root_user))
        .env(EnvVar::from_secret(
            "MONGODB_ROOT_PASSWORD",
            &secret,
            ROOT_PASSWORD_KEY,
        ))
        .env(EnvVar::value("MONGODB_DATABASE", &m.database))
        .env(EnvVar::value("MONGODB_USER", &m.user))
        .env(EnvVar::from_secret(
            "MONGODB_PASSWORD",
            &secret,
            PASSWORD_KEY,
        ))
        .env(EnvVar::value("HOME", "/tmp"))
        .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
        .mount(Mount::new("tmp", "/tmp"))
        .resources(
            Resources::new()
                .requests(Cpu::millis(10), Memory::mib(64))
                .limit_memory(Memory::mib(256)),
        );
    let sidecar = if tls {
        sidecar
            .env(EnvVar::value(
                "MONGODB_TLS_OPTIONS",
                format!("&tls=true&tlsCAFile={}", super::Tls::file("ca.crt")),
            ))
            .mount(ca_only_mount())
    } else {
        sidecar
    };
    // Backups: the sidecar creates the backup user, and the restore runs in it (as the
    // application user, whose MONGODB_USER / MONGODB_PASSWORD / MONGODB_DATABASE it has).
    let sidecar = match &m.backup {
        None => sidecar,
        Some(_) => {
            let sidecar = sidecar
                .env(EnvVar::value("MONGODB_BACKUP_USER", BACKUP_USER))
                .env(EnvVar::from_secret(
                    "MONGODB_BACKUP_PASSWORD",
                    &secret,
                    BACKUP_PASSWORD_KEY,
                ))
                .env(EnvVar::value("MONGODB_URI", backup_uri(m)));
            if tls {
                sidecar.env(EnvVar::value("MONGODB_TLS_CA", super::Tls::file("ca.crt")))
            } else {
                sidecar
            }
        }
    };
    let sidecar = match &m.metrics {
        None => sidecar.build(),
        Some(_) => sidecar
            .env(EnvVar::value("MONGODB_EXPORTER_USER", EXPORTER_USER))
            .env(EnvVar::from_secret(
                "MONGODB_EXPORTER_PASSWORD",
                &secret,
                EXPORTER_PASSWORD_KEY,
            ))
            .build(),
    };
    let template = super::spread_template!(
        super::labelled_template!(&selector, &labels),
        m.spread,
        m.replicas
    )
    .init_container(init)
    .container(mongod)
    .container(sidecar);
    let template = match &m.metrics {
        None => template,
        Some(metrics) => template.container(exporter_container(metrics, &secret, tls)),
    };
    let template = match &m.tls {
        None => template,
        Some(t) => template
            .init_container(pem_container(&image))
            .volume(t.volume(&mut bundle))
            .volume(Volume::from(Volume::empty_dir("tls-pem").in_memory())),
    }
    .volume(Volume::config_map("scripts", &scripts).default_mode(0o555))
    .volume(
        Volume::secret("secret", &secret)
            .item(ROOT_PASSWORD_KEY, ROOT_PASSWORD_KEY)
            .item(KEYFILE_KEY, KEYFILE_KEY)
            .default_mode(0o440),
    )
    .volume(Volume::from(Volume::empty_dir("keyfile").in_memory()))
    .volume(super::empty_dir("tmp"))
    .security(super::pod_security(UID))
    .build();
    bundle.add(super::stateful_set(
        name,
        &labels,
        &headless,
        m.replicas,
        template,
        &m.storage,
        // No member is ready before the set exists, and pod 0 creates it only once every member
        // answers: the pods must start together.
        Some(PodManagementPolicy::Parallel),
    )?)?;
    bundle.add(super::headless_service(
        &headless,
        &labels,
        &selector,
        &[("mongodb", PORT)],
    ))?;
    if m.replicas > 1 {
        bundle.add(super::disruption_budget(name, &labels, &selector))?;
    }
    let mut peers: Vec<Labels> = (m.replicas > 1)
        .then(|| selector.clone())
        .into_iter()
        .collect();
    if let Some(b) = &m.backup {
        peers.push(add_backup(&mut bundle, m, b, &image, &secret, &scripts)?);
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

/// The replica set's connection string for the Database Tools, without credentials: every
/// member by the name it has in the set's configuration and in its certificate
/// (`NAME-i.NAME-headless.NAMESPACE.svc`, the namespace completed by Kubernetes from the
/// container's earlier `POD_NAMESPACE` variable), and the set's name.
fn backup_uri(m: &MongoDb) -> String {
    let hosts: Vec<String> = (0..m.replicas.max(1))
        .map(|i| {
            format!(
                "{}-{i}.{}.$(POD_NAMESPACE).svc:{PORT}",
                m.name,
                m.headless()
            )
        })
        .collect();
    format!(
        "mongodb://{}/?replicaSet={}",
        hosts.join(","),
        m.replica_set
    )
}

/// Where the backup claim is mounted in the backup pods.
const BACKUP_DIR: &str = "/backup";

/// Adds the backup CronJob and its claim; returns the selector labels of its pods.
fn add_backup(
    bundle: &mut Bundle,
    m: &MongoDb,
    b: &super::Backup,
    image: &str,
    secret: &str,
    scripts: &str,
) -> Result<Labels> {
    let name = m.name.as_str();
    let backup_selector = super::selector_labels("mongodb-backup", name);
    let backup_labels = super::standard_labels("mongodb-backup", name, "backup", &m.labels);
    let dump = Container::builder()
        .name("backup")
        .image(image)
        .command(super::script_command(
            "sh",
            "mongodb-backup.sh",
            &["backup"],
        ))
        .env(EnvVar::field("POD_NAMESPACE", "metadata.namespace"))
        .env(EnvVar::value("MONGODB_URI", backup_uri(m)))
        .env(EnvVar::value("MONGODB_USER", BACKUP_USER))
        .env(EnvVar::value("MONGODB_AUTH_DB", "admin"))
        .env(EnvVar::value("MONGODB_DATABASE", &m.database))
        .env(EnvVar::value(
            "MONGODB_PASSWORD_FILE",
            format!("{SECRET_DIR}/{BACKUP_PASSWORD_KEY}"),
        ))
        .env(EnvVar::value("BACKUP_DIR", BACKUP_DIR))
        .env(EnvVar::value("BACKUP_KEEP", b.keep().to_string()))
        .env(EnvVar::value("HOME", "/tmp"))
        .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
        .mount(Mount::new("secret", SECRET_DIR).read_only())
        .mount(Mount::new("backup", BACKUP_DIR))
        .mount(Mount::new("tmp", "/tmp"))
        .resources(
            Resources::new()
                .requests(Cpu::millis(100), Memory::mib(256))
                .limit_memory(Memory::gib(1)),
        );
    // With TLS: verifying the members with the CA only (the job needs no key).
    let dump = match &m.tls {
        None => dump.build(),
        Some(_) => dump
            .env(EnvVar::value("MONGODB_TLS_CA", super::Tls::file("ca.crt")))
            .mount(Mount::new("tls", super::TLS_DIR).read_only())
            .build(),
    };
    let mut template = super::labelled_template!(&backup_selector, &backup_labels)
        .container(dump)
        .volume(Volume::config_map("scripts", scripts).default_mode(0o555))
        .volume(
            Volume::secret("secret", secret)
                .item(BACKUP_PASSWORD_KEY, BACKUP_PASSWORD_KEY)
                .default_mode(0o440),
        )
        .volume(Volume::pvc("backup", format!("{name}-backup")))
        // In memory: the shell may keep the here-document with the password there.
        .volume(Volume::from(Volume::empty_dir("tmp").in_memory()))
        .security(super::pod_security(UID));
    if let Some(tls) = &m.tls {
        template = template.volume(
            Volume::secret("tls", tls.secret())
                .item(tls.ca_key_name(), "ca.crt")
                .default_mode(0o440),
        );
    }
    b.add(bundle, name, &backup_labels, template.build())?;
    Ok(backup_selector)
}

/// The `metrics` sidecar: `mongodb_exporter` reading the local `mongod` directly as
/// [`EXPORTER_USER`], its password from the Secret (`MONGODB_PASSWORD`, never in the URI).
fn exporter_container(metrics: &super::Metrics, secret: &str, tls: bool) -> Container {
    let options = if tls {
        loopback_tls_options()
    } else {
        String::new()
    };
    metrics.sidecar(super::Exporter {
        image: EXPORTER_IMAGE,
        port: METRICS_PORT,
        health_path: "/",
        memory_limit: Memory::mib(128),
        args: vec![format!("--web.listen-address=:{METRICS_PORT}")],
        env: vec![
            EnvVar::value(
                "MONGODB_URI",
                format!("mongodb://127.0.0.1:{PORT}/admin?directConnection=true{options}"),
            ),
            EnvVar::value("MONGODB_USER", EXPORTER_USER),
            EnvVar::from_secret("MONGODB_PASSWORD", secret, EXPORTER_PASSWORD_KEY),
        ],
        mounts: if tls {
            vec![ca_only_mount()]
        } else {
            Vec::new()
        },
    })
}

/// The CA certificate alone (`TLS_DIR/ca.crt`), for containers that need no server key.
fn ca_only_mount() -> Mount {
    Mount::new("tls", super::Tls::file("ca.crt"))
        .sub_path("ca.crt")
        .read_only()
}

/// Where the init container writes `server.pem` (certificate and key in one file, which is
/// what `--tlsCertificateKeyFile` reads), in memory.
const TLS_PEM_DIR: &str = "/run/kubeprint-tls";
/// The certificate-and-key file of `mongod`.
const TLS_PEM: &str = "/run/kubeprint-tls/server.pem";

/// The init container joining the Secret's `tls.crt` and `tls.key` into [`TLS_PEM`], readable
/// by the server's user only.
fn pem_container(image: &str) -> Container {
    Container::builder()
        .name("tls-pem")
        .image(image)
        .command([
            "sh".to_owned(),
            "-c".to_owned(),
            format!(
                "umask 077 && {{ cat {dir}/tls.crt && echo && cat {dir}/tls.key; }} > {TLS_PEM}",
                dir = super::TLS_DIR
            ),
        ])
        .mount(Mount::new("tls", super::TLS_DIR).read_only())
        .mount(Mount::new("tls-pem", TLS_PEM_DIR))
        .resources(
            Resources::new()
                .requests(Cpu::millis(10), Memory::mib(16))
                .limit_memory(Memory::mib(32)),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let m = MongoDb::builder().name("mongo").namespace("data").build();
        m.validate().unwrap();
        let c = m.connection();
        assert_eq!(c.hosts.len(), 3);
        assert_eq!(c.hosts[2], "mongo-2.mongo-headless.data.svc:27017");
        assert_eq!(
            c.uri_with_password_var("DB_PASSWORD"),
            "mongodb://app:$(DB_PASSWORD)@mongo-0.mongo-headless.data.svc:27017,mongo-1.mongo-headless.data.svc:27017,\
             mongo-2.mongo-headless.data.svc:27017/app?replicaSet=rs0&authSource=app"
        );
    }

    #[test]
    fn bad_config() {
        let m = MongoDb::builder()
            .name("mongo")
            .replicas(0)
            .replica_set("rs 0")
            .database("admin")
            .user("root")
            .build();
        assert_eq!(
            m.validate().unwrap_err().to_string(),
            "mongodb \"mongo\": replicas: must be at least 1, got 0\n\
             mongodb \"mongo\": replica_set: \"rs 0\" must be ASCII letters, digits and '-', '_', starting with a letter or digit\n\
             mongodb \"mongo\": database: \"admin\" is a system database\n\
             mongodb \"mongo\": user: must differ from root_user"
        );
    }
}
