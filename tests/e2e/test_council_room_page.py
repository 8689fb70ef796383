"""A council session in real Chromium against a real server whose data directory holds a body
made with ``klingel councils create`` and its clerk's API: the chair and a member open their
personal links (no name to type), the chair opens the session, counts two members in the hall
until the quorum holds, starts the public broadcast and calls the public item; the member
asks to speak and for a point of order, gets the floor with a speaking time (their name
large, the time counting down), votes "Ja" in a roll call that the chair closes (both pages:
"angenommen"); the chair marks the member biased (they wait outside, seeing nothing) and lifts
it (their pictures come back); a viewer of the broadcast sees the item, the speaker and the
result, and during the non-public item only that it is one. A personal link that no longer
works says whom to ask. axe-core finds nothing serious on the chair's page with the session
panel open, at 360 px too, nor on the viewer page; no page reports an error or a policy
violation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path

import pytest
import pytest_asyncio
from axe import assert_no_serious_violations
from playwright.async_api import expect
from support.council_pages import (
    AS_MEMBER,
    BODY,
    WAIT_MS,
    button,
    frames_grow,
    member_opens,
    no_council_storage,
    panel,
    said,
)
from support.councils import PreparedCouncil, prepared_council
from support.data_servers import running, server_with_data
from support.live_pages import PHONE, no_horizontal_scroll, open_viewer, wait_phase

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.host_page import Toggle, switch
from klingel_bots.room_page import own_id, wait_state
from klingel_bots.server_process import ServerProcess

LINK_INVALID = (
    "Dieser persönliche Link gilt nicht mehr. Bitte wenden Sie sich an die Schriftführung."
)
PUBLIC = Toggle("Öffentlich übertragen")
SESSION = Toggle("Sitzung")
BIASED_TEXT = (
    "Sie sind für TOP 1 befangen. Sie warten, bis der Punkt abgeschlossen ist. "
    "Sie sehen und hören in dieser Zeit nichts."
)
NON_PUBLIC = "Nichtöffentlicher Teil \N{EN DASH} die Übertragung ist unterbrochen."
ALL_CLOSED = """() => (window.__klingelPeerConnections || [])
    .every((pc) => pc.connectionState === "closed")"""
VIEWER_LINK = re.compile(r"/live/([A-Za-z0-9_-]{16,64})$")


@pytest.fixture(scope="module")
def council_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, on a data directory the town's IT runs ``klingel
    councils`` on beside it."""
    with server_with_data(tmp_path_factory, "council-room-server") as process:
        yield process


@pytest.fixture
def server(council_server: ServerProcess) -> str:
    return running(council_server)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def council(council_server: ServerProcess) -> AsyncIterator[PreparedCouncil]:
    """The body with its roster (legal size 5: quorum 3), one session of a public and a
    non-public item, and every member's personal link; made once for the module."""
    data_dir = council_server.data_dir
    assert isinstance(data_dir, Path)
    yield await prepared_council(data_dir, council_server.base_url)


# -- the tests ---------------------------------------------------------------------------------


async def test_a_personal_link_that_no_longer_works_says_whom_to_ask(
    open_page: PageOpener, server: str, council: PreparedCouncil
) -> None:
    stale = "x" * 32
    probed = await open_page(f"{server}/r/{BODY}#member={stale}")
    page = probed.page
    await wait_state(page, "prejoin")
    await expect(page.get_by_text(AS_MEMBER)).to_be_visible()
    await page.get_by_role("button", name="Beitreten", exact=True).click()
    await wait_state(page, "error")
    await expect(page.get_by_text(LINK_INVALID)).to_be_visible()
    await expect(page.get_by_role("button", name="Erneut versuchen")).to_be_hidden()
    await no_council_storage(page, stale)
    assert probed.page_errors == []


