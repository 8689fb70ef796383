"""A whole council session in real Chromium, from the clerk's preparation to the minutes.

The town's IT makes the body with ``klingel councils create``; the clerk, on the clerk's page,
sets its legal size, enters four members and a session with a public and a non-public item,
and makes personal links for three of them. The chair and two members open their links; the
fourth member sits in the hall. A viewer follows the public broadcast.

The quorum is reached (the second member arrives), lost (her camera goes off: the chair is
alerted, the viewer is told, no vote opens) and regained. On the public item a request to
speak and a point of order meet on the speaker list, the point of order first; the member is
given the floor. The other member is marked biased: she waits outside while the roll call runs,
in which the chair and the member vote on their pages and the chair records the hall member's
ballot. A lost line and a break are recorded. The non-public item reaches the members, not the
viewer. Closed, the session's minutes are on the clerk's page, as PDF and JSON: the PDF's text
and the JSON's content are checked, and the PDF prints the JSON's SHA-256 digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe import assert_no_serious_violations
from playwright.async_api import Locator, Page, expect
from pypdf import PdfReader
from support.council_pages import BODY, WAIT_MS, button, member_opens, panel, said
from support.councils import made_council
from support.data_servers import running, server_with_data
from support.live_pages import open_viewer, wait_phase
from support.signaling_cut import SignalingCutter

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import Toggle, switch
from klingel_bots.room_page import wait_state

PUBLIC = Toggle("Öffentlich übertragen")
SESSION_BUTTON = Toggle("Sitzung")
VIEWER_LINK = re.compile(r"/live/([A-Za-z0-9_-]{16,64})$")
MEMBER_LINK = re.compile(r"#member=([A-Za-z0-9_-]{32})$")
SESSION_TITLE = "Öffentliche Sitzung des Gemeinderats"
MEMBERS = (
    ("Anna Müller", "Freie Wähler", "Vorsitz"),
    ("Bernd Öztürk", "SPD", "Mitglied"),
    ("Carla Weiß", "CDU", "Mitglied"),
    ("Dora Schäfer", "Grüne", "Mitglied"),
)


@pytest.fixture(scope="module")
def council_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with server_with_data(tmp_path_factory, "council-session-server") as process:
        yield process


# -- the clerk's page ------------------------------------------------------------------------


async def clerk_saved(page: Page) -> None:
    await page.get_by_role("button", name="Speichern", exact=True).click()

    async def saved() -> bool:
        return (await page.locator("#clerk-save-state").text_content() or "").strip() == (
            "Gespeichert"
        )

    await wait_until(saved, message="the clerk's form saved")


async def clerk_prepares(page: Page) -> None:
    """Legal size 5 (quorum: at least half, 3), four members, one session of two items."""
    await page.get_by_label("Gesetzliche Mitgliederzahl").fill("5")
    await page.get_by_label("mindestens die Hälfte").check()
    for name, faction, role in MEMBERS:
        await page.get_by_role("button", name="Mitglied hinzufügen").click()
        row = page.locator("#members-list > li").last
        await row.get_by_label("Vollständiger Name").fill(name)
        await row.get_by_label("Fraktion (freiwillig)").fill(faction)
        await row.get_by_label("Rolle").select_option(label=role)
    await page.get_by_role("button", name="Sitzung hinzufügen").click()
    session = page.locator("#sessions-list > li").first
    await session.get_by_label("Titel der Sitzung").fill(SESSION_TITLE)
    await session.get_by_label("Datum").fill("2026-12-10")
    await session.get_by_label("Uhrzeit").fill("18:00")
    await session.get_by_label("Ort (freiwillig)").fill("Rathaus, Großer Saal")
    for title, public, motions in (
        ("Haushalt 2027", True, "Der Haushalt 2027 wird beschlossen."),
        ("Grundstücksverkauf Flurstück 12", False, "Das Grundstück wird verkauft."),
    ):
        await session.get_by_role("button", name="Tagesordnungspunkt hinzufügen").click()
        item = session.locator("ol > li").last
        await item.get_by_label("Titel", exact=True).fill(title)
        await item.get_by_label("öffentlich").set_checked(public)
        await item.get_by_label("Beschlussvorschläge").fill(motions)
    await clerk_saved(page)


async def personal_link(page: Page, index: int, name: str) -> str:
    row = page.locator("#members-list > li").nth(index)
    await row.get_by_role("button", name="Persönlichen Link erstellen").click()
    field = row.get_by_label(f"Persönlicher Link für {name}")
    await field.wait_for()
    found = MEMBER_LINK.search(await field.input_value())
    assert found is not None
    return found.group(1)


# -- the room --------------------------------------------------------------------------------


def quorum_of(page: Page) -> Locator:
    return panel(page).locator(".council-quorum")


async def camera(page: Page, on: bool) -> None:
    control = page.get_by_role("button", name="Kamera", exact=True)
    if await control.get_attribute("aria-pressed") != str(on).lower():
        await control.click()
    await expect(control).to_have_attribute("aria-pressed", str(on).lower())


async def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


# -- the session -----------------------------------------------------------------------------


async def test_a_council_session_from_the_clerk_to_the_minutes(
    open_page: PageOpener, council_server: Any
) -> None:
    server = running(council_server)
    data_dir = council_server.data_dir
    assert isinstance(data_dir, Path)

    # The IT makes the body; the clerk prepares it and hands out the personal links.
    clerk_secret = await made_council(data_dir, BODY)
    clerk = (await open_page(f"{server}/rat/{BODY}#clerk={clerk_secret}")).page
    await wait_until(
        lambda: clerk.evaluate("() => document.body.dataset.state === 'ready'"),
        message="the clerk's page ready",
    )
    await clerk_prepares(clerk)
    links = {
        name: await personal_link(clerk, index, name)
        for index, (name, _, _) in enumerate(MEMBERS[:3])
    }

    # The chair comes, makes the room public; a viewer follows.
    chair_probed = await member_opens(open_page, server, links["Anna Müller"])
    chair = chair_probed.page
    await switch(chair, PUBLIC, True)
    public_link = chair.locator("#host-panel #public-link")
    await expect(public_link).to_have_text(VIEWER_LINK, timeout=WAIT_MS)
    found = VIEWER_LINK.search(await public_link.inner_text())
    assert found is not None
    await chair.get_by_role("button", name=SESSION_BUTTON.name, exact=True).click()
    viewer = await open_viewer(open_page, f"{server}/live/{found[1]}")
    await wait_phase(viewer.page, "live")
    bernd_probed = await member_opens(open_page, server, links["Bernd Öztürk"])
    bernd = bernd_probed.page

    # Opened with two of three needed: the chair is alerted.
    await button(chair, "Sitzung eröffnen").click()
    alert = panel(chair).get_by_role("alert").filter(has_text="nicht beschlussfähig")
    await expect(alert).to_be_visible(timeout=WAIT_MS)
    await expect(quorum_of(chair)).to_have_text(
        "Nicht beschlussfähig: 2 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )

    # Carla arrives (her signaling goes through a line the test can cut): quorum reached.
    cutter = SignalingCutter()
    carla_probed = await open_page()
    carla = carla_probed.page
    await carla.route_web_socket(re.compile(r"/ws$"), lambda ws: cutter.route(ws))
    await carla.goto(f"{server}/r/{BODY}#member={links['Carla Weiß']}")
    await wait_state(carla, "prejoin")
    await carla.get_by_role("button", name="Beitreten", exact=True).click()
    await wait_state(carla, "joined")
    await expect(quorum_of(chair)).to_have_text(
        "Beschlussfähig: 3 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )
    await expect(panel(chair).locator(".council-alert")).to_be_hidden()

    # The public item reaches the viewer.
    await button(chair, "Aufrufen").click()
    await expect(viewer.page.locator("#council-info-item")).to_have_text(
        "TOP 1: Haushalt 2027", timeout=WAIT_MS
    )
    await expect(viewer.page.locator("#council-info-quorum")).to_have_text(
        "Beschlussfähig: 3 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )

    # Her camera goes off: the quorum is lost, the chair alerted, the public told; no vote.
    await camera(carla, False)
    await expect(alert).to_be_visible(timeout=WAIT_MS)
    await expect(viewer.page.locator("#council-info-quorum")).to_have_text(
        "Nicht beschlussfähig: 2 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )
    await button(chair, "Abstimmung starten").click()
    await expect(panel(chair).locator(".council-message")).to_contain_text(
        "nicht beschlussfähig", timeout=WAIT_MS
    )
    # On again: regained. Dora is in the hall.
    await camera(carla, True)
    await expect(quorum_of(chair)).to_have_text(
        "Beschlussfähig: 3 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )
    in_hall = button(chair, "Im Saal anwesend: Dora Schäfer")
    await in_hall.click()
    await expect(in_hall).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(quorum_of(chair)).to_have_text(
        "Beschlussfähig: 4 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )

    # The speaker list: Bernd asks to speak, Carla for a point of order; hers goes first.
    await button(bernd, "Wortmeldung").click()
    await expect(panel(bernd)).to_contain_text("Sie stehen auf der Liste, an Stelle 1.")
    await button(carla, "Geschäftsordnungsantrag").click()
    requests = panel(chair).locator(".council-requests li")
    await expect(requests).to_have_count(2, timeout=WAIT_MS)
    await expect(requests.first).to_contain_text("Carla Weiß (CDU)")
    await expect(requests.first).to_contain_text("GO-Antrag")
    await button(chair, "Wort erteilen").click()
    await expect(bernd.locator("#council-banner-name")).to_have_text("Carla Weiß")
    await expect(viewer.page.locator("#council-info-name")).to_have_text(
        "Carla Weiß", timeout=WAIT_MS
    )
    await button(chair, "Redebeitrag beenden").click()

    # Bernd is biased on this item: he waits outside and has no vote in the roll call.
    await button(chair, "Befangen bei diesem Punkt: Bernd Öztürk").click()
    await expect(bernd.locator("#council-held")).to_be_visible(timeout=WAIT_MS)
    await panel(chair).get_by_label("Art der Abstimmung").select_option("roll_call")
    await button(chair, "Abstimmung starten").click()
    await said(carla, "Abstimmung, namentliche Abstimmung: Der Haushalt 2027 wird beschlossen.")
    vote_of = panel(carla).get_by_role("group", name="Ihre Stimme")
    await vote_of.get_by_role("button", name="Ja").click()
    await (
        panel(chair)
        .get_by_role("group", name="Ihre Stimme")
        .get_by_role("button", name="Nein")
        .click()
    )
    await button(chair, "Enthaltung für Dora Schäfer").click()
    ballots = panel(chair).locator(".council-ballots")
    for line in ("Carla Weiß: Ja", "Anna Müller: Nein", "Dora Schäfer: Enthaltung"):
        await expect(ballots).to_contain_text(line, timeout=WAIT_MS)
    await expect(ballots).not_to_contain_text("Bernd")
    await button(chair, "Abstimmung schließen").click()
    for page in (chair, carla):
        result = panel(page).locator(".council-result").last
        await expect(result.locator(".council-outcome")).to_have_text("abgelehnt", timeout=WAIT_MS)
        await expect(result).to_contain_text("Ja 1 · Nein 1 · Enthaltung 1")
    await expect(viewer.page.locator("#council-info-result-ballots li")).to_have_text(
        # The result names the ballots in the roster's order.
        [
            "Anna Müller (Freie Wähler): Nein",
            "Carla Weiß (CDU): Ja",
            "Dora Schäfer (Grüne): Enthaltung",
        ],
        timeout=WAIT_MS,
    )
    await button(chair, "Befangen bei diesem Punkt: Bernd Öztürk").click()
    await expect(bernd.locator("#council-held")).to_be_hidden(timeout=WAIT_MS)

    # Carla's line is lost and comes back by itself; the chair reads it in the fault log.
    before_cut = len(cutter.sockets)
    await cutter.cut()
    await wait_until(lambda: len(cutter.sockets) > before_cut, message="Carla's page reconnected")
    await wait_state(carla, "joined")
    await expect(panel(chair).locator(".council-fault").first).to_contain_text(
        "Die Verbindung von Carla Weiß ist abgebrochen.", timeout=WAIT_MS
    )

    # A break, and on.
    await panel(chair).get_by_label("Grund der Unterbrechung (freiwillig)").fill("Lüften")
    await button(chair, "Sitzung unterbrechen").click()
    await said(bernd, "Die Sitzung ist unterbrochen: Lüften")
    await button(chair, "Sitzung fortsetzen").click()
    await said(bernd, "Die Sitzung geht weiter.")

    # The non-public item: the members see it, the viewer only that it is one.
    await panel(chair).get_by_label("Tagesordnungspunkt").select_option("2")
    await button(chair, "Aufrufen").click()
    for page in (bernd, carla):
        await expect(page.locator("#council-banner-public")).to_have_text("nichtöffentlich")
    await wait_phase(viewer.page, "paused", timeout=WAIT_MS / 1000)
    assert "Grundstücksverkauf" not in await viewer.page.locator("body").inner_text()

    # Closed: the minutes are on the clerk's page.
    await button(chair, "Sitzung schließen").click()
    await (
        chair.locator("#council-close-dialog")
        .get_by_role("button", name="Sitzung schließen")
        .click()
    )
    await said(bernd, "Die Sitzung ist geschlossen.")

    pdf, data = await minutes_from_the_clerk(clerk)
    check_minutes_json(data)
    await assert_no_serious_violations(clerk, "clerk page: the list of minutes")
    text = " ".join((await pdf_text(pdf)).split())
    for line in (
        "Niederschrift",
        "Gemeinderat Bühl",
        SESSION_TITLE,
        "TOP 1 Haushalt 2027",
        "Grundstücksverkauf Flurstück 12 (nichtöffentlich)",
        "Carla Weiß",
        "Bernd Öztürk",
        "Befangenheit",
        "Geschäftsordnungsantrag",
        "abgelehnt",
        "Lüften",
        "Vorsitz",
        "Schriftführung",
        "Seite 1 von",
    ):
        assert line in text, f"{line!r} is not in the PDF's text"
    digest = hashlib.sha256(data).hexdigest()
    assert digest in text.replace(" ", ""), "the PDF prints the JSON's digest"
    await the_clerk_deletes_the_minutes(clerk)

    for probed in (chair_probed, bernd_probed, carla_probed, viewer.probed):
        assert probed.page_errors == []


async def minutes_from_the_clerk(clerk: Page) -> tuple[bytes, bytes]:
    """The clerk reloads the list until the closed session's minutes are in it (they are
    written a moment after the close), and downloads them as PDF and JSON."""
    entry = clerk.locator("#minutes-list > li")

    async def listed() -> bool:
        if await entry.count() > 0:
            return True
        await clerk.get_by_role("button", name="Liste neu laden").click()
        return False

    await wait_until(listed, timeout=30, message="the minutes on the clerk's page")
    await expect(entry).to_have_count(1)
    await expect(entry.locator(".clerk-minutes-name")).to_have_text(SESSION_TITLE)
    files = {}
    for kind in ("PDF", "JSON"):
        async with clerk.expect_download() as download_info:
            await entry.get_by_role("button", name=re.compile(f"^{kind} herunterladen: ")).click()
        download = await download_info.value
        assert re.fullmatch(
            rf"niederschrift-{BODY}-2026-12-10-\d+\.{kind.lower()}", download.suggested_filename
        )
        path = await download.path()
        files[kind] = Path(path).read_bytes()
    assert files["PDF"].startswith(b"%PDF-")
    return files["PDF"], files["JSON"]


def check_minutes_json(data: bytes) -> dict[str, Any]:
    """The JSON holds what the session did; it is canonical (sorted keys, no spaces)."""
    minutes: dict[str, Any] = json.loads(data)
    assert (
        data
        == json.dumps(minutes, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    )
    assert minutes["format"] == "klingel-minutes/1"
    names = {member["id"]: member["name"] for member in minutes["members"]}
    ids = {name: member for member, name in names.items()}
    assert set(names.values()) == {name for name, _, _ in MEMBERS}
    # Attendance: Carla came, left by a lost line and came back; Dora was in the hall.
    places = {entry["member"]: entry["place"] for entry in minutes["attendance"]}
    assert places[ids["Dora Schäfer"]] == "hall"
    assert places[ids["Carla Weiß"]] == "remote"
    # The quorum: missing at the opening, reached, lost and regained.
    reached = [snapshot["reached"] for snapshot in minutes["quorum"]]
    changes = [now for before, now in zip([None, *reached], reached, strict=False) if now != before]
    assert changes == [False, True, False, True], reached
    # Both items, public and not, in the order called.
    assert [(entry["item"], entry["public"]) for entry in minutes["agenda_log"]] == [
        ("1", True),
        ("2", False),
    ]
    # The roll call: Bernd biased, not eligible; the three ballots by name; rejected.
    (vote,) = minutes["votes"]
    assert (vote["kind"], vote["outcome"], vote["biased"]) == (
        "roll_call",
        "rejected",
        [ids["Bernd Öztürk"]],
    )
    assert {(ballot["name"], ballot["choice"]) for ballot in vote["ballots"]} == {
        ("Anna Müller", "no"),
        ("Carla Weiß", "yes"),
        ("Dora Schäfer", "abstain"),
    }
    assert ids["Bernd Öztürk"] in json.dumps(minutes["bias"])
    # The speaker list: Carla on a point of order.
    (turn,) = minutes["speakers"]
    assert turn["member"] == ids["Carla Weiß"] and turn["point_of_order"] is True
    # Carla's lost line, and the break with its reason.
    assert [(f["side"], f["member"]) for f in minutes["faults"]] == [("member", ids["Carla Weiß"])]
    assert "Lüften" in json.dumps(minutes["pauses"], ensure_ascii=False)
    return minutes


async def the_clerk_deletes_the_minutes(clerk: Page) -> None:
    entry = clerk.locator("#minutes-list > li")
    await entry.get_by_role("button", name=re.compile("^Niederschrift löschen: ")).click()
    dialog = clerk.locator("#minutes-delete-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("endgültig gelöscht")
    await assert_no_serious_violations(clerk, "clerk page: deleting minutes asks first")
    await dialog.get_by_role("button", name="Endgültig löschen").click()
    await expect(entry).to_have_count(0, timeout=WAIT_MS)
    await expect(clerk.locator("#minutes-empty")).to_be_visible()
    await expect(clerk.locator("#minutes-title")).to_be_focused()
