"""``klingel.client`` against the real app (with the recording SFU of the signaling tests):
requests get their answers, refusals raise the server's error code, and the close is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from support.signaling_server import OFFER, Server, running_server

from klingel.client import Disconnected, Refused, SignalingClient
from klingel.config import Settings
from klingel.ids import StreamId
from klingel.protocol.errors import CLOSE_CODE, ErrorCode
from klingel.protocol.layers import LayerRequest, SetLayers
from klingel.protocol.messages import Error, Joined, ParticipantJoined, Pong, ServerMessage
from klingel.protocol.objects import TrackInfo


@pytest_asyncio.fixture
async def app() -> AsyncIterator[Server]:
    async with running_server(Settings(room_capacity=3)) as running:
        yield running


async def test_requests_get_their_answers_and_the_handler_sees_everything_first(
    app: Server,
) -> None:
    received: list[ServerMessage] = []
    anna = await SignalingClient.connect(app.url + "/", received.append)
    joined = await anna.join("rathaus", "Anna")
    assert isinstance(joined, Joined)
    assert (joined.you.name, joined.room.id) == ("Anna", "rathaus")
    assert received == [joined]

    ben = await SignalingClient.connect(app.url, lambda message: None)
    assert isinstance(await ben.join("rathaus", "Ben"), Joined)
    answer = await anna.publish(OFFER, [TrackInfo("0", "audio", "microphone")])
    assert [track.mid for track in answer.tracks] == ["0"]
    assert await anna.ping() == Pong()
    assert any(isinstance(m, ParticipantJoined) and m.participant.name == "Ben" for m in received)

    await anna.leave()
    assert not anna.is_open
    await ben.close()


async def test_a_refused_join_raises_the_servers_code_and_the_close_is_reported(
    app: Server,
) -> None:
    client = await SignalingClient.connect(app.url, lambda message: None)
    with pytest.raises(Refused) as refused:
        await client.join("Chor!", "Anna")
    assert (refused.value.code, refused.value.ref) == (ErrorCode.BAD_ROOM, "join")
    ended = await client.closed()
    assert isinstance(ended, Disconnected)
    assert (ended.code, ended.reason) == (CLOSE_CODE, "bad_room")
    with pytest.raises(Disconnected):
        await client.ping()


async def test_a_refusal_of_a_message_without_answer_goes_to_the_handler(app: Server) -> None:
    received: list[ServerMessage] = []
    client = await SignalingClient.connect(app.url, received.append)
    await client.join("rathaus", "Anna")
    await client.send(SetLayers((LayerRequest(StreamId("s-nowhere"), 0),)))
    assert await client.ping() == Pong()  # the refusal came first, and failed no request
    errors = [m for m in received if isinstance(m, Error)]
    assert [(e.code, e.ref) for e in errors] == [(ErrorCode.UNKNOWN_STREAM, "set_layers")]
    await client.close()


async def test_a_client_that_only_watches_pings_by_itself(app: Server) -> None:
    received: list[ServerMessage] = []
    client = await SignalingClient.connect(app.url, received.append, ping_every=0.1)
    await client.join("rathaus", "Anna")
    async with asyncio.timeout(5):
        while Pong() not in received:
            await asyncio.sleep(0.05)
    await client.close()
