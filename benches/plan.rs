//! Plan/diff computation for a 1,000-object bundle against live objects fetched once:
//! [`Plan::compute`], the function [`Applier::plan`](kubeprint::apply::Applier::plan) turns
//! the server's dry-run answers into plan items with (preparing every object, merging it into
//! its live state, stripping server fields, masking Secret values, YAML and unified diffs).
//!
//! The bundle (`support/synthetic.rs`, `plan_bundle`): 250 apps of a ConfigMap, a Secret
//! (with a generated-once password), a Service and a Deployment. The live objects are revision
//! 1 of it: 225 of the apps and 10 more ConfigMaps, so that planning revision 2 finds 832
//! objects unchanged, 68 changed (ConfigMap data, Deployment image, Secret value), 100 new and
//! 10 to prune.
//!
//! With `KUBEPRINT_TEST_KUBECONFIG` set (`source <cluster state>/env`), revision 1 is applied to
//! the local control plane (namespace `kp-bench-plan`, Deployments with 0 replicas) and read
//! back once, as JSON with managedFields; without, the live objects are synthesised
//! (`support/live.rs`: the apply bodies plus what the apiserver adds — uid, resourceVersion,
//! managedFields, defaults, status). Either way the plan's counts are checked before measuring.
//!
//! ```text
//! cargo bench --bench plan    # plan/changes/1000 (revision 2), plan/noop/910 (revision 1)
//! source <cluster state>/env && cargo bench --bench plan
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kubeprint::Bundle;
use kubeprint::apply::{Applier, LiveObjects, Plan, PlanOptions, Wait};
use serde_json::Value;
use std::hint::black_box;
use std::time::Instant;

#[path = "support/synthetic.rs"]
mod synthetic;

#[path = "support/live.rs"]
mod live;

#[path = "support/cluster.rs"]
mod cluster;

const NAMESPACE: &str = "kp-bench-plan";
const APPS: usize = 250;
const LIVE_APPS: usize = 225;
const RETIRED: usize = 10;

/// Reads every ConfigMap, Secret, Service and Deployment of the bench namespace once.
async fn fetch(client: &kube::Client) -> LiveObjects {
    use k8s_openapi::api::{apps::v1::Deployment, core::v1};
    async fn list<K>(client: &kube::Client) -> Vec<Value>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let api: kube::Api<K> = kube::Api::namespaced(client.clone(), NAMESPACE);
        let items = api
            .list(&kube::api::ListParams::default())
            .await
            .expect("list")
            .items;
        items
            .into_iter()
            .map(|o| serde_json::to_value(o).expect("json"))
            .collect()
    }
    let mut live = LiveObjects::new();
    for items in [
        list::<v1::ConfigMap>(client).await,
        list::<v1::Secret>(client).await,
        list::<v1::Service>(client).await,
        list::<Deployment>(client).await,
    ] {
        for item in items {
            live.insert(item).expect("identified");
        }
    }
    live
}

/// Revision 1 applied to the local cluster and read back, or `None` without a cluster.
fn from_cluster(v1: &Bundle) -> Option<LiveObjects> {
    let path = std::env::var_os("KUBEPRINT_TEST_KUBECONFIG").filter(|p| !p.is_empty())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    Some(rt.block_on(async {
        let client = cluster::loopback_client(&path).await;
        let t = Instant::now();
        Applier::new(client.clone())
            .namespace(NAMESPACE)
            .create_namespace(true)
            .wait(Wait::None)
            .apply(v1)
            .await
            .expect("apply revision 1");
        let applied = t.elapsed();
        let t = Instant::now();
        let live = fetch(&client).await;
        println!(
            "live objects: revision 1 applied to the local cluster ({NAMESPACE}) in {applied:.1?}, \
             {} objects read back in {:.1?}",
            live.len(),
            t.elapsed()
        );
        live
    }))
}

fn count(plan: &Plan, word: &str) -> usize {
    plan.with_action(word).len()
}

fn plans(c: &mut Criterion) {
    let v1 = synthetic::plan_bundle(LIVE_APPS, 1, RETIRED).expect("revision 1");
    let v2 = synthetic::plan_bundle(APPS, 2, 0).expect("revision 2");
    let live = from_cluster(&v1).unwrap_or_else(|| {
        println!(
            "live objects: synthesised (KUBEPRINT_TEST_KUBECONFIG is not set; see support/live.rs)"
        );
        live::synthesise(&v1, NAMESPACE)
    });
    let options = PlanOptions::new(NAMESPACE);

    // The plans are what they should be, or the figures mean nothing.
    let changes = Plan::compute(&v2, &live, &options).expect("plan");
    let per_tenth = |k: usize| (0..LIVE_APPS).filter(|i| i % 10 == k).count();
    let changed = per_tenth(1) + per_tenth(2) + per_tenth(3);
    let new = 4 * (APPS - LIVE_APPS);
    assert_eq!(
        (
            count(&changes, "update"),
            count(&changes, "create"),
            count(&changes, "unchanged"),
            count(&changes, "prune")
        ),
        (changed, new, 4 * LIVE_APPS - changed, RETIRED),
        "update, create, unchanged, prune:\n{changes}"
    );
    let noop = Plan::compute(&v1, &live, &options).expect("plan");
    assert!(!noop.has_changes(), "{noop}");
    println!(
        "plan of revision 2: {} objects, {changed} to update, {new} to create, {} unchanged, \
         {RETIRED} to prune; {} lines of diff",
        v2.len(),
        4 * LIVE_APPS - changed,
        changes.to_string().lines().count()
    );

    for (name, bundle) in [("changes", &v2), ("noop", &v1)] {
        let mut g = c.benchmark_group(format!("plan/{name}"));
        g.throughput(Throughput::Elements(bundle.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(bundle.len()), |b| {
            b.iter(|| Plan::compute(black_box(bundle), black_box(&live), &options).expect("plan"))
        });
        g.finish();
    }
}

criterion_group!(benches, plans);
criterion_main!(benches);
