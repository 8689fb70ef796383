"""Time-limited TURN credentials in coturn's shared-secret scheme (``use-auth-secret``).

The scheme of draft-uberti-behave-turn-rest-00 ("TURN REST API"): the username is
``<expiry unix time>:<opaque id>``, the password is ``base64(HMAC-SHA1(secret, username))``.
coturn recomputes the password from its ``static-auth-secret`` and refuses the username once
its expiry time has passed, so the server never has to tell coturn who joined.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DEFAULT_TTL_SECONDS",
    "MIN_SECRET_LENGTH",
    "CredentialIssuer",
    "TurnCredentials",
    "TurnSecret",
    "password_for",
]

DEFAULT_TTL_SECONDS = 6 * 3600
"""coturn checks the expiry on every authenticated request, allocation refreshes included, so
the credentials must outlive the longest meeting: an allocation dies at its next refresh after
expiry."""

MIN_SECRET_LENGTH = 32
"""Characters; ``openssl rand -hex 32`` gives 64."""

_OPAQUE_ID_BYTES = 12


@dataclass(frozen=True, slots=True)
class TurnSecret:
    """The secret shared with coturn's ``static-auth-secret``; never shown in reprs or logs."""

    value: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.value) < MIN_SECRET_LENGTH:
            raise ValueError(f"the TURN secret must have at least {MIN_SECRET_LENGTH} characters")
        # coturn reads the secret as one token of a config line.
        if any(character.isspace() or character == "#" for character in self.value):
            raise ValueError("the TURN secret must not contain spaces or '#'")
        if not self.value.isascii() or not self.value.isprintable():
            raise ValueError("the TURN secret must be printable ASCII")

    @classmethod
    def from_file(cls, path: Path) -> TurnSecret:
        """The secret from the first line of ``path`` (surrounding whitespace dropped)."""
        lines = path.read_text(encoding="ascii").strip().splitlines()
        return cls(lines[0].strip() if lines else "")


def password_for(secret: TurnSecret, username: str) -> str:
    """The password coturn expects for ``username`` under ``use-auth-secret``."""
    digest = hmac.new(secret.value.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class TurnCredentials:
    """What one participant's browser puts into its ``iceServers`` entry."""

    username: str
    password: str = field(repr=False)
    expires_at: int
    """Unix time after which coturn refuses the username."""


@dataclass(frozen=True, slots=True)
class CredentialIssuer:
    """Issues a fresh username with its own random id for every call."""

    secret: TurnSecret
    ttl_seconds: int = DEFAULT_TTL_SECONDS

    def __post_init__(self) -> None:
        if self.ttl_seconds < 60:
            raise ValueError("the TURN credential lifetime must be at least 60 seconds")

    def issue(self, now: float) -> TurnCredentials:
        """Credentials valid from ``now`` (Unix time) for ``ttl_seconds``.

        The opaque id is random, not a participant id, so coturn's log, which names the
        username of every allocation, holds nothing that links to a person.
        """
        expires_at = int(now) + self.ttl_seconds
        username = f"{expires_at}:{secrets.token_urlsafe(_OPAQUE_ID_BYTES)}"
        return TurnCredentials(
            username=username,
            password=password_for(self.secret, username),
            expires_at=expires_at,
        )
