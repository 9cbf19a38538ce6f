#!/usr/bin/env bash
# Build (or reuse) the Go peers of benches/compare.sh — Helm 4 (helm.sh/helm/v4/cmd/helm) and
# kapp (carvel.dev/kapp/cmd/kapp) — from upstream source through the Go module proxy, pinned by
# the Go modules in benches/peers/{helm,kapp} (go.mod, go.sum, tools.go). No upstream code is
# kept in the repository.
#
# Binaries land in
#   ${KUBEPRINT_PEERS_CACHE:-$HOME/.cache/kubeprint/peers}/<key>/bin/{helm,kapp}
# where <key> names the versions, the Go version and a hash of the module files and build
# flags; a complete, stamped directory is reused as is. The Go build cache is the default one,
# which tools/cluster/build.sh fills too (Go reuses whatever matches; the control plane's k8s.io
# packages are compiled inside k8s.io/kubernetes, Helm's as k8s.io/* modules, so little is).
#
# Prints the bin directory as the last line of stdout (progress on stderr):
#   peers=$(benches/peers/build.sh | tail -n1)
#
# Env:
#   KUBEPRINT_PEERS_CACHE  cache root (default ~/.cache/kubeprint/peers)
#   KUBEPRINT_BUILD_FORCE=1  rebuild even if the stamp is present
# Not part of tools/test-all.sh: benchmarks are not tests.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${KUBEPRINT_PEERS_CACHE:-${HOME}/.cache/kubeprint/peers}

log() { printf '[peers] %s\n' "$*" >&2; }
die() { printf '[peers] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.26 is required)"

mod_version() { # file module
	awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print $NF; exit }' "$1"
}
helm_version=$(mod_version "${here}/helm/go.mod" helm.sh/helm/v4)
kapp_version=$(mod_version "${here}/kapp/go.mod" carvel.dev/kapp)
[[ -n ${helm_version} && -n ${kapp_version} ]] || die "could not read the versions from ${here}/{helm,kapp}/go.mod"
go_version=$(cd "${here}/helm" && go env GOVERSION)

export CGO_ENABLED=0
build_flags=(-trimpath)
helm_ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=${helm_version}"
kapp_ldflags="-s -w -X carvel.dev/kapp/pkg/kapp/version.Version=${kapp_version#v}"

hash=$(
	{
		cat "${here}/helm/go.mod" "${here}/helm/go.sum" "${here}/helm/tools.go" \
			"${here}/kapp/go.mod" "${here}/kapp/go.sum" "${here}/kapp/tools.go"
		printf '%s\n' "${build_flags[*]}" "${helm_ldflags}" "${kapp_ldflags}" "${CGO_ENABLED}" "$(go env GOOS GOARCH)"
	} | sha256sum | cut -c1-10
)
key="helm-${helm_version}_kapp-${kapp_version}_${go_version}_${hash}"
bin="${cache_root}/${key}/bin"
stamp="${cache_root}/${key}/stamp"

complete() { [[ -f ${stamp} && -x ${bin}/helm && -x ${bin}/kapp ]]; }
if [[ ${KUBEPRINT_BUILD_FORCE:-0} != 1 ]] && complete; then
	log "reusing ${bin}"
	echo "${bin}"
	exit 0
fi

mkdir -p "${bin}"
rm -f "${stamp}"
log "building into ${bin} (${go_version}; several minutes on 2 cores when cold)"
build_one() { # name dir package ldflags
	local name=$1 dir=$2 pkg=$3 ldflags=$4 start tmp
	if [[ ${KUBEPRINT_BUILD_FORCE:-0} != 1 && -x ${bin}/${name} ]]; then
		log "${name}: already built"
		return 0
	fi
	start=$(date +%s)
	tmp="${bin}/.${name}.tmp"
	log "${name}: go build ${pkg}"
	if ! (cd "${dir}" && go build "${build_flags[@]}" -ldflags "${ldflags}" -o "${tmp}" "${pkg}"); then
		rm -f "${tmp}"
		die "building ${name} failed (module dir ${dir}, ${go_version}); see the go output above"
	fi
	mv -f "${tmp}" "${bin}/${name}"
	log "${name}: done in $(($(date +%s) - start))s"
}
total_start=$(date +%s)
build_one helm "${here}/helm" helm.sh/helm/v4/cmd/helm "${helm_ldflags}"
build_one kapp "${here}/kapp" carvel.dev/kapp/cmd/kapp "${kapp_ldflags}"
{
	echo "key=${key}"
	echo "helm=${helm_version}"
	echo "kapp=${kapp_version}"
	echo "go=${go_version}"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "seconds=$(($(date +%s) - total_start))"
} >"${stamp}.tmp"
mv -f "${stamp}.tmp" "${stamp}"
log "helm and kapp ready in ${bin} ($(($(date +%s) - total_start))s)"
echo "${bin}"
