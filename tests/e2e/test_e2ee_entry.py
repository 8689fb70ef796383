"""Ways into an encrypted room, each in its own headless Chromium page: a browser that cannot
encrypt, a passphrase instead of the link's key, and what "Was wird gespeichert?" says."""

from __future__ import annotations

import re
from functools import partial

from playwright.async_api import Page

from klingel_bots.browser import PageOpener, wait_until
from klingel_bots.room_page import (
    DISPLAY_NAME_FIELD,
    ENGLISH_SWITCH,
    JOIN_BUTTON,
    Person,
    join_room,
    join_with_passphrase,
    remote_participants,
    start_encrypted_room,
    tile_video,
    wait_state,
)

# What a browser without a transform API has left: no way to reach the encoded frames.
WITHOUT_TRANSFORMS = """
delete window.RTCRtpScriptTransform;
delete RTCRtpSender.prototype.createEncodedStreams;
delete RTCRtpReceiver.prototype.createEncodedStreams;
"""
CANNOT_ENCRYPT = "Dieser Browser kann Bild und Ton nicht Ende-zu-Ende verschlüsseln"
PASSPHRASE = "Rathaus Sprechstunde Dienstag Lindenbaum"
STORED_BUTTON = re.compile(r"^(was wird gespeichert|what is stored)\?$", re.IGNORECASE)
E2EE_SENTENCE_DE = "Der Server kann die Besprechung weder sehen noch hören."
E2EE_SENTENCE_EN = "the server can neither see nor hear the meeting."


async def _tile_counts(page: Page, participant: str) -> tuple[int, int]:
    """Frames decoded and packets received of a participant's camera on this page."""
    video = await tile_video(page, participant)
    return video.frames, video.packets


async def _frames_beyond(page: Page, participant: str, count: int) -> int:
    frames, _ = await _tile_counts(page, participant)
    return frames if frames > count else 0


async def _packets_beyond(page: Page, participant: str, count: int) -> int:
    _, packets = await _tile_counts(page, participant)
    return packets if packets > count else 0


async def _sees_exactly(page: Page, wanted: set[str]) -> bool:
    return await remote_participants(page) == wanted


async def test_a_browser_that_cannot_encrypt_is_told_so_and_does_not_join(
    open_page: PageOpener, server: str
) -> None:
    encrypted = await start_encrypted_room(open_page, server, "Anna")
    refused = await open_page()
    await refused.context.add_init_script(WITHOUT_TRANSFORMS)
    page = refused.page
    await page.goto(f"{server}/r/{encrypted.room}#key={encrypted.key}")
    await wait_state(page, "prejoin")
    message = page.locator("#e2ee-message")
    await message.wait_for(state="visible")
    assert CANNOT_ENCRYPT in await message.inner_text()
    join_button = page.get_by_role("button", name=JOIN_BUTTON)
    assert await join_button.is_disabled()
    # Enter in the name field would submit the form, were its button not disabled.
    await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill("Ohne Verschlüsselung")
    await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).press("Enter")

    # Someone who can encrypt joins after the attempt; Anna's page then lists only them.
    ben = await join_room(open_page, server, f"{encrypted.room}#key={encrypted.key}", "Ben")
    await wait_until(
        partial(_sees_exactly, encrypted.host.page, {ben.id}),
        message="Anna's page lists Ben and nobody else",
    )
    assert await page.evaluate("() => document.body.dataset.state") == "prejoin"
    connections: int = await page.evaluate("() => window.__klingelPeerConnections.length")
    assert connections == 0, "no media connection was made"
    assert await remote_participants(encrypted.host.page) == {ben.id}


async def test_guests_with_the_same_passphrase_see_each_other_and_a_wrong_one_does_not(
    open_page: PageOpener, server: str
) -> None:
    encrypted = await start_encrypted_room(open_page, server, "Anna")
    ben = await join_with_passphrase(open_page, server, encrypted.room, "Ben", PASSPHRASE)
    cem = await join_with_passphrase(open_page, server, encrypted.room, "Cem", PASSPHRASE)
    eve = await join_with_passphrase(
        open_page, server, encrypted.room, "Eve", PASSPHRASE + " falsch"
    )
    for viewer, sender in ((ben, cem), (cem, ben)):
        first = await wait_until(
            partial(_frames_beyond, viewer.page, sender.id, 0),
            timeout=45,
            message=f"{viewer.name} decodes {sender.name}",
        )
        await wait_until(
            partial(_frames_beyond, viewer.page, sender.id, first),
            timeout=30,
            message=f"{viewer.name} keeps decoding {sender.name}",
        )
    for sender in (ben, cem):
        await _packets_arrive_but_nothing_decodes(eve, sender)


async def _packets_arrive_but_nothing_decodes(viewer: Person, sender: Person) -> None:
    first = await wait_until(
        partial(_packets_beyond, viewer.page, sender.id, 50),
        timeout=45,
        message=f"{viewer.name} receives {sender.name}'s packets",
    )
    await wait_until(
        partial(_packets_beyond, viewer.page, sender.id, first),
        timeout=30,
        message=f"{viewer.name} keeps receiving {sender.name}'s packets",
    )
    frames, _ = await _tile_counts(viewer.page, sender.id)
    assert frames == 0, f"{viewer.name} decoded {sender.name} with a wrong passphrase"


async def _stored_text(page: Page, name: str) -> str:
    text: str = await page.evaluate(
        """(name) => document.querySelector(`#stored-dialog [data-stored="${name}"]`)
            ?.textContent.trim() ?? ''""",
        name,
    )
    return text


async def _has_stored_text(page: Page, name: str, wanted: str) -> bool:
    return wanted in await _stored_text(page, name)


async def _open_stored_panel(page: Page) -> None:
    await page.get_by_role("button", name=STORED_BUTTON).click()
    await page.get_by_role("dialog", name=STORED_BUTTON).wait_for()


async def _to_english(page: Page) -> None:
    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(
        lambda: page.evaluate("() => document.documentElement.lang === 'en'"),
        message="the page switched to English",
    )


async def _encrypting(page: Page) -> bool:
    return await page.locator("#e2ee-badge").is_visible()


async def test_the_stored_panel_in_english_and_what_it_says_of_encryption(
    open_page: PageOpener, server: str, room_name: str
) -> None:
    plain = (await join_room(open_page, server, room_name, "Anna")).page
    await _to_english(plain)
    await _open_stored_panel(plain)
    heading = plain.get_by_role("dialog", name=STORED_BUTTON).get_by_role("heading")
    assert await heading.inner_text() == "What is stored?"
    assert "are not stored" in await _stored_text(plain, "chat")
    assert await plain.locator('#stored-dialog [data-stored="e2ee"]').count() == 0

    page = (await start_encrypted_room(open_page, server, "Ben")).host.page
    await wait_until(partial(_encrypting, page), message="Ben's page encrypts")
    await _open_stored_panel(page)
    await wait_until(partial(_has_stored_text, page, "e2ee", E2EE_SENTENCE_DE))
    # The open dialog is modal: close it to reach the language switch.
    await page.keyboard.press("Escape")
    await _to_english(page)
    await _open_stored_panel(page)
    await wait_until(partial(_has_stored_text, page, "e2ee", E2EE_SENTENCE_EN))
    assert "are not stored" in await _stored_text(page, "chat")
