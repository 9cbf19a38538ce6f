//! The pod layer every workload shares: containers, probes, lifecycle hooks, resources, volumes,
//! environment, security and scheduling, gathered in a [`PodTemplate`] (chapter 5).
//!
//! Volumes come as `emptyDir`, `hostPath`, ConfigMap, Secret, PersistentVolumeClaim, NFS,
//! downward API and projected (ConfigMaps, Secrets, downward API files and ServiceAccount
//! tokens in one directory) — see [`volume`]; container `postStart`/`preStop` hooks (exec,
//! HTTP GET, sleep) are in [`lifecycle`]. Other volume sources (CSI, ephemeral ...) and
//! remaining container fields are reachable through a raw `k8s-openapi` value
//! (`Volume::from`) or the builders' `customize` hooks.
//!
//! Workloads ([`crate::workload`]) wrap one `PodTemplate` each; the rules checking the pod spec
//! live here once, so a Pod, a Deployment and a CronJob report the same mistakes, each under
//! its own field path.
//!
//! ```
//! use kubeprint::prelude::*;
//! let pod = Pod::builder()
//!     .name("kuard")
//!     .template(
//!         PodTemplate::builder()
//!             .container(
//!                 Container::builder()
//!                     .name("kuard")
//!                     .image("gcr.io/kuar-demo/kuard-amd64:blue")
//!                     .port(Port::tcp("http", 8080))
//!                     .liveness(Probe::http_get("/healthy", "http").initial_delay(5))
//!                     .readiness(Probe::http_get("/ready", "http").period(2))
//!                     .resources(Resources::new().requests(Cpu::millis(500), Memory::mib(128)))
//!                     .build(),
//!             )
//!             .build(),
//!     )
//!     .build();
//! let object = pod.to_object()?;
//! assert_eq!(object.spec.unwrap().containers[0].name, "kuard");
//! # Ok::<(), kubeprint::Error>(())
//! ```

pub(crate) mod check;
pub mod container;
pub mod env;
pub mod lifecycle;
pub mod probe;
pub mod resources;
pub(crate) mod rules;
pub mod scheduling;
pub mod security;
pub mod template;
pub mod volume;

pub use container::{Container, ImagePullPolicy, Port, Protocol};
pub use env::{EnvFrom, EnvVar};
pub use lifecycle::Hook;
pub use probe::{PortRef, Probe};
pub use resources::Resources;
pub use scheduling::{Affinity, NodeExpr, TaintEffect, Toleration, TopologySpread};
pub use security::{ContainerSecurity, FsGroupChangePolicy, PodSecurity, restricted_findings};
pub use template::{NAME_LABEL, PodTemplate, RestartPolicy};
pub use volume::{AccessMode, HostPathType, Mount, Projection, Volume, VolumeClaimTemplate};
