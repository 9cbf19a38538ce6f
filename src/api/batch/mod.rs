//! The `batch/v1` API group: pods that run to completion.

pub mod cronjob;
pub mod job;

pub use cronjob::{ConcurrencyPolicy, CronJob};
pub use job::{FailureAction, Job, JobRestartPolicy, PodFailurePolicy};
