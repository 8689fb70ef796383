"""Polls in the hub, with a recording hub and a hand-driven timer: who gets what, when the
room's updates go out, and that a council's arrival takes a poll away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, cast

import pytest

from klingel.ids import ParticipantId, RoomId
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import ServerMessage
from klingel.protocol.polls import (
    PollClose,
    PollRemove,
    PollRemoved,
    PollStart,
    PollState,
    PollVote,
)
from klingel.rooms.council.document import BodyDocument
from klingel.rooms.council.roster import Body, Member, MemberId
from klingel.rooms.council_room import CouncilRoom
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room
from klingel.web.hub import Seat, SignalingHub
from klingel.web.polls import UPDATE_INTERVAL, RoomPolls


class RecordingHub:
    def __init__(self) -> None:
        self.sent: list[tuple[ParticipantId, ServerMessage]] = []

    def send_to(self, participants: Iterable[Participant], message: ServerMessage) -> None:
        self.sent.extend((person.id, message) for person in participants)

    def send_to_one(self, participant: Participant, message: ServerMessage) -> None:
        self.sent.append((participant.id, message))

    def take(self) -> list[tuple[ParticipantId, ServerMessage]]:
        sent, self.sent = self.sent, []
        return sent


class Timer:
    def __init__(self) -> None:
        self.now = 100.0
        self.due: list[tuple[float, Callable[[], None]]] = []

    def schedule(self, delay: float, callback: Callable[[], None]) -> None:
        self.due.append((self.now + delay, callback))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        ready = [entry for entry in self.due if entry[0] <= self.now]
        self.due = [entry for entry in self.due if entry[0] > self.now]
        for _, callback in ready:
            callback()


def person(participant_id: str, role: str = "guest") -> Participant:
    participant = Participant(ParticipantId(participant_id), participant_id.title(), "token", 0.0)
    participant.role = role  # type: ignore[assignment]
    return participant


@pytest.fixture
def setting() -> tuple[RoomPolls, RecordingHub, Timer, Room, list[Participant]]:
    hub, timer = RecordingHub(), Timer()
    polls = RoomPolls(cast(SignalingHub, hub), lambda: timer.now, timer.schedule)
    room = Room(RoomId("chor"), 10)
    people = [person("hanna", "host"), person("anna"), person("ben")]
    for participant in people:
        room.add(participant)
    return polls, hub, timer, room, people


def run(polls: RoomPolls, room: Room, who: Participant, message: Any) -> None:
    asyncio.run(polls.handle(Seat(room, who), message))


START = PollStart("Wann?", ("Montag", "Freitag"), True, False, "live")


def test_votes_reach_the_voter_at_once_and_the_room_once_an_interval(
    setting: tuple[RoomPolls, RecordingHub, Timer, Room, list[Participant]],
) -> None:
    polls, hub, timer, room, (hanna, anna, ben) = setting
    run(polls, room, hanna, START)
    assert {who for who, _ in hub.take()} == {hanna.id, anna.id, ben.id}
    poll_id = room.poll.id if room.poll else ""
    timer.advance(0.1)
    run(polls, room, anna, PollVote(poll_id, (0,)))
    run(polls, room, ben, PollVote(poll_id, (1,)))
    sent = hub.take()
    assert [who for who, _ in sent] == [anna.id, ben.id]  # each voter's own answer only
    assert cast(PollState, sent[0][1]).mine == (0,)
    timer.advance(UPDATE_INTERVAL)
    update = hub.take()
    assert {who for who, _ in update} == {hanna.id, anna.id, ben.id}
    assert all(cast(PollState, message).voters == 2 for _, message in update)
    timer.advance(10)
    assert hub.take() == []  # nothing owed, nothing sent


def test_an_update_owed_for_a_removed_poll_goes_nowhere(
    setting: tuple[RoomPolls, RecordingHub, Timer, Room, list[Participant]],
) -> None:
    polls, hub, timer, room, (hanna, anna, _) = setting
    run(polls, room, hanna, START)
    poll_id = room.poll.id if room.poll else ""
    run(polls, room, anna, PollVote(poll_id, (0,)))
    run(polls, room, hanna, PollRemove(poll_id))
    hub.take()
    timer.advance(1)
    assert hub.take() == [] and room.poll is None


def test_a_guest_runs_no_poll_and_a_closed_poll_takes_no_vote(
    setting: tuple[RoomPolls, RecordingHub, Timer, Room, list[Participant]],
) -> None:
    polls, _, _, room, (hanna, anna, _) = setting
    with pytest.raises(KlingelError) as refused:
        run(polls, room, anna, START)
    assert refused.value.code is ErrorCode.NOT_HOST and room.poll is None
    run(polls, room, hanna, START)
    poll_id = room.poll.id if room.poll else ""
    run(polls, room, hanna, PollClose(poll_id))
    with pytest.raises(KlingelError) as closed:
        run(polls, room, anna, PollVote(poll_id, (0,)))
    assert closed.value.code is ErrorCode.POLL_CLOSED


def test_a_council_arriving_takes_the_poll_away_and_refuses_new_ones(
    setting: tuple[RoomPolls, RecordingHub, Timer, Room, list[Participant]],
) -> None:
    polls, hub, _, room, (hanna, anna, _) = setting
    run(polls, room, hanna, START)
    poll_id = room.poll.id if room.poll else ""
    hub.take()
    body = Body("chor", "Rat", 3, "at_least_half", (Member(MemberId("m"), "M", "F", "chair"),))
    room.council = CouncilRoom(BodyDocument(body, ()))
    polls.seated(room, anna)
    assert room.poll is None
    assert {message for _, message in hub.take()} == {PollRemoved(poll_id)}
    with pytest.raises(KlingelError) as refused:
        run(polls, room, hanna, START)
    assert refused.value.code is ErrorCode.POLL_IN_COUNCIL
