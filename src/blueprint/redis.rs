//! Redis: a standalone server, or a Sentinel-managed master with replicas.
//!
//! A full example and the list of setters are on [`Redis`].
//!
//! ## Licence of the default image
//! The default, `redis:8.2.3`, is Redis Open Source 8, available under a choice of RSALv2, SSPLv1
//! or AGPLv3 (an OSI-approved licence). Redis 7.4.x is RSALv2/SSPLv1 only; the last BSD-3-Clause
//! line is 7.2.x (`.image("redis:7.2")`), and Valkey (`valkey/valkey`) is a BSD-licensed fork
//! whose images also ship `redis-server`, `redis-cli` and `redis-sentinel`. All scripts here
//! work with any of them (hostname announcement needs 6.2 or later).
//!
//! ## Standalone
//! StatefulSet `NAME` (one pod), headless Service `NAME-headless`, client Service `NAME`
//! (port 6379), Secret `NAME` (key `password`, generated once), ConfigMaps `NAME-config`
//! (`redis.conf`) and `NAME-scripts`, NetworkPolicy `NAME`; with backups CronJob and
//! PersistentVolumeClaim `NAME-backup`. Persistence: append-only file
//! (`appendonly yes`, fsync every second) on the claim mounted at `/data`.
//!
//! ## Sentinel
//! StatefulSet `NAME` with `replicas` pods (at least 3); each pod runs `redis` and `sentinel`.
//! The client Service `NAME` exposes the Sentinel port 26379 (and 6379, which reaches *any*
//! pod: use a Sentinel-aware client, asking for master set [`Sentinel::master_set`]). Also a
//! PodDisruptionBudget (`maxUnavailable: 1`). A standalone server has none unless asked for
//! ([`Eviction::Block`](super::Eviction::Block): it blocks node drains).
//! - Every pod has a stable name, `NAME-i.NAME-headless.NAMESPACE.svc`, published before the
//!   pod is ready (`publishNotReadyAddresses`); Redis and Sentinel announce these names
//!   (`replica-announce-ip`, `sentinel announce-hostnames`) instead of pod IPs, which change.
//! - Sentinel rewrites its configuration file, so an init container writes it into an emptyDir
//!   (a ConfigMap mount is read-only). Sentinel writes its password lines back unquoted, so
//!   the `sentinel` container quotes them again on every start (a password with a space or a
//!   quote would otherwise stop a restarted Sentinel from reading its own file).
//! - On every start, the `redis` container asks the Sentinels which server is the master now and
//!   replicates from it; pod 0 becomes master only when no Sentinel knows any master, i.e. for a
//!   brand-new set. A restarted pod 0 therefore rejoins as a replica after a failover. It asks
//!   every Sentinel and follows the answer with the highest configuration epoch: one that missed
//!   a failover (it was down, or cut off) still names the old master, under an older epoch.
//! - Sentinel timings: `down_after_ms` at least [`MIN_DOWN_AFTER_MS`] (2 s),
//!   `failover_timeout_ms` at least [`MIN_FAILOVER_TIMEOUT_MS`] (3 s).
//! - Known limit: if *every* pod is deleted at once (the Sentinels' emptyDirs go with them), the
//!   set restarts with pod 0 as master, and writes acknowledged only by another pod are lost.
//! - Sentinels require the same password as Redis (`requirepass`) and use it among themselves.
//!
//! ## Backups
//! With [`Backup`](super::Backup): CronJob `NAME-backup` runs `scripts/redis-backup.sh backup`
//! (the same image): `redis-cli --rdb` copies an RDB snapshot from the client Service `NAME`
//! (the server; in Sentinel mode any pod, a replica's snapshot being as complete as its
//! replication) into `/backup/NAME-<UTC time>.rdb` on PersistentVolumeClaim `NAME-backup`,
//! under a temporary name until complete and checked, keeping the newest `keep`. The password
//! comes from the Secret through `REDISCLI_AUTH`, never a command line. The NetworkPolicy admits
//! the backup pods.
//!
//! **Restore** (tested by `tests/scripts/redis-backup.test.sh` against a real `redis-server`
//! with `appendonly yes`): copy a snapshot out of the claim, then feed it to the server's own
//! pod, which has the script:
//! ```sh
//! kubectl exec -i cache-0 -c redis -- sh /opt/kubeprint/redis-backup.sh restore - < cache-20261202T030000Z.rdb
//! ```
//! Copying the file into `/data` would do nothing: with the append-only file on, Redis loads the
//! AOF on start and ignores `dump.rdb`. So the script starts a temporary server of the snapshot
//! on a loopback port of the pod (AOF off) and makes the running server its replica: the full
//! synchronisation replaces the whole data set (keys written since the backup are gone), Redis
//! rewrites its AOF from the loaded data, and the script makes it a master again and waits for
//! the rewrite, so a restart keeps the restored data. Writes are refused while it runs (a
//! replica is read-only). On a master only (the script refuses a replica). The replicas the
//! master has take the restored data set from it (a full resynchronisation each), and the
//! script returns once every one of them has confirmed it (`WAIT`).
//!
//! With [`Sentinel`], run it in the current master's pod (`SENTINEL get-master-addr-by-name`
//! names it): in a replica's pod the script refuses and names the master's pod, and it also
//! refuses when a Sentinel names another master or does not answer. While the master loads
//! the snapshot it reports the replica role, which a Sentinel takes for a failure after
//! `down_after_ms` plus two 10 s INFO periods, and the failover would undo the restore; so the
//! script raises every Sentinel's `down-after-milliseconds` for the restore (to 360 s: the
//! longest load it waits for, plus a minute), and sets each back to its own value when it
//! ends, once that Sentinel has seen the master role again (earlier, it would fail over at
//! once). A real failure of the master during the restore is therefore noticed only that late.
//! Tested by `tests/scripts/redis-sentinel.test.sh` against real `redis-server` and Sentinel
//! processes (master, two replicas, three Sentinels; a snapshot sent 40 s late, longer than a
//! Sentinel waits): master and both replicas hold exactly the backup's data when the script
//! returns, every Sentinel still names the same master and none judged it down.
//!
//! ## TLS
//! With [`Tls`](super::Tls) (standalone only; refused with Sentinel): `tls-port 6379` and
//! `port 0` (TLS only, the default), or with plaintext allowed `port 6379` and `tls-port 6380`
//! ([`TLS_PORT`]), the certificate and key from the `kubernetes.io/tls` Secret, clients
//! authenticated by password (`tls-auth-clients no`). The probes and the restore use
//! `redis-cli --tls` (verifying the chain with the CA when given; redis-cli checks no host
//! name, so loopback works), the backup job connects over TLS to the Service, the exporter uses
//! `rediss://localhost` without verification (a certificate for the Services cannot match
//! `localhost`, and the traffic never leaves the pod). Tested by
//! `tests/scripts/redis-tls.test.sh` (real `redis-server` with certificates made by `openssl`).
//!
//! ## Metrics
//! With [`Metrics`](super::Metrics): a `metrics` sidecar ([`EXPORTER_IMAGE`], `redis_exporter`)
//! in every pod, reading the local server with the Secret's password and serving Prometheus
//! metrics on port 9121 (`metrics`), reached through Service `NAME-metrics`
//! (one target per pod; with [`ServiceMonitor`](super::ServiceMonitor) a Prometheus Operator
//! `ServiceMonitor` `NAME` selects it) and opened by NetworkPolicy `NAME-metrics` to the
//! declared scrapers only. The sidecar's variables (`REDIS_ADDR`, `REDIS_PASSWORD`, and with TLS
//! `REDIS_EXPORTER_SKIP_TLS_VERIFICATION`) are tested with Debian's `redis_exporter` (1.45, an
//! older release than the image's) against a real `redis-server` (`tests/scripts/exporters.test.sh`,
//! `tests/scripts/redis-tls.test.sh`): `redis_up 1`, `/health` answers.
//!
//! ## Modules
//! The official `redis:8` image's entrypoint loads the modules it bundles (Bloom, Search, JSON,
//! TimeSeries) only when it runs `redis-server` itself; the blueprint's start script replaces
//! that command, so it loads them itself: one `loadmodule` line per module found in
//! [`MODULES_DIR`] ([`RedisModules::Bundled`], the default), or none ([`RedisModules::None`]).
//! Replicas must load the same modules as their master: every pod of a set gets the same setting.
//!
//! Probes: `redis-cli ping` with the password in `REDISCLI_AUTH` (never on a command line);
//! readiness wants `PONG`, liveness also accepts `LOADING` (a large AOF being read).
//!
//! UID/GID 999 (`redis` in the image), read-only root filesystem; the generated configuration
//! lives in emptyDirs.

