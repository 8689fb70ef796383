"""Several nodes on one Redis: what it costs that a signaling socket reaches a node that does
not hold its room, and how long a meeting takes to come back when the node holding it dies.

Three ``klingel serve`` nodes (a, b, c; 1 SFU worker each, metrics on) on one
``redis-server``, started as ``tests/support/node_cluster.py`` starts them, but with
``--proxy-headers``: every client connects from 127.0.0.1, where a town's proxy would be, and
names an address of 198.18.0.0/15 in ``X-Forwarded-For`` (one per room or per guest), so that
the per-address limits of room creation and joins apply with their production values and are
never met. The clients are plain WebSocket clients in this process.

- **Join**: ``--rooms`` (60) rooms made with ``POST /api/rooms`` (on a, b, c in turn), one
  after another. The host's first join (with the host secret, so no lobby) goes through a node
  chosen at random (seeded); it places the room, and the one node whose ``klingel_rooms``
  (``/metrics``) grew is the room's holder. That socket stays in the room, pinging every 10 s as
  a page does. Then the host joins twice more with the same secret, once through the holder
  (direct) and once through one of the two other nodes (forwarded); which goes first and which
  other node is used alternate; each of these sockets leaves after its ``joined``. A sample is
  the time from opening the socket (TCP connect) to reading ``joined``. Reported: p50 / p95
  of the direct and the forwarded joins and their ratio; and the first joins (placement
  included), split by whether they reached the holder.
- **Recovery**: ``--kills`` (5) times each way of joining again, on a fresh cluster each time:
  a room made on node c, its host joined through node b and a guest through node c, admitted
  from the lobby by the host; the room is held by node a (equal loads: the smallest id). After
  a random part of a second (a crash comes at any moment of the nodes' one-second beat), node
  a gets SIGKILL (its web process; its worker follows). Each client then joins again through
  the same node when its socket closes, the host with its host secret, the guest with the
  ``resume`` token of its ``joined``, until it is answered ``joined`` or 45 s have passed:
  ``fixed``, 0.5 s after each socket that closed; ``backoff``, after the page's own delays
  (``backoffDelay`` in ``klingel/static/js/protocol.js``: 0.25-0.5 s, 0.5-1 s, 1-2 s, ...).
  The two alternate. A sample is the time from the kill until both have ``joined`` again.
  p50 / p95 / max over the kills of each.
- **Forwarding CPU**: one room held by node a (its host joined there, lobby off); ``--guests``
  (20) guest sockets join through node b and each sends ``{"type": "ping"}`` ``--ping-rate``
  (10) times a second; the server answers each with a ``pong``. Over ``--seconds`` (20), from
  1 s after the pings start: CPU
  seconds (``utime + stime`` of ``/proc/<pid>/stat``, all threads) of b's web process (the
  forwarder) and of a's, divided by the frames that passed (pings sent plus pongs received, as
  the clients counted them in the window); against a control in which the same sockets join
  node a directly. Before each window, 5 s with the sockets open and silent give each process's
  idle CPU (beats, ``/metrics``), reported and also subtracted. ``--rounds`` (2) times each,
  in the order forwarded, direct, direct, forwarded, ...; the ping round trip on the side.

Run inside the isolated namespace:
``PYTHONPATH=.:bots scripts/netns-run .venv/bin/python bench/nodes.py`` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import WORK, median, percentile, require_netns, save
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from klingel_bots.server_process import ServerProcess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.node_cluster import NODE_IDS, NodeCluster, running_cluster

NAME = "nodes"
LOGS = WORK / "nodes"
WORKERS = 1
ROOMS = 60
KILLS = 5
GUESTS = 20
PING_RATE = 10.0
LOAD_SECONDS = 20.0
IDLE_SECONDS = 5.0
ROUNDS = 2
JOIN_TIMEOUT = 15.0
RETRY_SECONDS = 0.5
"""The clients of the recovery join again this long after each socket that closed."""
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
COME_BACK_SECONDS = 45.0
PAGE_PING_SECONDS = 10.0
SEED = 20261206

PING = json.dumps({"type": "ping"})
LEAVE = json.dumps({"type": "leave"})
_TICKS = os.sysconf("SC_CLK_TCK")


# --- the cluster and its clients ------------------------------------------------------------


def running_nodes(log_dir: Path) -> contextlib.AbstractContextManager[NodeCluster]:
    """``support.node_cluster.running_cluster``'s three nodes, with ``--proxy-headers``."""
    return running_cluster(log_dir, workers=WORKERS, extra_args=("--proxy-headers",))


