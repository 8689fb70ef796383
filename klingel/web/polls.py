"""Polls in the hub (docs/protocol.md, Polls): hosts and co-hosts start, close and remove a
room's poll, participants vote, and everyone in the room gets the poll as they may see it.

The voter is always the socket's participant. A vote answers its voter at once; the rest of
the room hears of votes at most every ``UPDATE_INTERVAL`` seconds (``UpdatePacer``), so a room
of 50 voting at once is not flooded. A host's own command is told to everyone at once.
Polls are no council vote: a room where a council meets refuses them (``poll_in_council``),
and a poll still shown when a council member joins is taken away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.protocol.polls import (
    PollClose,
    PollCommand,
    PollRemove,
    PollRemoved,
    PollStart,
    PollVote,
)
from klingel.rooms.participant import Participant
from klingel.rooms.polls import Poll, UpdatePacer, parse_poll
from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit
from klingel.rooms.room import Room

if TYPE_CHECKING:
    from klingel.web.hub import Seat, SignalingHub

__all__ = ["UPDATE_INTERVAL", "VOTE_LIMIT", "RoomPolls"]

logger = logging.getLogger(__name__)

VOTE_LIMIT = RateLimit(rate=2.0, burst=6.0)
"""Votes per participant: changing one's mind a few times is fine, a stream of votes is not."""
UPDATE_INTERVAL = 0.5
"""Seconds between two room-wide updates while votes come in."""

Schedule = Callable[[float, Callable[[], None]], None]


def _call_later(delay: float, callback: Callable[[], None]) -> None:
    asyncio.get_running_loop().call_later(delay, callback)


class RoomPolls:
    def __init__(
        self,
        hub: SignalingHub,
        clock: Callable[[], float],
        schedule: Schedule = _call_later,
    ) -> None:
        self._hub = hub
        self._clock = clock
        self._schedule = schedule
        self._votes = KeyedRateLimiter(VOTE_LIMIT)

    async def handle(self, seat: Seat, message: PollCommand) -> None:
        room, participant = seat.room, seat.participant
        if isinstance(message, PollVote):
            self._vote(room, participant, message)
            return
        if not participant.is_moderator:
            raise UserError(ErrorCode.NOT_HOST, "Only hosts and co-hosts run polls.")
        match message:
            case PollStart():
                self._start(room, message)
            case PollClose(id=poll_id):
                poll = self._current(room, poll_id)
                if poll.is_open:
                    poll.close()
                    logger.info("A poll closed with %d voters", poll.voters)
                self.send_all(room, poll)
            case PollRemove(id=poll_id):
                poll = self._current(room, poll_id)
                room.poll = None
                self._hub.send_to(room, PollRemoved(poll.id))

    # --- what the room hears ------------------------------------------------------------------

    def seated(self, room: Room, participant: Participant) -> None:
        """Right after someone's ``joined`` (also a resume): the poll as they see it. A council
        member's arrival makes the room a council room: a poll still there goes."""
        poll = room.poll
        if poll is None:
            return
        if room.council is not None:
            room.poll = None
            self._hub.send_to(room, PollRemoved(poll.id))
            return
        self._hub.send_to_one(participant, poll.view(participant.id, participant.is_moderator))

    def left(self, room: Room, participant: Participant) -> None:
        """Someone left the room: a vote of theirs in the open poll no longer counts."""
        poll = room.poll
        if poll is not None and poll.withdraw(participant.id):
            self._update(room, poll)

    def role_changed(self, room: Room, participant: Participant) -> None:
        """A new role may show more (or less) of the poll to its holder."""
        poll = room.poll
        if poll is not None and room.get(participant.id) is participant:
            self._hub.send_to_one(participant, poll.view(participant.id, participant.is_moderator))

    def send_all(self, room: Room, poll: Poll) -> None:
        """Everyone in the room gets the poll as they may see it (one frame each: each sees
        their own choice)."""
        poll.pacer.sent(self._clock())
        for person in room:
            self._hub.send_to_one(person, poll.view(person.id, person.is_moderator))

    # --- commands -----------------------------------------------------------------------------

    def _start(self, room: Room, message: PollStart) -> None:
        if room.council is not None:
            raise UserError(
                ErrorCode.POLL_IN_COUNCIL, "A council meets here: its votes are not polls."
            )
        setup = parse_poll(message)
        if room.poll is not None and room.poll.is_open:
            raise UserError(ErrorCode.POLL_RUNNING, "Close the open poll first.")
        poll = Poll(setup, UpdatePacer(UPDATE_INTERVAL))
        room.poll = poll
        logger.info("A poll started with %d options", len(poll.setup.options))
        self.send_all(room, poll)

    def _vote(self, room: Room, participant: Participant, message: PollVote) -> None:
        if room.council is not None:
            raise UserError(ErrorCode.POLL_IN_COUNCIL, "A council meets here.")
        poll = self._current(room, message.id)
        if not self._votes.take(participant.id, self._clock()):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "Too many votes.")
        poll.vote(participant.id, participant.name, message.choices)
        if not self._update(room, poll):
            # The voter sees their choice taken at once; the room hears of it with the next
            # update.
            self._hub.send_to_one(participant, poll.view(participant.id, participant.is_moderator))

    def _update(self, room: Room, poll: Poll) -> bool:
        """The counts changed: the room hears of it now if the last update is long enough
        ago, else with the next one. True if it was told now."""
        delay = poll.pacer.request(self._clock())
        if delay is not None and delay <= 0:
            self.send_all(room, poll)
            return True
        if delay is not None:
            self._schedule(delay, lambda: self._flush(room, poll))
        return False

    def _flush(self, room: Room, poll: Poll) -> None:
        if room.poll is poll and poll.pacer.pending:
            self.send_all(room, poll)

    @staticmethod
    def _current(room: Room, poll_id: str) -> Poll:
        poll = room.poll
        if poll is None or poll.id != poll_id:
            raise UserError(ErrorCode.NO_POLL, "This poll is no longer there.")
        return poll
