"""The pace of reactions: a person may send a few in a row and then one a second; a whole room
at most ten a second, beyond which reactions are dropped rather than refused."""

from __future__ import annotations

from klingel.ids import ParticipantId, RoomId
from klingel.rooms.reaction_pace import PERSON_PACE, ROOM_PACE, Pace, ReactionPace

ROOM = RoomId("geigenklasse")
OTHER_ROOM = RoomId("chorprobe")


def person(number: int) -> ParticipantId:
    return ParticipantId(f"p-{number}")


def test_a_person_gets_a_few_in_a_row_then_one_a_second() -> None:
    pace = ReactionPace()
    verdicts = [pace.judge(ROOM, person(1), 100.0) for _ in range(6)]
    assert verdicts.count(Pace.SHOWN) == int(PERSON_PACE.burst)
    assert verdicts[-1] is Pace.TOO_FAST
    assert pace.judge(ROOM, person(1), 100.5) is Pace.TOO_FAST
    assert pace.judge(ROOM, person(1), 101.0) is Pace.SHOWN


def test_one_person_too_fast_does_not_slow_the_others() -> None:
    pace = ReactionPace()
    for _ in range(10):
        pace.judge(ROOM, person(1), 100.0)
    assert pace.judge(ROOM, person(2), 100.0) is Pace.SHOWN


def test_a_whole_room_is_capped_and_the_surplus_is_dropped_not_refused() -> None:
    pace = ReactionPace()
    verdicts = [pace.judge(ROOM, person(n), 100.0) for n in range(40)]
    assert verdicts.count(Pace.SHOWN) == int(ROOM_PACE.burst)
    assert set(verdicts[int(ROOM_PACE.burst) :]) == {Pace.ROOM_BUSY}
    # Another room is not affected, and a second later the room may react again.
    assert pace.judge(OTHER_ROOM, person(1), 100.0) is Pace.SHOWN
    assert pace.judge(ROOM, person(39), 101.0) is Pace.SHOWN


def test_a_refused_reaction_does_not_spend_the_rooms_budget() -> None:
    pace = ReactionPace()
    for _ in range(50):
        pace.judge(ROOM, person(1), 100.0)
    shown = [pace.judge(ROOM, person(n), 100.0) for n in range(2, 40)]
    assert shown.count(Pace.SHOWN) == int(ROOM_PACE.burst) - int(PERSON_PACE.burst)
