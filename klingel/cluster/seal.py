"""The seal on a signaling socket one node passes on to the node that holds the room.

The node that holds the room must apply its limits per client address to the citizen's
address, not to the passing node's, and no client may claim an address of its choice. The
passing node therefore names the address in ``X-Klingel-Forwarded`` with the unix second and
a keyed digest of both, made with the key every node of a town already shares (the key of the
store's digests, ``klingel.store.SecretDigester``). A seal is good for ``SEAL_SECONDS``; one
without a valid digest is refused.
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable

from klingel.store import SecretDigester

__all__ = ["FORWARDED_HEADER", "SEAL_SECONDS", "ForwardingSeal"]

FORWARDED_HEADER = "x-klingel-forwarded"
SEAL_SECONDS = 30
_MAX_ADDRESS = 64


class ForwardingSeal:
    """Seals a client address for another node, and opens the seals of other nodes."""

    __slots__ = ("_digester", "_wall_clock")

    def __init__(
        self, digester: SecretDigester, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._digester = digester
        self._wall_clock = wall_clock

    def seal(self, address: str) -> str:
        issued = str(int(self._wall_clock()))
        return f"{address};{issued};{self._mac(address, issued)}"

    def open(self, header: str) -> str | None:
        """The client address a valid, fresh seal names; None otherwise."""
        parts = header.split(";")
        if len(parts) != 3 or len(parts[0]) > _MAX_ADDRESS or not parts[2].isascii():
            return None
        address, issued, mac = parts
        if not issued.isdigit() or len(issued) > 12:
            return None
        if abs(self._wall_clock() - int(issued)) > SEAL_SECONDS:
            return None
        if not hmac.compare_digest(mac, self._mac(address, issued)):
            return None
        return address

    def viewer_key_digest(self, key: str) -> str:
        """What the directory of nodes keeps of a viewer key: a keyed digest, never the key."""
        return self._digester.digest(f"viewer key|{key}")[:16].hex()

    def _mac(self, address: str, issued: str) -> str:
        digest = self._digester.digest(f"forwarded|{address}|{issued}")
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
