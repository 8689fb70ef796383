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
# never run, so it is masked before the package comes in.
test_packages=(chromium ffmpeg iproute2 util-linux fonts-dejavu-core nftables coturn)
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
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

.venv/bin/python -m pip install --quiet -e '.[test]'

echo "== ruff check"
.venv/bin/ruff check .

echo "== mypy --strict (the package)"
.venv/bin/mypy --strict klingel

echo "== node --test (browser client modules)"
node --test tests/js/

echo "== pytest"
status=0
scripts/netns-run .venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests" >&2
fi
exit "$status"
