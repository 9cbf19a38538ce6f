# shellcheck shell=bash
# Shared helpers for up.sh, down.sh and smoke.sh. Source it; do not run it.

cluster_tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cluster_repo_root=$(cd "${cluster_tools_dir}/../.." && pwd)

# State directory of a cluster: certs, kubeconfigs, logs, pid files, etcd data.
cluster_state_dir() {
	local d=${KUBEPRINT_CLUSTER_DIR:-${cluster_repo_root}/target/cluster}
	case ${d} in
	/*) ;;
	*) d="${PWD}/${d}" ;;
	esac
	printf '%s\n' "${d%/}"
}

# Components in start order; stopped in reverse.
cluster_components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# Is pid (from pid file) alive and one of ours (its command line names our
# state dir)? Guards against stale pid files whose pid was reused.
cluster_pid_is_ours() { # state pid
	local state=$1 pid=$2 cmdline
	[[ ${pid} =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/${pid}/cmdline ]] || return 1
	# stderr first: the process may exit between the test above and the read.
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/${pid}/cmdline") || return 1
	[[ ${cmdline} == *"${state}/"* ]]
}

# Stop every component with a pid file in state, newest first; wait for exit.
cluster_stop_all() { # state
	local state=$1 c pidfile pid i
	local -a order=()
	for ((i = ${#cluster_components[@]} - 1; i >= 0; i--)); do
		order+=("${cluster_components[i]}")
	done
	for c in "${order[@]}"; do
		pidfile="${state}/run/${c}.pid"
		[[ -f ${pidfile} ]] || continue
		pid=$(<"${pidfile}")
		if cluster_pid_is_ours "${state}" "${pid}"; then
			kill -TERM "${pid}" 2>/dev/null || true
			for ((i = 0; i < 150; i++)); do
				cluster_pid_is_ours "${state}" "${pid}" || break
				sleep 0.1
			done
			if cluster_pid_is_ours "${state}" "${pid}"; then
				echo "[cluster] ${c} (pid ${pid}) ignored SIGTERM for 15s; sending SIGKILL" >&2
				kill -KILL "${pid}" 2>/dev/null || true
				for ((i = 0; i < 50; i++)); do
					cluster_pid_is_ours "${state}" "${pid}" || break
					sleep 0.1
				done
			fi
		fi
		rm -f "${pidfile}"
	done
}
