//! Requests to the apiserver: one place that sends, times out, retries transient failures with
//! bounded exponential backoff and jitter (honouring `Retry-After`), and turns answers into
//! errors that name the object.

use super::error::{Error, FieldConflict, FieldError};
use super::event::{Event, Sink};
use super::resources::{ResourceCache, Target};
use super::secrets::Redactor;
use crate::error::ObjectRef;
use kube::core::Status;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How transient failures (429, 5xx, refused or reset connections, timeouts) are retried:
/// exponential backoff from `initial` doubling up to `max_delay`, with jitter, at most `attempts`
/// attempts in all. A `Retry-After` from the server (header or `retryAfterSeconds`) is honoured,
/// up to 30 s.
///
/// ```
/// use std::time::Duration;
/// let r = kubeprint::apply::Retry { attempts: 4, initial: Duration::from_millis(50), max_delay: Duration::from_secs(1) };
/// assert!(r.attempts > 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// Delay before the second attempt.
    pub initial: Duration,
    /// Longest delay between attempts (before jitter).
    pub max_delay: Duration,
}

impl Default for Retry {
    /// 8 attempts, 200 ms doubling to 5 s: gives up after about 15 s of failures.
    fn default() -> Self {
        Retry {
            attempts: 8,
            initial: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl Retry {
    /// The delay after failed attempt `attempt` (1-based), before jitter.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial.saturating_mul(factor).min(self.max_delay)
    }
}

const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The settings requests are sent with.
#[derive(Clone, Debug)]
pub(crate) struct RequestSettings {
    pub(crate) retry: Retry,
    pub(crate) timeout: Duration,
}

/// Everything one run (apply, plan, delete, wait) shares.
pub(crate) struct Ctx {
    pub(crate) client: kube::Client,
    pub(crate) settings: RequestSettings,
    pub(crate) sinks: Vec<Sink>,
    pub(crate) redactor: Redactor,
    pub(crate) resources: Arc<ResourceCache>,
    /// When the whole run must be over.
    pub(crate) deadline: Option<Instant>,
    /// How long a workload with a container without readiness probe must stay ready before
    /// it counts (see `Applier::settle`).
    pub(crate) settle: Duration,
}

/// A non-transient answer: the status code and the body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) code: u16,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.code)
    }

    pub(crate) fn json(&self, target: &ObjectRef, operation: &'static str) -> Result<Value, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Response {
            object: target.clone(),
            operation,
            message: format!("invalid JSON ({e})"),
        })
    }

    pub(crate) fn status(&self) -> Option<Status> {
        serde_json::from_slice::<Status>(&self.body)
            .ok()
            .filter(|s| s.code != 0 || !s.reason.is_empty() || !s.message.is_empty())
    }
}

enum Attempt {
    Done(Answer),
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal(String),
}

impl Ctx {
    pub(crate) fn emit(&self, event: Event) {
        for sink in &self.sinks {
            sink(&event);
        }
    }

