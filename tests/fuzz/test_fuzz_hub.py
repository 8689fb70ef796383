"""Fuzzing what happens in a room: hostile frames that name real participants and streams.

A host, a co-host and guests sit in one room of an in-process hub (no sockets, a media backend
that answers every offer). Each step, one of them sends a frame: a valid-shaped message or a
damaged one, built from what is really there (the ids of the others, of people waiting in the
lobby, of published streams), so that host commands, the lobby, resumes, layers and chat run
their real paths. Sockets that a frame closes come back, resuming or joining anew. Nothing may
end in an unexpected fault (``internal``), and everything sent is valid protocol.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from client_frames import FrameMutator
from fuzz_settings import fuzzing
from hypothesis import given
from hypothesis import strategies as st
from support.clock import Clock
from support.connection import RecordingConnection
from support.media import IdleMedia
from support.signaling_server import standing_rooms

from klingel.ids import ParticipantId, RoomId
from klingel.protocol.codec import encode_frame
from klingel.protocol.errors import ErrorCode
from klingel.protocol.messages import parse_server_message
from klingel.rooms.abuse import AddressLimits
from klingel.rooms.registry import Registry
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import MediaError, Subscription, TrackSpec
from klingel.web.hub import SignalingHub
from klingel.web.signaling import SignalingSession

Message = dict[str, Any]

ROOM = RoomId("fuzz-hub")
STEPS = 1_500
OFFER = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"


class AnsweringMedia(IdleMedia):
    """Answers every offer, and refuses one now and then as the SFU would."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self._rng = rng

    def _maybe_refuse(self) -> None:
        if self._rng.random() < 0.05:
            raise MediaError(self._rng.choice(["bad_sdp", "media_unavailable"]), "refused")

    async def publish(
        self, room: RoomId, participant: ParticipantId, offer_sdp: str, tracks: Sequence[TrackSpec]
    ) -> str:
        self._maybe_refuse()
        return "v=0\r\ns=publish-answer\r\n"

    async def subscribe(
        self,
        room: RoomId,
        participant: ParticipantId,
        offer_sdp: str,
        subscriptions: Sequence[Subscription],
    ) -> str:
        self._maybe_refuse()
        return "v=0\r\ns=subscribe-answer\r\n"


@dataclass
class Person:
    name: str
    secret: str | None
    connection: RecordingConnection = field(default_factory=RecordingConnection)
    session: SignalingSession | None = None
    resume: str | None = None


@dataclass
class World:
    """What the fuzzer knows of the room, learnt only from what the server sent."""

    participants: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)
    streams: set[str] = field(default_factory=set)
    sent: int = 0
    answers: list[Message] = field(default_factory=list)

    def learn(self, message: Message) -> None:
        parse_server_message(message)  # everything the hub sends is valid protocol
        self.answers.append(message)
        kind = message["type"]
        if kind == "joined":
            self.participants.add(message["you"]["id"])
            self.participants.update(p["id"] for p in message["participants"])
            self.streams.update(s["id"] for s in message["streams"])
        elif kind in ("participant_joined", "participant_updated"):
            self.participants.add(message["participant"]["id"])
        elif kind == "stream_added":
            self.streams.add(message["stream"]["id"])
        elif kind == "lobby":
            self.waiting = {entry["id"] for entry in message["waiting"]}


def seeds(world: World, rng: random.Random) -> list[Message]:
    """Messages of every client type, naming what is really there."""
    someone = rng.choice(sorted(world.participants | world.waiting | {"p-nobody"}))
    stream = rng.choice(sorted(world.streams | {"s-nothing"}))
    return [
        {"type": "publish", "sdp": OFFER, "tracks": [
            {"mid": "0", "kind": "audio", "source": "microphone"},
            {"mid": "1", "kind": "video", "source": rng.choice(["camera", "screen"])},
        ]},
        {"type": "publish", "sdp": OFFER, "tracks": []},
        {"type": "subscribe", "sdp": OFFER, "streams": [{"mid": "0", "stream": stream}]},
        {"type": "set_layers", "layers": [{"stream": stream, "layer": rng.choice([0, 3, None])}]},
        {"type": "media_state", "audio": rng.random() < 0.5, "video": rng.random() < 0.5},
        {"type": "chat", "text": rng.choice(["Hallo", "\u202eevil", "x" * 2000])},
        {"type": "hand", "raised": rng.random() < 0.5},
        {"type": "unmute"},
        {"type": "ping"},
        {"type": "room_settings", rng.choice(["lobby", "locked", "officeHours", "chatAllowed",
         "screenShareAllowed", "unmuteAllowed"]): rng.random() < 0.5},
        {"type": "set_password", "password": rng.choice([None, "Geige2026"])},
        {"type": "admit", "id": someone},
        {"type": "deny", "id": someone, "message": rng.choice([None, "Heute nicht"])},
        {"type": "end_conversation", "id": someone},
        {"type": "mute", "id": someone},
        {"type": "mute_all"},
        {"type": "allow_unmute", "id": someone},
        {"type": "stop_video", "id": someone, "source": rng.choice(["camera", "screen"])},
        {"type": "remove", "id": someone},
        {"type": "set_role", "id": someone, "role": rng.choice(["host", "cohost", "guest"])},
        {"type": "e2ee", "to": rng.choice([None, someone]), "data": "AAAA"},
        {"type": "renew_secrets"},
        {"type": "leave"},
        {"type": "end_meeting"},
        {"type": "delete_room"},
    ]  # fmt: skip


