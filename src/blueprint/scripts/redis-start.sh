#!/bin/sh
# Starts redis-server. The ConfigMap's redis.conf is read-only; the runtime file written here
# (in an emptyDir) includes it and adds what must not live in a ConfigMap (the password) or
# depends on the moment (the master to replicate from). Regenerated on every container start.
#
# Mode "standalone": a single server.
# Mode "sentinel": every start asks the Sentinels who the master is now (the answer with the
# highest configuration epoch, see sentinel_master), instead of assuming pod 0; only when no
# Sentinel knows a master (a brand-new set) does pod 0 become it.
set -eu
# shellcheck source=redis-lib.sh
. "$(dirname "$0")/redis-lib.sh"

mode=${1:?usage: redis-start.sh standalone|sentinel}
run_dir=${REDIS_RUN_DIR:-/run/redis}
base_conf=${REDIS_BASE_CONF:-/etc/redis/redis.conf}
conf="$run_dir/redis.conf"
password=$(quoted_password)

{
	echo "# Written by redis-start.sh at container start; do not edit."
	echo "include $base_conf"
	echo "port $REDIS_PORT"
	printf '%s\n' "requirepass $password"
	printf '%s\n' "masterauth $password"
} >"$conf.tmp"

case "$mode" in
	standalone) ;;
	sentinel)
		me=$(pod_host "$POD_NAME")
		if ! master=$(sentinel_master); then
			master=$(initial_master)
			log "no sentinel knows a master yet: starting with $master"
		fi
		{
			echo "replica-announce-ip $me"
			echo "replica-announce-port $REDIS_PORT"
			if [ "$master" = "$me" ]; then
				log "starting as master"
			else
				log "starting as replica of $master"
				echo "replicaof $master $REDIS_PORT"
			fi
		} >>"$conf.tmp"
		;;
	*) die "unknown mode $mode" ;;
esac

chmod 0600 "$conf.tmp"
mv "$conf.tmp" "$conf"
# Files Redis writes (CONFIG REWRITE, AOF, RDB) stay private too.
umask 077
exec redis-server "$conf"
