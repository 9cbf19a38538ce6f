//! Watch-based waiting: for readiness (generation-aware, fail fast) and for deletion. Every
//! object gets a watch on itself (and on its pods or EndpointSlices), so a change is seen the
//! moment the apiserver has it: no polling, no sleeps.

use super::error::{Error, NotReady};
use super::event::Event;
use super::readiness::{self, State};
use super::resources::{ResourceType, Target};
use super::rest::Ctx;
use crate::error::ObjectRef;
use futures::StreamExt;
use futures::stream::{BoxStream, FuturesUnordered};
use kube::core::{ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event as WatchEvent};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One object to wait for.
#[derive(Clone, Debug)]
pub(crate) struct WaitItem {
    pub(crate) target: Target,
    /// The object as the apply returned it (selectors, uid).
    pub(crate) applied: Value,
    /// A Service that no endpoint will come to (its pods are all scaled to zero): ready once it
    /// exists.
    pub(crate) expects_no_endpoints: bool,
}

/// Why a waiter stopped without its object being ready.
enum Halt {
    /// Failed, or out of time.
    NotReady(NotReady),
    /// The apiserver could not be watched for longer than the retry budget.
    Unavailable(Error),
}

/// How long a watch may keep failing before the apiserver counts as gone: what the request
/// retries would have waited.
fn watch_budget(ctx: &Ctx) -> Duration {
    let r = &ctx.settings.retry;
    let waited: Duration = (1..r.attempts.max(2)).map(|a| r.backoff(a)).sum();
    waited.max(Duration::from_secs(2))
}

