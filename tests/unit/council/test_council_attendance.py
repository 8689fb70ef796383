"""Attendance: who is there, where, and whether they count. Hall members count while
present; remote members only while camera and microphone are both live; the history keeps
every stretch and media change for the minutes."""

from __future__ import annotations

import pytest

from klingel.rooms.council.attendance import MAX_CHANGES_PER_MEMBER, Attendance
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import MemberId

ANNA = MemberId("anna")
BEN = MemberId("ben")
CARLA = MemberId("carla")


def attendance() -> Attendance:
    return Attendance([ANNA, BEN, CARLA])


def test_a_hall_member_counts_while_present() -> None:
    record = attendance()
    assert record.status(ANNA) == "absent"
    assert record.join(ANNA, "hall", 10.0) is True
    assert record.status(ANNA) == "counted"
    assert record.counted() == {ANNA: "hall"}
    assert record.leave(ANNA, 20.0) is True
    assert record.status(ANNA) == "absent"
    assert record.counted() == {}


def test_a_remote_member_counts_only_with_camera_and_microphone() -> None:
    record = attendance()
    record.join(BEN, "remote", 0.0, camera=False, microphone=True)
    assert record.status(BEN) == "not_counted", "audio only: present, not counted"
    assert record.present() == {BEN: "remote"}
    assert record.counted() == {}
    assert record.set_media(BEN, True, True, 5.0) is True
    assert record.counted() == {BEN: "remote"}
    record.set_media(BEN, True, False, 9.0)
    assert record.status(BEN) == "not_counted", "picture without sound does not count"


def test_joining_and_leaving_twice_changes_nothing() -> None:
    record = attendance()
    assert record.join(ANNA, "hall", 1.0)
    assert record.join(ANNA, "hall", 2.0) is False
    assert len(record.history(ANNA)) == 1
    assert record.leave(ANNA, 3.0)
    assert record.leave(ANNA, 4.0) is False
    assert record.leave(BEN, 4.0) is False
    record.join(BEN, "remote", 5.0, camera=True, microphone=True)
    assert record.set_media(BEN, True, True, 6.0) is False
    assert record.join(BEN, "remote", 7.0, camera=True, microphone=True) is False
    assert len(record.history(BEN)[0].media) == 1


def test_joining_remote_again_with_other_media_is_a_media_change() -> None:
    record = attendance()
    record.join(BEN, "remote", 0.0, camera=True, microphone=False)
    assert record.join(BEN, "remote", 3.0, camera=True, microphone=True) is True
    assert len(record.history(BEN)) == 1
    assert record.status(BEN) == "counted"


def test_walking_from_remote_into_the_hall_ends_one_stretch_and_starts_another() -> None:
    record = attendance()
    record.join(CARLA, "remote", 0.0, camera=True, microphone=True)
    assert record.join(CARLA, "hall", 60.0)
    first, second = record.history(CARLA)
    assert (first.place, first.joined_at, first.left_at) == ("remote", 0.0, 60.0)
    assert (second.place, second.joined_at, second.left_at) == ("hall", 60.0, None)
    assert second.media == []


def test_the_history_answers_who_counted_when() -> None:
    record = attendance()
    record.join(ANNA, "hall", 0.0)
    record.join(BEN, "remote", 0.0, camera=True, microphone=True)
    record.set_media(BEN, False, True, 10.0)
    record.set_media(BEN, True, True, 20.0)
    record.leave(ANNA, 30.0)
    record.join(ANNA, "hall", 40.0)
    assert record.counted_at(5.0) == {ANNA, BEN}
    assert record.counted_at(15.0) == {ANNA}
    assert record.counted_at(25.0) == {ANNA, BEN}
    assert record.counted_at(35.0) == {BEN}
    assert record.counted_at(45.0) == {ANNA, BEN}
    assert record.counted_at(-1.0) == frozenset()
    changes = [(c.at, c.camera, c.microphone) for c in record.history(BEN)[0].media]
    assert changes == [(0.0, True, True), (10.0, False, True), (20.0, True, True)]


def test_media_belong_to_a_connected_remote_member_only() -> None:
    record = attendance()
    with pytest.raises(CouncilError):
        record.set_media(ANNA, True, True, 0.0)
    record.join(ANNA, "hall", 0.0)
    with pytest.raises(CouncilError) as refused:
        record.set_media(ANNA, True, True, 0.0)
    assert refused.value.code == "bad_value"


def test_strangers_and_unknown_places_are_refused() -> None:
    record = attendance()
    with pytest.raises(CouncilError) as refused:
        record.join(MemberId("mallory"), "hall", 0.0)
    assert refused.value.code == "unknown_member"
    with pytest.raises(CouncilError) as refused:
        record.join(ANNA, "garden", 0.0)  # type: ignore[arg-type]
    assert refused.value.code == "bad_value"
    assert record.history(ANNA) == ()


def test_a_flapping_member_is_refused_beyond_the_bound_but_can_always_go() -> None:
    record = attendance()
    for step in range(MAX_CHANGES_PER_MEMBER // 2 - 1):
        record.join(BEN, "remote", float(step))
        record.set_media(BEN, True, True, step + 0.5)
        record.leave(BEN, step + 0.7)
    record.join(BEN, "remote", 5000.0, camera=False, microphone=True)
    record.set_media(BEN, True, True, 5001.0)
    assert record.set_media(BEN, False, True, 5002.0), "switching off is always taken"
    with pytest.raises(CouncilError) as refused:
        record.set_media(BEN, True, True, 5003.0)
    assert refused.value.code == "too_many"
    assert record.status(BEN) == "not_counted"
    assert record.leave(BEN, 5004.0)
    with pytest.raises(CouncilError):
        record.join(BEN, "hall", 5005.0)
    assert record.status(BEN) == "absent"
    assert record.join(ANNA, "hall", 5006.0), "the bound is per member"
