"""How a person uses Klingel's pages: the start page, the pre-join screen and the call.

Controls are found the way a screen reader finds them, by role and German accessible name
(``klingel/static/README.md`` lists them). The page exposes its state for tests on
``document.body.dataset``: ``state`` (prejoin, joining, joined, reconnecting, left, error) and
``chimesPlayed``; tiles are ``.tile[data-participant][data-source]`` holding a ``<video>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from playwright.async_api import Locator, Page

from klingel_bots.browser import PageOpener, ProbedPage, wait_until

JOIN_TIMEOUT = 30.0


def _name(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Accessible names, German first; alternatives keep the tests from depending on one wording.
ROOM_NAME_FIELD = _name(r"^raumname$")
ENTER_ROOM_BUTTON = _name(r"^raum öffnen$")
NEW_ROOM_BUTTON = _name(r"^videotreffen starten$")
DISPLAY_NAME_FIELD = _name(r"^ihr name$")
JOIN_BUTTON = _name(r"^beitreten$")
LEAVE_BUTTON = _name(r"^verlassen$")
MICROPHONE_BUTTON = _name(r"^mikrofon$")
CAMERA_BUTTON = _name(r"^kamera$")
SCREEN_BUTTON = _name(r"^bildschirm teilen$")
HAND_BUTTON = _name(r"^hand heben$")
CHAT_BUTTON = _name(r"^chat$")
CHAT_FIELD = _name(r"^nachricht$")
SEND_BUTTON = _name(r"^senden$")
ENGLISH_SWITCH = _name(r"^english$")


async def body_state(page: Page) -> str:
    state: str = await page.evaluate("() => document.body.dataset.state || ''")
    return state


async def chimes_played(page: Page) -> int:
    played: str = await page.evaluate("() => document.body.dataset.chimesPlayed || '0'")
    return int(played)


async def wait_state(page: Page, *states: str, timeout: float = JOIN_TIMEOUT) -> str:
    state: str = await wait_until(
        partial(_state_in, page, states), timeout=timeout, message=f"page state in {states}"
    )
    return state


async def _state_in(page: Page, states: tuple[str, ...]) -> str:
    state = await body_state(page)
    return state if state in states else ""


async def join_from_prejoin(page: Page, name: str) -> None:
    """On the room page's pre-join screen: type a name and join."""
    await wait_state(page, "prejoin")
    await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill(name)
    await page.get_by_role("button", name=JOIN_BUTTON).click()
    await wait_state(page, "joined")


async def open_chat(page: Page) -> Locator:
    """Open the chat panel (if it is closed) and return its log."""
    opener = page.get_by_role("button", name=CHAT_BUTTON)
    if await opener.get_attribute("aria-pressed") != "true":
        await opener.click()
    log = page.get_by_role("log")
    await log.wait_for()
    return log


async def has_class(element: Locator, name: str) -> bool:
    classes = await element.get_attribute("class") or ""
    return name in classes.split()


async def lacks_class(element: Locator, name: str) -> bool:
    return not await has_class(element, name)


def tiles(page: Page) -> Locator:
    return page.locator(".tile[data-participant]")


def tile_of(page: Page, participant: str, source: str = "camera") -> Locator:
    return page.locator(f'.tile[data-participant="{participant}"][data-source="{source}"]')


async def own_id(page: Page) -> str:
    participant = await page.locator('.tile[data-self="true"]').first.get_attribute(
        "data-participant"
    )
    assert participant, "own tile has no participant id"
    return participant


async def remote_participants(page: Page) -> set[str]:
    found: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('.tile[data-participant]')]
            .filter((tile) => tile.dataset.self !== "true")
            .map((tile) => tile.dataset.participant)"""
    )
    return set(found)


@dataclass(frozen=True, slots=True)
class Person:
    """One person in a call: their page and the id the server gave them."""

    name: str
    probed: ProbedPage
    id: str

    @property
    def page(self) -> Page:
        return self.probed.page


async def join_room(
    opener: PageOpener, server: str, room: str, name: str, **page_options: Any
) -> Person:
    """Open the room's link, type a name on the pre-join screen and join."""
    probed = await opener(f"{server}/r/{room}", **page_options)
    await join_from_prejoin(probed.page, name)
    return Person(name, probed, await own_id(probed.page))


# Big rooms: page controls, the view switch and the pin on each remote tile.
PREVIOUS_PAGE_BUTTON = _name(r"^vorherige seite$")
NEXT_PAGE_BUTTON = _name(r"^nächste seite$")
SPEAKER_VIEW_BUTTON = _name(r"^sprecheransicht$")


