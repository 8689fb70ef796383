"""Host and co-host secrets of a room: the only way to a role above guest.

They are made from ``secrets`` when a room is created and handed to its creator once. The room
keeps keyed digests of them (``klingel.store.SecretDigester``), which is all the store keeps,
and a claimed secret is checked against the digests in constant time: after a restart of the
server, the host link still makes its holder host. The secrets themselves are known to the
server only while it has seen them: from their making, or from a join that presented one.
Nothing a client claims, and no order of arrival, gives a role.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field, replace

from klingel.protocol.objects import Role
from klingel.store import SecretDigester

__all__ = ["SECRET_BYTES", "HostKeys", "new_host_keys"]

SECRET_BYTES = 24
"""192 random bits per secret (URL-safe base64: 32 characters)."""


@dataclass(frozen=True, slots=True)
class HostKeys:
    """The digests of a room's two secrets and, where this server knows them, the secrets."""

    digester: SecretDigester = field(repr=False, compare=False)
    host_digest: bytes = field(repr=False)
    cohost_digest: bytes = field(repr=False)
    host: str | None = field(default=None, repr=False)
    """The host secret, if this server made it or saw it in a join since it started."""
    cohost: str | None = field(default=None, repr=False)
    """The co-host secret, likewise."""

    @classmethod
    def of_digests(
        cls, digester: SecretDigester, host_digest: bytes, cohost_digest: bytes
    ) -> HostKeys:
        """The keys of a room brought back from the store: digests only."""
        return cls(digester, host_digest, cohost_digest)

    def role_for(self, claimed: str | None) -> Role:
        """The role a ``hostSecret`` gives: anything but one of the two secrets is a guest."""
        if not claimed:
            return "guest"
        given = self.digester.digest(claimed)
        # Both are compared every time, so the answer's timing does not say which one matched.
        is_host = hmac.compare_digest(given, self.host_digest)
        is_cohost = hmac.compare_digest(given, self.cohost_digest)
        if is_host:
            return "host"
        return "cohost" if is_cohost else "guest"

    def knowing(self, role: Role, secret: str) -> HostKeys:
        """These keys, remembering ``secret``, which ``role_for`` just found to give ``role``."""
        if role == "host":
            return replace(self, host=secret)
        if role == "cohost":
            return replace(self, cohost=secret)
        return self

    def with_new_host_secret(self) -> HostKeys:
        """After a hand-over: the secret the former host holds no longer makes anyone host."""
        secret = _new_secret()
        return replace(self, host=secret, host_digest=self.digester.digest(secret))

    def with_new_cohost_secret(self) -> HostKeys:
        """After a co-host was removed or made guest: their link no longer gives a role."""
        secret = _new_secret()
        return replace(self, cohost=secret, cohost_digest=self.digester.digest(secret))


def _new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def new_host_keys(digester: SecretDigester) -> HostKeys:
    host, cohost = _new_secret(), _new_secret()
    return HostKeys(digester, digester.digest(host), digester.digest(cohost), host, cohost)
