#!/bin/bash
# shellcheck disable=SC2034 # run_as, passed, failed: read by the scripts that source this file
# Shared by the script harnesses (sourced): TAP-like checks with a closing count, a free
# loopback port, and the environment that points MySQL/MariaDB clients at a test server.

passed=0
failed=0
# check NAME CMD...: runs CMD; prints "ok - NAME" or "not ok - NAME" and counts it.
check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		failed=$((failed + 1))
	fi
}

# A loopback port nothing listens on (the local control plane and other servers run beside
# these tests on random ports of the same range).
free_port() {
	local p
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "no free loopback port found" >&2
	return 1
}

# mysql_env WORK: the server's socket in WORK, and a HOME of its own whose .my.cnf points the
# clients at it (they read /etc/my.cnf files first; the image's /etc/my.cnf does the same in
# the pod). Sets run_as (the server's --user when running as root; WORK then belongs to nobody).
mysql_env() {
	run_as=()
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$1" 2>/dev/null || true
		run_as=(--user=root)
	fi
	export MYSQL_UNIX_PORT=$1/mysqld.sock
	export HOME=$1
	printf '[client]\nsocket=%s\n' "$MYSQL_UNIX_PORT" >"$1/.my.cnf"
}

# wait_for_mysql LOG: waits (60 s at most: the harnesses run side by side on busy CI cores)
# until the server on $MYSQL_UNIX_PORT answers; otherwise prints LOG and fails.
wait_for_mysql() {
	for _ in $(seq 1 600); do
		[ -S "$MYSQL_UNIX_PORT" ] && mysqladmin --no-defaults --socket="$MYSQL_UNIX_PORT" -uroot ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "not ok - the server answers within 60 s; its log:"
	sed 's/^/# /' "$1"
	return 1
}
