"""Hostile strings (``tests/fixtures/xss_payloads.txt``) as display names, chat lines and room
names, typed into real Chromium pages and sent over the protocol by bots: none ever runs.

A payload that ran would set ``window.__xssCanary``. Two pages watch each call: one under our
Content-Security-Policy, which must report no violation, and one whose browser ignores the
policy, so that the rendering itself (text only, never markup) is what keeps every payload
inert. Both must show every payload as exactly the text it is.

The bots speak the protocol without media, each from an address of its own as the trusted
local proxy (``--proxy-headers``) names it, so that hundreds of names and lines arrive at once
without meeting the per-address limits; the server is this module's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Error, Locator, Page
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from klingel.protocol.errors import UserError
from klingel.protocol.messages import MAX_ROOM_FIELD_LENGTH
from klingel.rooms.naming import is_room_id, parse_display_name, slugify
from klingel_bots.browser import PageOpener, ProbedPage, wait_until
from klingel_bots.room_page import (
    CHAT_FIELD,
    ENTER_ROOM_BUTTON,
    ROOM_NAME_FIELD,
    SEND_BUTTON,
    join_from_prejoin,
    open_chat,
)
from klingel_bots.server_process import ServerProcess

FIXTURE = Path(__file__).parents[1] / "fixtures" / "xss_payloads.txt"
LINES_PER_BOT = 10
"""A participant's chat burst: every bot sends its share at once."""
TYPED_LINES_PER_PAGE = 10
TYPED_ROOM_NAMES = 8
BATCH = 25
TIMEOUT = 60.0
CANARY = "__xssCanary"

_CODE_POINT = re.compile(r"\\u\{([0-9A-Fa-f]{1,6})\}")
_URL_HOST = re.compile(r"\b(?:https?|wss?|ldap|ftp)://([^/:\s\"'<>)]+)", re.IGNORECASE)
# The SVG namespace is a name, never fetched.
_ALLOWED_HOSTS = {"127.0.0.1", "www.w3.org"}

# Elements a payload would bring with it if it were parsed as markup: none may appear where
# the page shows what people typed (chat, the list of people, the tiles, notices).
_MARKUP = (
    "script, img, image, svg, math, iframe, frame, frameset, object, embed, style, link, "
    "template, base, meta, a, marquee, blink, details, dialog, b, i, u, h1, table, plaintext, "
    "xmp, noscript, select, textarea, picture, source, track, isindex, x-klingel, slot, "
    "[onerror], [onload], [onfocus], [onclick], [onmouseover], [ontoggle], [onbegin]"
)
_PERSON_TEXT = ("#chat-log", "#people", ".tile", "[role=status]", "[role=alert]", "#lobby-card")
_MARKUP_SELECTOR = ", ".join(f"{region} :is({_MARKUP})" for region in _PERSON_TEXT)
_READ_PAGE = """
([canary, selector]) => ({
  canary: window[canary] === undefined ? null : String(window[canary]),
  markup: document.querySelectorAll(selector).length,
  chat: [...document.querySelectorAll("#chat-log .chat-line")].map((line) => [
    line.querySelector(".chat-name")?.textContent ?? null,
    line.querySelector(".chat-text")?.textContent ?? null,
  ]),
  people: [...document.querySelectorAll("#people [data-participant] .person-name")]
    .map((name) => name.textContent),
  tiles: [...document.querySelectorAll('.tile[data-source="camera"]:not([data-self]) .tile-name')]
    .map((name) => name.textContent),
})
"""


def load_payloads(path: Path = FIXTURE) -> tuple[str, ...]:
    """One payload per line; ``#`` lines and empty ones skipped; ``\\u{XXXX}`` decoded."""
    payloads = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith("#"):
            payloads.append(_CODE_POINT.sub(lambda match: chr(int(match.group(1), 16)), line))
    return tuple(payloads)


def display_name(payload: str) -> str | None:
    """The name the server makes of ``payload``, or None when it refuses it."""
    try:
        return parse_display_name(payload)
    except UserError:
        return None


