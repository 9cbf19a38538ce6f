//! The apply client (feature `client`): puts a [`Bundle`] on a cluster with server-side apply, in
//! dependency order, waits until it is really ready, prunes what left the bundle, and tears it
//! down again.
//!
//! ```no_run
//! use kubeprint::apply::{Applier, Event, Wait};
//! use kubeprint::prelude::*;
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut app = Bundle::new("settings");
//! app.add(ConfigMap::builder().name("settings").entry("level", "debug").build())?;
//!
//! let applier = Applier::new(kube::Client::try_default().await?)
//!     .namespace("demo")
//!     .create_namespace(true)
//!     .wait(Wait::Tiers)
//!     .timeout(Duration::from_secs(300))
//!     .on_event(|e: &Event| eprintln!("{e}"));
//!
//! print!("{}", applier.plan(&app).await?); // create    configmap "demo/settings" ...
//! let report = applier.apply(&app).await?;
//! assert_eq!(report.objects.len(), 1);
//! let again = applier.apply(&app).await?; // unchanged: nothing is written
//! assert!(!again.changed());
//! applier.delete(&app).await?;
//! # Ok(()) }
//! ```
//!
//! ## How it works
//! - **Server-side apply** (`PATCH application/apply-patch+yaml`) with a field manager (default
//!   `kubeprint`); `force` only on request. A conflict is an [`Error::Conflict`] naming the other
//!   managers and fields. An unchanged bundle writes nothing (no new resourceVersion, no
//!   rollout); each object is reported [`Outcome::Created`], `Configured` or `Unchanged`,
//!   judged on what the apply owns (a controller writing status meanwhile changes nothing).
//! - **No-op re-applies send nothing**: the ApplySet's members are listed (one request per kind
//!   and namespace), and an object whose live state proves the apply would change nothing —
//!   the field manager's `managedFields` entry owns exactly the fields the body sets, each with
//!   the body's value — is skipped ([`Applied::skipped`], [`Event::Skipped`]); anything else is
//!   sent. [`Applier::force_apply`] sends every object.
//! - **Plans**: [`Applier::plan`] asks the server (dry-run) what each object would become;
//!   [`Plan::compute`] plans offline against [`LiveObjects`] read before. Both make their
//!   items with the same code: masked unified diffs without server-managed fields.
//! - **Order**: tiers ([`Tier`]: namespaces → storage classes and volumes → config and claims →
//!   services → workloads → jobs),
//!   sub-ordered by the [`WAVE_ANNOTATION`](crate::object::WAVE_ANNOTATION); objects of one wave
//!   are applied concurrently (bounded). With [`Wait::Tiers`] each wave is ready before the next
//!   starts; Services and claims, which need the later workloads, are waited for at the end.
//! - **Readiness** is watch-based and generation-aware (see [`Wait`]); failures end the wait at
//!   once and [`Error::NotReady`] lists every object not ready, with conditions and pod reasons.
//!   A Service is ready when an endpoint is, or at once when every workload of the bundle it
//!   selects is scaled to zero (no endpoint will come).
//! - **Transient failures** (429, 5xx, refused/reset connections, timeouts) are retried with
//!   bounded exponential backoff and jitter ([`Retry`]); anything else fails at once, naming the
//!   object. Re-running after a failure converges: every step is idempotent.
//! - **Secrets** keep the live values of "generate once" keys; no value ever appears in an error,
//!   event, log line, plan or diff.
//! - **Pruning** follows ApplySets (KEP-3659): a parent Secret `<bundle>-applyset` that lives with
//!   the bundle (its target namespace, else the one namespace of all its objects, else
//!   [`Applier::applyset_namespace`] or [`Applier::namespace`]), members labelled
//!   `applyset.kubernetes.io/part-of`; `kubectl` recognises the set. Two bundles of one name in
//!   two namespaces are two sets; a changed [`Applier::namespace`] never re-homes a set, and a
//!   parent an older kubeprint left in the target namespace is reported in
//!   [`Report::orphaned`]. Pruning deletes only members in namespaces the bundle has objects in
//!   (see [`Applier::prune_other_namespaces`]), and keeps claims and the generate-once Secrets
//!   guarding them unless [`Applier::delete_data`].
//! - **Immutable fields**: an [`Error::Immutable`] naming object and field, or with
//!   [`Applier::recreate`] a delete (StatefulSets: orphaning their pods, keeping their claims) and
//!   create.
//! - **Teardown** ([`Applier::delete`]) in reverse order, waiting until gone; claims (and
//!   namespaces holding claims), and generate-once Secrets while the bundle keeps claims, are
//!   kept unless [`Applier::delete_data`].

// Errors are rare and carry the object's name and the server's message; their size does not
// matter, boxing them would only make matching on them clumsier.
#![allow(clippy::result_large_err)]

mod applyset;
mod crds;
mod delete;
mod error;
mod event;
mod items;
mod merge;
mod noop;
mod outcome;
mod plan;
mod readiness;
mod resources;
mod rest;
mod secrets;
mod wait;

pub use applyset::{
    ADDITIONAL_NAMESPACES_ANNOTATION, CONTAINS_GROUP_KINDS_ANNOTATION, ID_LABEL, PART_OF_LABEL,
    TOOLING_ANNOTATION, TOOLING_NAME, applyset_id, parent_name,
};
pub use crds::EXISTING_OBJECTS_ANNOTATION;
pub use delete::Kept;
pub use error::{Error, FieldConflict, FieldError, NotReady, Result};
pub use event::{Event, Events, Outcome};
pub use plan::{Action, LiveObjects, Plan, PlanItem, PlanOptions};
pub use rest::Retry;
pub use secrets::REDACTED;

use crate::bundle::Bundle;
use crate::error::ObjectRef;
use crate::object::{Object, Tier};
use applyset::{ApplySet, Member};
use delete::Removal;
use event::Sink;
use futures::StreamExt;
use items::Item;
use kube::api::{Patch, PatchParams, PropagationPolicy, ValidationDirective};
use outcome::Fingerprint;
use plan::Planned;
use resources::{GroupKind, Key, ResourceCache, ResourceType, Target};
use rest::{Ctx, RequestSettings, build_error};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use wait::WaitItem;

/// When the client waits for readiness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wait {
    /// Apply and return; do not wait.
    None,
    /// Wait for each wave to be ready before applying the next (a database before the app that
    /// uses it); Services and PersistentVolumeClaims are waited for at the end.
    #[default]
    Tiers,
    /// Apply everything, then wait for everything.
    End,
}

