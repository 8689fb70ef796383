"""A council session as a whole: quorum stated at the opening and logged once per change,
votes only with quorum, an item and no pause, bias holding a member outside only while their
item is current, the non-public switch, faults, pauses, the event log and its bounds."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from klingel.rooms.council import events as ev
from klingel.rooms.council.agenda import Agenda, AgendaItem
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.events import MAX_EVENTS, RESERVE
from klingel.rooms.council.roster import Body, Member, MemberId
from klingel.rooms.council.session import MAX_VOTES, CouncilSession
from klingel.rooms.council.votes import Counts

CHAIR = MemberId("bgm")
M = [MemberId(f"m{n}") for n in range(1, 9)]
"""Eight members beside the chair; legal size 9, so 5 are needed."""


def session() -> CouncilSession:
    members = [Member(CHAIR, "Eva Schäfer", "", "chair")]
    members += [Member(m, f"Rätin {m}", "Liste A" if i % 2 else "Liste B") for i, m in enumerate(M)]
    body = Body("gr", "Gemeinderat", 9, "at_least_half", members)
    agenda = Agenda(
        [
            AgendaItem("1", "Eröffnung", True),
            AgendaItem("2", "Bebauungsplan", True, ("Der Rat beschließt den Plan.", "Vertagung")),
            AgendaItem("3", "Grundstück", False, ("Verkauf an X",)),
            AgendaItem("4", "Personal", False, ("Einstellung",)),
            AgendaItem("5", "Anfragen", True, ("Antrag",)),
        ]
    )
    return CouncilSession(body, agenda)


def quorate(now: float = 0.0) -> CouncilSession:
    """Chair and four members in the hall (5 of 9), opened, on item 2."""
    council = session()
    for member in [CHAIR, *M[:4]]:
        council.join(member, "hall", now)
    council.open(now)
    council.move_to_item("2", now)
    return council


def code(call: pytest.ExceptionInfo[CouncilError]) -> str:
    return call.value.code


def of(council: CouncilSession, kind: type[ev.Event]) -> list[ev.Event]:
    return [event for event in council.events if isinstance(event, kind)]


def test_the_opening_states_the_quorum() -> None:
    council = session()
    council.join(CHAIR, "hall", 0.0)
    quorum = council.open(1.0)
    assert (quorum.counted, quorum.needed, quorum.legal_size) == (1, 5, 9)
    assert not quorum.reached
    assert council.chair_alert
    assert council.events[-1] == ev.SessionOpened(1.0, quorum)
    with pytest.raises(CouncilError):
        council.open(2.0)


def test_quorum_lost_and_regained_is_logged_once_each() -> None:
    council = quorate()
    assert not council.chair_alert
    council.leave(M[0], 10.0)
    council.leave(M[1], 11.0)
    council.join(M[0], "hall", 12.0)
    council.join(M[1], "hall", 13.0)
    council.join(M[2], "hall", 14.0)
    council.join(M[4], "hall", 15.0)
    changes = of(council, ev.QuorumChanged)
    assert changes == [
        ev.QuorumChanged(10.0, ev.QuorumSnapshot(4, 5, 9)),
        ev.QuorumChanged(13.0, ev.QuorumSnapshot(5, 5, 9)),
    ]
    assert not council.chair_alert
    council.leave(M[3], 20.0)
    assert not council.chair_alert, "still five"
    assert len(of(council, ev.QuorumChanged)) == 2
    assert len(of(council, ev.QuorumChanged)) == 2


def test_the_chair_is_alerted_while_the_quorum_is_lost() -> None:
    council = quorate()
    council.leave(M[0], 10.0)
    assert council.chair_alert
    assert council.snapshot(10.0).chair_alert


def test_an_audio_only_remote_member_does_not_count_for_the_quorum() -> None:
    council = session()
    for member in [CHAIR, *M[:3]]:
        council.join(member, "hall", 0.0)
    council.join(M[4], "remote", 0.0, camera=False, microphone=True)
    council.open(1.0)
    assert council.quorum().counted == 4
    assert council.set_media(M[4], True, True, 5.0)
    assert council.quorum().reached
    assert of(council, ev.QuorumChanged) == [ev.QuorumChanged(5.0, ev.QuorumSnapshot(5, 5, 9))]
    assert council.events[-2] == ev.MediaChanged(5.0, M[4], True, True)
    council.set_media(M[4], True, False, 6.0)
    assert not council.quorum().reached


def test_a_vote_is_refused_without_quorum_and_allowed_with_it() -> None:
    council = quorate()
    council.leave(M[0], 5.0)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(0, "open", 6.0)
    assert code(refused) == "no_quorum"
    assert council.vote is None
    council.join(M[5], "remote", 7.0, camera=True, microphone=True)
    vote = council.open_vote(0, "open", 8.0)
    assert vote.eligible == {CHAIR, M[1], M[2], M[3], M[5]}


def test_a_vote_needs_an_open_session_an_item_no_pause_and_no_other_vote() -> None:
    council = session()
    for member in [CHAIR, *M[:4]]:
        council.join(member, "hall", 0.0)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(0, "open", 1.0)
    assert code(refused) == "session_not_open"
    council.open(1.0)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(0, "open", 2.0)
    assert code(refused) == "no_current_item"
    council.move_to_item("2", 3.0)
    council.pause("Bild des Saals ausgefallen", 4.0)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(0, "open", 5.0)
    assert code(refused) == "session_paused"
    council.resume(6.0)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(7, "open", 7.0)
    assert code(refused) == "unknown_motion"
    council.open_vote(0, "open", 8.0)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(1, "open", 9.0)
    assert code(refused) == "vote_running"
    with pytest.raises(CouncilError) as refused:
        council.move_to_item("3", 9.0)
    assert code(refused) == "vote_running"


def test_who_may_vote_is_fixed_when_the_vote_opens() -> None:
    council = quorate()
    council.open_vote(0, "open", 10.0)
    council.join(M[6], "hall", 11.0)
    with pytest.raises(CouncilError) as refused:
        council.cast(M[6], "yes", 12.0)
    assert code(refused) == "not_eligible"
    council.leave(M[0], 13.0)
    council.cast(M[0], "yes", 14.0)
    assert council.close_vote(15.0).counts == Counts(1, 0, 0)


def test_a_roll_call_result_names_each_member_and_is_logged() -> None:
    council = quorate()
    council.join(M[5], "remote", 1.0, camera=True, microphone=True)
    vote = council.open_vote(0, "roll_call", 10.0)
    for member, choice in [(CHAIR, "yes"), (M[0], "no"), (M[1], "yes"), (M[5], "abstain")]:
        council.cast(member, choice, 11.0)  # type: ignore[arg-type]
    assert council.cast(M[0], "yes", 12.0) == "no"
    result = council.close_vote(13.0)
    assert result.vote_id == vote.id == "v1"
    assert result.motion.text == "Der Rat beschließt den Plan."
    assert result.counts == Counts(3, 0, 1)
    assert result.outcome == "adopted"
    assert [(name, choice) for _, name, choice in result.ballots] == [
        ("Eva Schäfer", "yes"),
        ("Rätin m1", "yes"),
        ("Rätin m2", "yes"),
        ("Rätin m6", "abstain"),
    ]
    assert of(council, ev.BallotCast)[-1] == ev.BallotCast(12.0, "v1", M[0], "yes", "no")
    closed = of(council, ev.VoteClosed)
    assert closed == [ev.VoteClosed(13.0, result, ev.QuorumSnapshot(6, 5, 9))]
    assert council.results == (result,)
    assert council.vote is None


def test_hall_counts_and_remote_ballots_make_one_result() -> None:
    council = quorate()
    council.join(M[5], "remote", 1.0, camera=True, microphone=True)
    council.join(M[6], "remote", 1.0, camera=True, microphone=True)
    council.open_vote(0, "open", 10.0)
    council.cast(M[5], "no", 11.0)
    council.cast(M[6], "no", 11.0)
    council.set_hall_counts(2, 2, 1, 12.0)
    with pytest.raises(CouncilError) as refused:
        council.set_hall_counts(3, 2, 1, 12.5)
    assert code(refused) == "hall_counts"
    result = council.close_vote(13.0)
    assert result.counts == Counts(2, 4, 1)
    assert result.outcome == "rejected"
    assert of(council, ev.HallCountsSet) == [ev.HallCountsSet(12.0, "v1", Counts(2, 2, 1))]


def test_a_biased_member_is_held_outside_only_while_their_item_is_current() -> None:
    council = quorate()
    council.join(M[4], "hall", 1.0)
    effects = council.mark_biased(M[4], "3", 2.0)
    assert effects.held_outside == frozenset(), "item 2 is current"
    assert council.is_biased(M[4], "3") and not council.is_biased(M[4], "2")
    effects = council.move_to_item("3", 3.0)
    assert effects.held_outside == {M[4]}
    assert council.quorum().counted == 5, "the member outside does not count"
    vote = council.open_vote(0, "open", 4.0)
    assert M[4] not in vote.eligible
    with pytest.raises(CouncilError) as refused:
        council.cast(M[4], "yes", 5.0)
    assert code(refused) == "biased"
    council.close_vote(6.0)
    assert council.move_to_item("4", 7.0).held_outside == frozenset()
    council.open_vote(0, "open", 8.0)
    council.cast(M[4], "yes", 9.0)
    assert of(council, ev.BiasMarked) == [ev.BiasMarked(2.0, M[4], "3")]


def test_bias_takes_a_member_off_the_list_and_the_floor_and_can_be_lifted() -> None:
    council = quorate()
    council.join(M[4], "hall", 1.0)
    council.raise_hand(M[4], 2.0)
    council.raise_hand(M[3], 2.5)
    council.give_floor(3.0, M[4])
    council.raise_hand(M[4], 3.5)
    council.mark_biased(M[4], "2", 4.0)
    assert council.speakers.current is None
    assert [request.member for request in council.speakers.waiting] == [M[3]]
    assert ev.FloorEnded(4.0, M[4], "2") in council.events
    with pytest.raises(CouncilError) as refused:
        council.raise_hand(M[4], 5.0)
    assert code(refused) == "biased"
    with pytest.raises(CouncilError):
        council.give_floor(5.0, M[4])
    effects = council.lift_bias(M[4], "2", 6.0)
    assert effects.held_outside == frozenset()
    assert council.raise_hand(M[4], 7.0) == 1
    assert of(council, ev.BiasLifted) == [ev.BiasLifted(6.0, M[4], "2")]


def test_bias_holding_the_quorum_below_the_line_is_logged() -> None:
    council = quorate()
    council.mark_biased(M[0], "2", 5.0)
    assert council.chair_alert
    assert of(council, ev.QuorumChanged) == [ev.QuorumChanged(5.0, ev.QuorumSnapshot(4, 5, 9))]
    with pytest.raises(CouncilError):
        council.mark_biased(MemberId("stranger"), "2", 6.0)
    with pytest.raises(CouncilError):
        council.mark_biased(M[1], "9", 6.0)


def test_bias_is_not_changed_for_an_item_under_vote() -> None:
    council = quorate()
    council.open_vote(0, "open", 1.0)
    with pytest.raises(CouncilError) as refused:
        council.mark_biased(M[0], "2", 2.0)
    assert code(refused) == "vote_running"
    council.mark_biased(M[0], "3", 2.0)


def test_a_non_public_item_stops_the_public_output_and_the_switch_is_logged() -> None:
    council = quorate()
    assert council.effects().public_allowed
    effects = council.move_to_item("3", 10.0)
    assert (effects.public_allowed, effects.public_changed) == (False, True)
    effects = council.move_to_item("4", 20.0)
    assert (effects.public_allowed, effects.public_changed) == (False, False)
    effects = council.move_to_item("5", 30.0)
    assert (effects.public_allowed, effects.public_changed) == (True, True)
    switches = [
        e for e in council.events if isinstance(e, ev.ItemSwitched | ev.PublicOutputChanged)
    ]
    assert switches == [
        ev.ItemSwitched(0.0, "2", True),
        ev.ItemSwitched(10.0, "3", False),
        ev.PublicOutputChanged(10.0, False, "3"),
        ev.ItemSwitched(20.0, "4", False),
        ev.ItemSwitched(30.0, "5", True),
        ev.PublicOutputChanged(30.0, True, "5"),
    ]
    assert council.snapshot(35.0).item_seconds == 5.0


def test_a_new_item_ends_the_speaker_and_starts_a_new_list() -> None:
    council = quorate()
    council.raise_hand(M[0], 1.0)
    council.raise_hand(M[1], 1.5)
    turn = council.give_floor(2.0, limit=120.0)
    assert turn.member == M[0]
    assert council.snapshot(32.0).speaking_time_left == 90.0
    council.move_to_item("3", 40.0)
    assert council.speakers.current is None and council.speakers.waiting == ()
    assert turn.ended_at == 40.0
    assert of(council, ev.FloorGiven) == [ev.FloorGiven(2.0, M[0], "2", 120.0)]
    assert of(council, ev.FloorEnded) == [ev.FloorEnded(40.0, M[0], "2")]


def test_a_secret_vote_with_a_remote_member_is_refused_and_may_go_by_post() -> None:
    council = quorate()
    council.join(M[5], "remote", 1.0, camera=True, microphone=True)
    with pytest.raises(CouncilError) as refused:
        council.open_vote(0, "secret", 2.0)
    assert code(refused) == "secret_with_remote"
    assert council.vote is None
    result = council.hold_by_post(0, 3.0)
    assert (result.outcome, result.eligible, result.vote_id) == ("by_post", 6, "v1")
    assert of(council, ev.VoteClosed) == [ev.VoteClosed(3.0, result, ev.QuorumSnapshot(6, 5, 9))]
    council.leave(M[5], 4.0)
    council.open_vote(0, "secret", 5.0)


def test_a_pause_is_logged_with_its_reason_and_holds_ballots_and_the_floor() -> None:
    council = quorate()
    council.open_vote(0, "open", 1.0)
    assert council.pause("  Tonausfall im Saal ", 2.0)
    assert council.pause("noch einmal", 2.5) is False
    assert council.paused == "Tonausfall im Saal"
    with pytest.raises(CouncilError) as refused:
        council.cast(CHAIR, "yes", 3.0)
    assert code(refused) == "session_paused"
    with pytest.raises(CouncilError):
        council.set_hall_counts(1, 0, 0, 3.0)
    with pytest.raises(CouncilError):
        council.give_floor(3.0, M[0])
    council.close_vote(4.0)
    assert council.resume(5.0) and not council.resume(6.0)
    assert of(council, ev.Paused) == [ev.Paused(2.0, "Tonausfall im Saal")]
    assert of(council, ev.Resumed) == [ev.Resumed(5.0)]
    with pytest.raises(CouncilError):
        council.pause("", 7.0)


def test_faults_are_logged_with_how_many_remote_members_still_count() -> None:
    council = quorate()
    council.join(M[5], "remote", 1.0, camera=True, microphone=True)
    council.join(M[6], "remote", 1.0, camera=True, microphone=True)
    fault = council.record_fault("member", 5.0, M[6], "Verbindung abgerissen")
    assert fault == ev.FaultRecorded(5.0, "member", M[6], "Verbindung abgerissen", 2)
    council.leave(M[5], 6.0)
    council.leave(M[6], 6.0)
    server = council.record_fault("server", 7.0)
    assert server.remote_counted == 0
    assert council.faults == (fault, server)
    with pytest.raises(CouncilError):
        council.record_fault("member", 8.0)
    with pytest.raises(CouncilError):
        council.record_fault("server", 8.0, M[0])
    with pytest.raises(CouncilError):
        council.record_fault("member", 8.0, M[0], "x\x00")


def test_attendance_is_logged_and_idempotent() -> None:
    council = session()
    assert council.join(M[0], "remote", 1.0, camera=True, microphone=False)
    assert council.join(M[0], "remote", 2.0, camera=True, microphone=False) is False
    assert council.join(M[0], "hall", 3.0)
    assert council.leave(M[0], 4.0)
    assert council.leave(M[0], 5.0) is False
    assert council.events == (
        ev.MemberJoined(1.0, M[0], "remote", True, False),
        ev.MemberJoined(3.0, M[0], "hall", False, False),
        ev.MemberLeft(4.0, M[0]),
    )
    with pytest.raises(CouncilError) as refused:
        council.join(MemberId("stranger"), "hall", 6.0)
    assert code(refused) == "unknown_member"


def test_a_closed_session_takes_nothing_more() -> None:
    council = quorate()
    council.raise_hand(M[0], 1.0)
    council.give_floor(2.0)
    council.open_vote(0, "open", 3.0)
    with pytest.raises(CouncilError) as refused:
        council.close(4.0)
    assert code(refused) == "vote_running"
    council.close_vote(5.0)
    council.close(6.0)
    assert council.phase == "closed"
    assert council.events[-2:] == (ev.FloorEnded(6.0, M[0], "2"), ev.SessionClosed(6.0))
    calls: list[Callable[[], object]] = [
        lambda: council.join(M[6], "hall", 7.0),
        lambda: council.move_to_item("3", 7.0),
        lambda: council.open_vote(0, "open", 7.0),
        lambda: council.raise_hand(M[1], 7.0),
        lambda: council.open(7.0),
        lambda: council.close(7.0),
    ]
    for refused_call in calls:
        with pytest.raises(CouncilError) as refused:
            refused_call()
        assert code(refused) == "session_closed"
    assert council.leave(M[0], 8.0), "a departure after the close is still recorded"


def test_the_snapshot_shows_the_state_for_the_screens() -> None:
    council = quorate()
    council.join(M[5], "remote", 1.0, camera=False, microphone=True)
    council.open_vote(0, "open", 2.0)
    council.cast(M[0], "yes", 3.0)
    state = council.snapshot(4.0)
    assert state.phase == "open" and state.paused is None
    assert state.item is not None and state.item.number == "2"
    assert state.public_allowed and state.held_outside == frozenset()
    assert state.quorum == ev.QuorumSnapshot(5, 5, 9)
    assert dict((m, (s, p)) for m, s, p in state.attendance)[M[5]] == ("not_counted", "remote")
    assert dict((m, (s, p)) for m, s, p in state.attendance)[M[7]] == ("absent", None)
    assert (state.vote_id, state.ballots) == ("v1", ((M[0], "yes"),))
    assert state.speaker is None and state.speaking_time_left is None


def test_votes_in_a_session_are_bounded() -> None:
    council = quorate()
    for step in range(MAX_VOTES):
        council.open_vote(0, "open", float(step))
        council.close_vote(float(step))
    with pytest.raises(CouncilError) as refused:
        council.open_vote(0, "open", 1e6)
    assert code(refused) == "too_many"
    with pytest.raises(CouncilError):
        council.hold_by_post(0, 1e6)


def test_the_event_log_is_bounded_but_departures_always_find_room() -> None:
    council = session()
    council.open(0.0)
    step = 0
    with pytest.raises(CouncilError) as refused:
        while True:
            member = M[step % len(M)]
            council.join(member, "remote", float(step), camera=True, microphone=True)
            if step % len(M) != 0:
                council.leave(member, step + 0.5)
            step += 1
    assert code(refused) == "too_many"
    assert MAX_EVENTS - RESERVE - 5 < len(council.events) <= MAX_EVENTS - RESERVE
    assert council.set_media(M[0], False, True, 1e6), "switching off is taken"
    assert council.leave(M[0], 1e6), "so is leaving"
    council.pause("Protokoll voll", 1e6)
    council.close(1e6)
    assert len(council.events) <= MAX_EVENTS
