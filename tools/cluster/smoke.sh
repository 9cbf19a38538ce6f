#!/usr/bin/env bash
# Smoke tests proving the local cluster (tools/cluster/up.sh) is a real one:
# admission, controllers, scheduler, kwok nodes, volume binding, server-side
# apply, OpenAPI v3, loopback-only listeners. Each check runs in its own
# namespace and prints one PASS/FAIL line; the last line is
# "N passed, N failed" and the exit status is non-zero on any failure.
#
# Env:
#   KUBEPRINT_CLUSTER_DIR  state dir of the cluster (default <repo>/target/cluster)
#   SMOKE_TIMEOUT          seconds each wait may take (default 90)
#   SMOKE_KEEP=1           keep the test namespaces
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

state=$(cluster_state_dir)
[[ -f ${state}/env ]] || { echo "no running cluster at ${state} (run tools/cluster/up.sh)" >&2; exit 2; }
state=$(cd "${state}" && pwd -P)
# shellcheck disable=SC1091
. "${state}/env"
kubectl=${KUBEPRINT_CLUSTER_BIN}/kubectl
wait_s=${SMOKE_TIMEOUT:-90}
run_id=$(date +%s | tail -c 6)$((RANDOM % 100))
passed=0
failed=0
t0=$(date +%s)

k() { "${kubectl}" --request-timeout=30s "$@"; }

# Create a namespace for one check; extra args are labels (key=value).
new_ns() { # name [labels...]
	local ns="smoke-$1-${run_id}"
	shift
	k create namespace "${ns}" >/dev/null
	k label namespace "${ns}" "kubeprint.dev/smoke=${run_id}" "$@" >/dev/null
	# Pods need the namespace's default ServiceAccount (ServiceAccount admission).
	poll "ServiceAccount ${ns}/default" k get serviceaccount default -n "${ns}" >/dev/null
	echo "${ns}"
}

# poll description command...: retry for up to SMOKE_TIMEOUT seconds.
poll() {
	local what=$1 deadline
	shift
	deadline=$(($(date +%s) + wait_s))
	until "$@" >/dev/null 2>&1; do
		if (($(date +%s) > deadline)); then
			echo "timed out after ${wait_s}s waiting for ${what}" >&2
			return 1
		fi
		sleep 0.5
	done
}

jp() { # jsonpath args...: print a jsonpath of an object
	local path=$1
	shift
	k get "$@" -o "jsonpath=${path}"
}

# Run one check; its stderr is shown only on failure.
check() { # name function
	local name=$1 fn=$2 out start rc
	start=$(date +%s)
	out=$(mktemp)
	set +e
	("${fn}") >"${out}" 2>&1
	rc=$?
	set -e
	if ((rc == 0)); then
		passed=$((passed + 1))
		printf 'PASS %-28s (%ss)\n' "${name}" "$(($(date +%s) - start))"
	else
		failed=$((failed + 1))
		printf 'FAIL %-28s (%ss)\n' "${name}" "$(($(date +%s) - start))"
		sed 's/^/    | /' "${out}" | tail -n 30
	fi
	rm -f "${out}"
}

pause_container='
      containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        resources:
          requests: {cpu: 10m, memory: 16Mi}'

# --- checks --------------------------------------------------------------------

t_pod_security() {
	local ns out
	ns=$(new_ns psa pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest)
	if out=$(k apply -n "${ns}" -f - 2>&1 <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: privileged}
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
    securityContext: {privileged: true}
EOF
	); then
		echo "privileged pod was admitted into a restricted namespace: ${out}"
		return 1
	fi
	grep -q 'violates PodSecurity "restricted' <<<"${out}" || { echo "unexpected rejection: ${out}"; return 1; }
	k apply -n "${ns}" -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: compliant}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
EOF
	poll "compliant pod Running" test_eq Running jp '{.status.phase}' pod compliant -n "${ns}"
}

test_eq() { # expected command...: command's output equals expected
	local want=$1 got
	shift
	got=$("$@") || return 1
	[[ ${got} == "${want}" ]]
}

t_deployment() {
	local ns nodes n
	ns=$(new_ns deploy)
	k apply -n "${ns}" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:${pause_container}
EOF
	k rollout status -n "${ns}" deployment/web --timeout="${wait_s}s"
	poll "3/3 ready replicas" test_eq 3 jp '{.status.readyReplicas}' deployment web -n "${ns}"
	nodes=$(jp '{range .items[*]}{.spec.nodeName}{"\n"}{end}' pods -n "${ns}" -l app=web)
	n=$(grep -c '^kwok-node-' <<<"${nodes}" || true)
	[[ ${n} == 3 ]] || { echo "pods not all on kwok nodes: ${nodes}"; return 1; }
}