/// The last known state of every object still waited for, for error reports.
type Board = Mutex<BTreeMap<ObjectRef, NotReady>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn core_type(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

fn slice_type() -> ApiResource {
    ApiResource {
        group: "discovery.k8s.io".into(),
        version: "v1".into(),
        api_version: "discovery.k8s.io/v1".into(),
        kind: "EndpointSlice".into(),
        plural: "endpointslices".into(),
    }
}

type WatchStream = BoxStream<'static, Result<WatchEvent<DynamicObject>, watcher::Error>>;

fn watch(api: kube::Api<DynamicObject>, config: watcher::Config) -> WatchStream {
    watcher::watcher(api, config).default_backoff().boxed()
}

/// Waits until every item is ready. With `fail_fast`, the first failure ends the wait;
/// otherwise failures are collected until every object is ready, failed or out of time.
pub(crate) async fn wait_all(
    ctx: &Ctx,
    items: Vec<WaitItem>,
    object_timeout: Duration,
    fail_fast: bool,
) -> Result<(), Error> {
    if items.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let board: Board = Mutex::new(
        items
            .iter()
            .map(|i| {
                let nr = NotReady {
                    object: i.target.object.clone(),
                    failed: false,
                    state: "not observed yet".into(),
                    conditions: Vec::new(),
                    pods: Vec::new(),
                };
                (i.target.object.clone(), nr)
            })
            .collect(),
    );
    let mut deadline = started + object_timeout;
    if let Some(d) = ctx.deadline {
        deadline = deadline.min(d);
    }
    let mut running: FuturesUnordered<_> = items
        .iter()
        .map(|i| wait_one(ctx, i, &board, deadline, fail_fast))
        .collect();
    let mut failures = Vec::new();
    let mut timed_out = false;
    while let Some(result) = running.next().await {
        match result {
            Ok(()) => {}
            Err(Halt::Unavailable(e)) => return Err(e),
            Err(Halt::NotReady(nr)) if nr.failed => {
                failures.push(nr);
                if fail_fast {
                    break;
                }
            }
            Err(Halt::NotReady(nr)) => {
                timed_out = true;
                failures.push(nr);
            }
        }
    }
    drop(running);
    if failures.is_empty() {
        return Ok(());
    }
    // Everything else still on the board was not ready either.
    let mut objects: Vec<NotReady> = failures.clone();
    for (object, nr) in lock(&board).iter() {
        if !failures.iter().any(|f| &f.object == object) {
            objects.push(nr.clone());
        }
    }
    objects.sort_by_key(|o| !o.failed);
    let timed_out = timed_out && !objects.iter().any(|o| o.failed);
    Err(Error::NotReady {
        timed_out,
        elapsed: started.elapsed(),
        objects,
    })
}

/// What one waiter knows.
struct Watched {
    object: Option<Value>,
    seen_in_list: bool,
    listed: bool,
    aux: BTreeMap<String, Value>,
    aux_pending: Option<BTreeMap<String, Value>>,
    /// Pods that went away (a failed Job's are deleted), last state, for error reports.
    gone: BTreeMap<String, Value>,
    rs_revisions: HashMap<String, Option<String>>,
    wait_for_first_consumer: Option<bool>,
    watch_error: Option<String>,
}

fn name_of(o: &DynamicObject) -> String {
    o.metadata.name.clone().unwrap_or_default()
}

fn to_value(o: DynamicObject) -> Value {
    serde_json::to_value(o).unwrap_or(Value::Null)
}

async fn wait_one(
    ctx: &Ctx,
    item: &WaitItem,
    board: &Board,
    deadline: Instant,
    fail_fast: bool,
) -> Result<(), Halt> {
    let target = &item.target;
    let kind = target.rt.api.kind.clone();
    let ns = target.namespace.clone().unwrap_or_default();
    let mut main = watch(
        target.api(ctx.client.clone()),
        watcher::Config::default().fields(&format!("metadata.name={}", target.name)),
    );
    let mut aux: WatchStream = if readiness::has_pods(&kind) {
        match readiness::pod_selector(&kind, &item.applied) {
            Some(sel) => watch(
                kube::Api::namespaced_with(ctx.client.clone(), &ns, &core_type("Pod", "pods")),
                watcher::Config::default().labels(&sel),
            ),
            None => futures::stream::pending().boxed(),
        }
    } else if kind == "Service" && !item.expects_no_endpoints {
        watch(
            kube::Api::namespaced_with(ctx.client.clone(), &ns, &slice_type()),
            watcher::Config::default()
                .labels(&format!("kubernetes.io/service-name={}", target.name)),
        )
    } else {
        futures::stream::pending().boxed()
    };
    let mut w = Watched {
        object: None,
        seen_in_list: false,
        listed: false,
        aux: BTreeMap::new(),
        aux_pending: None,
        gone: BTreeMap::new(),
        rs_revisions: HashMap::new(),
        wait_for_first_consumer: None,
        watch_error: None,
    };
    let mut last_event: Option<(u32, u32, String)> = None;
    // Ready since when, and the pods' restarts then (see `Applier::settle`).
    let settle = readiness::settle_window(&kind, &item.applied, ctx.settle);
    let mut ready_since: Option<(Instant, i64)> = None;
    // (start of the current streak of watch errors, last error, errors in the streak)
    let mut failing_since: Option<(Instant, Instant, u32)> = None;
    let budget = watch_budget(ctx);
    let sleep = tokio::time::sleep_until(deadline);
    tokio::pin!(sleep);
    loop {
        let held_until = ready_since
            .zip(settle.as_ref())
            .map(|((since, _), (window, _))| since + *window);
        tokio::select! {
            () = hold(held_until) => {}
            ev = main.next() => match ev {
                Some(Ok(WatchEvent::Init)) => { w.seen_in_list = false; failing_since = None; }
                Some(Ok(WatchEvent::InitApply(o))) => { w.seen_in_list = true; w.object = Some(to_value(o)); }
                Some(Ok(WatchEvent::InitDone)) => { w.listed = true; if !w.seen_in_list { w.object = None; } }
                Some(Ok(WatchEvent::Apply(o))) => w.object = Some(to_value(o)),
                Some(Ok(WatchEvent::Delete(_))) => w.object = None,
                Some(Err(e)) => {
                    let message = ctx.redactor.scrub(&super::rest::error_chain(&e));
                    // Errors of one outage follow each other within the watcher's backoff
                    // (at most 30 s); a longer gap starts a new streak.
                    let now = Instant::now();
                    let (since, count) = match failing_since {
                        Some((start, last, n)) if now.duration_since(last) < Duration::from_secs(35) => (start, n + 1),
                        _ => (now, 1),
                    };
                    failing_since = Some((since, now, count));
                    if since.elapsed() > budget {
                        return Err(Halt::Unavailable(Error::Unavailable {
                            object: target.object.clone(),
                            operation: "watch",
                            attempts: count,
                            elapsed: since.elapsed(),
                            message,
                        }));
                    }
                    w.watch_error = Some(message);
                }
                None => {}
            },
            ev = aux.next() => match ev {
                Some(Ok(WatchEvent::Init)) => w.aux_pending = Some(BTreeMap::new()),
                Some(Ok(WatchEvent::InitApply(o))) => { let n = name_of(&o); w.aux_pending.get_or_insert_with(BTreeMap::new).insert(n, to_value(o)); }
                Some(Ok(WatchEvent::InitDone)) => { if let Some(p) = w.aux_pending.take() { w.aux = p; } }
                Some(Ok(WatchEvent::Apply(o))) => { let n = name_of(&o); w.aux.insert(n, to_value(o)); }
                Some(Ok(WatchEvent::Delete(o))) => {
                    if let Some(last) = w.aux.remove(&name_of(&o)) && w.gone.len() < 20 {
                        w.gone.insert(name_of(&o), last);
                    }
                }
                Some(Err(e)) => w.watch_error = Some(ctx.redactor.scrub(&super::rest::error_chain(&e))),
                None => {}
            },
            () = &mut sleep => {
                let nr = lock(board).get(&target.object).cloned();
                return Err(Halt::NotReady(nr.unwrap_or_else(|| NotReady {
                    object: target.object.clone(), failed: false, state: "not observed".into(), conditions: vec![], pods: vec![],
                })));
            }
        }
        let Some(report) = judge(ctx, &kind, item, &mut w, fail_fast).await else {
            continue;
        };
        let (mut status, mut nr) = report;
        if status.state == State::Ready
            && let Some((window, container)) = &settle
        {
            let restarts = if kind == "Pod" {
                readiness::restarts(w.object.iter())
            } else {
                readiness::restarts(w.aux.values())
            };
            let since = match ready_since {
                // A container restarted while held: ready again, so the window starts over.
                Some((since, before)) if before == restarts => since,
                _ => {
                    let now = Instant::now();
                    ready_since = Some((now, restarts));
                    now
                }
            };
            if since.elapsed() < *window {
                status.state = State::Progressing;
                status.message = format!(
                    "ready; held for {window:.0?} as container {container:?} has no readiness \
                     probe"
                );
                nr.state = status.message.clone();
            }
        } else if status.state != State::Ready {
            ready_since = None;
        }
        match status.state {
            State::Ready => {
                lock(board).remove(&target.object);
                ctx.emit(Event::Ready {
                    object: target.object.clone(),
                });
                return Ok(());
            }
            State::Failed => {
                lock(board).remove(&target.object);
                ctx.emit(Event::Failed {
                    object: target.object.clone(),
                    reason: status.message.clone(),
                });
                return Err(Halt::NotReady(nr));
            }
            State::Progressing => {
                let key = (status.ready, status.desired, status.message.clone());
                if last_event.as_ref() != Some(&key) {
                    ctx.emit(Event::Waiting {
                        object: target.object.clone(),
                        ready: status.ready,
                        desired: status.desired,
                        message: status.message.clone(),
                    });
                    last_event = Some(key);
                }
                lock(board).insert(target.object.clone(), nr);
            }
        }
    }
}

/// Resolves at `until`; never without it.
async fn hold(until: Option<Instant>) {
    match until {
        Some(t) => tokio::time::sleep_until(t).await,
        None => futures::future::pending().await,
    }
}

/// Evaluates what the waiter knows; `None` while the object has not been listed yet.
async fn judge(
    ctx: &Ctx,
    kind: &str,
    item: &WaitItem,
    w: &mut Watched,
    fail_fast: bool,
) -> Option<(readiness::Status, NotReady)> {
    let target = &item.target;
    let mut nr = NotReady {
        object: target.object.clone(),
        failed: false,
        state: String::new(),
        conditions: vec![],
        pods: vec![],
    };
    let Some(obj) = w.object.clone() else {
        if !w.listed {
            if let Some(e) = &w.watch_error {
                nr.state = format!("cannot watch: {e}");
                return Some((
                    readiness::Status {
                        state: State::Progressing,
                        ready: 0,
                        desired: 1,
                        message: nr.state.clone(),
                    },
                    nr,
                ));
            }
            return None;
        }
        nr.state = "does not exist".into();
        return Some((
            readiness::Status {
                state: State::Progressing,
                ready: 0,
                desired: 1,
                message: nr.state.clone(),
            },
            nr,
        ));
    };
    let mut status = if kind == "Service" {
        let slices: Vec<&Value> = w.aux.values().collect();
        readiness::service(&obj, &slices, item.expects_no_endpoints)
    } else {
        readiness::evaluate_with(target.rt.rule, kind, &obj)
    };
    nr.conditions = readiness::describe_conditions(&obj);

    if status.state != State::Ready {
        // Pods: the object's own (a Pod), or the workload's current ones.
        let pods: Vec<Value> = if kind == "Pod" {
            vec![obj.clone()]
        } else {
            w.aux.values().cloned().collect()
        };
        if kind == "Deployment" {
            for p in &pods {
                if readiness::pod_problems(p).is_empty() {
                    continue;
                }
                if let Some(rs) = owner_replicaset(p)
                    && !w.rs_revisions.contains_key(&rs)
                {
                    let rev = replicaset_revision(ctx, target, &rs).await;
                    w.rs_revisions.insert(rs, rev);
                }
            }
        }
        let revisions = &w.rs_revisions;
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        for p in &pods {
            let current = kind == "Pod"
                || readiness::pod_is_current(kind, &obj, p, |rs| {
                    revisions.get(rs).cloned().flatten()
                });
            if current {
                problems.extend(readiness::pod_problems(p));
            }
            notes.extend(readiness::pod_notes(p));
        }
        for p in w.gone.values() {
            let deleted = readiness::pod_problems(p)
                .into_iter()
                .chain(readiness::pod_notes(p));
            notes.extend(deleted.map(|n| format!("{n} (pod deleted)")));
        }
        if fail_fast && status.state == State::Progressing && !problems.is_empty() {
            status = readiness::Status {
                state: State::Failed,
                ready: status.ready,
                desired: status.desired,
                message: problems[0].clone(),
            };
        }
        nr.pods = problems.into_iter().chain(notes).collect();
        nr.pods.dedup();

        if kind == "PersistentVolumeClaim" && status.state == State::Progressing {
            if w.wait_for_first_consumer.is_none() {
                w.wait_for_first_consumer = Some(waits_for_first_consumer(ctx, &obj).await);
            }
            if w.wait_for_first_consumer == Some(true) {
                status = readiness::Status {
                    state: State::Ready,
                    ready: 1,
                    desired: 1,
                    message: "binds when its first pod is scheduled".into(),
                };
            }
        }
    }
    if let Some(e) = &w.watch_error
        && status.state == State::Progressing
    {
        nr.conditions.push(format!("last watch error: {e}"));
    }
    nr.failed = status.state == State::Failed;
    nr.state = status.message.clone();
    Some((status, nr))
}

fn owner_replicaset(pod: &Value) -> Option<String> {
    pod.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("ReplicaSet"))?
        .get("name")?
        .as_str()
        .map(str::to_owned)
}

