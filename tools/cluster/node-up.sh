#!/usr/bin/env bash
# Join ONE real node to the local control plane started by up.sh: containerd + runc, a CNI
# bridge, kubelet, kube-proxy (nftables) and CoreDNS, next to the kwok nodes. up.sh runs this
# when KUBEPRINT_REAL_NODE=1; down.sh runs node-down.sh.
#
# The node is tainted ${node_taint_key}=true:NoSchedule and labelled ${node_taint_key}=true:
# only pods that tolerate the taint land on it (a namespace annotated for it, see README).
#
# Network (nothing leaves this host): the node IP ${node_ip} sits on our bridge; pods get
# addresses from ${node_pod_cidr} and routes to the pod and service networks only (no default
# route, nothing masqueraded); the global net.ipv4.ip_forward is left alone, only the bridge
# forwards, and a guard nft table drops anything from the pod network that would leave by
# another interface. CoreDNS serves cluster.local only (no upstream forwarding).
#
# Env: KUBEPRINT_CLUSTER_DIR (the running control plane), KUBEPRINT_NODE_BIN (binaries;
#      default: node-build.sh), KUBEPRINT_NODE_IMAGES (Debian images; default: node-images.sh).
# Needs root, cgroup v1 or v2 with the cgroupfs driver, nft, ip, openssl.
set -euo pipefail
node_me="node-up"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${here}/lib.sh"
# shellcheck source-path=SCRIPTDIR source=node-lib.sh
. "${here}/node-lib.sh"
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

[[ $(id -u) == 0 ]] || node_die "the real node needs root"
cluster=$(cluster_state_dir)
[[ -f ${cluster}/env && -f ${cluster}/info && -f ${cluster}/pki/ca.key ]] ||
	node_die "no running control plane in ${cluster} (run up.sh first)"
cluster=$(cd "${cluster}" && pwd -P)
# shellcheck disable=SC1091
. "${cluster}/env"
kubectl=${KUBEPRINT_CLUSTER_BIN}/kubectl
kc() { "${kubectl}" --kubeconfig "${cluster}/kubeconfig" "$@"; }
api=$(sed -n 's/^apiserver=//p' "${cluster}/info")
for t in nft ip openssl curl; do command -v "${t}" >/dev/null || node_die "${t} is required (tools/cluster/node-deps.sh)"; done

bin=${KUBEPRINT_NODE_BIN:-$("${here}/node-build.sh" | tail -n1)}
images=${KUBEPRINT_NODE_IMAGES:-$("${here}/node-images.sh" "${bin}" | tail -n1)}
bin_images=$(cd "${bin}/.." && pwd)/images
for b in kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc crictl coredns cni/bridge cni/host-local cni/loopback; do
	[[ -x ${bin}/${b} ]] || node_die "missing ${bin}/${b} (run node-build.sh)"
done
for i in pause ferretdb; do
	[[ -s ${bin_images}/${i}.oci.tar ]] || node_die "missing ${bin_images}/${i}.oci.tar (run node-images.sh ${bin})"
done

node=${cluster}/node
sock=${node}/containerd/containerd.sock

