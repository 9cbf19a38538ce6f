#!/bin/bash
# MySQL backups of the application database, and their restore.
#   mysql-backup.sh backup         dumps $MYSQL_DATABASE into $BACKUP_DIR/$MYSQL_DATABASE-<UTC time>.sql
#                                  (the backup CronJob), then keeps the newest $BACKUP_KEEP dumps
#   mysql-backup.sh restore FILE   loads a dump (FILE, or - for standard input) into $MYSQL_DATABASE
#
# The dump is consistent without locking (`--single-transaction`, InnoDB) and holds the
# routines and triggers; it is written under a temporary name and renamed only once complete,
# so a failed run never leaves a truncated dump that looks finished; the newest $BACKUP_KEEP
# stay. That routine (backup_write) is backup-lib.sh's, shared by the three backup scripts.
#
# As the application user, whose password is read from the mounted Secret file and handed to
# the client as an option file on a pipe: never on a command line, never on disk.
#
# Environment: MYSQL_USER, MYSQL_DATABASE, MYSQL_PASSWORD_FILE; MYSQL_HOST and MYSQL_PORT
# (unset: the local socket, as in the server's own pod); BACKUP_DIR (default /backup),
# BACKUP_KEEP (default 7); MYSQL_SSL_CA (TCP with TLS, verifying the server with this CA) or
# MYSQL_TLS=required (TCP with TLS, unverified). The option names work with MySQL's and
# MariaDB's clients alike: each ignores the `loose-` options it does not know.
set -euo pipefail

mode=${1:?usage: mysql-backup.sh backup | restore FILE}
user=${MYSQL_USER:?MYSQL_USER is not set}
database=${MYSQL_DATABASE:?MYSQL_DATABASE is not set}
password_file=${MYSQL_PASSWORD_FILE:?MYSQL_PASSWORD_FILE is not set}
dir=${BACKUP_DIR:-/backup}
keep=${BACKUP_KEEP:-7}
password=$(<"$password_file")
password=${password//\\/\\\\}
password=${password//\"/\\\"}

# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"
log() { backup_log "$@"; }

options() {
	printf '[client]\nuser=%s\npassword="%s"\n' "$user" "$password"
	if [ -n "${MYSQL_HOST:-}" ]; then
		printf 'host=%s\nport=%s\nprotocol=tcp\n' "$MYSQL_HOST" "${MYSQL_PORT:-3306}"
		if [ -n "${MYSQL_SSL_CA:-}" ]; then
			printf 'ssl-ca=%s\nloose-ssl-mode=VERIFY_CA\n' "$MYSQL_SSL_CA"
		elif [ "${MYSQL_TLS:-}" = required ]; then
			printf 'loose-ssl-mode=REQUIRED\nloose-ssl=1\n'
		fi
	else
		printf 'protocol=socket\n'
	fi
}

case "$mode" in
	backup)
		# mysqldump writes to standard output; backup_write hands us the temporary file.
		dump_to() {
			mysqldump --defaults-extra-file=<(options) --single-transaction --routines --triggers \
				--no-tablespaces "$database" >"$1"
		}
		backup_write "$dir" "$database" .sql "$keep" dump_to
		;;
	restore)
		file=${2:?usage: mysql-backup.sh restore FILE (- for standard input)}
		if [ "$file" = - ]; then
			mysql --defaults-extra-file=<(options) "$database"
		else
			mysql --defaults-extra-file=<(options) "$database" <"$file"
		fi
		log "restored $database from $file"
		;;
	*)
		echo "unknown mode $mode" >&2
		exit 2
		;;
esac
