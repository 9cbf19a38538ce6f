//! The benchmarks' connection to the local control plane (`tools/cluster`).

/// A client for the cluster of the kubeconfig at `path`, which must be on loopback: the
/// benchmarks create and delete objects in bulk and must never reach a real cluster.
pub async fn loopback_client(path: &std::ffi::OsStr) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(path).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    assert_eq!(
        config.cluster_url.host(),
        Some("127.0.0.1"),
        "benchmarks only run against the loopback cluster"
    );
    kube::Client::try_from(config).expect("client")
}
