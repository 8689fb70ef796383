"""coturn, configured by ``klingel.turn``, relays to the SFU's media address and nothing else.

The relay runs in a network namespace of its own: this module re-runs itself as a script
under ``unshare --net`` (loopback up, IPv6 loopback working, a few target addresses on ``lo``
that never leave the namespace), starts ``turnserver`` there with the generated configuration,
probes it with a small TURN client and prints what it observed as JSON. The tests below only
read those observations.

Two configurations are probed:

- ``production``: exactly what ``klingel turn-config`` writes (every other address denied,
  no TCP relays), reached by clients over UDP and over TCP;
- ``ranges``: the named ranges alone, with RFC 6062 TCP relays switched on, so that each range
  is shown to hold by itself, over UDP relays and TCP relays (Connect).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import json
import re
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

import pytest
from aioice import stun

from klingel.bots.own_namespace import probe_in_own_namespace, require_turnserver
from klingel.turn.coturn_config import CoturnSettings, render_coturn_config
from klingel.turn.credentials import CredentialIssuer, TurnSecret, password_for
from klingel.turn.peer_ranges import DENIED_PEER_RANGES, coturn_range

# -- what is probed ---------------------------------------------------------------------------

MEDIA_ADDRESS = "203.0.113.10"
"""The SFU's announced address in the namespace (on ``lo``; README's example address)."""

DENIED_IPV4 = (
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.0.0.170",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
)
DENIED_IPV6 = (
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:203.0.113.10",
    "::127.0.0.1",
    "64:ff9b::a00:1",
    "64:ff9b:1::a00:1",
    "100::1",
    "2001::1",
    "2001:db8::1",
    "2002:a00:1::1",
    "3fff::1",
    "fd00::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
)
ORDINARY_IPV4 = "8.8.8.8"
ORDINARY_IPV6 = "2606:4700:4700::1111"
"""Public addresses in no named range: only the production configuration's catch-all denies
them. Nothing is ever sent to them: a permission alone sends no packet."""

TARGETS_ON_LOOPBACK = ("10.0.0.1/32", "169.254.169.254/32", "fd00::1/128", MEDIA_ADDRESS + "/32")
"""Real listeners wait on some denied addresses too, so a relay that let them through would
be caught delivering, not only answering."""

PORT = 3478
ECHO_PORT = 9000
SECRET = "k" * 64
REALM = "turn.klingel.test"
FORBIDDEN = 403
UNAUTHORIZED = 401
UNSUPPORTED_TRANSPORT = 442
PROBE_TIMEOUT_SECONDS = 120.0

TRANSPORT_UDP = 17
TRANSPORT_TCP = 6
METHOD_CONNECT = 0x000A
METHOD_CONNECTION_BIND = 0x000B
ATTRIBUTE_REQUESTED_ADDRESS_FAMILY = 0x0017
ATTRIBUTE_CONNECTION_ID = 0x002A
FAMILY_IPV6 = 0x02


def family_of(address: str) -> int:
    return ipaddress.ip_address(address).version


# -- a small TURN client (RFC 8656, RFC 6062, RFC 6156) on aioice's STUN messages -------------


class TurnError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code


def _teach_aioice_extensions() -> None:
    # aioice knows TURN but neither RFC 6062's CONNECTION-ID nor RFC 6156's
    # REQUESTED-ADDRESS-FAMILY. Its codec looks attributes up in two public tables, so the
    # probe process (and only it) adds them there.
    entries = (
        (ATTRIBUTE_REQUESTED_ADDRESS_FAMILY, "REQUESTED-ADDRESS-FAMILY"),
        (ATTRIBUTE_CONNECTION_ID, "CONNECTION-ID"),
    )
    for code, name in entries:
        entry = (code, name, stun.pack_unsigned, stun.unpack_unsigned)
        stun.ATTRIBUTES_BY_TYPE.setdefault(code, entry)
        stun.ATTRIBUTES_BY_NAME.setdefault(name, entry)


@dataclass(frozen=True, slots=True)
class Reply:
    method: int
    is_error: bool
    transaction_id: bytes
    attributes: dict[str, Any]

    @property
    def error(self) -> tuple[int, str] | None:
        value = self.attributes.get("ERROR-CODE")
        return None if value is None else (int(value[0]), str(value[1]))


def parse_reply(data: bytes) -> Reply:
    """aioice parses every method it knows; RFC 6062's Connect and ConnectionBind it does not,
    so those are read through a copy whose type field names Allocate (fingerprint dropped,
    as it covers the header)."""
    message_type = struct.unpack("!H", data[:2])[0]
    method = message_type & 0x3EEF
    is_error = message_type & 0x0110 == 0x0110
    if method in (METHOD_CONNECT, METHOD_CONNECTION_BIND):
        data = _without_fingerprint(data)
        data = struct.pack("!H", (message_type & 0x0110) | stun.Method.ALLOCATE) + data[2:]
    message = stun.parse_message(data)
    return Reply(method, is_error, message.transaction_id, dict(message.attributes))


def _without_fingerprint(data: bytes) -> bytes:
    # FINGERPRINT is always last and 8 bytes long (RFC 8489, 14.7).
    if len(data) >= 28 and struct.unpack("!H", data[-8:-6])[0] == 0x8028:
        data = data[:-8]
        return data[:2] + struct.pack("!H", len(data) - 20) + data[4:]
    return data


class Channel(Protocol):
    """One connection to the TURN server: datagrams or a framed TCP stream."""

    async def send(self, data: bytes) -> None: ...

    async def receive(self) -> bytes: ...

    def close(self) -> None: ...


class UdpChannel(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.queue.put_nowait(data)

    async def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data)

    async def receive(self) -> bytes:
        return await self.queue.get()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    @classmethod
    async def open(cls, server: tuple[str, int]) -> UdpChannel:
        loop = asyncio.get_running_loop()
        _, channel = await loop.create_datagram_endpoint(cls, remote_addr=server)
        return channel


class TcpChannel:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive(self) -> bytes:
        header = await self.reader.readexactly(4)
        if header[0] & 0xC0:  # ChannelData (RFC 8656, 12.4): padded to 4 bytes over TCP
            length = struct.unpack("!H", header[2:])[0]
            return header + await self.reader.readexactly(length + (-length % 4))
        length = struct.unpack("!H", header[2:])[0]
        return header + await self.reader.readexactly(16 + length)

    def close(self) -> None:
        self.writer.close()

    @classmethod
    async def open(cls, server: tuple[str, int]) -> TcpChannel:
        reader, writer = await asyncio.open_connection(*server)
        return cls(reader, writer)


async def open_channel(transport: str, server: tuple[str, int]) -> Channel:
    if transport == "udp":
        return await UdpChannel.open(server)
    return await TcpChannel.open(server)


class TurnClient:
    """Long-term credentials (RFC 8489, 9.2): the first request learns realm and nonce."""

    def __init__(self, channel: Channel, username: str, password: str, *, udp: bool) -> None:
        self.channel = channel
        self.username = username
        self.password = password
        self.udp = udp
        self.realm: str | None = None
        self.nonce: bytes | None = None
        self.pending: dict[bytes, asyncio.Future[Reply]] = {}
        self.data: asyncio.Queue[tuple[tuple[str, int], bytes]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                raw = await self.channel.receive()
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if raw[0] & 0xC0:
                continue
            reply = parse_reply(raw)
            if reply.method == stun.Method.DATA:
                self.data.put_nowait(
                    (reply.attributes["XOR-PEER-ADDRESS"], reply.attributes["DATA"])
                )
                continue
            future = self.pending.pop(reply.transaction_id, None)
            if future is not None and not future.done():
                future.set_result(reply)

    def close(self) -> None:
        self.reader.cancel()
        self.channel.close()

    @property
    def key(self) -> bytes:
        assert self.realm is not None
        return hashlib.md5(f"{self.username}:{self.realm}:{self.password}".encode()).digest()

    async def _transact(self, message: stun.Message) -> Reply:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.pending[message.transaction_id] = future
        data = bytes(message)
        async with asyncio.timeout(15):
            # Over UDP a lost datagram is sent again (RFC 8489, 6.2.1); loopback rarely loses.
            while True:
                await self.channel.send(data)
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(asyncio.shield(future), 0.5 if self.udp else 15)

    async def request(self, method: int, attributes: dict[str, Any]) -> Reply:
        """Sends an authenticated request; learns or refreshes the nonce on 401 and 438."""
        for _ in range(3):
            message = stun.Message(
                # RFC 6062's methods are plain ints: aioice only ORs them into the type field.
                message_method=method,  # type: ignore[arg-type]
                message_class=stun.Class.REQUEST,
                attributes=dict(attributes),
            )
            if self.realm is not None and self.nonce is not None:
                message.attributes["USERNAME"] = self.username
                message.attributes["REALM"] = self.realm
                message.attributes["NONCE"] = self.nonce
                message.add_message_integrity(self.key)
            else:
                message.add_fingerprint()
            reply = await self._transact(message)
            error = reply.error
            first_challenge = error is not None and error[0] == UNAUTHORIZED and self.nonce is None
            stale = error is not None and error[0] == 438
            if first_challenge or stale:
                self.realm = reply.attributes.get("REALM", self.realm)
                self.nonce = reply.attributes.get("NONCE", self.nonce)
                continue
            return reply
        return reply

    @staticmethod
    def _raise_for(reply: Reply) -> Reply:
        if reply.error is not None:
            raise TurnError(*reply.error)
        return reply

    async def allocate(
        self, *, transport: int = TRANSPORT_UDP, ipv6: bool = False
    ) -> tuple[str, int]:
        attributes: dict[str, Any] = {"REQUESTED-TRANSPORT": transport << 24, "LIFETIME": 600}
        if ipv6:
            attributes["REQUESTED-ADDRESS-FAMILY"] = FAMILY_IPV6 << 24
        reply = self._raise_for(await self.request(stun.Method.ALLOCATE, attributes))
        host, port = reply.attributes["XOR-RELAYED-ADDRESS"]
        return str(host), int(port)

    async def create_permission(self, peer: str) -> int | None:
        """None when granted, else the error code."""
        reply = await self.request(stun.Method.CREATE_PERMISSION, {"XOR-PEER-ADDRESS": (peer, 9)})
        return None if reply.error is None else reply.error[0]

    async def connect(self, peer: tuple[str, int]) -> int | tuple[int]:
        """RFC 6062 Connect: ``(connection id,)`` when the relay connected, else the error code."""
        reply = await self.request(METHOD_CONNECT, {"XOR-PEER-ADDRESS": peer})
        if reply.error is not None:
            return reply.error[0]
        return (int(reply.attributes["CONNECTION-ID"]),)

    async def send_indication(self, peer: tuple[str, int], data: bytes) -> None:
        message = stun.Message(
            message_method=stun.Method.SEND,
            message_class=stun.Class.INDICATION,
            attributes={"XOR-PEER-ADDRESS": peer, "DATA": data},
        )
        message.add_fingerprint()
        await self.channel.send(bytes(message))


@contextlib.asynccontextmanager
async def turn_client(
    transport: str, server: tuple[str, int], username: str, password: str
) -> AsyncIterator[TurnClient]:
    client = TurnClient(
        await open_channel(transport, server), username, password, udp=transport == "udp"
    )
    try:
        yield client
    finally:
        client.close()


# -- listeners behind the relay -----------------------------------------------------------------


class UdpEcho(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received += 1
        assert self.transport is not None
        self.transport.sendto(data, addr)


@dataclass
class Listeners:
    udp: dict[str, UdpEcho]
    tcp_accepted: dict[str, int]


async def start_listeners(stack: contextlib.AsyncExitStack) -> Listeners:
    loop = asyncio.get_running_loop()
    listeners = Listeners(udp={}, tcp_accepted={})
    for network in (*TARGETS_ON_LOOPBACK, "127.0.0.1/32", "::1/128"):
        address = network.split("/")[0]
        transport, echo = await loop.create_datagram_endpoint(
            UdpEcho, local_addr=(address, ECHO_PORT)
        )
        stack.callback(transport.close)
        listeners.udp[address] = echo
        listeners.tcp_accepted[address] = 0

        async def serve(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str = address
        ) -> None:
            listeners.tcp_accepted[address] += 1
            # Cancelled at shutdown while a relay connection is still open: that is fine.
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await reader.read(4096):
                    writer.write(data)
                    await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, address, ECHO_PORT)
        stack.push_async_callback(_close_server, server)
    return listeners


async def _close_server(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


# -- the probe (runs inside the namespace) --------------------------------------------------------


def _setup_namespace() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for network in TARGETS_ON_LOOPBACK:
        subprocess.run(["ip", "addr", "add", network, "dev", "lo"], check=True)
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        probe.bind(("::1", 0))  # fails loudly if IPv6 loopback is missing


@contextlib.contextmanager
def running_turnserver(config_text: str, port: int, workdir: Path) -> Iterator[Path]:
    config = workdir / f"turnserver-{port}.conf"
    config.write_text(config_text)
    log = workdir / f"turnserver-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            ["turnserver", "-c", str(config), "--db", str(workdir / "turndb")],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"turnserver exited:\n{log.read_text(errors='replace')[-4000:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), 1),
            ):
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


def coturn_settings(*, port: int, workdir: Path, production: bool) -> CoturnSettings:
    settings = CoturnSettings(
        realm=REALM,
        secret=TurnSecret(SECRET),
        media_addresses=(MEDIA_ADDRESS,),
        listening_ips=("127.0.0.1", "::1"),
        relay_ips=("127.0.0.1", "::1"),
        port=port,
        relay_ports=(49152, 49999),
        log_file="stdout",
        pid_file=workdir / f"turnserver-{port}.pid",
    )
    if production:
        return settings
    return replace(settings, deny_all_other_peers=False, tcp_relay=True)


async def probe_credentials(server: tuple[str, int], issuer: CredentialIssuer) -> dict[str, Any]:
    now = time.time()
    good = issuer.issue(now)
    expired_name = f"{int(now) - 60}:expired"
    cases = {
        "valid": (good.username, good.password),
        "wrong_password": (good.username, base64.b64encode(b"x" * 20).decode()),
        "expired": (expired_name, password_for(issuer.secret, expired_name)),
        "other_secret": (good.username, password_for(TurnSecret("o" * 64), good.username)),
    }
    results: dict[str, Any] = {}
    for name, (username, password) in cases.items():
        async with turn_client("udp", server, username, password) as client:
            try:
                await client.allocate()
                results[name] = None
            except TurnError as error:
                results[name] = error.code
    return results


async def probe_permissions(
    transport: str, server: tuple[str, int], issuer: CredentialIssuer, *, ipv6: bool
) -> dict[str, int | None]:
    credentials = issuer.issue(time.time())
    peers = (*DENIED_IPV6, ORDINARY_IPV6) if ipv6 else (*DENIED_IPV4, ORDINARY_IPV4, MEDIA_ADDRESS)
    async with turn_client(transport, server, credentials.username, credentials.password) as client:
        await client.allocate(ipv6=ipv6)
        return {peer: await client.create_permission(peer) for peer in peers}


async def probe_udp_echo(
    transport: str, server: tuple[str, int], issuer: CredentialIssuer, listeners: Listeners
) -> dict[str, Any]:
    """Data for denied listeners first, then the media address: once the echo from the media
    address is back, anything the relay forwarded before it has arrived too."""
    credentials = issuer.issue(time.time())
    canaries = ("127.0.0.1", "10.0.0.1", "169.254.169.254")
    before = {address: listeners.udp[address].received for address in (*canaries, MEDIA_ADDRESS)}
    async with turn_client(transport, server, credentials.username, credentials.password) as client:
        await client.allocate()
        for canary in canaries:
            await client.create_permission(canary)
            await client.send_indication((canary, ECHO_PORT), b"must not arrive")
        granted = await client.create_permission(MEDIA_ADDRESS)
        echoes = 0
        for index in range(5):
            payload = f"ping {index}".encode()
            await client.send_indication((MEDIA_ADDRESS, ECHO_PORT), payload)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    while True:
                        peer, data = await client.data.get()
                        if peer == (MEDIA_ADDRESS, ECHO_PORT) and data == payload:
                            echoes += 1
                            break
    return {
        "granted": granted,
        "echoes": echoes,
        "media_received": listeners.udp[MEDIA_ADDRESS].received - before[MEDIA_ADDRESS],
        "canaries_received": {c: listeners.udp[c].received - before[c] for c in canaries},
    }


async def probe_tcp_allocation(server: tuple[str, int], issuer: CredentialIssuer) -> int | None:
    credentials = issuer.issue(time.time())
    async with turn_client("tcp", server, credentials.username, credentials.password) as client:
        try:
            await client.allocate(transport=TRANSPORT_TCP)
        except TurnError as error:
            return error.code
    return None


async def probe_tcp_connects(
    server: tuple[str, int], issuer: CredentialIssuer, listeners: Listeners, *, ipv6: bool
) -> dict[str, Any]:
    credentials = issuer.issue(time.time())
    peers = DENIED_IPV6 if ipv6 else DENIED_IPV4
    before = dict(listeners.tcp_accepted)
    async with turn_client("tcp", server, credentials.username, credentials.password) as client:
        await client.allocate(transport=TRANSPORT_TCP, ipv6=ipv6)
        refusals: dict[str, Any] = {}
        for peer in peers:
            outcome = await client.connect((peer, ECHO_PORT))
            refusals[peer] = outcome if isinstance(outcome, int) else "connected"
        accepted = {a: listeners.tcp_accepted[a] - before[a] for a in listeners.tcp_accepted}
        return {"refusals": refusals, "accepted_by_denied_listeners": accepted}


async def probe_tcp_echo(server: tuple[str, int], issuer: CredentialIssuer) -> dict[str, Any]:
    """RFC 6062: Connect on the control connection, then ConnectionBind on a new one that
    from then on carries the peer's bytes."""
    credentials = issuer.issue(time.time())
    async with turn_client("tcp", server, credentials.username, credentials.password) as control:
        await control.allocate(transport=TRANSPORT_TCP)
        outcome = await control.connect((MEDIA_ADDRESS, ECHO_PORT))
        if isinstance(outcome, int):
            return {"connect": outcome, "echoed": b""}
        reader, writer = await asyncio.open_connection(*server)
        data_channel = TcpChannel(reader, writer)
        binder = TurnClient(data_channel, credentials.username, credentials.password, udp=False)
        binder.realm, binder.nonce = control.realm, control.nonce
        reply = await binder.request(METHOD_CONNECTION_BIND, {"CONNECTION-ID": outcome[0]})
        binder.reader.cancel()  # the connection now carries raw bytes, no more STUN
        with contextlib.suppress(asyncio.CancelledError):
            await binder.reader
        payload = b"through the tcp relay"
        writer.write(payload)
        await writer.drain()
        echoed = b""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while len(echoed) < len(payload):
                    chunk = await reader.read(4096)
                    if not chunk:
                        break
                    echoed += chunk
        writer.close()
        return {"connect": None, "bind": reply.error, "echoed": echoed.decode(errors="replace")}


