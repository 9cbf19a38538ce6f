#!/usr/bin/env bash
# Build (or reuse) the container images of kubeprint's real test node. No registry is
# reachable, so every image is made here from Debian packages (mmdebstrap -> umoci) or from
# the node's own binaries, and imported into the node's containerd by node-up.sh:
#
#   kubeprint.local/busybox:1      Debian "essential" + busybox-static, applet links in
#                                  /usr/local/bin (stands in for busybox)
#   kubeprint.local/redis:7        Debian redis-server/redis-tools/redis-sentinel (7.0),
#                                  user redis = 999:999, CMD redis-server (stands in for redis)
#   kubeprint.local/mariadb:10.11  Debian mariadb-server/-client (MariaDB 10.11), user mysql =
#                                  999:999, images/mariadb/docker-entrypoint.sh (the official
#                                  mysql image's documented contract), CMD mysqld
#                                  (stands in for mysql)
#   kubeprint.local/parse-server:8.6.26
#                                  Debian trixie nodejs (20.x) + npm parse-server 8.6.26 from
#                                  images/parse/package-lock.json (npm ci at build time, the
#                                  host's npm), user node = 1000:1000, workdir /parse-server,
#                                  ENTRYPOINT node .../parse-server/bin/parse-server
#                                  (stands in for parseplatform/parse-server)
#   kubeprint.local/ghost:6.36.0   Debian trixie nodejs (20.x) + the npm release of Ghost 6.36.0
#                                  (tarball integrity from images/ghost/package.json, its
#                                  dependencies by npm ci from images/ghost/package-lock.json),
#                                  laid out as the official image: /var/lib/ghost with current ->
#                                  versions/6.36.0, config.production.json, content.orig seeded
#                                  into content by images/ghost/docker-entrypoint.sh; user node =
#                                  1000:1000, CMD node current/index.js (stands in for ghost)
#   kubeprint.local/pause:1        node/pause (the pod sandbox; stands in for registry.k8s.io/pause)
#   kubeprint.local/ferretdb:1     node/ferretdb (FerretDB v1, SQLite backend), user 999:999,
#                                  data in /data/db (stands in for mongo)
# (CoreDNS runs as a host process of node-up.sh, so it needs no image.)
#
# Debian images:   ${cache}/images-<hash of this script, the entrypoint, the npm lock file, the
#                  suites>/*.oci.tar
# The Ghost image: ${cache}/image-ghost-<hash of this script, images/ghost/*, the suite,
#                  the mirror>/ghost.oci.tar, hard-linked into the Debian image dir (its own key:
#                  a change to Ghost's files rebuilds only Ghost)
# The pause and ferretdb images: <node bin dir>/../images/{pause,ferretdb}.oci.tar
# Each tar is an OCI layout whose index names the image (io.containerd.image.name).
# Usage: node-images.sh [NODE_BIN_DIR]   (without it: only the Debian images; prints the Debian image dir as the last line)
# Env: KUBEPRINT_CLUSTER_CACHE, KUBEPRINT_BUILD_FORCE=1, KUBEPRINT_DEBIAN_SUITE (default: the
#      host's, e.g. bookworm), KUBEPRINT_PARSE_SUITE (default trixie: parse-server 8 needs
#      node >= 20.18, bookworm has 18.19; Ghost's image uses it too), KUBEPRINT_DEBIAN_MIRROR (default: the host's apt
#      source). The npm cache is ${cache}/npm.
# Needs root, mmdebstrap, umoci, jq, npm, openssl (node-deps.sh); npm pack and npm ci reach the npm registry.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${KUBEPRINT_CLUSTER_CACHE:-${HOME}/.cache/kubeprint/cluster}
log() { printf '[node-images] %s\n' "$*" >&2; }
die() { printf '[node-images] ERROR: %s\n' "$*" >&2; exit 1; }

node_bin=${1:-}
if [[ -n ${node_bin} ]]; then
	[[ -x ${node_bin}/pause ]] || die "no pause in ${node_bin} (run node-build.sh)"
