"""A store on a real SQLite file in the test's temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from klingel.store import SqliteRoomStore


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteRoomStore]:
    opened = await SqliteRoomStore.open(tmp_path / "data")
    try:
        yield opened
    finally:
        await opened.close()
