"""TURN over TLS on port 443: the path for browsers in networks that let only HTTPS out.

Like ``test_turn_relay``, whose namespace, listeners and TURN client this module reuses, it
re-runs itself as a script under ``unshare --net``. There it makes a self-signed certificate
for the realm, starts ``turnserver`` with the configuration ``klingel turn-config`` writes for
that certificate (TLS on 443), talks TURN to it through Python's ``ssl`` trusting only that
certificate, and prints what it observed as JSON. The tests below only read those observations.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import ipaddress
import json
import ssl
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support.turn_relay import (
    ECHO_PORT,
    FORBIDDEN,
    MEDIA_ADDRESS,
    REALM,
    SECRET,
    UNAUTHORIZED,
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

from klingel.turn.coturn_config import DEFAULT_TLS_PORT, TlsFiles, render_coturn_config
from klingel.turn.credentials import CredentialIssuer, TurnSecret
from klingel_bots.own_namespace import probe_in_own_namespace, require_turnserver

PLAIN_PORT = 3478
"""coturn always listens in the clear too; the probe never uses it, except to see coturn up."""
TLS_PORT = DEFAULT_TLS_PORT
DENIED_PEERS = {"ipv4": ("10.0.0.1", "127.0.0.1"), "ipv6": ("::ffff:127.0.0.1", "fd00::1")}
CANARIES = ("10.0.0.1", "127.0.0.1")
"""Denied addresses with a UDP echo listening, which must never receive anything."""
ECHO_ROUNDS = 5
PROBE_TIMEOUT_SECONDS = 60.0


# -- the probe (runs inside the namespace) --------------------------------------------------------


def make_certificate(workdir: Path) -> TlsFiles:
    """A self-signed certificate for the realm, the host name browsers would use."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, REALM)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(REALM)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(certificate=workdir / "turn.crt", private_key=workdir / "turn.key")
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.private_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.private_key.chmod(0o600)
    return files


def client_context(certificate: Path) -> ssl.SSLContext:
    """Verifies like a browser: the chain (here: the one trusted certificate) and the name."""
    context = ssl.create_default_context(cafile=str(certificate))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    return context


async def wait_for_tls_listener(deadline_seconds: float = 30) -> None:
    # coturn opens its listeners one by one; the plain one being up says little about 443.
    async with asyncio.timeout(deadline_seconds):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", TLS_PORT)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return


@contextlib.asynccontextmanager
async def tls_turn_client(
    context: ssl.SSLContext, username: str, password: str
) -> AsyncIterator[tuple[TurnClient, str | None]]:
    """A TURN client over TLS, and the TLS version that was negotiated."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", TLS_PORT, ssl=context, server_hostname=REALM
    )
    tls = writer.get_extra_info("ssl_object")
    version = tls.version() if isinstance(tls, ssl.SSLObject) else None
    client = TurnClient(TcpChannel(reader, writer), username, password, udp=False)
    try:
        yield client, version
    finally:
        client.close()


async def probe_credentials(context: ssl.SSLContext, issuer: CredentialIssuer) -> dict[str, Any]:
    good = issuer.issue(time.time())
    cases = {
        "valid": good.password,
        "wrong_password": base64.b64encode(b"x" * 20).decode(),
    }
    results: dict[str, Any] = {}
    for case, password in cases.items():
        async with tls_turn_client(context, good.username, password) as (client, _):
            try:
                await client.allocate()
                results[case] = None
            except TurnError as error:
                results[case] = error.code
    return results


async def probe_untrusted_client() -> str:
    """The control for the trusted context: without the certificate the handshake fails, so
    the successes above come from that certificate on coturn's TLS listener."""
    try:
        _, writer = await asyncio.open_connection(
            "127.0.0.1", TLS_PORT, ssl=ssl.create_default_context(), server_hostname=REALM
        )
    except ssl.SSLCertVerificationError:
        return "refused"
    writer.close()
    return "accepted"


async def probe_permissions(
    context: ssl.SSLContext, issuer: CredentialIssuer, family: str
) -> dict[str, int | None]:
    credentials = issuer.issue(time.time())
    async with tls_turn_client(context, credentials.username, credentials.password) as (c, _):
        await c.allocate(ipv6=family == "ipv6")
        return {peer: await c.create_permission(peer) for peer in DENIED_PEERS[family]}


