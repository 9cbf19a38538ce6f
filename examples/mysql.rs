//! The MySQL blueprint: a production-ready MySQL 8.4 server with a generated root password, an
//! application user and database, a persistent volume, authenticated probes, Pod Security
//! *restricted* and a NetworkPolicy that admits only the application's pods.
//!
//! ```sh
//! cargo run --example mysql                         # print the YAML
//! cargo run --example mysql -- apply --wait         # apply and wait until MySQL is ready
//! cargo run --example mysql -- apply --wait         # again: nothing changes, the password stays
//! cargo run --example mysql -- delete               # the data volume is kept ...
//! cargo run --example mysql -- delete --delete-data # ... unless asked
//! ```

use kubeprint::Labels;
use kubeprint::blueprint::{Blueprint, Client, MySql, Persistence};

/// The application: MySQL for a shop whose pods carry `app=shop`.
pub fn app() -> kubeprint::Result<kubeprint::Bundle> {
    MySql::builder()
        .name("shop-db")
        .database("shop")
        .user("shop")
        .storage(Persistence::builder().size("10Gi").build())
        .setting("max_connections", "300")
        .client(Client::external_pods(Labels::from([("app", "shop")])))
        .build()
        .bundle()
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
