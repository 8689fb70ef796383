"""A room's public side as a domain object: the viewer link, live and paused, the stage with
pins and opt-outs, the audience count and the question inbox with its limits."""

from __future__ import annotations

import pytest

from klingel.ids import ParticipantId
from klingel.protocol.errors import ErrorCode, KlingelError, UserError
from klingel.rooms.broadcast import (
    INVITATION_SECONDS,
    MAX_INVITATIONS,
    MAX_OPEN_QUESTIONS,
    MAX_QUESTION_LENGTH,
    QUESTION_INTERVAL_SECONDS,
    Broadcast,
    new_viewer_key,
)

ANNA = ParticipantId("p-anna")
BEN = ParticipantId("p-ben")


def refused(error: pytest.ExceptionInfo[KlingelError]) -> str:
    return str(error.value.code)


def test_viewer_keys_are_long_random_and_open_only_their_broadcast() -> None:
    keys = {new_viewer_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(len(key) >= 22 for key in keys)
    broadcast = Broadcast()
    assert broadcast.opens_with(broadcast.key)
    assert not broadcast.opens_with(broadcast.key[:-1] + ("A" if broadcast.key[-1] != "A" else "B"))
    assert not broadcast.opens_with("")


def test_a_new_viewer_link_closes_the_old_one() -> None:
    broadcast = Broadcast()
    old = broadcast.key
    new = broadcast.renew_key()
    assert new != old
    assert broadcast.opens_with(new)
    assert not broadcast.opens_with(old)


def test_it_starts_live_and_pauses_and_resumes() -> None:
    broadcast = Broadcast()
    assert broadcast.live and broadcast.phase == "live"
    assert broadcast.pause() is True
    assert broadcast.pause() is False, "pausing twice changes nothing"
    assert not broadcast.live
    assert broadcast.resume() is True
    assert broadcast.live


def test_the_stage_follows_the_speaker_unless_a_host_pins_someone() -> None:
    broadcast = Broadcast()
    assert broadcast.on_stage(None) is None
    assert broadcast.on_stage(ANNA) == ANNA
    broadcast.pin(BEN)
    assert broadcast.on_stage(ANNA) == BEN
    broadcast.pin(None)
    assert broadcast.on_stage(ANNA) == ANNA


def test_nobody_is_on_stage_while_paused() -> None:
    broadcast = Broadcast()
    broadcast.pin(ANNA)
    broadcast.pause()
    assert broadcast.on_stage(BEN) is None
    broadcast.resume()
    assert broadcast.on_stage(BEN) == ANNA


def test_who_opted_out_is_never_on_stage_speaking_or_pinned() -> None:
    broadcast = Broadcast()
    broadcast.pin(ANNA)
    broadcast.set_shown(ANNA, False)
    assert not broadcast.is_shown(ANNA)
    assert broadcast.pinned is None, "opting out ends a pin"
    assert broadcast.on_stage(ANNA) is None, "not even as the speaker"
    with pytest.raises(KlingelError) as error:
        broadcast.pin(ANNA)
    assert refused(error) == ErrorCode.NOT_ALLOWED
    broadcast.set_shown(ANNA, True)
    assert broadcast.on_stage(ANNA) == ANNA


def test_who_leaves_loses_their_pin_and_their_opt_out() -> None:
    broadcast = Broadcast()
    broadcast.pin(ANNA)
    broadcast.set_shown(BEN, False)
    broadcast.forget(ANNA)
    broadcast.forget(BEN)
    assert broadcast.pinned is None
    assert broadcast.is_shown(BEN)


def test_the_audience_is_counted_and_never_below_zero() -> None:
    broadcast = Broadcast()
    assert broadcast.viewer_came() == 1
    assert broadcast.viewer_came() == 2
    assert broadcast.viewer_left() == 1
    assert broadcast.viewer_left() == 0
    with pytest.raises(ValueError):
        broadcast.viewer_left()


def test_a_question_is_plain_trimmed_text_with_an_optional_name() -> None:
    broadcast = Broadcast()
    question = broadcast.ask("v1", "  Wann wird die Brücke fertig?  \n  Danke! ", "  Erika ", 0.0)
    assert question.text == "Wann wird die Brücke fertig?\nDanke!"
    assert question.name == "Erika"
    other = broadcast.ask("v2", "<b>Laut</b>", "   ", 0.0)
    assert other.text == "<b>Laut</b>", "kept as text; it is never rendered as HTML"
    assert other.name is None
    assert [q.id for q in broadcast.questions()] == [question.id, other.id]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n  ",
        "x" * (MAX_QUESTION_LENGTH + 1),
        "Hallo\u202eevil",
        "zero\u200bwidth",
        "bell\x07",
    ],
)
def test_bad_question_text_is_refused_and_changes_nothing(text: str) -> None:
    broadcast = Broadcast()
    with pytest.raises(KlingelError) as error:
        broadcast.ask("v1", text, None, 0.0)
    assert refused(error) == ErrorCode.BAD_MESSAGE
    assert broadcast.questions() == ()
    broadcast.ask("v1", "Noch eine Frage", None, 0.0)  # the refusal did not count as a question


