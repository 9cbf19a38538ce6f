//! The Redis blueprint in Sentinel mode: three pods, each running Redis and Sentinel, with a
//! generated password, append-only persistence, a PodDisruptionBudget and a NetworkPolicy.
//! A restarted pod asks the Sentinels for the current master instead of assuming pod 0.
//!
//! ```sh
//! cargo run --example redis
//! cargo run --example redis -- apply --wait
//! cargo run --example redis -- status
//! ```

use kubeprint::Labels;
use kubeprint::blueprint::{Blueprint, Client, Redis, Sentinel};

/// The application: a Sentinel-managed Redis for pods labelled `app=web`.
pub fn app() -> kubeprint::Result<kubeprint::Bundle> {
    Redis::builder()
        .name("sessions")
        .sentinel(Sentinel::builder().replicas(3).quorum(2).build())
        .client(Client::external_pods(Labels::from([("app", "web")])))
        .build()
        .bundle()
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
