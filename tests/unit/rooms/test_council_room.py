"""Who leads and who waits outside in a council room, from the session's state and the
people in the room (pure: no sockets, no media)."""

from __future__ import annotations

from klingel.ids import ParticipantId
from klingel.rooms.council.agenda import AgendaItem
from klingel.rooms.council.document import BodyDocument, PreparedSession
from klingel.rooms.council.roster import Body, Member, MemberId
from klingel.rooms.council.session import CouncilSession
from klingel.rooms.council_room import MAX_CLOSED_SESSIONS, CouncilRoom
from klingel.rooms.participant import Participant

MEMBERS = (
    Member(MemberId("anna"), "Anna Müller", "Freie Wähler", "chair"),
    Member(MemberId("bernd"), "Bernd Öztürk", "SPD"),
    Member(MemberId("carla"), "Carla Weiß", "CDU"),
)
ITEMS = (AgendaItem("1", "Haushalt", True, ("Beschluss",)), AgendaItem("2", "Grundstück", False))
PREPARED = PreparedSession("s1", "Sitzung", 0, "Rathaus", ITEMS)


def council_room() -> CouncilRoom:
    return CouncilRoom(BodyDocument(Body("rat", "Rat", 3, "at_least_half", MEMBERS), (PREPARED,)))


def person(participant_id: str, member: str | None = None, role: str = "guest") -> Participant:
    participant = Participant(ParticipantId(participant_id), participant_id, "token", 0.0)
    participant.role = role  # type: ignore[assignment]
    participant.council_member = member
    return participant


def seated(council: CouncilRoom, *people: Participant) -> list[Participant]:
    for participant in people:
        if participant.council_member is not None:
            council.members[MemberId(participant.council_member)] = participant.id
    return list(people)


def opened(council: CouncilRoom) -> CouncilSession:
    session = CouncilSession(council.document.body, PREPARED.agenda())
    session.open(1.0)
    council.prepared, council.session = PREPARED, session
    return session


def test_the_chair_and_a_deputy_lead_and_nobody_else_whatever_their_role() -> None:
    council = council_room()
    anna, bernd, deputy, it = seated(
        council,
        person("p1", "anna", "host"),
        person("p2", "bernd"),
        person("p3", "carla", "host"),
        person("p4", None, "host"),
    )
    assert [council.may_lead(p) for p in (anna, bernd, deputy, it)] == [True, False, True, False]
    # A member who joined again from another device leads from the newest only.
    council.members[MemberId("anna")] = ParticipantId("p9")
    assert not council.may_lead(anna)


def test_nobody_waits_outside_before_the_session_or_in_a_public_item() -> None:
    council = council_room()
    people = seated(council, person("p1", "anna", "host"), person("p2", None))
    assert council.who_is_held(people) == {} and council.public_allowed
    session = opened(council)
    session.move_to_item("1", 2.0)
    assert council.who_is_held(people) == {}


def test_a_non_public_item_holds_guests_but_not_members_or_hosts() -> None:
    council = council_room()
    people = seated(
        council,
        person("p1", "anna", "host"),
        person("p2", "bernd"),
        person("p3", None),
        person("p4", None, "cohost"),
    )
    opened(council).move_to_item("2", 2.0)
    assert not council.public_allowed
    assert council.who_is_held(people) == {ParticipantId("p3"): "non_public"}


def test_a_biased_member_waits_outside_for_that_item_only() -> None:
    council = council_room()
    people = seated(council, person("p1", "anna", "host"), person("p2", "bernd"))
    session = opened(council)
    session.mark_biased(MemberId("bernd"), "1", 2.0)
    session.move_to_item("1", 3.0)
    assert council.who_is_held(people) == {ParticipantId("p2"): "biased"}
    session.move_to_item("2", 4.0)
    assert council.who_is_held(people) == {}


def test_closed_sessions_are_kept_for_their_minutes_up_to_a_bound() -> None:
    council = council_room()
    for n in range(MAX_CLOSED_SESSIONS + 2):
        session = opened(council)
        session.close(float(n))
        council.keep_closed()
    assert len(council.closed) == MAX_CLOSED_SESSIONS
    assert council.closed[-1].session is council.session and council.running is None
