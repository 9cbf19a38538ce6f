#!/usr/bin/env bash
# Installs the schema validator used by tests/schema.rs: kubernetes-validate (PyPI), which
# checks manifests against the OpenAPI schemas of a Kubernetes release, in a virtualenv under
# target/ so nothing leaks into the system Python.
#
#   bash tools/schema/setup.sh            # creates target/schema-venv (idempotent)
#   KUBEPRINT_SCHEMA_VENV=/some/dir bash tools/schema/setup.sh
#
# tests/schema.rs looks for the tool at $KUBEPRINT_KUBERNETES_VALIDATE, then
# $KUBEPRINT_SCHEMA_VENV/bin/kubernetes-validate, then target/schema-venv/bin/kubernetes-validate.
set -euo pipefail

# Pinned: 1.37.0 is the first release that ships the Kubernetes 1.37 schemas.
VERSION="1.37.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${KUBEPRINT_SCHEMA_VENV:-$ROOT/target/schema-venv}"
PYTHON="${PYTHON:-python3}"

if [[ -x "$VENV/bin/kubernetes-validate" ]] \
  && "$VENV/bin/python" -c "import importlib.metadata as m; assert m.version('kubernetes-validate') == '$VERSION'" 2>/dev/null; then
  echo "kubernetes-validate $VERSION already installed in $VENV"
  exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION"
"$VENV/bin/kubernetes-validate" --version
echo "kubernetes-validate $VERSION installed in $VENV"
