"""Keeping a closed session's minutes: JSON and PDF go to the store under the session's id and
closing time, for the body's clerk; a failure to store or to draw is logged without names and
raises nothing."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path

import pytest
from pypdf import PdfReader
from support.council_script import T0, scripted_session

from klingel.rooms import council_bodies
from klingel.rooms.council.minutes_model import Minutes
from klingel.rooms.council.minutes_pdf import minutes_pdf
from klingel.rooms.council_bodies import CouncilBodies
from klingel.rooms.standing import StandingRooms
from klingel.store import StoreError
from klingel.store.api import StoreErrorCode
from klingel.store.council import StoredMinutes
from klingel.web import council_minutes
from klingel.web.council_minutes import keep_minutes, minutes_id


async def test_the_minutes_are_kept_for_the_clerk(standing: StandingRooms) -> None:
    made = await standing.councils.create("gemeinderat", "Gemeinderat Bühl", 5, "at_least_half")
    assert made is not None
    script = scripted_session()
    await keep_minutes(standing.councils, script.prepared, script.session)
    (entry,) = await standing.councils.minutes_list("gemeinderat", made.clerk_secret)
    closed = int(T0) + 300
    assert (entry.minutes_id, entry.session_id, entry.closed_at) == (
        minutes_id("2026-12-10", closed),
        "2026-12-10",
        closed,
    )
    assert entry.minutes_id == f"2026-12-10-{closed}"
    assert entry.title == "Öffentliche Sitzung des Gemeinderats"
    kept = await standing.councils.minutes("gemeinderat", made.clerk_secret, entry.minutes_id)
    assert json.loads(kept.json)["format"] == "klingel-minutes/1"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(kept.pdf)).pages)
    assert hashlib.sha256(kept.json).hexdigest() in text


async def test_a_store_that_fails_is_logged_without_names(
    standing: StandingRooms,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing(self: CouncilBodies, minutes: StoredMinutes) -> bool:
        raise StoreError(StoreErrorCode.FULL)

    monkeypatch.setattr(council_bodies.CouncilBodies, "keep_minutes", failing)
    caplog.set_level(logging.DEBUG)
    script = scripted_session()
    await keep_minutes(standing.councils, script.prepared, script.session)
    assert "store_full" in caplog.text
    for name in ("Anna", "Müller", "Gemeinderat Bühl", "Öffentliche Sitzung"):
        assert name not in caplog.text


async def test_missing_fonts_leave_the_session_closed_and_say_why(
    standing: StandingRooms,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    made = await standing.councils.create("gemeinderat", "Gemeinderat Bühl", 5, "at_least_half")
    assert made is not None

    def without_fonts(minutes: Minutes, digest: str) -> bytes:
        return minutes_pdf(minutes, digest, fonts=tmp_path)

    monkeypatch.setattr(council_minutes, "minutes_pdf", without_fonts)
    script = scripted_session()
    await keep_minutes(standing.councils, script.prepared, script.session)
    assert "fonts-dejavu-core" in caplog.text
    assert script.session.phase == "closed"
    assert await standing.councils.minutes_list("gemeinderat", made.clerk_secret) == []
