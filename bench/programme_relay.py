"""A broadcast's programme relayed between nodes: the SFU CPU per packet at the room's node,
which relays the programme once to the node that serves the viewers, and at that node; against
the room's node serving the same viewers itself.

Three ``klingel serve`` nodes (a, b, c; 1 SFU worker each, metrics on, ``--proxy-headers``) on
one ``redis-server``, started as ``bench/nodes.py`` starts them. A host, a ``klingel.load``
light participant joined through node a with the host secret of a room made there by
``POST /api/rooms`` (so node a holds the room: equal loads, the first node; checked),
publishes a simulcast camera (class30's prepared VP8; ``--programme 360p``, the default: the
320x180 and 640x360 layers; ``720p``: 1280x720 on top) and Opus, and starts the broadcast.
Light viewers (``klingel.load.viewer.LoadViewer``: ``watch``, one receive-only subscription
to the camera and the three voice slots, transport-wide feedback answered, nothing decoded)
run in one load process of their own, reading their sockets with a ``DatagramPump``, 40 per
client address named in ``X-Forwarded-For``; a ``watch`` that is refused (node b learns of
the broadcast once node a has announced it in Redis) is tried again every 0.25 s.

Windows of ``--seconds`` (10), each in one of three modes:

- ``idle``: the host publishing and live, no viewers;
- ``relayed``: N viewers connected to node b: b passes their sockets on to a, a's worker relays
  the programme once to b's worker (sealed UDP datagrams), b's worker forwards it to them;
- ``direct``: the same N viewers connected to node a, whose worker forwards to them.

``--rounds`` (3) rounds; the order of the three modes rotates by one each round (idle,
relayed, direct; relayed, direct, idle; direct, idle, relayed), so each mode comes at each
place once in three rounds. Viewers are started before a window and given ``WARMUP_SECONDS``
(5) to reach their layers; after it they leave, and the next window starts once node a's
and b's gauges are back to 0 (viewers served elsewhere, viewers of other nodes, programmes
from other nodes), their workers hold no viewer's transport, and one more second passed.
Around each window ``/metrics`` of nodes a and b: per worker ``klingel_sfu_cpu_seconds_total``
(the worker's ``process_time``), ``rtp_forwarded``, ``rtp_received``, ``relayed_to_nodes``,
``relayed_from_nodes``. A relayed window must show a's ``klingel_viewers_served_elsewhere``
= N, b's ``klingel_viewers_of_other_nodes`` = N and ``klingel_programmes_from_other_nodes``
= 1; a direct or idle window those gauges at 0 and nothing relayed; every viewer must
receive camera and voice in the window; else the run stops with an error.

Reported per N (``--viewers``, default 1 and 20, each its own series on the same cluster),
each figure as measured and with the idle CPU rate (the node's worker CPU over all idle
windows of the series, divided by their length) times the windows' length subtracted:
node a's worker CPU per datagram relayed to b (the programme's work, the seal, ``sendto``);
node b's per datagram taken from the relay and per packet it forwards to its viewers; a and b
together per packet b forwards; node a's CPU per packet forwarded in the direct windows (the
floor); and the ratio of the two. Beside them, in the benchmark's own process before the
cluster starts, ``NodeRelaySeal.seal`` and ``open`` alone on a 1,108-byte relay datagram
(warm, best of five batches of 20,000).

Run inside the isolated namespace:
``PYTHONPATH=.:bots:tests scripts/netns-run .venv/bin/python bench/programme_relay.py``
(about 5 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import shutil
import statistics
import struct
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx
from harness import WORK, require_netns, save
from nodes import process_cpu_seconds, running_nodes
from support.node_cluster import NodeCluster

from klingel.client import SignalingError
from klingel.load.group import result_between
from klingel.load.media_files import ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions, ParticipantSnapshot
from klingel.load.pump import DatagramPump
from klingel.load.sending import Pacer, PreparedMedia
from klingel.load.summary import subscriber_figures
from klingel.load.viewer import VIEWERS_PER_ADDRESS, LoadViewer, ViewerOptions, client_address
from klingel.load.views import View
from klingel.sfu.api import PROGRAMME_SLOTS
from klingel.sfu.dtls import DtlsIdentity
from klingel.sfu.node_relay import NodeRelaySeal
from klingel_bots.metrics import MetricSample, parse_metrics, sum_metric
from klingel_bots.server_process import ServerProcess

NAME = "programme_relay"
LOGS = WORK / "programme_relay"
MEDIA_DIR = WORK / "load-media"
PROGRAMMES = {"360p": 2, "720p": 3}  # simulcast layers the host sends, as in audience.py
VIEWERS = (1, 20)
SECONDS = 10.0
ROUNDS = 3
MODES = ("idle", "relayed", "direct")
WARMUP_SECONDS = 5.0
"""From the last viewer's subscription to the window: the viewers climb to their layer."""
SETTLE_SECONDS = 1.0
"""After the gauges are back to 0: the relay's end and the transports' closing done."""
HOST_SETTLE_SECONDS = 3.0
ANNOUNCE_SECONDS = 1.5  # margin for the holder's announcement of a broadcast in Redis
WATCH_RETRY_SECONDS = 0.25
WATCH_DEADLINE_SECONDS = 20.0
JOIN_INTERVAL = 0.02
GAUGE_TIMEOUT = 20.0
COMMAND_TIMEOUT = 60.0
SEALED_PAYLOAD = 1100  # bytes of RTP in the relay datagram the seal is timed on
CAMERA, VOICE = PROGRAMME_SLOTS[0].stream_id, PROGRAMME_SLOTS[2].stream_id
ROOM_NODE, SERVING_NODE = "a", "b"


