"""Councils and committees in the embedded store's SQLite file (``klingel.store.council``).

It shares the room store's connection and thread (``SqliteRoomStore.council``): one file,
one schema version, one writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from klingel.store.api import StoreError, StoreErrorCode
from klingel.store.council import (
    MAX_MINUTES_PER_BODY,
    MemberLink,
    MinutesEntry,
    StoredBody,
    StoredMinutes,
)
from klingel.store.sqlite_connection import stored, transaction

__all__ = ["SqliteCouncilStore"]

Runner = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

_BODY_COLUMNS = "body_id, clerk_digest, document, created_at, updated_at, revision"
_MINUTES_COLUMNS = "body_id, minutes_id, session_id, title, closed_at"


class SqliteCouncilStore:
    """A ``CouncilStore`` on the room store's SQLite connection; ``run`` runs one piece of
    work on the store's thread (``SqliteRoomStore._run``)."""

    __slots__ = ("_run",)

    def __init__(self, run: Runner) -> None:
        self._run = run

    async def create_body(self, body: StoredBody) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            with transaction(connection):
                inserted = connection.execute(
                    f"INSERT INTO council_bodies ({_BODY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (body_id) DO NOTHING",
                    (
                        body.body_id,
                        body.clerk_digest,
                        body.document,
                        body.created_at,
                        body.updated_at,
                        body.revision,
                    ),
                ).rowcount
                if inserted != 1 or not _links_free(connection, body):
                    raise _Refused
                _write_links(connection, body)
            return True

        return await self._refusable(work)

    async def get_body(self, body_id: str) -> StoredBody | None:
        def work(connection: sqlite3.Connection) -> StoredBody | None:
            row = connection.execute(
                f"SELECT {_BODY_COLUMNS} FROM council_bodies WHERE body_id = ?", (body_id,)
            ).fetchone()
            if row is None:
                return None
            links = connection.execute(
                "SELECT member_id, digest FROM council_links WHERE body_id = ? ORDER BY member_id",
                (body_id,),
            ).fetchall()
            return _body_from_rows(row, links)

        result: StoredBody | None = await self._run(work)
        return result

    async def update_body(self, body: StoredBody, expected_revision: int) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            with transaction(connection):
                updated = connection.execute(
                    "UPDATE council_bodies SET clerk_digest = ?, document = ?,"
                    " updated_at = max(updated_at, ?), revision = revision + 1"
                    " WHERE body_id = ? AND revision = ? AND created_at = ?",
                    (
                        body.clerk_digest,
                        body.document,
                        body.updated_at,
                        body.body_id,
                        expected_revision,
                        body.created_at,
                    ),
                ).rowcount
                if updated != 1:
                    raise _Refused
                connection.execute("DELETE FROM council_links WHERE body_id = ?", (body.body_id,))
                if not _links_free(connection, body):
                    raise _Refused
                _write_links(connection, body)
            return True

        return await self._refusable(work)

    async def delete_body(self, body_id: str) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            # Its links go with it (ON DELETE CASCADE).
            cursor = connection.execute("DELETE FROM council_bodies WHERE body_id = ?", (body_id,))
            return cursor.rowcount == 1

        result: bool = await self._run(work)
        return result

    async def member_of_link(self, digest: bytes) -> tuple[str, str] | None:
        def work(connection: sqlite3.Connection) -> tuple[str, str] | None:
            row = connection.execute(
                "SELECT body_id, member_id FROM council_links WHERE digest = ?", (digest,)
            ).fetchone()
            if row is None:
                return None
            body_id, member_id = row
            if not isinstance(body_id, str) or not isinstance(member_id, str):
                raise StoreError(StoreErrorCode.CORRUPT)
            return body_id, member_id

        result: tuple[str, str] | None = await self._run(work)
        return result

    async def add_minutes(self, minutes: StoredMinutes) -> bool:
        entry = minutes.entry

        def work(connection: sqlite3.Connection) -> bool:
            with transaction(connection):
                if (
                    connection.execute(
                        "SELECT 1 FROM council_bodies WHERE body_id = ?", (entry.body_id,)
                    ).fetchone()
                    is None
                ):
                    raise _Refused
                inserted = connection.execute(
                    "INSERT INTO council_minutes (body_id, minutes_id, session_id, title,"
                    " closed_at, minutes_json, minutes_pdf) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (body_id, minutes_id) DO NOTHING",
                    (
                        entry.body_id,
                        entry.minutes_id,
                        entry.session_id,
                        entry.title,
                        entry.closed_at,
                        minutes.json,
                        minutes.pdf,
                    ),
                ).rowcount
                if inserted != 1:
                    raise _Refused
                connection.execute(
                    "DELETE FROM council_minutes WHERE body_id = ? AND minutes_id NOT IN"
                    " (SELECT minutes_id FROM council_minutes WHERE body_id = ?"
                    " ORDER BY closed_at DESC, minutes_id DESC LIMIT ?)",
                    (entry.body_id, entry.body_id, MAX_MINUTES_PER_BODY),
                )
            return True

        return await self._refusable(work)

    async def list_minutes(self, body_id: str) -> list[MinutesEntry]:
        def work(connection: sqlite3.Connection) -> list[MinutesEntry]:
            rows = connection.execute(
                f"SELECT {_MINUTES_COLUMNS} FROM council_minutes WHERE body_id = ?"
                " ORDER BY closed_at DESC, minutes_id DESC",
                (body_id,),
            ).fetchall()
            return [_minutes_entry(row) for row in rows]

        result: list[MinutesEntry] = await self._run(work)
        return result

    async def get_minutes(self, body_id: str, minutes_id: str) -> StoredMinutes | None:
        def work(connection: sqlite3.Connection) -> StoredMinutes | None:
            row = connection.execute(
                f"SELECT {_MINUTES_COLUMNS}, minutes_json, minutes_pdf FROM council_minutes"
                " WHERE body_id = ? AND minutes_id = ?",
                (body_id, minutes_id),
            ).fetchone()
            if row is None:
                return None
            try:
                return StoredMinutes(
                    _minutes_entry(row[:5]), stored(row[5], bytes), stored(row[6], bytes)
                )
            except ValueError as error:
                raise StoreError(StoreErrorCode.CORRUPT) from error

        result: StoredMinutes | None = await self._run(work)
        return result

    async def delete_minutes(self, body_id: str, minutes_id: str) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM council_minutes WHERE body_id = ? AND minutes_id = ?",
                (body_id, minutes_id),
            )
            return cursor.rowcount == 1

        result: bool = await self._run(work)
        return result

    async def delete_minutes_before(self, closed_before: int) -> int:
        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "DELETE FROM council_minutes WHERE closed_at < ?", (closed_before,)
            )
            return cursor.rowcount

        result: int = await self._run(work)
        return result

    async def _refusable(self, work: Callable[[sqlite3.Connection], bool]) -> bool:
        """``work`` in its transaction; False if it was refused (and so rolled back)."""

        def guarded(connection: sqlite3.Connection) -> bool:
            try:
                return work(connection)
            except _Refused:
                return False

        result: bool = await self._run(guarded)
        return result


