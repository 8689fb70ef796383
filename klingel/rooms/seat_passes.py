"""Seat passes: resume tokens of standing rooms that still mean "let in" after a restart.

A resume token brings a dropped socket back within the grace period; the server keeps it in
memory, so a restart of the server forgets every one. In a standing room with its lobby, lock
or password on, everyone who was in the meeting would then be sent to the lobby, turned away by
the lock or asked for the password again, with nobody at the door who could tell them apart
from a stranger. So the resume token of a standing room is a seat pass: a random part, the
unix second it was issued, and a keyed digest of both with the room's id (the store's key,
``SecretDigester``). Nothing about it is stored. After a restart the server checks the digest
and lets the holder in past the lobby, the lock and the password, once, as a guest (a secret
still decides any higher role), if:

- it was issued by an earlier run of the server (before this one started), at most
  ``MAX_AGE_SECONDS`` ago;
- it comes within ``RETURN_WINDOW_SECONDS`` of this run's start: the pages of a meeting cut
  off by the restart come back at once, and nobody else holds a pass;
- no host removed its holder (the room's bans keep the digest of the removed person's last
  token, and a removed page is never given another);
- it was not used since this run started.

With several nodes the same holds for a room that comes to this node from a node that died
or was drained (``arrived``): its passes issued until it came are honoured for the same window
after it came. Every node shares the key, so a pass of one node is checked by another.

A page keeps its token in memory only, so a reload or a closed tab ends the pass.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable

from klingel.ids import RoomId
from klingel.store import SecretDigester

__all__ = ["MAX_AGE_SECONDS", "RETURN_WINDOW_SECONDS", "SeatPasses"]

RETURN_WINDOW_SECONDS = 120
"""How long after a start passes of an earlier run are honoured. Pages try again at least
every 8 s, so the meeting a restart cut off is back well within it."""

MAX_AGE_SECONDS = 24 * 3600
"""A pass older than this was not given in the meeting the restart cut off."""

_RANDOM_BYTES = 24
_MAC_BYTES = 16
_SEPARATOR = "."


class SeatPasses:
    """Makes the seat passes of standing rooms and checks those of an earlier run."""

    __slots__ = ("_arrivals", "_digester", "_spent", "_started_at", "_wall_clock")

    def __init__(
        self, digester: SecretDigester, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._digester = digester
        self._wall_clock = wall_clock
        self._started_at = int(wall_clock())
        # Passes of earlier runs used in this one: each lets in once.
        self._spent: set[str] = set()
        # Rooms that came to this node from another one (lost or drained), and when.
        self._arrivals: dict[RoomId, int] = {}

    def arrived(self, room_id: RoomId, at: int) -> None:
        """``room_id`` came here at unix second ``at`` from a node that was lost or drained:
        its passes issued until then are honoured as after a restart, for the same window."""
        now = int(self._wall_clock())
        for room, then in list(self._arrivals.items()):
            if now - then > RETURN_WINDOW_SECONDS:
                del self._arrivals[room]
        if now - at <= RETURN_WINDOW_SECONDS:
            self._arrivals[room_id] = max(at, self._arrivals.get(room_id, 0))

    def issue(self, room_id: RoomId) -> str:
        """A new seat pass for someone let into ``room_id`` (also their resume token)."""
        random_part = base64.urlsafe_b64encode(secrets.token_bytes(_RANDOM_BYTES)).decode()
        issued = f"{int(self._wall_clock()):x}"
        return _SEPARATOR.join((random_part, issued, self._mac(room_id, random_part, issued)))

    def from_before_restart(self, room_id: RoomId, token: str | None) -> bool:
        """Whether ``token`` is an unspent pass of ``room_id`` that an earlier run issued and
        that is still honoured now. Bans are the caller's to check."""
        if not token or token in self._spent:
            return False
        now = int(self._wall_clock())
        arrival = self._arrivals.get(room_id)
        if now - self._started_at > RETURN_WINDOW_SECONDS and (
            arrival is None or now - arrival > RETURN_WINDOW_SECONDS
        ):
            return False
        parts = token.split(_SEPARATOR)
        if len(parts) != 3:
            return False
        random_part, issued, mac = parts
        if not mac.isascii():
            return False
        try:
            issued_at = int(issued, 16)
        except ValueError:
            return False
        restart = now - self._started_at <= RETURN_WINDOW_SECONDS and issued_at < self._started_at
        moved = arrival is not None and issued_at <= arrival
        if issued_at < now - MAX_AGE_SECONDS or not (restart or moved):
            return False
        return hmac.compare_digest(mac, self._mac(room_id, random_part, issued))

    def spend(self, token: str) -> None:
        """The pass let its holder in: never again in this run."""
        self._spent.add(token)

    def _mac(self, room_id: RoomId, random_part: str, issued: str) -> str:
        digest = self._digester.digest(f"seat pass|{room_id}|{random_part}|{issued}")
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")
