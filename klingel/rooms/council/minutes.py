"""The minutes (Niederschrift) of a council session, drawn from its event log (requirements 11
and 12 of the council notes, docs/council.md "Minutes"): attendance with join and leave times
and when picture and sound were live, quorum snapshots, the items and when each was called
(and whether the public output stopped or resumed), motions, votes with each ballot by name
and the majority rule, bias marks, speakers, faults and pauses.

``minutes_json`` writes them as canonical JSON (format ``klingel-minutes/1``: sorted keys, no
spaces, UTF-8), so the same minutes always give the same bytes and ``minutes_digest`` (the
SHA-256 the PDF prints) identifies the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from klingel.rooms.council import events as ev
from klingel.rooms.council.attendance import Place
from klingel.rooms.council.document import PreparedSession
from klingel.rooms.council.minutes_json import minutes_json
from klingel.rooms.council.minutes_model import (
    BallotEntry,
    BallotRecord,
    BiasRecord,
    FaultRecord,
    ItemCall,
    ItemRecord,
    MediaRecord,
    MemberRecord,
    Minutes,
    PauseRecord,
    PresenceRecord,
    QuorumOccasion,
    QuorumRecord,
    SessionRecord,
    Span,
    Tally,
    TurnRecord,
    VoteRecord,
)
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.session import CouncilSession
from klingel.rooms.council.votes import Counts

__all__ = ["build_minutes", "minutes_digest", "minutes_json"]


def build_minutes(prepared: PreparedSession, session: CouncilSession) -> Minutes:
    """The minutes of ``session``, held as ``prepared`` planned it; a draft (no closing
    time) while it has not closed."""
    body = session.body
    log = _Replay()
    for event in session.events:
        log.take(event)
    record = SessionRecord(
        body_id=body.id,
        body_name=body.name,
        legal_size=body.legal_size,
        quorum_rule=body.rule,
        quorum_needed=body.quorum,
        session_id=prepared.id,
        title=prepared.title,
        starts_at=float(prepared.starts_at),
        place=prepared.place,
        opened_at=log.opened_at,
        closed_at=log.closed_at,
    )
    return Minutes(
        session=record,
        members=tuple(MemberRecord(m.id, m.name, m.faction, m.role) for m in body.members),
        attendance=log.attendance(),
        quorum=tuple(log.quorum),
        items=tuple(
            ItemRecord(item.number, item.title, item.public, item.motions)
            for item in session.agenda.items
        ),
        calls=tuple(log.calls),
        votes=tuple(log.votes),
        bias=tuple(log.bias),
        speakers=tuple(turn.record() for turn in log.turns),
        faults=tuple(log.faults),
        pauses=tuple(pause.record() for pause in log.pauses),
    )


def minutes_digest(data: bytes) -> str:
    """The SHA-256 of the minutes' JSON file, in hex, as the PDF prints it."""
    return hashlib.sha256(data).hexdigest()


# --- the replay of the event log -------------------------------------------------------


@dataclass(slots=True)
class _Stretch:
    member: MemberId
    place: Place
    joined_at: float
    left_at: float | None = None
    media: list[MediaRecord] = field(default_factory=list)

    def record(self) -> PresenceRecord:
        return PresenceRecord(
            self.member, self.place, self.joined_at, self.left_at, tuple(self.media), self.live()
        )

    def live(self) -> tuple[Span, ...]:
        """When picture and sound were both live; in the hall, all along."""
        if self.place == "hall":
            return (Span(self.joined_at, self.left_at),)
        spans: list[Span] = []
        since: float | None = None
        for change in self.media:
            live = change.camera and change.microphone
            if live and since is None:
                since = change.at
            elif not live and since is not None:
                spans.append(Span(since, change.at))
                since = None
        if since is not None:
            spans.append(Span(since, self.left_at))
        return tuple(spans)


@dataclass(slots=True)
class _Turn:
    member: MemberId
    item: str | None
    started_at: float
    limit: float | None
    point_of_order: bool
    ended_at: float | None = None

    def record(self) -> TurnRecord:
        return TurnRecord(
            self.member,
            self.item,
            self.started_at,
            self.ended_at,
            self.limit,
            self.point_of_order,
        )


@dataclass(slots=True)
class _Pause:
    at: float
    reason: str
    resumed_at: float | None = None

    def record(self) -> PauseRecord:
        return PauseRecord(self.at, self.reason, self.resumed_at)


@dataclass(slots=True)
class _Opened:
    at: float
    eligible: tuple[MemberId, ...]
    biased: tuple[MemberId, ...]
    ballots: list[BallotEntry] = field(default_factory=list)


