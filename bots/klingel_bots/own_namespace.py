"""Run a test module's probe as a script inside a network namespace of its own.

The TURN tests need addresses a shared namespace must not have (a media address outside
loopback, denied targets such as 10.0.0.1 and 169.254.169.254 on ``lo``, IPv6 loopback, port
443): the module runs itself under ``unshare --net`` and prints its findings as one JSON line,
which the tests outside read. Nothing leaves that namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

__all__ = ["probe_in_own_namespace", "require_turnserver"]


def require_turnserver() -> None:
    """coturn is a test dependency: missing on CI it fails the test, elsewhere it skips."""
    if shutil.which("turnserver") is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("turnserver (Debian package coturn) is missing on CI", pytrace=False)
    pytest.skip("turnserver is not installed: apt-get install coturn")


def probe_in_own_namespace(script: str, *, what: str, timeout: float) -> dict[str, Any]:
    """Run ``script`` with this Python under ``unshare --net``; its last output line is JSON.

    The script finds what the tests share (``tests/support``) as the tests themselves do: the
    folder above the script's own is on its path; so is the folder that holds this package,
    for a checkout where ``bots/`` is importable only through pytest's ``pythonpath``."""
    if shutil.which("unshare") is None:
        pytest.fail(f"{what} needs `unshare` (util-linux)", pytrace=False)
    # Without root, a user namespace of its own lets the probe configure its network.
    as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
    try:
        tests_folder = str(Path(script).resolve().parents[1])
        bots_folder = str(Path(__file__).resolve().parents[1])
        search_path = os.pathsep.join(
            filter(None, [tests_folder, bots_folder, os.environ.get("PYTHONPATH")])
        )
        completed = subprocess.run(
            ["unshare", "--net", *as_root, "--", sys.executable, script],
            env={**os.environ, "PYTHONPATH": search_path},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{what} hung:\n{error.stderr!r}", pytrace=False)
    if completed.returncode != 0:
        pytest.fail(f"{what} failed:\n{completed.stderr[-6000:]}", pytrace=False)
    results: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return results
