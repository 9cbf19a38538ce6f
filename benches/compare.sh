#!/usr/bin/env bash
# kubeprint side by side with kubectl, cdk8s and the floor (bare concurrent server-side-apply
# requests), on the local control plane (tools/cluster). Prints a markdown table and writes it
# to target/bench/compare.md (raw figures: target/bench/raw.tsv).
#
#   benches/compare.sh            # everything, < 15 minutes on 2 cores
#   BENCH_QUICK=1 benches/compare.sh   # N = 50 and 500 only, fewer runs (a few minutes)
#
# What is measured (each figure is the wall time of a whole process, contenders alternated run
# by run, the median reported):
#   1. first apply of N objects (ConfigMaps, Services, Deployments) into a fresh namespace:
#      kubeprint (benches/bin/bench_apply.rs) | kubectl apply --server-side -f (same rendered YAML)
#      | the floor (benches/bin/bench_floor.rs: N bare SSA PATCH requests, C in flight);
#   2. the no-op re-apply of the same set into the same namespace, and the re-apply with 5 % of
#      the objects changed (every tenth ConfigMap); then the client's delete of the set, and in a
#      second fresh namespace the apply + wait for readiness. With the "peers" section
#      Helm 4 (`helm upgrade --install` of a chart holding the same objects, `helm uninstall`)
#      and kapp (`kapp deploy`, `kapp delete`), built from the Go module proxy by
#      benches/peers/build.sh, take part in all of these;
#   3. whole-process render of kuard and of the four blueprints: kubeprint (benches/bin/bench_render,
#      and the kuard example with its command line) vs cdk8s-plus synth (benches/peers/cdk8s);
#   4. wait latency: from the last object becoming ready (seen by an independent watcher,
#      benches/bin/bench_watch.rs) to the client's wait returning: kubeprint apply --wait, and
#      kubectl wait --for=condition=Available for reference;
#   5. time and peak RSS (GNU time -v) of every contender applying BENCH_RSS_N (10,000)
#      ConfigMaps into a fresh namespace;
#   6. in-process render of the four blueprints and of the chapter examples (criterion medians
#      from `cargo bench --bench render`, short settings).
#
# Env:
#   KUBEPRINT_BENCH_KUBECONFIG  use this running cluster (its kubectl must be on PATH) instead of
#                               starting a private one in target/bench/cluster
#   BENCH_RUNS (5)              runs per contender for N = 50 and 500
#   BENCH_RUNS_LARGE (2)        runs per contender for N = 2000 (kubectl takes long there)
#   BENCH_SIZES ("50 500 2000") apply sizes
#   BENCH_RENDER_RUNS (10)      runs per contender for the render comparison
#   BENCH_RSS_N (10000)         objects for the peak-RSS run (0 skips it)
#   BENCH_WAIT_N (50)           objects for the wait-latency run (Deployments have 1 replica)
#   BENCH_WAIT_RUNS (3)         runs per client for the wait latency
#   BENCH_FLOOR_CONCURRENCY (32) requests in flight for the floor
#   BENCH_SECTIONS ("apply render wait rss inprocess") which measurements to run; add "peers"
#                               for Helm and kapp in "apply" and "rss" (needs Go and the proxy)
#   BENCH_PHASES ("apply noop changed5 delete applywait") the phases of "apply"
# Only 127.0.0.1 is ever contacted (the private cluster binds loopback only).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${repo}/target/bench
mkdir -p "${out}/in" "${out}/logs"
raw=${out}/raw.tsv
report=${out}/compare.md
: >"${raw}"

quick=${BENCH_QUICK:-0}
runs=${BENCH_RUNS:-5}
runs_large=${BENCH_RUNS_LARGE:-2}
sizes=${BENCH_SIZES:-50 500 2000}
render_runs=${BENCH_RENDER_RUNS:-10}
rss_n=${BENCH_RSS_N:-10000}
wait_n=${BENCH_WAIT_N:-50}
floor_c=${BENCH_FLOOR_CONCURRENCY:-32}
sections=" ${BENCH_SECTIONS:-apply render wait rss inprocess} "
phases=" ${BENCH_PHASES:-apply noop changed5 delete applywait} "
want() { [[ ${sections} == *" $1 "* ]]; }
if [[ ${quick} == 1 ]]; then
	runs=${BENCH_RUNS:-2}
	sizes=${BENCH_SIZES:-50 500}
	render_runs=${BENCH_RENDER_RUNS:-5}
	rss_n=${BENCH_RSS_N:-2000}
fi

log() { printf '[compare] %s\n' "$*" >&2; }
die() { printf '[compare] ERROR: %s\n' "$*" >&2; exit 1; }
# Times come from $EPOCHREALTIME (bash >= 5): no `date` fork inside a 2 ms measurement.
((BASH_VERSINFO[0] >= 5)) || die "bash >= 5 is required"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"${raw}"; } # section n contender run value

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(load)

