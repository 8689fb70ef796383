"""A secret another node may need after this one is gone, kept in the shared Redis sealed.

A public broadcast's viewer key lives in the memory of the node that holds its room. So that
the broadcast's link still works when that node dies and the room comes back on another node,
the holder keeps the key in Redis (``air:<room>``, ``klingel.cluster.directory``) while the
broadcast is on, encrypted and authenticated (AES-256-GCM) under a key derived from the key
every node of a town shares (``store.key``), and bound to its room: Redis alone, or a copy of
it, reveals no viewer key, and an entry copied to another room's name does not open.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from klingel.ids import RoomId
from klingel.store import SecretDigester

__all__ = ["SecretsAtRest"]

_NONCE_BYTES = 12
_MAX_SEALED = 512
_SEALED = re.compile(r"[A-Za-z0-9_-]+=*")


class SecretsAtRest:
    __slots__ = ("_aead",)

    def __init__(self, digester: SecretDigester) -> None:
        self._aead = AESGCM(digester.digest("secrets at rest|aes-256-gcm"))

    def seal(self, secret: str, room: RoomId) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), _binding(room))
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, room: RoomId) -> str | None:
        """The secret sealed for ``room``; None for anything else."""
        if len(sealed) > _MAX_SEALED or not _SEALED.fullmatch(sealed):
            return None
        try:
            data = base64.urlsafe_b64decode(sealed.encode())
            plain = self._aead.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], _binding(room))
            return plain.decode()
        except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
            return None


def _binding(room: RoomId) -> bytes:
    return f"viewer key|{room}".encode()
