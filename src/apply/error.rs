//! The apply client's errors. Every variant names the object(s) it is about; none ever contains a
//! secret value (messages that come from the apiserver are scrubbed of the bundle's secret values
//! before they are stored).

use crate::error::ObjectRef;
use std::fmt;
use std::time::Duration;

/// `Result` with the apply client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One field another field manager owns, from a server-side apply conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldConflict {
    /// The field manager that owns the field, e.g. `kubectl-client-side-apply`.
    pub manager: String,
    /// The field path as the apiserver prints it, e.g. `.spec.replicas`.
    pub field: String,
}

impl fmt::Display for FieldConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (owned by {:?})", self.field, self.manager)
    }
}

/// One field the apiserver refused to change, from a `422 Invalid` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field path, e.g. `spec.selector`.
    pub field: String,
    /// The apiserver's message about it.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// An object that did not become ready: its last observed state, its last conditions and the
/// reasons of its failing pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotReady {
    /// The object.
    pub object: ObjectRef,
    /// Whether it failed (as opposed to still progressing when time ran out).
    pub failed: bool,
    /// The last state seen, e.g. `2 of 3 updated replicas are available`.
    pub state: String,
    /// Its last conditions, `Type=Status Reason: message`.
    pub conditions: Vec<String>,
    /// Pods in trouble: `pod "web-7d9c-x2x": container "app": ImagePullBackOff: ...`.
    pub pods: Vec<String>,
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.failed { "failed" } else { "not ready" };
        write!(f, "{} {verdict}: {}", self.object, self.state)?;
        for c in &self.conditions {
            write!(f, "\n    condition {c}")?;
        }
        for p in &self.pods {
            write!(f, "\n    {p}")?;
        }
        Ok(())
    }
}

struct List<'a, T>(&'a [T], &'a str);

impl<T: fmt::Display> fmt::Display for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong while planning, applying, waiting for or deleting a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bundle (or one of its objects) is invalid; the message names each object and field.
    #[error(transparent)]
    Invalid(#[from] crate::Error),

    /// Server-side apply conflicts: other field managers own fields this apply sets. Re-apply with
    /// `force(true)` to take them over, or drop the fields from the bundle.
    #[error(
        "{object}: server-side apply conflict with field manager(s) {}: {}; \
         remove the field(s) from the bundle or apply with force to take them over",
        managers(.conflicts),
        List(.conflicts, ", ")
    )]
    Conflict {
        /// The object.
        object: ObjectRef,
        /// The contested fields and their owners.
        conflicts: Vec<FieldConflict>,
    },

    /// The change touches fields the apiserver does not update in place. Opt in to recreating
    /// the object (`recreate(true)`), or revert the change.
    #[error(
        "{object}: cannot change immutable field(s): {}; apply with recreate to delete and recreate it",
        List(.fields, "; ")
    )]
    Immutable {
        /// The object.
        object: ObjectRef,
        /// The refused fields.
        fields: Vec<FieldError>,
    },

    /// The apiserver rejected a request (not a transient failure, not a conflict).
    #[error("{object}: {operation} rejected by the apiserver ({code} {reason}): {message}")]
    Api {
        /// The object.
        object: ObjectRef,
        /// What was attempted: `apply`, `get`, `delete`, `list` ...
        operation: &'static str,
        /// The HTTP status code.
        code: u16,
        /// The Status reason, e.g. `Invalid`, `Forbidden`.
        reason: String,
        /// The apiserver's message (secret values scrubbed).
        message: String,
    },

    /// The apiserver could not be reached, or kept answering with transient errors, until the
    /// retries ran out.
    #[error("{object}: {operation} failed after {attempts} attempt(s) in {elapsed:.1?}: {message}")]
    Unavailable {
        /// The object.
        object: ObjectRef,
        /// What was attempted.
        operation: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// Time spent trying.
        elapsed: Duration,
        /// The last failure.
        message: String,
    },

    /// The apiserver's answer could not be understood.
    #[error("{object}: {operation}: unexpected answer from the apiserver: {message}")]
    Response {
        /// The object.
        object: ObjectRef,
        /// What was attempted.
        operation: &'static str,
        /// What was wrong with it.
        message: String,
    },

    /// Objects did not become ready: one failed (fail fast), or time ran out. Every object that
    /// was not ready is listed with its last state, conditions and failing pods.
    #[error("{}:\n  {}", not_ready_headline(*.timed_out, .elapsed, .objects), List(.objects, "\n  "))]
    NotReady {
        /// Whether the wait timed out (otherwise an object failed).
        timed_out: bool,
        /// Time spent waiting.
        elapsed: Duration,
        /// Every object that was not ready, failed ones first.
        objects: Vec<NotReady>,
    },

    /// The overall timeout ran out while the client was still applying or deleting.
    #[error("{object}: {operation} not started: the overall timeout of {timeout:.1?} ran out")]
    Timeout {
        /// The object whose turn it was.
        object: ObjectRef,
        /// What was to be done.
        operation: &'static str,
        /// The overall timeout.
        timeout: Duration,
    },

    /// Objects were not deleted in time.
    #[error("timed out after {elapsed:.1?} waiting for deletion of: {}", List(.objects, ", "))]
    DeleteTimeout {
        /// Time spent waiting.
        elapsed: Duration,
        /// The objects still present.
        objects: Vec<ObjectRef>,
    },

    /// The ApplySet parent object cannot be used (it belongs to another tool, or has the wrong id).
    #[error("applyset parent {object}: {message}")]
    ApplySet {
        /// The parent object.
        object: ObjectRef,
        /// What is wrong.
        message: String,
    },

    /// The client refused to do something that would lose data or that the apiserver cannot do.
    #[error("{object}: {message}")]
    Refused {
        /// The object.
        object: ObjectRef,
        /// Why.
        message: String,
    },

    /// Connecting to the cluster failed (reading the kubeconfig, building the client).
    #[error("connecting with {source_name}: {message}")]
    Connect {
        /// The kubeconfig (path or description) used.
        source_name: String,
        /// What failed.
        message: String,
    },

    /// Several objects failed in the same wave; each error names its object.
    #[error("{} objects failed:\n  {}", .0.len(), List(.0, "\n  "))]
    Many(Vec<Error>),
}

