//! Production blueprints: ready-made, typed stacks for the applications of the book's
//! "deploying real-world applications" chapter — [`MySql`], [`Redis`] (standalone or
//! Sentinel), [`MongoDb`] (replica set), [`Ghost`] and [`Parse`].
//!
//! A blueprint is a typed configuration (built with `typed-builder`, every field but the name
//! defaulted) that produces a [`Bundle`] made only of kubeprint's public builders, and typed
//! connection information for the applications that use it:
//!
//! ```
//! use kubeprint::blueprint::{Blueprint, Ghost, MySql};
//! let db = MySql::builder().name("blog-db").build();
//! let blog = Ghost::builder().name("blog").url("https://blog.example.com").database(db).build();
//! let bundle = blog.bundle()?;
//! assert!(bundle.get("StatefulSet", "blog-db").is_some());
//! assert!(bundle.get("Deployment", "blog").is_some());
//! bundle.check()?;
//! # Ok::<(), kubeprint::Error>(())
//! ```
//!
//! ## What every blueprint does
//! - **Credentials** are generated once, from the operating system's CSPRNG, into a Secret
//!   marked "generate once": the apply client keeps the live values on every later apply, so
//!   re-applying never rotates a password. Or they come from an existing Secret
//!   ([`Credentials::Existing`]), declared external in the bundle. Passwords reach containers
//!   through `secretKeyRef` or `*_FILE` variables pointing at a mounted Secret — never as
//!   literals in a manifest, and never on a process command line.
//! - **Persistence** through StatefulSet `volumeClaimTemplates` ([`Persistence`]: size, storage
//!   class, and an explicit PVC retention policy that keeps the data by default).
//! - **Probes** specific to each application (startup, readiness, liveness).
//! - **Pod Security *restricted***: numeric UID/GID the image expects (MySQL, MongoDB and Redis
//!   999; Ghost and Parse 1000), read-only root filesystem with emptyDirs where the application
//!   writes, no privilege escalation, all capabilities dropped, `RuntimeDefault` seccomp.
//! - **Spreading** of multi-replica blueprints (MongoDB, Redis Sentinel, Parse) over nodes,
//!   typed by [`Spread`]: soft by default (preferred pod anti-affinity and a `ScheduleAnyway`
//!   topology spread on `kubernetes.io/hostname`), hard on request, or none.
//! - A **PodDisruptionBudget** when there is more than one replica (one pod at a time); for a
//!   single replica only on request ([`Eviction::Block`]: it blocks node drains); a **NetworkPolicy** that
//!   admits only the declared [`Client`]s (and the application's own peers); configuration in
//!   ConfigMaps whose checksum is a pod-template annotation, so a change rolls the pods.
//!
//! ## Images and licences
//! | blueprint | default image | licence of the default |
//! |---|---|---|
//! | [`MySql`] | `mysql:8.4.10` | GPL-2.0 (MySQL Community Server) |
//! | [`Redis`] | `redis:8.2.3` | RSALv2 / SSPLv1 / AGPLv3, at the user's choice (Redis 8+) |
//! | [`MongoDb`] | `mongo:8.0.17` | SSPLv1 (MongoDB Community Server) |
//! | [`Ghost`] | `ghost:6.36.0` | MIT |
//! | [`Parse`] | `parseplatform/parse-server:8.6.26` (dashboard `parseplatform/parse-dashboard:7.4.0`) | Apache-2.0 |
//!
//! The defaults are exact upstream versions, never floating tags (`mysql:8.4` would move to
//! the next patch release on the next pull, on one node and not another). Every image is
//! overridable (`.image(..)`), and pinnable by digest (`.digest("sha256:…")`: the pods run
//! `IMAGE@DIGEST`); see each module for the constraints a replacement image must meet.
//! Bumping is a one-line change of the `IMAGE` constant of the module (and of the snapshots
//! that show it); see the README's "Bumping the blueprints' images".

pub mod ghost;
pub mod mongodb;
pub mod mysql;
pub mod parse;
pub mod redis;

pub use ghost::{Ghost, GhostConnection, GhostDatabase, GhostIngress, Mail, Owner as GhostOwner};
pub use mongodb::{MongoDb, MongoDbConnection};
pub use mysql::{MySql, MySqlConnection};
pub use parse::{Dashboard, Parse, ParseConnection, ParseDatabase};
pub use redis::{Redis, RedisConnection, RedisModules, Sentinel};

use crate::api::apps::{PodManagementPolicy, PvcRetention, StatefulSet};
use crate::api::core::configmap::ConfigMap;
use crate::api::core::secret::{Generate, Secret};
use crate::api::core::service::{Service, ServicePort, ServiceType};
use crate::api::networking::networkpolicy::{NetworkPolicy, Peer, PolicyPort, Rule};
use crate::api::policy::poddisruptionbudget::{Budget, PodDisruptionBudget};
use crate::bundle::Bundle;
use crate::error::{Error, ObjectRef, Result};
use crate::meta::Labels;
use crate::pod::{
    Affinity, EnvVar, FsGroupChangePolicy, PodSecurity, PodTemplate, TopologySpread, Volume,
    VolumeClaimTemplate,
};
use crate::quantity::Storage;
use crate::selector::Selector;
use crate::validate::{self, Checker};
use std::fmt;
use std::str::FromStr;

/// A ready-made application stack.
pub trait Blueprint {
    /// What clients of the application need to reach it (host, port, Secret keys ...).
    type Connection;

    /// Validates the configuration and builds every object of the stack.
    ///
    /// Each call generates fresh random values for the generate-once Secret keys; the apply
    /// client keeps the live values of a Secret that already exists.
    fn bundle(&self) -> Result<Bundle>;

    /// How clients reach the application. Available without building the bundle.
    fn connection(&self) -> Self::Connection;
}

/// One key of a Secret: where a client finds a password or key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretKeyRef {
    /// The Secret's name.
    pub secret: String,
    /// The key in the Secret.
    pub key: String,
}

impl SecretKeyRef {
    /// Key `key` of Secret `secret`.
    pub fn new(secret: impl Into<String>, key: impl Into<String>) -> Self {
        SecretKeyRef {
            secret: secret.into(),
            key: key.into(),
        }
    }

    /// The environment variable `name` read from this key (`valueFrom.secretKeyRef`): what a
    /// client container of a blueprint needs, in one call.
    ///
    /// ```
    /// use kubeprint::blueprint::SecretKeyRef;
    /// let password = SecretKeyRef::new("db", "password"); // e.g. `mysql.connection().password`
    /// let env = password.env("DB_PASSWORD").to_k8s();
    /// let from = env.value_from.unwrap().secret_key_ref.unwrap();
    /// assert_eq!((env.name.as_str(), from.name.as_str(), from.key.as_str()), ("DB_PASSWORD", "db", "password"));
    /// ```
    pub fn env(&self, name: impl Into<String>) -> EnvVar {
        EnvVar::from_secret(name, &self.secret, &self.key)
    }
}

impl fmt::Display for SecretKeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret {:?} key {:?}", self.secret, self.key)
    }
}

/// Where a blueprint's credentials come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Credentials {
    /// Generated once from the CSPRNG into a Secret the blueprint creates (the default).
    #[default]
    Generate,
    /// An existing Secret with the keys the blueprint documents; it is declared external in
    /// the bundle, never created or changed.
    Existing(String),
}

impl Credentials {
    /// Uses the existing Secret `name`.
    pub fn existing(name: impl Into<String>) -> Self {
        Credentials::Existing(name.into())
    }

    /// The Secret holding the credentials of blueprint `blueprint`: the generated one is named
    /// after the blueprint.
    pub(crate) fn secret_name(&self, blueprint: &str) -> String {
        match self {
            Credentials::Generate => blueprint.to_owned(),
            Credentials::Existing(name) => name.clone(),
        }
    }

    /// Checks the name of an existing Secret.
    pub(crate) fn check(&self, c: &mut Checker, path: &str) {
        if let Credentials::Existing(secret) = self {
            c.check(path, validate::dns1123_subdomain(secret));
        }
    }
}

/// A peer the NetworkPolicy of a blueprint admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Client {
    /// Pods with these labels, in the blueprint's namespace, made by a workload of the same
    /// bundle (the bundle's check fails when none selects them).
    Pods(Labels),
    /// Pods with these labels in the blueprint's namespace that another application runs:
    /// admitted, and declared external pods of the bundle ([`Bundle::external_pods`]).
    ExternalPods(Labels),
    /// Every pod of the namespaces with these labels (e.g.
    /// `kubernetes.io/metadata.name: ingress-nginx`).
    Namespaces(Labels),
    /// Pods with labels `pods` in the namespaces with labels `namespaces`.
    PodsInNamespaces {
        /// Namespace labels.
        namespaces: Labels,
        /// Pod labels.
        pods: Labels,
    },
    /// An IP block in CIDR notation (e.g. a load balancer's addresses).
    Cidr(String),
}

