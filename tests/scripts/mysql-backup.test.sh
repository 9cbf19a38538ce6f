#!/bin/bash
# Runs the MySQL blueprint's backup script against a real server (MariaDB from Debian when
# MySQL is not installed) the way the backup CronJob does (over TCP, as the application user),
# and restores the dump the way the documentation says.
#
# Checks: a backup writes a complete dump named after the database and the time; the newest
# BACKUP_KEEP dumps are kept; a failed dump (wrong password) fails and leaves no dump behind,
# not even its temporary file (the rotation and atomic write are backup-lib.sh's, shared with the
# Redis and MongoDB scripts); the dump restores the data, routines and triggers after the table
# was lost, both from a file over TCP and from standard input over the socket (`kubectl exec -i
# ... restore -`); the password is on no command line (strace, when installed).
#
# Needs: mariadbd or mysqld, mysql_install_db, mysql, mysqldump. Root or not.
# Usage: bash tests/scripts/mysql-backup.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

mysql_env "$work"
port=$(free_port)
mysql_init_db
mysql_start --no-defaults --bind-address=127.0.0.1 --port="$port"

root() { mysql --no-defaults --socket="$MYSQL_UNIX_PORT" -uroot --batch --skip-column-names "$@"; }
password='b"a\ck up#pw'\''x'
sql_password=${password//\\/\\\\}
sql_password=${sql_password//\'/\\\'}
# The application user as the image's entrypoint creates it: all privileges on its database.
root -e "CREATE DATABASE app; CREATE USER 'app'@'%' IDENTIFIED BY '$sql_password';
	CREATE USER 'app'@'localhost' IDENTIFIED BY '$sql_password';
	GRANT ALL ON app.* TO 'app'@'%'; GRANT ALL ON app.* TO 'app'@'localhost';"
# The application's own schema, made by the application user (definer of its routines).
printf '[client]\nuser=app\npassword="%s"\nsocket=%s\n' "$(printf '%s' "$password" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" "$MYSQL_UNIX_PORT" >"$work/app.cnf"
as_app() { mysql --defaults-file="$work/app.cnf" --batch --skip-column-names "$@"; }
as_app app -e "CREATE TABLE posts (id INT PRIMARY KEY, title VARCHAR(100), slug VARCHAR(100)) ENGINE=InnoDB;
	INSERT INTO posts VALUES (1, 'Hello', NULL), (2, 'It''s \"quoted\"', NULL);
	CREATE TRIGGER posts_slug BEFORE INSERT ON posts FOR EACH ROW SET NEW.slug = LOWER(NEW.title);
	CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN 2 * x;"
printf '%s' "$password" >"$work/password"
printf 'wrong' >"$work/wrong"
mkdir -p "$work/backup"

backup() { # backup PASSWORD_FILE KEEP
	MYSQL_HOST=127.0.0.1 MYSQL_PORT="$port" MYSQL_USER=app MYSQL_DATABASE=app \
		MYSQL_PASSWORD_FILE=$work/$1 BACKUP_DIR=$work/backup BACKUP_KEEP=$2 \
		bash "$scripts/mysql-backup.sh" backup 2>>"$work/backup.log"
}
dumps() { find "$work/backup" -maxdepth 1 -name 'app-*.sql' | sort; }

check "a backup succeeds" backup password 2
check "... writing one dump named after the database and the time" sh -c "[ \$(find '$work/backup' -name 'app-*.sql' | wc -l) = 1 ] && find '$work/backup' -name 'app-*.sql' | grep -Eq '/app-[0-9]{8}T[0-9]{6}Z\.sql$'"
check "... which is complete" grep -q -- '-- Dump completed' "$(dumps | tail -n 1)"
sleep 1
backup password 2
sleep 1
backup password 2
check "the newest BACKUP_KEEP dumps are kept" test "$(dumps | wc -l)" = 2
before=$(ls "$work/backup")
check "a failing dump fails the run" sh -c "! MYSQL_HOST=127.0.0.1 MYSQL_PORT=$port MYSQL_USER=app MYSQL_DATABASE=app MYSQL_PASSWORD_FILE=$work/wrong BACKUP_DIR=$work/backup bash $scripts/mysql-backup.sh backup 2>/dev/null"
check "... and leaves no dump behind, not even its temporary file" test "$(find "$work/backup" -maxdepth 1 -name '*app-*' | wc -l)" = 2
check "... nor removes an older one" test "$(ls "$work/backup")" = "$before"

latest=$(dumps | tail -n 1)
root app -e "DROP TABLE posts; DROP FUNCTION twice;"
check "restore from a file over TCP succeeds" env MYSQL_HOST=127.0.0.1 MYSQL_PORT="$port" MYSQL_USER=app MYSQL_DATABASE=app \
	MYSQL_PASSWORD_FILE="$work/password" bash "$scripts/mysql-backup.sh" restore "$latest"
check "... bringing the rows back" test "$(root app -e 'SELECT GROUP_CONCAT(title ORDER BY id) FROM posts')" = "Hello,It's \"quoted\""
check "... and the routines" test "$(root app -e 'SELECT twice(21)')" = 42
root app -e "INSERT INTO posts (id, title) VALUES (3, 'TRIGGERED')"
check "... and the triggers" test "$(root app -e 'SELECT slug FROM posts WHERE id = 3')" = triggered

root app -e "DROP TABLE posts"
check "restore from standard input over the socket (kubectl exec -i) succeeds" sh -c \
	"MYSQL_USER=app MYSQL_DATABASE=app MYSQL_PASSWORD_FILE='$work/password' bash '$scripts/mysql-backup.sh' restore - <'$latest'"
check "... bringing the rows back" test "$(root app -e 'SELECT COUNT(*) FROM posts')" = 2

if command -v strace >/dev/null; then
	MYSQL_HOST=127.0.0.1 MYSQL_PORT="$port" MYSQL_USER=app MYSQL_DATABASE=app MYSQL_PASSWORD_FILE=$work/password \
		BACKUP_DIR=$work/backup BACKUP_KEEP=5 strace -f -qq -s 4096 -e trace=execve -o "$work/trace" \
		bash "$scripts/mysql-backup.sh" backup 2>/dev/null || true
	check "the backup runs mysqldump" grep -q mysqldump "$work/trace"
	check "the password is on no command line" sh -c "! grep -qF 'ck up#pw' '$work/trace'"
else
	echo "# strace not found: command-line check skipped"
fi

harness_done
