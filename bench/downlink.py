"""Downlink adaptation with a 500 kbit/s link: how fast a subscriber whose downlink gets short
drops to the smallest layer, what its audio loses meanwhile, and how fast it comes back.

One Klingel server; one light publisher (``klingel.load``: pre-encoded VP8 simulcast at about
150, 500 and 1500 kbit/s, 180p/360p/720p, and 32 kbit/s Opus); two Chromium subscribers that
receive its camera and microphone and ask for the largest layer. Once both show it, the first
subscriber's downlink is shaped to 500 kbit/s with ``tc`` for ``SHAPED_SECONDS``; the second
is the control. Then the shaping goes and the first should climb back.

Chromium's ``getStats()`` is polled every 100 ms for the frame height (which layer it decodes);
audio loss is inbound ``packetsLost / (packetsReceived + packetsLost)`` over the shaped
minute, freezes are ``freezeCount``.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import WORK, require_netns, save, start_server
from playwright.async_api import async_playwright

from klingel.client import Refused
from klingel.load.media_files import SIMULCAST_LAYERS, ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions
from klingel.load.sending import Pacer, PreparedMedia
from klingel.protocol.layers import LayerRequest, SetLayers
from klingel.protocol.objects import StreamRequest
from klingel.sfu.dtls import DtlsIdentity
from klingel_bots.browser import PageOpener, launch_chromium
from klingel_bots.client import ProtocolClient
from klingel_bots.server_process import ServerProcess
from klingel_bots.shaping import LoopbackShaper

# The bare Chromium peer of the integration tests: a page with one RTCPeerConnection whose SDP
# this script carries over the signaling protocol itself.
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "integration"))
from chromium_support import BlankPageServer, ChromiumPeer, InboundRtp

SHAPED_RATE = "500kbit"
SHAPED_SECONDS = 60.0
POLL_SECONDS = 0.1
START_TIMEOUT = 90.0  # both subscribers on the largest layer
LOWEST_TIMEOUT = 30.0
BACK_TIMEOUT = 120.0  # the allocator waits longer after each upgrade that had to be undone
LOWEST_HEIGHT = SIMULCAST_LAYERS[0].height
HIGHEST_HEIGHT = SIMULCAST_LAYERS[-1].height
TOP_LAYER = len(SIMULCAST_LAYERS) - 1

# targets: what a subscriber with a short link should see (see bench/README.md)
TARGET_TO_LOWEST_S = 5.0
TARGET_AUDIO_LOSS_PERCENT = 2.0
TARGET_BACK_S = 60.0
TARGET_FRAME_SHARE = 0.8  # of the smallest layer's frame rate
SMALLEST_FPS = SIMULCAST_LAYERS[0].fps


@dataclass(slots=True)
class Viewer:
    """One Chromium subscriber, its signaling on this side."""

    name: str
    client: ProtocolClient
    peer: ChromiumPeer
    audio_mid: str
    video_mid: str

    async def inbound(self) -> tuple[InboundRtp | None, InboundRtp | None]:
        """(audio, video) as ``getStats()`` has them now."""
        stats = await self.peer.stats()
        return stats.inbound.get(self.audio_mid), stats.inbound.get(self.video_mid)

    async def height(self) -> int:
        _, video = await self.inbound()
        return video.frame_height if video is not None else 0

    async def close(self) -> None:
        await self.peer.close_connection()
        await self.client.close()


async def open_viewer(
    opener: PageOpener, page_url: str, server: ServerProcess, room: str, name: str
) -> Viewer:
    client = ProtocolClient(server.base_url, room, name, auto_subscribe=False, request_timeout=20.0)
    await client.join()
    await wait_for(lambda: _has_published(client), 30.0, "the publisher's streams")
    streams = client.others_streams()
    audio = next(sid for sid, s in streams.items() if s.kind == "audio")
    video = next(sid for sid, s in streams.items() if s.kind == "video")
    probed = await opener()
    peer = await ChromiumPeer.open(probed.page, page_url)
    offer = await peer.receive_offer(["audio", "video"])
    audio_mid, video_mid = offer.mid_of("audio"), offer.mid_of("video")
    requests = [StreamRequest(audio_mid, audio), StreamRequest(video_mid, video)]
    try:
        answer = await client.signaling.subscribe(offer.sdp, requests)
    except Refused as refused:
        raise RuntimeError(f"subscribe refused: {refused.code}") from refused
    await peer.accept(answer.sdp)
    await client.send(SetLayers((LayerRequest(video, TOP_LAYER),)))
    return Viewer(name, client, peer, audio_mid, video_mid)


async def _has_published(client: ProtocolClient) -> bool:
    kinds = {s.kind for s in client.others_streams().values()}
    return {"audio", "video"} <= kinds


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        await asyncio.sleep(POLL_SECONDS)


async def seconds_until_height(viewer: Viewer, height: int, timeout: float) -> float | None:
    """Seconds until the viewer decodes frames of ``height`` (polled), None if not within
    ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await viewer.height() == height:
            return round(time.monotonic() - start, 2)
        await asyncio.sleep(POLL_SECONDS)
    return None


