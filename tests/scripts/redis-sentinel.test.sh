#!/bin/bash
# Runs the Redis blueprint's scripts against real redis-server and Sentinel processes.
#
# Three "pods" listen on 127.0.0.2-4 under the DNS names the scripts compute
# (redis-N.redis-headless.test.svc), resolved by a private /etc/hosts bind-mounted in a mount
# namespace of this script's own (nothing on the machine changes). Checks: a brand-new set
# elects pod 0; pods 1 and 2 find the master by asking the Sentinels; data replicates; every
# Sentinel comes to know the others and both replicas; the backup script copies a snapshot from
# a replica and the restore, refused in a replica's pod (naming the master's), run in the
# master's pod brings master and both replicas back to exactly the snapshot's data by the time
# it returns, with no failover although the snapshot arrives later than a Sentinel waits before
# judging a master that reports the replica role down; after the master dies the Sentinels fail
# over; the old master, restarted, asks the Sentinels and rejoins as a replica of the new master
# instead of assuming pod 0; a Sentinel whose container restarts reads its own rewritten file
# (Sentinel writes the password back unquoted) and rejoins; a re-created pod's Sentinel monitors the new master and joins the
# others; a Sentinel that missed a failover and still names the old master (under an older
# configuration epoch) does not make the restarting old master a second master: it follows the
# highest epoch; when the master's whole pod is lost, the two Sentinels left fail over again; the
# probe script answers as it should; a password with `"` and `\` survives the config quoting.
#
# Every step waits for a state the servers report, never for a fixed time: the one timing that
# matters is that Sentinels learn replicas only from the master's INFO, every 10 s (see
# sentinel_ready).
#
# Needs: root (unshare -m, mount), redis-server, redis-cli (Debian: redis-server redis-sentinel).
# Usage: bash tests/scripts/redis-sentinel.test.sh
set -euo pipefail

if [ "${REDIS_TEST_IN_NS:-}" != 1 ]; then
	exec unshare -m env REDIS_TEST_IN_NS=1 bash "$0" "$@"
fi

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir
not() { ! "$@"; }

cp /etc/hosts "$work/hosts"
for i in 0 1 2; do
	echo "127.0.0.$((i + 2)) redis-$i.redis-headless.test.svc" >>"$work/hosts"
done
mount --bind "$work/hosts" /etc/hosts

export REDISCLI_AUTH='p@ss "quoted" back\slash'
export POD_NAMESPACE=test REDIS_HEADLESS=redis-headless REDIS_STATEFULSET=redis REDIS_REPLICAS=3
export REDIS_PORT=6379 SENTINEL_PORT=26379 SENTINEL_MASTER=mymaster SENTINEL_QUORUM=2
# The shortest timings the blueprint accepts (MIN_DOWN_AFTER_MS, MIN_FAILOVER_TIMEOUT_MS in
# src/blueprint/redis.rs) keep the test fast. Down-after must stay above 1 s: after a failover, a
# Sentinel reconnects to the new master only once its reconnect throttle (1 s since its last
# try at the dead one) allows, and with down-after 1 s it can declare the new master down before
# the first PONG arrives, then fail it over at once on the other Sentinels' still-fresh "down"
# answers about the old one (seen: +switch-master, +sdown 1.01 s later, +odown #quorum 3/2).
export SENTINEL_DOWN_AFTER_MS=2000 SENTINEL_FAILOVER_TIMEOUT_MS=3000

host() { echo "redis-$1.redis-headless.test.svc"; }
cli() { # cli POD PORT ARGS...
	local pod=$1 port=$2
	shift 2
	timeout 3 redis-cli --no-auth-warning -h "$(host "$pod")" -p "$port" "$@" 2>/dev/null
}

in_pod() { # in_pod I COMMAND...: execs COMMAND with the environment of pod I's containers
	local i=$1
	shift
	exec env POD_NAME="redis-$i" REDIS_RUN_DIR="$work/pod$i/run" SENTINEL_RUN_DIR="$work/pod$i/sentinel" \
		REDIS_BASE_CONF="$work/pod$i/redis.conf" "$@"
}

start_redis() {
	local i=$1
	(in_pod "$i" sh "$scripts/redis-start.sh" sentinel >>"$work/pod$i/redis.log" 2>&1) &
	echo $! >"$work/pod$i/redis.pid"
	kill_on_exit $!
}

