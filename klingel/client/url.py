"""Where a server's signaling socket is: ``/ws`` below its base URL, same origin as its pages.

The room is not part of the address: it travels in ``join`` (docs/protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self
from urllib.parse import urlsplit

__all__ = ["SignalingAddress"]

_SOCKET_SCHEMES = {"http": "ws", "https": "wss"}


@dataclass(frozen=True, slots=True)
class SignalingAddress:
    """The signaling socket's URL and the ``Origin`` its handshake sends (the server refuses
    another site's origin)."""

    url: str
    origin: str

    @classmethod
    def of(cls, base_url: str) -> Self:
        """From the server's base URL as people type it: ``https://klingel.example``, with or
        without a trailing slash, or with the path a reverse proxy serves it under."""
        parts = urlsplit(base_url.strip())
        scheme = _SOCKET_SCHEMES.get(parts.scheme.lower())
        if scheme is None or not parts.netloc:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"a base URL has no query or fragment: {base_url!r}")
        path = parts.path.rstrip("/")
        host = parts.netloc.rpartition("@")[2]  # credentials never go into a URL we dial
        return cls(
            url=f"{scheme}://{host}{path}/ws",
            origin=f"{parts.scheme.lower()}://{host}",
        )
