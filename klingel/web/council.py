"""The council mode in the hub (docs/council.md): members join by their personal links, the
chair leads the session with ``council`` commands, and what the session decides takes effect
in the room: who counts (from their media), who is held outside (biased members; guests in a
non-public part), the room's lock and the public broadcast.

Every change ends in ``_settle``: hold and let back whoever the session says, lock or unlock,
withhold or resume the broadcast, then tell the room (``council_state``) and the viewers
(``council_public``) in one frame each. Refusals are the domain's stable codes as protocol
errors; a refused command changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from klingel.protocol.council import CouncilCommand, CouncilHeld, CouncilPublic
from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.session import CouncilSession
from klingel.rooms.council_bodies import MemberEntry
from klingel.rooms.council_room import CouncilRoom
from klingel.rooms.council_view import council_public, council_state
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room
from klingel.rooms.standing import StandingRooms
from klingel.store import StoreError
from klingel.web.council_minutes import keep_minutes

if TYPE_CHECKING:
    from klingel.web.hub import Seat, SignalingHub

__all__ = ["CouncilMode"]

logger = logging.getLogger(__name__)

_CHAIR_ACTIONS = frozenset(
    {
        "open", "close", "pause", "resume", "item", "floor", "end_floor", "vote",
        "close_vote", "hall_counts", "by_post", "bias", "hall",
    }
)  # fmt: skip
_PROTOCOL_CODES = frozenset(code.value for code in ErrorCode)
_T = TypeVar("_T")


def _refusal(error: CouncilError) -> ProtocolError | UserError:
    """The domain's code as the protocol's; what only broken input causes is bad_message."""
    if error.code in _PROTOCOL_CODES and error.code not in {"bad_json", "too_large"}:
        return UserError(ErrorCode(error.code), error.message)
    return ProtocolError(ErrorCode.BAD_MESSAGE, error.message)


def _needs(value: _T | None, what: str) -> _T:
    if value is None:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"This action needs {what}.")
    return value


class CouncilMode:
    def __init__(
        self,
        hub: SignalingHub,
        standing: StandingRooms,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._hub = hub
        self._standing = standing
        self._wall_clock = wall_clock
        self._pending: set[Room] = set()

    # --- joining and leaving ------------------------------------------------------------

    async def member_entry(self, room: Room, secret: str) -> MemberEntry:
        """Whom a personal link names, for this room; ``not_member`` otherwise."""
        try:
            entry = await self._standing.councils.member_of(secret)
        except StoreError:
            raise UserError(ErrorCode.STORE_UNAVAILABLE, "Try again in a moment.") from None
        except CouncilError:
            entry = None
        if entry is None or entry.body.id != room.id:
            raise UserError(
                ErrorCode.MEMBER_LINK_INVALID,
                "This personal link is not valid (any more): ask the clerk.",
            )
        return entry

    def member_joined(self, room: Room, participant: Participant, entry: MemberEntry) -> None:
        """A member entered by their link: the room is a council room from now on."""
        council = room.council
        if council is None:
            council = room.council = CouncilRoom(entry.document)
        participant.council_member = entry.member.id
        council.members[entry.member.id] = participant.id

    def seated(self, room: Room, participant: Participant) -> None:
        """Someone (new or resumed) got ``joined``: they count if the session runs, and they
        see its state."""
        council = room.council
        if council is None:
            return
        member = council.member_of(participant)
        session = council.session
        if member is not None and session is not None and session.phase != "closed":
            self._attend(session, participant, member)
        reason = council.held.get(participant.id)
        if reason is not None:
            # A resumed socket of someone held outside: its page must know it still waits.
            self._hub.send_to_one(
                participant, CouncilHeld(held=True, reason=reason, item=_current(council))
            )
        self._settle_soon(room)

    def roles_changed(self, room: Room) -> None:
        """A host gave a role: a deputy may lead now, a guest made co-host may stay in a
        non-public part."""
        if room.council is not None:
            self._settle_soon(room)

    def left(self, room: Room, participant: Participant) -> None:
        council = room.council
        if council is None:
            return
        council.held.pop(participant.id, None)
        member = council.member_of(participant)
        if member is None:
            self._settle_soon(room)
            return
        del council.members[member]
        session = council.session
        if session is not None and session.phase != "closed":
            session.leave(member, self._wall_clock())
        self._settle_soon(room)

    def line_lost(self, room: Room, participant: Participant) -> None:
        """A member's socket dropped (it may still resume): the fault is logged."""
        council = room.council
        member = None if council is None else council.member_of(participant)
        if council is None or member is None:
            return
        running = council.running
        if running is not None:
            running.record_fault("member", self._wall_clock(), member, "connection lost")
        self._settle_soon(room)

    def server_fault(self, room: Room, detail: str) -> None:
        council = room.council
        running = None if council is None else council.running
        if running is not None:
            running.record_fault("server", self._wall_clock(), detail=detail)
            self._settle_soon(room)

    def media_changed(self, room: Room, participant: Participant) -> None:
        council = room.council
        member = None if council is None else council.member_of(participant)
        if council is None or member is None or council.session is None:
            return
        session = council.session
        if session.phase == "closed":
            return
        presence = session.attendance.presence(member)
        if presence is not None and presence.left_at is None and presence.place == "hall":
            return  # in the hall, the chair's word counts, not a device's camera
        camera, microphone = _media_of(participant)
        if presence is None or presence.left_at is not None:
            self._attend(session, participant, member)
        else:
            session.set_media(member, camera, microphone, self._wall_clock())
        self._settle_soon(room)

    def _attend(self, session: CouncilSession, participant: Participant, member: MemberId) -> None:
        presence = session.attendance.presence(member)
        if presence is not None and presence.left_at is None and presence.place == "hall":
            return
        camera, microphone = _media_of(participant)
        session.join(member, "remote", self._wall_clock(), camera=camera, microphone=microphone)

    def is_held(self, room: Room, participant: Participant) -> bool:
        return room.council is not None and participant.id in room.council.held

    def inside(self, room: Room) -> list[Participant]:
        """Everyone in the room who is not held outside an item: who hears the room's talk."""
        return [person for person in room if not self.is_held(room, person)]

    def refuse_if_held(self, room: Room, participant: Participant) -> None:
        if self.is_held(room, participant):
            raise UserError(ErrorCode.HELD, "You wait outside while this item is dealt with.")

    # --- commands -----------------------------------------------------------------------

    async def command(self, seat: Seat, message: CouncilCommand) -> None:
        room, participant = seat.room, seat.participant
        council = room.council
        if council is None:
            raise UserError(ErrorCode.NO_COUNCIL, "No council or committee meets in this room.")
        member = council.member_of(participant)
        if member is None:
            raise UserError(ErrorCode.NOT_MEMBER, "Only members of the body do this.")
        if message.action in _CHAIR_ACTIONS and not council.may_lead(participant):
            raise UserError(ErrorCode.NOT_CHAIR, "Only the chair does this.")
        self.refuse_if_held(room, participant)
        try:
            await self._carry_out(room, council, participant, member, message)
        except CouncilError as error:
            raise _refusal(error) from None
        await self._settle(room)

    async def _carry_out(
        self,
        room: Room,
        council: CouncilRoom,
        participant: Participant,
        member: MemberId,
        message: CouncilCommand,
    ) -> None:
        now = self._wall_clock()
        if message.action == "open":
            self._open(room, council, _needs(message.session, "session"), now)
            return
        session = council.session
        if session is None:
            raise UserError(ErrorCode.SESSION_NOT_OPEN, "Open a session first.")
        match message.action:
            case "close":
                session.close(now)
                council.keep_closed()
                self._keep_minutes(council)
            case "pause":
                session.pause(message.reason or "Unterbrechung", now)
            case "resume":
                session.resume(now)
            case "item":
                session.move_to_item(_needs(message.item, "item"), now)
            case "floor":
                session.give_floor(
                    now,
                    None if message.member is None else MemberId(message.member),
                    None if message.limit is None else float(message.limit),
                )
            case "end_floor":
                session.finish_speaking(now)
            case "vote":
                session.open_vote(_needs(message.motion, "motion"), message.kind or "open", now)
            case "close_vote":
                session.close_vote(now)
            case "hall_counts":
                session.set_hall_counts(
                    _needs(message.yes, "yes"),
                    _needs(message.no, "no"),
                    _needs(message.abstain, "abstain"),
                    now,
                )
            case "by_post":
                session.hold_by_post(_needs(message.motion, "motion"), now)
            case "bias":
                target = MemberId(_needs(message.member, "member"))
                item = _needs(message.item, "item")
                if _needs(message.on, "on"):
                    session.mark_biased(target, item, now)
                else:
                    session.lift_bias(target, item, now)
            case "hall":
                self._hall(
                    room,
                    council,
                    session,
                    MemberId(_needs(message.member, "member")),
                    _needs(message.on, "on"),
                    now,
                )
            case "hand":
                session.raise_hand(member, now, point_of_order=bool(message.point_of_order))
            case "withdraw":
                session.withdraw(member)
            case "ballot":
                voter = member
                if message.member is not None:
                    voter = self._hall_voter(council, session, participant, message.member)
                session.cast(voter, _needs(message.choice, "choice"), now)

    def _open(self, room: Room, council: CouncilRoom, session_id: str, now: float) -> None:
        if council.running is not None:
            raise UserError(ErrorCode.NOT_ALLOWED, "A session is open already: close it first.")
        prepared = council.document.session(session_id)
        session = CouncilSession(council.document.body, prepared.agenda())
        for person in room:
            member = council.member_of(person)
            if member is not None:
                camera, microphone = _media_of(person)
                session.join(member, "remote", now, camera=camera, microphone=microphone)
        session.open(now)
        council.prepared = prepared
        council.session = session

    def _keep_minutes(self, council: CouncilRoom) -> None:
        """The closed session's minutes go to the store in a task of their own."""
        prepared, session = council.prepared, council.session
        if prepared is None or session is None:
            return
        kept = keep_minutes(self._standing.councils, prepared, session)
        self._hub.keep_task(asyncio.get_running_loop().create_task(kept))

    def _hall_voter(
        self,
        council: CouncilRoom,
        session: CouncilSession,
        participant: Participant,
        voter: str,
    ) -> MemberId:
        """In a roll call the chair records, by name, how a member in the hall voted; a
        remote member votes on their own screen."""
        if not council.may_lead(participant):
            raise UserError(ErrorCode.NOT_CHAIR, "Only the chair records votes from the hall.")
        presence = session.attendance.presence(MemberId(voter))
        if presence is None or presence.left_at is not None or presence.place != "hall":
            raise UserError(ErrorCode.NOT_ALLOWED, "Members outside the hall vote themselves.")
        return MemberId(voter)

    def _hall(
        self,
        room: Room,
        council: CouncilRoom,
        session: CouncilSession,
        member: MemberId,
        present: bool,
        now: float,
    ) -> None:
        """The chair says a member is in the hall (or left it); a member who is also
        connected counts by their media again once they left the hall."""
        if present:
            session.join(member, "hall", now)
            return
        session.leave(member, now)
        participant_id = council.members.get(member)
        participant = None if participant_id is None else room.get(participant_id)
        if participant is not None:
            self._attend(session, participant, member)

    # --- effects ------------------------------------------------------------------------

    def _settle_soon(self, room: Room) -> None:
        """Settle once for whatever happened in this turn of the event loop (a join that
        publishes and switches media on, or many members leaving at once)."""
        if room in self._pending:
            return
        self._pending.add(room)
        task = asyncio.get_running_loop().create_task(self._settle_logged(room))
        self._hub.keep_task(task)

    async def _settle_logged(self, room: Room) -> None:
        self._pending.discard(room)
        try:
            await self._settle(room)
        except Exception as error:  # a join or leave must never fail for it
            logger.warning("A council room could not settle: %s", type(error).__name__)
            logger.debug("council settle failure", exc_info=True)

    async def _settle(self, room: Room) -> None:
        council = room.council
        if council is None or self._hub.registry.get(room.id) is not room:
            return
        wanted = council.who_is_held(room)
        for participant_id in [p for p in council.held if p not in wanted]:
            del council.held[participant_id]
            person = room.get(participant_id)
            if person is not None:
                self._hub.send_to_one(person, CouncilHeld(held=False))
        running = council.running
        item = (
            None
            if running is None or running.agenda.current is None
            else running.agenda.current.number
        )
        for participant_id, reason in wanted.items():
            if participant_id in council.held:
                continue
            person = room.get(participant_id)
            if person is None:
                continue
            council.held[participant_id] = reason
            self._hub.send_to_one(person, CouncilHeld(held=True, reason=reason, item=item))
            await self._hub.close_participant_media(room, person)
        self._lock_for_privacy(room, council)
        broadcast = room.broadcast
        if broadcast is not None and broadcast.withhold(not council.public_allowed):
            self._hub.broadcasting.live_changed(room)
        self._follow_the_floor(room, council)
        self._tell(room, council)

    def _follow_the_floor(self, room: Room, council: CouncilRoom) -> None:
        """The broadcast shows who has the floor, else the chair; it moves only when the floor
        does, so that a host's own choice of whom to show stands until then."""
        broadcast = room.broadcast
        floor = council.floor()
        if broadcast is None or floor == council.staged:
            return
        council.staged = floor
        shown = council.on_stage(room)
        if shown is not None and not broadcast.is_shown(shown):
            shown = None
        if broadcast.pinned != shown:
            broadcast.pin(shown)
            self._hub.broadcasting.tell(room)

    def _lock_for_privacy(self, room: Room, council: CouncilRoom) -> None:
        """A non-public part locks the room to newcomers (members still come in by their
        links); the lock as it was comes back after it."""
        if not council.public_allowed and council.lock_before is None:
            council.lock_before = room.settings.locked
            if not room.settings.locked:
                room.settings = room.settings.changed(locked=True)
                self._hub.room_changed(room)
        elif council.public_allowed and council.lock_before is not None:
            locked, council.lock_before = council.lock_before, None
            if room.settings.locked != locked:
                room.settings = room.settings.changed(locked=locked)
                self._hub.room_changed(room)

    def _tell(self, room: Room, council: CouncilRoom) -> None:
        now = self._wall_clock()
        connected = self._hub.connected_ids(room)
        state = council_state(council, connected, now)
        self._hub.send_to([p for p in room if p.id not in council.held], state)
        self._tell_viewers(room, council_public(council, now))

    def _tell_viewers(self, room: Room, public: CouncilPublic) -> None:
        self._hub.broadcasting.notice(room, public)


def _current(council: CouncilRoom) -> str | None:
    """The number of the item now under way, if a session runs."""
    running = council.running
    current = None if running is None else running.agenda.current
    return None if current is None else current.number


def _media_of(participant: Participant) -> tuple[bool, bool]:
    """Camera: published and switched on (the law asks for picture and sound); microphone:
    published, muted or not (a member listens muted until given the floor)."""
    camera = participant.video and "camera" in participant.streams
    microphone = "microphone" in participant.streams
    return camera, microphone