fn managers(conflicts: &[FieldConflict]) -> String {
    let mut names: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_ready_headline(timed_out: bool, elapsed: &Duration, objects: &[NotReady]) -> String {
    if timed_out {
        format!(
            "timed out after {elapsed:.1?}; {} object(s) not ready",
            objects.len()
        )
    } else {
        let failed: Vec<String> = objects
            .iter()
            .filter(|o| o.failed)
            .map(|o| o.object.to_string())
            .collect();
        format!("{} failed after {elapsed:.1?}", failed.join(", "))
    }
}

impl Error {
    /// The objects this error is about.
    pub fn objects(&self) -> Vec<&ObjectRef> {
        match self {
            Error::Invalid(e) => e.violations().iter().map(|v| &v.object).collect(),
            Error::Conflict { object, .. }
            | Error::Immutable { object, .. }
            | Error::Api { object, .. }
            | Error::Unavailable { object, .. }
            | Error::Response { object, .. }
            | Error::ApplySet { object, .. }
            | Error::Refused { object, .. }
            | Error::Timeout { object, .. } => vec![object],
            Error::NotReady { objects, .. } => objects.iter().map(|o| &o.object).collect(),
            Error::DeleteTimeout { objects, .. } => objects.iter().collect(),
            Error::Connect { .. } => Vec::new(),
            Error::Many(errors) => errors.iter().flat_map(Error::objects).collect(),
        }
    }

    /// Whether this error (or any of several) is a transient-failure error: rerunning later may
    /// succeed without changing anything.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unavailable { .. } => true,
            Error::Many(errors) => errors.iter().any(Error::is_unavailable),
            _ => false,
        }
    }

    /// Folds several errors into one: the error itself when there is one.
    pub(crate) fn many(mut errors: Vec<Error>) -> Option<Error> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Many(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_names_managers_and_fields() {
        let e = Error::Conflict {
            object: ObjectRef::new("ConfigMap", "settings").in_namespace(Some("demo")),
            conflicts: vec![
                FieldConflict {
                    manager: "helm".into(),
                    field: ".data.level".into(),
                },
                FieldConflict {
                    manager: "kubectl".into(),
                    field: ".data.mode".into(),
                },
            ],
        };
        let s = e.to_string();
        assert!(
            s.starts_with("configmap \"demo/settings\": server-side apply conflict"),
            "{s}"
        );
        assert!(s.contains("\"helm\", \"kubectl\""), "{s}");
        assert!(s.contains(".data.level (owned by \"helm\")"), "{s}");
    }

    #[test]
    fn not_ready_lists_every_object() {
        let e = Error::NotReady {
            timed_out: false,
            elapsed: Duration::from_millis(1500),
            objects: vec![
                NotReady {
                    object: ObjectRef::new("Job", "migrate"),
                    failed: true,
                    state: "job failed".into(),
                    conditions: vec!["Failed=True BackoffLimitExceeded: Job has reached the specified backoff limit".into()],
                    pods: vec![],
                },
                NotReady {
                    object: ObjectRef::new("Deployment", "web"),
                    failed: false,
                    state: "1 of 3 updated replicas are available".into(),
                    conditions: vec![],
                    pods: vec!["pod \"web-1\": container \"app\": ImagePullBackOff: back-off".into()],
                },
            ],
        };
        let s = e.to_string();
        assert!(s.starts_with("job \"migrate\" failed after 1.5s:"), "{s}");
        assert!(s.contains("deployment \"web\" not ready: 1 of 3"), "{s}");
        assert!(s.contains("ImagePullBackOff"), "{s}");
        assert_eq!(e.objects().len(), 2);
    }
}
