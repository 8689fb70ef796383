"""Minutes of closed sessions put straight into a running server's store, as the server keeps
them when a chair closes a session: for the tests of the clerk's list of minutes, which need
no whole session to be held first.

The store is SQLite in the server's data directory; like ``klingel councils``, this opens it
beside the running server (WAL), writes through the store's own API and closes it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from klingel.store.council import MinutesEntry, StoredMinutes
from klingel.store.sqlite import SqliteRoomStore
from klingel.web.council_minutes import minutes_id


@dataclass(frozen=True, slots=True)
class KeptMinutes:
    id: str
    session: str
    title: str
    closed_at: int
    pdf: bytes
    json: bytes


def minutes_files(session: str, title: str) -> tuple[bytes, bytes]:
    """A small stand-in for a session's PDF and canonical JSON, different for each session."""
    data = {"format": "klingel-minutes/1", "session": {"id": session, "title": title}}
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    pdf = f"%PDF-1.4\n% Niederschrift {session}\n%%EOF\n".encode()
    return pdf, canonical.encode()


async def keep_minutes(
    data_dir: Path, body: str, session: str, title: str, closed_at: int
) -> KeptMinutes:
    """Keeps the minutes of ``body``'s ``session``, closed at ``closed_at`` (unix seconds)."""
    pdf, data = minutes_files(session, title)
    entry = MinutesEntry(
        body_id=body,
        minutes_id=minutes_id(session, closed_at),
        session_id=session,
        title=title,
        closed_at=closed_at,
    )
    store = await SqliteRoomStore.open(data_dir)
    try:
        kept = await store.council().add_minutes(StoredMinutes(entry, data, pdf))
    finally:
        await store.close()
    assert kept, f"the minutes of {session} were not kept: no body {body}, or the id is taken"
    return KeptMinutes(entry.minutes_id, session, title, closed_at, pdf, data)
