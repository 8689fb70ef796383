#!/usr/bin/env bash
# Installs Klingel on a Debian 12/13 machine and starts it on http://127.0.0.1:8080, with its
# room store in /var/lib/klingel (the default --data-dir; docs/store.md).
# Run as root from the repository folder. Safe to run again: it only adds what is missing.
#
#   ./scripts/install.sh              install, then run the server in the foreground
#   ./scripts/install.sh --no-start   install only
#
# Every Python dependency is pinned with its hashes in requirements.lock (scripts/lock.sh
# writes it) and ships as a manylinux wheel for x86_64 and aarch64 (pylibsrtp with its own
# libsrtp, cryptography, uvloop), so no compiler, headers or system libraries are needed.
set -euo pipefail

cd "$(dirname "$0")/.."

start=1
for arg in "$@"; do
  case "$arg" in
    --no-start) start=0 ;;
    *) echo "usage: scripts/install.sh [--no-start]" >&2; exit 2 ;;
  esac
done

# fonts-dejavu-core: the fonts of a council session's minutes as PDF (docs/council.md).
debian_packages=(python3 python3-venv ca-certificates fonts-dejavu-core)

missing_packages() {
  local package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      echo "$package"
    fi
  done
}

if command -v apt-get >/dev/null 2>&1; then
  mapfile -t missing < <(missing_packages "${debian_packages[@]}")
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
else
  echo "install.sh: apt-get not found; expecting python3 with venv to be installed" >&2
fi

python=python3
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "install.sh: Klingel needs Python 3.11 or newer; $("$python" --version) found" >&2
  exit 1
fi

# A venv left over from another Python (or a broken one) is made anew.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  rm -rf .venv
  "$python" -m venv .venv
fi
# The locked tree, each file checked against its hash; setuptools, which builds klingel, comes
# locked too (requirements-build.lock), so the build fetches nothing unpinned either.
.venv/bin/python -m pip install --quiet --require-hashes \
  -r requirements-build.lock -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .

if [ "$start" -eq 1 ]; then
  exec .venv/bin/python -m klingel serve --host 127.0.0.1 --port 8080
fi