start_sentinel() {
	local i=$1
	(in_pod "$i" sh "$scripts/sentinel-init.sh" >>"$work/pod$i/init.log" 2>&1)
	# Pods have their own IP; here they share one network namespace, so bind explicitly.
	grep -q '^bind ' "$work/pod$i/sentinel/sentinel.conf" ||
		echo "bind 127.0.0.$((i + 2))" >>"$work/pod$i/sentinel/sentinel.conf"
	(in_pod "$i" sh "$scripts/sentinel-start.sh" >>"$work/pod$i/sentinel.log" 2>&1) &
	echo $! >"$work/pod$i/sentinel.pid"
	kill_on_exit $!
}

start_pod() {
	local i=$1
	mkdir -p "$work/pod$i/run" "$work/pod$i/sentinel" "$work/pod$i/data"
	# The ConfigMap's redis.conf, plus the bind that a real pod does not need.
	printf 'bind 127.0.0.%s\ndir %s\nappendonly yes\nappendfsync everysec\n' "$((i + 2))" "$work/pod$i/data" \
		>"$work/pod$i/redis.conf"
	start_sentinel "$i"
	start_redis "$i"
}

# Stops a pod's process (redis or sentinel) the way the kubelet does (stop_pid).
stop() { # stop POD redis|sentinel
	local pid
	pid=$(cat "$work/pod$1/$2.pid" 2>/dev/null) || return 0
	stop_pid "$pid"
}

role() { cli "$1" 6379 ROLE | head -n 1; }
# Predicates, evaluated anew on every try of wait_for.
has_role() { [ "$(role "$1")" = "$2" ]; }
replicates_from() { [ "$(master_of "$1")" = "$2" ]; }
has_replicas() { [ "$(replicas_of_master "$1")" = "$2" ]; }
value_is() { [ "$(cli "$1" 6379 GET "$2")" = "$3" ]; }
master_of() { cli "$1" 6379 INFO replication | tr -d '\r' | sed -n 's/^master_host://p'; }
sentinel_master() { cli "$1" 26379 SENTINEL get-master-addr-by-name mymaster | head -n 1; }
replicas_of_master() { cli "$1" 6379 INFO replication | tr -d '\r' | sed -n 's/^connected_slaves://p'; }
# What Sentinel $1 reports about the master set ($2: master) or each of its replicas ($2:
# replicas), as "key value" lines.
sentinel_view() { cli "$1" 26379 SENTINEL "$2" mymaster | paste -d ' ' - -; }
# Sentinel $1 could lead a failover now. Sentinels learn the replicas only from the master's
# INFO, which each polls every 10 s, and promote only replicas they know and see up; a Sentinel
# that knows none, if elected leader, aborts (-failover-abort-no-good-slave) and no Sentinel
# tries again before 2 x failover-timeout. So: it knows the master up, the 2 other Sentinels
# and both replicas, up and linked to the master, and a majority of Sentinels is reachable.
sentinel_ready() {
	local master replicas
	master=$(sentinel_view "$1" master) && replicas=$(sentinel_view "$1" replicas) || return 1
	grep -qx 'flags master' <<<"$master" &&
		grep -qx 'num-other-sentinels 2' <<<"$master" &&
		grep -qx 'num-slaves 2' <<<"$master" &&
		[ "$(grep -cx 'flags slave' <<<"$replicas")" = 2 ] &&
		[ "$(grep -cx 'master-link-status ok' <<<"$replicas")" = 2 ] &&
		cli "$1" 26379 SENTINEL ckquorum mymaster | grep -q '^OK'
}
sentinel_epoch() { sentinel_view "$1" master | sed -n 's/^config-epoch //p'; }
sentinel_names() { [ "$(sentinel_master "$1")" = "$2" ]; }
every_sentinel_ready() {
	local i
	for i in 0 1 2; do sentinel_ready "$i" || return 1; done
}