use super::{
    Blueprint, Client, Credentials, Persistence, SecretKeyRef, check_clients, start_checks,
};
use crate::api::apps::StatefulSet;
use crate::api::core::configmap::ConfigMap;
use crate::api::core::secret::Generate;
use crate::bundle::Bundle;
use crate::error::Result;
use crate::meta::Labels;
use crate::pod::{Container, EnvVar, Mount, Port, Probe, Resources, Volume};
use crate::quantity::{Cpu, Memory};
use typed_builder::TypedBuilder;

/// The default image (see the module documentation for its licence).
pub const IMAGE: &str = "redis:8.2.3";
/// The Redis port.
pub const PORT: i32 = 6379;
/// The default metrics exporter image ([`Metrics`](super::Metrics)).
pub const EXPORTER_IMAGE: &str = "oliver006/redis_exporter:v1.78.0";
/// The exporter's metrics port.
pub const METRICS_PORT: i32 = 9121;
/// The Sentinel port.
pub const SENTINEL_PORT: i32 = 26379;
/// The TLS port when plaintext connections are allowed too ([`Tls`](super::Tls)); with TLS only,
/// TLS is on [`PORT`].
pub const TLS_PORT: i32 = 6380;
/// UID and GID of the `redis` user of the official image.
pub const UID: i64 = 999;
/// Secret key of the password (Redis `requirepass`, and Sentinel's).
pub const PASSWORD_KEY: &str = "password";

/// The lowest accepted `down_after_ms` of a [`Sentinel`]. A Sentinel pings every server once
/// a second, and after losing a connection reconnects at most once a second too. After a
/// failover it must reconnect to the promoted replica and get its first reply within down-after,
/// so down-after needs one reconnection period plus one ping period: 2 × 1000 ms. With 1000 ms
/// a Sentinel can judge the new master down before its first reply and, the other Sentinels'
/// "down" answers about the old master being still fresh, fail over again at once.
pub const MIN_DOWN_AFTER_MS: u32 = 2_000;
/// The lowest accepted `failover_timeout_ms` of a [`Sentinel`]. Each step of a failover is
/// bounded by it, and each waits for something a Sentinel checks once a second: the start is
/// delayed by up to 1 s (so Sentinels do not all start at once), votes are asked every second,
/// and the promoted replica's new role is seen through INFO, sent every second during a
/// failover. Below 3 s, a single slow second aborts the failover, and the next attempt only
/// comes after twice the timeout.
pub const MIN_FAILOVER_TIMEOUT_MS: u32 = 3_000;
/// Sentinel reads both timings as signed 32-bit integers (and rejects what is not positive).
const MAX_SENTINEL_MS: u32 = i32::MAX as u32;