async def wait_height(viewer: Viewer, height: int, timeout: float) -> None:
    if await seconds_until_height(viewer, height, timeout) is None:
        raise TimeoutError(f"{viewer.name} never showed {height}p within {timeout:.0f} s")


@dataclass(slots=True)
class Reception:
    """What one viewer received between two readings, and the heights seen meanwhile."""

    seconds: float = 0.0
    audio_received: int = 0
    audio_lost: int = 0
    frames_decoded: int = 0
    freezes: int = 0
    heights: tuple[int, ...] = ()

    def figures(self) -> dict[str, Any]:
        total = self.audio_received + self.audio_lost
        heights = self.heights
        return {
            "audio_packets_received": self.audio_received,
            "audio_loss_percent": round(100 * self.audio_lost / total, 2) if total else None,
            "video_frames_decoded": self.frames_decoded,
            "video_frames_per_second": (
                round(self.frames_decoded / self.seconds, 1) if self.seconds else None
            ),
            "video_freezes": self.freezes,
            "share_of_time_on_largest_layer": (
                round(heights.count(HIGHEST_HEIGHT) / len(heights), 3) if heights else None
            ),
            "share_of_time_on_smallest_layer": (
                round(heights.count(LOWEST_HEIGHT) / len(heights), 3) if heights else None
            ),
        }


Readings = list[tuple[InboundRtp | None, InboundRtp | None]]


async def readings(viewers: list[Viewer]) -> Readings:
    return [await viewer.inbound() for viewer in viewers]


def received_between(
    before: Readings, after: Readings, heights: list[list[int]], seconds: float
) -> list[Reception]:
    receptions = []
    for (audio_before, video_before), (audio_after, video_after), seen in zip(
        before, after, heights, strict=True
    ):
        reception = Reception(seconds=seconds, heights=tuple(seen))
        if audio_before is not None and audio_after is not None:
            reception.audio_received = audio_after.packets_received - audio_before.packets_received
            reception.audio_lost = max(0, audio_after.packets_lost - audio_before.packets_lost)
        if video_before is not None and video_after is not None:
            reception.frames_decoded = video_after.frames_decoded - video_before.frames_decoded
            reception.freezes = video_after.freeze_count - video_before.freeze_count
        receptions.append(reception)
    return receptions


async def measure(server: ServerProcess) -> dict[str, Any]:
    room = f"bench-{uuid.uuid4().hex[:8]}"
    media = PreparedMedia.load(ensure_media(WORK / "load-media"))
    pacer = Pacer()
    publisher = LoadParticipant(
        server.base_url,
        room,
        "Publisher",
        media=media,
        identity=DtlsIdentity.generate(),
        pacer=pacer,
        options=ParticipantOptions(audio=True, video=True, simulcast=True),
    )
    viewers: list[Viewer] = []
    try:
        await publisher.start()
        with BlankPageServer() as pages:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                opener = PageOpener(browser)
                try:
                    for name in ("Shaped", "Control"):
                        viewers.append(await open_viewer(opener, pages.url, server, room, name))
                    return await shaped_minute(*viewers)
                finally:
                    for viewer in viewers:
                        await viewer.close()
                    await opener.close_all()
                    await browser.close()
    finally:
        await publisher.close()
        await pacer.close()


async def shaped_minute(shaped: Viewer, control: Viewer) -> dict[str, Any]:
    viewers = [shaped, control]
    for viewer in viewers:
        await wait_height(viewer, HIGHEST_HEIGHT, START_TIMEOUT)
    port = (await shaped.peer.stats()).local_port
    if port is None:
        raise RuntimeError("no selected candidate pair on the shaped subscriber")
    heights: list[list[int]] = [[], []]
    to_lowest: float | None = None
    with LoopbackShaper() as shaper:
        before = await readings(viewers)
        shaper.shape(port, SHAPED_RATE)
        shaped_at = time.monotonic()
        while (elapsed := time.monotonic() - shaped_at) < SHAPED_SECONDS:
            for seen, viewer in zip(heights, viewers, strict=True):
                seen.append(await viewer.height())
            if to_lowest is None and heights[0][-1] == LOWEST_HEIGHT:
                to_lowest = round(elapsed, 2)
            await asyncio.sleep(POLL_SECONDS)
        after = await readings(viewers)
        shaped_for = time.monotonic() - shaped_at
    way_back = await watch_the_way_back(shaped)
    shaped_reception, control_reception = received_between(before, after, heights, shaped_for)
    return {
        "shaped_rate": SHAPED_RATE,
        "shaped_seconds": SHAPED_SECONDS,
        "seconds_to_smallest_layer": to_lowest,
        "seconds_back_to_largest_layer": way_back.seconds_to(HIGHEST_HEIGHT),
        "seconds_to_first_step_up": way_back.first_step_up(),
        "way_back_heights": way_back.changes,
        "seconds_watched_for_the_way_back": BACK_TIMEOUT,
        "signaling_open_throughout": all(viewer.client.connected for viewer in viewers),
        "shaped": shaped_reception.figures(),
        "control": control_reception.figures(),
    }


