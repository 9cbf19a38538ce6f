#!/bin/sh
# Redis backups (RDB snapshots copied over the network) and their restore.
#   redis-backup.sh backup          copies an RDB snapshot of the server at $REDIS_HOST:$REDIS_PORT
#                                   into $BACKUP_DIR/$BACKUP_PREFIX-<UTC time>.rdb (the backup
#                                   CronJob), then keeps the newest $BACKUP_KEEP snapshots
#   redis-backup.sh restore FILE    replaces the data of the local server (in its own pod) with an
#                                   RDB snapshot (FILE, or - for standard input)
#
# Backup: `redis-cli --rdb` asks the server for a full resynchronisation payload, the snapshot
# a replica would load. It is written under a temporary name, checked (an RDB file starts with
# "REDIS") and renamed only once complete, so a failed run never leaves a file that looks
# finished (backup_write of backup-lib.sh, the routine the three backup scripts share). The
# password is read from REDISCLI_AUTH (the Secret, through the environment): never on a command
# line.
#
# Restore: with `appendonly yes` a server ignores an RDB file on start (it loads the AOF), so
# copying a snapshot into /data does nothing. Instead the script starts a temporary server on a
# loopback port that loads the snapshot (AOF off; configuration, password and modules those of
# the running server's own runtime file, read from standard input: never on a command line) and
# makes the running server its replica: the full synchronisation replaces the whole data set,
# and a server with the AOF on rewrites its AOF from the loaded data once it is done. Then the
# server is made a master again and the temporary one stopped. While it replicates, the server
# refuses writes (a replica is read-only). Only on a master: a replica follows its master. The
# replicas the server had when the restore began resynchronise from it (a server that loads a
# new data set drops its own replicas, which then take the whole new set); the script returns
# once every one of them has confirmed the restored data (WAIT).
#
# Sentinel mode (SENTINEL_MASTER set, as in the blueprint's Sentinel pods): the restore runs in
# the master's pod only. A replica refuses it, naming the master's pod; so does a server that
# thinks itself master while a Sentinel names another one (a stale master). Every Sentinel of
# the set must answer: while the server loads the snapshot it reports the replica role, and a
# Sentinel judges a master that does so for down-after-milliseconds plus two INFO periods (10 s
# each) down and fails it over, which would undo the restore. So the script raises every
# Sentinel's down-after-milliseconds for the restore (to the longest the load may take, plus a
# minute) and sets each back to its own value when it ends, however it ends, once that Sentinel
# has seen the master role again (a real failure of the master is noticed that much later
# meanwhile).
#
# Environment: REDISCLI_AUTH; REDIS_HOST (backup; default 127.0.0.1), REDIS_PORT (default 6379);
# BACKUP_DIR (default /backup), BACKUP_KEEP (default 7), BACKUP_PREFIX (default redis);
# REDIS_RUN_DIR (restore; default /run/redis, where redis-start.sh wrote the runtime file),
# REDIS_DATA_DIR (restore; default /data), REDIS_RESTORE_PORT (default 6380),
# REDIS_LOCAL_HOST (restore: the address of the server in this pod; default 127.0.0.1),
# REDIS_TLS_ARGS (optional redis-cli TLS options, e.g. "--tls --cacert /tls/ca.crt");
# in Sentinel mode the variables of redis-lib.sh (POD_NAME, SENTINEL_MASTER, SENTINEL_PORT, ...).
set -eu

mode=${1:?usage: redis-backup.sh backup | restore FILE}
port=${REDIS_PORT:-6379}
[ -n "${REDISCLI_AUTH:-}" ] || {
	echo "REDISCLI_AUTH is empty" >&2
	exit 2
}

# shellcheck source=backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"
log() { backup_log "$@"; }
die() {
	log "error: $*"
	exit 1
}
# cli HOST PORT ARGS...: redis-cli authenticated through REDISCLI_AUTH.
cli() {
	h=$1
	p=$2
	shift 2
	# shellcheck disable=SC2086 # REDIS_TLS_ARGS is a list of options
	redis-cli --no-auth-warning ${REDIS_TLS_ARGS:-} -h "$h" -p "$p" "$@"
}
# info_field HOST PORT SECTION FIELD: one field of INFO.
info_field() {
	cli "$1" "$2" INFO "$3" | tr -d '\r' | sed -n "s/^$4://p"
}
is_rdb() { [ -s "$1" ] && [ "$(head -c 5 "$1")" = REDIS ]; }

