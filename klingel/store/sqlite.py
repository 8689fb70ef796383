"""The embedded room store: one SQLite file, ``<data dir>/rooms.sqlite3``.

Every SQLite call runs on one thread of the store's own, so the event loop never waits for
the disk, and one connection serves all calls in the order they were made. Each method is one
statement or one transaction: atomic on its own, also against a second process on the same
file.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from klingel.ids import RoomId
from klingel.store.api import StoreError, StoreErrorCode
from klingel.store.files import create_private_file, ensure_private_directory
from klingel.store.passwords import PasswordDigest
from klingel.store.records import RoomDates, StandingRoom, StoredSettings, check_ban
from klingel.store.sqlite_connection import connect, sqlite_store_error, stored, transaction
from klingel.store.sqlite_council import SqliteCouncilStore
from klingel.store.sqlite_schema import migrate

__all__ = ["DATABASE_FILE_NAME", "SqliteRoomStore"]

DATABASE_FILE_NAME = "rooms.sqlite3"

_T = TypeVar("_T")
_SETTINGS = tuple(switch.name for switch in fields(StoredSettings))
_WRITTEN = ("host_digest", "cohost_digest", *_SETTINGS, "password")
_COLUMNS = ("room_id", *_WRITTEN, "created_at", "last_used_at", "revision")

_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM rooms WHERE room_id = ?"
_INSERT = (
    f"INSERT INTO rooms ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
    " ON CONFLICT (room_id) DO NOTHING"
)
_UPDATE = (
    f"UPDATE rooms SET {', '.join(f'{column} = ?' for column in _WRITTEN)},"
    " last_used_at = max(last_used_at, ?), revision = revision + 1"
    " WHERE room_id = ? AND revision = ? AND created_at = ?"
)


class SqliteRoomStore:
    """A ``RoomStore`` in one SQLite file. Make it with ``await SqliteRoomStore.open(...)``."""

    __slots__ = ("_connection", "_executor")

    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        """Use ``open``: the connection must belong to the executor's one thread."""
        self._connection: sqlite3.Connection | None = connection
        self._executor = executor

    @classmethod
    async def open(cls, data_dir: Path, *, max_pages: int | None = None) -> SqliteRoomStore:
        """Open (or make) the store in ``data_dir``; raises ``StoreError``.

        Async because it reads, checks and migrates the file on the store's thread. Makes the
        data directory (mode 0700) and the database file (mode 0600; SQLite gives its journal
        files the same mode) if they are missing. ``max_pages`` caps the file at that many
        pages (4 KiB each in a new file; beyond them: store_full); for tests, and for operators
        who cap the file.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="klingel-store")
        opened: list[sqlite3.Connection] = []
        try:
            await asyncio.get_running_loop().run_in_executor(
                executor, _open_database, data_dir / DATABASE_FILE_NAME, max_pages, opened
            )
        except BaseException:
            # A cancelled open still finishes on the store's thread: close there what it
            # opens, and return only when that is done, so that the next open finds the file
            # free (SQLite refuses the WAL switch while another connection is half-way in).
            closing = executor.submit(_close_all, opened)
            executor.shutdown(wait=False)
            await _finish_despite_cancellation(asyncio.wrap_future(closing))
            raise
        return cls(opened[0], executor)

    def council(self) -> SqliteCouncilStore:
        """The councils and committees kept in the same file, on the same connection."""
        return SqliteCouncilStore(self._run)

    async def create(self, room: StandingRoom, max_rooms: int | None = None) -> bool:
        row = _room_row(room)

        def work(connection: sqlite3.Connection) -> bool:
            if max_rooms is None:
                return connection.execute(_INSERT, row).rowcount == 1
            # The count and the insert in one transaction: racing creates never pass the cap.
            with transaction(connection):
                if _stands(connection, room.room_id):
                    return False
                (rooms,) = connection.execute("SELECT count(*) FROM rooms").fetchone()
                if rooms >= max_rooms:
                    raise StoreError(StoreErrorCode.ROOMS_FULL)
                return connection.execute(_INSERT, row).rowcount == 1

        return await self._run(work)

    async def get(self, room_id: RoomId) -> StandingRoom | None:
        def work(connection: sqlite3.Connection) -> StandingRoom | None:
            row = connection.execute(_SELECT, (room_id,)).fetchone()
            return None if row is None else _room_from_row(row)

        return await self._run(work)

    async def update(self, room: StandingRoom, expected_revision: int) -> bool:
        values = (*_written_values(room), room.last_used_at)

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                _UPDATE, (*values, room.room_id, expected_revision, room.created_at)
            )
            return cursor.rowcount == 1

        return await self._run(work)

    async def touch(self, room_id: RoomId, now: int) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE rooms SET last_used_at = max(last_used_at, ?) WHERE room_id = ?",
                (now, room_id),
            )
            return cursor.rowcount == 1

        return await self._run(work)

    async def delete(self, room_id: RoomId) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            # The room's bans go with it (ON DELETE CASCADE).
            return (
                connection.execute("DELETE FROM rooms WHERE room_id = ?", (room_id,)).rowcount == 1
            )

        return await self._run(work)

    async def add_ban(
        self, room_id: RoomId, token_digest: bytes, *, banned_at: int, max_bans: int
    ) -> bool:
        check_ban(token_digest, max_bans)

        def work(connection: sqlite3.Connection) -> bool:
            with transaction(connection):
                if not _stands(connection, room_id):
                    return False
                connection.execute(
                    "INSERT INTO bans (room_id, digest, banned_at) VALUES (?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (room_id, token_digest, banned_at),
                )
                # Everything but the newest ``max_bans`` goes (ties: by digest, for one order).
                connection.execute(
                    "DELETE FROM bans WHERE room_id = ? AND digest IN (SELECT digest FROM bans"
                    " WHERE room_id = ? ORDER BY banned_at DESC, digest DESC LIMIT -1 OFFSET ?)",
                    (room_id, room_id, max_bans),
                )
            return True

        return await self._run(work)

    async def is_banned(self, room_id: RoomId, token_digest: bytes) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT 1 FROM bans WHERE room_id = ? AND digest = ?", (room_id, token_digest)
            ).fetchone()
            return row is not None

        return await self._run(work)

    async def delete_unused(self, before: int) -> int:
        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute("DELETE FROM rooms WHERE last_used_at < ?", (before,))
            return cursor.rowcount

        return await self._run(work)

    async def count(self) -> int:
        def work(connection: sqlite3.Connection) -> int:
            (rooms,) = connection.execute("SELECT count(*) FROM rooms").fetchone()
            return int(rooms)

        return await self._run(work)

    async def dates(self) -> list[RoomDates]:
        def work(connection: sqlite3.Connection) -> list[RoomDates]:
            rows = connection.execute(
                "SELECT room_id, created_at, last_used_at FROM rooms ORDER BY room_id"
            ).fetchall()
            return [_dates_from_row(row) for row in rows]

        return await self._run(work)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            # Queued behind every call made before: those finish first.
            await asyncio.get_running_loop().run_in_executor(
                self._executor, _on_store_thread, connection, sqlite3.Connection.close
            )
        finally:
            self._executor.shutdown(wait=False)

    async def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        connection = self._connection
        if connection is None:
            raise StoreError(StoreErrorCode.UNAVAILABLE, "The room store is closed.")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, _on_store_thread, connection, work
        )


def _on_store_thread(
    connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]
) -> _T:
    try:
        return work(connection)
    except sqlite3.Error as error:
        raise sqlite_store_error(error) from error


def _open_database(path: Path, max_pages: int | None, opened: list[sqlite3.Connection]) -> None:
    ensure_private_directory(path.parent)
    # Made here, with its mode, rather than by SQLite, which would use the umask (often 0644).
    create_private_file(path)
    try:
        connection = connect(path, max_pages)
        try:
            migrate(connection)
        except BaseException:
            connection.close()
            raise
    except sqlite3.Error as error:
        raise sqlite_store_error(error) from error
    opened.append(connection)


async def _finish_despite_cancellation(work: asyncio.Future[None]) -> None:
    """Wait for ``work`` to end even if the waiting task is cancelled again meanwhile."""
    while not work.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(work)


def _close_all(connections: list[sqlite3.Connection]) -> None:
    for connection in connections:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


def _stands(connection: sqlite3.Connection, room_id: RoomId) -> bool:
    row = connection.execute("SELECT 1 FROM rooms WHERE room_id = ?", (room_id,)).fetchone()
    return row is not None


def _written_values(room: StandingRoom) -> tuple[object, ...]:
    """The room's values in the order of ``_WRITTEN``."""
    return (
        room.host_digest,
        room.cohost_digest,
        *(getattr(room.settings, switch) for switch in _SETTINGS),
        None if room.password is None else room.password.encode(),
    )


