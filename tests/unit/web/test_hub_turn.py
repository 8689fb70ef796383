"""TURN credentials reach a participant in their own ``joined`` only: fresh on every join,
admission and resume, never in the lobby, never in a message to anyone else."""

from __future__ import annotations

import json
from typing import Any

from support.clock import Clock
from support.connection import RecordingConnection
from support.media import IdleMedia

from klingel.ids import RoomId
from klingel.protocol.messages import Join
from klingel.rooms.registry import Registry
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms
from klingel.turn.credentials import CredentialIssuer, TurnSecret, password_for
from klingel.turn.ice_servers import TurnEndpoint, TurnRelay
from klingel.web.hub import LobbyTicket, Seat, SignalingHub

SECRET = TurnSecret("t" * 64)
NOW = 1_800_000_000.0
TTL = 3600
RELAY = TurnRelay(TurnEndpoint("turn.example.de", 3478, 443), CredentialIssuer(SECRET, TTL))


def _hub(standing: StandingRooms, turn: TurnRelay | None = RELAY) -> tuple[SignalingHub, Clock]:
    wall = Clock()
    wall.now = NOW
    registry = Registry(capacity=5, grace_seconds=30.0)
    return SignalingHub(registry, IdleMedia(), standing, wall_clock=wall, turn=turn), wall


def _joined(connection: RecordingConnection) -> list[dict[str, Any]]:
    return [frame for frame in connection.frames if frame["type"] == "joined"]


async def test_joined_carries_credentials_coturn_accepts(standing: StandingRooms) -> None:
    hub, _ = _hub(standing)
    anna = RecordingConnection()
    await hub.join(anna, Join(v=1, room="chor", name="Anna"))
    (joined,) = _joined(anna)
    (server,) = joined["iceServers"]
    assert server["urls"] == [
        "turn:turn.example.de:3478?transport=udp",
        "turn:turn.example.de:3478?transport=tcp",
        "turns:turn.example.de:443?transport=tcp",
    ]
    expiry, _, opaque = server["username"].partition(":")
    assert int(expiry) == int(NOW) + TTL
    assert opaque and joined["you"]["id"] not in server["username"]
    assert server["credential"] == password_for(SECRET, server["username"])


async def test_without_turn_the_list_is_empty(standing: StandingRooms) -> None:
    hub, _ = _hub(standing, turn=None)
    anna = RecordingConnection()
    await hub.join(anna, Join(v=1, room="chor", name="Anna"))
    assert _joined(anna)[0]["iceServers"] == []


async def test_each_participant_and_each_resume_gets_fresh_credentials(
    standing: StandingRooms,
) -> None:
    hub, wall = _hub(standing)
    anna, ben = RecordingConnection(), RecordingConnection()
    seat = await hub.join(anna, Join(v=1, room="chor", name="Anna"))
    await hub.join(ben, Join(v=1, room="chor", name="Ben"))
    assert isinstance(seat, Seat)
    hub.disconnected(seat, anna)
    wall.now = NOW + 600
    again = RecordingConnection()
    token = _joined(anna)[0]["resume"]
    await hub.join(again, Join(v=1, room="chor", name="Anna", resume=token))
    (resumed,) = _joined(again)
    assert resumed["resumed"] is True
    usernames = [
        _joined(anna)[0]["iceServers"][0]["username"],
        _joined(ben)[0]["iceServers"][0]["username"],
        resumed["iceServers"][0]["username"],
    ]
    assert len(set(usernames)) == 3
    assert int(usernames[2].split(":")[0]) == int(NOW) + 600 + TTL


async def test_nobody_else_and_nobody_waiting_hears_credentials(standing: StandingRooms) -> None:
    hub, _ = _hub(standing)
    keys = standing.new_keys()
    room = hub.registry.create(RoomId("chor"), keys, RoomSettings(lobby=True), hub.clock())
    assert room.keys is not None
    host, waiting = RecordingConnection(), RecordingConnection()
    await hub.join(host, Join(v=1, room="chor", name="Hanna", host_secret=room.keys.host))
    ticket = await hub.join(waiting, Join(v=1, room="chor", name="Wanda"))
    assert isinstance(ticket, LobbyTicket)
    assert [frame["type"] for frame in waiting.frames] == ["waiting"]
    hub.admit(ticket)
    (admitted,) = _joined(waiting)
    assert len(admitted["iceServers"]) == 1
    own = {
        "host": _joined(host)[0]["iceServers"][0]["credential"],
        "waiting": admitted["iceServers"][0]["credential"],
    }
    for name, connection in (("host", host), ("waiting", waiting)):
        for frame in connection.frames:
            text = json.dumps(frame)
            if frame["type"] != "joined":
                assert "iceServers" not in text and "credential" not in text
            for other, credential in own.items():
                if other != name:
                    assert credential not in text
    heard = {frame["type"] for frame in host.frames}
    assert {"lobby", "lobby_ring", "participant_joined"} <= heard