class RoomFuzzer:
    def __init__(self, rng: random.Random, standing: StandingRooms) -> None:
        self.rng = rng
        self.clock = Clock(1000.0)
        self.registry = Registry(capacity=6, grace_seconds=5.0)
        self.standing = standing
        self.hub = SignalingHub(self.registry, AnsweringMedia(rng), standing, clock=self.clock)
        self.people = [
            Person(name, None) for name in ("Hanna", "Cem", "Ben", "Dora", "Emil", "Fritz")
        ]
        self.world = World()
        self.mutator = FrameMutator(rng)
        self.limits = AddressLimits(connections_per_address=len(self.people))

    async def create_room(self) -> None:
        """The room stands from the start: after a host ended the meeting, the next join
        brings it back from the store, with its secrets (as far as nobody replaced them)."""
        keys, settings = self.standing.new_keys(), RoomSettings()
        record = await self.standing.create(ROOM, keys, settings)
        assert record is not None
        self.registry.create(ROOM, keys, settings, self.clock(), record=record)
        self.people[0].secret, self.people[1].secret = keys.host, keys.cohost

    async def arrive(self, person: Person) -> None:
        person.connection = RecordingConnection()
        person.session = SignalingSession(
            self.hub, person.connection, self.limits, clock=self.clock
        )
        join: Message = {"type": "join", "v": 1, "room": ROOM, "name": person.name}
        if person.resume is not None and self.rng.random() < 0.7:
            join["resume"] = person.resume
        if person.secret is not None:
            join["hostSecret"] = person.secret
        if self.rng.random() < 0.3:
            join["password"] = "Geige2026"
        await self.send(person, encode_frame(join))

    async def send(self, person: Person, frame: str | bytes) -> None:
        assert person.session is not None
        before = len(person.connection.frames)
        await person.session.handle_frame(frame)
        self.world.sent += 1
        for message in person.connection.frames[before:]:
            if message["type"] == "joined":
                person.resume = message["resume"]

    def collect(self) -> bool:
        """Learn what everyone was sent; whether a host deleted the room."""
        deleted = False
        for person in self.people:
            for message in person.connection.frames:
                self.world.learn(message)
                if message["type"] == "host_secrets":
                    person.secret = message["secret"]  # as the page keeps it
                deleted |= message["type"] == "meeting_ended" and bool(message.get("deleted"))
            person.connection.frames.clear()
        return deleted

    async def step(self) -> None:
        self.clock.now += self.rng.choice([0.01, 0.05, 0.2, 1.0])
        person = self.rng.choice(self.people)
        if person.session is None or person.connection.closing:
            if person.session is not None:
                person.session.socket_lost()
            await self.arrive(person)
        elif self.rng.random() < 0.02:
            person.session.socket_lost()  # the socket drops; the next step comes back
            person.connection.close(1006)
        else:
            choices = seeds(self.world, self.rng)
            # Ending the meeting (or deleting the room) ends the run's room: now and then, not
            # one step in twenty.
            ending = self.rng.random() < 0.003
            message = self.rng.choice(choices[-2:] if ending else choices[:-2])
            frames = [encode_frame(message), *(f.frame for f in self.mutator.frames(message, 1))]
            await self.send(person, self.rng.choice(frames))
        if self.rng.random() < 0.05:
            await self.hub.expire_detached()
        if self.collect():
            await self.create_room()  # the town makes the deleted room anew, with new links


async def fuzz_room(seed: int) -> World:
    async with standing_rooms() as standing:
        fuzzer = RoomFuzzer(random.Random(seed), standing)
        await fuzzer.create_room()
        for person in fuzzer.people:
            await fuzzer.arrive(person)
        fuzzer.collect()
        for _ in range(STEPS):
            await fuzzer.step()
        return fuzzer.world


class Faults(logging.Handler):
    """Collects what the signaling code logs at ERROR: an unexpected fault is logged there."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@fuzzing(12)
@given(st.integers(0, 2**32))
def test_hostile_frames_about_real_participants_never_fault(seed: int) -> None:
    faults = Faults()
    logger = logging.getLogger("klingel")
    logger.addHandler(faults)
    try:
        world = asyncio.run(fuzz_room(seed))
    finally:
        logger.removeHandler(faults)
    codes = {m["code"] for m in world.answers if m["type"] == "error"}
    assert ErrorCode.INTERNAL not in codes, faults.messages
    assert faults.messages == []
    kinds = {m["type"] for m in world.answers}
    # The run reached the room's real paths, not only refusals.
    assert {"joined", "participant_updated", "room_updated", "stream_added"} <= kinds, kinds