start_pod 0
check "pod 0 of a brand-new set starts as master" wait_for 10 has_role 0 master
# Pod 0's own Sentinel may already answer (with the master its init container chose).
check "pod 0's log says why" wait_for 5 grep -Eq "no sentinel knows a master yet|reports master $(host 0)" "$work/pod0/redis.log"
start_pod 1
start_pod 2
check "pods 1 and 2 replicate from pod 0" wait_for 15 has_replicas 0 2
check "pod 2 learned the master from a sentinel" wait_for 5 grep -q "sentinel .* reports master $(host 0)" "$work/pod2/redis.log"
check "replicas announce their host names" wait_for 5 sh -c "redis-cli --no-auth-warning -h $(host 0) INFO replication | grep -q 'ip=$(host 2)'"
cli 0 6379 SET greeting hello >/dev/null
# (the master waits repl-diskless-sync-delay, 5 s, before the first full sync)
check "data replicates" wait_for 15 value_is 2 greeting hello
# (replica discovery takes up to one INFO period, 10 s, after a replica connects)
check "every sentinel knows the other two and both replicas" wait_for 30 every_sentinel_ready
check "probe: ready on PONG" env REDIS_PROBE_HOST=127.0.0.3 sh "$scripts/redis-probe.sh" 6379 ready
check "probe: not ready with a wrong password" sh -c "! REDISCLI_AUTH=wrong REDIS_PROBE_HOST=127.0.0.3 sh '$scripts/redis-probe.sh' 6379 ready >/dev/null"
check "probe: sentinel port" env REDIS_PROBE_HOST=127.0.0.3 sh "$scripts/redis-probe.sh" 26379 alive

# The Sentinels of the pods given all report one same master, and it is not host $1 ("": any).
sentinels_agree() { # sentinels_agree NOT_HOST POD...
	local not=$1 m i first=
	shift
	for i in "$@"; do
		m=$(sentinel_master "$i")
		[ -n "$m" ] && [ "$m" != "$not" ] && [ "${first:=$m}" = "$m" ] || return 1
	done
}
every_sentinel_agrees_and_is_ready() { sentinels_agree "" 0 1 2 && every_sentinel_ready; }

# --- Backup and restore in Sentinel mode ---------------------------------------------------------
fingerprint() { # fingerprint POD: every key of db 0 with its type and value, sorted
	local key
	cli "$1" 6379 --scan | sort | while read -r key; do
		printf '%s %s %s\n' "$key" "$(cli "$1" 6379 TYPE "$key")" "$(cli "$1" 6379 DUMP "$key" | od -An -tx1 | tr -d ' \n')"
	done
}
restore_port=$(free_port)
restore_in() { # restore_in POD FILE: the documented `kubectl exec ... restore` in pod POD
	(in_pod "$1" env REDIS_LOCAL_HOST="127.0.0.$(($1 + 2))" REDIS_DATA_DIR="$work/pod$1/data" \
		REDIS_RESTORE_PORT="$restore_port" sh "$scripts/redis-backup.sh" restore "$2")
}
cli 0 6379 HSET user:1 name Ada lang 'C "and" Rust' >/dev/null
cli 0 6379 RPUSH queue a b c >/dev/null
for i in $(seq 1 200); do echo "SET bulk:$i value-$i"; done |
	redis-cli --no-auth-warning -h "$(host 0)" >/dev/null
check "the keys replicate" wait_for 15 sh -c "[ \"\$(redis-cli --no-auth-warning -h $(host 1) GET bulk:200)\" = value-200 ] && [ \"\$(redis-cli --no-auth-warning -h $(host 2) GET bulk:200)\" = value-200 ]"
mkdir -p "$work/backup"
check "a backup from a replica (the client Service picks any pod) succeeds" env REDIS_HOST="$(host 1)" \
	BACKUP_DIR="$work/backup" BACKUP_PREFIX=redis sh "$scripts/redis-backup.sh" backup 2>>"$work/backup.log"
snapshot=$(find "$work/backup" -name 'redis-*.rdb' | head -n 1)
backed_up=$(fingerprint 1)
# What restoring must undo: lost keys, a changed one and one written after the backup.
cli 0 6379 DEL user:1 bulk:1 >/dev/null
cli 0 6379 SET bulk:2 changed >/dev/null
cli 0 6379 SET written:after backup >/dev/null
check "... the data changes after it, on every pod" wait_for 15 value_is 1 written:after backup
wait_for 15 value_is 2 written:after backup || true
changed=$(fingerprint 1)
check "... (to other data than the backup's)" test "$changed" != "$backed_up"

refused() {
	! restore_in 1 "$snapshot" 2>"$work/refused.log" &&
		grep -q "not a master: it replicates from $(host 0); run the restore in the master's pod, redis-0" "$work/refused.log"
}
check "a restore in a replica's pod is refused, naming the master's pod" refused
check "... leaving its data alone" test "$(fingerprint 1)" = "$changed"

