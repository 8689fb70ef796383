"""The audience of a public broadcast: how many viewers one server carries with loss under 1 %.

A host (a ``klingel.load`` light participant joined with the host secret of a room made by
``POST /api/rooms``) publishes a simulcast camera and a microphone from prepared media, as in
``class30.py``, and starts the broadcast. Light viewers (``klingel.load.viewer``: receive only,
no decoding, transport-wide feedback answered so the SFU estimates each downlink) then watch by
the viewer key, added in steps (``STEPS``: 50, 100, 150, 200, 250, 300, 400, 500, 700, 1000,
... up to ``--max-viewers``; finer where two cores give out). Each step, once the newcomers
are in and ``WARMUP_SECONDS`` passed, is measured over ``MEASURE_SECONDS``: viewers receiving
the camera and the voice, loss per viewer (mean and p95), download per viewer, which camera
layer they were given, the SFU workers' CPU (``/metrics``, as ``sfu_cpu.py``; per worker too,
with its transports, so where viewers sit shows), the web process's CPU and the load
generator's (``/proc``), and the datagrams the kernel dropped at full receive buffers, at the
SFU's sockets and at the others. The series stops at the first step with a mean loss of 1 %
or more, with a viewer not receiving, or with a mean download under 80 % of the first step's
(``DELIVERED_SHARE``: a server that fell behind sends less without any viewer seeing a gap).

Two programmes: 360p (the host sends the 320x180 and 640x360 layers only) and 720p (all three
layers, the top one 1280x720); each with every ``--workers`` count given (default 2), on a
fresh server each. Viewers are placed wherever the server puts them; nothing here assumes a
worker. Everything runs on this machine: the load processes share its cores with the server.

The server runs with ``--proxy-headers`` and the viewers name addresses of 198.18.0.0/15 in
``X-Forwarded-For`` (40 per address), as behind a town's reverse proxy: the server allows 50
viewers per address.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import httpx
from harness import WORK, percentile, require_netns, save

from klingel.load.group import result_between
from klingel.load.media_files import ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions, ParticipantSnapshot
from klingel.load.sending import Pacer, PreparedMedia
from klingel.load.summary import subscriber_figures, viewer_slots
from klingel.load.viewer import VIEWERS_PER_ADDRESS, serve_crowd
from klingel.load.views import View
from klingel.sfu.api import PROGRAMME_SLOTS
from klingel.sfu.dtls import DtlsIdentity
from klingel_bots.metrics import MetricSample, parse_metrics
from klingel_bots.server_process import ServerProcess

NAME = "audience"
STEPS = (50, 100, 150, 200, 250, 300, 400, 500, 700, 1000, 1500, 2000)
PROGRAMMES = {"360p": 2, "720p": 3}  # simulcast layers the host sends
LOSS_LIMIT_PERCENT = 1.0
DELIVERED_SHARE = 0.8
"""A step holds only if its viewers' mean download is at least this share of the first
step's: a server that falls behind may drop what it receives (the host's packets, the
viewers' feedback) and send less without any viewer seeing a gap. A fifth is more than the
usual movement of a few viewers' estimates down to the smaller layer costs."""
GOAL_VIEWERS_360P = 500  # docs/public-viewing.md
WARMUP_SECONDS = 12.0  # newcomers start on the smallest layer and climb with their estimate
MEASURE_SECONDS = 10.0
JOIN_INTERVAL = 0.02
ADD_TIMEOUT = 180.0  # for a whole step's newcomers to be in (or refused)
COMMAND_TIMEOUT = 60.0
HOST_SETTLE_SECONDS = 3.0
MEDIA_DIR = WORK / "load-media"
CAMERA, VOICE = PROGRAMME_SLOTS[0].stream_id, PROGRAMME_SLOTS[2].stream_id
_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of one process (its threads, not its children)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def udp_drops(sfu_ports: range) -> tuple[int, int]:
    """Datagrams the kernel dropped so far at full receive buffers, in this network
    namespace: at the SFU workers' sockets, and at every other one (viewers, host). Sockets
    closed meanwhile take their counts with them."""
    sfu = others = 0
    with open("/proc/net/udp") as table:
        next(table)
        for line in table:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            drops = int(fields[-1])
            if port in sfu_ports:
                sfu += drops
            else:
                others += drops
    return sfu, others


@dataclass(frozen=True, slots=True)
class Reading:
    at: float
    workers: dict[str, dict[str, float]]  # by worker label: cpu_seconds, rtp_forwarded, ...
    web_cpu: float
    load_cpu: float  # the crowd processes and this one (the host)
    drops: tuple[int, int]  # udp_drops


