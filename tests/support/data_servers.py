"""A Klingel server of a test module's own, on a data directory of its own that the tests run
the town's commands (``klingel councils``, ``klingel rooms``) on beside it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from klingel_bots.server_process import ServerProcess


@contextlib.contextmanager
def server_with_data(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[ServerProcess]:
    """One SFU worker, no metrics; its log and its data directory under a fresh ``name``."""
    directory = tmp_path_factory.mktemp(name)
    log, data = directory / "klingel.log", directory / "data"
    with ServerProcess(log_path=log, workers=1, metrics=False, data_dir=data) as process:
        yield process


def running(process: ServerProcess) -> str:
    """The server's base URL; the test fails with its log if it died."""
    if not process.is_running():
        pytest.fail(f"the server died; its log:\n{process.log_tail()}", pytrace=False)
    return process.base_url
