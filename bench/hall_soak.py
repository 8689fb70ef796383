"""The hall view left running: does it keep showing the programme, come back alone after each
disturbance, and hold its memory?

A town leaves the hall view (``/live/<key>?halle``) on a screen in the council chamber for a
whole day. A day is too long for a benchmark run, so this one presses the day's trouble into
``--minutes`` (20 by default; ``--minutes 1440`` runs a real day): one Klingel server (2 SFU
workers), a host in Chromium with the fake camera and microphone whose room is public, and
the hall view in a second Chromium context without camera permission, at 1920x1080. Every
``--every`` minutes (2; about three of each kind in 20 minutes) one disturbance, in turn:

- ``socket``: the hall view's signaling socket is cut, as a lost network cuts it;
- ``worker``: the SFU worker that holds the room (the one whose ``klingel_sfu_rooms`` gauge is
  not 0, its pid from the server's log) is killed (SIGKILL; the server starts it again);
- ``pause``: the host pauses the broadcast for 20 s and resumes it; meanwhile the hall view
  must say that it is paused and show no new frames.

After each, the time until the hall view shows the programme flowing again (its own phase
``live`` and the camera's decoded frames growing for a second without a stall or a restart
from 0; 0 s if it never stopped), from the disturbance (for a pause, from the resume); not
recovered after 60 s counts as a failure. The benchmark never reloads the page. Every 30 s
a sample of the page: its JavaScript heap (``--enable-precise-memory-info``), its DOM nodes,
its peer connections made and not closed, the frames shown so far; and the server's
resident memory (its process group, as ``idle.py`` sums it). The report: every disturbance
with its recovery time, disturbances and recoveries per kind with the median and longest
time, the frames per second in the 30 s windows without a disturbance, heap (from the
second minute on, after the page settled), DOM and server memory at the first and the last
sample with their growth, and the heap's and the server's least-squares slope per hour with
the heap projected to 24 h.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/python bench/hall_soak.py --minutes 20 --every 2``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import require_netns, save, start_server
from playwright.async_api import Page, WebSocketRoute, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.host_page import Toggle, join_as_host, start_conference, switch
from klingel_bots.metrics import parse_metrics
from klingel_bots.server_process import ServerProcess

NAME = "hall_soak"
PUBLIC = Toggle("Öffentlich übertragen")
VIEWER_LINK = re.compile(r"/live/([A-Za-z0-9_-]{16,64})$")
WORKER_STARTED = re.compile(r"SFU worker (\d+) started \(pid (\d+)\)")
SAMPLE_SECONDS = 30
RECOVERY_TIMEOUT = 60.0
FLOWING_FRAMES = 10  # in a second: the fake camera's 30 frames/s, held back on a busy machine
PAUSE_SECONDS = 20
KINDS = ("socket", "worker", "pause")
PAGE_SAMPLE = """() => ({
  heap: performance.memory ? performance.memory.usedJSHeapSize : null,
  nodes: document.getElementsByTagName("*").length,
  connections: (window.__klingelPeerConnections || [])
    .filter((pc) => pc.connectionState !== "closed").length,
  made: (window.__klingelPeerConnections || []).length,
  frames: document.getElementById("video-camera").getVideoPlaybackQuality().totalVideoFrames,
  phase: document.body.dataset.state,
})"""


@dataclass
class Cutter:
    """The hall view's signaling sockets, routed so that the benchmark can cut the last."""

    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)

    def route(self, page_side: WebSocketRoute) -> None:
        self.sockets.append((page_side, page_side.connect_to_server()))

    async def cut(self) -> None:
        page_side, server_side = self.sockets[-1]
        await server_side.close(code=1001, reason="network lost")
        await page_side.close(code=1001, reason="network lost")


