"""What an outsider's floods cost the server, and what its honest users notice of them.

Each part starts its own server (1 SFU worker) on loopback and sends a bounded flood:

- ``stun``: Binding requests for ufrags no transport holds. The worker's CPU per such packet,
  in process (the old path: parse the message, then look the ufrag up; the new path: the
  receive callback, which peeks at USERNAME first), and against the running server: the
  worker's CPU per flood packet and an honest bot call's audio packets per second before and
  during the flood.
- ``ping``: three sockets send 64 MB of WebSocket PINGs each and never read: growth of the
  web process's resident memory, a joined bystander's ping round trip p50/p95/max during it.
- ``heads``: 300 requests whose head never ends: how long until the server closed them all,
  and a normal request's answer time meanwhile.
- ``rooms``: one address creates rooms as fast as it may for 20 s: rooms it got, how the rest
  were refused; then another address creates one and joins it, and a bare name opens.
- ``offers``: twelve sockets of one address send 230 KB subscribe offers back to back for
  12 s; an honest bot joins a call meanwhile: its join to first received packet, against the
  same join without the flood, and what the flooding address got answered and refused.

Usage: ``scripts/netns-run .venv/bin/python bench/outsider.py [stun] [ping] [heads] [rooms]
[offers]``; results in ``bench/results/outsider.json``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from aioice import stun
from harness import WORK, median, percentile, require_netns, save, start_server
from websockets.asyncio.client import connect

from klingel.sfu.counters import WorkerCounters
from klingel.sfu.stun import parse_binding_request
from klingel.sfu.udp import UdpMux
from klingel_bots.client import ProtocolClient
from klingel_bots.media_file import make_test_media
from klingel_bots.server_process import ServerProcess

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "sdp"


def binding_request(ufrag: str) -> bytes:
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    request.attributes["USERNAME"] = f"{ufrag}:browser"
    request.attributes["PRIORITY"] = 1853824767
    request.attributes["ICE-CONTROLLING"] = 42
    request.attributes["USE-CANDIDATE"] = None
    request.add_message_integrity(b"0123456789abcdef0123456789abcdef")
    return bytes(request)


def worker_pids(server: ServerProcess) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == server.pid:
                children.append(int(entry))
    return children


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def worker_udp_port(server: ServerProcess) -> int:
    return server.udp_ports[0]


# --- stun -------------------------------------------------------------------------------------


def stun_in_process(count: int = 200_000) -> dict[str, float]:
    mux = UdpMux(bind_ip="127.0.0.1", announce_ip="127.0.0.1", port=0, counters=WorkerCounters())
    known: dict[str, object] = {}
    datagrams = [binding_request(f"unknown{n % 1000:04d}") for n in range(1000)]
    source = ("127.0.0.9", 50000)
    started = time.process_time()
    for n in range(count):
        request = parse_binding_request(datagrams[n % 1000])
        if request is not None:
            known.get(request.local_ufrag)
    old = (time.process_time() - started) / count
    started = time.process_time()
    for n in range(count):
        mux.datagram_received(datagrams[n % 1000], source)
    new = (time.process_time() - started) / count
    return {
        "parse_then_lookup_us": round(old * 1e6, 2),
        "peek_first_us": round(new * 1e6, 3),
        "ratio_new_to_old": round(new / old, 3),
    }


async def stun_against_server(media: Path) -> dict[str, Any]:
    server = start_server("outsider-stun", workers=1)
    try:
        anna = ProtocolClient(server.base_url, "stun-call", "Anna")
        ben = ProtocolClient(server.base_url, "stun-call", "Ben")
        await anna.join()
        await anna.publish_file(media)
        await ben.join()
        while len(ben.others_streams()) < 2:
            await asyncio.sleep(0.1)
        streams = list(ben.others_streams())
        audio = next(s for s, info in ben.others_streams().items() if info.kind == "audio")
        await ben.wait_receiving(streams)

        async def audio_rate(seconds: float) -> float:
            before = (await ben.received())[audio].packets
            await asyncio.sleep(seconds)
            return ((await ben.received())[audio].packets - before) / seconds

        quiet = await audio_rate(5.0)
        pids = worker_pids(server)
        datagram = binding_request("nobodyhasthis")
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        target = (server.announce_ip, worker_udp_port(server))
        cpu_before = cpu_seconds(pids)
        sent = 0
        stop = time.monotonic() + 5.0
        rate_task = asyncio.create_task(audio_rate(5.0))
        while time.monotonic() < stop and sent < 2_000_000:
            for _ in range(2000):
                try:
                    sender.sendto(datagram, target)
                    sent += 1
                except (BlockingIOError, ConnectionRefusedError):
                    pass
            await asyncio.sleep(0)
        flooded = await rate_task
        cpu = cpu_seconds(pids) - cpu_before
        sender.close()
        await anna.close()
        await ben.close()
        return {
            "flood_packets": sent,
            "flood_packets_per_second": round(sent / 5.0),
            "worker_cpu_seconds_during_flood": round(cpu, 2),
            "worker_us_per_flood_packet_upper_bound": round(cpu / sent * 1e6, 2),
            "honest_audio_packets_per_second_quiet": round(quiet, 1),
            "honest_audio_packets_per_second_flooded": round(flooded, 1),
        }
    finally:
        server.stop()


# --- ping -------------------------------------------------------------------------------------


def raw_websocket(server: ServerProcess) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    conn.recv(4096)
    return conn


def ping_flood(conn: socket.socket, total: int) -> int:
    mask = b"\x01\x02\x03\x04"
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"p" * 125))
    frame = struct.pack("!BB", 0x89, 0x80 | 125) + mask + payload
    batch, sent = frame * 512, 0
    conn.settimeout(2.0)
    try:
        while sent < total:
            conn.sendall(batch)
            sent += len(batch)
    except OSError:
        pass
    return sent


async def ping() -> dict[str, Any]:
    server = start_server("outsider-ping", workers=1)
    try:
        url = server.base_url.replace("http", "ws") + "/ws"
        async with connect(url) as anna:
            await anna.send('{"type": "join", "v": 1, "room": "rathaus", "name": "Anna"}')
            await anna.recv()
            before = rss_kib(server.pid)
            floods = [raw_websocket(server) for _ in range(3)]
            loop = asyncio.get_running_loop()
            tasks = [loop.run_in_executor(None, ping_flood, c, 64 << 20) for c in floods]
            trips, peak = [], before
            while not all(t.done() for t in tasks):
                started = time.monotonic()
                await anna.send('{"type": "ping"}')
                while '"pong"' not in str(await anna.recv()):
                    pass
                trips.append((time.monotonic() - started) * 1000)
                peak = max(peak, rss_kib(server.pid))
                await asyncio.sleep(0.02)
            sent = [await t for t in tasks]
            for conn in floods:
                conn.close()
        return {
            "ping_bytes_sent_per_socket": sent,
            "web_rss_growth_mib": round((peak - before) / 1024, 1),
            "bystander_rtt_ms_p50": round(median(trips), 2) if trips else None,
            "bystander_rtt_ms_p95": round(percentile(trips, 0.95), 2) if trips else None,
            "bystander_rtt_ms_max": round(max(trips), 2) if trips else None,
        }
    finally:
        server.stop()


# --- heads ------------------------------------------------------------------------------------


def heads() -> dict[str, Any]:
    server = start_server("outsider-heads", workers=1)
    try:
        started = time.monotonic()
        half = []
        for n in range(300):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + str(n).encode())
            half.append(conn)
        asked = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            conn.recv(4096)
        normal_ms = (time.monotonic() - asked) * 1000
        last = 0.0
        for conn in half:
            conn.recv(4096)
            last = time.monotonic() - started
            conn.close()
        return {
            "half_sent_requests": len(half),
            "all_closed_after_s": round(last, 1),
            "normal_request_meanwhile_ms": round(normal_ms, 1),
        }
    finally:
        server.stop()


# --- rooms ------------------------------------------------------------------------------------


async def rooms() -> dict[str, Any]:
    server = start_server("outsider-rooms", workers=1)
    try:
        codes: Counter[str] = Counter()
        flooder = httpx.AsyncHTTPTransport(local_address="127.0.0.5")
        async with httpx.AsyncClient(base_url=server.base_url, transport=flooder) as http:
            stop = time.monotonic() + 20.0
            while time.monotonic() < stop:
                answer = await http.post("/api/rooms", json={})
                codes[answer.json().get("error", "created")] += 1
        other = httpx.AsyncHTTPTransport(local_address="127.0.0.6")
        async with httpx.AsyncClient(base_url=server.base_url, transport=other) as http:
            created = await http.post("/api/rooms", json={})
        url = server.base_url.replace("http", "ws") + "/ws"
        joined = []
        for room in (created.json().get("room", "none"), "chor"):
            async with connect(url) as ws:
                await ws.send(json.dumps({"type": "join", "v": 1, "room": room, "name": "Anna"}))
                joined.append(json.loads(await ws.recv())["type"])
        return {
            "one_address_for_20_s": dict(codes),
            "other_address_create_status": created.status_code,
            "other_address_join_created_and_named": joined,
        }
    finally:
        server.stop()


# --- offers -----------------------------------------------------------------------------------


async def offers(media: Path) -> dict[str, Any]:
    offer_text = (FIXTURES / "chromium_subscribe_4.sdp").read_text(encoding="utf-8")
    line = "a=x-klingel-pad:" + "p" * 4000 + "\n"
    offer = offer_text + line * ((230_000 - len(offer_text)) // len(line))
    server = start_server("outsider-offers", workers=1)
    try:
        url = server.base_url.replace("http", "ws") + "/ws"
        anna = ProtocolClient(server.base_url, "offers-call", "Anna")
        await anna.join()
        await anna.publish_file(media)

        async def honest_join(name: str) -> float:
            bot = ProtocolClient(server.base_url, "offers-call", name)
            started = time.monotonic()
            await bot.join()
            while len(bot.others_streams()) < 2:
                await asyncio.sleep(0.005)
            await bot.wait_receiving(list(bot.others_streams()))
            took = (time.monotonic() - started) * 1000
            await bot.close()
            return took

        quiet = [await honest_join(f"Ruhig {n}") for n in range(5)]
        codes: Counter[str] = Counter()
        stop = time.monotonic() + 12.0

        async def flood(index: int) -> None:
            async with connect(url, local_addr=("127.0.0.7", 0), max_size=None) as ws:
                await ws.send(
                    json.dumps(
                        {"type": "join", "v": 1, "room": f"flut-{index % 3}", "name": "Flut"}
                    )
                )
                await ws.recv()
                try:
                    while time.monotonic() < stop:
                        await ws.send(
                            json.dumps({"type": "subscribe", "sdp": offer, "streams": []})
                        )
                        while True:
                            message = json.loads(await ws.recv())
                            if message["type"] in ("subscribe_answer", "error"):
                                codes[message.get("code", message["type"])] += 1
                                break
                except Exception:
                    codes["closed"] += 1

        flooding = [asyncio.create_task(flood(n)) for n in range(12)]
        await asyncio.sleep(2.0)
        loaded = [await honest_join(f"Flut-Zeit {n}") for n in range(5)]
        await asyncio.gather(*flooding)
        await anna.close()
        return {
            "honest_join_to_first_packet_ms_quiet_median": round(median(quiet), 1),
            "honest_join_to_first_packet_ms_flooded_median": round(median(loaded), 1),
            "ratio_flooded_to_quiet": round(median(loaded) / median(quiet), 2),
            "flooding_address_answers": dict(codes),
            "offer_bytes": len(offer),
        }
    finally:
        server.stop()


async def main(parts: list[str]) -> None:
    require_netns()
    media = make_test_media(WORK / "outsider.webm")
    result: dict[str, Any] = {}
    if "stun" in parts:
        result["stun_in_process"] = stun_in_process()
        result["stun_against_server"] = await stun_against_server(media)
    if "ping" in parts:
        result["ping"] = await ping()
    if "heads" in parts:
        result["heads"] = await asyncio.to_thread(heads)
    if "rooms" in parts:
        result["rooms"] = await rooms()
    if "offers" in parts:
        result["offers"] = await offers(media)
    save("outsider", result)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["stun", "ping", "heads", "rooms", "offers"]))
