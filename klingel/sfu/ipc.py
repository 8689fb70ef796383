"""Messages between the parent process and an SFU worker, over a socketpair.

Each frame is a 4-byte big-endian length and a pickle. Both ends are this package's own
processes, started by the parent, so pickle carries no foreign input; the length cap stops a
corrupt stream from allocating without bound.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
from dataclasses import dataclass

from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.sfu.api import MediaError, MediaEvent, Stage, Subscription, TrackSpec, WorkerStats

__all__ = [
    "MAX_FRAME_BYTES",
    "Call",
    "Channel",
    "CloseRoom",
    "CollectStats",
    "EndRelay",
    "EventNotice",
    "FrameError",
    "Message",
    "Publish",
    "Ready",
    "ReceiveProgramme",
    "RelayProgramme",
    "RemoveParticipant",
    "Reply",
    "Request",
    "SetForwarding",
    "SetLayer",
    "SetStage",
    "Shutdown",
    "Start",
    "Subscribe",
    "decode_frame_length",
    "encode_frame",
    "read_frame_blocking",
]

MAX_FRAME_BYTES = 16 * 1024 * 1024
_LENGTH = struct.Struct("!I")


class FrameError(ValueError):
    """The stream does not hold a well-formed frame."""


@dataclass(frozen=True, slots=True)
class Publish:
    room: RoomId
    participant: ParticipantId
    offer_sdp: str
    tracks: tuple[TrackSpec, ...]


@dataclass(frozen=True, slots=True)
class Subscribe:
    room: RoomId
    participant: ParticipantId
    offer_sdp: str
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True, slots=True)
class SetForwarding:
    room: RoomId
    stream_id: StreamId
    enabled: bool


@dataclass(frozen=True, slots=True)
class SetLayer:
    room: RoomId
    participant: ParticipantId
    stream_id: StreamId
    layer: int | None


@dataclass(frozen=True, slots=True)
class SetStage:
    room: RoomId
    stage: Stage


@dataclass(frozen=True, slots=True)
class RelayProgramme:
    """To the room's worker: send the programme to worker ``to_worker`` as relay ``relay``, or
    to the worker of another node at ``to_address``."""

    room: RoomId
    relay: int
    to_worker: int
    to_address: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class ReceiveProgramme:
    """To a worker that gets viewers of a room living elsewhere: hold its programme, fed by
    relay ``relay`` from worker ``from_worker``, or from another node's worker at
    ``from_address``."""

    room: RoomId
    relay: int
    from_worker: int
    from_address: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class EndRelay:
    room: RoomId
    relay: int


@dataclass(frozen=True, slots=True)
class RemoveParticipant:
    room: RoomId
    participant: ParticipantId


@dataclass(frozen=True, slots=True)
class CloseRoom:
    room: RoomId


@dataclass(frozen=True, slots=True)
class CollectStats:
    pass


Call = (
    Publish
    | Subscribe
    | SetForwarding
    | SetLayer
    | SetStage
    | RelayProgramme
    | ReceiveProgramme
    | EndRelay
    | RemoveParticipant
    | CloseRoom
    | CollectStats
)


@dataclass(frozen=True, slots=True)
class Request:
    """Parent to worker; answered by one ``Reply`` with the same ``request_id``."""

    request_id: int
    call: Call


@dataclass(frozen=True, slots=True)
class Reply:
    """Worker to parent: an answer SDP, stats, or nothing; or the refusal."""

    request_id: int
    result: str | WorkerStats | None
    error: MediaError | None = None


@dataclass(frozen=True, slots=True)
class Ready:
    """Worker to parent, once: the socket is bound and requests may come."""

    worker: int
    pid: int
    port: int


@dataclass(frozen=True, slots=True)
class EventNotice:
    """Worker to parent: a router's event, passed on to the media event handler."""

    event: MediaEvent


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Parent to worker: close every room and exit."""


@dataclass(frozen=True, slots=True)
class Start:
    """Parent to worker, first of all: the parent's import path, then the worker's settings
    (a pickled ``klingel.sfu.worker.WorkerSpec``, opened only once that path is in place, since
    it may name a router factory from a module found through it)."""

    search_path: tuple[str, ...]
    spec: bytes


Message = Request | Reply | Ready | EventNotice | Shutdown | Start


def encode_frame(message: Message) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(body) > MAX_FRAME_BYTES:
        raise FrameError("message too large for one frame")
    return _LENGTH.pack(len(body)) + body


def decode_frame_length(header: bytes) -> int:
    (length,) = _LENGTH.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise FrameError("frame longer than allowed")
    return int(length)


def read_frame_blocking(sock: socket.socket) -> Message | None:
    """One message read with blocking calls (before any event loop runs), or None when the
    other end closed first."""
    header = _receive_exactly(sock, _LENGTH.size)
    if header is None:
        return None
    body = _receive_exactly(sock, decode_frame_length(header))
    if body is None:
        return None
    message: Message = pickle.loads(body)
    return message


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class Channel:
    """One end of the socketpair, on the running event loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, sock: socket.socket) -> Channel:
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=MAX_FRAME_BYTES)
        return cls(reader, writer)

    def send(self, message: Message) -> None:
        """Queue one frame. Frames are small and the peer reads all the time, so the write
        buffer is left to the transport instead of awaiting ``drain`` per message."""
        if not self._writer.is_closing():
            self._writer.write(encode_frame(message))

    async def receive(self) -> Message | None:
        """The next message, or None when the other end has closed."""
        try:
            header = await self._reader.readexactly(_LENGTH.size)
            body = await self._reader.readexactly(decode_frame_length(header))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        message: Message = pickle.loads(body)
        return message

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        self._writer.close()
