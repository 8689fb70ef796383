"""A council session driven through the domain alone, with everything the minutes record:
members in the hall and remote (one audio only at first), quorum lost and regained, a public
and a non-public item, a point of order, a roll-call vote with a biased member and a changed
ballot, a vote by post, faults of a member's line and of the server, a pause. For the tests of
the minutes (JSON and PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from klingel.rooms.council.agenda import AgendaItem
from klingel.rooms.council.document import PreparedSession
from klingel.rooms.council.roster import Body, Member, MemberId
from klingel.rooms.council.session import CouncilSession

T0 = 1_796_900_400.0
"""Thursday, 10 December 2026, 12:00 in Berlin (11:00 UTC)."""
ANNA, BERND, CARLA, DORA = (MemberId(m) for m in ("anna", "bernd", "carla", "dora"))
HOSTILE_NAME = 'Eve {nb} {page} <b>Kühn</b> **x** ") /JS (alert) %PDF-1.4 \\ \u05d0'
"""Typed by a clerk: page aliases, templates, markup, PDF syntax, right-to-left letters."""
HOSTILE_MOTION = 'Der Rat {pages} beschließt:\n<script>alert("x")</script> ) Tj ET'
LONG_MOTION = "Haushaltssatzung" + "x" * 1_900
"""One word far wider than a line."""


@dataclass(frozen=True, slots=True)
class Script:
    prepared: PreparedSession
    session: CouncilSession


def council_body(extra: int = 0) -> Body:
    """Five seats, quorum 3; ``extra`` more members on the roster (one that fills pages)."""
    members = [
        Member(ANNA, "Anna Müller", "Freie Wähler", "chair"),
        Member(BERND, "Bernd Öztürk", "SPD"),
        Member(CARLA, "Carla Weiß", "CDU"),
        Member(DORA, "Dora Schäfer", "Grüne"),
        Member(MemberId("eve"), HOSTILE_NAME, "{counted} Liste"),
    ]
    members += [Member(MemberId(f"m{n}"), f"Mitglied Nummer {n}", "Liste") for n in range(extra)]
    return Body("gemeinderat", "Gemeinderat Bühl", 5, "at_least_half", members)


def prepared_session(starts_at: int = int(T0)) -> PreparedSession:
    return PreparedSession(
        "2026-12-10",
        "Öffentliche Sitzung des Gemeinderats",
        starts_at,
        "Rathaus, Großer Saal",
        (
            AgendaItem("1", "Haushalt 2027", True, ("Der Haushalt 2027 wird beschlossen.",)),
            AgendaItem("2", "Grundstücksverkauf", False, (HOSTILE_MOTION, LONG_MOTION)),
            AgendaItem("3", "Anfragen", True),
        ),
    )


def scripted_session(extra: int = 0, *, close: bool = True) -> Script:
    """The session of the module's docstring, seconds after ``T0``."""
    prepared = prepared_session()
    s = CouncilSession(council_body(extra), prepared.agenda())

    def at(seconds: float) -> float:
        return T0 + seconds

    s.join(ANNA, "remote", at(0), camera=True, microphone=True)
    s.join(BERND, "remote", at(0), camera=True, microphone=True)
    s.join(CARLA, "hall", at(1))
    s.join(DORA, "remote", at(2), camera=False, microphone=True)  # audio only: not counted
    s.open(at(10))
    s.move_to_item("1", at(20))
    s.set_media(DORA, True, True, at(25))
    s.raise_hand(DORA, at(30))
    s.raise_hand(BERND, at(31), point_of_order=True)
    s.give_floor(at(40), limit=120.0)  # Bernd: the point of order goes first
    s.give_floor(at(50))  # Dora
    s.finish_speaking(at(70))
    s.mark_biased(BERND, "1", at(80))
    s.open_vote(0, "roll_call", at(90))
    s.cast(ANNA, "yes", at(91))
    s.cast(DORA, "no", at(92))
    s.cast(DORA, "yes", at(93))
    s.cast(CARLA, "no", at(94))  # the chair records the hall's member by name
    s.close_vote(at(100))
    s.lift_bias(BERND, "1", at(110))
    s.leave(CARLA, at(120))
    s.set_media(DORA, False, True, at(121))  # quorum lost: Anna and Bernd
    s.set_media(DORA, True, True, at(130))  # regained
    s.record_fault("member", at(140), DORA, "connection lost")
    s.leave(DORA, at(141))  # lost again
    s.join(DORA, "remote", at(150), camera=True, microphone=True)  # regained
    s.pause("Technische Störung {pages}", at(160))
    s.resume(at(220))
    s.move_to_item("2", at(230))
    s.record_fault("server", at(240), detail="media server restarted")
    s.hold_by_post(0, at(250))
    s.move_to_item("3", at(260))
    if close:
        s.close(at(300))
    return Script(prepared, s)