    /// Sends a request, retrying transient failures. Every non-transient answer (including 4xx)
    /// comes back as an [`Answer`].
    pub(crate) async fn send(
        &self,
        object: &ObjectRef,
        operation: &'static str,
        request: http::Request<Vec<u8>>,
    ) -> Result<Answer, Error> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut builder = http::Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone());
            for (k, v) in &parts.headers {
                builder = builder.header(k, v);
            }
            let req = builder
                .body(kube::client::Body::from(body.clone()))
                .map_err(|e| Error::Response {
                    object: object.clone(),
                    operation,
                    message: format!("building the request: {e}"),
                })?;
            let (reason, retry_after) = match self.attempt(req).await {
                Attempt::Done(answer) => return Ok(answer),
                Attempt::Fatal(message) => {
                    return Err(Error::Unavailable {
                        object: object.clone(),
                        operation,
                        attempts: attempt,
                        elapsed: started.elapsed(),
                        message: self.redactor.scrub(&message),
                    });
                }
                Attempt::Transient {
                    reason,
                    retry_after,
                } => (self.redactor.scrub(&reason), retry_after),
            };
            let delay = match retry_after {
                Some(after) => after
                    .min(MAX_RETRY_AFTER)
                    .max(self.settings.retry.backoff(attempt)),
                None => jitter(self.settings.retry.backoff(attempt)),
            };
            let out_of_time = self.deadline.is_some_and(|d| Instant::now() + delay >= d);
            if attempt >= self.settings.retry.attempts || out_of_time {
                tracing::debug!(%object, operation, attempt, "giving up: {reason}");
                return Err(Error::Unavailable {
                    object: object.clone(),
                    operation,
                    attempts: attempt,
                    elapsed: started.elapsed(),
                    message: reason,
                });
            }
            tracing::debug!(%object, operation, attempt, ?delay, "retrying: {reason}");
            self.emit(Event::Retrying {
                object: object.clone(),
                operation,
                attempt,
                delay,
                reason,
            });
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(&self, req: http::Request<kube::client::Body>) -> Attempt {
        let call = async {
            let res = self.client.send(req).await?;
            let code = res.status().as_u16();
            let retry_after = res
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = res.into_body().collect_bytes().await?;
            Ok::<_, kube::Error>((code, retry_after, body.to_vec()))
        };
        match tokio::time::timeout(self.settings.timeout, call).await {
            Err(_) => Attempt::Transient {
                reason: format!("no answer within {:.1?}", self.settings.timeout),
                retry_after: None,
            },
            Ok(Err(e)) => classify_transport(&e),
            Ok(Ok((code, header_after, body))) => {
                if matches!(code, 429 | 500 | 502 | 503 | 504) {
                    let answer = Answer { code, body };
                    let status = answer.status();
                    let after = header_after.or_else(|| {
                        status
                            .as_ref()
                            .and_then(|s| s.details.as_ref())
                            .map(|d| d.retry_after_seconds)
                            .filter(|s| *s > 0)
                            .map(|s| Duration::from_secs(u64::from(s)))
                    });
                    let what = status
                        .map(|s| format!("{code} {}: {}", s.reason, s.message))
                        .unwrap_or_else(|| {
                            format!(
                                "{code} {}",
                                String::from_utf8_lossy(&answer.body)
                                    .chars()
                                    .take(200)
                                    .collect::<String>()
                            )
                        });
                    Attempt::Transient {
                        reason: what,
                        retry_after: after,
                    }
                } else {
                    Attempt::Done(Answer { code, body })
                }
            }
        }
    }

    /// The error for an unexpected non-2xx answer.
    pub(crate) fn api_error(
        &self,
        object: &ObjectRef,
        operation: &'static str,
        answer: &Answer,
    ) -> Error {
        match answer.status() {
            Some(s) => Error::Api {
                object: object.clone(),
                operation,
                code: answer.code,
                reason: s.reason,
                message: self.redactor.scrub(&s.message),
            },
            None => Error::Api {
                object: object.clone(),
                operation,
                code: answer.code,
                reason: String::new(),
                message: self.redactor.scrub(
                    &String::from_utf8_lossy(&answer.body)
                        .chars()
                        .take(500)
                        .collect::<String>(),
                ),
            },
        }
    }

    /// GET one object; `None` when it does not exist.
    pub(crate) async fn get(&self, target: &Target) -> Result<Option<Value>, Error> {
        let req = target
            .request()
            .get(&target.name, &Default::default())
            .map_err(|e| build_error(&target.object, "get", e))?;
        let answer = self.send(&target.object, "get", req).await?;
        match answer.code {
            404 => Ok(None),
            _ if answer.ok() => answer.json(&target.object, "get").map(Some),
            _ => Err(self.api_error(&target.object, "get", &answer)),
        }
    }

    /// Lists objects (all pages) of a type in a namespace (or cluster-wide), optionally only
    /// metadata.
    pub(crate) async fn list(
        &self,
        object: &ObjectRef,
        request: kube::core::Request,
        label_selector: Option<&str>,
        metadata_only: bool,
    ) -> Result<Vec<Value>, Error> {
        self.list_with(object, request, label_selector, metadata_only, Some)
            .await
    }

    /// [`Ctx::list`], keeping of each item what `keep` makes of it, page by page: a list of
    /// thousands of objects is never held whole.
    pub(crate) async fn list_with<T>(
        &self,
        object: &ObjectRef,
        request: kube::core::Request,
        label_selector: Option<&str>,
        metadata_only: bool,
        mut keep: impl FnMut(Value) -> Option<T>,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut lp = kube::api::ListParams::default().limit(500);
            if let Some(sel) = label_selector {
                lp = lp.labels(sel);
            }
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let req = if metadata_only {
                request.list_metadata(&lp)
            } else {
                request.list(&lp)
            }
            .map_err(|e| build_error(object, "list", e))?;
            let answer = self.send(object, "list", req).await?;
            if answer.code == 404 {
                // The type is not served (e.g. a removed CRD): nothing to list.
                return Ok(items);
            }
            if !answer.ok() {
                return Err(self.api_error(object, "list", &answer));
            }
            let mut list = answer.json(object, "list")?;
            if let Some(Value::Array(page)) = list.get_mut("items").map(Value::take) {
                items.extend(page.into_iter().filter_map(&mut keep));
            }
            token = list
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(items);
            }
        }
    }
}

