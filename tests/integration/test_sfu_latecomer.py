"""A participant who arrives after two others receives both of them from a single offer.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_sfu_latecomer.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient


@pytest_asyncio.fixture
async def three_publishers(
    server: str, room_name: str, test_media: Path
) -> AsyncIterator[tuple[ProtocolClient, ProtocolClient, ProtocolClient]]:
    """Anna and Ben publish and receive each other; Clara publishes but subscribes only when
    the test says so."""
    anna = ProtocolClient(server, room_name, "Anna")
    ben = ProtocolClient(server, room_name, "Ben")
    clara = ProtocolClient(server, room_name, "Clara", auto_subscribe=False)
    try:
        for bot in (anna, ben, clara):
            await bot.join()
            await bot.publish_file(test_media)
        yield anna, ben, clara
    finally:
        for bot in (anna, ben, clara):
            await bot.close()


async def test_latecomer_receives_every_video_from_one_offer(
    three_publishers: tuple[ProtocolClient, ProtocolClient, ProtocolClient],
) -> None:
    anna, ben, clara = three_publishers
    await wait_until(
        lambda: len(clara.others_streams()) == 4,
        message="Clara sees both microphones and both cameras",
    )
    # Four recvonly m-sections in one offer, two of them video from different publishers.
    await clara.subscribe_all()

    streams = clara.others_streams()
    publisher_of = {sid: stream.participant for sid, stream in streams.items()}
    assert set(publisher_of.values()) == {anna.participant_id, ben.participant_id}
    videos = [sid for sid, stream in streams.items() if stream.kind == "video"]
    assert len(videos) == 2

    first = await clara.wait_receiving(list(streams))
    later = await clara.wait_receiving(first)
    for stream_id in videos:
        # Each camera is decoded on its own receiver, and keeps being decoded.
        assert later[stream_id].frames > first[stream_id].frames > 0
        assert later[stream_id].packets > first[stream_id].packets
