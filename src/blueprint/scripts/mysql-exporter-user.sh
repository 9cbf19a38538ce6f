#!/bin/bash
# Creates the metrics exporter's account, or brings it up to date: user $MYSQL_EXPORTER_USER
# (default exporter) at host 127.0.0.1 (the exporter sidecar connects over the pod's loopback;
# the server resolves no names), with its password from the Secret, at most 3 connections, and
# only what mysqld_exporter's default collectors read: PROCESS (the process list and InnoDB
# status), REPLICATION CLIENT (replica and binary log status; on MariaDB also SLAVE MONITOR,
# which took SHOW REPLICA STATUS over) and SELECT on performance_schema. No access to any
# application data.
#
# Run by the image's entrypoint on the first start (mounted in /docker-entrypoint-initdb.d:
# the root password is set by then and the server listens on its socket), and by hand when
# metrics are turned on for an existing database:
#   kubectl exec db-0 -c mysql -- bash /opt/kubeprint/mysql-exporter-user.sh
# Idempotent: a second run changes nothing but the password (to the Secret's).
#
# Both passwords are read from the mounted Secret files. The root password reaches the client
# as an option file on a pipe, the exporter's inside the SQL on standard input: neither is on a
# command line or on disk.
#
# Environment: MYSQL_ROOT_PASSWORD_FILE, MYSQL_EXPORTER_PASSWORD_FILE, MYSQL_EXPORTER_USER.
set -euo pipefail

root_file=${MYSQL_ROOT_PASSWORD_FILE:?MYSQL_ROOT_PASSWORD_FILE is not set}
exporter_file=${MYSQL_EXPORTER_PASSWORD_FILE:?MYSQL_EXPORTER_PASSWORD_FILE is not set}
user=${MYSQL_EXPORTER_USER:-exporter}
case "$user" in '' | *[!A-Za-z0-9_]*)
	echo "MYSQL_EXPORTER_USER must be letters, digits and _, got $user" >&2
	exit 2
	;;
esac
# `$(<file)` strips trailing newlines, as the entrypoint does for the root password.
root=$(<"$root_file")
root=${root//\\/\\\\}
root=${root//\"/\\\"}
password=$(<"$exporter_file")
[ -n "$password" ] || {
	echo "$exporter_file is empty" >&2
	exit 2
}
# A string literal of SQL: backslashes and single quotes escaped.
password=${password//\\/\\\\}
password=${password//\'/\\\'}

options() {
	printf '[client]\nuser=root\npassword="%s"\nprotocol=socket\nconnect-timeout=10\n' "$root"
}
account="'$user'@'127.0.0.1'"
privileges="PROCESS, REPLICATION CLIENT"
# MariaDB (10.5.9 and later) moved SHOW REPLICA STATUS from REPLICATION CLIENT (now BINLOG
# MONITOR) to SLAVE MONITOR; MySQL has no such privilege.
version=$(mysql --defaults-extra-file=<(options) --batch --skip-column-names --execute='SELECT VERSION()')
case "$version" in *MariaDB*) privileges="$privileges, SLAVE MONITOR" ;; esac
printf '%s\n' \
	"CREATE USER IF NOT EXISTS $account IDENTIFIED BY '$password' WITH MAX_USER_CONNECTIONS 3;" \
	"ALTER USER $account IDENTIFIED BY '$password' WITH MAX_USER_CONNECTIONS 3;" \
	"GRANT $privileges ON *.* TO $account;" \
	"GRANT SELECT ON performance_schema.* TO $account;" |
	mysql --defaults-extra-file=<(options) --batch
echo "metrics account $account ready ($privileges, SELECT on performance_schema)" >&2
