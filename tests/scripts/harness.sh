#!/bin/bash
# shellcheck disable=SC2034 # scripts, work, run_as, passed, failed: read by the scripts that source this file
# Shared by the script harnesses (sourced): TAP-like checks with a closing count, a temporary
# work directory removed on exit together with the servers started in it, waiting for a
# condition, a free loopback port, and the set-up of MySQL/MariaDB, Redis and TLS test servers.
#
# A harness starts with
#   . "$(dirname "$0")/harness.sh"
#   harness_workdir
# registers every server it starts in the background with `kill_on_exit $!`, and ends with
# `harness_done`.

# The blueprint's scripts, the code under test.
scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../src/blueprint/scripts" && pwd)

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

# harness_done: the closing count ("N passed, N failed"); fails when any check failed. The
# last command of a harness, so that its exit status says whether every check passed.
harness_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# --- work directory and processes ----------------------------------------------------------------
harness_pids=()
# kill_on_exit PID...: the harness stops PID when it exits (servers started in the background).
kill_on_exit() { harness_pids+=("$@"); }

# stop_pid PID: stops PID now (SIGTERM, as the kubelet does) and waits until it has exited: a
# successor started earlier would fail to bind the still-open port, and the old process would
# go on answering the checks meant for the new one.
stop_pid() {
	local pid=$1 p kept=()
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${harness_pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
	harness_pids=("${kept[@]}")
}

# The EXIT trap harness_workdir sets: stops every registered process (all at once, then waits
# for each) and removes the work directory (KEEP=1 keeps it, to read the servers' logs).
harness_cleanup() {
	local pid
	for pid in "${harness_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${harness_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}

# harness_workdir: sets work to a new temporary directory and arranges (trap EXIT) for
# harness_cleanup to run when the harness exits, however it exits.
harness_workdir() {
	work=$(mktemp -d)
	trap harness_cleanup EXIT
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds (then succeeds) or
# SECONDS have passed (then fails). COMMAND is evaluated anew on every try.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# A loopback port no socket uses (the local control plane and other servers run beside these
# tests on random ports). Drawn below the kernel's ephemeral range, where the local ports of
# outgoing connections are: a port a client connection holds accepts no connection, yet a
# server cannot bind it ("Address already in use").
free_port() {
	local p low=32768
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	((low > 21000)) || low=32768
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % (low - 20000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
			{ ! command -v ss >/dev/null || [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; }; then
			echo "$p"
			return 0
		fi
	done
	echo "no free loopback port found" >&2
	return 1
}

# http_up PORT PATH: the page http://127.0.0.1:PORT/PATH answers with a success status.
http_up() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1$2" 2>/dev/null; }

# --- Redis ---------------------------------------------------------------------------------------
# redis_ping PORT [REDIS-CLI OPTIONS...]: the server's answer to PING on 127.0.0.1:PORT, or
# nothing (5 s at most). The password comes from REDISCLI_AUTH.
redis_ping() {
	local p=$1
	shift
	timeout 5 redis-cli --no-auth-warning "$@" -p "$p" PING 2>/dev/null || true
}
# redis_up PORT [REDIS-CLI OPTIONS...]: the server answers PONG.
redis_up() { [ "$(redis_ping "$@")" = PONG ]; }

# redis_standalone LOG VAR=VALUE...: runs the blueprint's start script (standalone) in the
# background as the container does, with the environment VAR=VALUE..., appending its output
# to LOG; sets redis_pid and stops the server on exit.
redis_standalone() {
	local log=$1
	shift
	env "$@" sh "$scripts/redis-start.sh" standalone >>"$log" 2>&1 &
	redis_pid=$!
	kill_on_exit "$redis_pid"
}

# --- MySQL / MariaDB -----------------------------------------------------------------------------
# mysql_env WORK: the server's socket in WORK, and a HOME of its own whose .my.cnf points the
# clients at it (they read /etc/my.cnf files first; the image's /etc/my.cnf does the same in
# the pod). Sets run_as (the server's --user when running as root; WORK then belongs to nobody
# and is open to every user).
mysql_env() {
	chmod 755 "$1"
	run_as=()
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$1" 2>/dev/null || true
		run_as=(--user=root)
	fi
	export MYSQL_UNIX_PORT=$1/mysqld.sock
	export HOME=$1
	printf '[client]\nsocket=%s\n' "$MYSQL_UNIX_PORT" >"$1/.my.cnf"
}

# mysql_init_db: a new data directory in $work/data (mysql_install_db; root logs in without a
# password); on failure prints the tool's log and fails. The server's temporary files go to
# $work/tmp, not the shared /tmp: the harnesses run side by side (a CI run once failed with
# "Could not remove temporary table: '/tmp/#sql-temptable-…', error: 2" while bootstrapping).
mysql_init_db() {
	mkdir -p "$work/tmp"
	mysql_install_db --no-defaults --datadir="$work/data" --tmpdir="$work/tmp" --auth-root-authentication-method=normal "${run_as[@]}" >"$work/install.log" 2>&1 ||
		{ echo "not ok - mysql_install_db; its log:"; sed 's/^/# /' "$work/install.log"; return 1; }
}

# mysql_start DEFAULTS OPTION...: starts the server on $work/data and $MYSQL_UNIX_PORT in the
# background, logging to $work/server.log, and waits until it answers. DEFAULTS is
# --no-defaults or --defaults-file=FILE; the OPTIONs follow. Sets mysql_pid and stops the
# server on exit.
mysql_start() {
	local defaults=$1
	shift
	mkdir -p "$work/tmp"
	mariadbd "$defaults" --datadir="$work/data" --tmpdir="$work/tmp" --socket="$MYSQL_UNIX_PORT" --pid-file="$work/mysqld.pid" \
		"$@" "${run_as[@]}" >"$work/server.log" 2>&1 &
	mysql_pid=$!
	kill_on_exit "$mysql_pid"
	wait_for_mysql "$work/server.log"
}

# wait_for_mysql LOG: waits (60 s at most: the harnesses run side by side on busy CI cores)
# until the server on $MYSQL_UNIX_PORT answers; otherwise prints LOG and fails.
mysql_answers() {
	[ -S "$MYSQL_UNIX_PORT" ] && mysqladmin --no-defaults --socket="$MYSQL_UNIX_PORT" -uroot ping >/dev/null 2>&1
}
wait_for_mysql() {
	wait_for 60 mysql_answers && return 0
	echo "not ok - the server answers within 60 s; its log:"
	sed 's/^/# /' "$1"
	return 1
}

# --- TLS -----------------------------------------------------------------------------------------
# tls_ca KEY CERT CN: a new self-signed CA (RSA 2048, 2 days).
tls_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$3" -keyout "$1" -out "$2" 2>/dev/null
}

# tls_secret DIR NAME: the files of a `kubernetes.io/tls` Secret with its CA, as the blueprints
# mount them: DIR/ca.crt (a new CA, its key in $work/NAME-ca.key), DIR/tls.key and DIR/tls.crt
# for the Services NAME and NAME.test.svc (not 127.0.0.1 or localhost).
tls_secret() {
	local dir=$1 name=$2
	mkdir -p "$dir"
	tls_ca "$work/$name-ca.key" "$dir/ca.crt" test-ca
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/tls.key" -out "$work/$name.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s,DNS:%s.test.svc\n' "$name" "$name" >"$work/$name-san.ext"
	openssl x509 -req -in "$work/$name.csr" -CA "$dir/ca.crt" -CAkey "$work/$name-ca.key" -CAcreateserial -days 2 \
		-extfile "$work/$name-san.ext" -out "$dir/tls.crt" 2>/dev/null
}
