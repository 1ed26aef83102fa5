#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz, one process at a time.
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags]   e.g. scripts/fuzz.sh route_lookup 600
#   scripts/fuzz.sh all SECONDS [libFuzzer flags]      every target, SECONDS each
#   scripts/fuzz.sh list                               the target names
# Builds build-fuzz/ (clang, libFuzzer, ASan+UBSan) when
# needed. Each target runs on build-fuzz/corpus/TARGET, a copy of the seeds
# in tests/fuzz/corpus/TARGET that keeps what the fuzzer finds between runs;
# a crashing input is saved under build-fuzz/crashes/TARGET/. Prints one line
# per target with its executions and result; exits 1 if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=()
for source in tests/fuzz/*.cpp; do
  targets+=("$(basename "$source" .cpp)")
done

usage() {
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer flags]; targets: ${targets[*]}" >&2
  exit 2
}

if [[ "${1:-}" == "list" ]]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage
selected=("$1")
if [[ "$1" == "all" ]]; then
  selected=("${targets[@]}")
elif [[ ! -f "tests/fuzz/$1.cpp" ]]; then
  echo "fuzz: no target '$1' (no tests/fuzz/$1.cpp)" >&2
  usage
fi
seconds=$2
shift 2

build=build-fuzz
if [[ ! -f $build/CMakeCache.txt ]]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  CC=clang CXX=clang++ cmake -S . -B $build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTURNOUT_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build $build -j "${TURNOUT_BUILD_JOBS:-2}" --target "${selected[@]/#/fuzz_}"

failed=0
for target in "${selected[@]}"; do
  corpus=$build/corpus/$target
  crashes=$build/crashes/$target
  log=$build/logs/$target.log
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  # -timeout: an input that takes over 10 s is a hang, and a finding.
  status=0
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$@" "$corpus" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [[ $status -eq 0 ]]; then
    echo "fuzz $target: ${runs:-?} executions (${speed:-?}/s), clean"
  else
    failed=1
    tail -n 40 "$log" >&2
    echo "fuzz $target: FAILED after ${runs:-?} executions (exit $status); log: $log," \
         "input saved in $crashes/" >&2
  fi
done
exit $failed
