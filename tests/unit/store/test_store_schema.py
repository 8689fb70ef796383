"""The SQLite store's schema versions and the migrations between them."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest
from support.standing_rooms import NOW, secret_digest, standing_room

from klingel.store import SqliteRoomStore, StandingRoom, StoredSettings, hash_password
from klingel.store.sqlite_schema import MIGRATIONS, SCHEMA_VERSION, Migration, migrate


def columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


async def test_a_new_store_gets_every_migration(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path)
    await store.close()
    connection = sqlite3.connect(tmp_path / "rooms.sqlite3")
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert SCHEMA_VERSION == len(MIGRATIONS) >= 1
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert {"rooms", "bans", "rooms_by_last_use", "bans_by_age"} <= tables
        # Every stored field has a column of its own (settings too: no JSON).
        record_fields = {field.name for field in fields(StandingRoom)} - {"settings"}
        switches = {field.name for field in fields(StoredSettings)}
        assert columns(connection, "rooms") == record_fields | switches
        assert columns(connection, "bans") == {"room_id", "digest", "banned_at"}
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()


async def test_reopening_a_store_of_this_version_changes_nothing(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path)
    await store.create(standing_room())
    await store.close()
    store = await SqliteRoomStore.open(tmp_path)
    try:
        assert await store.get(standing_room().room_id) == standing_room()
    finally:
        await store.close()


def test_migrations_run_in_their_order_from_the_version_the_file_is_at() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    steps = [
        Migration("first", ("CREATE TABLE steps (n INTEGER)", "INSERT INTO steps VALUES (1)")),
        Migration("second", ("INSERT INTO steps VALUES (2)",)),
    ]
    migrate(connection, steps[:1])
    migrate(connection, steps)
    migrate(connection, steps)
    assert connection.execute("SELECT n FROM steps").fetchall() == [(1,), (2,)]
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)


def test_a_failing_migration_leaves_the_file_at_its_version() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    steps = [
        Migration("first", ("CREATE TABLE steps (n INTEGER)",)),
        Migration("broken", ("INSERT INTO no_such_table VALUES (1)",)),
    ]
    with pytest.raises(sqlite3.OperationalError):
        migrate(connection, steps)
    assert connection.execute("PRAGMA user_version").fetchone() == (0,)
    assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert not connection.in_transaction


async def test_a_store_of_the_first_schema_keeps_every_room_and_ban(tmp_path: Path) -> None:
    """A store written before bans had a time: the upgrade keeps every row, and its bans,
    of no known age, are the first to give way."""
    connection = sqlite3.connect(tmp_path / "rooms.sqlite3", isolation_level=None)
    migrate(connection, MIGRATIONS[:1])
    rooms = [
        standing_room("musikschule-geige", password=hash_password("Geige am Dienstag")),
        standing_room(
            "gemeinderat",
            settings=StoredSettings(lobby=True, locked=True, e2ee=True),
            created_at=NOW - 1000,
            revision=7,
        ),
        standing_room("buergerbuero", last_used_at=NOW + 5),
    ]
    for room in rooms:
        connection.execute(
            "INSERT INTO rooms (room_id, host_digest, cohost_digest, lobby, locked, office_hours,"
            " screen_share_allowed, chat_allowed, unmute_allowed, e2ee, password, created_at,"
            " last_used_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                room.room_id,
                room.host_digest,
                room.cohost_digest,
                *(getattr(room.settings, switch.name) for switch in fields(StoredSettings)),
                None if room.password is None else room.password.encode(),
                room.created_at,
                room.last_used_at,
                room.revision,
            ),
        )
    bans = {room.room_id: [secret_digest(f"ban {n} in {room.room_id}") for n in range(3)]
            for room in rooms}  # fmt: skip
    for room_id, digests in bans.items():
        for digest in digests:
            connection.execute(
                "INSERT INTO bans (room_id, digest) VALUES (?, ?)", (room_id, digest)
            )
    connection.close()

    store = await SqliteRoomStore.open(tmp_path)
    try:
        assert await store.count() == len(rooms)
        for room in rooms:
            assert await store.get(room.room_id) == room
            for digest in bans[room.room_id]:
                assert await store.is_banned(room.room_id, digest)
        # A new ban at the cap pushes out an old one, never itself.
        geige = rooms[0].room_id
        newest = secret_digest("newest")
        assert await store.add_ban(geige, newest, banned_at=NOW, max_bans=3)
        kept = [await store.is_banned(geige, digest) for digest in bans[geige]]
        assert kept.count(True) == 2 and await store.is_banned(geige, newest)
    finally:
        await store.close()
    check = sqlite3.connect(tmp_path / "rooms.sqlite3")
    try:
        assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        check.close()