# --- the viewers, in a load process of their own --------------------------------------------


class ViewerGroup:
    """One window's viewers, all connected to one node; a refused ``watch`` is tried again."""

    def __init__(self, base_url: str, key: str, identity: DtlsIdentity) -> None:
        self.base_url = base_url
        self.key = key
        self.identity = identity
        self.pump = DatagramPump()
        self.viewers: list[LoadViewer] = []
        self.attempts = 0

    async def watch(self, indices: Sequence[int], addresses: int) -> None:
        deadline = time.monotonic() + WATCH_DEADLINE_SECONDS
        starting = []
        for number, index in enumerate(indices):
            if number:
                await asyncio.sleep(JOIN_INTERVAL)
            starting.append(asyncio.create_task(self._start(index, addresses, deadline)))
        self.viewers = list(await asyncio.gather(*starting))

    async def _start(self, index: int, addresses: int, deadline: float) -> LoadViewer:
        while True:
            self.attempts += 1
            viewer = LoadViewer(
                self.base_url,
                self.key,
                f"Viewer {index + 1}",
                identity=self.identity,
                options=ViewerOptions(
                    forwarded_for=client_address(index, addresses), pump=self.pump
                ),
            )
            try:
                await viewer.start()
            except (SignalingError, TimeoutError, OSError, ConnectionError) as error:
                await viewer.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{viewer.name} not let in: {error!r}") from error
                await asyncio.sleep(WATCH_RETRY_SECONDS)
                continue
            return viewer

    def snapshots(self) -> dict[str, ParticipantSnapshot]:
        return {viewer.name: viewer.snapshot() for viewer in self.viewers}

    async def close(self) -> None:
        await asyncio.gather(*(viewer.close() for viewer in self.viewers))
        await self.pump.close()


def serve_viewers(connection: Connection, key: str) -> None:
    """The load process: ``("watch", base_url, indices, addresses)`` starts a group of viewers
    and answers ``("watching", attempts)`` or ``("failed", reason)``; ``("snapshot",)``
    answers each viewer's ``ParticipantSnapshot``; ``("leave",)`` ends the group and answers
    ``("left",)``; ``("close",)`` ends the process."""
    asyncio.run(_serve_viewers(connection, key))


