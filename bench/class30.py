"""The 30-person class: thirty light participants (``klingel.load``) in one room, each with a
simulcast camera (320x180, 640x360, 1280x720 VP8), three of them also speaking (Opus).

Two layouts, each on a fresh server:

* tile view: every participant shows 16 cameras at the smallest layer and pauses the others;
* speaker view: the active speaker's camera at the top layer, a filmstrip of 5 at the
  smallest layer, the others paused.

For each, after the joins and ``WARMUP_SECONDS``, the SFU workers' CPU seconds and forwarded
packets are read from ``/metrics`` twice, ``MEASURE_SECONDS`` apart (as ``sfu_cpu.py`` does),
and each participant counts what it received in that window: download kbit/s and loss.

Then, with thirty light participants in the room (tile view), a Chromium page joins ten times;
a sample is the time from the click on "join" to the page's first decoded remote frame, measured
by ``join_latency.py``'s own code.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from typing import Any

from harness import WORK, cost_between, median, percentile, read_sfu, require_netns, save
from harness import start_server as start_bench_server
from join_latency import breakdown, one_join, print_breakdown
from playwright.async_api import async_playwright

from klingel.load.cli import run
from klingel.load.group import GroupPlan
from klingel.load.media_files import ensure_media
from klingel.load.summary import summarize
from klingel.load.views import View
from klingel_bots.browser import PageOpener, launch_chromium
from klingel_bots.server_process import ServerProcess

PARTICIPANTS = 30
SPEAKERS = 3
PROCESSES = 3
JOIN_INTERVAL = 0.1
WARMUP_SECONDS = 8.0
MEASURE_SECONDS = 20.0
CHROMIUM_JOINS = 10
FAILURES_TO_GIVE_UP = 2  # with no success before them: the rest would fail the same way
START_DELAY = 3.0  # the load processes start and load their media meanwhile
MEDIA_DIR = WORK / "load-media"

VIEWS = {
    "tile": View("tile", visible=16, tile_layer=0),
    "speaker": View("speaker", visible=5),
}


def _plans(server: ServerProcess, room: str, view: View, duration: float) -> list[GroupPlan]:
    started_at = time.time() + START_DELAY
    return [
        GroupPlan(
            base_url=server.base_url,
            room=room,
            indices=tuple(range(process, PARTICIPANTS, PROCESSES)),
            speakers=SPEAKERS,
            simulcast=True,
            publish_video=True,
            view=view,
            media_dir=str(MEDIA_DIR),
            started_at=started_at,
            join_interval=JOIN_INTERVAL,
            duration=duration,
            warmup=WARMUP_SECONDS,
        )
        for process in range(PROCESSES)
    ]


def _joins_done_after(plans: Sequence[GroupPlan]) -> float:
    """Seconds from now until the last join of the run should be through."""
    return plans[0].started_at + PARTICIPANTS * JOIN_INTERVAL + 3.0 - time.time()


async def class_in_view(name: str) -> dict[str, Any]:
    server = start_bench_server(f"class30-{name}")
    try:
        plans = _plans(
            server,
            f"class-{uuid.uuid4().hex[:8]}",
            VIEWS[name],
            WARMUP_SECONDS + MEASURE_SECONDS + 4.0,
        )
        running = asyncio.ensure_future(asyncio.to_thread(run, plans))
        await asyncio.sleep(_joins_done_after(plans) + WARMUP_SECONDS)
        before = read_sfu(server)
        await asyncio.sleep(MEASURE_SECONDS)
        after = read_sfu(server)
        results = await running
    finally:
        server.stop()
    cost = cost_between(before, after)
    share = cost["sfu_cpu_share_of_one_core"]
    summary = summarize(results)
    return {
        "sfu": {
            **cost,
            "forwarded_per_second_per_core": (
                round(cost["forwarded_per_second"] / share) if share else float("nan")
            ),
        },
        "participants": summary["participants"],
        "joined": summary["joined"],
        "failed": summary["failed"],
        "download_kbit_s": summary["download_kbit_s"],
        "loss_percent": summary["loss_percent"],
        "layer_switches": summary["layer_switches"],
        "light_join_ms": summary["join_ms"],
        "subscribers": summary["subscribers"],
    }


async def chromium_joins() -> dict[str, Any]:
    server = start_bench_server("class30-join")
    room = f"class-{uuid.uuid4().hex[:8]}"
    # long enough for ten Chromium joins; the light participants leave on their own after
    plans = _plans(server, room, VIEWS["tile"], 120.0)
    running = asyncio.ensure_future(asyncio.to_thread(run, plans))
    samples: list[float] = []
    timelines: list[dict[str, float]] = []
    failures = 0
    try:
        await asyncio.sleep(_joins_done_after(plans) + WARMUP_SECONDS)
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            opener = PageOpener(browser)
            for index in range(CHROMIUM_JOINS):
                try:
                    elapsed, steps = await one_join(opener, server.base_url, room, index)
                except TimeoutError:
                    failures += 1  # no frame within join_latency's 30 s: a figure, not a crash
                    await opener.close_all()
                    if failures == FAILURES_TO_GIVE_UP and not samples:
                        break
                    continue
                samples.append(elapsed)
                timelines.append(steps)
            await opener.close_all()
            await browser.close()
        results = await running
    finally:
        server.stop()
    summary = summarize(results)
    steps_figures = breakdown(timelines) if timelines else {}
    if steps_figures:
        print_breakdown(steps_figures)
    return {
        "joins": len(samples) + failures,
        "joins_without_frame_in_30s": failures,
        "light_participants_in_room": summary["joined"],
        "join_to_first_frame_ms_p50": round(median(samples), 1) if samples else None,
        "join_to_first_frame_ms_p95": round(percentile(samples, 0.95), 1) if samples else None,
        "samples_ms": [round(s, 1) for s in samples],
        "timeline": steps_figures,
    }


def _figure(value: object, unit: str) -> str:
    if not isinstance(value, int | float) or value != value:
        return "no figure"
    return f"{value:,.1f} {unit}".replace(".0 ", " ")


def _verdict(value: object, target: float, *, at_least: bool = False) -> str:
    if not isinstance(value, int | float) or value != value:
        return "no figure"
    if (value >= target) if at_least else (value <= target):
        return "met"
    if at_least:
        return f"short by {target - value:,.3g} ({1 - value / target:.0%} under)"
    return f"short by {value - target:,.3g} ({value / target - 1:.0%} over)"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    rows: list[tuple[str, str, str, str]] = []
    for view in ("tile", "speaker"):
        figures = results.get(view)
        label = f"class of 30, {view} view"
        if not isinstance(figures, dict):
            rows.append((label, "not run", "", "no figure"))
            continue
        sfu = figures.get("sfu", {})
        per_packet = sfu.get("us_per_forwarded_packet")
        per_core = sfu.get("forwarded_per_second_per_core")
        rows.append(
            (
                f"{label}: SFU CPU per forwarded packet",
                f"{_figure(per_packet, 'µs')} ({_figure(per_core, 'packets/s per core')})",
                "≤ 20 µs",
                _verdict(per_packet, 20),
            )
        )
        download = figures.get("download_kbit_s") or {}
        rows.append(
            (
                f"{label}: download per subscriber, median / max",
                f"{_figure(download.get('median'), 'kbit/s')} / "
                f"{_figure(download.get('max'), 'kbit/s')}",
                "—",
                "—",
            )
        )
        light_join = figures.get("light_join_ms") or {}
        rows.append(
            (
                f"{label}: light participant join → first keyframe, p50 / p95",
                f"{_figure(light_join.get('median'), 'ms')} / "
                f"{_figure(light_join.get('p95'), 'ms')}",
                "—",
                "—",
            )
        )
        loss = (figures.get("loss_percent") or {}).get("max")
        rows.append(
            (f"{label}: loss, worst subscriber", _figure(loss, "%"), "≤ 1 %", _verdict(loss, 1))
        )
    joins = results.get("chromium_join")
    if isinstance(joins, dict):
        failed = joins.get("joins_without_frame_in_30s", 0)
        rows.append(
            (
                "class of 30: Chromium joins without a remote frame within 30 s",
                f"{failed} of {joins.get('joins', 0)}",
                "0",
                "met" if failed == 0 else f"short by {failed}",
            )
        )
    for key, target, name in (
        ("join_to_first_frame_ms_p50", 200, "p50"),
        ("join_to_first_frame_ms_p95", 400, "p95"),
    ):
        value = joins.get(key) if isinstance(joins, dict) else None
        rows.append(
            (
                f"class of 30: Chromium join → first remote frame, {name}",
                _figure(value, "ms"),
                f"≤ {target} ms",
                _verdict(value, target),
            )
        )
    return rows


async def main() -> None:
    require_netns()
    ensure_media(MEDIA_DIR)
    results: dict[str, object] = {
        "participants": PARTICIPANTS,
        "speakers": SPEAKERS,
        "processes": PROCESSES,
        "warmup_seconds": WARMUP_SECONDS,
        "measure_seconds": MEASURE_SECONDS,
    }
    for name in VIEWS:
        results[name] = await class_in_view(name)
        save("class30", results)  # each part is kept even if a later one fails
    results["chromium_join"] = await chromium_joins()
    save("class30", results)
    for row in table_rows(results):
        print(" | ".join(row))


if __name__ == "__main__":
    asyncio.run(main())
