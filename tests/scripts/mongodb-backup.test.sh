#!/bin/bash
# The MongoDB blueprint's backup script, run the way the backup CronJob and the documented
# restore run it, but with STAND-INS for `mongodump` and `mongorestore` first on the PATH.
#
# The real MongoDB Database Tools and mongod are NOT on the test machines (MongoDB is not in
# Debian, mongo-tools not on a registry the project may use), so this checks the script's own
# logic only, never a real dump or restore: the arguments and configuration it hands the tools
# (the password in the `--config` YAML on a descriptor, never on a command line; user and
# authentication database; `secondaryPreferred`, `--db`, `--archive --gzip`, no `--oplog`; TLS;
# `--drop --nsInclude` and standard input on restore), the check of the output (a complete gzip
# stream starting with the archive magic), that a failed dump leaves no finished file nor a
# temporary one and removes no older dump, the rotation and the removal of stale temporary files
# (backup-lib.sh, the same code the MySQL and Redis harnesses run against real servers). The
# stand-in writes a gzip of the archive magic and some bytes; it is no mongodump archive beyond
# that.
#
# Needs: sh (dash, as in the mongo image), gzip, od; strace for the execve check. No root.
# Usage: bash tests/scripts/mongodb-backup.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

mkdir -p "$work/bin" "$work/backup" "$work/calls"
# The stand-in for both tools: records its argv (one argument a line) and the configuration it
# reads from /dev/fd/3, then acts as told by FAKE_MODE: ok (writes a gzip archive), fail (writes
# half a file and fails), garbage (succeeds with a file that is not gzip), truncated (succeeds
# with a gzip stream cut short). mongorestore copies the archive it reads into calls/.
cat >"$work/bin/fake-tool" <<'EOF'
#!/bin/sh
set -eu
tool=$(basename "$0")
calls=$FAKE_CALLS
n=$(($(find "$calls" -name "$tool.*.argv" | wc -l) + 1))
for a in "$@"; do printf '%s\n' "$a"; done >"$calls/$tool.$n.argv"
cat /dev/fd/3 >"$calls/$tool.$n.config"
archive=
for a in "$@"; do
	case "$a" in
		--archive=*) archive=${a#--archive=} ;;
		--archive) archive=- ;;
	esac
done
case "$tool" in
	mongodump)
		case "${FAKE_MODE:-ok}" in
			ok) { printf '\155\342\231\201'; echo "dump of $*" | cut -c1-20; } | gzip >"$archive" ;;
			fail) printf 'half' >"$archive"; echo "Failed: connection refused" >&2; exit 1 ;;
			garbage) echo "not an archive" >"$archive" ;;
			truncated) { printf '\155\342\231\201'; head -c 100000 /dev/urandom; } | gzip | head -c 2000 >"$archive" ;;
		esac
		;;
	mongorestore)
		if [ "$archive" = - ]; then cat >"$calls/$tool.$n.input"; else cp "$archive" "$calls/$tool.$n.input"; fi
		[ "${FAKE_MODE:-ok}" = ok ] || exit 1
		;;
esac
EOF
chmod +x "$work/bin/fake-tool"
ln -s fake-tool "$work/bin/mongodump"
ln -s fake-tool "$work/bin/mongorestore"
export PATH="$work/bin:$PATH" FAKE_CALLS="$work/calls"