impl Client {
    /// Pods with these labels in the blueprint's namespace, made by a workload of the same
    /// bundle: nothing is declared external, so a typo in the labels is an error of the
    /// bundle's check rather than a policy admitting nobody.
    pub fn pods(labels: impl Into<Labels>) -> Self {
        Client::Pods(labels.into())
    }

    /// Pods of another application (not in this bundle) with these labels, in the blueprint's
    /// namespace: admitted, and declared external pods of the bundle, explicitly.
    ///
    /// ```
    /// use kubeprint::blueprint::{Blueprint, Client, Redis};
    /// use kubeprint::Labels;
    /// let cache = Redis::builder()
    ///     .name("cache")
    ///     .client(Client::external_pods(Labels::from([("app", "web")])))
    ///     .build();
    /// let bundle = cache.bundle()?;
    /// assert!(bundle.check().is_ok());
    /// // `Client::pods` declares nothing: no workload of this bundle runs app=web.
    /// let own = Redis::builder().name("cache").client(Client::pods(Labels::from([("app", "web")]))).build();
    /// assert!(own.bundle()?.check().is_err());
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn external_pods(labels: impl Into<Labels>) -> Self {
        Client::ExternalPods(labels.into())
    }

    /// Every pod of the namespace named `name` (by its `kubernetes.io/metadata.name` label).
    pub fn namespace(name: impl Into<String>) -> Self {
        Client::Namespaces(Labels::new().with("kubernetes.io/metadata.name", name))
    }
}

/// The ingress controller an Ingress of a blueprint goes through: its pods are admitted by the
/// blueprint's NetworkPolicy, on the application's port. Without it, wherever NetworkPolicy is
/// enforced the controller could not reach the pods behind the Ingress.
///
/// ```
/// use kubeprint::blueprint::IngressController;
/// use kubeprint::Labels;
/// // Every pod of namespace `ingress-nginx`:
/// let nginx = IngressController::namespace("ingress-nginx");
/// // Only the controller's own pods of that namespace:
/// let nginx = nginx.pods(Labels::from([("app.kubernetes.io/name", "ingress-nginx")]));
/// assert_eq!(nginx.namespace_name(), "ingress-nginx");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressController {
    namespace: String,
    pods: Option<Labels>,
}

impl IngressController {
    /// The pods of the namespace named `name` (matched by its `kubernetes.io/metadata.name`
    /// label, which the apiserver sets on every namespace).
    pub fn namespace(name: impl Into<String>) -> Self {
        IngressController {
            namespace: name.into(),
            pods: None,
        }
    }

    /// Only the pods of the controller's namespace with these labels.
    #[must_use]
    pub fn pods(mut self, labels: impl Into<Labels>) -> Self {
        self.pods = Some(labels.into());
        self
    }

    /// The controller's namespace.
    pub fn namespace_name(&self) -> &str {
        &self.namespace
    }

    /// The NetworkPolicy peer of the controller.
    pub fn client(&self) -> Client {
        let namespaces = Labels::new().with("kubernetes.io/metadata.name", self.namespace.clone());
        match &self.pods {
            None => Client::Namespaces(namespaces),
            Some(pods) => Client::PodsInNamespaces {
                namespaces,
                pods: pods.clone(),
            },
        }
    }
}

/// An Ingress for a blueprint's public URL (host and path taken from the URL), and the ingress
/// controller its NetworkPolicy admits.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{IngressController, PublicIngress};
/// let ingress = PublicIngress::builder()
///     .class("nginx")
///     .tls_secret("site-tls")
///     .controller(IngressController::namespace("ingress-nginx"))
///     .build();
/// # let _ = ingress;
/// ```
///
/// # Setters
///
/// On [`PublicIngress::builder()`](PublicIngress::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.class(impl Into<String>)` / `.class_opt(Option<..>)` | `ingressClassName`; the cluster's default class when unset. |
/// | `.tls_secret(impl Into<String>)` / `.tls_secret_opt(Option<..>)` | A TLS Secret (`kubernetes.io/tls`) for the host; requires an `https://` URL. |
/// | `.annotations(impl Into<Labels>)` | Annotations for the ingress controller. |
/// | `.controller(IngressController)` / `.controller_opt(Option<..>)` | The ingress controller's pods, admitted by the NetworkPolicy: required (validation fails without it), since nothing else could reach the pods behind the Ingress. |
#[derive(Clone, Debug, Default, PartialEq, Eq, typed_builder::TypedBuilder)]
#[builder(doc)]
pub struct PublicIngress {
    /// `ingressClassName`; the cluster's default class when unset.
    #[builder(default, setter(into, strip_option(fallback = class_opt)))]
    class: Option<String>,
    /// A TLS Secret (`kubernetes.io/tls`) for the host; requires an `https://` URL.
    #[builder(default, setter(into, strip_option(fallback = tls_secret_opt)))]
    tls_secret: Option<String>,
    /// Annotations for the ingress controller.
    #[builder(default, setter(into))]
    annotations: Labels,
    /// The ingress controller's pods, admitted by the NetworkPolicy: required (validation
    /// fails without it), since nothing else could reach the pods behind the Ingress.
    #[builder(default, setter(strip_option(fallback = controller_opt)))]
    controller: Option<IngressController>,
}

impl PublicIngress {
    /// Checks the ingress of a blueprint whose public URL has scheme `scheme`.
    pub(crate) fn check(&self, c: &mut Checker, scheme: Option<&str>) {
        if let Some(tls) = &self.tls_secret {
            c.check("ingress.tls_secret", validate::dns1123_subdomain(tls));
            if scheme == Some("http") {
                c.fail(
                    "ingress.tls_secret",
                    "the url is http://; a TLS site needs an https:// url",
                );
            }
        }
        if let Some(class) = &self.class {
            c.check("ingress.class", validate::dns1123_subdomain(class));
        }
        c.annotations("ingress.annotations", Some(self.annotations.as_map()));
        match &self.controller {
            None => c.fail(
                "ingress.controller",
                "must be set: the NetworkPolicy admits only declared peers, so the ingress \
                 controller could not reach the pods (e.g. IngressController::namespace(\"ingress-nginx\"))",
            ),
            Some(ctl) => {
                c.check(
                    "ingress.controller.namespace",
                    validate::dns1123_label(&ctl.namespace),
                );
                if let Some(pods) = &ctl.pods {
                    c.labels("ingress.controller.pods", Some(pods.as_map()));
                }
            }
        }
    }

    /// The NetworkPolicy peer of the controller, when set.
    pub(crate) fn controller_client(&self) -> Option<Client> {
        self.controller.as_ref().map(IngressController::client)
    }

    /// Adds Ingress `name` routing `authority` (host[:port]) and `path` of the public URL to
    /// port `port` of Service `name`; the TLS Secret is declared external.
    pub(crate) fn add(
        &self,
        bundle: &mut Bundle,
        name: &str,
        labels: &Labels,
        authority: &str,
        path: &str,
        port: &str,
    ) -> Result<()> {
        use crate::api::networking::ingress::{Backend, Ingress, IngressRule};
        let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
        let prefix = if path.is_empty() { "/" } else { path };
        let mut i = Ingress::builder()
            .name(name)
            .labels(labels.clone())
            .annotations(self.annotations.clone())
            .rule(IngressRule::host(host).prefix(prefix, Backend::service(name, port)));
        if let Some(tls) = &self.tls_secret {
            bundle.external_secret(tls.clone());
            i = i.tls([host], tls.clone());
        }
        let i = match &self.class {
            Some(class) => i.ingress_class(class.clone()).build(),
            None => i.build(),
        };
        bundle.add(i)?;
        Ok(())
    }
}

/// How the pods of a multi-replica blueprint spread over nodes, so that one node going down
/// cannot take a quorum (MongoDB, Redis Sentinel) or every replica (Parse) with it.
///
/// ```
/// use kubeprint::blueprint::{Blueprint, MongoDb, Spread};
/// let db = MongoDb::builder().name("mongo").spread(Spread::Hard).build();
/// let yaml = kubeprint::testing::redacted_yaml(&db.bundle()?)?;
/// assert!(yaml.contains("requiredDuringSchedulingIgnoredDuringExecution"));
/// assert!(yaml.contains("whenUnsatisfiable: DoNotSchedule"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Spread {
    /// Prefer one pod per node: preferred pod anti-affinity (weight 100) on
    /// `kubernetes.io/hostname` and a topology spread constraint with `ScheduleAnyway`. Pods
    /// still schedule when there are fewer nodes than pods (the default).
    #[default]
    Soft,
    /// At most one pod per node: required pod anti-affinity on `kubernetes.io/hostname` and a
    /// `DoNotSchedule` topology spread constraint. Pods beyond the number of nodes stay pending.
    Hard,
    /// No constraint: the scheduler may put every pod on one node.
    None,
}

