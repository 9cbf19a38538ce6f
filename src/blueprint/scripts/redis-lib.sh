# shellcheck shell=sh
# Helpers shared by the Redis scripts (POSIX sh; sourced, not executed).
#
# Environment (set by the blueprint):
#   REDISCLI_AUTH     the password (from the Secret, via secretKeyRef)
#   POD_NAME          this pod's name (downward API)
#   POD_NAMESPACE     this pod's namespace (downward API)
#   REDIS_HEADLESS    the headless Service that gives every pod a stable DNS name
#   REDIS_STATEFULSET the StatefulSet's name (pods are $REDIS_STATEFULSET-0 ...)
#   REDIS_REPLICAS    number of pods
#   REDIS_PORT        Redis port
#   SENTINEL_PORT     Sentinel port
#   SENTINEL_MASTER   the Sentinel master set name
#   CLUSTER_DOMAIN    optional: appended to DNS names when set (e.g. cluster.local)

log() {
	printf '%s %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

# The stable DNS name of pod $1.
pod_host() {
	if [ -n "${CLUSTER_DOMAIN:-}" ]; then
		printf '%s.%s.%s.svc.%s' "$1" "$REDIS_HEADLESS" "$POD_NAMESPACE" "$CLUSTER_DOMAIN"
	else
		printf '%s.%s.%s.svc' "$1" "$REDIS_HEADLESS" "$POD_NAMESPACE"
	fi
}

# The stable DNS names of the pods, whose Sentinels listen on $SENTINEL_PORT: one a line.
sentinel_hosts() {
	i=0
	while [ "$i" -lt "$REDIS_REPLICAS" ]; do
		pod_host "$REDIS_STATEFULSET-$i"
		echo
		i=$((i + 1))
	done
}

# sentinel_cli HOST ARGS...: redis-cli against the Sentinel of HOST (3 s at most, errors hidden).
sentinel_cli() {
	sentinel_host=$1
	shift
	timeout 3 redis-cli --no-auth-warning -h "$sentinel_host" -p "$SENTINEL_PORT" "$@" 2>/dev/null
}

# The password as a quoted redis.conf / sentinel.conf value: "..." with \ and " escaped.
quoted_password() {
	[ -n "${REDISCLI_AUTH:-}" ] || die "REDISCLI_AUTH is empty"
	case "$REDISCLI_AUTH" in
		*'
'*) die "the password must not contain a newline" ;;
	esac
	escaped=$(printf '%s' "$REDISCLI_AUTH" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
	printf '"%s"' "$escaped"
}

# Asks every Sentinel for the current master of $SENTINEL_MASTER and prints the host of the
# most recent answer. Fails when no Sentinel knows a master.
#
# Sentinels can disagree: one that was down or cut off during a failover still names the old
# master until it hears of the new configuration, and following it would start the old master
# as a second master (writes to one of the two are then lost). Every failover raises the
# master's configuration epoch, so the answer with the highest epoch is the current one; among
# answers of that epoch the host most Sentinels name wins, then the lowest-numbered pod's.
sentinel_master() {
	answers=
	i=0
	while [ "$i" -lt "$REDIS_REPLICAS" ]; do
		host=$(pod_host "$REDIS_STATEFULSET-$i")
		i=$((i + 1))
		# The epoch first, then the address: both only grow newer, so read in this order an
		# address is never older than the epoch it is paired with. (SENTINEL MASTER's own ip
		# field stays the old master's until a failover ends; get-master-addr-by-name already
		# gives the promoted replica, which the leader publishes with the new epoch.)
		master_info=$(timeout 3 redis-cli --no-auth-warning -h "$host" -p "$SENTINEL_PORT" \
			SENTINEL master "$SENTINEL_MASTER" 2>/dev/null) || master_info=
		# No answer at all: unreachable (no need to wait for it twice).
		[ -n "$master_info" ] || continue
		epoch=$(printf '%s\n' "$master_info" | awk 'previous == "config-epoch" { print; exit } { previous = $0 }')
		# An address without a readable epoch still counts, below any epoch: better than
		# falling back to pod 0 while a Sentinel knows the master.
		case "$epoch" in
			'' | *[!0-9]*) epoch=-1 ;;
		esac
		# Output is two lines (host, port); empty when the Sentinel has no such master.
		addr=$(timeout 3 redis-cli --no-auth-warning -h "$host" -p "$SENTINEL_PORT" \
			SENTINEL get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | head -n 1) || addr=
		case "$addr" in
			'' | ERR* | NOAUTH* | WRONGPASS* | *' '*) continue ;;
		esac
		log "sentinel $host reports master $addr (config epoch $epoch)"
		answers="$answers$epoch $addr
"
	done
	[ -n "$answers" ] || return 1
	# Prints: host, epoch, how many of the answers of that epoch name the host, answers.
	read -r pick top votes total <<EOF
$(printf '%s' "$answers" | awk '
	{ epoch[NR] = $1 + 0; host[NR] = $2; if (NR == 1 || $1 + 0 > top) top = $1 + 0 }
	END {
		for (i = 1; i <= NR; i++) if (epoch[i] == top) votes[host[i]]++
		for (i = 1; i <= NR; i++)
			if (epoch[i] == top && votes[host[i]] > most) { most = votes[host[i]]; pick = host[i] }
		printf "%s %s %s %s\n", pick, top, most, NR
	}')
EOF
	log "following master $pick: config epoch $top, named by $votes of the $total sentinels that answered"
	printf '%s' "$pick"
}

# The master to use when no Sentinel knows one: a fresh set starts with pod 0 as master.
initial_master() {
	pod_host "$REDIS_STATEFULSET-0"
}
