"""The SQLite connection as the store uses it: how it is opened, one transaction, and
SQLite's failures as store errors (no raw ``sqlite3`` exception leaves the store).

SQLite reports an extended result code whose low byte is the primary code
(https://www.sqlite.org/rescode.html).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from klingel.store.api import StoreError, StoreErrorCode

__all__ = ["BUSY_TIMEOUT_MS", "connect", "sqlite_store_error", "stored", "transaction"]

_T = TypeVar("_T")

BUSY_TIMEOUT_MS = 5_000
"""How long a write waits for another process's write to finish before store_unavailable."""

_CODES = {
    sqlite3.SQLITE_FULL: StoreErrorCode.FULL,
    sqlite3.SQLITE_READONLY: StoreErrorCode.READ_ONLY,
    sqlite3.SQLITE_CORRUPT: StoreErrorCode.CORRUPT,
    sqlite3.SQLITE_NOTADB: StoreErrorCode.CORRUPT,
}


def sqlite_store_error(error: sqlite3.Error) -> StoreError:
    """The store error for a failed SQLite call (anything not named: store_unavailable)."""
    extended = getattr(error, "sqlite_errorcode", None)
    if not isinstance(extended, int):
        return StoreError(StoreErrorCode.UNAVAILABLE)
    return StoreError(_CODES.get(extended & 0xFF, StoreErrorCode.UNAVAILABLE))


def connect(path: Path, max_pages: int | None) -> sqlite3.Connection:
    """Open the database file, set it up and check it; raises ``sqlite3.Error``.

    The connection is in autocommit mode: a lone statement is its own transaction, and
    ``transaction`` groups several.
    """
    # ``timeout`` is SQLite's busy_timeout, in force from the first statement on.
    connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        # The first read of the file: a file that is no database fails here (SQLITE_NOTADB).
        (journal_mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
        if journal_mode != "wal":
            raise StoreError(StoreErrorCode.UNAVAILABLE, "The room store cannot use its journal.")
        # In WAL mode, NORMAL syncs at every checkpoint, not at every commit: a committed
        # change survives a killed process (it is in the WAL file, which the next open
        # replays), which is what a restart needs; only a power cut or an OS crash may lose
        # the last commits, never the database's consistency.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        if max_pages is not None:
            connection.execute(f"PRAGMA max_page_count = {max_pages:d}")
        # A damaged file is found at start-up, not when some room is next read.
        problems = [row for (row,) in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise StoreError(StoreErrorCode.CORRUPT)
    except BaseException:
        connection.close()
        raise
    return connection


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: all of the block's statements, or none of them.

    IMMEDIATE takes the write lock at the start, so a transaction that reads and then writes
    never fails half-way for another writer.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (disk full) or a statement's error may have ended the transaction
        # already; the rollback must not hide the first error.
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def stored(value: object, kind: type[_T]) -> _T:
    """A value read from a row, if it has the type the schema gives it; ``ValueError``
    otherwise (a file changed from outside), which the readers turn into store_corrupt."""
    if not isinstance(value, kind):
        raise ValueError(f"a stored value is not {kind.__name__}")
    return value
