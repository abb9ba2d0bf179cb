#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly CLI, pinned in tests/openapi/package.json: the recommended
# ruleset with every warning raised to an error (tests/openapi/redocly.yaml; the few problems that
# cannot apply are listed, with the reason, in tests/openapi/.redocly.lint-ignore.yaml).
# Exits non-zero on any error or warning. Usage: bash scripts/lint-openapi.sh [file.yaml]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
doc="$(realpath "${1:-$root/docs/openapi.yaml}")"
cd "$root/tests/openapi"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
npx --no-install redocly lint --config redocly.yaml --lint-config=error "$doc" >"$out" 2>&1 || status=$?
# Node 20's end-of-life banner is noise here; everything else is shown.
grep -v '[║╔╚]' "$out" || true
if [ "$status" -ne 0 ]; then
  echo "lint-openapi: redocly lint failed (exit $status)" >&2
  exit 1
fi
# recommended-strict makes every rule an error, but a warning must fail this script even if a
# rule is ever set to warn.
if grep -Eq 'You have [0-9]+ warnings?' "$out"; then
  echo "lint-openapi: redocly lint reported warnings" >&2
  exit 1
fi
echo "lint-openapi: $doc is clean"