pub(crate) fn build_error(
    object: &ObjectRef,
    operation: &'static str,
    e: kube::core::request::Error,
) -> Error {
    Error::Response {
        object: object.clone(),
        operation,
        message: format!("building the request: {e}"),
    }
}

fn classify_transport(e: &kube::Error) -> Attempt {
    let text = error_chain(e);
    match e {
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
            let lower = text.to_ascii_lowercase();
            if lower.contains("certificate") || lower.contains("unknownissuer") {
                Attempt::Fatal(text)
            } else {
                Attempt::Transient {
                    reason: text,
                    retry_after: None,
                }
            }
        }
        _ => Attempt::Fatal(text),
    }
}

pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        source = inner.source();
    }
    s
}

/// `delay` scaled by a random factor in [0.5, 1.0): spreads retries of many clients apart.
fn jitter(delay: Duration) -> Duration {
    let f: f64 = 0.5 + rand::random::<f64>() * 0.5;
    delay.mul_f64(f)
}

/// The conflicts of a `409` server-side apply answer, parsed from the Status causes
/// (`conflict with "manager" using apps/v1: .spec.replicas`).
pub(crate) fn parse_conflicts(status: &Status) -> Vec<FieldConflict> {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or_default();
    let mut out: Vec<FieldConflict> = causes
        .iter()
        .filter(|c| c.reason == "FieldManagerConflict" || c.message.starts_with("conflict with"))
        .map(|c| FieldConflict {
            manager: conflict_manager(&c.message),
            field: c.field.clone(),
        })
        .collect();
    if out.is_empty() {
        // Older servers put everything in the message: `Apply failed with 1 conflict: conflict
        // with "m": .data.x`.
        for part in status.message.split("conflict with ").skip(1) {
            let manager = conflict_manager(&format!("conflict with {part}"));
            let field = part
                .rsplit(": ")
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            out.push(FieldConflict { manager, field });
        }
    }
    out
}

fn conflict_manager(message: &str) -> String {
    message
        .split('"')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            message
                .trim_start_matches("conflict with ")
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned()
        })
}

