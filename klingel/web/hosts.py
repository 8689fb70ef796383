"""The host names this server serves, and whether a request's ``Origin`` is one of them.

A browser names the page that makes a request in ``Origin``. Comparing it with ``Host`` is not
enough: under DNS rebinding, a foreign page reaches the server under its own name, and both
headers say ``evil.example``. So an origin must name a host the town configured
(``--allowed-hosts``), a host of the brands file, or loopback (``localhost``, 127.0.0.0/8,
``[::1]``), whatever port it names: behind the reverse proxy the browser's port is not ours.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from enum import Enum
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_NAMES", "OriginVerdict", "ServedHosts", "host_of_origin"]

LOOPBACK_NAMES = frozenset({"localhost"})
_SCHEMES = frozenset({"http", "https"})
MAX_ORIGIN_LENGTH = 2048


class OriginVerdict(Enum):
    SERVED = "served"
    """A page of this server."""
    FOREIGN = "foreign"
    """A page of another site (or an opaque ``null`` origin)."""
    MALFORMED = "malformed"
    """Not an origin at all: the client is broken or hostile."""


def host_of_origin(origin: str) -> str | None:
    """The lower-case host of an origin (``scheme://host[:port]``), without brackets for IPv6;
    ``""`` for an opaque origin (``null``); None when it is not an origin."""
    if origin == "null":
        return ""
    if len(origin) > MAX_ORIGIN_LENGTH or not origin.isascii() or not origin.isprintable():
        return None
    try:
        parts = urlsplit(origin)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme not in _SCHEMES or not host or parts.username or parts.password:
        return None
    if parts.path or parts.query or parts.fragment:
        return None
    return host.rstrip(".")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServedHosts:
    """The names an ``Origin`` may carry; loopback is always served."""

    __slots__ = ("_names",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names = frozenset(name.lower().rstrip(".") for name in names)

    @property
    def names(self) -> tuple[str, ...]:
        """The configured and brand names, sorted (loopback is not listed)."""
        return tuple(sorted(self._names))

    def serves(self, host: str) -> bool:
        return host in self._names or _is_loopback(host)

    def judge(self, origin: str) -> OriginVerdict:
        host = host_of_origin(origin)
        if host is None:
            return OriginVerdict.MALFORMED
        return OriginVerdict.SERVED if host and self.serves(host) else OriginVerdict.FOREIGN