async def probe_echo(
    context: ssl.SSLContext, issuer: CredentialIssuer, listeners: Listeners
) -> dict[str, Any]:
    """Data for the denied listeners first, then the media address: once an echo from the
    media address is back, anything the relay forwarded before it has arrived too."""
    credentials = issuer.issue(time.time())
    watched = (*CANARIES, MEDIA_ADDRESS)
    before = {address: listeners.udp[address].received for address in watched}
    async with tls_turn_client(context, credentials.username, credentials.password) as (c, tls):
        relayed = await c.allocate()
        for canary in CANARIES:
            await c.create_permission(canary)
            await c.send_indication((canary, ECHO_PORT), b"must not arrive")
        granted = await c.create_permission(MEDIA_ADDRESS)
        echoes = 0
        for index in range(ECHO_ROUNDS):
            payload = f"over tls {index}".encode()
            await c.send_indication((MEDIA_ADDRESS, ECHO_PORT), payload)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    while await c.data.get() != ((MEDIA_ADDRESS, ECHO_PORT), payload):
                        pass
                    echoes += 1
    received = {address: listeners.udp[address].received - before[address] for address in watched}
    return {
        "tls_version": tls,
        "relayed_address": relayed[0],
        "granted": granted,
        "echoes": echoes,
        "media_received": received.pop(MEDIA_ADDRESS),
        "canaries_received": received,
    }


async def probe(workdir: Path) -> dict[str, Any]:
    issuer = CredentialIssuer(TurnSecret(SECRET), ttl_seconds=3600)
    tls_files = make_certificate(workdir)
    context = client_context(tls_files.certificate)
    settings = replace(
        coturn_settings(port=PLAIN_PORT, workdir=workdir, production=True),
        tls=tls_files,
        tls_port=TLS_PORT,
    )
    config = render_coturn_config(settings)
    results: dict[str, Any] = {"config_has_tls": f"tls-listening-port={TLS_PORT}\n" in config}
    async with contextlib.AsyncExitStack() as stack:
        listeners = await start_listeners(stack)
        with running_turnserver(config, PLAIN_PORT, workdir):
            await wait_for_tls_listener()
            results["untrusted_client"] = await probe_untrusted_client()
            results["credentials"] = await probe_credentials(context, issuer)
            for family in DENIED_PEERS:
                results[f"permissions/{family}"] = await probe_permissions(context, issuer, family)
            results["echo"] = await probe_echo(context, issuer, listeners)
    return results


def probe_main() -> None:
    _teach_aioice_extensions()
    _setup_namespace()
    with tempfile.TemporaryDirectory(prefix="klingel-turn-tls-") as workdir:
        results = asyncio.run(probe(Path(workdir)))
    print(json.dumps(results))


# -- the tests (outside the namespace) ------------------------------------------------------------


@pytest.fixture(scope="module")
def observed() -> dict[str, Any]:
    require_turnserver()
    return probe_in_own_namespace(
        __file__, what="the TLS relay probe", timeout=PROBE_TIMEOUT_SECONDS
    )


def test_the_generated_configuration_listens_for_tls(observed: dict[str, Any]) -> None:
    assert observed["config_has_tls"] is True


def test_the_certificate_is_checked(observed: dict[str, Any]) -> None:
    assert observed["untrusted_client"] == "refused"


def test_valid_credentials_allocate_over_tls(observed: dict[str, Any]) -> None:
    assert observed["credentials"]["valid"] is None


def test_wrong_credentials_are_refused_over_tls(observed: dict[str, Any]) -> None:
    assert observed["credentials"]["wrong_password"] == UNAUTHORIZED


def test_tls_is_at_least_version_1_2(observed: dict[str, Any]) -> None:
    assert observed["echo"]["tls_version"] in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    ("family", "peer"), [(family, peer) for family, peers in DENIED_PEERS.items() for peer in peers]
)
def test_denied_peers_are_refused_over_tls(
    observed: dict[str, Any], family: str, peer: str
) -> None:
    assert ipaddress.ip_address(peer).version == (6 if family == "ipv6" else 4)
    assert observed[f"permissions/{family}"][peer] == FORBIDDEN


def test_data_over_tls_reaches_the_media_address_and_comes_back(observed: dict[str, Any]) -> None:
    echo = observed["echo"]
    assert echo["relayed_address"] == "127.0.0.1"  # the relay sends media over UDP, as always
    assert echo["granted"] is None
    assert echo["echoes"] == ECHO_ROUNDS
    assert echo["media_received"] >= ECHO_ROUNDS


def test_nothing_over_tls_reaches_denied_listeners(observed: dict[str, Any]) -> None:
    echo = observed["echo"]
    assert echo["echoes"] > 0  # the comparison below only means something after a round trip
    assert echo["canaries_received"] == dict.fromkeys(CANARIES, 0)


if __name__ == "__main__":
    probe_main()
