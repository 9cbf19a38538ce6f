//! The Parse blueprint: Parse Server 8 on a three-member MongoDB replica set, with the master
//! and maintenance keys generated once, the database URI assembled inside the pod from
//! Secret-fed variables, an Ingress for the public URL whose controller the NetworkPolicy
//! admits, and master-key access limited to loopback (the default: behind an Ingress, a
//! cluster-network block would trust every external caller).
//!
//! ```sh
//! cargo run --example parse
//! cargo run --example parse -- apply --wait      # MongoDB forms its replica set, then Parse starts
//! ```

use kubeprint::blueprint::{Blueprint, IngressController, MongoDb, Parse, PublicIngress};

/// The application: the Parse API `my-app`, public at https://api.example.com/parse.
pub fn app() -> kubeprint::Result<kubeprint::Bundle> {
    Parse::builder()
        .name("api")
        .app_id("my-app")
        .public_url("https://api.example.com/parse")
        .ingress(
            PublicIngress::builder()
                .class("nginx")
                .controller(IngressController::namespace("ingress-nginx"))
                .build(),
        )
        .database(
            MongoDb::builder()
                .name("api-db")
                .database("parse")
                .user("parse")
                .build(),
        )
        .build()
        .bundle()
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
