"""Breakout rooms: from a host's "Alle zurückholen" until everyone is back in the main room,
in real Chromium pages.

One Klingel server (2 SFU workers). A host page and ``--guests`` guest pages (5 by default),
each with the fake camera and microphone, in one room without lobby. Each of ``--rounds``
(10) rounds: the host opens 2 groups at random with "Gruppenräume öffnen" (everyone sent at
once); once every guest page says it is in its group, the host page notes the wall clock time
and clicks "Alle zurückholen". Each guest page notes, with a ``MutationObserver``, the wall
clock time its strip first says the groups are over ("closing", the server's word reaching the
page: the floor) and the time it says it is back in the main room (its join there answered:
name, devices and tracks kept, media connections made anew). All clocks are this machine's.

Reported: "all back" per round (the last guest back), p50 and p95 over rounds; each guest's
time back and time told, p50 and p95; and the ratio of the p50s back / told.

Run inside the isolated namespace: ``scripts/netns-run .venv/bin/python bench/breakouts.py``.
"""

from __future__ import annotations

import argparse
import asyncio
from functools import partial
from typing import Any

import httpx
from harness import WORK, median, percentile, require_netns, save, start_server
from playwright.async_api import Page, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_until
from klingel_bots.host_page import LOBBY, host_control, switch
from klingel_bots.room_page import join_from_prejoin, join_room

NAME = "breakouts"
WATCH = """() => {
  window.__breakouts = { told: [], back: [], inGroup: [] };
  const status = document.querySelector("#breakout-status");
  const banner = document.querySelector("#breakout-banner-text");
  new MutationObserver(() => {
    const text = status.textContent;
    if (text.includes("Hauptraum")) window.__breakouts.back.push(Date.now());
    else if (text.includes("Gruppe")) window.__breakouts.inGroup.push(Date.now());
  }).observe(status, { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => {
    if (banner.textContent.includes("vorbei")) window.__breakouts.told.push(Date.now());
  }).observe(banner, { childList: true, characterData: true, subtree: true });
}"""
CLICK_CALL_BACK = """() => {
  const button = [...document.querySelectorAll(".breakout-call-back")].find((b) => !b.hidden);
  const at = Date.now();
  button.click();
  return at;
}"""


async def counts(page: Page) -> dict[str, list[float]]:
    found: dict[str, list[float]] = await page.evaluate("() => window.__breakouts")
    return found


async def run(guests: int, rounds: int) -> dict[str, object]:
    WORK.mkdir(parents=True, exist_ok=True)
    server = start_server(NAME)
    try:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            opener = PageOpener(browser)
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                created = (await http.post("/api/rooms", json={"name": "Bench Gruppen"})).json()
            room, secret = str(created["room"]), str(created["hostSecret"])
            host_probed = await opener(f"{server.base_url}/r/{room}#host={secret}")
            host = host_probed.page
            await join_from_prejoin(host, "Lehrerin")
            await switch(host, LOBBY, False)
            pages = [
                (await join_room(opener, server.base_url, room, f"Kind {n}")).page
                for n in range(1, guests + 1)
            ]
            for page in pages:
                await page.evaluate(WATCH)
            all_back: list[float] = []
            back: list[float] = []
            told: list[float] = []
            for round_number in range(rounds):
                await (await host_control(host, "Gruppenräume öffnen")).click()
                await wait_until(
                    partial(_all_in_groups, pages, round_number + 1),
                    timeout=60,
                    message="every guest in a group",
                )
                await asyncio.sleep(1.0)
                clicked = float(await host.evaluate(CLICK_CALL_BACK)) / 1000
                await wait_until(
                    partial(_all_back, pages, round_number + 1),
                    timeout=60,
                    message="every guest back",
                )
                seen = [await counts(page) for page in pages]
                backs = [entry["back"][round_number] / 1000 - clicked for entry in seen]
                tolds = [entry["told"][round_number] / 1000 - clicked for entry in seen]
                all_back.append(max(backs))
                back.extend(backs)
                told.extend(tolds)
                print(f"round {round_number + 1}: all back after {max(backs):.2f} s")
                await wait_until(lambda: _groups_over(host), timeout=30, message="groups over")
            await opener.close_all()
            await browser.close()
    finally:
        server.stop()

    def summary(values: list[float]) -> dict[str, float]:
        ms = [1000 * value for value in values]
        return {"p50": median(ms), "p95": percentile(ms, 0.95), "max": max(ms)}

    return {
        "guests": guests,
        "rounds": rounds,
        "all_back_ms": summary(all_back),
        "each_back_ms": summary(back),
        "each_told_ms": summary(told),
        "ratio_p50_back_to_told": median(back) / median(told),
    }


async def _all_in_groups(pages: list[Page], rounds: int) -> bool:
    seen = [await counts(page) for page in pages]
    return all(len(entry["inGroup"]) >= rounds for entry in seen)


async def _all_back(pages: list[Page], rounds: int) -> bool:
    seen = [await counts(page) for page in pages]
    return all(len(entry["back"]) >= rounds and len(entry["told"]) >= rounds for entry in seen)


async def _groups_over(host: Page) -> bool:
    return await host.locator(".breakout-open").is_visible()


def table_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    every, told = result["all_back_ms"], result["each_told_ms"]
    return [
        (
            f'breakout rooms: "Alle zurückholen" → all {result["guests"]} guests back, p50 / p95',
            f"{every['p50']:.0f} / {every['p95']:.0f} ms (told p50 {told['p50']:.0f} ms)",
            "",
            "measured",
        )
    ]


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    arguments = parser.parse_args()
    if not 2 <= arguments.guests <= 20 or not 1 <= arguments.rounds <= 50:
        parser.error("2-20 guests, 1-50 rounds")
    result: dict[str, Any] = asyncio.run(run(arguments.guests, arguments.rounds))
    save(NAME, result)
    every, each, told = result["all_back_ms"], result["each_back_ms"], result["each_told_ms"]
    print(
        f"{result['guests']} guests, {result['rounds']} rounds: all back p50 {every['p50']:.0f} ms,"
        f" p95 {every['p95']:.0f} ms, max {every['max']:.0f} ms; each guest back p50"
        f" {each['p50']:.0f} ms, p95 {each['p95']:.0f} ms; told p50 {told['p50']:.0f} ms,"
        f" p95 {told['p95']:.0f} ms; ratio of the p50s back / told"
        f" {result['ratio_p50_back_to_told']:.1f}"
    )


if __name__ == "__main__":
    main()