const LIB_SCRIPT: &str = include_str!("scripts/redis-lib.sh");
const START_SCRIPT: &str = include_str!("scripts/redis-start.sh");
const SENTINEL_INIT_SCRIPT: &str = include_str!("scripts/sentinel-init.sh");
const SENTINEL_START_SCRIPT: &str = include_str!("scripts/sentinel-start.sh");
const PROBE_SCRIPT: &str = include_str!("scripts/redis-probe.sh");
const BACKUP_SCRIPT: &str = include_str!("scripts/redis-backup.sh");

/// Where the backup claim is mounted in the backup pods.
const BACKUP_DIR: &str = "/backup";

fn default_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(100), Memory::mib(256))
        .limit_memory(Memory::mib(512))
}

fn default_sentinel_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(50), Memory::mib(32))
        .limit_memory(Memory::mib(64))
}

/// The Redis modules a [`Redis`] server loads.
///
/// The blueprint starts `redis-server` through its own script, which bypasses the official
/// image's entrypoint — and that entrypoint is what loads the modules Redis 8 bundles (Bloom,
/// Search, JSON, TimeSeries). So the script loads them itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RedisModules {
    /// Every module the image bundles in [`MODULES_DIR`] (`redisbloom`, `redisearch`, `rejson`,
    /// `redistimeseries`; those present), as the official image's entrypoint would (the
    /// default). An image without them (Redis 7, Valkey) loads none.
    #[default]
    Bundled,
    /// No module: plain Redis (less memory, nothing module-specific in the AOF).
    None,
}

impl RedisModules {
    fn as_env(self) -> &'static str {
        match self {
            RedisModules::Bundled => "bundled",
            RedisModules::None => "none",
        }
    }
}

/// Where the official Redis 8 image keeps its bundled modules.
pub const MODULES_DIR: &str = "/usr/local/lib/redis/modules";

/// Sentinel mode settings.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Redis, Sentinel};
/// let cache = Redis::builder()
///     .name("cache")
///     .sentinel(Sentinel::builder().replicas(3).down_after_ms(5000).build())
///     .build();
/// let bundle = cache.bundle()?;
/// let set = bundle.get("StatefulSet", "cache").unwrap().to_json_value()?;
/// assert_eq!(set["spec"]["replicas"], 3);
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Sentinel::builder()`](Sentinel::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.replicas(i32)` | Number of pods, each with Redis and a Sentinel: at least 3. |
/// | `.quorum(i32)` / `.quorum_opt(Option<..>)` | Sentinels that must agree a master is down; default: a majority of `replicas`. |
/// | `.master_set(impl Into<String>)` | The master set name clients ask the Sentinels for. |
/// | `.down_after_ms(u32)` | Milliseconds without an answer before a Sentinel considers a server down: at least [`MIN_DOWN_AFTER_MS`]. Right after a failover a Sentinel may take a second to reconnect to the new master; with 1 s or less it can judge the new master down and fail over again. |
/// | `.failover_timeout_ms(u32)` | Failover timeout in milliseconds, at least [`MIN_FAILOVER_TIMEOUT_MS`]. A failover attempt that fails (no leader elected, no replica fit to promote) is retried only after twice this. |
/// | `.resources(Resources)` | Resources of each `sentinel` container. |
#[derive(Clone, Debug, PartialEq, Eq, TypedBuilder)]
#[builder(doc)]
pub struct Sentinel {
    /// Number of pods, each with Redis and a Sentinel: at least 3.
    #[builder(default = 3)]
    replicas: i32,
    /// Sentinels that must agree a master is down; default: a majority of `replicas`.
    #[builder(default, setter(strip_option(fallback = quorum_opt)))]
    quorum: Option<i32>,
    /// The master set name clients ask the Sentinels for.
    #[builder(default = "mymaster".to_owned(), setter(into))]
    master_set: String,
    /// Milliseconds without an answer before a Sentinel considers a server down: at least
    /// [`MIN_DOWN_AFTER_MS`]. Right after a failover a Sentinel may take a second to reconnect
    /// to the new master; with 1 s or less it can judge the new master down and fail over again.
    #[builder(default = 10_000)]
    down_after_ms: u32,
    /// Failover timeout in milliseconds, at least [`MIN_FAILOVER_TIMEOUT_MS`]. A failover attempt
    /// that fails (no leader elected, no replica fit to promote) is retried only after twice this.
    #[builder(default = 60_000)]
    failover_timeout_ms: u32,
    /// Resources of each `sentinel` container.
    #[builder(default = default_sentinel_resources())]
    resources: Resources,
}

impl Default for Sentinel {
    fn default() -> Self {
        Sentinel::builder().build()
    }
}

impl Sentinel {
    /// The master set name.
    pub fn master_set(&self) -> &str {
        &self.master_set
    }

    /// The number of pods.
    pub fn replicas(&self) -> i32 {
        self.replicas
    }

    /// The quorum in force (the configured one, or a majority).
    pub fn quorum(&self) -> i32 {
        self.quorum.unwrap_or(self.replicas / 2 + 1)
    }
}

