"""The programme relay between nodes: the relay's datagrams (``klingel.sfu.relay``) sealed for
the network between a town's machines.

A node whose viewers watch a broadcast held by another node receives its programme from the
room's worker there, over UDP, on the workers' media ports (the ports citizens' media already
use, so a town's firewall opens nothing new). Those ports face the internet: every datagram is
encrypted and authenticated with AES-256-GCM under a key derived from the key every node of a
town shares, so that nobody on the way reads or changes a programme, nobody without the key
can put a packet into one, and nobody can play recorded ones back into it.

A sealed datagram is the byte ``RELAY_MAGIC`` (first bytes 192-255 belong to no protocol that
RFC 7983 demultiplexes on a media port), the 12-byte nonce (4 random bytes of the sender and
its 8-byte counter) and the relay's own datagram (its 8-byte header and payload) encrypted,
with GCM's 16-byte tag. The magic byte is authenticated too. A sender's counter starts at its
clock's nanoseconds and grows by one per datagram, so a restarted sender starts above
everything it sent before and no nonce comes twice under the key. The receiver keeps the
highest counter per relay and takes a datagram only within ``REPLAY_WINDOW`` below it and not
seen before within that window.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["RELAY_MAGIC", "REPLAY_WINDOW", "NodeRelaySeal"]

RELAY_MAGIC = 0xE7
REPLAY_WINDOW = 1024
"""Datagrams a relay may arrive out of order by (a keyframe in flight is a few hundred)."""

_MAGIC = bytes((RELAY_MAGIC,))
_COUNTER = struct.Struct("!Q")
_SALT_BYTES = 4
_NONCE_END = 1 + _SALT_BYTES + _COUNTER.size
_TAG_BYTES = 16
_RELAY_ID = struct.Struct("!I")
_RELAY_ID_OFFSET = 4  # in the relay's own header: kind, slot, layer, pad, relay
_MIN_INNER = 8
_WINDOW_MASK = (1 << REPLAY_WINDOW) - 1


class NodeRelaySeal:
    """Seals a worker's relay datagrams for other nodes and opens theirs."""

    __slots__ = ("_aead", "_counter", "_salt", "_seen")

    def __init__(self, key: bytes, clock_ns: Callable[[], int] = time.time_ns) -> None:
        if len(key) < 16:
            raise ValueError("the relay key is too short")
        # The relay's own key: what leaks of it says nothing of the shared one.
        self._aead = AESGCM(hmac.digest(key, b"klingel programme relay aes-gcm", hashlib.sha256))
        self._salt = os.urandom(_SALT_BYTES)
        self._counter = clock_ns()
        # relay -> (highest counter taken, bit i: highest - i was taken)
        self._seen: dict[int, tuple[int, int]] = {}

    def seal(self, datagram: bytes) -> bytes:
        self._counter += 1
        nonce = self._salt + _COUNTER.pack(self._counter)
        return _MAGIC + nonce + self._aead.encrypt(nonce, datagram, _MAGIC)

    def open(self, sealed: bytes) -> bytes | None:
        """The relay datagram inside ``sealed``; None if it is not one of a node with the key,
        or is one already taken or too old."""
        if len(sealed) < _NONCE_END + _MIN_INNER + _TAG_BYTES or sealed[0] != RELAY_MAGIC:
            return None
        nonce = sealed[1:_NONCE_END]
        try:
            inner = self._aead.decrypt(nonce, sealed[_NONCE_END:], _MAGIC)
        except InvalidTag:
            return None
        (counter,) = _COUNTER.unpack_from(nonce, _SALT_BYTES)
        (relay,) = _RELAY_ID.unpack_from(inner, _RELAY_ID_OFFSET)
        if not self._take(relay, counter):
            return None
        return inner

    def forget(self, relay: int) -> None:
        self._seen.pop(relay, None)

    def _take(self, relay: int, counter: int) -> bool:
        highest, bits = self._seen.get(relay, (0, 0))
        if counter > highest:
            shift = counter - highest
            bits = ((bits << shift) | 1) & _WINDOW_MASK if shift < REPLAY_WINDOW else 1
            self._seen[relay] = (counter, bits)
            return True
        behind = highest - counter
        if behind >= REPLAY_WINDOW or bits >> behind & 1:
            return False
        self._seen[relay] = (highest, bits | 1 << behind)
        return True