password='b@ck up '\''pw'\'' "x" \n #1'
printf '%s' "$password" >"$work/password"
uri='mongodb://mongo-0.mongo-headless:27017,mongo-1.mongo-headless:27017/?replicaSet=rs0'
backup() { # the CronJob's command (as the backup user, in admin), with extra VAR=value settings
	env MONGODB_URI="$uri" MONGODB_USER=backup MONGODB_AUTH_DB=admin MONGODB_DATABASE=app \
		MONGODB_PASSWORD_FILE="$work/password" BACKUP_DIR="$work/backup" BACKUP_KEEP=2 "$@" \
		sh "$scripts/mongodb-backup.sh" backup 2>>"$work/backup.log"
}
restore() { # restore FILE: the documented `kubectl exec ... -c replicaset` (the application user)
	env MONGODB_URI="$uri" MONGODB_USER=app MONGODB_DATABASE=app MONGODB_PASSWORD="$password" \
		sh "$scripts/mongodb-backup.sh" restore "$1" 2>>"$work/restore.log"
}
dumps() { find "$work/backup" -maxdepth 1 -name 'app-*.archive.gz' | sort; }
last() { find "$work/calls" -name "$1.*.$2" | sort -t. -k2,2n | tail -n 1; }
has_arg() { grep -qxF -- "$2" "$(last "$1" argv)"; }
has_args() { # has_args TOOL ARG...: the tool's last call had every ARG
	local tool=$1 a
	shift
	for a in "$@"; do has_arg "$tool" "$a" || { echo "# $tool lacks $a" && return 1; }; done
}
# The password the stand-in read from its --config YAML (a single-quoted scalar).
config_password() { sed -n "s/^password: '\(.*\)'\$/\1/p" "$(last "$1" config)" | sed "s/''/'/g"; }

check "a backup succeeds" backup
check "... writing one archive named after the database and the time" \
	sh -c "[ \$(find '$work/backup' -name 'app-*' | wc -l) = 1 ] && find '$work/backup' -name 'app-*' | grep -Eq '/app-[0-9]{8}T[0-9]{6}Z\.archive\.gz$'"
check "... readable by its owner only" test "$(stat -c %a "$(dumps | tail -n 1)")" = 600
check "... and no temporary file is left" test "$(find "$work/backup" -name '.*' -type f | wc -l)" = 0
check "mongodump is given the replica set URI, the backup user and admin" \
	has_args mongodump "--uri=$uri" --username=backup --authenticationDatabase=admin
check "... reads from a secondary when there is one" has_arg mongodump --readPreference=secondaryPreferred
check "... dumps the application database into a gzip archive, under a temporary name" \
	sh -c "grep -qxF -- --db=app '$(last mongodump argv)' && grep -qxF -- --gzip '$(last mongodump argv)' && grep -Eqx -- '--archive=$work/backup/\.app-[0-9T]+Z\.archive\.gz\.partial' '$(last mongodump argv)'"
check "... without --oplog (not valid for one database) nor TLS options" \
	sh -c "! grep -Eq -- '^--(oplog|ssl)' '$(last mongodump argv)'"
check "... and reads the password from its --config YAML on descriptor 3" \
	sh -c "grep -qxF -- --config=/dev/fd/3 '$(last mongodump argv)' && [ \"\$1\" = \"\$2\" ]" - "$(config_password mongodump)" "$password"
check "... the password on none of its arguments" sh -c "! grep -qF 'ck up' '$(last mongodump argv)'"

# Rotation: older archives (by their names' times) go, other files stay.
rm -f "$work"/backup/app-*
for t in 20200101T000000Z 20210101T000000Z 20220101T000000Z; do
	echo old >"$work/backup/app-$t.archive.gz"
done
echo other >"$work/backup/other-20200101T000000Z.archive.gz"
echo note >"$work/backup/app-notes.txt"
# Temporary files of runs killed outright: one two days old, one of a run that may still be going.
echo stale >"$work/backup/.app-20200101T000000Z.archive.gz.partial"
touch -d '2 days ago' "$work/backup/.app-20200101T000000Z.archive.gz.partial"
echo running >"$work/backup/.app-20990101T000000Z.archive.gz.partial"
check "the next backup succeeds" backup
check "... keeping the newest BACKUP_KEEP archives" \
	sh -c "[ \$(find '$work/backup' -name 'app-*.archive.gz' | wc -l) = 2 ] && [ -f '$work/backup/app-20220101T000000Z.archive.gz' ] && [ ! -f '$work/backup/app-20210101T000000Z.archive.gz' ]"
