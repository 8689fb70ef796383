"""A body as its clerk keeps it, on the real store: the clerk's secret is the only way in, a
change on a stale revision is refused, a renewed member link ends the old one, and a member
taken off the roster loses their link."""

from __future__ import annotations

import dataclasses

import pytest

from klingel.rooms.council.agenda import AgendaItem
from klingel.rooms.council.document import BodyDocument, PreparedSession
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import Body, Member, MemberId
from klingel.rooms.council_bodies import BodyAccessError, CouncilBodies
from klingel.rooms.standing import StandingRooms

ANNA = Member(MemberId("anna"), "Anna Müller", "Freie Wähler", "chair")
BERND = Member(MemberId("bernd"), "Bernd Öztürk", "SPD")


def roster(*members: Member) -> BodyDocument:
    body = Body("gemeinderat", "Gemeinderat Bühl", 22, "at_least_half", members)
    session = PreparedSession(
        "2026-12-10",
        "Öffentliche Sitzung",
        1_796_000_000,
        "Rathaus, Großer Saal",
        (AgendaItem("1", "Haushalt 2027", True, ("Der Haushalt wird beschlossen.",)),),
    )
    return BodyDocument(body, (session,))


async def made(councils: CouncilBodies) -> str:
    body = await councils.create("gemeinderat", "Gemeinderat Bühl", 22, "at_least_half")
    assert body is not None
    return body.clerk_secret


async def test_a_new_body_is_read_back_by_its_clerk_only(standing: StandingRooms) -> None:
    councils = standing.councils
    clerk = await made(councils)
    view = await councils.view("gemeinderat", clerk)
    assert view.document.body.name == "Gemeinderat Bühl"
    assert (view.document.body.members, view.document.sessions, view.linked) == ((), (), set())
    for body_id, secret in (
        ("gemeinderat", clerk[:-1] + "x"),
        ("gemeinderat", ""),
        ("ortsrat", clerk),
    ):
        with pytest.raises(BodyAccessError) as refused:
            await councils.view(body_id, secret)
        assert refused.value.code == "forbidden"
    assert await councils.create("gemeinderat", "Noch einer", 5, "at_least_half") is None


async def test_the_clerk_replaces_the_document_on_its_revision_only(
    standing: StandingRooms,
) -> None:
    councils = standing.councils
    clerk = await made(councils)
    view = await councils.replace_document("gemeinderat", clerk, roster(ANNA, BERND), 0)
    assert view.revision == 1
    assert (await councils.view("gemeinderat", clerk)).document == roster(ANNA, BERND)
    with pytest.raises(BodyAccessError) as stale:
        await councils.replace_document("gemeinderat", clerk, roster(ANNA), 0)
    assert stale.value.code == "conflict"
    other = dataclasses.replace(
        roster(ANNA), body=Body("ortsrat", "Ortschaftsrat", 9, "at_least_half", ())
    )
    with pytest.raises(BodyAccessError) as foreign:
        await councils.replace_document("gemeinderat", clerk, other, 1)
    assert foreign.value.code == "forbidden"
    assert (await councils.view("gemeinderat", clerk)).document == roster(ANNA, BERND)


async def test_a_renewed_member_link_ends_the_old_one(standing: StandingRooms) -> None:
    councils = standing.councils
    clerk = await made(councils)
    await councils.replace_document("gemeinderat", clerk, roster(ANNA, BERND), 0)
    first, revision = await councils.renew_member_link("gemeinderat", clerk, "bernd", 1)
    entry = await councils.member_of(first)
    assert entry is not None and entry.member == BERND and entry.body.id == "gemeinderat"
    second, revision = await councils.renew_member_link("gemeinderat", clerk, "bernd", revision)
    assert await councils.member_of(first) is None
    entry = await councils.member_of(second)
    assert entry is not None and entry.member == BERND
    assert (await councils.view("gemeinderat", clerk)).linked == {"bernd"}
    with pytest.raises(BodyAccessError) as unknown:
        await councils.renew_member_link("gemeinderat", clerk, "carla", revision)
    assert unknown.value.code == "unknown_member"
    for nonsense in ("", "x" * 65, clerk):
        assert await councils.member_of(nonsense) is None


async def test_a_member_taken_off_the_roster_loses_their_link(standing: StandingRooms) -> None:
    councils = standing.councils
    clerk = await made(councils)
    await councils.replace_document("gemeinderat", clerk, roster(ANNA, BERND), 0)
    bernds, revision = await councils.renew_member_link("gemeinderat", clerk, "bernd", 1)
    annas, revision = await councils.renew_member_link("gemeinderat", clerk, "anna", revision)
    view = await councils.replace_document("gemeinderat", clerk, roster(ANNA), revision)
    assert view.linked == {"anna"}
    assert await councils.member_of(bernds) is None
    entry = await councils.member_of(annas)
    assert entry is not None and entry.member.role == "chair"


async def test_a_lost_clerk_link_is_replaced_by_the_towns_it(standing: StandingRooms) -> None:
    councils = standing.councils
    old = await made(councils)
    new = await councils.renew_clerk_secret("gemeinderat")
    assert new is not None and new != old
    await councils.view("gemeinderat", new)
    with pytest.raises(BodyAccessError):
        await councils.view("gemeinderat", old)
    assert await councils.renew_clerk_secret("ortsrat") is None


async def test_values_the_council_rules_refuse_make_no_body(standing: StandingRooms) -> None:
    councils = standing.councils
    for body_id, name, seats in (("a b", "Rat", 5), ("rat", "", 5), ("rat", "Rat", 0)):
        with pytest.raises(CouncilError):
            await councils.create(body_id, name, seats, "at_least_half")
    assert await councils.document("rat") is None
    assert await councils.delete("rat") is False