async def _serve_viewers(connection: Connection, key: str) -> None:
    identity = DtlsIdentity.generate()
    group: ViewerGroup | None = None
    try:
        while await asyncio.to_thread(connection.poll, 900.0):
            command = connection.recv()
            match command:
                case ("watch", str(base_url), indices, int(addresses)):
                    group = ViewerGroup(base_url, key, identity)
                    try:
                        await group.watch(indices, addresses)
                    except Exception as error:
                        connection.send(("failed", repr(error)))
                    else:
                        connection.send(("watching", group.attempts))
                case ("snapshot",):
                    connection.send({} if group is None else group.snapshots())
                case ("leave",):
                    if group is not None:
                        await group.close()
                        group = None
                    connection.send(("left",))
                case ("close",):
                    break
                case _:
                    raise ValueError(f"unknown command {command!r}")
    finally:
        if group is not None:
            await group.close()
        with contextlib.suppress(OSError):
            connection.send(("closed",))


class LoadProcess:
    """The controller's end of ``serve_viewers``."""

    def __init__(self, key: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=serve_viewers, args=(child, key), daemon=True
        )
        self.process.start()
        child.close()

    async def ask(self, command: tuple[Any, ...], timeout: float = COMMAND_TIMEOUT) -> Any:
        connection: Connection = self._connection
        connection.send(command)
        if not await asyncio.to_thread(connection.poll, timeout):
            raise TimeoutError(f"the load process did not answer {command[0]!r}")
        return connection.recv()

    async def watch(self, base_url: str, indices: Sequence[int]) -> int:
        addresses = -(-len(indices) // VIEWERS_PER_ADDRESS)
        answer = await self.ask(("watch", base_url, tuple(indices), addresses))
        if answer[0] != "watching":
            raise RuntimeError(f"the viewers could not watch: {answer[1]}")
        attempts: int = answer[1]
        return attempts

    async def snapshots(self) -> dict[str, ParticipantSnapshot]:
        snapshots: dict[str, ParticipantSnapshot] = await self.ask(("snapshot",))
        return snapshots

    async def leave(self) -> None:
        await self.ask(("leave",))

    def cpu_seconds(self) -> float:
        pid = self.process.pid
        return process_cpu_seconds(pid) if pid is not None else 0.0

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, EOFError):
            await self.ask(("close",))
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()


# --- the nodes' counters ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeReading:
    """One node's ``/metrics`` (its worker's counters summed) and its web process's CPU."""

    cpu: float
    forwarded: float
    received: float
    relayed_to: float
    relayed_from: float
    transports: float
    rooms: float
    served_elsewhere: float
    of_other_nodes: float
    programmes_from_other_nodes: float
    web_cpu: float


@dataclass(frozen=True, slots=True)
class Reading:
    at: float
    nodes: dict[str, NodeReading]


COUNTERS = ("cpu", "forwarded", "received", "relayed_to", "relayed_from", "web_cpu")


def read_node(node: ServerProcess) -> NodeReading:
    samples: list[MetricSample] = parse_metrics(node.get_text("/metrics"))

    def total(name: str) -> float:
        return sum_metric(samples, name)

    return NodeReading(
        cpu=total("klingel_sfu_cpu_seconds_total"),
        forwarded=total("klingel_sfu_rtp_forwarded_total"),
        received=total("klingel_sfu_rtp_received_total"),
        relayed_to=total("klingel_sfu_relayed_to_nodes_total"),
        relayed_from=total("klingel_sfu_relayed_from_nodes_total"),
        transports=total("klingel_sfu_transports"),
        rooms=total("klingel_rooms"),
        served_elsewhere=total("klingel_viewers_served_elsewhere"),
        of_other_nodes=total("klingel_viewers_of_other_nodes"),
        programmes_from_other_nodes=total("klingel_programmes_from_other_nodes"),
        web_cpu=process_cpu_seconds(node.pid),
    )


def _read(cluster: NodeCluster) -> Reading:
    started = time.monotonic()
    nodes = {node_id: read_node(cluster.nodes[node_id]) for node_id in (ROOM_NODE, SERVING_NODE)}
    return Reading((started + time.monotonic()) / 2, nodes)


