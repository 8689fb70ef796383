"""Host actions against the real server and its real SFU workers (``python -m klingel serve``).

A host mute stops the forwarding of the muted microphone in the SFU: the audio packets another
participant receives stop growing while the video goes on, and grow again after the unmute.
The server's log holds none of the secrets, passwords, names or room names used here.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_hosts_media.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from support.recording_client import Client
from websockets.asyncio.client import connect
from websockets.typing import Origin

from klingel.protocol.messages import ParticipantUpdated
from klingel.protocol.moderation import MutedByHost
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.server_process import ServerProcess

Message = dict[str, Any]
SDP_FIXTURES = Path(__file__).parents[1] / "fixtures" / "sdp"
PUBLISH_OFFER = (SDP_FIXTURES / "chromium_publish_audio_video.sdp").read_text()
TRACKS = [
    {"mid": "0", "kind": "audio", "source": "microphone"},
    {"mid": "1", "kind": "video", "source": "camera"},
]


@pytest_asyncio.fixture
async def sockets(server: str) -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    for client in opened:
        await client.socket.close()


async def create_room(server: str, name: str | None = None) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server) as http:
        response = await http.post("/api/rooms", json={"name": name} if name else {})
    assert response.status_code == 200, response.text
    created: dict[str, str] = response.json()
    return created


async def open_socket(server: str, opened: list[Client], join: Message) -> tuple[Client, Message]:
    socket = await connect(server.replace("http", "ws") + "/ws", origin=Origin(server))
    client = Client(socket)
    opened.append(client)
    await client.send({"type": "join", "v": 1, **join})
    answer = await client.receive()
    if answer["type"] == "joined":
        client.id = answer["you"]["id"]
    return client, answer


async def test_a_host_mute_stops_the_audio_others_receive(
    server: str, test_media: Path, sockets: list[Client]
) -> None:
    created = await create_room(server)
    room = created["room"]
    host, joined = await open_socket(
        server, sockets, {"room": room, "name": "Hanna", "hostSecret": created["hostSecret"]}
    )
    assert joined["you"]["role"] == "host"
    anna = ProtocolClient(server, room, "Anna")
    ben = ProtocolClient(server, room, "Ben")
    try:
        await anna.join()
        await ben.join()
        await anna.publish_file(test_media)
        await wait_until(lambda: len(ben.others_streams()) == 2, message="Ben sees Anna's streams")
        streams = ben.others_streams()
        audio = next(s for s, info in streams.items() if info.kind == "audio")
        video = next(s for s, info in streams.items() if info.kind == "video")
        before = await ben.wait_receiving([audio, video])
        await ben.wait_receiving(before)  # both keep flowing before the mute

        await host.send({"type": "mute", "id": str(anna.participant_id)})
        await anna.wait_for(MutedByHost)
        # Anna's own media_state after publishing may come first.
        updated = await host.next_of("participant_updated")
        while not updated["participant"]["mutedByHost"]:
            updated = await host.next_of("participant_updated")
        assert updated["participant"]["id"] == str(anna.participant_id)

        # Packets in flight at the switch have arrived once more video has.
        settled = await ben.wait_receiving({video: (await ben.received())[video]})
        later = settled
        for _ in range(3):
            later = await ben.wait_receiving({video: later[video]})
        assert later[audio].packets == settled[audio].packets
        assert later[video].packets > settled[video].packets

        # The room allows unmuting by default: forwarding is back.
        await anna.unmute()
        await anna.wait_for(
            ParticipantUpdated, lambda m: m.participant.you and not m.participant.muted_by_host
        )
        again = await ben.wait_receiving({audio: later[audio]})
        assert again[audio].packets > later[audio].packets
    finally:
        for bot in (anna, ben):
            await bot.close()


async def test_host_actions_reach_the_real_worker(server: str, sockets: list[Client]) -> None:
    created = await create_room(server)
    room = created["room"]
    host, _ = await open_socket(
        server, sockets, {"room": room, "name": "Hanna", "hostSecret": created["hostSecret"]}
    )
    guest, _ = await open_socket(server, sockets, {"room": room, "name": "Gustav"})
    # Muted before publishing: the microphone published later is not forwarded either.
    await host.send({"type": "mute", "id": guest.id})
    await guest.next_of("muted_by_host")
    await guest.send({"type": "publish", "sdp": PUBLISH_OFFER, "tracks": TRACKS})
    answer = await guest.next_of("publish_answer")
    assert len(answer["tracks"]) == 2
    await host.send({"type": "stop_video", "id": guest.id, "source": "camera"})
    assert (await guest.next_of("video_stopped"))["source"] == "camera"
    await guest.send({"type": "unmute"})
    mine = await guest.next_of("participant_updated")
    while mine["participant"]["mutedByHost"]:
        mine = await guest.next_of("participant_updated")
    for client in (host, guest):
        await client.drain()
        assert all(json.loads(frame)["type"] != "error" for frame in client.frames)


async def test_secrets_and_names_stay_out_of_the_log(
    server: str, server_process: ServerProcess, sockets: list[Client]
) -> None:
    marker = uuid.uuid4().hex
    created = await create_room(server, f"Raum {marker}")
    room = created["room"]
    assert marker in room
    host, _ = await open_socket(
        server,
        sockets,
        {"room": room, "name": f"Host{marker}", "hostSecret": created["hostSecret"]},
    )
    cohost, _ = await open_socket(
        server,
        sockets,
        {"room": room, "name": f"Co{marker}", "hostSecret": created["cohostSecret"]},
    )
    password = f"Pw{marker}"
    await host.send({"type": "set_password", "password": password})
    await host.next_of("room_updated")
    wrong, refused = await open_socket(
        server, sockets, {"room": room, "name": f"Wrong{marker}", "password": f"x{marker}"}
    )
    assert refused["code"] == "wrong_password"
    denied, waiting = await open_socket(
        server, sockets, {"room": room, "name": f"Denied{marker}", "password": password}
    )
    assert waiting["type"] == "waiting"
    person = (await host.next_of("lobby_ring"))["id"]
    await host.send({"type": "deny", "id": person, "message": f"Nein{marker}"})
    assert (await denied.next_of("denied"))["message"] == f"Nein{marker}"
    guest, _ = await open_socket(
        server, sockets, {"room": room, "name": f"Guest{marker}", "password": password}
    )
    person = (await host.next_of("lobby_ring"))["id"]
    await host.send({"type": "admit", "id": person})
    joined = await guest.next_of("joined")
    await guest.send({"type": "chat", "text": f"Chat{marker}"})
    await host.send({"type": "mute", "id": person})
    await host.send({"type": "remove", "id": person})
    await guest.next_of("removed")
    await host.send({"type": "end_meeting"})
    await cohost.next_of("meeting_ended")

    log = server_process.log_path.read_text(encoding="utf-8", errors="replace")
    for secret in (
        marker,
        created["hostSecret"],
        created["cohostSecret"],
        joined["resume"],
        "127.0.0.1 -",
    ):
        assert secret not in log
    assert "ended a meeting" in log  # the log was written to, and holds counts only
    del wrong
