#!/usr/bin/env bash
# Installs the pinned cdk8s packages (exact versions in package-lock.json) for benches/compare.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v npm >/dev/null 2>&1 || { echo "npm is required (Node >= 20)" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error >&2
