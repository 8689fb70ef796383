"""Frames between the pool and a worker over a real socketpair."""

from __future__ import annotations

import asyncio
import socket
import struct

import pytest

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import MediaError, TrackSpec, WorkerRestarted
from klingel.sfu.ipc import (
    MAX_FRAME_BYTES,
    Channel,
    EventNotice,
    FrameError,
    Message,
    Publish,
    Reply,
    Request,
    decode_frame_length,
    encode_frame,
)


async def channels() -> tuple[Channel, Channel]:
    left, right = socket.socketpair()
    return await Channel.open(left), await Channel.open(right)


async def test_messages_cross_in_order_and_intact() -> None:
    parent, worker = await channels()
    track = TrackSpec(mid="0", kind="video", source="camera", stream_id=StreamId("s-1"))
    sent: list[Message] = [
        Request(1, Publish(RoomId("r"), ParticipantId("p"), "v=0\r\n" * 5000, (track,))),
        Reply(1, None, MediaError("bad_sdp", "no m-line")),
        EventNotice(WorkerRestarted((RoomId("a"), RoomId("b")))),
    ]
    for message in sent:
        parent.send(message)
    received = [await worker.receive() for _ in sent]
    assert received[0] == sent[0] and received[2] == sent[2]
    reply = received[1]
    assert isinstance(reply, Reply) and reply.error is not None
    assert (reply.error.code, reply.error.message) == ("bad_sdp", "no m-line")
    parent.close()
    worker.close()


async def test_end_of_stream_and_torn_frames_read_as_closed() -> None:
    parent, worker = await channels()
    frame = encode_frame(Reply(7, "answer"))
    parent._writer.write(frame[: len(frame) // 2])
    parent.close()
    assert await asyncio.wait_for(worker.receive(), 10) is None
    worker.close()


def test_oversized_frames_are_refused() -> None:
    assert decode_frame_length(struct.pack("!I", 12)) == 12
    with pytest.raises(FrameError):
        decode_frame_length(struct.pack("!I", MAX_FRAME_BYTES + 1))
    with pytest.raises(FrameError):
        encode_frame(Reply(1, "x" * (MAX_FRAME_BYTES + 1)))
