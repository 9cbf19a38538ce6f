#!/bin/sh
# MongoDB backups of the application database, and their restore.
#   mongodb-backup.sh backup          dumps $MONGODB_DATABASE into
#                                     $BACKUP_DIR/$MONGODB_DATABASE-<UTC time>.archive.gz (the
#                                     backup CronJob), then keeps the newest $BACKUP_KEEP dumps
#   mongodb-backup.sh restore FILE    restores a dump (FILE, or - for standard input) into
#                                     $MONGODB_DATABASE through the primary
#
# Backup: `mongodump --db --archive --gzip` over the replica set connection string with
# `--readPreference=secondaryPreferred` (a secondary does the reading; the primary only when no
# secondary is up). No `--oplog`: mongodump accepts it only for a dump of the whole instance,
# not of one database, so the dump is not a point-in-time snapshot: each collection is read as
# it is at the time mongodump reads it. The archive is written under a temporary name, checked
# (a complete gzip stream whose content starts with the archive's magic number) and renamed only
# once complete, so a failed run never leaves a file that looks finished (backup_write of
# backup-lib.sh, the routine the three backup scripts share).
#
# Restore: `mongorestore --archive --gzip --drop --nsInclude 'DATABASE.*'`: each collection in
# the dump is dropped and recreated from it (documents and indexes); collections the dump does
# not hold are left alone; users and roles are not touched. No `--oplogReplay` (there is no
# oplog in the dump).
#
# The password (from MONGODB_PASSWORD_FILE, or else MONGODB_PASSWORD) reaches the tools as the
# `password:` of a YAML configuration file (`--config`, Database Tools 100.3 and later) read
# from a here-document on file descriptor 3: never on a command line, never in a file of ours.
#
# Environment: MONGODB_URI (mongodb://HOST:PORT,.../?replicaSet=NAME, without credentials),
# MONGODB_USER, MONGODB_DATABASE, MONGODB_AUTH_DB (default: MONGODB_DATABASE, the application
# user's), MONGODB_PASSWORD_FILE or MONGODB_PASSWORD; MONGODB_TLS_CA (TLS, verifying the server
# with this CA); BACKUP_DIR (default /backup), BACKUP_KEEP (default 7).
set -eu

mode=${1:?usage: mongodb-backup.sh backup | restore FILE}
uri=${MONGODB_URI:?MONGODB_URI is not set}
user=${MONGODB_USER:?MONGODB_USER is not set}
database=${MONGODB_DATABASE:?MONGODB_DATABASE is not set}
auth_db=${MONGODB_AUTH_DB:-$database}

# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"
log() { backup_log "$@"; }
die() {
	log "error: $*"
	exit 1
}

if [ -n "${MONGODB_PASSWORD_FILE:-}" ]; then
	password=$(cat "$MONGODB_PASSWORD_FILE")
else
	password=${MONGODB_PASSWORD:-}
fi
[ -n "$password" ] || die "no password (MONGODB_PASSWORD_FILE or MONGODB_PASSWORD)"
case "$password" in *'
'*) die "the password must be one line" ;; esac
# A YAML single-quoted scalar: every character literal, a quote doubled.
yaml_password=$(printf '%s\n' "$password" | sed "s/'/''/g")

# tool NAME ARGS...: a Database Tools program connected and authenticated, its password in the
# configuration on descriptor 3.
tool() {
	_tool=$1
	shift
	if [ -n "${MONGODB_TLS_CA:-}" ]; then
		set -- --ssl "--sslCAFile=$MONGODB_TLS_CA" "$@"
	fi
	"$_tool" "--uri=$uri" "--username=$user" "--authenticationDatabase=$auth_db" \
		--config=/dev/fd/3 "$@" 3<<EOF
password: '$yaml_password'
EOF
}

# is_archive FILE: a complete gzip stream holding a mongodump archive (magic 0x8199e26d,
# little-endian).
is_archive() {
	[ -s "$1" ] && gzip -t "$1" 2>/dev/null &&
		[ "$(gzip -dc "$1" | head -c 4 | od -An -tx1 | tr -d ' \n')" = 6de29981 ]
}

case "$mode" in
	backup)
		# dump_to PARTIAL: the archive, checked (backup_write renames it only on success).
		dump_to() {
			if ! tool mongodump --readPreference=secondaryPreferred "--db=$database" \
				"--archive=$1" --gzip; then
				log "error: mongodump of $database failed"
				return 1
			fi
			is_archive "$1" || {
				log "error: the output of mongodump is not a complete gzip archive"
				return 1
			}
		}
		backup_write "${BACKUP_DIR:-/backup}" "$database" .archive.gz "${BACKUP_KEEP:-7}" dump_to
		;;
	restore)
		file=${2:?usage: mongodb-backup.sh restore FILE (- for standard input)}
		if [ "$file" = - ]; then
			archive=--archive
		else
			[ -f "$file" ] || die "no file $file"
			archive=--archive=$file
		fi
		tool mongorestore "--nsInclude=$database.*" --drop --gzip "$archive" ||
			die "mongorestore of $database from $file failed"
		log "restored $database from $file"
		;;
	*)
		echo "unknown mode $mode" >&2
		exit 2
		;;
esac