/// Whether a `422`/`400` answer is about fields the apiserver never updates in place, and which.
pub(crate) fn immutable_fields(status: &Status) -> Vec<FieldError> {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or_default();
    let mut out: Vec<FieldError> = causes
        .iter()
        .filter(|c| is_immutable_message(&c.message))
        .map(|c| FieldError {
            field: c.field.clone(),
            message: c.message.clone(),
        })
        .collect();
    if out.is_empty() && causes.is_empty() && is_immutable_message(&status.message) {
        out.push(FieldError {
            field: String::new(),
            message: status.message.clone(),
        });
    }
    out
}

fn is_immutable_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("field is immutable")
        || m.contains("is immutable")
        || m.contains("may not change once set")
        || m.contains("updates to statefulset spec for fields other than")
        || m.contains("spec is immutable after creation")
        || m.contains("cannot change")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::{StatusCause, StatusDetails};

    fn status(code: u16, message: &str, causes: Vec<(&str, &str, &str)>) -> Status {
        let mut s = Status::failure(message, if code == 409 { "Conflict" } else { "Invalid" })
            .with_code(code);
        s.details = Some(StatusDetails {
            name: String::new(),
            group: String::new(),
            kind: String::new(),
            uid: String::new(),
            causes: causes
                .into_iter()
                .map(|(reason, message, field)| StatusCause {
                    reason: reason.into(),
                    message: message.into(),
                    field: field.into(),
                })
                .collect(),
            retry_after_seconds: 0,
        });
        s
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let r = Retry {
            attempts: 10,
            initial: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(2), Duration::from_millis(200));
        assert_eq!(r.backoff(4), Duration::from_millis(800));
        assert_eq!(r.backoff(5), Duration::from_secs(1));
        assert_eq!(r.backoff(60), Duration::from_secs(1));
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(800));
            assert!(
                j >= Duration::from_millis(400) && j < Duration::from_millis(800),
                "{j:?}"
            );
        }
    }

    #[test]
    fn conflicts_from_causes() {
        let s = status(
            409,
            "Apply failed with 2 conflicts: ...",
            vec![
                (
                    "FieldManagerConflict",
                    "conflict with \"helm\" using v1",
                    ".data.level",
                ),
                (
                    "FieldManagerConflict",
                    "conflict with \"kubectl-edit\" with subresource \"scale\" using apps/v1",
                    ".spec.replicas",
                ),
            ],
        );
        assert_eq!(
            parse_conflicts(&s),
            vec![
                FieldConflict {
                    manager: "helm".into(),
                    field: ".data.level".into()
                },
                FieldConflict {
                    manager: "kubectl-edit".into(),
                    field: ".spec.replicas".into()
                },
            ]
        );
    }

    #[test]
    fn conflicts_from_message_only() {
        let s = status(
            409,
            "Apply failed with 1 conflict: conflict with \"other\": .data.key",
            vec![],
        );
        assert_eq!(
            parse_conflicts(&s),
            vec![FieldConflict {
                manager: "other".into(),
                field: ".data.key".into()
            }]
        );
    }

    #[test]
    fn immutable_selector() {
        let s = status(
            422,
            "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: ...: field is immutable",
            vec![(
                "FieldValueInvalid",
                "Invalid value: v1.LabelSelector{...}: field is immutable",
                "spec.selector",
            )],
        );
        let f = immutable_fields(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].field, "spec.selector");
    }

    #[test]
    fn statefulset_forbidden_update_is_immutable() {
        let s = status(
            422,
            "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            vec![(
                "FieldValueForbidden",
                "Forbidden: updates to statefulset spec for fields other than 'replicas' ... are forbidden",
                "spec",
            )],
        );
        assert_eq!(immutable_fields(&s)[0].field, "spec");
    }

    #[test]
    fn ordinary_invalid_is_not_immutable() {
        let s = status(
            422,
            "is invalid",
            vec![(
                "FieldValueRequired",
                "Required value",
                "spec.template.spec.containers[0].image",
            )],
        );
        assert!(immutable_fields(&s).is_empty());
    }
}
