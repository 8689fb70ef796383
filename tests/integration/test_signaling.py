"""The signaling server driven over real WebSockets: the app served by uvicorn on 127.0.0.1.

Here the SFU is replaced by a recorder, so that each test can check exactly what signaling asked
of it (tracks, stream ids, removals) and feed it events on cue; no media flows. The same paths
run against the real SFU worker in ``test_signaling_media.py`` and, with real browsers, in
``tests/e2e``."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from support.recording_client import Client
from support.signaling_server import OFFER, Message, Server, running_server
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from klingel.config import Settings
from klingel.ids import ParticipantId, RoomId
from klingel.protocol.codec import MAX_FRAME_BYTES
from klingel.sfu.api import (
    ActiveSpeaker,
    MediaError,
    WorkerRestarted,
)
from klingel_bots.server_process import ServerProcess

HOSTILE_NAME = "<img src=x onerror=alert(1)>"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    settings = Settings(
        room_capacity=3, resume_grace_seconds=1.0, join_timeout_seconds=1.0, metrics=True
    )
    async with running_server(settings) as running:
        yield running


@pytest_asyncio.fixture
async def connect_client(server: Server) -> AsyncIterator[Callable[[], Awaitable[Client]]]:
    sockets: list[ClientConnection] = []

    async def open_client() -> Client:
        ws = await connect(server.url.replace("http", "ws") + "/ws", max_size=None)
        sockets.append(ws)
        return Client(ws)

    yield open_client
    for ws in sockets:
        await ws.close()


JoinFn = Callable[..., Awaitable[tuple[Client, Message]]]


@pytest.fixture
def join(connect_client: Callable[[], Awaitable[Client]]) -> JoinFn:
    async def join_room(room: str, name: str, resume: str | None = None) -> tuple[Client, Message]:
        client = await connect_client()
        await client.send({"type": "join", "v": 1, "room": room, "name": name, "resume": resume})
        return client, await client.expect("joined")

    return join_room


# --- joining and leaving ------------------------------------------------------------------------


async def test_join_and_leave_are_announced(join: JoinFn, server: Server) -> None:
    anna, joined = await join("musikschule-geige", "Anna")
    assert joined["participants"] == [] and joined["streams"] == []
    assert joined["you"]["you"] is True and joined["you"]["name"] == "Anna"
    assert joined["room"] == {
        "id": "musikschule-geige",
        "capacity": 3,
        "lobby": False,
        "locked": False,
        "officeHours": False,
        "screenShareAllowed": True,
        "chatAllowed": True,
        "unmuteAllowed": True,
        "hasPassword": False,
        "e2ee": False,
        "music": False,
    }
    assert joined["you"]["role"] == "guest"  # a room nobody created has no host
    assert joined["resumed"] is False and joined["resume"]

    ben, ben_joined = await join("musikschule-geige", "Ben")
    assert [p["id"] for p in ben_joined["participants"]] == [joined["you"]["id"]]
    assert ben_joined["participants"][0]["you"] is False
    announced = await anna.expect("participant_joined")
    assert announced["participant"]["id"] == ben_joined["you"]["id"]
    assert announced["participant"]["you"] is False

    await ben.send({"type": "leave"})
    assert (await ben.closed_with())[0] == 1000
    left = await anna.expect("participant_left")
    assert left["id"] == ben_joined["you"]["id"]
    assert ("musikschule-geige", ben_joined["you"]["id"]) in server.media.removed


async def test_media_state_and_hand_reach_everyone(join: JoinFn) -> None:
    anna, anna_joined = await join("chor", "Anna")
    ben, _ = await join("chor", "Ben")
    await anna.expect("participant_joined")

    await anna.send({"type": "media_state", "audio": True, "video": False})
    own = await anna.expect("participant_updated")
    seen = await ben.expect("participant_updated")
    assert own["participant"]["you"] is True and seen["participant"]["you"] is False
    for update in (own, seen):
        participant = update["participant"]
        assert participant["id"] == anna_joined["you"]["id"]
        assert (participant["audio"], participant["video"]) == (True, False)

    await ben.send({"type": "hand", "raised": True})
    assert (await anna.expect("participant_updated"))["participant"]["hand"] is True
    assert (await ben.expect("participant_updated"))["participant"]["hand"] is True


async def test_chat_sender_is_set_by_the_server(join: JoinFn) -> None:
    anna, anna_joined = await join("chor", "Anna")
    ben, _ = await join("chor", HOSTILE_NAME)
    await anna.expect("participant_joined")

    await anna.send({"type": "chat", "text": "Hallo <b>alle</b>"})
    for client in (anna, ben):
        line = await client.expect("chat")
        assert line["from"] == anna_joined["you"]["id"]
        assert line["name"] == "Anna"
        assert line["text"] == "Hallo <b>alle</b>"
        assert isinstance(line["ts"], int)

    # A client cannot claim to be someone else: "from" is a field chat does not define.
    await ben.send({"type": "chat", "text": "x", "from": anna_joined["you"]["id"]})
    await ben.error("bad_message")


async def test_hostile_name_comes_back_unchanged(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    _, ben_joined = await join("chor", HOSTILE_NAME)
    assert ben_joined["you"]["name"] == HOSTILE_NAME
    assert (await anna.expect("participant_joined"))["participant"]["name"] == HOSTILE_NAME


async def test_ping(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    assert await anna.nothing_pending()


async def test_resume_after_a_dropped_socket(join: JoinFn) -> None:
    anna, anna_joined = await join("chor", "Anna")
    ben, ben_joined = await join("chor", "Ben")
    await anna.expect("participant_joined")

    await ben.socket.close()  # dropped, not left
    ben_again, resumed = await join("chor", "Ben", resume=ben_joined["resume"])
    assert resumed["resumed"] is True
    assert resumed["you"]["id"] == ben_joined["you"]["id"]
    assert resumed["resume"] != ben_joined["resume"]
    assert [p["id"] for p in resumed["participants"]] == [anna_joined["you"]["id"]]
    # Anna noticed nothing: her next message is the chat below.
    await ben_again.send({"type": "chat", "text": "wieder da"})
    line = await anna.expect("chat")
    assert line["from"] == ben_joined["you"]["id"]


async def test_resume_takes_over_a_socket_still_open(join: JoinFn) -> None:
    _, first = await join("chor", "Anna")
    old_client = _
    new_client, resumed = await join("chor", "Anna", resume=first["resume"])
    assert resumed["resumed"] and resumed["you"]["id"] == first["you"]["id"]
    assert await old_client.closed_with() == (4001, "replaced")
    assert await new_client.nothing_pending()


async def test_grace_period_expiry_removes_the_participant(join: JoinFn, server: Server) -> None:
    anna, _ = await join("chor", "Anna")
    ben, ben_joined = await join("chor", "Ben")
    await anna.expect("participant_joined")
    await ben.socket.close()
    left = await anna.expect("participant_left")  # after the 1 s grace of this server
    assert left["id"] == ben_joined["id"] if "id" in ben_joined else ben_joined["you"]["id"]
    _, late = await join("chor", "Ben", resume=ben_joined["resume"])
    assert late["resumed"] is False and late["you"]["id"] != ben_joined["you"]["id"]
    assert ("chor", ben_joined["you"]["id"]) in server.media.removed


async def test_room_full_at_capacity(join: JoinFn, connect_client: Any) -> None:
    for name in ("A", "B", "C"):
        await join("voll", name)
    late: Client = await connect_client()
    await late.send({"type": "join", "v": 1, "room": "voll", "name": "D"})
    error = await late.error("room_full")
    assert error["ref"] == "join"
    assert await late.closed_with() == (4000, "room_full")
    _, elsewhere = await join("frei", "D")
    assert elsewhere["resumed"] is False


# --- media signaling ----------------------------------------------------------------------------


async def test_publish_subscribe_and_stream_lifecycle(join: JoinFn, server: Server) -> None:
    anna, anna_joined = await join("chor", "Anna")
    ben, _ = await join("chor", "Ben")
    await anna.expect("participant_joined")
    tracks = [
        {"mid": "0", "kind": "audio", "source": "microphone"},
        {"mid": "1", "kind": "video", "source": "camera"},
    ]
    await anna.send({"type": "publish", "sdp": OFFER, "tracks": tracks})
    answer = await anna.expect("publish_answer")
    assert answer["sdp"].startswith("v=0")
    ids = {track["mid"]: track["stream"] for track in answer["tracks"]}
    added = [(await ben.expect("stream_added"))["stream"] for _ in range(2)]
    # The publisher hears of its own streams too, after the answer.
    assert [(await anna.expect("stream_added"))["stream"] for _ in range(2)] == added
    assert {s["id"] for s in added} == set(ids.values())
    assert all(s["participant"] == anna_joined["you"]["id"] for s in added)
    _, published_by, specs = server.media.published[-1]
    assert published_by == anna_joined["you"]["id"]
    assert {(spec.mid, spec.source, spec.stream_id) for spec in specs} == {
        ("0", "microphone", ids["0"]),
        ("1", "camera", ids["1"]),
    }

    await ben.send({"type": "subscribe", "sdp": OFFER, "streams": [
        {"mid": "0", "stream": ids["0"]}, {"mid": "1", "stream": ids["1"]},
    ]})  # fmt: skip
    assert (await ben.expect("subscribe_answer"))["sdp"].startswith("v=0")
    assert [s.stream_id for s in server.media.subscribed[-1][2]] == [ids["0"], ids["1"]]

    # Renegotiation: the camera keeps its stream id, the microphone ends, a screen starts.
    await anna.send({"type": "publish", "sdp": OFFER, "tracks": [
        {"mid": "1", "kind": "video", "source": "camera"},
        {"mid": "2", "kind": "video", "source": "screen"},
    ]})  # fmt: skip
    again = await anna.expect("publish_answer")
    assert {t["mid"]: t["stream"] for t in again["tracks"]}["1"] == ids["1"]
    assert (await ben.expect("stream_removed"))["id"] == ids["0"]
    screen = (await ben.expect("stream_added"))["stream"]
    assert screen["source"] == "screen" and screen["kind"] == "video"
    assert (await ben.expect("participant_updated"))["participant"]["screen"] is True

    # A late joiner sees the streams in joined.
    _, cem_joined = await join("chor", "Cem")
    assert {s["id"] for s in cem_joined["streams"]} == {ids["1"], screen["id"]}
    await ben.expect("participant_joined")

    # When Anna leaves, her streams go first, then she does.
    await anna.send({"type": "leave"})
    removed = {(await ben.expect("stream_removed"))["id"] for _ in range(2)}
    assert removed == {ids["1"], screen["id"]}
    assert (await ben.expect("participant_left"))["id"] == anna_joined["you"]["id"]


async def test_subscribe_to_an_unknown_stream(join: JoinFn, server: Server) -> None:
    ben, _ = await join("chor", "Ben")
    await ben.send({"type": "subscribe", "sdp": OFFER, "streams": [{"mid": "0", "stream": "s-x"}]})
    error = await ben.error("unknown_stream")
    assert error["ref"] == "subscribe"
    assert server.media.subscribed == []


async def test_set_layers_reaches_the_sfu_for_video_streams_only(
    join: JoinFn, server: Server
) -> None:
    anna, _ = await join("chor", "Anna")
    ben, ben_joined = await join("chor", "Ben")
    olga, _ = await join("anderswo", "Olga")
    await anna.expect("participant_joined")
    tracks = [
        {"mid": "0", "kind": "audio", "source": "microphone"},
        {"mid": "1", "kind": "video", "source": "camera"},
    ]
    await anna.send({"type": "publish", "sdp": OFFER, "tracks": tracks})
    ids = {t["mid"]: t["stream"] for t in (await anna.expect("publish_answer"))["tracks"]}
    microphone, camera = ids["0"], ids["1"]
    for _ in range(2):
        await ben.expect("stream_added")

    await ben.send({"type": "set_layers", "layers": [{"stream": camera, "layer": 0}]})
    await ben.send({"type": "set_layers", "layers": [{"stream": camera, "layer": None}]})
    assert await ben.nothing_pending()  # accepted without an answer
    ben_id = ben_joined["you"]["id"]
    assert server.media.layers == [
        ("chor", ben_id, camera, 0),
        ("chor", ben_id, camera, None),
    ]

    # Audio is never layered; a stream of another room or none at all is unknown. One bad
    # request refuses the whole message.
    for stream in (microphone, "s-nowhere"):
        mixed = [{"stream": camera, "layer": 2}, {"stream": stream, "layer": 1}]
        await ben.send({"type": "set_layers", "layers": mixed})
        assert (await ben.error("unknown_stream"))["ref"] == "set_layers"
    await olga.send({"type": "set_layers", "layers": [{"stream": camera, "layer": 1}]})
    await olga.error("unknown_stream")
    await ben.send({"type": "set_layers", "layers": [{"stream": camera, "layer": 4}]})
    await ben.error("bad_message")
    assert await ben.nothing_pending()
    assert len(server.media.layers) == 2


async def test_media_errors_keep_their_code(join: JoinFn, server: Server) -> None:
    anna, _ = await join("chor", "Anna")
    server.media.refuse_with = MediaError("bad_sdp", "no fingerprint")
    tracks = [{"mid": "0", "kind": "audio", "source": "microphone"}]
    await anna.send({"type": "publish", "sdp": OFFER, "tracks": tracks})
    assert (await anna.error("bad_sdp"))["ref"] == "publish"
    server.media.refuse_with = MediaError("media_unavailable", "worker busy")
    await anna.send({"type": "publish", "sdp": OFFER, "tracks": tracks})
    await anna.error("media_unavailable")
    assert await anna.nothing_pending()


async def test_active_speaker_and_worker_restart(join: JoinFn, server: Server) -> None:
    anna, anna_joined = await join("chor", "Anna")
    other, _ = await join("anderswo", "Olga")
    tracks = [{"mid": "0", "kind": "audio", "source": "microphone"}]
    await anna.send({"type": "publish", "sdp": OFFER, "tracks": tracks})
    stream = (await anna.expect("publish_answer"))["tracks"][0]["stream"]
    assert (await anna.expect("stream_added"))["stream"]["id"] == stream

    anna_id = ParticipantId(anna_joined["you"]["id"])
    await server.media.emit(ActiveSpeaker(RoomId("chor"), anna_id))
    assert (await anna.expect("active_speaker"))["id"] == anna_id
    await server.media.emit(ActiveSpeaker(RoomId("chor"), None))
    assert (await anna.expect("active_speaker"))["id"] is None
    await server.media.emit(ActiveSpeaker(RoomId("chor"), ParticipantId("p-stranger")))

    await server.media.emit(WorkerRestarted(rooms=(RoomId("chor"), RoomId("gone"))))
    assert (await anna.expect("stream_removed"))["id"] == stream
    await anna.expect("media_reset")
    assert await anna.nothing_pending()
    assert await other.nothing_pending()  # another room noticed nothing


# --- bad input ----------------------------------------------------------------------------------

BAD_FRAMES: list[tuple[str, str]] = [
    ("{not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    ('{"type": "ping", "type": "ping"}', "duplicate_key"),
    ('{"type": "chat", "text": "x", "a": ' + "[" * 10 + "]" * 10 + "}", "too_deep"),
    ('{"type": "media_state", "audio": NaN, "video": true}', "bad_number"),
    ('{"type": "hand", "raised": 1e400}', "bad_number"),
    ('{"type": "hand", "raised": 9007199254740993}', "bad_number"),
    ('{"type": "shout"}', "unknown_type"),
    ('{"text": "no type"}', "unknown_type"),
    ('{"type": "hand", "raised": true, "admin": true}', "bad_message"),
    ('{"type": "chat", "text": ""}', "bad_message"),
    ('{"type": "publish", "sdp": "hello", "tracks": []}', "bad_sdp"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_bad_frames_after_join_get_their_code(join: JoinFn, frame: str, code: str) -> None:
    anna, _ = await join("chor", "Anna")
    bystander, _ = await join("nebenan", "Ben")
    await anna.socket.send(frame)
    await anna.error(code)
    assert await anna.nothing_pending()
    assert await bystander.nothing_pending()


async def test_binary_frames_are_refused(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    await anna.socket.send(b'{"type": "ping"}')
    await anna.error("bad_json")
    assert await anna.nothing_pending()


async def test_oversized_frame_closes(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    ben, _ = await join("chor", "Ben")
    await anna.expect("participant_joined")
    await ben.send({"type": "chat", "text": "x" * (MAX_FRAME_BYTES + 10)})
    await ben.error("too_large")
    assert await ben.closed_with() == (4000, "too_large")
    assert await anna.nothing_pending()  # a dropped socket is not a leave


async def test_messages_before_join(connect_client: Any) -> None:
    client: Client = await connect_client()
    await client.send({"type": "subscribe", "sdp": OFFER, "streams": []})
    error = await client.error("not_joined")
    assert error["ref"] == "subscribe"
    await client.send({"type": "ping"})
    await client.error("not_joined")
    await client.send({"type": "join", "v": 1, "room": "chor", "name": "Anna"})
    await client.expect("joined")


async def test_second_join(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    await anna.send({"type": "join", "v": 1, "room": "chor", "name": "Anna"})
    assert (await anna.error("already_joined"))["ref"] == "join"
    assert await anna.nothing_pending()


@pytest.mark.parametrize(
    ("join_message", "code"),
    [
        ({"v": 2, "room": "chor", "name": "Anna"}, "unsupported_version"),
        ({"v": 1, "room": "Chor!", "name": "Anna"}, "bad_room"),
        ({"v": 1, "room": "../../etc/passwd", "name": "Anna"}, "bad_room"),
        ({"v": 1, "room": "x" * 65, "name": "Anna"}, "bad_room"),
        ({"v": 1, "room": "chor", "name": "   "}, "bad_name"),
        ({"v": 1, "room": "chor", "name": "A\u202enna"}, "bad_name"),
        ({"v": 1, "room": "chor", "name": "x" * 65}, "bad_name"),
    ],
)
async def test_refused_joins_close(
    connect_client: Any, join: JoinFn, join_message: Message, code: str
) -> None:
    bystander, _ = await join("chor", "Ben")
    client: Client = await connect_client()
    await client.send({"type": "join", **join_message})
    assert (await client.error(code))["ref"] == "join"
    assert await client.closed_with() == (4000, code)
    assert await bystander.nothing_pending()


async def test_chat_flood_is_rate_limited(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    bystander, _ = await join("nebenan", "Ben")
    for i in range(25):
        await anna.send({"type": "chat", "text": f"spam {i}"})
    received = [await anna.receive() for _ in range(25)]
    delivered = [m for m in received if m["type"] == "chat"]
    limited = [m for m in received if m["type"] == "error"]
    assert len(delivered) >= 10 and limited
    assert all(m["code"] == "rate_limited" and m["ref"] == "chat" for m in limited)
    assert await anna.nothing_pending()
    assert await bystander.nothing_pending()


async def test_message_flood_is_rate_limited(join: JoinFn) -> None:
    anna, _ = await join("chor", "Anna")
    for _ in range(150):
        await anna.send({"type": "ping"})
    received = [await anna.receive() for _ in range(150)]
    assert sum(m["type"] == "pong" for m in received) >= 50  # the join took a token too
    assert any(m["type"] == "error" and m["code"] == "rate_limited" for m in received)


async def test_server_stays_up_after_everything(connect_client: Any, join: JoinFn) -> None:
    for frame, _ in BAD_FRAMES:
        client: Client = await connect_client()
        await client.socket.send(frame)
        await client.receive()
    _, joined = await join("chor", "Anna")
    assert joined["resumed"] is False


# --- HTTP ---------------------------------------------------------------------------------------


async def test_http_api_and_headers(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = await http.post("/api/rooms", json={})
        assert created.status_code == 200
        room = created.json()["room"]
        assert len(room) == 26 and room != (await http.post("/api/rooms", json={})).json()["room"]
        health = await http.get("/healthz")
        assert health.json() == {"status": "ok", "workers": 1}
        metrics = (await http.get("/metrics")).text
        assert 'klingel_sfu_rtp_forwarded_total{worker="0"} 20' in metrics
        assert "klingel_rooms 0" in metrics
        assert (await http.get("/r/Not_A_Room")).headers["location"] == "/r/not-a-room"
        assert (await http.get("/r/!!!")).status_code == 404
        for response in (created, health, await http.get("/nowhere")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
            assert "camera=(self)" in response.headers["permissions-policy"]


async def test_cross_site_sockets_are_refused(server: Server) -> None:
    url = server.url.replace("http", "ws") + "/ws"
    with pytest.raises(Exception, match="403"):
        await connect(url, origin=Origin("https://evil.example"))
    async with connect(url, origin=Origin(server.url)) as ws:
        await ws.send(json.dumps({"type": "join", "v": 1, "room": "chor", "name": "A"}))
        assert json.loads(await ws.recv())["type"] == "joined"


# --- the real command, with its SFU workers -----------------------------------------------------


async def test_serve_command_speaks_the_protocol_and_logs_nothing_personal(
    server_process: ServerProcess,
) -> None:
    """``python -m klingel serve`` (session server of tests/conftest.py, inside netns-run)."""
    marker = uuid.uuid4().hex
    room, name, text = f"raum-{marker}", f"Name{marker}", f"Chat{marker}"
    url = server_process.base_url.replace("http", "ws") + "/ws"
    async with connect(url, origin=Origin(server_process.base_url)) as ws:
        client = Client(ws)
        await client.send({"type": "join", "v": 1, "room": room, "name": name})
        joined = await client.expect("joined")
        await client.send({"type": "chat", "text": text})
        line = await client.expect("chat")
        assert (line["from"], line["text"]) == (joined["you"]["id"], text)
        await client.send({"type": "leave"})
        assert (await client.closed_with())[0] == 1000
    async with httpx.AsyncClient(base_url=server_process.base_url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok", "workers": 2}
    log = server_process.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Klingel ready on http://127.0.0.1:" in log
    for secret in (marker, joined["resume"], "127.0.0.1 -", '"WebSocket /ws"'):
        assert secret not in log


async def test_a_socket_that_never_joins_is_closed(
    connect_client: Callable[[], Awaitable[Client]], join: JoinFn
) -> None:
    silent = await connect_client()
    member, _ = await join("stille-zimmer", "Anna")
    code, reason = await silent.closed_with()
    assert (code, reason) == (1008, "timeout")
    assert await member.nothing_pending()
