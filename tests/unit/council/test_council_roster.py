"""A council's roster: quorum from the legal size under both rules, and what the roster
refuses (bad names, duplicate ids, two chairs, sizes out of range, too many members)."""

from __future__ import annotations

import pytest

from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import (
    MAX_MEMBERS,
    MAX_NAME_LENGTH,
    Body,
    Member,
    MemberId,
    Role,
    quorum_needed,
)


def member(number: int, role: Role = "member", faction: str = "") -> Member:
    return Member(MemberId(f"m{number}"), f"Mitglied {number}", faction, role)


def body(members: list[Member], legal_size: int = 27) -> Body:
    return Body("gemeinderat", "Gemeinderat Klingelbach", legal_size, "at_least_half", members)


@pytest.mark.parametrize(
    ("legal_size", "at_least_half", "more_than_half"),
    [(27, 14, 14), (26, 13, 14), (1, 1, 1), (2, 1, 2), (3, 2, 2), (200, 100, 101)],
)
def test_quorum_follows_the_rule_and_the_legal_size(
    legal_size: int, at_least_half: int, more_than_half: int
) -> None:
    assert quorum_needed(legal_size, "at_least_half") == at_least_half
    assert quorum_needed(legal_size, "more_than_half") == more_than_half


@pytest.mark.parametrize("legal_size", [0, -1, 201, True])
def test_legal_sizes_out_of_range_are_refused(legal_size: int) -> None:
    with pytest.raises(CouncilError) as refused:
        quorum_needed(legal_size, "at_least_half")
    assert refused.value.code == "bad_roster"
    with pytest.raises(CouncilError):
        body([member(1)], legal_size=legal_size)


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(CouncilError) as refused:
        quorum_needed(10, "two_thirds")  # type: ignore[arg-type]
    assert refused.value.code == "bad_roster"


def test_the_quorum_comes_from_the_legal_size_not_from_the_members_entered() -> None:
    council = body([member(number) for number in range(1, 6)], legal_size=26)
    assert council.quorum == 13
    assert len(council.members) == 5


def test_a_member_is_found_by_id_and_names_are_cleaned() -> None:
    chair = Member(MemberId("bgm"), "  Dr. Eva Schäfer ", " CDU ", "chair")
    council = body([chair, member(2, faction="Grüne")])
    assert council.member("bgm").name == "Dr. Eva Schäfer"
    assert council.member("bgm").faction == "CDU"
    assert council.chair == chair
    assert council.has("m2") and not council.has("m3")
    assert council.names() == {"bgm": "Dr. Eva Schäfer", "m2": "Mitglied 2"}
    with pytest.raises(CouncilError) as refused:
        council.member("m3")
    assert refused.value.code == "unknown_member"


def test_a_body_without_a_chair_has_none() -> None:
    assert body([member(1)]).chair is None


@pytest.mark.parametrize(
    "name",
    ["", "   ", "x" * (MAX_NAME_LENGTH + 1), "Anna\x00", "Anna\u202eBen", "Ben\u200b", "A\u2028B"],
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(CouncilError) as refused:
        Member(MemberId("m1"), name)
    assert refused.value.code == "bad_text"


def test_the_longest_name_is_taken() -> None:
    assert Member(MemberId("m1"), "x" * MAX_NAME_LENGTH).name == "x" * MAX_NAME_LENGTH


def test_bad_factions_and_ids_are_refused() -> None:
    with pytest.raises(CouncilError):
        Member(MemberId("m1"), "Anna", "SPD\x07")
    for bad_id in ["", "m 1", "m1\n", "x" * 65, "ü"]:
        with pytest.raises(CouncilError) as refused:
            Member(MemberId(bad_id), "Anna")
        assert refused.value.code == "bad_text"


def test_a_role_is_chair_or_member() -> None:
    with pytest.raises(CouncilError) as refused:
        Member(MemberId("m1"), "Anna", "", "guest")  # type: ignore[arg-type]
    assert refused.value.code == "bad_roster"


def test_member_ids_are_unique_and_there_is_at_most_one_chair() -> None:
    with pytest.raises(CouncilError) as refused:
        body([member(1), member(1)])
    assert refused.value.code == "bad_roster"
    with pytest.raises(CouncilError) as refused:
        body([member(1, "chair"), member(2, "chair")])
    assert refused.value.code == "bad_roster"


def test_a_body_has_at_most_so_many_members() -> None:
    assert len(body([member(n) for n in range(MAX_MEMBERS)], legal_size=200).members) == 200
    with pytest.raises(CouncilError) as refused:
        body([member(n) for n in range(MAX_MEMBERS + 1)], legal_size=200)
    assert refused.value.code == "too_many"


def test_a_body_name_is_checked_like_a_member_name() -> None:
    with pytest.raises(CouncilError):
        Body("gr", "\u202e", 5, "at_least_half", [])
    with pytest.raises(CouncilError):
        Body("gr x", "Rat", 5, "at_least_half", [])
