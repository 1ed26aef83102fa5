#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Extra arguments go
# to ctest, e.g.
#   scripts/test.sh -R integration.test_proxy
#   scripts/test.sh --sanitize [ctest args]   the suite built with ASan+UBSan
#
# The plain run builds build/ (Release); for the whole suite it runs each
# fuzz target of tests/fuzz for 10 s (TURNOUT_FUZZ_SECONDS) when clang is
# there (scripts/fuzz.sh), then the unit and integration tests through ctest,
# whose summary ends the output.
# --sanitize builds build-sanitize/ with TURNOUT_SANITIZE (turnout,
# unit_tests and echo_backend all instrumented) and runs the same ctest
# suite against those binaries, skipping the fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if [[ ! -f build-sanitize/CMakeCache.txt ]]; then
    cmake -S . -B build-sanitize "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DTURNOUT_SANITIZE=ON
  fi
  cmake --build build-sanitize -j "${TURNOUT_BUILD_JOBS:-2}"
  cd build-sanitize
  exec ctest --output-on-failure --timeout 900 "$@"
fi

scripts/build.sh
# Only for the whole suite: `scripts/test.sh -R ...` runs just what it names.
fuzz_status=0
if [[ $# -eq 0 ]] && command -v clang++ >/dev/null; then
  scripts/fuzz.sh all "${TURNOUT_FUZZ_SECONDS:-10}" || fuzz_status=$?
  if [[ $fuzz_status -ne 0 ]]; then
    echo "test.sh: a fuzz target failed (above); running ctest, then failing" >&2
  fi
fi
cd build
# Two tests at a time: most of an integration test's time is spent waiting
# on sockets and processes, so the suite takes about half as long on two
# cores.
export CTEST_PARALLEL_LEVEL=${CTEST_PARALLEL_LEVEL:-2}
ctest_status=0
ctest --output-on-failure --timeout 600 "$@" || ctest_status=$?
exit $(( ctest_status != 0 ? ctest_status : fuzz_status ))
