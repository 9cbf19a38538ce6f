#!/usr/bin/env bash
# Stop the local test cluster started by up.sh: kill only the processes
# recorded in <state>/run/*.pid (verified to belong to this state dir), wait
# for them to exit, then remove the state dir.
#
# Env:
#   KUBEPRINT_CLUSTER_DIR   state dir (default <repo>/target/cluster)
#   KUBEPRINT_CLUSTER_KEEP=1  keep the state dir (logs) after stopping
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

state=$(cluster_state_dir)
if [[ ! -d ${state} ]]; then
	echo "[down] no cluster state at ${state}; nothing to do" >&2
	exit 0
fi
state=$(cd "${state}" && pwd -P)
if [[ ! -f ${state}/.kubeprint-cluster ]]; then
	echo "[down] ${state} is not a kubeprint cluster dir; leaving it alone" >&2
	exit 1
fi
if [[ -e ${state}/node ]]; then
	# The real node first: its kubelet needs the apiserver to delete its Node, and the state
	# dir may only go once nothing is mounted below it.
	"$(dirname "${BASH_SOURCE[0]}")/node-down.sh" "${state}/node" ||
		{ echo "[down] the real node was not removed cleanly; ${state} kept" >&2; cluster_stop_all "${state}"; exit 1; }
fi
cluster_stop_all "${state}"
if [[ ${KUBEPRINT_CLUSTER_KEEP:-0} == 1 ]]; then
	echo "[down] stopped; state kept in ${state}" >&2
else
	rm -rf "${state}"
	echo "[down] stopped and removed ${state}" >&2
fi
