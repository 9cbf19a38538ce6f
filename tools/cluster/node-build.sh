#!/usr/bin/env bash
# Build (or reuse) the binaries of kubeprint's real test node, all from upstream
# Go source through the Go module proxy:
#   kubelet, kube-proxy   k8s.io/kubernetes (same version and dependency versions
#                         as the control plane in go.mod, so the Go build cache
#                         that build.sh filled is reused for every shared package)
#   containerd, containerd-shim-runc-v2, ctr   github.com/containerd/containerd/v2
#   runc                  github.com/opencontainers/runc (cgo + libseccomp)
#   cni/{bridge,host-local,loopback}           github.com/containernetworking/plugins
#   crictl                sigs.k8s.io/cri-tools
#   coredns               github.com/coredns/coredns
#   pause                 node/pause (ours: the pod sandbox process)
#   ferretdb              node/ferretdb (ours: github.com/FerretDB/FerretDB's embeddable
#                         server, SQLite backend, behind a wire relay; the MongoDB stand-in)
# Module files live in node/<name>/. Binaries land in
#   ${KUBEPRINT_CLUSTER_CACHE:-$HOME/.cache/kubeprint/cluster}/node-<key>/bin/
# where <key> is the versions, the Go version and a hash of the module files and
# flags; a complete, stamped directory is reused as is. GOCACHE is the default
# one, as in build.sh: the kubelet reuses what the apiserver build compiled.
#
# Prints the bin directory as the last line of stdout (progress on stderr).
# Env: KUBEPRINT_CLUSTER_CACHE, KUBEPRINT_BUILD_FORCE=1 (as build.sh),
#      KUBEPRINT_GO_JOBS (go build -p; default: number of CPUs).
# Needs: go >= 1.26, gcc, pkg-config, libseccomp-dev (node-deps.sh installs them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mods=${here}/node
cache_root=${KUBEPRINT_CLUSTER_CACHE:-${HOME}/.cache/kubeprint/cluster}

log() { printf '[node-build] %s\n' "$*" >&2; }
die() { printf '[node-build] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go >= 1.26 is required)"
[[ -f /usr/include/seccomp.h ]] || die "libseccomp-dev is missing (run tools/cluster/node-deps.sh)"

mod_version() { # file module
	awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print $NF; exit }' "$1"
}
k8s_version=$(mod_version "${mods}/k8s/go.mod" k8s.io/kubernetes)
cp_version=$(mod_version "${here}/go.mod" k8s.io/kubernetes)
[[ ${k8s_version} == "${cp_version}" ]] ||
	die "node/k8s/go.mod has kubernetes ${k8s_version} but the control plane (go.mod) has ${cp_version}"
containerd_version=$(mod_version "${mods}/containerd/go.mod" github.com/containerd/containerd/v2)
runc_version=$(mod_version "${mods}/runc/go.mod" github.com/opencontainers/runc)
cni_version=$(mod_version "${mods}/cni/go.mod" github.com/containernetworking/plugins)
crictl_version=$(mod_version "${mods}/crictl/go.mod" sigs.k8s.io/cri-tools)
coredns_version=$(mod_version "${mods}/coredns/go.mod" github.com/coredns/coredns)
ferretdb_version=$(mod_version "${mods}/ferretdb/go.mod" github.com/FerretDB/FerretDB)
go_version=$(cd "${mods}/pause" && go env GOVERSION)

# The same environment as build.sh, so shared packages hit the same cache entries.
export CGO_ENABLED=0
if [[ ${go_version} != go1.2[0-6]* ]]; then
	export GOEXPERIMENT=${GOEXPERIMENT:+${GOEXPERIMENT},}nojsonv2
fi
export GOFLAGS=${GOFLAGS:--buildvcs=false}
jobs=${KUBEPRINT_GO_JOBS:-$(nproc)}
build_flags=(-trimpath -p "${jobs}")

