"""Forwarded RTP packets per CPU-second: Klingel's SFU and the Janus VideoRoom, same load.

Two loads, each run on Klingel and then (when Debian's ``janus`` is installed) on the Janus
VideoRoom (``bench/janus/setup.sh``, ``bench/janus_driver.py``):

- ``rooms_of_8``: three rooms of eight; everyone publishes a single-layer VP8 camera and Opus
  and receives everyone else's.
- ``room_of_30``: one room of thirty; everyone publishes a camera, three also audio; everyone
  receives every other camera (single layer) and the three voices.

The participants are the light peers of ``klingel.load`` (pre-encoded files, no decoding),
spread over ``LOAD_PROCESSES`` processes, identical for both servers. After every participant
receives every stream it should, and ``SETTLE_SECONDS`` more, the server's CPU time and the
packets the participants received are read twice, ``MEASURE_SECONDS`` apart.

Janus has no packet counter that is cheap to read, so forwarded packets are what the receivers
counted, on both servers; Klingel's own ``/metrics`` counter is reported next to it. CPU is
user plus system time from ``/proc`` of the whole server: Janus's process, and Klingel's
process group (web process and SFU workers); the SFU workers' own figure from ``/metrics`` is
reported too.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

import httpx
from harness import WORK, read_sfu, require_netns, save, start_server
from janus_driver import JanusParticipant, JanusProcess, JanusSession, janus_installed

from klingel.load.media_files import ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions
from klingel.load.publishing import SINGLE_LAYER
from klingel.load.receiving import StreamSnapshot
from klingel.load.sending import Pacer, PreparedMedia
from klingel.sfu.dtls import DtlsIdentity

MEASURE_SECONDS = 20.0
SETTLE_SECONDS = 5.0
LOAD_PROCESSES = 2
RECEIVING_TIMEOUT = 120.0
MEDIA_DIR = WORK / "load-media"

Server = Literal["klingel", "janus"]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    rooms: tuple[int, ...]  # participants per room
    audio_per_room: int | None  # how many of a room publish audio; None: everyone


SCENARIOS = (
    Scenario("rooms_of_8", rooms=(8, 8, 8), audio_per_room=None),
    Scenario("room_of_30", rooms=(30,), audio_per_room=3),
)


@dataclass(frozen=True, slots=True)
class Member:
    room: int  # index of the room in the scenario
    name: str
    audio: bool
    expected_streams: int  # every other camera, and the other voices


@dataclass(frozen=True, slots=True)
class LoadPlan:
    server: Server
    base_url: str
    room_names: tuple[str, ...]  # Klingel room names, or Janus room numbers as text
    members: tuple[Member, ...]
    media_dir: str
    video_layer: int


StreamCounts = tuple[int, int, int]  # packets, expected, lost (sequence gaps)


@dataclass(frozen=True, slots=True)
class Received:
    """What the receivers got between two readings, summed over every stream."""

    packets: int
    expected: int
    lost: int
    streams_flowing: int  # streams whose packet count grew
    streams_expected: int

    @classmethod
    def between(
        cls,
        before: dict[str, StreamCounts],
        after: dict[str, StreamCounts],
        streams_expected: int,
    ) -> Received:
        packets = expected = lost = flowing = 0
        for stream, (now_packets, now_expected, now_lost) in after.items():
            then_packets, then_expected, then_lost = before.get(stream, (0, 0, 0))
            packets += now_packets - then_packets
            expected += now_expected - then_expected
            lost += now_lost - then_lost
            flowing += now_packets > then_packets
        return cls(packets, expected, lost, min(flowing, streams_expected), streams_expected)


def members_of(scenario: Scenario) -> list[Member]:
    members: list[Member] = []
    for room, size in enumerate(scenario.rooms):
        voices = size if scenario.audio_per_room is None else scenario.audio_per_room
        for index in range(size):
            audio = index < voices
            members.append(
                Member(
                    room=room,
                    name=f"R{room + 1} P{index + 1}",
                    audio=audio,
                    expected_streams=(size - 1) + (voices - 1 if audio else voices),
                )
            )
    return members


# -- one load process ---------------------------------------------------------------------------


class _LoadSide:
    """The participants of one load process, on either server."""

    def __init__(self, plan: LoadPlan) -> None:
        self.plan = plan
        self.media = _klingel_media(plan) if plan.server == "klingel" else _media(plan)
        self.identity = DtlsIdentity.generate()
        self.pacer = Pacer()
        self.http = httpx.AsyncClient(
            timeout=30.0, limits=httpx.Limits(max_connections=None, max_keepalive_connections=None)
        )
        self.klingel: list[LoadParticipant] = []
        self.janus: list[JanusParticipant] = []

    async def publish(self) -> None:
        plan = self.plan
        if plan.server == "klingel":
            for member in plan.members:
                participant = LoadParticipant(
                    plan.base_url,
                    plan.room_names[member.room],
                    member.name,
                    media=self.media,
                    identity=self.identity,
                    pacer=self.pacer,
                    options=_klingel_options(member.audio),
                )
                self.klingel.append(participant)
                await participant.start()
            return
        self.janus = [
            JanusParticipant(
                self.http,
                plan.base_url,
                int(plan.room_names[member.room]),
                member.name,
                media=self.media,
                identity=self.identity,
                pacer=self.pacer,
                audio=member.audio,
                video_layer=plan.video_layer,
            )
            for member in plan.members
        ]
        await asyncio.gather(*(p.publish() for p in self.janus))

    async def subscribe(self) -> None:
        # Klingel's participants follow the room on their own; Janus's subscribe once everyone
        # of every process has published.
        await asyncio.gather(*(p.subscribe() for p in self.janus))
        deadline = time.monotonic() + RECEIVING_TIMEOUT
        while time.monotonic() < deadline and await self.shortfalls():
            await asyncio.sleep(0.5)

    def snapshots(self) -> list[dict[str, StreamSnapshot]]:
        if self.plan.server == "klingel":
            return [p.snapshot().streams for p in self.klingel]
        return [p.snapshot() for p in self.janus]

    def counts(self) -> dict[str, StreamCounts]:
        """Every received stream's counts so far, by member and stream."""
        return {
            f"{member.name}/{stream}": (s.packets, s.expected, s.lost)
            for member, streams in zip(self.plan.members, self.snapshots(), strict=False)
            for stream, s in streams.items()
        }

    async def flowing(self) -> dict[str, int]:
        """How many streams each member receives right now (packets within a second)."""
        before = self.counts()
        await asyncio.sleep(1.0)
        after = self.counts()
        flowing = dict.fromkeys((m.name for m in self.plan.members), 0)
        for stream, (packets, _expected, _lost) in after.items():
            if packets > before.get(stream, (0, 0, 0))[0]:
                flowing[stream.split("/", 1)[0]] += 1
        return flowing

    async def shortfalls(self) -> list[str]:
        """Who receives fewer streams than they should right now."""
        flowing = await self.flowing()
        return [
            f"{m.name}: {flowing[m.name]} of {m.expected_streams} streams"
            for m in self.plan.members
            if flowing[m.name] < m.expected_streams
        ]

    async def close(self) -> None:
        for participant in self.klingel:
            with contextlib.suppress(Exception):
                await participant.close()
        for janus_participant in self.janus:
            with contextlib.suppress(Exception):
                await janus_participant.close()
        await self.pacer.close()
        await self.http.aclose()


