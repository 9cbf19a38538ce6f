//go:build tools

// Package tools pins the upstream commands node-build.sh builds for the real test node.
package tools

import (
	_ "github.com/opencontainers/runc"
)
