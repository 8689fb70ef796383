"""What the screens of a council room show, as protocol messages: ``council_state`` for
everyone in the room, ``council_public`` for viewers and the hall view (nothing of a
non-public part)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from klingel.ids import ParticipantId
from klingel.protocol.council import (
    MAX_FAULTS,
    CouncilBallot,
    CouncilCounts,
    CouncilFault,
    CouncilItem,
    CouncilMember,
    CouncilPerson,
    CouncilPublic,
    CouncilQuorum,
    CouncilRequest,
    CouncilResult,
    CouncilSessionRef,
    CouncilSpeaker,
    CouncilState,
    CouncilVote,
)
from klingel.rooms.council.agenda import AgendaItem
from klingel.rooms.council.document import PreparedSession
from klingel.rooms.council.roster import Body, MemberId
from klingel.rooms.council.session import CouncilSession
from klingel.rooms.council.votes import Counts, Vote, VoteResult
from klingel.rooms.council_room import CouncilRoom

__all__ = ["council_public", "council_state"]


def council_state(
    council: CouncilRoom, connected: Iterable[ParticipantId], now: float
) -> CouncilState:
    """The whole session; ``connected``: participants whose socket is attached now."""
    body = council.document.body
    session = council.session
    online = frozenset(connected)
    return CouncilState(
        body=body.name,
        legal_size=body.legal_size,
        sessions=tuple(_session_ref(prepared) for prepared in council.document.sessions),
        session=None if council.prepared is None else _session_ref(council.prepared),
        phase="prepared" if session is None else session.phase,
        paused=None if session is None else session.paused,
        item=_current_item(session),
        item_seconds=0 if session is None else int(session.agenda.elapsed(now)),
        items=() if session is None else tuple(_item(item) for item in session.agenda.items),
        public=council.public_allowed,
        quorum=_quorum(body, session),
        chair_alert=False if session is None else session.chair_alert,
        members=tuple(_members(council, online)),
        speaker=None if session is None else _speaker(body, session, now),
        waiting=()
        if session is None
        else tuple(
            CouncilRequest(request.member, request.kind == "point_of_order")
            for request in session.speakers.waiting
        ),
        vote=None if session is None or session.vote is None else _vote(session.vote),
        results=() if session is None else _item_results(session),
        faults=() if session is None else _faults(session),
    )


def council_public(council: CouncilRoom, now: float) -> CouncilPublic:
    body = council.document.body
    session = council.running
    if not council.public_allowed or session is None:
        return CouncilPublic(
            body=body.name, public=council.public_allowed, item=None, speaker=None, vote=None,
            result=None, quorum=None, members=(),
        )  # fmt: skip
    results = session.results
    return CouncilPublic(
        body=body.name,
        public=True,
        item=_current_item(session),
        speaker=_speaker(body, session, now),
        vote=None if session.vote is None else _vote(session.vote),
        result=_result(results[-1]) if results else None,
        quorum=_quorum(body, session),
        members=tuple(
            CouncilPerson(member.id, member.name, member.faction) for member in body.members
        ),
    )


def _item_results(session: CouncilSession) -> tuple[CouncilResult, ...]:
    """The results of the current item's votes: what the screens show (the minutes keep
    every vote), so that a long session's state does not grow with each vote."""
    current = session.agenda.current
    if current is None:
        return ()
    return tuple(
        _result(result) for result in session.results if result.motion.item == current.number
    )


def _faults(session: CouncilSession) -> tuple[CouncilFault, ...]:
    return tuple(
        CouncilFault(int(fault.at), fault.side, fault.member, fault.remote_counted)
        for fault in session.faults[-MAX_FAULTS:]
    )


def _session_ref(prepared: PreparedSession) -> CouncilSessionRef:
    return CouncilSessionRef(prepared.id, prepared.title, prepared.starts_at)


def _item(item: AgendaItem) -> CouncilItem:
    return CouncilItem(item.number, item.title, item.public, item.motions)


def _current_item(session: CouncilSession | None) -> CouncilItem | None:
    current = None if session is None else session.agenda.current
    return None if current is None else _item(current)


def _quorum(body: Body, session: CouncilSession | None) -> CouncilQuorum:
    if session is None:
        return CouncilQuorum(0, body.quorum, body.legal_size, False)
    quorum = session.quorum()
    return CouncilQuorum(quorum.counted, quorum.needed, quorum.legal_size, quorum.reached)


def _members(council: CouncilRoom, online: frozenset[ParticipantId]) -> Iterable[CouncilMember]:
    session = council.session
    for member in council.document.body.members:
        participant = council.members.get(member.id)
        status = "absent" if session is None else session.attendance.status(member.id)
        presence = None if session is None else session.attendance.presence(member.id)
        yield CouncilMember(
            id=member.id,
            name=member.name,
            faction=member.faction,
            role=member.role,
            status=status,
            place=None if presence is None else presence.place,
            participant=participant,
            held=participant is not None and participant in council.held,
            connected=participant is not None and participant in online,
        )


def _speaker(body: Body, session: CouncilSession, now: float) -> CouncilSpeaker | None:
    turn = session.speakers.current
    if turn is None:
        return None
    member = body.member(turn.member)
    left = turn.remaining(now)
    return CouncilSpeaker(
        member.id, member.name, member.faction, None if left is None else math.ceil(left)
    )


def _counts(counts: Counts) -> CouncilCounts:
    return CouncilCounts(counts.yes, counts.no, counts.abstain)


def _vote(vote: Vote) -> CouncilVote:
    return CouncilVote(
        id=vote.id,
        item=vote.motion.item,
        motion=vote.motion.index,
        text=vote.motion.text,
        kind=vote.kind,
        eligible=tuple(sorted(vote.eligible)),
        ballots=tuple(CouncilBallot(member, choice) for member, choice in vote.ballots),
        hall=_counts(vote.hall),
    )


def _result(result: VoteResult) -> CouncilResult:
    return CouncilResult(
        id=result.vote_id,
        item=result.motion.item,
        motion=result.motion.index,
        text=result.motion.text,
        kind=result.kind,
        outcome=result.outcome,
        counts=_counts(result.counts),
        hall=_counts(result.hall),
        ballots=tuple(
            CouncilBallot(MemberId(member), choice) for member, _, choice in result.ballots
        ),
        eligible=result.eligible,
        rule=result.rule,
    )
