#!/usr/bin/env bash
# Installs the Debian 12 packages turnout needs to build, test and benchmark.
# Idempotent: installs only what is missing, so it is cheap to call from every
# script. Usage: scripts/install-deps.sh [--bench]
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libyaml-cpp-dev libyaml-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev catch2
  python3 curl openssl procps iproute2 strace wrk
  # fleet mode's tests start a real etcd (3.4's v3 JSON gateway)
  etcd-server etcd-client
  # scripts/fuzz.sh: clang, and libFuzzer (with clang's sanitizer runtimes)
  clang libclang-rt-14-dev
  # scripts/format.sh (ctest's format test)
  clang-format
  # sd_notify for systemd's Type=notify
  libsystemd-dev
  # scripts/package.sh (ctest's package test): the man page, the .deb, its check
  help2man dpkg-dev lintian adduser
  # HTTP/2 for clients (server/h2/), and the real h2 clients its tests use
  libnghttp2-dev nghttp2-client python3-h2
  # ctest's unit.memcheck: lifetimes the unit tests alone cannot see
  valgrind
)
if [[ "${1:-}" == "--bench" ]]; then
  # h2load (bench --h2) comes with nghttp2-client; valgrind's callgrind
  # (installed for the tests) counts instructions per request
  # (bench --instructions)
  packages+=(nginx-light haproxy)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
