"""A small driver of the Janus VideoRoom over Janus's HTTP API, for side-by-side benchmarks.

Janus (Debian 12's ``janus`` package, configured by ``bench/janus/setup.sh``) is only measured
against; Klingel never depends on it. The driver speaks the plain HTTP transport: every session
has one long-poll loop that takes its events (``GET /janus/<session>?maxev=N``) and hands each
answer to the request that waits for it by transaction; keepalives keep idle sessions alive.

One benchmark participant is one session with two handles, as the VideoRoom demo does it: a
publisher (our offer, Janus's answer) and a multistream subscriber to every other feed
(Janus's offer, our answer, then ``start``).

It also starts and stops Janus itself (``JanusProcess``) and reads its CPU time from
``/proc/<pid>/stat``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from klingel.load.peer import LightPeer
from klingel.load.publishing import sending_section, start_publication
from klingel.load.receiving import Reception, StreamSnapshot, StreamStats
from klingel.load.sending import Pacer, PreparedMedia, Publication
from klingel.sfu.dtls import DtlsIdentity
from klingel_bots.server_process import free_tcp_port, free_udp_port_range

__all__ = [
    "JanusError",
    "JanusParticipant",
    "JanusProcess",
    "JanusSession",
    "Published",
    "VideoRoomHandle",
    "janus_installed",
]

logger = logging.getLogger(__name__)

SETUP = Path(__file__).parent / "janus" / "setup.sh"
KEEPALIVE_SECONDS = 20.0
REQUEST_TIMEOUT = 30.0
Json = dict[str, Any]


def janus_installed() -> bool:
    return shutil.which("janus") is not None


class JanusError(Exception):
    """Janus or its VideoRoom plugin refused a request."""


@dataclass(slots=True)
class JanusProcess:
    """Janus in the foreground on 127.0.0.1 with its own configuration folder."""

    folder: Path
    log_path: Path
    rtp_ports: int = 400
    event_loops: int = 0  # 0: a media thread per handle (Janus's default)
    port: int = 0
    admin_key: str = field(default_factory=lambda: secrets.token_hex(16))
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("janus not started")
        return self._process.pid

    def start(self, *, timeout: float = 20.0) -> None:
        self.port = free_tcp_port()
        first, last = free_udp_port_range(self.rtp_ports)
        # The folder must exist with our configuration: Janus falls back to defaults that listen
        # on every interface when it is missing.
        command = subprocess.run(
            [
                str(SETUP),
                str(self.folder),
                str(self.port),
                f"{first}-{last}",
                self.admin_key,
                str(self.event_loops),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        if not (self.folder / "janus.jcfg").is_file():
            raise RuntimeError(f"no Janus configuration in {self.folder}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"janus exited with {self._process.returncode}: {self.log_path}")
            try:
                info = httpx.post(
                    self.base_url, json={"janus": "info", "transaction": "ready"}, timeout=2.0
                ).json()
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            if "janus.plugin.videoroom" in info.get("plugins", {}):
                return
            raise RuntimeError(f"janus runs without its VideoRoom plugin: {self.log_path}")
        self.stop()
        raise TimeoutError(f"janus not ready within {timeout} s: {self.log_path}")

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the Janus process, all its threads, so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # Fields 14 and 15 of stat(5) (utime, stime); the split starts at field 3.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, *, timeout: float = 10.0) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class Published:
    feed: int
    answer_sdp: str


class JanusSession:
    """One Janus session: requests, its long-poll loop and its keepalives."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, session_id: int) -> None:
        self._http = http
        self._url = f"{base_url}/{session_id}"
        self.session_id = session_id
        self._waiting: dict[str, asyncio.Future[Json]] = {}
        self._events: dict[int, asyncio.Queue[Json]] = {}
        self._tasks = [
            asyncio.create_task(self._poll(), name=f"janus-poll-{session_id}"),
            asyncio.create_task(self._keep_alive(), name=f"janus-keepalive-{session_id}"),
        ]

    @classmethod
    async def create(cls, http: httpx.AsyncClient, base_url: str) -> JanusSession:
        reply = await _post(http, base_url, {"janus": "create"})
        return cls(http, base_url, int(reply["data"]["id"]))

    async def attach_videoroom(self) -> VideoRoomHandle:
        reply = await _post(
            self._http, self._url, {"janus": "attach", "plugin": "janus.plugin.videoroom"}
        )
        handle_id = int(reply["data"]["id"])
        self._events[handle_id] = asyncio.Queue()
        return VideoRoomHandle(self, handle_id)

    async def request(self, handle_id: int, body: Json) -> Json:
        """A synchronous plugin request (``create``, ``list``...): the answer comes at once."""
        reply = await _post(
            self._http, f"{self._url}/{handle_id}", {"janus": "message", "body": body}
        )
        return _plugin_data(reply)

    async def message(self, handle_id: int, body: Json, jsep: Json | None = None) -> Json:
        """An asynchronous plugin request: Janus acks it, and its answer is a later event."""
        transaction = secrets.token_hex(8)
        answer: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = answer
        payload: Json = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            payload["jsep"] = jsep
        try:
            ack = await self._http.post(f"{self._url}/{handle_id}", json=payload)
            if ack.json().get("janus") not in ("ack", "success"):
                raise JanusError(f"{body.get('request')}: {ack.text}")
            event = await asyncio.wait_for(answer, REQUEST_TIMEOUT)
        finally:
            self._waiting.pop(transaction, None)
        _plugin_data(event)
        return event

    async def _poll(self) -> None:
        while True:
            try:
                response = await self._http.get(self._url, params={"maxev": 20}, timeout=60.0)
            except httpx.HTTPError:
                logger.debug("long poll of session %d failed; polling again", self.session_id)
                await asyncio.sleep(0.2)
                continue
            events = response.json()
            for event in events if isinstance(events, list) else [events]:
                self._dispatch(event)

    def _dispatch(self, event: Json) -> None:
        waiting = self._waiting.get(str(event.get("transaction")))
        if waiting is not None and not waiting.done() and event.get("janus") != "ack":
            waiting.set_result(event)
            return
        queue = self._events.get(int(event.get("sender", 0)))
        if queue is not None:
            queue.put_nowait(event)

    async def next_event(self, handle_id: int, kind: str, timeout: float) -> Json:
        """The next event of a handle whose ``janus`` field is ``kind`` (e.g. ``webrtcup``)."""
        queue = self._events[handle_id]
        async with asyncio.timeout(timeout):
            while True:
                event = await queue.get()
                if event.get("janus") == kind:
                    return event

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            with contextlib.suppress(httpx.HTTPError):
                await _post(self._http, self._url, {"janus": "keepalive"})

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(httpx.HTTPError, JanusError):
            await _post(self._http, self._url, {"janus": "destroy"})
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True, slots=True)
class VideoRoomHandle:
    """A handle attached to ``janus.plugin.videoroom``."""

    session: JanusSession
    handle_id: int

    async def create_room(self, room: int, *, publishers: int, admin_key: str) -> None:
        data = await self.session.request(
            self.handle_id,
            {
                "request": "create",
                "admin_key": admin_key,
                "room": room,
                "publishers": publishers,
                "is_private": True,
                "audiocodec": "opus",
                "videocodec": "vp8",
                # No cap on the publishers' bitrate and no periodic keyframe requests, like
                # Klingel's SFU; the benchmark's publishers send files at their own rate anyway.
                "bitrate": 0,
                "fir_freq": 0,
                "notify_joining": False,
            },
        )
        if data.get("videoroom") != "created":
            raise JanusError(f"room not created: {data}")

    async def publish(self, room: int, display: str, offer_sdp: str) -> Published:
        joined = await self.session.message(
            self.handle_id,
            {"request": "join", "ptype": "publisher", "room": room, "display": display},
        )
        feed = int(_plugin_data(joined)["id"])
        configured = await self.session.message(
            self.handle_id,
            {"request": "publish"},
            {"type": "offer", "sdp": offer_sdp, "trickle": False},
        )
        return Published(feed=feed, answer_sdp=_jsep_sdp(configured, "answer"))

    async def wait_connected(self, *, timeout: float = 20.0) -> None:
        """Until Janus says this handle's PeerConnection is up (ICE and DTLS done).

        A publisher's feed can be subscribed to only from then on ("No such feed" before).
        """
        await self.session.next_event(self.handle_id, "webrtcup", timeout)

    async def subscribe(self, room: int, feeds: Sequence[int]) -> str:
        """Join as a subscriber to every stream of ``feeds``; returns Janus's offer."""
        attached = await self.session.message(
            self.handle_id,
            {
                "request": "join",
                "ptype": "subscriber",
                "room": room,
                "streams": [{"feed": feed} for feed in feeds],
            },
        )
        return _jsep_sdp(attached, "offer")

    async def publisher_feeds(self, room: int) -> list[int]:
        """The feeds of the room's participants that publish media right now."""
        data = await self.session.request(
            self.handle_id, {"request": "listparticipants", "room": room}
        )
        return [int(p["id"]) for p in data.get("participants", []) if p.get("publisher")]

    async def start(self, answer_sdp: str) -> None:
        started = await self.session.message(
            self.handle_id,
            {"request": "start"},
            {"type": "answer", "sdp": answer_sdp, "trickle": False},
        )
        if _plugin_data(started).get("started") != "ok":
            raise JanusError(f"subscription not started: {_plugin_data(started)}")