/// The node label the blueprints spread their pods over.
pub const HOSTNAME_KEY: &str = "kubernetes.io/hostname";

impl Spread {
    /// The pod (anti-)affinity for `replicas` pods (empty for one pod or [`Spread::None`]).
    pub(crate) fn affinity(self, replicas: i32) -> Affinity {
        match self {
            _ if replicas < 2 => Affinity::new(),
            Spread::Soft => Affinity::new().prefer_spread_replicas(100, HOSTNAME_KEY),
            Spread::Hard => Affinity::new().spread_replicas(HOSTNAME_KEY),
            Spread::None => Affinity::new(),
        }
    }

    /// The topology spread constraints for `replicas` pods.
    pub(crate) fn constraints(self, replicas: i32) -> Vec<TopologySpread> {
        match self {
            _ if replicas < 2 => Vec::new(),
            Spread::Soft => vec![TopologySpread::new(HOSTNAME_KEY).schedule_anyway()],
            Spread::Hard => vec![TopologySpread::new(HOSTNAME_KEY)],
            Spread::None => Vec::new(),
        }
    }
}

/// Scheduled backups of a blueprint's data: a CronJob writing dumps into a claim of their own
/// (PersistentVolumeClaim `NAME-backup`), keeping the newest `keep`: `mysqldump` for
/// [`MySql`], an RDB snapshot for [`Redis`], `mongodump` for [`MongoDb`]. See each blueprint's
/// module for what a dump holds and how to restore it.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Backup, Blueprint, MySql, Persistence};
/// let db = MySql::builder()
///     .name("db")
///     .backup(Backup::builder().schedule("30 2 * * *").keep(14).storage(Persistence::of("20Gi")).build())
///     .build();
/// let bundle = db.bundle()?;
/// assert!(bundle.get("CronJob", "db-backup").is_some());
/// assert!(bundle.get("PersistentVolumeClaim", "db-backup").is_some());
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Backup::builder()`](Backup::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.schedule(impl Into<String>)` | Cron schedule (default `0 3 * * *`: every day at 03:00). |
/// | `.time_zone(impl Into<String>)` / `.time_zone_opt(Option<..>)` | IANA time zone of the schedule (default: the controller manager's, usually UTC). |
/// | `.keep(u32)` | Dumps kept (default 7); older ones are removed after each successful backup. |
/// | `.storage(Persistence)` | The backup claim (default 8Gi; kept when the bundle is deleted, like every claim). |
#[derive(Clone, Debug, PartialEq, Eq, typed_builder::TypedBuilder)]
#[builder(doc)]
pub struct Backup {
    /// Cron schedule (default `0 3 * * *`: every day at 03:00).
    #[builder(default = "0 3 * * *".to_owned(), setter(into))]
    schedule: String,
    /// IANA time zone of the schedule (default: the controller manager's, usually UTC).
    #[builder(default, setter(into, strip_option(fallback = time_zone_opt)))]
    time_zone: Option<String>,
    /// Dumps kept (default 7); older ones are removed after each successful backup.
    #[builder(default = 7)]
    keep: u32,
    /// The backup claim (default 8Gi; kept when the bundle is deleted, like every claim).
    #[builder(default = Persistence::of("8Gi"))]
    storage: Persistence,
}

impl Default for Backup {
    fn default() -> Self {
        Backup::builder().build()
    }
}

impl Backup {
    pub(crate) fn check(&self, c: &mut Checker) {
        c.check(
            "backup.schedule",
            crate::api::batch::cronjob::cron_schedule(&self.schedule),
        );
        if self.keep == 0 {
            c.fail("backup.keep", "must be at least 1");
        }
        self.storage.check(c, "backup.storage");
    }

    /// Adds PersistentVolumeClaim and CronJob `NAME-backup` running `template`'s pods.
    pub(crate) fn add(
        &self,
        bundle: &mut Bundle,
        name: &str,
        labels: &Labels,
        template: PodTemplate,
    ) -> Result<()> {
        use crate::api::batch::{ConcurrencyPolicy, CronJob};
        use crate::api::core::persistentvolumeclaim::{AccessMode, PersistentVolumeClaim};
        let claim = format!("{name}-backup");
        let pvc = PersistentVolumeClaim::builder()
            .name(&claim)
            .labels(labels.clone())
            .size(self.storage.size().parse()?)
            .access_mode(AccessMode::ReadWriteOnce);
        bundle.add(match self.storage.storage_class() {
            Some(class) => pvc.storage_class(class).build(),
            None => pvc.build(),
        })?;
        let job = CronJob::builder()
            .name(&claim)
            .labels(labels.clone())
            .schedule(self.schedule.clone())
            .template(template)
            .concurrency_policy(ConcurrencyPolicy::Forbid)
            .backoff_limit(2)
            .successful_jobs_history_limit(3)
            .failed_jobs_history_limit(3);
        bundle.add(match &self.time_zone {
            Some(tz) => job.time_zone(tz.clone()).build(),
            None => job.build(),
        })?;
        Ok(())
    }

    /// The number of dumps kept.
    pub(crate) fn keep(&self) -> u32 {
        self.keep
    }
}

/// `scripts/backup-lib.sh`: the atomic write and rotation every backup script sources (file
/// `backup-lib.sh` of the blueprint's scripts ConfigMap, beside the backup script).
pub(crate) const BACKUP_LIB: (&str, &str) =
    ("backup-lib.sh", include_str!("scripts/backup-lib.sh"));

/// TLS of a server blueprint ([`MySql`], standalone [`Redis`], [`MongoDb`]): its certificate and
/// key come from a Secret of type `kubernetes.io/tls` (keys `tls.crt` and `tls.key`, as
/// cert-manager or `kubectl create secret tls` write them), declared external: the blueprint
/// never creates or changes it. The certificate must name the Services clients use
/// (`NAME`, `NAME.NAMESPACE.svc`; for MongoDB every member's `NAME-i.NAME-headless.NAMESPACE.svc`).
///
/// By default the server accepts TLS connections only (MySQL `require_secure_transport`, Redis
/// `tls-port` with `port 0`, MongoDB `requireTLS`); `.allow_plaintext()`
/// keeps unencrypted connections too. Probes, sidecars and backup jobs of the blueprint are set
/// up for it, and the blueprint's connection information says how to connect
/// ([`ClientTls`]).
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, MySql, Tls};
/// let db = MySql::builder()
///     .name("db")
///     .tls(Tls::builder().secret("db-tls").ca_key("ca.crt").build())
///     .build();
/// let bundle = db.bundle()?;
/// assert!(bundle.is_external("Secret", "db-tls"));
/// let tls = db.connection().tls.unwrap();
/// assert_eq!(tls.ca.unwrap().key, "ca.crt");
/// assert!(!tls.plaintext_allowed);
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Tls::builder()`](Tls::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.secret(impl Into<String>)` — **required** | The Secret (type `kubernetes.io/tls`) with the server's `tls.crt` and `tls.key`. |
/// | `.ca_key(impl Into<String>)` / `.ca_key_opt(Option<..>)` | The key of the CA certificate in the same Secret (cert-manager writes `ca.crt`): the server's chain of trust and what the blueprint's own clients verify the server with. Without it they encrypt without verifying (MongoDB requires it). |
/// | `.allow_plaintext()` / `.allow_plaintext_if(bool)` | Also accept unencrypted connections (default: TLS only). |
#[derive(Clone, Debug, PartialEq, Eq, typed_builder::TypedBuilder)]
#[builder(doc)]
pub struct Tls {
    /// The Secret (type `kubernetes.io/tls`) with the server's `tls.crt` and `tls.key`.
    #[builder(setter(into))]
    secret: String,
    /// The key of the CA certificate in the same Secret (cert-manager writes `ca.crt`): the
    /// server's chain of trust and what the blueprint's own clients verify the server with.
    /// Without it they encrypt without verifying (MongoDB requires it).
    #[builder(default, setter(into, strip_option(fallback = ca_key_opt)))]
    ca_key: Option<String>,
    /// Also accept unencrypted connections (default: TLS only).
    #[builder(setter(strip_bool(fallback = allow_plaintext_if)))]
    allow_plaintext: bool,
}

