"""Many signaling clients at once: 500 people in 50 rooms of 10, beside a 6-person video call.

One Klingel server (2 SFU workers, metrics on) runs as a town runs it behind its reverse proxy,
with ``--proxy-headers``: every signaling client connects from 127.0.0.1, where the proxy would
be, and names its own address in ``X-Forwarded-For``. The clients come from ten such addresses
(50 each, 192.0.2.1-10, which never carry a packet here: they are only header values), so the
per-address limits of ``klingel.rooms.abuse`` apply with their production values, exactly as
they would to ten households or school networks. Raising the caps instead would measure a
server nobody runs; one address for all 500 would hit the limit of 100 open sockets per
address, which is the point of that limit.

The clients join one after the other over ``--ramp`` seconds (50 joins/s by default), each
timing its join from the start of the TCP connection to ``joined``. Then every client behaves
as the browser client does when nobody types much: a ``ping`` every 10 s (the browser's own
interval, the first after a random part of it), and a chat line about every 30 s once everyone
is in. The steady phase lasts ``--duration`` seconds (120 by default); chat stops 5 s before its
end so that every line can arrive, and every client then waits for its last ``pong`` and
leaves.

Meanwhile six light participants (``klingel.load``: pre-encoded 640x360 VP8 and Opus, one
layer, no decoding) hold a video call in a room of their own, in a process of their own; they
count the RTP packets they receive and the loss over the load.

Figures: errors (any ``error`` message, refused handshake, unexpected close, missing answer;
there must be none), join latency p50/p95 (target p95 < 300 ms), ping round trip p50/p95/max,
chat lines delivered (every line to every member of its room, sender included), the web
process's CPU and resident memory, the SFU workers' CPU and memory, and the video call's
packets and loss. The clients run in one process on the same two cores, so their own event
loop's delays are part of every time they measure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import WORK, cost_between, median, percentile, read_sfu, require_netns, save
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from klingel.load.cli import run as run_load_groups
from klingel.load.group import GroupPlan, ParticipantResult
from klingel.load.media_files import ensure_media
from klingel.load.views import View
from klingel_bots.server_process import ServerProcess

NAME = "signaling_load"
CLIENTS = 500
ROOMS = 50
ADDRESSES = 10
RAMP_SECONDS = 10.0
DURATION_SECONDS = 120.0
PING_INTERVAL_SECONDS = 10.0
"""The browser client's own interval."""
CHAT_INTERVAL_SECONDS = 30.0
"""Mean time between two chat lines of one client."""
CHAT_QUIET_BEFORE_END_SECONDS = 5.0
ANSWER_TIMEOUT_SECONDS = 15.0
SAMPLE_SECONDS = 1.0

MEDIA_PARTICIPANTS = 6
MEDIA_JOIN_INTERVAL = 0.3
MEDIA_START_DELAY = 3.0  # the load process starts and loads its media meanwhile
MEDIA_WARMUP_SECONDS = 8.0
MEDIA_DIR = WORK / "load-media"

JOIN_P95_TARGET_MS = 300.0
LOSS_TARGET_PERCENT = 1.0

Message = dict[str, Any]


# --- one signaling client ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What every client does, and when the phases of the run begin and end (monotonic)."""

    ping_interval: float
    chat_interval: float
    answer_timeout: float


@dataclass(frozen=True, slots=True)
class ClientPlan:
    index: int
    room: str
    address: str
    """What the reverse proxy would name in ``X-Forwarded-For``."""
    join_at: float


@dataclass(slots=True)
class ClientRecord:
    """What one client saw; the swarm judges these afterwards."""

    plan: ClientPlan
    joined_as: str | None = None
    join_seconds: float | None = None
    pings_sent: int = 0
    ping_seconds: list[float] = field(default_factory=list)
    chats_sent: int = 0
    chats_received: int = 0
    others_at_end_of_chat: int = -1
    """How many others the client knew of when the chat ended; -1: not noted."""
    errors: list[str] = field(default_factory=list)


