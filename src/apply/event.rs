//! Progress events: what the client is doing, object by object, for progress bars and tests.

use crate::error::ObjectRef;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// What applying an object did on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The object did not exist and was created.
    Created,
    /// The object existed and the apply changed it (or took it over: it was not a member of the
    /// bundle's ApplySet before).
    Configured,
    /// The object existed and the apply changed nothing. Decided on what the apply owns — its
    /// field manager's `managedFields` entry, the labels and annotations it sets, the generation
    /// — so that status a controller wrote meanwhile does not count as a change.
    Unchanged,
    /// The object was deleted and created again because an immutable field changed.
    Recreated,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
            Outcome::Recreated => "recreated",
        })
    }
}

/// One step of progress. Events never contain secret values.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A server-side apply request is about to be sent.
    Applying {
        /// The object.
        object: ObjectRef,
    },
    /// The object was applied.
    Applied {
        /// The object.
        object: ObjectRef,
        /// What changed.
        outcome: Outcome,
    },
    /// The object was proven unchanged from its listing and no request was sent (it counts as
    /// applied, [`Outcome::Unchanged`]; see [`Applier::force_apply`](super::Applier::force_apply)).
    Skipped {
        /// The object.
        object: ObjectRef,
    },
    /// A request failed transiently and will be retried.
    Retrying {
        /// The object the request was for.
        object: ObjectRef,
        /// What was attempted (`apply`, `get`, `list`, `delete` ...).
        operation: &'static str,
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// How long the client waits before the next attempt.
        delay: Duration,
        /// Why the attempt failed.
        reason: String,
    },
    /// An immutable field changed and the object is being deleted to be created again.
    Recreating {
        /// The object.
        object: ObjectRef,
        /// The immutable fields that changed.
        fields: Vec<String>,
    },
    /// The object is not ready yet.
    Waiting {
        /// The object.
        object: ObjectRef,
        /// Ready units (replicas, pods, endpoints) so far.
        ready: u32,
        /// Units wanted.
        desired: u32,
        /// What it is waiting for, e.g. `1 old replicas are pending termination`.
        message: String,
    },
    /// The object is ready.
    Ready {
        /// The object.
        object: ObjectRef,
    },
    /// The object failed (readiness) or a request for it failed for good.
    Failed {
        /// The object.
        object: ObjectRef,
        /// Why.
        reason: String,
    },
    /// The object left the bundle and was deleted (ApplySet pruning).
    Pruned {
        /// The object.
        object: ObjectRef,
    },
    /// The object was kept although it would have been deleted (data is kept unless asked).
    Kept {
        /// The object.
        object: ObjectRef,
        /// Why it was kept.
        reason: String,
    },
    /// A delete request is about to be sent.
    Deleting {
        /// The object.
        object: ObjectRef,
    },
    /// The object is gone.
    Deleted {
        /// The object.
        object: ObjectRef,
    },
}

impl Event {
    /// The object this event is about.
    pub fn object(&self) -> &ObjectRef {
        match self {
            Event::Applying { object }
            | Event::Applied { object, .. }
            | Event::Skipped { object }
            | Event::Retrying { object, .. }
            | Event::Recreating { object, .. }
            | Event::Waiting { object, .. }
            | Event::Ready { object }
            | Event::Failed { object, .. }
            | Event::Pruned { object }
            | Event::Kept { object, .. }
            | Event::Deleting { object }
            | Event::Deleted { object } => object,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Applying { object } => write!(f, "{object}: applying"),
            Event::Applied { object, outcome } => write!(f, "{object}: {outcome}"),
            Event::Skipped { object } => write!(f, "{object}: unchanged (skipped)"),
            Event::Retrying {
                object,
                operation,
                attempt,
                delay,
                reason,
            } => {
                write!(
                    f,
                    "{object}: {operation} attempt {attempt} failed ({reason}); retrying in {delay:.1?}"
                )
            }
            Event::Recreating { object, fields } => {
                write!(f, "{object}: recreating (immutable: {})", fields.join(", "))
            }
            Event::Waiting {
                object,
                ready,
                desired,
                message,
            } => {
                write!(f, "{object}: waiting {ready}/{desired}: {message}")
            }
            Event::Ready { object } => write!(f, "{object}: ready"),
            Event::Failed { object, reason } => write!(f, "{object}: failed: {reason}"),
            Event::Pruned { object } => write!(f, "{object}: pruned"),
            Event::Kept { object, reason } => write!(f, "{object}: kept ({reason})"),
            Event::Deleting { object } => write!(f, "{object}: deleting"),
            Event::Deleted { object } => write!(f, "{object}: deleted"),
        }
    }
}

/// A callback receiving every event.
pub(crate) type Sink = Arc<dyn Fn(&Event) + Send + Sync>;

/// The events of an [`Applier`](super::Applier), as a stream (see
/// [`Applier::events`](super::Applier::events)). It ends when the applier (and its clones) are
/// dropped.
#[derive(Debug)]
pub struct Events {
    rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
}

impl Events {
    pub(crate) fn channel() -> (Sink, Events) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let sink: Sink = Arc::new(move |e: &Event| {
            // A receiver that went away just stops listening.
            let _ = tx.send(e.clone());
        });
        (sink, Events { rx })
    }

    /// The next event, waiting for it; `None` once the applier is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next event if one is already there.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }

    /// Every event already there.
    pub fn drain(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.try_recv()).collect()
    }
}

impl futures::Stream for Events {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}
