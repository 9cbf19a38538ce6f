//go:build tools

// Package tools pins the kapp command benches/peers/build.sh builds for benches/compare.sh.
package tools

import (
	_ "carvel.dev/kapp/cmd/kapp"
)
