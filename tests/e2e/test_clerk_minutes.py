"""The clerk's list of minutes (Niederschriften) on the clerk's page, in real Chromium against
a real server whose store holds the minutes of closed sessions (put there through the store's
own API, as the server keeps them when a chair closes a session).

The clerk sees each entry with its title, session and closing time in German; downloads the
PDF and the JSON, which are the stored bytes, fetched with the secret in the header only; and
deletes them after a dialog that says they are gone for good, by mouse and by keyboard alone,
the focus staying in the list. Minutes deleted meanwhile and a store out of order each say so
in plain words, with the server's code. axe-core finds nothing serious with the list shown,
with the dialog open and at 360 px, where nothing scrolls sideways and every button is 44 px
high; English is one click away. A title stays text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from axe import assert_no_serious_violations
from playwright.async_api import Locator, Page, Route, expect
from support.council_minutes import KeptMinutes, keep_minutes
from support.councils import as_clerk, made_council
from support.data_servers import running, server_with_data
from support.live_pages import PHONE, no_horizontal_scroll

from klingel_bots.browser import PageOpener, ProbedPage, csp_violations, wait_until
from klingel_bots.room_page import ENGLISH_SWITCH
from klingel_bots.server_process import ServerProcess

BERLIN = ZoneInfo("Europe/Berlin")
WAIT_MS = 10_000
NOTHING_YET = "Noch keine Niederschriften. Sie entstehen, wenn der Vorsitz eine Sitzung schließt."


@pytest.fixture(scope="module")
def council_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, on a data directory the tests write the store of."""
    with server_with_data(tmp_path_factory, "minutes-server") as process:
        yield process


@pytest.fixture
def server(council_server: ServerProcess) -> str:
    return running(council_server)


@pytest.fixture
def data_dir(council_server: ServerProcess) -> Path:
    assert council_server.data_dir is not None
    return council_server.data_dir


# -- helpers -----------------------------------------------------------------------------------


def german(closed_at: int) -> str:
    """A closing time as the page writes it in German: in the town's time."""
    return datetime.fromtimestamp(closed_at, BERLIN).strftime("%d.%m.%Y, %H:%M")


def english(closed_at: int) -> str:
    """The same in English, as a pattern (the month's short name is the browser's)."""
    local = datetime.fromtimestamp(closed_at, BERLIN)
    return rf"{local.day} \w+ {local.year}, {local:%H:%M}"


def a_while_ago(hours: int) -> int:
    """A closing time well within the 90 days the server keeps minutes, on a whole minute."""
    return (int(time.time()) - hours * 3600) // 60 * 60


async def body_with_minutes(
    data_dir: Path, body: str, titles: list[str]
) -> tuple[str, list[KeptMinutes]]:
    """The IT makes the body, and its sessions are closed: the clerk's secret, and the minutes,
    the first title closed last (the list shows it first)."""
    clerk = await made_council(data_dir, body)
    kept = []
    for n, title in enumerate(titles):
        session = f"2026-11-{20 - n:02d}"
        kept.append(await keep_minutes(data_dir, body, session, title, a_while_ago(24 * n + 2)))
    return clerk, kept


