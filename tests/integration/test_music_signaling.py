"""Music mode over real WebSockets (docs/music-mode.md): a participant's own switch reaches
everyone in their participant entry, a host's switch for the room reaches everyone in the
room's settings, and what is refused changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from support.recording_client import Client, Sockets
from support.signaling_server import Message, Server, running_server

from klingel.config import Settings


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server(Settings(room_capacity=8)) as running:
        yield running


async def join(
    sockets: Sockets, room: str, name: str, secret: str | None = None
) -> tuple[Client, Message]:
    fields = {} if secret is None else {"hostSecret": secret}
    client, joined = await sockets.join(room, name, **fields)
    assert joined["type"] == "joined", joined
    if joined["you"]["role"] != "guest":
        client.secrets = await client.expect("host_secrets")
    return client, joined


async def test_own_music_mode_reaches_everyone(sockets: Sockets) -> None:
    anna, joined = await join(sockets, "musikschule", "Anna")
    assert joined["you"]["music"] is False and joined["room"]["music"] is False
    ben, _ = await join(sockets, "musikschule", "Ben")
    await anna.next_of("participant_joined")

    await anna.send({"type": "music", "on": True})
    mine = await anna.next_of("participant_updated")
    theirs = await ben.next_of("participant_updated")
    assert mine["participant"]["id"] == anna.id and mine["participant"]["you"] is True
    assert mine["participant"]["music"] is True
    assert theirs["participant"] == {**mine["participant"], "you": False}

    # A newcomer learns it from `joined`.
    _, cem = await join(sockets, "musikschule", "Cem")
    (entry,) = [p for p in cem["participants"] if p["id"] == anna.id]
    assert entry["music"] is True

    await anna.send({"type": "music", "on": False})
    off = await ben.next_of("participant_updated")
    assert off["participant"]["id"] == anna.id and off["participant"]["music"] is False


async def test_a_bad_music_message_changes_nothing(sockets: Sockets) -> None:
    anna, _ = await join(sockets, "geige", "Anna")
    for bad in ({"type": "music"}, {"type": "music", "on": "yes"}, {"type": "music", "on": 1}):
        await anna.send(bad)
        assert (await anna.error("bad_message"))["ref"] == "music"
    assert await anna.nothing_pending()
    _, ben = await join(sockets, "geige", "Ben")
    (entry,) = [p for p in ben["participants"] if p["id"] == anna.id]
    assert entry["music"] is False


async def test_a_host_switches_music_mode_for_the_room(server: Server, sockets: Sockets) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = (await http.post("/api/rooms", json={})).json()
    room = created["room"]
    host, joined = await join(sockets, room, "Frau Weber", created["hostSecret"])
    if joined["room"]["lobby"]:
        await host.send({"type": "room_settings", "lobby": False})
        await host.next_of("room_updated")
    pupil, _ = await join(sockets, room, "Mia")

    # A guest may not; nothing changes.
    await pupil.send({"type": "room_settings", "music": True})
    assert (await pupil.error("not_host"))["ref"] == "room_settings"

    await host.send({"type": "room_settings", "music": True})
    for client in (host, pupil):
        updated = await client.next_of("room_updated")
        assert updated["room"]["music"] is True
    _, late = await join(sockets, room, "Noah")
    assert late["room"]["music"] is True

    await host.send({"type": "room_settings", "music": False})
    assert (await pupil.next_of("room_updated"))["room"]["music"] is False


async def test_a_host_switches_music_mode_for_one_participant(
    server: Server, sockets: Sockets
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = (await http.post("/api/rooms", json={})).json()
    room = created["room"]
    host, joined = await join(sockets, room, "Frau Weber", created["hostSecret"])
    if joined["room"]["lobby"]:
        await host.send({"type": "room_settings", "lobby": False})
        await host.next_of("room_updated")
    mia, _ = await join(sockets, room, "Mia")
    noah, _ = await join(sockets, room, "Noah")

    await host.send({"type": "music_for", "id": mia.id, "on": True})
    assert await mia.next_of("music_by_host") == {"type": "music_by_host", "on": True}
    assert await noah.nothing_pending(), "only Mia hears of it"

    # Refused, and nothing reaches anyone.
    await mia.send({"type": "music_for", "id": noah.id, "on": True})
    assert (await mia.error("not_host"))["ref"] == "music_for"
    await host.send({"type": "music_for", "id": "p-nobody", "on": True})
    assert (await host.next_of("error"))["code"] == "unknown_participant"
    await host.send({"type": "music_for", "id": host.id, "on": True})
    assert (await host.next_of("error"))["code"] == "not_allowed"
    await host.send({"type": "music_for", "id": mia.id, "on": "yes"})
    assert (await host.next_of("error"))["code"] == "bad_message"
    assert await noah.nothing_pending()
    assert await mia.nothing_pending()
