"""The rules of breakout groups: who may go where with their pass, and until when."""

from __future__ import annotations

from klingel.ids import ParticipantId, RoomId
from klingel.rooms.breakouts import (
    IDLE_SECONDS,
    MAIN,
    RETURN_SECONDS,
    Breakouts,
    group_room_id,
    main_room_of,
    split,
)

MAIN_ROOM = RoomId("sprachkurs-b1")
NOW = 1000.0


def person(name: str) -> ParticipantId:
    return ParticipantId(f"p-{name}")


def opened(minutes: int = 10) -> Breakouts:
    tokens = iter(f"pass-{n}" for n in range(100))
    breakouts = Breakouts(
        MAIN_ROOM, 2, minutes=minutes, auto=True, now=NOW, new_token=lambda: next(tokens)
    )
    breakouts.issue(person("anna"), "Anna", "host", None)
    breakouts.issue(person("ben"), "Ben", "guest", 1)
    breakouts.issue(person("cem"), "Cem", "cohost", 2)
    return breakouts


def test_group_rooms_have_ids_nobody_can_type_and_lead_back_to_their_main_room() -> None:
    group = group_room_id(MAIN_ROOM, 2)
    assert group != MAIN_ROOM and "~" in group
    assert main_room_of(group) == MAIN_ROOM
    assert main_room_of(MAIN_ROOM) is None


def test_a_guest_enters_their_own_group_and_the_main_room_and_moderators_every_group() -> None:
    breakouts = opened()
    ben, anna, cem = (breakouts.of(person(name)) for name in ("ben", "anna", "cem"))
    assert ben is not None and anna is not None and cem is not None
    assert breakouts.may_enter(ben, 1, NOW) and breakouts.may_enter(ben, MAIN, NOW)
    assert not breakouts.may_enter(ben, 2, NOW)
    assert not breakouts.may_enter(ben, 3, NOW)
    assert all(breakouts.may_enter(anna, number, NOW) for number in (MAIN, 1, 2))
    assert breakouts.may_enter(cem, 1, NOW)  # a co-host visits too
    assert not breakouts.may_enter(anna, 3, NOW)
    assert breakouts.by_token(ben.token) is ben and breakouts.by_token("pass-99") is None


def test_after_closing_only_the_way_back_stays_open_for_a_while() -> None:
    breakouts = opened()
    ben = breakouts.of(person("ben"))
    assert ben is not None
    assert breakouts.close(NOW + 5) and not breakouts.close(NOW + 6)
    assert not breakouts.may_enter(ben, 1, NOW + 6)
    assert breakouts.may_enter(ben, MAIN, NOW + 5 + RETURN_SECONDS - 1)
    assert not breakouts.over(NOW + 5 + RETURN_SECONDS - 1)
    assert not breakouts.may_enter(ben, MAIN, NOW + 5 + RETURN_SECONDS)
    assert breakouts.over(NOW + 5 + RETURN_SECONDS)


def test_the_timer_and_idle_groups_are_due() -> None:
    breakouts = opened(minutes=10)
    assert not breakouts.due(NOW + 599) and breakouts.due(NOW + 600)
    assert breakouts.seconds_left(NOW + 60) == 540
    untimed = opened(minutes=0)
    assert untimed.seconds_left(NOW) is None and not untimed.due(NOW + 10**6)
    for name in ("anna", "ben", "cem"):
        untimed.left(person(name), NOW + 10)
    assert not untimed.due(NOW + 10 + IDLE_SECONDS - 1) and untimed.due(NOW + 10 + IDLE_SECONDS)
    closed = opened()
    closed.close(NOW)
    assert not closed.due(NOW + 10**6)


def test_a_pass_follows_its_holder_from_seat_to_seat() -> None:
    breakouts = opened()
    ben = breakouts.of(person("ben"))
    assert ben is not None
    breakouts.seated(ben, 1, person("ben-in-1"))
    assert breakouts.of(person("ben")) is None and breakouts.of(person("ben-in-1")) is ben
    assert ben.where == 1
    # The old seat's leave, arriving late, does not undo the move.
    assert not breakouts.left(person("ben"), NOW)
    assert ben.where == 1
    assert breakouts.left(person("ben-in-1"), NOW)
    assert ben.where is None and ben.participant is None


def test_what_each_person_sees() -> None:
    breakouts = opened()
    ben = breakouts.of(person("ben"))
    assert ben is not None
    breakouts.seated(ben, 1, person("ben-in-1"))
    seen = breakouts.state_for(person("ben-in-1"), NOW)
    assert seen.you is not None and seen.you.pass_ == ben.token and seen.you.group == 1
    assert [(g.number, [(m.name, m.here) for m in g.members]) for g in seen.groups] == [
        (1, [("Ben", True)]),
        (2, [("Cem", False)]),
    ]
    assert seen.in_main == ("Anna", "Cem")
    assert breakouts.state_for(person("stranger"), NOW).you is None
    assert "pass-" not in str(breakouts.state_for(None, NOW).to_dict())


def test_split_keeps_only_those_present() -> None:
    assert split([person("a"), person("b")], [[person("a")], [person("x"), person("b")]]) == {
        person("a"): 1,
        person("b"): 2,
    }


def test_once_everyone_is_back_nothing_is_shown_but_the_way_back_stays_open() -> None:
    breakouts = opened()
    ben = breakouts.of(person("ben"))
    assert ben is not None
    breakouts.seated(ben, 1, person("ben-in-1"))
    breakouts.close(NOW)
    assert breakouts.state_for(person("ben-in-1"), NOW).closing
    breakouts.seated(ben, MAIN, person("ben-back"))
    shown = breakouts.state_for(person("ben-back"), NOW + 1)
    assert not shown.open and not shown.closing and shown.you is None
    assert breakouts.may_enter(ben, MAIN, NOW + 1)