case "$mode" in
	backup)
		host=${REDIS_HOST:-127.0.0.1}
		# copy_to PARTIAL: the snapshot, checked (backup_write renames it only on success).
		copy_to() {
			if ! cli "$host" "$port" --rdb "$1" >&2; then
				log "error: redis-cli --rdb from $host:$port failed"
				return 1
			fi
			is_rdb "$1" || {
				log "error: the snapshot from $host:$port is not an RDB file"
				return 1
			}
		}
		backup_write "${BACKUP_DIR:-/backup}" "${BACKUP_PREFIX:-redis}" .rdb "${BACKUP_KEEP:-7}" copy_to
		;;
	restore)
		file=${2:?usage: redis-backup.sh restore FILE (- for standard input)}
		run_dir=${REDIS_RUN_DIR:-/run/redis}
		data_dir=${REDIS_DATA_DIR:-/data}
		tmp_port=${REDIS_RESTORE_PORT:-6380}
		local_host=${REDIS_LOCAL_HOST:-127.0.0.1}
		# How long the server may take to load the snapshot (seconds).
		sync_timeout=300
		sentinels=
		# sentinel_field HOST FIELD: one field of what the Sentinel of HOST knows of the master.
		sentinel_field() {
			sentinel_cli "$1" SENTINEL master "$SENTINEL_MASTER" | awk -v f="$2" 'previous == f { print; exit } { previous = $0 }'
		}
		if [ -n "${SENTINEL_MASTER:-}" ]; then
			# shellcheck source=redis-lib.sh
			. "$(dirname "$0")/redis-lib.sh"
			sentinels=$(sentinel_hosts)
		fi
		role=$(info_field "$local_host" "$port" replication role)
		if [ "$role" = slave ] && [ -n "$sentinels" ]; then
			master=$(info_field "$local_host" "$port" replication master_host)
			die "the server on port $port is not a master: it replicates from $master; run the restore in the master's pod, ${master%%.*} (its data would overwrite this one's)"
		fi
		[ "$role" = master ] || die "the server on port $port is not a master (role: ${role:-no answer}); restore on the master"
		[ -f "$run_dir/redis.conf" ] || die "no runtime configuration $run_dir/redis.conf (written by redis-start.sh)"
		# Sentinel mode: every Sentinel answers and names this pod the master; the value of
		# down-after-milliseconds each has, to set back at the end ("host ms" lines).
		held=
		if [ -n "$sentinels" ]; then
			me=$(pod_host "$POD_NAME")
			downs=
			for s in $sentinels; do
				down=$(sentinel_field "$s" down-after-milliseconds)
				case "$down" in
					'' | *[!0-9]*) die "sentinel $s does not answer for $SENTINEL_MASTER: restore when every Sentinel is up (one not told to hold off could fail the master over while it loads)" ;;
				esac
				named=$(sentinel_cli "$s" SENTINEL get-master-addr-by-name "$SENTINEL_MASTER" | head -n 1) || named=
				[ "$named" = "$me" ] || die "sentinel $s names ${named:-no} master, not this pod ($me): run the restore in the master's pod${named:+, ${named%%.*}}"
				downs="$downs$s $down
