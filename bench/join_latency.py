"""Join to first remote decoded frame, in Chromium on loopback.

One person (fake camera and microphone) is in the room. Twenty times (``--joins``), another
person opens the room page, types a name and clicks "join"; the time from that click (the
``click`` event as the page sees it) until the page's first inbound video frame is decoded
(``getStats`` ``framesDecoded`` > 0) is one sample.

Each join is paired with a sample of the floor (``join_floor.py``): the same browser shows a
first frame over one direct ``RTCPeerConnection`` between two pages, with no server in the
way. The two alternate (which goes first switches each time), so the noise of a shared
machine falls on both, and the ratio of Klingel's p50 (p95) to the floor's says how much the
server's path adds: the goals are 1.3 for the p50 and 2 for the p95.

The client marks the steps of its join path on the page's performance timeline
(``klingel/static/js/join-timing.js``): each is a ``performance.measure`` named
``klingel:<step>`` that starts at the click. They are read after each join and printed as a
breakdown: the median time from the click to each step, and the median of each phase between
two steps.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from harness import median, percentile, require_netns, save, start_server
from join_floor import DirectCall
from playwright.async_api import Page, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.room_page import (
    DISPLAY_NAME_FIELD,
    JOIN_BUTTON,
    join_room,
    wait_state,
)

JOINS = 20
TIMING_PREFIX = "klingel:"

# Klingel's time over the floor's that counts as close to it.
RATIO_GOAL_P50 = 1.3
RATIO_GOAL_P95 = 2.0

# The join path's phases, each from one step of the client's timeline to the next.
PHASES: tuple[tuple[str, str], ...] = (
    ("click", "socket-open"),
    ("socket-open", "joined"),
    ("joined", "subscribe-offer"),
    ("subscribe-offer", "subscribe-answer"),
    ("subscribe-answer", "subscribe-ice-connected"),
    ("subscribe-ice-connected", "subscribe-dtls-connected"),
    ("subscribe-dtls-connected", "first-frame"),
    ("joined", "publish-offer"),
    ("publish-offer", "publish-answer"),
    ("publish-answer", "publish-ice-connected"),
    ("publish-ice-connected", "publish-dtls-connected"),
)

# Polls every connection's stats from inside the page, so the clock is the page's own; the
# clock starts at the click event itself, not when the automation starts to look for the button.
_WATCH_FIRST_FRAME = """
() => {
  window.__klingelFirstFrameMs = null;
  let started = null;
  document.addEventListener("click", (event) => { started ??= event.timeStamp; },
                            { capture: true, once: true });
  const timer = setInterval(async () => {
    if (started === null) return;
    for (const pc of window.__klingelPeerConnections || []) {
      let report;
      try { report = await pc.getStats(); } catch (e) { continue; }
      for (const s of report.values()) {
        if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0) {
          if (window.__klingelFirstFrameMs === null) {
            window.__klingelFirstFrameMs = performance.now() - started;
          }
          clearInterval(timer);
          return;
        }
      }
    }
  }, 5);
}
"""

_READ_JOIN_STEPS = f"""
() => Object.fromEntries(
  performance.getEntriesByType("measure")
    .filter((m) => m.name.startsWith("{TIMING_PREFIX}"))
    .map((m) => [m.name.slice({len(TIMING_PREFIX)}), m.duration])
)
"""


async def _first_frame_marked(page: Page) -> bool:
    found: bool = await page.evaluate(
        f"() => performance.getEntriesByName('{TIMING_PREFIX}first-frame', 'measure').length > 0"
    )
    return found


async def one_join(
    opener: PageOpener, server: str, room: str, index: int
) -> tuple[float, dict[str, float]]:
    probed = await opener(f"{server}/r/{room}")
    page: Page = probed.page
    await wait_state(page, "prejoin")
    await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill(f"Gast {index}")
    join = page.get_by_role("button", name=JOIN_BUTTON)
    await join.wait_for()
    await page.evaluate(_WATCH_FIRST_FRAME)
    await join.click()
    elapsed: float = await wait_until(
        lambda: page.evaluate("() => window.__klingelFirstFrameMs"),
        timeout=30,
        interval=0.05,
        message="first remote frame",
    )
    steps: dict[str, float] = await page.evaluate(_READ_JOIN_STEPS)
    if steps:  # a client without the join timeline gives the total only
        await wait_until(
            lambda: _first_frame_marked(page), timeout=10, interval=0.05, message="first-frame mark"
        )
        steps = await page.evaluate(_READ_JOIN_STEPS)
    await probed.close()
    return elapsed, steps


def breakdown(joins: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Median time from the click to each step, and median duration of each phase."""
    names = sorted({name for steps in joins for name in steps})
    since_click = {
        name: round(median([steps[name] for steps in joins if name in steps]), 1) for name in names
    }
    phases: dict[str, float] = {}
    for start, end in PHASES:
        spans = [
            steps[end] - (0.0 if start == "click" else steps[start])
            for steps in joins
            if end in steps and (start == "click" or start in steps)
        ]
        if spans:
            phases[f"{start} → {end}"] = round(median(spans), 1)
    return {
        "since_click_ms_p50": dict(sorted(since_click.items(), key=lambda item: item[1])),
        "phase_ms_p50": phases,
    }