# --- one real node per host ------------------------------------------------------------
if [[ -f ${node_lock_dir}/owner ]]; then
	owner=$(<"${node_lock_dir}/owner")
	if [[ ${owner} != "${node}" ]]; then
		for p in "${owner}"/run/*.pid; do
			[[ -f ${p} ]] || continue
			node_pid_is_ours "${owner}" "$(<"${p}")" &&
				node_die "a real node of another cluster runs on this host (${owner}); one per host"
		done
	fi
	node_log "cleaning up the leftovers of an earlier real node (${owner})"
	"${here}/node-down.sh" "${owner}"
fi
[[ -d ${node} ]] && "${here}/node-down.sh" "${node}"
mkdir -p "${node_lock_dir}" "${node}"/{run,pki,logs,containerd,runc,cni/net.d,cni/ipam,kubelet,kube-proxy,coredns,sbin,volumes}
echo "${node}" >"${node_lock_dir}/owner"
touch "${node}/.kubeprint-real-node"
pki=${node}/pki

failed=1
on_exit() {
	((failed == 0)) && return 0
	# Keep the node's logs next to the control plane's (up.sh keeps those on failure).
	mkdir -p "${cluster}/logs/node" && cp -r "${node}/logs/." "${cluster}/logs/node/" 2>/dev/null
	node_log "start failed; removing the node (its logs: ${cluster}/logs/node)"
	"${here}/node-down.sh" "${node}" || true
}
trap on_exit EXIT

# The daemons' PATH has no /usr/sbin: the kubelet finds no iptables and leaves the host's
# tables alone; kube-proxy (nftables mode) needs only nft, linked here.
ln -s "$(command -v nft)" "${node}/sbin/nft"
node_path=${node}/sbin:${bin}:/usr/local/bin:/usr/bin:/bin

# --- network -----------------------------------------------------------------------------
ip link add "${node_bridge}" type bridge
echo 1 >"${node}/run/bridge-created"
ip addr add "${node_ip}/${node_pod_cidr#*/}" dev "${node_bridge}"
ip link set "${node_bridge}" up
# Forwarding on our bridge only (pod -> ClusterIP -> pod is routed back into it).
sysctl -qw "net.ipv4.conf.${node_bridge}.forwarding=1"
# The host reaches ClusterIPs through the bridge, never through the default route.
ip route replace "${node_svc_cidr}" dev "${node_bridge}" src "${node_ip}"
nft -f - <<EOF
table inet ${node_nft_table} {
	chain forward {
		type filter hook forward priority -10; policy accept;
		iifname "${node_bridge}" oifname != "${node_bridge}" counter drop comment "pod traffic stays on the bridge"
		oifname "${node_bridge}" iifname != "${node_bridge}" counter drop comment "nothing is routed into the pods"
	}
	chain input {
		type filter hook input priority -10; policy accept;
		iifname "${node_bridge}" tcp dport 10248-10259 counter drop comment "pods may not reach the node's daemons"
	}
	chain output {
		type filter hook output priority -10; policy accept;
		ip saddr ${node_pod_cidr} oifname != { "lo", "${node_bridge}" } counter drop comment "nothing from the pod network leaves"
		ip daddr ${node_pod_cidr} oifname != { "lo", "${node_bridge}" } counter drop comment "the pod network is only on the bridge"
		ip daddr ${node_svc_cidr} oifname != { "lo", "${node_bridge}" } counter drop comment "the service network is only on the bridge"
	}
}
EOF