async def _post(http: httpx.AsyncClient, url: str, payload: Json) -> Json:
    response = await http.post(url, json={**payload, "transaction": secrets.token_hex(8)})
    reply: Json = response.json()
    if reply.get("janus") == "error":
        raise JanusError(str(reply.get("error")))
    return reply


def _plugin_data(reply: Json) -> Json:
    if reply.get("janus") == "error":
        raise JanusError(str(reply.get("error")))
    data: Json = reply.get("plugindata", {}).get("data", {})
    if "error" in data:
        raise JanusError(f"{data.get('error_code')}: {data['error']}")
    return data


def _jsep_sdp(event: Json, kind: str) -> str:
    jsep = event.get("jsep")
    if not isinstance(jsep, dict) or jsep.get("type") != kind:
        raise JanusError(f"expected a JSEP {kind}, got {_plugin_data(event)}")
    return str(jsep["sdp"])


class JanusParticipant:
    """One benchmark participant in a VideoRoom, with the light peers of ``klingel.load``.

    It publishes a single-layer VP8 camera (and Opus when ``audio``) from the prepared files,
    then subscribes to every other feed of the room in one multistream connection and counts
    what arrives per m-section without decoding, exactly as the Klingel participant does.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        room: int,
        name: str,
        *,
        media: PreparedMedia,
        identity: DtlsIdentity,
        pacer: Pacer,
        audio: bool,
        video_layer: int,
    ) -> None:
        self._http = http
        self._base_url = base_url
        self.room = room
        self.name = name
        self.audio = audio
        self._media = media
        self._identity = identity
        self._pacer = pacer
        self._video_layer = video_layer
        self._session: JanusSession | None = None
        self._peers: list[LightPeer] = []
        self._publication: Publication | None = None
        self._reception: Reception | None = None
        self.feed = 0
        self.stats: dict[str, StreamStats] = {}

    async def publish(self) -> None:
        self._session = await JanusSession.create(self._http, self._base_url)
        handle = await self._session.attach_videoroom()
        peer = self._new_peer()
        sections = [sending_section("0", "audio")] if self.audio else []
        sections.append(sending_section(str(len(sections)), "video", simulcast=False))
        published = await handle.publish(self.room, self.name, await peer.offer(sections))
        self.feed = published.feed
        remote = await peer.accept_answer(published.answer_sdp)
        self._publication = start_publication(
            peer, remote, self._media, sections, video_layer=self._video_layer
        )
        self._pacer.add(self._publication)
        await peer.wait_connected()
        await handle.wait_connected()

    async def subscribe(self) -> None:
        """Receive every other feed published in the room now."""
        if self._session is None:
            raise RuntimeError("publish first")
        handle = await self._session.attach_videoroom()
        feeds = [feed for feed in await handle.publisher_feeds(self.room) if feed != self.feed]
        peer = self._new_peer()
        answer = await peer.answer(await handle.subscribe(self.room, feeds))
        remote = peer.remote
        if remote is None:
            raise JanusError("no offer taken")
        self.stats = {
            media.mid: StreamStats(media.kind)
            for media in remote.media
            if media.kind in ("audio", "video") and media.direction in ("sendonly", "sendrecv")
        }
        self._reception = Reception(peer)
        self._reception.update(remote, self.stats)
        await handle.start(answer)
        await peer.wait_connected()

    def snapshot(self) -> dict[str, StreamSnapshot]:
        return {mid: stats.snapshot() for mid, stats in self.stats.items()}

    def _new_peer(self) -> LightPeer:
        peer = LightPeer(self._identity, cname=f"bench-{secrets.token_hex(4)}")
        self._peers.append(peer)
        return peer

    async def close(self) -> None:
        if self._publication is not None:
            self._pacer.remove(self._publication)
        if self._reception is not None:
            await self._reception.close()
        for peer in self._peers:
            await peer.close()
        if self._session is not None:
            await self._session.close()