class SignalingClient:
    """One participant without media: joins, pings, chats, counts every answer, leaves."""

    def __init__(
        self, url: str, plan: ClientPlan, behaviour: Behaviour, rng: random.Random
    ) -> None:
        self._url = url
        self._behaviour = behaviour
        self._rng = rng
        self.record = ClientRecord(plan)
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pings_in_flight: deque[float] = deque()
        self._answered = asyncio.Event()
        self._others: set[str] = set()
        self._leaving = False

    async def join(self) -> bool:
        """Connect and join; True when ``joined`` came."""
        plan = self.record.plan
        started = time.monotonic()
        try:
            self._socket = await connect(
                self._url,
                additional_headers={"X-Forwarded-For": plan.address},
                open_timeout=self._behaviour.answer_timeout,
                ping_interval=None,  # browsers send no WebSocket pings; the protocol's do
                max_size=2**20,
            )
            await self._send(
                {"type": "join", "v": 1, "room": plan.room, "name": f"Gast {plan.index + 1}"}
            )
            async with asyncio.timeout(self._behaviour.answer_timeout):
                answer: Message = json.loads(await self._socket.recv())
        except InvalidStatus as refused:
            self.record.errors.append(f"handshake refused: HTTP {refused.response.status_code}")
            return False
        except (OSError, TimeoutError, ConnectionClosed) as problem:
            self.record.errors.append(f"join failed: {type(problem).__name__}")
            return False
        if answer.get("type") != "joined":
            self.record.errors.append(f"join answered with {answer.get('code', answer['type'])}")
            await self._socket.close()
            return False
        self.record.join_seconds = time.monotonic() - started
        self.record.joined_as = str(answer["you"]["id"])
        self._others = {str(p["id"]) for p in answer["participants"]}
        self._reader = asyncio.create_task(self._read(self._socket))
        return True

    async def talk(self, phases: Phases) -> None:
        """Ping from the join to the end; chat from when everyone is in until ``chat_until``.
        The roster is noted when the chat ends, before anyone leaves."""
        next_ping = time.monotonic() + self._rng.uniform(0, self._behaviour.ping_interval)
        next_chat: float | None = None
        while time.monotonic() < phases.end_at and not self.record.errors:
            if next_chat is None and phases.all_in.is_set():
                next_chat = time.monotonic() + self._next_chat_after()
            wake = min(next_ping, phases.end_at, math.inf if next_chat is None else next_chat)
            # At least once a second: the phases' ends are known only once everyone is in.
            await asyncio.sleep(max(0.0, min(wake - time.monotonic(), 1.0)))
            now = time.monotonic()
            if now >= phases.chat_until and self.record.others_at_end_of_chat < 0:
                self.record.others_at_end_of_chat = len(self._others)
            if now >= phases.end_at:
                break
            if now >= next_ping:
                await self._ping()
                next_ping += self._behaviour.ping_interval
            if next_chat is not None and now >= next_chat:
                if now < phases.chat_until:
                    await self._chat()
                next_chat = now + self._next_chat_after()

    def _next_chat_after(self) -> float:
        return self._rng.expovariate(1 / self._behaviour.chat_interval)

    async def leave(self) -> None:
        """Wait for the last answers, say ``leave`` and let the server close the socket."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._behaviour.answer_timeout):
                while self._pings_in_flight:
                    self._answered.clear()
                    await self._answered.wait()
        if self._pings_in_flight:
            self.record.errors.append(f"{len(self._pings_in_flight)} pings never answered")
        if self._socket is None:
            return
        self._leaving = True
        with contextlib.suppress(ConnectionClosed):
            await self._send({"type": "leave"})
        if self._reader is not None:
            try:
                async with asyncio.timeout(self._behaviour.answer_timeout):
                    await self._reader
            except TimeoutError:
                self.record.errors.append("the socket stayed open after leave")
        await self._socket.close()

    async def _ping(self) -> None:
        self._pings_in_flight.append(time.monotonic())
        self.record.pings_sent += 1
        await self._send({"type": "ping"})

    async def _chat(self) -> None:
        self.record.chats_sent += 1
        await self._send({"type": "chat", "text": f"Zeile {self.record.chats_sent}, wie geht's?"})

    async def _send(self, message: Message) -> None:
        assert self._socket is not None
        try:
            await self._socket.send(json.dumps(message))
        except ConnectionClosed as closed:
            if not self._leaving:
                self.record.errors.append(f"closed while sending: {closed.rcvd}")

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                self._on_message(json.loads(raw))
        except ConnectionClosed:
            pass
        if not self._leaving:
            self.record.errors.append(f"closed by the server: {socket.close_code}")

    def _on_message(self, message: Message) -> None:
        match message.get("type"):
            case "pong":
                if self._pings_in_flight:
                    sent = self._pings_in_flight.popleft()
                    self.record.ping_seconds.append(time.monotonic() - sent)
                    self._answered.set()
                else:
                    self.record.errors.append("a pong nobody asked for")
            case "chat":
                self.record.chats_received += 1
            case "participant_joined":
                self._others.add(str(message["participant"]["id"]))
            case "participant_left":
                self._others.discard(str(message["id"]))
            case "error":
                self.record.errors.append(f"error {message.get('code')}")


# --- the swarm -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwarmPlan:
    clients: int
    rooms: int
    addresses: int
    ramp_seconds: float
    duration_seconds: float
    behaviour: Behaviour


def client_plans(plan: SwarmPlan, run_id: str, start: float) -> list[ClientPlan]:
    """Client ``i`` is in room ``i % rooms`` and behind address ``i % addresses``: every room
    fills during the whole ramp, and its members come from several addresses."""
    spacing = plan.ramp_seconds / plan.clients
    return [
        ClientPlan(
            index=i,
            room=f"last-{run_id}-{i % plan.rooms:03d}",
            address=f"192.0.2.{1 + i % plan.addresses}",
            join_at=start + i * spacing,
        )
        for i in range(plan.clients)
    ]


@dataclass(slots=True)
class Phases:
    """Monotonic moments of the run; the ends are known once every join has been answered."""

    all_in: asyncio.Event
    ramp_started: float = 0.0
    all_joined: float = math.inf
    chat_until: float = math.inf
    end_at: float = math.inf


async def run_swarm(
    url: str, plan: SwarmPlan, rng: random.Random, phases: Phases
) -> list[ClientRecord]:
    """Every client's whole life; ``phases.all_in`` is set once every join has been answered."""
    run_id = uuid.uuid4().hex[:6]
    phases.ramp_started = time.monotonic()
    plans = client_plans(plan, run_id, phases.ramp_started)
    clients = [SignalingClient(url, p, plan.behaviour, random.Random(rng.random())) for p in plans]
    joins_left = len(clients)

    def one_more_answered() -> None:
        nonlocal joins_left
        joins_left -= 1
        if joins_left == 0:
            phases.all_joined = time.monotonic()
            phases.end_at = phases.all_joined + plan.duration_seconds
            phases.chat_until = phases.end_at - CHAT_QUIET_BEFORE_END_SECONDS
            phases.all_in.set()

    async def life(client: SignalingClient) -> None:
        await asyncio.sleep(max(0.0, client.record.plan.join_at - time.monotonic()))
        joined = await client.join()
        one_more_answered()
        if joined:
            await client.talk(phases)
            await client.leave()

    await asyncio.gather(*(life(client) for client in clients))
    return [client.record for client in clients]


