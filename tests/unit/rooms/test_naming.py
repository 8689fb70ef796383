from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from klingel.protocol.errors import ErrorCode, UserError
from klingel.rooms.identifiers import new_participant_id, new_resume_token, new_stream_id
from klingel.rooms.naming import (
    ONE_CLICK_LENGTH,
    is_room_id,
    new_room_id,
    parse_display_name,
    parse_room_id,
    slugify,
)


def test_one_click_ids_are_26_base32_characters_and_differ() -> None:
    ids = {new_room_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[a-z2-7]{26}", room) for room in ids)
    assert all(is_room_id(room) for room in ids)
    assert ONE_CLICK_LENGTH * 5 >= 128


def test_one_click_ids_use_the_whole_alphabet() -> None:
    seen = set("".join(new_room_id() for _ in range(100)))
    assert seen == set("abcdefghijklmnopqrstuvwxyz234567")


@pytest.mark.parametrize("room", ["a", "musikschule-geige", "a-b-c", "x" * 64, "2024"])
def test_valid_room_ids(room: str) -> None:
    assert parse_room_id(room) == room


@pytest.mark.parametrize(
    "room",
    ["", "-a", "a-", "A", "a b", "x" * 65, "ä", "a/b", "../etc", "a_b", "a\u202eb", "a\n"],
)
def test_invalid_room_ids_are_bad_room(room: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_room_id(room)
    assert caught.value.code is ErrorCode.BAD_ROOM
    assert caught.value.closes


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Musikschule Geige", "musikschule-geige"),
        ("Gemeinderat Öhringen", "gemeinderat-oehringen"),
        ("Straße über Äcker", "strasse-ueber-aecker"),
        ("  --Chor!!  2024 ", "chor-2024"),
        ("Café", "caf"),
        ("!!!", ""),
        ("a" * 70, "a" * 64),
        ("a" * 63 + " b", "a" * 63),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    if slug:
        assert is_room_id(slug)


SHARED_SLUGS = Path(__file__).parents[2] / "fixtures" / "slugs.json"


@pytest.mark.parametrize(
    ("name", "slug"),
    [tuple(pair) for pair in json.loads(SHARED_SLUGS.read_text(encoding="utf-8"))["examples"]],
)
def test_slugify_agrees_with_the_client(name: str, slug: str) -> None:
    """The same examples run through ``slug.js`` in ``tests/js/slug.test.mjs``: a room path
    the server redirects must lead where the start page would have led."""
    assert slugify(name) == slug
    if slug:
        assert is_room_id(slug)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Anna", "Anna"),
        ("  Anna Müller  ", "Anna Müller"),
        ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
        ("李小龙", "李小龙"),
        ("x" * 64, "x" * 64),
    ],
)
def test_display_names_stay_plain_text(typed: str, shown: str) -> None:
    assert parse_display_name(typed) == shown


@pytest.mark.parametrize(
    "name",
    ["", "   ", "x" * 65, "An\x00na", "An\nna", "evil\u202eexe", "zero\u200bwidth", "a\u2028b"],
)
def test_bad_display_names(name: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_display_name(name)
    assert caught.value.code is ErrorCode.BAD_NAME


def test_server_ids_and_tokens_are_random_and_prefixed() -> None:
    participants = {new_participant_id() for _ in range(100)}
    streams = {new_stream_id() for _ in range(100)}
    tokens = {new_resume_token() for _ in range(100)}
    assert all(p.startswith("p-") for p in participants) and len(participants) == 100
    assert all(s.startswith("s-") for s in streams) and len(streams) == 100
    assert len(tokens) == 100 and all(len(token) >= 40 for token in tokens)
