"""Two DTLS endpoints in memory: handshake, SRTP key export, fingerprint check, retransmission."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from klingel.sfu.dtls import DtlsEndpoint, DtlsIdentity, DtlsRole
from klingel.sfu.srtp import SRTP_AEAD_AES_128_GCM, SrtpKeys, SrtpSessions
from klingel.sfu.transport import Fingerprint
from klingel_bots.browser import wait_until

RTP = b"\x80\x6f\x00\x01\x00\x00\x03\xc0\x00\x00\x04\x57" + bytes(40)


class Side:
    def __init__(self, identity: DtlsIdentity) -> None:
        self.identity = identity
        self.keys: SrtpKeys | None = None
        self.failure: str | None = None
        self.closed = False
        self.sent: list[bytes] = []
        self.endpoint: DtlsEndpoint | None = None

    def connected(self, keys: SrtpKeys) -> None:
        self.keys = keys

    def failed(self, reason: str) -> None:
        self.failure = reason

    def closed_by_peer(self) -> None:
        self.closed = True


def pair(
    server_expects: Fingerprint | None = None,
    lose: Callable[[str, int], bool] = lambda sender, index: False,
) -> tuple[Side, Side]:
    """A server and a client wired back to back through the loop; ``lose`` drops datagrams."""
    server, client = Side(DtlsIdentity.generate()), Side(DtlsIdentity.generate())
    loop = asyncio.get_running_loop()

    def wire(side: Side, other: Side, name: str) -> Callable[[bytes], None]:
        def send(datagram: bytes) -> None:
            side.sent.append(datagram)
            if not lose(name, len(side.sent)):
                assert other.endpoint is not None
                loop.call_soon(other.endpoint.receive, datagram)

        return send

    roles: tuple[tuple[Side, Side, DtlsRole], ...] = (
        (server, client, "server"),
        (client, server, "client"),
    )
    for side, other, role in roles:
        side.endpoint = DtlsEndpoint(
            side.identity,
            role,
            wire(side, other, role),
            on_connected=side.connected,
            on_failed=side.failed,
            on_closed=side.closed_by_peer,
        )
    assert server.endpoint and client.endpoint
    server.endpoint.expect_fingerprint(server_expects or client.identity.fingerprint)
    client.endpoint.expect_fingerprint(server.identity.fingerprint)
    server.endpoint.start()
    client.endpoint.start()
    return server, client


async def test_handshake_derives_matching_srtp_keys() -> None:
    server, client = pair()
    await wait_until(lambda: server.keys and client.keys, message="both sides have keys")
    assert server.keys and client.keys
    assert server.keys.profile == SRTP_AEAD_AES_128_GCM
    assert server.keys.local == client.keys.remote
    assert server.keys.remote == client.keys.local
    assert server.keys.local != server.keys.remote
    # The keys work: what the client protects, the server unprotects.
    assert (
        SrtpSessions(server.keys).unprotect_rtp(SrtpSessions(client.keys).protect_rtp(RTP)) == RTP
    )
    assert server.endpoint and server.endpoint.state == "connected"


async def test_fingerprint_mismatch_fails_the_handshake() -> None:
    stranger = DtlsIdentity.generate().fingerprint
    server, _client = pair(server_expects=stranger)
    await wait_until(lambda: server.failure, message="server refuses the certificate")
    assert server.keys is None
    assert server.endpoint and server.endpoint.state == "failed"
    assert server.failure and "fingerprint" in server.failure


async def test_lost_flights_are_retransmitted() -> None:
    # The server's first flight and the client's second flight are lost once each.
    server, client = pair(lose=lambda sender, index: index == 1)
    await wait_until(lambda: server.keys and client.keys, message="handshake despite loss")
    assert len(server.sent) >= 2 and len(client.sent) >= 3


async def test_datagrams_after_close_are_refused() -> None:
    server, client = pair()
    await wait_until(lambda: server.keys and client.keys, message="connected")
    assert server.endpoint and client.endpoint
    client.endpoint.close()
    await wait_until(lambda: server.closed, message="server sees close_notify")
    assert server.endpoint.state == "closed"
    assert not server.endpoint.receive(client.sent[0])