async def read(cluster: NodeCluster) -> Reading:
    return await asyncio.to_thread(_read, cluster)


def expect(reading: Reading, mode: str, viewers: int, when: str) -> None:
    """The gauges a window of ``mode`` must show; a run that does not is stopped."""
    room, serving = reading.nodes[ROOM_NODE], reading.nodes[SERVING_NODE]
    wanted = (viewers, viewers, 1) if mode == "relayed" else (0, 0, 0)
    seen = (
        int(room.served_elsewhere),
        int(serving.of_other_nodes),
        int(serving.programmes_from_other_nodes),
    )
    if seen != wanted or int(room.rooms) != 1:
        raise RuntimeError(
            f"{mode} window with {viewers} viewer(s), {when}: node a's viewers served elsewhere,"
            f" node b's viewers of other nodes and programmes from other nodes are {seen},"
            f" not {wanted}; node a's rooms {room.rooms:g}"
        )


async def back_to_quiet(cluster: NodeCluster, transports: dict[str, float]) -> float:
    """Wait until the viewers are gone from both nodes: the gauges at 0 and the workers'
    transports back to the host's. The seconds it took."""
    started = time.monotonic()
    while True:
        reading = await read(cluster)
        room, serving = reading.nodes[ROOM_NODE], reading.nodes[SERVING_NODE]
        if (
            room.served_elsewhere == 0
            and serving.of_other_nodes == 0
            and serving.programmes_from_other_nodes == 0
            and room.transports == transports[ROOM_NODE]
            and serving.transports == transports[SERVING_NODE]
        ):
            return time.monotonic() - started
        if time.monotonic() - started > GAUGE_TIMEOUT:
            raise RuntimeError(f"the viewers did not go: {reading}\n{cluster.logs()}")
        await asyncio.sleep(0.1)


# --- one window ---------------------------------------------------------------------------


def viewer_figures(
    viewers: int, before: dict[str, ParticipantSnapshot], after: dict[str, ParticipantSnapshot]
) -> dict[str, Any]:
    results = [result_between(name, before[name], after[name], None) for name in after]
    figures = [subscriber_figures(result) for result in results]
    receiving = 0
    layers: dict[str, int] = {}
    for result in results:
        flowing = {s.stream for s in result.streams if s.packets > 0}
        if result.error is None and {CAMERA, VOICE} <= flowing:
            receiving += 1
        camera = next((s for s in result.streams if s.stream == CAMERA), None)
        if camera is not None and camera.size is not None:
            label = f"{camera.size[1]}p"
            layers[label] = layers.get(label, 0) + 1
    losses = [float(f["loss_percent"]) for f in figures]
    downloads = [float(f["download_kbit_s"]) for f in figures]
    return {
        "viewers": viewers,
        "receiving": receiving,
        "errors": [f["error"] for f in figures if f["error"]],
        "loss_percent_mean": round(statistics.fmean(losses), 3) if losses else None,
        "download_kbit_s_mean": round(statistics.fmean(downloads), 1) if downloads else None,
        "camera_layers": dict(sorted(layers.items())),
    }


