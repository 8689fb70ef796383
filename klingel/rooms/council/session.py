"""A council or committee session held by video or hybrid: the body, the agenda, attendance,
the speaker list, bias marks, votes, pauses, faults, and the event log the minutes come from.

The rules it enforces: no vote without quorum, while paused or without a current item (BW
GemO § 37 (2), NRW GO § 49); quorum changes are logged once each and alert the chair; a
non-public item stops the public output and sends guests away (NRW DigiSiVO § 3 (3)); a
member biased for the current item is held outside (BW GemO § 18), and the quorum counts
only who is inside. Who may act, and whether a speaker is connected, is the hub's concern: it
calls the chair's methods only for the chair.

Not modelled: the special quorum rules when many members are biased (BW GemO § 37 (2)
sentence 2 and (3)), deputies, and caps on remote members (BayGO Art. 47a).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from klingel.rooms.council import events as ev
from klingel.rooms.council.agenda import Agenda, AgendaItem
from klingel.rooms.council.attendance import Attendance, Place, Status
from klingel.rooms.council.bias import BiasMarks
from klingel.rooms.council.errors import CouncilCode, CouncilError, refuse_beyond
from klingel.rooms.council.roster import Body, MemberId
from klingel.rooms.council.speakers import Request, SpeakerList, Turn
from klingel.rooms.council.text import clean_text
from klingel.rooms.council.votes import Choice, Counts, Motion, Vote, VoteKind, VoteResult, by_post

__all__ = ["MAX_VOTES", "CouncilSession", "Effects", "Phase", "SessionState"]

MAX_VOTES = 500
MAX_REASON_LENGTH = 200

Phase = Literal["prepared", "open", "closed"]


@dataclass(frozen=True, slots=True)
class Effects:
    """What the hub must act on: stop or resume the public output (and send guests away
    when it stops), and whom to hold in the waiting room."""

    public_allowed: bool
    public_changed: bool
    held_outside: frozenset[MemberId]


@dataclass(frozen=True, slots=True)
class SessionState:
    """What the screens show now."""

    phase: Phase
    paused: str | None
    item: AgendaItem | None
    item_seconds: float
    public_allowed: bool
    held_outside: frozenset[MemberId]
    quorum: ev.QuorumSnapshot
    chair_alert: bool
    attendance: tuple[tuple[MemberId, Status, Place | None], ...]
    speaker: MemberId | None
    speaking_time_left: float | None
    waiting: tuple[Request, ...]
    vote_id: str | None
    ballots: tuple[tuple[MemberId, Choice], ...]


class CouncilSession:
    __slots__ = (
        "_bias",
        "_log",
        "_paused",
        "_phase",
        "_quorate",
        "_results",
        "_vote",
        "agenda",
        "attendance",
        "body",
        "speakers",
    )

    def __init__(self, body: Body, agenda: Agenda) -> None:
        self.body = body
        self.agenda = agenda
        self.attendance = Attendance(member.id for member in body.members)
        self.speakers = SpeakerList(member.id for member in body.members)
        self._bias = BiasMarks()
        self._log = ev.EventLog()
        self._phase: Phase = "prepared"
        self._paused: str | None = None
        self._quorate = False
        self._vote: Vote | None = None
        self._results: list[VoteResult] = []

    # --- state --------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def paused(self) -> str | None:
        """The reason of the pause, None while not paused."""
        return self._paused

    @property
    def events(self) -> tuple[ev.Event, ...]:
        return self._log.entries

    @property
    def faults(self) -> tuple[ev.FaultRecorded, ...]:
        return tuple(event for event in self._log.entries if isinstance(event, ev.FaultRecorded))

    @property
    def held_outside(self) -> frozenset[MemberId]:
        """Members biased for the current item: the hub keeps them in the waiting room."""
        current = self.agenda.current
        return self._bias.biased(None if current is None else current.number)

    def effects(self, public_changed: bool = False) -> Effects:
        return Effects(self.agenda.public, public_changed, self.held_outside)

    def quorum(self) -> ev.QuorumSnapshot:
        """Counted members minus those held outside, against the quorum of the legal size."""
        counted = set(self.attendance.counted()) - self.held_outside
        return ev.QuorumSnapshot(len(counted), self.body.quorum, self.body.legal_size)

    @property
    def chair_alert(self) -> bool:
        """The session is open and the body is not quorate: the chair must be told."""
        return self._phase == "open" and not self._quorate

    @property
    def vote(self) -> Vote | None:
        return self._vote

    @property
    def results(self) -> tuple[VoteResult, ...]:
        return tuple(self._results)

    def snapshot(self, now: float) -> SessionState:
        turn = self.speakers.current
        attendance = tuple(
            (member.id, self.attendance.status(member.id), _place(self.attendance, member.id))
            for member in self.body.members
        )
        return SessionState(
            self._phase,
            self._paused,
            self.agenda.current,
            self.agenda.elapsed(now),
            self.agenda.public,
            self.held_outside,
            self.quorum(),
            self.chair_alert,
            attendance,
            None if turn is None else turn.member,
            None if turn is None else turn.remaining(now),
            self.speakers.waiting,
            None if self._vote is None else self._vote.id,
            () if self._vote is None else self._vote.ballots,
        )

    # --- opening, pausing, closing ------------------------------------------------------

    def open(self, now: float) -> ev.QuorumSnapshot:
        """Opens the session and states the quorum (Feststellung der Beschlussfähigkeit)."""
        self._require_not_closed()
        if self._phase != "prepared":
            raise CouncilError(CouncilCode.BAD_VALUE, "The session is open already.")
        self._log.make_room()
        self._phase = "open"
        quorum = self.quorum()
        self._quorate = quorum.reached
        self._log.add(ev.SessionOpened(now, quorum))
        return quorum

    def close(self, now: float) -> None:
        self._require_open()
        if self._vote is not None:
            raise CouncilError(CouncilCode.VOTE_RUNNING, "Close the vote first.")
        self._log.make_room(essential=True)
        self._finish_speaking(now)
        self._phase = "closed"
        self._log.add(ev.SessionClosed(now))

    def pause(self, reason: str, now: float) -> bool:
        """The chair interrupts the session (a disruption, a break); whether it changed."""
        self._require_open()
        cleaned = clean_text(reason, "reason", MAX_REASON_LENGTH)
        if self._paused is not None:
            return False
        self._log.make_room(essential=True)
        self._paused = cleaned
        self._log.add(ev.Paused(now, cleaned))
        return True

    def resume(self, now: float) -> bool:
        self._require_open()
        if self._paused is None:
            return False
        self._log.make_room()
        self._paused = None
        self._log.add(ev.Resumed(now))
        return True

    def record_fault(
        self, side: ev.FaultSide, now: float, member: MemberId | None = None, detail: str = ""
    ) -> ev.FaultRecorded:
        """A lost line: a member's (``member`` given) or the server's own."""
        if side not in ("member", "server") or (side == "member") != (member is not None):
            raise CouncilError(CouncilCode.BAD_VALUE, "A member's fault names the member.")
        if member is not None:
            self.body.member(member)
        cleaned = clean_text(detail, "detail", MAX_REASON_LENGTH, empty=True)
        self._log.make_room(essential=True)
        remote = sum(place == "remote" for place in self.attendance.counted().values())
        fault = ev.FaultRecorded(now, side, member, cleaned, remote)
        self._log.add(fault)
        return fault

    # --- the agenda and bias ------------------------------------------------------------

    def move_to_item(self, number: str, now: float) -> Effects:
        """Calls an item; the speaker list starts afresh with it."""
        self._require_open()
        self._require_no_vote()
        item = self.agenda.item(number)
        self._log.make_room()
        self._finish_speaking(now)
        self.speakers.clear()
        changed = self.agenda.move_to(item.number, now)
        self._log.add(ev.ItemSwitched(now, item.number, item.public))
        if changed:
            self._log.add(ev.PublicOutputChanged(now, item.public, item.number))
        self._check_quorum(now)
        return self.effects(changed)

    def mark_biased(self, member: MemberId, item: str, now: float) -> Effects:
        self._require_not_closed()
        self.body.member(member)
        number = self.agenda.item(item).number
        if self._vote is not None and self._vote.motion.item == number:
            raise CouncilError(CouncilCode.VOTE_RUNNING, "A vote on this item is running.")
        self._log.make_room()
        if self._bias.mark(member, number):
            self._log.add(ev.BiasMarked(now, member, number))
            if member in self.held_outside:
                self._leave_list(member, now)
            self._check_quorum(now)
        return self.effects()

    def lift_bias(self, member: MemberId, item: str, now: float) -> Effects:
        self._require_not_closed()
        number = self.agenda.item(item).number
        if self._vote is not None and self._vote.motion.item == number:
            raise CouncilError(CouncilCode.VOTE_RUNNING, "A vote on this item is running.")
        self._log.make_room()
        if self._bias.lift(member, number):
            self._log.add(ev.BiasLifted(now, member, number))
            self._check_quorum(now)
        return self.effects()

    def is_biased(self, member: MemberId, item: str) -> bool:
        return self._bias.is_biased(member, item)

    # --- attendance ---------------------------------------------------------------------

    def join(
        self,
        member: MemberId,
        place: Place,
        now: float,
        *,
        camera: bool = False,
        microphone: bool = False,
    ) -> bool:
        """``member`` is there (again, or at the other place); whether anything changed."""
        self._require_not_closed()
        self.body.member(member)
        self._log.make_room(
            essential=not self.attendance.would_grow(member, place, camera, microphone)
        )
        before = self.attendance.presence(member)
        if not self.attendance.join(member, place, now, camera=camera, microphone=microphone):
            return False
        if before is not None and before.place == place:
            self._log.add(ev.MediaChanged(now, member, camera, microphone))
        else:
            self._log.add(ev.MemberJoined(now, member, place, camera, microphone))
        self._check_quorum(now)
        return True

    def leave(self, member: MemberId, now: float) -> bool:
        self.body.member(member)
        self._log.make_room(essential=True)
        if not self.attendance.leave(member, now):
            return False
        self._log.add(ev.MemberLeft(now, member))
        self._check_quorum(now)
        return True

    def set_media(self, member: MemberId, camera: bool, microphone: bool, now: float) -> bool:
        """A remote member's camera and microphone went on or off."""
        self.body.member(member)
        self._log.make_room(
            essential=not self.attendance.would_grow(member, "remote", camera, microphone)
        )
        if not self.attendance.set_media(member, camera, microphone, now):
            return False
        self._log.add(ev.MediaChanged(now, member, camera, microphone))
        self._check_quorum(now)
        return True

    # --- the speaker list ---------------------------------------------------------------

    def raise_hand(self, member: MemberId, now: float, *, point_of_order: bool = False) -> int:
        """``member`` asks to speak; their place on the list (0: next)."""
        self._require_open()
        self._refuse_biased(member)
        self._log.make_room()
        return self.speakers.raise_hand(member, now, point_of_order=point_of_order)

    def withdraw(self, member: MemberId) -> None:
        self.speakers.withdraw(member)

    def give_floor(
        self, now: float, member: MemberId | None = None, limit: float | None = None
    ) -> Turn:
        """The chair gives the floor to the next on the list or to ``member``."""
        self._require_open()
        self._require_not_paused()
        chosen = member
        if chosen is None and self.speakers.waiting:
            chosen = self.speakers.waiting[0].member
        if chosen is not None:
            self._refuse_biased(chosen)
        # The request the list takes away: the member's first, a point of order if they made one.
        request = next((r for r in self.speakers.waiting if r.member == chosen), None)
        self._log.make_room()
        current = self.agenda.current
        item = None if current is None else current.number
        ended, turn = self.speakers.give_floor(now, item, member=member, limit=limit)
        if ended is not None:
            self._log.add(ev.FloorEnded(now, ended.member, ended.item))
        order = request is not None and request.kind == "point_of_order"
        self._log.add(ev.FloorGiven(now, turn.member, turn.item, turn.limit, order))
        return turn

    def finish_speaking(self, now: float) -> Turn | None:
        self._require_open()
        self._log.make_room(essential=True)
        return self._finish_speaking(now)

    # --- votes --------------------------------------------------------------------------

    def open_vote(self, motion: int, kind: VoteKind, now: float) -> Vote:
        """A vote on motion ``motion`` of the current item; who may vote is fixed now."""
        item = self._require_vote_conditions()
        refuse_beyond(len(self._results), MAX_VOTES, "votes in a session")
        quorum = self.quorum()
        if not quorum.reached:
            raise CouncilError(
                CouncilCode.NO_QUORUM, f"{quorum.counted} of {quorum.needed} needed are counted."
            )
        self._log.make_room()
        eligible = self.attendance.counted()
        biased = self._bias.biased(item.number)
        vote_id = f"v{len(self._results) + 1}"
        chosen = Motion(item.number, motion, self.agenda.motion(item.number, motion))
        vote = Vote(vote_id, chosen, kind, eligible, biased, self.body.names())
        self._vote = vote
        self._log.add(
            ev.VoteOpened(now, vote_id, item.number, motion, kind, tuple(sorted(vote.eligible)))
        )
        return vote

    def cast(self, member: MemberId, choice: Choice, now: float) -> Choice | None:
        """``member``'s ballot; their ballot before, if they changed it."""
        vote = self._running_vote()
        self._require_not_paused()
        self._log.make_room()
        before = vote.cast(member, choice)
        self._log.add(ev.BallotCast(now, vote.id, member, choice, before))
        return before

    def set_hall_counts(self, yes: int, no: int, abstain: int, now: float) -> Counts:
        """The chair's count of hands in the hall (replacing an earlier count)."""
        vote = self._running_vote()
        self._require_not_paused()
        counts = Counts(yes, no, abstain)
        self._log.make_room()
        vote.set_hall_counts(counts)
        self._log.add(ev.HallCountsSet(now, vote.id, counts))
        return counts

    def close_vote(self, now: float) -> VoteResult:
        vote = self._running_vote()
        self._log.make_room(essential=True)
        result = vote.close(now)
        self._vote = None
        self._results.append(result)
        self._log.add(ev.VoteClosed(now, result, self.quorum()))
        return result

    def hold_by_post(self, motion: int, now: float) -> VoteResult:
        """The chair's choice when a secret vote cannot be held here: by post afterwards."""
        item = self._require_vote_conditions()
        refuse_beyond(len(self._results), MAX_VOTES, "votes in a session")
        self._log.make_room()
        chosen = Motion(item.number, motion, self.agenda.motion(item.number, motion))
        eligible = set(self.attendance.counted()) - self._bias.biased(item.number)
        result = by_post(f"v{len(self._results) + 1}", chosen, len(eligible), now)
        self._results.append(result)
        self._log.add(ev.VoteClosed(now, result, self.quorum()))
        return result

    # --- inside -------------------------------------------------------------------------

    def _check_quorum(self, now: float) -> None:
        """Logs a change of quorum once, while the session is open."""
        if self._phase != "open":
            return
        quorum = self.quorum()
        if quorum.reached != self._quorate:
            self._quorate = quorum.reached
            self._log.add(ev.QuorumChanged(now, quorum))

    def _finish_speaking(self, now: float) -> Turn | None:
        ended = self.speakers.finish(now)
        if ended is not None:
            self._log.add(ev.FloorEnded(now, ended.member, ended.item))
        return ended

    def _leave_list(self, member: MemberId, now: float) -> None:
        if any(request.member == member for request in self.speakers.waiting):
            self.speakers.withdraw(member)
        current = self.speakers.current
        if current is not None and current.member == member:
            self._finish_speaking(now)

    def _refuse_biased(self, member: MemberId) -> None:
        if member in self.held_outside:
            raise CouncilError(CouncilCode.BIASED, "This member is biased for the current item.")

    def _require_vote_conditions(self) -> AgendaItem:
        self._require_open()
        self._require_not_paused()
        self._require_no_vote()
        item = self.agenda.current
        if item is None:
            raise CouncilError(CouncilCode.NO_CURRENT_ITEM, "Call an agenda item first.")
        return item

    def _running_vote(self) -> Vote:
        self._require_open()
        if self._vote is None:
            raise CouncilError(CouncilCode.NO_VOTE, "No vote is running.")
        return self._vote

    def _require_open(self) -> None:
        if self._phase == "closed":
            raise CouncilError(CouncilCode.CLOSED, "The session is closed.")
        if self._phase != "open":
            raise CouncilError(CouncilCode.NOT_OPEN, "The session is not open yet.")

    def _require_not_closed(self) -> None:
        if self._phase == "closed":
            raise CouncilError(CouncilCode.CLOSED, "The session is closed.")

    def _require_not_paused(self) -> None:
        if self._paused is not None:
            raise CouncilError(CouncilCode.PAUSED, "The session is paused.")

    def _require_no_vote(self) -> None:
        if self._vote is not None:
            raise CouncilError(CouncilCode.VOTE_RUNNING, "A vote is running.")


def _place(attendance: Attendance, member: MemberId) -> Place | None:
    presence = attendance.presence(member)
    return None if presence is None else presence.place
