"""The agenda: item numbers, titles and motions as typed, the current item with its timer,
and whether moving to an item switches between public and non-public."""

from __future__ import annotations

import pytest

from klingel.rooms.council.agenda import (
    MAX_ITEMS,
    MAX_MOTION_LENGTH,
    MAX_MOTIONS,
    MAX_TITLE_LENGTH,
    Agenda,
    AgendaItem,
)
from klingel.rooms.council.errors import CouncilError


def agenda() -> Agenda:
    return Agenda(
        [
            AgendaItem("1", "Eröffnung", True),
            AgendaItem("2", "Bebauungsplan Mühlweg", True, ("Der Rat beschließt den Plan.",)),
            AgendaItem("3.1", "Grundstücksangelegenheiten", False, ("Verkauf Flst. 12",)),
            AgendaItem("3.2", "Personalsache", False),
            AgendaItem("4", "Anfragen", True),
        ]
    )


def test_items_keep_their_order_and_are_found_by_number() -> None:
    items = agenda()
    assert [item.number for item in items.items] == ["1", "2", "3.1", "3.2", "4"]
    assert items.item("3.1").title == "Grundstücksangelegenheiten"
    with pytest.raises(CouncilError) as refused:
        items.item("5")
    assert refused.value.code == "unknown_item"


def test_there_is_no_current_item_before_the_first_and_the_session_starts_public() -> None:
    items = agenda()
    assert items.current is None
    assert items.public
    assert items.elapsed(100.0) == 0.0


def test_moving_reports_only_a_switch_between_public_and_non_public() -> None:
    items = agenda()
    assert items.move_to("1", 10.0) is False
    assert items.move_to("2", 20.0) is False
    assert items.move_to("3.1", 30.0) is True
    assert not items.public
    assert items.move_to("3.2", 40.0) is False
    assert items.move_to("4", 50.0) is True
    assert items.public
    assert items.current is not None and items.current.number == "4"


def test_a_non_public_first_item_is_a_switch() -> None:
    items = agenda()
    assert items.move_to("3.1", 0.0) is True


def test_the_item_timer_counts_from_the_call() -> None:
    items = agenda()
    items.move_to("2", 100.0)
    assert items.elapsed(160.0) == 60.0
    items.move_to("3.1", 200.0)
    assert items.elapsed(205.0) == 5.0


@pytest.mark.parametrize("number", ["", "a", "1.", ".1", "1..2", "1 ", "1234", "TOP 1"])
def test_bad_item_numbers_are_refused(number: str) -> None:
    with pytest.raises(CouncilError) as refused:
        AgendaItem(number, "Titel", True)
    assert refused.value.code == "bad_text"


@pytest.mark.parametrize("number", ["1", "3.2", "12a", "4.1.3"])
def test_usual_item_numbers_are_taken(number: str) -> None:
    assert AgendaItem(number, "Titel", True).number == number


def test_titles_and_motions_are_checked() -> None:
    assert AgendaItem("1", "x" * MAX_TITLE_LENGTH, True).title == "x" * MAX_TITLE_LENGTH
    for title in ["", "x" * (MAX_TITLE_LENGTH + 1), "Titel\x1b[2J"]:
        with pytest.raises(CouncilError):
            AgendaItem("1", title, True)
    with pytest.raises(CouncilError):
        AgendaItem("1", "Titel", True, ("x" * (MAX_MOTION_LENGTH + 1),))
    item = AgendaItem("1", "Titel", True, ("  Erstens\n  Zweitens  ",))
    assert item.motions == ("Erstens\nZweitens",), "a motion keeps its lines"


def test_numbers_are_unique_and_items_and_motions_bounded() -> None:
    with pytest.raises(CouncilError):
        Agenda([AgendaItem("1", "A", True), AgendaItem("1", "B", True)])
    with pytest.raises(CouncilError) as refused:
        Agenda(AgendaItem(str(n), "T", True) for n in range(MAX_ITEMS + 1))
    assert refused.value.code == "too_many"
    assert len(Agenda(AgendaItem(str(n), "T", True) for n in range(MAX_ITEMS)).items) == 100
    with pytest.raises(CouncilError) as refused:
        AgendaItem("1", "T", True, tuple("Antrag" for _ in range(MAX_MOTIONS + 1)))
    assert refused.value.code == "too_many"


def test_a_motion_raised_in_the_session_joins_its_item_up_to_the_bound() -> None:
    items = agenda()
    assert items.add_motion("2", "Änderungsantrag: Mühlweg 3 ausnehmen") == 1
    assert items.motion("2", 1) == "Änderungsantrag: Mühlweg 3 ausnehmen"
    with pytest.raises(CouncilError):
        items.add_motion("2", "")
    for _ in range(MAX_MOTIONS - 2):
        items.add_motion("2", "Antrag")
    with pytest.raises(CouncilError) as refused:
        items.add_motion("2", "Antrag")
    assert refused.value.code == "too_many"


@pytest.mark.parametrize("index", [-1, 1, True])
def test_an_unknown_motion_is_refused(index: int) -> None:
    with pytest.raises(CouncilError) as refused:
        agenda().motion("2", index)
    assert refused.value.code == "unknown_motion"
