"""Hosts in real Chromium: a room made with one click, the doorbell at the lobby, admission,
muting everyone, removal, the co-host link, the end of a meeting, and a guest who tries host
commands on a socket of their own."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any

from playwright.async_api import Locator, Page
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from klingel_bots.browser import PageOpener, inbound_counts, wait_media_flowing, wait_until
from klingel_bots.host_page import (
    ALLOW_CHAT,
    ALLOW_SCREEN_SHARE,
    ALLOW_SELF_UNMUTE,
    COPY_COHOST_LINK,
    HOST_TOOLS,
    LOBBY,
    LOCK,
    MICROPHONE,
    MUTE_ALL,
    OFFICE_HOURS,
    admit,
    contains_names,
    copied_text,
    end_meeting_for_all,
    host_control,
    is_on,
    join_as_host,
    open_host_tools,
    people_item,
    person_button,
    remove_person,
    ring_at_door,
    start_conference,
    submit_prejoin,
    switch,
    wait_flowing,
    waiting_names,
)
from klingel_bots.room_page import (
    body_state,
    chimes_played,
    join_from_prejoin,
    join_room,
    own_id,
    wait_state,
)

MUTED_BY_HOST_NOTICE = (
    "Die Gastgeberin oder der Gastgeber hat die Stummschaltung verfügt. "
    "Heben Sie die Hand, um zu fragen."
)
# Granting replaces a context's permissions: camera and microphone must stay granted, or the
# page's running tracks end.
CLIPBOARD = ["camera", "microphone", "clipboard-read", "clipboard-write"]


async def _more_chimes(page: Page, before: int) -> bool:
    return await chimes_played(page) > before


async def _preview_playing(page: Page) -> bool:
    playing: bool = await page.evaluate(
        """() => [...document.querySelectorAll('video')].some((video) =>
            video.checkVisibility() && video.srcObject &&
            video.srcObject.getVideoTracks().some((track) => track.readyState === 'live') &&
            video.getVideoPlaybackQuality().totalVideoFrames > 0)"""
    )
    return playing


async def test_one_click_host_lets_a_ringing_guest_in_and_both_see_each_other(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    assert created.host_secret, "the host link carries the secret in its fragment"
    stored = await created.page.evaluate(
        "(room) => localStorage.getItem('klingel.host.' + room)", created.room
    )
    assert stored == created.host_secret
    host = await join_as_host(created, "Anna")

    await created.probed.context.grant_permissions(CLIPBOARD, origin=server)
    invite = await copied_text(
        host.page,
        host.page.locator("#controls").get_by_role(
            "button", name="Einladungslink kopieren", exact=True
        ),
    )
    assert invite.endswith(f"/r/{created.room}"), invite
    assert created.host_secret not in invite and "#" not in invite

    # A one-click room starts with the lobby off: the switch offers to turn it on.
    await host_control(host.page, LOBBY.turn_on)
    await switch(host.page, LOBBY, True)
    chimes_before = await chimes_played(host.page)

    guest = await ring_at_door(open_page, server, created.room, "Ben")

    await wait_until(
        partial(_more_chimes, host.page, chimes_before),
        message="the host's page played the doorbell for the ring",
    )
    await wait_until(
        lambda: _waiting_are(host.page, "Ben"), message="Ben in the host's Warteraum list"
    )
    await wait_until(
        partial(_preview_playing, guest.page), message="the waiting guest sees their own camera"
    )
    assert await inbound_counts(guest.page) == {}, "nobody's media reaches the lobby"
    assert await body_state(guest.page) == "waiting"

    await admit(host.page, "Ben")

    await wait_state(guest.page, "joined")
    await wait_until(lambda: _waiting_are(host.page), message="the Warteraum list is empty")
    await asyncio.gather(
        wait_media_flowing(host.page, video=1, audio=1, timeout=45),
        wait_media_flowing(guest.page, video=1, audio=1, timeout=45),
    )


async def _waiting_are(page: Page, *names: str) -> bool:
    entries = await waiting_names(page)
    return len(entries) == len(names) and contains_names(*names)(entries)


async def test_mute_all_stops_the_guests_audio_while_their_video_goes_on(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")
    cem = await join_room(open_page, server, created.room, "Cem")
    await asyncio.gather(
        wait_media_flowing(host.page, video=2, audio=2, timeout=45),
        wait_media_flowing(cem.page, video=2, audio=2, timeout=45),
    )

    await switch(host.page, ALLOW_SELF_UNMUTE, False)
    await (await host_control(host.page, MUTE_ALL)).click()

    # Both guests are muted: the host hears nobody, Cem hears only the host; all video goes on.
    await asyncio.gather(
        wait_flowing(
            host.page,
            lambda video, audio: video >= 2 and audio == 0,
            message="the host receives video but no audio from the muted guests",
        ),
        wait_flowing(
            cem.page,
            lambda video, audio: video >= 2 and audio == 1,
            message="Cem receives both videos and only the host's audio",
        ),
    )
    for guest in (ben, cem):
        item = await people_item(host.page, guest.id)
        assert await item.get_attribute("data-muted-by-host") == "true"
    assert await is_on(ben.page, MICROPHONE) is False

    # Unmuting is not allowed: Ben is told so and stays muted.
    await ben.page.get_by_role("button", name=MICROPHONE.turn_on, exact=True).click()
    await ben.page.get_by_text(MUTED_BY_HOST_NOTICE).first.wait_for(timeout=15_000)
    assert await is_on(ben.page, MICROPHONE) is False
    await wait_flowing(
        host.page,
        lambda video, audio: video >= 2 and audio == 0,
        message="Ben's refused unmute lets no audio through",
    )

    # Once the host allows it, Ben unmutes and is heard again (Cem, not unmuting, is not).
    await switch(host.page, ALLOW_SELF_UNMUTE, True)
    await ben.page.get_by_role("button", name=MICROPHONE.turn_on, exact=True).click()
    await wait_until(lambda: _is_on(ben.page), message="Ben's microphone is on again")
    await wait_flowing(
        host.page,
        lambda video, audio: video >= 2 and audio == 1,
        message="the host hears Ben again and still not Cem",
    )


async def _is_on(page: Page) -> bool:
    return await is_on(page, MICROPHONE) is True


async def test_a_removed_guest_who_reloads_the_link_lands_in_the_lobby(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")
    item = await people_item(host.page, ben.id)
    await item.wait_for()
    assert await item.get_attribute("data-role") == "guest"

    await remove_person(host.page, "Ben")

    await wait_state(ben.page, "removed")
    await wait_until(
        lambda: _no_item(host.page, ben.id), message="Ben left the host's list of people"
    )
    await ben.page.reload()
    await submit_prejoin(ben.page, "Ben")
    await wait_state(ben.page, "waiting")
    assert await inbound_counts(ben.page) == {}
    await wait_until(
        lambda: _waiting_are(host.page, "Ben"), message="Ben waits in the host's Warteraum"
    )
    assert await is_on(host.page, LOBBY) is True, "removal turned the lobby on"


async def _no_item(page: Page, participant: str) -> bool:
    return await (await people_item(page, participant)).count() == 0


async def test_the_cohost_link_makes_a_cohost(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await created.probed.context.grant_permissions(CLIPBOARD, origin=server)
    link = await copied_text(host.page, await host_control(host.page, COPY_COHOST_LINK))
    assert f"/r/{created.room}#cohost=" in link
    assert created.host_secret is not None and created.host_secret not in link

    cohost_page = await open_page(link)
    await join_from_prejoin(cohost_page.page, "Ben")
    ben_id = await own_id(cohost_page.page)

    item = await people_item(host.page, ben_id)
    await wait_until(
        lambda: _has_role(item, "cohost"), message="the host's list shows Ben as co-host"
    )
    await cohost_page.page.get_by_role("button", name=HOST_TOOLS.turn_on, exact=True).wait_for()
    # A co-host may not make others co-host: only the host has that button.
    make_cohost = await person_button(cohost_page.page, "Zum Mit-Gastgeber machen", "Anna")
    assert await make_cohost.count() == 0


async def _has_role(item: Locator, role: str) -> bool:
    return bool(await item.get_attribute("data-role") == role)


async def test_ending_the_meeting_ends_it_for_everyone(open_page: PageOpener, server: str) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")

    await end_meeting_for_all(host.page)

    await wait_state(ben.page, "ended")
    # Nothing reconnects by itself after the end.
    await asyncio.sleep(3)
    assert await body_state(ben.page) == "ended"


class RawGuest:
    """A guest's own signaling socket, speaking the protocol by hand."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.received: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def until(self, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(15):
            while True:
                message = json.loads(await self.socket.recv())
                self.received.append(message)
                if message["type"] == kind:
                    return dict(message)


