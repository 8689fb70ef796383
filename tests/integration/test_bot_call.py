"""Two synthetic participants call each other through the real server and SFU."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from klingel.protocol.messages import ChatLine, Joined, ParticipantLeft
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient

BotFactory = Callable[[str], Awaitable[ProtocolClient]]


async def test_two_bots_exchange_audio_and_video(join_bot: BotFactory, test_media: Path) -> None:
    anna = await join_bot("Anna")
    await anna.publish_file(test_media)
    ben = await join_bot("Ben")
    await ben.publish_file(test_media)

    await wait_until(
        lambda: len(anna.others_streams()) == 2 and len(ben.others_streams()) == 2,
        message="both see the other's microphone and camera streams",
    )
    assert {s.participant for s in anna.others_streams().values()} == {ben.participant_id}
    assert {s.kind for s in ben.others_streams().values()} == {"audio", "video"}

    for bot in (anna, ben):
        first = await bot.wait_receiving(list(bot.others_streams()))
        # Counts that keep growing: media flows, not just one burst.
        later = await bot.wait_receiving(first)
        assert all(later[sid].packets > first[sid].packets for sid in first)


async def test_chat_reaches_both_with_the_sender_the_server_knows(join_bot: BotFactory) -> None:
    anna = await join_bot("Anna")
    ben = await join_bot("Ben")
    since = len(ben.messages)
    await anna.chat("Guten Abend <b>alle</b>")

    line = await ben.wait_for(ChatLine, since=since)
    assert line.text == "Guten Abend <b>alle</b>"
    assert line.sender == anna.participant_id
    echo = await anna.wait_for(ChatLine)
    assert echo.id == line.id


async def test_leaving_bot_is_removed_with_its_streams(
    join_bot: BotFactory, test_media: Path
) -> None:
    anna = await join_bot("Anna")
    await anna.publish_file(test_media)
    ben = await join_bot("Ben")
    await wait_until(lambda: len(ben.others_streams()) == 2, message="Anna's streams announced")

    since = len(ben.messages)
    await anna.leave()
    left = await ben.wait_for(ParticipantLeft, since=since)
    assert left.id == anna.participant_id
    await wait_until(lambda: not ben.others_streams(), message="Anna's streams removed")
    assert anna.participant_id not in ben.participants


async def test_bot_that_lost_its_socket_resumes_and_keeps_receiving(
    join_bot: BotFactory, test_media: Path
) -> None:
    anna = await join_bot("Anna")
    await anna.publish_file(test_media)
    ben = await join_bot("Ben")
    await wait_until(lambda: len(ben.others_streams()) == 2, message="Anna's streams announced")
    flowing = await ben.wait_receiving(list(ben.others_streams()))

    watched_from = len(anna.messages)
    ben_id = ben.participant_id
    await ben.drop_socket()
    resumed = await ben.resume()

    assert isinstance(resumed, Joined)
    assert resumed.resumed is True
    assert resumed.you.id == ben_id
    await ben.wait_receiving(flowing)
    await anna.ping()  # everything Anna was sent before this has arrived
    assert ParticipantLeft(ben_id) not in anna.messages[watched_from:]
