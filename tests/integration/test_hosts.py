"""Hosts, the lobby, office hours and room protection, over real WebSockets.

The app runs on uvicorn on 127.0.0.1 with the recording SFU of ``test_signaling.py``, so each
test checks exactly which streams signaling switched off and on. Every frame any client
receives is kept, to prove that secrets and passwords never reach anyone.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from support.recording_client import Client
from support.signaling_server import OFFER, RecordingMedia, Server, running_server
from websockets.asyncio.client import connect

from klingel.config import Settings

Message = dict[str, Any]
TIMEOUT = 10.0
TRACKS = [
    {"mid": "0", "kind": "audio", "source": "microphone"},
    {"mid": "1", "kind": "video", "source": "camera"},
]
JSON = {"content-type": "application/json"}
WITH_SCREEN = [*TRACKS, {"mid": "2", "kind": "video", "source": "screen"}]


Connect = Callable[[], Awaitable[Client]]
JoinFn = Callable[..., Awaitable[tuple[Client, Message]]]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    settings = Settings(room_capacity=8, resume_grace_seconds=1.0, join_timeout_seconds=2.0)
    async with running_server(settings) as running:
        yield running


@pytest_asyncio.fixture
async def clients(server: Server) -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        await client.socket.close()


@pytest.fixture
def connect_client(server: Server, clients: list[Client]) -> Connect:
    async def open_client() -> Client:
        socket = await connect(server.url.replace("http", "ws") + "/ws", max_size=None)
        client = Client(socket)
        clients.append(client)
        return client

    return open_client


@pytest.fixture
def join(connect_client: Connect) -> JoinFn:
    """Join and return the first answer (``joined``, ``waiting`` or ``error``)."""

    async def join_room(
        room: str,
        name: str,
        *,
        secret: str | None = None,
        password: str | None = None,
        resume: str | None = None,
        secrets_known: bool = True,
    ) -> tuple[Client, Message]:
        """``secrets_known=False``: the room came back from the store, which keeps digests
        only, so the server does not know both secrets to send."""
        client = await connect_client()
        message: Message = {"type": "join", "v": 1, "room": room, "name": name, "resume": resume}
        if secret is not None:
            message["hostSecret"] = secret
        if password is not None:
            message["password"] = password
        await client.send(message)
        answer = await client.receive()
        if answer["type"] == "joined":
            client.id = answer["you"]["id"]
            if answer["you"]["role"] != "guest" and secrets_known:
                # Every host and co-host learns the secrets that work now, right after joining.
                client.secrets = await client.expect("host_secrets")
        return client, answer

    return join_room


async def create_room(server: Server, name: str | None = None) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/rooms", json={"name": name} if name else {})
    assert response.status_code == 200, response.text
    created: dict[str, str] = response.json()
    return created


async def host_and_guest(
    server: Server, join: JoinFn, name: str | None = None
) -> tuple[dict[str, str], Client, Client]:
    """A created room with its host and one guest inside (lobby off)."""
    created = await create_room(server, name)
    host, joined = await join(created["room"], "Hanna", secret=created["hostSecret"])
    assert joined["you"]["role"] == "host"
    if joined["room"]["lobby"]:
        await host.send({"type": "room_settings", "lobby": False})
        await host.expect("room_updated")
    guest, guest_joined = await join(created["room"], "Gustav")
    assert guest_joined["type"] == "joined"
    await host.expect("participant_joined")
    return created, host, guest


# --- roles --------------------------------------------------------------------------------------


async def test_only_a_secret_makes_a_host(server: Server, join: JoinFn) -> None:
    created = await create_room(server)
    other = await create_room(server)
    room = created["room"]
    assert len(room) == 26 and len(created["hostSecret"]) >= 32
    assert len({created["hostSecret"], created["cohostSecret"], other["hostSecret"]}) == 3

    # First in the room, but without the secret: a guest.
    _, first = await join(room, "Erster")
    assert first["you"]["role"] == "guest" and first["room"]["lobby"] is False
    roles = {}
    for name, secret in [
        ("Wrong", "x" * 32),
        ("Empty", ""),
        ("Foreign", other["hostSecret"]),
        ("Almost", created["hostSecret"][:-1]),
        ("Cohost", created["cohostSecret"]),
        ("Host", created["hostSecret"]),
    ]:
        _, joined = await join(room, name, secret=secret)
        roles[name] = joined["you"]["role"]
    assert roles == {
        "Wrong": "guest",
        "Empty": "guest",
        "Foreign": "guest",
        "Almost": "guest",
        "Cohost": "cohost",
        "Host": "host",
    }


async def test_rooms_nobody_created_have_no_host(join: JoinFn) -> None:
    anna, joined = await join("chor", "Anna", secret="anything")
    assert joined["you"]["role"] == "guest"
    await anna.send({"type": "room_settings", "lobby": True})
    assert (await anna.error("not_host"))["ref"] == "room_settings"
    _, ben = await join("chor", "Ben")
    assert ben["type"] == "joined" and ben["room"]["lobby"] is False


async def test_re_creating_a_room_is_refused(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Bürgerbüro Mitte")
    assert created["room"] == "buergerbuero-mitte"
    async with httpx.AsyncClient(base_url=server.url) as http:
        # The room stands: nobody else may make its name, also while nobody is in it.
        again = await http.post("/api/rooms", json={"name": "Bürgerbüro  Mitte!"})
        assert (again.status_code, again.json()) == (409, {"error": "room_taken"})
        await join("belegt", "Anna")  # a room someone is in, though nobody created it
        taken = await http.post("/api/rooms", json={"name": "Belegt"})
        assert (taken.status_code, taken.json()) == (409, {"error": "room_exists"})
        bad_bodies = [
            (b'{"name": "!!!"}', "bad_room"),
            (b"[1]", "bad_json"),
            (b'{"name": "x", "host": true}', "bad_json"),
            (b"{", "bad_json"),
        ]
        for body, code in bad_bodies:
            refused = await http.post("/api/rooms", content=body, headers=JSON)
            assert (refused.status_code, refused.json()) == (400, {"error": code})
        huge = await http.post("/api/rooms", content=b" " * 2000, headers=JSON)
        assert huge.status_code == 413
    # The first secret still makes its holder host, and the named room starts with the lobby on.
    _, joined = await join(created["room"], "Hanna", secret=created["hostSecret"])
    assert (joined["you"]["role"], joined["room"]["lobby"]) == ("host", True)


async def test_roles_are_handed_out_only_by_hosts(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    cohost, _ = await join(room, "Conny", secret=created["cohostSecret"])
    await host.expect("participant_joined")
    await guest.expect("participant_joined")

    await cohost.send({"type": "set_role", "id": guest.id, "role": "cohost"})
    await cohost.error("not_host")
    await cohost.send({"type": "remove", "id": host.id})
    await cohost.error("not_allowed")
    await host.send({"type": "set_role", "id": host.id, "role": "guest"})
    await host.error("not_allowed")
    assert await guest.nothing_pending()

    await host.send({"type": "set_role", "id": guest.id, "role": "cohost"})
    promoted = await guest.expect("participant_updated")
    assert (promoted["participant"]["role"], promoted["participant"]["you"]) == ("cohost", True)
    assert (await guest.expect("lobby"))["waiting"] == []
    assert (await host.expect("participant_updated"))["participant"]["role"] == "cohost"

    # Handing over: the old host stays as co-host.
    await host.send({"type": "set_role", "id": guest.id, "role": "host"})
    updates = [(await host.expect("participant_updated"))["participant"] for _ in range(2)]
    assert {(p["id"], p["role"]) for p in updates} == {(host.id, "cohost"), (guest.id, "host")}
    assert (await host.expect("host_secrets"))["secret"] != created["hostSecret"]
    await host.send({"type": "set_role", "id": guest.id, "role": "guest"})
    await host.error("not_host")


async def test_a_returning_host_is_host_again_and_protections_stay(
    server: Server, join: JoinFn
) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    await host.send({"type": "room_settings", "lobby": True, "locked": False})
    await host.expect("room_updated")
    await guest.expect("room_updated")
    await host.send({"type": "leave"})
    assert (await host.closed_with())[0] == 1000
    await guest.expect("participant_left")

    newcomer, waiting = await join(room, "Nora")
    assert waiting == {"type": "waiting", "v": 1, "officeHours": False}
    back, joined = await join(room, "Hanna", secret=created["hostSecret"])
    assert joined["you"]["role"] == "host"
    lobby = await back.expect("lobby")
    assert [entry["name"] for entry in lobby["waiting"]] == ["Nora"]
    assert await newcomer.nothing_pending()


# --- the lobby ----------------------------------------------------------------------------------


async def test_lobby_ring_admit_and_nothing_before(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Musikschule Geige")
    host, _ = await join(created["room"], "Hanna", secret=created["hostSecret"])
    guest, waiting = await join(created["room"], "Gustav")
    assert waiting == {"type": "waiting", "v": 1, "officeHours": False}
    lobby = await host.expect("lobby")
    assert len(lobby["waiting"]) == 1 and lobby["waiting"][0]["name"] == "Gustav"
    person = lobby["waiting"][0]["id"]
    assert set(lobby["waiting"][0]) == {"id", "name"}
    assert (await host.expect("lobby_ring"))["id"] == person

    # Waiting: no media, no chat, no room state, no host commands.
    refused: list[Message] = [
        {"type": "publish", "sdp": OFFER, "tracks": TRACKS},
        {"type": "subscribe", "sdp": OFFER, "streams": []},
        {"type": "chat", "text": "hallo?"},
        {"type": "media_state", "audio": True, "video": True},
        {"type": "hand", "raised": True},
        {"type": "admit", "id": person},
        {"type": "join", "v": 1, "room": created["room"], "name": "Gustav"},
    ]
    for message in refused:
        await guest.send(message)
        error = await guest.receive()
        assert error["type"] == "error" and error["ref"] == message["type"]
        assert error["code"] in ("in_lobby", "already_joined")
    assert await guest.nothing_pending()
    assert server.media.published == [] and server.media.subscribed == []
    await host.send({"type": "chat", "text": "Nur für Drinnen"})
    await host.expect("chat")
    assert await guest.nothing_pending()

    await host.send({"type": "admit", "id": person})
    joined = await guest.expect("joined")
    assert joined["you"]["id"] == person and joined["you"]["role"] == "guest"
    assert [p["id"] for p in joined["participants"]] == [host.id]
    assert (await host.expect("participant_joined"))["participant"]["id"] == person
    assert (await host.expect("lobby"))["waiting"] == []
    await host.send({"type": "admit", "id": person})
    await host.error("not_waiting")
    await host.send({"type": "admit", "id": "p-nobody"})
    await host.error("unknown_participant")
    # Now in: media and chat work.
    streams = await guest.publish(TRACKS)
    assert set(streams) == {"microphone", "camera"}
    assert joined["resume"]


async def test_lobby_deny_with_a_message(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Sprechzimmer")
    host, _ = await join(created["room"], "Hanna", secret=created["hostSecret"])
    guest, _ = await join(created["room"], "Gustav")
    person = (await host.expect("lobby"))["waiting"][0]["id"]
    await host.expect("lobby_ring")
    await host.send({"type": "deny", "id": person, "message": "Bitte\u202e morgen"})
    await host.error("bad_message")
    assert await guest.nothing_pending()
    await host.send({"type": "deny", "id": person, "message": "Heute leider nicht."})
    assert await guest.expect("denied") == {"type": "denied", "message": "Heute leider nicht."}
    assert await guest.closed_with() == (4002, "denied")
    assert (await host.expect("lobby"))["waiting"] == []


async def test_a_waiting_socket_that_goes_leaves_the_lobby(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Wartezimmer")
    host, _ = await join(created["room"], "Hanna", secret=created["hostSecret"])
    first, _ = await join(created["room"], "Anna")
    second, _ = await join(created["room"], "Ben")
    for _ in range(2):
        await host.expect("lobby")
        await host.expect("lobby_ring")
    await first.socket.close()
    assert [e["name"] for e in (await host.expect("lobby"))["waiting"]] == ["Ben"]
    await second.send({"type": "leave"})
    assert (await second.closed_with())[0] == 1000
    assert (await host.expect("lobby"))["waiting"] == []


async def test_office_hours_queue(server: Server, join: JoinFn) -> None:
    created = await create_room(server)  # a one-click room: the lobby starts off
    room = created["room"]
    host, _ = await join(room, "Amt", secret=created["hostSecret"])
    await host.send({"type": "room_settings", "officeHours": True})
    settings = (await host.expect("room_updated"))["room"]
    assert (settings["officeHours"], settings["lobby"]) == (True, True)

    citizens: list[Client] = []
    for count, name in enumerate(["Anna", "Ben", "Cem"], start=1):
        citizen, waiting = await join(room, name)
        assert waiting == {"type": "waiting", "v": 1, "officeHours": True}
        citizens.append(citizen)
        for place, queued in enumerate(citizens, start=1):
            position = await queued.expect("queue_position")
            assert (position["position"], position["length"]) == (place, count)
        assert len((await host.expect("lobby"))["waiting"]) == count
        await host.expect("lobby_ring")
    anna, ben, cem = citizens
    queue = [entry["id"] for entry in last_of(host, "lobby")["waiting"]]

    # The host takes the first in line; the others move up.
    await host.send({"type": "admit", "id": queue[0]})
    assert (await anna.expect("joined"))["you"]["id"] == queue[0]
    assert (await ben.expect("queue_position"))["position"] == 1
    assert (await cem.expect("queue_position")) == {
        "type": "queue_position",
        "position": 2,
        "length": 2,
    }
    await host.expect("participant_joined")
    await host.expect("lobby")

    # The conversation ends: Anna goes, friendly, and the host is alone again.
    await host.send({"type": "end_conversation", "id": queue[0]})
    assert await anna.expect("conversation_ended") == {"type": "conversation_ended"}
    assert await anna.closed_with() == (4002, "conversation_ended")
    assert (await host.expect("participant_left"))["id"] == queue[0]

    # Anyone may be taken, not only the next.
    await host.send({"type": "admit", "id": queue[2]})
    assert (await cem.expect("joined"))["participants"][0]["id"] == host.id
    assert (await ben.expect("queue_position"))["length"] == 1
    # Nobody waiting learnt anything about the others.
    for citizen in (anna, ben, cem):
        before_joined = []
        for frame in citizen.frames:
            if json.loads(frame)["type"] == "joined":
                break
            before_joined.append(frame)
        kinds = {json.loads(frame)["type"] for frame in before_joined}
        assert kinds <= {"waiting", "queue_position", "pong", "error"}
        for other in ("Anna", "Ben", "Cem"):
            assert all(other not in frame for frame in before_joined)


def shared_frames(client: Client) -> list[str]:
    """Every frame the client received but its private ``host_secrets``."""
    return [frame for frame in client.frames if json.loads(frame)["type"] != "host_secrets"]


def last_of(client: Client, kind: str) -> Message:
    """The last message of this type the client received."""
    messages: list[Message] = [json.loads(frame) for frame in client.frames]
    matching = [message for message in messages if message["type"] == kind]
    assert matching, f"no {kind} received"
    return matching[-1]


# --- protection ---------------------------------------------------------------------------------


async def test_password(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room, password = created["room"], "Geige-2026!"
    await host.send({"type": "set_password", "password": password})
    updated = (await host.expect("room_updated"))["room"]
    assert updated["hasPassword"] is True
    assert (await guest.expect("room_updated"))["room"] == updated

    late, refused = await join(room, "Lena")
    assert refused["code"] == "password_required"
    assert await late.closed_with() == (4000, "password_required")
    late, refused = await join(room, "Lena", password="geige-2026!")
    assert refused["code"] == "wrong_password"
    assert await late.closed_with() == (4000, "wrong_password")
    late, joined = await join(room, "Lena", password=password)
    assert joined["type"] == "joined" and joined["room"]["hasPassword"] is True
    # The host passes without it.
    _, again = await join(room, "Hanna 2", secret=created["hostSecret"])
    assert again["you"]["role"] == "host"
    await host.expect("participant_joined")
    await host.expect("participant_joined")
    for client in (host, guest, late):
        assert all(password not in frame for frame in client.frames)
    for client in (guest, late):
        assert all(created["hostSecret"] not in frame for frame in client.frames)
    # The host's own secret reaches the host only in its private ``host_secrets``.
    assert all(created["hostSecret"] not in frame for frame in shared_frames(host))

    await host.send({"type": "set_password", "password": None})
    assert (await host.expect("room_updated"))["room"]["hasPassword"] is False
    _, free = await join(room, "Mia")
    assert free["type"] == "joined"


async def test_wrong_passwords_are_rate_limited(server: Server, join: JoinFn) -> None:
    created, host, _ = await host_and_guest(server, join)
    await host.send({"type": "set_password", "password": "richtig!"})
    await host.expect("room_updated")
    for attempt in range(10):
        _, refused = await join(created["room"], "Rate", password=f"falsch-{attempt}")
        assert refused["code"] == "wrong_password"
    _, limited = await join(created["room"], "Rate", password="falsch")
    assert limited["code"] == "rate_limited"
    _, limited = await join(created["room"], "Rate", password="richtig!")
    assert limited["code"] == "rate_limited"  # even the right one, until the limit refills
    # Another room's password is not limited by it.
    other, other_host, _ = await host_and_guest(server, join)
    await other_host.send({"type": "set_password", "password": "anders!!"})
    await other_host.expect("room_updated")
    _, joined = await join(other["room"], "Rate", password="anders!!")
    assert joined["type"] == "joined"


async def test_lock(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    await host.send({"type": "room_settings", "locked": True})
    assert (await host.expect("room_updated"))["room"]["locked"] is True
    await guest.expect("room_updated")

    late, refused = await join(room, "Lena")
    assert refused["code"] == "room_locked"
    assert await late.closed_with() == (4000, "room_locked")
    # Not even into the lobby.
    await host.send({"type": "room_settings", "lobby": True})
    await host.expect("room_updated")
    await guest.expect("room_updated")
    late, refused = await join(room, "Lena")
    assert refused["code"] == "room_locked"

    # Someone who only lost their socket may come back; a host always can.
    token = last_of(guest, "joined")["resume"]
    await guest.socket.close()
    _, resumed = await join(room, "Gustav", resume=token)
    assert resumed["type"] == "joined" and resumed["resumed"] is True
    _, host_again = await join(room, "Hanna", secret=created["hostSecret"])
    assert host_again["type"] == "joined"


# --- muting, video, settings for guests -----------------------------------------------------------


async def test_mute_and_unmute_only_when_allowed(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    streams = await guest.publish(TRACKS)
    for _ in range(2):
        await host.expect("stream_added")
        await guest.expect("stream_added")
    await host.send({"type": "room_settings", "unmuteAllowed": False})
    await host.expect("room_updated")
    await guest.expect("room_updated")

    await host.send({"type": "mute", "id": guest.id})
    assert await guest.expect("muted_by_host") == {"type": "muted_by_host"}
    own = (await guest.expect("participant_updated"))["participant"]
    assert (own["mutedByHost"], own["audio"]) == (True, False)
    assert (await host.expect("participant_updated"))["participant"]["mutedByHost"] is True
    assert server.media.forwarding == [(room, streams["microphone"], False)]

    # Not allowed to unmute: nothing changes, not even by claiming audio.
    await guest.send({"type": "unmute"})
    await guest.error("unmute_not_allowed")
    await guest.send({"type": "media_state", "audio": True, "video": True})
    assert (await host.expect("participant_updated"))["participant"]["audio"] is False
    await guest.expect("participant_updated")
    # Re-publishing the microphone does not get around it.
    await guest.publish(TRACKS)
    assert server.media.forwarding[-1] == (room, streams["microphone"], False)
    assert all(enabled is False for _, _, enabled in server.media.forwarding)

    # The guest asks with a raised hand; the host allows; the guest unmutes.
    await guest.send({"type": "hand", "raised": True})
    await guest.expect("participant_updated")
    await host.expect("participant_updated")
    await host.send({"type": "allow_unmute", "id": guest.id})
    assert await guest.expect("unmute_allowed") == {"type": "unmute_allowed"}
    assert (await guest.expect("participant_updated"))["participant"]["hand"] is False
    await host.expect("participant_updated")
    await guest.send({"type": "unmute"})
    assert (await guest.expect("participant_updated"))["participant"]["mutedByHost"] is False
    assert server.media.forwarding[-1] == (room, streams["microphone"], True)


async def test_mute_all_mutes_every_guest_but_no_host(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    second, _ = await join(room, "Zweite")
    cohost, _ = await join(room, "Conny", secret=created["cohostSecret"])
    mics = {}
    for client in (guest, second, cohost):
        mics[client.id] = (await client.publish(TRACKS))["microphone"]
    await host.send({"type": "mute_all"})
    for client in (guest, second):
        await client.next_of("muted_by_host")
    assert {(stream, enabled) for _, stream, enabled in server.media.forwarding} == {
        (mics[guest.id], False),
        (mics[second.id], False),
    }
    assert all(json.loads(f)["type"] != "muted_by_host" for f in cohost.frames)


async def test_stop_video_and_guest_settings(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    streams = await guest.publish(WITH_SCREEN)
    await host.send({"type": "stop_video", "id": guest.id, "source": "screen"})
    assert await guest.next_of("video_stopped") == {"type": "video_stopped", "source": "screen"}
    assert server.media.forwarding == [(room, streams["screen"], False)]

    await host.send({"type": "room_settings", "screenShareAllowed": False, "chatAllowed": False})
    room_info = (await host.next_of("room_updated"))["room"]
    assert (room_info["screenShareAllowed"], room_info["chatAllowed"]) == (False, False)
    # The guest ends the screen share, and may not start a new one nor chat.
    await guest.publish(TRACKS)
    await guest.send({"type": "publish", "sdp": OFFER, "tracks": WITH_SCREEN})
    assert (await guest.next_of("error"))["code"] == "screen_share_not_allowed"
    await guest.send({"type": "chat", "text": "darf ich?"})
    await guest.error("chat_not_allowed")
    await host.send({"type": "chat", "text": "Ich darf."})
    assert (await guest.next_of("chat"))["text"] == "Ich darf."


# --- removal and the end --------------------------------------------------------------------------


async def test_a_removed_participant_cannot_come_back_alone(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    token = last_of(guest, "joined")["resume"]
    await host.send({"type": "remove", "id": guest.id})
    assert await guest.expect("removed") == {"type": "removed"}
    assert await guest.closed_with() == (4002, "removed")
    assert (await host.expect("participant_left"))["id"] == guest.id
    assert (await host.expect("room_updated"))["room"]["lobby"] is True
    assert (room, guest.id) in server.media.removed

    again, refused = await join(room, "Gustav", resume=token)
    assert refused["code"] == "removed"
    assert await again.closed_with() == (4000, "removed")
    _, waiting = await join(room, "Gustav")
    assert waiting["type"] == "waiting"
    assert (await host.expect("lobby"))["waiting"][0]["name"] == "Gustav"


async def test_end_meeting(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join, "Elternabend")
    room = created["room"]
    await host.send({"type": "room_settings", "lobby": True})
    await host.expect("room_updated")
    waiting, _ = await join(room, "Spät")
    await host.send({"type": "end_meeting"})
    for client in (host, guest, waiting):
        await client.next_of("meeting_ended")
        assert await client.closed_with() == (4002, "meeting_ended")
    assert room in server.media.closed_rooms
    # The meeting is over; the room stands: its name is still nobody else's, and its host
    # link still makes its holder host.
    async with httpx.AsyncClient(base_url=server.url) as http:
        again = await http.post("/api/rooms", json={"name": "Elternabend"})
    assert (again.status_code, again.json()) == (409, {"error": "room_taken"})
    _, back = await join(room, "Hanna", secret=created["hostSecret"], secrets_known=False)
    assert (back["you"]["role"], back["participants"]) == ("host", [])


# --- bad input ----------------------------------------------------------------------------------


def host_commands(target: str, waiting: str) -> list[Message]:
    return [
        {"type": "room_settings", "lobby": True, "locked": True, "officeHours": True},
        {"type": "set_password", "password": "meins"},
        {"type": "admit", "id": waiting},
        {"type": "deny", "id": waiting, "message": "nein"},
        {"type": "end_conversation", "id": target},
        {"type": "mute", "id": target},
        {"type": "mute_all"},
        {"type": "allow_unmute", "id": target},
        {"type": "stop_video", "id": target, "source": "camera"},
        {"type": "remove", "id": target},
        {"type": "set_role", "id": target, "role": "host"},
        {"type": "end_meeting"},
    ]


async def test_host_commands_from_a_guest_change_nothing(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    other, _ = await join(room, "Olga")
    await host.expect("participant_joined")
    await guest.expect("participant_joined")
    await other.publish(TRACKS)
    await host.send({"type": "room_settings", "lobby": True})
    for client in (host, guest, other):
        await client.next_of("room_updated")
    waiting, _ = await join(room, "Wanda")
    person = (await host.expect("lobby"))["waiting"][0]["id"]
    await host.expect("lobby_ring")

    for command in host_commands(other.id, person):
        await guest.send(command)
        error = await guest.error("not_host")
        assert error["ref"] == command["type"]
    # A forged claim of being the host is just an unknown field.
    await guest.send({"type": "mute", "id": other.id, "role": "host"})
    await guest.error("bad_message")
    for client in (host, guest, other, waiting):
        assert await client.nothing_pending()
    assert server.media.forwarding == [] and server.media.removed == []
    _, joined = await join(room, "Hanna", secret=created["hostSecret"])
    assert joined["room"]["locked"] is False and joined["room"]["hasPassword"] is False


async def test_commands_about_other_rooms_change_nothing(server: Server, join: JoinFn) -> None:
    _, host, _ = await host_and_guest(server, join)
    other_room, other_host, stranger = await host_and_guest(server, join)
    await other_host.send({"type": "room_settings", "lobby": True})
    await other_host.expect("room_updated")
    await stranger.expect("room_updated")
    elsewhere, _ = await join(other_room["room"], "Wanda")
    person = (await other_host.expect("lobby"))["waiting"][0]["id"]
    await other_host.expect("lobby_ring")

    for command in host_commands(stranger.id, person):
        if command["type"] in ("mute_all", "end_meeting", "room_settings", "set_password"):
            continue  # commands about the own room only
        await host.send(command)
        error = await host.error("unknown_participant")
        assert error["ref"] == command["type"]
    for client in (other_host, stranger, elsewhere):
        assert await client.nothing_pending()
    assert server.media.forwarding == [] and server.media.removed == []


async def test_secrets_reach_nobody(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join, "Geheimrat")
    room = created["room"]
    cohost, _ = await join(room, "Conny", secret=created["cohostSecret"])
    await host.send({"type": "set_password", "password": "Pa55wort"})
    await host.send({"type": "room_settings", "lobby": True})
    await host.drain()  # both took effect (a password is hashed for the store first)
    late, _ = await join(room, "Lena", password="Pa55wort")
    person = None
    while person is None:
        message = await host.receive()
        if message["type"] == "lobby" and message["waiting"]:
            person = message["waiting"][0]["id"]
    await host.send({"type": "admit", "id": person})
    await late.expect("joined")
    for client in (host, guest, cohost, late):
        await client.drain()
    secrets = (created["hostSecret"], created["cohostSecret"], "Pa55wort")
    for client in (guest, late):
        assert all(secret not in frame for frame in client.frames for secret in secrets)
    # Hosts and co-hosts get secrets only in their own ``host_secrets``, and a co-host never
    # the host's.
    for client in (host, cohost):
        assert all(secret not in frame for frame in shared_frames(client) for secret in secrets)
    assert all(created["hostSecret"] not in frame for frame in cohost.frames)
    assert all("Pa55wort" not in frame for frame in host.frames + cohost.frames)


async def test_a_plain_client_in_a_one_click_room_sees_what_it_always_saw(
    server: Server, join: JoinFn
) -> None:
    """``Videotreffen starten``: the room is created, everyone joins without any secret."""
    created = await create_room(server)
    anna, anna_joined = await join(created["room"], "Anna")
    ben, ben_joined = await join(created["room"], "Ben")
    assert anna_joined["type"] == ben_joined["type"] == "joined"
    assert (await anna.expect("participant_joined"))["participant"]["id"] == ben.id
    await ben.send({"type": "chat", "text": "Hallo"})
    assert (await anna.expect("chat"))["from"] == ben.id
    assert isinstance(server.media, RecordingMedia)


async def test_switching_the_lobby_off_lets_everyone_in(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Offene Tür")
    host, _ = await join(created["room"], "Hanna", secret=created["hostSecret"])
    waiting = [(await join(created["room"], name))[0] for name in ("Anna", "Ben")]
    await host.send({"type": "room_settings", "lobby": False})
    assert (await host.next_of("room_updated"))["room"]["lobby"] is False
    for client in waiting:
        joined = await client.next_of("joined")
        assert joined["room"]["lobby"] is False and joined["you"]["role"] == "guest"
    await host.drain()
    assert last_of(host, "lobby")["waiting"] == []
    _, direct = await join(created["room"], "Cem")
    assert direct["type"] == "joined"


async def test_waiting_is_not_a_join_timeout(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Geduld")
    await join(created["room"], "Hanna", secret=created["hostSecret"])
    guest, waiting = await join(created["room"], "Gustav")
    assert waiting["type"] == "waiting"
    await asyncio.sleep(2.5)  # longer than this server's join timeout of 2 s
    assert await guest.nothing_pending()


# --- roles that hold ------------------------------------------------------------------------------


async def test_a_removed_cohost_cannot_come_back_with_the_cohost_link(
    server: Server, join: JoinFn
) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    cohost, _ = await join(room, "Conny", secret=created["cohostSecret"])
    await host.next_of("participant_joined")
    await host.send({"type": "remove", "id": cohost.id})
    await cohost.next_of("removed")
    new_secret = (await host.next_of("host_secrets"))["cohostSecret"]
    assert new_secret != created["cohostSecret"]
    assert (await host.next_of("room_updated"))["room"]["lobby"] is True

    # Back at once with the link they hold: only the doorbell, no role.
    again, answer = await join(room, "Conny", secret=created["cohostSecret"])
    assert answer["type"] == "waiting"
    await again.send({"type": "remove", "id": guest.id})
    await again.error("in_lobby")
    # The new co-host link works, and only the host learnt it.
    _, fresh = await join(room, "Cora", secret=new_secret)
    assert fresh["you"]["role"] == "cohost"
    assert all(new_secret not in frame for frame in guest.frames + cohost.frames)


async def test_a_demoted_cohost_stays_guest_after_resuming_or_rejoining(
    server: Server, join: JoinFn
) -> None:
    created, host, _ = await host_and_guest(server, join)
    room = created["room"]
    cohost, joined = await join(room, "Conny", secret=created["cohostSecret"])
    token = joined["resume"]
    await host.next_of("participant_joined")
    await host.send({"type": "set_role", "id": cohost.id, "role": "guest"})
    assert (await cohost.next_of("participant_updated"))["participant"]["role"] == "guest"
    await host.next_of("host_secrets")

    # The page resumes with the co-host secret it still holds: the demotion holds.
    await cohost.socket.close()
    resumed, answer = await join(room, "Conny", secret=created["cohostSecret"], resume=token)
    assert (answer["resumed"], answer["you"]["role"]) == (True, "guest")
    await resumed.send({"type": "mute_all"})
    await resumed.error("not_host")
    # Leaving and joining afresh with the old link gives no role either.
    await resumed.send({"type": "leave"})
    await resumed.closed_with()
    _, fresh = await join(room, "Conny", secret=created["cohostSecret"])
    assert fresh["you"]["role"] == "guest"


async def test_a_hand_over_holds_and_rotates_the_host_secret(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    token = last_of(host, "joined")["resume"]
    await host.send({"type": "set_role", "id": guest.id, "role": "host"})
    mine = await host.next_of("host_secrets")
    theirs = await guest.next_of("host_secrets")
    # The former host now joins as co-host; the new host alone holds the new host secret.
    assert mine["secret"] == mine["cohostSecret"] == theirs["cohostSecret"]
    assert theirs["secret"] not in (created["hostSecret"], mine["secret"])
    assert all(theirs["secret"] not in frame for frame in host.frames)

    await host.socket.close()
    back, answer = await join(room, "Hanna", secret=created["hostSecret"], resume=token)
    assert (answer["resumed"], answer["you"]["role"]) == (True, "cohost")
    hosts = [p for p in [answer["you"], *answer["participants"]] if p["role"] == "host"]
    assert [p["id"] for p in hosts] == [guest.id]
    # The old host link makes nobody host any more; the new one does.
    _, stale = await join(room, "Fremd", secret=created["hostSecret"])
    assert stale["you"]["role"] == "guest"
    _, fresh = await join(room, "Gustav 2", secret=theirs["secret"])
    assert fresh["you"]["role"] == "host"
    await back.drain()


async def test_room_passwords_have_at_least_eight_characters(server: Server, join: JoinFn) -> None:
    created, host, guest = await host_and_guest(server, join)
    await host.send({"type": "set_password", "password": "1234567"})
    refused = await host.error("password_too_short")
    assert refused["ref"] == "set_password"
    assert await guest.nothing_pending()
    _, joined = await join(created["room"], "Ohne")
    assert joined["type"] == "joined"  # still no password


async def test_wrong_password_counts_end_with_the_meeting(server: Server, join: JoinFn) -> None:
    created = await create_room(server, "Elternabend 3b")
    for attempt in range(2):
        host, _ = await join(
            created["room"], "Hanna", secret=created["hostSecret"], secrets_known=attempt == 0
        )
        await host.send({"type": "room_settings", "lobby": False})
        await host.send({"type": "set_password", "password": "Sonnenblume"})
        await host.drain()
        if attempt == 0:
            for wrong in range(11):
                await join(created["room"], "Rate", password=f"falsch-{wrong}")
            _, limited = await join(created["room"], "Rate", password="Sonnenblume")
            assert limited["code"] == "rate_limited"
            await host.send({"type": "end_meeting"})
            await host.closed_with()
        else:
            # The room stands, the meeting is a new one: its counts start afresh.
            _, joined = await join(created["room"], "Rate", password="Sonnenblume")
            assert joined["type"] == "joined"


async def test_guessing_from_many_addresses_switches_the_lobby_on(
    server: Server, join: JoinFn, clients: list[Client]
) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    await host.send({"type": "set_password", "password": "Sonnenblume"})
    await host.expect("room_updated")
    await guest.expect("room_updated")

    async def try_from(address: str, password: str) -> Message:
        socket = await connect(server.url.replace("http", "ws") + "/ws", local_addr=(address, 0))
        client = Client(socket)
        clients.append(client)
        await client.send(
            {"type": "join", "v": 1, "room": room, "name": "Rater", "password": password}
        )
        return await client.receive()

    codes = []
    for index in range(31):  # 8 wrong tries from each of four addresses: under each one's limit
        answer = await try_from(f"127.0.0.{10 + index // 8}", f"falsch-{index}")
        codes.append(answer.get("code"))
    assert set(codes) == {"wrong_password"}
    assert (await host.next_of("room_updated"))["room"]["lobby"] is True
    await host.next_of("password_guessing")
    # From now on the right password leads to the doorbell, where a host decides.
    assert (await try_from("127.0.0.20", "Sonnenblume"))["type"] == "waiting"
    assert (await host.next_of("lobby_ring"))["type"] == "lobby_ring"
    assert all("password_guessing" not in frame for frame in guest.frames)


async def test_secrets_replaced_while_a_cohost_was_away_reach_them_on_resume(
    server: Server, join: JoinFn
) -> None:
    created, host, _ = await host_and_guest(server, join)
    room = created["room"]
    bea, joined = await join(room, "Bea", secret=created["cohostSecret"])
    token = joined["resume"]
    cem, _ = await join(room, "Cem", secret=created["cohostSecret"])
    await host.drain()
    await bea.socket.close()  # Bea's connection drops...
    await host.send({"type": "remove", "id": cem.id})  # ...while Cem is removed
    new_secret = (await host.next_of("host_secrets"))["cohostSecret"]
    back, answer = await join(room, "Bea", secret=created["cohostSecret"], resume=token)
    assert (answer["resumed"], answer["you"]["role"]) == (True, "cohost")
    assert back.secrets is not None and back.secrets["secret"] == new_secret
    # Her page reloads and joins afresh with what it was sent: still co-host.
    _, fresh = await join(room, "Bea", secret=new_secret)
    assert fresh["you"]["role"] == "cohost"


async def test_a_removed_host_holds_no_secret_that_works(server: Server, join: JoinFn) -> None:
    """Two people opened the host link; one removes the other. The removed one knew the host
    secret and (from ``host_secrets``) the co-host secret: neither brings them back."""
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    second, joined = await join(room, "Henrike", secret=created["hostSecret"])
    assert joined["you"]["role"] == "host"
    assert second.secrets is not None
    assert second.secrets["cohostSecret"] == created["cohostSecret"]
    cohost, _ = await join(room, "Conny", secret=created["cohostSecret"])
    await host.drain()
    await cohost.drain()

    await host.send({"type": "remove", "id": second.id})
    await second.next_of("removed")
    mine = await host.next_of("host_secrets")
    theirs = await cohost.next_of("host_secrets")
    assert mine["secret"] != created["hostSecret"]
    assert mine["cohostSecret"] == theirs["cohostSecret"] == theirs["secret"]
    assert mine["cohostSecret"] != created["cohostSecret"]

    for secret in (created["hostSecret"], created["cohostSecret"]):
        again, answer = await join(room, "Henrike", secret=secret)
        assert answer["type"] == "waiting", "only the doorbell, no role"
        await again.send({"type": "remove", "id": guest.id})
        await again.error("in_lobby")
    # Those who keep their role rejoin with what they were sent.
    _, host_again = await join(room, "Hanna 2", secret=mine["secret"])
    _, cohost_again = await join(room, "Conny 2", secret=theirs["secret"])
    assert (host_again["you"]["role"], cohost_again["you"]["role"]) == ("host", "cohost")
    assert all(mine["secret"] not in frame for frame in guest.frames + cohost.frames)
    for secret in (mine["secret"], mine["cohostSecret"]):
        assert all(secret not in frame for frame in guest.frames + second.frames)


async def test_a_hand_over_gives_the_new_host_secret_to_every_host_but_the_giver(
    server: Server, join: JoinFn
) -> None:
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    second, _ = await join(room, "Henrike", secret=created["hostSecret"])
    cohost, _ = await join(room, "Conny", secret=created["cohostSecret"])
    for client in (host, second, cohost, guest):
        await client.drain()

    await host.send({"type": "set_role", "id": guest.id, "role": "host"})
    mine = await host.next_of("host_secrets")
    new_host = await guest.next_of("host_secrets")
    other_host = await second.next_of("host_secrets")
    assert new_host["secret"] == other_host["secret"] != created["hostSecret"]
    assert mine["secret"] == created["cohostSecret"], "the giver is co-host now"
    await cohost.drain()
    assert last_of(cohost, "host_secrets") == cohost.secrets, "a co-host's secret is the same"
    assert all(new_host["secret"] not in frame for frame in host.frames + cohost.frames)
    _, again = await join(room, "Henrike 2", secret=other_host["secret"])
    assert again["you"]["role"] == "host"


async def test_every_host_join_brings_the_current_cohost_link(server: Server, join: JoinFn) -> None:
    """A co-host removed another co-host while the host was away: the host's page, back with
    the host link, learns the new co-host secret at once (its copy button must not hand out a
    dead link). A guest never gets ``host_secrets``."""
    created, host, guest = await host_and_guest(server, join)
    room = created["room"]
    assert host.secrets is not None and host.secrets["cohostSecret"] == created["cohostSecret"]
    bea, _ = await join(room, "Bea", secret=created["cohostSecret"])
    assert bea.secrets is not None and bea.secrets["secret"] == created["cohostSecret"]
    cem, _ = await join(room, "Cem", secret=created["cohostSecret"])
    await host.send({"type": "leave"})
    await host.closed_with()
    await bea.drain()

    await bea.send({"type": "remove", "id": cem.id})
    new_cohost = (await bea.next_of("host_secrets"))["cohostSecret"]
    assert new_cohost != created["cohostSecret"]
    back, joined = await join(room, "Hanna", secret=created["hostSecret"])
    assert joined["you"]["role"] == "host"
    assert back.secrets is not None
    assert (back.secrets["secret"], back.secrets["cohostSecret"]) == (
        created["hostSecret"],
        new_cohost,
    )
    await guest.drain()
    assert all("host_secrets" not in frame for frame in guest.frames)
