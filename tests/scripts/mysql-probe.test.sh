#!/bin/bash
# Runs the MySQL blueprint's probe script against a real server (MariaDB from Debian when
# MySQL is not installed: same client options, option-file syntax and mysqladmin semantics).
#
# Checks: `ping` succeeds while the server runs, also when the password is wrong (the server
# answers), and fails when it is down; `ready` succeeds only with the right password; a
# password with quotes, backslashes, '#' and spaces survives the option-file quoting; the
# password is on no command line while the probe runs.
#
# Needs: mariadbd or mysqld, mysql_install_db or mysqld --initialize-insecure, mysql, mysqladmin.
# Usage: bash tests/scripts/mysql-probe.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

mysql_env "$work"
mysql_init_db
mysql_start --no-defaults --skip-networking

password='p"a\ss w#rd'\''x'
sql_password=${password//\\/\\\\}
sql_password=${sql_password//\'/\\\'}
mysql --no-defaults --socket="$MYSQL_UNIX_PORT" -uroot \
	-e "ALTER USER 'root'@'localhost' IDENTIFIED BY '$sql_password'; FLUSH PRIVILEGES;"
printf '%s' "$password" >"$work/root-password"
printf 'wrong' >"$work/wrong-password"

probe() { MYSQL_ROOT_PASSWORD_FILE=$work/$1 bash "$scripts/mysql-probe.sh" "$2" >/dev/null 2>&1; }
check "ready with the right password" probe root-password ready
check "not ready with a wrong password" sh -c "! MYSQL_ROOT_PASSWORD_FILE=$work/wrong-password bash $scripts/mysql-probe.sh ready >/dev/null 2>&1"
check "ping with the right password" probe root-password ping
check "ping also when the login is refused (server answers)" probe wrong-password ping
printf '%s\n' "$password" >"$work/root-password-newline"
check "a trailing newline in the Secret is ignored, like the entrypoint does" probe root-password-newline ready

# The password never shows on a command line: trace every program the probes start (strace
# when available, which records each execve's arguments).
if command -v strace >/dev/null; then
	for mode in ping ready; do
		MYSQL_ROOT_PASSWORD_FILE=$work/root-password strace -f -qq -s 4096 -e trace=execve -o "$work/trace-$mode" \
			bash "$scripts/mysql-probe.sh" "$mode" >/dev/null 2>&1 || true
	done
	check "the probes run mysqladmin and mysql" sh -c "grep -q 'mysqladmin' '$work/trace-ping' && grep -q '\"mysql\"' '$work/trace-ready'"
	check "the password is on no command line" sh -c "! grep -qF 'ss w#rd' '$work/trace-ping' '$work/trace-ready'"
else
	echo "# strace not found: command-line check skipped"
fi

stop_pid "$mysql_pid"
check "ping fails when the server is down" sh -c "! MYSQL_ROOT_PASSWORD_FILE=$work/root-password bash $scripts/mysql-probe.sh ping >/dev/null 2>&1"
check "ready fails when the server is down" sh -c "! MYSQL_ROOT_PASSWORD_FILE=$work/root-password bash $scripts/mysql-probe.sh ready >/dev/null 2>&1"

harness_done
