"""docs/protocol.md is the single source of truth: its tables, its examples, the fixtures and
the message classes must list exactly the same types and error codes, and the fields each
message and object declares are those the document names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from klingel.protocol.errors import ErrorCode
from klingel.protocol.layers import LayerRequest
from klingel.protocol.messages import (
    CLIENT_MESSAGES,
    SERVER_MESSAGES,
    parse_client_message,
    parse_server_message,
)
from klingel.protocol.objects import (
    IceServer,
    LobbyEntry,
    ParticipantInfo,
    RoomInfo,
    StreamInfo,
    StreamRequest,
    TrackInfo,
)
from klingel.protocol.wire import WireObject, wire_names

ROOT = Path(__file__).parents[3]
DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
FIXTURES = ROOT / "tests" / "fixtures" / "protocol"


def section(heading: str) -> str:
    """The text under a ``#``-heading, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\n", DOC, re.MULTILINE)
    assert match, f"no section {heading!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(DOC, match.end())
    return DOC[match.end() : end.start() if end else len(DOC)]


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    return [row for row in cells[2:]]  # after the header and its separator


def first_column_codes(text: str) -> list[str]:
    return [re.fullmatch(r"`([a-z0-9_]+)`", row[0]).group(1) for row in table_rows(text)]  # type: ignore[union-attr]


def examples(label: str) -> list[dict[str, object]]:
    text = section("Examples")
    client_part, server_part = text.split("Server to client:")
    part = client_part if label == "client" else server_part
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", part, re.DOTALL)]


def fixture_types(direction: str) -> set[str]:
    return {path.stem for path in (FIXTURES / direction).glob("*.json")}


def test_client_types_agree() -> None:
    documented = first_column_codes(section("Client to server"))
    assert len(documented) == len(set(documented))
    assert set(documented) == set(CLIENT_MESSAGES) == fixture_types("client")
    assert {example["type"] for example in examples("client")} == set(documented)


def test_server_types_agree() -> None:
    documented = first_column_codes(section("Server to client"))
    assert len(documented) == len(set(documented))
    assert set(documented) == set(SERVER_MESSAGES) == fixture_types("server")
    assert {example["type"] for example in examples("server")} == set(documented)


def test_error_codes_agree() -> None:
    rows = table_rows(section("Errors"))
    documented = {row[0].strip("`"): row for row in rows}
    assert len(documented) == len(rows)
    assert set(documented) == {code.value for code in ErrorCode}
    for code in ErrorCode:
        _, kind, _, closes = documented[code.value]
        assert kind == ("user" if code.is_user_error else "protocol"), code
        assert closes == ("yes" if code.closes else "no"), code


@pytest.mark.parametrize("direction", ["client", "server"])
def test_every_example_parses_and_matches_its_fixture(direction: str) -> None:
    parse = parse_client_message if direction == "client" else parse_server_message
    for example in examples(direction):
        assert parse(example).to_dict() == example
        fixture_path = FIXTURES / direction / f"{example['type']}.json"
        assert json.loads(fixture_path.read_text(encoding="utf-8")) == example


def test_fields_in_the_tables_are_those_of_the_examples() -> None:
    for heading, direction in (("Client to server", "client"), ("Server to client", "server")):
        documented = {
            re.fullmatch(r"`([a-z0-9_]+)`", row[0]).group(1): set(re.findall(r"`(\w+)`", row[2]))  # type: ignore[union-attr]
            for row in table_rows(section(heading))
        }
        for example in examples(direction):
            fields = set(example) - {"type"}
            kind = str(example["type"])
            assert fields <= documented[kind] | {"v"}, kind


def fields_named_in(cell: str) -> set[str]:
    """The fields a table cell names: its code words outside parentheses (which hold values)."""
    return set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", cell)))


@pytest.mark.parametrize("heading", ["Client to server", "Server to client"])
def test_fields_in_the_tables_are_those_the_messages_declare(heading: str) -> None:
    classes = CLIENT_MESSAGES if heading == "Client to server" else SERVER_MESSAGES
    for row in table_rows(section(heading)):
        kind = re.fullmatch(r"`([a-z0-9_]+)`", row[0]).group(1)  # type: ignore[union-attr]
        assert fields_named_in(row[2]) == set(wire_names(classes[kind])), kind


DOCUMENTED_OBJECTS: tuple[type[WireObject], ...] = (
    ParticipantInfo, StreamInfo, TrackInfo, StreamRequest, LayerRequest, RoomInfo, IceServer,
    LobbyEntry,
)  # fmt: skip


def test_objects_have_the_fields_the_document_shows() -> None:
    shown = {
        name: re.findall(r'"(\w+)":', template)
        for name, template in re.findall(
            r"^- \*\*([a-z ]+)\*\*.*?`(\{.*?\})`", section("Objects"), re.MULTILINE | re.DOTALL
        )
    }
    assert set(shown) == {cls.NAME for cls in DOCUMENTED_OBJECTS}
    for cls in DOCUMENTED_OBJECTS:
        assert shown[cls.NAME] == list(wire_names(cls)), cls.NAME
