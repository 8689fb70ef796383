"""The SQLite store's schema, its versions and the migrations between them.

The schema version is ``PRAGMA user_version``: the number of migrations applied. At every open
the missing ones run in order, all in one transaction with the new version number, so a
store is always at one version of this list and never half-way between two. A store written
by a newer version (a number beyond this list) is refused, never changed.

A migration is only ever appended: a released one is never edited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from klingel.store.api import StoreError, StoreErrorCode
from klingel.store.sqlite_connection import transaction

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate", "schema_version"]


@dataclass(frozen=True, slots=True)
class Migration:
    summary: str
    statements: tuple[str, ...]
    """Run one by one (``executescript`` would commit the open transaction first)."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "standing rooms and their bans",
        (
            """
            CREATE TABLE rooms (
                room_id TEXT NOT NULL PRIMARY KEY,
                host_digest BLOB NOT NULL CHECK (length(host_digest) = 32),
                cohost_digest BLOB NOT NULL CHECK (length(cohost_digest) = 32),
                lobby INTEGER NOT NULL CHECK (lobby IN (0, 1)),
                locked INTEGER NOT NULL CHECK (locked IN (0, 1)),
                office_hours INTEGER NOT NULL CHECK (office_hours IN (0, 1)),
                screen_share_allowed INTEGER NOT NULL CHECK (screen_share_allowed IN (0, 1)),
                chat_allowed INTEGER NOT NULL CHECK (chat_allowed IN (0, 1)),
                unmute_allowed INTEGER NOT NULL CHECK (unmute_allowed IN (0, 1)),
                e2ee INTEGER NOT NULL CHECK (e2ee IN (0, 1)),
                password TEXT,
                created_at INTEGER NOT NULL,
                last_used_at INTEGER NOT NULL,
                revision INTEGER NOT NULL
            ) WITHOUT ROWID
            """,
            # delete_unused finds the rooms by their last use.
            "CREATE INDEX rooms_by_last_use ON rooms (last_used_at)",
            """
            CREATE TABLE bans (
                room_id TEXT NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
                digest BLOB NOT NULL CHECK (length(digest) = 32),
                PRIMARY KEY (room_id, digest)
            ) WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        "the time each ban was made, so that a room's oldest ban gives way to a new one",
        (
            # Bans of the first schema have no time: 0 makes them the oldest.
            "ALTER TABLE bans ADD COLUMN banned_at INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX bans_by_age ON bans (room_id, banned_at)",
        ),
    ),
    Migration(
        "councils and committees, and the digests of their members' personal links",
        (
            """
            CREATE TABLE council_bodies (
                body_id TEXT NOT NULL PRIMARY KEY,
                clerk_digest BLOB NOT NULL CHECK (length(clerk_digest) = 32),
                document TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                revision INTEGER NOT NULL
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE council_links (
                digest BLOB NOT NULL PRIMARY KEY CHECK (length(digest) = 32),
                body_id TEXT NOT NULL REFERENCES council_bodies (body_id) ON DELETE CASCADE,
                member_id TEXT NOT NULL,
                UNIQUE (body_id, member_id)
            ) WITHOUT ROWID
            """,
        ),
    ),
    Migration(
        "the minutes of councils' closed sessions, until the clerk deletes them or they age",
        (
            """
            CREATE TABLE council_minutes (
                body_id TEXT NOT NULL REFERENCES council_bodies (body_id) ON DELETE CASCADE,
                minutes_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                title TEXT NOT NULL,
                closed_at INTEGER NOT NULL,
                minutes_json BLOB NOT NULL,
                minutes_pdf BLOB NOT NULL,
                PRIMARY KEY (body_id, minutes_id)
            ) WITHOUT ROWID
            """,
            # the sweep of old minutes finds them by age
            "CREATE INDEX council_minutes_by_age ON council_minutes (closed_at)",
        ),
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(connection: sqlite3.Connection) -> int:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(version)


def migrate(connection: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Bring the store to ``len(migrations)``, in one transaction; raises ``sqlite3.Error`` or
    ``StoreError``."""
    with transaction(connection):
        version = schema_version(connection)
        if version > len(migrations):
            raise StoreError(
                StoreErrorCode.UNAVAILABLE,
                f"The room store was written by a newer version of Klingel (schema {version};"
                f" this version knows up to {len(migrations)}). Run that version, or restore"
                " a backup made with this one.",
            )
        if version < 0:
            raise StoreError(StoreErrorCode.CORRUPT)
        for migration in migrations[version:]:
            for statement in migration.statements:
                connection.execute(statement)
        # Written even when nothing changed: a store that cannot be written fails here, at
        # start-up, not when the first room is created.
        connection.execute(f"PRAGMA user_version = {len(migrations):d}")
