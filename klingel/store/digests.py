"""Keyed digests of the secrets a room keeps: host and co-host secrets, ban tokens.

These secrets are long random strings (``secrets``, 192 bits and more), so nobody can guess
one from its digest; a slow hash would only cost time at every join. The digest is keyed
(HMAC-SHA256 with a server key) so that a copy of the store alone cannot even confirm a
secret. The key lives in ``<data dir>/store.key``, apart from the database, made once and
read back on every later start: without it no stored digest matches again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from klingel.store.api import StoreError, StoreErrorCode
from klingel.store.files import ensure_private_directory, os_store_error, write_new_private_file
from klingel.store.records import DIGEST_BYTES

__all__ = ["KEY_BYTES", "KEY_FILE_NAME", "SecretDigester"]

logger = logging.getLogger(__name__)

KEY_BYTES = 32
KEY_FILE_NAME = "store.key"


class SecretDigester:
    """Turns a high-entropy secret into the digest the store keeps, and checks one."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the store key is {KEY_BYTES} bytes")
        self._key = key

    def __repr__(self) -> str:
        return "SecretDigester(<key hidden>)"

    @classmethod
    def open(cls, data_dir: Path) -> SecretDigester:
        """The digester with the key of ``data_dir``, made (mode 0600) on the first start.

        A key file of the wrong size is refused (``store_corrupt``), never replaced: a new key
        would silently end every stored host link and ban.
        """
        ensure_private_directory(data_dir)
        path = data_dir / KEY_FILE_NAME
        if write_new_private_file(path, secrets.token_bytes(KEY_BYTES)):
            logger.info("made a new store key in %s", path)
        try:
            key = path.read_bytes()
        except OSError as error:
            raise os_store_error(error) from error
        if len(key) != KEY_BYTES:
            raise StoreError(
                StoreErrorCode.CORRUPT,
                f"The store key file is {len(key)} bytes, not {KEY_BYTES}: restore it from a"
                " backup (a new key would end every stored host link and ban).",
            )
        return cls(key)

    def digest(self, secret: str) -> bytes:
        """The keyed digest of ``secret`` (HMAC-SHA256, 32 bytes)."""
        return hmac.new(self._key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def matches(self, secret: str, digest: bytes) -> bool:
        """Whether ``secret`` is the one ``digest`` was made from (constant-time compare)."""
        return len(digest) == DIGEST_BYTES and hmac.compare_digest(self.digest(secret), digest)