#[derive(Clone, Debug)]
struct Options {
    field_manager: String,
    force: bool,
    force_apply: bool,
    namespace: Option<String>,
    create_namespace: bool,
    concurrency: usize,
    wait: Wait,
    timeout: Option<Duration>,
    object_timeout: Duration,
    request_timeout: Duration,
    retry: Retry,
    dry_run: bool,
    prune: bool,
    recreate: bool,
    delete_data: bool,
    delete_crds: bool,
    fail_fast: bool,
    settle: Duration,
    applyset_namespace: Option<String>,
    prune_other_namespaces: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            field_manager: "kubeprint".into(),
            force: false,
            force_apply: false,
            namespace: None,
            create_namespace: false,
            concurrency: 16,
            wait: Wait::Tiers,
            timeout: Some(Duration::from_secs(600)),
            object_timeout: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            retry: Retry::default(),
            dry_run: false,
            prune: true,
            recreate: false,
            delete_data: false,
            delete_crds: false,
            fail_fast: true,
            settle: Duration::from_secs(5),
            applyset_namespace: None,
            prune_other_namespaces: false,
        }
    }
}

/// Applies, plans, waits for and deletes [`Bundle`]s on one cluster. Cheap to clone; clones
/// share the resource cache and event listeners.
///
/// Options are set with chained methods; the defaults: field manager `kubeprint`, no force, the
/// client's default namespace, concurrency 16, [`Wait::Tiers`], 600 s overall and 300 s per-object
/// timeouts, 30 s per request, [`Retry::default`], pruning on, no recreate, data kept, fail fast.
#[derive(Clone)]
pub struct Applier {
    client: kube::Client,
    options: Options,
    sinks: Vec<Sink>,
    resources: Arc<ResourceCache>,
}

impl fmt::Debug for Applier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Applier")
            .field("options", &self.options)
            .field("listeners", &self.sinks.len())
            .finish()
    }
}

/// What [`Applier::apply`] did to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The object.
    pub object: ObjectRef,
    /// Created, configured, unchanged or recreated.
    pub outcome: Outcome,
    /// Its resourceVersion after the apply (empty for a dry run).
    pub resource_version: String,
    /// No request was sent: the live object, listed with the ApplySet's members, proved that
    /// the apply would change nothing (the outcome is then [`Outcome::Unchanged`]; see
    /// [`Applier::force_apply`]).
    pub skipped: bool,
}

/// What [`Applier::apply`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The ApplySet id of the bundle.
    pub applyset: String,
    /// Every bundle object, in apply order.
    pub objects: Vec<Applied>,
    /// Objects deleted because they left the bundle.
    pub pruned: Vec<ObjectRef>,
    /// Objects that left the bundle but were kept (data).
    pub kept: Vec<Kept>,
    /// ApplySet parents this bundle left behind: a `<target namespace>/<bundle>-applyset` that
    /// kubeprint before the set moved to the bundle's namespace wrote, listing one of the
    /// bundle's namespaces. Reported, never deleted.
    pub orphaned: Vec<ObjectRef>,
    /// Time taken.
    pub elapsed: Duration,
}

impl Report {
    /// How many objects had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.objects.iter().filter(|o| o.outcome == outcome).count()
    }

    /// How many objects were proven unchanged and not sent at all (counted in
    /// [`Outcome::Unchanged`] too).
    pub fn skipped(&self) -> usize {
        self.objects.iter().filter(|o| o.skipped).count()
    }

    /// Whether anything changed on the server.
    pub fn changed(&self) -> bool {
        !self.pruned.is_empty() || self.objects.iter().any(|o| o.outcome != Outcome::Unchanged)
    }

    /// The outcome for an object, by kind and name.
    pub fn outcome(&self, kind: &str, name: &str) -> Option<Outcome> {
        self.objects
            .iter()
            .find(|o| o.object.kind == kind && o.object.name == name)
            .map(|o| o.outcome)
    }
}

/// What [`Applier::delete`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteReport {
    /// Objects deleted (and gone).
    pub deleted: Vec<ObjectRef>,
    /// Objects kept (claims and namespaces holding claims, unless deleting data).
    pub kept: Vec<Kept>,
    /// ApplySet parents this bundle left behind in the target namespace (reported, not
    /// deleted).
    pub orphaned: Vec<ObjectRef>,
    /// Time taken.
    pub elapsed: Duration,
}

/// A member to remove, with its uid (a precondition of the delete) when known.
type Stale = (Target, Option<String>);

/// One applied object and, when it must be watched, what to wait for.
type AppliedItem = (Applied, Option<WaitItem>);

/// The server's answer to one server-side apply.
enum Ssa {
    Done { code: u16, object: Value },
    Immutable(Vec<FieldError>),
}

impl Applier {
    /// An applier on a `kube` client, with default options.
    pub fn new(client: kube::Client) -> Self {
        Applier {
            client,
            options: Options::default(),
            sinks: Vec::new(),
            resources: Arc::default(),
        }
    }

    /// An applier from the environment (`KUBECONFIG`, `~/.kube/config` or in-cluster).
    pub async fn try_default() -> Result<Self> {
        let client = kube::Client::try_default()
            .await
            .map_err(|e| Error::Connect {
                source_name: "the default kubeconfig".into(),
                message: e.to_string(),
            })?;
        Ok(Applier::new(client))
    }

    /// An applier from a kubeconfig file (its current context).
    pub async fn from_kubeconfig(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let err = |message: String| Error::Connect {
            source_name: path.display().to_string(),
            message,
        };
        let kubeconfig =
            kube::config::Kubeconfig::read_from(path).map_err(|e| err(e.to_string()))?;
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .map_err(|e| err(e.to_string()))?;
        let client = kube::Client::try_from(config).map_err(|e| err(e.to_string()))?;
        Ok(Applier::new(client))
    }

    /// The underlying `kube` client.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// The field manager server-side apply records (default `kubeprint`).
    #[must_use]
    pub fn field_manager(mut self, name: impl Into<String>) -> Self {
        self.options.field_manager = name.into();
        self
    }

    /// Takes over fields other managers own instead of failing with [`Error::Conflict`].
    #[must_use]
    pub fn force(mut self, force: bool) -> Self {
        self.options.force = force;
        self
    }

    /// Sends every object's server-side apply, even those the live objects prove unchanged.
    ///
    /// By default a re-apply skips the request of an object whose live state (listed with the
    /// ApplySet's members, one request per kind and namespace, never one per object) proves
    /// that the apply would change nothing: the field manager's `managedFields` entry owns
    /// exactly the fields the body sets, and every one of them has the body's value. Such
    /// objects are reported [`Outcome::Unchanged`] with [`Applied::skipped`] and an
    /// [`Event::Skipped`]. Anything the proof does not cover is sent as before.
    ///
    /// ```
    /// # fn f(client: kube::Client) {
    /// let applier = kubeprint::apply::Applier::new(client).force_apply(true);
    /// # let _ = applier; }
    /// ```
    #[must_use]
    pub fn force_apply(mut self, force_apply: bool) -> Self {
        self.options.force_apply = force_apply;
        self
    }

