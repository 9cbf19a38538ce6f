# shellcheck shell=bash
# Shared settings and helpers of the real test node (node-up.sh, node-down.sh). Source it.
#
# One real node per host: the bridge, the node IP, the kubelet's ports, its
# device-plugin socket and the cgroup root below are fixed host-wide. Whoever holds
# ${node_lock_dir} (its "owner" file names the node state dir) owns them.

# shellcheck disable=SC2034 # used by the scripts that source this file
node_bridge=kubeprint0              # our bridge; the node IP lives on it
node_ip=10.88.0.1
node_pod_cidr=10.88.0.0/24           # pods on the real node
node_svc_cidr=10.96.0.0/16           # up.sh --service-cluster-ip-range
node_dns_ip=10.96.0.10               # Service kube-system/kube-dns -> CoreDNS on ${node_ip}:53
node_name=kubeprint-real-node
node_taint_key=kubeprint.dev/real-node
node_cgroup_root=/kubeprint-real-node
node_nft_table=kubeprint_real_node   # table inet kubeprint_real_node: the guard
node_lock_dir=/run/kubeprint-real-node
node_storage_class=kubeprint-real-node
node_volume_count=24

node_log() { printf '[%s] %s\n' "${node_me:-node}" "$*" >&2; }
node_die() { printf '[%s] ERROR: %s\n' "${node_me:-node}" "$*" >&2; exit 1; }

# Is pid alive and does its command line name the node state dir?
node_pid_is_ours() { # node_state pid
	local cmdline
	[[ $2 =~ ^[0-9]+$ && -r /proc/$2/cmdline ]] || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$2/cmdline") || return 1
	[[ ${cmdline} == *"$1/"* ]]
}

# Stop the process in <node_state>/run/NAME.pid: TERM, up to 15 s, then KILL.
node_stop() { # node_state name
	local pidfile=$1/run/$2.pid pid i
	[[ -f ${pidfile} ]] || return 0
	pid=$(<"${pidfile}")
	if node_pid_is_ours "$1" "${pid}"; then
		kill -TERM "${pid}" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			node_pid_is_ours "$1" "${pid}" || break
			sleep 0.1
		done
		if node_pid_is_ours "$1" "${pid}"; then
			node_log "$2 (pid ${pid}) ignored SIGTERM for 15s; sending SIGKILL"
			kill -KILL "${pid}" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				node_pid_is_ours "$1" "${pid}" || break
				sleep 0.1
			done
		fi
	fi
	rm -f "${pidfile}"
}

# Mount points at or below dir, deepest first.
node_mounts_under() { # dir
	awk -v d="$1" '{ gsub(/\\040/, " ", $2) } $2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}
