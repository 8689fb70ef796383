"""``set_layers`` through the real server and SFU: a subscriber pauses and resumes the video of
one stream while its audio keeps flowing, and requests for other streams are refused."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from klingel.ids import StreamId
from klingel.protocol.layers import LayerRequest, SetLayers
from klingel.protocol.messages import Error
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient

BotFactory = Callable[[str], Awaitable[ProtocolClient]]
WINDOW = 1.0  # seconds between two samples of the counts


async def set_layers(bot: ProtocolClient, layers: dict[StreamId, int | None]) -> Error | None:
    """Send ``set_layers``; the error it got, or None once a later ping was answered."""
    since = len(bot.messages)
    requests = tuple(LayerRequest(stream, layer) for stream, layer in layers.items())
    await bot.send(SetLayers(requests))
    await bot.ping()
    return next((m for m in bot.messages[since:] if isinstance(m, Error)), None)


async def video_still_audio_flowing(bot: ProtocolClient, video: StreamId, audio: StreamId) -> bool:
    before = await bot.received()
    await asyncio.sleep(WINDOW)
    after = await bot.received()
    return (
        after[video].packets == before[video].packets
        and after[audio].packets > before[audio].packets
    )


async def test_a_paused_video_stops_while_its_audio_flows_and_resumes(
    join_bot: BotFactory, test_media: Path
) -> None:
    anna = await join_bot("Anna")
    await anna.publish_file(test_media)
    ben = await join_bot("Ben")
    await wait_until(lambda: len(ben.others_streams()) == 2, message="Ben sees Anna's streams")
    by_kind = {s.kind: sid for sid, s in ben.others_streams().items()}
    camera, microphone = by_kind["video"], by_kind["audio"]
    await ben.wait_receiving([camera, microphone])

    assert await set_layers(ben, {camera: None}) is None
    await wait_until(
        lambda: video_still_audio_flowing(ben, camera, microphone),
        timeout=20.0,
        message="Anna's video paused for Ben while her audio flows",
    )

    assert await set_layers(ben, {camera: 0}) is None
    paused = await ben.received()
    resumed = await ben.wait_receiving({camera: paused[camera]})
    assert resumed[camera].frames > paused[camera].frames


async def test_only_video_streams_of_the_room_can_be_layered(
    join_bot: BotFactory, test_media: Path
) -> None:
    anna = await join_bot("Anna")
    await anna.publish_file(test_media)
    ben = await join_bot("Ben")
    await wait_until(lambda: len(ben.others_streams()) == 2, message="Ben sees Anna's streams")
    by_kind = {s.kind: sid for sid, s in ben.others_streams().items()}
    camera, microphone = by_kind["video"], by_kind["audio"]

    for wrong in (microphone, StreamId("s-nowhere")):
        error = await set_layers(ben, {camera: 0, wrong: 1})
        assert error is not None
        assert (error.code, error.ref) == ("unknown_stream", "set_layers")
    # A layer the publisher does not send is taken as the nearest it does.
    assert await set_layers(ben, {camera: 3}) is None
    first = await ben.wait_receiving([camera, microphone])
    later = await ben.wait_receiving(first)
    assert later[camera].frames > first[camera].frames
