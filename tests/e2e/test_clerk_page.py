"""The clerk's page (``/rat/<body>#clerk=<secret>``) in real Chromium against a real server
whose data directory the town's IT runs ``klingel councils create`` on: the clerk opens the
link (the secret leaves the address bar at once), enters members and a session with a public
and a non-public item, saves, finds it all again, and makes a member's personal link, which
lets that member in. A wrong or missing secret, a change made elsewhere meanwhile, mistakes
in the form and the server's refusals each say so in plain words; English is one click away;
axe-core finds nothing serious, on a desktop and at 360 px; typed names stay text."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe import assert_no_serious_violations
from playwright.async_api import Locator, Page, Route
from support.councils import as_clerk, made_council
from support.data_servers import running, server_with_data
from support.live_pages import PHONE, focused_id, no_horizontal_scroll
from websockets.asyncio.client import connect

from klingel_bots.browser import PageOpener, ProbedPage, csp_violations, wait_until
from klingel_bots.room_page import ENGLISH_SWITCH
from klingel_bots.server_process import ServerProcess

FORBIDDEN = "Dieser Link gilt nicht (mehr)."
ASK_IT = "Bitten Sie die IT der Stadt um einen neuen Link."
SAVE = "Speichern"
CLIPBOARD = ["clipboard-read", "clipboard-write"]
MEMBER_LINK = re.compile(r"/r/gemeinderat#member=([A-Za-z0-9_-]{32})$")


@pytest.fixture(scope="module")
def council_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, on a data directory the tests run ``klingel councils``
    on, as the town's IT does beside the running server."""
    with server_with_data(tmp_path_factory, "council-server") as process:
        yield process


@pytest.fixture
def server(council_server: ServerProcess) -> str:
    return running(council_server)


@pytest.fixture
def data_dir(council_server: ServerProcess) -> Path:
    assert council_server.data_dir is not None
    return council_server.data_dir


# -- helpers -----------------------------------------------------------------------------------


async def state(page: Page) -> str:
    found: str = await page.evaluate("() => document.body.dataset.state")
    return found


async def wait_state(page: Page, wanted: str) -> None:
    async def reached() -> bool:
        return await state(page) == wanted

    await wait_until(reached, message=f"the page in state {wanted}")


async def open_clerk(
    open_page: PageOpener, url: str, *, ready: bool = True, **options: Any
) -> ProbedPage:
    probed = await open_page(url, **options)
    if ready:
        await wait_state(probed.page, "ready")
    return probed


async def clerk_opens(
    open_page: PageOpener, server: str, data_dir: Path, body: str, **options: Any
) -> tuple[str, ProbedPage]:
    """The IT makes the body; its clerk opens the link they were given. The clerk's secret,
    and the page."""
    clerk = await made_council(data_dir, body)
    return clerk, await open_clerk(open_page, f"{server}/rat/{body}#clerk={clerk}", **options)


async def said(page: Page, wanted: str) -> None:
    async def heard() -> bool:
        text: str = await page.locator("#clerk-status").text_content() or ""
        return wanted in text

    await wait_until(heard, message=f"the live region says {wanted!r}")


async def read_body(server: str, clerk: str, body: str = "gemeinderat") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server, headers=as_clerk(clerk)) as http:
        answer = await http.get(f"/api/councils/{body}")
    assert answer.status_code == 200, answer.text
    read: dict[str, Any] = answer.json()
    return read


def member_row(page: Page, index: int) -> Locator:
    return page.locator("#members-list > li").nth(index)


def session_row(page: Page, index: int) -> Locator:
    return page.locator("#sessions-list > li").nth(index)


async def add_member(page: Page, name: str, faction: str, role: str = "Mitglied") -> Locator:
    await page.get_by_role("button", name="Mitglied hinzufügen").click()
    row = page.locator("#members-list > li").last
    await row.get_by_label("Vollständiger Name").fill(name)
    await row.get_by_label("Fraktion (freiwillig)").fill(faction)
    await row.get_by_label("Rolle").select_option(label=role)
    return row


async def add_item(session: Locator, title: str, *, public: bool, motions: str = "") -> None:
    await session.get_by_role("button", name="Tagesordnungspunkt hinzufügen").click()
    item = session.locator("ol > li").last
    await item.get_by_label("Titel", exact=True).fill(title)
    await item.get_by_label("öffentlich").set_checked(public)
    await item.get_by_label("Beschlussvorschläge").fill(motions)


