"""Real participants in headless Chromium, driven by Playwright's async API.

Chromium runs with a fake camera (a moving pattern) and a fake microphone (a beep), and may use
loopback addresses for WebRTC. Every page gets an init script that keeps a reference to each
``RTCPeerConnection`` it makes, so that ``getStats()`` can be read from outside: a call works
when the decoded-frame and received-packet counters of the remote streams grow.

Every Content-Security-Policy violation a page reports, and every complaint of the browser
about our Permissions-Policy, is kept on its ``ProbedPage`` and logged as a warning on the
``POLICY_LOGGER`` logger, across navigations and after the page closed: the test suite fails
any test during which one was logged.

Playwright is a test dependency (``pip install -e '.[test]'``); Debian's ``/usr/bin/chromium``
is the browser.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Frame,
    Page,
    Playwright,
    Request,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "POLICY_LOGGER",
    "InboundCount",
    "PageOpener",
    "ProbedPage",
    "RtpStat",
    "audio_packets",
    "csp_violations",
    "flowing_streams",
    "inbound_counts",
    "launch_chromium",
    "new_probed_page",
    "rtp_stats",
    "sent_video_heights",
    "wait_media_flowing",
    "wait_until",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    # getDisplayMedia then shares the (headless) screen without a picker.
    "--auto-select-desktop-capture-source=Entire screen",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)

_TRACK_PEER_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native || window.__klingelPeerConnections) return;
  const connections = [];
  Object.defineProperty(window, "__klingelPeerConnections", { value: connections });
  class TrackedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      connections.push(this);
    }
  }
  window.RTCPeerConnection = TrackedPeerConnection;
})();
"""

POLICY_LOGGER = "klingel_bots.browser.policy"
"""Where pages' policy violations are logged (WARNING), for the test suite to watch."""
_policy_log = logging.getLogger(POLICY_LOGGER)

_REPORT_CSP_VIOLATION = "__klingelReportCspViolation"
_RECORD_CSP_VIOLATIONS = """
(() => {
  const violations = [];
  Object.defineProperty(window, "__klingelCspViolations", { value: violations });
  document.addEventListener("securitypolicyviolation", (event) => {
    const violation = `${event.effectiveDirective} ${event.blockedURI}`;
    violations.push(violation);
    const report = window.__klingelReportCspViolation;
    if (typeof report === "function") report(violation);
  });
})();
"""
# What Chromium prints when it blocks something under our CSP or rejects part of our
# Permissions-Policy header.
_POLICY_CONSOLE_MARKERS = ("Permissions-Policy", "Content Security Policy")

# What a person who clicks "block" on the permission prompt gets.
_DENY_CAMERA_AND_MICROPHONE = """
(() => {
  const refuse = () =>
    Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  if (navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = refuse;
  }
})();
"""

_READ_RTP_STATS = """
async ({ type, kind, fields, skipFailing }) => {
  const found = [];
  const connections = window.__klingelPeerConnections || [];
  for (let index = 0; index < connections.length; index++) {
    const pc = connections[index];
    if (pc.connectionState === "closed") continue;
    let report;
    try { report = await pc.getStats(); } catch (e) { if (skipFailing) continue; throw e; }
    report.forEach((s) => {
      if (s.type !== type || (kind && s.kind !== kind)) return;
      found.push({
        stream: `${index}:${s.kind}:${s.ssrc}`,
        kind: s.kind,
        values: fields.map((name) => s[name] || 0),
      });
    });
  }
  return found;
}
"""


@dataclass(frozen=True, slots=True)
class RtpStat:
    """Fields of one RTP stream's ``getStats()`` report, in the order asked; 0 where the report
    lacks one."""

    stream: str
    """``connection:kind:ssrc``: the same stream has the same key in every reading."""
    kind: Literal["audio", "video"]
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class InboundCount:
    """One received RTP stream of a page, as ``getStats()`` reports it."""

    kind: Literal["audio", "video"]
    frames_decoded: int
    packets_received: int
    frame_width: int


@dataclass(slots=True)
class ProbedPage:
    """A page plus what it did: console messages and every request it made."""

    page: Page
    context: BrowserContext
    console: list[ConsoleMessage] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    """``effective-directive blocked-uri`` of every CSP violation, in every document shown."""

    async def close(self) -> None:
        await self.context.close()


async def launch_chromium(playwright: Playwright, *extra_args: str) -> Browser:
    return await playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
    )


async def new_probed_page(
    browser: Browser,
    *,
    media_allowed: bool = True,
    locale: str = "de-DE",
    width: int = 1280,
    height: int = 800,
    bypass_csp: bool = False,
) -> ProbedPage:
    """A page in a context of its own (a person of its own) with camera and microphone
    granted, or refused as when the person blocks the permission prompt.

    ``bypass_csp`` makes the browser ignore our Content-Security-Policy, to show that the
    page's rendering alone keeps what people type from running."""
    context = await browser.new_context(
        locale=locale,
        permissions=["camera", "microphone"] if media_allowed else [],
        viewport={"width": width, "height": height},
        bypass_csp=bypass_csp,
    )
    violations: list[str] = []
    await context.expose_binding(
        _REPORT_CSP_VIOLATION,
        lambda source, violation: _record_violation(violations, source, str(violation)),
    )
    await context.add_init_script(_TRACK_PEER_CONNECTIONS)
    await context.add_init_script(_RECORD_CSP_VIOLATIONS)
    if not media_allowed:
        await context.add_init_script(_DENY_CAMERA_AND_MICROPHONE)
    page = await context.new_page()
    probed = ProbedPage(page, context, csp_violations=violations)
    page.on("console", lambda message: _record_console(probed, message))
    page.on("request", lambda request: _record_request(probed, request))
    page.on("pageerror", lambda error: probed.page_errors.append(str(error)))
    return probed