"
			done
		fi
		replicas=$(info_field "$local_host" "$port" replication connected_slaves)
		work="$data_dir/.restore"
		rm -rf "$work"
		mkdir -m 700 "$work"
		tmp_pid=
		replicating=
		cleanup() {
			status=$?
			# Interrupted while loading: the server becomes a master again (of its data as the
			# sync left it) rather than the replica of a server about to go.
			if [ -n "$replicating" ]; then
				cli "$local_host" "$port" REPLICAOF NO ONE >/dev/null 2>&1 || status=1
			fi
			if [ -n "$tmp_pid" ]; then
				kill "$tmp_pid" 2>/dev/null || true
				wait "$tmp_pid" 2>/dev/null || true
			fi
			rm -rf "$work"
			printf '%s' "$held" | while read -r s down; do
				# A Sentinel judges the master by its last INFO (every 10 s): back to its own
				# down-after too early, it would find the replica role reported for long enough
				# and fail over at once. So first it sees the master role again (60 s at most).
				n=0
				until [ "$(sentinel_field "$s" role-reported)" = master ]; do
					n=$((n + 1))
					if [ "$n" -gt 600 ]; then
						log "error: sentinel $s still has this server in the replica role; once it has the master role (SENTINEL master $SENTINEL_MASTER: role-reported), run: redis-cli -h $s -p $SENTINEL_PORT SENTINEL SET $SENTINEL_MASTER down-after-milliseconds $down"
						exit 1
					fi
					sleep 0.1
				done
				if sentinel_cli "$s" SENTINEL SET "$SENTINEL_MASTER" down-after-milliseconds "$down" | grep -q '^OK'; then
					log "sentinel $s: down-after-milliseconds back to $down"
				else
					log "error: sentinel $s: could not set down-after-milliseconds back to $down; run: redis-cli -h $s -p $SENTINEL_PORT SENTINEL SET $SENTINEL_MASTER down-after-milliseconds $down"
					exit 1
				fi
			done || status=1
			exit "$status"
		}
		trap cleanup EXIT
		trap 'exit 1' INT TERM
		if [ "$file" = - ]; then
			cat >"$work/dump.rdb"
		else
			cp "$file" "$work/dump.rdb"
		fi
		is_rdb "$work/dump.rdb" || die "$file is not an RDB file"
		# The running server's own file (password, modules, base settings), then what makes it
		# a loopback-only server of the snapshot that writes nothing.
		{
			echo "include $run_dir/redis.conf"
			echo "port $tmp_port"
			echo "bind 127.0.0.1"
			echo "dir $work"
			echo "dbfilename dump.rdb"
			echo "appendonly no"
			echo "save \"\""
			echo "replicaof no one"
			# No TLS here: the running server replicates from this loopback port in plain TCP.
			if grep -q '^tls-' "$run_dir/redis.conf"; then
				echo "tls-port 0"
				echo "tls-replication no"
			fi
		} | redis-server - >"$work/server.log" 2>&1 &
		tmp_pid=$!
		ready=
		for _ in $(seq 1 600); do
			if [ "$(REDIS_TLS_ARGS='' cli 127.0.0.1 "$tmp_port" PING 2>/dev/null)" = PONG ]; then
				ready=1
				break
			fi
			kill -0 "$tmp_pid" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$ready" ] || {
			cat "$work/server.log" >&2
			die "the temporary server of the snapshot did not start"
		}
		keys=$(REDIS_TLS_ARGS='' cli 127.0.0.1 "$tmp_port" DBSIZE)
		log "snapshot loaded by a temporary server on port $tmp_port ($keys keys in db 0); replicating it"
		# No failover while the server reports the replica role (see the top of this file).
		if [ -n "$sentinels" ]; then
			hold=$(((sync_timeout + 60) * 1000))
			printf '%s' "$downs" | while read -r s down; do
				sentinel_cli "$s" SENTINEL SET "$SENTINEL_MASTER" down-after-milliseconds "$hold" | grep -q '^OK' ||
					die "sentinel $s refused SENTINEL SET $SENTINEL_MASTER down-after-milliseconds"
			done || {
				held=$downs
				exit 1
			}
			held=$downs
			log "sentinels hold off: down-after-milliseconds $hold while the server loads the snapshot"
		fi
		# The replica link of a TLS server would use TLS; the temporary server speaks plain TCP.
		tls_replication=$(cli "$local_host" "$port" CONFIG GET tls-replication | sed -n 2p)
		[ "$tls_replication" = yes ] && cli "$local_host" "$port" CONFIG SET tls-replication no >/dev/null
		replicating=1
		cli "$local_host" "$port" REPLICAOF 127.0.0.1 "$tmp_port" >/dev/null
		synced=
		for _ in $(seq 1 $((sync_timeout * 10))); do
			if [ "$(info_field "$local_host" "$port" replication master_link_status)" = up ] &&
				[ "$(info_field "$local_host" "$port" replication master_sync_in_progress)" = 0 ]; then
				synced=1
				break
			fi
			sleep 0.1
		done
		cli "$local_host" "$port" REPLICAOF NO ONE >/dev/null
		replicating=
		[ "$tls_replication" = yes ] && cli "$local_host" "$port" CONFIG SET tls-replication yes >/dev/null
		[ -n "$synced" ] || die "the server did not load the snapshot within $sync_timeout s (it is a master again, with its data as the sync left it)"
		# With the AOF on, the server rewrites it from the loaded data after the sync: wait for
		# the rewrite, so that a restart right after this script reads the restored data.
		if [ "$(info_field "$local_host" "$port" persistence aof_enabled)" = 1 ]; then
			for _ in $(seq 1 3000); do
				[ "$(info_field "$local_host" "$port" persistence aof_rewrite_in_progress)" = 0 ] &&
					[ "$(info_field "$local_host" "$port" persistence aof_rewrite_scheduled)" = 0 ] && break
				sleep 0.1
			done
			status=$(info_field "$local_host" "$port" persistence aof_last_bgrewrite_status)
			[ "$status" = ok ] || die "the AOF rewrite after the restore failed ($status)"
			log "append-only file rewritten from the restored data"
		else
			cli "$local_host" "$port" SAVE >/dev/null
		fi
		# The replicas it had take the new data set from it (a full resynchronisation each).
		case "$replicas" in '' | *[!0-9]*) replicas=0 ;; esac
		if [ "$replicas" -gt 0 ]; then
			log "waiting for the $replicas replicas to take the restored data"
			acked=$(cli "$local_host" "$port" WAIT "$replicas" $((sync_timeout * 1000)))
			[ "$acked" -ge "$replicas" ] 2>/dev/null ||
				die "only ${acked:-no} of the $replicas replicas confirmed the restored data within $sync_timeout s (they go on resynchronising)"
			log "the $replicas replicas have the restored data"
		fi
		log "restored $(cli "$local_host" "$port" DBSIZE) keys (db 0) from $file"
		;;
	*)
		echo "unknown mode $mode" >&2
		exit 2
		;;
esac