/// A Redis server, or a Sentinel-managed set. Only `name` is required.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Redis, Sentinel};
/// let cache = Redis::builder().name("cache").build();
/// assert_eq!(cache.connection().port, 6379);
///
/// let ha = Redis::builder().name("sessions").sentinel(Sentinel::builder().replicas(5).quorum(3).build()).build();
/// let conn = ha.connection();
/// assert_eq!(conn.sentinel_port, Some(26379));
/// assert_eq!(conn.master_set.as_deref(), Some("mymaster"));
/// ha.bundle()?.check()?;
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Redis::builder()`](Redis::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | Name of the StatefulSet and client Service, prefix of the other objects. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | Namespace of every object; left to the bundle or the apply target when unset. |
/// | `.image(impl Into<String>)` | The image (default [`IMAGE`]). |
/// | `.digest(impl Into<String>)` / `.digest_opt(Option<..>)` | Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`, which no re-pushed tag can change. |
/// | `.sentinel(Sentinel)` / `.sentinel_opt(Option<..>)` | Sentinel mode; standalone when unset. |
/// | `.eviction(super::Eviction)` | What a node drain may do to a standalone server's pod (default [`Eviction::Allow`](super::Eviction): no PodDisruptionBudget; see [`Eviction`](super::Eviction) for the trade-off). A Sentinel set always has a budget letting one pod go at a time; `Block` is refused there. |
/// | `.spread(super::Spread)` | How the Sentinel pods spread over nodes (default [`Spread::Soft`](super::Spread::Soft); nothing for a standalone server). |
/// | `.credentials(Credentials)` | Where the password comes from (key [`PASSWORD_KEY`]). |
/// | `.modules(RedisModules)` | The modules loaded (default: the image's bundled ones, [`RedisModules::Bundled`]). |
/// | `.metrics(super::Metrics)` / `.metrics_opt(Option<..>)` | A `redis_exporter` sidecar in every pod; off by default. |
/// | `.tls(super::Tls)` / `.tls_opt(Option<..>)` | TLS with the certificate of a `kubernetes.io/tls` Secret (standalone only); off by default. |
/// | `.backup(super::Backup)` / `.backup_opt(Option<..>)` | Scheduled RDB snapshots copied over the network (`redis-cli --rdb`); off by default. See the module documentation for the restore. |
/// | `.storage(Persistence)` | The data volume of each pod (default 8Gi, claims retained). |
/// | `.resources(Resources)` | Resources of each `redis` container (default: requests 100m CPU / 256Mi, limit 512Mi). |
/// | `.setting(key, value)` (repeatable) | `redis.conf` directives, after the blueprint's own (`setting("maxmemory", "400mb")`). |
/// | `.client(client)` (repeatable) | Pods allowed to connect. |
/// | `.labels(impl Into<Labels>)` | Extra labels on every object. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Redis {
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
    /// Sentinel mode; standalone when unset.
    #[builder(default, setter(strip_option(fallback = sentinel_opt)))]
    sentinel: Option<Sentinel>,
    /// What a node drain may do to a standalone server's pod (default
    /// [`Eviction::Allow`](super::Eviction): no PodDisruptionBudget; see
    /// [`Eviction`](super::Eviction) for the trade-off). A Sentinel set always has a budget
    /// letting one pod go at a time; `Block` is refused there.
    #[builder(default)]
    eviction: super::Eviction,
    /// How the Sentinel pods spread over nodes (default [`Spread::Soft`](super::Spread::Soft);
    /// nothing for a standalone server).
    #[builder(default)]
    spread: super::Spread,
    /// Where the password comes from (key [`PASSWORD_KEY`]).
    #[builder(default)]
    credentials: Credentials,
    /// The modules loaded (default: the image's bundled ones, [`RedisModules::Bundled`]).
    #[builder(default)]
    modules: RedisModules,
    /// A `redis_exporter` sidecar in every pod; off by default.
    #[builder(default, setter(strip_option(fallback = metrics_opt)))]
    metrics: Option<super::Metrics>,
    /// TLS with the certificate of a `kubernetes.io/tls` Secret (standalone only); off by default.
    #[builder(default, setter(strip_option(fallback = tls_opt)))]
    tls: Option<super::Tls>,
    /// Scheduled RDB snapshots copied over the network (`redis-cli --rdb`); off by default.
    /// See the module documentation for the restore.
    #[builder(default, setter(strip_option(fallback = backup_opt)))]
    backup: Option<super::Backup>,
    /// The data volume of each pod (default 8Gi, claims retained).
    #[builder(default = Persistence::of("8Gi"))]
    storage: Persistence,
    /// Resources of each `redis` container (default: requests 100m CPU / 256Mi, limit 512Mi).
    #[builder(default = default_resources())]
    resources: Resources,
    /// `redis.conf` directives, after the blueprint's own (`setting("maxmemory", "400mb")`).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a `redis.conf` directive.
            pub fn setting(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.settings.push((key.into(), value.into()));
            }
        )
    )]
    settings: Vec<(String, String)>,
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

/// How clients reach a [`Redis`] blueprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConnection {
    /// Host name of the client Service.
    pub host: String,
    /// The Redis port. In Sentinel mode the Service reaches any pod: ask a Sentinel for the
    /// master instead.
    pub port: i32,
    /// The Sentinel port, in Sentinel mode.
    pub sentinel_port: Option<i32>,
    /// The master set name, in Sentinel mode.
    pub master_set: Option<String>,
    /// Where the password is (Redis and Sentinels use the same).
    pub password: SecretKeyRef,
    /// TLS, when on: connect with `rediss://` on its port, verifying with its CA.
    pub tls: Option<super::ClientTls>,
    /// Labels of the Redis pods.
    pub pod_labels: Labels,
}

/// `redis.conf` directives the blueprint manages itself; setting them would break it.
const RESERVED: &[&str] = &[
    "include",
    "port",
    "requirepass",
    "masterauth",
    "replicaof",
    "slaveof",
    "replica-announce-ip",
    "replica-announce-port",
    "dir",
    "daemonize",
    // TLS is the `tls` option's: the certificate files live where the blueprint mounts them.
    "tls-port",
    "tls-cert-file",
    "tls-key-file",
    "tls-ca-cert-file",
];

