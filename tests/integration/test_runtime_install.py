"""The klingel distribution stands alone: what requirements.lock pins is all a server needs.

A fresh venv (no system site packages, no pip configuration, nothing on PYTHONPATH) gets the
locked wheels, checked against their hashes, and klingel built from a copy of its source; it
must then import every module of the package without pulling in anything of the tests
(Playwright, pytest, aiortc: the test participants of ``bots/`` bring those), and serve.

The tests never reach a package index (they run in a network namespace with loopback only),
so the wheels come from ``.cache/wheels``, which ``scripts/test.sh`` fills from the locks
before pytest starts. Without that folder there is nothing to install from: the test skips
(and fails on CI, which runs scripts/test.sh).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from klingel_bots.server_process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ROOT / ".cache" / "wheels"
# setuptools first: klingel is built without build isolation, with the locked backend.
LOCKS = (ROOT / "requirements-build.lock", ROOT / "requirements.lock")
SOURCE = ("pyproject.toml", "README.md", "klingel")
TEST_ONLY = ("playwright", "pytest", "aiortc", "av", "klingel_bots")
STEP_TIMEOUT_SECONDS = 240

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys

import klingel

names = sorted(
    module.name
    for module in pkgutil.walk_packages(klingel.__path__, "klingel.")
    # a __main__ module runs the command line when imported: `python -m klingel` runs it below
    if not module.name.endswith(".__main__")
)
for name in names:
    importlib.import_module(name)
loaded = {name.partition(".")[0] for name in sys.modules}
print(json.dumps({
    "package": klingel.__file__,
    "modules": names,
    "test_only": sorted(loaded & set(sys.argv[1:])),
}))
"""


class RuntimeVenv:
    """A venv with only the runtime lock and klingel in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.python = folder / "bin" / "python"

    def run(self, *arguments: str | Path, cwd: Path) -> str:
        command = [str(argument) for argument in arguments]
        completed = subprocess.run(
            command,
            cwd=cwd,
            env=isolated_environment(),
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        if completed.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} exited with {completed.returncode}:\n"
                f"{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}",
                pytrace=False,
            )
        return completed.stdout


def isolated_environment() -> dict[str, str]:
    """This environment less what would let the venv see past itself: the checkout on
    PYTHONPATH, the user's site packages and this machine's pip configuration (extra
    find-links and indexes)."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "PIP_")) and name != "VIRTUAL_ENV"
    }
    return {
        **kept,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONNOUSERSITE": "1",
    }


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeVenv]:
    if not WHEELS.is_dir():
        reason = (
            f"{WHEELS} is missing: scripts/test.sh downloads the locked wheels there before "
            "pytest, since the tests cannot reach a package index"
        )
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("runtime-install")
    # A copy of the source, so that the build leaves nothing in the checkout and cannot see
    # bots/ or tests/ beside it.
    source = work / "source"
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "venv", work / "venv"],
        env=isolated_environment(),
        check=True,
        timeout=STEP_TIMEOUT_SECONDS,
    )
    venv = RuntimeVenv(work / "venv")
    outside = work / "elsewhere"  # a working directory with no klingel in it
    outside.mkdir()
    pip = (venv.python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", WHEELS)
    locks = [argument for lock in LOCKS for argument in ("-r", lock)]
    venv.run(*pip, "--require-hashes", *locks, cwd=outside)
    venv.run(*pip, "--no-deps", "--no-build-isolation", source, cwd=outside)
    yield venv


def test_every_module_imports_without_the_test_packages(runtime_venv: RuntimeVenv) -> None:
    output = runtime_venv.run(
        runtime_venv.python, "-c", IMPORT_EVERY_MODULE, *TEST_ONLY, cwd=runtime_venv.folder
    )
    found = json.loads(output.strip().splitlines()[-1])
    assert Path(found["package"]).is_relative_to(runtime_venv.folder), found["package"]
    # the walk really went through the package: the SFU, the web app and the load command
    assert {"klingel.cli", "klingel.sfu.worker", "klingel.web.app", "klingel.load.cli"} <= set(
        found["modules"]
    )
    assert found["test_only"] == []


def test_the_lock_satisfies_what_klingel_declares(runtime_venv: RuntimeVenv) -> None:
    output = runtime_venv.run(runtime_venv.python, "-m", "pip", "check", cwd=runtime_venv.folder)
    assert "No broken requirements found" in output


def test_the_commands_start(runtime_venv: RuntimeVenv) -> None:
    scripts = runtime_venv.folder / "bin"
    for command in ("klingel", "klingel-load"):
        assert "usage:" in runtime_venv.run(scripts / command, "--help", cwd=runtime_venv.folder)


def test_the_installed_server_answers_healthz(runtime_venv: RuntimeVenv, tmp_path: Path) -> None:
    server = ServerProcess(
        log_path=tmp_path / "klingel.log",
        workers=1,
        metrics=False,
        python=str(runtime_venv.python),
        env={"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"},
        cwd=tmp_path,
    )
    with server, urllib.request.urlopen(server.base_url + "/healthz", timeout=5.0) as response:
        assert response.status == 200
        assert json.loads(response.read())["status"] == "ok"