async def test_a_session_from_the_chair_and_a_member_to_the_public(
    open_page: PageOpener, server: str, council: PreparedCouncil
) -> None:
    chair_probed = await member_opens(open_page, server, council.links["anna"])
    member_probed = await member_opens(open_page, server, council.links["bernd"])
    chair, member = chair_probed.page, member_probed.page
    anna = await own_id(chair)
    for page, secret in ((chair, council.links["anna"]), (member, council.links["bernd"])):
        await no_council_storage(page, secret)
        # The session panel opens by itself beside the call, without taking the focus.
        await expect(panel(page)).to_be_visible(timeout=WAIT_MS)
        await expect(panel(page)).to_contain_text("Gemeinderat Bühl")
        await expect(panel(page)).to_contain_text("Die Sitzung ist noch nicht eröffnet.")
        assert not await panel(page).evaluate("(panel) => panel.contains(document.activeElement)")
    await expect(button(member, "Sitzung eröffnen")).to_have_count(0)

    # The chair makes the room public (host tools share the panel's side) and comes back.
    await switch(chair, PUBLIC, True)
    link = chair.locator("#host-panel #public-link")
    await expect(link).to_have_text(VIEWER_LINK, timeout=WAIT_MS)
    found = VIEWER_LINK.search(await link.inner_text())
    assert found is not None
    await chair.get_by_role("button", name=SESSION.name, exact=True).click()
    await expect(panel(chair)).to_be_visible()
    viewer = await open_viewer(open_page, f"{server}/live/{found[1]}")
    hall = await open_viewer(open_page, f"{server}/live/{found[1]}?halle", width=1920, height=1080)
    await wait_phase(viewer.page, "live")

    # Opened without quorum: the chair is alerted; two members in the hall make it.
    await button(chair, "Sitzung eröffnen").click()
    alert = panel(chair).get_by_role("alert").filter(has_text="nicht beschlussfähig")
    await expect(alert).to_be_visible(timeout=WAIT_MS)
    await said(member, "Die Sitzung ist eröffnet: Öffentliche Sitzung des Gemeinderats")
    for name in ("Carla Weiß", "Dora Schäfer"):
        in_hall = button(chair, f"Im Saal anwesend: {name}")
        await in_hall.click()
        await expect(in_hall).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    quorum = panel(chair).locator(".council-quorum")
    await expect(quorum).to_have_text(
        "Beschlussfähig: 4 anwesend, 3 nötig (von 5)", timeout=WAIT_MS
    )
    await expect(panel(chair).locator(".council-alert")).to_be_hidden()
    await expect(panel(member).locator(".council-member[data-member='carla']")).to_contain_text(
        "gezählt · im Saal"
    )

    # The public item; its title reaches the viewers.
    await button(chair, "Aufrufen").click()
    for page in (chair, member):
        await expect(page.locator("#council-banner-item")).to_have_text("TOP 1: Haushalt 2027")
        await expect(page.locator("#council-banner-public")).to_have_text("öffentlich")
    await said(member, "Jetzt TOP 1: Haushalt 2027, öffentlich.")
    await expect(viewer.page.locator("#council-info-item")).to_have_text(
        "TOP 1: Haushalt 2027", timeout=WAIT_MS
    )

    # A request to speak and a point of order: the point of order goes first.
    await button(member, "Wortmeldung").click()
    await expect(panel(member)).to_contain_text("Sie stehen auf der Liste, an Stelle 1.")
    await button(member, "Geschäftsordnungsantrag").click()
    requests = panel(chair).locator(".council-requests li")
    await expect(requests).to_have_count(2, timeout=WAIT_MS)
    await expect(requests.first).to_contain_text("Bernd Öztürk (SPD)")
    await expect(requests.first).to_contain_text("GO-Antrag")
    await expect(requests.nth(1)).not_to_contain_text("GO-Antrag")

    # The floor with two minutes: the member's page shows their name large, counting down.
    await panel(chair).get_by_label("Redezeit in Minuten (freiwillig)").fill("2")
    await button(chair, "Wort erteilen").click()
    await expect(member.locator("#council-banner-name")).to_have_text("Bernd Öztürk")
    await expect(member.locator("#council-banner-faction")).to_have_text("(SPD)")
    countdown = member.locator("#council-banner-left")
    await expect(countdown).to_have_text(re.compile(r"^Noch [12]:\d\d$"))
    await said(member, "Sie haben das Wort.")
    await expect(viewer.page.locator("#council-info-name")).to_have_text(
        "Bernd Öztürk", timeout=WAIT_MS
    )
    await expect(viewer.page.locator("#council-info-faction")).to_have_text("SPD")
    # The hall's screen shows who speaks, large.
    await expect(hall.page.locator("#council-info-name")).to_have_text("Bernd Öztürk")
    assert await hall.page.locator("#council-info-name").evaluate(
        "(name) => parseFloat(getComputedStyle(name).fontSize) >= 48"
    )
    await button(chair, "Redebeitrag beenden").click()

    # A roll call: the member votes on their page, the chair records a hall member's vote.
    await panel(chair).get_by_label("Art der Abstimmung").select_option("roll_call")
    await button(chair, "Abstimmung starten").click()
    await said(member, "Abstimmung, namentliche Abstimmung: Der Haushalt 2027 wird beschlossen.")
    yes = panel(member).get_by_role("group", name="Ihre Stimme").get_by_role("button", name="Ja")
    await yes.click()
    await expect(yes).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(panel(chair).locator(".council-ballots")).to_contain_text("Bernd Öztürk: Ja")
    # The public sees each ballot by name as it comes (NRW DigiSiVO § 4 (1)).
    await expect(viewer.page.locator("#council-info-vote-ballots")).to_contain_text(
        "Bernd Öztürk (SPD): Ja", timeout=WAIT_MS
    )
    await button(chair, "Ja für Carla Weiß").click()
    await expect(panel(chair).locator(".council-ballots")).to_contain_text("Carla Weiß: Ja")
    await assert_no_serious_violations(chair, "room page: the chair's session panel in a vote")
    await button(chair, "Abstimmung schließen").click()
    for page in (chair, member):
        result = panel(page).locator(".council-result")
        await expect(result.locator(".council-outcome")).to_have_text("angenommen", timeout=WAIT_MS)
        await expect(result).to_contain_text("Ja 2 · Nein 0 · Enthaltung 0")
        await expect(result).to_contain_text("Einfache Mehrheit der abgegebenen Stimmen.")
    await expect(viewer.page.locator("#council-info-outcome")).to_have_text(
        "angenommen", timeout=WAIT_MS
    )
    result_ballots = viewer.page.locator("#council-info-result-ballots li")
    await expect(result_ballots).to_have_text(["Bernd Öztürk (SPD): Ja", "Carla Weiß (CDU): Ja"])
    await expect(viewer.page.locator("#council-info-quorum")).to_have_text(
        "Beschlussfähig: 4 anwesend, 3 nötig (von 5)"
    )
    await assert_no_serious_violations(viewer.page, "live page: a council's result")

    # A secret vote is not held while members take part by video: the chair is told why and
    # records the vote as held by post.
    await panel(chair).get_by_label("Art der Abstimmung").select_option("secret")
    await expect(panel(chair).locator("#council-secret-hint")).to_be_visible()
    await button(chair, "Abstimmung starten").click()
    await expect(panel(chair).locator(".council-message")).to_contain_text(
        "Geheim abstimmen geht nicht", timeout=WAIT_MS
    )
    await button(chair, "Per Briefwahl festhalten").click()
    outcomes = panel(member).locator(".council-result .council-outcome")
    await expect(outcomes).to_have_text(["angenommen", "per Briefwahl"], timeout=WAIT_MS)
    await expect(viewer.page.locator("#council-info-outcome")).to_have_text(
        "per Briefwahl", timeout=WAIT_MS
    )
    # The fault log is the chair's: nothing lost so far.
    await expect(panel(chair).locator(".council-faults + .council-empty")).to_have_text(
        "Keine Störungen."
    )
    await expect(member.locator("#council-faults-title")).to_be_hidden()

    # Biased: the member waits outside and sees nothing; lifted, the pictures come back.
    await frames_grow(member, anna)
    await button(chair, "Befangen bei diesem Punkt: Bernd Öztürk").click()
    held = member.locator("#council-held")
    await expect(held).to_be_visible(timeout=WAIT_MS)
    await expect(held).to_contain_text(BIASED_TEXT)
    await expect(member.locator("#council-held-title")).to_be_focused()
    await expect(member.locator("#council-banner")).to_be_hidden()
    await expect(panel(member)).to_be_hidden()
    await wait_until(partial(member.evaluate, ALL_CLOSED), message="the member's media closed")
    lift = button(chair, "Befangen bei diesem Punkt: Bernd Öztürk")
    await expect(lift).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(panel(chair).locator(".council-member[data-member='bernd']")).to_contain_text(
        "wartet draußen"
    )
    await lift.click()
    await expect(held).to_be_hidden(timeout=WAIT_MS)
    await said(member, "Sie sind wieder in der Sitzung.")
    await frames_grow(member, anna)
    await expect(member.locator("#council-banner-item")).to_have_text("TOP 1: Haushalt 2027")
    await expect(panel(member)).to_be_visible()

    # The non-public item: the public sees that it is one, and nothing of it.
    await panel(chair).get_by_label("Tagesordnungspunkt").select_option("2")
    await button(chair, "Aufrufen").click()
    await expect(member.locator("#council-banner-public")).to_have_text("nichtöffentlich")
    await wait_phase(viewer.page, "paused", timeout=WAIT_MS / 1000)
    paused = viewer.page.get_by_role("heading", level=1, name="Nichtöffentlicher Teil")
    await expect(paused).to_be_visible()
    await expect(viewer.page.locator("#paused-text")).to_contain_text(NON_PUBLIC)
    await expect(viewer.page.locator("#council-info")).to_be_hidden()
    assert "Grundstücksverkauf" not in await viewer.page.locator("body").inner_text()

    # English one click away; the panel at 360 px, without a sideways scroll.
    await chair.set_viewport_size(PHONE)
    await expect(panel(chair)).to_be_visible()
    assert await no_horizontal_scroll(chair)
    await assert_no_serious_violations(chair, "room page: the session panel at 360 px")
    await chair.get_by_role("button", name="Mehr", exact=True).click()
    await chair.get_by_role("button", name="English", exact=True).click()
    await expect(button(chair, "Close the session")).to_be_visible()
    await expect(panel(chair).locator(".council-quorum")).to_have_text(
        re.compile(r"^Quorum: \d present, 3 needed \(of 5\)$")
    )

    for probed in (chair_probed, member_probed, viewer.probed, hall.probed):
        assert probed.page_errors == [], probed.page_errors