def group_rss_mib(pid: int) -> float:
    """Resident memory of the server and its SFU workers."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != os.getpgid(pid):
                continue
            status = (entry / "status").read_text()
        except (OSError, ProcessLookupError):
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.M)
        total += int(found.group(1)) if found else 0
    return total / 1024


def worker_pids(server: ServerProcess) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{server.pid}/task").iterdir():
        children.extend(int(child) for child in (task / "children").read_text().split())
    return children


def room_worker_pid(server: ServerProcess) -> int | None:
    """The pid of the SFU worker with a room in it (the benchmark's one room), or None."""
    holding = [
        sample.labels.get("worker")
        for sample in parse_metrics(server.get_text("/metrics"))
        if sample.name == "klingel_sfu_rooms" and sample.value > 0
    ]
    started = dict(WORKER_STARTED.findall(server.log_path.read_text(errors="replace")))
    alive = worker_pids(server)
    for index in holding:
        pid = int(started.get(index or "", "0"))
        if pid in alive:
            return pid
    return None


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value), per hour."""
    if len(points) < 2:
        return 0.0
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return 3600 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


async def sample(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = await page.evaluate(PAGE_SAMPLE)
    return found


async def recovered(page: Page, since: float) -> float:
    """Seconds from ``since`` until the hall view shows the programme flowing again: the start
    of the first run of samples (every 0.25 s), each live with more frames than the one before,
    that lasts a second and gains ``FLOWING_FRAMES``. 0 when it never stopped. A new picture
    after a reconnect counts its frames from 0 again, so a run breaks at a fall as at a stall.
    """
    run: list[tuple[float, int]] = []
    deadline = since + RECOVERY_TIMEOUT
    while True:
        now = time.monotonic()
        taken = await sample(page)
        frames = int(taken["frames"]) if taken["phase"] == "live" else -1
        if frames < 0 or (run and frames <= run[-1][1]):
            run = [] if frames < 0 else [(now, frames)]
        else:
            run.append((now, frames))
        if run and run[-1][0] - run[0][0] >= 1.0 and run[-1][1] - run[0][1] >= FLOWING_FRAMES:
            return max(0.0, run[0][0] - since)
        if now > deadline:
            raise TimeoutError("the hall view not back")
        await asyncio.sleep(0.25)


async def disturb(
    kind: str, server: ServerProcess, host: Page, hall: Page, cutter: Cutter, event: dict[str, Any]
) -> float:
    """Make one disturbance; returns the moment recovery is timed from, notes go to ``event``."""
    started = time.monotonic()
    if kind == "socket":
        await cutter.cut()
    elif kind == "worker":
        pid = room_worker_pid(server)
        event["held_the_room"] = pid is not None
        if pid is None:  # not expected: then a worker in turn, and the report says so
            pids = worker_pids(server)
            pid = pids[int(started) % len(pids)]
        os.kill(pid, signal.SIGKILL)
    else:
        toggle = host.locator("#host-panel .public-action-pause")
        await toggle.click()  # "Pause"
        await asyncio.sleep(3)
        during = await sample(hall)
        await asyncio.sleep(PAUSE_SECONDS - 3)
        after = await sample(hall)
        event["paused_shown"] = during["phase"] == "paused" and after["phase"] == "paused"
        gained = after["frames"] - during["frames"]
        event["frames_while_paused"] = gained if gained >= 0 else after["frames"]
        started = time.monotonic()
        await toggle.click()  # "Fortsetzen"
    return started


def growth(first: float | None, last: float | None) -> dict[str, float | None]:
    if first is None or last is None:
        return {"first": first, "last": last, "growth": None}
    return {"first": round(first, 1), "last": round(last, 1), "growth": round(last - first, 1)}


async def run(minutes: float, every: float, kinds: tuple[str, ...]) -> dict[str, object]:
    server = start_server(NAME)
    recoveries: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failures: dict[str, int] = dict.fromkeys(KINDS, 0)
    events: list[dict[str, Any]] = []
    heap: list[tuple[float, float]] = []
    rss: list[tuple[float, float]] = []
    samples: list[dict[str, Any]] = []
    frame_rates: list[float] = []
    stalled_windows = 0
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright, "--enable-precise-memory-info")
            opener = PageOpener(browser)
            created = await start_conference(opener, server.base_url)
            host = (await join_as_host(created, "Bürgermeisterin")).page
            await switch(host, PUBLIC, True)
            link = host.locator("#host-panel #public-link")
            await wait_until(lambda: link.inner_text(), timeout=20, message="the viewer link shown")
            found = VIEWER_LINK.search((await link.inner_text()).strip())
            assert found is not None, "no viewer link"
            hall = (await opener(media_allowed=False, width=1920, height=1080)).page
            cutter = Cutter()
            await hall.route_web_socket(re.compile(r"/ws$"), cutter.route)
            await hall.goto(f"{server.base_url}/live/{found[1]}?halle")
            opened = time.monotonic()
            first_picture = await recovered(hall, opened)
            started = time.monotonic()
            end = started + 60 * minutes
            next_disturbance = started + 60 * every
            next_sample = started
            turn = 0
            last: tuple[float, int] | None = None  # the previous sample's time and frames
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_sample:
                    taken = await sample(hall)
                    taken["at"] = round(now - started)
                    taken["server_rss_mib"] = round(group_rss_mib(server.pid), 1)
                    samples.append(taken)
                    if taken["heap"] is not None and now - started >= 60:
                        heap.append((now - started, taken["heap"] / 2**20))
                    rss.append((now - started, taken["server_rss_mib"]))
                    if last is not None:
                        if taken["frames"] <= last[1]:
                            stalled_windows += 1
                        else:
                            frame_rates.append((taken["frames"] - last[1]) / (now - last[0]))
                    last = (now, taken["frames"])
                    print("sample", taken, flush=True)
                    next_sample = now + SAMPLE_SECONDS
                if now >= next_disturbance:
                    kind = kinds[turn % len(kinds)]
                    turn += 1
                    event: dict[str, Any] = {"kind": kind, "at": round(now - started)}
                    since = await disturb(kind, server, host, hall, cutter, event)
                    try:
                        took = round(await recovered(hall, since), 2)
                        recoveries[kind].append(took)
                        event["recovery_s"] = took
                    except TimeoutError:
                        failures[kind] += 1
                        event["recovery_s"] = None
                    events.append(event)
                    print("disturbance", event, flush=True)
                    # The window after a disturbance starts once the picture is back.
                    last = (time.monotonic(), (await sample(hall))["frames"])
                    next_disturbance = time.monotonic() + 60 * every
                    next_sample = time.monotonic() + SAMPLE_SECONDS
                await asyncio.sleep(1)
            await opener.close_all()
            await browser.close()
    finally:
        server.stop()
    first, final = samples[0], samples[-1]
    heap_slope = slope_per_hour(heap)
    worker_events = [event for event in events if event["kind"] == "worker"]
    pause_events = [event for event in events if event["kind"] == "pause"]
    return {
        "minutes": minutes,
        "every_minutes": every,
        "first_picture_s": round(first_picture, 2),
        "disturbances": {kind: len(recoveries[kind]) + failures[kind] for kind in KINDS},
        "not_recovered": failures,
        "recovery_s": {
            kind: {"p50": statistics.median(times), "max": max(times), "all": times}
            for kind, times in recoveries.items()
            if times
        },
        "worker_kills_of_the_room_worker": sum(bool(e["held_the_room"]) for e in worker_events),
        "pauses_shown_as_paused": sum(bool(e["paused_shown"]) for e in pause_events),
        "frames_while_paused": [e["frames_while_paused"] for e in pause_events],
        "events": events,
        "samples": len(samples),
        "sample_windows_without_new_frames": stalled_windows,
        "frames_per_second_undisturbed": {
            "windows": len(frame_rates),
            "p50": round(statistics.median(frame_rates), 1) if frame_rates else None,
            "min": round(min(frame_rates), 1) if frame_rates else None,
        },
        "heap_mib": {
            **growth(heap[0][1] if heap else None, heap[-1][1] if heap else None),
            "slope_per_hour": round(heap_slope, 2),
            "projected_24h": round(heap[-1][1] + heap_slope * 24, 1) if heap else None,
        },
        "dom_nodes": {
            "first": first["nodes"],
            "last": final["nodes"],
            "growth": final["nodes"] - first["nodes"],
        },
        "peer_connections": {"open_last": final["connections"], "made": final["made"]},
        "server_rss_mib": {
            **growth(rss[0][1], rss[-1][1]),
            "slope_per_hour": round(slope_per_hour(rss), 2),
        },
    }


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    length = f"{results['minutes']:g} min, a disturbance every {results['every_minutes']:g} min"
    times = results.get("recovery_s", {})
    failed = results.get("not_recovered", {})
    recoveries = "; ".join(
        f"{kind} {count - failed.get(kind, 0)}/{count}"
        + (f" (p50 {times[kind]['p50']} s, max {times[kind]['max']} s)" if kind in times else "")
        for kind, count in results.get("disturbances", {}).items()
        if count
    )
    heap, dom, rss = results["heap_mib"], results["dom_nodes"], results["server_rss_mib"]
    return [
        (
            f"hall view soak ({length}): recovered after each disturbance",
            recoveries,
            "every one",
            "met" if not any(failed.values()) else "short",
        ),
        (
            "hall view soak: JS heap, DOM nodes, server RSS, first → last sample",
            f"{heap['first']} → {heap['last']} MiB (slope {heap['slope_per_hour']} MiB/h); "
            f"{dom['first']} → {dom['last']}; {rss['first']} → {rss['last']} MiB",
            "—",
            "measured",
        ),
    ]


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--every", type=float, default=2)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    arguments = parser.parse_args()
    if not 1 <= arguments.minutes <= 1440 or not 0.5 <= arguments.every <= arguments.minutes:
        parser.error("1-1440 minutes, a disturbance every 0.5 minutes up to the whole run")
    result = asyncio.run(run(arguments.minutes, arguments.every, tuple(arguments.kinds)))
    save(NAME, result)
    print(result)


if __name__ == "__main__":
    main()
