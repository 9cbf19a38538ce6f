#!/usr/bin/env bash
# Start kubeprint's local test control plane: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (fake nodes), all on
# 127.0.0.1 with free ports, plus 3 fake nodes and a pool of volumes.
#
# Env:
#   KUBEPRINT_CLUSTER_DIR    state dir (default <repo>/target/cluster)
#   KUBEPRINT_CLUSTER_CACHE  binary cache root (see build.sh)
#   KUBEPRINT_CLUSTER_BIN    use binaries from this dir instead of build.sh
#   KUBEPRINT_CLUSTER_TIMEOUT  seconds to wait for readiness (default 120)
#   KUBEPRINT_REAL_NODE=1    also join one real node (node-up.sh; root, one per host)
#
# Writes <state>/kubeconfig (admin, system:masters) and <state>/env; use
#   source <state>/env && kubectl get nodes
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

state=$(cluster_state_dir)
if [[ -d ${state} ]]; then state=$(cd "${state}" && pwd -P); fi
timeout_s=${KUBEPRINT_CLUSTER_TIMEOUT:-120}
t0=$(date +%s.%N)

log() { printf '[up] %s\n' "$*" >&2; }
die() { printf '[up] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="${t0}" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

for tool in openssl base64 setsid curl; do
	command -v "${tool}" >/dev/null 2>&1 || die "${tool} is required"
done

if [[ -n ${KUBEPRINT_CLUSTER_BIN:-} ]]; then
	bin=${KUBEPRINT_CLUSTER_BIN}
else
	bin=$("${cluster_tools_dir}/build.sh" | tail -n1)
fi
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
	[[ -x ${bin}/${c} ]] || die "missing binary ${bin}/${c}; run tools/cluster/build.sh"
done
kubectl=${bin}/kubectl

# --- an earlier cluster in this state dir --------------------------------
if [[ -d ${state}/run ]]; then
	alive=0
	for c in "${cluster_components[@]}"; do
		pidfile="${state}/run/${c}.pid"
		if [[ -f ${pidfile} ]] && cluster_pid_is_ours "${state}" "$(<"${pidfile}")"; then
			alive=$((alive + 1))
		fi
	done
	if ((alive == ${#cluster_components[@]})) &&
		"${kubectl}" --kubeconfig "${state}/kubeconfig" --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
		log "cluster in ${state} is already running"
		echo "source ${state}/env"
		exit 0
	fi
	if ((alive > 0)); then
		log "stopping the ${alive} leftover process(es) of a broken cluster in ${state}"
	fi
	cluster_stop_all "${state}"
fi
if [[ -e ${state} && ! -f ${state}/.kubeprint-cluster ]] && [[ -n $(ls -A "${state}" 2>/dev/null) ]]; then
	die "${state} exists, is not empty and is not a kubeprint cluster dir; refusing to wipe it"
fi
if [[ -e ${state}/node ]]; then
	"${cluster_tools_dir}/node-down.sh" "${state}/node" || die "could not remove the real node of the earlier cluster in ${state}"
fi
rm -rf "${state}"
mkdir -p "${state}"/{pki,run,logs,manifests}
touch "${state}/.kubeprint-cluster"
state=$(cd "${state}" && pwd -P)
pki=${state}/pki

# Stop everything if start-up fails half way; keep logs for inspection.
started=0
on_exit() {
	local rc=$?
	if ((rc != 0 && started)); then
		log "start-up failed; stopping what was started (logs stay in ${state}/logs)"
		cluster_stop_all "${state}"
	fi
}
trap on_exit EXIT

# --- certificates ------------------------------------------------------------
log "generating CA, certificates and service-account keys"
ossl() { openssl "$@" 2>"${state}/logs/openssl.log" || { cat "${state}/logs/openssl.log" >&2; die "openssl $1 failed"; }; }

ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "${pki}/ca.key" -out "${pki}/ca.crt" -days 3650 \
	-subj "/CN=kubeprint-local-ca" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"

issue() { # name subject extensions...
	local name=$1 subj=$2
	shift 2
	local ext="${pki}/${name}.ext"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" "$@" >"${ext}"
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "${pki}/${name}.key" -out "${pki}/${name}.csr" -subj "${subj}"
	ossl x509 -req -in "${pki}/${name}.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" \
		-CAcreateserial -days 3650 -out "${pki}/${name}.crt" -extfile "${ext}"
	rm -f "${pki}/${name}.csr" "${ext}"
}
issue apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth" \
	"subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
issue admin "/O=system:masters/CN=kubeprint-admin" "extendedKeyUsage=clientAuth"
# Front proxy (aggregation layer) identity; signed by the same CA but only
# trusted for request headers with this name.
issue front-proxy-client "/CN=front-proxy-client" "extendedKeyUsage=clientAuth"
issue controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
issue scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
issue kwok "/O=system:masters/CN=kwok-controller" "extendedKeyUsage=clientAuth"
# What the apiserver presents to a real node's kubelet (logs, exec, port-forward); the
# kubelet authenticates it by this CA and asks the apiserver whether it may (webhook).
issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${pki}/sa.key"
ossl pkey -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub"
chmod 600 "${pki}"/*.key

# --- ports ----------------------------------------------------------------------
# Random loopback ports below the ephemeral range, skipping ones in use.
declare -A taken=()
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		[[ -z ${taken[${p}]:-} ]] || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/${p}") 2>/dev/null; then
			taken[${p}]=1
			echo "${p}"
			return 0
		fi
	done
	die "no free loopback port found"
}

kubeconfig() { # file user
	local file=$1 user=$2
	cat >"${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubeprint
  cluster:
    server: https://127.0.0.1:${api_port}
    certificate-authority-data: $(base64 -w0 <"${pki}/ca.crt")
users:
- name: ${user}
  user:
    client-certificate-data: $(base64 -w0 <"${pki}/${user}.crt")
    client-key-data: $(base64 -w0 <"${pki}/${user}.key")
contexts:
- name: kubeprint
  context:
    cluster: kubeprint
    user: ${user}
current-context: kubeprint
EOF
	chmod 600 "${file}"
}

# --- processes ------------------------------------------------------------------
start() { # name args...
	local name=$1
	shift
	started=1
	setsid "$@" </dev/null >"${state}/logs/${name}.log" 2>&1 &
	echo $! >"${state}/run/${name}.pid"
}

alive_or_die() { # name
	local name=$1 pid
	pid=$(<"${state}/run/${name}.pid")
	if ! cluster_pid_is_ours "${state}" "${pid}"; then
		log "${name} exited during start-up; last lines of ${state}/logs/${name}.log:"
		tail -n 40 "${state}/logs/${name}.log" >&2 || true
		if grep -qi 'address already in use' "${state}/logs/${name}.log" 2>/dev/null; then
			port_clash=1
		fi
		return 1
	fi
}

# wait_for description command...; checks every component stays up meanwhile.
wait_for() {
	local what=$1 deadline c
	shift
	deadline=$(($(date +%s) + timeout_s))
	while ! "$@" >/dev/null 2>&1; do
		for c in "${running[@]}"; do alive_or_die "${c}" || return 1; done
		if (($(date +%s) > deadline)); then
			log "timed out after ${timeout_s}s waiting for ${what}"
			for c in "${running[@]}"; do
				log "--- last lines of ${c}.log"
				tail -n 15 "${state}/logs/${c}.log" >&2 || true
			done
			return 1
		fi
		sleep 0.2
	done
	log "$(elapsed)s ${what}"
}

https_ok() { # url
	curl -fsS --max-time 2 --cacert "${pki}/ca.crt" --cert "${pki}/admin.crt" --key "${pki}/admin.key" "$1"
}
https_insecure_ok() { curl -fsSk --max-time 2 "$1"; }
kc() { "${kubectl}" --kubeconfig "${state}/kubeconfig" "$@"; }

start_control_plane() {
	running=()
	etcd_port=$(free_port)
	etcd_peer_port=$(free_port)
	api_port=$(free_port)
	kcm_port=$(free_port)
	sched_port=$(free_port)

	kubeconfig "${state}/kubeconfig" admin
	kubeconfig "${state}/run/controller-manager.kubeconfig" controller-manager
	kubeconfig "${state}/run/scheduler.kubeconfig" scheduler
	kubeconfig "${state}/run/kwok.kubeconfig" kwok

	rm -rf "${state}/etcd"
	start etcd "${bin}/etcd" \
		--name=kubeprint \
		--data-dir="${state}/etcd" \
		--listen-client-urls="http://127.0.0.1:${etcd_port}" \
		--advertise-client-urls="http://127.0.0.1:${etcd_port}" \
		--listen-peer-urls="http://127.0.0.1:${etcd_peer_port}" \
		--initial-advertise-peer-urls="http://127.0.0.1:${etcd_peer_port}" \
		--initial-cluster="kubeprint=http://127.0.0.1:${etcd_peer_port}" \
		--unsafe-no-fsync \
		--quota-backend-bytes=2147483648 \
		--log-level=warn
	running+=(etcd)
	wait_for "etcd is healthy on 127.0.0.1:${etcd_port}" \
		curl -fsS --max-time 2 "http://127.0.0.1:${etcd_port}/health" || return 1

	start kube-apiserver "${bin}/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:${etcd_port}" \
		--bind-address=127.0.0.1 \
		--advertise-address=127.0.0.1 \
		--secure-port="${api_port}" \
		--cert-dir="${state}/run/apiserver-certs" \
		--tls-cert-file="${pki}/apiserver.crt" \
		--tls-private-key-file="${pki}/apiserver.key" \
		--client-ca-file="${pki}/ca.crt" \
		--authorization-mode=Node,RBAC \
		--allow-privileged=true \
		--endpoint-reconciler-type=none \
		--service-cluster-ip-range=10.96.0.0/16 \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="${pki}/sa.pub" \
		--service-account-signing-key-file="${pki}/sa.key" \
		--requestheader-client-ca-file="${pki}/ca.crt" \
		--requestheader-allowed-names=front-proxy-client \
		--requestheader-username-headers=X-Remote-User \
		--requestheader-group-headers=X-Remote-Group \
		--requestheader-extra-headers-prefix=X-Remote-Extra- \
		--proxy-client-cert-file="${pki}/front-proxy-client.crt" \
		--proxy-client-key-file="${pki}/front-proxy-client.key" \
		--kubelet-client-certificate="${pki}/apiserver-kubelet-client.crt" \
		--kubelet-client-key="${pki}/apiserver-kubelet-client.key" \
		--kubelet-preferred-address-types=InternalIP,Hostname \
		--enable-admission-plugins=PodNodeSelector,PodTolerationRestriction \
		--profiling=false \
		--v=1
	running+=(kube-apiserver)
	wait_for "kube-apiserver is ready on https://127.0.0.1:${api_port}" \
		https_ok "https://127.0.0.1:${api_port}/readyz" || return 1

	start kube-controller-manager "${bin}/kube-controller-manager" \
		--kubeconfig="${state}/run/controller-manager.kubeconfig" \
		--authentication-kubeconfig="${state}/run/controller-manager.kubeconfig" \
		--authorization-kubeconfig="${state}/run/controller-manager.kubeconfig" \
		--bind-address=127.0.0.1 \
		--secure-port="${kcm_port}" \
		--cert-dir="${state}/run/controller-manager-certs" \
		--controllers='*' \
		--use-service-account-credentials=true \
		--root-ca-file="${pki}/ca.crt" \
		--service-account-private-key-file="${pki}/sa.key" \
		--cluster-signing-cert-file="${pki}/ca.crt" \
		--cluster-signing-key-file="${pki}/ca.key" \
		--service-cluster-ip-range=10.96.0.0/16 \
		--flex-volume-plugin-dir="${state}/run/flexvolume" \
		--leader-elect=false \
		--profiling=false \
		--v=1
	running+=(kube-controller-manager)

	start kube-scheduler "${bin}/kube-scheduler" \
		--kubeconfig="${state}/run/scheduler.kubeconfig" \
		--authentication-kubeconfig="${state}/run/scheduler.kubeconfig" \
		--authorization-kubeconfig="${state}/run/scheduler.kubeconfig" \
		--bind-address=127.0.0.1 \
		--secure-port="${sched_port}" \
		--cert-dir="${state}/run/scheduler-certs" \
		--leader-elect=false \
		--profiling=false \
		--v=1
	running+=(kube-scheduler)

	start kwok "${bin}/kwok" \
		--kubeconfig="${state}/run/kwok.kubeconfig" \
		--config="${cluster_tools_dir}/kwok.yaml" \
		--v=1
	running+=(kwok)

	wait_for "kube-controller-manager is healthy on 127.0.0.1:${kcm_port}" \
		https_insecure_ok "https://127.0.0.1:${kcm_port}/healthz" || return 1
	wait_for "kube-scheduler is healthy on 127.0.0.1:${sched_port}" \
		https_insecure_ok "https://127.0.0.1:${sched_port}/healthz" || return 1
}

attempt=1
while :; do
	port_clash=0
	if start_control_plane; then break; fi
	cluster_stop_all "${state}"
	# A port taken meanwhile by another program is the usual reason; a component dying at
	# start without a word (seen once: kwok, empty log, cause unknown) is retried the same way.
	# Each attempt prints its logs, so a failure that repeats is still reported in full.
	if ((attempt < 3)); then
		attempt=$((attempt + 1))
		if ((port_clash)); then
			log "port clash; retrying with new ports (attempt ${attempt}/3)"
		else
			log "start-up failed; retrying with new ports (attempt ${attempt}/3)"
		fi
		continue
	fi
	die "the control plane did not come up (logs in ${state}/logs)"
done

# --- nodes and storage -------------------------------------------------------
write_node() { # name zone extra-label-lines
	cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: $2
$3
spec: {}
status:
  capacity: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 500Gi}
  allocatable: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 500Gi}
EOF
}
{
	write_node kwok-node-0 zone-a "    kubeprint.dev/disk: ssd"
	write_node kwok-node-1 zone-b "    kubeprint.dev/disk: ssd"
	write_node kwok-node-2 zone-c "    kubeprint.dev/disk: hdd"
} >"${state}/manifests/nodes.yaml"

write_pv() { # name size access-mode
	cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $1
  labels:
    kubeprint.dev/pool: "true"
    kubeprint.dev/access: $3
spec:
  storageClassName: standard
  capacity: {storage: $2}
  accessModes: [$3]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  hostPath: {path: /var/lib/kubeprint-fake-volumes/$1}
EOF
}
{
	cat <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
EOF
	for i in $(seq -w 1 40); do write_pv "pool-rwo-${i}" 10Gi ReadWriteOnce; done
	for i in $(seq -w 1 10); do write_pv "pool-rwx-${i}" 10Gi ReadWriteMany; done
	for i in $(seq -w 1 5); do write_pv "pool-big-${i}" 100Gi ReadWriteOnce; done
} >"${state}/manifests/storage.yaml"

kc apply -f "${state}/manifests/nodes.yaml" -f "${state}/manifests/storage.yaml" >"${state}/logs/apply.log" 2>&1 ||
	{ cat "${state}/logs/apply.log" >&2; die "creating nodes and volumes failed"; }

nodes_ready() {
	local out
	out=$(kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}') || return 1
	[[ $(grep -c '^True$' <<<"${out}") -ge 3 ]]
}
wait_for "3 kwok nodes are Ready" nodes_ready || die "nodes did not become Ready"
wait_for "ServiceAccount default/default exists" kc get serviceaccount default -n default ||
	die "the default ServiceAccount did not appear"

cat >"${state}/env" <<EOF
# kubeprint local test cluster (tools/cluster/up.sh); source this file.
export KUBEPRINT_CLUSTER_DIR='${state}'
export KUBEPRINT_CLUSTER_BIN='${bin}'
export KUBEPRINT_TEST_KUBECONFIG='${state}/kubeconfig'
export KUBECONFIG='${state}/kubeconfig'
export PATH='${bin}':"\${PATH}"
EOF
cat >"${state}/info" <<EOF
apiserver=https://127.0.0.1:${api_port}
etcd=http://127.0.0.1:${etcd_port}
etcd_peer=http://127.0.0.1:${etcd_peer_port}
controller_manager=https://127.0.0.1:${kcm_port}
scheduler=https://127.0.0.1:${sched_port}
bin=${bin}
started_seconds=$(elapsed)
EOF
if [[ ${KUBEPRINT_REAL_NODE:-0} == 1 ]]; then
	log "joining the real node (KUBEPRINT_REAL_NODE=1)"
	KUBEPRINT_CLUSTER_DIR=${state} "${cluster_tools_dir}/node-up.sh" || die "the real node did not come up"
fi
trap - EXIT

log "cluster ready in $(elapsed)s: https://127.0.0.1:${api_port} (state ${state})"
cat >&2 <<EOF
[up] use it:
[up]   source ${state}/env
[up]   kubectl get nodes        # or: KUBECONFIG=${state}/kubeconfig ${kubectl} get nodes
[up] stop it:
[up]   KUBEPRINT_CLUSTER_DIR=${state} ${cluster_tools_dir}/down.sh
EOF
echo "source ${state}/env"