/// How a blueprint's clients use its TLS ([`Tls`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTls {
    /// The port of TLS connections (Redis with plaintext allowed: [`redis::TLS_PORT`]; else the
    /// server's port).
    pub port: i32,
    /// Where the CA certificate that signed the server's is, to verify it.
    pub ca: Option<SecretKeyRef>,
    /// Whether the server also accepts unencrypted connections.
    pub plaintext_allowed: bool,
}

/// Where the blueprints mount their TLS Secret (`tls.crt`, `tls.key`, and `ca.crt` from the
/// CA key).
pub(crate) const TLS_DIR: &str = "/etc/kubeprint-tls";

impl Tls {
    pub(crate) fn check(&self, c: &mut Checker) {
        c.check("tls.secret", validate::dns1123_subdomain(&self.secret));
        if let Some(key) = &self.ca_key {
            c.check("tls.ca_key", validate::config_key(key));
            if key == "tls.crt" || key == "tls.key" {
                c.fail(
                    "tls.ca_key",
                    format!("{key:?} is the server's own certificate or key, not a CA"),
                );
            }
        }
    }

    /// The Secret's name.
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// The key of the CA certificate in the Secret (empty when none).
    pub(crate) fn ca_key_name(&self) -> &str {
        self.ca_key.as_deref().unwrap_or_default()
    }

    /// Whether a CA certificate is mounted (as `TLS_DIR/ca.crt`).
    pub(crate) fn has_ca(&self) -> bool {
        self.ca_key.is_some()
    }

    /// Whether unencrypted connections are accepted too.
    pub(crate) fn plaintext_allowed(&self) -> bool {
        self.allow_plaintext
    }

    /// `TLS_DIR/file`.
    pub(crate) fn file(file: &str) -> String {
        format!("{TLS_DIR}/{file}")
    }

    /// Declares the Secret external and returns the volume `tls` mounting it (`tls.crt`,
    /// `tls.key`, `ca.crt`), readable by the pod's group only.
    pub(crate) fn volume(&self, bundle: &mut Bundle) -> Volume {
        bundle.external_secret(self.secret.clone());
        let mut v = Volume::secret("tls", &self.secret)
            .item("tls.crt", "tls.crt")
            .item("tls.key", "tls.key");
        if let Some(ca) = &self.ca_key {
            v = v.item(ca.clone(), "ca.crt");
        }
        v.default_mode(0o440).into()
    }

    /// The clients' view, TLS connections on `port`.
    pub(crate) fn client(&self, port: i32) -> ClientTls {
        ClientTls {
            port,
            ca: self
                .ca_key
                .as_ref()
                .map(|k| SecretKeyRef::new(&self.secret, k)),
            plaintext_allowed: self.allow_plaintext,
        }
    }
}

/// A Prometheus exporter sidecar of a blueprint (MySQL: `mysqld_exporter`, Redis:
/// `redis_exporter`, MongoDB: `mongodb_exporter`), serving metrics on a `metrics` container
/// port. Service `NAME-metrics` (ClusterIP, port `metrics`, label
/// `app.kubernetes.io/component: metrics`) reaches every pod's exporter; NetworkPolicy
/// `NAME-metrics` opens the port to the declared scrapers only; with
/// [`.service_monitor(..)`](MetricsBuilder::service_monitor) a Prometheus Operator
/// [`ServiceMonitor`] points Prometheus at the Service.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Client, Metrics, Redis, ServiceMonitor};
/// use std::time::Duration;
/// let cache = Redis::builder()
///     .name("cache")
///     .metrics(
///         Metrics::builder()
///             .scraper(Client::namespace("monitoring"))
///             .service_monitor(
///                 ServiceMonitor::builder()
///                     .interval(Duration::from_secs(15))
///                     .labels([("release", "prometheus")])
///                     .build(),
///             )
///             .build(),
///     )
///     .build();
/// let bundle = cache.bundle()?;
/// assert!(bundle.get("NetworkPolicy", "cache-metrics").is_some());
/// assert!(bundle.get("Service", "cache-metrics").is_some());
/// let monitor = bundle.get("ServiceMonitor", "cache").unwrap().to_json_value()?;
/// assert_eq!(monitor["spec"]["endpoints"][0]["interval"], "15s");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Metrics::builder()`](Metrics::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.image(impl Into<String>)` / `.image_opt(Option<..>)` | The exporter image (default: the blueprint's, e.g. [`redis::EXPORTER_IMAGE`]). |
/// | `.scraper(client)` (repeatable) | Who may scrape the metrics port (e.g. Prometheus' namespace). |
/// | `.service_monitor(ServiceMonitor)` / `.service_monitor_opt(Option<..>)` | A Prometheus Operator `ServiceMonitor` for Service `NAME-metrics`; none by default. |
#[derive(Clone, Debug, Default, PartialEq, Eq, typed_builder::TypedBuilder)]
#[builder(doc)]
pub struct Metrics {
    /// The exporter image (default: the blueprint's, e.g. [`redis::EXPORTER_IMAGE`]).
    #[builder(default, setter(into, strip_option(fallback = image_opt)))]
    image: Option<String>,
    /// Who may scrape the metrics port (e.g. Prometheus' namespace).
    #[builder(
        via_mutators,
        mutators(
            /// Admits a scraper on the metrics port.
            pub fn scraper(&mut self, client: Client) {
                self.scrapers.push(client);
            }
        )
    )]
    scrapers: Vec<Client>,
    /// A Prometheus Operator `ServiceMonitor` for Service `NAME-metrics`; none by default.
    #[builder(default, setter(strip_option(fallback = service_monitor_opt)))]
    service_monitor: Option<ServiceMonitor>,
}

/// A Prometheus Operator `ServiceMonitor` (`monitoring.coreos.com/v1`) for a blueprint's
/// metrics Service: the Prometheus instances whose `serviceMonitorSelector` matches its
/// [labels](ServiceMonitorBuilder::labels) (and whose `serviceMonitorNamespaceSelector` admits
/// its namespace) scrape every pod's exporter through Service `NAME-metrics`, one target per
/// pod. Remember to admit Prometheus' pods with [`Metrics`]' `.scraper(..)`: the metrics port
/// is closed to everyone else.
///
/// The ServiceMonitor CRD must be in the cluster (installed with the Prometheus Operator, or
/// in the same bundle: CRDs are applied, and waited for, before the objects of their kinds).
/// It is judged ready once applied, and failed when a Prometheus reports it not accepted
/// (`status.bindings[].conditions`, written by operators with status reporting on).
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Metrics, MySql, ServiceMonitor};
/// use std::time::Duration;
/// let monitor = ServiceMonitor::builder()
///     .interval(Duration::from_secs(30))
///     .scrape_timeout(Duration::from_secs(10))
///     .labels([("release", "kube-prometheus-stack")])
///     .build();
/// let db = MySql::builder()
///     .name("db")
///     .metrics(Metrics::builder().service_monitor(monitor).build())
///     .build();
/// let json = db.bundle()?.get("ServiceMonitor", "db").unwrap().to_json_value()?;
/// assert_eq!(json["metadata"]["labels"]["release"], "kube-prometheus-stack");
/// assert_eq!(json["spec"]["endpoints"][0]["port"], "metrics");
/// assert_eq!(json["spec"]["endpoints"][0]["scrapeTimeout"], "10s");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ServiceMonitor::builder()`](ServiceMonitor::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.interval(Duration)` / `.interval_opt(Option<..>)` | How often Prometheus scrapes (whole milliseconds); its global interval when unset. |
/// | `.scrape_timeout(Duration)` / `.scrape_timeout_opt(Option<..>)` | How long one scrape may take (whole milliseconds, at most the interval); Prometheus' default when unset. |
/// | `.labels(impl Into<Labels>)` | Labels of the ServiceMonitor, for the Prometheus' `serviceMonitorSelector` (e.g. `release: kube-prometheus-stack`). |
#[derive(Clone, Debug, Default, PartialEq, Eq, typed_builder::TypedBuilder)]
#[builder(doc)]
pub struct ServiceMonitor {
    /// How often Prometheus scrapes (whole milliseconds); its global interval when unset.
    #[builder(default, setter(strip_option(fallback = interval_opt)))]
    interval: Option<std::time::Duration>,
    /// How long one scrape may take (whole milliseconds, at most the interval); Prometheus'
    /// default when unset.
    #[builder(default, setter(strip_option(fallback = scrape_timeout_opt)))]
    scrape_timeout: Option<std::time::Duration>,
    /// Labels of the ServiceMonitor, for the Prometheus' `serviceMonitorSelector` (e.g.
    /// `release: kube-prometheus-stack`).
    #[builder(default, setter(into))]
    labels: Labels,
}