# --- tools -----------------------------------------------------------------------------
if ! /usr/bin/time -v true >/dev/null 2>&1; then
	log "installing GNU time (Debian package 'time') for peak-RSS measurement"
	if command -v apt-get >/dev/null 2>&1; then
		{ apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; }; } ||
			die "could not install GNU time"
	else
		die "GNU time (/usr/bin/time -v) is required"
	fi
fi
want render && { command -v node >/dev/null 2>&1 || die "node (>= 20) is required for the cdk8s comparison"; }

log "building the contenders (--release)"
if want render; then
	(cd "${repo}" && cargo build --release --quiet --example ch12_deployments) || die "cargo build failed"
fi
bin=${repo}/target/release/examples
# The tools live in benches/bin as bench targets (neither examples nor installed binaries); cargo
# names their executables in its JSON messages.
tools_json=$(cd "${repo}" && cargo bench --no-run --quiet --message-format=json \
	--bench bench_apply --bench bench_floor --bench bench_watch --bench bench_render) || die "cargo bench --no-run failed"
tool() { # name -> executable
	local exe
	exe=$(sed -n "s/.*\"target\":{[^}]*\"name\":\"$1\"[^}]*}.*\"executable\":\"\([^\"]*\)\".*/\1/p" <<<"${tools_json}" | tail -n1)
	[[ -x ${exe} ]] || die "no executable for $1 in cargo's output"
	echo "${exe}"
}
kp=$(tool bench_apply)
floor=$(tool bench_floor)
watch=$(tool bench_watch)
render=$(tool bench_render)
if want render; then
	log "installing cdk8s (npm ci)"
	"${repo}/benches/peers/cdk8s/install.sh" || die "npm ci failed in benches/peers/cdk8s"
fi
helm_version=- kapp_version=-
if want peers; then
	log "building Helm and kapp from the Go module proxy (benches/peers/build.sh; cached)"
	peers_bin=$("${repo}/benches/peers/build.sh" 2>"${out}/logs/peers-build.log" | tail -n1) ||
		{ tail -n 20 "${out}/logs/peers-build.log" >&2; die "benches/peers/build.sh failed"; }
	helm=${peers_bin}/helm
	kapp=${peers_bin}/kapp
	# Helm keeps its configuration and caches here, not in $HOME.
	export HELM_CONFIG_HOME=${out}/helm/config HELM_CACHE_HOME=${out}/helm/cache HELM_DATA_HOME=${out}/helm/data
	helm_version=$("${helm}" version --short 2>/dev/null || echo "?")
	kapp_version=$("${kapp}" version 2>/dev/null | sed -n 's/^kapp version //p' | head -n1)
fi

# --- 6: in-process render (criterion), before the cluster runs ---------------------------
# criterion_median GROUP/BENCH -> median in ns from criterion's estimates.json, or "-".
criterion_median() {
	local f="${repo}/target/criterion/$1/new/estimates.json" v
	v=$([[ -f ${f} ]] && sed -n 's/.*"median":{"confidence_interval":{[^}]*},"point_estimate":\([0-9.]*\).*/\1/p' "${f}")
	echo "${v:--}"
}
inprocess=0
if want inprocess; then
	log "criterion: blueprints/all and chapters/all (in-process build + check + render)"
	rm -rf "${repo}/target/criterion/blueprints/all" "${repo}/target/criterion/chapters/all"
	(cd "${repo}" && cargo bench --quiet --bench render -- --warm-up-time 1 --measurement-time 3 '^(blueprints|chapters)/all$') \
		>"${out}/logs/criterion.log" 2>&1 || { tail -n 20 "${out}/logs/criterion.log" >&2; die "cargo bench failed"; }
	inprocess=1
fi