def _room_row(room: StandingRoom) -> tuple[object, ...]:
    """The room's values in the order of ``_COLUMNS``."""
    return (room.room_id, *_written_values(room), room.created_at, room.last_used_at, room.revision)


def _room_from_row(row: tuple[Any, ...]) -> StandingRoom:
    """The room a row of ``_COLUMNS`` holds; store_corrupt if it holds no valid room."""
    values = dict(zip(_COLUMNS, row, strict=True))
    try:
        password = values["password"]
        return StandingRoom(
            room_id=RoomId(stored(values["room_id"], str)),
            host_digest=stored(values["host_digest"], bytes),
            cohost_digest=stored(values["cohost_digest"], bytes),
            settings=StoredSettings(
                **{switch: bool(stored(values[switch], int)) for switch in _SETTINGS}
            ),
            password=None if password is None else PasswordDigest.decode(stored(password, str)),
            created_at=stored(values["created_at"], int),
            last_used_at=stored(values["last_used_at"], int),
            revision=stored(values["revision"], int),
        )
    except ValueError as error:
        raise StoreError(StoreErrorCode.CORRUPT) from error


def _dates_from_row(row: tuple[Any, ...]) -> RoomDates:
    room_id, created_at, last_used_at = row
    try:
        return RoomDates(
            RoomId(stored(room_id, str)), stored(created_at, int), stored(last_used_at, int)
        )
    except ValueError as error:
        raise StoreError(StoreErrorCode.CORRUPT) from error