async def open_minutes(
    open_page: PageOpener, server: str, body: str, clerk: str, **options: Any
) -> ProbedPage:
    probed = await open_page(f"{server}/rat/{body}#clerk={clerk}", **options)
    page = probed.page
    await expect(page.locator("body")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
    return probed


def entries(page: Page) -> Locator:
    return page.locator("#minutes-list > li")


async def said(page: Page, wanted: str) -> None:
    async def heard() -> bool:
        return wanted in (await page.locator("#clerk-status").text_content() or "")

    await wait_until(heard, message=f"the live region says {wanted!r}")


async def minutes_file(server: str, clerk: str, body: str, name: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server, headers=as_clerk(clerk)) as http:
        return await http.get(f"/api/councils/{body}/minutes/{name}")


async def downloaded(page: Page, button: Locator) -> tuple[str, bytes]:
    async with page.expect_download() as info:
        await button.click()
    download = await info.value
    path = await download.path()
    return download.suggested_filename, Path(path).read_bytes()


async def assert_clean(probed: ProbedPage) -> None:
    assert await csp_violations(probed.page) == []
    assert probed.page_errors == []


# -- the list, the files, deleting -------------------------------------------------------------


async def test_the_clerk_downloads_the_minutes_and_deletes_them_after_a_dialog(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    body = "gemeinderat"
    titles = ["Öffentliche Sitzung des Gemeinderats", "Sitzung <b>Haushalt</b> & „Bäder“"]
    clerk, (newer, older) = await body_with_minutes(data_dir, body, titles)
    probed = await open_minutes(open_page, server, body, clerk)
    page = probed.page
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))

    # Newest first, each with its title (as text), session and closing time in German.
    listed = entries(page)
    await expect(listed).to_have_count(2, timeout=WAIT_MS)
    await expect(page.locator("#minutes-empty")).to_be_hidden()
    await expect(listed.locator(".clerk-minutes-name")).to_have_text(titles)
    assert await page.locator("#minutes-list b").count() == 0
    await expect(listed.nth(0)).to_contain_text(
        f"Sitzung {newer.session} · geschlossen am {german(newer.closed_at)}"
    )
    await expect(listed.nth(1)).to_contain_text(
        f"Sitzung {older.session} · geschlossen am {german(older.closed_at)}"
    )
    await expect(page.get_by_text("Klingel löscht sie 90 Tage nach der Sitzung.")).to_be_visible()
    # Each button names its entry, so that a screen reader tells the six apart.
    for kept in (newer, older):
        for name in ("PDF herunterladen", "JSON herunterladen", "Niederschrift löschen"):
            label = f"{name}: {kept.title}, {german(kept.closed_at)}"
            await expect(page.get_by_role("button", name=label, exact=True)).to_have_count(1)
    await assert_no_serious_violations(page, "clerk page: the minutes listed")

    # The files are the stored bytes, fetched with the secret in the header only.
    first = listed.nth(0)
    pdf_button = first.get_by_role("button", name=re.compile("^PDF herunterladen: "))
    filename, pdf = await downloaded(page, pdf_button)
    assert (filename, pdf) == (f"niederschrift-{body}-{newer.id}.pdf", newer.pdf)
    await said(page, f"Die Datei niederschrift-{body}-{newer.id}.pdf wird heruntergeladen.")
    json_button = listed.nth(1).get_by_role("button", name=re.compile("^JSON herunterladen: "))
    filename, data = await downloaded(page, json_button)
    assert (filename, data) == (f"niederschrift-{body}-{older.id}.json", older.json)
    assert any(url.endswith(f"/minutes/{newer.id}.pdf") for url in urls), urls
    assert not [url for url in urls if clerk in url]
    assert "clerk=" not in page.url

    # Deleting asks first, "Abbrechen" in focus; Esc keeps the minutes, the focus returns.
    delete_newer = first.get_by_role("button", name=re.compile("^Niederschrift löschen: "))
    await delete_newer.click()
    dialog = page.get_by_role("dialog", name="Niederschrift löschen?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(f"„{newer.title}“ vom {german(newer.closed_at)}")
    await expect(dialog).to_contain_text("endgültig gelöscht")
    await expect(dialog.get_by_role("button", name="Abbrechen")).to_be_focused()
    await assert_no_serious_violations(page, "clerk page: deleting minutes asks first")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(listed).to_have_count(2)
    await expect(delete_newer).to_be_focused()
    assert (await minutes_file(server, clerk, body, f"{newer.id}.pdf")).status_code == 200

    await delete_newer.click()
    await dialog.get_by_role("button", name="Endgültig löschen").click()
    await expect(listed).to_have_count(1, timeout=WAIT_MS)
    await expect(listed.locator(".clerk-minutes-name")).to_have_text([older.title])
    await said(page, "Die Niederschrift ist gelöscht.")
    # The focus is on the entry that moved into its place, not lost with the buttons.
    delete_older = listed.nth(0).get_by_role("button", name=re.compile("^Niederschrift löschen"))
    await expect(delete_older).to_be_focused()
    gone = await minutes_file(server, clerk, body, f"{newer.id}.pdf")
    assert (gone.status_code, gone.json()["error"]) == (404, "unknown_minutes")

    # The last one by keyboard alone: Enter on "Löschen", back from "Abbrechen", Enter.
    await page.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(older.title)
    await page.keyboard.press("Shift+Tab")
    await expect(dialog.get_by_role("button", name="Endgültig löschen")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(listed).to_have_count(0, timeout=WAIT_MS)
    await expect(page.locator("#minutes-empty")).to_have_text(NOTHING_YET)
    await expect(page.locator("#minutes-title")).to_be_focused()
    for kind in ("pdf", "json"):
        gone = await minutes_file(server, clerk, body, f"{older.id}.{kind}")
        assert (gone.status_code, gone.json()["error"]) == (404, "unknown_minutes")

    await page.get_by_role("button", name="Liste neu laden").click()
    await said(page, "Die Liste ist neu geladen: noch keine Niederschriften.")
    await expect(page.locator("#minutes-problem")).to_be_hidden()
    await assert_no_serious_violations(page, "clerk page: no minutes")
    await assert_clean(probed)


async def test_without_minutes_the_list_says_how_they_come_about(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    clerk = await made_council(data_dir, "jugendrat")
    probed = await open_minutes(open_page, server, "jugendrat", clerk)
    page = probed.page
    await expect(page.locator("#minutes-empty")).to_have_text(NOTHING_YET, timeout=WAIT_MS)
    await expect(page.locator("#minutes-empty")).to_be_visible()
    await expect(entries(page)).to_have_count(0)
    # Minutes kept while the page is open come with "Liste neu laden".
    kept = await keep_minutes(data_dir, "jugendrat", "2026-11-30", "Jugendforum", a_while_ago(1))
    await page.get_by_role("button", name="Liste neu laden").click()
    await said(page, "Die Liste ist neu geladen: eine Niederschrift.")
    await expect(entries(page).locator(".clerk-minutes-name")).to_have_text([kept.title])
    await expect(page.locator("#minutes-empty")).to_be_hidden()
    await assert_clean(probed)


async def test_minutes_gone_meanwhile_or_a_store_out_of_order_say_so_with_the_code(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    body = "bauausschuss"
    clerk, (kept,) = await body_with_minutes(data_dir, body, ["Bauausschuss im November"])
    probed = await open_minutes(open_page, server, body, clerk)
    page = probed.page
    await expect(entries(page)).to_have_count(1, timeout=WAIT_MS)
    problem = page.locator("#minutes-problem")

    # Deleted in another window: the download says so, and the list shows it gone.
    async with httpx.AsyncClient(base_url=server, headers=as_clerk(clerk)) as http:
        deleted = await http.delete(
            f"/api/councils/{body}/minutes/{kept.id}", headers={"origin": server}
        )
    assert deleted.status_code == 200, deleted.text
    await entries(page).get_by_role("button", name=re.compile("^PDF herunterladen: ")).click()
    await expect(problem).to_have_text(
        "Diese Niederschrift gibt es nicht mehr. Die Liste ist neu geladen. "
        "Code des Servers: unknown_minutes",
        timeout=WAIT_MS,
    )
    await said(page, "Diese Niederschrift gibt es nicht mehr.")
    await expect(entries(page)).to_have_count(0)
    await expect(page.locator("#minutes-empty")).to_be_visible()

    # The store out of order: plain words, the code for the town's IT; the next read clears it.
    async def out_of_order(route: Route) -> None:
        await route.fulfill(status=503, json={"error": "store_unavailable"})

    await page.route(re.compile(r"/api/councils/[^/]+/minutes$"), out_of_order)
    await page.get_by_role("button", name="Liste neu laden").click()
    await expect(problem).to_have_text(
        "Der Server der Stadt kommt gerade nicht an die Niederschriften. Bitte versuchen Sie es "
        "in ein paar Minuten noch einmal. Code des Servers: store_unavailable",
        timeout=WAIT_MS,
    )
    await said(page, "kommt gerade nicht an die Niederschriften")
    await expect(page.locator("#minutes-empty")).to_be_visible()
    await page.unroute(re.compile(r"/api/councils/[^/]+/minutes$"))
    await page.get_by_role("button", name="Liste neu laden").click()
    await expect(problem).to_be_hidden(timeout=WAIT_MS)
    await assert_clean(probed)


async def _has_text(element: Locator, wanted: str) -> bool:
    return wanted in (await element.text_content() or "")


async def test_the_minutes_fit_a_phone_and_speak_english(
    open_page: PageOpener, server: str, data_dir: Path
) -> None:
    body = "sozialausschuss"
    long_title = "Gemeinsame Sitzung des Sozialausschusses und des Ausschusses für Integration"
    clerk, (kept,) = await body_with_minutes(data_dir, body, [long_title])
    probed = await open_minutes(open_page, server, body, clerk, **PHONE)
    page = probed.page
    await expect(entries(page)).to_have_count(1, timeout=WAIT_MS)
    section = page.locator(".clerk-minutes")
    await section.scroll_into_view_if_needed()
    assert await no_horizontal_scroll(page)
    too_small = await page.evaluate(
        """() => [...document.querySelectorAll('.clerk-minutes button')]
            .filter((e) => e.offsetParent !== null)
            .filter((e) => e.getBoundingClientRect().height < 44)
            .map((e) => e.textContent)"""
    )
    assert too_small == []
    await assert_no_serious_violations(page, "clerk page: the minutes at 360 px")

    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(
        partial(_has_text, section.locator("h2"), "Minutes"), message="the minutes in English"
    )
    when = english(kept.closed_at)
    meta = re.compile(rf"Session {kept.session} · closed on {when}")
    await expect(entries(page).locator(".hint")).to_have_text(meta)
    for name in ("Download PDF", "Download JSON", "Delete minutes"):
        label = re.compile(rf"^{name}: {long_title}, {when}$")
        await expect(page.get_by_role("button", name=label)).to_have_count(1)
    await expect(entries(page).get_by_role("button")).to_have_text(
        ["Download PDF", "Download JSON", "Delete"]
    )
    await page.get_by_role("button", name=re.compile("^Delete minutes: ")).click()
    dialog = page.get_by_role("dialog", name="Delete the minutes?")
    await expect(dialog).to_contain_text("deleted for good")
    assert await no_horizontal_scroll(page)
    await assert_no_serious_violations(page, "clerk page: deleting minutes at 360 px, English")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(entries(page)).to_have_count(1)
    await assert_clean(probed)