async def one_window(
    cluster: NodeCluster,
    load: LoadProcess,
    mode: str,
    viewers: int,
    seconds: float,
    first_index: int,
    transports: dict[str, float],
) -> dict[str, Any]:
    attempts = 0
    before_viewers: dict[str, ParticipantSnapshot] = {}
    if mode != "idle":
        node = cluster.nodes[SERVING_NODE if mode == "relayed" else ROOM_NODE]
        attempts = await load.watch(node.base_url, range(first_index, first_index + viewers))
        await asyncio.sleep(WARMUP_SECONDS)
        before_viewers = await load.snapshots()
    load_cpu = load.cpu_seconds()
    first = await read(cluster)
    expect(first, mode, viewers, "at the start")
    await asyncio.sleep(seconds)
    last = await read(cluster)
    load_cpu = load.cpu_seconds() - load_cpu
    expect(last, mode, viewers, "at the end")
    window: dict[str, Any] = {
        "mode": mode,
        "seconds": round(last.at - first.at, 3),
        "load_process_cpu": round(load_cpu, 3),
        "load_average_1min": os.getloadavg()[0],
    }
    for node_id in (ROOM_NODE, SERVING_NODE):
        then, now = first.nodes[node_id], last.nodes[node_id]
        window[node_id] = {
            field: round(getattr(now, field) - getattr(then, field), 6) for field in COUNTERS
        }
        window[node_id]["transports"] = now.transports
    if mode != "idle":
        after_viewers = await load.snapshots()
        window["watch_attempts"] = attempts
        window["viewers"] = viewer_figures(viewers, before_viewers, after_viewers)
        await load.leave()
        window["seconds_until_gone"] = round(await back_to_quiet(cluster, transports), 2)
        await asyncio.sleep(SETTLE_SECONDS)
        if window["viewers"]["receiving"] != viewers:
            raise RuntimeError(f"{mode} window: not every viewer received: {window['viewers']}")
    if mode != "relayed" and window[ROOM_NODE]["relayed_to"] > 0:
        raise RuntimeError(f"{mode} window: node a relayed {window[ROOM_NODE]['relayed_to']:g}")
    return window


# --- a series: one number of viewers --------------------------------------------------------


def _us(cpu: float, count: float) -> float | None:
    return round(cpu / count * 1e6, 2) if count > 0 else None


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 3) if top is not None and bottom else None


def costs(windows: Sequence[dict[str, Any]], idle_rate: dict[str, float]) -> dict[str, Any]:
    """The figures of the relayed and direct windows among ``windows`` (summed over them), as
    measured and with ``idle_rate`` (CPU seconds per second, per node) subtracted."""
    seconds = sum(w["seconds"] for w in windows)

    def total(node_id: str, field: str) -> float:
        return float(sum(w[node_id][field] for w in windows))

    cpu = {node_id: total(node_id, "cpu") for node_id in (ROOM_NODE, SERVING_NODE)}
    net = {node_id: cpu[node_id] - idle_rate[node_id] * seconds for node_id in cpu}
    a, b = ROOM_NODE, SERVING_NODE
    figures: dict[str, Any] = {
        "windows": len(windows),
        "seconds": round(seconds, 2),
        "cpu_share_of_a_core": {n: round(cpu[n] / seconds, 4) for n in cpu},
        "extra_cpu_share_of_a_core": {n: round(net[n] / seconds, 4) for n in net},
    }
    mode = windows[0]["mode"]
    if mode == "relayed":
        relayed, taken = total(a, "relayed_to"), total(b, "relayed_from")
        forwarded = total(b, "forwarded")
        figures.update(
            {
                "relayed_per_second": round(relayed / seconds, 1),
                "taken_per_second": round(taken / seconds, 1),
                "keyframe_requests_back": total(a, "relayed_from"),
                "forwarded_per_second": round(forwarded / seconds, 1),
                "a_forwarded": total(a, "forwarded"),
                "a_us_per_datagram_relayed": _us(cpu[a], relayed),
                "a_us_per_datagram_relayed_net": _us(net[a], relayed),
                "b_us_per_datagram_taken": _us(cpu[b], taken),
                "b_us_per_datagram_taken_net": _us(net[b], taken),
                "b_us_per_packet_forwarded": _us(cpu[b], forwarded),
                "b_us_per_packet_forwarded_net": _us(net[b], forwarded),
                "a_and_b_us_per_packet_forwarded": _us(cpu[a] + cpu[b], forwarded),
                "a_and_b_us_per_packet_forwarded_net": _us(net[a] + net[b], forwarded),
            }
        )
    elif mode == "direct":
        forwarded = total(a, "forwarded")
        figures.update(
            {
                "forwarded_per_second": round(forwarded / seconds, 1),
                "b_forwarded": total(b, "forwarded"),
                "a_us_per_packet_forwarded": _us(cpu[a], forwarded),
                "a_us_per_packet_forwarded_net": _us(net[a], forwarded),
            }
        )
    return figures