async def probe(workdir: Path) -> dict[str, Any]:
    issuer = CredentialIssuer(TurnSecret(SECRET), ttl_seconds=3600)
    results: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        listeners = await start_listeners(stack)
        production = coturn_settings(port=PORT, workdir=workdir, production=True)
        with running_turnserver(render_coturn_config(production), PORT, workdir):
            server = ("127.0.0.1", PORT)
            results["credentials"] = await probe_credentials(server, issuer)
            for transport in ("udp", "tcp"):
                for family, ipv6 in (("ipv4", False), ("ipv6", True)):
                    key = f"production/{transport}/{family}"
                    results[key] = await probe_permissions(transport, server, issuer, ipv6=ipv6)
                results[f"production/{transport}/echo"] = await probe_udp_echo(
                    transport, server, issuer, listeners
                )
            results["production/tcp_allocation"] = await probe_tcp_allocation(server, issuer)
        ranges = coturn_settings(port=PORT + 1, workdir=workdir, production=False)
        with running_turnserver(render_coturn_config(ranges), PORT + 1, workdir) as ranges_log:
            server = ("127.0.0.1", PORT + 1)
            for family, ipv6 in (("ipv4", False), ("ipv6", True)):
                results[f"ranges/udp/{family}"] = await probe_permissions(
                    "udp", server, issuer, ipv6=ipv6
                )
                results[f"ranges/tcp_relay/{family}"] = await probe_tcp_connects(
                    server, issuer, listeners, ipv6=ipv6
                )
            results["ranges/tcp_relay/echo"] = await probe_tcp_echo(server, issuer)
        results["ranges/matched_rules"] = matched_rules(ranges_log.read_text(errors="replace"))
        results["quirks"] = await probe_coturn_quirks(workdir, issuer)
    return results