def print_breakdown(figures: Mapping[str, Mapping[str, float]]) -> None:
    print("median ms from the click to each step:", file=sys.stderr)
    for name, ms in figures["since_click_ms_p50"].items():
        print(f"  {ms:8.1f}  {name}", file=sys.stderr)
    print("median ms of each phase:", file=sys.stderr)
    for name, ms in figures["phase_ms_p50"].items():
        print(f"  {ms:8.1f}  {name}", file=sys.stderr)


async def measure(joins: int) -> dict[str, object]:
    server = start_server("join-latency")
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            opener = PageOpener(browser)
            room = f"bench-{uuid.uuid4().hex[:8]}"
            await join_room(opener, server.base_url, room, "Gastgeberin")
            floor = await DirectCall.start(browser, server.base_url)
            samples: list[float] = []
            floor_samples: list[float] = []
            timelines: list[dict[str, float]] = []
            for index in range(joins):
                if index % 2:
                    floor_samples.append(await floor.sample())
                elapsed, steps = await one_join(opener, server.base_url, room, index)
                samples.append(elapsed)
                timelines.append(steps)
                if not index % 2:
                    floor_samples.append(await floor.sample())
            await floor.close()
            await opener.close_all()
            await browser.close()
    finally:
        server.stop()
    figures = breakdown(timelines)
    print_breakdown(figures)
    return {"joins": joins, **compare_with_floor(samples, floor_samples), **figures}


def compare_with_floor(samples: Sequence[float], floor: Sequence[float]) -> dict[str, object]:
    p50, p95 = median(samples), percentile(samples, 0.95)
    floor_p50, floor_p95 = median(floor), percentile(floor, 0.95)
    return {
        "join_to_first_frame_ms_p50": round(p50, 1),
        "join_to_first_frame_ms_p95": round(p95, 1),
        "floor_ms_p50": round(floor_p50, 1),
        "floor_ms_p95": round(floor_p95, 1),
        "ratio_to_floor_p50": round(p50 / floor_p50, 2),
        "ratio_to_floor_p95": round(p95 / floor_p95, 2),
        "ratio_goal_p50": RATIO_GOAL_P50,
        "ratio_goal_p95": RATIO_GOAL_P95,
        "samples_ms": [round(s, 1) for s in samples],
        "floor_samples_ms": [round(s, 1) for s in floor],
    }


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    if "floor_ms_p50" not in results:
        return [("join, direct connection between two pages (floor)", "not run", "", "no figure")]
    rows = [
        (
            "join floor: direct connection between two pages, p50 / p95",
            f"{results['floor_ms_p50']:g} / {results['floor_ms_p95']:g} ms",
            "—",
            "—",
        )
    ]
    for key, goal in (("p50", RATIO_GOAL_P50), ("p95", RATIO_GOAL_P95)):
        ratio = float(results[f"ratio_to_floor_{key}"])
        verdict = "met" if ratio <= goal else f"short by {ratio - goal:.2f}"
        rows.append(
            (f"join → first remote frame / floor, {key}", f"{ratio:.2f}", f"≤ {goal:g}", verdict)
        )
    return rows


async def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--joins", type=int, default=JOINS, help="joins (and floor samples)")
    arguments = parser.parse_args()
    result = await measure(arguments.joins)
    save("join_latency", result)


if __name__ == "__main__":
    asyncio.run(main())