class PageOpener:
    """Opens pages, each in a browser context of its own (like separate people), and closes
    them all at the end."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._opened: list[ProbedPage] = []

    async def __call__(
        self,
        url: str | None = None,
        *,
        media_allowed: bool = True,
        locale: str = "de-DE",
        width: int = 1280,
        height: int = 800,
        bypass_csp: bool = False,
    ) -> ProbedPage:
        probed = await new_probed_page(
            self._browser,
            media_allowed=media_allowed,
            locale=locale,
            width=width,
            height=height,
            bypass_csp=bypass_csp,
        )
        self._opened.append(probed)
        if url is not None:
            await probed.page.goto(url)
        return probed

    async def close_all(self) -> None:
        for probed in self._opened:
            await probed.close()
        self._opened.clear()


def _record_request(probed: ProbedPage, request: Request) -> None:
    probed.requests.append(request.url)


def _record_violation(violations: list[str], source: Mapping[str, Any], violation: str) -> None:
    violations.append(violation)
    frame = source.get("frame")
    where = urlsplit(frame.url).path if isinstance(frame, Frame) else "?"
    _policy_log.warning("Content-Security-Policy violation on %s: %s", where, violation)


def _record_console(probed: ProbedPage, message: ConsoleMessage) -> None:
    probed.console.append(message)
    if message.type in ("error", "warning") and any(
        marker in message.text for marker in _POLICY_CONSOLE_MARKERS
    ):
        _policy_log.warning("Policy complaint in the console: %s", message.text)


async def csp_violations(page: Page) -> list[str]:
    """Content-Security-Policy violations the page reported so far."""
    found: list[str] = await page.evaluate("() => [...(window.__klingelCspViolations || [])]")
    return found


async def rtp_stats(
    page: Page,
    report_type: Literal["inbound-rtp", "outbound-rtp"],
    fields: Sequence[str],
    *,
    kind: Literal["audio", "video"] | None = None,
    skip_failing: bool = False,
) -> list[RtpStat]:
    """``fields`` of every RTP stream report of ``report_type`` (and ``kind``, if given) of
    every open peer connection of the page. A connection whose ``getStats()`` fails fails the
    reading, or with ``skip_failing`` is passed over."""
    found: list[dict[str, Any]] = await page.evaluate(
        _READ_RTP_STATS,
        {"type": report_type, "kind": kind, "fields": list(fields), "skipFailing": skip_failing},
    )
    return [
        RtpStat(entry["stream"], entry["kind"], tuple(int(value) for value in entry["values"]))
        for entry in found
    ]


async def inbound_counts(page: Page) -> dict[str, InboundCount]:
    """Every inbound RTP stream of every open peer connection of the page, keyed stably."""
    found = await rtp_stats(
        page, "inbound-rtp", ("framesDecoded", "packetsReceived", "frameWidth"), skip_failing=True
    )
    counts: dict[str, InboundCount] = {}
    for stat in found:
        frames, packets, width = stat.values
        counts[stat.stream] = InboundCount(stat.kind, frames, packets, width)
    return counts


def flowing_streams(
    before: Mapping[str, InboundCount], after: Mapping[str, InboundCount]
) -> tuple[int, int]:
    """How many video streams decoded more frames, and how many audio streams received more
    packets, between two readings."""
    video = audio = 0
    for key, now in after.items():
        then = before.get(key)
        if now.kind == "video" and now.frames_decoded > (then.frames_decoded if then else 0):
            video += 1
        if now.kind == "audio" and now.packets_received > (then.packets_received if then else 0):
            audio += 1
    return video, audio


async def wait_media_flowing(
    page: Page,
    *,
    video: int,
    audio: int,
    timeout: float = 30.0,
    window: float = 1.5,
) -> tuple[int, int]:
    """Wait until at least ``video`` remote videos decode new frames and ``audio`` remote audio
    streams receive new packets within one ``window``; returns the counts of that window."""
    deadline = time.monotonic() + timeout
    seen = (0, 0)
    while True:
        before = await inbound_counts(page)
        await asyncio.sleep(window)
        seen = flowing_streams(before, await inbound_counts(page))
        if seen[0] >= video and seen[1] >= audio:
            return seen
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"media not flowing: {seen[0]} video / {seen[1]} audio streams grew, "
                f"wanted {video} / {audio}"
            )


async def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 15.0,
    interval: float = 0.1,
    message: str = "condition",
) -> Any:
    """Poll ``predicate`` (plain or async) until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message} not met within {timeout} s")
        await asyncio.sleep(interval)


async def audio_packets(page: Page) -> list[int]:
    """Packets received so far on each inbound audio stream of the page."""
    found = await rtp_stats(page, "inbound-rtp", ("packetsReceived",), kind="audio")
    return [stat.values[0] for stat in found]


async def sent_video_heights(page: Page) -> list[int]:
    """The frame height of each video stream (each simulcast layer) the page sends."""
    found = await rtp_stats(page, "outbound-rtp", ("frameHeight",), kind="video")
    return [stat.values[0] for stat in found]
