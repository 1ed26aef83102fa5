#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit and
# integration) through ctest. Extra arguments go to ctest, e.g.
#   scripts/test.sh -R integration.test_proxy
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 "$@"