t_job() {
	local ns
	ns=$(new_ns job)
	k apply -n "${ns}" -f - <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: work}
spec:
  completions: 2
  parallelism: 2
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never${pause_container}
EOF
	k wait -n "${ns}" --for=condition=Complete job/work --timeout="${wait_s}s"
	test_eq 2 jp '{.status.succeeded}' job work -n "${ns}"
}

t_pvc() {
	local ns pv
	ns=$(new_ns pvc)
	k apply -n "${ns}" -f - <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shared}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 5Gi}}
EOF
	poll "PVC data Bound" test_eq Bound jp '{.status.phase}' pvc data -n "${ns}"
	poll "PVC shared Bound" test_eq Bound jp '{.status.phase}' pvc shared -n "${ns}"
	test_eq standard jp '{.spec.storageClassName}' pvc data -n "${ns}" ||
		{ echo "default StorageClass not applied"; return 1; }
	# Deleting the claim returns its pool volume to Available (kwok pv-recycle).
	pv=$(jp '{.spec.volumeName}' pvc data -n "${ns}")
	k delete pvc data -n "${ns}" --wait=true --timeout="${wait_s}s"
	poll "PV ${pv} Available again" test_eq Available jp '{.status.phase}' pv "${pv}"
}

t_statefulset() {
	local ns phases
	ns=$(new_ns sts)
	k apply -n "${ns}" -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 2Gi}}
EOF
	k rollout status -n "${ns}" statefulset/db --timeout="${wait_s}s"
	poll "2/2 ready" test_eq 2 jp '{.status.readyReplicas}' statefulset db -n "${ns}"
	phases=$(jp '{range .items[*]}{.status.phase}{"\n"}{end}' pvc -n "${ns}")
	[[ $(grep -c '^Bound$' <<<"${phases}" || true) == 2 ]] || { echo "PVCs not bound: ${phases}"; return 1; }
}

t_daemonset() {
	local ns nodes want
	ns=$(new_ns ds)
	k apply -n "${ns}" -f - <<EOF
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {kubeprint.dev/disk: ssd}${pause_container}
EOF
	want=$(k get nodes -l kubeprint.dev/disk=ssd -o name | wc -l)
	((want >= 1 && want < $(k get nodes -o name | wc -l))) || { echo "need some but not all nodes labelled ssd"; return 1; }
	poll "${want} daemon pods ready" test_eq "${want}/${want}" \
		jp '{.status.numberReady}/{.status.desiredNumberScheduled}' daemonset agent -n "${ns}"
	k rollout status -n "${ns}" daemonset/agent --timeout="${wait_s}s"
	nodes=$(jp '{range .items[*]}{.spec.nodeName}{"\n"}{end}' pods -n "${ns}" -l app=agent | sort)
	[[ ${nodes} == "$(k get nodes -l kubeprint.dev/disk=ssd -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort)" ]] ||
		{ echo "daemon pods on unexpected nodes: ${nodes}"; return 1; }
}

t_server_side_apply() {
	local ns out
	ns=$(new_ns ssa)
	cm() { # value
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: "%s"}\n' "$1"
	}
	cm one | k apply --server-side --field-manager=smoke-a -n "${ns}" -f -
	cm two | k apply --server-side --field-manager=smoke-a -n "${ns}" -f -
	test_eq two jp '{.data.mode}' configmap settings -n "${ns}"
	# A second manager touching the same field must conflict...
	if out=$(cm three | k apply --server-side --field-manager=smoke-b -n "${ns}" -f - 2>&1); then
		echo "expected a field-manager conflict, got: ${out}"
		return 1
	fi
	grep -qi conflict <<<"${out}" || { echo "unexpected error: ${out}"; return 1; }
	# ...until it forces ownership.
	cm three | k apply --server-side --force-conflicts --field-manager=smoke-b -n "${ns}" -f -
	test_eq three jp '{.data.mode}' configmap settings -n "${ns}"
	[[ " $(jp '{.metadata.managedFields[*].manager}' configmap settings -n "${ns}") " == *" smoke-b "* ]] ||
		{ echo "smoke-b is not a field manager"; return 1; }
	# Typed SSA of a Deployment needs the server's OpenAPI-derived schema.
	k apply --server-side --field-manager=smoke-a -n "${ns}" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: typed}
spec:
  replicas: 1
  selector: {matchLabels: {app: typed}}
  template:
    metadata: {labels: {app: typed}}
    spec:${pause_container}
EOF
	k apply --server-side --field-manager=smoke-a --dry-run=server -n "${ns}" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: typed}