class _Replay:
    """Reads the event log once, in order, into the minutes' parts."""

    def __init__(self) -> None:
        self.opened_at: float | None = None
        self.closed_at: float | None = None
        self.stretches: list[_Stretch] = []
        self.open_stretch: dict[MemberId, _Stretch] = {}
        self.quorum: list[QuorumRecord] = []
        self.calls: list[ItemCall] = []
        self.votes: list[VoteRecord] = []
        self.running: dict[str, _Opened] = {}
        self.bias: list[BiasRecord] = []
        self.biased: set[tuple[str, MemberId]] = set()
        self.turns: list[_Turn] = []
        self.faults: list[FaultRecord] = []
        self.pauses: list[_Pause] = []

    def attendance(self) -> tuple[PresenceRecord, ...]:
        return tuple(stretch.record() for stretch in self.stretches)

    def take(self, event: ev.Event) -> None:
        match event:
            case ev.SessionOpened(at, quorum):
                self.opened_at = at
                self._snapshot(at, "opened", quorum)
            case ev.SessionClosed(at):
                self.closed_at = at
            case ev.QuorumChanged(at, quorum):
                self._snapshot(at, "changed", quorum)
            case ev.MemberJoined(at, member, place, camera, microphone):
                self._leave(member, at)
                stretch = _Stretch(member, place, at)
                if place == "remote":
                    stretch.media.append(MediaRecord(at, camera, microphone))
                self.stretches.append(stretch)
                self.open_stretch[member] = stretch
            case ev.MediaChanged(at, member, camera, microphone):
                current = self.open_stretch.get(member)
                if current is not None and current.place == "remote":
                    current.media.append(MediaRecord(at, camera, microphone))
            case ev.MemberLeft(at, member):
                self._leave(member, at)
            case ev.ItemSwitched(at, item, public):
                self.calls.append(ItemCall(at, item, public, public_changed=False))
            case ev.PublicOutputChanged(at, _, item):
                last = self.calls[-1] if self.calls else None
                if last is not None and (last.at, last.item) == (at, item):
                    self.calls[-1] = ItemCall(at, item, last.public, public_changed=True)
            case ev.BiasMarked(at, member, item) | ev.BiasLifted(at, member, item):
                marked = isinstance(event, ev.BiasMarked)
                self.bias.append(BiasRecord(at, member, item, marked))
                if marked:
                    self.biased.add((item, member))
                else:
                    self.biased.discard((item, member))
            case ev.FloorGiven(at, member, item, limit, point_of_order):
                self._end_turn(at)
                self.turns.append(_Turn(member, item, at, limit, point_of_order))
            case ev.FloorEnded(at, _, _):
                self._end_turn(at)
            case ev.VoteOpened(at, vote_id, item, _, _, eligible):
                biased = tuple(sorted(m for i, m in self.biased if i == item))
                self.running[vote_id] = _Opened(at, eligible, biased)
            case ev.BallotCast(at, vote_id, member, choice, before):
                opened = self.running.get(vote_id)
                if opened is not None:
                    opened.ballots.append(BallotEntry(at, member, choice, before))
            case ev.HallCountsSet():
                pass  # the last count is in the result
            case ev.VoteClosed(at, result, quorum):
                opened = self.running.pop(result.vote_id, None)
                item = result.motion.item
                self.votes.append(
                    VoteRecord(
                        vote_id=result.vote_id,
                        item=item,
                        motion=result.motion.index,
                        motion_text=result.motion.text,
                        kind=result.kind,
                        outcome=result.outcome,
                        opened_at=None if opened is None else opened.at,
                        closed_at=result.closed_at,
                        eligible=() if opened is None else opened.eligible,
                        eligible_count=result.eligible,
                        biased=(
                            tuple(sorted(m for i, m in self.biased if i == item))
                            if opened is None
                            else opened.biased
                        ),
                        counts=_tally(result.counts),
                        hall=_tally(result.hall),
                        ballots=tuple(BallotRecord(m, name, c) for m, name, c in result.ballots),
                        ballot_log=() if opened is None else tuple(opened.ballots),
                        rule=result.rule,
                    )
                )
                self._snapshot(at, "vote", quorum, result.vote_id)
            case ev.Paused(at, reason):
                self.pauses.append(_Pause(at, reason))
            case ev.Resumed(at):
                if self.pauses and self.pauses[-1].resumed_at is None:
                    self.pauses[-1].resumed_at = at
            case ev.FaultRecorded(at, side, member, detail, remote):
                self.faults.append(FaultRecord(at, side, member, detail, remote))

    def _snapshot(
        self,
        at: float,
        occasion: QuorumOccasion,
        quorum: ev.QuorumSnapshot,
        vote_id: str | None = None,
    ) -> None:
        self.quorum.append(
            QuorumRecord(
                at,
                occasion,
                quorum.counted,
                quorum.needed,
                quorum.legal_size,
                quorum.reached,
                vote_id,
            )
        )

    def _leave(self, member: MemberId, at: float) -> None:
        stretch = self.open_stretch.pop(member, None)
        if stretch is not None:
            stretch.left_at = max(at, stretch.joined_at)

    def _end_turn(self, at: float) -> None:
        if self.turns and self.turns[-1].ended_at is None:
            self.turns[-1].ended_at = max(at, self.turns[-1].started_at)


def _tally(counts: Counts) -> Tally:
    return Tally(counts.yes, counts.no, counts.abstain)
