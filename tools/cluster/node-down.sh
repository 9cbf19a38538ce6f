#!/usr/bin/env bash
# Remove the real test node that node-up.sh started, and only what it made: the Node object
# (when the control plane still answers), every pod sandbox (through CRI), CoreDNS,
# kube-proxy and its nft tables, the kubelet, containerd and its shims, the mounts under the
# node state dir, the bridge and its veths, the service route, the guard table, the cgroups,
# the kubelet's host paths it created, and the state dir. Every process is ended by the pid
# recorded for it (or, for shims and stray container processes, by the pid found in the
# node's own cgroups or naming its own socket) - never by name.
#
# Usage: node-down.sh [NODE_STATE_DIR]   (default: <KUBEPRINT_CLUSTER_DIR>/node)
# Safe to run when nothing is up, and more than once. down.sh runs it first.
set -uo pipefail
node_me="node-down"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${here}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=node-lib.sh
. "${here}/node-lib.sh"

node=${1:-$(cluster_state_dir)/node}
[[ -d ${node} ]] && node=$(cd "${node}" && pwd -P)
owner=
[[ -f ${node_lock_dir}/owner ]] && owner=$(<"${node_lock_dir}/owner")
if [[ ! -f ${node}/.kubeprint-real-node ]]; then
	if [[ -e ${node} ]]; then
		node_log "${node} is not a real-node state dir; leaving it alone"
		exit 1
	fi
	# Nothing of ours here; host-wide leftovers are cleaned only by their owner's run.
	[[ ${owner} == "${node}" ]] || exit 0
fi
[[ $(id -u) == 0 ]] || node_die "removing the real node needs root"
sock=${node}/containerd/containerd.sock
cluster=$(dirname "${node}")
bin=$(sed -n 's/^bin=//p' "${node}/info" 2>/dev/null)
if [[ -z ${bin} ]]; then
	bin=$(sed -n "s/^\(\s*\)BinaryName = '\(.*\)\/runc'$/\2/p" "${node}/containerd/config.toml" 2>/dev/null)
fi
failures=0
fail() { node_log "$*"; failures=$((failures + 1)); }

# The Node object, so the scheduler stops placing pods on it.
if [[ -f ${cluster}/env && -f ${cluster}/kubeconfig ]]; then
	kubectl=$(sed -n "s/^export KUBEPRINT_CLUSTER_BIN='\(.*\)'$/\1/p" "${cluster}/env")/kubectl
	[[ -x ${kubectl} ]] && "${kubectl}" --kubeconfig "${cluster}/kubeconfig" --request-timeout=5s \
		delete node "${node_name}" --wait=false >/dev/null 2>&1
fi

node_stop "${node}" coredns
node_stop "${node}" kube-proxy
nft delete table ip kube-proxy 2>/dev/null
nft delete table ip6 kube-proxy 2>/dev/null
node_stop "${node}" kubelet

# Every pod sandbox through CRI while containerd runs: stops the containers, runs the CNI
# DEL (veths, IPAM) and lets the shims exit.
if [[ -S ${sock} && -x ${bin}/crictl && -f ${node}/run/containerd.pid ]] &&
	node_pid_is_ours "${node}" "$(<"${node}/run/containerd.pid")"; then
	"${bin}/crictl" --runtime-endpoint "unix://${sock}" --timeout 60s rmp -fa >/dev/null 2>&1 ||
		fail "crictl rmp -fa failed"
fi
# Processes left in our cgroups (containers whose shim died), then shims naming our socket.
for round in 1 2; do
	for procs in /sys/fs/cgroup/*"${node_cgroup_root}"/ /sys/fs/cgroup/unified"${node_cgroup_root}"/; do
		[[ -d ${procs} ]] || continue
		while read -r pid; do
			[[ -n ${pid} ]] || continue
			node_log "ending pid ${pid} left in ${procs} (round ${round})"
			kill -KILL "${pid}" 2>/dev/null
		done < <(find "${procs}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
	done
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"${p}/cmdline") || continue
		[[ ${cmd} == *containerd-shim-runc-v2* && ${cmd} == *"${sock}"* ]] || continue
		node_log "ending leftover shim ${p#/proc/}"
		kill -KILL "${p#/proc/}" 2>/dev/null
	done
	sleep 0.5
done
node_stop "${node}" containerd
# containerd keeps shim sockets under /run/containerd whatever its state dir: drop the
# directories if they are empty (another containerd's would not be).
[[ -d /run/containerd ]] && find /run/containerd -depth -type d -empty -delete 2>/dev/null

# Mounts under the state dir (rootfs overlays, shm, netns, secret/configMap tmpfs), deepest first.
while read -r m; do
	[[ -n ${m} ]] || continue
	umount "${m}" 2>/dev/null || umount -l "${m}" 2>/dev/null || fail "umount ${m} failed"
done < <(node_mounts_under "${node}")

# Network: only the bridge we created, its veths, our route, our guard table.
if ip link show "${node_bridge}" >/dev/null 2>&1 && [[ -f ${node}/run/bridge-created || ${owner} == "${node}" ]]; then
	while read -r veth; do
		[[ -n ${veth} ]] && ip link del "${veth}" 2>/dev/null
	done < <(ip -o link show master "${node_bridge}" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
	ip route del "${node_svc_cidr}" dev "${node_bridge}" 2>/dev/null
	ip link del "${node_bridge}" || fail "could not delete bridge ${node_bridge}"
fi
# What the guard table had to drop: 0 means nothing ever tried to leave the host's networks.
if guard=$(nft list table inet "${node_nft_table}" 2>/dev/null); then
	dropped=$(awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }' <<<"${guard}")
	node_log "guard table: ${dropped} packet(s) dropped"
	((dropped == 0)) || grep 'counter packets [1-9]' <<<"${guard}" >&2
	nft delete table inet "${node_nft_table}" 2>/dev/null
fi

# Our cgroups, deepest first (each is empty by now).
for c in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	d=${c%/}${node_cgroup_root}
	[[ -d ${d} ]] || continue
	find "${d}" -depth -type d -exec rmdir {} \; 2>/dev/null
	[[ -d ${d} ]] && fail "cgroup ${d} could not be removed"
done

# The kubelet's links into our pod logs, its device-plugin socket, and the host dirs
# node-up created (only if empty).
for l in /var/log/containers/*.log; do
	[[ -L ${l} && $(readlink "${l}") == "${node}/"* ]] && rm -f "${l}"
done
rm -f /var/lib/kubelet/device-plugins/kubelet.sock
if [[ -f ${node}/run/created-host-dirs ]]; then
	while read -r d; do
		[[ -d ${d} ]] && find "${d}" -depth -type d -empty -delete 2>/dev/null
		[[ -d ${d} ]] && node_log "${d} is not empty; left in place"
	done < <(sort -r "${node}/run/created-host-dirs")
fi

if [[ -n $(node_mounts_under "${node}") ]]; then
	node_die "mounts remain under ${node}; not removing it"
fi
if ((failures == 0)); then
	[[ -d ${node} ]] && rm -rf "${node}"
	[[ ${owner} == "${node}" ]] && rm -rf "${node_lock_dir}"
	node_log "real node removed"
else
	node_die "${failures} step(s) failed; ${node} kept for inspection"
fi
