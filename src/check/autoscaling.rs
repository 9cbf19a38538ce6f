//! The rules between a HorizontalPodAutoscaler and the workload it scales, when both are in the
//! bundle (part of [`Bundle::check`]):
//!
//! - The workload leaves `replicas` unset: the autoscaler owns the count, and a fixed
//!   `replicas` would be written back on every apply (server-side apply either takes the field
//!   back from the autoscaler, undoing its scaling, or stops with a conflict). kubeprint refuses
//!   this offline rather than silently dropping the field from what it applies, so that the
//!   rendered YAML, `kubectl apply -f` and the apply client all say the same.
//! - A `Utilization` target for `cpu` or `memory` needs that request on every container of the
//!   workload's pod template (utilization is a percentage of the request; without it the
//!   autoscaler reports `FailedGetResourceMetric` and never scales).

use crate::bundle::Bundle;
use crate::error::Violation;
use crate::object::Object;
use crate::object::refs::pod_spec;

/// The violations of the autoscaler rules.
pub(crate) fn check(bundle: &Bundle) -> Vec<Violation> {
    let mut out = Vec::new();
    for o in bundle.objects() {
        let Object::HorizontalPodAutoscaler(hpa) = o else {
            continue;
        };
        let target = &hpa.spec.scale_target_ref;
        let Some(workload) = bundle.find(&target.kind, bundle.namespace_of(o), &target.name) else {
            continue; // A missing target is the reference check's.
        };
        if fixed_replicas(workload) {
            out.push(Violation::new(
                workload.object_ref(),
                "spec.replicas",
                format!(
                    "is scaled by HorizontalPodAutoscaler {:?}: leave replicas unset (the \
                     autoscaler owns the count; a fixed one would undo its scaling on every \
                     apply)",
                    o.name()
                ),
            ));
        }
        let Some(pods) = pod_spec(workload) else {
            continue;
        };
        for (i, m) in hpa.spec.metrics.iter().flatten().enumerate() {
            let Some(r) = &m.resource else { continue };
            if r.target.type_ != "Utilization" || !matches!(r.name.as_str(), "cpu" | "memory") {
                continue;
            }
            for c in &pods.spec.containers {
                let requested = c
                    .resources
                    .as_ref()
                    .and_then(|res| res.requests.as_ref())
                    .is_some_and(|req| req.contains_key(&r.name));
                if !requested {
                    out.push(Violation::new(
                        o.object_ref(),
                        format!("spec.metrics[{i}].resource"),
                        format!(
                            "a {} utilization target needs a {} request on every container \
                             of {} {:?}; container {:?} has none",
                            r.name, r.name, target.kind, target.name, c.name
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// Whether a scalable workload sets `spec.replicas`.
fn fixed_replicas(o: &Object) -> bool {
    match o {
        Object::Deployment(d) => d.spec.replicas.is_some(),
        Object::ReplicaSet(r) => r.spec.replicas.is_some(),
        Object::StatefulSet(s) => s.spec.replicas.is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled(replicas: Option<i32>, requests: bool) -> crate::Result<crate::Bundle> {
        use crate::prelude::*;
        let mut c = Container::builder().name("app").image("app:1").build();
        if requests {
            c = Container::builder()
                .name("app")
                .image("app:1")
                .resources(Resources::new().requests(Cpu::millis(100), Memory::mib(64)))
                .build();
        }
        let template = PodTemplate::builder()
            .selector_label("app", "web")
            .container(c)
            .build();
        let d = match replicas {
            Some(n) => Deployment::builder()
                .name("web")
                .replicas(n)
                .template(template)
                .build(),
            None => Deployment::builder().name("web").template(template).build(),
        };
        let hpa = HorizontalPodAutoscaler::builder()
            .name("web")
            .target(&d)
            .max_replicas(5)
            .cpu_utilization(80)
            .build();
        crate::Bundle::new("web").with(d)?.with(hpa)
    }

    fn rules(b: &crate::Bundle) -> Vec<String> {
        check(b).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_scaled_workload_leaves_replicas_to_the_autoscaler() {
        assert_eq!(rules(&scaled(None, true).unwrap()), Vec::<String>::new());
        let v = rules(&scaled(Some(3), true).unwrap());
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].contains("spec.replicas") && v[0].contains("HorizontalPodAutoscaler \"web\""),
            "{v:?}"
        );
        assert!(scaled(Some(3), true).unwrap().check().is_err());
    }

    #[test]
    fn a_utilization_target_needs_the_request_on_every_container() {
        let v = rules(&scaled(None, false).unwrap());
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].contains("spec.metrics[0].resource")
                && v[0].contains("container \"app\" has none"),
            "{v:?}"
        );
    }
}
