"""Fixtures of the integration tests that drive synthetic participants."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio
from support.recording_client import Sockets
from support.signaling_server import Server

from klingel_bots.client import ProtocolClient

BotFactory = Callable[[str], Awaitable[ProtocolClient]]


@pytest_asyncio.fixture
async def join_bot(server: str, room_name: str) -> AsyncIterator[BotFactory]:
    """Joins protocol clients to the test's room by name; closes them all afterwards."""
    bots: list[ProtocolClient] = []

    async def join(name: str) -> ProtocolClient:
        bot = ProtocolClient(server, room_name, name)
        bots.append(bot)
        await bot.join()
        return bot

    try:
        yield join
    finally:
        for bot in bots:
            await bot.close()


@pytest_asyncio.fixture
async def sockets(server: Server) -> AsyncIterator[Sockets]:
    """Signaling sockets to the test's server (``running_server``), closed afterwards."""
    opened = Sockets(server.url)
    try:
        yield opened
    finally:
        await opened.close()