# Slow transfers, as a large data set has: the temporary server of the snapshot sends it only
# after 40 s, longer than a Sentinel waits (down-after plus two INFO periods, 22-32 s here)
# before it judges a master that reports the replica role down (only the temporary server reads
# the line: it includes the pod's configuration, which the running server read when it
# started); and the master sends the replicas the new data 20 s after they ask.
echo 'repl-diskless-sync-delay 40' >>"$work/pod0/redis.conf"
cli 0 6379 CONFIG SET repl-diskless-sync-delay 20 >/dev/null
restore_started=$SECONDS
check "the restore in the master's pod succeeds" restore_in 0 "$snapshot" 2>>"$work/restore.log"
echo "# the restore took $((SECONDS - restore_started)) s"
sed -i '/^repl-diskless-sync-delay 40$/d' "$work/pod0/redis.conf"
# Right when the restore has returned: it waits for the replicas.
same_as_backup() { [ "$(fingerprint "$1")" = "$backed_up" ]; }
check "... the master holds exactly the backup's data" same_as_backup 0
check "... and so does replica 1, once the restore has returned" same_as_backup 1
check "... and replica 2" same_as_backup 2
cli 0 6379 CONFIG SET repl-diskless-sync-delay 5 >/dev/null
check "... pod 0 is still the master" has_role 0 master
names_pod0() {
	local i
	for i in 0 1 2; do [ "$(sentinel_master "$i")" = "$(host 0)" ] || return 1; done
}
check "... and every sentinel names it (no failover while it loaded)" names_pod0
check "... none judged it down" sh -c "! grep -h '+sdown master' '$work'/pod*/sentinel.log"
downs_back() {
	local i
	for i in 0 1 2; do sentinel_view "$i" master | grep -qx 'down-after-milliseconds 2000' || return 1; done
}
check "... and each sentinel's down-after-milliseconds is back to 2000" downs_back
check "... every sentinel is ready again" wait_for 30 every_sentinel_agrees_and_is_ready

# The master dies; the Sentinels fail over. Done when every Sentinel still running reports the
# same new master (the one a restarting pod asks may otherwise not have heard of it yet).
stop 0 redis
check "sentinels fail over to pod 1 or 2" wait_for 30 sentinels_agree "$(host 0)" 0 1 2
new_master=$(sentinel_master 1)
echo "# new master: $new_master"

# The old master's container restarts: it must ask, not assume pod 0.
start_redis 0
check "restarted pod 0 rejoins as a replica" wait_for 15 has_role 0 slave
check "... of the new master" wait_for 5 replicates_from 0 "$new_master"
check "... because a sentinel said so" grep -q "starting as replica of $new_master" "$work/pod0/redis.log"
check "the new master keeps the data" test "$(redis-cli --no-auth-warning -h "$new_master" GET greeting)" = hello

# A Sentinel container restarts (same emptyDir): Sentinel has rewritten its file by now, with its
# password lines unquoted, which it cannot read again with this password (a space, quotes, a
# backslash); sentinel-start.sh must quote them again before it starts Sentinel.
stop 1 sentinel
check "sentinel 1 rewrote its file (it lists the Sentinels it knows)" \
	grep -q '^sentinel known-sentinel ' "$work/pod1/sentinel/sentinel.conf"
check "... and wrote its password back unquoted" \
	grep -qxF "sentinel auth-pass mymaster $REDISCLI_AUTH" "$work/pod1/sentinel/sentinel.conf"
start_sentinel 1
sentinel_up() { [ "$(cli 1 26379 PING)" = PONG ]; }
check "the restarted sentinel 1 reads its own rewritten file and comes back" wait_for 10 sentinel_up
check "... with its password lines quoted again" \
	grep -qxF "sentinel auth-pass mymaster \"$(printf '%s' "$REDISCLI_AUTH" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')\"" \
	"$work/pod1/sentinel/sentinel.conf"
check "... and rejoins: every sentinel knows the others and both replicas" \
	wait_for 30 every_sentinel_agrees_and_is_ready

# Pod 0 is re-created: its emptyDirs (Sentinel's file) are gone.
stop 0 sentinel
stop 0 redis
rm -rf "$work/pod0/sentinel" "$work/pod0/run"
mkdir -p "$work/pod0/sentinel" "$work/pod0/run"
start_sentinel 0
check "a re-created pod's sentinel monitors the current master" grep -q "sentinel monitor mymaster $new_master 6379 2" "$work/pod0/sentinel/sentinel.conf"
start_redis 0
check "a re-created pod 0 rejoins as a replica" wait_for 15 has_role 0 slave
check "... and its new sentinel joins the others" wait_for 30 every_sentinel_ready
# A restarted init container keeps Sentinel's own, newer file.
cp "$work/pod0/sentinel/sentinel.conf" "$work/before.conf"
(in_pod 0 sh "$scripts/sentinel-init.sh" >>"$work/pod0/init.log" 2>&1)
check "sentinel-init keeps an existing file" grep -q 'keeping existing' "$work/pod0/init.log"

