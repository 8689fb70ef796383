"""The minutes of a council session held over the real server: when the chair closes it, its
minutes go to the store, and the clerk lists them and fetches them as JSON and as PDF through
the clerk's API, the PDF naming the JSON's digest."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from pypdf import PdfReader
from support.council_clients import as_member, command, council_visit, on_camera, state
from support.councils import PreparedCouncil, as_clerk
from support.visits import Visit

MINUTES = "/api/councils/gemeinderat/minutes"


@pytest_asyncio.fixture
async def chamber(tmp_path: Path) -> AsyncIterator[tuple[Visit, PreparedCouncil]]:
    async with council_visit(tmp_path) as run_and_council:
        yield run_and_council


async def kept_minutes(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The clerk's list, once the minutes written after the close are in it."""
    for _ in range(100):
        listed = await http.get(MINUTES)
        assert listed.status_code == 200, listed.text
        minutes: list[dict[str, Any]] = listed.json()["minutes"]
        if minutes:
            return minutes
        await asyncio.sleep(0.1)
    raise AssertionError("no minutes were kept")


async def test_the_clerk_fetches_the_minutes_of_a_closed_session(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair = await as_member(run, council, "anna")
    bernd = await as_member(run, council, "bernd")
    dora = await as_member(run, council, "dora")
    await command(chair, "open", session="2026-12-10")
    for client in (chair, bernd, dora):
        await on_camera(client)
    await state(chair, lambda m: m["quorum"]["counted"] == 3)
    await command(chair, "hall", member="carla", on=True)
    await state(chair, lambda m: m["quorum"]["counted"] == 4)
    await command(chair, "item", item="1")

    await command(bernd, "hand", pointOfOrder=True)
    await state(chair, lambda m: len(m["waiting"]) == 1)
    await command(chair, "floor", limit=60)
    await state(chair, lambda m: m["speaker"] is not None)
    await command(chair, "end_floor")

    await command(chair, "bias", member="bernd", item="1", on=True)
    assert (await bernd.next_of("council_held"))["held"] is True
    await command(chair, "vote", motion=0, kind="roll_call")
    await state(chair, lambda m: m["vote"] is not None)
    await command(chair, "ballot", choice="yes")
    await command(dora, "ballot", choice="no")
    await command(chair, "ballot", choice="yes", member="carla")
    await state(chair, lambda m: m["vote"] and len(m["vote"]["ballots"]) == 3)
    await command(chair, "close_vote")
    await state(chair, lambda m: m["results"])
    await command(chair, "bias", member="bernd", item="1", on=False)
    await command(chair, "pause", reason="Bildstörung im Saal")
    await state(chair, lambda m: m["paused"])
    await command(chair, "resume")
    await state(chair, lambda m: not m["paused"])
    await command(chair, "item", item="2")
    await dora.socket.close()
    await state(chair, lambda m: m["faults"])
    await command(chair, "close")
    await state(chair, lambda m: m["phase"] == "closed")

    async with httpx.AsyncClient(base_url=run.server.url, headers=as_clerk(council.clerk)) as http:
        (entry,) = await kept_minutes(http)
        assert (entry["session"], entry["title"]) == (
            "2026-12-10",
            "Öffentliche Sitzung des Gemeinderats",
        )
        assert entry["id"] == f"2026-12-10-{entry['closedAt']}"
        as_json = await http.get(f"{MINUTES}/{entry['id']}.json")
        as_pdf = await http.get(f"{MINUTES}/{entry['id']}.pdf")
        assert (await http.get(MINUTES, headers={"authorization": "Bearer x"})).status_code == 403

    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    data = json.loads(as_json.content)
    assert data["format"] == "klingel-minutes/1"
    assert (data["body"]["id"], data["session"]["id"]) == ("gemeinderat", "2026-12-10")
    assert int(data["session"]["closed"]["unix"]) == entry["closedAt"]
    places = {(p["member"], p["place"]) for p in data["attendance"]}
    assert {("anna", "remote"), ("bernd", "remote"), ("carla", "hall"), ("dora", "remote")} <= (
        places
    )
    dora_was = next(p for p in data["attendance"] if p["member"] == "dora")
    assert dora_was["live"] and dora_was["left"] is not None
    assert data["quorum"][0]["occasion"] == "opened"
    (vote,) = data["votes"]
    assert (vote["kind"], vote["outcome"], vote["biased"]) == ("roll_call", "adopted", ["bernd"])
    assert [(b["name"], b["choice"]) for b in vote["ballots"]] == [
        ("Anna Müller", "yes"),
        ("Carla Weiß", "yes"),
        ("Dora Schäfer", "no"),
    ]
    assert [(s["member"], s["point_of_order"]) for s in data["speakers"]] == [("bernd", True)]
    assert [b["action"] for b in data["bias"]] == ["marked", "lifted"]
    assert data["pauses"][0]["reason"] == "Bildstörung im Saal"
    assert data["pauses"][0]["to"] is not None
    assert (data["faults"][0]["side"], data["faults"][0]["member"]) == ("member", "dora")
    assert data["agenda_log"][-1] == {
        **data["agenda_log"][-1],
        "item": "2",
        "public": False,
        "public_output_changed": True,
    }

    assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in as_pdf.headers["content-disposition"]
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(as_pdf.content)).pages]
    text = " ".join(" ".join(pages).split())
    for words in ("Niederschrift", "Gemeinderat Bühl", "Anna Müller", "Carla Weiß", "angenommen"):
        assert words in text, words
    assert "Seite 1 von" in text and "Vorsitz" in text and "Schriftführung" in text
    assert hashlib.sha256(as_json.content).hexdigest() in text
