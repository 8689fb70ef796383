"""Room passwords as slow salted hashes (scrypt, RFC 7914).

People choose passwords, so they are guessable: a keyed digest would let whoever holds the
store and its key try a dictionary fast. scrypt makes each try cost time and memory. The
parameters travel with every digest, in the PHC string format
(``$scrypt$ln=14,r=8,p=1$<salt>$<hash>``), so they can be raised later and old digests still
verify.

One hash takes some 50 ms of one core: the caller runs it off the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

__all__ = [
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "PasswordDigest",
    "hash_password",
]

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32

# Bounds on what a stored digest may ask for, so that a damaged or hostile store cannot make
# one check allocate gigabytes or run for minutes.
_MAX_MEMORY = 256 * 2**20
_MAX_P = 16
_DIGEST_BYTES_RANGE = range(16, 65)
_PHC = re.compile(
    r"\$scrypt\$ln=(?P<ln>[0-9]{1,2}),r=(?P<r>[0-9]{1,3}),p=(?P<p>[0-9]{1,2})"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)"
)


@dataclass(frozen=True, slots=True)
class PasswordDigest:
    """A salted scrypt hash of a password and the parameters it was made with."""

    salt: bytes = field(repr=False)
    hashed: bytes = field(repr=False)
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt n must be a power of two")
        too_much = _memory(self.n, self.r, self.p) > _MAX_MEMORY
        if self.r < 1 or not 1 <= self.p <= _MAX_P or too_much:
            raise ValueError("scrypt parameters out of bounds")
        if len(self.salt) not in _DIGEST_BYTES_RANGE or len(self.hashed) not in _DIGEST_BYTES_RANGE:
            raise ValueError("scrypt salt or hash of the wrong length")

    def matches(self, password: str) -> bool:
        """Whether ``password`` is the one this digest was made from (constant-time compare)."""
        candidate = _scrypt(password, self.salt, self.n, self.r, self.p, len(self.hashed))
        return hmac.compare_digest(candidate, self.hashed)

    @property
    def uses_current_parameters(self) -> bool:
        """False for a digest made with other parameters: hash the password anew on its next
        successful check."""
        return (self.n, self.r, self.p) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)

    def encode(self) -> str:
        """The PHC string, as the store keeps it."""
        return (
            f"$scrypt$ln={self.n.bit_length() - 1},r={self.r},p={self.p}"
            f"${_b64encode(self.salt)}${_b64encode(self.hashed)}"
        )

    @classmethod
    def decode(cls, text: str) -> PasswordDigest:
        """Read a PHC string written by ``encode``; ValueError if it is not one."""
        match = _PHC.fullmatch(text)
        if match is None:
            raise ValueError("not a scrypt password digest")
        return cls(
            salt=_b64decode(match["salt"]),
            hashed=_b64decode(match["hash"]),
            n=2 ** int(match["ln"]),
            r=int(match["r"]),
            p=int(match["p"]),
        )


def hash_password(password: str) -> PasswordDigest:
    """A fresh digest of ``password`` with a random salt and the current parameters."""
    salt = secrets.token_bytes(SALT_BYTES)
    hashed = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return PasswordDigest(salt=salt, hashed=hashed)


def _memory(n: int, r: int, p: int) -> int:
    """The bytes scrypt needs (as OpenSSL counts them for ``maxmem``)."""
    return 128 * r * (n + p + 2)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_memory(n, r, p),
        dklen=length,
    )


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError as error:
        raise ValueError("bad base64 in a password digest") from error