def summary(windows: Sequence[dict[str, Any]], rounds: int) -> dict[str, Any]:
    idle = [w for w in windows if w["mode"] == "idle"]
    idle_seconds = sum(w["seconds"] for w in idle)
    idle_rate = {
        node_id: sum(w[node_id]["cpu"] for w in idle) / idle_seconds
        for node_id in (ROOM_NODE, SERVING_NODE)
    }
    result: dict[str, Any] = {
        "idle_cpu_share_of_a_core": {n: round(rate, 4) for n, rate in idle_rate.items()},
        "idle_received_per_second": round(
            sum(w[ROOM_NODE]["received"] for w in idle) / idle_seconds, 1
        ),
    }
    for mode in ("relayed", "direct"):
        result[mode] = costs([w for w in windows if w["mode"] == mode], idle_rate)
    relayed, direct = result["relayed"], result["direct"]
    result["ratio"] = _ratio(
        relayed["a_and_b_us_per_packet_forwarded"], direct["a_us_per_packet_forwarded"]
    )
    result["ratio_net"] = _ratio(
        relayed["a_and_b_us_per_packet_forwarded_net"], direct["a_us_per_packet_forwarded_net"]
    )
    per_round = []
    for turn in range(rounds):
        of_round = [w for w in windows if w["round"] == turn]
        one = {
            mode: costs([w for w in of_round if w["mode"] == mode], idle_rate)
            for mode in ("relayed", "direct")
        }
        per_round.append(
            {
                "relayed_net": one["relayed"]["a_and_b_us_per_packet_forwarded_net"],
                "direct_net": one["direct"]["a_us_per_packet_forwarded_net"],
                "ratio_net": _ratio(
                    one["relayed"]["a_and_b_us_per_packet_forwarded_net"],
                    one["direct"]["a_us_per_packet_forwarded_net"],
                ),
            }
        )
    result["per_round"] = per_round
    result["viewers_seen"] = {
        mode: [w["viewers"] for w in windows if w["mode"] == mode] for mode in ("relayed", "direct")
    }
    return result


async def series(
    cluster: NodeCluster,
    load: LoadProcess,
    viewers: int,
    seconds: float,
    rounds: int,
    first_index: int,
    transports: dict[str, float],
) -> dict[str, Any]:
    windows: list[dict[str, Any]] = []
    index = first_index
    for turn in range(rounds):
        order = MODES[turn % len(MODES) :] + MODES[: turn % len(MODES)]
        for mode in order:
            window = await one_window(cluster, load, mode, viewers, seconds, index, transports)
            index += viewers
            window["round"] = turn
            windows.append(window)
            a, b = window[ROOM_NODE], window[SERVING_NODE]
            print(
                f"{viewers} viewer(s), round {turn + 1}, {mode}: {window['seconds']:.1f} s,"
                f" a: CPU {a['cpu']:.3f} s, forwarded {a['forwarded']:g}, relayed"
                f" {a['relayed_to']:g}; b: CPU {b['cpu']:.3f} s, taken {b['relayed_from']:g},"
                f" forwarded {b['forwarded']:g}; viewers {window.get('viewers')}",
                flush=True,
            )
    return {"viewers": viewers, "windows": windows, **summary(windows, rounds)}


# --- the seal alone -------------------------------------------------------------------------


