#!/usr/bin/env bash
# Build (or reuse) the binaries of kubeprint's local test control plane:
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (from
# k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3) and kwok
# (sigs.k8s.io/kwok/cmd/kwok), all compiled from upstream Go source through
# the Go module proxy.
#
# Binaries land in
#   ${KUBEPRINT_CLUSTER_CACHE:-$HOME/.cache/kubeprint/cluster}/<key>/bin/
# where <key> names the component versions, the Go version and a hash of the
# module files and build flags. A complete, stamped directory is reused as is.
#
# Prints the bin directory as the last line of stdout (progress goes to
# stderr), so callers can do:  bin=$(tools/cluster/build.sh | tail -n1)
#
# Env:
#   KUBEPRINT_CLUSTER_CACHE  cache root (default ~/.cache/kubeprint/cluster)
#   KUBEPRINT_BUILD_FORCE=1  rebuild even if the stamp is present
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${KUBEPRINT_CLUSTER_CACHE:-${HOME}/.cache/kubeprint/cluster}

log() { printf '[build] %s\n' "$*" >&2; }
die() { printf '[build] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.26 is required)"

# Version of a required module, read from one of our go.mod files.
mod_version() { # file module
	awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print $NF; exit }' "$1"
}

k8s_version=$(mod_version "${here}/go.mod" k8s.io/kubernetes)
etcd_version=$(mod_version "${here}/etcd/go.mod" go.etcd.io/etcd/server/v3)
kwok_version=$(mod_version "${here}/kwok/go.mod" sigs.k8s.io/kwok)
[[ -n ${k8s_version} && -n ${etcd_version} && -n ${kwok_version} ]] ||
	die "could not read component versions from ${here}/{,etcd/,kwok/}go.mod"
go_version=$(cd "${here}" && go env GOVERSION)

# Static, reproducible-ish builds like the upstream release binaries.
export CGO_ENABLED=0
# The jsonv2 experiment (default on from Go 1.27) makes kube-apiserver serve
# a broken OpenAPI document; keep it off on any toolchain newer than 1.26.
if [[ ${go_version} != go1.2[0-6]* ]]; then
	export GOEXPERIMENT=${GOEXPERIMENT:+${GOEXPERIMENT},}nojsonv2
fi
build_flags=(-trimpath)

k8s_minor=${k8s_version#v1.}
k8s_minor=${k8s_minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	k8s_ldflags+=" -X ${pkg}.gitVersion=${k8s_version} -X ${pkg}.gitMajor=1"
	k8s_ldflags+=" -X ${pkg}.gitMinor=${k8s_minor} -X ${pkg}.gitTreeState=clean"
	k8s_ldflags+=" -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
etcd_ldflags="-s -w"
kwok_ldflags="-s -w"

hash_input() {
	cat "${here}/go.mod" "${here}/go.sum" "${here}/tools.go" \
		"${here}/etcd/go.mod" "${here}/etcd/go.sum" "${here}/etcd/tools.go" \
		"${here}/kwok/go.mod" "${here}/kwok/go.sum" "${here}/kwok/tools.go"
	printf '%s\n' "${build_flags[*]}" "${k8s_ldflags}" "${etcd_ldflags}" "${kwok_ldflags}" \
		"${GOEXPERIMENT:-}" "${CGO_ENABLED}" "$(go env GOOS GOARCH)"
}
hash=$(hash_input | sha256sum | cut -c1-10)
key="k8s-${k8s_version}_etcd-${etcd_version}_kwok-${kwok_version}_${go_version}_${hash}"
out="${cache_root}/${key}"
bin="${out}/bin"
stamp="${out}/stamp"

components=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() {
	[[ -f ${stamp} ]] || return 1
	local c
	for c in "${components[@]}"; do [[ -x ${bin}/${c} ]] || return 1; done
}

if [[ ${KUBEPRINT_BUILD_FORCE:-0} != 1 ]] && complete; then
	log "reusing ${bin}"
	echo "${bin}"
	exit 0
fi

mkdir -p "${bin}"
rm -f "${stamp}"
log "building into ${bin} (${go_version}; this takes ~10+ minutes on 2 cores when cold)"

build_one() { # name moduledir package module@version ldflags
	local name=$1 dir=$2 pkg=$3 modver=$4 ldflags=$5 start tmp
	if [[ ${KUBEPRINT_BUILD_FORCE:-0} != 1 && -x ${bin}/${name} ]]; then
		log "${name}: already built"
		return 0
	fi
	start=$(date +%s)
	log "${name}: go build ${pkg} (${modver})"
	tmp="${bin}/.${name}.tmp"
	if ! (cd "${dir}" && go build "${build_flags[@]}" -ldflags "${ldflags}" -o "${tmp}" "${pkg}"); then
		rm -f "${tmp}"
		die "building ${name} from ${modver} failed (module dir ${dir}, ${go_version}); see the go output above"
	fi
	mv -f "${tmp}" "${bin}/${name}"
	log "${name}: done in $(($(date +%s) - start))s"
}

total_start=$(date +%s)
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
	build_one "${c}" "${here}" "k8s.io/kubernetes/cmd/${c}" "k8s.io/kubernetes@${k8s_version}" "${k8s_ldflags}"
done
build_one etcd "${here}/etcd" go.etcd.io/etcd/server/v3 "go.etcd.io/etcd/server/v3@${etcd_version}" "${etcd_ldflags}"
build_one kwok "${here}/kwok" sigs.k8s.io/kwok/cmd/kwok "sigs.k8s.io/kwok@${kwok_version}" "${kwok_ldflags}"

{
	echo "key=${key}"
	echo "kubernetes=${k8s_version}"
	echo "etcd=${etcd_version}"
	echo "kwok=${kwok_version}"
	echo "go=${go_version}"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "seconds=$(($(date +%s) - total_start))"
} >"${stamp}.tmp"
mv -f "${stamp}.tmp" "${stamp}"
log "all binaries ready in ${bin} ($(($(date +%s) - total_start))s)"
echo "${bin}"
