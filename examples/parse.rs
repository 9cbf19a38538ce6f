//! The Parse blueprint: Parse Server 8 on a three-member MongoDB replica set, with the master
//! and maintenance keys generated once, the database URI assembled inside the pod from
//! Secret-fed variables, and master-key access limited to the cluster network.
//!
//! ```sh
//! cargo run --example parse
//! cargo run --example parse -- apply --wait      # MongoDB forms its replica set, then Parse starts
//! ```

use kubeprint::blueprint::{Blueprint, MongoDb, Parse};

/// The application: the Parse API `my-app`, public at https://api.example.com/parse.
pub fn app() -> kubeprint::Result<kubeprint::Bundle> {
    Parse::builder()
        .name("api")
        .app_id("my-app")
        .public_url("https://api.example.com/parse")
        .master_key_ips(["10.0.0.0/8", "127.0.0.1"])
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