impl Redis {
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

    /// Validates the configuration: every problem, each naming its field.
    pub fn validate(&self) -> Result<()> {
        let mut c = start_checks("Redis", &self.name, self.namespace.as_deref(), "-headless");
        super::check_image(&mut c, "image", &self.image);
        super::check_digest(&mut c, &self.image, self.digest.as_deref());
        if let Some(s) = &self.sentinel {
            if s.replicas < 3 {
                c.fail(
                    "sentinel.replicas",
                    format!(
                        "must be at least 3 for Sentinel to elect a master, got {}",
                        s.replicas
                    ),
                );
            }
            if let Some(q) = s.quorum
                && (q < 1 || q > s.replicas)
            {
                c.fail(
                    "sentinel.quorum",
                    format!(
                        "must be between 1 and sentinel.replicas ({}), got {q}",
                        s.replicas
                    ),
                );
            }
            let set_ok = !s.master_set.is_empty()
                && s.master_set
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.');
            if !set_ok {
                c.fail(
                    "sentinel.master_set",
                    format!(
                        "{:?} must be letters, digits, '-', '_' or '.'",
                        s.master_set
                    ),
                );
            }
            if s.down_after_ms < MIN_DOWN_AFTER_MS {
                c.fail(
                    "sentinel.down_after_ms",
                    format!(
                        "must be at least {MIN_DOWN_AFTER_MS}, got {}: Sentinel pings and \
                         reconnects once a second, and with less it can judge a just-promoted \
                         master down before reconnecting to it, then fail over again",
                        s.down_after_ms
                    ),
                );
            }
            if s.failover_timeout_ms < MIN_FAILOVER_TIMEOUT_MS {
                c.fail(
                    "sentinel.failover_timeout_ms",
                    format!(
                        "must be at least {MIN_FAILOVER_TIMEOUT_MS}, got {}: each failover step \
                         waits for checks Sentinel makes once a second, and a timed-out attempt \
                         is retried only after twice the timeout",
                        s.failover_timeout_ms
                    ),
                );
            }
            for (field, value) in [
                ("sentinel.down_after_ms", s.down_after_ms),
                ("sentinel.failover_timeout_ms", s.failover_timeout_ms),
            ] {
                if value > MAX_SENTINEL_MS {
                    c.fail(
                        field,
                        format!(
                            "must be at most {MAX_SENTINEL_MS} (Sentinel reads it as a 32-bit \
                             signed integer), got {value}"
                        ),
                    );
                }
            }
        }
        self.credentials.check(&mut c, "credentials");
        self.storage.check(&mut c, "storage");
        for (i, (key, value)) in self.settings.iter().enumerate() {
            let lower = key.to_ascii_lowercase();
            if key.is_empty()
                || !key
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                c.fail(
                    format_args!("settings[{i}]"),
                    format!("{key:?} is not a directive name"),
                );
            } else if RESERVED.contains(&lower.as_str()) {
                c.fail(
                    format_args!("settings[{i}]"),
                    format!("{key:?} is managed by the blueprint"),
                );
            } else if value.contains(['\n', '\r']) {
                c.fail(
                    format_args!("settings[{i}]"),
                    format!("the value of {key:?} must be one line"),
                );
            }
        }
        check_clients(&mut c, &self.clients);
        if let Some(m) = &self.metrics {
            m.check(&mut c);
        }
        if let Some(b) = &self.backup {
            b.check(&mut c);
        }
        if let Some(tls) = &self.tls {
            tls.check(&mut c);
            if self.sentinel.is_some() {
                c.fail(
                    "tls",
                    "is not supported with Sentinel yet (Sentinel, replication and the start \
                     scripts' queries would all need it); use a standalone server",
                );
            }
        }
        if self.sentinel.is_some() && self.eviction == super::Eviction::Block {
            c.fail(
                "eviction",
                "Block is for a standalone server: a Sentinel set has a PodDisruptionBudget \
                 letting one pod go at a time (its failover covers it)",
            );
        }
        c.finish()
    }
}

impl Blueprint for Redis {
    type Connection = RedisConnection;

    fn bundle(&self) -> Result<Bundle> {
        self.validate()?;
        build(self)
    }

    fn connection(&self) -> RedisConnection {
        RedisConnection {
            host: super::service_host(&self.name, self.namespace.as_deref()),
            port: PORT,
            sentinel_port: self.sentinel.as_ref().map(|_| SENTINEL_PORT),
            master_set: self.sentinel.as_ref().map(|s| s.master_set.clone()),
            password: SecretKeyRef::new(self.credentials.secret_name(&self.name), PASSWORD_KEY),
            tls: self.tls.as_ref().map(|t| t.client(tls_port(t))),
            pod_labels: super::selector_labels("redis", &self.name),
        }
    }
}

/// The port of TLS connections.
fn tls_port(tls: &super::Tls) -> i32 {
    if tls.plaintext_allowed() {
        TLS_PORT
    } else {
        PORT
    }
}

/// redis-cli's options for a TLS connection: verifying the server with the CA when there is
/// one (redis-cli checks the chain, not the host name), else encrypted without verification.
fn cli_tls_args(tls: &super::Tls) -> String {
    if tls.has_ca() {
        format!("--tls --cacert {}", super::Tls::file("ca.crt"))
    } else {
        "--tls --insecure".to_owned()
    }
}

