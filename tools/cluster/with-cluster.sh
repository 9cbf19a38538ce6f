#!/usr/bin/env bash
# Run a command against a fresh throw-away cluster, then stop it:
#   tools/cluster/with-cluster.sh cargo test --test e2e
#   tools/cluster/with-cluster.sh tools/cluster/smoke.sh
# The command sees KUBEPRINT_TEST_KUBECONFIG, KUBECONFIG, KUBEPRINT_CLUSTER_DIR
# and our kubectl first on PATH. Exits with the command's status. The state
# dir is a fresh temp dir unless KUBEPRINT_CLUSTER_DIR is set.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# > 0)) || { echo "usage: $0 command [args...]" >&2; exit 2; }
if [[ -z ${KUBEPRINT_CLUSTER_DIR:-} ]]; then
	KUBEPRINT_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kubeprint-cluster.XXXXXX")
fi
export KUBEPRINT_CLUSTER_DIR

# shellcheck disable=SC2317 # invoked by the EXIT trap
stop() { "${here}/down.sh" || true; }
trap stop EXIT
"${here}/up.sh" >/dev/null
# shellcheck disable=SC1091
. "${KUBEPRINT_CLUSTER_DIR}/env"
set +e
"$@"
rc=$?
set -e
exit "${rc}"