def _forged(secret: str) -> str:
    """The right secret with its last character changed: well-formed, but wrong."""
    last = "A" if secret[-1] != "A" else "B"
    return secret[:-1] + last


async def test_host_commands_from_a_guest_socket_change_nothing(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")
    await wait_media_flowing(ben.page, video=1, audio=1, timeout=45)
    assert created.host_secret is not None
    switches = (LOBBY, LOCK, OFFICE_HOURS, ALLOW_SCREEN_SHARE, ALLOW_CHAT, ALLOW_SELF_UNMUTE)
    await host_control(host.page, LOBBY.turn_on)
    shown_before = [await is_on(host.page, toggle) for toggle in switches]
    assert None not in shown_before

    socket = await connect(
        server.replace("http://", "ws://") + "/ws", origin=Origin(server), open_timeout=15
    )
    mallory = RawGuest(socket)
    try:
        await mallory.send(
            {
                "type": "join",
                "v": 1,
                "room": created.room,
                "name": "Mallory",
                "resume": None,
                "hostSecret": _forged(created.host_secret),
            }
        )
        joined = await mallory.until("joined")
        assert joined["you"]["role"] == "guest", "a forged secret gives nothing"
        others = {p["name"]: p["id"] for p in joined["participants"]}
        commands: list[dict[str, Any]] = [
            {"type": "room_settings", "lobby": True, "locked": True, "officeHours": True},
            {"type": "room_settings", "chatAllowed": False, "screenShareAllowed": False},
            {"type": "room_settings", "unmuteAllowed": False},
            {"type": "set_password", "password": "gekapert"},
            {"type": "mute", "id": others["Anna"]},
            {"type": "mute_all"},
            {"type": "stop_video", "id": others["Anna"], "source": "camera"},
            {"type": "remove", "id": others["Ben"]},
            {"type": "set_role", "id": others["Anna"], "role": "guest"},
            {"type": "end_meeting"},
        ]
        for command in commands:
            await mallory.send(command)
        await mallory.send({"type": "ping"})
        await mallory.until("pong")
    finally:
        await socket.close()

    refusals = [m for m in mallory.received if m["type"] == "error"]
    assert [m["code"] for m in refusals] == ["not_host"] * len(commands), refusals
    assert not any(m["type"] == "room_updated" for m in mallory.received)

    # The host's page shows the same room, the same people and flowing media.
    await asyncio.sleep(2)
    assert await body_state(host.page) == "joined"
    assert await body_state(ben.page) == "joined"
    assert [await is_on(host.page, toggle) for toggle in switches] == shown_before
    assert await is_on(host.page, MICROPHONE) is True
    anna_item = await people_item(ben.page, host.id)
    assert await anna_item.get_attribute("data-role") == "host"
    ben_item = await people_item(host.page, ben.id)
    assert await ben_item.get_attribute("data-muted-by-host") == "false"
    await open_host_tools(host.page)
    assert await is_on(host.page, HOST_TOOLS) is True, "the host still has the host tools"
    await wait_media_flowing(ben.page, video=1, audio=1, timeout=30)


COHOST_LINK_CHANGED = "Der Mit-Gastgeber-Link ist neu, der alte gilt nicht mehr."


async def _stored_secret(page: Page, room: str) -> str | None:
    secret: str | None = await page.evaluate(
        "(room) => localStorage.getItem('klingel.host.' + room)", room
    )
    return secret


async def _person_has_role(page: Page, participant: str, role: str) -> bool:
    return await _has_role(await people_item(page, participant), role)


async def test_a_hand_over_survives_both_pages_reloading(
    open_page: PageOpener, server: str
) -> None:
    """The new host's page keeps the fresh host secret it is sent, so its reload is host
    again; the former host's page keeps the co-host secret instead, and the host link it was
    opened with no longer makes anyone host."""
    created = await start_conference(open_page, server)
    old_secret = created.host_secret
    assert old_secret is not None
    host = await join_as_host(created, "Anna")
    ben = await join_room(open_page, server, created.room, "Ben")
    # The page hands over to co-hosts: Ben becomes one first, and his page keeps that secret.
    await (await person_button(host.page, "Zum Mit-Gastgeber machen", "Ben")).click()
    cohost_secret = await wait_until(
        partial(_stored_secret, ben.page, created.room), message="Ben's page keeps a secret"
    )
    await (await person_button(host.page, "Gastgeber-Rolle übergeben", "Ben")).click()

    await wait_until(
        lambda: _stored_secret_is_not(ben.page, created.room, cohost_secret),
        message="Ben's page keeps the new host secret",
    )
    new_secret = await _stored_secret(ben.page, created.room)
    assert new_secret is not None and new_secret != old_secret
    await wait_until(
        lambda: _stored_secret_is_not(host.page, created.room, old_secret),
        message="Anna's page replaced the host secret it gave away",
    )
    assert await _stored_secret(host.page, created.room) == cohost_secret
    assert "#host=" not in host.page.url, "the old secret left the address bar"
    assert new_secret not in host.page.url

    await ben.page.reload()
    await join_from_prejoin(ben.page, "Ben")
    await wait_until(lambda: _role_is(ben.page, "host"), message="Ben is host after his reload")
    await host.page.reload()
    await join_from_prejoin(host.page, "Anna")
    await wait_until(
        lambda: _role_is(host.page, "cohost"), message="Anna is co-host after her reload"
    )
    # The link Anna first had makes a stranger a guest, not a host.
    stranger = await open_page(f"{server}/r/{created.room}#host={old_secret}")
    await join_from_prejoin(stranger.page, "Fremd")
    await wait_until(lambda: _role_is(stranger.page, "guest"), message="the old link is dead")


async def _stored_secret_is_not(page: Page, room: str, old: str) -> bool:
    stored = await _stored_secret(page, room)
    return stored is not None and stored != old


async def _role_is(page: Page, role: str) -> bool:
    return await _person_has_role(page, await own_id(page), role)


async def test_removing_a_cohost_gives_the_host_a_new_cohost_link(
    open_page: PageOpener, server: str
) -> None:
    created = await start_conference(open_page, server)
    host = await join_as_host(created, "Anna")
    await created.probed.context.grant_permissions(CLIPBOARD, origin=server)
    old_link = await copied_text(host.page, await host_control(host.page, COPY_COHOST_LINK))
    conny_page = await open_page(old_link)
    await join_from_prejoin(conny_page.page, "Conny")
    conny = await own_id(conny_page.page)
    await wait_until(
        lambda: _person_has_role(host.page, conny, "cohost"), message="Conny is co-host"
    )

    await remove_person(host.page, "Conny")
    await wait_state(conny_page.page, "removed")
    await host.page.get_by_text(COHOST_LINK_CHANGED).first.wait_for(timeout=15_000)
    await host.page.evaluate("() => navigator.clipboard.writeText('')")
    new_link = await copied_text(host.page, await host_control(host.page, COPY_COHOST_LINK))
    assert f"/r/{created.room}#cohost=" in new_link and new_link != old_link

    # Conny's page still holds the old secret: her reload only rings at the door.
    await conny_page.page.reload()
    await submit_prejoin(conny_page.page, "Conny")
    await wait_state(conny_page.page, "waiting")
    await wait_until(
        lambda: _waiting_are(host.page, "Conny"), message="Conny waits in the Warteraum"
    )
