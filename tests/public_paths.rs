//! The public paths other code uses keep naming the same types after the de-duplication:
//! each old path is a re-export of one canonical definition. Compiling this file is the test.

use kubeprint::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Accepts two values only when they have the same type.
fn same<T>(_: T, _: T) {}

#[test]
fn protocol_and_port_ref_are_one_type_each() {
    same(
        kubeprint::port::Protocol::Udp,
        kubeprint::pod::Protocol::Udp,
    );
    same(
        kubeprint::pod::Protocol::Udp,
        kubeprint::pod::container::Protocol::Udp,
    );
    same(
        kubeprint::pod::Protocol::Udp,
        kubeprint::service::Protocol::Udp,
    );
    same(
        kubeprint::port::PortRef::from("http"),
        kubeprint::pod::PortRef::from("http"),
    );
    same(
        kubeprint::pod::probe::PortRef::Number(80),
        kubeprint::service::PortRef::Number(80),
    );
    // The union of what both used to offer.
    assert_eq!(
        kubeprint::service::Protocol::from_k8s(Some("SCTP")),
        Some(kubeprint::pod::Protocol::Sctp)
    );
    assert_eq!(
        IntOrString::from(&kubeprint::pod::PortRef::from(8080)),
        IntOrString::Int(8080)
    );
}

#[test]
fn access_mode_is_one_type() {
    use kubeprint::persistentvolumeclaim::AccessMode;
    same(
        AccessMode::ReadWriteOnce,
        kubeprint::pod::AccessMode::ReadWriteOnce,
    );
    same(
        AccessMode::ReadOnlyMany,
        kubeprint::pod::volume::AccessMode::ReadOnlyMany,
    );
}

#[test]
fn budget_amount_is_int_or_percent() {
    use kubeprint::poddisruptionbudget::{Amount, Budget};
    same(Amount::Percent(25), kubeprint::IntOrPercent::percent(25));
    same(
        Amount::Count(1),
        kubeprint::workload::IntOrPercent::Count(1),
    );
    assert_eq!(
        Budget::max_unavailable_percent(25),
        Budget::MaxUnavailable(kubeprint::IntOrPercent::Percent(25))
    );
}

#[test]
fn kinds_by_api_group_are_the_same_types_as_the_old_paths() {
    same(
        kubeprint::api::core::ServiceType::ClusterIp,
        kubeprint::service::ServiceType::ClusterIp,
    );
    same(
        kubeprint::api::core::persistentvolumeclaim::AccessMode::ReadWriteOnce,
        kubeprint::persistentvolumeclaim::AccessMode::ReadWriteOnce,
    );
    same(
        kubeprint::api::batch::JobRestartPolicy::Never,
        kubeprint::workload::JobRestartPolicy::Never,
    );
    same(
        kubeprint::api::apps::DeploymentStrategy::Recreate,
        kubeprint::workload::deployment::DeploymentStrategy::Recreate,
    );
    let role = || kubeprint::api::rbac::Role::builder().name("r").build();
    same(role(), kubeprint::rbac::Role::builder().name("r").build());
    same(role(), kubeprint::Role::builder().name("r").build());
}