k8s_minor=${k8s_version#v1.}
k8s_minor=${k8s_minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	k8s_ldflags+=" -X ${pkg}.gitVersion=${k8s_version} -X ${pkg}.gitMajor=1"
	k8s_ldflags+=" -X ${pkg}.gitMinor=${k8s_minor} -X ${pkg}.gitTreeState=clean"
	k8s_ldflags+=" -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
ctrd=github.com/containerd/containerd/v2
ctrd_ldflags="-s -w -X ${ctrd}/version.Version=${containerd_version} -X ${ctrd}/version.Revision=gomodproxy"
runc_ldflags="-s -w -X main.version=${runc_version#v}"
crictl_ldflags="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${crictl_version}"

hash_input() {
	local d
	for d in k8s containerd runc cni crictl coredns; do
		cat "${mods}/${d}/go.mod" "${mods}/${d}/go.sum" "${mods}/${d}/tools.go"
	done
	cat "${mods}/pause/go.mod" "${mods}/pause/main.go"
	cat "${mods}/ferretdb/go.mod" "${mods}/ferretdb/go.sum" "${mods}/ferretdb/main.go"
	printf '%s\n' "-trimpath" "${k8s_ldflags}" "${ctrd_ldflags}" "${runc_ldflags}" "${crictl_ldflags}" \
		"${GOEXPERIMENT:-}" "$(go env GOOS GOARCH)"
}
hash=$(hash_input | sha256sum | cut -c1-10)
key="node-${k8s_version}_containerd-${containerd_version}_runc-${runc_version}_${go_version}_${hash}"
out="${cache_root}/${key}"
bin="${out}/bin"
stamp="${out}/stamp"

binaries=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc crictl coredns pause
	ferretdb cni/bridge cni/host-local cni/loopback)
complete() {
	[[ -f ${stamp} ]] || return 1
	local b
	for b in "${binaries[@]}"; do [[ -x ${bin}/${b} ]] || return 1; done
}
if [[ ${KUBEPRINT_BUILD_FORCE:-0} != 1 ]] && complete; then
	log "reusing ${bin}"
	echo "${bin}"
	exit 0
fi

mkdir -p "${bin}/cni"
rm -f "${stamp}"
log "building into ${bin} (${go_version}, -p ${jobs}, GOCACHE=$(go env GOCACHE))"
times=${out}/build-times.txt

build_one() { # name moduledir cgo tags ldflags package
	local name=$1 dir=$2 cgo=$3 tags=$4 ldflags=$5 pkg=$6 start tmp
	if [[ ${KUBEPRINT_BUILD_FORCE:-0} != 1 && -x ${bin}/${name} ]]; then
		log "${name}: already built"
		return 0
	fi
	start=$(date +%s)
	log "${name}: go build ${pkg}"
	tmp="${bin}/${name}.tmp"
	if ! (cd "${mods}/${dir}" && CGO_ENABLED=${cgo} go build "${build_flags[@]}" ${tags:+-tags "${tags}"} \
		-ldflags "${ldflags}" -o "${tmp}" "${pkg}"); then
		rm -f "${tmp}"
		die "building ${name} (${pkg}) failed; module dir ${mods}/${dir}"
	fi
	mv -f "${tmp}" "${bin}/${name}"
	printf '%-24s %5ss\n' "${name}" "$(($(date +%s) - start))" >>"${times}"
	log "${name}: done in $(($(date +%s) - start))s"
}

total_start=$(date +%s)
cni=github.com/containernetworking/plugins/plugins
build_one pause pause 0 "" "-s -w" .
build_one cni/loopback cni 0 "" "-s -w" "${cni}/main/loopback"
build_one cni/bridge cni 0 "" "-s -w" "${cni}/main/bridge"
build_one cni/host-local cni 0 "" "-s -w" "${cni}/ipam/host-local"
build_one runc runc 1 "seccomp urfave_cli_no_docs" "${runc_ldflags}" github.com/opencontainers/runc
build_one containerd containerd 0 "no_btrfs no_devmapper no_zfs" "${ctrd_ldflags}" "${ctrd}/cmd/containerd"
build_one containerd-shim-runc-v2 containerd 0 "" "${ctrd_ldflags}" "${ctrd}/cmd/containerd-shim-runc-v2"
build_one ctr containerd 0 "" "${ctrd_ldflags}" "${ctrd}/cmd/ctr"
build_one crictl crictl 0 "" "${crictl_ldflags}" sigs.k8s.io/cri-tools/cmd/crictl
build_one kubelet k8s 0 "" "${k8s_ldflags}" k8s.io/kubernetes/cmd/kubelet
build_one kube-proxy k8s 0 "" "${k8s_ldflags}" k8s.io/kubernetes/cmd/kube-proxy
build_one coredns coredns 0 "" "-s -w" github.com/coredns/coredns
build_one ferretdb ferretdb 0 "" "-s -w" .

{
	echo "key=${key}"
	echo "kubernetes=${k8s_version}"
	echo "containerd=${containerd_version}"
	echo "runc=${runc_version}"
	echo "cni=${cni_version}"
	echo "crictl=${crictl_version}"
	echo "coredns=${coredns_version}"
	echo "ferretdb=${ferretdb_version}"
	echo "go=${go_version}"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "seconds=$(($(date +%s) - total_start))"
} >"${stamp}.tmp"
mv -f "${stamp}.tmp" "${stamp}"
log "all node binaries ready in ${bin} ($(($(date +%s) - total_start))s)"
echo "${bin}"