def client_address(number: int) -> str:
    """The ``number``-th address of 198.18.0.0/15 (from 1), as a proxy would name it."""
    return f"198.{18 + number // 65536}.{number // 256 % 256}.{number % 256}"


async def create_room(
    client: httpx.AsyncClient, node: ServerProcess, name: str, address: str
) -> tuple[str, str]:
    """A room made with ``POST /api/rooms``: its id and host secret."""
    answer = await client.post(
        node.base_url + "/api/rooms", json={"name": name}, headers={"X-Forwarded-For": address}
    )
    answer.raise_for_status()
    created: dict[str, Any] = answer.json()
    return created["room"], created["hostSecret"]


async def open_join(
    node: ServerProcess, room: str, name: str, address: str, **fields: Any
) -> ClientConnection:
    """A socket to ``node`` that has sent its ``join``."""
    socket = await connect(
        node.base_url.replace("http", "ws") + "/ws",
        additional_headers={"X-Forwarded-For": address},
        ping_interval=None,  # a browser sends no WebSocket pings; the page pings in JSON
        max_size=2**22,
    )
    await socket.send(json.dumps({"type": "join", "v": 1, "room": room, "name": name, **fields}))
    return socket


async def first_answer(socket: ClientConnection) -> dict[str, Any]:
    """The answer to a ``join``: ``joined``, ``waiting`` or ``error``."""
    while True:
        message: dict[str, Any] = json.loads(await socket.recv())
        if message["type"] in ("joined", "waiting", "error"):
            return message


async def next_of(socket: ClientConnection, kind: str, timeout: float = JOIN_TIMEOUT) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if message["type"] == kind:
                return message


async def timed_join(
    node: ServerProcess, room: str, name: str, address: str, **fields: Any
) -> tuple[ClientConnection, float, dict[str, Any]]:
    """A join that must be answered ``joined``: the socket, the seconds from opening it to
    reading ``joined``, and the message."""
    started = time.perf_counter()
    async with asyncio.timeout(JOIN_TIMEOUT):
        socket = await open_join(node, room, name, address, **fields)
        answer = await first_answer(socket)
    seconds = time.perf_counter() - started
    if answer["type"] != "joined":
        await socket.close()
        raise RuntimeError(f"a join was answered {answer}")
    return socket, seconds, answer


