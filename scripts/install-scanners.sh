#!/usr/bin/env bash
# Installs the IaC scanner the build runs over every synthesized template
# (checkov, npx projen scan:iac) into a project-local virtual environment,
# .venv-scan/ (apart from moto's .venv: their dependencies differ).
# Pinned: a new checkov brings new checks, adopted on purpose. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION="3.3.30"

if [ -x .venv-scan/bin/checkov ] && [ "$(.venv-scan/bin/checkov --version 2>/dev/null)" = "$CHECKOV_VERSION" ]; then
  echo "checkov $CHECKOV_VERSION already in .venv-scan"
  exit 0
fi
python3 -m venv .venv-scan
.venv-scan/bin/pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
echo "installed checkov $CHECKOV_VERSION into .venv-scan"