def seal_costs(payload: int = SEALED_PAYLOAD, count: int = 20_000) -> dict[str, float]:
    """``NodeRelaySeal.seal`` and ``open`` of a relay datagram in this process, warm: µs per
    datagram, the best of five batches of ``count``."""
    key = os.urandom(32)
    sender, receiver = NodeRelaySeal(key), NodeRelaySeal(key)
    datagram = struct.pack("!BBBxI", 0, 0, 1, 7) + os.urandom(payload)
    seal, opened = [], []
    for _ in range(5):
        started = time.perf_counter()
        sealed = [sender.seal(datagram) for _ in range(count)]
        seal.append(time.perf_counter() - started)
        started = time.perf_counter()
        taken = [receiver.open(one) for one in sealed]
        opened.append(time.perf_counter() - started)
        if any(inner != datagram for inner in taken):
            raise RuntimeError("a sealed datagram did not open")
    return {
        "datagram_bytes": len(datagram),
        "seal_us": round(min(seal) / count * 1e6, 2),
        "open_us": round(min(opened) / count * 1e6, 2),
    }


# --- the run ----------------------------------------------------------------------------------


async def make_room(node: ServerProcess) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=node.base_url, timeout=10.0) as http:
        answer = await http.post("/api/rooms", json={"name": f"relay-{uuid.uuid4().hex[:8]}"})
        answer.raise_for_status()
        created: dict[str, Any] = answer.json()
    return created["room"], created["hostSecret"]


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result: dict[str, Any] = {
        "load_average_at_start": Path("/proc/loadavg").read_text().strip(),
        "nodes": 3,
        "workers_per_node": 1,
        "programme": arguments.programme,
        "programme_layers": PROGRAMMES[arguments.programme],
        "seconds": arguments.seconds,
        "rounds": arguments.rounds,
        "warmup_seconds": WARMUP_SECONDS,
        "series": [],
    }
    result["seal_in_process"] = seal_costs()
    media = PreparedMedia.load(ensure_media(MEDIA_DIR))
    with running_nodes(LOGS) as cluster:
        pacer = Pacer()
        host: LoadParticipant | None = None
        load: LoadProcess | None = None
        try:
            room, secret = await make_room(cluster.nodes[ROOM_NODE])
            host = LoadParticipant(
                cluster.nodes[ROOM_NODE].base_url,
                room,
                "Bürgermeisterin",
                media=media,
                identity=DtlsIdentity.generate(),
                pacer=pacer,
                options=ParticipantOptions(
                    view=View("all"),
                    host_secret=secret,
                    simulcast_layers=PROGRAMMES[arguments.programme],
                ),
            )
            await host.start()
            holder = await asyncio.to_thread(cluster.holder)
            if holder != ROOM_NODE:
                raise RuntimeError(f"the room is held by node {holder}, not node a")
            key = await host.start_broadcast()
            load = LoadProcess(key)
            await asyncio.sleep(max(ANNOUNCE_SECONDS, HOST_SETTLE_SECONDS))
            quiet = await read(cluster)
            transports = {n: quiet.nodes[n].transports for n in (ROOM_NODE, SERVING_NODE)}
            result["host_transports"] = transports
            first_index = 0
            for viewers in arguments.viewers:
                measured = await series(
                    cluster,
                    load,
                    viewers,
                    arguments.seconds,
                    arguments.rounds,
                    first_index,
                    transports,
                )
                first_index += viewers * arguments.rounds * len(MODES)
                result["series"].append(measured)
                if host.error is not None:
                    raise RuntimeError(f"the host failed: {host.error}")
            result["host_error"] = host.error
        finally:
            if load is not None:
                await load.close()
            if host is not None:
                await host.close()
            await pacer.close()
    result["load_average_at_end"] = Path("/proc/loadavg").read_text().strip()
    result["run_seconds"] = round(time.monotonic() - started, 1)
    return result


# --- the table ------------------------------------------------------------------------------


def _cell(raw: float | None, net: float | None) -> str:
    if raw is None:
        return "—"
    return f"{raw:.1f} µs ({net:.1f})" if net is not None else f"{raw:.1f} µs"