async def probe_coturn_quirks(workdir: Path, issuer: CredentialIssuer) -> dict[str, Any]:
    """coturn's own behaviour that the generated rules work around (docs/turn.md)."""
    mapped_rule = "denied-peer-ip=::ffff:0:0-::ffff:ffff:ffff\n"
    compatible_rule = "denied-peer-ip=::1-::ffff:ffff\n"
    results: dict[str, Any] = {}
    port = PORT + 2
    # Without the mapped block, do the IPv4 rules alone stop ::ffff:10.0.0.1?
    config = render_coturn_config(coturn_settings(port=port, workdir=workdir, production=False))
    assert mapped_rule in config
    with running_turnserver(config.replace(mapped_rule, ""), port, workdir):
        server = ("127.0.0.1", port)
        credentials = issuer.issue(time.time())
        async with turn_client("udp", server, credentials.username, credentials.password) as c:
            await c.allocate(ipv6=True)
            results["mapped_without_mapped_rule"] = await c.create_permission("::ffff:10.0.0.1")
    port += 1
    # A range bound at "::": does it reach into IPv4?
    config = render_coturn_config(coturn_settings(port=port, workdir=workdir, production=False))
    assert compatible_rule in config
    unbounded = config.replace(compatible_rule, "denied-peer-ip=::-::ffff:ffff\n")
    with running_turnserver(unbounded, port, workdir):
        server = ("127.0.0.1", port)
        credentials = issuer.issue(time.time())
        async with turn_client("udp", server, credentials.username, credentials.password) as c:
            await c.allocate()
            results["ipv4_with_range_from_unspecified"] = await c.create_permission(ORDINARY_IPV4)
    return results


