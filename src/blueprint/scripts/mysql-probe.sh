#!/bin/bash
# MySQL probes, authenticated as root over the local socket.
#   mysql-probe.sh ping    `mysqladmin ping`: exit status 0 whenever the server answers, even
#                          when it refuses the login (during initialisation) - startup, liveness
#   mysql-probe.sh ready   an authenticated `SELECT 1` - readiness
#
# The root password is read from the mounted Secret file and handed to the client as an option
# file on a pipe (process substitution), so it never appears on any command line (`ps`,
# /proc/*/cmdline) and is never written to disk. The image's own entrypoint passes its
# password the same way.
#
# Environment: MYSQL_ROOT_PASSWORD_FILE (path of the mounted Secret key).
set -eu

mode=${1:?usage: mysql-probe.sh ping|ready}
password_file=${MYSQL_ROOT_PASSWORD_FILE:?MYSQL_ROOT_PASSWORD_FILE is not set}
# `$(<file)` strips trailing newlines, exactly as the entrypoint's file_env does when it sets
# the password, so both sides agree on the value.
password=$(<"$password_file")
# Option-file values are unescaped by the client: protect backslashes and double quotes.
password=${password//\\/\\\\}
password=${password//\"/\\\"}

options() {
	printf '[client]\nuser=root\npassword="%s"\nprotocol=socket\nconnect-timeout=5\n' "$password"
}

case "$mode" in
	ping) mysqladmin --defaults-extra-file=<(options) ping ;;
	ready) mysql --defaults-extra-file=<(options) --batch --skip-column-names --execute='SELECT 1' >/dev/null ;;
	*)
		echo "unknown mode $mode" >&2
		exit 2
		;;
esac
