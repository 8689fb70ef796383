"""Two Chromium pages call each other through the coturn relay, and only through it.

Everything runs in a network namespace of its own: this module re-runs itself as a script
under ``unshare --net`` (loopback up, the SFU's media address 203.0.113.10 on ``lo``, so
nothing leaves the namespace). There it starts coturn with exactly what ``klingel turn-config``
writes (plus where to put its log and pid file), ``klingel serve`` announcing 203.0.113.10 with
the same secret, and Chromium. Both pages force ``iceTransportPolicy: "relay"`` with an init
script that wraps ``RTCPeerConnection`` (the client itself has no switch for it): they gather
relay candidates only, so media reaches the SFU through coturn or not at all. The script
prints what it observed as JSON; the tests below only read it.

The room has its lobby on, and a host (a plain WebSocket client without media) lets the two
pages in, so every page also spends a while as a waiting socket first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, async_playwright
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from klingel.turn.credentials import TurnSecret, password_for
from klingel_bots.browser import PageOpener, launch_chromium, wait_media_flowing, wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.own_namespace import probe_in_own_namespace, require_turnserver
from klingel_bots.room_page import DISPLAY_NAME_FIELD, JOIN_BUTTON, wait_state
from klingel_bots.server_process import ServerProcess

MEDIA_ADDRESS = "203.0.113.10"
"""The SFU's announced address inside the namespace (on ``lo``): not loopback, so that
``klingel turn-config`` accepts it and coturn relays to it."""
TURN_HOST = "127.0.0.1"
TURN_PORT = 3478
RELAY_PORTS = (49152, 49999)
SECRET = "e2e0" * 16
PROBE_TIMEOUT_SECONDS = 240.0

_RELAY_ONLY = """
(() => {
  const Base = window.RTCPeerConnection;
  const relayOnly = (config) => ({ ...(config || {}), iceTransportPolicy: "relay" });
  class RelayOnlyPeerConnection extends Base {
    constructor(config, ...rest) {
      super(relayOnly(config), ...rest);
    }
    setConfiguration(config) {
      return super.setConfiguration(relayOnly(config));
    }
  }
  window.RTCPeerConnection = RelayOnlyPeerConnection;
})();
"""

_READ_PATHS = """
async () => {
  const found = [];
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.connectionState === "closed") continue;
    const report = await pc.getStats();
    const pairs = [];
    report.forEach((s) => {
      if (s.type !== "transport" || !s.selectedCandidatePairId) return;
      const pair = report.get(s.selectedCandidatePairId);
      const local = pair && report.get(pair.localCandidateId);
      const remote = pair && report.get(pair.remoteCandidateId);
      pairs.push({
        local: local ? local.candidateType : null,
        localAddress: local ? local.address : null,
        localPort: local ? local.port : null,
        relayProtocol: local ? local.relayProtocol || null : null,
        url: local ? local.url || null : null,
        remoteAddress: remote ? remote.address : null,
      });
    });
    const locals = [];
    report.forEach((s) => { if (s.type === "local-candidate") locals.push(s.candidateType); });
    const config = pc.getConfiguration();
    found.push({
      state: pc.connectionState,
      policy: config.iceTransportPolicy,
      iceServers: config.iceServers,
      selected: pairs,
      localCandidateTypes: locals,
    });
  }
  return found;
}
"""


PEOPLE = ("Anna", "Ben")


def _joined(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [frame for frame in frames if frame["type"] == "joined"]


# -- the probe (runs inside the namespace) ----------------------------------------------------


def _setup_namespace() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{MEDIA_ADDRESS}/32", "dev", "lo"], check=True)


def _write_turn_config(workdir: Path, secret_file: Path) -> Path:
    output = workdir / "turnserver.conf"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "klingel",
            "turn-config",
            "--turn-host",
            TURN_HOST,
            "--turn-secret-file",
            str(secret_file),
            "--announce-ip",
            MEDIA_ADDRESS,
            "--turn-listen-ip",
            TURN_HOST,
            "--turn-port",
            str(TURN_PORT),
            "--turn-relay-ports",
            f"{RELAY_PORTS[0]}-{RELAY_PORTS[1]}",
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("KLINGEL_")},
    )
    return output


def _for_the_namespace(config: Path, workdir: Path) -> Path:
    """The generated file with its log and pid file moved into ``workdir``: there is no
    journal in the namespace (and the host's must not fill up with test runs). Every other
    line stays as ``klingel turn-config`` wrote it."""
    text = config.read_text()
    assert "\nlog-file=syslog\n" in text
    text = text.replace("\nlog-file=syslog\n", f"\nlog-file={workdir / 'turnserver.log'}\n")
    text += f"pidfile={workdir / 'turnserver.pid'}\n"
    adapted = workdir / "turnserver-namespace.conf"
    adapted.write_text(text)
    return adapted


@contextlib.contextmanager
def running_turnserver(config: Path, workdir: Path) -> Iterator[Path]:
    log = workdir / "turnserver.log"
    output = workdir / "turnserver.out"
    command = ["turnserver", "-c", str(_for_the_namespace(config, workdir))]
    # Verbose: coturn logs each allocation, the proof that it relayed.
    command += ["--db", str(workdir / "turndb"), "--verbose"]
    with output.open("wb") as output_file:
        process = subprocess.Popen(command, stdout=output_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"turnserver exited:\n{output.read_text(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection((TURN_HOST, TURN_PORT), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("turnserver did not start listening")
            time.sleep(0.1)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _create_room(base_url: str, name: str) -> dict[str, str]:
    request = urllib.request.Request(
        base_url + "/api/rooms",
        data=json.dumps({"name": name}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        created: dict[str, str] = json.loads(response.read())
    return created


@dataclass  # not slotted: Playwright marks the handler's owner with an attribute of its own
class SignalingTap:
    """Routes a page's signaling sockets through Playwright: keeps every message the page
    receives, from its first socket on, and cuts the socket as a failing network would."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)

    def route(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if isinstance(message, str):
                self.frames.append(json.loads(message))
            page_side.send(message)

        server_side.on_message(to_page)
        self.sockets.append((page_side, server_side))

    async def cut(self) -> None:
        page_side, server_side = self.sockets[-1]
        await server_side.close(code=1001, reason="network lost")
        await page_side.close(code=1001, reason="network lost")


async def _resume(page: Page, tap: SignalingTap) -> dict[str, Any]:
    """Cuts the page's socket: it resumes, gets fresh credentials, and hands them to both
    running connections, whose media keeps flowing through the relay."""
    await tap.cut()
    resumed = await wait_until(
        lambda: len(_joined(tap.frames)) >= 2 and _joined(tap.frames)[-1],
        timeout=30,
        message="the page resumed",
    )
    await wait_state(page, "joined")
    flowing = await wait_media_flowing(page, video=1, audio=1, timeout=60)
    paths = await wait_until(
        partial(_both_connected, page), timeout=30, message="the connections are up"
    )
    return {"joined": resumed, "flowing": list(flowing), "paths": paths}


async def _bot_through_the_relay(
    base_url: str, room: str, host: ClientConnection, host_frames: list[dict[str, Any]]
) -> dict[str, Any]:
    """``ProtocolClient`` with ``force_relay``: aiortc gathers relay candidates only, from the
    servers of its ``joined``, and receives both pages' cameras through coturn."""
    bot = ProtocolClient(base_url, room, "Relais", force_relay=True)
    try:
        await bot.join()
        entry = await wait_until(
            lambda: len(_waiting(host_frames)) == 1 and _waiting(host_frames)[0],
            timeout=30,
            message="the bot waits in the lobby",
        )
        await host.send(json.dumps({"type": "admit", "id": entry["id"]}))
        await bot.wait_admitted()
        cameras = [sid for sid, s in bot.others_streams().items() if s.source == "camera"]
        counts = await bot.wait_receiving(cameras, timeout=90)
        return {
            "ice_servers": [server.to_dict() for server in bot.ice_servers],
            "cameras": len(cameras),
            "frames": [counts[sid].frames for sid in cameras],
            "state": bot.subscribe_state,
        }
    finally:
        await bot.close()


def _waiting(host_frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who waits in the lobby, as the host heard it last."""
    lobbies = [frame["waiting"] for frame in host_frames if frame["type"] == "lobby"]
    return lobbies[-1] if lobbies else []


async def _relay_paths(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate(_READ_PATHS)
    return found


async def _both_connected(page: Page) -> list[dict[str, Any]] | None:
    paths = await _relay_paths(page)
    connected = [p for p in paths if p["state"] == "connected" and p["selected"]]
    return paths if len(paths) >= 2 and len(connected) == len(paths) else None


async def _call(base_url: str) -> dict[str, Any]:
    created = _create_room(base_url, "Turm Relay")
    room, host_secret = created["room"], created["hostSecret"]
    results: dict[str, Any] = {}
    url = base_url.replace("http", "ws") + "/ws"
    async with (
        connect(url, origin=Origin(base_url)) as host,
        async_playwright() as playwright,
    ):
        host_frames: list[dict[str, Any]] = []

        async def host_reads() -> None:
            async for frame in host:
                host_frames.append(json.loads(frame))

        join = {"type": "join", "v": 1, "room": room, "name": "Hanna", "hostSecret": host_secret}
        await host.send(json.dumps(join))
        reader = asyncio.create_task(host_reads())
        browser = await launch_chromium(playwright)
        opener = PageOpener(browser)
        try:
            people: dict[str, tuple[Page, SignalingTap]] = {}
            for name in PEOPLE:
                probed = await opener()
                await probed.context.add_init_script(_RELAY_ONLY)
                tap = SignalingTap()
                await probed.page.route_web_socket(re.compile(r"/ws$"), tap.route)
                await probed.page.goto(f"{base_url}/r/{room}")
                await wait_state(probed.page, "prejoin")
                await probed.page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill(name)
                await probed.page.get_by_role("button", name=JOIN_BUTTON).click()
                await wait_state(probed.page, "waiting")
                people[name] = (probed.page, tap)
            # Both wait: everything their sockets have heard so far is lobby talk.
            results["while_waiting"] = {name: list(tap.frames) for name, (_, tap) in people.items()}
            lobby = await wait_until(
                lambda: len(_waiting(host_frames)) == 2 and _waiting(host_frames),
                timeout=30,
                message="both wait in the lobby",
            )
            for entry in lobby:
                await host.send(json.dumps({"type": "admit", "id": entry["id"]}))
            for page, _ in people.values():
                await wait_state(page, "joined")
            for name, (page, tap) in people.items():
                flowing = await wait_media_flowing(page, video=1, audio=1, timeout=60)
                paths = await wait_until(
                    partial(_both_connected, page),
                    timeout=30,
                    message=f"{name}'s connections are up",
                )
                results[name] = {
                    "flowing": list(flowing),
                    "paths": paths,
                    "frames": list(tap.frames),
                }
            results["resume"] = await _resume(*people["Anna"])
            results["bot"] = await _bot_through_the_relay(base_url, room, host, host_frames)
            results["host_frames"] = list(host_frames)
        finally:
            await opener.close_all()
            await browser.close()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    return results


def relayed_packets(log: str) -> dict[str, dict[str, int]]:
    """Packets coturn relayed from and to the peer (the SFU), per username, as it logs them
    when an allocation ends."""
    relayed: dict[str, dict[str, int]] = {}
    for match in re.finditer(
        r"peer usage: realm=<[^>]*>, username=<([^>]*)>, rp=(\d+), .*sp=(\d+)", log
    ):
        counts = relayed.setdefault(match[1], {"from_peer": 0, "to_peer": 0})
        counts["from_peer"] += int(match[2])
        counts["to_peer"] += int(match[3])
    return relayed


def _usernames(results: dict[str, Any]) -> list[str]:
    pages = [
        server["username"]
        for name in PEOPLE
        for joined in _joined(results[name]["frames"])
        for server in joined["iceServers"]
    ]
    return pages + [server["username"] for server in results["bot"]["ice_servers"]]


def _wait_relay_usage(log: Path, usernames: list[str]) -> dict[str, dict[str, int]]:
    """coturn logs what an allocation relayed when it ends, a moment after the pages closed."""
    deadline = time.monotonic() + 20
    while True:
        relayed = relayed_packets(log.read_text(errors="replace"))
        done = all(relayed.get(name, {}).get("from_peer", 0) > 0 for name in usernames)
        if done or time.monotonic() > deadline:
            return relayed
        time.sleep(0.2)


def probe_main() -> None:
    _setup_namespace()
    with tempfile.TemporaryDirectory(prefix="klingel-turn-call-") as directory:
        workdir = Path(directory)
        secret_file = workdir / "turn-secret"
        secret_file.write_text(SECRET + "\n")
        secret_file.chmod(0o600)
        config = _write_turn_config(workdir, secret_file)
        server = ServerProcess(
            log_path=workdir / "klingel.log",
            workers=1,
            metrics=False,
            announce_ip=MEDIA_ADDRESS,
            extra_args=(
                "--turn-host",
                TURN_HOST,
                "--turn-secret-file",
                str(secret_file),
                "--turn-port",
                str(TURN_PORT),
            ),
        )
        with running_turnserver(config, workdir) as turn_log, server:
            results = asyncio.run(_call(server.base_url))
            server.stop()
            results["server_log"] = server.log_path.read_text(errors="replace")
            results["relayed"] = _wait_relay_usage(turn_log, _usernames(results))
    print(json.dumps(results))


# -- the tests (outside the namespace) ----------------------------------------------------------


@pytest.fixture(scope="module")
def observed() -> dict[str, Any]:
    require_turnserver()
    return probe_in_own_namespace(__file__, what="the relay call", timeout=PROBE_TIMEOUT_SECONDS)


@pytest.mark.parametrize("name", PEOPLE)
def test_both_decode_each_other_through_the_relay(observed: dict[str, Any], name: str) -> None:
    video, audio = observed[name]["flowing"]
    assert video >= 1 and audio >= 1
    paths = observed[name]["paths"]
    assert len(paths) == 2  # publish and subscribe
    for path in paths:
        assert path["policy"] == "relay"
        (pair,) = path["selected"]
        assert pair["local"] == "relay"
        assert pair["url"].startswith(f"turn:{TURN_HOST}:{TURN_PORT}?transport=")
        assert pair["localAddress"] == TURN_HOST
        assert RELAY_PORTS[0] <= pair["localPort"] <= RELAY_PORTS[1]
        assert pair["remoteAddress"] == MEDIA_ADDRESS
        assert set(path["localCandidateTypes"]) == {"relay"}


@pytest.mark.parametrize("name", PEOPLE)
def test_coturn_relayed_both_ways_with_the_participants_credentials(
    observed: dict[str, Any], name: str
) -> None:
    (joined,) = _joined(observed[name]["frames"])
    relayed = observed["relayed"][joined["iceServers"][0]["username"]]
    assert relayed["from_peer"] > 0 and relayed["to_peer"] > 0


@pytest.mark.parametrize("name", PEOPLE)
def test_connections_use_exactly_the_servers_from_joined(
    observed: dict[str, Any], name: str
) -> None:
    (joined,) = _joined(observed[name]["frames"])
    servers = joined["iceServers"]
    assert len(servers) == 1
    assert servers[0]["urls"] == [
        f"turn:{TURN_HOST}:{TURN_PORT}?transport=udp",
        f"turn:{TURN_HOST}:{TURN_PORT}?transport=tcp",
    ]
    for path in observed[name]["paths"]:
        assert path["iceServers"] == servers


@pytest.mark.parametrize("name", PEOPLE)
def test_credentials_are_the_participants_own_and_valid(
    observed: dict[str, Any], name: str
) -> None:
    (joined,) = _joined(observed[name]["frames"])
    (server,) = joined["iceServers"]
    expiry, _, opaque = server["username"].partition(":")
    assert int(expiry) > time.time()
    assert opaque and joined["you"]["id"] not in server["username"]
    assert server["credential"] == password_for(TurnSecret(SECRET), server["username"])
    others = [p for p in PEOPLE if p != name]
    for other in others:
        (their,) = _joined(observed[other]["frames"])
        assert their["iceServers"][0]["username"] != server["username"]


@pytest.mark.parametrize("name", PEOPLE)
def test_a_waiting_socket_hears_no_ice_servers(observed: dict[str, Any], name: str) -> None:
    waiting = observed["while_waiting"][name]
    assert [frame["type"] for frame in waiting][:1] == ["waiting"]
    assert all("iceServers" not in json.dumps(frame) for frame in waiting)


def test_nobody_hears_anyone_elses_credentials(observed: dict[str, Any]) -> None:
    streams = {
        "Hanna": observed["host_frames"],
        **{name: observed[name]["frames"] for name in PEOPLE},
    }
    own = {
        name: [s["credential"] for j in _joined(frames) for s in j["iceServers"]]
        for name, frames in streams.items()
    }
    assert all(len(credentials) == 1 for credentials in own.values())
    for name, frames in streams.items():
        for frame in frames:
            text = json.dumps(frame)
            if frame["type"] != "joined":
                assert "iceServers" not in text
            for other, credentials in own.items():
                if other != name:
                    assert all(credential not in text for credential in credentials)


def test_a_resume_brings_fresh_credentials_to_both_running_connections(
    observed: dict[str, Any],
) -> None:
    resume = observed["resume"]
    resumed = resume["joined"]
    (before,) = _joined(observed["Anna"]["frames"])
    assert resumed["resumed"] is True and resumed["you"]["id"] == before["you"]["id"]
    (server,) = resumed["iceServers"]
    assert server["username"] != before["iceServers"][0]["username"]
    assert server["credential"] == password_for(TurnSecret(SECRET), server["username"])
    video, audio = resume["flowing"]
    assert video >= 1 and audio >= 1
    assert len(resume["paths"]) == 2
    for path in resume["paths"]:
        assert path["iceServers"] == resumed["iceServers"]
        assert path["policy"] == "relay"
        assert [pair["local"] for pair in path["selected"]] == ["relay"]


def test_the_protocol_client_receives_through_the_relay_alone(observed: dict[str, Any]) -> None:
    bot = observed["bot"]
    assert bot["cameras"] == 2
    assert all(frames > 0 for frames in bot["frames"])
    assert bot["state"] == "connected"
    (server,) = bot["ice_servers"]
    assert server["credential"] == password_for(TurnSecret(SECRET), server["username"])
    relayed = observed["relayed"][server["username"]]
    assert relayed["from_peer"] > 0 and relayed["to_peer"] > 0


def test_the_server_logs_no_credentials(observed: dict[str, Any]) -> None:
    log = observed["server_log"]
    assert "Klingel ready" in log
    assert SECRET not in log
    for name in PEOPLE:
        (joined,) = _joined(observed[name]["frames"])
        assert joined["iceServers"][0]["credential"] not in log
        assert joined["iceServers"][0]["username"] not in log


if __name__ == "__main__":
    probe_main()
