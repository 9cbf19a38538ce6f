#!/bin/bash
# MySQL readiness: an authenticated query over the local socket.
#
# The root password is read from the mounted Secret file and handed to the client as an option
# file on a pipe (process substitution), so it never appears on any command line (`ps`,
# /proc/*/cmdline) and is never written to disk. This is the mechanism the image's own
# entrypoint uses for its initialisation queries.
#
# Environment: MYSQL_ROOT_PASSWORD_FILE (path of the mounted Secret key).
set -eu

password_file=${MYSQL_ROOT_PASSWORD_FILE:?MYSQL_ROOT_PASSWORD_FILE is not set}
# `$(<file)` strips trailing newlines, exactly as the entrypoint's file_env does when it sets
# the password, so both sides agree on the value.
password=$(<"$password_file")
# Option-file values are unescaped by the client: protect backslashes and double quotes.
password=${password//\\/\\\\}
password=${password//\"/\\\"}

mysql --defaults-extra-file=<(printf '[client]\nuser=root\npassword="%s"\n' "$password") \
	--protocol=socket --connect-timeout=5 --batch --skip-column-names \
	--execute='SELECT 1' >/dev/null
