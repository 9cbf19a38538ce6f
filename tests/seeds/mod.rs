//! Seed objects for the robustness and differential tests: every example's bundle, as JSON
//! values (the objects kubeprint's builders make), with the bundle they belong to.
#![allow(dead_code)]

use kubeprint::prelude::*;
use serde_json::Value;

macro_rules! examples {
    ($($name:ident = $path:literal),* $(,)?) => {
        $(
            #[allow(dead_code, unused_imports)]
            #[path = $path]
            mod $name;
        )*
        /// Every example: name and bundle function.
        pub const EXAMPLES: &[(&str, fn() -> kubeprint::Result<Bundle>)] =
            &[$((stringify!($name), $name::app)),*];
    };
}

examples!(
    ch05_pods = "../../examples/ch05_pods.rs",
    ch06_labels = "../../examples/ch06_labels.rs",
    ch07_service_discovery = "../../examples/ch07_service_discovery.rs",
    ch08_replicasets = "../../examples/ch08_replicasets.rs",
    ch09_daemonsets = "../../examples/ch09_daemonsets.rs",
    ch10_jobs = "../../examples/ch10_jobs.rs",
    ch11_config = "../../examples/ch11_config.rs",
    ch12_deployments = "../../examples/ch12_deployments.rs",
    ch13_storage = "../../examples/ch13_storage.rs",
    ch13_nfs_volume = "../../examples/ch13_nfs_volume.rs",
    mysql = "../../examples/mysql.rs",
    redis = "../../examples/redis.rs",
    ghost = "../../examples/ghost.rs",
);

/// One seed: the example, the bundle, and the index of the object in `bundle.objects()`.
pub struct Seed {
    pub example: &'static str,
    pub bundle: Bundle,
    pub index: usize,
    pub json: Value,
}

impl Seed {
    pub fn kind(&self) -> &str {
        self.json["kind"].as_str().unwrap_or_default()
    }

    /// The seed's bundle with its object replaced by `mutant`: what kubeprint says about it
    /// (`Err` from the strict decoding or from `Bundle::check`, which validates every object
    /// as `Bundle::add` does, then checks the bundle as a whole).
    pub fn judge(&self, mutant: &Value) -> Result<(), kubeprint::Error> {
        let object = Object::from_json_value(mutant.clone())?;
        let mut b = self.bundle.clone();
        b.objects_mut()[self.index] = object;
        b.check()
    }
}

/// Every object of every example.
pub fn seeds() -> Vec<Seed> {
    let mut out = Vec::new();
    for (example, app) in EXAMPLES {
        let bundle = app().unwrap_or_else(|e| panic!("example {example}: {e}"));
        for (index, o) in bundle.objects().iter().enumerate() {
            let json = o.to_json_value().expect("json");
            let bundle = app().expect("bundle");
            out.push(Seed {
                example,
                bundle,
                index,
                json,
            });
        }
    }
    out
}