async def leave(socket: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        await socket.send(LEAVE)
    await socket.close()


class Kept:
    """A joined socket held as a page holds it: whatever comes is read (and handed to
    ``on_message``), and a ``ping`` goes out every 10 s, so the server never finds it idle."""

    def __init__(
        self,
        socket: ClientConnection,
        on_message: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.socket = socket
        self._on_message = on_message
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._ping())]

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.socket:
                if self._on_message is not None:
                    await self._on_message(json.loads(frame))

    async def _ping(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(PAGE_PING_SECONDS)
                await self.socket.send(PING)

    async def leave(self) -> None:
        await leave(self.socket)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def rooms_by_node(cluster: NodeCluster) -> dict[str, int]:
    """The rooms with someone in them on each running node (``klingel_rooms``)."""
    return {
        node_id: cluster.rooms_on(node_id)[0]
        for node_id, node in cluster.nodes.items()
        if node.is_running()
    }


async def holder_of_new_room(cluster: NodeCluster, before: dict[str, int]) -> str:
    """The one node whose count of rooms grew since ``before``."""
    for _ in range(50):
        after = rooms_by_node(cluster)
        grown = [node_id for node_id in after if after[node_id] > before.get(node_id, 0)]
        if len(grown) == 1:
            return grown[0]
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no single node took the room:\n{cluster.logs()}")


def ms_summary(seconds: Sequence[float]) -> dict[str, float | int]:
    ms = [1000 * value for value in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": round(median(ms), 2),
        "p95": round(percentile(ms, 0.95), 2),
        "max": round(max(ms), 2),
    }


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of one process (all its threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


# --- 1. joins through the holder and through another node -----------------------------------


async def measure_joins(cluster: NodeCluster, rooms: int) -> dict[str, Any]:
    rng = random.Random(SEED)
    direct: list[float] = []
    forwarded: list[float] = []
    first: dict[str, list[float]] = {"direct": [], "forwarded": []}
    holders: dict[str, int] = dict.fromkeys(NODE_IDS, 0)
    kept: list[Kept] = []
    async with httpx.AsyncClient(timeout=10.0) as http:
        try:
            for index in range(rooms):
                address = client_address(index + 1)
                made_on = cluster.nodes[NODE_IDS[index % len(NODE_IDS)]]
                room, secret = await create_room(http, made_on, f"Kurs {index}", address)
                before = rooms_by_node(cluster)
                through = rng.choice(NODE_IDS)
                socket, seconds, _ = await timed_join(
                    cluster.nodes[through], room, "Gastgeberin", address, hostSecret=secret
                )
                kept.append(Kept(socket))
                holder = await holder_of_new_room(cluster, before)
                holders[holder] += 1
                first["direct" if through == holder else "forwarded"].append(seconds)
                others = [node_id for node_id in NODE_IDS if node_id != holder]
                other = others[(index // 2) % len(others)]
                for node_id in (holder, other) if index % 2 == 0 else (other, holder):
                    socket, seconds, _ = await timed_join(
                        cluster.nodes[node_id], room, "Zweites Gerät", address, hostSecret=secret
                    )
                    (direct if node_id == holder else forwarded).append(seconds)
                    await leave(socket)
        finally:
            for page in kept:
                await page.leave()
    direct_ms, forwarded_ms = ms_summary(direct), ms_summary(forwarded)
    return {
        "rooms": rooms,
        "rooms_placed_on": holders,
        "direct_ms": direct_ms,
        "forwarded_ms": forwarded_ms,
        "ratio_p50": round(forwarded_ms["p50"] / direct_ms["p50"], 2),
        "ratio_p95": round(forwarded_ms["p95"] / direct_ms["p95"], 2),
        "first_join_direct_ms": ms_summary(first["direct"]),
        "first_join_forwarded_ms": ms_summary(first["forwarded"]),
    }


# --- 2. a node killed under a meeting -------------------------------------------------------


def fixed_retry(attempt: int) -> float:
    return RETRY_SECONDS


def page_backoff(rng: random.Random) -> Callable[[int], float]:
    """The page's own delays (``backoffDelay`` of ``klingel/static/js/protocol.js``): doubling
    from 0.5 s up to 8 s, each between half of that and all of it."""

    def delay(attempt: int) -> float:
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2.0**attempt)
        return ceiling / 2 + rng.random() * ceiling / 2

    return delay


@dataclass
class Page:
    """A client that joins again when its socket closes, after ``retry(attempt)`` seconds
    (``attempt`` from 0), until it is answered ``joined`` or 45 s have passed."""

    node: ServerProcess
    room: str
    name: str
    address: str
    fields: dict[str, Any]
    socket: ClientConnection
    retry: Callable[[int], float]
    closed_code: int | None = None
    closed_at: float = 0.0
    back_at: float | None = None
    attempts: int = 0
    answers: list[str] = field(default_factory=list)
    joined: dict[str, Any] = field(default_factory=dict)

    async def come_back(self, deadline_seconds: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for _ in self.socket:
                pass
        self.closed_at = time.monotonic()
        self.closed_code = self.socket.close_code
        deadline = self.closed_at + deadline_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(self.retry(self.attempts))
            self.attempts += 1
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    socket = await open_join(
                        self.node, self.room, self.name, self.address, **self.fields
                    )
                    answer = await first_answer(socket)
                    self.answers.append(answer["type"])
                    if answer["type"] == "waiting":  # past the lobby only once admitted
                        answer = await next_of(socket, "joined", COME_BACK_SECONDS)
            except (ConnectionClosed, OSError, TimeoutError):
                continue
            if answer["type"] != "joined":
                raise RuntimeError(f"{self.name} was answered {answer}")
            self.back_at = time.monotonic()
            self.socket, self.joined = socket, answer
            return


async def admit_waiting(host: ClientConnection, message: dict[str, Any]) -> None:
    """The host lets in whoever the lobby shows."""
    if message["type"] == "lobby":
        for waiting in message["waiting"]:
            with contextlib.suppress(ConnectionClosed):
                await host.send(json.dumps({"type": "admit", "id": waiting["id"]}))


async def one_kill(run: int, retries: str, rng: random.Random) -> dict[str, Any]:
    with running_nodes(LOGS / f"kill-{run}-{retries}") as cluster:
        host_address, guest_address = client_address(60001), client_address(60002)
        async with httpx.AsyncClient(timeout=10.0) as http:
            room, secret = await create_room(http, cluster.nodes["c"], "Gemeinderat", host_address)
        before = rooms_by_node(cluster)
        host_socket, _, _ = await timed_join(
            cluster.nodes["b"], room, "Anna", host_address, hostSecret=secret
        )
        holder = await holder_of_new_room(cluster, before)
        if holder != "a":
            raise RuntimeError(f"the room went to node {holder}, not a")
        guest_socket = await open_join(cluster.nodes["c"], room, "Ben", guest_address)
        async with asyncio.timeout(JOIN_TIMEOUT):
            if (await first_answer(guest_socket))["type"] != "waiting":
                raise RuntimeError("the guest was not sent to the lobby")
            await admit_waiting(host_socket, await next_of(host_socket, "lobby"))
            guest_joined = await next_of(guest_socket, "joined")
        host = Page(
            cluster.nodes["b"],
            room,
            "Anna",
            host_address,
            {"hostSecret": secret},
            host_socket,
            fixed_retry if retries == "fixed" else page_backoff(rng),
        )
        guest = Page(
            cluster.nodes["c"],
            room,
            "Ben",
            guest_address,
            {"resume": guest_joined["resume"]},
            guest_socket,
            fixed_retry if retries == "fixed" else page_backoff(rng),
        )
        pages = [host, guest]
        coming_back = [asyncio.create_task(page.come_back(COME_BACK_SECONDS)) for page in pages]
        # A crash comes at any moment of the nodes' one-second beat.
        phase = rng.uniform(0.0, 1.0)
        await asyncio.sleep(phase)
        killed_at = time.monotonic()
        await asyncio.to_thread(cluster.nodes["a"].kill)
        kill_returned = time.monotonic() - killed_at
        # Once the host is back, it lets in whoever the lobby shows (a guest whose seat pass
        # was not honoured would wait there).
        await coming_back[0]
        kept_host = Kept(host.socket, lambda message: admit_waiting(host.socket, message))
        await coming_back[1]
        try:
            back = [None if page.back_at is None else page.back_at - killed_at for page in pages]
            after = rooms_by_node(cluster)
            return {
                "retries": retries,
                "kill_after_setup_seconds": round(phase, 3),
                "holder_before": holder,
                "holder_after": [node_id for node_id, count in after.items() if count] or None,
                "kill_call_seconds": round(kill_returned, 3),
                "closed_codes": [page.closed_code for page in pages],
                "closed_after_seconds": [round(page.closed_at - killed_at, 3) for page in pages],
                "host_back_seconds": None if back[0] is None else round(back[0], 3),
                "guest_back_seconds": None if back[1] is None else round(back[1], 3),
                "both_back_seconds": None
                if None in back
                else round(max(value for value in back if value is not None), 3),
                "attempts": [page.attempts for page in pages],
                "guest_answers": guest.answers,
                "guest_role_after": guest.joined.get("you", {}).get("role"),
                "host_role_after": host.joined.get("you", {}).get("role"),
            }
        finally:
            await kept_host.leave()
            if guest.back_at is not None:
                await leave(guest.socket)


RETRIES = ("fixed", "backoff")
"""``fixed``: every 0.5 s; ``backoff``: the page's own delays."""


async def measure_kills(kills: int) -> dict[str, Any]:
    """``kills`` runs with each way of joining again, the two alternating."""
    rng = random.Random(SEED + 1)
    runs: dict[str, list[dict[str, Any]]] = {retries: [] for retries in RETRIES}
    for run in range(kills):
        for retries in RETRIES if run % 2 == 0 else RETRIES[::-1]:
            result = await one_kill(run, retries, rng)
            runs[retries].append(result)
            print(
                f"kill {run + 1}/{kills}, {retries}: both back after"
                f" {result['both_back_seconds']} s (host {result['host_back_seconds']} s,"
                f" guest {result['guest_back_seconds']} s, closed {result['closed_codes']},"
                f" now on {result['holder_after']})",
                flush=True,
            )
    summary: dict[str, Any] = {"kills": kills}
    for retries, done in runs.items():
        back = [run["both_back_seconds"] for run in done if run["both_back_seconds"] is not None]
        summary[retries] = {
            "runs_back": len(back),
            "both_back_seconds": {
                "p50": round(median(back), 3),
                "p95": round(percentile(back, 0.95), 3),
                "max": round(max(back), 3),
            }
            if back
            else None,
            "runs": done,
        }
    return summary


# --- 3. CPU of passing frames on ------------------------------------------------------------


class Pinger:
    """A guest that sends ``ping`` at a steady rate and counts the ``pong``s."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.sent = 0
        self.pongs = 0
        self.round_trips: list[float] = []
        self._outstanding: deque[float] = deque()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.socket:
                if json.loads(frame)["type"] == "pong":
                    self.pongs += 1
                    if self._outstanding:
                        self.round_trips.append(time.perf_counter() - self._outstanding.popleft())

    async def ping(self, rate: float, phase: float, stop: asyncio.Event) -> None:
        due = time.monotonic() + phase
        while not stop.is_set():
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self._outstanding.append(time.perf_counter())
            await self.socket.send(PING)
            self.sent += 1
            due += 1.0 / rate

    async def leave(self) -> None:
        await leave(self.socket)
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@dataclass(frozen=True, slots=True)
class Reading:
    at: float
    cpu: dict[str, float]
    sent: int
    pongs: int
    round_trips: tuple[int, ...]


def read_now(cluster: NodeCluster, pingers: Sequence[Pinger]) -> Reading:
    return Reading(
        time.monotonic(),
        {node_id: process_cpu_seconds(node.pid) for node_id, node in cluster.nodes.items()},
        sum(pinger.sent for pinger in pingers),
        sum(pinger.pongs for pinger in pingers),
        tuple(len(pinger.round_trips) for pinger in pingers),
    )


async def one_window(
    cluster: NodeCluster,
    room: str,
    through: str,
    guests: int,
    rate: float,
    seconds: float,
    first_guest: int,
) -> dict[str, Any]:
    """``guests`` sockets through node ``through``: their idle and their pinging window."""
    pingers = []
    try:
        for number in range(guests):
            socket, _, _ = await timed_join(
                cluster.nodes[through],
                room,
                f"Gast {number}",
                client_address(first_guest + number),
            )
            pingers.append(Pinger(socket))
        await asyncio.sleep(2.0)  # everyone has heard of everyone
        idle_start = read_now(cluster, pingers)
        await asyncio.sleep(IDLE_SECONDS)
        idle_end = read_now(cluster, pingers)
        stop = asyncio.Event()
        senders = [
            asyncio.create_task(pinger.ping(rate, number / (guests * rate), stop))
            for number, pinger in enumerate(pingers)
        ]
        await asyncio.sleep(1.0)
        start = read_now(cluster, pingers)
        await asyncio.sleep(seconds)
        end = read_now(cluster, pingers)
        stop.set()
        await asyncio.gather(*senders)
        await asyncio.sleep(0.5)  # the last pongs
    finally:
        for pinger in pingers:
            await pinger.leave()
    trips = [
        trip
        for pinger, first, last in zip(pingers, start.round_trips, end.round_trips, strict=True)
        for trip in pinger.round_trips[first:last]
    ]
    return {
        "through": through,
        "seconds": end.at - start.at,
        "frames": (end.sent - start.sent) + (end.pongs - start.pongs),
        "pings": end.sent - start.sent,
        "pongs": end.pongs - start.pongs,
        "cpu": {node_id: end.cpu[node_id] - start.cpu[node_id] for node_id in end.cpu},
        "idle_seconds": idle_end.at - idle_start.at,
        "idle_cpu": {
            node_id: idle_end.cpu[node_id] - idle_start.cpu[node_id] for node_id in idle_end.cpu
        },
        "_trips": trips,
    }


def cost_of(windows: Sequence[dict[str, Any]], node_id: str) -> dict[str, float]:
    """A node's web-process CPU over ``windows``: µs per frame as measured, and with the idle
    CPU of the seconds before each window subtracted; its idle share of a core."""
    frames = sum(window["frames"] for window in windows)
    cpu = sum(window["cpu"][node_id] for window in windows)
    idle_rate = sum(window["idle_cpu"][node_id] for window in windows) / sum(
        window["idle_seconds"] for window in windows
    )
    net = cpu - idle_rate * sum(window["seconds"] for window in windows)
    return {
        "cpu_seconds": round(cpu, 3),
        "share_of_a_core": round(cpu / sum(window["seconds"] for window in windows), 4),
        "idle_share_of_a_core": round(idle_rate, 4),
        "us_per_frame": round(cpu / frames * 1e6, 1),
        "us_per_frame_net_of_idle": round(net / frames * 1e6, 1),
    }


async def measure_forwarding_cpu(
    cluster: NodeCluster, guests: int, rate: float, seconds: float, rounds: int
) -> dict[str, Any]:
    address = client_address(50001)
    async with httpx.AsyncClient(timeout=10.0) as http:
        room, secret = await create_room(http, cluster.nodes["a"], "Vollversammlung", address)
    await asyncio.sleep(3.0)  # the rooms of earlier parts given up, every node's load 0
    before = rooms_by_node(cluster)
    socket, _, _ = await timed_join(cluster.nodes["a"], room, "Leitung", address, hostSecret=secret)
    holder = await holder_of_new_room(cluster, before)
    forwarder = next(node_id for node_id in NODE_IDS if node_id != holder)
    await socket.send(json.dumps({"type": "room_settings", "lobby": False}))
    await next_of(socket, "room_updated")
    host = Kept(socket)
    windows: dict[str, list[dict[str, Any]]] = {"forwarded": [], "direct": []}
    try:
        for turn in range(rounds):
            order = ("forwarded", "direct") if turn % 2 == 0 else ("direct", "forwarded")
            for mode in order:
                through = forwarder if mode == "forwarded" else holder
                window = await one_window(
                    cluster, room, through, guests, rate, seconds, 50101 + 100 * len(windows[mode])
                )
                windows[mode].append(window)
                print(
                    f"{mode} via node {through}: {window['frames']} frames in"
                    f" {window['seconds']:.1f} s, CPU {holder}"
                    f" {window['cpu'][holder]:.2f} s, {forwarder} {window['cpu'][forwarder]:.2f} s",
                    flush=True,
                )
    finally:
        await host.leave()
    result: dict[str, Any] = {"holder": holder, "forwarder": forwarder}
    for mode, done in windows.items():
        trips = [trip for window in done for trip in window.pop("_trips")]
        result[mode] = {
            "windows": len(done),
            "frames": sum(window["frames"] for window in done),
            "seconds": round(sum(window["seconds"] for window in done), 2),
            "frames_per_second": round(
                sum(window["frames"] for window in done) / sum(w["seconds"] for w in done), 1
            ),
            "forwarder": cost_of(done, forwarder),
            "holder": cost_of(done, holder),
            "round_trip_ms": ms_summary(trips),
        }
    return result


# --- the run --------------------------------------------------------------------------------


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "nodes": len(NODE_IDS),
        "workers_per_node": WORKERS,
        "load_at_start": os.getloadavg()[0],
    }
    if "joins" in arguments.parts or "cpu" in arguments.parts:
        with running_nodes(LOGS / "shared") as cluster:
            if "joins" in arguments.parts:
                started = time.monotonic()
                result["joins"] = await measure_joins(cluster, arguments.rooms)
                print(f"joins done in {time.monotonic() - started:.0f} s", flush=True)
            if "cpu" in arguments.parts:
                result["forwarding_cpu"] = await measure_forwarding_cpu(
                    cluster,
                    arguments.guests,
                    arguments.ping_rate,
                    arguments.seconds,
                    arguments.rounds,
                )
    if "kills" in arguments.parts:
        result["recovery"] = await measure_kills(arguments.kills)
    result["load_at_end"] = os.getloadavg()[0]
    return result


def _ms(summary: Any, key: str) -> str:
    if not isinstance(summary, dict) or key not in summary:
        return "—"
    return f"{summary[key]:.1f} ms"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    rows: list[tuple[str, str, str, str]] = []
    joins = results.get("joins")
    if isinstance(joins, dict):
        rows.append(
            (
                "nodes: join through another node / through the holder, p50 (ratio)",
                f"{_ms(joins['forwarded_ms'], 'p50')} / {_ms(joins['direct_ms'], 'p50')}"
                f" ({joins['ratio_p50']})",
                "—",
                "measured",
            )
        )
        rows.append(
            (
                "nodes: join through another node / through the holder, p95 (ratio)",
                f"{_ms(joins['forwarded_ms'], 'p95')} / {_ms(joins['direct_ms'], 'p95')}"
                f" ({joins['ratio_p95']})",
                "—",
                "measured",
            )
        )
        rows.append(
            (
                "nodes: first join of a room (placement), through another node / the holder, p50",
                f"{_ms(joins['first_join_forwarded_ms'], 'p50')}"
                f" / {_ms(joins['first_join_direct_ms'], 'p50')}",
                "—",
                "measured",
            )
        )
    recovery = results.get("recovery")
    if isinstance(recovery, dict):
        for retries, how in (("fixed", "every 0.5 s"), ("backoff", "with the page's backoff")):
            measured = recovery.get(retries) or {}
            back = measured.get("both_back_seconds") or {}
            rows.append(
                (
                    f"nodes: room's node killed → host and guest joined again ({how}),"
                    " p50 / p95 / max",
                    f"{back.get('p50', '—')} / {back.get('p95', '—')} / {back.get('max', '—')} s"
                    f" ({measured.get('runs_back', 0)} of {recovery['kills']} back)",
                    "—",
                    "measured",
                )
            )
    cpu = results.get("forwarding_cpu")
    if isinstance(cpu, dict):
        forwarded, direct = cpu["forwarded"], cpu["direct"]
        rows.append(
            (
                "nodes: web-process CPU per signaling frame, forwarder / holder (holder direct)",
                f"{forwarded['forwarder']['us_per_frame']} / {forwarded['holder']['us_per_frame']}"
                f" µs ({direct['holder']['us_per_frame']} µs)",
                "—",
                "measured",
            )
        )
    return rows


def print_table(result: dict[str, Any]) -> None:
    print("\n| measure | p50 | p95 | max | n |")
    print("|---|---|---|---|---|")
    joins = result.get("joins")
    if isinstance(joins, dict):
        for label, key in (
            ("join → joined, through the holder", "direct_ms"),
            ("join → joined, through another node", "forwarded_ms"),
            ("first join (placement included), through the holder", "first_join_direct_ms"),
            ("first join (placement included), through another node", "first_join_forwarded_ms"),
        ):
            summary = joins[key]
            print(
                f"| {label} | {_ms(summary, 'p50')} | {_ms(summary, 'p95')} |"
                f" {_ms(summary, 'max')} | {summary['n']} |"
            )
        print(
            f"| ratio, through another node / through the holder | {joins['ratio_p50']} |"
            f" {joins['ratio_p95']} | | |"
        )
    recovery = result.get("recovery")
    if isinstance(recovery, dict):
        for retries, how in (("fixed", "every 0.5 s"), ("backoff", "with the page's backoff")):
            measured = recovery[retries]
            back = measured.get("both_back_seconds") or {}
            print(
                f"| SIGKILL of the room's node → host and guest joined again, joining {how} |"
                f" {back.get('p50', '—')} s | {back.get('p95', '—')} s |"
                f" {back.get('max', '—')} s | {measured['runs_back']} of {recovery['kills']} |"
            )
    cpu = result.get("forwarding_cpu")
    if isinstance(cpu, dict):
        forwarder, holder = cpu["forwarder"], cpu["holder"]
        print(
            f"\n| web-process CPU per frame (ping or pong), µs; net of idle in brackets |"
            f" frames/s | forwarder (node {forwarder}) | holder (node {holder}) | both |"
        )
        print("|---|---|---|---|---|")
        for mode, label in (
            ("forwarded", f"sockets through node {forwarder}"),
            ("direct", f"sockets to node {holder} (control)"),
        ):
            measured = cpu[mode]
            cells = [
                f"{measured[role]['us_per_frame']} ({measured[role]['us_per_frame_net_of_idle']})"
                for role in ("forwarder", "holder")
            ]
            both = sum(measured[role]["us_per_frame"] for role in ("forwarder", "holder"))
            both_net = sum(
                measured[role]["us_per_frame_net_of_idle"] for role in ("forwarder", "holder")
            )
            print(
                f"| {label} | {measured['frames_per_second']} | {cells[0]} | {cells[1]} |"
                f" {both:.1f} ({both_net:.1f}) |"
            )
        for mode in ("forwarded", "direct"):
            trips = cpu[mode]["round_trip_ms"]
            print(
                f"ping round trip, {mode}: p50 {_ms(trips, 'p50')}, p95 {_ms(trips, 'p95')}"
                f" ({trips['n']} pings)"
            )


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=ROOMS)
    parser.add_argument("--kills", type=int, default=KILLS)
    parser.add_argument("--guests", type=int, default=GUESTS)
    parser.add_argument("--ping-rate", type=float, default=PING_RATE, help="per guest, per s")
    parser.add_argument("--seconds", type=float, default=LOAD_SECONDS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--parts", nargs="+", choices=("joins", "kills", "cpu"), default=["joins", "cpu", "kills"]
    )
    arguments = parser.parse_args()
    if not (
        2 <= arguments.rooms <= 1000
        and 1 <= arguments.kills <= 30
        and 1 <= arguments.guests <= 90
        and 0.1 <= arguments.ping_rate <= 25
        and 1 <= arguments.seconds <= 120
        and 1 <= arguments.rounds <= 5
    ):
        parser.error("2-1000 rooms, 1-30 kills, 1-90 guests, 0.1-25 pings/s, 1-120 s, 1-5 rounds")
    result = asyncio.run(run(arguments))
    save(NAME, result)
    print_table(result)


if __name__ == "__main__":
    main()
