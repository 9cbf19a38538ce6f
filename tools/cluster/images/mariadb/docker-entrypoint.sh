#!/bin/bash
# Entrypoint of kubeprint's local MariaDB image, a stand-in for the official `mysql` image.
# Written from that image's documented contract (hub.docker.com/_/mysql, "Environment
# Variables", "Initializing a fresh instance", "Docker Secrets"):
#   - `docker-entrypoint.sh mysqld [args]` (an argument starting with '-' means mysqld args);
#   - an empty data directory (no `<datadir>/mysql`) is initialised: root password from
#     MYSQL_ROOT_PASSWORD, or MYSQL_ALLOW_EMPTY_PASSWORD=yes, or MYSQL_RANDOM_ROOT_PASSWORD=yes
#     (printed as "GENERATED ROOT PASSWORD: ..."); root also for host MYSQL_ROOT_HOST (default
#     '%', 'localhost' means no other); MYSQL_DATABASE is created; MYSQL_USER with
#     MYSQL_PASSWORD gets ALL on it; MYSQL_ONETIME_PASSWORD=yes expires root's password;
#   - every variable also as VAR_FILE (read from that file; setting both is an error);
#   - /docker-entrypoint-initdb.d/*.sh (executed if executable, else sourced), *.sql,
#     *.sql.gz, *.sql.xz, *.sql.zst, run in order into MYSQL_DATABASE, on first start only;
#   - no time zone tables (MYSQL_INITDB_SKIP_TZINFO is implied: the image has no tzdata).
# Differences: the server is MariaDB (Debian's mariadb-server), not Oracle MySQL; no
# --initialize (mariadb-install-db instead); no chown/gosu step: the image runs as UID 999
# and expects the data directory to be writable by it (fsGroup or an owned volume).
# Passwords never appear on a command line: the client gets them in an option file on a pipe.
set -euo pipefail

