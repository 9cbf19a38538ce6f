#!/bin/sh
# Starts redis-server. The ConfigMap's redis.conf is read-only; the runtime file written here
# (in an emptyDir) includes it and adds what must not live in a ConfigMap (the password) or
# depends on the moment (the master to replicate from). Regenerated on every container start.
#
# Modules: the official redis:8 image's entrypoint loads the modules it bundles (Bloom, Search,
# JSON, TimeSeries) only when it starts redis-server itself; this script replaces that command,
# so with REDIS_MODULES=bundled it writes a loadmodule line for each of them found in
# REDIS_MODULES_DIR (default /usr/local/lib/redis/modules); REDIS_MODULES=none loads nothing.
#
# TLS: with REDIS_TLS=required the server listens with TLS only, on REDIS_PORT (`tls-port`,
# `port 0`); with REDIS_TLS=optional plain on REDIS_PORT and TLS on REDIS_TLS_PORT. Certificate
# and key are REDIS_TLS_DIR/tls.crt and tls.key, the CA REDIS_TLS_DIR/ca.crt when present.
# Clients authenticate with the password, not certificates (`tls-auth-clients no`).
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
modules=${REDIS_MODULES:-none}
modules_dir=${REDIS_MODULES_DIR:-/usr/local/lib/redis/modules}

{
	echo "# Written by redis-start.sh at container start; do not edit."
	echo "include $base_conf"
	case "${REDIS_TLS:-}" in
		'') echo "port $REDIS_PORT" ;;
		required | optional)
			tls_dir=${REDIS_TLS_DIR:-/etc/kubeprint-tls}
			if [ "$REDIS_TLS" = required ]; then
				echo "port 0"
				echo "tls-port $REDIS_PORT"
			else
				echo "port $REDIS_PORT"
				echo "tls-port ${REDIS_TLS_PORT:?REDIS_TLS_PORT is not set}"
			fi
			echo "tls-cert-file $tls_dir/tls.crt"
			echo "tls-key-file $tls_dir/tls.key"
			if [ -f "$tls_dir/ca.crt" ]; then echo "tls-ca-cert-file $tls_dir/ca.crt"; fi
			echo "tls-auth-clients no"
			;;
		*) die "unknown REDIS_TLS $REDIS_TLS (required or optional)" ;;
	esac
	printf '%s\n' "requirepass $password"
	printf '%s\n' "masterauth $password"
} >"$conf.tmp"

case "$modules" in
	none) ;;
	bundled)
		loaded=
		for module in redisbloom redisearch rejson redistimeseries; do
			if [ -f "$modules_dir/$module.so" ]; then
				echo "loadmodule $modules_dir/$module.so" >>"$conf.tmp"
				loaded="$loaded $module"
			fi
		done
		if [ -n "$loaded" ]; then
			log "loading the image's modules:$loaded"
		else
			log "no bundled modules in $modules_dir (an image without them): loading none"
		fi
		;;
	*) die "unknown REDIS_MODULES $modules (bundled or none)" ;;
esac

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