def matched_rules(log: str) -> dict[str, list[str]]:
    """The rule coturn names for each refused peer (it logs the first match of its list)."""
    rules: dict[str, set[str]] = {}
    for match in re.finditer(r"A peer IP (\S+) denied in the range:? (\S+)", log):
        rules.setdefault(match[1], set()).add(match[2])
    return {peer: sorted(found) for peer, found in rules.items()}


def probe_main() -> None:
    _teach_aioice_extensions()
    _setup_namespace()
    with tempfile.TemporaryDirectory(prefix="klingel-turn-") as workdir:
        results = asyncio.run(probe(Path(workdir)))
    print(json.dumps(results))


# -- the tests (outside the namespace) ------------------------------------------------------------


@pytest.fixture(scope="module")
def observed() -> dict[str, Any]:
    require_turnserver()
    return probe_in_own_namespace(__file__, what="the relay probe", timeout=PROBE_TIMEOUT_SECONDS)


def test_valid_credentials_allocate(observed: dict[str, Any]) -> None:
    assert observed["credentials"]["valid"] is None


@pytest.mark.parametrize("case", ["wrong_password", "expired", "other_secret"])
def test_bad_credentials_are_refused(observed: dict[str, Any], case: str) -> None:
    assert observed["credentials"][case] == UNAUTHORIZED


