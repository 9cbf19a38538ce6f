//! The Ghost blueprint: the Ghost 6 publishing platform on the MySQL blueprint, with its public
//! URL validated, the database password passed from MySQL's generated Secret, probes that speak
//! to Ghost with the right `Host` header, a content volume, and an Ingress.
//!
//! ```sh
//! cargo run --example ghost                      # print the YAML
//! cargo run --example ghost -- graph             # the picture in the README
//! cargo run --example ghost -- apply --wait      # MySQL first, then Ghost
//! ```

use kubeprint::blueprint::{Blueprint, Ghost, GhostIngress, IngressController, MySql};

/// The application: a blog at https://blog.example.com, reached through ingress-nginx.
pub fn app() -> kubeprint::Result<kubeprint::Bundle> {
    Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .database(
            MySql::builder()
                .name("blog-db")
                .database("ghost")
                .user("ghost")
                .build(),
        )
        .ingress(
            GhostIngress::builder()
                .class("nginx")
                .controller(IngressController::namespace("ingress-nginx"))
                .build(),
        )
        .build()
        .bundle()
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
