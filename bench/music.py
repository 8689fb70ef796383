"""Music mode's audio bitrate against speech mode, in one run (docs/music-mode.md).

Two Chromium pages in one room: Anna's microphone is a synthetic stereo signal (a 440 Hz tone
left, a 1320 Hz tone right, each under independent noise, so that the encoder has something to
spend its bits on), Ben has the fake microphone and camera. Anna's page switches music mode on
and off through its own control, `--rounds` times in alternating order; after each switch and
`--settle` seconds, over `--seconds`, the bytes of Anna's outbound audio (RTP payload and
headers, `outbound-rtp` of the publish connection) and of Ben's inbound audio from her
(`inbound-rtp`). It reports kbit/s per mode (median over the rounds, each round's figures kept)
and the ratio of music to speech.

    PYTHONPATH=.:bots scripts/netns-run .venv/bin/python bench/music.py   # about 2 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from harness import WORK, median, require_netns, save, start_server
from playwright.async_api import Page, async_playwright

from klingel_bots.browser import PageOpener, launch_chromium, wait_media_flowing, wait_until
from klingel_bots.music_audio import published_audio, received_audio, use_stereo_microphone
from klingel_bots.room_page import join_from_prejoin, join_room

NAME = "music"
NOISE = 0.05


def kbit_per_second(byte_count: int, seconds: float) -> float:
    return round(byte_count * 8 / seconds / 1000, 1)


async def window(anna: Page, ben: Page, seconds: float) -> dict[str, Any]:
    sent_before = await published_audio(anna)
    received_before = await received_audio(ben)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    sent_after = await published_audio(anna)
    received_after = await received_audio(ben)
    elapsed = time.monotonic() - started
    assert sent_before and sent_after
    return {
        "sent_kbit_s": kbit_per_second(sent_after.bytes_sent - sent_before.bytes_sent, elapsed),
        "received_kbit_s": kbit_per_second(received_after.bytes - received_before.bytes, elapsed),
        "answer_fmtp": sent_after.answer_fmtp,
    }


async def set_music(anna: Page, on: bool) -> None:
    button = anna.locator("#controls").get_by_role("button", name="Musikmodus", exact=True)
    if (await button.get_attribute("aria-pressed") == "true") is not on:
        await button.click()

    async def negotiated() -> bool:
        audio = await published_audio(anna)
        return audio is not None and ("stereo=1" in audio.answer_fmtp) is on

    await wait_until(negotiated, timeout=20, message=f"music mode {on} negotiated")


async def measure(server: str, rounds: int, seconds: float, settle: float) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        opener = PageOpener(browser)
        try:
            sender = await opener()
            await use_stereo_microphone(sender.context, noise=NOISE)
            await sender.page.goto(f"{server}/r/bench-music")
            await join_from_prejoin(sender.page, "Anna")
            ben = await join_room(opener, server, "bench-music", "Ben")
            await wait_media_flowing(ben.page, video=1, audio=1)
            samples: dict[str, list[dict[str, Any]]] = {"speech": [], "music": []}
            for index in range(rounds):
                order = ("speech", "music") if index % 2 == 0 else ("music", "speech")
                for mode in order:
                    await set_music(sender.page, mode == "music")
                    await asyncio.sleep(settle)
                    figures = await window(sender.page, ben.page, seconds)
                    samples[mode].append(figures)
                    print(f"round {index + 1} {mode}: {figures}", flush=True)
        finally:
            await opener.close_all()
            await browser.close()
    summary: dict[str, Any] = {}
    for mode, found in samples.items():
        summary[mode] = {
            "sent_kbit_s_median": median([f["sent_kbit_s"] for f in found]),
            "received_kbit_s_median": median([f["received_kbit_s"] for f in found]),
            "answer_fmtp": found[-1]["answer_fmtp"],
            "rounds": found,
        }
    speech_sent = summary["speech"]["sent_kbit_s_median"]
    summary["music_over_speech_sent"] = (
        round(summary["music"]["sent_kbit_s_median"] / speech_sent, 2) if speech_sent else None
    )
    return summary


def table_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    speech, music = result["speech"], result["music"]
    return [
        (
            "music mode: audio kbit/s sent / received, speech → music",
            f"{speech['sent_kbit_s_median']} / {speech['received_kbit_s_median']} → "
            f"{music['sent_kbit_s_median']} / {music['received_kbit_s_median']} "
            f"(music / speech {result['music_over_speech_sent']})",
            "music ≈ 128 kbit/s of Opus",
            "measured",
        )
    ]


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    server = start_server(NAME)
    try:
        result = asyncio.run(measure(server.base_url, args.rounds, args.seconds, args.settle))
    finally:
        server.stop()
    result["settings"] = {
        "rounds": args.rounds,
        "seconds": args.seconds,
        "settle": args.settle,
        "noise": NOISE,
        "log": str(WORK / f"{NAME}.log"),
    }
    save(NAME, result)


if __name__ == "__main__":
    main()