# --- cluster -----------------------------------------------------------------------------
own_cluster=0
cluster_dir=${out}/cluster
stop_cluster() {
	if ((own_cluster)); then
		log "stopping the private cluster"
		KUBEPRINT_CLUSTER_DIR=${cluster_dir} "${repo}/tools/cluster/down.sh" >/dev/null 2>&1 || true
	fi
}
trap stop_cluster EXIT
need_cluster=0
for section in apply wait rss; do want "${section}" && need_cluster=1; done
server_version=- kubectl_version=-
if ((need_cluster)); then
	if [[ -n ${KUBEPRINT_BENCH_KUBECONFIG:-} ]]; then
		export KUBECONFIG=${KUBEPRINT_BENCH_KUBECONFIG}
	else
		[[ -x ${repo}/tools/cluster/up.sh ]] || die "tools/cluster/up.sh is missing"
		log "starting a private control plane in ${cluster_dir}"
		own_cluster=1
		KUBEPRINT_CLUSTER_DIR=${cluster_dir} "${repo}/tools/cluster/up.sh" >"${out}/logs/cluster-up.log" 2>&1 ||
			{ tail -n 30 "${out}/logs/cluster-up.log" >&2; die "tools/cluster/up.sh failed"; }
		# shellcheck disable=SC1091
		source "${cluster_dir}/env"
	fi
	[[ -n ${KUBECONFIG:-} ]] || die "no KUBECONFIG"
	server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
	[[ ${server} == https://127.0.0.1:* ]] || die "refusing to benchmark against ${server}: only 127.0.0.1 is allowed"
	versions=$(kubectl version -o json 2>/dev/null) || die "kubectl version failed against ${server}"
	client_minor=$(sed -n '/clientVersion/,/}/s/.*"minor": *"\([0-9]*\).*/\1/p' <<<"${versions}" | head -n1)
	server_minor=$(sed -n '/serverVersion/,/}/s/.*"minor": *"\([0-9]*\).*/\1/p' <<<"${versions}" | head -n1)
	kubectl_version=$(sed -n '/clientVersion/,/}/s/.*"gitVersion": *"\([^"]*\)".*/\1/p' <<<"${versions}" | head -n1)
	server_version=$(sed -n '/serverVersion/,/}/s/.*"gitVersion": *"\([^"]*\)".*/\1/p' <<<"${versions}" | head -n1)
	[[ -n ${client_minor} && ${client_minor} == "${server_minor}" ]] ||
		die "kubectl ${kubectl_version} is not the apiserver's minor (${server_version}); put the cluster's kubectl first on PATH"
	log "apiserver ${server_version}, kubectl ${kubectl_version} ($(command -v kubectl)), ${server}"
fi

ns_seq=0
fresh_ns() { # prefix -> creates and prints a new namespace
	ns_seq=$((ns_seq + 1))
	local ns="bench-$1-$$-${ns_seq}"
	kubectl create namespace "${ns}" >/dev/null
	# Objects are namespaced, and nothing here creates pods except the wait run; no need to wait
	# for the default ServiceAccount.
	echo "${ns}"
}
drop_ns() { kubectl delete namespace "$1" --wait=true --timeout=300s >/dev/null 2>&1 || log "namespace $1 not deleted in time"; }

# Every apply sets controllers to work (ReplicaSets for Deployments, EndpointSlices for Services,
# garbage collection after a namespace is deleted) for a while after the client has returned; a
# measurement overlapping that work would be charged for it. settle waits (at most 20 s) until the
# control plane's processes use less than BENCH_SETTLE_TICKS (8) clock ticks per 0.5 s, ~1.5x what
# an idle one uses; on a cluster that is not ours, it sleeps 2 s.
settle_ticks=${BENCH_SETTLE_TICKS:-8}
cpu_ticks() { # pids... -> utime + stime of all, in clock ticks
	local t=0 p
	for p; do
		[[ -r /proc/${p}/stat ]] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/${p}/stat")))
	done
	echo "${t}"
}
settle() {
	local -a pids=()
	local c f i prev now
	if ((own_cluster)); then
		for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
			f=${cluster_dir}/run/${c}.pid
			[[ -f ${f} ]] && pids+=("$(<"${f}")")
		done
	fi
	if ((${#pids[@]} == 0)); then
		sleep 2
		return
	fi
	prev=$(cpu_ticks "${pids[@]}")
	for ((i = 0; i < 40; i++)); do
		sleep 0.5
		now=$(cpu_ticks "${pids[@]}")
		((now - prev < settle_ticks)) && return
		prev=${now}
	done
	log "control plane still busy after 20 s; measuring anyway"
}

# run_timed LOG cmd... : wall time of the whole process in µs on stdout; fails loudly.
run_timed() {
	local logf=$1 t0 t1
	shift
	t0=${EPOCHREALTIME/[.,]/}
	if ! "$@" >"${logf}" 2>&1; then
		tail -n 20 "${logf}" >&2
		die "failed: $*"
	fi
	t1=${EPOCHREALTIME/[.,]/}
	echo $((t1 - t0))
}


# --- 1 + 2: apply, no-op re-apply, 5 % changed, delete, apply + wait ---------------------------------
contenders=(kubeprint kubectl floor)
want peers && contenders+=(helm kapp)
# A Helm chart holding exactly the rendered objects (no templating: they contain no `{{`).
make_chart() { # yaml dir
	rm -rf "$2"
	mkdir -p "$2/templates"
	printf 'apiVersion: v2\nname: bench\nversion: 0.1.0\n' >"$2/Chart.yaml"
	cp "$1" "$2/templates/objects.yaml"
}
# apply_once contender n ns phase run: one timed client run; phase is apply | noop | changed5 |
# applywait | delete (the floor has no wait and no delete).
apply_once() {
	local c=$1 n=$2 ns=$3 phase=$4 r=$5 us
	local logf="${out}/logs/${phase}-${c}-${n}-${r}.log"
	# GNU time also reports the client's own CPU (user + sys), which competes with the apiserver
	# for the same 2 cores; it adds ~1 ms of exec to every contender alike.
	local cpu=(/usr/bin/time -f '%U %S' -o "${logf}.cpu")
	local yaml="${out}/in/${n}.yaml" jsonl="${out}/in/${n}.jsonl" chart="${out}/in/chart-${n}" every=()
	if [[ ${phase} == changed5 ]]; then
		yaml="${out}/in/${n}-changed.yaml" jsonl="${out}/in/${n}-changed.jsonl" chart="${out}/in/chart-${n}-changed" every=(--changed-every 10)
	fi
	local -a cmd
	case ${c}:${phase} in
	kubeprint:delete) cmd=("${kp}" delete --n "${n}" --namespace "${ns}") ;;
	kubeprint:applywait) cmd=("${kp}" apply --n "${n}" --namespace "${ns}" --wait) ;;
	kubeprint:*) cmd=("${kp}" apply --n "${n}" --namespace "${ns}" "${every[@]}") ;;
	kubectl:delete) cmd=(kubectl delete -n "${ns}" -f "${yaml}" --wait=true) ;;
	kubectl:applywait) cmd=(bash -c 'kubectl apply --server-side -n "$1" -f "$2" && kubectl wait -n "$1" --for=condition=Available deployment --all --timeout=300s' _ "${ns}" "${yaml}") ;;
	kubectl:*) cmd=(kubectl apply --server-side -n "${ns}" -f "${yaml}") ;;
	floor:*) cmd=("${floor}" --file "${jsonl}" --namespace "${ns}" --concurrency "${floor_c}") ;;
	helm:delete) cmd=("${helm}" uninstall bench -n "${ns}" --wait --timeout 300s) ;;
	helm:applywait) cmd=("${helm}" upgrade --install bench "${chart}" -n "${ns}" --wait --timeout 300s) ;;
	helm:*) cmd=("${helm}" upgrade --install bench "${chart}" -n "${ns}") ;;
	kapp:delete) cmd=("${kapp}" delete -a bench -n "${ns}" -y) ;;
	kapp:applywait) cmd=("${kapp}" deploy -a bench -n "${ns}" --into-ns "${ns}" -f "${yaml}" -y) ;;
	kapp:*) cmd=("${kapp}" deploy -a bench -n "${ns}" --into-ns "${ns}" -f "${yaml}" -y --wait=false) ;;
	esac
	if [[ ${c} == helm || ${c} == kapp ]]; then
		# A peer failing (e.g. a Helm release too large for its Secret) is reported, not fatal.
		if ! us=$(run_timed "${logf}" "${cpu[@]}" "${cmd[@]}"); then
			log "${c} ${phase} of ${n} objects failed: see ${logf}"
			printf '0'
			return 0
		fi
	else
		us=$(run_timed "${logf}" "${cpu[@]}" "${cmd[@]}")
	fi
	record "${phase}" "${n}" "${c}" "${r}" "${us}"
	record "cpu-${phase}" "${n}" "${c}" "${r}" "$(awk '{ printf "%.0f", ($1 + $2) * 1e6 }' "${logf}.cpu")"
	printf '%s' "${us}"
}

