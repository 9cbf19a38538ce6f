#!/usr/bin/env bash
# Vendor CustomResourceDefinitions the cluster tests install as users do, from the Go module
# proxy (which serves a tagged release's whole repository tree, YAML included):
#   - the Prometheus Operator's ServiceMonitor (tests/cluster_metrics.rs).
# Cached in ~/.cache/kubeprint/crds (KUBEPRINT_CACHE overrides ~/.cache/kubeprint); prints the
# directory holding the YAML files as its last line.
set -euo pipefail

prometheus_operator=v0.85.0

cache="${KUBEPRINT_CACHE:-${HOME}/.cache/kubeprint}/crds/prometheus-operator-${prometheus_operator}"
if [[ ! -s ${cache}/servicemonitors.yaml ]]; then
	module=github.com/prometheus-operator/prometheus-operator
	# Outside any module: `go mod download` only fills the module cache.
	(cd / && GOFLAGS=-mod=mod go mod download "${module}@${prometheus_operator}")
	src="$(go env GOMODCACHE)/${module}@${prometheus_operator}/example/prometheus-operator-crd"
	mkdir -p "${cache}"
	rm -f "${cache}/servicemonitors.yaml.part"
	cp "${src}/monitoring.coreos.com_servicemonitors.yaml" "${cache}/servicemonitors.yaml.part"
	mv "${cache}/servicemonitors.yaml.part" "${cache}/servicemonitors.yaml"
fi
printf '%s\n' "${cache}"
