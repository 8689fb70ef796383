"""Music mode in real Chromium (docs/music-mode.md): the microphone without speech processing,
Opus in stereo at a high bitrate negotiated with the SFU, two channels decoded at the other
end, the indicator on the tile and in the people list, and the host's switch for everyone."""

from __future__ import annotations

from playwright.async_api import Browser, Locator, Page

from klingel_bots.browser import PageOpener, wait_media_flowing, wait_until
from klingel_bots.host_page import (
    Toggle,
    join_as_host,
    open_people_panel,
    people_item,
    start_conference,
    switch,
)
from klingel_bots.music_audio import (
    ChannelLevels,
    PublishedAudio,
    channel_levels,
    published_audio,
    received_audio,
    use_stereo_microphone,
)
from klingel_bots.room_page import join_from_prejoin, join_room, own_id, tile_of

MUSIC = Toggle("Musikmodus")
MUSIC_FOR_EVERYONE = Toggle("Musikmodus für alle")
HEADPHONES_HINT = "Bitte Kopfhörer aufsetzen"
PROCESSING = ("echoCancellation", "noiseSuppression", "autoGainControl")


async def click_music(page: Page) -> None:
    await page.locator("#controls").get_by_role("button", name=MUSIC.name, exact=True).click()


async def music_pressed(page: Page) -> bool:
    button = page.locator("#controls").get_by_role("button", name=MUSIC.name, exact=True)
    return await button.get_attribute("aria-pressed") == "true"


async def wait_published(page: Page, *, music: bool) -> PublishedAudio:
    async def negotiated() -> PublishedAudio | None:
        audio = await published_audio(page)
        if audio is None or not audio.stats_fmtp:
            return None
        stereo = "stereo=1" in audio.answer_fmtp
        return audio if stereo is music and music is ("stereo=1" in audio.stats_fmtp) else None

    try:
        found: PublishedAudio = await wait_until(negotiated, timeout=20)
    except TimeoutError as error:
        raise AssertionError(
            f"music={music} not negotiated: {await published_audio(page)}"
        ) from error
    return found


async def wait_levels(page: Page, *, separated: bool) -> ChannelLevels:
    last: list[ChannelLevels | None] = [None]

    async def measured() -> ChannelLevels | None:
        levels = await channel_levels(page)
        last[0] = levels
        if levels is None or not levels.tones_heard:
            return None
        return levels if levels.separated is separated else None

    try:
        found: ChannelLevels = await wait_until(measured, timeout=25, interval=0.5)
    except TimeoutError as error:
        raise AssertionError(
            f"channels separated={separated} never seen; last {last[0]}"
        ) from error
    return found


async def test_music_mode_sends_stereo_that_the_others_decode_in_two_channels(
    browser: Browser, server: str, room_name: str
) -> None:
    opener = PageOpener(browser)
    try:
        sender = await opener()
        await use_stereo_microphone(sender.context)
        await sender.page.goto(f"{server}/r/{room_name}")
        await join_from_prejoin(sender.page, "Anna")
        anna_id = await own_id(sender.page)
        ben = await join_room(opener, server, room_name, "Ben")
        await wait_media_flowing(ben.page, video=1, audio=1)

        # Speech mode: the SFU answers mono, so the two tones arrive mixed in both channels.
        speech = await wait_published(sender.page, music=False)
        assert "stereo=1" not in speech.answer_fmtp
        mixed = await wait_levels(ben.page, separated=False)
        print(f"speech mode: {mixed}")

        await click_music(sender.page)
        await wait_until(lambda: music_pressed(sender.page), message="Anna's switch pressed")
        hint = sender.page.locator("#toasts").get_by_text(HEADPHONES_HINT)
        await hint.wait_for(timeout=5_000)

        music = await wait_published(sender.page, music=True)
        for parameter in ("stereo=1", "maxaveragebitrate=128000", "usedtx=0", "useinbandfec=1"):
            assert parameter in music.answer_fmtp, music.answer_fmtp
            assert parameter in (music.stats_fmtp or ""), music.stats_fmtp
        separated = await wait_levels(ben.page, separated=True)
        print(f"music mode: {separated}")

        before = await received_audio(ben.page)
        await wait_until(
            lambda: _grew(ben.page, before.packets), timeout=10, message="audio packets grow"
        )

        # Ben sees and hears of it: the tile's mark and the people list, each with its name.
        tile = tile_of(ben.page, anna_id)
        await wait_until(lambda: _has_music_class(tile), message="music mark on Anna's tile")
        mark = tile.get_by_role("img", name="Musikmodus", exact=True)
        assert await mark.is_visible()
        await ben.page.locator("#toasts").get_by_text("Anna spielt jetzt im Musikmodus").wait_for()
        own = tile_of(sender.page, anna_id)
        await wait_until(lambda: _has_music_class(own), message="the mark on Anna's own tile")
        await open_people_panel(ben.page)
        item = await people_item(ben.page, anna_id)
        await item.get_by_role("img", name="Musikmodus", exact=True).wait_for()

        # Off again: mono once more, the mark gone.
        await click_music(sender.page)
        await wait_published(sender.page, music=False)
        await wait_levels(ben.page, separated=False)
        await wait_until(lambda: _lacks_music_class(tile), message="music mark gone")
    finally:
        await opener.close_all()