class _Refused(Exception):
    """Ends a transaction with nothing written: the caller is told False."""


def _links_free(connection: sqlite3.Connection, body: StoredBody) -> bool:
    """None of the body's link digests leads to another body."""
    for link in body.member_links:
        row = connection.execute(
            "SELECT 1 FROM council_links WHERE digest = ?", (link.digest,)
        ).fetchone()
        if row is not None:
            return False
    return True


def _write_links(connection: sqlite3.Connection, body: StoredBody) -> None:
    connection.executemany(
        "INSERT INTO council_links (digest, body_id, member_id) VALUES (?, ?, ?)",
        [(link.digest, body.body_id, link.member_id) for link in body.member_links],
    )


def _body_from_rows(row: tuple[Any, ...], links: list[tuple[Any, ...]]) -> StoredBody:
    """The body the rows hold; store_corrupt if they hold none."""
    body_id, clerk_digest, document, created_at, updated_at, revision = row
    try:
        return StoredBody(
            body_id=stored(body_id, str),
            clerk_digest=stored(clerk_digest, bytes),
            document=stored(document, str),
            member_links=tuple(
                MemberLink(stored(member_id, str), stored(digest, bytes))
                for member_id, digest in links
            ),
            created_at=stored(created_at, int),
            updated_at=stored(updated_at, int),
            revision=stored(revision, int),
        )
    except ValueError as error:
        raise StoreError(StoreErrorCode.CORRUPT) from error


def _minutes_entry(row: tuple[Any, ...]) -> MinutesEntry:
    body_id, minutes_id, session_id, title, closed_at = row
    try:
        return MinutesEntry(
            body_id=stored(body_id, str),
            minutes_id=stored(minutes_id, str),
            session_id=stored(session_id, str),
            title=stored(title, str),
            closed_at=stored(closed_at, int),
        )
    except ValueError as error:
        raise StoreError(StoreErrorCode.CORRUPT) from error
