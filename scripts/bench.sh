#!/usr/bin/env bash
# Benchmarks turnout against nginx and HAProxy on this machine, side by side
# in front of one nginx backend, and prints the results as markdown (see
# docs/benchmarks.md for what is measured and how).
#
# Usage: scripts/bench.sh [--quick] [--write-doc] [--help for every option]
#
# Installs nginx, HAProxy and wrk if missing (scripts/install-deps.sh --bench),
# builds turnout if build/ lacks it, and works in a temporary folder that is
# removed on success and kept, with every log, on failure. Every process it
# starts is stopped on exit, however the run ends.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for arg in "$@"; do
  if [[ $arg == -h || $arg == --help ]]; then
    exec python3 "$root/scripts/bench/main.py" --help
  fi
done

"$root/scripts/install-deps.sh" --bench
if [[ ! -x $root/build/turnout || ! -x $root/build/tests/echo_backend ]]; then
  "$root/scripts/build.sh"
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/turnout-bench.XXXXXX")
pidfile=$run_dir/process-groups
runner=

# Stops the Python runner (it stops what it started), then, in case it could
# not, every process group it recorded: SIGTERM, then SIGKILL after 10 s.
stop_everything() {
  local status=$? group deadline
  if [[ -n $runner ]] && kill -0 "$runner" 2>/dev/null; then
    kill -TERM "$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
  fi
  if [[ -f $pidfile ]]; then
    while read -r group; do kill -TERM -- "-$group" 2>/dev/null || true; done <"$pidfile"
    deadline=$((SECONDS + 10))
    while read -r group; do
      while kill -0 -- "-$group" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
      kill -KILL -- "-$group" 2>/dev/null || true
    done <"$pidfile"
  fi
  if [[ $status -eq 0 ]]; then
    rm -rf "$run_dir"
  else
    echo "bench: stopped with status $status; configs and logs are kept in $run_dir" >&2
  fi
  exit "$status"
}
trap stop_everything EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 -u "$root/scripts/bench/main.py" --run-dir "$run_dir" --pidfile "$pidfile" "$@" &
runner=$!
wait "$runner"
