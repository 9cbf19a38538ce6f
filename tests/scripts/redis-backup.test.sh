#!/bin/bash
# Runs the Redis blueprint's backup script against a real redis-server the way the backup
# CronJob does (over TCP, the password in REDISCLI_AUTH), and restores a snapshot the way the
# documentation says (the script in the server's own pod, the server started by the blueprint's
# start script with the blueprint's persistence settings: `appendonly yes`).
#
# Checks: a backup writes a complete RDB snapshot named after the blueprint and the time; the
# newest BACKUP_KEEP are kept; a failed run (wrong password, server down) fails and leaves
# nothing behind, nor removes an older snapshot; a snapshot copied into the data directory is
# ignored on start with the AOF on (why the restore is not a file copy); the restore from a file
# and from standard input brings back every key (and drops the keys written after the backup)
# with the AOF on, and the server, restarted, still has them (the AOF was rewritten from the
# restored data); a replica refuses a restore; the password is on no command line (strace).
#
# Needs: redis-server, redis-cli; strace for the argv check. No root.
# Usage: bash tests/scripts/redis-backup.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

export REDISCLI_AUTH='b@ckup "pw" \x'
mkdir -p "$work/run" "$work/data" "$work/backup"
port=$(free_port)
restore_port=$(free_port)
# The blueprint's redis.conf (redis_conf in src/blueprint/redis.rs), on loopback and in $work.
printf 'bind 127.0.0.1\nprotected-mode yes\ndir %s\nappendonly yes\nappendfsync everysec\n' "$work/data" >"$work/redis.conf"

# start: runs redis-start.sh standalone as the container does, and waits for PONG.
start() {
	redis_standalone "$work/server.log" REDIS_PORT="$port" REDIS_RUN_DIR="$work/run" \
		REDIS_BASE_CONF="$work/redis.conf" REDIS_MODULES=none
	wait_for 10 redis_up "$port" && return 0
	cat "$work/server.log" >&2
	return 1
}
stop() { stop_pid "$redis_pid"; }
r() { redis-cli --no-auth-warning -p "$port" "$@"; }
fingerprint() { # every key of db 0 with its type and value, sorted
	local key
	r --scan | sort | while read -r key; do
		printf '%s %s %s\n' "$key" "$(r TYPE "$key")" "$(r DUMP "$key" | od -An -tx1 | tr -d ' \n' | cut -c1-64)"
	done
}
backup() { # the CronJob's command
	REDIS_HOST=127.0.0.1 REDIS_PORT="$port" BACKUP_DIR="$work/backup" BACKUP_KEEP=2 BACKUP_PREFIX=cache \
		sh "$scripts/redis-backup.sh" backup 2>>"$work/backup.log"
}
snapshots() { find "$work/backup" -maxdepth 1 -name 'cache-*.rdb' | sort; }
restore() { # restore FILE: the documented `kubectl exec ... restore` in the server's pod
	REDIS_PORT=$port REDIS_RUN_DIR="$work/run" REDIS_DATA_DIR="$work/data" REDIS_RESTORE_PORT=$restore_port \
		sh "$scripts/redis-backup.sh" restore "$1" 2>>"$work/restore.log"
}

start
r SET greeting hello >/dev/null
r HSET user:1 name Ada lang 'C "and" Rust' >/dev/null
r RPUSH queue a b c >/dev/null
r ZADD scores 1 x 2 y >/dev/null
printf 'bin\001\000\377' | r -x SET binary >/dev/null
for i in $(seq 1 500); do echo "SET bulk:$i value-$i"; done | r >/dev/null
before=$(fingerprint)

check "a backup succeeds" backup
check "... writing one snapshot named after the blueprint and the time" sh -c "[ \$(find '$work/backup' -name 'cache-*.rdb' | wc -l) = 1 ] && find '$work/backup' -name 'cache-*.rdb' | grep -Eq '/cache-[0-9]{8}T[0-9]{6}Z\.rdb$'"
check "... which is an RDB file" test "$(head -c 5 "$(snapshots | tail -n 1)")" = REDIS
check "... and no temporary file is left" test -z "$(find "$work/backup" -name '.*')"
sleep 1
backup
sleep 1
backup
check "the newest BACKUP_KEEP snapshots are kept" test "$(snapshots | wc -l)" = 2
listing=$(ls -a "$work/backup")
sleep 1
check "a run with a wrong password fails" sh -c "! REDIS_HOST=127.0.0.1 REDIS_PORT=$port BACKUP_DIR='$work/backup' REDISCLI_AUTH=wrong sh '$scripts/redis-backup.sh' backup 2>/dev/null"
check "... leaving nothing behind, nor removing an older snapshot" test "$(ls -a "$work/backup")" = "$listing"
check "a run against a server that is down fails" sh -c "! REDIS_HOST=127.0.0.1 REDIS_PORT=$restore_port BACKUP_DIR='$work/backup' sh '$scripts/redis-backup.sh' backup 2>/dev/null"
check "... leaving nothing behind" test "$(ls -a "$work/backup")" = "$listing"