log() { printf '%s [Entrypoint]: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# file_env VAR [DEFAULT]: VAR or the contents of the file named by VAR_FILE.
file_env() {
	local var=$1 file_var="$1_FILE" def=${2:-} val
	if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
		die "both $var and $file_var are set (but are exclusive)"
	fi
	val=$def
	if [[ -n ${!var:-} ]]; then
		val=${!var}
	elif [[ -n ${!file_var:-} ]]; then
		val=$(<"${!file_var}")
	fi
	export "$var"="$val"
	unset "$file_var"
}

if [[ ${1:-} == -* || $# -eq 0 ]]; then
	set -- mysqld "$@"
fi
if [[ $1 != mysqld && $1 != mariadbd ]]; then
	exec "$@"
fi

# The server's effective settings (my.cnf, conf.d, the given arguments).
server_setting() { # name args...
	local name=$1
	shift
	# The table of values follows a "---- ----" rule; earlier lines are option help text.
	"$@" --verbose --help 2>/dev/null | awk -v n="$name" '/^-+ +-+/ { table = 1; next } table && $1 == n { print $2; exit }'
}
DATADIR=$(server_setting datadir "$@")
DATADIR=${DATADIR%/}
SOCKET=$(server_setting socket "$@")
[[ -n $DATADIR && -n $SOCKET ]] || die "could not read datadir/socket from '$* --verbose --help'"

sql_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\'/\\\'}"; }
option_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//\"/\\\"}"; }
# Client options for root on the socket; the password only in this option file on a pipe.
client_options() {
	printf '[client]\nuser=root\nprotocol=socket\nsocket=%s\n' "$SOCKET"
	[[ -n ${ROOT_PASSWORD_SET:-} ]] && printf 'password="%s"\n' "$(option_escape "$MYSQL_ROOT_PASSWORD")"
	return 0
}
client() { mariadb --defaults-extra-file=<(client_options) --batch --skip-column-names "$@"; }

initialise() {
	file_env MYSQL_ROOT_PASSWORD
	file_env MYSQL_ROOT_HOST '%'
	file_env MYSQL_DATABASE
	file_env MYSQL_USER
	file_env MYSQL_PASSWORD
	file_env MYSQL_ALLOW_EMPTY_PASSWORD
	file_env MYSQL_RANDOM_ROOT_PASSWORD
	file_env MYSQL_ONETIME_PASSWORD
	if [[ -z $MYSQL_ROOT_PASSWORD && -z $MYSQL_ALLOW_EMPTY_PASSWORD && -z $MYSQL_RANDOM_ROOT_PASSWORD ]]; then
		die "database is uninitialized and password option is not specified
    You need to specify one of MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD and MYSQL_RANDOM_ROOT_PASSWORD"
	fi
	if [[ $MYSQL_USER == root ]]; then
		die "MYSQL_USER=root: use MYSQL_ROOT_PASSWORD for the root user"
	fi
	if [[ -n $MYSQL_RANDOM_ROOT_PASSWORD ]]; then
		MYSQL_ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
		log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
	fi

	log "initializing database files in $DATADIR"
	mkdir -p "$DATADIR"
	mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --rpm --cross-bootstrap >/dev/null ||
		die "mariadb-install-db failed"

	log "starting a temporary server (no networking)"
	"$@" --skip-networking --socket="$SOCKET" &
	local pid=$! i
	for ((i = 0; i < 60; i++)); do
		client -e 'SELECT 1' >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || die "the temporary server exited"
		sleep 1
	done
	((i < 60)) || die "the temporary server did not come up in 60s"

	local root_pw root_host db user pw
	root_pw=$(sql_escape "$MYSQL_ROOT_PASSWORD")
	root_host=$(sql_escape "$MYSQL_ROOT_HOST")
	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		# mariadb-install-db's extra accounts (none but root and the unix-socket mysql user).
		echo "DELETE FROM mysql.global_priv WHERE user NOT IN ('root', 'mariadb.sys', 'mysql') OR host NOT IN ('localhost');"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '${root_pw}';"
		if [[ $MYSQL_ROOT_HOST != localhost ]]; then
			echo "CREATE USER 'root'@'${root_host}' IDENTIFIED BY '${root_pw}';"
			echo "GRANT ALL ON *.* TO 'root'@'${root_host}' WITH GRANT OPTION;"
		fi
		echo "DROP DATABASE IF EXISTS test;"
		echo "FLUSH PRIVILEGES;"
	} | client
	ROOT_PASSWORD_SET=1

	if [[ -n $MYSQL_DATABASE ]]; then
		db=${MYSQL_DATABASE//\`/\`\`}
		log "creating database ${MYSQL_DATABASE}"
		client -e "CREATE DATABASE IF NOT EXISTS \`${db}\`;"
	fi
	if [[ -n $MYSQL_USER && -n $MYSQL_PASSWORD ]]; then
		user=$(sql_escape "$MYSQL_USER")
		pw=$(sql_escape "$MYSQL_PASSWORD")
		log "creating user ${MYSQL_USER}"
		{
			echo "CREATE USER '${user}'@'%' IDENTIFIED BY '${pw}';"
			[[ -n $MYSQL_DATABASE ]] && echo "GRANT ALL ON \`${db}\`.* TO '${user}'@'%';"
			echo "FLUSH PRIVILEGES;"
		} | client
	elif [[ -n $MYSQL_USER || -n $MYSQL_PASSWORD ]]; then
		log "warning: MYSQL_USER and MYSQL_PASSWORD must both be set for the user to be created"
	fi

	local f
	for f in /docker-entrypoint-initdb.d/*; do
		[[ -e $f ]] || continue
		case $f in
		*.sh)
			if [[ -x $f ]]; then
				log "running $f"
				"$f"
			else
				log "sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql) log "running $f"; client ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} <"$f" ;;
		*.sql.gz) log "running $f"; gunzip -c "$f" | client ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} ;;
		*.sql.xz) log "running $f"; xzcat "$f" | client ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} ;;
		*.sql.zst) log "running $f"; zstd -dc "$f" | client ${MYSQL_DATABASE:+"$MYSQL_DATABASE"} ;;
		*) log "ignoring $f" ;;
		esac
	done

	if [[ -n $MYSQL_ONETIME_PASSWORD ]]; then
		client -e "ALTER USER 'root'@'%' PASSWORD EXPIRE;" 2>/dev/null ||
			client -e "ALTER USER 'root'@'localhost' PASSWORD EXPIRE;"
	fi

	log "stopping the temporary server"
	kill -TERM "$pid"
	wait "$pid" || die "the temporary server did not stop cleanly"
	log "MySQL-compatible init process done. Ready for start up."
}

if [[ ! -d $DATADIR/mysql ]]; then
	initialise "$@"
else
	log "database directory $DATADIR is initialised; skipping initialization"
fi
unset MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
exec "$@"
