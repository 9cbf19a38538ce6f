#!/usr/bin/env bash
# Installs the Debian packages the blueprint script harnesses run against (real redis-server and
# Sentinel, a real MariaDB server, the Prometheus MySQL and Redis exporters, openssl for the TLS
# certificates, curl for the metrics pages, strace for the no-password-on-argv check, shellcheck),
# when any is missing. Needs root (apt-get); CI runs as root.
set -euo pipefail
need=()
for cmd_pkg in redis-server:redis-server redis-sentinel:redis-sentinel mariadbd:mariadb-server \
	mysqladmin:mariadb-client strace:strace shellcheck:shellcheck openssl:openssl curl:curl \
	prometheus-mysqld-exporter:prometheus-mysqld-exporter prometheus-redis-exporter:prometheus-redis-exporter; do
	command -v "${cmd_pkg%%:*}" >/dev/null 2>&1 || need+=("${cmd_pkg#*:}")
done
if ((${#need[@]} == 0)); then
	echo "script harness packages present"
	exit 0
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packages start their services on install; the harnesses run their own servers.
for svc in redis-server redis-sentinel mariadb prometheus-mysqld-exporter prometheus-redis-exporter; do
	service "$svc" stop >/dev/null 2>&1 || true
done