def _by_worker(samples: Sequence[MetricSample]) -> dict[str, dict[str, float]]:
    workers: dict[str, dict[str, float]] = {}
    for sample in samples:
        worker = sample.labels.get("worker")
        if worker is None or not sample.name.startswith("klingel_sfu_"):
            continue
        field = sample.name.removeprefix("klingel_sfu_").removesuffix("_total")
        workers.setdefault(worker, {})[field] = sample.value
    return workers


class Crowd:
    """A load process holding viewers (``klingel.load.viewer.serve_crowd``)."""

    def __init__(self, base_url: str, key: str, addresses: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=serve_crowd, args=(child, base_url, key, addresses), daemon=True
        )
        self.process.start()
        child.close()

    async def ask(self, command: tuple[Any, ...], timeout: float = COMMAND_TIMEOUT) -> Any:
        connection: Connection = self._connection
        connection.send(command)
        if not await asyncio.to_thread(connection.poll, timeout):
            raise TimeoutError(f"the load process did not answer {command[0]!r}")
        return connection.recv()

    def cpu_seconds(self) -> float:
        pid = self.process.pid
        return process_cpu_seconds(pid) if pid is not None else 0.0

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, EOFError):
            await self.ask(("close",), timeout=COMMAND_TIMEOUT)
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()


async def make_public_room(server: ServerProcess) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        created = (
            await http.post("/api/rooms", json={"name": f"audience-{uuid.uuid4().hex[:8]}"})
        ).json()
    return created["room"], created["hostSecret"]


def read(server: ServerProcess, crowds: Sequence[Crowd]) -> Reading:
    samples = parse_metrics(server.get_text("/metrics"))
    return Reading(
        at=time.monotonic(),
        workers=_by_worker(samples),
        web_cpu=process_cpu_seconds(server.pid),
        load_cpu=sum(c.cpu_seconds() for c in crowds) + process_cpu_seconds(os.getpid()),
        drops=udp_drops(range(server.udp_ports[0], server.udp_ports[1] + 1)),
    )


def step_figures(
    viewers: int,
    before: dict[str, ParticipantSnapshot],
    after: dict[str, ParticipantSnapshot],
    failures: dict[str, str],
    first: Reading,
    last: Reading,
    baseline_kbit_s: float | None = None,
) -> dict[str, Any]:
    """One step's figures from the viewers' snapshots and two readings of the server;
    ``baseline_kbit_s`` is the first step's mean download."""
    results = [
        result_between(name, before[name], after[name], failures.get(name))
        for name in after
        if name in before
    ]
    figures = [subscriber_figures(r) for r in results]
    receiving = 0
    sizes: dict[str, int] = {}
    for result in results:
        flowing = {s.stream for s in result.streams if s.packets > 0}
        if result.error is None and {CAMERA, VOICE} <= flowing:
            receiving += 1
        camera = next((s for s in result.streams if s.stream == CAMERA), None)
        if camera is not None and camera.size is not None:
            label = f"{camera.size[1]}p"
            sizes[label] = sizes.get(label, 0) + 1
    losses = [float(f["loss_percent"]) for f in figures if f["error"] is None]
    downloads = [float(f["download_kbit_s"]) for f in figures if f["error"] is None]
    seconds = last.at - first.at
    workers = []
    for worker in sorted(last.workers):
        now, then = last.workers[worker], first.workers.get(worker, {})
        workers.append(
            {
                "worker": worker,
                "cpu_per_second": round(
                    (now.get("cpu_seconds", 0) - then.get("cpu_seconds", 0)) / seconds, 3
                ),
                "forwarded_per_second": round(
                    (now.get("rtp_forwarded", 0) - then.get("rtp_forwarded", 0)) / seconds
                ),
                "transports": int(now.get("transports", 0)),
                "rooms": int(now.get("rooms", 0)),
            }
        )
    sfu_cpu = sum(w["cpu_per_second"] for w in workers)
    forwarded = sum(w["forwarded_per_second"] for w in workers)
    loss_mean = round(statistics.fmean(losses), 3) if losses else None
    download_mean = statistics.fmean(downloads) if downloads else None
    delivered = baseline_kbit_s is None or (
        download_mean is not None and download_mean >= DELIVERED_SHARE * baseline_kbit_s
    )
    held = (
        receiving == viewers
        and loss_mean is not None
        and loss_mean < LOSS_LIMIT_PERCENT
        and delivered
    )
    return {
        "viewers": viewers,
        "watching": sum(1 for f in figures if f["joined"] and f["error"] is None),
        "receiving": receiving,
        "failed": sorted(set(failures) | {f["name"] for f in figures if f["error"]}),
        "loss_percent_mean": loss_mean,
        "loss_percent_p95": round(percentile(losses, 0.95), 3) if losses else None,
        "loss_percent_max": round(max(losses), 3) if losses else None,
        "download_kbit_s_mean": round(download_mean, 1) if download_mean is not None else None,
        "camera_layers": dict(sorted(sizes.items())),
        "slots": [
            {k: slot[k] for k in ("slot", "receiving", "kbit_s_per_viewer", "loss_percent")}
            for slot in viewer_slots(results)
        ],
        "seconds": round(seconds, 1),
        "sfu_cpu_per_second": round(sfu_cpu, 3),
        "sfu_cpu_ms_per_second_per_viewer": round(1000 * sfu_cpu / viewers, 3),
        "sfu_us_per_forwarded_packet": round(1e6 * sfu_cpu / forwarded, 2) if forwarded else None,
        "forwarded_per_second": forwarded,
        "workers": workers,
        "web_cpu_per_second": round((last.web_cpu - first.web_cpu) / seconds, 3),
        "load_cpu_per_second": round((last.load_cpu - first.load_cpu) / seconds, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),  # the machine is shared
        "udp_drops_sfu": last.drops[0] - first.drops[0],
        "udp_drops_load": last.drops[1] - first.drops[1],
        "held": held,
    }