PRODUCTION_PERMISSION_CASES = [
    (transport, peer)
    for transport in ("udp", "tcp")
    for peer in (*DENIED_IPV4, *DENIED_IPV6, ORDINARY_IPV4, ORDINARY_IPV6)
]


@pytest.mark.parametrize(("transport", "peer"), PRODUCTION_PERMISSION_CASES)
def test_production_relay_refuses_every_other_peer(
    observed: dict[str, Any], transport: str, peer: str
) -> None:
    family = "ipv6" if family_of(peer) == 6 else "ipv4"
    assert observed[f"production/{transport}/{family}"][peer] == FORBIDDEN


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_production_relay_reaches_the_media_address(
    observed: dict[str, Any], transport: str
) -> None:
    echo = observed[f"production/{transport}/echo"]
    assert echo["granted"] is None
    assert observed[f"production/{transport}/ipv4"][MEDIA_ADDRESS] is None
    assert echo["echoes"] == 5
    assert echo["media_received"] >= 5


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_production_relay_delivers_nothing_to_denied_listeners(
    observed: dict[str, Any], transport: str
) -> None:
    echo = observed[f"production/{transport}/echo"]
    assert echo["echoes"] > 0  # the comparison below only means something after a round trip
    assert echo["canaries_received"] == {"127.0.0.1": 0, "10.0.0.1": 0, "169.254.169.254": 0}