def _media(plan: LoadPlan) -> PreparedMedia:
    return PreparedMedia.load(ensure_media(Path(plan.media_dir)))


def _klingel_media(plan: LoadPlan) -> PreparedMedia:
    """The files for Klingel's participants, whose single-layer camera always sends
    ``layers[SINGLE_LAYER]``: that slot gets the file the Janus participants send too."""
    media = _media(plan)
    layers = list(media.layers)
    layers[SINGLE_LAYER] = media.layers[plan.video_layer]
    return replace(media, layers=tuple(layers))


def _klingel_options(audio: bool) -> ParticipantOptions:
    return ParticipantOptions(audio=audio, video=True, simulcast=False)


def load_process(plan: LoadPlan, connection: Connection) -> None:
    """Runs in a process of its own: obeys the commands that come through ``connection``."""
    try:
        import uvloop

        run: Callable[[Any], None] = uvloop.run
    except ImportError:
        run = asyncio.run
    run(_obey(plan, connection))


async def _obey(plan: LoadPlan, connection: Connection) -> None:
    commands: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    loop.add_reader(connection.fileno(), lambda: commands.put_nowait(connection.recv()))
    side = _LoadSide(plan)
    try:
        while True:
            command = await commands.get()
            try:
                if command == "publish":
                    await side.publish()
                    connection.send(("ok", None))
                elif command == "subscribe":
                    await side.subscribe()
                    connection.send(("ok", await side.shortfalls()))
                elif command == "counts":
                    connection.send(("ok", side.counts()))
                elif command == "close":
                    break
            except Exception as error:  # the parent reports it and stops the run
                connection.send(("error", repr(error)))
    finally:
        loop.remove_reader(connection.fileno())
        await side.close()
        connection.send(("closed", None))