fi
for t in mmdebstrap umoci jq npm openssl; do command -v "${t}" >/dev/null || die "${t} is missing (run tools/cluster/node-deps.sh)"; done

# shellcheck disable=SC1091
suite=${KUBEPRINT_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
mirror=${KUBEPRINT_DEBIAN_MIRROR:-$(
	awk '$1 == "URIs:" { print $2; exit } $1 == "deb" { print $2; exit }' \
		/etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true
)}
mirror=${mirror:-http://deb.debian.org/debian}
parse_suite=${KUBEPRINT_PARSE_SUITE:-trixie}

key=$(cat "${BASH_SOURCE[0]}" "${here}/images/mariadb/docker-entrypoint.sh" \
	"${here}/images/parse/package.json" "${here}/images/parse/package-lock.json" - <<<"${suite} ${parse_suite} ${mirror}" |
	sha256sum | cut -c1-10)
out=${cache_root}/images-${suite}-${key}
mkdir -p "${out}"
work=$(mktemp -d "${out}/.work.XXXXXX")
trap 'rm -rf "${work}"' EXIT

debian_images=(busybox redis mariadb parse-server)
path_env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# oci NAME REF DIR ROOTFS_TAR UMOCI_CONFIG_ARGS...: one-layer OCI image tar DIR/NAME.oci.tar.
oci() {
	local name=$1 ref=$2 dir=$3 rootfs=$4
	shift 4
	local layout=${work}/${name}-layout bundle=${work}/${name}-bundle
	umoci init --layout "${layout}"
	umoci new --image "${layout}:${name}"
	umoci unpack --image "${layout}:${name}" "${bundle}" >/dev/null
	tar -C "${bundle}/rootfs" --numeric-owner -xpf "${rootfs}"
	umoci repack --image "${layout}:${name}" "${bundle}"
	umoci config --image "${layout}:${name}" --os linux --architecture "$(go env GOARCH 2>/dev/null || echo amd64)" "$@"
	umoci gc --layout "${layout}"
	jq --arg ref "${ref}" '.manifests |= map(.annotations["io.containerd.image.name"] = $ref)' \
		"${layout}/index.json" >"${layout}/index.json.new"
	mv "${layout}/index.json.new" "${layout}/index.json"
	tar -C "${layout}" -cf "${dir}/${name}.oci.tar.tmp" .
	mv -f "${dir}/${name}.oci.tar.tmp" "${dir}/${name}.oci.tar"
	rm -rf "${layout}" "${bundle}"
	log "${ref}: ${dir}/${name}.oci.tar ($(du -h "${dir}/${name}.oci.tar" | cut -f1))"
}

# rootfs NAME PACKAGES HOOK_ARGS...: a Debian root filesystem tar (variant essential), of
# ${rootfs_suite} when set, else ${suite}; its time goes to ${times_dir:-${out}}/build-times.txt.
rootfs() {
	local name=$1 pkgs=$2 start s=${rootfs_suite:-${suite}}
	shift 2
	start=$(date +%s)
	log "${name}: mmdebstrap ${s} +${pkgs}"
	mmdebstrap --mode=root --variant=essential --include="${pkgs}" --aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
		"$@" --format=tar "${s}" "${work}/${name}.rootfs.tar" "${mirror}" \
		>"${work}/${name}.log" 2>&1 || { tail -30 "${work}/${name}.log" >&2; die "mmdebstrap ${name} failed"; }
	printf '%-10s mmdebstrap %4ss\n' "${name}" "$(($(date +%s) - start))" >>"${times_dir:-${out}}/build-times.txt"
	log "${name}: root filesystem in $(($(date +%s) - start))s"
}

# A system user with a fixed UID/GID, made before the packages' maintainer scripts run
# (they then keep it), so files the packages own match the blueprints' runAsUser.
user_hook() { # name uid home
	printf '%s' "--essential-hook=echo '$1:x:$2:' >>\"\$1/etc/group\"; echo '$1:x:$2:$2::$3:/usr/sbin/nologin' >>\"\$1/etc/passwd\"; echo '$1:!:19000::::::' >>\"\$1/etc/shadow\""
}

debian_complete() {
	local i
	for i in "${debian_images[@]}"; do [[ -s ${out}/${i}.oci.tar ]] || return 1; done
}
# The hooks run in mmdebstrap's shell, where $1 is the new root: they stay unexpanded here.
# shellcheck disable=SC2016
if [[ ${KUBEPRINT_BUILD_FORCE:-0} == 1 ]] || ! debian_complete; then
	total=$(date +%s)
	rootfs busybox busybox-static \
		'--customize-hook=for a in $(chroot "$1" /bin/busybox --list); do [ -e "$1/usr/bin/$a" ] || [ -e "$1/usr/sbin/$a" ] || [ -e "$1/usr/local/bin/$a" ] || ln -s /bin/busybox "$1/usr/local/bin/$a"; done'
	oci busybox kubeprint.local/busybox:1 "${out}" "${work}/busybox.rootfs.tar" \
		--config.cmd sh --config.workingdir / --config.env "${path_env}"

	rootfs redis redis-server,redis-tools,redis-sentinel,mawk "$(user_hook redis 999 /data)" \
		'--customize-hook=mkdir -p "$1/data" && chown 999:999 "$1/data"'
	oci redis kubeprint.local/redis:7 "${out}" "${work}/redis.rootfs.tar" \
		--config.cmd redis-server --config.workingdir /data --config.user 999:999 \
		--config.exposedports 6379/tcp --config.volume /data --config.env "${path_env}"

	# Debian's my.cnf reads conf.d before mariadb.conf.d (whose 50-server.cnf binds to
	# 127.0.0.1); the official image reads /etc/mysql/conf.d last, so its files win. Same here.
	# 50-server.cnf's bind-address would still beat my.cnf's (it is read later): it goes, so
	# the server listens on all interfaces, as the official image's does.
	rootfs mariadb mariadb-server,mariadb-client,mawk "$(user_hook mysql 999 /var/lib/mysql)" \
		"--customize-hook=copy-in ${here}/images/mariadb/docker-entrypoint.sh /usr/local/bin" \
		'--customize-hook=chmod 0755 "$1/usr/local/bin/docker-entrypoint.sh"
rm -f "$1/etc/mysql/my.cnf" # a symlink to the absolute /etc/alternatives/my.cnf: writing through it from the host would change the host
printf "%s\n" "# kubeprint.local/mariadb: conf.d last, as in the official mysql image" "[mysqld]" "bind-address = 0.0.0.0" "skip-name-resolve" "!includedir /etc/mysql/mariadb.conf.d/" "!includedir /etc/mysql/conf.d/" >"$1/etc/mysql/my.cnf"
rm -f "$1/etc/mysql/mariadb.cnf"
sed -i "s/^bind-address/# kubeprint.local: see my.cnf. bind-address/" "$1/etc/mysql/mariadb.conf.d/50-server.cnf"
grep -q "^bind-address" "$1/etc/mysql/mariadb.conf.d/50-server.cnf" && exit 1
rm -rf "$1/var/lib/mysql" && mkdir -p "$1/var/lib/mysql" "$1/var/lib/mysql-files" "$1/run/mysqld" "$1/docker-entrypoint-initdb.d"
chown 999:999 "$1/var/lib/mysql" "$1/var/lib/mysql-files" "$1/run/mysqld"'
	oci mariadb kubeprint.local/mariadb:10.11 "${out}" "${work}/mariadb.rootfs.tar" \
		--config.entrypoint docker-entrypoint.sh --config.cmd mysqld --config.user 999:999 \
		--config.exposedports 3306/tcp --config.volume /var/lib/mysql --config.env "${path_env}"
	# parse-server from the npm registry, pinned and verified by the committed lock file; no
	# install scripts run (none is needed: the one native module, @node-rs/bcrypt, ships
	# prebuilt per platform). The image's Parse runs in its DocumentDB mode
	# (PARSE_SERVER_ENABLE_COLLATION_CASE_COMPARISON=true: no collation in indexes and
	# queries), because the MongoDB stand-in (FerretDB v1) implements no collation.
	rootfs_suite=${parse_suite} rootfs parse-server nodejs "$(user_hook node 1000 /parse-server)" \
		"--customize-hook=mkdir -p \"\$1/parse-server/logs\" && chown 1000:1000 \"\$1/parse-server/logs\"" \
		"--customize-hook=copy-in ${here}/images/parse/package.json ${here}/images/parse/package-lock.json /parse-server" \
		"--customize-hook=npm ci --prefix \"\$1/parse-server\" --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier --cache ${cache_root}/npm >&2"
	oci parse-server kubeprint.local/parse-server:8.6.26 "${out}" "${work}/parse-server.rootfs.tar" \
		--config.entrypoint node --config.entrypoint /parse-server/node_modules/parse-server/bin/parse-server \
		--config.workingdir /parse-server --config.user 1000:1000 --config.exposedports 1337/tcp \
		--config.env "${path_env}" --config.env PORT=1337 \
		--config.env PARSE_SERVER_ENABLE_COLLATION_CASE_COMPARISON=true
	log "Debian images built in $(($(date +%s) - total))s"
else
	log "reusing Debian images in ${out}"
fi

# Ghost: the npm release (checked against the integrity in images/ghost/package.json), unpacked
# as the official image has it (/var/lib/ghost/versions/VERSION, `current` pointing there), its
# dependencies installed there by npm ci from the committed lock of the release's own
# package.json (devDependencies dropped first: npm ci wants package.json and the lock to agree).
# No install scripts run: re2 (needed only by metascraper, bookmark cards), sqlite3 (the
# development database) and dtrace-provider get no native build; sharp uses its prebuilt
# @img/* packages. Ghost 6 declares node ^22.13.1; trixie's 20.19 runs it (require(esm)).
ghost_dir=${here}/images/ghost
ghost_version=$(jq -r '.dependencies.ghost' "${ghost_dir}/package.json")
ghost_integrity=$(jq -r '.ghostIntegrity' "${ghost_dir}/package.json")
[[ $(jq -r '.packages[""].version' "${ghost_dir}/package-lock.json") == "${ghost_version}" ]] ||
	die "images/ghost/package-lock.json is not the lock of ghost ${ghost_version}"
ghost_key=$(cat "${BASH_SOURCE[0]}" "${ghost_dir}/package.json" "${ghost_dir}/package-lock.json" \
	"${ghost_dir}/docker-entrypoint.sh" "${ghost_dir}/config.production.json" - <<<"${parse_suite} ${mirror}" |
	sha256sum | cut -c1-10)
ghost_out=${cache_root}/image-ghost-${parse_suite}-${ghost_key}
if [[ ${KUBEPRINT_BUILD_FORCE:-0} == 1 || ! -s ${ghost_out}/ghost.oci.tar ]]; then
	start_ghost=$(date +%s)
	mkdir -p "${ghost_out}"
	log "ghost: npm pack ghost@${ghost_version}"
	(cd "${work}" && npm pack "ghost@${ghost_version}" --cache "${cache_root}/npm" --no-update-notifier >/dev/null)
	tgz=${work}/ghost-${ghost_version}.tgz
	got="sha512-$(openssl dgst -sha512 -binary "${tgz}" | base64 -w0)"
	[[ ${got} == "${ghost_integrity}" ]] || die "ghost-${ghost_version}.tgz: integrity ${got}, expected ${ghost_integrity}"
	gv=/var/lib/ghost/versions/${ghost_version}
	# shellcheck disable=SC2016
	times_dir=${ghost_out} rootfs_suite=${parse_suite} rootfs ghost nodejs "$(user_hook node 1000 /var/lib/ghost)" \
		"--customize-hook=mkdir -p \"\$1${gv}\" && tar -xzf ${tgz} -C \"\$1${gv}\" --strip-components=1 --no-same-owner" \
		"--customize-hook=jq 'del(.devDependencies)' \"\$1${gv}/package.json\" >\"\$1${gv}/package.json.new\" && mv \"\$1${gv}/package.json.new\" \"\$1${gv}/package.json\"" \
		"--customize-hook=copy-in ${ghost_dir}/package-lock.json ${gv}" \
		"--customize-hook=npm ci --prefix \"\$1${gv}\" --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund --no-update-notifier --cache ${cache_root}/npm >&2" \
		"--customize-hook=copy-in ${ghost_dir}/config.production.json /var/lib/ghost" \
		"--customize-hook=copy-in ${ghost_dir}/docker-entrypoint.sh /usr/local/bin" \
		'--customize-hook=g="$1/var/lib/ghost"
chmod 0755 "$1/usr/local/bin/docker-entrypoint.sh"
chmod 0644 "$g/config.production.json"
ln -s "versions/'"${ghost_version}"'" "$g/current"
mv "$g/current/content" "$g/content.orig"
mkdir -p "$g/content"
chown 1000:1000 "$g" "$g/content"
chmod 1777 "$g/content"'
	oci ghost "kubeprint.local/ghost:${ghost_version}" "${ghost_out}" "${work}/ghost.rootfs.tar" \
		--config.entrypoint docker-entrypoint.sh --config.cmd node --config.cmd current/index.js \
		--config.workingdir /var/lib/ghost --config.user 1000:1000 --config.exposedports 2368/tcp \
		--config.volume /var/lib/ghost/content --config.env "${path_env}" --config.env NODE_ENV=production \
		--config.env GHOST_INSTALL=/var/lib/ghost --config.env GHOST_CONTENT=/var/lib/ghost/content \
		--config.env "GHOST_VERSION=${ghost_version}"
	printf '%-10s in all   %4ss (npm pack, mmdebstrap, npm ci, OCI)\n' ghost "$(($(date +%s) - start_ghost))" >>"${ghost_out}/build-times.txt"
	log "ghost image built in $(($(date +%s) - start_ghost))s"
else
	log "reusing the Ghost image in ${ghost_out}"
fi
ln -f "${ghost_out}/ghost.oci.tar" "${out}/ghost.oci.tar"

# The pause and ferretdb images: cheap, rebuilt whenever missing next to the binary they carry.
bin_images=
[[ -n ${node_bin} ]] && bin_images=$(cd "${node_bin}/.." && pwd)/images
if [[ -z ${bin_images} ]]; then
	log "no node bin dir given: only the Debian images"
elif [[ ${KUBEPRINT_BUILD_FORCE:-0} == 1 || ! -s ${bin_images}/pause.oci.tar ]]; then
	mkdir -p "${bin_images}" "${work}/pause-root"
	cp "${node_bin}/pause" "${work}/pause-root/pause"
	tar -C "${work}/pause-root" --numeric-owner --owner=0 --group=0 -cf "${work}/pause.rootfs.tar" .
	oci pause kubeprint.local/pause:1 "${bin_images}" "${work}/pause.rootfs.tar" \
		--config.entrypoint /pause --config.user 65535:65535
fi
if [[ -n ${bin_images} ]] && [[ ${KUBEPRINT_BUILD_FORCE:-0} == 1 || ! -s ${bin_images}/ferretdb.oci.tar ]]; then
	[[ -x ${node_bin}/ferretdb ]] || die "no ferretdb in ${node_bin} (run node-build.sh)"
	mkdir -p "${bin_images}" "${work}/ferretdb-root/data/db" "${work}/ferretdb-root/tmp"
	cp "${node_bin}/ferretdb" "${work}/ferretdb-root/ferretdb"
	chmod 1777 "${work}/ferretdb-root/tmp"
	tar -C "${work}/ferretdb-root" --numeric-owner --owner=0 --group=0 -cf "${work}/ferretdb.rootfs.tar" \
		ferretdb tmp
	tar -C "${work}/ferretdb-root" --numeric-owner --owner=999 --group=999 -rf "${work}/ferretdb.rootfs.tar" \
		data
	oci ferretdb kubeprint.local/ferretdb:1 "${bin_images}" "${work}/ferretdb.rootfs.tar" \
		--config.entrypoint /ferretdb --config.user 999:999 --config.exposedports 27017/tcp \
		--config.volume /data/db
fi
echo "${out}"
