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
  # Two release tests at a time: 844 s of tests became ~500 s. The harnesses take their ports
  # from below the ephemeral range with a cross-process reservation (tests/harness/ports.py),
  # so two suites' servers and client sockets cannot take each other's ports. The sanitizer
  # stages run one at a time: their suites are slow enough that sharing two cores makes the
  # timing-bound tests (expiry within 1 s, timeouts) flaky.
  case "$preset" in
    release) parallel=2 ;;
    *) parallel=1 ;;
  esac
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
