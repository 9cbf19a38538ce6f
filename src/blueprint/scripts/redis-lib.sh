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

# Asks every Sentinel (including a possibly stale local one) for the current master of
# $SENTINEL_MASTER and prints its host. Fails when no Sentinel knows a master.
sentinel_master() {
	i=0
	while [ "$i" -lt "$REDIS_REPLICAS" ]; do
		host=$(pod_host "$REDIS_STATEFULSET-$i")
		# Output is two lines (host, port); empty when the Sentinel has no such master.
		answer=$(timeout 3 redis-cli --no-auth-warning -h "$host" -p "$SENTINEL_PORT" \
			SENTINEL get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | head -n 1) || answer=
		case "$answer" in
			'' | ERR* | NOAUTH* | WRONGPASS* | *' '*) ;;
			*)
				log "sentinel $host reports master $answer"
				printf '%s' "$answer"
				return 0
				;;
		esac
		i=$((i + 1))
	done
	return 1
}

# The master to use when no Sentinel knows one: a fresh set starts with pod 0 as master.
initial_master() {
	pod_host "$REDIS_STATEFULSET-0"
}