# A stale Sentinel. Pod 0's Sentinel is down while the other two fail the master over, then
# comes back with its old file: it names the old master, under the old configuration epoch. To
# keep it stale for as long as a partition would (it would otherwise hear of the failover within
# seconds), it has forgotten the replicas and Sentinels it knew, so it subscribes to no hello
# channel but the dead master's, and it refuses the PUBLISH by which the others tell it
# directly. The old master's pod then restarts: pod 0's Sentinel is the first it asks, and it
# must follow the answer with the highest epoch, not the first one.
check "every sentinel is ready before the stale-sentinel failover" wait_for 30 every_sentinel_ready
old_master=$(sentinel_master 1)
old=${old_master%%.*}
old=${old##*-}
stop 0 sentinel
# The stale file: without what would let it hear of the failover (known replicas and
# Sentinels), and with a default user that may not PUBLISH (it replaces the one Sentinel wrote).
# (Sentinel writes its password lines back unquoted; sentinel-start.sh quotes them again.)
{
	grep -v -e '^sentinel known-replica ' -e '^sentinel known-slave ' -e '^sentinel known-sentinel ' \
		-e '^user default ' "$work/pod0/sentinel/sentinel.conf"
	printf 'user default on #%s ~* &* +@all -publish\n' \
		"$(printf '%s' "$REDISCLI_AUTH" | sha256sum | cut -d ' ' -f 1)"
} >"$work/stale.conf"
log_lines=$(wc -l <"$work/pod$old/redis.log")
stop "$old" redis
check "with pod 0's sentinel down, the other two fail over" \
	wait_for 30 sentinels_agree "$old_master" 1 2
next_master=$(sentinel_master 1)
echo "# new master: $next_master"
cp "$work/stale.conf" "$work/pod0/sentinel/sentinel.conf"
start_sentinel 0
check "the restarted stale sentinel names the old master" wait_for 5 sentinel_names 0 "$old_master"
check "... under a lower config epoch" \
	test "$(sentinel_epoch 0)" -lt "$(sentinel_epoch 1)"
start_redis "$old"
# What the restarted container logged (its earlier starts are in the same file).
restart_log_says() { tail -n "+$((log_lines + 1))" "$work/pod$old/redis.log" | grep -q "$1"; }
check "the restarted old master follows the highest epoch: replica of the new master" \
	wait_for 15 restart_log_says "starting as replica of $next_master"
check "... not the stale sentinel it asked first" not restart_log_says "starting as master"
check "... and replicates from it" wait_for 15 replicates_from "$old" "$next_master"
# The stale Sentinel hears of the new configuration from the restarted pod's hello channel.
cli 0 26379 ACL SETUSER default +publish >/dev/null || true
check "the stale sentinel catches up and every sentinel is ready again" \
	wait_for 60 every_sentinel_agrees_and_is_ready

# The master's node is lost: its Redis and its Sentinel go together. The two Sentinels left (one
# of them the re-created or the once-stale one) still make a majority of the three and fail over.
check "every sentinel names the same master" wait_for 10 sentinels_agree "" 0 1 2
master_now=$(sentinel_master 1)
lost=${master_now%%.*}
lost=${lost##*-}
left=()
for i in 0 1 2; do [ "$i" = "$lost" ] || left+=("$i"); done
stop "$lost" sentinel
stop "$lost" redis
check "after losing the master's whole pod, the other two fail over" \
	wait_for 30 sentinels_agree "$master_now" "${left[@]}"
third_master=$(sentinel_master "${left[0]}")
echo "# new master: $third_master"
check "... and the data survives both failovers" wait_for 5 sh -c \
	"[ \"\$(redis-cli --no-auth-warning -h $third_master GET greeting)\" = hello ]"

check "the password is in no generated file in clear but quoted" grep -qF 'requirepass "p@ss \"quoted\" back\\slash"' "$work/pod1/run/redis.conf"
check "generated files are private" test "$(stat -c %a "$work/pod1/run/redis.conf")" = 600

harness_done
