//! Chapter 13, *Integrating Storage Solutions and Kubernetes*, static provisioning: the book's
//! NFS PersistentVolume (`nfs-volume.yaml`) and the claim that picks it by label
//! (`nfs-volume-claim.yaml`), under a StorageClass of their own so that no dynamic provisioner
//! (and no other claim) takes part.
//!
//! ```sh
//! cargo run --example ch13_nfs_volume
//! cargo run --example ch13_nfs_volume -- apply --wait           # after putting your server in
//! cargo run --example ch13_nfs_volume -- delete                    # keeps volume and claim
//! ```
//!
//! The volume and the class are cluster-scoped: one copy per cluster, whatever namespace the
//! claim is applied to. Applying binds the claim at once (kubeprint makes the volume
//! `Available` before it makes the claim); a pod can then mount `database` as in the
//! `ch13_storage` example. Teardown keeps the volume and the claim, which are data; `delete
//! --delete-data` removes them too (the export's files stay: the policy is `Retain`).

use kubeprint::persistentvolume::{ReclaimPolicy, Source};
use kubeprint::persistentvolumeclaim::AccessMode;
use kubeprint::prelude::*;
use kubeprint::storageclass::{BindingMode, NO_PROVISIONER};

/// The book's NFS server and export.
const NFS_SERVER: &str = "192.168.0.1";
const NFS_EXPORT: &str = "/exports";

pub fn app() -> kubeprint::Result<Bundle> {
    let class = StorageClass::builder()
        .name("nfs")
        .provisioner(NO_PROVISIONER)
        .binding_mode(BindingMode::Immediate)
        .reclaim_policy(ReclaimPolicy::Retain)
        .build();
    let volume = PersistentVolume::builder()
        .name("nfs-database")
        .labels(Labels::from([("volume", "my-volume")]))
        .capacity(Storage::gib(1))
        .access_mode(AccessMode::ReadWriteMany)
        .source(Source::nfs(NFS_SERVER, NFS_EXPORT))
        .storage_class("nfs")
        .reclaim_policy(ReclaimPolicy::Retain)
        .mount_option("nfsvers=4.1")
        .build();
    let claim = PersistentVolumeClaim::builder()
        .name("database")
        .size(Storage::gib(1))
        .access_mode(AccessMode::ReadWriteMany)
        .storage_class("nfs")
        .selector(Selector::parse("volume=my-volume")?)
        .build();
    Bundle::new("ch13-nfs-volume")
        .with(class)?
        .with(volume)?
        .with(claim)
}

fn main() -> std::process::ExitCode {
    kubeprint::cli::run(app)
}