fn build(r: &Redis) -> Result<Bundle> {
    let name = r.name.as_str();
    let image = super::image_ref(&r.image, r.digest.as_deref());
    let labels = super::standard_labels("redis", name, "cache", &r.labels);
    let selector = super::selector_labels("redis", name);
    let secret = r.credentials.secret_name(name);
    let config = format!("{name}-config");
    let scripts = format!("{name}-scripts");
    let headless = format!("{name}-headless");
    let size = r.storage.size().parse()?;
    let replicas = r.sentinel.as_ref().map_or(1, |s| s.replicas);
    let mut bundle = Bundle::new(name);

    super::add_credentials(
        &mut bundle,
        &r.credentials,
        name,
        &labels,
        &[(PASSWORD_KEY, Generate::alphanumeric())],
    )?;
    bundle.add(
        ConfigMap::builder()
            .name(&config)
            .labels(labels.clone())
            .entry("redis.conf", redis_conf(r))
            .build(),
    )?;
    let mut files = vec![
        ("redis-lib.sh", LIB_SCRIPT),
        ("redis-start.sh", START_SCRIPT),
        ("redis-probe.sh", PROBE_SCRIPT),
    ];
    if r.backup.is_some() {
        // In the server's pods too: the restore runs there.
        files.push(super::BACKUP_LIB);
        files.push(("redis-backup.sh", BACKUP_SCRIPT));
    }
    if r.sentinel.is_some() {
        files.push(("sentinel-init.sh", SENTINEL_INIT_SCRIPT));
        files.push(("sentinel-start.sh", SENTINEL_START_SCRIPT));
    }
    bundle.add(super::scripts_config_map(&scripts, &labels, &files))?;

    // What every container's scripts read (see scripts/redis-lib.sh).
    let env: Vec<EnvVar> = {
        let mut env = vec![
            EnvVar::from_secret("REDISCLI_AUTH", &secret, PASSWORD_KEY),
            EnvVar::field("POD_NAME", "metadata.name"),
            EnvVar::field("POD_NAMESPACE", "metadata.namespace"),
            EnvVar::value("REDIS_HEADLESS", &headless),
            EnvVar::value("REDIS_STATEFULSET", name),
            EnvVar::value("REDIS_REPLICAS", replicas.to_string()),
            EnvVar::value("REDIS_PORT", PORT.to_string()),
            EnvVar::value("SENTINEL_PORT", SENTINEL_PORT.to_string()),
        ];
        if let Some(s) = &r.sentinel {
            env.push(EnvVar::value("SENTINEL_MASTER", &s.master_set));
            env.push(EnvVar::value("SENTINEL_QUORUM", s.quorum().to_string()));
            env.push(EnvVar::value(
                "SENTINEL_DOWN_AFTER_MS",
                s.down_after_ms.to_string(),
            ));
            env.push(EnvVar::value(
                "SENTINEL_FAILOVER_TIMEOUT_MS",
                s.failover_timeout_ms.to_string(),
            ));
        }
        env
    };
    let probe = |port: i32, kind: &str| {
        Probe::exec(super::script_command(
            "sh",
            "redis-probe.sh",
            &[&port.to_string(), kind],
        ))
    };
    let mode = if r.sentinel.is_some() {
        "sentinel"
    } else {
        "standalone"
    };
    let mut redis_env = vec![EnvVar::value("REDIS_MODULES", r.modules.as_env())];
    let mut redis_ports = vec![Port::tcp("redis", PORT)];
    let mut ports = vec![("redis", PORT)];
    if let Some(tls) = &r.tls {
        redis_env.push(EnvVar::value("REDIS_TLS_DIR", super::TLS_DIR));
        if tls.plaintext_allowed() {
            redis_env.push(EnvVar::value("REDIS_TLS", "optional"));
            redis_env.push(EnvVar::value("REDIS_TLS_PORT", TLS_PORT.to_string()));
            redis_ports.push(Port::tcp("redis-tls", TLS_PORT));
            ports.push(("redis-tls", TLS_PORT));
        } else {
            redis_env.push(EnvVar::value("REDIS_TLS", "required"));
            // The probes and the restore (in this container) speak TLS on the one port.
            redis_env.push(EnvVar::value("REDIS_TLS_ARGS", cli_tls_args(tls)));
        }
    }
    let redis = env
        .iter()
        .chain(&redis_env)
        .fold(Container::builder().name("redis").image(&image), |c, e| {
            c.env(e.clone())
        })
        .command(super::script_command("sh", "redis-start.sh", &[mode]));
    let redis = redis_ports
        .into_iter()
        .fold(redis, |c, p| c.port(p))
        .mount(Mount::new("data", "/data"))
        .mount(Mount::new("config", "/etc/redis").read_only())
        .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
        .mount(Mount::new("run", "/run/redis"))
        // Loading a large append-only file can take minutes.
        .startup(
            probe(PORT, "alive")
                .period(5)
                .timeout(5)
                .failure_threshold(120),
        )
        .liveness(
            probe(PORT, "alive")
                .period(10)
                .timeout(5)
                .failure_threshold(3),
        )
        .readiness(
            probe(PORT, "ready")
                .period(10)
                .timeout(5)
                .failure_threshold(3),
        )
        .resources(r.resources.clone());
    let redis = match &r.tls {
        Some(_) => redis
            .mount(Mount::new("tls", super::TLS_DIR).read_only())
            .build(),
        None => redis.build(),
    };
    let mut template = super::spread_template!(
        super::labelled_template!(&selector, &labels),
        r.spread,
        replicas
    )
    .container(redis)
    .volume(Volume::config_map("config", &config))
    .volume(Volume::config_map("scripts", &scripts).default_mode(0o555))
    .volume(super::empty_dir("run"));
    if let Some(tls) = &r.tls {
        template = template.volume(tls.volume(&mut bundle));
    }
    if let Some(s) = &r.sentinel {
        ports.push(("sentinel", SENTINEL_PORT));
        let init = env
            .iter()
            .fold(
                Container::builder().name("sentinel-config").image(&image),
                |c, e| c.env(e.clone()),
            )
            .command(super::script_command("sh", "sentinel-init.sh", &[]))
            .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
            .mount(Mount::new("sentinel", "/run/sentinel"))
            .resources(s.resources.clone())
            .build();
        let sentinel = Container::builder()
            .name("sentinel")
            .image(&image)
            .env(EnvVar::from_secret("REDISCLI_AUTH", &secret, PASSWORD_KEY))
            // Quotes the password lines Sentinel rewrote unquoted, then runs Sentinel.
            .command(super::script_command("sh", "sentinel-start.sh", &[]))
            .port(Port::tcp("sentinel", SENTINEL_PORT))
            .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
            .mount(Mount::new("sentinel", "/run/sentinel"))
            .liveness(
                probe(SENTINEL_PORT, "alive")
                    .period(10)
                    .timeout(5)
                    .failure_threshold(3),
            )
            .readiness(
                probe(SENTINEL_PORT, "ready")
                    .period(10)
                    .timeout(5)
                    .failure_threshold(3),
            )
            .resources(s.resources.clone())
            .build();
        template = template
            .init_container(init)
            .container(sentinel)
            .volume(super::empty_dir("sentinel"));
    }
    if let Some(m) = &r.metrics {
        let address = match &r.tls {
            None => format!("redis://localhost:{PORT}"),
            Some(tls) => format!("rediss://localhost:{}", tls_port(tls)),
        };
        let mut env = vec![
            EnvVar::value("REDIS_ADDR", address),
            EnvVar::from_secret("REDIS_PASSWORD", &secret, PASSWORD_KEY),
        ];
        if r.tls.is_some() {
            // Over the pod's loopback, where the server's certificate (issued for its
            // Services) cannot match "localhost": encrypted, not verified; the traffic never
            // leaves the pod.
            env.push(EnvVar::value(
                "REDIS_EXPORTER_SKIP_TLS_VERIFICATION",
                "true",
            ));
        }
        template = template.container(m.sidecar(super::Exporter {
            image: EXPORTER_IMAGE,
            port: METRICS_PORT,
            health_path: "/health",
            memory_limit: Memory::mib(64),
            args: Vec::new(),
            env,
            mounts: Vec::new(),
        }));
        m.add(&mut bundle, name, &labels, &selector, METRICS_PORT)?;
    }
    let template = template.security(super::pod_security(UID)).build();
    bundle.add(
        StatefulSet::builder()
            .name(name)
            .labels(labels.clone())
            .service_name(&headless)
            .replicas(replicas)
            .template(template)
            .volume_claim_template(super::claim_template("data", &r.storage, size, &labels))
            .pvc_when_deleted(r.storage.when_deleted())
            .pvc_when_scaled(r.storage.when_scaled())
            .build(),
    )?;
    bundle.add(super::headless_service(
        &headless, &labels, &selector, &ports,
    ))?;
    bundle.add(super::client_service(name, &labels, &selector, &ports))?;
    if replicas > 1 {
        bundle.add(super::disruption_budget(name, &labels, &selector))?;
    } else {
        super::single_replica_budget(&mut bundle, r.eviction, name, &labels, &selector)?;
    }
    let port_numbers: Vec<i32> = ports.iter().map(|(_, p)| *p).collect();
    let mut peers = if replicas > 1 {
        vec![selector.clone()]
    } else {
        Vec::new()
    };
    if let Some(b) = &r.backup {
        peers.push(add_backup(&mut bundle, r, b, &image, &secret, &scripts)?);
    }
    super::network_policy(
        &mut bundle,
        name,
        &labels,
        &selector,
        &port_numbers,
        &r.clients,
        &peers,
    )?;
    if let Some(ns) = &r.namespace {
        bundle.set_namespace(ns);
    }
    Ok(bundle)
}