spec:
  replicas: 2
  selector: {matchLabels: {app: typed}}
  template:
    metadata: {labels: {app: typed}}
    spec:${pause_container}
EOF
	local explained
	explained=$(k explain deployments.spec.strategy --api-version=apps/v1)
	grep -q rollingUpdate <<<"${explained}" || { echo "kubectl explain: ${explained}"; return 1; }
}

t_openapi_v3() {
	command -v python3 >/dev/null || { echo "python3 is needed to validate the documents"; return 1; }
	local api
	api=$(sed -n 's/^apiserver=//p' "${state}/info")
	python3 - "${api}" "${state}/pki" <<'EOF'
import json, ssl, sys, urllib.request
base, pki = sys.argv[1], sys.argv[2]
assert base.startswith("https://127.0.0.1:"), base
ctx = ssl.create_default_context(cafile=f"{pki}/ca.crt")
ctx.load_cert_chain(f"{pki}/admin.crt", f"{pki}/admin.key")
def get(path):
    with urllib.request.urlopen(base + path, context=ctx, timeout=30) as r:
        return json.loads(r.read())
index = get("/openapi/v3")
paths = index["paths"]
for gv in ("api/v1", "apis/apps/v1", "apis/batch/v1", "apis/storage.k8s.io/v1"):
    assert gv in paths, f"{gv} missing from /openapi/v3"
schemas_total = 0
for gv, entry in sorted(paths.items()):
    doc = get(entry["serverRelativeURL"])
    assert str(doc.get("openapi", "")).startswith("3."), f"{gv}: openapi={doc.get('openapi')!r}"
    schemas = doc.get("components", {}).get("schemas", {})
    if gv == "api/v1" or (gv.startswith("apis/") and gv.count("/") == 2):
        assert schemas, f"{gv}: no component schemas"
    refs = set()
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    refs.add(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    for ref in refs:
        name = ref.rsplit("/", 1)[-1]
        assert ref.startswith("#/components/schemas/") and name in schemas, f"{gv}: dangling $ref {ref}"
    schemas_total += len(schemas)
dep = get(paths["apis/apps/v1"]["serverRelativeURL"])["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
assert "spec" in dep["properties"], "Deployment schema has no spec"
print(f"{len(paths)} documents, {schemas_total} schemas, all $refs resolve")
EOF
}

t_loopback_only() {
	command -v ss >/dev/null || { echo "ss (iproute2) is needed"; return 1; }
	local c pid pids=() bad seen=0 line
	for c in "${cluster_components[@]}"; do
		pid=$(cat "${state}/run/${c}.pid" 2>/dev/null) || { echo "no pid file for ${c}"; return 1; }
		cluster_pid_is_ours "${state}" "${pid}" || { echo "${c} (pid ${pid}) is not running"; return 1; }
		pids+=("${pid}")
	done
	bad=""
	while IFS= read -r line; do
		for pid in "${pids[@]}"; do
			[[ ${line} == *"pid=${pid},"* ]] || continue
			seen=$((seen + 1))
			# Columns of ss -Htu: Netid State Recv-Q Send-Q Local Peer Process.
			case $(awk '{print $5}' <<<"${line}") in
			127.* | "[::1]":*) ;;
			*) bad+="${line}"$'\n' ;;
			esac
		done
	done < <(ss -Hlntup)
	[[ -z ${bad} ]] || { echo "non-loopback listeners:"; echo "${bad}"; return 1; }
	((seen >= 5)) || { echo "expected >= 5 listening sockets of the cluster, saw ${seen}"; return 1; }
	echo "${seen} listening sockets, all on loopback"
}

# --- run -------------------------------------------------------------------------
if ! k get --raw /readyz >/dev/null 2>&1; then
	echo "FAIL cluster-reachable: $(sed -n 's/^apiserver=//p' "${state}/info") does not answer /readyz"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "smoke tests against $(sed -n 's/^apiserver=//p' "${state}/info") (server $(k version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n1))"
check pod-security-restricted t_pod_security
check deployment-3-of-3 t_deployment
check job-completes t_job
check pvc-binds t_pvc
check statefulset-with-volumes t_statefulset
check daemonset-node-selector t_daemonset
check server-side-apply t_server_side_apply
check openapi-v3-valid t_openapi_v3
check loopback-only t_loopback_only

if [[ ${SMOKE_KEEP:-0} != 1 ]]; then
	k delete namespace -l "kubeprint.dev/smoke=${run_id}" --wait=false >/dev/null 2>&1 || true
fi
echo "smoke suite took $(($(date +%s) - t0))s"
echo "${passed} passed, ${failed} failed"
((failed == 0))
