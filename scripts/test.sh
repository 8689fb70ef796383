#!/usr/bin/env bash
# Installs what the tests need and runs every check: ruff, mypy --strict, then the whole pytest suite (unit,
# integration and end-to-end in headless Chromium) inside an isolated network namespace.
# Run as root from the repository folder. Extra arguments go to pytest.
set -euo pipefail

cd "$(dirname "$0")/.."

scripts/install.sh --no-start

# chromium: the end-to-end tests' browser (Playwright drives Debian's build; its own browser
# download is never used). ffmpeg: makes the test media. iproute2 and util-linux: the network
# namespace of scripts/netns-run. nftables: a test cuts the media path inside that namespace.
# coturn: the TURN relay test starts its own turnserver; the package's system service must
# never run, so it is masked before the package comes in. redis-server: the tests of the
# Redis room store start their own (on a Unix socket, with a password); its system service is
# masked the same way.
test_packages=(chromium ffmpeg iproute2 util-linux fonts-dejavu-core nftables coturn redis-server)
missing=()
for package in "${test_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# node: runs the browser client's unit tests (tests/js) with its built-in test runner.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  mkdir -p /etc/systemd/system
  ln -sf /dev/null /etc/systemd/system/coturn.service
  ln -sf /dev/null /etc/systemd/system/redis-server.service
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The test tree (requirements-test.lock: the test extra and the test participants' packages),
# checked against its hashes; then the test participants of bots/ from this checkout.
.venv/bin/python -m pip install --quiet --require-hashes -r requirements-test.lock
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e '.[test]' -e ./bots

# tests/integration/test_runtime_install.py builds a venv of its own from the locked runtime
# wheels, inside the test namespace where no package index can be reached: fetch them now.
.venv/bin/python -m pip download --quiet --require-hashes --only-binary=:all: \
  --dest .cache/wheels -r requirements-build.lock -r requirements.lock

echo "== ruff check"
.venv/bin/ruff check .

echo "== mypy --strict (the package, the test participants)"
.venv/bin/mypy --strict klingel
.venv/bin/mypy --strict bots/klingel_bots

echo "== node --test (browser client modules)"
node --test tests/js/

echo "== pytest"
status=0
scripts/netns-run .venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
fi
exit "$status"
