#!/bin/sh
# Probe: `redis-cli ping` on the local port, authenticated through REDISCLI_AUTH (never argv).
#   redis-probe.sh PORT ready   succeeds on PONG only
#   redis-probe.sh PORT alive   also accepts LOADING / MASTERDOWN: the process is alive and
#                               busy; restarting it would only lose the work in progress
set -u
port=${1:?usage: redis-probe.sh PORT ready|alive}
kind=${2:?usage: redis-probe.sh PORT ready|alive}

# REDIS_TLS_ARGS: redis-cli's TLS options when the port speaks TLS only (e.g. --tls --cacert ...).
# shellcheck disable=SC2086 # a list of options
reply=$(timeout 4 redis-cli --no-auth-warning ${REDIS_TLS_ARGS:-} -h "${REDIS_PROBE_HOST:-127.0.0.1}" -p "$port" ping 2>&1) || true
case "$kind:$reply" in
	*:PONG) exit 0 ;;
	alive:LOADING* | alive:MASTERDOWN*) exit 0 ;;
esac
echo "redis on port $port answered: $reply"
exit 1
