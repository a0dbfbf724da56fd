#!/usr/bin/env bash
# Secret scanner: gitleaks (pinned, built from its Go module into .bin/ the first time, about 40 s) over the
# repository: every commit of its history in a full git checkout (CI's clean clone), else the files (a pipeline's
# source archive or a shallow clone), with .gitleaks.toml (default rules; installed and built files left out) and
# .gitleaksignore (acknowledged false positives, each with its reason). Fails on a finding; SARIF in .build/reports/.
#   bash scripts/scan-secrets.sh [<folder>]   (default: the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target="${1:-$root}"

GITLEAKS_VERSION="8.28.0"
if [ ! -x .bin/gitleaks ] || [ "$(cat .bin/gitleaks.version 2>/dev/null)" != "$GITLEAKS_VERSION" ]; then
  if ! command -v go > /dev/null; then
    echo "scripts/scan-secrets.sh: gitleaks $GITLEAKS_VERSION is built from its Go module: install Go first" >&2
    exit 1
  fi
  mkdir -p .bin
  GOBIN="$PWD/.bin" go install "github.com/zricethezav/gitleaks/v8@v$GITLEAKS_VERSION"
  echo "$GITLEAKS_VERSION" > .bin/gitleaks.version
fi
mkdir -p .build/reports
options=(--config "$root/.gitleaks.toml" --gitleaks-ignore-path "$root/.gitleaksignore" --redact --no-banner)
cd "$target"
if git rev-parse --is-inside-work-tree > /dev/null 2>&1 && [ "$(git rev-parse --is-shallow-repository)" = false ]; then
  echo "gitleaks $GITLEAKS_VERSION: every commit ($(git rev-list --count HEAD))"
  mode=git
else
  echo "gitleaks $GITLEAKS_VERSION: the files (no full git history here)"
  mode=dir
fi
# SARIF for GitHub code scanning (never failing here), then JUnit for CodeBuild's report groups, failing on a finding.
"$root/.bin/gitleaks" "$mode" "${options[@]}" --log-level error --exit-code 0 --report-format sarif --report-path "$root/.build/reports/gitleaks.sarif" .
"$root/.bin/gitleaks" "$mode" "${options[@]}" --report-format junit --report-path "$root/.build/reports/gitleaks.xml" .
