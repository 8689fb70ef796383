#!/usr/bin/env bash
# Writes the lock files anew from the pins in pyproject.toml and bots/pyproject.toml:
#
#   requirements.lock        the server's whole dependency tree (scripts/install.sh)
#   requirements-test.lock   that tree plus the test extra and the test participants (bots/)
#   requirements-build.lock  what builds the two packages (setuptools), for installs
#                            without build isolation
#
# Every file pins each package to one version with the hashes of all its files on PyPI, and
# covers Python 3.11 and newer on every platform (uv's universal resolution: where a package
# has dropped Python 3.11, a marker pins the older release for 3.11 and the newer one above).
# The resolver is uv, installed into a throwaway venv; it reads PyPI and none of the machine's
# pip or uv configuration. After changing a pin, run this and commit the locks with the change.
#
#   scripts/lock.sh              resolve again, keeping each locked version that still fits
#   scripts/lock.sh --upgrade    move the packages pyproject.toml does not pin to their newest
set -euo pipefail

cd "$(dirname "$0")/.."

uv_version=0.13.9
upgrade=()
for arg in "$@"; do
  case "$arg" in
    --upgrade) upgrade=(--upgrade) ;;
    *) echo "usage: scripts/lock.sh [--upgrade]" >&2; exit 2 ;;
  esac
done

tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
python3 -m venv "$tool/venv"
"$tool/venv/bin/python" -m pip install --quiet "uv==$uv_version"

compile() {
  local output=$1
  shift
  "$tool/venv/bin/uv" pip compile --quiet --no-config --no-cache \
    --universal --python-version 3.11 --generate-hashes "${upgrade[@]}" \
    --custom-compile-command "scripts/lock.sh" --output-file "$output" "$@"
}

compile requirements.lock pyproject.toml
compile requirements-test.lock --extra test pyproject.toml bots/pyproject.toml

# The build backend both pyproject.toml files name, read from them.
build_requirements=$(
  python3 -c '
import tomllib

requirements = set()
for path in ("pyproject.toml", "bots/pyproject.toml"):
    with open(path, "rb") as file:
        requirements.update(tomllib.load(file)["build-system"]["requires"])
print("\n".join(sorted(requirements)))
'
)
compile requirements-build.lock - <<<"$build_requirements"
