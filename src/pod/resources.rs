//! Resource requests and limits with typed quantities (chapter 5).
//!
//! ```
//! use kubeprint::prelude::*;
//! let r = Resources::new()
//!     .requests(Cpu::millis(500), Memory::mib(128))
//!     .limits(Cpu::cores(1), Memory::mib(256))
//!     .request_ephemeral_storage(Storage::gib(1));
//! let k8s = r.to_requirements().unwrap();
//! assert_eq!(k8s.requests.as_ref().unwrap()["cpu"].0, "500m");
//! assert_eq!(k8s.limits.as_ref().unwrap()["memory"].0, "256Mi");
//! assert_eq!(k8s.requests.unwrap()["ephemeral-storage"].0, "1Gi");
//! ```

use crate::quantity::{Cpu, Memory, Storage};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;

/// CPU, memory and ephemeral-storage requests (what the scheduler reserves) and limits (the
/// most the container may use: CPU is throttled, memory over the limit is OOM-killed).
///
/// Validation checks that no request is above its limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    requests: BTreeMap<&'static str, String>,
    limits: BTreeMap<&'static str, String>,
}

const CPU: &str = "cpu";
const MEMORY: &str = "memory";
const EPHEMERAL: &str = "ephemeral-storage";

impl Resources {
    /// No requests, no limits.
    pub fn new() -> Self {
        Resources::default()
    }

    fn request(mut self, name: &'static str, value: String) -> Self {
        self.requests.insert(name, value);
        self
    }

    fn limit(mut self, name: &'static str, value: String) -> Self {
        self.limits.insert(name, value);
        self
    }

    /// Requests CPU.
    #[must_use]
    pub fn request_cpu(self, cpu: Cpu) -> Self {
        self.request(CPU, cpu.to_string())
    }

    /// Requests memory.
    #[must_use]
    pub fn request_memory(self, memory: Memory) -> Self {
        self.request(MEMORY, memory.to_string())
    }

    /// Requests local ephemeral storage (container writable layer, logs, emptyDir volumes).
    #[must_use]
    pub fn request_ephemeral_storage(self, storage: Storage) -> Self {
        self.request(EPHEMERAL, storage.to_string())
    }

    /// Limits CPU.
    #[must_use]
    pub fn limit_cpu(self, cpu: Cpu) -> Self {
        self.limit(CPU, cpu.to_string())
    }

    /// Limits memory.
    #[must_use]
    pub fn limit_memory(self, memory: Memory) -> Self {
        self.limit(MEMORY, memory.to_string())
    }

    /// Limits local ephemeral storage.
    #[must_use]
    pub fn limit_ephemeral_storage(self, storage: Storage) -> Self {
        self.limit(EPHEMERAL, storage.to_string())
    }

    /// Requests both CPU and memory.
    #[must_use]
    pub fn requests(self, cpu: Cpu, memory: Memory) -> Self {
        self.request_cpu(cpu).request_memory(memory)
    }

    /// Limits both CPU and memory.
    #[must_use]
    pub fn limits(self, cpu: Cpu, memory: Memory) -> Self {
        self.limit_cpu(cpu).limit_memory(memory)
    }

    /// Whether nothing is requested or limited.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }

    /// The requirements as `k8s-openapi` holds them; `None` when empty.
    pub fn to_requirements(&self) -> Option<core::ResourceRequirements> {
        let map = |m: &BTreeMap<&'static str, String>| {
            (!m.is_empty()).then(|| {
                m.iter()
                    .map(|(k, v)| ((*k).to_owned(), Quantity(v.clone())))
                    .collect()
            })
        };
        (!self.is_empty()).then(|| core::ResourceRequirements {
            requests: map(&self.requests),
            limits: map(&self.limits),
            claims: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_none() {
        assert_eq!(Resources::new().to_requirements(), None);
        assert!(Resources::new().is_empty());
    }

    #[test]
    fn each_setter() {
        let r = Resources::new()
            .request_cpu(Cpu::millis(250))
            .request_memory(Memory::mib(64))
            .limit_cpu(Cpu::millis(1500))
            .limit_memory(Memory::gib(1))
            .limit_ephemeral_storage(Storage::gib(2))
            .to_requirements()
            .unwrap();
        let q = |m: &Option<BTreeMap<String, Quantity>>, k: &str| m.as_ref().unwrap()[k].0.clone();
        assert_eq!(q(&r.requests, "cpu"), "250m");
        assert_eq!(q(&r.requests, "memory"), "64Mi");
        assert_eq!(q(&r.limits, "cpu"), "1500m");
        assert_eq!(q(&r.limits, "memory"), "1Gi");
        assert_eq!(q(&r.limits, "ephemeral-storage"), "2Gi");
        assert_eq!(r.requests.unwrap().len(), 2);
    }

    #[test]
    fn limits_only() {
        let r = Resources::new()
            .limits(Cpu::cores(2), Memory::mib(512))
            .to_requirements()
            .unwrap();
        assert_eq!(r.requests, None);
        assert_eq!(r.limits.unwrap()["cpu"].0, "2");
    }
}
