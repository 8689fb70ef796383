"""The seal on a signaling socket one node passes on to the node that holds the room.

The node that holds the room must apply its limits per client address to the citizen's
address, not to the passing node's, and no client may claim an address of its choice. The
passing node therefore names the address in ``X-Klingel-Forwarded``, with its own name (a
viewer's programme is served by the node the viewer came through), the unix second and a keyed
digest of all three, made with the key every node of a town already shares (the key of the
store's digests, ``klingel.store.SecretDigester``). A seal is good for ``SEAL_SECONDS``; one
without a valid digest is refused. The digest also covers what the seal is for, so that the
seal of a node's programme link (``klingel.web.programme_relay``) opens no signaling socket.
"""

from __future__ import annotations

import base64
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from klingel.store import SecretDigester

__all__ = ["FORWARDED_HEADER", "SEAL_SECONDS", "ForwardingSeal", "Sealed"]

FORWARDED_HEADER = "x-klingel-forwarded"
SEAL_SECONDS = 30
_MAX_ADDRESS = 64
_NODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}|")
SOCKET = "forwarded"
PROGRAMME_LINK = "programme link"


@dataclass(frozen=True, slots=True)
class Sealed:
    """What a valid seal says: the citizen's address, and the node that passed it on."""

    address: str
    node: str


class ForwardingSeal:
    """Seals a client address for another node, and opens the seals of other nodes."""

    __slots__ = ("_digester", "_wall_clock")

    def __init__(
        self, digester: SecretDigester, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._digester = digester
        self._wall_clock = wall_clock

    def seal(self, address: str, node: str, purpose: str = SOCKET) -> str:
        issued = str(int(self._wall_clock()))
        return f"{address};{node};{issued};{self._mac(purpose, address, node, issued)}"

    def open(self, header: str, purpose: str = SOCKET) -> Sealed | None:
        """What a valid, fresh seal for ``purpose`` names; None otherwise."""
        parts = header.split(";")
        if len(parts) != 4 or len(parts[0]) > _MAX_ADDRESS or not parts[3].isascii():
            return None
        address, node, issued, mac = parts
        if not issued.isdigit() or len(issued) > 12 or not _NODE.fullmatch(node):
            return None
        if abs(self._wall_clock() - int(issued)) > SEAL_SECONDS:
            return None
        if not hmac.compare_digest(mac, self._mac(purpose, address, node, issued)):
            return None
        return Sealed(address, node)

    def viewer_key_digest(self, key: str) -> str:
        """What the directory of nodes keeps of a viewer key: a keyed digest, never the key."""
        return self._digester.digest(f"viewer key|{key}")[:16].hex()

    def node_relay_key(self) -> bytes:
        """The key of the programme relay between nodes' workers (``klingel.sfu.node_relay``)."""
        return self._digester.digest("programme relay between nodes")

    def _mac(self, purpose: str, address: str, node: str, issued: str) -> str:
        digest = self._digester.digest(f"{purpose}|{address}|{node}|{issued}")
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
