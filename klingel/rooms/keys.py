"""Host and co-host secrets of a room: the only way to a role above guest.

They are made from ``secrets`` when a room is created, live only in memory, and are compared in
constant time. Nothing a client claims, and no order of arrival, gives a role.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field, replace

from klingel.protocol.objects import Role

__all__ = ["SECRET_BYTES", "HostKeys", "new_host_keys"]

SECRET_BYTES = 24
"""192 random bits per secret (URL-safe base64: 32 characters)."""


@dataclass(frozen=True, slots=True)
class HostKeys:
    host: str = field(repr=False)
    cohost: str = field(repr=False)

    def role_for(self, claimed: str | None) -> Role:
        """The role a ``hostSecret`` gives: anything but one of the two secrets is a guest."""
        if not claimed:
            return "guest"
        given = claimed.encode("utf-8", "surrogatepass")
        # Both are compared every time, so the answer's timing does not say which one matched.
        is_host = hmac.compare_digest(given, self.host.encode())
        is_cohost = hmac.compare_digest(given, self.cohost.encode())
        if is_host:
            return "host"
        return "cohost" if is_cohost else "guest"

    def with_new_host_secret(self) -> HostKeys:
        """After a hand-over: the secret the former host holds no longer makes anyone host."""
        return replace(self, host=_new_secret())

    def with_new_cohost_secret(self) -> HostKeys:
        """After a co-host was removed or made guest: their link no longer gives a role."""
        return replace(self, cohost=_new_secret())


def _new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def new_host_keys() -> HostKeys:
    return HostKeys(host=_new_secret(), cohost=_new_secret())