def refusal(payload: str, code: str) -> str:
    """The error a join with ``payload`` as name or room gets: ``code``, or, for a field too
    long to be handed to the rooms at all, ``bad_message``."""
    return "bad_message" if len(payload) > MAX_ROOM_FIELD_LENGTH else code


def typeable(payload: str) -> bool:
    """Fits the page's fields as typed: printable, no edges a trim would cut, has markup."""
    return (
        payload == payload.strip()
        and all(char.isprintable() for char in payload)
        and len(payload) <= 200
        and "<" in payload
    )


PAYLOADS = load_payloads()
NAMES = {payload: display_name(payload) for payload in PAYLOADS}
VALID_NAMES = [name for name in NAMES.values() if name is not None]
TYPEABLE = [payload for payload in PAYLOADS if typeable(payload)]
# The watchers' own names, typed on the pre-join screen: payloads too.
PAGE_NAMES = [name for name in VALID_NAMES if typeable(name) and "=" in name][:4]


# -- bots ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Bot:
    """A participant without a browser: its socket, the answer to its join, errors since."""

    socket: ClientConnection
    answer: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def joined(self) -> bool:
        return bool(self.answer["type"] == "joined")

    async def chat(self, text: str) -> None:
        await self.socket.send(json.dumps({"type": "chat", "text": text}))

    async def drain(self) -> None:
        """Reads everything the server sends, so the socket never backs up; keeps errors."""
        try:
            async for frame in self.socket:
                message = json.loads(frame)
                if message.get("type") == "error":
                    self.errors.append(message)
        except ConnectionClosed:
            return

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await self.reader


