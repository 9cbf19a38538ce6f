#!/bin/bash
# Runs the Redis blueprint's TLS set-up against a real redis-server: the start script with
# REDIS_TLS (as the blueprint sets it), certificates made here by openssl the way a
# `kubernetes.io/tls` Secret holds them (tls.crt, tls.key, ca.crt; the certificate names the
# Services, not 127.0.0.1 or localhost).
#
# Checks, TLS only (REDIS_TLS=required): the port refuses plaintext and serves TLS verified
# with the CA; a client trusting another CA is refused; the probe script with the blueprint's
# REDIS_TLS_ARGS passes (and fails without); the backup job copies a snapshot over TLS and the
# restore, run in the server's "pod", brings the keys back; redis_exporter with the sidecar's
# variables (rediss://localhost, skip verification) reports redis_up 1 (with verification it
# cannot: the certificate does not name localhost). TLS allowed with plaintext
# (REDIS_TLS=optional): plaintext on the port, TLS on the TLS port. An unknown value stops the
# start script.
#
# Needs: redis-server and redis-cli built with TLS (Debian's are), openssl,
# prometheus-redis-exporter, curl. No root.
# Usage: bash tests/scripts/redis-tls.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

# A CA, a server certificate for the Services it signs, and another CA nobody trusts.
tls=$work/tls
tls_secret "$tls" cache
mkdir -p "$work/other"
tls_ca "$work/other/ca.key" "$work/other/ca.crt" other-ca
chmod 0640 "$tls/tls.key"

export REDISCLI_AUTH='tls "pw" x'
# What the blueprint puts in REDIS_TLS_ARGS with a CA key.
tls_args="--tls --cacert $tls/ca.crt"

# start NAME TLS_MODE PORT [TLS_PORT]: redis-start.sh standalone as the container runs it.
start() {
	local name=$1 mode=$2 p=$3 tp=${4:-}
	mkdir -p "$work/$name/run" "$work/$name/data"
	printf 'bind 127.0.0.1\ndir %s\nappendonly yes\nappendfsync everysec\n' "$work/$name/data" >"$work/$name/redis.conf"
	redis_standalone "$work/$name/log" REDIS_PORT="$p" REDIS_TLS="$mode" REDIS_TLS_DIR="$tls" REDIS_TLS_PORT="$tp" \
		REDIS_RUN_DIR="$work/$name/run" REDIS_BASE_CONF="$work/$name/redis.conf" REDIS_MODULES=none
}

port=$(free_port)
start only required "$port"
# shellcheck disable=SC2086 # a list of options
wait_for 10 redis_up "$port" $tls_args || { cat "$work/only/log" >&2; exit 1; }
# shellcheck disable=SC2086
check "TLS only: the port answers TLS verified with the CA" test "$(redis_ping "$port" $tls_args)" = PONG
check "... and refuses plaintext" test "$(redis_ping "$port")" != PONG
check "... and a client trusting another CA is refused" test "$(redis_ping "$port" --tls --cacert "$work/other/ca.crt")" != PONG
check "... the runtime file has port 0 and the TLS port" sh -c "grep -qx 'port 0' '$work/only/run/redis.conf' && grep -qx 'tls-port $port' '$work/only/run/redis.conf'"
check "the probe with the blueprint's REDIS_TLS_ARGS passes" env REDIS_TLS_ARGS="$tls_args" sh "$scripts/redis-probe.sh" "$port" ready
check "... and fails without them" sh -c "! sh '$scripts/redis-probe.sh' $port ready >/dev/null"

# shellcheck disable=SC2086
redis-cli --no-auth-warning $tls_args -p "$port" MSET k1 v1 k2 v2 k3 v3 >/dev/null
mkdir -p "$work/backup"
check "the backup job copies a snapshot over TLS" env REDIS_HOST=127.0.0.1 REDIS_PORT="$port" REDIS_TLS_ARGS="$tls_args" \
	BACKUP_DIR="$work/backup" BACKUP_PREFIX=cache sh "$scripts/redis-backup.sh" backup 2>>"$work/backup.log"
snapshot=$(find "$work/backup" -name 'cache-*.rdb' | head -n 1)
check "... an RDB file" test "$(head -c 5 "$snapshot")" = REDIS
# shellcheck disable=SC2086
redis-cli --no-auth-warning $tls_args -p "$port" FLUSHALL >/dev/null
check "the restore in the server's pod (TLS only) succeeds" env REDIS_PORT="$port" REDIS_TLS_ARGS="$tls_args" \
	REDIS_RUN_DIR="$work/only/run" REDIS_DATA_DIR="$work/only/data" REDIS_RESTORE_PORT="$(free_port)" \
	sh "$scripts/redis-backup.sh" restore "$snapshot" 2>>"$work/restore.log"
# shellcheck disable=SC2086
check "... bringing the keys back" test "$(redis-cli --no-auth-warning $tls_args -p "$port" DBSIZE)" = 3
# shellcheck disable=SC2086
check "... and the port still TLS only" sh -c "[ \"\$(redis-cli --no-auth-warning $tls_args -p $port CONFIG GET port | sed -n 2p)\" = 0 ]"

if command -v prometheus-redis-exporter >/dev/null; then
	scrape() { curl -fsS --max-time 10 "http://127.0.0.1:$1/metrics" 2>/dev/null || true; }
	exporter() { # exporter PORT ENV...: the sidecar's variables
		local p=$1
		shift
		env REDIS_ADDR="rediss://localhost:$port" REDIS_PASSWORD="$REDISCLI_AUTH" "$@" \
			prometheus-redis-exporter --web.listen-address="127.0.0.1:$p" >>"$work/exporter.log" 2>&1 &
		kill_on_exit $!
		wait_for 10 http_up "$p" /health || sed 's/^/# /' "$work/exporter.log"
	}
	m1=$(free_port)
	exporter "$m1" REDIS_EXPORTER_SKIP_TLS_VERIFICATION=true
	check "redis_exporter with the sidecar's TLS variables: redis_up 1" grep -qx 'redis_up 1' <<<"$(scrape "$m1")"
	m2=$(free_port)
	exporter "$m2" REDIS_EXPORTER_TLS_CA_CERT_FILE="$tls/ca.crt"
	check "... with verification it cannot (the certificate does not name localhost)" grep -qx 'redis_up 0' <<<"$(scrape "$m2")"
else
	echo "# prometheus-redis-exporter not found: exporter checks skipped"
fi

plain_port=$(free_port)
tls_port=$(free_port)
start both optional "$plain_port" "$tls_port"
wait_for 10 redis_up "$plain_port" || { cat "$work/both/log" >&2; exit 1; }
check "plaintext allowed: plaintext on the port" test "$(redis_ping "$plain_port")" = PONG
# shellcheck disable=SC2086
check "... and TLS on the TLS port" test "$(redis_ping "$tls_port" $tls_args)" = PONG
check "... which refuses plaintext" test "$(redis_ping "$tls_port")" != PONG

mkdir -p "$work/bad/run"
check "an unknown REDIS_TLS value stops the start script" sh -c "! REDIS_PORT=1 REDIS_TLS=yes REDIS_RUN_DIR='$work/bad/run' sh '$scripts/redis-start.sh' standalone 2>'$work/bad/log' && grep -q 'unknown REDIS_TLS yes' '$work/bad/log'"

harness_done
