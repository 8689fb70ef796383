"""A room's password: the slow salted hash the store keeps, and a quick check in memory while
this server knows the password.

The store keeps an scrypt digest (``klingel.store.passwords``), whose check costs some 50 ms of
a core and runs off the event loop. A server that set the password, or saw it given right
once, also keeps a SHA-256 digest of it in memory: later joins are checked in microseconds,
and wrong guesses cost no scrypt.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field, replace

from klingel.store import PasswordDigest

__all__ = ["RoomPassword"]


def _quick_digest(password: str) -> bytes:
    # Equal-length digests: comparing them says nothing about the password's length.
    return hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class RoomPassword:
    """Each change of a room's password is a new object: a slow check that finished after the
    password changed is known by the object it checked."""

    quick: bytes | None = field(default=None, repr=False)
    """SHA-256 of the password, while this server knows it."""
    stored: PasswordDigest | None = field(default=None, repr=False)
    """The scrypt digest the store keeps; None while it is being made."""

    @classmethod
    def of(cls, password: str) -> RoomPassword:
        """A password a host just set (its stored digest follows)."""
        return cls(quick=_quick_digest(password))

    @classmethod
    def from_store(cls, stored: PasswordDigest) -> RoomPassword:
        return cls(stored=stored)

    def quick_verdict(self, password: str) -> bool | None:
        """Whether ``password`` is right, if that can be told without scrypt; else None."""
        if self.quick is None:
            return None
        return hmac.compare_digest(_quick_digest(password), self.quick)

    def knowing(self, password: str) -> RoomPassword:
        """This password, after ``password`` was found right against the stored digest."""
        return replace(self, quick=_quick_digest(password))

    def with_stored(self, stored: PasswordDigest) -> RoomPassword:
        return replace(self, stored=stored)
