#!/bin/bash
# Runs the blueprints' metrics exporters against real servers: the MySQL blueprint's monitoring
# account script against MariaDB, then mysqld_exporter logging in with that account; and
# redis_exporter configured as the Redis blueprint's sidecar is (REDIS_ADDR, REDIS_PASSWORD)
# against a redis-server started by the blueprint's start script.
#
# Checks: the account script creates `exporter`@`127.0.0.1` with PROCESS, REPLICATION CLIENT
# and SELECT on performance_schema only (it reads no application table, changes nothing), is
# idempotent and takes a new password on a second run, keeps passwords with quotes and
# backslashes intact and off every command line (strace); mysqld_exporter with it reports
# `mysql_up 1` and every default collector succeeding, and answers on `/` (the sidecar's
# probes); redis_exporter reports `redis_up 1`, the server's keys, and answers `/health` (its
# probes), and `redis_up 0` with a wrong password.
#
# Debian ships older exporters than the blueprints' images (mysqld_exporter 0.14 reads its login
# from DATA_SOURCE_NAME, the image's 0.17 from --mysqld.username and MYSQLD_EXPORTER_PASSWORD;
# redis_exporter 1.45 vs 1.78, same variables): the account's privileges and the Redis
# variables are what is tested here, the image's flags are rendered only.
#
# Needs: mariadbd, mysql_install_db, mysql, prometheus-mysqld-exporter, redis-server, redis-cli,
# prometheus-redis-exporter, curl; strace for the argv check. Root or not.
# Usage: bash tests/scripts/exporters.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

# scrape PORT PATH: the page, or nothing.
scrape() { curl -fsS --max-time 10 "http://127.0.0.1:$1$2" 2>/dev/null || true; }

# --- MySQL ------------------------------------------------------------------------------------
mysql_env "$work"
port=$(free_port)
mysql_init_db
# skip-name-resolve as the blueprint's kubeprint.cnf sets it: accounts match by address.
mysql_start --no-defaults --bind-address=127.0.0.1 --port="$port" --skip-name-resolve