def test_production_relay_refuses_tcp_allocations(observed: dict[str, Any]) -> None:
    assert observed["production/tcp_allocation"] == UNSUPPORTED_TRANSPORT


@pytest.mark.parametrize("peer", [*DENIED_IPV4, *DENIED_IPV6])
def test_each_named_range_holds_by_itself_over_udp_relays(
    observed: dict[str, Any], peer: str
) -> None:
    family = "ipv6" if family_of(peer) == 6 else "ipv4"
    assert observed[f"ranges/udp/{family}"][peer] == FORBIDDEN


@pytest.mark.parametrize("peer", [*DENIED_IPV4, *DENIED_IPV6])
def test_each_named_range_holds_by_itself_over_tcp_relays(
    observed: dict[str, Any], peer: str
) -> None:
    family = "ipv6" if family_of(peer) == 6 else "ipv4"
    assert observed[f"ranges/tcp_relay/{family}"]["refusals"][peer] == FORBIDDEN


def refused_by_coturn_itself(peer: str) -> bool:
    """Loopback, unspecified (coturn 4.6.1 takes all of 0.0.0.0/8 as such), and with
    ``no-multicast-peers`` "224.0.0.0 and above, and FFXX:*" (``man turnserver``): coturn
    refuses these before it looks at any rule."""
    address = ipaddress.ip_address(peer)
    if isinstance(address, ipaddress.IPv4Address) and address.packed[0] in (0, *range(224, 256)):
        return True
    return address.is_loopback or address.is_unspecified or address.is_multicast


