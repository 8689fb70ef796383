from __future__ import annotations

import json

import pytest

from klingel.rooms.council.agenda import AgendaItem
from klingel.rooms.council.document import (
    MAX_SESSIONS,
    BodyDocument,
    PreparedSession,
    decode_document,
    encode_document,
)
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import Body, Member, MemberId


def prepared() -> BodyDocument:
    body = Body(
        "gemeinderat",
        "Gemeinderat Bühl",
        27,
        "at_least_half",
        [
            Member(MemberId("m-mayor"), "Hubert Schnurr", "", "chair"),
            Member(MemberId("m-anna"), "Anna Łukasz-Şahin", "Grüne"),
            Member(MemberId("m-ben"), "<b>Ben</b> Müller", "CDU"),
        ],
    )
    session = PreparedSession(
        "s-2027-01-20",
        "Öffentliche Sitzung des Gemeinderats",
        1_800_000_000,
        "Bürgersaal, Rathaus",
        (
            AgendaItem("1", "Fragestunde", True),
            AgendaItem("2.1", "Bebauungsplan „Oberes Feld“", True, ("Der Plan wird beschlossen.",)),
            AgendaItem("3", "Grundstücksangelegenheiten", False, ("Verkauf an X.\nZweite Zeile",)),
        ),
    )
    return BodyDocument(body, (session,))


def test_a_document_comes_back_as_it_was_written() -> None:
    document = prepared()
    text = encode_document(document)
    again = decode_document(text)
    assert again == document
    assert again.body.quorum == 14 and again.body.chair is not None
    assert again.session("s-2027-01-20").agenda().item("3").public is False
    assert "<b>Ben</b> Müller" in text  # kept as typed: text, never markup
    assert encode_document(again) == text


def mutated(change: str, value: object) -> str:
    data = json.loads(encode_document(prepared()))
    target = data
    *path, last = change.split("/")
    for step in path:
        target = target[int(step)] if step.isdigit() else target[step]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("format", "something-else"),
        ("version", 2),
        ("body/legal_size", True),
        ("body/legal_size", "27"),
        ("body/legal_size", 0),
        ("body/rule", "two_thirds"),
        ("body/members/0/role", "mayor"),
        ("body/members/1/name", "Anna\u202eevil"),
        ("body/members/1/name", ""),
        ("body/members/2/id", "m-anna"),
        ("body/members/1/extra", 1),
        ("body/members/1/faction", KeyError),
        ("sessions/0/starts_at", -1),
        ("sessions/0/items/1/public", 1),
        ("sessions/0/items/1/number", "1"),
        ("sessions/0/items/1/motions", [1]),
        ("sessions/0/items/0/title", "x" * 201),
    ],
)
def test_a_document_changed_from_outside_is_refused(change: str, value: object) -> None:
    with pytest.raises(CouncilError):
        decode_document(mutated(change, value))


def test_duplicate_keys_and_non_json_are_refused() -> None:
    text = encode_document(prepared())
    with pytest.raises(CouncilError):
        decode_document(text.replace('"version":1', '"version":1,"version":1'))
    with pytest.raises(CouncilError):
        decode_document(text[:-1])
    with pytest.raises(CouncilError):
        decode_document("[" * 100_000)


def test_sessions_are_bounded_and_their_ids_unique() -> None:
    document = prepared()
    session = document.sessions[0]
    with pytest.raises(CouncilError):
        BodyDocument(document.body, (session, session))
    many = tuple(
        PreparedSession(f"s-{i}", "Sitzung", 1_800_000_000 + i, "", ())
        for i in range(MAX_SESSIONS + 1)
    )
    with pytest.raises(CouncilError):
        BodyDocument(document.body, many)


def test_a_document_too_long_for_the_store_is_refused_when_written() -> None:
    body = prepared().body
    motions = tuple("x" * 2000 for _ in range(50))
    items = tuple(AgendaItem(str(i + 1), "Punkt", True, motions) for i in range(10))
    sessions = tuple(
        PreparedSession(f"s-{i}", "Sitzung", 1_800_000_000, "", items) for i in range(6)
    )
    with pytest.raises(CouncilError) as refused:
        encode_document(BodyDocument(body, sessions))
    assert refused.value.code == "too_many"
