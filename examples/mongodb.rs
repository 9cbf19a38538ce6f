//! The MongoDB blueprint on its own: a three-member replica set (`rs0`) with a generated root
//! password, application user and keyFile, one persistent volume per member, `mongosh` probes,
//! an idempotent replica-set initiation, a PodDisruptionBudget and a NetworkPolicy that admits
//! only the application's pods. Parse uses the same blueprint through
//! [`kubeprint::blueprint::ParseDatabase`].
//!
//! ```sh
//! cargo run --example mongodb                   # print the YAML
//! cargo run --example mongodb -- apply --wait   # apply and wait until every member is ready
//! cargo run --example mongodb -- graph          # the objects and how they refer to each other
//! ```

use kubeprint::Labels;
use kubeprint::blueprint::{Blueprint, Client, MongoDb, Persistence};

/// The application: a replica set for an orders service whose pods carry `app=orders`.
pub fn app() -> kubeprint::Result<kubeprint::Bundle> {
    MongoDb::builder()
        .name("orders-db")
        .database("orders")
        .user("orders")
        .storage(Persistence::builder().size("20Gi").build())
        .client(Client::external_pods(Labels::from([("app", "orders")])))
        .build()
        .bundle()
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