async def series(
    programme: str, workers: int, steps: Sequence[int], processes: int
) -> dict[str, Any]:
    """One server, one host, viewers added step by step until a step fails."""
    server = ServerProcess(
        log_path=WORK / f"{NAME}-{programme}-{workers}.log",
        workers=workers,
        metrics=True,
        extra_args=("--proxy-headers",),
    )
    server.log_path.unlink(missing_ok=True)
    server.start()
    media = PreparedMedia.load(ensure_media(MEDIA_DIR))
    pacer = Pacer()
    host: LoadParticipant | None = None
    crowds: list[Crowd] = []
    failures: dict[str, str] = {}
    measured: list[dict[str, Any]] = []
    stopped = "every step held"
    try:
        room, secret = await make_public_room(server)
        host = LoadParticipant(
            server.base_url,
            room,
            "Bürgermeisterin",
            media=media,
            identity=DtlsIdentity.generate(),
            pacer=pacer,
            options=ParticipantOptions(
                view=View("all"), host_secret=secret, simulcast_layers=PROGRAMMES[programme]
            ),
        )
        await host.start()
        key = await host.start_broadcast()
        await asyncio.sleep(HOST_SETTLE_SECONDS)
        addresses = -(-steps[-1] // VIEWERS_PER_ADDRESS)
        crowds = [Crowd(server.base_url, key, addresses) for _ in range(processes)]
        present = 0
        for target in steps:
            started = time.monotonic()
            # the newcomers of this step start one JOIN_INTERVAL apart, from now
            started_at = time.time() + 0.5 - present * JOIN_INTERVAL
            answers = await asyncio.gather(
                *(
                    crowd.ask(
                        (
                            "add",
                            tuple(range(present + p, target, processes)),
                            started_at,
                            JOIN_INTERVAL,
                        ),
                        timeout=ADD_TIMEOUT,
                    )
                    for p, crowd in enumerate(crowds)
                )
            )
            for _added, refused in answers:
                failures.update(refused)
            join_seconds = time.monotonic() - started
            present = target
            await asyncio.sleep(WARMUP_SECONDS)
            before = await _snapshots(crowds)
            first = read(server, crowds)
            await asyncio.sleep(MEASURE_SECONDS)
            last = read(server, crowds)
            after = await _snapshots(crowds)
            baseline = measured[0]["download_kbit_s_mean"] if measured else None
            figures = step_figures(target, before, after, failures, first, last, baseline)
            figures["adding_seconds"] = round(join_seconds, 1)
            figures["host_error"] = host.error
            measured.append(figures)
            _print_step(programme, workers, figures)
            if not figures["held"]:
                stopped = f"stopped at {target} viewers"
                break
    finally:
        for crowd in crowds:
            await crowd.close()
        if host is not None:
            await host.close()
        await pacer.close()
        server.stop()
    held = [s for s in measured if s["held"]]
    best = held[-1] if held else None
    return {
        "programme": programme,
        "workers": workers,
        "steps": measured,
        "stopped": stopped,
        "dropped_at": _dropped_at(measured[-1]) if measured and not measured[-1]["held"] else None,
        "largest_held": best["viewers"] if best else 0,
        "sfu_cpu_ms_per_second_per_viewer_at_largest": (
            best["sfu_cpu_ms_per_second_per_viewer"] if best else None
        ),
    }


def _dropped_at(step: dict[str, Any]) -> str:
    """Where the kernel dropped datagrams in a failed step: tells a server that fell behind
    from a load generator that did."""
    sfu, load = step["udp_drops_sfu"], step["udp_drops_load"]
    if not sfu and not load:
        return "no receive buffer overflowed"
    return (
        f"{load} datagrams dropped at the viewers' sockets, {sfu} at the SFU's"
        if load >= sfu
        else f"{sfu} datagrams dropped at the SFU's sockets, {load} at the viewers'"
    )


async def _snapshots(crowds: Sequence[Crowd]) -> dict[str, ParticipantSnapshot]:
    merged: dict[str, ParticipantSnapshot] = {}
    for part in await asyncio.gather(*(crowd.ask(("snapshot",)) for crowd in crowds)):
        merged.update(part)
    return merged


def _print_step(programme: str, workers: int, s: dict[str, Any]) -> None:
    print(
        f"{programme}, {workers} worker(s), {s['viewers']} viewers: receiving {s['receiving']}, "
        f"loss mean {s['loss_percent_mean']} % p95 {s['loss_percent_p95']} %, "
        f"{s['download_kbit_s_mean']} kbit/s, layers {s['camera_layers']}, "
        f"slot loss {[(x['slot'][10:], x['loss_percent']) for x in s['slots']]}, "
        f"SFU {s['sfu_cpu_per_second']} CPU-s/s ({s['sfu_cpu_ms_per_second_per_viewer']} ms/s "
        f"per viewer), web {s['web_cpu_per_second']}, load {s['load_cpu_per_second']}, "
        f"UDP drops SFU/load {s['udp_drops_sfu']}/{s['udp_drops_load']}, "
        f"load average {s['load_average_1min']}, "
        f"workers {[(w['worker'], w['cpu_per_second'], w['transports']) for w in s['workers']]}",
        flush=True,
    )


def _figure(value: object, unit: str = "") -> str:
    if not isinstance(value, int | float):
        return "no figure"
    return f"{value:,g}{unit}"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    rows: list[tuple[str, str, str, str]] = []
    for run in results.get("series", []):
        label = f"audience, {run['programme']}, {run['workers']} SFU worker(s)"
        largest = run.get("largest_held", 0)
        best = next((s for s in run["steps"] if s["viewers"] == largest and s["held"]), None)
        goal = run["programme"] == "360p"
        reached = largest >= GOAL_VIEWERS_360P
        dropped = f"; {run['dropped_at']}" if run.get("dropped_at") else ""
        loads = [s["load_average_1min"] for s in run["steps"] if "load_average_1min" in s]
        if loads:
            dropped += f"; machine load {min(loads):g}-{max(loads):g}"
        rows.append(
            (
                f"{label}: largest audience with loss < 1 % ({run['stopped']}{dropped})",
                f"{largest} viewers",
                f"≥ {GOAL_VIEWERS_360P}" if goal else "—",
                ("met" if reached else f"short by {GOAL_VIEWERS_360P - largest}") if goal else "—",
            )
        )
        if best is not None:
            rows.append(
                (
                    f"{label}: at {largest} viewers, SFU CPU per viewer / SFU / web / load "
                    "generator CPU",
                    f"{_figure(best['sfu_cpu_ms_per_second_per_viewer'], ' ms/s')} / "
                    f"{_figure(best['sfu_cpu_per_second'])} / {_figure(best['web_cpu_per_second'])}"
                    f" / {_figure(best['load_cpu_per_second'])} cores; "
                    f"{_figure(best['download_kbit_s_mean'], ' kbit/s')} per viewer, "
                    f"layers {best['camera_layers']}",
                    "—",
                    "—",
                )
            )
    return rows


def _steps(maximum: int) -> list[int]:
    steps = [n for n in STEPS if n < maximum]
    return [*steps, maximum]


async def main(arguments: argparse.Namespace) -> None:
    require_netns()
    ensure_media(MEDIA_DIR)
    steps = _steps(arguments.max_viewers)
    results: dict[str, Any] = {
        "steps": steps,
        "warmup_seconds": WARMUP_SECONDS,
        "measure_seconds": MEASURE_SECONDS,
        "join_interval": JOIN_INTERVAL,
        "load_processes": arguments.processes,
        "series": [],
    }
    for programme in arguments.programmes:
        for workers in arguments.workers:
            run = await series(programme, workers, steps, arguments.processes)
            results["series"].append(run)
            save(NAME, results)  # each series is kept even if a later one fails
    for row in table_rows(results):
        print(" | ".join(row))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[2], help="SFU worker counts, one server each"
    )
    parser.add_argument("--max-viewers", type=int, default=1000)
    parser.add_argument(
        "--programmes", nargs="+", choices=tuple(PROGRAMMES), default=list(PROGRAMMES)
    )
    parser.add_argument("--processes", type=int, default=2, help="load processes for viewers")
    return parser


if __name__ == "__main__":
    parsed = _parser().parse_args()
    if not 1 <= parsed.max_viewers <= STEPS[-1]:
        raise SystemExit(f"--max-viewers must be 1-{STEPS[-1]}")
    if any(not 1 <= w <= 8 for w in parsed.workers) or not 1 <= parsed.processes <= 8:
        raise SystemExit("--workers and --processes must be 1-8")
    asyncio.run(main(parsed))
