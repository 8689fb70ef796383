"""Fixtures shared by the whole suite.

Media fixtures (the server with its SFU workers, the browser) only run inside the isolated
network namespace of ``scripts/netns-run``, where nothing can reach beyond loopback. The
browser is driven with Playwright's async API throughout the suite.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from klingel.load.media_files import ensure_media
from klingel_bots.browser import (
    InboundCount,
    PageOpener,
    ProbedPage,
    inbound_counts,
    launch_chromium,
    wait_until,
)
from klingel_bots.media_file import make_test_media
from klingel_bots.server_process import ServerProcess

__all__ = [
    "InboundCount",
    "PageOpener",
    "ProbedPage",
    "inbound_counts",
    "require_netns",
    "wait_until",
]


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A test that runs ``klingel.cli.main`` configures logging onto the stream pytest captured
    for that test, which is closed afterwards: later tests must not log into it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def require_netns() -> None:
    """Media tests send UDP and drive WebRTC: only inside ``scripts/netns-run``."""
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail(
            "this test needs the isolated network namespace: run it as "
            "`scripts/netns-run .venv/bin/pytest ...` (KLINGEL_NETNS is not 1)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One Klingel server for the session: 2 SFU workers, metrics on, its log in a file."""
    require_netns()
    log_path = tmp_path_factory.mktemp("server") / "klingel.log"
    process = ServerProcess(log_path=log_path, workers=2, metrics=True)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def server(server_process: ServerProcess) -> str:
    """The base URL (``http://127.0.0.1:PORT``) of the session's running server."""
    if not server_process.is_running():
        pytest.fail(f"the server died; its log:\n{server_process.log_tail()}", pytrace=False)
    return server_process.base_url


@pytest.fixture(scope="session")
def server_log(server_process: ServerProcess) -> Path:
    """The file that collects everything the session's server printed."""
    return server_process.log_path


@pytest.fixture(scope="session")
def test_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60 s pre-encoded WebM (VP8 320x240 at 15 fps, keyframe every 20 frames; Opus sine)."""
    return make_test_media(tmp_path_factory.mktemp("media") / "pattern-vp8-opus.webm")


@pytest.fixture(scope="session")
def load_media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The light participants' media (``klingel.load``: simulcast VP8 180p/360p/720p and
    Opus), made once for the session: a 720p encode takes minutes on a busy machine."""
    directory = tmp_path_factory.mktemp("load-media")
    ensure_media(directory)
    return directory


@pytest.fixture
def room_name() -> str:
    """A fresh room for one test, so tests sharing the server never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the session, with fake camera, microphone and screen."""
    require_netns()
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(browser: Browser) -> AsyncIterator[PageOpener]:
    """Opens pages (each in its own browser context, like separate people); closes them after
    the test."""
    opener = PageOpener(browser)
    try:
        yield opener
    finally:
        await opener.close_all()
