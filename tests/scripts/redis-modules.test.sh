#!/bin/bash
# Runs the Redis blueprint's start script (standalone) against a real redis-server and checks
# the module loading that replaces the official image's entrypoint: with REDIS_MODULES=bundled
# every module found in REDIS_MODULES_DIR is loaded (MODULE LIST names it), with
# REDIS_MODULES=none none is, an empty directory starts plain Redis, and an unknown value
# stops the script.
#
# Debian has no build of the Redis 8 modules, so the "bundled" modules here are stand-ins
# compiled with cc: real modules in redis-server's sense (they register a name through the
# module API), under the file names the official image uses.
#
# Needs: redis-server, redis-cli, cc. No root.
# Usage: bash tests/scripts/redis-modules.test.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "$0")/harness.sh"
harness_workdir

# A minimal module: RedisModule_OnLoad fetches RedisModule_SetModuleAttribs through the API
# pointer redis-server passes in the context (what redismodule.h's RedisModule_Init does) and
# registers the name given at compile time.
cat >"$work/module.c" <<'C'
typedef int (*get_api_fn)(const char *, void *);
typedef void (*set_attribs_fn)(void *, const char *, int, int);
int RedisModule_OnLoad(void *ctx, void **argv, int argc) {
	(void)argv;
	(void)argc;
	get_api_fn get_api = (get_api_fn)((void **)ctx)[0];
	set_attribs_fn set_attribs = 0;
	if (get_api("RedisModule_SetModuleAttribs", (void *)&set_attribs) != 0 || !set_attribs)
		return 1;
	set_attribs(ctx, MODULE_NAME, 1, 1);
	return 0;
}
C
mkdir -p "$work/modules" "$work/empty"
for m in rejson:ReJSON redisearch:search; do
	cc -shared -fPIC -DMODULE_NAME="\"${m#*:}\"" -o "$work/modules/${m%%:*}.so" "$work/module.c"
done

password='modules test "pw"'

# start NAME MODULES DIR: runs redis-start.sh standalone as the container would.
start() {
	local name=$1 modules=$2 dir=$3
	mkdir -p "$work/$name/run" "$work/$name/data"
	port=$(free_port)
	printf 'bind 127.0.0.1\nport %s\ndir %s\nappendonly no\nsave ""\n' "$port" "$work/$name/data" >"$work/$name/base.conf"
	redis_standalone "$work/$name/log" REDISCLI_AUTH="$password" REDIS_PORT="$port" REDIS_RUN_DIR="$work/$name/run" \
		REDIS_BASE_CONF="$work/$name/base.conf" REDIS_MODULES="$modules" REDIS_MODULES_DIR="$dir"
	REDISCLI_AUTH=$password wait_for 5 redis_up "$port" && return 0
	cat "$work/$name/log" >&2
	return 1
}
modules_of() { REDISCLI_AUTH=$password redis-cli --no-auth-warning -p "$1" MODULE LIST | grep -A1 '^name$' | grep -v '^name$\|^--$' | sort | tr '\n' ' '; }

start bundled bundled "$work/modules"
check "bundled: the image's modules are loaded" test "$(modules_of "$port")" = "ReJSON search "
check "bundled: the start script names them" grep -q "loading the image's modules: redisearch rejson" "$work/bundled/log"

start none none "$work/modules"
check "none: no module is loaded" test -z "$(modules_of "$port")"

start plain bundled "$work/empty"
check "bundled, image without modules: plain Redis starts" test -z "$(modules_of "$port")"
check "bundled, image without modules: says so" grep -q "no bundled modules" "$work/plain/log"

mkdir -p "$work/bad/run"
check "an unknown REDIS_MODULES value stops the script" \
	sh -c "! REDISCLI_AUTH=x REDIS_PORT=1 REDIS_RUN_DIR='$work/bad/run' REDIS_MODULES=all sh '$scripts/redis-start.sh' standalone 2>'$work/bad/log'"
check "... naming the value" grep -q "unknown REDIS_MODULES all" "$work/bad/log"

harness_done