@dataclass(slots=True)
class WayBack:
    """The shaped viewer's frame height after the shaping ended: (seconds, height) at each
    change."""

    changes: list[tuple[float, int]]

    def seconds_to(self, height: int) -> float | None:
        return next((at for at, seen in self.changes if seen == height), None)

    def first_step_up(self) -> float | None:
        start = self.changes[0][1] if self.changes else 0
        return next((at for at, seen in self.changes if seen > start), None)


async def watch_the_way_back(viewer: Viewer) -> WayBack:
    """Polls the viewer's frame height from the end of the shaping until it shows the largest
    layer, at most ``BACK_TIMEOUT`` seconds."""
    start = time.monotonic()
    changes: list[tuple[float, int]] = []
    while (elapsed := time.monotonic() - start) < BACK_TIMEOUT:
        height = await viewer.height()
        if not changes or changes[-1][1] != height:
            changes.append((round(elapsed, 2), height))
        if height == HIGHEST_HEIGHT:
            break
        await asyncio.sleep(POLL_SECONDS)
    return WayBack(changes)


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows for ``bench/table.py``: (measure, result, target, verdict)."""
    shaped = results.get("shaped", {})
    control = results.get("control", {})
    rows = [
        _row(
            "500 kbit/s downlink → smallest layer",
            results.get("seconds_to_smallest_layer"),
            TARGET_TO_LOWEST_S,
            "s",
        ),
        _row(
            "500 kbit/s downlink: audio loss during the shaped minute",
            shaped.get("audio_loss_percent"),
            TARGET_AUDIO_LOSS_PERCENT,
            "%",
        ),
        _row(
            "link good again → largest layer",
            results.get("seconds_back_to_largest_layer"),
            TARGET_BACK_S,
            "s",
            results.get("seconds_watched_for_the_way_back"),
        ),
        (
            "link good again → first larger layer",
            _text(results.get("seconds_to_first_step_up"), " s"),
            "",
            "measured",
        ),
        _frame_rate_row(shaped.get("video_frames_per_second")),
        (
            "500 kbit/s downlink: video freezes during the shaped minute",
            _text(shaped.get("video_freezes"), ""),
            "",
            "measured",
        ),
    ]
    share = control.get("share_of_time_on_largest_layer")
    rows.append(
        (
            "unshaped subscriber meanwhile: time on the largest layer",
            "no figure" if share is None else f"{share:.0%}",
            "100 %",
            "no figure" if share is None else ("met" if share >= 0.99 else "short"),
        )
    )
    return rows


def _row(
    measure: str, value: float | None, target: float, unit: str, watched: object = None
) -> tuple[str, str, str, str]:
    if value is None:
        text = "not reached" if watched is None else f"not within {watched} {unit}"
        return (measure, text, f"≤ {target:g} {unit}", "short")
    verdict = "met" if value <= target else f"short by {value - target:.3g} {unit}"
    return (measure, f"{value:g} {unit}", f"≤ {target:g} {unit}", verdict)


def _frame_rate_row(value: float | None) -> tuple[str, str, str, str]:
    """Frames the shaped subscriber decoded per second: the smallest layer has
    ``SMALLEST_FPS``; a paused (or frozen) picture shows as fewer."""
    target = TARGET_FRAME_SHARE * SMALLEST_FPS
    measure = "500 kbit/s downlink: video frames decoded per second during the shaped minute"
    if value is None:
        return (measure, "no figure", f"≥ {target:g}", "no figure")
    return (measure, f"{value:g}", f"≥ {target:g}", "met" if value >= target else "short")


def _text(value: object, unit: str) -> str:
    return "no figure" if value is None else f"{value}{unit}"


async def main() -> None:
    require_netns()
    server = start_server("downlink", workers=1)
    try:
        result = await measure(server)
    finally:
        server.stop()
    save("downlink", result)


if __name__ == "__main__":
    asyncio.run(main())
