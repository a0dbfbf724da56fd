#!/usr/bin/env bash
# Installs the AWS API emulator the bootstrap tool's integration tests run
# against (moto server) into a project-local virtual environment, .venv/.
# Pinned: a new moto may emulate Organizations differently. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="5.2.5"

if [ -x .venv/bin/moto_server ] && [ "$(.venv/bin/python -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; then
  echo "moto $MOTO_VERSION already in .venv"
  exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
echo "installed moto $MOTO_VERSION into .venv"