def rule_contains(rule: str, peer: str) -> bool:
    first, _, last = rule.partition("-")
    address = ipaddress.ip_address(peer)
    low, high = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
    return low.version == address.version and low <= address <= high  # type: ignore[operator]


RENDERED_NAMED_RULES = {coturn_range(denied.parsed) for denied in DENIED_PEER_RANGES} - {None}


@pytest.mark.parametrize("peer", [*DENIED_IPV4, *DENIED_IPV6])
def test_each_refusal_comes_from_a_named_range_that_holds_the_peer(
    observed: dict[str, Any], peer: str
) -> None:
    rules = observed["ranges/matched_rules"].get(peer)
    if rules is None:
        assert refused_by_coturn_itself(peer)
        return
    assert rules, peer
    for rule in rules:
        assert rule in RENDERED_NAMED_RULES
        assert rule_contains(rule, peer)


def test_tcp_relays_open_no_connection_to_denied_listeners(observed: dict[str, Any]) -> None:
    for family in ("ipv4", "ipv6"):
        accepted = observed[f"ranges/tcp_relay/{family}"]["accepted_by_denied_listeners"]
        assert set(accepted) >= {"127.0.0.1", "10.0.0.1", "169.254.169.254", "fd00::1", "::1"}
        assert all(count == 0 for count in accepted.values()), accepted


@pytest.mark.parametrize("peer", [ORDINARY_IPV4, ORDINARY_IPV6])
def test_without_the_catch_all_ordinary_addresses_would_pass(
    observed: dict[str, Any], peer: str
) -> None:
    """The control for the production cases: the catch-all is what refuses these."""
    family = "ipv6" if family_of(peer) == 6 else "ipv4"
    assert observed[f"ranges/udp/{family}"][peer] is None


def test_coturn_lets_mapped_addresses_past_ipv4_rules(observed: dict[str, Any]) -> None:
    """Why ``::ffff:0:0/96`` is denied as a range of its own: without it, ::ffff:10.0.0.1
    passes although 10.0.0.0/8 is denied."""
    assert observed["quirks"]["mapped_without_mapped_rule"] is None


def test_coturn_takes_a_range_from_the_unspecified_address_as_unbounded(
    observed: dict[str, Any],
) -> None:
    """Why ranges start after ``::``: ``::-::ffff:ffff`` refuses even 8.8.8.8."""
    assert observed["quirks"]["ipv4_with_range_from_unspecified"] == FORBIDDEN


def test_tcp_relay_reaches_the_media_address(observed: dict[str, Any]) -> None:
    echo = observed["ranges/tcp_relay/echo"]
    assert echo["connect"] is None
    assert echo["bind"] is None
    assert echo["echoed"] == "through the tcp relay"


if __name__ == "__main__":
    probe_main()