/// The Prometheus duration of `d` (`15s`, `1500ms`), or why it cannot be one.
fn prometheus_duration(d: std::time::Duration) -> std::result::Result<String, &'static str> {
    if d.is_zero() {
        return Err("must be above 0");
    }
    if !d.subsec_nanos().is_multiple_of(1_000_000) {
        return Err("must be whole milliseconds");
    }
    Ok(if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    })
}

impl ServiceMonitor {
    fn check(&self, c: &mut Checker) {
        if let Some(d) = self.interval
            && let Err(e) = prometheus_duration(d)
        {
            c.fail("metrics.service_monitor.interval", e);
        }
        if let Some(d) = self.scrape_timeout
            && let Err(e) = prometheus_duration(d)
        {
            c.fail("metrics.service_monitor.scrape_timeout", e);
        }
        if let (Some(interval), Some(timeout)) = (self.interval, self.scrape_timeout)
            && timeout > interval
        {
            c.fail(
                "metrics.service_monitor.scrape_timeout",
                format!(
                    "{timeout:?} is longer than the interval ({interval:?}): Prometheus refuses it"
                ),
            );
        }
        c.labels("metrics.service_monitor.labels", Some(self.labels.as_map()));
    }

    /// The ServiceMonitor `name` selecting Service labels `selector` on port `metrics`.
    fn object(&self, name: &str, labels: &Labels, selector: &Labels) -> crate::CustomObject {
        let mut endpoint = serde_json::json!({"port": "metrics", "path": "/metrics"});
        // Checked already: the durations render.
        if let Some(Ok(interval)) = self.interval.map(prometheus_duration) {
            endpoint["interval"] = interval.into();
        }
        if let Some(Ok(timeout)) = self.scrape_timeout.map(prometheus_duration) {
            endpoint["scrapeTimeout"] = timeout.into();
        }
        let mut labels = labels.clone();
        labels.merge(&self.labels);
        let mut object = crate::CustomObject::new(
            "monitoring.coreos.com/v1",
            "ServiceMonitor",
            "servicemonitors",
            true,
        )
        .with_name(name)
        .with_field(
            "spec",
            serde_json::json!({
                "selector": {"matchLabels": selector.as_map()},
                "endpoints": [endpoint],
            }),
        )
        .with_readiness(service_monitor_readiness);
        object.metadata.labels = Some(labels.into());
        object
    }
}

/// A ServiceMonitor is ready once applied (the Prometheus Operator writes no status unless told
/// to), and failed when a Prometheus bound to it reports it not accepted.
fn service_monitor_readiness(v: &serde_json::Value) -> crate::object::CustomReadiness {
    use crate::object::CustomReadiness;
    let bindings = v
        .pointer("/status/bindings")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten();
    for binding in bindings {
        let refused = binding
            .get("conditions")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| {
                c.get("type").and_then(serde_json::Value::as_str) == Some("Accepted")
                    && c.get("status").and_then(serde_json::Value::as_str) == Some("False")
            });
        if let Some(condition) = refused {
            let field = |f: &str| {
                binding
                    .get(f)
                    .or_else(|| condition.get(f))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            return CustomReadiness::Failed(format!(
                "{} {}/{} does not accept it: {}: {}",
                field("resource"),
                field("namespace"),
                field("name"),
                field("reason"),
                field("message")
            ));
        }
    }
    CustomReadiness::Ready
}

/// What differs between the blueprints' exporter sidecars; [`Metrics::sidecar`] adds the rest.
pub(crate) struct Exporter<'a> {
    /// The blueprint's default exporter image.
    pub(crate) image: &'a str,
    /// The metrics port.
    pub(crate) port: i32,
    /// The HTTP path the probes get.
    pub(crate) health_path: &'a str,
    /// The memory limit (the request is 32 MiB).
    pub(crate) memory_limit: crate::quantity::Memory,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<EnvVar>,
    pub(crate) mounts: Vec<crate::pod::Mount>,
}

impl Metrics {
    pub(crate) fn check(&self, c: &mut Checker) {
        if let Some(image) = &self.image {
            check_image(c, "metrics.image", image);
        }
        for (i, client) in self.scrapers.iter().enumerate() {
            let mut sub = Checker::new(ObjectRef::new("x", "x"));
            check_clients(&mut sub, std::slice::from_ref(client));
            for v in sub.into_violations() {
                c.fail(
                    format_args!(
                        "metrics.scrapers[{i}]{}",
                        v.path.trim_start_matches("clients[0]")
                    ),
                    v.message,
                );
            }
        }
        if let Some(monitor) = &self.service_monitor {
            monitor.check(c);
        }
    }

    /// The `metrics` sidecar: `exporter`'s image (unless overridden), port, arguments,
    /// environment and mounts, probed over HTTP, with small resources.
    pub(crate) fn sidecar(&self, exporter: Exporter<'_>) -> crate::pod::Container {
        use crate::pod::{Container, Port, Probe, Resources};
        use crate::quantity::{Cpu, Memory};
        let probe = || Probe::http_get(exporter.health_path, "metrics");
        let container = Container::builder()
            .name("metrics")
            .image(self.image.as_deref().unwrap_or(exporter.image))
            .args(exporter.args)
            .port(Port::tcp("metrics", exporter.port))
            .readiness(probe().period(10).timeout(5).failure_threshold(3))
            .liveness(probe().period(20).timeout(5).failure_threshold(3))
            .resources(
                Resources::new()
                    .requests(Cpu::millis(10), Memory::mib(32))
                    .limit_memory(exporter.memory_limit),
            );
        let container = exporter.env.into_iter().fold(container, |c, e| c.env(e));
        exporter
            .mounts
            .into_iter()
            .fold(container, |c, m| c.mount(m))
            .build()
    }

    /// Adds what reaches the exporters on `port` of the pods `selector` picks: Service and
    /// NetworkPolicy `NAME-metrics` (admitting the scrapers), and the ServiceMonitor `NAME` when
    /// asked for. `labels` are the blueprint's pod labels.
    pub(crate) fn add(
        &self,
        bundle: &mut Bundle,
        name: &str,
        labels: &Labels,
        selector: &Labels,
        port: i32,
    ) -> Result<()> {
        let metrics_name = format!("{name}-metrics");
        network_policy(
            bundle,
            &metrics_name,
            labels,
            selector,
            &[port],
            &self.scrapers,
            &[],
        )?;
        let service_labels = labels
            .clone()
            .with("app.kubernetes.io/component", "metrics");
        let service_selector = selector
            .clone()
            .with("app.kubernetes.io/component", "metrics");
        bundle.add(client_service(
            &metrics_name,
            &service_labels,
            selector,
            &[("metrics", port)],
        ))?;
        if let Some(monitor) = &self.service_monitor {
            bundle.add(monitor.object(name, &service_labels, &service_selector))?;
        }
        Ok(())
    }
}

/// A storage size as given by the user: a quantity string (`"20Gi"`), checked when the bundle
/// is built so a typo becomes an error naming the field, or an already typed [`Storage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size(String);

impl Size {
    /// The size as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the size.
    pub fn parse(&self) -> Result<Storage> {
        Storage::from_str(&self.0)
    }
}

impl From<&str> for Size {
    fn from(s: &str) -> Self {
        Size(s.to_owned())
    }
}

impl From<String> for Size {
    fn from(s: String) -> Self {
        Size(s)
    }
}

impl From<Storage> for Size {
    fn from(s: Storage) -> Self {
        Size(s.to_string())
    }
}

/// Persistent storage of a blueprint: the size and class of each volume claim, and what happens
/// to claims when the StatefulSet is deleted or scaled down.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::Persistence;
/// use kubeprint::workload::PvcRetention;
/// let p = Persistence::builder().size("50Gi").storage_class("fast-ssd").when_deleted(PvcRetention::Delete).build();
/// assert_eq!(p.size().as_str(), "50Gi");
/// ```
///
/// # Setters
///
/// On [`Persistence::builder()`](Persistence::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.size(impl Into<Size>)` — **required** | Requested size of each claim (`"10Gi"` or a [`Storage`]). |
/// | `.storage_class(impl Into<String>)` / `.storage_class_opt(Option<..>)` | The StorageClass; the cluster's default class when unset. |
/// | `.when_deleted(PvcRetention)` | Claims of a deleted StatefulSet: kept by default. |
/// | `.when_scaled(PvcRetention)` | Claims of pods removed by scaling down: kept by default. |
#[derive(Clone, Debug, PartialEq, Eq, typed_builder::TypedBuilder)]
#[builder(doc)]
pub struct Persistence {
    /// Requested size of each claim (`"10Gi"` or a [`Storage`]).
    #[builder(setter(into))]
    size: Size,
    /// The StorageClass; the cluster's default class when unset.
    #[builder(default, setter(into, strip_option(fallback = storage_class_opt)))]
    storage_class: Option<String>,
    /// Claims of a deleted StatefulSet: kept by default.
    #[builder(default = PvcRetention::Retain)]
    when_deleted: PvcRetention,
    /// Claims of pods removed by scaling down: kept by default.
    #[builder(default = PvcRetention::Retain)]
    when_scaled: PvcRetention,
}

