#!/usr/bin/env bash
# Builds turnout's Debian package into build/ and checks it with lintian
# (no errors allowed). Prints the package's path on its last line.
# Usage: scripts/package.sh [--install]
#   TURNOUT_BUILD_DIR=DIR: package that build folder as it is (ctest's
#              `package` test), instead of building build/.
#   --install: also `dpkg -i` it (root), check its contents, the user, and
#              that the installed `turnout validate` accepts the example
#              config. Safe to repeat.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${TURNOUT_BUILD_DIR:-}
if [[ -z "$build_dir" ]]; then
  scripts/install-deps.sh
  scripts/build.sh >/dev/null
  build_dir=build
fi
rm -f "$build_dir"/turnout_*.deb
(cd "$build_dir" && cpack -G DEB >/dev/null)
deb=$(ls "$build_dir"/turnout_*.deb)
lintian --fail-on error "$deb" >&2

if [[ "${1:-}" == "--install" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "package: --install needs root (dpkg -i); skipped" >&2
    exit 77
  fi
  contents=$(dpkg-deb --contents "$deb")
  for path in ./usr/bin/turnout ./lib/systemd/system/turnout.service \
              ./etc/turnout/turnout.yaml ./etc/logrotate.d/turnout \
              ./usr/share/man/man1/turnout.1.gz ./usr/share/doc/turnout/copyright; do
    grep -q " ${path}\$" <<<"$contents" || { echo "package: $deb lacks $path" >&2; exit 1; }
  done
  # Read whole, then searched: grep -q stopping early would fail the pipe.
  unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/turnout.service)
  grep -q '^Type=notify$' <<<"$unit" || { echo "package: the unit is not Type=notify" >&2; exit 1; }
  control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
  grep -q '^./postinst$' <<<"$control" || { echo "package: $deb has no postinst" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >/dev/null
  getent passwd turnout >/dev/null || { echo "package: postinst made no turnout user" >&2; exit 1; }
  /usr/bin/turnout validate -c /etc/turnout/turnout.yaml >&2
  man_page=$(zcat /usr/share/man/man1/turnout.1.gz)
  grep -q "^upgrade$" <<<"$man_page" \
    || { echo "package: the man page does not list the upgrade command" >&2; exit 1; }
fi
echo "$deb"