def table_lines(result: dict[str, Any]) -> list[str]:
    runs = result["series"]
    header = " | ".join(f"{r['viewers']} viewer{'s' if r['viewers'] != 1 else ''}" for r in runs)
    lines = [f"| measure | {header} |", "|---|" + "---|" * len(runs)]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"| {label} | {' | '.join(cells)} |")

    row(
        "idle (host live, no viewers): worker CPU, node a / node b, share of a core",
        [
            f"{r['idle_cpu_share_of_a_core']['a']:.4f} / {r['idle_cpu_share_of_a_core']['b']:.4f}"
            for r in runs
        ],
    )
    row(
        "packets/s node a's worker takes from the host; relayed: datagrams/s a → b;"
        " packets/s b forwards to its viewers",
        [
            f"{r['idle_received_per_second']:,.0f}; {r['relayed']['relayed_per_second']:,.0f};"
            f" {r['relayed']['forwarded_per_second']:,.0f}"
            for r in runs
        ],
    )
    row(
        "worker CPU over idle, share of a core: relayed, node a / node b; direct, node a",
        [
            f"{r['relayed']['extra_cpu_share_of_a_core']['a']:.4f}"
            f" / {r['relayed']['extra_cpu_share_of_a_core']['b']:.4f};"
            f" {r['direct']['extra_cpu_share_of_a_core']['a']:.4f}"
            for r in runs
        ],
    )
    for label, key in (
        ("relayed: node a's worker per datagram relayed to b", "a_us_per_datagram_relayed"),
        ("relayed: node b's worker per datagram taken from the relay", "b_us_per_datagram_taken"),
        ("relayed: node b's worker per packet forwarded", "b_us_per_packet_forwarded"),
        ("**relayed: a + b per packet b forwards**", "a_and_b_us_per_packet_forwarded"),
    ):
        row(label, [_cell(r["relayed"][key], r["relayed"][f"{key}_net"]) for r in runs])
    row(
        "direct: packets/s a forwards",
        [f"{r['direct']['forwarded_per_second']:,.0f}" for r in runs],
    )
    row(
        "**direct (the floor): node a's worker per packet forwarded**",
        [
            _cell(
                r["direct"]["a_us_per_packet_forwarded"],
                r["direct"]["a_us_per_packet_forwarded_net"],
            )
            for r in runs
        ],
    )
    row(
        "**ratio, relayed a + b / direct**",
        [f"{r['ratio']} ({r['ratio_net']})" for r in runs],
    )
    row(
        "ratio per round, net of idle",
        [", ".join(str(p["ratio_net"]) for p in r["per_round"]) for r in runs],
    )
    for mode in ("relayed", "direct"):
        cells = []
        for r in runs:
            seen = r["viewers_seen"][mode]
            layers: dict[str, int] = {}
            for window in seen:
                for label, count in window["camera_layers"].items():
                    layers[label] = layers.get(label, 0) + count
            loss = max(w["loss_percent_mean"] or 0.0 for w in seen)
            cells.append(
                f"{min(w['receiving'] for w in seen)} of {r['viewers']}, loss ≤ {loss:.2f} %,"
                f" {', '.join(f'{n} on {label}' for label, n in layers.items())}"
            )
        row(
            f"{mode}: viewers receiving (worst window), mean loss, camera layers (all windows)",
            cells,
        )
    seal = result["seal_in_process"]
    lines.append("")
    lines.append(
        f"In this process, warm, a {seal['datagram_bytes']:,}-byte relay datagram:"
        f" seal {seal['seal_us']} µs, open {seal['open_us']} µs."
    )
    lines.append(
        f"CPU per packet as measured, with the idle CPU rate subtracted in brackets;"
        f" load average at start {result['load_average_at_start']},"
        f" at end {result['load_average_at_end']}; {result['run_seconds']:.0f} s."
    )
    return lines


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=list(VIEWERS))
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--programme", choices=tuple(PROGRAMMES), default="360p")
    arguments = parser.parse_args()
    if not (
        all(1 <= n <= 200 for n in arguments.viewers)
        and 2 <= arguments.seconds <= 120
        and 1 <= arguments.rounds <= 10
    ):
        parser.error("1-200 viewers, 2-120 s, 1-10 rounds")
    result = asyncio.run(run(arguments))
    save(NAME, result)
    print("\n".join(table_lines(result)))


if __name__ == "__main__":
    main()