latest=$(snapshots | tail -n 1)
# What restoring must undo: a lost key, a changed one and one written after the backup.
r DEL user:1 queue >/dev/null
r SET greeting changed >/dev/null
r SET written:after backup >/dev/null

# Why the restore is not a file copy: with the AOF on, a server ignores dump.rdb on start.
stop
cp "$latest" "$work/data/dump.rdb"
start
check "a snapshot copied into the data directory is ignored with appendonly yes" test "$(r GET written:after)" = backup

check "restore from a file succeeds" restore "$latest"
check "... bringing every key back as it was at the backup" test "$(fingerprint)" = "$before"
check "... and dropping the keys written after it" test "$(r EXISTS written:after)" = 0
check "... with the AOF still on" sh -c "redis-cli --no-auth-warning -p $port INFO persistence | grep -q '^aof_enabled:1'"
check "... and the server a master again" sh -c "redis-cli --no-auth-warning -p $port INFO replication | grep -q '^role:master'"
check "... and the temporary server gone" sh -c "! redis-cli --no-auth-warning -p $restore_port PING >/dev/null 2>&1 && [ ! -e '$work/data/.restore' ]"
r SET written:after-restore yes >/dev/null
stop
rm -f "$work/data/dump.rdb"
start
check "restarted, the server still has the restored keys (read from the rewritten AOF)" test "$(r --scan --pattern 'bulk:*' | wc -l)" = 500
check "... and what was written after the restore" test "$(r GET written:after-restore)" = yes

r FLUSHALL >/dev/null
check "restore from standard input (kubectl exec -i) succeeds" sh -c \
	"REDIS_PORT=$port REDIS_RUN_DIR='$work/run' REDIS_DATA_DIR='$work/data' REDIS_RESTORE_PORT=$restore_port sh '$scripts/redis-backup.sh' restore - <'$latest' 2>>'$work/restore.log'"
check "... bringing every key back" test "$(fingerprint)" = "$before"

printf 'not a snapshot' >"$work/junk.rdb"
check "a file that is not an RDB snapshot is refused" sh -c "! REDIS_PORT=$port REDIS_RUN_DIR='$work/run' REDIS_DATA_DIR='$work/data' REDIS_RESTORE_PORT=$restore_port sh '$scripts/redis-backup.sh' restore '$work/junk.rdb' 2>/dev/null"
check "... leaving the data alone" test "$(fingerprint)" = "$before"

# A replica of the server refuses a restore (its master's data would overwrite it).
replica_port=$(free_port)
mkdir -p "$work/replica"
printf 'port %s\nbind 127.0.0.1\ndir %s\nrequirepass "%s"\nmasterauth "%s"\nreplicaof 127.0.0.1 %s\n' "$replica_port" "$work/replica" \
	"$(printf '%s' "$REDISCLI_AUTH" | sed 's/\\/\\\\/g; s/"/\\"/g')" "$(printf '%s' "$REDISCLI_AUTH" | sed 's/\\/\\\\/g; s/"/\\"/g')" "$port" |
	redis-server - >"$work/replica.log" 2>&1 &
kill_on_exit $!
wait_for 10 redis_up "$replica_port" || sed 's/^/# /' "$work/replica.log"
check "a replica refuses a restore" sh -c "! REDIS_PORT=$replica_port REDIS_RUN_DIR='$work/run' REDIS_DATA_DIR='$work/replica' REDIS_RESTORE_PORT=$restore_port sh '$scripts/redis-backup.sh' restore '$latest' 2>'$work/refused.log' && grep -q 'not a master' '$work/refused.log'"

if command -v strace >/dev/null; then
	strace -f -qq -s 4096 -e trace=execve -o "$work/trace" env REDIS_HOST=127.0.0.1 REDIS_PORT="$port" \
		BACKUP_DIR="$work/backup" BACKUP_KEEP=5 BACKUP_PREFIX=cache sh "$scripts/redis-backup.sh" backup 2>/dev/null
	strace -f -qq -s 4096 -e trace=execve -o "$work/trace-restore" env REDIS_PORT="$port" REDIS_RUN_DIR="$work/run" \
		REDIS_DATA_DIR="$work/data" REDIS_RESTORE_PORT="$restore_port" sh "$scripts/redis-backup.sh" restore "$latest" 2>/dev/null
	check "the backup and the restore run redis-cli and redis-server" sh -c "grep -q 'redis-cli.*--rdb' '$work/trace' && grep -q 'redis-server' '$work/trace-restore'"
	# execve lines show every argv in full (the environment, where REDISCLI_AUTH is, only as a count).
	check "the password is on no command line" sh -c "! grep -qF 'b@ckup' '$work/trace' '$work/trace-restore'"
else
	echo "# strace not found: command-line check skipped"
fi

harness_done