async def save(page: Page) -> None:
    await page.get_by_role("button", name=SAVE, exact=True).click()
    await wait_until(
        partial(_text_is, page.locator("#clerk-save-state"), "Gespeichert"),
        message="the form saved",
    )


async def _text_is(element: Locator, wanted: str) -> bool:
    return (await element.text_content() or "").strip() == wanted


async def unix_seconds(page: Page, year: int, month: int, day: int, hour: int) -> int:
    """A local time of the browser as unix seconds: what the page sends for a date and time."""
    seconds: int = await page.evaluate(
        "([y, m, d, h]) => new Date(y, m - 1, d, h, 0).getTime() / 1000", [year, month, day, hour]
    )
    return seconds


async def assert_clean(probed: ProbedPage) -> None:
    assert await csp_violations(probed.page) == []
    assert probed.page_errors == []
    assert await probed.page.locator("script:not([src]), style, [style]").count() == 0


async def member_joins(server: str, secret: str) -> dict[str, Any]:
    """What the server answers a member's page that joins the body's room by the link."""
    async with connect(server.replace("http", "ws", 1) + "/ws") as socket:
        join = {"type": "join", "v": 1, "room": "gemeinderat", "name": "Jemand", "member": secret}
        await socket.send(json.dumps(join))
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 15))
            if message["type"] in ("joined", "error"):
                return message


# -- the clerk's work --------------------------------------------------------------------------