impl Persistence {
    /// Persistence of `size` with the defaults (default storage class, claims retained).
    pub fn of(size: impl Into<Size>) -> Self {
        Persistence::builder().size(size).build()
    }

    /// The requested size.
    pub fn size(&self) -> &Size {
        &self.size
    }

    /// The storage class, if set.
    pub fn storage_class(&self) -> Option<&str> {
        self.storage_class.as_deref()
    }

    /// Retention of claims when the StatefulSet is deleted.
    pub fn when_deleted(&self) -> PvcRetention {
        self.when_deleted
    }

    /// Retention of claims when the StatefulSet is scaled down.
    pub fn when_scaled(&self) -> PvcRetention {
        self.when_scaled
    }

    fn check(&self, c: &mut Checker, path: &str) -> Option<Storage> {
        match self.size.parse() {
            Ok(size) if size.as_bytes() == 0 => {
                c.fail(format_args!("{path}.size"), "must be more than 0");
                None
            }
            Ok(size) => Some(size),
            Err(e) => {
                c.fail(format_args!("{path}.size"), e.to_string());
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/// The `app.kubernetes.io/managed-by` value of every blueprint object.
pub(crate) const MANAGED_BY: &str = "kubeprint";

/// Starts checking a blueprint's configuration (errors read `mysql "db": database: ...`) with
/// what every blueprint shares: its name, which must leave room for `longest_suffix` (the longest
/// suffix the blueprint appends to it for other objects' names, e.g. `"-headless"`), and its
/// namespace.
pub(crate) fn start_checks(
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    longest_suffix: &str,
) -> Checker {
    let mut c = Checker::new(ObjectRef::new(kind, name).in_namespace(namespace));
    check_name(&mut c, name, longest_suffix.len());
    if let Some(ns) = namespace {
        c.check("namespace", validate::dns1123_label(ns));
    }
    c
}

/// Finishes checking a blueprint that embeds another (Ghost its MySQL, Parse its MongoDB): the
/// embedded blueprint's violations, from `check_embedded`, follow the outer ones. The default
/// embedded blueprint is named after the outer one, so unless the database was given explicitly
/// (`database_given`), a bad outer name skips it: the bad name is reported once.
pub(crate) fn finish_with_embedded(
    c: Checker,
    database_given: bool,
    check_embedded: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let mut violations = c.into_violations();
    let name_ok = !violations.iter().any(|v| v.path == "name");
    if (name_ok || database_given)
        && let Err(e) = check_embedded()
    {
        violations.extend(e.violations().iter().cloned());
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(violations))
    }
}

/// Checks the blueprint's name: it names a Service (DNS-1035 label) and is the prefix of longer
/// object names, so it must leave room for the longest suffix the blueprint adds.
fn check_name(c: &mut Checker, name: &str, longest_suffix: usize) {
    if let Some(m) = validate::dns1035_label(name) {
        c.fail("name", m);
        return;
    }
    // StatefulSet pods get a `controller-revision-hash` label of `<name>-<10 chars>`, which must
    // fit a 63-character label value; Services `<name><suffix>` must fit a DNS label.
    let max = 52usize.min(63 - longest_suffix);
    if name.len() > max {
        c.fail("name", format!("{name:?} is longer than {max} characters"));
    }
}

/// Checks an image reference: non-empty, no whitespace.
pub(crate) fn check_image(c: &mut Checker, path: &str, image: &str) {
    if image.is_empty() {
        c.fail(path, "must not be empty");
    } else if image.chars().any(char::is_whitespace) {
        c.fail(path, format!("{image:?} must not contain whitespace"));
    }
}

/// Checks an image digest (`sha256:` and 64 lowercase hex digits) for `image`, which must not
/// carry one already.
pub(crate) fn check_digest(c: &mut Checker, image: &str, digest: Option<&str>) {
    let Some(digest) = digest else { return };
    let hex = digest.strip_prefix("sha256:");
    if !hex
        .is_some_and(|h| h.len() == 64 && h.chars().all(|ch| matches!(ch, '0'..='9' | 'a'..='f')))
    {
        c.fail(
            "digest",
            format!("{digest:?} must be \"sha256:\" and 64 lowercase hex digits"),
        );
    } else if image.contains('@') {
        c.fail(
            "digest",
            format!("the image {image:?} already has a digest"),
        );
    }
}

/// The image reference the pods run: `image`, or `image@digest`.
pub(crate) fn image_ref(image: &str, digest: Option<&str>) -> String {
    match digest {
        Some(d) => format!("{image}@{d}"),
        None => image.to_owned(),
    }
}

/// Checks a number of pods: at least one.
pub(crate) fn check_replicas(c: &mut Checker, replicas: i32) {
    if replicas < 1 {
        c.fail("replicas", format!("must be at least 1, got {replicas}"));
    }
}

/// Checks the declared clients of a NetworkPolicy.
pub(crate) fn check_clients(c: &mut Checker, clients: &[Client]) {
    for (i, client) in clients.iter().enumerate() {
        match client {
            Client::Pods(l) | Client::ExternalPods(l) | Client::Namespaces(l) => {
                c.labels(&format!("clients[{i}]"), Some(l.as_map()))
            }
            Client::PodsInNamespaces { namespaces, pods } => {
                c.labels(
                    &format!("clients[{i}].namespaces"),
                    Some(namespaces.as_map()),
                );
                c.labels(&format!("clients[{i}].pods"), Some(pods.as_map()));
            }
            Client::Cidr(cidr) => c.check(format_args!("clients[{i}]"), check_cidr(cidr)),
        }
    }
}

/// A CIDR block (`10.0.0.0/8`, `fd00::/8`) or a single address; `None` when valid.
pub(crate) fn check_cidr(s: &str) -> Option<String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return Some(format!("{s:?} is not an IP address or CIDR block"));
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix.map(str::parse::<u8>) {
        None => None,
        Some(Ok(p)) if p <= max => None,
        Some(_) => Some(format!("{s:?} has an invalid prefix length (0-{max})")),
    }
}

/// The DNS name clients use for Service `service`: the short name when the namespace is left to
/// the bundle or the apply target, otherwise `service.namespace.svc`.
pub(crate) fn service_host(service: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{service}.{ns}.svc"),
        None => service.to_owned(),
    }
}

/// Checks an `http://` or `https://` URL with a host; returns (scheme, host[:port], path).
pub(crate) fn parse_http_url(url: &str) -> std::result::Result<(&str, &str, &str), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    if scheme != "http" && scheme != "https" {
        return Err(format!("{url:?} must start with http:// or https://"));
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(format!("{url:?} must not contain credentials"));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8080`.
        let (ip, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{url:?} has no valid host"))?;
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{url:?} has no valid host"));
        }
        match after {
            "" => (authority, None),
            _ => (
                authority,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| format!("{url:?} has no valid host"))?,
                ),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && !matches!(port.parse::<u16>(), Ok(p) if p != 0)
    {
        return Err(format!("{url:?} has an invalid port"));
    }
    let host_ok = !host.is_empty()
        && (host.starts_with('[')
            || host
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.'));
    if !host_ok {
        return Err(format!("{url:?} has no valid host"));
    }
    if path.contains(['?', '#']) || path.chars().any(char::is_whitespace) {
        return Err(format!(
            "{url:?} must not contain whitespace, a query or a fragment"
        ));
    }
    Ok((scheme, authority, path))
}

/// The standard labels of a blueprint's objects.
pub(crate) fn standard_labels(
    app: &str,
    instance: &str,
    component: &str,
    extra: &Labels,
) -> Labels {
    let mut labels = Labels::new()
        .with("app.kubernetes.io/name", app)
        .with("app.kubernetes.io/instance", instance)
        .with("app.kubernetes.io/component", component)
        .with("app.kubernetes.io/managed-by", MANAGED_BY);
    labels.merge(extra);
    labels
}

/// The labels that select a blueprint's pods (a subset of [`standard_labels`], never changed by
/// user labels so selectors stay stable).
pub(crate) fn selector_labels(app: &str, instance: &str) -> Labels {
    Labels::new()
        .with("app.kubernetes.io/name", app)
        .with("app.kubernetes.io/instance", instance)
}

// ---------------------------------------------------------------------------------------------
// Shared pieces of the bundles, built with the public builders only.

/// Where the blueprints mount their scripts ConfigMap.
pub(crate) const SCRIPTS_DIR: &str = "/opt/kubeprint";

/// Pod security of a blueprint: Pod Security Standards *restricted*, running as `uid` with
/// primary group and `fsGroup` `uid` (volumes are group-writable for it), ownership changed only
/// when a volume's root does not match (fast restarts on large volumes).
pub(crate) fn pod_security(uid: i64) -> PodSecurity {
    PodSecurity::restricted()
        .run_as_user(uid)
        .run_as_group(uid)
        .fs_group(uid)
        .fs_group_change_policy(FsGroupChangePolicy::OnRootMismatch)
}

/// The volume claim template of `persistence`, named `name`, with `labels`.
pub(crate) fn claim_template(
    name: &str,
    persistence: &Persistence,
    size: Storage,
    labels: &Labels,
) -> VolumeClaimTemplate {
    let mut t = VolumeClaimTemplate::new(name, size);
    if let Some(class) = &persistence.storage_class {
        t = t.storage_class(class.clone());
    }
    for (k, v) in labels {
        t = t.label(k.clone(), v.clone());
    }
    t
}

/// The StatefulSet of a blueprint: `replicas` pods of `template`, named through the headless
/// Service `service`, each with a claim `data` as `persistence` says (size, storage class,
/// retention). Pods are created one after the other unless `pod_management` says otherwise.
pub(crate) fn stateful_set(
    name: &str,
    labels: &Labels,
    service: &str,
    replicas: i32,
    template: PodTemplate,
    persistence: &Persistence,
    pod_management: Option<PodManagementPolicy>,
) -> Result<StatefulSet> {
    let size = persistence.size().parse()?;
    let sts = StatefulSet::builder()
        .name(name)
        .labels(labels.clone())
        .service_name(service)
        .replicas(replicas)
        .template(template)
        .volume_claim_template(claim_template("data", persistence, size, labels))
        .pvc_when_deleted(persistence.when_deleted())
        .pvc_when_scaled(persistence.when_scaled());
    Ok(match pod_management {
        Some(policy) => sts.pod_management_policy(policy).build(),
        None => sts.build(),
    })
}

/// The Secret of generated credentials, or the declaration of the user's existing Secret.
pub(crate) fn add_credentials(
    bundle: &mut Bundle,
    credentials: &Credentials,
    name: &str,
    labels: &Labels,
    keys: &[(&str, Generate)],
) -> Result<()> {
    match credentials {
        Credentials::Generate => {
            let secret = keys
                .iter()
                .fold(
                    Secret::builder().name(name).labels(labels.clone()),
                    |b, (key, how)| b.generated(*key, *how),
                )
                .build();
            bundle.add(secret)?;
        }
        Credentials::Existing(existing) => {
            bundle.external_secret(existing.clone());
        }
    }
    Ok(())
}

/// A NetworkPolicy isolating the pods `selector` selects for ingress, then admitting the
/// declared `clients` and the pods `peers` (the application's own, or its other components) on
/// `ports`. Only [`Client::ExternalPods`] declares external pods of the bundle.
pub(crate) fn network_policy(
    bundle: &mut Bundle,
    name: &str,
    labels: &Labels,
    selector: &Labels,
    ports: &[i32],
    clients: &[Client],
    peers: &[Labels],
) -> Result<()> {
    let rule = |peer: Peer| {
        ports
            .iter()
            .fold(Rule::new().peer(peer), |r, p| r.port(PolicyPort::tcp(*p)))
    };
    let mut policy = NetworkPolicy::builder()
        .name(name)
        .labels(labels.clone())
        .pod_selector(Selector::from(selector))
        .deny_all_ingress();
    for peer in peers {
        policy = policy.ingress(rule(Peer::pods(peer)));
    }
    for client in clients {
        let peer = match client {
            // Admitting pods is not declaring them: declared external pods would also satisfy
            // the bundle's own Services that select them (hiding a Service that points at no
            // workload). Pods of another application are declared with `Bundle::external_pods`.
            Client::Pods(pods) => Peer::pods(pods),
            Client::ExternalPods(pods) => {
                bundle.external_pods(pods.clone());
                Peer::pods(pods)
            }
            Client::Namespaces(namespaces) => Peer::namespaces(namespaces),
            Client::PodsInNamespaces { namespaces, pods } => {
                Peer::pods_in_namespaces(pods, namespaces)
            }
            Client::Cidr(cidr) if cidr.contains('/') => Peer::cidr(cidr.clone()),
            Client::Cidr(address) => {
                let prefix = if address.contains(':') { 128 } else { 32 };
                Peer::cidr(format!("{address}/{prefix}"))
            }
        };
        policy = policy.ingress(rule(peer));
    }
    bundle.add(policy.build())?;
    Ok(())
}

/// The headless Service giving each pod of a StatefulSet its DNS name; publishes pods before
/// they are ready, so members can find each other while starting.
pub(crate) fn headless_service(
    name: &str,
    labels: &Labels,
    selector: &Labels,
    ports: &[(&str, i32)],
) -> Service {
    ports
        .iter()
        .fold(
            Service::builder()
                .name(name)
                .labels(labels.clone())
                .selector(selector.clone())
                .service_type(ServiceType::Headless)
                .publish_not_ready_addresses(),
            |b, (port_name, port)| b.port(ServicePort::tcp(*port_name, *port).target(*port_name)),
        )
        .build()
}

/// A ClusterIP Service on `ports` (service port, container port name).
pub(crate) fn client_service(
    name: &str,
    labels: &Labels,
    selector: &Labels,
    ports: &[(&str, i32)],
) -> Service {
    ports
        .iter()
        .fold(
            Service::builder()
                .name(name)
                .labels(labels.clone())
                .selector(selector.clone()),
            |b, (port_name, port)| b.port(ServicePort::tcp(*port_name, *port).target(*port_name)),
        )
        .build()
}

/// What a voluntary disruption (a node drain, the cluster autoscaler scaling a node down, a
/// managed node-pool upgrade) may do to the pod of a single-replica blueprint ([`MySql`],
/// standalone [`Redis`], [`Ghost`]). Multi-replica blueprints always have a
/// PodDisruptionBudget letting one pod go at a time.
///
/// A single pod cannot be both protected and drainable: a budget that protects it
/// (`maxUnavailable: 0`) makes every eviction of it fail, so `kubectl drain` retries forever,
/// the cluster autoscaler never removes its node, and managed upgrades stall until their own
/// timeout forces the node down anyway (or fail). A budget of `maxUnavailable: 1` (what a chart
/// creating a PDB for every release gives a single replica) protects nothing: the one pod may
/// always go. Hence the default, [`Eviction::Allow`], creates no budget, and a drain costs the
/// downtime of a restart elsewhere (a StatefulSet pod's claim follows it where the storage
/// allows). [`Eviction::Block`] is for a team that wants every such downtime to be a decision:
/// drains wait until someone deletes the pod (or the budget) by hand.
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Eviction, MySql};
/// let db = MySql::builder().name("db").eviction(Eviction::Block).build();
/// let pdb = db.bundle()?.get("PodDisruptionBudget", "db").unwrap().to_json_value()?;
/// assert_eq!(pdb["spec"]["maxUnavailable"], 0);
/// assert_eq!(pdb["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");
/// // The default blocks no drain: no budget at all.
/// assert!(MySql::builder().name("db").build().bundle()?.get("PodDisruptionBudget", "db").is_none());
/// # Ok::<(), kubeprint::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Eviction {
    /// No PodDisruptionBudget: drains and autoscaler scale-downs evict the pod, which restarts
    /// on another node (the default).
    #[default]
    Allow,
    /// PodDisruptionBudget `NAME` with `maxUnavailable: 0`: no eviction of a ready pod succeeds,
    /// so node drains block until an operator moves the pod by hand. A pod that is not ready
    /// (crash-looping, stuck) may still be evicted (`unhealthyPodEvictionPolicy: AlwaysAllow`),
    /// so a broken pod never holds a node hostage.
    Block,
}

/// Adds the budget of a single-replica blueprint as `eviction` says.
pub(crate) fn single_replica_budget(
    bundle: &mut Bundle,
    eviction: Eviction,
    name: &str,
    labels: &Labels,
    selector: &Labels,
) -> Result<()> {
    use crate::api::policy::poddisruptionbudget::UnhealthyPodEvictionPolicy;
    if eviction == Eviction::Block {
        bundle.add(
            PodDisruptionBudget::builder()
                .name(name)
                .labels(labels.clone())
                .selector(Selector::from(selector))
                .budget(Budget::max_unavailable(0))
                .unhealthy_pod_eviction_policy(UnhealthyPodEvictionPolicy::AlwaysAllow)
                .build(),
        )?;
    }
    Ok(())
}

/// A PodDisruptionBudget letting one pod at a time go.
pub(crate) fn disruption_budget(
    name: &str,
    labels: &Labels,
    selector: &Labels,
) -> PodDisruptionBudget {
    PodDisruptionBudget::builder()
        .name(name)
        .labels(labels.clone())
        .selector(Selector::from(selector))
        .budget(Budget::max_unavailable(1))
        .build()
}

/// The ConfigMap of a blueprint's scripts.
pub(crate) fn scripts_config_map(
    name: &str,
    labels: &Labels,
    scripts: &[(&str, &str)],
) -> ConfigMap {
    scripts
        .iter()
        .fold(
            ConfigMap::builder().name(name).labels(labels.clone()),
            |b, (file, text)| b.entry(*file, *text),
        )
        .build()
}

/// Adds the pod (anti-)affinity and topology spread constraints of `$spread` for `$replicas`
/// pods to a `PodTemplate` builder. (A macro for the same reason as [`labelled_template`].)
macro_rules! spread_template {
    ($template:expr, $spread:expr, $replicas:expr) => {{
        let spread: $crate::blueprint::Spread = $spread;
        let replicas: i32 = $replicas;
        spread
            .constraints(replicas)
            .into_iter()
            .fold($template.affinity(spread.affinity(replicas)), |t, c| {
                t.topology_spread(c)
            })
    }};
}
pub(crate) use spread_template;

/// A `PodTemplate` builder with a blueprint's pod labels (`$labels`, of which `$selector` are
/// the selector labels) and the annotation that rolls the pods when their ConfigMaps or Secrets
/// change. (A macro because the builder's type changes with every setter.)
macro_rules! labelled_template {
    ($selector:expr, $labels:expr) => {{
        let selector: &$crate::meta::Labels = $selector;
        let labels: &$crate::meta::Labels = $labels;
        let mut t = $crate::pod::PodTemplate::builder();
        for (k, v) in labels {
            if selector.get(k).is_none() {
                t = t.label(k.clone(), v.clone());
            }
        }
        for (k, v) in selector {
            t = t.selector_label(k.clone(), v.clone());
        }
        t.rollout_on_config_change()
    }};
}
pub(crate) use labelled_template;

/// An emptyDir volume.
pub(crate) fn empty_dir(name: &str) -> Volume {
    Volume::empty_dir(name).into()
}

/// A `sh SCRIPT ARGS...` exec probe command for a script in [`SCRIPTS_DIR`].
pub(crate) fn script_command(shell: &str, script: &str, args: &[&str]) -> Vec<String> {
    let mut command = vec![shell.to_owned(), format!("{SCRIPTS_DIR}/{script}")];
    command.extend(args.iter().map(|a| (*a).to_owned()));
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::CustomReadiness;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn prometheus_durations() {
        assert_eq!(prometheus_duration(Duration::from_secs(15)).unwrap(), "15s");
        assert_eq!(
            prometheus_duration(Duration::from_millis(1500)).unwrap(),
            "1500ms"
        );
        assert_eq!(
            prometheus_duration(Duration::from_secs(600)).unwrap(),
            "600s"
        );
        assert!(prometheus_duration(Duration::ZERO).is_err());
        assert!(prometheus_duration(Duration::from_micros(1500)).is_err());
    }

    fn monitor_errors(monitor: ServiceMonitor) -> String {
        let mut c = Checker::new(ObjectRef::new("mysql", "db"));
        Metrics::builder()
            .service_monitor(monitor)
            .build()
            .check(&mut c);
        c.into_violations()
            .iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn service_monitor_checks_name_the_field() {
        assert_eq!(monitor_errors(ServiceMonitor::default()), "");
        let e = monitor_errors(
            ServiceMonitor::builder()
                .interval(Duration::from_secs(10))
                .scrape_timeout(Duration::from_secs(20))
                .build(),
        );
        assert!(
            e.starts_with(
                "metrics.service_monitor.scrape_timeout: 20s is longer than the interval"
            ),
            "{e}"
        );
        let e = monitor_errors(ServiceMonitor::builder().interval(Duration::ZERO).build());
        assert_eq!(e, "metrics.service_monitor.interval: must be above 0");
        let e = monitor_errors(
            ServiceMonitor::builder()
                .scrape_timeout(Duration::from_nanos(10))
                .build(),
        );
        assert_eq!(
            e,
            "metrics.service_monitor.scrape_timeout: must be whole milliseconds"
        );
        let e = monitor_errors(
            ServiceMonitor::builder()
                .labels([("bad key!", "x")])
                .build(),
        );
        assert!(
            e.starts_with(r#"metrics.service_monitor.labels["bad key!"]: "#),
            "{e}"
        );
    }

    #[test]
    fn service_monitor_is_ready_unless_a_prometheus_refuses_it() {
        assert_eq!(
            service_monitor_readiness(&json!({})),
            CustomReadiness::Ready
        );
        let bound = |status: &str| {
            json!({"status": {"bindings": [{
                "group": "monitoring.coreos.com", "resource": "prometheuses",
                "namespace": "monitoring", "name": "k8s",
                "conditions": [{"type": "Accepted", "status": status,
                    "reason": "InvalidConfiguration", "message": "bad relabeling"}]}]}})
        };
        assert_eq!(
            service_monitor_readiness(&bound("True")),
            CustomReadiness::Ready
        );
        assert_eq!(
            service_monitor_readiness(&bound("False")),
            CustomReadiness::Failed(
                "prometheuses monitoring/k8s does not accept it: InvalidConfiguration: \
                 bad relabeling"
                    .to_owned()
            )
        );
    }

    #[test]
    fn cidrs() {
        assert!(check_cidr("10.0.0.0/8").is_none());
        assert!(check_cidr("127.0.0.1").is_none());
        assert!(check_cidr("::1/128").is_none());
        assert!(check_cidr("fd00::/8").is_none());
        assert_eq!(
            check_cidr("10.0.0.0/33").unwrap(),
            r#""10.0.0.0/33" has an invalid prefix length (0-32)"#
        );
        assert_eq!(
            check_cidr("example.com").unwrap(),
            r#""example.com" is not an IP address or CIDR block"#
        );
        assert!(check_cidr("::/129").is_some());
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_http_url("https://blog.example.com").unwrap(),
            ("https", "blog.example.com", "")
        );
        assert_eq!(
            parse_http_url("http://localhost:2368/blog/").unwrap(),
            ("http", "localhost:2368", "/blog/")
        );
        assert_eq!(
            parse_http_url("http://[::1]:80/").unwrap(),
            ("http", "[::1]:80", "/")
        );
        assert!(parse_http_url("ftp://example.com").is_err());
        assert!(parse_http_url("example.com").is_err());
        assert!(parse_http_url("https://").is_err());
        assert!(parse_http_url("https://user:pw@example.com").is_err());
        assert!(parse_http_url("https://exa mple.com").is_err());
        assert!(parse_http_url("https://example.com:99999").is_err());
        assert!(parse_http_url("https://example.com/?q=1").is_err());
    }

    #[test]
    fn names() {
        let mut c = start_checks("MySQL", "x", None, "-headless");
        check_name(&mut c, "db", 9);
        check_name(&mut c, "Db", 9);
        check_name(&mut c, &"a".repeat(60), 9);
        let e = c.finish().unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "mysql \"x\": name: \"Db\" must consist of lowercase letters, digits and '-'\n\
                 mysql \"x\": name: \"{}\" is longer than 52 characters",
                "a".repeat(60)
            )
        );
    }

    #[test]
    fn sizes() {
        let mut c = start_checks("MySQL", "db", None, "-headless");
        assert_eq!(
            Persistence::of("10Gi").check(&mut c, "storage"),
            Some(Storage::gib(10))
        );
        assert_eq!(Persistence::of("ten gigs").check(&mut c, "storage"), None);
        assert_eq!(Persistence::of("0").check(&mut c, "storage"), None);
        let e = c.finish().unwrap_err().to_string();
        assert!(
            e.starts_with("mysql \"db\": storage.size: quantity \"ten gigs\""),
            "{e}"
        );
        assert!(
            e.ends_with("mysql \"db\": storage.size: must be more than 0"),
            "{e}"
        );
    }
}
