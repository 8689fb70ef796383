"""The hub with standing rooms on a real store: a room that is not in memory is brought back
by a join, with what it keeps; what hosts change is written through, and a store that fails
shows as such to the person."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.clock import Clock
from support.connection import RecordingConnection
from support.media import IdleMedia

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import Join
from klingel.protocol.moderation import Remove, RoomSettingsChange, SetPassword
from klingel.rooms.creation import CreatedRoom, RoomCreation
from klingel.rooms.password_guard import ROOM_WRONG_PASSWORDS
from klingel.rooms.registry import Registry
from klingel.rooms.seat_passes import RETURN_WINDOW_SECONDS
from klingel.rooms.standing import StandingRooms
from klingel.web.hub import LobbyTicket, Seat, SignalingHub
from klingel.web.moderation import HostCommands

PASSWORD = "Geige am Dienstag"


def fresh_hub(standing: StandingRooms) -> SignalingHub:
    """A server that just started: nothing in memory, the store as it was left."""
    return SignalingHub(Registry(capacity=5), IdleMedia(), standing, clock=Clock())


async def created_room(standing: StandingRooms, hub: SignalingHub) -> CreatedRoom:
    return await RoomCreation(hub.registry, standing).create(b'{"name": "Geige"}', now=0.0)


async def seat_of(hub: SignalingHub, **join: str) -> tuple[Seat, RecordingConnection]:
    connection = RecordingConnection()
    seat = await hub.join(connection, Join(v=1, room="geige", name=join.pop("name", "P"), **join))
    assert isinstance(seat, Seat)
    return seat, connection


async def host_of_a_room_with_a_password(standing: StandingRooms, hub: SignalingHub) -> Seat:
    """A created room, its lobby off and a password set, and its host in it."""
    created = await created_room(standing, hub)
    host, _ = await seat_of(hub, host_secret=created.host_secret)
    commands = HostCommands(hub)
    await commands.handle(host, RoomSettingsChange(lobby=False))
    await commands.handle(host, SetPassword(password=PASSWORD))
    return host


async def refusal(hub: SignalingHub, **join: str | None) -> ErrorCode:
    with pytest.raises(KlingelError) as caught:
        await hub.join(RecordingConnection(), Join(v=1, room="geige", name="Gast", **join))
    return caught.value.code


async def test_the_host_link_makes_its_holder_host_in_a_room_brought_back(
    standing: StandingRooms,
) -> None:
    before = fresh_hub(standing)
    created = await created_room(standing, before)
    after = fresh_hub(standing)
    assert after.registry.get(RoomId("geige")) is None
    host, connection = await seat_of(after, host_secret=created.host_secret)
    assert host.participant.role == "host" and host.room.stands
    assert host.room.settings.lobby, "a typed name's room keeps its lobby"
    # The server knows the host secret now; the co-host secret not yet: no host_secrets.
    assert host.room.keys is not None and host.room.keys.host == created.host_secret
    assert connection.of_type("host_secrets") == []
    cohost, _ = await seat_of(after, host_secret=created.cohost_secret)
    assert cohost.participant.role == "cohost" and cohost.room is host.room
    ticket = await after.join(RecordingConnection(), Join(v=1, room="geige", name="Gast"))
    assert isinstance(ticket, LobbyTicket)


async def test_a_password_from_the_store_is_checked_slowly_once(
    standing: StandingRooms,
) -> None:
    await host_of_a_room_with_a_password(standing, fresh_hub(standing))
    after = fresh_hub(standing)
    assert await refusal(after, password=None) is ErrorCode.PASSWORD_REQUIRED
    assert await refusal(after, password="Geige am Mittwoch") is ErrorCode.WRONG_PASSWORD
    room = after.registry.get(RoomId("geige"))
    assert room is None, "a room nobody got into is not kept in memory"
    guest, _ = await seat_of(after, password=PASSWORD)
    assert guest.participant.role == "guest"
    password = guest.room.password
    assert password is not None and password.quick_verdict(PASSWORD) is True
    assert await refusal(after, password="Geige am Mittwoch") is ErrorCode.WRONG_PASSWORD


async def test_a_store_that_cannot_be_read_lets_nobody_into_an_unknown_room(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    await standing.close()
    assert await refusal(hub) is ErrorCode.STORE_UNAVAILABLE
    assert hub.registry.rooms() == [], "no room without keys for a name that may stand"


async def test_a_change_the_store_does_not_take_holds_and_says_so(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    created = await created_room(standing, hub)
    host, connection = await seat_of(hub, host_secret=created.host_secret)
    await standing.close()
    with pytest.raises(KlingelError) as caught:
        await HostCommands(hub).handle(host, RoomSettingsChange(locked=True))
    assert caught.value.code is ErrorCode.NOT_SAVED and not caught.value.closes
    assert host.room.settings.locked
    assert connection.of_type("room_updated")[-1]["room"]["locked"] is True


async def test_a_lobby_the_server_switched_on_after_guessing_is_saved(
    standing: StandingRooms, tmp_path: Path
) -> None:
    hub = fresh_hub(standing)
    host = await host_of_a_room_with_a_password(standing, hub)
    for attempt in range(int(ROOM_WRONG_PASSWORDS.burst) + 1):
        join = Join(v=1, room="geige", name="Rate", password=f"falsch {attempt}")
        with pytest.raises(KlingelError):
            await hub.join(RecordingConnection(), join, f"192.0.2.{attempt}")
    assert host.room.settings.lobby
    await standing.close()  # finishes the write nobody waited for
    reopened = await StandingRooms.open(tmp_path / "data")
    try:
        found = await reopened.find(RoomId("geige"))
        assert found is not None and found.settings.lobby
    finally:
        await reopened.close()


def hub_issuing_passes(standing: StandingRooms) -> SignalingHub:
    """A server as ``klingel serve`` makes it: standing rooms' resume tokens are seat passes."""
    registry = Registry(capacity=5, passes=standing.passes)
    return SignalingHub(registry, IdleMedia(), standing, clock=Clock())


