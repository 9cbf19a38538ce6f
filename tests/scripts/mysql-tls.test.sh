#!/bin/bash
# Runs the MySQL blueprint's TLS set-up against a real server (MariaDB): the server reads the
# blueprint's rendered kubeprint.cnf (KUBEPRINT_MYSQL_CNF, written by tests/blueprint_scripts.rs
# from `MySql::builder().tls(..)`; the same lines written here when run alone), with
# certificates made by openssl the way a `kubernetes.io/tls` Secret holds them (the certificate
# names the Services, not 127.0.0.1).
#
# Checks: a TCP connection without TLS is refused (require_secure_transport); with TLS verified
# by the CA it works and is encrypted; the socket still works without TLS (the probes); the
# backup script over TCP with the blueprint's MYSQL_SSL_CA and with MYSQL_TLS=required writes a
# complete dump, and with a CA that did not sign the server's certificate fails; the metrics account over TLS without verification
# (the exporter's loopback set-up) gets `mysql_up 1` from mysqld_exporter, and without TLS
# `mysql_up 0`.
#
# Needs: mariadbd, mysql_install_db, mysql, mysqldump, openssl; prometheus-mysqld-exporter and
# curl for the exporter checks. Root or not.
# Usage: bash tests/scripts/mysql-tls.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

tls=$work/tls
tls_secret "$tls" db
chmod 0644 "$tls"/*

# The blueprint's kubeprint.cnf, its Secret paths pointing here.
if [ -n "${KUBEPRINT_MYSQL_CNF:-}" ]; then
	cnf_source=$KUBEPRINT_MYSQL_CNF
	echo "# server configuration: the blueprint's rendered kubeprint.cnf"
else
	cnf_source=$work/kubeprint.cnf
	printf '[mysqld]\nskip-name-resolve\nssl_cert = /etc/kubeprint-tls/tls.crt\nssl_key = /etc/kubeprint-tls/tls.key\nssl_ca = /etc/kubeprint-tls/ca.crt\nrequire_secure_transport = ON\n' >"$cnf_source"
	echo "# server configuration: a copy of the blueprint's (KUBEPRINT_MYSQL_CNF unset)"
fi
sed "s#/etc/kubeprint-tls#$tls#g" "$cnf_source" >"$work/server.cnf"
grep -q '^require_secure_transport = ON' "$work/server.cnf" || { echo "not ok - the configuration requires secure transport"; exit 1; }

mysql_env "$work"
port=$(free_port)
mysql_init_db
mysql_start --defaults-file="$work/server.cnf" --bind-address=127.0.0.1 --port="$port"

root_password='r00t-tls'
app_password='app "tls" pw'
mysql --no-defaults --socket="$MYSQL_UNIX_PORT" -uroot -e "ALTER USER root@localhost IDENTIFIED BY '$root_password';
	CREATE DATABASE app; CREATE USER 'app'@'%' IDENTIFIED BY 'app \"tls\" pw'; GRANT ALL ON app.* TO 'app'@'%';
	CREATE TABLE app.t (v INT); INSERT INTO app.t VALUES (42);"
printf '%s' "$root_password" >"$work/root-password"
printf '%s' "$app_password" >"$work/password"
tcp() { mysql --no-defaults -h127.0.0.1 -P"$port" -uapp -p"$app_password" --batch --skip-column-names "$@" 2>"$work/client.err"; }

# MariaDB answers a login without TLS under require_secure_transport with "Access denied"
# (MySQL with "insecure transport are prohibited"); the same login with TLS passes below.
check "TCP without TLS is refused" sh -c "! mysql --no-defaults --skip-ssl -h127.0.0.1 -P$port -uapp -p'$app_password' -e 'SELECT 1' 2>'$work/refused.err' && grep -Eq 'insecure transport|Access denied' '$work/refused.err'"
check "TCP with TLS verified by the CA works" test "$(tcp --ssl-ca="$tls/ca.crt" -e 'SELECT v FROM app.t')" = 42
check "... and is encrypted" sh -c "[ -n \"\$(mysql --no-defaults -h127.0.0.1 -P$port -uapp -p'$app_password' --ssl-ca='$tls/ca.crt' --batch --skip-column-names -e \"SHOW STATUS LIKE 'Ssl_cipher'\" | cut -f2)\" ]"
check "the socket works without TLS (the probes)" env MYSQL_ROOT_PASSWORD_FILE="$work/root-password" bash "$scripts/mysql-probe.sh" ready

mkdir -p "$work/backup"
backup() { # backup ENV...: the backup job over TCP
	env MYSQL_HOST=127.0.0.1 MYSQL_PORT="$port" MYSQL_USER=app MYSQL_DATABASE=app MYSQL_PASSWORD_FILE="$work/password" \
		BACKUP_DIR="$work/backup" BACKUP_KEEP=5 "$@" bash "$scripts/mysql-backup.sh" backup 2>>"$work/backup.log"
}
check "the backup over TLS with the blueprint's MYSQL_SSL_CA succeeds" backup MYSQL_SSL_CA="$tls/ca.crt"
check "... writing a complete dump" grep -q -- '-- Dump completed' "$(find "$work/backup" -name 'app-*.sql' | sort | tail -n 1)"
sleep 1
check "the backup with MYSQL_TLS=required (no CA) succeeds" backup MYSQL_TLS=required
sleep 1
tls_ca "$work/other.key" "$work/other.crt" other-ca
check "the backup verifying with another CA fails (the server is verified)" sh -c "! MYSQL_HOST=127.0.0.1 MYSQL_PORT=$port MYSQL_USER=app MYSQL_DATABASE=app MYSQL_PASSWORD_FILE='$work/password' MYSQL_SSL_CA='$work/other.crt' BACKUP_DIR='$work/backup' bash '$scripts/mysql-backup.sh' backup 2>/dev/null"
check "... leaving two dumps" test "$(find "$work/backup" -name 'app-*.sql' | wc -l)" = 2

if command -v prometheus-mysqld-exporter >/dev/null; then
	printf '%s' "$(openssl rand -hex 16)" >"$work/exporter-password"
	MYSQL_ROOT_PASSWORD_FILE=$work/root-password MYSQL_EXPORTER_PASSWORD_FILE=$work/exporter-password \
		bash "$scripts/mysql-exporter-user.sh" 2>>"$work/account.log"
	exporter() { # exporter PORT DSN_PARAMS
		DATA_SOURCE_NAME="exporter:$(cat "$work/exporter-password")@tcp(127.0.0.1:$port)/$2" \
			prometheus-mysqld-exporter --web.listen-address="127.0.0.1:$1" >>"$work/exporter.log" 2>&1 &
		kill_on_exit $!
		wait_for 10 http_up "$1" / || sed 's/^/# /' "$work/exporter.log"
	}
	m1=$(free_port)
	exporter "$m1" '?tls=skip-verify'
	check "the metrics account over TLS without verification: mysql_up 1" grep -qx 'mysql_up 1' <<<"$(curl -fsS "http://127.0.0.1:$m1/metrics")"
	m2=$(free_port)
	exporter "$m2" ''
	check "... and without TLS mysql_up 0 (refused)" grep -qx 'mysql_up 0' <<<"$(curl -fsS "http://127.0.0.1:$m2/metrics")"
else
	echo "# prometheus-mysqld-exporter not found: exporter checks skipped"
fi

harness_done
