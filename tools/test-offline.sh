#!/usr/bin/env bash
# The tests that need no cluster: unit tests, every tests/*.rs except tests/cluster_*.rs, and
# doctests. For development; the full suite (tools/test-all.sh, what CI runs) runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/schema/setup.sh >/dev/null
cargo test --all-features --lib --test '[!c]*' "$@"
cargo test --all-features --doc
