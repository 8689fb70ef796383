"""A TURN client and coturn started for a test in a namespace of its own: what the relay
tests share."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

from aioice import stun

from klingel.turn.coturn_config import CoturnSettings
from klingel.turn.credentials import TurnSecret

MEDIA_ADDRESS = "203.0.113.10"
"""The SFU's announced address in the namespace (on ``lo``; README's example address)."""
ECHO_PORT = 9000
SECRET = "k" * 64
REALM = "turn.klingel.test"
FORBIDDEN = 403
UNAUTHORIZED = 401
TARGETS_ON_LOOPBACK = ("10.0.0.1/32", "169.254.169.254/32", "fd00::1/128", MEDIA_ADDRESS + "/32")
"""Real listeners wait on some denied addresses too, so a relay that let them through would
be caught delivering, not only answering."""
TRANSPORT_UDP = 17
TRANSPORT_TCP = 6
METHOD_CONNECT = 0x000A
METHOD_CONNECTION_BIND = 0x000B
ATTRIBUTE_REQUESTED_ADDRESS_FAMILY = 0x0017
ATTRIBUTE_CONNECTION_ID = 0x002A
FAMILY_IPV6 = 0x02


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


class Channel(Protocol):
    """One connection to the TURN server: datagrams or a framed TCP stream."""

    async def send(self, data: bytes) -> None: ...

    async def receive(self) -> bytes: ...

    def close(self) -> None: ...


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


async def _close_server(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


def _without_fingerprint(data: bytes) -> bytes:
    # FINGERPRINT is always last and 8 bytes long (RFC 8489, 14.7).
    if len(data) >= 28 and struct.unpack("!H", data[-8:-6])[0] == 0x8028:
        data = data[:-8]
        return data[:2] + struct.pack("!H", len(data) - 20) + data[4:]
    return data
