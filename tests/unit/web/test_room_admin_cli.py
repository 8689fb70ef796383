"""``klingel rooms``: the town's IT makes, lists and deletes standing rooms in the store the
server uses; the links go to standard output only, and each failure is one line and an exit
status of its own."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from klingel.cli import main
from klingel.ids import RoomId
from klingel.room_admin import EXIT_NO_SUCH_ROOM, EXIT_ROOM_EXISTS, EXIT_STORE_FAILED
from klingel.rooms.standing import RestoredRoom, StandingRooms
from klingel.store.sqlite import DATABASE_FILE_NAME

LINKS = re.compile(
    r"room:         (?P<room>\S+)\n"
    r"guest link:   (?P<guest>\S+)\n"
    r"host link:    (?P=guest)#host=(?P<host>[A-Za-z0-9_-]{32})\n"
    r"co-host link: (?P=guest)#cohost=(?P<cohost>[A-Za-z0-9_-]{32})\n"
)


def rooms(data_dir: Path, *arguments: str) -> int:
    return main(["rooms", *arguments, "--data-dir", str(data_dir)])


async def stored(data_dir: Path, room: RoomId) -> RestoredRoom | None:
    """The room as the server would bring it back from the store."""
    standing = await StandingRooms.open(data_dir)
    try:
        return await standing.find(room)
    finally:
        await standing.close()


def test_a_made_room_stands_with_the_secrets_of_its_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert rooms(tmp_path, "create", "Bürgerbüro", "--base-url", "https://klingel.example.de/") == 0
    out, err = capsys.readouterr()
    links = LINKS.fullmatch(out)
    assert links is not None and err == ""
    assert links["room"] == "buergerbuero"
    assert links["guest"] == "https://klingel.example.de/r/buergerbuero"
    assert not any(links[secret] in caplog.text for secret in ("host", "cohost"))
    found = asyncio.run(stored(tmp_path, RoomId("buergerbuero")))
    assert found is not None and found.settings.lobby
    assert found.keys.role_for(links["host"]) == "host"
    assert found.keys.role_for(links["cohost"]) == "cohost"


def test_a_room_that_stands_is_not_made_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rooms(tmp_path, "create", "Gemeinderat") == 0
    first = capsys.readouterr().out
    assert rooms(tmp_path, "create", "GEMEINDERAT") == EXIT_ROOM_EXISTS
    out, err = capsys.readouterr()
    assert out == "" and err == "klingel rooms: the room gemeinderat stands already\n"
    assert rooms(tmp_path, "delete", "gemeinderat") == 0
    assert capsys.readouterr().out == "deleted gemeinderat\n"
    assert rooms(tmp_path, "delete", "gemeinderat") == EXIT_NO_SUCH_ROOM
    out, err = capsys.readouterr()
    assert out == "" and err == "klingel rooms: no room gemeinderat stands\n"
    # Made again, it has new secrets: the old links are worthless.
    assert rooms(tmp_path, "create", "Gemeinderat") == 0
    again, earlier = LINKS.fullmatch(capsys.readouterr().out), LINKS.fullmatch(first)
    assert again is not None and earlier is not None and again["host"] != earlier["host"]


def test_the_links_name_the_address_the_town_serves_under(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KLINGEL_BASE_URL", raising=False)
    monkeypatch.delenv("KLINGEL_PORT", raising=False)
    monkeypatch.setenv("KLINGEL_ALLOWED_HOSTS", "")
    for name, environment, guest in (
        ("Raum 1", {}, "http://localhost:8080/r/raum-1"),
        ("Raum 2", {"KLINGEL_ALLOWED_HOSTS": " video.example.de,x.example"},
         "https://video.example.de/r/raum-2"),
        ("Raum 3", {"KLINGEL_BASE_URL": "https://example.de/klingel"},
         "https://example.de/klingel/r/raum-3"),
    ):  # fmt: skip
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        assert rooms(tmp_path, "create", name) == 0
        links = LINKS.fullmatch(capsys.readouterr().out)
        assert links is not None and links["guest"] == guest
    with pytest.raises(SystemExit) as usage:
        rooms(tmp_path, "create", "Raum 4", "--base-url", "ftp://example.de")
    assert usage.value.code == 2


def test_the_list_shows_ids_and_dates_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rooms(tmp_path, "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "room  created (UTC)     last used (UTC)   deleted after (UTC)"
    ]
    for name in ("Musikschule Geige", "Gemeinderat"):
        assert rooms(tmp_path, "create", name) == 0
    capsys.readouterr()
    assert main(["rooms", "list", "--data-dir", str(tmp_path), "--unused-room-days", "30"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split("  ")[0].strip() == "room"
    date = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    for row, room in zip(rows, ("gemeinderat", "musikschule-geige"), strict=True):
        match = re.fullmatch(rf"{room} +({date})  ({date})  ({date})", row)
        assert match is not None, row
        assert match[1] == match[2] != match[3]


def test_a_store_that_cannot_be_used_is_one_line_and_74(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / DATABASE_FILE_NAME).write_bytes(b"not a room store\n" * 512)
    for action in (["create", "Gemeinderat"], ["list"], ["delete", "gemeinderat"]):
        assert rooms(tmp_path, *action) == EXIT_STORE_FAILED
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "(store_corrupt)" in err
        assert err.startswith(f"klingel rooms: the room store in {tmp_path} cannot be used")


@pytest.mark.parametrize(
    "arguments", [["create", "!!!"], ["delete"], ["rename", "x"], ["create", "a", "--bad"]]
)
def test_a_wrong_command_is_a_usage_error(tmp_path: Path, arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        rooms(tmp_path, *arguments)
    assert usage.value.code == 2
