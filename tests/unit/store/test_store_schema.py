"""The SQLite store's schema versions and the migrations between them."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest
from support.standing_rooms import standing_room

from klingel.store import SqliteRoomStore, StandingRoom, StoredSettings
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
        assert {"rooms", "bans", "rooms_by_last_use"} <= tables
        # Every stored field has a column of its own (settings too: no JSON).
        record_fields = {field.name for field in fields(StandingRoom)} - {"settings"}
        switches = {field.name for field in fields(StoredSettings)}
        assert columns(connection, "rooms") == record_fields | switches
        assert columns(connection, "bans") == {"room_id", "digest"}
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