# -- the run on one server ---------------------------------------------------------------------


class LoadProcesses:
    def __init__(self, plans: Sequence[LoadPlan]) -> None:
        context = multiprocessing.get_context("spawn")
        self.connections: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for plan in plans:
            ours, theirs = context.Pipe()
            process = context.Process(target=load_process, args=(plan, theirs), daemon=True)
            process.start()
            self.connections.append(ours)
            self.processes.append(process)

    def ask(self, command: str, *, timeout: float = 180.0) -> list[Any]:
        for connection in self.connections:
            connection.send(command)
        replies = []
        for connection in self.connections:
            if not connection.poll(timeout):
                raise TimeoutError(f"a load process did not answer {command!r} in {timeout} s")
            status, value = connection.recv()
            if status == "error":
                raise RuntimeError(f"a load process failed at {command!r}: {value}")
            replies.append(value)
        return replies

    def counts(self) -> dict[str, StreamCounts]:
        counts: dict[str, StreamCounts] = {}
        for part in self.ask("counts", timeout=30.0):
            counts.update(part)
        return counts

    def cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(p.pid) for p in self.processes if p.pid is not None)

    def close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send("close")
        for connection in self.connections:
            with contextlib.suppress(OSError, EOFError):
                if connection.poll(30.0):
                    connection.recv()
        for process in self.processes:
            process.join(10.0)
            if process.is_alive():
                process.kill()


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(group: int) -> float:
    """CPU time of every live process in the process group ``group`` (field 5 of stat(5))."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def plans_for(
    server: Server, base_url: str, room_names: Sequence[str], members: Sequence[Member]
) -> list[LoadPlan]:
    return [
        LoadPlan(
            server=server,
            base_url=base_url,
            room_names=tuple(room_names),
            members=tuple(members[share::LOAD_PROCESSES]),
            media_dir=str(MEDIA_DIR),
            video_layer=VIDEO_LAYER,
        )
        for share in range(LOAD_PROCESSES)
    ]


@dataclass(frozen=True, slots=True)
class Window:
    seconds: float
    server_cpu: float
    load_cpu: float
    received: Received
    load_average: float


def measure(load: LoadProcesses, server_cpu: Callable[[], float], streams_expected: int) -> Window:
    before_counts, before_cpu, before_load = load.counts(), server_cpu(), load.cpu_seconds()
    started = time.monotonic()
    time.sleep(MEASURE_SECONDS)
    after_counts, after_cpu, after_load = load.counts(), server_cpu(), load.cpu_seconds()
    return Window(
        seconds=time.monotonic() - started,
        server_cpu=after_cpu - before_cpu,
        load_cpu=after_load - before_load,
        received=Received.between(before_counts, after_counts, streams_expected),
        load_average=os.getloadavg()[0],
    )


def figures(window: Window) -> dict[str, Any]:
    received = window.received
    cpu = window.server_cpu
    return {
        "seconds": round(window.seconds, 1),
        "streams_flowing": received.streams_flowing,
        "streams_expected": received.streams_expected,
        "forwarded_packets": received.packets,
        "forwarded_per_second": round(received.packets / window.seconds, 1),
        "server_cpu_seconds": round(cpu, 2),
        "server_cpu_share_of_one_core": round(cpu / window.seconds, 3),
        "packets_per_cpu_second": round(received.packets / cpu) if cpu else None,
        "us_per_forwarded_packet": round(cpu / received.packets * 1e6, 2)
        if received.packets
        else None,
        "loss_percent": round(100 * received.lost / received.expected, 3)
        if received.expected
        else None,
        "load_client_cpu_share_of_one_core": round(window.load_cpu / window.seconds, 3),
        "load_average_1min": round(window.load_average, 2),
    }


def run_load(
    server: Server,
    base_url: str,
    room_names: Sequence[str],
    scenario: Scenario,
    server_cpu: Callable[[], float],
) -> tuple[dict[str, Any], Window]:
    members = members_of(scenario)
    load = LoadProcesses(plans_for(server, base_url, room_names, members))
    try:
        load.ask("publish")
        short = [
            who for part in load.ask("subscribe", timeout=RECEIVING_TIMEOUT + 60) for who in part
        ]
        time.sleep(SETTLE_SECONDS)
        window = measure(load, server_cpu, sum(m.expected_streams for m in members))
    finally:
        load.close()
    result = figures(window)
    if short:
        result["not_receiving_everything"] = short
    return result, window


def on_klingel(scenario: Scenario) -> dict[str, Any]:
    server = start_server(f"forwarding-{scenario.name}")
    try:
        rooms = [f"bench-{uuid.uuid4().hex[:8]}" for _ in scenario.rooms]
        readings = []

        def group_cpu() -> float:
            # The SFU workers' own counters, read at the same moments as the process group.
            readings.append(read_sfu(server))
            return group_cpu_seconds(server.pid)

        result, window = run_load("klingel", server.base_url, rooms, scenario, group_cpu)
    finally:
        server.stop()
    before, after = readings[0], readings[-1]
    forwarded = after.forwarded - before.forwarded
    workers_cpu = after.cpu_seconds - before.cpu_seconds
    result["metrics"] = {
        "forwarded_packets": forwarded,
        "sfu_workers_cpu_seconds": round(workers_cpu, 2),
        "us_per_forwarded_packet": round(workers_cpu / forwarded * 1e6, 2) if forwarded else None,
        "us_per_received_packet_workers_only": round(workers_cpu / window.received.packets * 1e6, 2)
        if window.received.packets
        else None,
    }
    return result


def on_janus(scenario: Scenario, event_loops: int) -> dict[str, Any]:
    name = f"janus-{scenario.name}-loops-{event_loops}"
    janus = JanusProcess(folder=WORK / name, log_path=WORK / f"{name}.log", event_loops=event_loops)
    janus.start()
    try:
        rooms = asyncio.run(_janus_rooms(janus, len(scenario.rooms), max(scenario.rooms)))
        result, _ = run_load("janus", janus.base_url, rooms, scenario, janus.cpu_seconds)
    finally:
        janus.stop()
    return result


async def _janus_rooms(janus: JanusProcess, count: int, size: int) -> list[str]:
    async with httpx.AsyncClient(timeout=30.0) as http:
        session = await JanusSession.create(http, janus.base_url)
        try:
            handle = await session.attach_videoroom()
            rooms = [str(1000 + n) for n in range(count)]
            for room in rooms:
                await handle.create_room(int(room), publishers=size, admin_key=janus.admin_key)
        finally:
            await session.close()
    return rooms


VIDEO_LAYER = 0
"""The camera file every participant sends: 320x180, 15 fps, about 150 kbit/s. Thirty of them,
each received by 29, fit on this 2-core machine next to the server and the load."""


JANUS_SETUPS = (("janus", 0), ("janus_event_loops_2", 2))
"""Janus as packaged (a media thread per handle), and with two static event loops shared by
all handles, its documented setting for many handles (one loop per core here)."""


def attempt(run: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """One server's run; a failure is saved as its result so that the others still count."""
    try:
        return run(*args)
    except Exception as error:
        return {"error": repr(error)}


