#!/usr/bin/env bash
# Installs what is missing, builds, starts two echo backends (v1 on :9001,
# v2 on :9002) and turnout on examples/demo.yaml (:8080), prints what to
# try, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

build/tests/echo_backend --port 9001 --name app-v1 >/dev/null & pids+=($!)
build/tests/echo_backend --port 9002 --name app-v2 >/dev/null & pids+=($!)
mkdir -p run/demo
build/turnout run -c examples/demo.yaml --fresh & pids+=($!)

for _ in $(seq 100); do
  curl -s -o /dev/null http://127.0.0.1:8080/ && break
  sleep 0.1
done

cat <<'TRY'

turnout is serving examples/demo.yaml on http://127.0.0.1:8080 — try:

  curl -s http://127.0.0.1:8080/hello                          # default route -> app-v1
  curl -s -H 'Host: v2.example.com' http://127.0.0.1:8080/     # host route -> app-v2
  curl -s -X POST http://127.0.0.1:8080/orders                 # method + exact path -> app-v2
  curl -si http://127.0.0.1:8080/api/users                     # split 90/10, /api stripped
  for i in $(seq 100); do curl -s http://127.0.0.1:8080/api/x; echo; done \
      | grep -o '"server":"[^"]*"' | sort | uniq -c             # about 90 v1, 10 v2
  curl -s "http://127.0.0.1:8080/?bytes=100000000" | wc -c     # a 100 MB streamed body

Change it live, no restart (each change is validated, saved, and served by
every worker before the command returns):

  build/turnout status -c examples/demo.yaml
  build/turnout split api app-v1=50 app-v2=50 -c examples/demo.yaml
  build/turnout history -c examples/demo.yaml
  build/turnout rollback 1 -c examples/demo.yaml
  curl -s --unix-socket run/demo/admin.sock http://turnout/v1/config

Each backend answers with JSON naming itself ("server") and showing the
request it received. Ctrl-C stops everything.
TRY
wait