/// Adds the backup CronJob and its claim; returns the selector labels of its pods.
fn add_backup(
    bundle: &mut Bundle,
    r: &Redis,
    b: &super::Backup,
    image: &str,
    secret: &str,
    scripts: &str,
) -> Result<Labels> {
    let name = r.name.as_str();
    let backup_selector = super::selector_labels("redis-backup", name);
    let backup_labels = super::standard_labels("redis-backup", name, "backup", &r.labels);
    // The client Service: the master of a standalone server, any pod of a Sentinel set (a
    // replica's snapshot is as complete as its replication).
    let port = r.tls.as_ref().map_or(PORT, tls_port);
    let copy = Container::builder()
        .name("backup")
        .image(image)
        .command(super::script_command("sh", "redis-backup.sh", &["backup"]))
        .env(EnvVar::from_secret("REDISCLI_AUTH", secret, PASSWORD_KEY))
        .env(EnvVar::value("REDIS_HOST", name))
        .env(EnvVar::value("REDIS_PORT", port.to_string()))
        .env(EnvVar::value("BACKUP_DIR", BACKUP_DIR))
        .env(EnvVar::value("BACKUP_KEEP", b.keep().to_string()))
        .env(EnvVar::value("BACKUP_PREFIX", name))
        .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
        .mount(Mount::new("backup", BACKUP_DIR))
        .resources(
            Resources::new()
                .requests(Cpu::millis(50), Memory::mib(32))
                .limit_memory(Memory::mib(128)),
        );
    // Over the network with TLS: verifying with the CA only (the job needs no server key).
    let copy = match &r.tls {
        None => copy.build(),
        Some(tls) if tls.has_ca() => copy
            .env(EnvVar::value("REDIS_TLS_ARGS", cli_tls_args(tls)))
            .mount(Mount::new("tls", super::TLS_DIR).read_only())
            .build(),
        Some(tls) => copy
            .env(EnvVar::value("REDIS_TLS_ARGS", cli_tls_args(tls)))
            .build(),
    };
    let mut template = super::labelled_template!(&backup_selector, &backup_labels)
        .container(copy)
        .volume(Volume::config_map("scripts", scripts).default_mode(0o555))
        .volume(Volume::pvc("backup", format!("{name}-backup")))
        .security(super::pod_security(UID));
    if let Some(tls) = r.tls.as_ref().filter(|t| t.has_ca()) {
        template = template.volume(
            Volume::secret("tls", tls.secret())
                .item(tls.ca_key_name(), "ca.crt")
                .default_mode(0o440),
        );
    }
    let template = template.build();
    b.add(bundle, name, &backup_labels, template)?;
    Ok(backup_selector)
}

