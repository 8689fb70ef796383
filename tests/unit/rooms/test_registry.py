from __future__ import annotations

import pytest

from klingel.ids import RoomId
from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.registry import Registry

ROOM = RoomId("musikschule-geige")
OTHER = RoomId("gemeinderat")


def test_a_room_exists_while_someone_is_in_it() -> None:
    registry = Registry(capacity=5)
    first = registry.admit(ROOM, "Anna", None, now=0.0)
    second = registry.admit(ROOM, "Ben", None, now=0.0)
    assert first.room is second.room
    assert (registry.room_count, registry.participant_count) == (1, 2)
    registry.remove(first.room, first.participant.id)
    registry.remove(second.room, second.participant.id)
    assert registry.get(ROOM) is None
    assert registry.room_count == 0


def test_capacity_counts_everyone_including_detached() -> None:
    registry = Registry(capacity=2)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    registry.admit(ROOM, "Ben", None, now=0.0)
    registry.detach(anna.participant, now=1.0)
    with pytest.raises(UserError) as caught:
        registry.admit(ROOM, "Cem", None, now=2.0)
    assert caught.value.code is ErrorCode.ROOM_FULL
    assert registry.admit(OTHER, "Cem", None, now=2.0).room.id == OTHER


def test_resume_returns_the_same_participant_with_a_fresh_token() -> None:
    registry = Registry(capacity=5)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    old_token = anna.participant.resume_token
    registry.detach(anna.participant, now=1.0)
    again = registry.admit(ROOM, "Anna B.", old_token, now=5.0)
    assert again.resumed and again.participant is anna.participant
    assert again.participant.name == "Anna"
    assert again.participant.detached_since is None
    assert again.participant.resume_token != old_token
    assert registry.participant_count == 1
    # The old token is spent: using it again makes a new participant.
    third = registry.admit(ROOM, "Anna", old_token, now=6.0)
    assert not third.resumed and third.participant is not anna.participant


@pytest.mark.parametrize("token", [None, "", "made-up"])
def test_unknown_tokens_make_new_participants(token: str | None) -> None:
    registry = Registry(capacity=5)
    registry.admit(ROOM, "Anna", None, now=0.0)
    assert not registry.admit(ROOM, "Ben", token, now=0.0).resumed


def test_a_token_is_valid_only_for_its_room() -> None:
    registry = Registry(capacity=5)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    elsewhere = registry.admit(OTHER, "Anna", anna.participant.resume_token, now=1.0)
    assert not elsewhere.resumed


def test_grace_period_expiry() -> None:
    registry = Registry(capacity=5, grace_seconds=30.0)
    anna = registry.admit(ROOM, "Anna", None, now=0.0)
    ben = registry.admit(ROOM, "Ben", None, now=0.0)
    registry.detach(anna.participant, now=10.0)
    assert registry.expired(now=39.9) == []
    assert registry.expired(now=40.0) == [(anna.room, anna.participant)]
    token = anna.participant.resume_token
    registry.remove(anna.room, anna.participant.id)
    assert not registry.admit(ROOM, "Anna", token, now=41.0).resumed
    assert ben.participant in list(ben.room)


def test_participant_ids_are_unique_in_a_room() -> None:
    registry = Registry(capacity=50)
    ids = {registry.admit(ROOM, f"P{i}", None, now=0.0).participant.id for i in range(50)}
    assert len(ids) == 50
