#!/bin/sh
# The backup scripts' shared routine (sourced by mysql-backup.sh, redis-backup.sh and
# mongodb-backup.sh): one atomic write of a backup file and the rotation of the older ones.
# POSIX sh: it runs in the MySQL image's bash, the Redis image's dash (or BusyBox sh) and the
# MongoDB image's dash alike.
#
#   backup_write DIR PREFIX SUFFIX KEEP WRITER [ARGS...]
#
# checks KEEP (a number above 0), then runs `WRITER ARGS... PARTIAL`, which must write the
# backup to the file PARTIAL (DIR/.PREFIX-<UTC time>SUFFIX.partial, mode 0600) and return
# non-zero if anything went wrong, checks included (it runs in an `if`, so `set -e` does not
# apply inside it). On success the file is renamed to DIR/PREFIX-<UTC time>SUFFIX, so no
# finished-looking file is ever incomplete, and the newest KEEP files PREFIX-*SUFFIX stay (names
# sort by time); older ones are removed. On failure (or SIGINT/SIGTERM) the partial file is
# removed, nothing else is touched, and backup_write returns 1 (a temporary file left by a run
# that was killed outright is removed by a later run once it is a day old). The final path is
# in $backup_file afterwards.

backup_log() { printf '%s %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*" >&2; }

backup_write() {
	_bw_dir=$1
	_bw_prefix=$2
	_bw_suffix=$3
	_bw_keep=$4
	shift 4
	case "$_bw_keep" in
		'' | *[!0-9]* | 0 | 0*)
			backup_log "error: BACKUP_KEEP must be a number above 0, got '$_bw_keep'"
			return 2
			;;
	esac
	# A run killed outright (SIGKILL, a lost node) leaves its temporary file: those older than
	# a day go (the CronJobs forbid concurrent runs; a day is longer than any backup).
	find "$_bw_dir" -maxdepth 1 -name ".$_bw_prefix-*$_bw_suffix.partial" -mmin +1440 | while read -r _bw_stale; do
		rm -f "$_bw_stale"
		backup_log "removed $_bw_stale (the temporary file of a run that did not finish)"
	done
	_bw_stamp=$(date -u '+%Y%m%dT%H%M%SZ')
	backup_file="$_bw_dir/$_bw_prefix-$_bw_stamp$_bw_suffix"
	_bw_partial="$_bw_dir/.$_bw_prefix-$_bw_stamp$_bw_suffix.partial"
	_bw_umask=$(umask)
	umask 077
	# shellcheck disable=SC2064 # the path is fixed now
	trap "rm -f '$_bw_partial'; exit 1" INT TERM
	if ! "$@" "$_bw_partial"; then
		rm -f "$_bw_partial"
		trap - INT TERM
		umask "$_bw_umask"
		backup_log "error: the backup failed; no file written, none removed"
		return 1
	fi
	trap - INT TERM
	umask "$_bw_umask"
	mv "$_bw_partial" "$backup_file" || return 1
	backup_log "wrote $backup_file ($(wc -c <"$backup_file" | tr -d ' ') bytes)"
	backup_rotate "$_bw_dir" "$_bw_prefix" "$_bw_suffix" "$_bw_keep"
}

# backup_rotate DIR PREFIX SUFFIX KEEP: removes all but the newest KEEP files PREFIX-*SUFFIX.
backup_rotate() {
	_br_count=$(find "$1" -maxdepth 1 -name "$2-*$3" | wc -l)
	_br_excess=$((_br_count - $4))
	[ "$_br_excess" -gt 0 ] || return 0
	# sed, not head: it reads to the end, so no writer of the pipe dies of SIGPIPE (pipefail).
	find "$1" -maxdepth 1 -name "$2-*$3" | sort | sed -n "1,${_br_excess}p" | while read -r _br_old; do
		rm -f "$_br_old"
		backup_log "removed $_br_old (keeping $4)"
	done
}
