"""coturn's configuration file for a relay that reaches the SFU's media address and nothing else.

Every option is explained in ``docs/turn.md``. coturn's peer rules (``man turnserver``,
``--allowed-peer-ip``): an address matched by an ``allowed-peer-ip`` range is relayed to "no
matter what", otherwise one matched by a ``denied-peer-ip`` range is refused, otherwise it is
relayed to. Loopback and multicast peers are refused before either list is consulted.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from klingel.turn.credentials import TurnSecret
from klingel.turn.peer_ranges import (
    DENIED_PEER_RANGES,
    EVERY_IPV4_ADDRESS,
    EVERY_IPV6_ADDRESS,
    coturn_range,
)

__all__ = [
    "DEFAULT_MAX_BYTES_PER_SECOND",
    "DEFAULT_PORT",
    "DEFAULT_TLS_PORT",
    "CoturnSettings",
    "TlsFiles",
    "render_coturn_config",
    "write_coturn_config",
]

DEFAULT_PORT = 3478
DEFAULT_TLS_PORT = 443
"""The HTTPS port: the one port that even strict school and office firewalls let through."""
DEFAULT_MAX_BYTES_PER_SECOND = 1_000_000
"""8 Mbit/s each way per allocation: a full gallery of received video, with headroom."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    certificate: Path
    """PEM, the full chain, for the TURN host name."""
    private_key: Path


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"not an IP address: {text!r}") from None


@dataclass(frozen=True, slots=True)
class CoturnSettings:
    realm: str
    secret: TurnSecret
    media_addresses: tuple[str, ...]
    """The SFU's announced address(es): the only peers the relay may reach."""
    listening_ips: tuple[str, ...] = ()
    """Empty: every address of the host."""
    relay_ips: tuple[str, ...] = ()
    external_ip: str | None = None
    """``PUBLIC`` or ``PUBLIC/PRIVATE`` behind a 1:1 NAT (coturn's ``external-ip``)."""
    port: int = DEFAULT_PORT
    tls: TlsFiles | None = None
    tls_port: int = DEFAULT_TLS_PORT
    relay_ports: tuple[int, int] = (49152, 65535)
    user_quota: int = 10
    """Allocations per username; every participant gets a username of their own."""
    total_quota: int = 1000
    max_bytes_per_second: int = DEFAULT_MAX_BYTES_PER_SECOND
    stale_nonce_seconds: int = 600
    tcp_relay: bool = False
    """RFC 6062 TCP allocations; the SFU speaks UDP only, so they stay off."""
    deny_all_other_peers: bool = True
    """Deny the whole address space after the named ranges, so only the media address is left."""
    log_file: str = "syslog"
    """A path, or coturn's special names ``syslog`` (the journal under systemd) and ``stdout``."""
    pid_file: Path | None = None

    def __post_init__(self) -> None:
        if not self.realm or any(c.isspace() or c == "#" for c in self.realm):
            raise ValueError("the realm must be a host name without spaces")
        if not self.media_addresses:
            raise ValueError("name the SFU's media address: the relay reaches nothing else")
        for text in self.media_addresses:
            address = _ip(text)
            if address.is_loopback or address.is_unspecified or address.is_multicast:
                raise ValueError(
                    f"the media address must be the SFU's announced address, not {text}: "
                    "coturn never relays to loopback, unspecified or multicast addresses"
                )
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                raise ValueError("give the media address as plain IPv4, not IPv4-mapped")
        for text in (*self.listening_ips, *self.relay_ips):
            _ip(text)
        if self.external_ip is not None:
            for part in self.external_ip.split("/"):
                _ip(part)
        low, high = self.relay_ports
        if not 1024 <= low <= high <= 65535:
            raise ValueError("relay ports must be 1024-65535, low before high")
        for name in ("user_quota", "total_quota", "max_bytes_per_second", "stale_nonce_seconds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


def _peer_rules(settings: CoturnSettings) -> Iterator[str]:
    for denied in DENIED_PEER_RANGES:
        yield f"# {denied.network}: {denied.reason}"
        rule = coturn_range(denied.parsed)
        yield "# (coturn refuses it by itself)" if rule is None else f"denied-peer-ip={rule}"
    if settings.deny_all_other_peers:
        yield "# Everything else: Klingel's browsers relay only to the SFU."
        yield f"denied-peer-ip={coturn_range(EVERY_IPV4_ADDRESS)}"
        yield f"denied-peer-ip={coturn_range(EVERY_IPV6_ADDRESS)}"
    yield "# The SFU: allowed wins over denied."
    for address in settings.media_addresses:
        yield f"allowed-peer-ip={ipaddress.ip_address(address)}"


def _listeners(settings: CoturnSettings) -> Iterator[str]:
    yield f"listening-port={settings.port}"
    if settings.tls is None:
        yield "no-tls"
    else:
        yield f"tls-listening-port={settings.tls_port}"
        yield f"cert={settings.tls.certificate}"
        yield f"pkey={settings.tls.private_key}"
        yield "no-tlsv1"
        yield "no-tlsv1_1"
    # Browsers never speak DTLS to a TURN server.
    yield "no-dtls"
    for address in settings.listening_ips:
        yield f"listening-ip={address}"
    for address in settings.relay_ips:
        yield f"relay-ip={address}"
    if settings.external_ip is not None:
        yield f"external-ip={settings.external_ip}"
    low, high = settings.relay_ports
    yield f"min-port={low}"
    yield f"max-port={high}"


def _hardening(settings: CoturnSettings) -> Iterator[str]:
    yield "fingerprint"
    yield "no-cli"
    yield "no-multicast-peers"
    yield "no-rfc5780"
    yield "no-stun-backward-compatibility"
    yield "secure-stun"
    yield "no-software-attribute"
    yield f"stale-nonce={settings.stale_nonce_seconds}"
    yield f"user-quota={settings.user_quota}"
    yield f"total-quota={settings.total_quota}"
    yield f"max-bps={settings.max_bytes_per_second}"
    if not settings.tcp_relay:
        yield "no-tcp-relay"


def _logging(settings: CoturnSettings) -> Iterator[str]:
    yield f"log-file={settings.log_file}"
    # One file under a fixed name, for logrotate, instead of coturn's dated files.
    yield "simple-log"
    if settings.pid_file is not None:
        yield f"pidfile={settings.pid_file}"


def render_coturn_config(settings: CoturnSettings) -> str:
    """The text of ``turnserver.conf``; it holds the secret."""
    lines = [
        "# coturn configuration written by `klingel turn-config`; see docs/turn.md.",
        "# It holds the shared secret: keep it readable by root and coturn only.",
        f"realm={settings.realm}",
        "use-auth-secret",
        f"static-auth-secret={settings.secret.value}",
        *_listeners(settings),
        *_hardening(settings),
        *_logging(settings),
        *_peer_rules(settings),
    ]
    return "\n".join(lines) + "\n"


def write_coturn_config(settings: CoturnSettings, path: Path) -> None:
    """Writes the file readable by its owner only (it holds the secret), replacing any old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)  # a left-over file would keep its own permissions
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(render_coturn_config(settings))
    os.replace(temporary, path)