def test_a_bad_name_is_refused() -> None:
    broadcast = Broadcast()
    for name in ("x" * 65, "Eri\u202eka"):
        with pytest.raises(KlingelError) as error:
            broadcast.ask("v1", "Frage", name, 0.0)
        assert refused(error) == ErrorCode.BAD_NAME
    assert broadcast.questions() == ()


def test_one_question_per_viewer_each_half_minute() -> None:
    broadcast = Broadcast()
    broadcast.ask("v1", "Erste", None, 100.0)
    with pytest.raises(KlingelError) as error:
        broadcast.ask("v1", "Zweite", None, 100.0 + QUESTION_INTERVAL_SECONDS - 0.1)
    assert refused(error) == ErrorCode.RATE_LIMITED
    broadcast.ask("v2", "Von jemand anderem", None, 101.0)
    broadcast.ask("v1", "Zweite", None, 100.0 + QUESTION_INTERVAL_SECONDS)
    assert [q.text for q in broadcast.questions()] == ["Erste", "Von jemand anderem", "Zweite"]


def test_a_full_inbox_makes_room_with_answered_questions_only() -> None:
    broadcast = Broadcast()
    for i in range(MAX_OPEN_QUESTIONS):
        broadcast.ask(f"v{i}", f"Frage {i}", None, 0.0)
    with pytest.raises(KlingelError) as error:
        broadcast.ask("late", "Zu spät", None, 0.0)
    assert refused(error) == ErrorCode.RATE_LIMITED
    assert len(broadcast.questions()) == MAX_OPEN_QUESTIONS
    first = broadcast.questions()[0]
    broadcast.mark_answered(broadcast.questions()[5].id)
    broadcast.mark_answered(first.id)
    broadcast.ask("late", "Jetzt geht es", None, 0.0)
    texts = [q.text for q in broadcast.questions()]
    assert len(texts) == MAX_OPEN_QUESTIONS
    assert "Frage 0" not in texts, "the oldest answered one made room"
    assert "Frage 5" in texts and texts[-1] == "Jetzt geht es"


def test_answering_an_unknown_question_is_refused() -> None:
    broadcast = Broadcast()
    with pytest.raises(KlingelError) as error:
        broadcast.mark_answered("q404")
    assert refused(error) == ErrorCode.BAD_MESSAGE
    asked = broadcast.ask("v1", "Frage", None, 0.0)
    assert broadcast.mark_answered(asked.id).answered


def test_an_invitation_lets_in_once_and_only_for_a_while() -> None:
    broadcast = Broadcast()
    token = broadcast.invite(now=100.0)
    assert token != broadcast.key and len(token) >= 22
    assert broadcast.admits(token, 100.0 + INVITATION_SECONDS - 1)
    assert not broadcast.admits(token[:-1] + "x", 101.0)
    assert not broadcast.admits(None, 101.0) and not broadcast.admits("", 101.0)
    broadcast.spend(token)
    assert not broadcast.admits(token, 102.0)
    late = broadcast.invite(now=200.0)
    assert not broadcast.admits(late, 200.0 + INVITATION_SECONDS)


def test_invitations_are_bounded_the_oldest_going_first() -> None:
    broadcast = Broadcast()
    tokens = [broadcast.invite(now=1.0) for _ in range(MAX_INVITATIONS + 1)]
    assert not broadcast.admits(tokens[0], 2.0)
    assert all(broadcast.admits(token, 2.0) for token in tokens[1:])


def test_a_shown_question_is_kept_and_can_be_taken_away() -> None:
    broadcast = Broadcast()
    question = broadcast.ask("w-1", "Frage?", None, now=0.0)
    assert broadcast.show(question.id) is question
    broadcast.mark_answered(question.id)
    assert broadcast.shown_question is question
    assert broadcast.show(None) is None
    with pytest.raises(UserError):
        broadcast.show("q404")
