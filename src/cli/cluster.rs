//! The commands that talk to a cluster: connecting the way kubectl does, and mapping the apply
//! client's events to progress steps.

use super::BoxError;
use super::args::Global;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client for the cluster chosen by `--kubeconfig` / `--context` (kubectl's rules: the file
/// given, else `$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account), and
/// the namespace for objects that set none (`--namespace`, else the context's, else `default`).
pub(crate) async fn connect(global: &Global) -> Result<(kube::Client, String), BoxError> {
    let options = KubeConfigOptions {
        context: global.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match &global.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| context(format!("reading kubeconfig {}", path.display()), e))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| context(format!("loading kubeconfig {}", path.display()), e))?
        }
        None if global.context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| context("loading kubeconfig".into(), e))?,
        None => kube::Config::infer()
            .await
            .map_err(|e| context("finding a cluster".into(), e))?,
    };
    let namespace = global
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    let client =
        kube::Client::try_from(config).map_err(|e| context("creating the client".into(), e))?;
    Ok((client, namespace))
}

/// An error with what was being done, keeping the original as its source.
#[derive(Debug)]
pub(crate) struct Context {
    what: String,
    source: BoxError,
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Context {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

pub(crate) fn context(what: String, source: impl Into<BoxError>) -> BoxError {
    Box::new(Context {
        what,
        source: source.into(),
    })
}

/// The API group of a kind kubeprint supports (empty for the core group), for kubectl-style
/// labels like `deployment.apps/kuard`.
pub(crate) fn group_of(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" | "ControllerRevision" => "apps",
        "Job" | "CronJob" => "batch",
        "HorizontalPodAutoscaler" => "autoscaling",
        "Ingress" | "NetworkPolicy" | "IngressClass" => "networking.k8s.io",
        "PodDisruptionBudget" => "policy",
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => {
            "rbac.authorization.k8s.io"
        }
        "EndpointSlice" => "discovery.k8s.io",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(group_of("Deployment"), "apps");
        assert_eq!(group_of("Service"), "");
        assert_eq!(group_of("PodDisruptionBudget"), "policy");
        // Every kind of the Object enum that is not in the core group is known.
        use k8s_openapi::Resource;
        macro_rules! same {
            ($($ty:ty),*) => { $( assert_eq!(group_of(<$ty>::KIND), <$ty>::GROUP, "{}", <$ty>::KIND); )* };
        }
        use k8s_openapi::api::{
            apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
        };
        use k8s_openapi::api::{
            discovery::v1 as discovery, networking::v1 as net, policy::v1 as policy,
            rbac::v1 as rbac,
        };
        same!(
            apps::Deployment,
            apps::ReplicaSet,
            apps::DaemonSet,
            apps::StatefulSet,
            batch::Job,
            batch::CronJob,
            autoscaling::HorizontalPodAutoscaler,
            net::Ingress,
            net::NetworkPolicy,
            policy::PodDisruptionBudget,
            rbac::Role,
            rbac::RoleBinding,
            rbac::ClusterRole,
            rbac::ClusterRoleBinding,
            discovery::EndpointSlice,
            core::Pod,
            core::Service,
            core::Secret,
            core::ConfigMap,
            core::Namespace,
            core::PersistentVolumeClaim,
            core::ServiceAccount
        );
    }

    #[tokio::test]
    async fn a_missing_kubeconfig_is_a_short_error() {
        let global = Global {
            kubeconfig: Some("/nonexistent/kubeconfig".into()),
            ..Global::default()
        };
        let err = connect(&global).await.err().expect("no such file");
        let chain = super::super::error_chain(err.as_ref());
        assert!(
            chain.starts_with("error: reading kubeconfig /nonexistent/kubeconfig\n  caused by: "),
            "{chain}"
        );
        assert!(!chain.contains("Os {"), "{chain}");
    }
}
