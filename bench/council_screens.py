"""A council's roll-call votes as the members' screens show them: from the chair's
``close_vote`` to the result drawn in every member's Chromium page.

One Klingel server (2 SFU workers), a body of ``--members`` (40 by default). The chair and
most members are signaling clients in this process (as in ``council_vote.py``); ``--pages``
members (4 by default) open their personal links in headless Chromium, the real room page,
without camera or microphone (the chair records every member present in the hall and
records the ballots of the members on screens, so that no page needs media and the two cores
are left to the pages and the server). Each page notes, with a ``MutationObserver``, the wall
clock time at which its list of results grows; the chair notes the wall clock time at which
it sends ``close_vote``. Both clocks are this machine's.

The floor, in the same run: the same close to the ``council_state`` with the result on the
members' sockets. The ratio of the p50s says what drawing the result in a browser adds.

Run inside the isolated namespace: ``scripts/netns-run .venv/bin/python bench/council_screens.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from council_vote import BODY, Seat, prepare, until
from harness import WORK, median, percentile, require_netns, save
from playwright.async_api import Page, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.room_page import wait_state
from klingel_bots.server_process import ServerProcess

NAME = "council_screens"
WATCH_RESULTS = """() => {
  window.__councilResults = {};
  const seen = () => document.querySelectorAll("#council-panel .council-result").length;
  let count = seen();
  new MutationObserver(() => {
    const now = seen();
    if (now > count) window.__councilResults[now] = Date.now();
    count = now;
  }).observe(document.body, { childList: true, subtree: true });
}"""


class Member(Seat):
    """A member's socket that also notes whether a vote runs, so that no ballot goes out
    before its vote is open on that socket."""

    voting: bool = False

    def on_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "council_state":
            self.voting = message["vote"] is not None
        super().on_message(message)


async def member_page(opener: PageOpener, server: str, secret: str) -> Page:
    probed = await opener(f"{server}/r/{BODY}#member={secret}", media_allowed=False)
    page = probed.page
    await wait_state(page, "prejoin")
    await page.get_by_role("button", name="Beitreten", exact=True).click()
    await wait_state(page, "joined")
    await page.locator("#council-panel").wait_for(state="attached")
    await page.evaluate(WATCH_RESULTS)
    return page


async def shown_at(page: Page, results: int) -> float:
    """The wall clock second at which the page drew its ``results``-th result."""

    async def drawn() -> float | None:
        at = await page.evaluate(f"() => window.__councilResults[{results}] ?? null")
        return None if at is None else at / 1000

    found: float = await wait_until(drawn, timeout=30, message="the result drawn")
    return found


async def run(members: int, pages: int, votes: int) -> dict[str, object]:
    WORK.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="council-screens-", dir=WORK))
    links = await prepare(data_dir, members)
    server = ServerProcess(log_path=WORK / f"{NAME}.log", workers=2, data_dir=data_dir)
    server.start()
    ids = list(links)
    on_screens, on_sockets = ids[1 : 1 + pages], [ids[0], *ids[1 + pages :]]
    seats = [Member(member) for member in on_sockets]
    try:
        for seat in seats:
            await seat.join(server.base_url, links[seat.member])
        chair = seats[0]

        async def say(**fields: Any) -> None:
            await chair.send({"type": "council", **fields})

        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            opener = PageOpener(browser)
            screens = [
                await member_page(opener, server.base_url, links[member]) for member in on_screens
            ]
            await say(action="open", session="s1")
            for member in ids:
                await say(action="hall", member=member, on=True)
            await say(action="item", item="1")
            on_page: list[float] = []
            on_socket: list[float] = []
            for vote in range(1, votes + 1):
                await say(action="vote", motion=0, kind="roll_call")
                await asyncio.gather(*(until(seat, lambda s=seat: s.voting) for seat in seats))
                await asyncio.gather(
                    *(seat.send({"type": "council", "action": "ballot", "choice": "yes"})
                      for seat in seats),
                    *(say(action="ballot", choice="no", member=member) for member in on_screens),
                )  # fmt: skip
                await asyncio.gather(
                    *(until(seat, lambda s=seat: s.ballots_seen == members) for seat in seats)
                )
                # Let the pages draw the last ballot before the close is timed.
                await asyncio.sleep(0.3)
                wall, mono = time.time(), time.monotonic()
                await say(action="close_vote")
                await asyncio.gather(
                    *(until(seat, lambda s=seat, v=vote: s.results_seen >= v) for seat in seats)
                )
                on_socket.extend(seat.result_times[vote] - mono for seat in seats[1:])
                drawn = await asyncio.gather(*(shown_at(page, vote) for page in screens))
                on_page.extend(at - wall for at in drawn)
            await opener.close_all()
            await browser.close()
        page_ms = [1000 * t for t in on_page]
        socket_ms = [1000 * t for t in on_socket]
        return {
            "members": members,
            "pages": pages,
            "votes": votes,
            "close_to_screen_ms": {
                "p50": median(page_ms),
                "p95": percentile(page_ms, 0.95),
                "max": max(page_ms),
            },
            "close_to_socket_ms": {
                "p50": median(socket_ms),
                "p95": percentile(socket_ms, 0.95),
                "max": max(socket_ms),
            },
            "ratio_p50": median(page_ms) / median(socket_ms),
        }
    finally:
        for seat in seats:
            if seat.socket is not None:
                await seat.socket.close()
            if seat.reader is not None:
                await seat.reader
        server.stop()


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--votes", type=int, default=10)
    arguments = parser.parse_args()
    if not 1 <= arguments.pages < arguments.members <= 200 or not 1 <= arguments.votes <= 50:
        parser.error("1 to members - 1 pages, 2-200 members, 1-50 votes")
    result = asyncio.run(run(arguments.members, arguments.pages, arguments.votes))
    save(NAME, result)
    screen, socket = result["close_to_screen_ms"], result["close_to_socket_ms"]
    assert isinstance(screen, dict) and isinstance(socket, dict)
    print(
        f"{result['members']} members ({result['pages']} on Chromium pages), {result['votes']}"
        f" roll calls: close -> result drawn on every member's screen p50 {screen['p50']:.1f} ms,"
        f" p95 {screen['p95']:.1f} ms, max {screen['max']:.1f} ms; on the members' sockets"
        f" p50 {socket['p50']:.1f} ms, p95 {socket['p95']:.1f} ms;"
        f" ratio of the p50s {result['ratio_p50']:.2f}"
    )


if __name__ == "__main__":
    main()
