"""A server killed in a meeting: how long until every page is back, as who it was.

A 6-person room in Chromium (fake camera and microphone): the host by the host link of a room
made from the start page, a co-host by the co-host link, four guests by the plain link; then
the host switches the lobby on, so that the guests come back with their seat passes. Ten times
(``--runs``) the server process gets SIGKILL and is started again at once on the same port and
data directory. Per run:

- **back**: from the kill until the last page shows the call again (``data-state="joined"``)
  with its own role (its entry in the list of people) as before;
- **first video**: from the kill until the last page decodes (``framesDecoded`` > 0) a remote
  video again, on a connection made after the kill;
- **decoding**: from the kill until the last page decodes, on connections made after the
  kill, as many remote videos as it did before the kill (all five, unless a tile was off the
  page's screen and so not received);
- the floor of both: from the kill until the new server answers ``/healthz`` with every worker
  up (the killed process's workers gone first), and of that the server's own start-up time
  (from launching ``klingel serve`` until it is ready).

Each page records its times itself (its ``Date.now()``, polled every 50 ms), so the driver's
work does not count.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from functools import partial

from harness import median, percentile, require_netns, save, start_server
from playwright.async_api import Page, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.host_page import (
    LOBBY,
    copy_cohost_link,
    join_as_host,
    start_conference,
    switch,
)
from klingel_bots.room_page import join_from_prejoin, join_room, own_id
from klingel_bots.server_process import ServerProcess

RUNS = 10
GUESTS = 4
BACK_TIMEOUT_SECONDS = 120.0

# Counts the remote videos a page decodes on its open connections (``from``: those made
# since that many connections), in the page.
_DECODING = """
async (from) => {
  let decoding = 0;
  for (const pc of (window.__klingelPeerConnections || []).slice(from)) {
    if (pc.connectionState === "closed") continue;
    let report;
    try { report = await pc.getStats(); } catch (e) { continue; }
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0) decoding++;
    });
  }
  return decoding;
}
"""

# Started in each page right before the kill: records when the page is back in the call with
# ``role``, and when it decodes as many remote videos (``others``) as before the kill, on
# connections made since.
_WATCH_RETURN = (
    """
({ role, others }) => {
  const decoding = """
    + _DECODING.strip()
    + """;
  const made = (window.__klingelPeerConnections || []).length;
  const watch = { away: false, back: null, firstVideo: null, decoding: null };
  window.__klingelReturn = watch;
  const ownRole = () => {
    const own = document.querySelector('.tile[data-self="true"]')?.dataset.participant;
    return own ? document.querySelector(`#people [data-participant="${own}"]`)?.dataset.role : null;
  };
  const timer = setInterval(async () => {
    const joined = document.body.dataset.state === "joined";
    watch.away ||= !joined;
    if (watch.back === null && watch.away && joined && ownRole() === role) watch.back = Date.now();
    if (watch.decoding === null) {
      const now = await decoding(made);
      if (now > 0) watch.firstVideo ??= Date.now();
      if (now >= others) watch.decoding = Date.now();
    }
    if (watch.back !== null && watch.decoding !== null) clearInterval(timer);
  }, 50);
}
"""
)


async def _watched(page: Page) -> dict[str, float | None]:
    watch: dict[str, float | None] = await page.evaluate("() => window.__klingelReturn")
    return {key: watch[key] for key in ("back", "firstVideo", "decoding")}


async def _times(pages: Sequence[tuple[Page, str]]) -> list[dict[str, float | None]]:
    """Each page's times, once every page has both or ``BACK_TIMEOUT_SECONDS`` are over
    (then what is missing is None)."""
    deadline = time.monotonic() + BACK_TIMEOUT_SECONDS
    while True:
        found = [await _watched(page) for page, _ in pages]
        done = all(None not in times.values() for times in found)
        if done or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def _decoding(page: Page) -> int:
    """How many remote videos the page decodes now: at least one, or 0 (not yet)."""
    found: int = await page.evaluate(_DECODING, 0)
    return found


async def meeting(opener: PageOpener, server: str) -> list[tuple[Page, str]]:
    """The six pages, each with the role it must keep."""
    created = await start_conference(opener, server)
    host = await join_as_host(created, "Gastgeberin")
    cohost = await opener(await copy_cohost_link(created, server))
    await join_from_prejoin(cohost.page, "Mit-Gastgeber")
    pages = [(host.page, "host"), (cohost.page, "cohost")]
    for index in range(GUESTS):
        guest = await join_room(opener, server, created.room, f"Gast {index + 1}")
        pages.append((guest.page, "guest"))
    await switch(host.page, LOBBY, True)
    for page, _ in pages:
        await own_id(page)
    return pages


async def one_run(
    server: ServerProcess, pages: Sequence[tuple[Page, str]]
) -> dict[str, float | int | None]:
    for page, role in pages:
        # A page may show some tiles on a later page of the grid, which it does not receive.
        before = await wait_until(partial(_decoding, page), timeout=120, message="video decoded")
        await page.evaluate(_WATCH_RETURN, {"role": role, "others": before})
    killed_at = time.time()
    await asyncio.to_thread(server.kill)
    await asyncio.to_thread(server.start_again)
    ready_at = time.time()
    found = await _times(pages)

    def last(key: str) -> float | None:
        times = [page_times[key] for page_times in found]
        done = [at for at in times if at is not None]
        return round(max(done) / 1000 - killed_at, 3) if len(done) == len(times) else None

    return {
        "back_s": last("back"),
        "first_video_s": last("firstVideo"),
        "decoding_s": last("decoding"),
        "server_ready_s": round(ready_at - killed_at, 3),
        "server_startup_s": round(server.ready_after, 3),
        "pages_not_back": sum(times["back"] is None for times in found),
        "pages_not_decoding": sum(times["decoding"] is None for times in found),
    }


def summary(samples: Sequence[dict[str, float | int | None]]) -> dict[str, object]:
    """p50 and p95 of each time over the runs in which every page got there; how many runs
    had a page that did not within ``BACK_TIMEOUT_SECONDS``."""
    figures: dict[str, object] = {"runs": len(samples), "timeout_s": BACK_TIMEOUT_SECONDS}
    for key in ("back_s", "first_video_s", "decoding_s", "server_ready_s", "server_startup_s"):
        values = [float(value) for sample in samples if (value := sample[key]) is not None]
        if values:
            figures[f"{key}_p50"] = round(median(values), 3)
            figures[f"{key}_p95"] = round(percentile(values, 0.95), 3)
        figures[f"{key}_missing"] = len(samples) - len(values)
    figures["samples"] = list(samples)
    return figures


async def measure(runs: int) -> dict[str, object]:
    server = start_server("restart")
    samples: list[dict[str, float | int | None]] = []
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            opener = PageOpener(browser)
            pages = await meeting(opener, server.base_url)
            for run in range(runs):
                sample = await one_run(server, pages)
                print(f"run {run + 1}/{runs}: {sample}", file=sys.stderr)
                samples.append(sample)
            await opener.close_all()
            await browser.close()
    finally:
        server.stop()
    return summary(samples)


async def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS, help="kills and starts")
    arguments = parser.parse_args()
    save("restart", await measure(arguments.runs))


if __name__ == "__main__":
    asyncio.run(main())
