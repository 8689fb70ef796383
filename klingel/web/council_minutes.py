"""The minutes of a council session, kept when the chair closes it (docs/council.md, Minutes):
drawn from the closed session's event log, written as JSON and PDF (the PDF off the event
loop: it is CPU work of up to a second for a long session) and stored for the clerk, who
fetches them through the clerk's API.

Keeping them never holds up or breaks the room: it runs as a task of its own after the close,
and a failure is logged (without names) and leaves the session closed as it is.
"""

from __future__ import annotations

import asyncio
import logging

from klingel.rooms.council.document import PreparedSession
from klingel.rooms.council.minutes import build_minutes, minutes_digest, minutes_json
from klingel.rooms.council.minutes_model import Minutes
from klingel.rooms.council.minutes_pdf import FontMissingError, minutes_pdf
from klingel.rooms.council.session import CouncilSession
from klingel.rooms.council_bodies import CouncilBodies
from klingel.store import StoreError
from klingel.store.council import MinutesEntry, StoredMinutes

__all__ = ["keep_minutes", "minutes_id", "stored_minutes"]

logger = logging.getLogger(__name__)


def minutes_id(session_id: str, closed_at: int) -> str:
    """The id the clerk's API names the minutes by: the session's id and when it closed (a
    session opened again after closing has minutes of each sitting)."""
    return f"{session_id}-{closed_at}"


async def stored_minutes(prepared: PreparedSession, session: CouncilSession) -> StoredMinutes:
    """The closed ``session``'s minutes as the store keeps them."""
    minutes = build_minutes(prepared, session)
    data, pdf = await asyncio.to_thread(_files, minutes)
    closed_at = minutes.session.closed_at
    closed = int(closed_at if closed_at is not None else 0)
    entry = MinutesEntry(
        body_id=session.body.id,
        minutes_id=minutes_id(prepared.id, closed),
        session_id=prepared.id,
        title=prepared.title,
        closed_at=closed,
    )
    return StoredMinutes(entry, data, pdf)


async def keep_minutes(
    bodies: CouncilBodies, prepared: PreparedSession, session: CouncilSession
) -> None:
    """Writes and stores the minutes of the just closed ``session``; logs what fails."""
    try:
        kept = await bodies.keep_minutes(await stored_minutes(prepared, session))
    except StoreError as error:
        logger.warning("The minutes of a council session could not be stored: %s", error.code)
    except FontMissingError as error:
        logger.error("The minutes of a council session have no PDF: %s", error)
    except Exception as error:  # the session is closed either way
        logger.error("The minutes of a council session failed: %s", type(error).__name__)
        logger.debug("council minutes failure", exc_info=True)
    else:
        if not kept:
            logger.warning("The minutes of a council session were not kept: body gone or id taken")


def _files(minutes: Minutes) -> tuple[bytes, bytes]:
    data = minutes_json(minutes)
    return data, minutes_pdf(minutes, minutes_digest(data))
