"""The ``iceServers`` entry a joined participant's browser gets for Klingel's TURN relay.

Only our own host, with credentials of the participant's own (see ``credentials``): the page
names no third-party STUN or TURN server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from klingel.turn.credentials import CredentialIssuer, TurnCredentials

__all__ = ["IceServer", "TurnEndpoint", "TurnRelay", "ice_server"]


@dataclass(frozen=True, slots=True)
class TurnEndpoint:
    """Where browsers reach coturn, as ``klingel turn-config`` set it up."""

    host: str
    port: int = 3478
    tls_port: int | None = None
    """None when coturn has no certificate."""


@dataclass(frozen=True, slots=True)
class IceServer:
    urls: tuple[str, ...]
    username: str
    credential: str = field(repr=False)

    def as_json(self) -> dict[str, object]:
        """The ``RTCIceServer`` dictionary of the WebRTC API."""
        return {"urls": list(self.urls), "username": self.username, "credential": self.credential}


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ice_server(endpoint: TurnEndpoint, credentials: TurnCredentials) -> IceServer:
    """UDP first (cheapest), then TCP, then TLS for networks that let only HTTPS through."""
    plain = _authority(endpoint.host, endpoint.port)
    urls = [f"turn:{plain}?transport=udp", f"turn:{plain}?transport=tcp"]
    if endpoint.tls_port is not None:
        urls.append(f"turns:{_authority(endpoint.host, endpoint.tls_port)}?transport=tcp")
    return IceServer(
        urls=tuple(urls), username=credentials.username, credential=credentials.password
    )


@dataclass(frozen=True, slots=True)
class TurnRelay:
    """What ``klingel serve`` knows of its relay: where browsers reach it, and how to make each
    joined participant's credentials."""

    endpoint: TurnEndpoint
    issuer: CredentialIssuer

    def ice_server(self, now: float) -> IceServer:
        """A fresh entry with credentials of its own, valid from ``now`` (Unix time)."""
        return ice_server(self.endpoint, self.issuer.issue(now))