def judge_swarm(records: Sequence[ClientRecord], rooms: int) -> dict[str, Any]:
    """The figures of the swarm, and every error by kind."""
    joined = [r for r in records if r.joined_as is not None]
    errors: dict[str, int] = {}
    for record in records:
        for error in record.errors:
            errors[error] = errors.get(error, 0) + 1
    by_room: dict[str, list[ClientRecord]] = {}
    for record in joined:
        by_room.setdefault(record.plan.room, []).append(record)
    chat_lines = sum(r.chats_sent for r in joined)
    expected_deliveries = sum(
        len(members) * sum(m.chats_sent for m in members) for members in by_room.values()
    )
    missing_deliveries = sum(
        max(0, sum(m.chats_sent for m in members) - member.chats_received)
        for members in by_room.values()
        for member in members
    )
    rosters_short = sum(
        1
        for members in by_room.values()
        for member in members
        if member.others_at_end_of_chat != len(members) - 1
    )
    join_ms = [r.join_seconds * 1000 for r in joined if r.join_seconds is not None]
    ping_ms = [s * 1000 for r in joined for s in r.ping_seconds]
    pings_sent = sum(r.pings_sent for r in joined)
    return {
        "clients": len(records),
        "rooms": rooms,
        "joined": len(joined),
        "distinct_participants": len({r.joined_as for r in joined}),
        "error_count": sum(errors.values()),
        "errors": errors,
        "join_ms": _spread(join_ms),
        "pings_sent": pings_sent,
        "pongs_received": len(ping_ms),
        "ping_rtt_ms": _spread(ping_ms),
        "chat_lines": chat_lines,
        "chat_deliveries_expected": expected_deliveries,
        "chat_deliveries_missing": missing_deliveries,
        "rosters_incomplete": rosters_short,
    }


