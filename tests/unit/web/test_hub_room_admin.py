"""What a host does to the room itself, on a real store: new links for old (renew_secrets),
and the room deleted (delete_room); names the town reserved; the cap on standing rooms; and a
room deleted from the store while it is in use here."""

from __future__ import annotations

import pytest
from support.clock import Clock
from support.connection import RecordingConnection
from support.media import IdleMedia

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import Join
from klingel.protocol.moderation import (
    DeleteRoom,
    EndMeeting,
    MeetingEnded,
    RenewSecrets,
    RoomSettingsChange,
)
from klingel.rooms.creation import CreatedRoom, RoomCreation, RoomCreationRefused
from klingel.rooms.registry import Registry
from klingel.rooms.reserved import ReservedNames
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms
from klingel.web.connection import CLOSE_ENDED
from klingel.web.hub import LobbyTicket, Seat, SignalingHub
from klingel.web.moderation import HostCommands

ROOM = RoomId("geige")
RESERVED = ReservedNames(["Gemeinderat", "Bürgerbüro"])


def fresh_hub(standing: StandingRooms) -> SignalingHub:
    """A server that just started: nothing in memory, the store as it was left."""
    return SignalingHub(
        Registry(capacity=5), IdleMedia(), standing, clock=Clock(), reserved=RESERVED
    )


async def created(hub: SignalingHub, body: bytes = b'{"name": "Geige"}') -> CreatedRoom:
    return await RoomCreation(hub.registry, hub.standing, RESERVED).create(body, now=0.0)


async def joined(
    hub: SignalingHub, room: str = "geige", **join: str
) -> tuple[Seat, RecordingConnection]:
    connection = RecordingConnection()
    seat = await hub.join(connection, Join(v=1, room=room, name=join.pop("name", "P"), **join))
    assert isinstance(seat, Seat)
    return seat, connection


async def refused(hub: SignalingHub, room: str = "geige", **join: str) -> ErrorCode:
    with pytest.raises(KlingelError) as caught:
        await hub.join(RecordingConnection(), Join(v=1, room=room, name="Gast", **join))
    return caught.value.code


async def command_refused(hub: SignalingHub, seat: Seat, command: object) -> ErrorCode:
    with pytest.raises(KlingelError) as caught:
        await HostCommands(hub).handle(seat, command)  # type: ignore[arg-type]
    return caught.value.code


async def host_of_a_room_the_store_fails(
    standing: StandingRooms,
) -> tuple[SignalingHub, CreatedRoom, Seat, RecordingConnection]:
    """A created room with its host in it, and then the store fails every call."""
    hub = fresh_hub(standing)
    room = await created(hub)
    host, host_socket = await joined(hub, host_secret=room.host_secret)
    await standing.close()
    return hub, room, host, host_socket


# --- new links ----------------------------------------------------------------------------------