async def test_music_mode_switches_the_speech_processing_off_and_on(
    browser: Browser, server: str, room_name: str
) -> None:
    opener = PageOpener(browser)
    try:
        anna = await join_room(opener, server, room_name, "Anna")
        ben = await join_room(opener, server, room_name, "Ben")
        await wait_media_flowing(ben.page, video=1, audio=1)
        speech = await wait_published(anna.page, music=False)
        assert all(speech.settings.get(name) is True for name in PROCESSING), speech.settings

        await click_music(anna.page)
        music = await wait_published(anna.page, music=True)

        async def processing_off() -> bool:
            audio = await published_audio(anna.page)
            return audio is not None and all(
                audio.settings.get(name) is False for name in PROCESSING
            )

        await wait_until(processing_off, message="the microphone without speech processing")
        print(f"music mode settings: {(await published_audio(anna.page))}")
        assert music.bytes_sent > 0
        before = await received_audio(ben.page)
        await wait_until(lambda: _grew(ben.page, before.packets), message="Ben hears Anna")

        await click_music(anna.page)
        await wait_published(anna.page, music=False)

        async def processing_on() -> bool:
            audio = await published_audio(anna.page)
            return audio is not None and all(
                audio.settings.get(name) is True for name in PROCESSING
            )

        await wait_until(processing_on, message="speech processing back on")
    finally:
        await opener.close_all()


async def test_a_host_switches_music_mode_on_for_everyone(browser: Browser, server: str) -> None:
    opener = PageOpener(browser)
    try:
        created = await start_conference(opener, server)
        host = await join_as_host(created, "Frau Weber")
        pupil = await join_room(opener, server, created.room, "Mia")
        await wait_media_flowing(pupil.page, video=1, audio=1)

        await switch(host.page, MUSIC_FOR_EVERYONE, True)
        await wait_until(lambda: music_pressed(pupil.page), message="Mia's page follows")
        await (
            pupil.page.locator("#toasts")
            .get_by_text(
                "Die Gastgeberin oder der Gastgeber hat den Musikmodus für alle eingeschaltet."
            )
            .wait_for()
        )
        await wait_published(pupil.page, music=True)
        await wait_published(host.page, music=True)
        tile = tile_of(host.page, pupil.id)
        await wait_until(lambda: _has_music_class(tile), message="Mia's tile shows it")

        await switch(host.page, MUSIC_FOR_EVERYONE, False)
        await wait_until(lambda: _not_pressed(pupil.page), message="Mia's page follows off")
        await wait_published(pupil.page, music=False)

        # For one pupil, from the people list: Mia's page switches, everyone sees it.
        item = await people_item(host.page, pupil.id)
        await item.get_by_role("button", name="Musikmodus einschalten für Mia").click()
        await wait_until(lambda: music_pressed(pupil.page), message="Mia's page switched")
        await (
            pupil.page.locator("#toasts")
            .get_by_text(
                "Die Gastgeberin oder der Gastgeber hat den Musikmodus für Sie eingeschaltet."
            )
            .wait_for()
        )
        await wait_published(pupil.page, music=True)
        assert not await music_pressed(host.page), "only Mia's microphone"
        await wait_until(lambda: _has_music_class(tile), message="Mia's tile shows it again")
        await item.get_by_role("button", name="Musikmodus ausschalten für Mia").wait_for()
    finally:
        await opener.close_all()


async def _grew(page: Page, packets: int) -> bool:
    return (await received_audio(page)).packets > packets


async def _has_music_class(tile: Locator) -> bool:
    classes = await tile.get_attribute("class")
    return "has-music" in (classes or "").split()


async def _lacks_music_class(tile: Locator) -> bool:
    return not await _has_music_class(tile)


async def _not_pressed(page: Page) -> bool:
    return not await music_pressed(page)