async fn replicaset_revision(ctx: &Ctx, deployment: &Target, rs: &str) -> Option<String> {
    let rt = Arc::new(ResourceType {
        api: ApiResource {
            group: "apps".into(),
            version: "v1".into(),
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            plural: "replicasets".into(),
        },
        namespaced: true,
        tier: None,
        rule: super::resources::Rule::Builtin,
    });
    let t = Target::new(rt, deployment.namespace.as_deref(), rs);
    let v = ctx.get(&t).await.ok().flatten()?;
    v.pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether a pending claim's StorageClass binds only once a pod uses it.
async fn waits_for_first_consumer(ctx: &Ctx, pvc: &Value) -> bool {
    let rt = Arc::new(ResourceType {
        api: ApiResource {
            group: "storage.k8s.io".into(),
            version: "v1".into(),
            api_version: "storage.k8s.io/v1".into(),
            kind: "StorageClass".into(),
            plural: "storageclasses".into(),
        },
        namespaced: false,
        tier: None,
        rule: super::resources::Rule::Builtin,
    });
    let class = match pvc
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str)
    {
        Some(c) if !c.is_empty() => ctx.get(&Target::new(rt, None, c)).await.ok().flatten(),
        Some(_) => None,
        None => {
            let object = ObjectRef::new("StorageClass", "(default)");
            let classes = ctx
                .list(&object, rt.request(None), None, false)
                .await
                .unwrap_or_default();
            classes.into_iter().find(|c| {
                c.pointer("/metadata/annotations/storageclass.kubernetes.io~1is-default-class")
                    .and_then(Value::as_str)
                    == Some("true")
            })
        }
    };
    class.and_then(|c| {
        c.get("volumeBindingMode")
            .and_then(Value::as_str)
            .map(|m| m == "WaitForFirstConsumer")
    }) == Some(true)
}