async def test_the_clerk_enters_members_and_a_session_and_hands_out_a_personal_link(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk, probed = await clerk_opens(open_page, server, data_dir, "gemeinderat")
    page = probed.page
    # The secret left the address bar at once, and is kept nowhere but in the page's memory.
    assert page.url == f"{server}/rat/gemeinderat"
    stored = await page.evaluate(
        "() => JSON.stringify([{...localStorage}, {...sessionStorage}, history.state])"
    )
    assert clerk not in stored
    assert await focused_id(page) == "clerk-title"
    assert await page.locator("#clerk-title").text_content() == "Schriftführung: Gemeinderat Bühl"
    await said(page, "Die Daten sind geladen.")
    assert await page.get_by_label("Gesetzliche Mitgliederzahl").input_value() == "22"
    assert await page.get_by_label("mindestens die Hälfte").is_checked()
    needed = page.locator("#body-rule-needed")
    assert (
        await needed.text_content() == "Bei 22 Sitzen müssen also mindestens 11 Mitglieder da sein."
    )
    await page.get_by_label("mehr als die Hälfte").check()
    assert (
        await needed.text_content() == "Bei 22 Sitzen müssen also mindestens 12 Mitglieder da sein."
    )
    await page.get_by_label("mindestens die Hälfte").check()

    await add_member(page, "Anna Müller", "Freie Wähler", "Vorsitz")
    await add_member(page, "<b>x</b> Öztürk", "SPD")
    await page.get_by_role("button", name="Sitzung hinzufügen").click()
    session = session_row(page, 0)
    await session.get_by_label("Titel der Sitzung").fill("Öffentliche Sitzung des Gemeinderats")
    await session.get_by_label("Datum").fill("2026-12-10")
    await session.get_by_label("Uhrzeit").fill("18:00")
    await session.get_by_label("Ort (freiwillig)").fill("Rathaus, Großer Saal")
    await add_item(
        session,
        "Haushalt 2027",
        public=True,
        motions="Der Haushalt 2027 wird beschlossen.\n\nDie Verwaltung wird beauftragt.",
    )
    await add_item(session, "Grundstücksverkauf Flurstück 12", public=False)
    assert await page.locator("#clerk-save-state").text_content() == "Noch nicht gespeichert"
    await save(page)
    await said(page, "Gespeichert.")

    # What the page saved, read back through the API.
    starts_at = await unix_seconds(page, 2026, 12, 10, 18)
    read = await read_body(server, clerk)
    assert read["revision"] == 1 and read["linked"] == []
    assert read["body"] == {
        "id": "gemeinderat",
        "name": "Gemeinderat Bühl",
        "legal_size": 22,
        "rule": "at_least_half",
        "members": [
            {
                "id": "anna-mueller",
                "name": "Anna Müller",
                "faction": "Freie Wähler",
                "role": "chair",
            },
            {"id": "b-x-b-oeztuerk", "name": "<b>x</b> Öztürk", "faction": "SPD", "role": "member"},
        ],
    }
    assert read["sessions"] == [
        {
            "id": "2026-12-10",
            "title": "Öffentliche Sitzung des Gemeinderats",
            "starts_at": starts_at,
            "place": "Rathaus, Großer Saal",
            "items": [
                {
                    "number": "1",
                    "title": "Haushalt 2027",
                    "public": True,
                    "motions": [
                        "Der Haushalt 2027 wird beschlossen.",
                        "Die Verwaltung wird beauftragt.",
                    ],
                },
                {
                    "number": "2",
                    "title": "Grundstücksverkauf Flurstück 12",
                    "public": False,
                    "motions": [],
                },
            ],
        }
    ]

    # Opened again, the link shows what was saved; the typed markup stays text.
    await page.goto("about:blank")
    await page.goto(f"{server}/rat/gemeinderat#clerk={clerk}")
    await wait_state(page, "ready")
    second = member_row(page, 1)
    assert await member_row(page, 0).get_by_label("Rolle").input_value() == "chair"
    assert await second.get_by_label("Vollständiger Name").input_value() == "<b>x</b> Öztürk"
    assert await second.locator("legend").text_content() == "Mitglied 2: <b>x</b> Öztürk"
    assert await page.locator("#screen-ready b").count() == 0
    session = session_row(page, 0)
    assert await session.get_by_label("Datum").input_value() == "2026-12-10"
    assert await session.get_by_label("Uhrzeit").input_value() == "18:00"
    items = session.locator("ol > li")
    assert await items.nth(0).get_by_label("öffentlich").is_checked()
    assert not await items.nth(1).get_by_label("öffentlich").is_checked()
    assert await items.nth(0).get_by_label("Beschlussvorschläge").input_value() == (
        "Der Haushalt 2027 wird beschlossen.\nDie Verwaltung wird beauftragt."
    )

    # A personal link for the second member: shown once, copied, and it lets them in.
    await probed.context.grant_permissions(CLIPBOARD, origin=server)
    assert (
        await second.locator(".clerk-linked").text_content() == "Hat noch keinen persönlichen Link."
    )
    await second.get_by_role("button", name="Persönlichen Link erstellen").click()
    field = second.get_by_label("Persönlicher Link für <b>x</b> Öztürk")
    await field.wait_for()
    link = await field.input_value()
    found = MEMBER_LINK.search(link)
    assert found is not None and link.startswith(f"{server}/r/gemeinderat#member=")
    assert await field.get_attribute("readonly") is not None
    assert await focused_id(page) == await field.get_attribute("id")
    notice = await second.locator(".clerk-link-notice").text_content() or ""
    assert "Er wird nur jetzt angezeigt." in notice
    assert "Ein früherer Link von <b>x</b> Öztürk gilt ab sofort nicht mehr." in notice
    await said(page, "Der persönliche Link für <b>x</b> Öztürk ist erstellt.")
    assert await second.get_by_role("button", name="Link erneuern").count() == 1
    assert await second.locator(".clerk-linked").text_content() == "Hat einen persönlichen Link."
    await second.get_by_role("button", name="Kopieren").click()
    await said(page, "Der Link ist kopiert.")
    assert await page.evaluate("() => navigator.clipboard.readText()") == link
    assert (await read_body(server, clerk))["linked"] == ["b-x-b-oeztuerk"]
    joined = await member_joins(server, found.group(1))
    assert joined["type"] == "joined", joined
    assert joined["you"]["name"] == "<b>x</b> Öztürk"

    await assert_no_serious_violations(page, "clerk page: a personal link shown")
    await assert_clean(probed)


async def test_an_unsaved_member_is_saved_before_their_link_is_made(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk, probed = await clerk_opens(open_page, server, data_dir, "ortsrat")
    page = probed.page
    # Keyboard only: the button adds a member and puts the focus into the name field.
    await page.get_by_role("button", name="Mitglied hinzufügen").focus()
    await page.keyboard.press("Enter")
    assert (await focused_id(page)).endswith("-name")
    await page.keyboard.type("Dora Schäfer")
    await page.get_by_role("button", name="Persönlichen Link erstellen").click()
    field = page.get_by_label("Persönlicher Link für Dora Schäfer")
    await field.wait_for()
    assert (await field.input_value()).startswith(f"{server}/r/ortsrat#member=")
    await said(page, "Ihre Änderungen sind gespeichert.")
    assert await page.locator("#clerk-save-state").text_content() == "Gespeichert"
    read = await read_body(server, clerk, "ortsrat")
    assert read["revision"] == 2 and read["linked"] == ["dora-schaefer"]
    assert [member["name"] for member in read["body"]["members"]] == ["Dora Schäfer"]
    # Enter in a field saves too.
    await page.get_by_label("Fraktion (freiwillig)").fill("Grüne")
    await page.keyboard.press("Enter")
    await said(page, "Gespeichert.")
    assert (await read_body(server, clerk, "ortsrat"))["body"]["members"][0]["faction"] == "Grüne"
    await assert_clean(probed)


# -- what goes wrong ---------------------------------------------------------------------------


async def test_a_wrong_or_missing_secret_says_the_link_is_not_valid(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk = await made_council(data_dir, "jugendrat")
    for url, reloaded in (
        (f"{server}/rat/jugendrat#clerk={'x' * 32}", False),
        (f"{server}/rat/gibt-es-nicht#clerk={clerk}", False),
        (f"{server}/rat/jugendrat", True),
        (f"{server}/rat/jugendrat#clerk=", True),
    ):
        probed = await open_clerk(open_page, url, ready=False)
        page = probed.page
        await wait_state(page, "forbidden")
        assert "#" not in page.url
        assert await page.get_by_role("heading", level=1).text_content() == FORBIDDEN
        assert await page.locator("#screen-forbidden").get_by_text(ASK_IT).is_visible()
        assert await page.locator("#forbidden-reloaded").is_visible() == reloaded, url
        assert await focused_id(page) == "forbidden-title"
        assert await page.locator("#clerk-form").is_visible() is False
        await assert_clean(probed)
    await assert_no_serious_violations(page, "clerk page: forbidden")
    # The link opened again in the same tab (the browser only changes the fragment) works.
    await page.goto(f"{server}/rat/jugendrat#clerk={clerk}")
    await wait_state(page, "ready")
    assert page.url == f"{server}/rat/jugendrat"
    assert await focused_id(page) == "clerk-title"


async def test_a_change_made_elsewhere_is_not_overwritten(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk, probed = await clerk_opens(open_page, server, data_dir, "bauausschuss")
    page = probed.page
    await add_member(page, "Carla Weiß", "CDU")
    # Meanwhile the body changes elsewhere (another window of the clerk's, say).
    read = await read_body(server, clerk, "bauausschuss")
    renamed = {**read["body"], "name": "Bauausschuss Bühl"}
    async with httpx.AsyncClient(base_url=server, headers=as_clerk(clerk)) as http:
        changed = await http.put(
            "/api/councils/bauausschuss",
            json={"revision": read["revision"], "body": renamed, "sessions": []},
        )
    assert changed.status_code == 200

    await page.get_by_role("button", name=SAVE, exact=True).click()
    problem = page.locator("#clerk-problem")
    await problem.wait_for()
    text = await problem.text_content() or ""
    assert "Die Daten wurden inzwischen an anderer Stelle geändert" in text
    assert "Ihre Änderungen hier sind nicht gespeichert." in text
    assert await focused_id(page) == "clerk-problem"
    await said(page, "Nicht gespeichert")
    assert (
        await member_row(page, 0).get_by_label("Vollständiger Name").input_value() == "Carla Weiß"
    )
    assert (await read_body(server, clerk, "bauausschuss"))["body"]["members"] == []
    await assert_no_serious_violations(page, "clerk page: conflict")

    await page.get_by_role("button", name="Neu laden", exact=True).click()
    await wait_state(page, "ready")
    await wait_until(
        partial(_text_is, page.locator("h1#clerk-title"), "Schriftführung: Bauausschuss Bühl"),
        message="the body read again",
    )
    assert await page.locator("#members-list > li").count() == 0
    assert await problem.is_hidden()
    assert await focused_id(page) == "clerk-title"
    await assert_clean(probed)


async def test_mistakes_are_named_at_their_fields_and_nothing_is_lost(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk, probed = await clerk_opens(open_page, server, data_dir, "sozialausschuss")
    page = probed.page
    await add_member(page, "", "SPD", "Vorsitz")
    await add_member(page, "Emil Kaya", "", "Vorsitz")
    await page.get_by_role("button", name="Sitzung hinzufügen").click()
    await session_row(page, 0).get_by_label("Titel der Sitzung").fill("Sitzung")
    await page.get_by_role("button", name=SAVE, exact=True).click()

    problem = page.locator("#clerk-problem")
    await problem.wait_for()
    assert await focused_id(page) == "clerk-problem"
    assert await problem.get_by_role("heading").text_content() == "Bitte prüfen Sie Ihre Eingaben"
    listed = [text.strip() for text in await problem.locator("li").all_text_contents()]
    assert listed == [
        "Mitglied 1, Vollständiger Name: Bitte ausfüllen.",
        "Mitglied 2: Emil Kaya, Rolle: Nur ein Mitglied kann den Vorsitz haben.",
        "Sitzung 1: Sitzung, Datum: Bitte ein gültiges Datum eintragen.",
        "Sitzung 1: Sitzung, Uhrzeit: Bitte eine Uhrzeit eintragen, zum Beispiel 18:30.",
    ]
    name = member_row(page, 0).get_by_label("Vollständiger Name")
    assert await name.get_attribute("aria-invalid") == "true"
    described = await name.evaluate(
        "(f) => f.getAttribute('aria-describedby').split(' ')"
        ".map((id) => document.getElementById(id).textContent)"
    )
    assert described == ["Bitte ausfüllen."]
    await problem.get_by_role("link").first.click()
    assert await focused_id(page) == await name.get_attribute("id")
    await assert_no_serious_violations(page, "clerk page: mistakes named")
    assert (await read_body(server, clerk, "sozialausschuss"))["revision"] == 0

    # A refusal of the server's, in plain German with its code; the form keeps its content.
    await name.fill("Fritz Lang")
    await member_row(page, 1).get_by_label("Rolle").select_option(label="Mitglied")
    await page.get_by_role("button", name="Sitzung entfernen").click()
    assert await focused_id(page) == "sessions-title"

    async def refuse(route: Route) -> None:
        if route.request.method == "PUT":
            refusal = {"error": "bad_text", "message": "The name may not be empty."}
            await route.fulfill(status=400, json=refusal)
        else:
            await route.continue_()

    await page.route("**/api/councils/sozialausschuss", refuse)
    await page.get_by_role("button", name=SAVE, exact=True).click()
    await wait_until(
        partial(_text_is, problem.locator("h2"), "Nicht gespeichert"), message="the refusal"
    )
    text = await problem.text_content() or ""
    assert "Ein Name oder Text wurde nicht angenommen" in text
    assert "Meldung des Servers (bad_text): The name may not be empty." in text
    assert await name.input_value() == "Fritz Lang"
    assert await page.locator("#clerk-save-state").text_content() == "Noch nicht gespeichert"

    async def limit(route: Route) -> None:
        await route.fulfill(status=429, json={"error": "rate_limited"})

    await page.unroute("**/api/councils/sozialausschuss")
    await page.route("**/api/councils/sozialausschuss", limit)
    await page.get_by_role("button", name=SAVE, exact=True).click()
    await wait_until(
        partial(_has_text, problem, "Gerade kamen zu viele Anfragen."), message="rate limited"
    )
    await page.unroute("**/api/councils/sozialausschuss")
    await save(page)
    assert await problem.is_hidden()
    read = await read_body(server, clerk, "sozialausschuss")
    assert [member["name"] for member in read["body"]["members"]] == ["Fritz Lang", "Emil Kaya"]
    await assert_clean(probed)


async def refusing(status: int, code: str, route: Route) -> None:
    """Answers the page's request as the server does when it refuses with ``code``."""
    await route.fulfill(status=status, json={"error": code})


async def _has_text(element: Locator, wanted: str) -> bool:
    return wanted in (await element.text_content() or "")


async def test_a_store_out_of_order_or_too_many_requests_get_a_screen_of_their_own(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk = await made_council(data_dir, "kulturausschuss")
    for status, code, wanted, heading in (
        (503, "store_unavailable", "unavailable", "Die Daten können gerade nicht geladen werden"),
        (429, "rate_limited", "limited", "Gerade kamen zu viele Anfragen"),
    ):
        probed = await open_page()
        page = probed.page
        await page.route("**/api/councils/kulturausschuss", partial(refusing, status, code))
        await page.goto(f"{server}/rat/kulturausschuss#clerk={clerk}")
        await wait_state(page, wanted)
        assert await page.get_by_role("heading", level=1).text_content() == heading
        assert await focused_id(page) == f"{wanted}-title"
        await assert_no_serious_violations(page, f"clerk page: {wanted}")
        # Trying again, once the server answers, shows the form: the secret was kept in memory.
        await page.unroute("**/api/councils/kulturausschuss")
        await page.get_by_role("button", name="Noch einmal versuchen").click()
        await wait_state(page, "ready")
        await assert_clean(probed)


# -- language, phone, accessibility ------------------------------------------------------------


async def test_english_is_one_click_away_and_the_page_fits_a_phone(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk = await made_council(data_dir, "finanzausschuss")
    async with httpx.AsyncClient(base_url=server, headers=as_clerk(clerk)) as http:
        read = (await http.get("/api/councils/finanzausschuss")).json()
        document = {
            "body": {
                **read["body"],
                "members": [{"id": "anna", "name": "Anna Müller", "faction": "", "role": "chair"}],
            },
            "sessions": [
                {
                    "id": "2026-12-10",
                    "title": "Haushaltsberatung",
                    "starts_at": 1_796_922_000,
                    "place": "",
                    "items": [
                        {"number": "1", "title": "Haushalt", "public": True, "motions": []},
                        {"number": "2", "title": "Personal", "public": False, "motions": []},
                    ],
                }
            ],
        }
        saved = await http.put("/api/councils/finanzausschuss", json={"revision": 0, **document})
        assert saved.status_code == 200, saved.text
    url = f"{server}/rat/finanzausschuss#clerk={clerk}"
    probed = await open_clerk(open_page, url)
    page = probed.page
    await assert_no_serious_violations(page, "clerk page: German")

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(
        partial(_text_is, page.locator("h1#clerk-title"), "Clerk: Gemeinderat Bühl"),
        message="the page in English",
    )
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    assert await page.get_by_label("Legal number of members").input_value() == "22"
    assert await page.get_by_label("at least half").is_checked()
    assert await page.locator("#body-rule-needed").text_content() == (
        "With 22 seats, at least 11 members must be present."
    )
    assert await member_row(page, 0).locator("legend").text_content() == "Member 1: Anna Müller"
    assert await page.get_by_role("button", name="Add a member").count() == 1
    assert await page.get_by_role("button", name="Save", exact=True).count() == 1
    await page.get_by_role("button", name="Add a member").click()
    await page.get_by_role("button", name="Save", exact=True).click()
    problem = page.locator("#clerk-problem")
    await wait_until(
        partial(_has_text, problem, "Member 2, Full name: Please fill this in."),
        message="the mistake in English",
    )
    await assert_no_serious_violations(page, "clerk page: English")
    await page.get_by_role("button", name="Deutsch").click()
    await wait_until(
        partial(_has_text, problem, "Mitglied 2, Vollständiger Name: Bitte ausfüllen."),
        message="the mistake in German again",
    )
    await assert_clean(probed)

    phone = await open_clerk(open_page, url, **PHONE)
    small = phone.page
    assert await no_horizontal_scroll(small)
    too_small = await small.evaluate(
        """() => [...document.querySelectorAll(
              '#screen-ready button, #screen-ready input:not([type=checkbox]):not([type=radio]),'
              + ' #screen-ready select, #screen-ready textarea, #screen-ready .check-field')]
            .filter((e) => e.offsetParent !== null)
            .filter((e) => e.getBoundingClientRect().height < 44)
            .map((e) => e.id || e.className || e.tagName)"""
    )
    assert too_small == []
    await assert_no_serious_violations(small, "clerk page: 360 px")
    await assert_clean(phone)