check "... and leaving other files alone" \
	test -f "$work/backup/other-20200101T000000Z.archive.gz" -a -f "$work/backup/app-notes.txt"
check "... removing a temporary file older than a day, not a recent one" \
	test ! -e "$work/backup/.app-20200101T000000Z.archive.gz.partial" -a -f "$work/backup/.app-20990101T000000Z.archive.gz.partial"
rm -f "$work/backup/.app-20990101T000000Z.archive.gz.partial"

before=$(ls -a "$work/backup")
for mode in fail garbage truncated; do
	rc=0
	backup FAKE_MODE="$mode" || rc=$?
	check "a backup whose mongodump does '$mode' fails" test "$rc" = 1
	check "... leaving no archive, no temporary file, and every older archive" test "$(ls -a "$work/backup")" = "$before"
done
calls_before=$(find "$work/calls" -name 'mongodump.*.argv' | wc -l)
rc=0
backup BACKUP_KEEP=0 || rc=$?
check "BACKUP_KEEP=0 is refused" test "$rc" = 2
check "... before anything runs" test "$(find "$work/calls" -name 'mongodump.*.argv' | wc -l)" = "$calls_before"
rc=0
backup MONGODB_PASSWORD_FILE=/nonexistent || rc=$?
check "a missing password file fails" test "$rc" != 0
printf 'two\nlines' >"$work/two-lines"
rc=0
backup MONGODB_PASSWORD_FILE="$work/two-lines" || rc=$?
check "a password of two lines is refused" test "$rc" = 1

check "with TLS, the backup succeeds" backup MONGODB_TLS_CA=/etc/kubeprint-tls/ca.crt
check "... mongodump verifying the server with the CA (--ssl --sslCAFile)" \
	has_args mongodump --ssl --sslCAFile=/etc/kubeprint-tls/ca.crt

latest=$(dumps | tail -n 1)
check "restore from a file succeeds" restore "$latest"
check "... mongorestore reading that archive" cmp -s "$latest" "$(last mongorestore input)"
check "... with --gzip --drop, only the application database's collections" \
	has_args mongorestore --gzip --drop '--nsInclude=app.*' "--archive=$latest" "--uri=$uri" --config=/dev/fd/3
check "... without --oplogReplay (the dump has no oplog)" sh -c "! grep -q -- --oplogReplay '$(last mongorestore argv)'"
check "... as the application user, authenticated by its database" \
	has_args mongorestore --username=app --authenticationDatabase=app
check "... its password (from MONGODB_PASSWORD) in the --config YAML only" \
	sh -c "[ \"\$1\" = \"\$2\" ] && ! grep -qF 'ck up' '$(last mongorestore argv)'" - "$(config_password mongorestore)" "$password"
restore_stdin() { restore - <"$latest"; }
check "restore from standard input (kubectl exec -i) succeeds" restore_stdin
check "... mongorestore reading the archive from standard input (--archive)" \
	sh -c "grep -qxF -- --archive '$(last mongorestore argv)' && cmp -s '$latest' '$(last mongorestore input)'"
rc=0
FAKE_MODE=fail restore "$latest" || rc=$?
check "a failing mongorestore fails the restore" test "$rc" = 1
rc=0
restore "$work/nonexistent" || rc=$?
check "a missing file is refused" test "$rc" = 1

if command -v strace >/dev/null; then
	env MONGODB_URI="$uri" MONGODB_USER=backup MONGODB_AUTH_DB=admin MONGODB_DATABASE=app \
		MONGODB_PASSWORD_FILE="$work/password" BACKUP_DIR="$work/backup" BACKUP_KEEP=5 \
		strace -f -qq -s 4096 -e trace=execve -o "$work/trace" sh "$scripts/mongodb-backup.sh" backup 2>/dev/null
	check "the backup runs mongodump (traced)" grep -q 'mongodump' "$work/trace"
	check "the password is on no command line of any process" sh -c "! grep -qF 'ck up' '$work/trace'"
else
	echo "# strace not found: the execve check is skipped"
fi

harness_done