@dataclass(slots=True)
class BotFactory:
    """Joins bots to rooms of ``server``, each from a fresh address behind the local proxy."""

    server: str
    addresses: Iterator[ipaddress.IPv4Address] = field(
        default_factory=lambda: (ipaddress.IPv4Address("10.77.0.1") + n for n in itertools.count())
    )
    bots: list[Bot] = field(default_factory=list)

    async def join(self, room: str, name: str) -> Bot:
        socket = await connect(
            self.server.replace("http", "ws", 1) + "/ws",
            additional_headers={"X-Forwarded-For": str(next(self.addresses))},
            max_size=None,
            open_timeout=TIMEOUT,
        )
        await socket.send(json.dumps({"type": "join", "v": 1, "room": room, "name": name}))
        async with asyncio.timeout(TIMEOUT):
            while True:
                answer = json.loads(await socket.recv())
                if answer["type"] in ("joined", "waiting", "error"):
                    break
        bot = Bot(socket, answer)
        bot.reader = asyncio.create_task(bot.drain())
        self.bots.append(bot)
        return bot

    async def join_all(self, room: str, names: Sequence[str]) -> list[Bot]:
        """In batches, as a crowd arrives; in the order of ``names``."""
        joined: list[Bot] = []
        for start in range(0, len(names), BATCH):
            batch = names[start : start + BATCH]
            joined.extend(await asyncio.gather(*(self.join(room, name) for name in batch)))
        return joined

    async def close_all(self) -> None:
        await asyncio.gather(*(bot.close() for bot in self.bots))
        self.bots.clear()


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xss_server(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server of this module's own: behind a trusted local proxy, with room for a crowd."""
    process = ServerProcess(
        log_path=tmp_path_factory.mktemp("xss-server") / "klingel.log",
        workers=1,
        metrics=False,
        extra_args=("--proxy-headers", "--room-capacity", "400", "--max-rooms", "2000"),
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def xss_url(xss_server: ServerProcess) -> str:
    if not xss_server.is_running():
        pytest.fail(f"the server died; its log:\n{xss_server.log_tail()}", pytrace=False)
    return xss_server.base_url


@pytest_asyncio.fixture(loop_scope="session")
async def bots(xss_url: str) -> AsyncIterator[BotFactory]:
    factory = BotFactory(xss_url)
    try:
        yield factory
    finally:
        await factory.close_all()


# -- the corpus ---------------------------------------------------------------------------------


def test_the_corpus_is_broad_and_stays_on_loopback() -> None:
    assert len(PAYLOADS) >= 300
    assert len(set(PAYLOADS)) == len(PAYLOADS), "no payload twice"
    assert all(1 <= len(payload) <= 2000 for payload in PAYLOADS), "each fits one chat line"
    kinds: dict[str, Callable[[str], bool]] = {
        "script element": lambda p: "<script" in p.lower(),
        "event handler": lambda p: re.search(r"\bon[a-z]+\s*=", p, re.IGNORECASE) is not None,
        "javascript: URL": lambda p: "javascript:" in p.lower(),
        "SVG or MathML": lambda p: "<svg" in p.lower() or "<math" in p.lower(),
        "template": lambda p: "{{" in p or "${" in p,
        "CSS": lambda p: "<style" in p.lower() or "style=" in p.lower(),
        "bidi override": lambda p: any(char in p for char in "\u202a\u202b\u202d\u202e\u2066"),
        "long": lambda p: len(p) > 1000,
    }
    counts = {kind: sum(map(test, PAYLOADS)) for kind, test in kinds.items()}
    assert min(counts.values()) >= 3, counts
    hosts = {host.lower() for payload in PAYLOADS for host in _URL_HOST.findall(payload)}
    assert hosts <= _ALLOWED_HOSTS, hosts - _ALLOWED_HOSTS


_COUNT_CANARY_WRITES = """
(canary) => {
  let writes = 0;
  Object.defineProperty(window, canary, { configurable: true, get: () => writes,
    set: () => { writes += 1; } });
}
"""
_PARSE_AS_MARKUP = """
(payload) => {
  const box = document.createElement("div");
  box.innerHTML = payload;
  document.body.append(box);
}
"""


def _runs_on_insertion(payload: str) -> bool:
    # Handlers that fire by themselves once parsed, in payloads that do not navigate the page.
    fires = re.search(r"\bon(error|load|begin|toggle)\s*=", payload, re.IGNORECASE)
    navigates = re.search(r"<(base|meta|form|frameset|iframe)\b", payload, re.IGNORECASE)
    return fires is not None and navigates is None


async def test_the_canary_fires_when_a_payload_is_parsed_as_markup(
    open_page: PageOpener, xss_url: str
) -> None:
    """The control: what the other tests call inert would run if a page used innerHTML."""
    probed = await open_page(f"{xss_url}/help", bypass_csp=True)
    page = probed.page
    await page.evaluate(_COUNT_CANARY_WRITES, CANARY)
    live = [payload for payload in PAYLOADS if _runs_on_insertion(payload)]
    assert len(live) >= 30
    for payload in live:
        await page.evaluate(_PARSE_AS_MARKUP, payload)
    # Many handlers run on their own schedule (a failed load, an animation's start).
    writes = await wait_until(
        partial(_canary_writes_at_least, page, len(live) // 2),
        timeout=TIMEOUT,
        message="half the live payloads ran",
    )
    assert writes >= len(live) // 2


async def _canary_writes_at_least(page: Page, wanted: int) -> int:
    writes = int(await page.evaluate(f"() => window.{CANARY}"))
    return writes if writes >= wanted else 0


# -- names and chat -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watcher:
    """A page in the call that types its share of payloads and checks what it shows."""

    name: str
    probed: ProbedPage
    typed: tuple[str, ...]
    bypass_csp: bool

    @property
    def page(self) -> Page:
        return self.probed.page


async def _read(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = await page.evaluate(_READ_PAGE, [CANARY, _MARKUP_SELECTOR])
    return found


async def _chat_lines(page: Page, wanted: int) -> int:
    count: int = await page.evaluate(
        "() => document.querySelectorAll('#chat-log .chat-line').length"
    )
    return count if count >= wanted else 0


async def _people(page: Page, wanted: int) -> int:
    count: int = await page.evaluate(
        "() => document.querySelectorAll('#people [data-participant]').length"
    )
    return count if count >= wanted else 0


async def _join_watcher(
    opener: PageOpener,
    url: str,
    room: str,
    name: str,
    typed: Sequence[str],
    *,
    bypass_csp: bool,
) -> Watcher:
    probed = await opener(f"{url}/r/{room}", bypass_csp=bypass_csp)
    await join_from_prejoin(probed.page, name)
    if typed:
        await open_chat(probed.page)
    return Watcher(name, probed, tuple(typed), bypass_csp)


async def _type_lines(watcher: Watcher) -> None:
    field_ = watcher.page.get_by_role("textbox", name=CHAT_FIELD)
    for line in watcher.typed:
        await field_.fill(line)
        await watcher.page.get_by_role("button", name=SEND_BUTTON).click()
        # The field empties once the line went out.
        await wait_until(partial(_is_empty, field_), message="typed line sent")


async def _is_empty(locator: Locator) -> bool:
    return await locator.input_value() == ""


async def _check_watchers(watchers: Sequence[Watcher]) -> list[dict[str, Any]]:
    """What each page shows, after checking nothing ran and nothing became markup."""
    found = []
    for watcher in watchers:
        shown = await _read(watcher.page)
        where = "with the CSP ignored" if watcher.bypass_csp else "under our CSP"
        assert shown["canary"] is None, f"a payload ran {where}"
        assert shown["markup"] == 0, f"a payload became markup {where}"
        found.append(shown)
    assert watchers[0].probed.csp_violations == []
    return found


async def test_display_names_are_shown_as_text_and_never_run(
    open_page: PageOpener, bots: BotFactory, xss_url: str
) -> None:
    room = f"xss-names-{uuid.uuid4().hex[:12]}"
    # Every payload as a display name over the protocol; the server refuses what is no name.
    crowd = await bots.join_all(room, list(PAYLOADS))
    for payload, bot in zip(PAYLOADS, crowd, strict=True):
        if NAMES[payload] is None:
            code = refusal(payload, "bad_name")
            assert (bot.answer["type"], bot.answer.get("code")) == ("error", code)
        else:
            assert bot.joined, bot.answer
            assert bot.answer["you"]["name"] == NAMES[payload]

    # Under our CSP, and with the policy ignored: the rendering alone must hold.
    watchers = await asyncio.gather(
        _join_watcher(open_page, xss_url, room, PAGE_NAMES[0], (), bypass_csp=False),
        _join_watcher(open_page, xss_url, room, PAGE_NAMES[1], (), bypass_csp=True),
    )
    for watcher in watchers:
        await wait_until(
            partial(_people, watcher.page, len(VALID_NAMES) + len(watchers)),
            timeout=TIMEOUT,
            message="every participant listed",
        )
    for watcher, shown in zip(watchers, await _check_watchers(watchers), strict=True):
        others = {name for name in PAGE_NAMES[:2] if name != watcher.name}
        assert Counter(shown["people"]) >= Counter([*VALID_NAMES, *others])
        assert Counter(shown["tiles"]) >= Counter([*VALID_NAMES, *others])
    assert all(not bot.errors for bot in bots.bots), [bot.errors for bot in bots.bots if bot.errors]


async def test_chat_lines_are_shown_as_text_and_never_run(
    open_page: PageOpener, bots: BotFactory, xss_url: str
) -> None:
    room = f"xss-chat-{uuid.uuid4().hex[:12]}"
    # Speakers whose names are payloads too, each with its share of the corpus.
    shares = [
        PAYLOADS[start : start + LINES_PER_BOT] for start in range(0, len(PAYLOADS), LINES_PER_BOT)
    ]
    speakers = await bots.join_all(room, VALID_NAMES[: len(shares)])
    assert all(bot.joined for bot in speakers) and len(speakers) == len(shares)
    typed = [TYPEABLE[i::2][:TYPED_LINES_PER_PAGE] for i in range(2)]
    watchers = await asyncio.gather(
        _join_watcher(open_page, xss_url, room, PAGE_NAMES[2], typed[0], bypass_csp=False),
        _join_watcher(open_page, xss_url, room, PAGE_NAMES[3], typed[1], bypass_csp=True),
    )

    expected = [
        (bot.answer["you"]["name"], line)
        for bot, share in zip(speakers, shares, strict=True)
        for line in share
    ]
    expected += [(watcher.name, line) for watcher in watchers for line in watcher.typed]
    await asyncio.gather(*(_type_lines(watcher) for watcher in watchers))
    await asyncio.gather(
        *(_send_all(bot, share) for bot, share in zip(speakers, shares, strict=True))
    )
    for watcher in watchers:
        await wait_until(
            partial(_chat_lines, watcher.page, len(expected)),
            timeout=TIMEOUT,
            message="every chat line shown",
        )
    for shown in await _check_watchers(watchers):
        assert Counter(map(tuple, shown["chat"])) == Counter(expected)

    # What a person sees: the payloads read as themselves.
    log = watchers[0].page.get_by_role("log")
    for payload in TYPEABLE[:5]:
        assert await log.get_by_text(payload, exact=True).count() >= 1, payload
    assert all(not bot.errors for bot in bots.bots), [bot.errors for bot in bots.bots if bot.errors]


async def _send_all(bot: Bot, lines: Sequence[str]) -> None:
    for line in lines:
        await bot.chat(line)


# -- room names ---------------------------------------------------------------------------------


_SLUGIFY_IN_PAGE = """
async (names) => {
  const { slugify } = await import("/static/js/slug.js");
  return names.map((name) => slugify(name));
}
"""


async def test_typed_room_names_become_slugs_and_never_run(
    open_page: PageOpener, bots: BotFactory, xss_url: str
) -> None:
    probed = await open_page(xss_url + "/")
    page = probed.page
    await page.get_by_role("textbox", name=ROOM_NAME_FIELD).wait_for()

    # The start page's slugs are the server's, for every payload.
    in_page: list[str] = await page.evaluate(_SLUGIFY_IN_PAGE, list(PAYLOADS))
    assert in_page == [slugify(payload) for payload in PAYLOADS]
    assert all(slug == "" or is_room_id(slug) for slug in in_page)

    # Typed into the start page: the preview shows the slug as text, the room opens there.
    typed = [p for p in TYPEABLE if slugify(p)][:TYPED_ROOM_NAMES]
    assert len(typed) == TYPED_ROOM_NAMES
    for name in typed:
        slug = slugify(name)
        await page.goto(xss_url + "/")
        await page.get_by_role("textbox", name=ROOM_NAME_FIELD).fill(name)
        address = page.locator("#room-address")
        await wait_until(partial(_text_has, address, f"/r/{slug}"), message="slug previewed")
        assert await page.evaluate(f"() => window.{CANARY}") is None
        await page.get_by_role("button", name=ENTER_ROOM_BUTTON).click()
        await page.wait_for_url(re.compile(rf"/r/{re.escape(slug)}(#.*)?$"))
        assert urlsplit(page.url).path == f"/r/{slug}"
        assert await page.evaluate(f"() => window.{CANARY}") is None

    # Over the protocol, a payload is no room: refused unless it happens to be a valid id.
    for start in range(0, len(PAYLOADS), BATCH):
        batch = PAYLOADS[start : start + BATCH]
        answers = await asyncio.gather(*(bots.join(room, "Gast") for room in batch))
        for room, bot in zip(batch, answers, strict=True):
            if is_room_id(room):
                assert bot.joined, bot.answer
            else:
                assert (bot.answer["type"], bot.answer.get("code")) == (
                    "error",
                    refusal(room, "bad_room"),
                )
        await asyncio.gather(*(bot.close() for bot in answers))
        bots.bots[:] = [bot for bot in bots.bots if bot not in answers]
    assert probed.csp_violations == []


async def _text_has(locator: Locator, text: str) -> bool:
    return text in (await locator.text_content() or "")


# -- the policy watch itself --------------------------------------------------------------------


@pytest.mark.policy_violation_expected
async def test_an_inline_script_is_blocked_and_reported(
    open_page: PageOpener, xss_url: str
) -> None:
    """Proves the suite-wide watch: an inline script is refused by our CSP, and the page's
    report reaches the test (whose teardown then insists it was seen)."""
    probed = await open_page(f"{xss_url}/help")
    with contextlib.suppress(Error):  # Playwright may notice the refusal itself
        await probed.page.add_script_tag(content=f"window.{CANARY} = 1;")
    await wait_until(lambda: probed.csp_violations, message="the violation was reported")
    assert await probed.page.evaluate(f"() => window.{CANARY}") is None
    assert any(violation.startswith("script-src") for violation in probed.csp_violations)
