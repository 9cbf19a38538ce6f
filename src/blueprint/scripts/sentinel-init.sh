#!/bin/sh
# Init container: writes Sentinel's configuration into a writable emptyDir (Sentinel rewrites
# its own file at runtime, which a ConfigMap mount forbids).
#
# An existing file is kept: it is Sentinel's own, more recent state (the pod's emptyDir
# survives container restarts). Otherwise the master to monitor is asked of the other
# Sentinels; pod 0 is assumed only for a brand-new set that no Sentinel knows yet.
set -eu
# shellcheck source=redis-lib.sh
. "$(dirname "$0")/redis-lib.sh"

run_dir=${SENTINEL_RUN_DIR:-/run/sentinel}
conf="$run_dir/sentinel.conf"
quorum=${SENTINEL_QUORUM:?SENTINEL_QUORUM is not set}
down_after=${SENTINEL_DOWN_AFTER_MS:-10000}
failover_timeout=${SENTINEL_FAILOVER_TIMEOUT_MS:-60000}

if [ -s "$conf" ]; then
	log "keeping existing $conf"
	exit 0
fi

me=$(pod_host "$POD_NAME")
password=$(quoted_password)
if ! master=$(sentinel_master); then
	master=$(initial_master)
	log "no sentinel knows a master yet: monitoring $master"
fi

{
	echo "# Written by sentinel-init.sh; Sentinel rewrites this file at runtime."
	echo "port $SENTINEL_PORT"
	echo "dir $run_dir"
	echo "sentinel resolve-hostnames yes"
	echo "sentinel announce-hostnames yes"
	echo "sentinel announce-ip $me"
	echo "sentinel announce-port $SENTINEL_PORT"
	printf '%s\n' "requirepass $password"
	printf '%s\n' "sentinel sentinel-pass $password"
	echo "sentinel monitor $SENTINEL_MASTER $master $REDIS_PORT $quorum"
	printf '%s\n' "sentinel auth-pass $SENTINEL_MASTER $password"
	echo "sentinel down-after-milliseconds $SENTINEL_MASTER $down_after"
	echo "sentinel failover-timeout $SENTINEL_MASTER $failover_timeout"
	echo "sentinel parallel-syncs $SENTINEL_MASTER 1"
} >"$conf.tmp"
chmod 0600 "$conf.tmp"
mv "$conf.tmp" "$conf"
log "wrote $conf"
