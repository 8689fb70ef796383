"""The server killed (SIGKILL) in the middle of a meeting and started again on the same port
and data directory: every open page comes back by itself, as who it was, into a room that is
as it was left.

A server of its own, so that killing it disturbs no other test. The meeting: a room created
from the start page with a typed name (its lobby on), a password the host set, a co-host by the
co-host link, two guests let in from the lobby, one of them removed, and one more guest waiting
in the lobby.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from playwright.async_api import Page

from klingel_bots.browser import (
    PageOpener,
    ProbedPage,
    inbound_counts,
    wait_media_flowing,
    wait_until,
)
from klingel_bots.host_page import (
    LOBBY,
    LOCK,
    ROOM_PASSWORD_FIELD,
    admit,
    contains_names,
    copy_cohost_link,
    create_named_room,
    is_on,
    join_as_host,
    open_host_tools,
    people_item,
    remove_person,
    set_room_password,
    submit_prejoin,
    waiting_names,
)
from klingel_bots.room_page import (
    JOIN_BUTTON,
    join_from_prejoin,
    own_id,
    remote_participants,
    wait_state,
)
from klingel_bots.server_process import ServerProcess

PASSWORD = "Elternabend2026"
RECOVERY_SECONDS = 60.0
"""From the new start to every page back, its media decoding again, on a busy machine."""
AWAY = "Verbindung wird wiederhergestellt…"
BACK = "Die Verbindung ist wieder da. Sie sind wieder im Videotreffen."


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test kills the server", pytrace=False)
    process = ServerProcess(
        log_path=tmp_path / "klingel.log", workers=1, metrics=False, data_dir=tmp_path / "data"
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def enter_password(page: Page) -> None:
    await wait_state(page, "password")
    await page.get_by_role("textbox", name=ROOM_PASSWORD_FIELD, exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=JOIN_BUTTON).click()


async def ring_with_password(opener: PageOpener, server: str, room: str, name: str) -> ProbedPage:
    """A guest opens the plain link, gives name and password, and waits in the lobby."""
    probed = await opener(f"{server}/r/{room}")
    await submit_prejoin(probed.page, name)
    await enter_password(probed.page)
    await wait_state(probed.page, "waiting")
    return probed


async def connection_status(page: Page) -> str:
    text: str = await page.locator("#connection-status").inner_text()
    return text.strip()


async def says(page: Page, sentence: str) -> bool:
    return await connection_status(page) == sentence


async def own_role(page: Page) -> str:
    """The role this page's own list of people gives its own entry."""
    item = await people_item(page, await own_id(page))
    return await item.get_attribute("data-role") or ""


async def others_are(page: Page, expected: set[str]) -> bool:
    return await remote_participants(page) == expected


async def waits(host: Page, *names: str) -> bool:
    return contains_names(*names)(await waiting_names(host))


async def password_note_shown(page: Page) -> bool:
    await open_host_tools(page)
    return await page.locator(".host-password-note").is_visible()


async def test_a_killed_server_started_again_gives_every_page_its_room_and_role_back(
    own_server: ServerProcess, open_page: PageOpener
) -> None:
    server = own_server.base_url
    created = await create_named_room(open_page, server, f"Elternabend {uuid.uuid4().hex[:8]}")
    room = created.room
    host = await join_as_host(created, "Frau Weber")
    await set_room_password(host.page, PASSWORD)
    assert await is_on(host.page, LOBBY) is True, "a typed name's room starts with its lobby"
    cohost_link = await copy_cohost_link(created, server)
    assert f"/r/{room}#cohost=" in cohost_link

    cohost = await open_page(cohost_link)
    await join_from_prejoin(cohost.page, "Herr Yilmaz")
    guests: dict[str, ProbedPage] = {}
    for name in ("Anna", "Ben"):
        guests[name] = await ring_with_password(open_page, server, room, name)
        await wait_until_waiting(host.page, name)
        await admit(host.page, name)
        await wait_state(guests[name].page, "joined")
    await remove_person(host.page, "Ben")
    removed = guests["Ben"]
    await wait_state(removed.page, "removed")
    cem = await ring_with_password(open_page, server, room, "Cem")
    await wait_until_waiting(host.page, "Cem")

    # Who is in the call, with the role each must keep.
    in_call = [
        ("Frau Weber", host.page, "host"),
        ("Herr Yilmaz", cohost.page, "cohost"),
        ("Anna", guests["Anna"].page, "guest"),
    ]
    for _, page, role in in_call:
        await wait_media_flowing(page, video=2, audio=2, timeout=60)
        assert await own_role(page) == role

    own_server.kill()

    for name, page, _ in in_call:
        await wait_state(page, "reconnecting", timeout=20)
        await wait_until(partial(says, page, AWAY), message=f"{name}'s page says it is away")
    assert await wait_state(cem.page, "waiting") == "waiting"

    own_server.start_again()
    deadline = time.monotonic() + RECOVERY_SECONDS

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    for name, page, _ in in_call:
        await wait_state(page, "joined", timeout=left())
        await wait_until(partial(says, page, BACK), message=f"{name}'s page says it is back")
    ids = {name: await own_id(page) for name, page, _ in in_call}
    for name, page, role in in_call:
        await wait_until(
            partial(others_are, page, set(ids.values()) - {ids[name]}),
            timeout=left(),
            message=f"{name} sees the others again, and no ghosts",
        )
        assert await own_role(page) == role, f"{name} is {role} again"

    # The room as it was left: the lobby on, the password set, not locked.
    for _, page, _ in in_call[:2]:
        await open_host_tools(page)
        assert await is_on(page, LOBBY) is True
        assert await is_on(page, LOCK) is False
        await wait_until(partial(password_note_shown, page), message="the password is still set")
    # The guest who waited waits again, and the hosts see her there.
    assert await wait_state(cem.page, "waiting") == "waiting"
    await wait_until_waiting(host.page, "Cem", left())
    await wait_until_waiting(cohost.page, "Cem", left())

    # The removed guest cannot come back alone: a fresh page of hers rings at the door.
    await removed.page.goto(f"{server}/r/{room}")
    await submit_prejoin(removed.page, "Ben")
    await enter_password(removed.page)
    await wait_state(removed.page, "waiting")
    await wait_until_waiting(host.page, "Ben", left())
    assert await inbound_counts(removed.page) == {}

    for _, page, _ in in_call:
        await wait_media_flowing(page, video=2, audio=2, timeout=left())


async def wait_until_waiting(host: Page, name: str, timeout: float = 20.0) -> None:
    await wait_until(
        partial(waits, host, name), timeout=timeout, message=f"{name} waits in the Warteraum"
    )
