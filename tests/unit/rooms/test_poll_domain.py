"""The poll domain: what a host may ask, what a vote may name, who sees counts and names when,
and the pace of room-wide updates."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from klingel.ids import ParticipantId
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.polls import PollResults, PollStart, PollState
from klingel.rooms.polls import Poll, UpdatePacer, parse_poll

ANNA, BEN, HANNA = ParticipantId("p-anna"), ParticipantId("p-ben"), ParticipantId("p-hanna")


def start(
    question: str = "Wann üben wir?",
    options: tuple[str, ...] = ("Montag", "Mittwoch", "Freitag"),
    *,
    anonymous: bool = False,
    multiple: bool = False,
    results: PollResults = "end",
) -> PollStart:
    return PollStart(question, options, anonymous, multiple, results)


def poll(*, anonymous: bool = False, multiple: bool = False, results: PollResults = "end") -> Poll:
    setup = parse_poll(start(anonymous=anonymous, multiple=multiple, results=results))
    return Poll(setup, UpdatePacer(0.5), poll_id="p-1")


def votes(state: PollState) -> list[int | None]:
    return [option.votes for option in state.options]


def names(state: PollState) -> list[tuple[str, ...] | None]:
    return [option.names for option in state.options]


@contextlib.contextmanager
def refused(code: ErrorCode) -> Iterator[None]:
    with pytest.raises(KlingelError) as caught:
        yield
    assert caught.value.code is code


def test_a_poll_is_trimmed_and_kept_as_asked() -> None:
    setup = parse_poll(start("  Wann üben wir?  ", (" Montag", "Mittwoch ")))
    assert setup.question == "Wann üben wir?"
    assert setup.options == ("Montag", "Mittwoch")


@pytest.mark.parametrize(
    "question, options",
    [
        ("   ", ("Ja", "Nein")),
        ("Eine\nzweite Zeile", ("Ja", "Nein")),
        ("Frage", ("Ja", "")),
        ("Frage", ("Ja", " ja")),  # the same, told apart only by case and space
        ("Frage", ("Ja", "\u202eniem")),  # a bidi override
        ("Frage", ("Ja", "Nein\x00")),
        ("x" * 201, ("Ja", "Nein")),
        ("Frage", ("Ja", "n" * 81)),
        ("Frage", ("Ja",)),
        ("Frage", tuple(f"Tag {n}" for n in range(11))),
    ],
)
def test_a_poll_that_cannot_be_shown_as_one_plain_line_each_is_refused(
    question: str, options: tuple[str, ...]
) -> None:
    with refused(ErrorCode.BAD_POLL):
        parse_poll(start(question, options))


def test_a_soft_hyphen_and_an_emoji_with_joiners_stay() -> None:
    setup = parse_poll(start("Ver\u00adein?", ("👩\u200d👩\u200d👧", "Nein")))
    assert setup.question == "Ver\u00adein?"


def test_a_single_choice_vote_names_one_existing_option_once() -> None:
    running = poll()
    for bad in ((), (0, 1), (3,), (-1,), (1, 1)):
        with refused(ErrorCode.BAD_MESSAGE):
            running.vote(ANNA, "Anna", bad)
    assert running.voters == 0
    running.vote(ANNA, "Anna", (2,))
    assert running.counts() == [0, 0, 1]


def test_a_multiple_choice_vote_may_name_several_but_each_once() -> None:
    running = poll(multiple=True)
    with refused(ErrorCode.BAD_MESSAGE):
        running.vote(ANNA, "Anna", (0, 0))
    running.vote(ANNA, "Anna", (2, 0))
    assert running.counts() == [1, 0, 1]
    assert running.view(ANNA, moderator=False).mine == (0, 2)


def test_a_voter_changes_their_vote_and_is_counted_once() -> None:
    running = poll(results="live")
    running.vote(ANNA, "Anna", (0,))
    running.vote(ANNA, "Anna", (1,))
    running.vote(BEN, "Ben", (1,))
    state = running.view(ANNA, moderator=False)
    assert (state.voters, votes(state), state.mine) == (2, [0, 2, 0], (1,))


def test_no_vote_after_close() -> None:
    running = poll()
    running.vote(ANNA, "Anna", (0,))
    running.close()
    with refused(ErrorCode.POLL_CLOSED):
        running.vote(ANNA, "Anna", (1,))
    assert running.counts() == [1, 0, 0]


def test_results_at_the_end_are_hidden_from_guests_until_closed_but_not_from_hosts() -> None:
    running = poll(results="end")
    running.vote(ANNA, "Anna", (1,))
    guest_view = running.view(BEN, moderator=False)
    assert votes(guest_view) == [None, None, None] and guest_view.voters == 1
    assert names(guest_view) == [None, None, None]
    assert guest_view.mine == ()
    host_view = running.view(HANNA, moderator=True)
    assert votes(host_view) == [0, 1, 0]
    assert names(host_view) == [(), ("Anna",), ()]
    running.close()
    closed = running.view(BEN, moderator=False)
    assert votes(closed) == [0, 1, 0] and not closed.open
    assert names(closed) == [(), ("Anna",), ()]


def test_live_results_show_counts_to_everyone_but_names_only_to_hosts_until_closed() -> None:
    running = poll(results="live")
    running.vote(ANNA, "Anna", (0,))
    guest_view = running.view(BEN, moderator=False)
    assert votes(guest_view) == [1, 0, 0]
    assert names(guest_view) == [None, None, None]


def test_an_anonymous_poll_never_pairs_a_name_with_a_choice() -> None:
    running = poll(anonymous=True, results="live")
    running.vote(ANNA, "Anna", (0,))
    running.vote(BEN, "Ben", (1,))
    running.close()
    for viewer, moderator in ((HANNA, True), (BEN, False), (ANNA, False)):
        state = running.view(viewer, moderator)
        assert names(state) == [None, None, None]
        assert "Anna" not in repr(state.to_dict()) and "p-anna" not in repr(state.to_dict())
    # Only the voter's own choice comes back to them.
    assert running.view(ANNA, moderator=False).mine == (0,)
    assert running.view(HANNA, moderator=True).mine == ()


def test_the_wire_form_leaves_names_out_where_none_are_shown() -> None:
    running = poll(anonymous=True)
    wire = running.view(BEN, moderator=False).to_dict()
    assert wire["options"][0] == {"text": "Montag", "votes": None}


def test_updates_go_out_at_once_then_at_most_once_an_interval() -> None:
    pacer = UpdatePacer(0.5)
    assert pacer.request(10.0) == 0.0
    pacer.sent(10.0)
    assert pacer.request(10.1) == pytest.approx(0.4)
    assert pacer.request(10.2) is None  # already owed: nothing more to schedule
    pacer.sent(10.5)
    assert pacer.request(11.2) == 0.0


def test_who_leaves_an_open_poll_takes_their_vote_along_and_a_closed_poll_keeps_it() -> None:
    asked = poll(results="live")
    asked.vote(ANNA, "Anna", [0])
    asked.vote(BEN, "Ben", [1])
    assert votes(asked.view(HANNA, moderator=True)) == [1, 1, 0]
    assert asked.withdraw(ANNA) and not asked.withdraw(ANNA)
    state = asked.view(HANNA, moderator=True)
    assert votes(state) == [0, 1, 0] and state.voters == 1 and names(state)[0] == ()
    asked.close()
    assert not asked.withdraw(BEN)
    assert votes(asked.view(HANNA, moderator=False)) == [0, 1, 0]