def _spread(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "p50": round(median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "max": round(max(values), 1),
        "count": len(values),
    }


# --- the server's processes ----------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        # The command name may hold spaces: the fields after it start past the last ")".
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass(frozen=True, slots=True)
class CpuReading:
    at: float
    web: float
    workers: float


class ServerWatch:
    """CPU of the web process and of the SFU workers at chosen moments; their memory every
    second, keeping the peaks."""

    def __init__(self, server: ServerProcess) -> None:
        self._web = server.pid
        self._workers = children_of(server.pid)
        self.peak_web_rss_mib = 0.0
        self.peak_workers_rss_mib = 0.0
        self.web_rss_at_start_mib = rss_mib(self._web)

    def read(self) -> CpuReading:
        return CpuReading(
            at=time.monotonic(),
            web=cpu_seconds(self._web),
            workers=sum(cpu_seconds(pid) for pid in self._workers),
        )

    async def sample_memory(self) -> None:
        while True:
            self.peak_web_rss_mib = max(self.peak_web_rss_mib, rss_mib(self._web))
            workers = sum(rss_mib(pid) for pid in self._workers)
            self.peak_workers_rss_mib = max(self.peak_workers_rss_mib, workers)
            await asyncio.sleep(SAMPLE_SECONDS)


def cpu_between(before: CpuReading, after: CpuReading) -> dict[str, float]:
    seconds = after.at - before.at
    return {
        "seconds": round(seconds, 1),
        "web_share_of_one_core": round((after.web - before.web) / seconds, 3),
        "workers_share_of_one_core": round((after.workers - before.workers) / seconds, 3),
    }


# --- the video call beside it --------------------------------------------------------------------


def media_plan(base_url: str, seconds_to_ramp: float, load_seconds: float) -> GroupPlan:
    """Six publishers that join before the ramp and measure from its start to the load's end."""
    return GroupPlan(
        base_url=base_url,
        room=f"videoraum-{uuid.uuid4().hex[:6]}",
        indices=tuple(range(MEDIA_PARTICIPANTS)),
        speakers=MEDIA_PARTICIPANTS,
        simulcast=False,
        publish_video=True,
        view=View("all"),
        media_dir=str(MEDIA_DIR),
        started_at=time.time() + MEDIA_START_DELAY,
        join_interval=MEDIA_JOIN_INTERVAL,
        warmup=seconds_to_ramp,
        duration=seconds_to_ramp + load_seconds,
    )


def judge_media(results: Sequence[ParticipantResult]) -> dict[str, Any]:
    streams = [s for r in results for s in r.streams]
    expected = sum(max(0, s.expected) for s in streams)
    lost = sum(max(0, s.lost) for s in streams)
    packets = sum(s.packets for s in streams)
    window = median([r.window_seconds for r in results]) if results else 0.0
    return {
        "participants": len(results),
        "joined": sum(1 for r in results if r.joined and r.error is None),
        "errors": [r.error for r in results if r.error is not None],
        "window_seconds": round(window, 1),
        "streams_expected": len(results) * (len(results) - 1) * 2,
        "streams_receiving": sum(1 for s in streams if s.packets > 0),
        "packets_received": packets,
        "packets_per_second": round(packets / window, 1) if window else None,
        "loss_percent": round(100 * lost / expected, 3) if expected else None,
        "worst_stream_loss_percent": max(
            (round(100 * max(0, s.lost) / s.expected, 3) for s in streams if s.expected > 0),
            default=None,
        ),
    }


# --- the whole run -------------------------------------------------------------------------------


async def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    plan = SwarmPlan(
        clients=arguments.clients,
        rooms=arguments.rooms,
        addresses=arguments.addresses,
        ramp_seconds=arguments.ramp,
        duration_seconds=arguments.duration,
        behaviour=Behaviour(
            ping_interval=PING_INTERVAL_SECONDS,
            chat_interval=CHAT_INTERVAL_SECONDS,
            answer_timeout=ANSWER_TIMEOUT_SECONDS,
        ),
    )
    load_at_start = os.getloadavg()[0]
    server = ServerProcess(
        log_path=WORK / f"{NAME}.log", workers=2, metrics=True, extra_args=("--proxy-headers",)
    )
    server.log_path.unlink(missing_ok=True)
    server.start()
    watch = ServerWatch(server)
    sampler = asyncio.create_task(watch.sample_memory())
    media_running: asyncio.Future[list[ParticipantResult]] | None = None
    try:
        if arguments.media:
            ensure_media(MEDIA_DIR)
            settle = MEDIA_START_DELAY + MEDIA_PARTICIPANTS * MEDIA_JOIN_INTERVAL
            group = media_plan(
                server.base_url, MEDIA_WARMUP_SECONDS, plan.ramp_seconds + plan.duration_seconds
            )
            media_running = asyncio.ensure_future(asyncio.to_thread(run_load_groups, [group]))
            await asyncio.sleep(settle + MEDIA_WARMUP_SECONDS)
        phases = Phases(all_in=asyncio.Event())
        before = watch.read()
        sfu_before = read_sfu(server)
        swarm = asyncio.create_task(
            run_swarm(
                server.base_url.replace("http://", "ws://") + "/ws",
                plan,
                random.Random(arguments.seed),
                phases,
            )
        )
        await phases.all_in.wait()
        joined = watch.read()
        records = await swarm
        after = watch.read()
        sfu_after = read_sfu(server)
        media = judge_media(await media_running) if media_running is not None else None
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        server.stop()
    return {
        "machine_load_at_start": round(load_at_start, 2),
        "clients": plan.clients,
        "rooms": plan.rooms,
        "addresses": plan.addresses,
        "ramp_seconds": plan.ramp_seconds,
        "duration_seconds": plan.duration_seconds,
        "ping_interval_seconds": PING_INTERVAL_SECONDS,
        "chat_interval_seconds": CHAT_INTERVAL_SECONDS,
        "signaling": judge_swarm(records, plan.rooms),
        "server": {
            "ramp": cpu_between(before, joined),
            "steady": cpu_between(joined, after),
            "web_rss_mib_at_start": round(watch.web_rss_at_start_mib, 1),
            "web_rss_mib_peak": round(watch.peak_web_rss_mib, 1),
            "workers_rss_mib_peak": round(watch.peak_workers_rss_mib, 1),
            "sfu": cost_between(sfu_before, sfu_after),
        },
        "media_room": media,
    }


# --- the table -----------------------------------------------------------------------------------


def _ms(value: object) -> str:
    return f"{value:,.0f} ms" if isinstance(value, int | float) else "no figure"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    label = f"{results.get('clients', '?')} signaling clients"
    signaling = results.get("signaling")
    if not isinstance(signaling, dict):
        return [(label, "not run", "", "no figure")]
    rows: list[tuple[str, str, str, str]] = []
    errors = signaling.get("error_count", 0)
    joined, clients = signaling.get("joined", 0), results.get("clients", 0)
    rows.append(
        (
            f"{label}: errors (refused, closed, unanswered, chat lost)",
            f"{errors + signaling.get('chat_deliveries_missing', 0)}; {joined} of {clients} joined",
            "0",
            "met"
            if errors == 0 and joined == clients and not signaling.get("chat_deliveries_missing")
            else "not met",
        )
    )
    join = signaling.get("join_ms") or {}
    p95 = join.get("p95")
    rows.append(
        (
            f"{label}: join (connect → joined), p50 / p95",
            f"{_ms(join.get('p50'))} / {_ms(p95)}",
            f"p95 < {JOIN_P95_TARGET_MS:.0f} ms",
            "no figure"
            if not isinstance(p95, int | float)
            else "met"
            if p95 < JOIN_P95_TARGET_MS
            else f"short by {p95 - JOIN_P95_TARGET_MS:.0f} ms",
        )
    )
    ping = signaling.get("ping_rtt_ms") or {}
    rows.append(
        (
            f"{label}: ping → pong, p50 / p95 / max",
            f"{_ms(ping.get('p50'))} / {_ms(ping.get('p95'))} / {_ms(ping.get('max'))} "
            f"({signaling.get('pongs_received')} of {signaling.get('pings_sent')} answered)",
            "—",
            "measured",
        )
    )
    server = results.get("server") or {}
    steady = server.get("steady") or {}
    ramp = server.get("ramp") or {}
    rows.append(
        (
            f"{label}: web process CPU, joins / steady",
            f"{_percent(ramp.get('web_share_of_one_core'))} / "
            f"{_percent(steady.get('web_share_of_one_core'))} of a core",
            "—",
            "measured",
        )
    )
    rows.append(
        (
            f"{label}: memory, web process / SFU workers (peak RSS)",
            f"{_mib(server.get('web_rss_mib_peak'))} / {_mib(server.get('workers_rss_mib_peak'))}",
            "—",
            "measured",
        )
    )
    media = results.get("media_room")
    if isinstance(media, dict):
        loss = media.get("loss_percent")
        rows.append(
            (
                f"{label}: 6-person video call beside them, loss",
                f"{_percent_value(loss)} ({media.get('packets_received', 0):,} packets, "
                f"{media.get('streams_receiving')}/{media.get('streams_expected')} streams)",
                f"≤ {LOSS_TARGET_PERCENT:g} %",
                "no figure"
                if not isinstance(loss, int | float)
                else "met"
                if loss <= LOSS_TARGET_PERCENT
                and media.get("streams_receiving") == media.get("streams_expected")
                else "not met",
            )
        )
    return rows


def _percent(share: object) -> str:
    return f"{share * 100:.1f} %" if isinstance(share, int | float) else "no figure"


def _percent_value(value: object) -> str:
    return f"{value:g} %" if isinstance(value, int | float) else "no figure"


def _mib(value: object) -> str:
    return f"{value:.0f} MiB" if isinstance(value, int | float) else "no figure"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--rooms", type=int, default=ROOMS)
    parser.add_argument("--addresses", type=int, default=ADDRESSES)
    parser.add_argument("--ramp", type=float, default=RAMP_SECONDS, help="seconds of joins")
    parser.add_argument(
        "--duration",
        type=float,
        default=DURATION_SECONDS,
        help="seconds of pings and chat after the last join (default 120)",
    )
    parser.add_argument("--media", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=1)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    require_netns()
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.clients <= 5000 or not 1 <= arguments.rooms <= arguments.clients:
        parser.error("--clients must be 1-5000 and --rooms 1-clients")
    if not 0 < arguments.duration <= 3600 or not 0 < arguments.ramp <= 600:
        parser.error("--duration must be 0-3600 s and --ramp 0-600 s")
    if not 1 <= arguments.addresses <= 250:
        parser.error("--addresses must be 1-250")
    results = asyncio.run(measure(arguments))
    save(NAME, results)
    for row in table_rows(results):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