/// Waits until every target is gone (deleted from the apiserver), emitting `Deleted`.
pub(crate) async fn wait_gone(
    ctx: &Ctx,
    targets: Vec<Target>,
    timeout: Duration,
    emit: bool,
) -> Result<(), Error> {
    if targets.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let mut deadline = started + timeout;
    if let Some(d) = ctx.deadline {
        deadline = deadline.min(d);
    }
    let running: FuturesUnordered<_> = targets
        .iter()
        .map(|t| async move {
            let result = match tokio::time::timeout_at(deadline, gone(ctx, t)).await {
                Ok(Ok(())) => Ok(true),
                Ok(Err(e)) => Err(e),
                Err(_) => Ok(false),
            };
            if emit && matches!(result, Ok(true)) {
                ctx.emit(Event::Deleted {
                    object: t.object.clone(),
                });
            }
            (t.object.clone(), result)
        })
        .collect();
    let results: Vec<(ObjectRef, Result<bool, Error>)> = running.collect().await;
    let mut left = Vec::new();
    let mut errors = Vec::new();
    for (object, r) in results {
        match r {
            Ok(true) => {}
            Ok(false) => left.push(object),
            Err(e) => errors.push(e),
        }
    }
    if let Some(e) = Error::many(errors) {
        return Err(e);
    }
    if left.is_empty() {
        Ok(())
    } else {
        Err(Error::DeleteTimeout {
            elapsed: started.elapsed(),
            objects: left,
        })
    }
}

