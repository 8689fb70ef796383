"""Votes on a motion: simple majority of the votes cast, ties rejected, abstentions not
counted as cast; who may vote fixed when the vote opens; hall counts that never double count;
roll calls by name; secret votes refused while a remote member is eligible."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from klingel.rooms.council.attendance import Place
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import MemberId
from klingel.rooms.council.votes import (
    MAJORITY_RULE,
    Counts,
    Motion,
    Vote,
    VoteKind,
    by_post,
)

ANNA, BEN, CARLA, DIRK, EMMA = (MemberId(name) for name in ("anna", "ben", "carla", "dirk", "emma"))
NAMES = {
    ANNA: "Anna Amsel",
    BEN: "Ben Bach",
    CARLA: "Carla Cäsar",
    DIRK: "Dirk Dorn",
    EMMA: "Emma Eck",
}
MOTION = Motion("2", 0, "Der Rat beschließt den Bebauungsplan.")


def vote(
    kind: VoteKind = "open",
    eligible: dict[MemberId, Place] | None = None,
    biased: tuple[MemberId, ...] = (),
) -> Vote:
    if eligible is None:
        eligible = {ANNA: "hall", BEN: "hall", CARLA: "hall", DIRK: "remote", EMMA: "remote"}
    return Vote("v1", MOTION, kind, eligible, biased, NAMES)


def test_a_vote_needs_a_motion_of_an_item() -> None:
    for item, index, text in [("", 0, "Antrag"), ("2", -1, "Antrag"), ("2", 0, "  ")]:
        with pytest.raises(CouncilError):
            Motion(item, index, text)
    with pytest.raises(CouncilError):
        Vote("v1", "Stimmungsbild", "open", {}, (), {})  # type: ignore[arg-type]


def test_more_yes_than_no_adopts_and_abstentions_are_not_votes_cast() -> None:
    running = vote()
    running.cast(ANNA, "yes")
    running.cast(BEN, "abstain")
    running.cast(CARLA, "abstain")
    running.cast(DIRK, "abstain")
    result = running.close(50.0)
    assert result.counts == Counts(1, 0, 3)
    assert result.counts.cast == 1
    assert result.outcome == "adopted", "one yes against no no adopts despite three abstentions"
    assert result.rule == MAJORITY_RULE
    assert result.closed_at == 50.0


def test_a_tie_rejects() -> None:
    running = vote()
    running.cast(ANNA, "yes")
    running.cast(BEN, "no")
    running.cast(CARLA, "abstain")
    assert running.close(1.0).outcome == "rejected"


def test_no_votes_at_all_reject() -> None:
    assert vote().close(1.0).outcome == "rejected"


def test_ballots_are_listed_by_name_and_may_change_until_the_close() -> None:
    running = vote("roll_call")
    assert running.cast(DIRK, "no") is None
    running.cast(ANNA, "yes")
    assert running.cast(DIRK, "yes") == "no"
    assert running.ballots == ((DIRK, "yes"), (ANNA, "yes"))
    result = running.close(9.0)
    assert result.ballots == ((ANNA, "Anna Amsel", "yes"), (DIRK, "Dirk Dorn", "yes"))
    assert result.counts == Counts(2, 0, 0)
    assert result.eligible == 5


def test_only_eligible_members_vote_and_the_biased_are_told_why() -> None:
    running = vote(biased=(CARLA,))
    with pytest.raises(CouncilError) as refused:
        running.cast(CARLA, "yes")
    assert refused.value.code == "biased"
    with pytest.raises(CouncilError) as refused:
        running.cast(MemberId("late"), "yes")
    assert refused.value.code == "not_eligible"
    with pytest.raises(CouncilError) as refused:
        running.cast(ANNA, "maybe")  # type: ignore[arg-type]
    assert refused.value.code == "bad_value"
    assert CARLA not in running.eligible and len(running.eligible) == 4
    assert running.ballots == ()


def test_hall_counts_add_to_remote_ballots() -> None:
    running = vote()
    running.cast(DIRK, "no")
    running.cast(EMMA, "yes")
    running.set_hall_counts(Counts(yes=2, no=0, abstain=1))
    result = running.close(3.0)
    assert result.counts == Counts(3, 1, 1)
    assert result.hall == Counts(2, 0, 1)
    assert result.outcome == "adopted"
    assert [name for _, name, _ in result.ballots] == ["Dirk Dorn", "Emma Eck"]


def test_hall_counts_never_exceed_the_hall_nor_count_a_system_voter_twice() -> None:
    running = vote()
    with pytest.raises(CouncilError) as refused:
        running.set_hall_counts(Counts(2, 1, 1))
    assert refused.value.code == "hall_counts"
    running.cast(ANNA, "yes")
    with pytest.raises(CouncilError):
        running.set_hall_counts(Counts(2, 1, 0))
    running.set_hall_counts(Counts(1, 1, 0))
    with pytest.raises(CouncilError) as refused:
        running.cast(BEN, "no")
    assert refused.value.code == "hall_counts", "Ben's hand is already in the hall count"
    running.cast(ANNA, "no")
    running.cast(DIRK, "no")
    running.set_hall_counts(Counts(0, 1, 0))
    assert running.close(1.0).counts == Counts(0, 3, 0)
    with pytest.raises(CouncilError):
        Counts(-1, 0, 0)


def test_a_roll_call_takes_no_anonymous_hall_counts() -> None:
    running = vote("roll_call")
    with pytest.raises(CouncilError) as refused:
        running.set_hall_counts(Counts(1, 0, 0))
    assert refused.value.code == "hall_counts"


def test_a_secret_vote_is_refused_while_a_remote_member_is_eligible() -> None:
    with pytest.raises(CouncilError) as refused:
        vote("secret")
    assert refused.value.code == "secret_with_remote"
    assert "by post" in refused.value.message


def test_a_biased_remote_member_does_not_block_a_secret_vote_in_the_hall() -> None:
    running = vote("secret", {ANNA: "hall", BEN: "hall", DIRK: "remote"}, biased=(DIRK,))
    with pytest.raises(CouncilError) as refused:
        running.cast(ANNA, "yes")
    assert refused.value.code == "secret_ballot"
    running.set_hall_counts(Counts(1, 1, 0))
    result = running.close(2.0)
    assert result.ballots == ()
    assert (result.counts, result.outcome) == (Counts(1, 1, 0), "rejected")


def test_by_post_is_an_outcome_of_its_own() -> None:
    result = by_post("v2", MOTION, 12, 40.0)
    assert result.outcome == "by_post"
    assert result.kind == "secret"
    assert result.counts == Counts() and result.ballots == ()
    assert result.eligible == 12


def test_a_closed_vote_takes_nothing_more() -> None:
    running = vote()
    running.cast(ANNA, "yes")
    result = running.close(1.0)
    calls: list[Callable[[], object]] = [
        lambda: running.cast(BEN, "no"),
        lambda: running.set_hall_counts(Counts(0, 1, 0)),
        lambda: running.close(2.0),
    ]
    for late in calls:
        with pytest.raises(CouncilError) as refused:
            late()
        assert refused.value.code == "vote_closed"
    assert result.counts == Counts(1, 0, 0)
    assert running.ballots == ((ANNA, "yes"),)