/// The ConfigMap's `redis.conf`: persistence and network settings, then the user's directives.
/// The runtime file (scripts/redis-start.sh) includes it and adds port, passwords and role.
fn redis_conf(r: &Redis) -> String {
    let mut conf = String::from(
        "# Managed by kubeprint. Included by the runtime configuration, which adds the port,\n\
         # the passwords and the replication role.\n\
         bind * -::*\n\
         protected-mode yes\n\
         dir /data\n\
         appendonly yes\n\
         appendfsync everysec\n",
    );
    for (key, value) in &r.settings {
        conf.push_str(&format!("{key} {value}\n"));
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(r: &Redis) -> String {
        r.validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_valid() {
        Redis::builder().name("cache").build().validate().unwrap();
        let r = Redis::builder()
            .name("cache")
            .sentinel(Sentinel::default())
            .build();
        r.validate().unwrap();
        assert_eq!(r.sentinel.as_ref().unwrap().quorum(), 2);
        let s = Sentinel::builder().replicas(5).build();
        assert_eq!(s.quorum(), 3);
    }

    #[test]
    fn sentinel_rules() {
        let r = Redis::builder()
            .name("cache")
            .sentinel(Sentinel::builder().replicas(2).quorum(3).build())
            .build();
        assert_eq!(
            errors(&r),
            "redis \"cache\": sentinel.replicas: must be at least 3 for Sentinel to elect a master, got 2\n\
             redis \"cache\": sentinel.quorum: must be between 1 and sentinel.replicas (2), got 3"
        );
        let r = Redis::builder()
            .name("cache")
            .sentinel(Sentinel::builder().quorum(4).build())
            .build();
        assert_eq!(
            errors(&r),
            "redis \"cache\": sentinel.quorum: must be between 1 and sentinel.replicas (3), got 4"
        );
        let r = Redis::builder()
            .name("cache")
            .sentinel(
                Sentinel::builder()
                    .quorum(0)
                    .master_set("my master")
                    .build(),
            )
            .build();
        assert_eq!(
            errors(&r),
            "redis \"cache\": sentinel.quorum: must be between 1 and sentinel.replicas (3), got 0\n\
             redis \"cache\": sentinel.master_set: \"my master\" must be letters, digits, '-', '_' or '.'"
        );
    }

    #[test]
    fn sentinel_timings() {
        let with = |down_after_ms, failover_timeout_ms| {
            Redis::builder()
                .name("cache")
                .sentinel(
                    Sentinel::builder()
                        .down_after_ms(down_after_ms)
                        .failover_timeout_ms(failover_timeout_ms)
                        .build(),
                )
                .build()
        };
        // The lowest accepted, which tests/scripts/redis-sentinel.test.sh runs with.
        with(2_000, 3_000).validate().unwrap();
        with(MAX_SENTINEL_MS, MAX_SENTINEL_MS).validate().unwrap();
        assert_eq!(
            errors(&with(1_999, 2_999)),
            "redis \"cache\": sentinel.down_after_ms: must be at least 2000, got 1999: Sentinel \
             pings and reconnects once a second, and with less it can judge a just-promoted \
             master down before reconnecting to it, then fail over again\n\
             redis \"cache\": sentinel.failover_timeout_ms: must be at least 3000, got 2999: each \
             failover step waits for checks Sentinel makes once a second, and a timed-out \
             attempt is retried only after twice the timeout"
        );
        assert!(errors(&with(0, 60_000)).starts_with(
            "redis \"cache\": sentinel.down_after_ms: must be at least 2000, got 0: "
        ));
        assert_eq!(
            errors(&with(3_000_000_000, 2_147_483_648)),
            "redis \"cache\": sentinel.down_after_ms: must be at most 2147483647 (Sentinel reads \
             it as a 32-bit signed integer), got 3000000000\n\
             redis \"cache\": sentinel.failover_timeout_ms: must be at most 2147483647 (Sentinel \
             reads it as a 32-bit signed integer), got 2147483648"
        );
    }

    #[test]
    fn reserved_settings() {
        let r = Redis::builder()
            .name("cache")
            .setting("requirepass", "x")
            .setting("maxmemory policy", "x")
            .setting("maxmemory", "1gb\nrequirepass x")
            .setting("tls-port", "6380")
            .build();
        assert_eq!(
            errors(&r),
            "redis \"cache\": settings[0]: \"requirepass\" is managed by the blueprint\n\
             redis \"cache\": settings[1]: \"maxmemory policy\" is not a directive name\n\
             redis \"cache\": settings[2]: the value of \"maxmemory\" must be one line\n\
             redis \"cache\": settings[3]: \"tls-port\" is managed by the blueprint"
        );
    }
}
