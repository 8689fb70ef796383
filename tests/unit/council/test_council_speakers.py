"""The speaker list: raised hands in order, points of order ahead of ordinary requests (after
earlier points of order), the chair choosing the next speaker, speaking time, and the record
of who spoke on which item."""

from __future__ import annotations

import pytest

from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.speakers import MAX_TURNS, MAX_WAITING, SpeakerList

ANNA, BEN, CARLA, DIRK, EMMA = (MemberId(name) for name in ("anna", "ben", "carla", "dirk", "emma"))


def speakers() -> SpeakerList:
    return SpeakerList([ANNA, BEN, CARLA, DIRK, EMMA])


def order(listed: SpeakerList) -> list[tuple[str, str]]:
    return [(request.member, request.kind) for request in listed.waiting]


def test_points_of_order_go_ahead_of_ordinary_requests_but_after_earlier_ones() -> None:
    listed = speakers()
    assert listed.raise_hand(ANNA, 1.0) == 0
    assert listed.raise_hand(BEN, 2.0) == 1
    assert listed.raise_hand(CARLA, 3.0, point_of_order=True) == 0
    assert listed.raise_hand(DIRK, 4.0, point_of_order=True) == 1
    assert listed.raise_hand(EMMA, 5.0) == 4
    assert order(listed) == [
        ("carla", "point_of_order"),
        ("dirk", "point_of_order"),
        ("anna", "ordinary"),
        ("ben", "ordinary"),
        ("emma", "ordinary"),
    ]


def test_a_member_is_listed_once_for_each_kind() -> None:
    listed = speakers()
    listed.raise_hand(ANNA, 1.0)
    with pytest.raises(CouncilError) as refused:
        listed.raise_hand(ANNA, 2.0)
    assert refused.value.code == "already_listed"
    assert listed.raise_hand(ANNA, 3.0, point_of_order=True) == 0
    with pytest.raises(CouncilError):
        listed.raise_hand(ANNA, 4.0, point_of_order=True)
    assert len(listed.waiting) == 2


def test_only_members_of_the_body_are_listed() -> None:
    listed = speakers()
    with pytest.raises(CouncilError) as refused:
        listed.raise_hand(MemberId("guest"), 1.0)
    assert refused.value.code == "unknown_member"
    with pytest.raises(CouncilError):
        listed.give_floor(1.0, "1", member=MemberId("guest"))
    assert listed.waiting == ()


def test_withdrawing_takes_every_request_of_the_member() -> None:
    listed = speakers()
    listed.raise_hand(ANNA, 1.0)
    listed.raise_hand(BEN, 2.0)
    listed.raise_hand(ANNA, 3.0, point_of_order=True)
    listed.withdraw(ANNA)
    assert order(listed) == [("ben", "ordinary")]
    with pytest.raises(CouncilError) as refused:
        listed.withdraw(ANNA)
    assert refused.value.code == "not_listed"


def test_the_chair_gives_the_floor_to_the_next_or_to_a_chosen_member() -> None:
    listed = speakers()
    listed.raise_hand(ANNA, 1.0)
    listed.raise_hand(BEN, 2.0)
    listed.raise_hand(CARLA, 3.0)
    ended, turn = listed.give_floor(10.0, "2")
    assert ended is None
    assert (turn.member, turn.item, turn.started_at) == (ANNA, "2", 10.0)
    ended, turn = listed.give_floor(20.0, "2", member=CARLA)
    assert ended is not None and (ended.member, ended.ended_at) == (ANNA, 20.0)
    assert turn.member == CARLA
    assert order(listed) == [("ben", "ordinary")]
    ended, turn = listed.give_floor(25.0, "2", member=DIRK)
    assert turn.member == DIRK, "the chair may call someone not on the list"
    assert order(listed) == [("ben", "ordinary")]
    assert listed.current is turn


def test_an_empty_list_gives_nobody_the_floor() -> None:
    listed = speakers()
    with pytest.raises(CouncilError) as refused:
        listed.give_floor(1.0, "1")
    assert refused.value.code == "no_speaker"
    assert listed.current is None and listed.turns == ()


def test_speaking_time_counts_down_and_stops_at_zero() -> None:
    listed = speakers()
    listed.raise_hand(ANNA, 0.0)
    _, turn = listed.give_floor(100.0, "2", limit=180.0)
    assert turn.remaining(100.0) == 180.0
    assert turn.remaining(160.0) == 120.0
    assert turn.remaining(400.0) == 0.0
    ended = listed.finish(200.0)
    assert ended is turn
    assert turn.remaining(1000.0) == 80.0, "time left is frozen when the turn ends"
    _, unlimited = listed.give_floor(300.0, "2", member=BEN)
    assert unlimited.remaining(900.0) is None


@pytest.mark.parametrize("limit", [0.0, -5.0, 0.5, 3601.0])
def test_speaking_times_out_of_range_are_refused(limit: float) -> None:
    listed = speakers()
    listed.raise_hand(ANNA, 0.0)
    with pytest.raises(CouncilError) as refused:
        listed.give_floor(1.0, "2", limit=limit)
    assert refused.value.code == "bad_value"
    assert listed.current is None and len(listed.waiting) == 1


def test_who_spoke_is_recorded_with_item_and_times() -> None:
    listed = speakers()
    listed.give_floor(1.0, "1", member=ANNA)
    listed.give_floor(5.0, "1", member=BEN)
    listed.finish(9.0)
    assert listed.finish(10.0) is None
    listed.give_floor(20.0, "2", member=ANNA)
    record = [(t.member, t.item, t.started_at, t.ended_at) for t in listed.turns]
    assert record == [("anna", "1", 1.0, 5.0), ("ben", "1", 5.0, 9.0), ("anna", "2", 20.0, None)]


def test_clearing_empties_the_waiting_list_only() -> None:
    listed = speakers()
    listed.raise_hand(ANNA, 0.0)
    listed.give_floor(1.0, "1", member=BEN)
    listed.clear()
    assert listed.waiting == ()
    assert listed.current is not None and listed.current.member == BEN


def test_the_list_and_the_record_are_bounded() -> None:
    members = [MemberId(f"m{n}") for n in range(MAX_WAITING + 1)]
    listed = SpeakerList(members)
    for member in members[:MAX_WAITING]:
        listed.raise_hand(member, 0.0)
    with pytest.raises(CouncilError) as refused:
        listed.raise_hand(members[-1], 0.0)
    assert refused.value.code == "too_many"
    talkative = speakers()
    for step in range(MAX_TURNS):
        talkative.give_floor(float(step), "1", member=ANNA)
    with pytest.raises(CouncilError) as refused:
        talkative.give_floor(float(MAX_TURNS), "1", member=BEN)
    assert refused.value.code == "too_many"
    assert talkative.current is not None and talkative.current.member == ANNA