async def speaker_view_shown(page: Page) -> bool:
    """Whether the "Sprecheransicht" switch is pressed (the speaker view shows); read from the
    button itself, which a phone keeps folded away under "Mehr"."""
    button = page.locator("#controls .control-view")
    return await button.get_attribute("aria-pressed") == "true"


def pin_button(person: str) -> re.Pattern[str]:
    """The name of the button that pins (or, while pinned, unpins) a person's tile."""
    return _name(rf"^(groß zeigen|nicht mehr groß zeigen): {re.escape(person)}$")


@dataclass(frozen=True, slots=True)
class Paging:
    """Where the tile grid is: ``page`` of ``pages`` (from 1), and which tiles it shows."""

    page: int
    pages: int
    shown: tuple[str, ...]
    hidden: tuple[str, ...]


async def paging(page: Page) -> Paging:
    """The pager's state and the participants whose camera tiles are shown or not rendered."""
    found: dict[str, Any] = await page.evaluate(
        """() => {
          const pager = document.querySelector("#pager");
          const cameras = [...document.querySelectorAll('.tile[data-source="camera"]')];
          const ids = (hidden) => cameras.filter((tile) => tile.hidden === hidden)
            .map((tile) => tile.dataset.participant);
          return { page: Number(pager.dataset.page || 1), pages: Number(pager.dataset.pages || 1),
                   shown: ids(false), hidden: ids(true) };
        }"""
    )
    return Paging(
        int(found["page"]), int(found["pages"]), tuple(found["shown"]), tuple(found["hidden"])
    )


_READ_TILE_VIDEO = """
async (participant) => {
  const video = document.querySelector(
    `.tile[data-participant="${participant}"][data-source="camera"] video`);
  const track = video && video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
  if (!track) return null;
  for (const pc of window.__klingelPeerConnections || []) {
    if (pc.connectionState === "closed") continue;
    let found = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.trackIdentifier === track.id) {
        found = {
          frames: s.framesDecoded || 0, height: s.frameHeight || 0, packets: s.packetsReceived || 0,
        };
      }
    });
    if (found) return found;
  }
  return null;
}
"""


@dataclass(frozen=True, slots=True)
class TileVideo:
    """What the page received of one participant's camera: frames decoded, their height,
    and RTP packets (which arrive even when no frame decodes)."""

    frames: int
    height: int
    packets: int = 0


async def tile_video(page: Page, participant: str) -> TileVideo:
    """The inbound video shown (or kept, off the page) in a participant's camera tile; zeros
    while none arrived."""
    found: dict[str, int] | None = await page.evaluate(_READ_TILE_VIDEO, participant)
    if not found:
        return TileVideo(0, 0, 0)
    return TileVideo(int(found["frames"]), int(found["height"]), int(found["packets"]))


# End-to-end encrypted rooms (docs/e2ee.md): the start page's option and the pre-join
# screen's passphrase field.
E2EE_OPTION = _name(r"^ende-zu-ende-verschlüsselt$")
PASSPHRASE_FIELD = _name(r"^geheimwort des raums$")


@dataclass(frozen=True, slots=True)
class EncryptedRoom:
    """A room a host started encrypted: its id and the room secret of the host's link."""

    host: Person
    room: str
    key: str


async def start_encrypted_room(opener: PageOpener, server: str, name: str) -> EncryptedRoom:
    """On the start page: tick the encryption option, start a room and join it as host."""
    probed = await opener(f"{server}/")
    page = probed.page
    await page.get_by_role("checkbox", name=E2EE_OPTION).check()
    await page.get_by_role("button", name=NEW_ROOM_BUTTON).click()
    await page.wait_for_url(re.compile(r"/r/[a-z2-7]+#host=.+&key=.+$"))
    await join_from_prejoin(page, name)
    path, _, fragment = page.url.partition("#")
    key = dict(part.split("=", 1) for part in fragment.split("&"))["key"]
    host = Person(name, probed, await own_id(page))
    return EncryptedRoom(host, path.rsplit("/", 1)[1], key)


async def join_with_passphrase(
    opener: PageOpener, server: str, room: str, name: str, passphrase: str
) -> Person:
    """Open the room's plain link, be told it is encrypted, type the passphrase and join."""
    probed = await opener(f"{server}/r/{room}")
    page = probed.page
    await wait_state(page, "prejoin")
    await page.get_by_role("textbox", name=DISPLAY_NAME_FIELD).fill(name)
    await page.get_by_role("button", name=JOIN_BUTTON).click()
    field = page.get_by_label(PASSPHRASE_FIELD)
    await field.wait_for(state="visible", timeout=JOIN_TIMEOUT * 1000)
    await field.fill(passphrase)
    await page.get_by_role("button", name=JOIN_BUTTON).click()
    await wait_state(page, "joined")
    return Person(name, probed, await own_id(page))
