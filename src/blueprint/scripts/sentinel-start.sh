#!/bin/sh
# The sentinel container: quotes the password lines of Sentinel's configuration, then runs
# Sentinel on it.
#
# Sentinel rewrites its file at runtime (known replicas and Sentinels, epochs...) and writes
# the passwords back unquoted (`sentinel auth-pass NAME p w`), which it cannot read again when
# the password has a space, a quote or a backslash: a restarted container (same emptyDir) would
# crash-loop. So on every start the password lines are written again, quoted, from the
# environment; every other line is kept as Sentinel wrote it. The password stays off command
# lines: awk reads it from its environment.
set -eu
# shellcheck source=redis-lib.sh
. "$(dirname "$0")/redis-lib.sh"

run_dir=${SENTINEL_RUN_DIR:-/run/sentinel}
conf="$run_dir/sentinel.conf"

[ -s "$conf" ] || die "$conf is missing (written by sentinel-init.sh)"
password=$(quoted_password)
umask 077
# Keywords are case-insensitive; a master set name never contains a space.
QUOTED_PASSWORD=$password awk '
	{ key = tolower($1); sub_key = tolower($2) }
	key == "requirepass" { print "requirepass " ENVIRON["QUOTED_PASSWORD"]; next }
	key == "sentinel" && sub_key == "sentinel-pass" {
		print "sentinel sentinel-pass " ENVIRON["QUOTED_PASSWORD"]; next
	}
	key == "sentinel" && sub_key == "auth-pass" {
		print "sentinel auth-pass " $3 " " ENVIRON["QUOTED_PASSWORD"]; next
	}
	{ print }
' "$conf" >"$conf.tmp"
chmod 0600 "$conf.tmp"
mv "$conf.tmp" "$conf"
log "quoted the password lines of $conf"
exec redis-server "$conf" --sentinel
