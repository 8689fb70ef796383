"""Reactions over the real server's signaling socket: relayed to everyone in the room with the
sender the socket speaks for, validated, and kept to a pace a room can follow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from support.recording_client import Client, Sockets
from support.signaling_server import Message, Server, running_server

from klingel.config import Settings
from klingel.protocol.reactions import REACTIONS


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server(Settings(room_capacity=30)) as running:
        yield running


async def join(sockets: Sockets, room: str, name: str) -> tuple[Client, Message]:
    client, joined = await sockets.join(room, name)
    assert joined["type"] == "joined", joined
    return client, joined


async def test_a_reaction_reaches_everyone_in_the_room_with_the_sender_set_by_the_server(
    sockets: Sockets,
) -> None:
    anna, anna_joined = await join(sockets, "geigenklasse", "Anna")
    ben, _ = await join(sockets, "geigenklasse", "Ben")
    elsewhere, _ = await join(sockets, "chorprobe", "Cem")
    await anna.expect("participant_joined")
    sender = anna_joined["you"]["id"]
    for number, reaction in enumerate(REACTIONS):
        if number == 4:
            await asyncio.sleep(1.1)  # four in a row, then one a second
        await anna.send({"type": "react", "reaction": reaction})
        for client in (anna, ben):
            shown = await client.expect("reaction")
            assert shown == {"type": "reaction", "from": sender, "reaction": reaction}
    assert await elsewhere.nothing_pending()


async def test_bad_reactions_are_refused_and_change_nothing(sockets: Sockets) -> None:
    anna, anna_joined = await join(sockets, "geigenklasse", "Anna")
    ben, ben_joined = await join(sockets, "geigenklasse", "Ben")
    await anna.expect("participant_joined")
    for bad in (
        {"type": "react", "reaction": "<script>"},
        {"type": "react", "reaction": "Applaus"},
        {"type": "react", "reaction": ""},
        {"type": "react", "reaction": 1},
        {"type": "react"},
        # Nobody reacts in someone else's name.
        {"type": "react", "reaction": "heart", "from": ben_joined["you"]["id"]},
    ):
        await anna.send(bad)
        refused = await anna.error("bad_message")
        assert refused["ref"] == "react"
    assert await ben.nothing_pending()
    assert await anna.nothing_pending()
    assert anna_joined["you"]["id"] != ben_joined["you"]["id"]


async def test_a_person_reacting_too_fast_is_refused_and_the_room_sees_only_the_first_few(
    sockets: Sockets,
) -> None:
    anna, _ = await join(sockets, "geigenklasse", "Anna")
    ben, _ = await join(sockets, "geigenklasse", "Ben")
    await anna.expect("participant_joined")
    for _ in range(10):
        await anna.send({"type": "react", "reaction": "applause"})
    received = [await anna.receive() for _ in range(10)]
    shown = [m for m in received if m["type"] == "reaction"]
    refused = [m for m in received if m["type"] == "error"]
    assert 4 <= len(shown) <= 5  # 4 in a row, one more if a second passed meanwhile
    assert refused and all((m["code"], m["ref"]) == ("rate_limited", "react") for m in refused)
    seen_by_ben = [await ben.expect("reaction") for _ in shown]
    assert len(seen_by_ben) == len(shown)
    assert await ben.nothing_pending()


async def test_a_whole_room_reacting_at_once_is_capped_without_refusing_anyone(
    sockets: Sockets,
) -> None:
    people = [await join(sockets, "konzert", f"Gast {n}") for n in range(8)]
    listener = people[0][0]
    await listener.drain()
    for client, _ in people:
        for _ in range(4):
            await client.send({"type": "react", "reaction": "applause"})
    # Once each sender's ping is answered, the server has handled all its reactions.
    answered = {client: await until_pong(client) for client, _ in people}
    heard = answered[listener] + await until_pong(listener)
    # 32 reactions sent at once; the room shows 20 (plus the few that refilled meanwhile).
    shown = [m for m in heard if m["type"] == "reaction"]
    assert 20 <= len(shown) < 32
    assert all(m["type"] != "error" for messages in answered.values() for m in messages)


async def until_pong(client: Client) -> list[Message]:
    await client.send({"type": "ping"})
    messages = []
    while (message := await client.receive())["type"] != "pong":
        messages.append(message)
    return messages
