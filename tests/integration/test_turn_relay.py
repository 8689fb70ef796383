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
import ipaddress
import json
import re
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from support.turn_relay import (
    ECHO_PORT,
    FORBIDDEN,
    MEDIA_ADDRESS,
    METHOD_CONNECTION_BIND,
    SECRET,
    TRANSPORT_TCP,
    UNAUTHORIZED,
    Channel,
    Listeners,
    TcpChannel,
    TurnClient,
    TurnError,
    _setup_namespace,
    _teach_aioice_extensions,
    coturn_settings,
    running_turnserver,
    start_listeners,
)

from klingel.turn.coturn_config import render_coturn_config
from klingel.turn.credentials import CredentialIssuer, TurnSecret, password_for
from klingel.turn.peer_ranges import DENIED_PEER_RANGES, coturn_range
from klingel_bots.own_namespace import probe_in_own_namespace, require_turnserver

# -- what is probed ---------------------------------------------------------------------------


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


PORT = 3478
UNSUPPORTED_TRANSPORT = 442
PROBE_TIMEOUT_SECONDS = 120.0


def family_of(address: str) -> int:
    return ipaddress.ip_address(address).version


# -- a small TURN client (RFC 8656, RFC 6062, RFC 6156) on aioice's STUN messages -------------


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


async def open_channel(transport: str, server: tuple[str, int]) -> Channel:
    if transport == "udp":
        return await UdpChannel.open(server)
    return await TcpChannel.open(server)


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


# -- the probe (runs inside the namespace) --------------------------------------------------------


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
