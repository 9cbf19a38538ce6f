#!/usr/bin/env bash
# The whole test suite — offline tests, doctests, examples, schema validation and the tests that
# run against a real local control plane. This is the README's test command; .ci/run runs it.
#
# Cluster tests never skip: they fail when the cluster is missing. To run only the offline tests:
#   cargo test --all-features -- --skip cluster_
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Incremental compilation pays off while editing, not in a whole-suite run, where it only costs
# disk (about a third of target/). Set CARGO_INCREMENTAL=1 to keep it.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
free_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if (( free_kib < 8 * 1024 * 1024 )); then
  printf 'warning: only %s MiB free on %s; a clean run needs about 6 GiB\n' \
    "$(( free_kib / 1024 ))" "$(df -P . | awk 'NR == 2 { print $6 }')" >&2
fi

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --all-features -- -D warnings
cargo clippy --no-default-features --lib --features k8s-openapi/latest -- -D warnings   # render-only users: no kube/tokio
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features cli,k8s-openapi/latest

step "control plane binaries (built once from the Go module proxy, then cached)"
tools/cluster/build.sh

step "schema validator (kubernetes-validate in a virtualenv)"
tools/schema/setup.sh

step "vendor CRDs the cluster tests install (the Prometheus Operator's ServiceMonitor, from the Go module proxy)"
KUBEPRINT_SERVICEMONITOR_CRD="$(tools/cluster/crds.sh | tail -n1)/servicemonitors.yaml"
export KUBEPRINT_SERVICEMONITOR_CRD

step "packages the blueprint script harnesses run against (Debian)"
tools/script-deps.sh

step "the real node: packages, binaries (Go module proxy, the control plane's GOCACHE) and images (Debian packages; parse-server and Ghost from the npm registry)"
tools/cluster/node-deps.sh
node_bin=$(tools/cluster/node-build.sh | tail -n1)
tools/cluster/node-images.sh "${node_bin}" >/dev/null
# up.sh joins the real node next to the kwok nodes (tests/cluster_realnode.rs runs pods on it).
export KUBEPRINT_REAL_NODE="${KUBEPRINT_REAL_NODE:-1}"

export KUBEPRINT_CLUSTER_DIR="${KUBEPRINT_CLUSTER_DIR:-$PWD/target/cluster-test}"
step "starting the local control plane in $KUBEPRINT_CLUSTER_DIR"
tools/cluster/up.sh
trap 'tools/cluster/down.sh' EXIT
# shellcheck disable=SC1091
source "$KUBEPRINT_CLUSTER_DIR/env"

step "cluster smoke tests"
tools/cluster/smoke.sh

step "cargo test (offline, cluster, examples, doctests)"
cargo test --all-features --all-targets
cargo test --all-features --doc

step "blueprint scripts: Redis and Sentinel, the MySQL probe against a real MariaDB, and shellcheck"
cargo test --all-features --test blueprint_scripts -- --ignored
