//go:build tools

// Package tools pins the Helm command benches/peers/build.sh builds for benches/compare.sh.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
