#!/usr/bin/env bash
# Installs, builds and runs every test: the release build (unit, functional, concurrency),
# the same suites under AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrency
# suites under ThreadSanitizer, then each libFuzzer target for a bounded time (FUZZ_SECONDS).
# Prints the time each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
JOBS="$(nproc)"
stage() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
t0=$(date +%s)

stage "install dependencies"
bash scripts/install-deps.sh

stage "format and OpenAPI lint"
bash scripts/check-format.sh
bash scripts/lint-openapi.sh

for preset in release asan tsan; do
  stage "build $preset"
  s=$(date +%s)
  cmake --preset "$preset" >/dev/null
  # The sanitizer stages build only what their tests run (the server, the unit tests and, under
  # ASan, the pool tests): the load tool and the Redis client tests are release-only, and
  # compiling them with ASan cost minutes of a cold build.
  case "$preset" in
    asan) targets=(--target boxoffice unit_tests pg_tests) ;;
    tsan) targets=(--target boxoffice unit_tests) ;;
    *) targets=() ;;
  esac
  cmake --build --preset "$preset" -j"$JOBS" "${targets[@]}"
  echo "build $preset: $(( $(date +%s) - s ))s"
  stage "test $preset"
  s=$(date +%s)
  # One test per core at a time: the functional suites mostly wait on their servers (~0.7 of a
  # core each), so on 2 cores the release stage takes ~8 min instead of ~14. ThreadSanitizer's
  # concurrency tests run alone: their point is the interleavings, not the wall time.
  # At most 2: each PostgreSQL or Redis Cluster suite starts its own servers.
  parallel=$([ "$preset" = tsan ] && echo 1 || echo $(( JOBS < 2 ? JOBS : 2 )))
  ctest --preset "$preset" --timeout 900 -j"$parallel"
  echo "test $preset: $(( $(date +%s) - s ))s"
done

stage "fuzz (libFuzzer, ${FUZZ_SECONDS:=20}s per target)"
s=$(date +%s)
cmake --preset fuzz -DBOXOFFICE_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
cmake --build --preset fuzz -j"$JOBS"
ctest --preset fuzz
echo "fuzz: $(( $(date +%s) - s ))s"

echo
echo "all stages passed in $(( $(date +%s) - t0 ))s"