want apply || sizes=""
for n in ${sizes}; do
	"${kp}" render --n "${n}" --yaml "${out}/in/${n}.yaml" --jsonl "${out}/in/${n}.jsonl" >/dev/null ||
		die "bench_apply render failed"
	"${kp}" render --n "${n}" --changed-every 10 --yaml "${out}/in/${n}-changed.yaml" --jsonl "${out}/in/${n}-changed.jsonl" >/dev/null ||
		die "bench_apply render failed"
	make_chart "${out}/in/${n}.yaml" "${out}/in/chart-${n}"
	make_chart "${out}/in/${n}-changed.yaml" "${out}/in/chart-${n}-changed"
	r_n=${runs}
	((n >= 2000)) && r_n=${runs_large}
	for ((r = 1; r <= r_n; r++)); do
		for ((i = 0; i < ${#contenders[@]}; i++)); do
			# Rotate who goes first from run to run.
			c=${contenders[$(((i + r) % ${#contenders[@]}))]}
			ns=$(fresh_ns "${c}")
			line="N=${n} run ${r}/${r_n} ${c}:"
			for phase in apply noop changed5 delete; do
				[[ ${phases} == *" ${phase} "* ]] || continue
				[[ ${c} == floor && ${phase} == delete ]] && continue
				settle
				t=$(apply_once "${c}" "${n}" "${ns}" "${phase}" "${r}")
				line+=" ${phase} $((t / 1000)) ms"
			done
			drop_ns "${ns}"
			if [[ ${c} != floor && ${phases} == *" applywait "* ]]; then
				ns=$(fresh_ns "${c}")
				settle
				t=$(apply_once "${c}" "${n}" "${ns}" applywait "${r}")
				line+=" apply+wait $((t / 1000)) ms"
				drop_ns "${ns}"
			fi
			log "${line} (load $(load))"
		done
	done
done

# --- 3: whole-process render vs cdk8s synth -----------------------------------------------------
cdk8s_dir=${repo}/benches/peers/cdk8s
# kinds_names FILE... -> sorted "Kind/name" of every object in multi-document YAML files.
kinds_names() {
	awk '/^---/ { k = ""; n = ""; top = "" }
		/^[A-Za-z]/ { split($0, a, ":"); top = a[1] }
		/^kind: / { k = $2 }
		top == "metadata" && /^  name: / { n = $2 }
		k != "" && n != "" { print k "/" n; k = ""; n = "" }' "$@" | sort
}
render_out=$(mktemp -d)
apps="kuard blueprints"
want render || apps=""
[[ -n ${apps} ]] && settle
for app in ${apps}; do
	for ((r = 1; r <= render_runs; r++)); do
		# kubeprint: benches/bin/bench_render (the smallest render program); kubeprint-cli: the kuard
		# example as shipped, through kubeprint::cli::run (clap, client, tokio linked in).
		contenders_render=(kubeprint cdk8s)
		[[ ${app} == kuard ]] && contenders_render+=(kubeprint-cli)
		for c in "${contenders_render[@]}"; do
			case ${c} in
			kubeprint) us=$(run_timed "${render_out}/kp-${app}.yaml" "${render}" "${app}") ;;
			kubeprint-cli) us=$(run_timed "${render_out}/kp-cli-${app}.yaml" "${bin}/ch12_deployments") ;;
			cdk8s) us=$(run_timed "${out}/logs/cdk8s-${app}.log" node "${cdk8s_dir}/main.js" "${app}" "${render_out}/cdk8s-${app}-${r}") ;;
			esac
			record render "${app}" "${c}" "${r}" "${us}"
		done
	done
	grep -c '^kind:' "${render_out}/kp-${app}.yaml" >"${out}/logs/render-${app}.objects"
	# The cdk8s program must keep producing the same objects (kind/name) as kubeprint's examples.
	if diff <(kinds_names "${render_out}/kp-${app}.yaml") <(kinds_names "${render_out}/cdk8s-${app}-${render_runs}"/*.yaml) \
		>"${out}/logs/render-${app}.diff"; then
		echo same >"${out}/logs/render-${app}.same"
	else
		log "cdk8s and kubeprint produce different objects for ${app}: see ${out}/logs/render-${app}.diff"
		echo different >"${out}/logs/render-${app}.same"
	fi
	log "render ${app}: done (load $(load))"
done
rm -rf "${render_out}"

# --- 4: wait latency ------------------------------------------------------------------------------
"${kp}" render --n "${wait_n}" --replicas 1 --yaml "${out}/in/wait.yaml" --jsonl "${out}/in/wait.jsonl" >"${out}/in/wait.counts" ||
	die "bench_apply render failed"
json_field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; } # key file -> number
wait_deploys=$(json_field deployments "${out}/in/wait.counts")
wait_services=$(json_field services "${out}/in/wait.counts")
[[ -n ${wait_deploys} && -n ${wait_services} ]] || die "cannot read the object counts of the wait set"
wait_runs=${BENCH_WAIT_RUNS:-3}
want wait || wait_runs=0
for ((r = 1; r <= wait_runs; r++)); do
	for c in kubeprint kubectl; do
		ns=$(fresh_ns "wait-${c}")
		# Pods need the namespace's default ServiceAccount.
		for _ in $(seq 100); do kubectl -n "${ns}" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done
		synced="${out}/logs/watch-${c}-${r}.synced"
		rm -f "${synced}"
		if [[ ${c} == kubeprint ]]; then services=${wait_services}; else services=0; fi
		"${watch}" --namespace "${ns}" --deployments "${wait_deploys}" --services "${services}" --synced-file "${synced}" \
			>"${out}/logs/watch-${c}-${r}.json" 2>"${out}/logs/watch-${c}-${r}.log" &
		watch_pid=$!
		for _ in $(seq 200); do [[ -f ${synced} ]] && break; sleep 0.05; done
		[[ -f ${synced} ]] || die "bench_watch did not sync"
		settle
		case ${c} in
		kubeprint)
			"${kp}" apply --n "${wait_n}" --replicas 1 --namespace "${ns}" --wait >"${out}/logs/wait-kp-${r}.log" 2>&1 ||
				{ tail -n 20 "${out}/logs/wait-kp-${r}.log" >&2; die "kubeprint apply --wait failed"; }
			;;
		kubectl)
			kubectl apply --server-side -n "${ns}" -f "${out}/in/wait.yaml" >/dev/null
			kubectl wait -n "${ns}" --for=condition=Available deployment --all --timeout=300s >/dev/null
			;;
		esac
		returned=${EPOCHREALTIME/[.,]/}000
		wait "${watch_pid}" || die "bench_watch failed"
		last=$(json_field last_ready_unix_ns "${out}/logs/watch-${c}-${r}.json")
		[[ -n ${last} && ${last} != 0 ]] || die "bench_watch saw nothing ready"
		record wait "${wait_n}" "${c}" "${r}" $(((returned - last) / 1000))
		log "wait ${c} run ${r}: returned $(((returned - last) / 1000000)) ms after the last object was ready"
		drop_ns "${ns}"
	done
done

# --- 5: time and peak RSS of BENCH_RSS_N ConfigMaps ---------------------------------------------------
want rss || rss_n=0
if ((rss_n > 0)); then
	"${kp}" render --n "${rss_n}" --configmaps-only --yaml "${out}/in/rss.yaml" --jsonl "${out}/in/rss.jsonl" >/dev/null ||
		die "bench_apply render failed"
	make_chart "${out}/in/rss.yaml" "${out}/in/chart-rss"
	for c in "${contenders[@]}"; do
		ns=$(fresh_ns "rss-${c}")
		settle
		logf=${out}/logs/rss-${c}.log
		case ${c} in
		kubeprint) cmd=("${kp}" apply --n "${rss_n}" --configmaps-only --namespace "${ns}") ;;
		kubectl) cmd=(kubectl apply --server-side -n "${ns}" -f "${out}/in/rss.yaml") ;;
		floor) cmd=("${floor}" --file "${out}/in/rss.jsonl" --namespace "${ns}" --concurrency "${floor_c}") ;;
		helm) cmd=("${helm}" upgrade --install bench "${out}/in/chart-rss" -n "${ns}") ;;
		kapp) cmd=("${kapp}" deploy -a bench -n "${ns}" --into-ns "${ns}" -f "${out}/in/rss.yaml" -y --wait=false) ;;
		esac
		if /usr/bin/time -v "${cmd[@]}" >"${logf}" 2>&1; then
			rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): *\([0-9]*\).*/\1/p' "${logf}")
			wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "${logf}")
			record rss "${rss_n}" "${c}" 1 "${rss_kb}"
			printf '%s\n' "${wall}" >"${logf}.wall"
			log "${c}: ${rss_n} ConfigMaps applied in ${wall}, peak RSS ${rss_kb} kB (load $(load))"
		else
			# Reported as failed in the table (e.g. a Helm release larger than a Secret may be).
			tail -n 5 "${logf}" >&2
			printf 'failed\n' >"${logf}.wall"
			log "${c}: applying ${rss_n} ConfigMaps failed (see ${logf})"
		fi
		drop_ns "${ns}"
	done
fi
load_after=$(load)

# --- report -------------------------------------------------------------------------------------------
# median SECTION N CONTENDER -> median of the recorded values (µs, or kB for rss), "-" if none.
median() {
	awk -F'\t' -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n && $3 == c { print $5 }' "${raw}" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# spread SECTION N CONTENDER -> "min-max" in ms, or "" with fewer than 2 runs.
spread() {
	awk -F'\t' -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n && $3 == c { v = $5 / 1000; if (!k || v < lo) lo = v; if (!k || v > hi) hi = v; k++ }
		END { if (k > 1) printf "%.0f–%.0f", lo, hi }' "${raw}"
}
count() { awk -F'\t' -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n && $3 == c' "${raw}" | wc -l | tr -d ' '; }
ms() { [[ $1 == - ]] && { echo -; return; }; awk -v u="$1" 'BEGIN { if (u >= 100000) printf "%.0f ms", u / 1000; else printf "%.1f ms", u / 1000 }'; }
ratio() { [[ $1 == - || $2 == - ]] && { echo -; return; }; awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else if (a / b >= 10) printf "%.0f×", a / b; else printf "%.2f×", a / b }'; }

# ok VALUE LIMIT -> ✓ when VALUE <= LIMIT (numbers), ✗ otherwise, ? when unknown.
ok() { [[ $1 == - || -z $1 ]] && { echo "?"; return; }; awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l ? "✓" : "✗") }'; }
ratio_num() { [[ $1 == - || $2 == - ]] && { echo -; return; }; awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }

{
	echo "# kubeprint vs kubectl, cdk8s and the floor"
	echo
	peers_line=""
	want peers && peers_line=" · Helm ${helm_version} and kapp ${kapp_version} (built from the Go module proxy)"
	cdk8s_line=""
	want render && cdk8s_line=" · node $(node --version) · cdk8s $(node -p "require('${cdk8s_dir}/node_modules/cdk8s/package.json').version") + cdk8s-plus-34 $(node -p "require('${cdk8s_dir}/node_modules/cdk8s-plus-34/package.json').version")"
	echo "$(date -u +%Y-%m-%dT%H:%MZ) · $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n1)) · apiserver ${server_version} (local, kwok nodes) · kubectl ${kubectl_version}${peers_line}${cdk8s_line}"
	echo
	echo "Load average (1, 5, 15 min) before: ${load_before}; after: ${load_after} (the machine may be shared: other processes' load counts here). Wall time of whole processes; medians (min–max in ms); contenders alternated run by run; the control plane idle before each measurement."
	if [[ -n ${sizes} ]]; then
		echo
		echo "## Apply N objects (½ ConfigMaps, ¼ Services, ¼ Deployments with 0 replicas) into a fresh namespace"
		echo
		echo "Phases, one after the other in one namespace: first apply; no-op re-apply; re-apply with 5 % changed (every tenth ConfigMap); delete (kubeprint \`Applier::delete\`, \`kubectl delete -f --wait\`, \`helm uninstall --wait\`, \`kapp delete\`). Then, in a fresh namespace, apply + wait (kubeprint \`--wait\`, kubectl apply + \`kubectl wait --for=condition=Available\`, \`helm upgrade --install --wait\`, \`kapp deploy\`, which waits). The floor only applies. Ratios first: kubeprint / floor (the floor's same phase: N PATCHes), then each peer / kubeprint."
		echo
		hdr="| N, phase | runs | kubeprint / floor | kubectl / kubeprint |"
		sep="|---|---:|---:|---:|"
		want peers && { hdr+=" helm / kubeprint | kapp / kubeprint |"; sep+="---:|---:|"; }
		hdr+=" kubeprint | kubectl --server-side | floor (C=${floor_c}) |"
		sep+="---:|---:|---:|"
		want peers && { hdr+=" Helm ${helm_version} | kapp ${kapp_version} |"; sep+="---:|---:|"; }
		echo "${hdr}"
		echo "${sep}"
		for phase in apply noop changed5 applywait delete; do
			[[ ${phases} == *" ${phase} "* ]] || continue
			for n in ${sizes}; do
				k=$(median "${phase}" "${n}" kubeprint)
				case ${phase} in
				apply) label="${n}, first apply" ;;
				noop) label="${n}, no-op re-apply" ;;
				changed5) label="${n}, re-apply, 5 % changed" ;;
				applywait) label="${n}, apply + wait" ;;
				delete) label="${n}, delete" ;;
				esac
				row="| ${label} | $(count "${phase}" "${n}" kubeprint) | $(ratio "${k}" "$(median "${phase}" "${n}" floor)") | $(ratio "$(median "${phase}" "${n}" kubectl)" "${k}") |"
				want peers && row+=" $(ratio "$(median "${phase}" "${n}" helm)" "${k}") | $(ratio "$(median "${phase}" "${n}" kapp)" "${k}") |"
				for c in "${contenders[@]}"; do
					v=$(median "${phase}" "${n}" "${c}")
					sp=$(spread "${phase}" "${n}" "${c}")
					row+=" $(ms "${v}")${sp:+ (${sp})} |"
				done
				echo "${row}"
			done
		done
		echo
		echo "Client CPU (user + sys of the client process, median): what each client itself burns on the 2 cores it shares with the control plane."
		echo
		hdr="| N, phase |" sep="|---|"
		for c in "${contenders[@]}"; do hdr+=" ${c} |"; sep+="---:|"; done
		echo "${hdr}"
		echo "${sep}"
		for phase in apply noop changed5 applywait delete; do
			[[ ${phases} == *" ${phase} "* ]] || continue
			for n in ${sizes}; do
				row="| ${n}, ${phase} |"
				for c in "${contenders[@]}"; do row+=" $(ms "$(median "cpu-${phase}" "${n}" "${c}")") |"; done
				echo "${row}"
			done
		done
	fi
	if [[ -n ${apps} ]]; then
		echo
		echo "## Whole-process render to YAML files"
		echo
		echo "| application | runs | kubeprint (benches/bin/bench_render) | kubeprint (example with its command line) | cdk8s-plus synth (node main.js) | cdk8s / kubeprint |"
		echo "|---|---:|---:|---:|---:|---:|"
		for app in ${apps}; do
			k=$(median render "${app}" kubeprint)
			kc=$(median render "${app}" kubeprint-cli)
			c=$(median render "${app}" cdk8s)
			label="${app} ($(cat "${out}/logs/render-${app}.objects" 2>/dev/null) objects"
			case $(cat "${out}/logs/render-${app}.same" 2>/dev/null) in
			same) label+=", the same kinds and names from both)" ;;
			*) label+="; ✗ cdk8s's differ, see target/bench/logs/render-${app}.diff)" ;;
			esac
			echo "| ${label} | $(count render "${app}" kubeprint) | $(ms "${k}") | $(ms "${kc}") | $(ms "${c}") | $(ratio "${c}" "${k}") |"
		done
	fi
	if ((wait_runs > 0)); then
		echo
		echo "## Wait latency: last object ready (watch event seen by benches/bin/bench_watch, local clock) → the client's wait returned"
		echo
		echo "| client | objects | runs | median | max |"
		echo "|---|---:|---:|---:|---:|"
		for c in kubeprint kubectl; do
			max=$(awk -F'\t' -v c="${c}" '$1 == "wait" && $3 == c { if (!seen || $5 > m) m = $5; seen = 1 } END { print (seen ? m : "-") }' "${raw}")
			what="kubeprint apply --wait (${wait_deploys} Deployments + ${wait_services} Services, 1 replica each)"
			[[ ${c} == kubectl ]] && what="kubectl apply, then kubectl wait --for=condition=Available (Deployments only)"
			echo "| ${what} | ${wait_n} | $(count wait "${wait_n}" "${c}") | $(ms "$(median wait "${wait_n}" "${c}")") | $(ms "${max}") |"
		done
	fi
	if ((rss_n > 0)); then
		echo
		echo "## ${rss_n} ConfigMaps applied into a fresh namespace: time and peak resident memory (GNU time -v, one run)"
		echo
		echo "| client | wall | / kubeprint | peak RSS | / kubeprint |"
		echo "|---|---:|---:|---:|---:|"
		secs() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$1"; }
		k_wall=$(cat "${out}/logs/rss-kubeprint.log.wall" 2>/dev/null || echo failed)
		k_rss=$(median rss "${rss_n}" kubeprint)
		for c in "${contenders[@]}"; do
			w=$(cat "${out}/logs/rss-${c}.log.wall" 2>/dev/null || echo -)
			kb=$(median rss "${rss_n}" "${c}")
			wr=-
			[[ ${w} != failed && ${w} != - && ${k_wall} != failed ]] && wr=$(ratio "$(secs "${w}")" "$(secs "${k_wall}")")
			mem=$(awk -v k="${kb}" 'BEGIN { if (k == "-") print "-"; else printf "%.1f MiB", k / 1024 }')
			echo "| ${c} | ${w} | ${wr} | ${mem} | $(ratio "${kb}" "${k_rss}") |"
		done
	fi
	echo
	echo "## Goals (issues 7 and 18)"
	echo
	if [[ -n ${apps} ]]; then
		r=$(ratio_num "$(median render blueprints cdk8s)" "$(median render blueprints kubeprint)")
		echo "- $(awk -v r="${r}" 'BEGIN { print (r != "-" && r >= 50 ? "✓" : "✗") }') whole-process render ≥ 50× faster than cdk8s synth (blueprints: ${r}×)"
	fi
	if [[ ${sizes} == *500* ]]; then
		for phase in apply noop; do
			r=$(ratio_num "$(median "${phase}" 500 kubeprint)" "$(median "${phase}" 500 floor)")
			echo "- $(ok "${r}" 1.3) ${phase/noop/no-op re-apply} of 500 objects within 1.3× of the floor (${r}×)"
		done
	fi
	if [[ -n ${sizes} ]]; then
		big=$(tr ' ' '\n' <<<"${sizes}" | sort -n | tail -n1)
		r=$(ratio_num "$(median noop "${big}" kubeprint)" "$(median noop "${big}" floor)")
		echo "- $(ok "${r}" 0.10) no-op re-apply of ${big} objects ≤ 10 % of the floor's time (${r}×)"
		r=$(ratio_num "$(median changed5 "${big}" kubeprint)" "$(median changed5 "${big}" floor)")
		echo "- $(ok "${r}" 0.20) re-apply of ${big} objects, 5 % changed, ≤ 20 % of the floor's time (${r}×)"
	fi
	if ((wait_runs > 0)); then
		m=$(median wait "${wait_n}" kubeprint)
		echo "- $(ok "${m}" 100000) wait returns ≤ 100 ms after readiness (median $(ms "${m}"))"
	fi
	if ((rss_n >= 10000)) && [[ $(median rss "${rss_n}" kubeprint) != - ]]; then
		k=$(median rss "${rss_n}" kubeprint)
		echo "- $(ok "${k}" 102400) peak RSS < 100 MiB for ${rss_n} objects ($(awk -v k="${k}" 'BEGIN { printf "%.1f MiB", k / 1024 }'); counted in MiB, GNU time's unit)"
	fi
	if ((inprocess)); then
		b=$(criterion_median blueprints/all)
		c=$(criterion_median chapters/all)
		echo "- $(ok "${b}" 1000000) in-process build + check + render of the four blueprints ≤ 1 ms ($(ms "$(awk -v v="${b}" 'BEGIN { printf "%.0f", v / 1000 }')"))"
		echo "- $(ok "${c}" 999999) in-process build + check + render of the nine chapter examples < 1 ms ($(ms "$(awk -v v="${c}" 'BEGIN { printf "%.0f", v / 1000 }')"))"
	fi
	echo
	echo "Runs: ${runs} per contender (N = 2000: ${runs_large}, kubectl being slow there; render: ${render_runs}; wait: ${wait_runs}). Raw figures (µs; kB for RSS): target/bench/raw.tsv."
} >"${report}"
cat "${report}"