    /// The namespace for namespaced objects that set none (default: the client's default
    /// namespace); the ApplySet parent lives there only when the bundle has no namespace of its
    /// own (see [`Applier::applyset_namespace`]).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.namespace = Some(namespace.into());
        self
    }

    /// Creates the target namespace if it does not exist (it is not part of the bundle: pruning
    /// and teardown leave it).
    #[must_use]
    pub fn create_namespace(mut self, create: bool) -> Self {
        self.options.create_namespace = create;
        self
    }

    /// How many requests run at once within a wave (default 16).
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.options.concurrency = n.max(1);
        self
    }

    /// When to wait for readiness (default [`Wait::Tiers`]).
    #[must_use]
    pub fn wait(mut self, wait: Wait) -> Self {
        self.options.wait = wait;
        self
    }

    /// The longest a whole apply, plan or delete may take (default 600 s); `None` for no limit.
    #[must_use]
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.options.timeout = timeout.into();
        self
    }

    /// The longest the client waits for one object to become ready or go away (default 300 s).
    #[must_use]
    pub fn object_timeout(mut self, timeout: Duration) -> Self {
        self.options.object_timeout = timeout;
        self
    }

    /// The longest one request may take before it counts as a transient failure (default 30 s).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.options.request_timeout = timeout;
        self
    }

    /// How transient failures are retried.
    #[must_use]
    pub fn retry(mut self, retry: Retry) -> Self {
        self.options.retry = retry;
        self
    }

    /// Makes [`Applier::apply`] a server-side dry run: it reports what would happen (and fails
    /// as the real apply would) but changes nothing.
    #[must_use]
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.options.dry_run = dry_run;
        self
    }

    /// Whether objects that left the bundle are deleted (default on).
    #[must_use]
    pub fn prune(mut self, prune: bool) -> Self {
        self.options.prune = prune;
        self
    }

    /// Recreates objects whose immutable fields change (delete, wait until gone, create).
    /// StatefulSets are deleted orphaning their pods, so pods and claims survive. Never applies
    /// to PersistentVolumes, PersistentVolumeClaims or Namespaces.
    #[must_use]
    pub fn recreate(mut self, recreate: bool) -> Self {
        self.options.recreate = recreate;
        self
    }

    /// Lets pruning and teardown delete CustomResourceDefinitions. Off by default: deleting a
    /// CRD deletes every object of its kind (in every namespace, whoever made them), so a CRD
    /// that left the bundle, or a bundle torn down, keeps its CRDs and reports them in
    /// [`Report::kept`] / [`DeleteReport`].
    #[must_use]
    pub fn delete_crds(mut self, delete: bool) -> Self {
        self.options.delete_crds = delete;
        self
    }

    /// Lets pruning and teardown delete PersistentVolumes, PersistentVolumeClaims (including
    /// StatefulSets'), and namespaces that hold claims. Off by default: data is kept.
    #[must_use]
    pub fn delete_data(mut self, delete: bool) -> Self {
        self.options.delete_data = delete;
        self
    }

    /// Where the ApplySet parent lives when the bundle spans several namespaces and sets no
    /// target namespace of its own ([`Bundle::set_namespace`]). Without it such a bundle's set
    /// lives in [`Applier::namespace`]; a bundle with a target namespace, or whose objects are
    /// all in one namespace, always keeps its set there, whatever [`Applier::namespace`] says.
    #[must_use]
    pub fn applyset_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.options.applyset_namespace = Some(namespace.into());
        self
    }

    /// Lets pruning delete members of the set in namespaces the bundle no longer has objects
    /// in (off by default: such members are kept and reported).
    #[must_use]
    pub fn prune_other_namespaces(mut self, prune: bool) -> Self {
        self.options.prune_other_namespaces = prune;
        self
    }

    /// Whether a pod stuck in CrashLoopBackOff, ImagePullBackOff, ErrImagePull or
    /// CreateContainerConfigError fails its workload at once (default on). Job failures and
    /// exceeded progress deadlines always fail at once.
    #[must_use]
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.options.fail_fast = fail_fast;
        self
    }

    /// How long a workload must stay ready, after its rollout, when one of its containers has
    /// no readiness probe (default 5 s; zero turns it off). Without a probe a container is
    /// ready the moment it starts, so a process that crashes a second later (a bad setting, a
    /// missing file) leaves its Deployment "available" for that second, and a waiter that
    /// trusts the first ready status reports success. Within the window a regression (not
    /// ready again, a restart, CrashLoopBackOff) is waited for or failed like any other. A
    /// workload whose containers all have readiness probes, or whose `minReadySeconds` (which
    /// the controller itself holds pods to) is at least the window, is not held.
    ///
    /// ```
    /// # async fn f(client: kube::Client) {
    /// use kubeprint::apply::Applier;
    /// use std::time::Duration;
    /// let applier = Applier::new(client).settle(Duration::from_secs(10));
    /// # }
    /// ```
    #[must_use]
    pub fn settle(mut self, window: Duration) -> Self {
        self.options.settle = window;
        self
    }

    /// Calls `f` with every [`Event`].
    #[must_use]
    pub fn on_event(mut self, f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.sinks.push(Arc::new(f));
        self
    }

    /// A stream of every [`Event`] from now on (a `futures::Stream`).
    pub fn events(&mut self) -> Events {
        let (sink, events) = Events::channel();
        self.sinks.push(sink);
        events
    }

    fn target_namespace(&self) -> String {
        self.options
            .namespace
            .clone()
            .unwrap_or_else(|| self.client.default_namespace().to_owned())
    }

    fn ctx(&self, started: Instant) -> Ctx {
        Ctx {
            client: self.client.clone(),
            settings: RequestSettings {
                retry: self.options.retry,
                timeout: self.options.request_timeout,
            },
            sinks: self.sinks.clone(),
            redactor: Default::default(),
            resources: self.resources.clone(),
            deadline: self.options.timeout.map(|t| started + t),
            settle: self.options.settle,
        }
    }

    fn parent_type(&self) -> Arc<ResourceType> {
        self.resources
            .of(&Object::from(k8s_openapi::api::core::v1::Secret::default()))
    }

    /// Where the bundle's ApplySet parent lives, and whether that came from the target
    /// namespace only because the bundle spans several namespaces: the explicit
    /// [`Applier::applyset_namespace`], else the bundle's target namespace, else the one
    /// namespace all its namespaced objects are in, else the target namespace.
    fn home(&self, bundle: &Bundle, target: &str) -> (String, bool) {
        applyset_home(bundle, target, self.options.applyset_namespace.as_deref())
    }

    /// Refuses to start a new set for a multi-namespace bundle whose set lives in another of its
    /// namespaces (a changed `-n` would otherwise re-home it silently).
    async fn check_home(
        &self,
        ctx: &Ctx,
        bundle: &Bundle,
        set: &ApplySet,
        spans: bool,
    ) -> Result<()> {
        if set.exists || !spans {
            return Ok(());
        }
        let home = set.parent.namespace.clone().unwrap_or_default();
        for ns in bundle_namespaces(bundle, &home) {
            if ns == home {
                continue;
            }
            let other = Target::new(self.parent_type(), Some(&ns), &parent_name(bundle.name()));
            if let Some(live) = ctx.get(&other).await?
                && applyset::is_kubeprint_parent(&live)
            {
                return Err(Error::ApplySet {
                    object: other.object,
                    message: format!(
                        "is this bundle's ApplySet, but the apply targets namespace {home:?}: \
                         use namespace {ns:?} (or set the ApplySet namespace explicitly) \
                         rather than starting a second set"
                    ),
                });
            }
        }
        Ok(())
    }

    /// ApplySet parents of this bundle left in the target namespace by kubeprint before 0.2
    /// (which kept every set there), when the set now lives elsewhere: a parent
    /// `<target>/<bundle>-applyset` that lists one of the bundle's namespaces as an
    /// additional namespace. Only reported: its members are relabelled by the next apply, and
    /// deleting it is the user's call.
    async fn orphaned_parents(
        &self,
        ctx: &Ctx,
        bundle: &Bundle,
        home: &str,
        owned: &BTreeSet<String>,
    ) -> Result<Vec<ObjectRef>> {
        let target = self.target_namespace();
        if target == home {
            return Ok(Vec::new());
        }
        let old = Target::new(
            self.parent_type(),
            Some(&target),
            &parent_name(bundle.name()),
        );
        let Some(live) = ctx.get(&old).await? else {
            return Ok(Vec::new());
        };
        let lists_ours = live
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(ADDITIONAL_NAMESPACES_ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|ns| ns.split(',').map(str::trim).any(|n| owned.contains(n)));
        if applyset::is_kubeprint_parent(&live) && lists_ours {
            tracing::warn!(object = %old.object, "orphaned ApplySet parent");
            return Ok(vec![old.object]);
        }
        Ok(Vec::new())
    }

    /// Splits stale members into those pruning may delete and those in namespaces the bundle
    /// does not own (kept, unless [`Applier::prune_other_namespaces`]).
    fn outside_owned(
        &self,
        stale: Vec<Stale>,
        owned: &BTreeSet<String>,
    ) -> (Vec<Stale>, Vec<(Target, String)>) {
        if self.options.prune_other_namespaces {
            return (stale, Vec::new());
        }
        let (inside, outside): (Vec<_>, Vec<_>) = stale
            .into_iter()
            .partition(|(t, _)| t.namespace.as_ref().is_none_or(|n| owned.contains(n)));
        let outside = outside
            .into_iter()
            .map(|(t, _)| {
                let reason = outside_reason(t.namespace.as_deref().unwrap_or_default());
                (t, reason)
            })
            .collect();
        (inside, outside)
    }

    /// The bundle's objects in install order (their bodies are built when sent), Services no
    /// endpoint will come to marked; the values of its Secrets are made known to the redactor.
    async fn prepare<'a>(
        &self,
        ctx: &Ctx,
        bundle: &'a Bundle,
        namespace: &str,
        set_id: &'a str,
    ) -> Result<Vec<Item<'a>>> {
        let mut items = items::prepare(bundle, &self.resources, namespace, set_id)?;
        // Imported objects of kinds no CRD of the bundle describes: ask discovery where the
        // kind is served (a cluster-scoped kind's objects got a namespace by the guess).
        for item in &mut items {
            let Object::Custom(c) = item.object else {
                continue;
            };
            if !c.is_guessed() || bundle.crd_of(c.group(), c.kind()).is_some() {
                continue;
            }
            if let Some(rt) = self.resources.discover(ctx, &item.target.rt).await {
                let ns = rt
                    .namespaced
                    .then(|| item.object.namespace().unwrap_or(namespace));
                item.target = Target::new(rt, ns, item.object.name());
            }
        }
        items::mark_services_without_endpoints(bundle, &mut items);
        for item in &items {
            let secret = item.object.secret_patterns();
            if item.kind() == "Secret" || !secret.is_empty() {
                ctx.redactor.add_object(item.kind(), &item.body()?, &secret);
            }
        }
        Ok(items)
    }

    /// The options [`Plan::compute`] needs to plan offline what this applier would do.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), kubeprint::apply::Error> {
    /// use kubeprint::apply::{Applier, LiveObjects, Plan};
    /// let applier = Applier::try_default().await?.namespace("demo");
    /// let plan = Plan::compute(&kubeprint::Bundle::new("app"), &LiveObjects::new(), &applier.plan_options())?;
    /// # let _ = plan; Ok(()) }
    /// ```
    pub fn plan_options(&self) -> PlanOptions {
        let options = PlanOptions::new(self.target_namespace())
            .field_manager(self.options.field_manager.clone());
        let options = match &self.options.applyset_namespace {
            Some(ns) => options.applyset_namespace(ns.clone()),
            None => options,
        };
        options
            .prune(self.options.prune)
            .delete_data(self.options.delete_data)
            .delete_crds(self.options.delete_crds)
    }

    /// Applies the bundle: see the [module documentation](self).
    pub async fn apply(&self, bundle: &Bundle) -> Result<Report> {
        bundle.check()?;
        let started = Instant::now();
        if self.options.dry_run {
            return self.dry_run_report(bundle, started).await;
        }
        let ctx = self.ctx(started);
        let ns = self.target_namespace();
        let (home, spans) = self.home(bundle, &ns);
        let id = ApplySet::id_for(&home, bundle.name());
        let items = self.prepare(&ctx, bundle, &ns, &id).await?;
        crds::check_upgrades(&ctx, &items).await?;
        let (new_kinds, new_namespaces) = kinds_and_namespaces(&items, &home);
        // The parent and the members of the bundle's kinds are read at the same time; kinds or
        // namespaces only the parent knows of (left the bundle) are listed after.
        let first = applyset::scopes(&ctx, &new_kinds, &new_namespaces).await?;
        let conc = self.options.concurrency;
        let manager = self.options.field_manager.as_str();
        // Unless every object is to be sent, members are listed whole and proven unchanged
        // against the bundle (their requests are then skipped).
        let prover = (!self.options.force_apply).then(|| noop::Prover::new(&items, manager));
        let (mut set, mut live) = futures::try_join!(
            ApplySet::load(&ctx, self.parent_type(), &home, bundle.name()),
            applyset::list_members(&ctx, &id, &first, conc, manager, prover.as_ref())
        )?;
        self.check_home(&ctx, bundle, &set, spans).await?;
        let orphaned = self
            .orphaned_parents(&ctx, bundle, &home, &new_namespaces)
            .await?;
        let all_kinds: BTreeSet<GroupKind> = set.kinds.union(&new_kinds).cloned().collect();
        let all_namespaces: BTreeSet<String> =
            set.namespaces.union(&new_namespaces).cloned().collect();
        let rest: BTreeSet<applyset::Scope> = applyset::scopes(&ctx, &all_kinds, &all_namespaces)
            .await?
            .difference(&first)
            .cloned()
            .collect();
        if !rest.is_empty() {
            live.extend(applyset::list_members(&ctx, &id, &rest, conc, manager, None).await?);
        }

        if self.options.create_namespace {
            self.ensure_namespace(&ctx, &ns, &items).await?;
            if home != ns {
                self.ensure_namespace(&ctx, &home, &items).await?;
            }
        }

        let mut phases: BTreeMap<(Tier, i64), Vec<&Item<'_>>> = BTreeMap::new();
        for item in &items {
            phases.entry(item.phase).or_default().push(item);
        }
        let mut report = Report {
            applyset: set.id.clone(),
            orphaned,
            ..Report::default()
        };
        let mut later: Vec<WaitItem> = Vec::new();
        let mut parent_written = false;
        for (phase, group) in phases {
            if !parent_written && phase.0 != Tier::Namespaces {
                // Before any member: the parent lists every kind and namespace (old and new).
                set.write(
                    &ctx,
                    &self.options.field_manager,
                    &all_kinds,
                    &all_namespaces,
                )
                .await?;
                parent_written = true;
            }
            // The CRDs of this wave, whose versions must be served before the next wave.
            let definitions: Vec<(ObjectRef, Value)> = group
                .iter()
                .filter_map(|i| match i.object {
                    Object::CustomResourceDefinition(c) => serde_json::to_value(c.as_ref())
                        .ok()
                        .map(|v| (i.target.object.clone(), v)),
                    _ => None,
                })
                .collect();
            // Once the apiserver is unreachable, start no more requests: the wave fails.
            let unreachable = std::sync::atomic::AtomicBool::new(false);
            let unreachable = &unreachable;
            let ctx_ref = &ctx;
            let live_ref = &live;
            let mut results: Vec<(usize, Result<AppliedItem>)> =
                futures::stream::iter(group.into_iter().enumerate())
                    .map(|(i, item)| async move {
                        if unreachable.load(std::sync::atomic::Ordering::Relaxed) {
                            return None;
                        }
                        let r = self.apply_item(ctx_ref, item, live_ref).await;
                        if r.as_ref().is_err_and(|e| {
                            e.is_unavailable() || matches!(e, Error::Timeout { .. })
                        }) {
                            unreachable.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        Some((i, r))
                    })
                    // Unordered: one slow request must not hold back the others.
                    .buffer_unordered(self.options.concurrency)
                    .filter_map(|r| async move { r })
                    .collect()
                    .await;
            results.sort_by_key(|(i, _)| *i);
            let mut errors = Vec::new();
            let mut now = Vec::new();
            for (_, r) in results {
                match r {
                    Ok((applied, wait)) => {
                        report.objects.push(applied);
                        match wait {
                            Some(w)
                                if (self.options.wait == Wait::Tiers && !is_deferred(&w))
                                    || is_definition(&w.target) =>
                            {
                                now.push(w)
                            }
                            Some(w) => later.push(w),
                            None => {}
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
            if let Some(e) = Error::many(errors) {
                return Err(e);
            }
            if self.options.wait != Wait::None || !now.is_empty() {
                wait::wait_all(
                    &ctx,
                    now,
                    self.options.object_timeout,
                    self.options.fail_fast,
                )
                .await?;
            }
            if !definitions.is_empty() {
                crds::await_served(&ctx, &definitions, self.options.object_timeout).await?;
            }
        }
        if !parent_written {
            set.write(
                &ctx,
                &self.options.field_manager,
                &all_kinds,
                &all_namespaces,
            )
            .await?;
        }
        if self.options.wait != Wait::None {
            wait::wait_all(
                &ctx,
                later,
                self.options.object_timeout,
                self.options.fail_fast,
            )
            .await?;
        }

        let (final_kinds, final_namespaces) = if self.options.prune {
            let keep_generated = keep_generated(&items, live.values());
            let wanted: BTreeSet<Key> = items.iter().map(|i| i.target.key()).collect();
            let stale: Vec<(Target, Option<String>)> = live
                .into_values()
                .filter(|m| !wanted.contains(&m.target.key()))
                .map(|m: Member| (m.target, Some(m.uid)))
                .collect();
            let (stale, outside) = self.outside_owned(stale, &new_namespaces);
            let removal = Removal {
                delete_data: self.options.delete_data,
                delete_crds: self.options.delete_crds,
                concurrency: self.options.concurrency,
                timeout: self.options.object_timeout,
                pruning: true,
                dry_run: false,
                keep_generated,
            };
            let members: BTreeSet<Key> = stale.iter().map(|(t, _)| t.key()).collect();
            let mut members: BTreeSet<Key> = members;
            members.extend(outside.iter().map(|(t, _)| t.key()));
            let removed = delete::remove(&ctx, stale, &BTreeMap::new(), &removal).await?;
            report.pruned = removed.deleted;
            let (mut kinds, mut namespaces) = (new_kinds, new_namespaces);
            for (t, reason) in outside.into_iter().chain(removed.kept) {
                // Kept members stay in the set (claims made from templates never were members).
                if members.contains(&t.key()) {
                    kinds.insert(t.rt.group_kind());
                    namespaces.extend(t.namespace.clone());
                }
                report.kept.push(Kept {
                    object: t.object,
                    reason,
                });
            }
            (kinds, namespaces)
        } else {
            (all_kinds, all_namespaces)
        };
        if final_kinds != set.kinds || final_namespaces != set.namespaces {
            set.write(
                &ctx,
                &self.options.field_manager,
                &final_kinds,
                &final_namespaces,
            )
            .await?;
        }
        report.elapsed = started.elapsed();
        tracing::info!(
            applyset = %report.applyset,
            created = report.count(Outcome::Created),
            configured = report.count(Outcome::Configured),
            unchanged = report.count(Outcome::Unchanged),
            skipped = report.skipped(),
            recreated = report.count(Outcome::Recreated),
            pruned = report.pruned.len(),
            elapsed = ?report.elapsed,
            "applied bundle {:?}",
            bundle.name()
        );
        Ok(report)
    }

    async fn ensure_namespace(&self, ctx: &Ctx, ns: &str, items: &[Item<'_>]) -> Result<()> {
        if items
            .iter()
            .any(|i| i.kind() == "Namespace" && i.target.name == ns)
        {
            return Ok(());
        }
        let rt = self.resources.of(&Object::from(
            k8s_openapi::api::core::v1::Namespace::default(),
        ));
        let target = Target::new(rt, None, ns);
        if ctx.get(&target).await?.is_some() {
            return Ok(());
        }
        let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        match self.ssa(ctx, &target, &body, false).await? {
            Ssa::Done { .. } => Ok(()),
            Ssa::Immutable(fields) => Err(Error::Immutable {
                object: target.object,
                fields,
            }),
        }
    }

    async fn ssa(&self, ctx: &Ctx, target: &Target, body: &Value, dry_run: bool) -> Result<Ssa> {
        let pp = PatchParams {
            dry_run,
            force: self.options.force,
            field_manager: Some(self.options.field_manager.clone()),
            field_validation: Some(ValidationDirective::Strict),
        };
        let req = target
            .request()
            .patch(&target.name, &pp, &Patch::Apply(body))
            .map_err(|e| build_error(&target.object, "apply", e))?;
        let answer = ctx.send(&target.object, "apply", req).await?;
        if answer.ok() {
            return Ok(Ssa::Done {
                code: answer.code,
                object: answer.json(&target.object, "apply")?,
            });
        }
        let status = answer.status();
        if answer.code == 409
            && let Some(s) = &status
        {
            let conflicts: Vec<FieldConflict> = rest::parse_conflicts(s)
                .into_iter()
                .map(|c| FieldConflict {
                    manager: c.manager,
                    field: ctx.redactor.scrub(&c.field),
                })
                .collect();
            if !conflicts.is_empty() {
                return Err(Error::Conflict {
                    object: target.object.clone(),
                    conflicts,
                });
            }
        }
        if matches!(answer.code, 400 | 422)
            && let Some(s) = &status
        {
            let fields = rest::immutable_fields(s);
            if !fields.is_empty() {
                return Ok(Ssa::Immutable(
                    fields
                        .into_iter()
                        .map(|f| FieldError {
                            field: f.field,
                            message: ctx.redactor.scrub(&f.message),
                        })
                        .collect(),
                ));
            }
        }
        Err(ctx.api_error(&target.object, "apply", &answer))
    }

    /// The body with generate-once keys resolved against the live Secret.
    async fn resolve_body(&self, ctx: &Ctx, item: &Item<'_>) -> Result<(Value, Option<Value>)> {
        let mut body = item.body()?;
        if item.generate_once.is_empty() {
            return Ok((body, None));
        }
        let live = ctx.get(&item.target).await?;
        if let Some(l) = &live {
            ctx.redactor.add_secret(l);
        }
        let kept = secrets::prepare_secret(&mut body, &item.generate_once, live.as_ref());
        if !kept.is_empty() {
            tracing::debug!(object = %item.target.object, keys = ?kept, "keeping live values of generate-once keys");
        }
        Ok((body, live))
    }

    async fn apply_item(
        &self,
        ctx: &Ctx,
        item: &Item<'_>,
        live: &BTreeMap<Key, Member>,
    ) -> Result<AppliedItem> {
        if let Some(done) = noop::skip(ctx, item, live, self.options.wait) {
            return Ok(done);
        }
        let object = item.target.object.clone();
        ctx.emit(Event::Applying {
            object: object.clone(),
        });
        let result = self.apply_item_inner(ctx, item, live).await;
        match &result {
            Ok((applied, wait)) => {
                ctx.emit(Event::Applied {
                    object: object.clone(),
                    outcome: applied.outcome,
                });
                if wait.is_none() && self.options.wait != Wait::None {
                    ctx.emit(Event::Ready { object });
                }
            }
            Err(e) => ctx.emit(Event::Failed {
                object,
                reason: e.to_string(),
            }),
        }
        result
    }

    async fn apply_item_inner(
        &self,
        ctx: &Ctx,
        item: &Item<'_>,
        live: &BTreeMap<Key, Member>,
    ) -> Result<AppliedItem> {
        if let Some(deadline) = ctx.deadline
            && Instant::now() >= deadline
        {
            return Err(Error::Timeout {
                object: item.target.object.clone(),
                operation: "apply",
                timeout: self.options.timeout.unwrap_or_default(),
            });
        }
        let (body, _) = self.resolve_body(ctx, item).await?;
        let (code, result, recreated) = match self.ssa(ctx, &item.target, &body, false).await? {
            Ssa::Done { code, object } => (code, object, false),
            Ssa::Immutable(fields) => {
                if !self.options.recreate {
                    return Err(Error::Immutable {
                        object: item.target.object.clone(),
                        fields,
                    });
                }
                let object = self.recreate_item(ctx, item, &body, fields).await?;
                (201, object, true)
            }
        };
        let after = Fingerprint::of(result.get("metadata"), &self.options.field_manager);
        let outcome = if recreated {
            Outcome::Recreated
        } else if code == 201 {
            Outcome::Created
        } else if live
            .get(&item.target.key())
            .is_some_and(|m| !m.state.changed_by_apply(&after))
        {
            Outcome::Unchanged
        } else {
            // Changed, or not a member before (adopted): the apply took the object over.
            Outcome::Configured
        };
        let rv = after.resource_version;
        tracing::debug!(object = %item.target.object, %outcome, resource_version = %rv, "applied");
        let wait = if self.options.wait == Wait::None && !is_definition(&item.target) {
            None
        } else if needs_watch(item, &result) {
            Some(WaitItem {
                target: item.target.clone(),
                applied: result,
                expects_no_endpoints: item.expects_no_endpoints,
            })
        } else {
            // Ready already: `apply_item` reports it after `Applied`.
            None
        };
        Ok((
            Applied {
                object: item.target.object.clone(),
                outcome,
                resource_version: rv,
                skipped: false,
            },
            wait,
        ))
    }

    async fn recreate_item(
        &self,
        ctx: &Ctx,
        item: &Item<'_>,
        body: &Value,
        fields: Vec<FieldError>,
    ) -> Result<Value> {
        let object = item.target.object.clone();
        if matches!(
            item.kind(),
            "PersistentVolumeClaim" | "PersistentVolume" | "Namespace"
        ) {
            let what = if item.kind() == "Namespace" {
                "everything in it"
            } else {
                "its data"
            };
            return Err(Error::Refused {
                object,
                message: format!(
                    "immutable field(s) changed ({}); recreating it would delete {what}, so kubeprint never does: \
                     revert the change or delete it yourself",
                    fields
                        .iter()
                        .map(|f| f.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        ctx.emit(Event::Recreating {
            object: object.clone(),
            fields: fields.iter().map(|f| f.field.clone()).collect(),
        });
        tracing::info!(%object, "recreating: immutable fields changed");
        // A StatefulSet goes without its pods (orphaned; the new one adopts them) and its claims
        // stay; anything else takes its dependents along.
        let propagation = if item.kind() == "StatefulSet" {
            PropagationPolicy::Orphan
        } else {
            PropagationPolicy::Background
        };
        if delete::delete_one(ctx, &item.target, propagation, None).await?
            == delete::Deletion::Pending
        {
            wait::wait_gone(
                ctx,
                vec![item.target.clone()],
                self.options.object_timeout,
                false,
            )
            .await?;
        }
        match self.ssa(ctx, &item.target, body, false).await? {
            Ssa::Done { object, .. } => Ok(object),
            Ssa::Immutable(fields) => Err(Error::Immutable { object, fields }),
        }
    }

    /// What applying the bundle would do, object by object, from a server-side dry run, with
    /// diffs; plus the objects pruning would delete. Changes nothing.
    pub async fn plan(&self, bundle: &Bundle) -> Result<Plan> {
        bundle.check()?;
        let started = Instant::now();
        let ctx = self.ctx(started);
        let ns = self.target_namespace();
        let (home, spans) = self.home(bundle, &ns);
        let set = ApplySet::load(&ctx, self.parent_type(), &home, bundle.name()).await?;
        self.check_home(&ctx, bundle, &set, spans).await?;
        let items = self.prepare(&ctx, bundle, &ns, &set.id).await?;
        let (new_kinds, new_namespaces) = kinds_and_namespaces(&items, &home);
        let all_kinds: BTreeSet<GroupKind> = set.kinds.union(&new_kinds).cloned().collect();
        let all_namespaces: BTreeSet<String> =
            set.namespaces.union(&new_namespaces).cloned().collect();
        let live = if set.exists {
            let manager = &self.options.field_manager;
            set.members(
                &ctx,
                &all_kinds,
                &all_namespaces,
                self.options.concurrency,
                manager,
            )
            .await?
        } else {
            BTreeMap::new()
        };
        // Namespaces that do not exist yet: objects in them can only be created, and the server
        // cannot dry-run that.
        let ns_type = self.resources.of(&Object::from(
            k8s_openapi::api::core::v1::Namespace::default(),
        ));
        let mut missing = BTreeSet::new();
        for n in &new_namespaces {
            if ctx
                .get(&Target::new(ns_type.clone(), None, n))
                .await?
                .is_none()
            {
                missing.insert(n.clone());
            }
        }
        let missing = &missing;
        let ctx = &ctx;
        let results: Vec<Result<PlanItem>> = futures::stream::iter(&items)
            .map(|item| async move { self.plan_item(ctx, item, missing).await })
            .buffered(self.options.concurrency)
            .collect()
            .await;
        let mut plan = Plan {
            applyset: set.id.clone(),
            items: results.into_iter().collect::<Result<Vec<_>>>()?,
        };
        if self.options.prune {
            let keep_generated = keep_generated(&items, live.values());
            let wanted: BTreeSet<Key> = items.iter().map(|i| i.target.key()).collect();
            let stale: Vec<(Target, Option<String>)> = live
                .into_values()
                .filter(|m| !wanted.contains(&m.target.key()))
                .map(|m| (m.target, None))
                .collect();
            let (stale, outside) = self.outside_owned(stale, &new_namespaces);
            let removal = Removal {
                delete_data: self.options.delete_data,
                delete_crds: self.options.delete_crds,
                concurrency: self.options.concurrency,
                timeout: self.options.object_timeout,
                pruning: true,
                dry_run: true,
                keep_generated,
            };
            let removed = delete::remove(ctx, stale, &BTreeMap::new(), &removal).await?;
            plan.items
                .extend(removed.deleted.into_iter().map(|object| PlanItem {
                    object,
                    action: Action::Prune,
                    diff: String::new(),
                }));
            plan.items
                .extend(
                    outside
                        .into_iter()
                        .chain(removed.kept)
                        .map(|(t, reason)| PlanItem {
                            object: t.object,
                            action: Action::Keep { reason },
                            diff: String::new(),
                        }),
                );
        }
        Ok(plan)
    }

    async fn plan_item(
        &self,
        ctx: &Ctx,
        item: &Item<'_>,
        missing_namespaces: &BTreeSet<String>,
    ) -> Result<PlanItem> {
        let object = item.target.object.clone();
        let kind = item.kind();
        let secret = item.object.secret_patterns();
        let mut body = item.body()?;
        if item
            .target
            .namespace
            .as_ref()
            .is_some_and(|n| missing_namespaces.contains(n))
            || (kind == "Namespace" && missing_namespaces.contains(&item.target.name))
        {
            return Ok(plan::plan_item(
                object,
                kind,
                &secret,
                &body,
                None,
                Planned::Create,
            ));
        }
        let live = ctx.get(&item.target).await?;
        if let Some(l) = &live {
            ctx.redactor.add_object(kind, l, &secret);
        }
        if !item.generate_once.is_empty() {
            secrets::prepare_secret(&mut body, &item.generate_once, live.as_ref());
        }
        let planned = match self.ssa(ctx, &item.target, &body, true).await {
            Ok(Ssa::Done { object, .. }) => Planned::Server(object),
            Ok(Ssa::Immutable(fields)) => Planned::Immutable(fields),
            Err(Error::Conflict { conflicts, .. }) => Planned::Conflict(conflicts),
            Err(e) => return Err(e),
        };
        Ok(plan::plan_item(
            object,
            kind,
            &secret,
            &body,
            live.as_ref(),
            planned,
        ))
    }

    async fn dry_run_report(&self, bundle: &Bundle, started: Instant) -> Result<Report> {
        let plan = self.plan(bundle).await?;
        let mut report = Report {
            applyset: plan.applyset.clone(),
            ..Report::default()
        };
        for item in plan.items {
            let outcome = match item.action {
                Action::Create => Outcome::Created,
                Action::Update => Outcome::Configured,
                Action::Unchanged => Outcome::Unchanged,
                Action::Replace { fields } if !self.options.recreate => {
                    return Err(Error::Immutable {
                        object: item.object,
                        fields,
                    });
                }
                Action::Replace { .. } => Outcome::Recreated,
                Action::Conflict { conflicts } => {
                    return Err(Error::Conflict {
                        object: item.object,
                        conflicts,
                    });
                }
                Action::Prune => {
                    report.pruned.push(item.object);
                    continue;
                }
                Action::Keep { reason } => {
                    report.kept.push(Kept {
                        object: item.object,
                        reason,
                    });
                    continue;
                }
            };
            report.objects.push(Applied {
                object: item.object,
                outcome,
                resource_version: String::new(),
                skipped: false,
            });
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Waits until every object of the bundle (as it is on the server now) is ready, without
    /// applying anything.
    pub async fn wait_ready(&self, bundle: &Bundle) -> Result<()> {
        let started = Instant::now();
        let ctx = self.ctx(started);
        let ns = self.target_namespace();
        let (home, _) = self.home(bundle, &ns);
        let id = ApplySet::id_for(&home, bundle.name());
        let items = self.prepare(&ctx, bundle, &ns, &id).await?;
        let mut waits = Vec::new();
        for item in &items {
            match ctx.get(&item.target).await? {
                Some(live) if !needs_watch(item, &live) => ctx.emit(Event::Ready {
                    object: item.target.object.clone(),
                }),
                Some(live) => waits.push(WaitItem {
                    target: item.target.clone(),
                    applied: live,
                    expects_no_endpoints: item.expects_no_endpoints,
                }),
                None => waits.push(WaitItem {
                    target: item.target.clone(),
                    applied: item.body()?,
                    expects_no_endpoints: item.expects_no_endpoints,
                }),
            }
        }
        wait::wait_all(
            &ctx,
            waits,
            self.options.object_timeout,
            self.options.fail_fast,
        )
        .await
    }

    /// Tears the bundle down: deletes its objects and every other member of its ApplySet in
    /// reverse install order, waiting until each tier is gone, then the ApplySet parent.
    /// PersistentVolumes, PersistentVolumeClaims (including StatefulSets') and namespaces holding
    /// claims are kept unless [`Applier::delete_data`]; the parent then stays, listing them.
    pub async fn delete(&self, bundle: &Bundle) -> Result<DeleteReport> {
        let started = Instant::now();
        let ctx = self.ctx(started);
        let ns = self.target_namespace();
        let (home, spans) = self.home(bundle, &ns);
        let mut set = ApplySet::load(&ctx, self.parent_type(), &home, bundle.name()).await?;
        self.check_home(&ctx, bundle, &set, spans).await?;
        let set_id = set.id.clone();
        let items = self.prepare(&ctx, bundle, &ns, &set_id).await?;
        let (new_kinds, new_namespaces) = kinds_and_namespaces(&items, &home);
        let orphaned = self
            .orphaned_parents(&ctx, bundle, &home, &new_namespaces)
            .await?;
        let mut targets: BTreeMap<Key, (Target, Option<String>)> = items
            .iter()
            .map(|i| (i.target.key(), (i.target.clone(), None)))
            .collect();
        let mut listed: Vec<Member> = Vec::new();
        if set.exists {
            let kinds: BTreeSet<GroupKind> = set.kinds.union(&new_kinds).cloned().collect();
            let namespaces: BTreeSet<String> =
                set.namespaces.union(&new_namespaces).cloned().collect();
            for (key, m) in set
                .members(
                    &ctx,
                    &kinds,
                    &namespaces,
                    self.options.concurrency,
                    &self.options.field_manager,
                )
                .await?
            {
                targets.insert(key, (m.target.clone(), Some(m.uid.clone())));
                listed.push(m);
            }
        }
        let removal = Removal {
            delete_data: self.options.delete_data,
            delete_crds: self.options.delete_crds,
            concurrency: self.options.concurrency,
            timeout: self.options.object_timeout,
            pruning: false,
            dry_run: self.options.dry_run,
            keep_generated: keep_generated(&items, listed.iter()),
        };
        let members: BTreeSet<Key> = targets.keys().cloned().collect();
        // Only StatefulSets' bodies are needed (their claims, when the live one is gone).
        let bodies: BTreeMap<Key, Value> = items
            .iter()
            .filter(|i| i.kind() == "StatefulSet")
            .map(|i| Ok((i.target.key(), i.body()?)))
            .collect::<Result<_>>()?;
        let removed =
            delete::remove(&ctx, targets.into_values().collect(), &bodies, &removal).await?;
        // Kept members stay in the set (claims made from templates never were members).
        let kept_members: Vec<&Target> = removed
            .kept
            .iter()
            .map(|(t, _)| t)
            .filter(|t| members.contains(&t.key()))
            .collect();
        if set.exists && !self.options.dry_run {
            if kept_members.is_empty() {
                delete::delete_one(&ctx, &set.parent, PropagationPolicy::Background, None).await?;
            } else {
                let kinds = kept_members.iter().map(|t| t.rt.group_kind()).collect();
                let namespaces = kept_members
                    .iter()
                    .filter_map(|t| t.namespace.clone())
                    .collect();
                set.write(&ctx, &self.options.field_manager, &kinds, &namespaces)
                    .await?;
            }
        }
        Ok(DeleteReport {
            deleted: removed.deleted,
            kept: removed
                .kept
                .into_iter()
                .map(|(t, reason)| Kept {
                    object: t.object,
                    reason,
                })
                .collect(),
            orphaned,
            elapsed: started.elapsed(),
        })
    }
}

/// The generate-once Secrets (of the bundle and among the set's live members) to keep when
/// deleting or pruning without deleting data: all of them, when the bundle or the set holds
/// claims (or StatefulSets making claims), since the kept data may have been written with them.
fn keep_generated<'a>(
    items: &[Item<'_>],
    members: impl Iterator<Item = &'a Member> + Clone,
) -> BTreeSet<Key> {
    let kinds = items
        .iter()
        .map(Item::kind)
        .chain(members.clone().map(|m| m.target.rt.api.kind.as_str()));
    if !delete::guards_data(kinds) {
        return BTreeSet::new();
    }
    items
        .iter()
        .filter(|i| i.kind() == "Secret" && !i.generate_once.is_empty())
        .map(|i| i.target.key())
        .chain(members.filter(|m| m.generate_once).map(|m| m.target.key()))
        .collect()
}

/// Where a bundle's ApplySet parent lives (see [`Applier::home`]), and whether it is the
/// target namespace only because the bundle spans several namespaces.
pub(crate) fn applyset_home(
    bundle: &Bundle,
    target: &str,
    explicit: Option<&str>,
) -> (String, bool) {
    if let Some(ns) = explicit {
        return (ns.to_owned(), false);
    }
    if let Some(ns) = bundle.namespace() {
        return (ns.to_owned(), false);
    }
    let namespaces = bundle_namespaces(bundle, target);
    match namespaces.len() {
        1 => (namespaces.into_iter().next().unwrap_or_default(), false),
        0 => (target.to_owned(), false),
        _ => (target.to_owned(), true),
    }
}

/// Why a member in a namespace the bundle has no objects in is not pruned.
pub(crate) fn outside_reason(ns: &str) -> String {
    format!(
        "in namespace {ns:?}, where the bundle has no objects; pruning other namespaces was not \
         requested"
    )
}

/// The namespaces of the bundle's namespaced objects (`target` for those that set none).
fn bundle_namespaces(bundle: &Bundle, target: &str) -> BTreeSet<String> {
    bundle
        .objects()
        .iter()
        .filter(|o| o.is_namespaced())
        .map(|o| o.namespace().unwrap_or(target).to_owned())
        .collect()
}

fn kinds_and_namespaces(items: &[Item<'_>], ns: &str) -> (BTreeSet<GroupKind>, BTreeSet<String>) {
    let kinds = items.iter().map(|i| i.target.rt.group_kind()).collect();
    let mut namespaces: BTreeSet<String> = items
        .iter()
        .filter_map(|i| i.target.namespace.clone())
        .collect();
    namespaces.insert(ns.to_owned());
    (kinds, namespaces)
}

fn is_deferred(w: &WaitItem) -> bool {
    matches!(
        w.target.rt.api.kind.as_str(),
        "Service" | "PersistentVolumeClaim"
    )
}

/// Whether an object needs watching after apply: not when the apply's answer already shows it
/// ready (kinds ready once applied, unchanged workloads, active namespaces).
fn needs_watch(item: &Item<'_>, applied: &Value) -> bool {
    let kind = item.kind();
    if kind == "Service" {
        return readiness::service(applied, &[], item.expects_no_endpoints).state
            != readiness::State::Ready;
    }
    if item
        .object
        .metadata()
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::object::READINESS_ANNOTATION))
        .is_some_and(|v| v == "skip")
    {
        return false;
    }
    readiness::evaluate_with(item.target.rt.rule, kind, applied).state != readiness::State::Ready
}

/// A CustomResourceDefinition: waited for (Established, NamesAccepted) before the next wave
/// whatever [`Wait`] says, as the objects of its kind cannot be applied before.
fn is_definition(target: &Target) -> bool {
    delete::is_crd(&target.rt.api.group, &target.rt.api.kind)
}