# The root password as the image's entrypoint sets it, from the Secret.
root_password='r00t "pw" \ '\''q'
sql_root=${root_password//\\/\\\\}
sql_root=${sql_root//\'/\\\'}
mysql --no-defaults --socket="$MYSQL_UNIX_PORT" -uroot -e "ALTER USER root@localhost IDENTIFIED BY '$sql_root';
	CREATE DATABASE app; CREATE TABLE app.secrets (v TEXT); INSERT INTO app.secrets VALUES ('private');"
printf '%s' "$root_password" >"$work/root-password"
printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$(printf '%s' "$root_password" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" "$MYSQL_UNIX_PORT" >"$work/root.cnf"
root() { mysql --defaults-file="$work/root.cnf" --batch --skip-column-names "$@"; }
# The blueprint generates an alphanumeric password; a second run brings one with quotes.
exporter_password=$(openssl rand -hex 16)
printf '%s' "$exporter_password" >"$work/exporter-password"
account() {
	MYSQL_ROOT_PASSWORD_FILE=$work/root-password MYSQL_EXPORTER_PASSWORD_FILE=$work/$1 \
		bash "$scripts/mysql-exporter-user.sh" 2>>"$work/account.log"
}
as_exporter() { # as_exporter PASSWORD_FILE SQL
	printf '[client]\nuser=exporter\npassword="%s"\nhost=127.0.0.1\nport=%s\nprotocol=tcp\n' \
		"$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' "$work/$1")" "$port" >"$work/exporter.cnf"
	mysql --defaults-file="$work/exporter.cnf" --batch --skip-column-names -e "$2"
}

check "the account script succeeds" account exporter-password
grants=$(root -e "SHOW GRANTS FOR 'exporter'@'127.0.0.1'")
# The privileges on *.*, sorted: MySQL's names, or MariaDB's (BINLOG MONITOR is its REPLICATION
# CLIENT; SLAVE MONITOR took SHOW REPLICA STATUS over from it).
global=$(printf '%s\n' "$grants" | sed -n 's/^GRANT \(.*\) ON \*\.\* TO .*/\1/p' | sed 's/, /\n/g' | sort | tr '\n' ,)
check "... granting PROCESS and REPLICATION CLIENT on *.* (got $global)" sh -c "[ '$global' = 'PROCESS,REPLICATION CLIENT,' ] || [ '$global' = 'BINLOG MONITOR,PROCESS,SLAVE MONITOR,' ]"
check "... and SELECT on performance_schema" sh -c "printf '%s\n' \"\$1\" | grep -q '^GRANT SELECT ON \`performance_schema\`\.\* TO'" _ "$grants"
check "... and nothing else (2 grants)" test "$(printf '%s\n' "$grants" | wc -l)" = 2
check "... at most 3 connections" test "$(root -e "SELECT max_user_connections FROM mysql.user WHERE user = 'exporter'")" = 3
check "the exporter logs in over TCP" test "$(as_exporter exporter-password 'SELECT 1')" = 1
check "... and reads no application data" sh -c "! mysql --defaults-file='$work/exporter.cnf' -e 'SELECT * FROM app.secrets' 2>/dev/null"
check "... nor writes any" sh -c "! mysql --defaults-file='$work/exporter.cnf' -e 'CREATE DATABASE nope' 2>/dev/null"
printf '%s' 'n3w "exp" \ '\''pw' >"$work/exporter-password-2"
check "a second run succeeds (idempotent)" account exporter-password-2
check "... and takes the Secret's new password, quotes and backslashes intact" test "$(as_exporter exporter-password-2 'SELECT 1')" = 1
check "... still with 2 grants" test "$(root -e "SHOW GRANTS FOR 'exporter'@'127.0.0.1'" | wc -l)" = 2
account exporter-password
if command -v strace >/dev/null; then
	MYSQL_ROOT_PASSWORD_FILE=$work/root-password MYSQL_EXPORTER_PASSWORD_FILE=$work/exporter-password-2 \
		strace -f -qq -s 4096 -e trace=execve -o "$work/trace" bash "$scripts/mysql-exporter-user.sh" 2>/dev/null
	account exporter-password
	check "the account script runs mysql" grep -q '"mysql"' "$work/trace"
	check "... with neither password on a command line" sh -c "! grep -qF 'r00t' '$work/trace' && ! grep -qF 'n3w' '$work/trace'"
else
	echo "# strace not found: command-line check skipped"
fi

metrics_port=$(free_port)
DATA_SOURCE_NAME="exporter:$exporter_password@tcp(127.0.0.1:$port)/" \
	prometheus-mysqld-exporter --web.listen-address="127.0.0.1:$metrics_port" >"$work/mysqld-exporter.log" 2>&1 &
kill_on_exit $!
wait_for 10 http_up "$metrics_port" / || sed 's/^/# /' "$work/mysqld-exporter.log"
scrape "$metrics_port" /metrics >"$work/mysql.metrics"
m="$work/mysql.metrics"
check "mysqld_exporter with the account: mysql_up 1" grep -qx 'mysql_up 1' "$m"
check "... every default collector succeeds (no scrape error)" sh -c "grep -qx 'mysql_exporter_last_scrape_error 0' '$m' && ! grep -q '^mysql_exporter_scrape_errors_total' '$m'"
check "... server metrics come through (status, variables, InnoDB)" sh -c "grep -q '^mysql_global_status_uptime ' '$m' && grep -q '^mysql_global_variables_innodb_buffer_pool_size ' '$m'"
check "... and / answers (the sidecar's probes)" test -n "$(scrape "$metrics_port" /)"

# --- Redis ------------------------------------------------------------------------------------
export REDISCLI_AUTH='exp "redis" pw'
redis_port=$(free_port)
mkdir -p "$work/redis/run" "$work/redis/data"
printf 'bind 127.0.0.1\ndir %s\nappendonly yes\n' "$work/redis/data" >"$work/redis/redis.conf"
redis_standalone "$work/redis/log" REDIS_PORT="$redis_port" REDIS_RUN_DIR="$work/redis/run" \
	REDIS_BASE_CONF="$work/redis/redis.conf" REDIS_MODULES=none
wait_for 10 redis_up "$redis_port" || sed 's/^/# /' "$work/redis/log"
redis-cli --no-auth-warning -p "$redis_port" MSET a 1 b 2 c 3 >/dev/null
# The sidecar's environment (src/blueprint/redis.rs), on a port of our own.
redis_metrics=$(free_port)
REDIS_ADDR="redis://localhost:$redis_port" REDIS_PASSWORD=$REDISCLI_AUTH \
	prometheus-redis-exporter --web.listen-address="127.0.0.1:$redis_metrics" >"$work/redis-exporter.log" 2>&1 &
kill_on_exit $!
wait_for 10 http_up "$redis_metrics" /health || sed 's/^/# /' "$work/redis-exporter.log"
metrics=$(scrape "$redis_metrics" /metrics)
check "redis_exporter with the sidecar's variables: redis_up 1" grep -qx 'redis_up 1' <<<"$metrics"
check "... the server's keys" grep -q '^redis_db_keys{db="db0"} 3' <<<"$metrics"
check "... and /health answers (the sidecar's probes)" test -n "$(scrape "$redis_metrics" /health)"
bad_metrics=$(free_port)
REDIS_ADDR="redis://localhost:$redis_port" REDIS_PASSWORD=wrong \
	prometheus-redis-exporter --web.listen-address="127.0.0.1:$bad_metrics" >"$work/redis-exporter-bad.log" 2>&1 &
kill_on_exit $!
wait_for 10 http_up "$bad_metrics" /health || true
check "... and redis_up 0 with a wrong password" grep -qx 'redis_up 0' <<<"$(scrape "$bad_metrics" /metrics)"

harness_done
