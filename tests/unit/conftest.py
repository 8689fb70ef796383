"""What unit tests of the room domain and the web side share: standing rooms on a real store
in the test's temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from support.signaling_server import standing_rooms

from klingel.rooms.standing import StandingRooms


@pytest_asyncio.fixture
async def standing(tmp_path: Path) -> AsyncIterator[StandingRooms]:
    async with standing_rooms(tmp_path / "data") as opened:
        yield opened