@dataclass(frozen=True, slots=True)
class CutOff:
    """A meeting the server was killed in: the room and the last resume token of a guest who
    was in it and of one a host removed."""

    created: CreatedRoom
    guest_pass: str
    removed_pass: str


async def meeting_cut_off(data_dir: Path, wall: Clock) -> CutOff:
    """Host, guest and a removed guest in a room that then got a password, lobby and lock;
    then the server is gone (what it wrote stays)."""
    before = await StandingRooms.open(data_dir, wall)
    try:
        hub = hub_issuing_passes(before)
        created = await created_room(before, hub)
        host, _ = await seat_of(hub, host_secret=created.host_secret)
        commands = HostCommands(hub)
        await commands.handle(host, RoomSettingsChange(lobby=False))
        _, guest_socket = await seat_of(hub, name="Gast")
        removed, removed_socket = await seat_of(hub, name="Entfernt")
        await commands.handle(host, Remove(id=removed.participant.id))
        await commands.handle(host, SetPassword(password=PASSWORD))
        await commands.handle(host, RoomSettingsChange(lobby=True, locked=True))
        return CutOff(
            created,
            guest_socket.of_type("joined")[-1]["resume"],
            removed_socket.of_type("joined")[-1]["resume"],
        )
    finally:
        await before.close()


@contextlib.asynccontextmanager
async def restarted(data_dir: Path) -> AsyncIterator[tuple[CutOff, SignalingHub, Clock]]:
    """The meeting cut off, the server started again 4 s later on the same data directory,
    and its wall clock, 2 s after the start."""
    wall = Clock(1_750_000_000.0)
    cut_off = await meeting_cut_off(data_dir, wall)
    wall.now += 4
    after = await StandingRooms.open(data_dir, wall)
    try:
        wall.now += 2
        yield cut_off, hub_issuing_passes(after), wall
    finally:
        await after.close()


async def test_after_a_restart_those_who_were_in_come_back_past_lobby_lock_and_password(
    tmp_path: Path,
) -> None:
    async with restarted(tmp_path / "data") as (cut_off, hub, _):
        back, _ = await seat_of(hub, name="Gast", resume=cut_off.guest_pass)
        assert back.participant.role == "guest" and back.room.settings.lobby
        assert back.room.settings.locked and back.room.password is not None
        assert await refusal(hub, resume=cut_off.removed_pass) is ErrorCode.REMOVED
        assert await refusal(hub, resume=cut_off.guest_pass) is ErrorCode.ROOM_LOCKED, "once"
        host, _ = await seat_of(hub, host_secret=cut_off.created.host_secret)
        assert host.participant.role == "host"


async def test_a_pass_of_the_run_before_is_not_honoured_long_after_the_start(
    tmp_path: Path,
) -> None:
    async with restarted(tmp_path / "data") as (cut_off, hub, wall):
        wall.now += RETURN_WINDOW_SECONDS
        refused = await refusal(hub, resume=cut_off.guest_pass, password=PASSWORD)
        assert refused is ErrorCode.ROOM_LOCKED, "later, the lock decides as for anyone"