def ratios(klingel: dict[str, Any], janus: dict[str, Any], key: str) -> dict[str, float]:
    """Klingel's CPU per forwarded packet over Janus's, both counted by the same receivers;
    once for Klingel's whole server, once for its SFU workers alone."""
    theirs = janus.get("us_per_forwarded_packet")
    found = {}
    for basis, ours in (
        ("", klingel.get("us_per_forwarded_packet")),
        ("_workers", klingel.get("metrics", {}).get("us_per_received_packet_workers_only")),
    ):
        if ours and theirs:
            found[f"klingel{basis}_to_{key}_cpu_per_packet"] = round(ours / theirs, 2)
    return found


def main() -> None:
    require_netns()
    ensure_media(MEDIA_DIR)
    installed = janus_installed()
    results: dict[str, Any] = {
        "measure_seconds": MEASURE_SECONDS,
        "load_processes": LOAD_PROCESSES,
        "video_layer": VIDEO_LAYER,
        "janus_installed": installed,
    }
    for scenario in SCENARIOS:
        measured: dict[str, Any] = {"rooms": list(scenario.rooms)}
        measured["klingel"] = attempt(on_klingel, scenario)
        print(scenario.name, "klingel", measured["klingel"], flush=True)
        for key, event_loops in JANUS_SETUPS if installed else ():
            measured[key] = attempt(on_janus, scenario, event_loops)
            print(scenario.name, key, measured[key], flush=True)
            measured.update(ratios(measured["klingel"], measured[key], key))
        results[scenario.name] = measured
    save("forwarding", results)


if __name__ == "__main__":
    main()