/// Watches one object until it is gone; an error if the watch keeps failing beyond the retry
/// budget (the apiserver is gone).
async fn gone(ctx: &Ctx, target: &Target) -> Result<(), Error> {
    let mut stream = watch(
        target.api(ctx.client.clone()),
        watcher::Config::default().fields(&format!("metadata.name={}", target.name)),
    );
    let budget = watch_budget(ctx);
    let mut failing_since: Option<(Instant, Instant, u32)> = None;
    let mut seen = false;
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(WatchEvent::Init) => {
                seen = false;
                failing_since = None;
            }
            Ok(WatchEvent::InitApply(_) | WatchEvent::Apply(_)) => seen = true,
            Ok(WatchEvent::InitDone) if !seen => break,
            Ok(WatchEvent::Delete(_)) => break,
            Ok(_) => {}
            Err(e) => {
                let now = Instant::now();
                let (since, count) = match failing_since {
                    Some((start, last, n))
                        if now.duration_since(last) < Duration::from_secs(35) =>
                    {
                        (start, n + 1)
                    }
                    _ => (now, 1),
                };
                failing_since = Some((since, now, count));
                if since.elapsed() > budget {
                    return Err(Error::Unavailable {
                        object: target.object.clone(),
                        operation: "watch",
                        attempts: count,
                        elapsed: since.elapsed(),
                        message: ctx.redactor.scrub(&super::rest::error_chain(&e)),
                    });
                }
            }
        }
    }
    Ok(())
}