async def test_new_secrets_reach_every_host_and_cohost_and_the_old_ones_give_no_role(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    room = await created(hub)
    host, host_socket = await joined(hub, host_secret=room.host_secret, name="Lehrerin")
    cohost, cohost_socket = await joined(hub, host_secret=room.cohost_secret, name="Assistenz")
    await HostCommands(hub).handle(host, RoomSettingsChange(lobby=False))
    guest, guest_socket = await joined(hub, name="Paul")
    assert await command_refused(hub, cohost, RenewSecrets()) is ErrorCode.NOT_HOST
    assert await command_refused(hub, guest, RenewSecrets()) is ErrorCode.NOT_HOST

    await HostCommands(hub).handle(host, RenewSecrets())
    host_secrets = host_socket.of_type("host_secrets")[-1]
    cohost_secrets = cohost_socket.of_type("host_secrets")[-1]
    new_cohost = host_secrets["cohostSecret"]
    assert cohost_secrets == {
        "type": "host_secrets",
        "secret": new_cohost,
        "cohostSecret": new_cohost,
    }
    new_host = host_secrets["secret"]
    assert {new_host, new_cohost}.isdisjoint({room.host_secret, room.cohost_secret})
    assert guest_socket.of_type("host_secrets") == []
    # Everyone keeps their role.
    assert (host.participant.role, cohost.participant.role, guest.participant.role) == (
        "host",
        "cohost",
        "guest",
    )
    # The links given out before make guests, in memory and from the store.
    keys = host.room.keys
    assert keys is not None
    assert keys.role_for(room.host_secret) == keys.role_for(room.cohost_secret) == "guest"
    assert (keys.role_for(new_host), keys.role_for(new_cohost)) == ("host", "cohost")
    found = await standing.find(ROOM)
    assert found is not None
    assert (
        found.keys.role_for(room.host_secret) == found.keys.role_for(room.cohost_secret) == "guest"
    )
    assert (found.keys.role_for(new_host), found.keys.role_for(new_cohost)) == ("host", "cohost")


async def test_new_secrets_the_store_does_not_take_hold_in_the_meeting(
    standing: StandingRooms,
) -> None:
    hub, room, host, host_socket = await host_of_a_room_the_store_fails(standing)
    assert await command_refused(hub, host, RenewSecrets()) is ErrorCode.NOT_SAVED
    new_host = host_socket.of_type("host_secrets")[-1]["secret"]
    keys = host.room.keys
    assert keys is not None and keys.role_for(new_host) == "host"
    assert keys.role_for(room.host_secret) == "guest"


# --- deleting the room ----------------------------------------------------------------------------


async def test_deleting_the_room_ends_it_for_everyone_and_frees_its_name(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    room = await created(hub)
    host, host_socket = await joined(hub, host_secret=room.host_secret)
    cohost, cohost_socket = await joined(hub, host_secret=room.cohost_secret)
    waiting_socket = RecordingConnection()
    ticket = await hub.join(waiting_socket, Join(v=1, room="geige", name="Wartende"))
    assert isinstance(ticket, LobbyTicket)
    assert await command_refused(hub, cohost, DeleteRoom()) is ErrorCode.NOT_HOST

    await HostCommands(hub).handle(host, DeleteRoom())
    ended = {"type": "meeting_ended", "deleted": True}
    for socket in (host_socket, cohost_socket, waiting_socket):
        assert socket.frames[-1] == ended
        assert socket.close_code == CLOSE_ENDED
    assert hub.registry.get(ROOM) is None
    assert await standing.find(ROOM) is None
    # The name is free: the old host link makes nobody host, and anyone may create it again.
    guest, _ = await joined(hub, host_secret=room.host_secret)
    assert guest.participant.role == "guest" and not guest.room.stands
    await hub.leave(guest)
    again = await created(hub, b'{"name": "geige"}')
    assert again.host_secret != room.host_secret


async def test_a_plain_end_says_nothing_of_deletion() -> None:
    assert MeetingEnded().to_dict() == {"type": "meeting_ended"}
    assert MeetingEnded.from_dict({"type": "meeting_ended", "deleted": True}).deleted
    with pytest.raises(KlingelError):
        MeetingEnded.from_dict({"type": "meeting_ended", "deleted": False})
    assert EndMeeting().to_dict() == {"type": "end_meeting"}


async def test_a_room_the_store_cannot_delete_goes_on_as_it_was(
    standing: StandingRooms,
) -> None:
    hub, _, host, host_socket = await host_of_a_room_the_store_fails(standing)
    assert await command_refused(hub, host, DeleteRoom()) is ErrorCode.NOT_SAVED
    assert host_socket.close_code is None and host_socket.of_type("meeting_ended") == []
    assert hub.registry.get(ROOM) is host.room and host.room.stands


# --- reserved names ------------------------------------------------------------------------------


async def test_a_reserved_name_is_not_created_or_joined_until_it_stands(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    with pytest.raises(RoomCreationRefused) as caught:
        await created(hub, '{"name": "B\u00fcrgerb\u00fcro"}'.encode())
    assert (caught.value.code, caught.value.status) == ("room_reserved", 409)
    assert await refused(hub, "buergerbuero") is ErrorCode.ROOM_RESERVED
    assert hub.registry.rooms() == [] and await standing.find(RoomId("buergerbuero")) is None
    # The town makes it stand (as ``klingel rooms create`` does): then it is a standing room.
    keys = standing.new_keys()
    assert await standing.create(RoomId("buergerbuero"), keys, RoomSettings(lobby=True))
    with pytest.raises(RoomCreationRefused) as caught:
        await created(hub, b'{"name": "buergerbuero"}')
    assert (caught.value.code, caught.value.status) == ("room_taken", 409)
    assert keys.host is not None
    host, _ = await joined(hub, "buergerbuero", host_secret=keys.host)
    assert host.participant.role == "host"
    # Names nobody reserved are as before.
    other, _ = await joined(hub, "elternabend")
    assert not other.room.stands


# --- the cap on standing rooms -------------------------------------------------------------------


async def test_no_standing_room_beyond_the_cap(standing: StandingRooms) -> None:
    registry = Registry(capacity=5)
    creation = RoomCreation(registry, standing, max_standing_rooms=2)
    await creation.create(b'{"name": "Geige"}', now=0.0)
    await creation.create(b"", now=0.0)
    with pytest.raises(RoomCreationRefused) as caught:
        await creation.create(b'{"name": "Cello"}', now=0.0)
    assert (caught.value.code, caught.value.status) == ("standing_rooms_full", 503)
    assert registry.get(RoomId("cello")) is None
    assert await standing.find(RoomId("cello")) is None


# --- deleted from outside while in use ----------------------------------------------------------


async def test_a_room_deleted_from_the_store_while_in_use_stops_standing_here(
    standing: StandingRooms,
) -> None:
    hub = fresh_hub(standing)
    room = await created(hub)
    host, _ = await joined(hub, host_secret=room.host_secret)
    await HostCommands(hub).handle(host, RoomSettingsChange(lobby=False))
    assert await standing.delete(ROOM)  # ``klingel rooms delete``, from another process
    # A host's next change finds out (a join records a use only once an hour): that host is
    # told once; the meeting goes on, but nothing of it is written any more.
    refused = await command_refused(hub, host, RoomSettingsChange(chat_allowed=False))
    assert refused is ErrorCode.NOT_SAVED
    guest, _ = await joined(hub, name="Paul")
    assert guest.room is host.room and not host.room.stands
    assert host.participant.role == "host"
    await HostCommands(hub).handle(host, RoomSettingsChange(locked=True))  # no write, no error
