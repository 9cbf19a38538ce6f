//! A custom resource next to the objects it works with: a `Backup` kind defined in Rust with
//! kube's `#[derive(CustomResource)]`, its CustomResourceDefinition generated from the type
//! (`Backup::crd()`), two backups of it, and the ConfigMap their (imagined) operator reads.
//!
//! The bundle applies to an empty cluster in one step: the CRD goes first, and the backups are
//! applied once the apiserver serves their kind. The backups say when they are ready with
//! their own rule ([`DefinesReadiness`]); without one, kstatus rules apply (`Ready`,
//! `Reconciling`, `Stalled` conditions and `observedGeneration`). A nightly backup nobody runs
//! yet opts out of the wait with the `kubeprint.dev/readiness: skip` annotation.
//!
//! ```sh
//! cargo run --example custom_resource              # print the YAML
//! cargo run --example custom_resource -- apply     # (add --wait once an operator runs them)
//! ```

use kube::{CustomResource, CustomResourceExt};
use kubeprint::object::{CustomObject, CustomReadiness, DefinesReadiness, READINESS_ANNOTATION};
use kubeprint::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a backup does: which database, how often, how many copies to keep.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "backups.example.com",
    version = "v1",
    kind = "Backup",
    namespaced,
    status = "BackupStatus",
    shortname = "bk"
)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    /// The database Service to back up.
    pub database: String,
    /// A cron schedule.
    pub schedule: String,
    /// How many backups to keep.
    pub keep: u32,
}

/// What the operator reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// `Scheduled`, `Running`, `Failed`.
    pub phase: Option<String>,
    /// When the last backup finished.
    pub last_success: Option<String>,
}

/// A backup is ready once its operator has scheduled it; `Failed` will not fix itself.
impl DefinesReadiness for Backup {
    fn readiness(live: &serde_json::Value) -> CustomReadiness {
        match live.pointer("/status/phase").and_then(|p| p.as_str()) {
            Some("Scheduled" | "Running") => CustomReadiness::Ready,
            Some("Failed") => CustomReadiness::Failed("the operator could not schedule it".into()),
            _ => CustomReadiness::Progressing("waiting for the operator to schedule it".into()),
        }
    }
}

fn backup(name: &str, schedule: &str, keep: u32) -> Backup {
    Backup::new(
        name,
        BackupSpec {
            database: "postgres".into(),
            schedule: schedule.into(),
            keep,
        },
    )
}

/// The application: the CRD, the operator's settings, and two backups.
pub fn app() -> kubeprint::Result<Bundle> {
    let mut bundle = Bundle::new("backups");
    bundle.add(Backup::crd())?.add(
        ConfigMap::builder()
            .name("backup-operator")
            .entry("bucket", "s3://backups")
            .build(),
    )?;
    // Typed objects go in as they are; this one is judged by the type's own rule.
    bundle.add(
        CustomObject::from_kube(&backup("hourly", "0 * * * *", 24))?.with_readiness_of::<Backup>(),
    )?;
    // Or through `add_resource`, with the kstatus rules; this one opts out of the wait.
    let mut nightly = backup("nightly", "0 3 * * *", 7);
    nightly.metadata.annotations =
        Some([(READINESS_ANNOTATION.to_owned(), "skip".to_owned())].into());
    bundle.add_resource(&nightly)?;
    Ok(bundle)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
