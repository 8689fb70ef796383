"""Join to first remote decoded frame, in Chromium on loopback.

One person (fake camera and microphone) is in the room. Ten times, another person opens the
room page, types a name and clicks "join"; the time from that click until the page's first
inbound video frame is decoded (``getStats`` ``framesDecoded`` > 0) is one sample.
"""

from __future__ import annotations

import asyncio
import uuid

from harness import median, percentile, require_netns, save, start_server
from playwright.async_api import Page, async_playwright

from klingel.bots.browser import PageOpener, launch_chromium, wait_until
from klingel.bots.room_page import (
    DISPLAY_NAME_FIELD,
    JOIN_BUTTON,
    join_room,
    wait_state,
)

JOINS = 10

# Polls every connection's stats from inside the page, so the clock is the page's own.
_WATCH_FIRST_FRAME = """
() => {
  window.__klingelFirstFrameMs = null;
  const started = performance.now();
  const timer = setInterval(async () => {
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


async def one_join(opener: PageOpener, server: str, room: str, index: int) -> float:
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
    await probed.close()
    return elapsed


async def main() -> None:
    require_netns()
    server = start_server("join-latency")
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            opener = PageOpener(browser)
            room = f"bench-{uuid.uuid4().hex[:8]}"
            await join_room(opener, server.base_url, room, "Gastgeberin")
            samples = []
            for index in range(JOINS):
                samples.append(await one_join(opener, server.base_url, room, index))
            await opener.close_all()
            await browser.close()
    finally:
        server.stop()
    save(
        "join_latency",
        {
            "joins": JOINS,
            "join_to_first_frame_ms_p50": round(median(samples), 1),
            "join_to_first_frame_ms_p95": round(percentile(samples, 0.95), 1),
            "samples_ms": [round(s, 1) for s in samples],
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