# --- cgroups: our own root in each v1 hierarchy (nothing is remounted) ------------------
for c in /sys/fs/cgroup/*/; do
	c=${c%/}
	[[ -f ${c}/cgroup.procs && ! -L ${c} ]] || continue
	mkdir -p "${c}${node_cgroup_root}"
	if [[ -f ${c}/cpuset.cpus ]]; then
		cat "${c}/cpuset.cpus" >"${c}${node_cgroup_root}/cpuset.cpus"
		cat "${c}/cpuset.mems" >"${c}${node_cgroup_root}/cpuset.mems"
	fi
done
cgroup_v1=true
[[ -f /sys/fs/cgroup/cgroup.controllers ]] && cgroup_v1=false

# --- certificates from the cluster CA -------------------------------------------------
client_cert() { # name subject
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=clientAuth" >"${pki}/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "${pki}/$1.key" -out "${pki}/$1.csr" -subj "$2" 2>>"${node}/logs/openssl.log"
	openssl x509 -req -in "${pki}/$1.csr" -CA "${cluster}/pki/ca.crt" -CAkey "${cluster}/pki/ca.key" \
		-CAcreateserial -CAserial "${pki}/ca.srl" -days 30 -out "${pki}/$1.crt" -extfile "${pki}/$1.ext" 2>>"${node}/logs/openssl.log"
	rm -f "${pki}/$1.csr" "${pki}/$1.ext"
	chmod 600 "${pki}/$1.key"
}
kubeconfig() { # file certname
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubeprint
  cluster: {server: "${api}", certificate-authority: "${cluster}/pki/ca.crt"}
users:
- name: $2
  user: {client-certificate: "${pki}/$2.crt", client-key: "${pki}/$2.key"}
contexts:
- name: kubeprint
  context: {cluster: kubeprint, user: $2}
current-context: kubeprint
EOF
}
client_cert kubelet "/O=system:nodes/CN=system:node:${node_name}"
client_cert kube-proxy "/CN=system:kube-proxy"
client_cert coredns "/CN=kubeprint:coredns"
for n in kubelet kube-proxy coredns; do kubeconfig "${node}/${n}/kubeconfig" "${n}"; done

start() { # name args...
	local name=$1
	shift
	setsid env -i PATH="${node_path}" HOME=/root "$@" </dev/null >"${node}/logs/${name}.log" 2>&1 &
	echo $! >"${node}/run/${name}.pid"
}
alive() { # name
	local pid i
	pid=$(<"${node}/run/$1.pid")
	# A process just started may be between its exec()s (setsid, env), when its command line
	# reads empty: look again for a second before calling it dead (CI once failed on that).
	for ((i = 0; i < 10; i++)); do
		node_pid_is_ours "${node}" "${pid}" && return 0
		[[ -e /proc/${pid} ]] || break
		sleep 0.1
	done
	tail -40 "${node}/logs/$1.log" >&2
	node_die "$1 exited (log above)"
}
wait_until() { # seconds what cmd...
	local limit=$1 what=$2 deadline p
	shift 2
	deadline=$(($(date +%s) + limit))
	until "$@" >/dev/null 2>&1; do
		for p in "${node}"/run/*.pid; do alive "$(basename "${p}" .pid)"; done
		(($(date +%s) < deadline)) || node_die "timed out after ${limit}s waiting for ${what}"
		sleep 0.2
	done
	node_log "$(since "${t0}")s: ${what}"
}

# --- containerd ------------------------------------------------------------------------
cat >"${node}/containerd/config.toml" <<EOF
version = 3
root = "${node}/containerd/root"
state = "${node}/containerd/state"
[grpc]
  address = "${sock}"
[ttrpc]
  address = ""
[metrics]
  address = ""
[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = '${node}/containerd/opt'
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = 'kubeprint.local/pause:1'
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    # Root lacks CAP_SYS_RESOURCE on some hosts (CI's VM): then no process may get an
    # oom_score_adj below containerd's, and runc init fails for the pause container (-998).
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    enable_unprivileged_ports = true
    enable_unprivileged_icmp = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = '${bin}/runc'
          Root = '${node}/runc'
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['${bin}/cni']
      conf_dir = '${node}/cni/net.d'
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
EOF
# isGateway would set the global net.ipv4.ip_forward=1: the gateway address is on the bridge
# already (above). Routes: the pod network (on-link) and the service network, nothing else.
cat >"${node}/cni/net.d/10-kubeprint.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kubeprint-real-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${node_bridge}",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "${node}/cni/ipam",
        "ranges": [[{"subnet": "${node_pod_cidr}", "rangeStart": "${node_ip%.*}.10", "gateway": "${node_ip}"}]],
        "routes": [{"dst": "${node_svc_cidr}"}]
      }
    }
  ]
}
EOF
ctr() { "${bin}/ctr" --address "${sock}" -n k8s.io "$@"; }
start containerd "${bin}/containerd" --config "${node}/containerd/config.toml" --log-level warn
wait_until 60 "containerd serves ${sock}" ctr version
ti=$(date +%s.%N)
for tar in "${bin_images}/pause.oci.tar" "${bin_images}/ferretdb.oci.tar" "${images}"/*.oci.tar; do
	ctr images import --local "${tar}" >>"${node}/logs/import.log" 2>&1 ||
		{ cat "${node}/logs/import.log" >&2; node_die "importing ${tar} failed"; }
done
node_log "images imported in $(since "${ti}")s: $(ctr images ls -q | grep -v '^sha256' | tr '\n' ' ')"

# --- kubelet ------------------------------------------------------------------------------
cat >"${node}/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: ${node_cgroup_root}
containerRuntimeEndpoint: unix://${sock}
address: ${node_ip}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# The apiserver presents up.sh's kubelet client certificate; everyone else is refused.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "${cluster}/pki/ca.crt"}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [${node_dns_ip}]
# Pods never get the host's resolver: nothing is resolved off-host.
resolvConf: ""
failSwapOn: false
podLogsDir: ${node}/pod-logs
volumePluginDir: ${node}/kubelet/volume-plugins
podCIDR: ${node_pod_cidr}
maxPods: 60
makeIPTablesUtilChains: false
registerNode: true
registerWithTaints:
- {key: ${node_taint_key}, value: "true", effect: NoSchedule}
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
serializeImagePulls: false
nodeStatusUpdateFrequency: 5s
syncFrequency: 10s
fileCheckFrequency: 10s
shutdownGracePeriod: 0s
EOF
${cgroup_v1} || sed -i '/^failCgroupV1:/d' "${node}/kubelet/config.yaml"
# Paths the kubelet hard-codes; note whether we create them, so node-down removes only ours.
for d in /var/log/containers /var/lib/kubelet /var/lib/kubelet/device-plugins; do
	[[ -d ${d} ]] || { mkdir -p "${d}" && echo "${d}" >>"${node}/run/created-host-dirs"; }
done
start kubelet "${bin}/kubelet" \
	--config="${node}/kubelet/config.yaml" \
	--kubeconfig="${node}/kubelet/kubeconfig" \
	--root-dir="${node}/kubelet/root" \
	--cert-dir="${node}/kubelet/pki" \
	--hostname-override="${node_name}" \
	--node-ip="${node_ip}" \
	--node-labels="${node_taint_key}=true,type=real" \
	--v=1
tk=$(date +%s.%N)
node_ready() { [[ $(kc get node "${node_name}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
wait_until 180 "node ${node_name} is Ready" node_ready
ready_s=$(since "${tk}")

# --- kube-proxy (nftables: its own tables ip/ip6 kube-proxy) ---------------------------
cat >"${node}/kube-proxy/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection: {kubeconfig: "${node}/kube-proxy/kubeconfig"}
hostnameOverride: "${node_name}"
bindAddress: ${node_ip}
clusterCIDR: ${node_pod_cidr}
detectLocalMode: ClusterCIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["${node_ip}/32"]
masqueradeAll: false
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy "${bin}/kube-proxy" --config="${node}/kube-proxy/config.yaml" --v=1
wait_until 60 "kube-proxy is healthy" curl -fsS --max-time 2 http://127.0.0.1:10256/healthz

# --- CoreDNS: a host process on ${node_ip}:53, cluster.local only, behind kube-dns -----
kc apply -f - >"${node}/logs/apply.log" 2>&1 <<EOF || { cat "${node}/logs/apply.log" >&2; node_die "creating the DNS objects failed"; }
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "kubeprint:coredns"}
rules:
- apiGroups: [""]
  resources: [services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "kubeprint:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "kubeprint:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "kubeprint:coredns"}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: ${node_dns_ip}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: kubeprint}
addressType: IPv4
endpoints:
- addresses: ["${node_ip}"]
  conditions: {ready: true}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ${node_storage_class}}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
cat >"${node}/coredns/Corefile" <<EOF
# cluster.local and reverse lookups only; there is no forward plugin, so any other name
# gets NXDOMAIN and nothing is ever sent upstream.
.:53 {
    bind ${node_ip}
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${node}/coredns/kubeconfig kubeprint
        pods insecure
        ttl 5
    }
    cache 5
    loop
}
EOF
start coredns "${bin}/coredns" -conf "${node}/coredns/Corefile"
wait_until 60 "CoreDNS is ready" curl -fsS --max-time 2 http://127.0.0.1:18181/ready

# --- local volumes for claims on the real node ----------------------------------------
{
	for i in $(seq -w 1 "${node_volume_count}"); do
		mkdir -p "${node}/volumes/pv-${i}"
		cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: real-node-pv-${i}, labels: {kubeprint.dev/pool: real-node}}
spec:
  storageClassName: ${node_storage_class}
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  local: {path: "${node}/volumes/pv-${i}"}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${node_name}]}]
EOF
	done
} >"${node}/volumes.yaml"
kc apply -f "${node}/volumes.yaml" >>"${node}/logs/apply.log" 2>&1 ||
	{ cat "${node}/logs/apply.log" >&2; node_die "creating the local volumes failed"; }

cat >"${node}/env" <<EOF
# The real node of ${cluster} (node-up.sh); source ${cluster}/env first.
export KUBEPRINT_REAL_NODE_DIR='${node}'
export KUBEPRINT_REAL_NODE_NAME='${node_name}'
export CONTAINER_RUNTIME_ENDPOINT='unix://${sock}'
export PATH='${bin}':"\${PATH}"
EOF
# The cluster's env names the node too, so tests find it.
grep -q KUBEPRINT_REAL_NODE_DIR "${cluster}/env" || cat >>"${cluster}/env" <<EOF
export KUBEPRINT_REAL_NODE_DIR='${node}'
export KUBEPRINT_REAL_NODE_NAME='${node_name}'
EOF
{
	echo "node_ready_after_kubelet_seconds=${ready_s}"
	echo "node_up_seconds=$(since "${t0}")"
	echo "bin=${bin}"
	echo "images=${images}"
} >"${node}/info"
failed=0
node_log "real node ${node_name} ready in $(since "${t0}")s (Ready ${ready_s}s after the kubelet started)"
