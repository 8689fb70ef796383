"""Polls over the real server's signaling socket: hosts start, close and remove them, everyone
votes as the socket they speak on, results come live or at the end, anonymous polls never name
anyone, a late joiner sees the poll, hostile input changes nothing, votes are coalesced, and a
council room has no polls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from support.council_clients import as_member, council_visit
from support.recording_client import Client, Sockets
from support.signaling_server import Server, running_server

from klingel.config import Settings

Message = dict[str, Any]
QUESTION = "Wann üben wir?"
OPTIONS = ["Montag", "Mittwoch", "Freitag"]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server(Settings(room_capacity=20)) as running:
        yield running


class Room:
    """A created room on the test server, its lobby off, and a way in for anyone."""

    def __init__(self, sockets: Sockets, created: dict[str, str]) -> None:
        self.sockets = sockets
        self.id = created["room"]
        self.secret = created["hostSecret"]

    async def join(self, name: str, *, host: bool = False) -> tuple[Client, Message]:
        fields = {"hostSecret": self.secret} if host else {}
        return await self.sockets.join(self.id, name, **fields)


async def open_room(server: Server, sockets: Sockets) -> tuple[Room, Client]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/api/rooms", json={})
    assert response.status_code == 200, response.text
    room = Room(sockets, response.json())
    host, joined = await room.join("Hanna", host=True)
    assert joined["you"]["role"] == "host"
    if joined["room"]["lobby"]:
        await host.send({"type": "room_settings", "lobby": False})
        await host.next_of("room_updated")
    await host.drain()
    return room, host


async def guests(room: Room, host: Client, *names: str) -> list[Client]:
    joined = []
    for name in names:
        guest, answer = await room.join(name)
        assert answer["type"] == "joined", answer
        joined.append(guest)
    await host.drain()
    for guest in joined:
        await guest.drain()
    return joined


def start(**changes: Any) -> Message:
    message: Message = {
        "type": "poll_start",
        "question": QUESTION,
        "options": OPTIONS,
        "anonymous": False,
        "multiple": False,
        "results": "end",
    }
    return {**message, **changes}


async def started(host: Client, others: list[Client], **changes: Any) -> str:
    """Starts a poll; everyone gets it; returns its id."""
    await host.send(start(**changes))
    poll = await host.next_of("poll")
    for other in others:
        assert (await other.next_of("poll"))["id"] == poll["id"]
    return str(poll["id"])


async def poll_where(client: Client, check: Any) -> Message:
    while True:
        poll = await client.next_of("poll")
        if check(poll):
            return poll


def votes(poll: Message) -> list[int | None]:
    return [option["votes"] for option in poll["options"]]


def names(poll: Message) -> list[list[str]] | None:
    if any("names" in option for option in poll["options"]):
        return [option["names"] for option in poll["options"]]
    return None


async def test_results_at_the_end_reach_guests_only_when_the_host_closes(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    anna, ben = await guests(room, host, "Anna", "Ben")
    poll_id = await started(host, [anna, ben])
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [1]})
    own = await anna.next_of("poll")
    assert own["mine"] == [1] and own["voters"] == 1
    assert votes(own) == [None, None, None]  # results at the end: not yet
    seen_by_ben = await poll_where(ben, lambda p: p["voters"] == 1)
    assert seen_by_ben["mine"] == [] and votes(seen_by_ben) == [None, None, None]
    assert names(seen_by_ben) is None
    # Hosts and co-hosts see counts and names live: they decide when to close.
    seen_by_host = await poll_where(host, lambda p: p["voters"] == 1)
    assert votes(seen_by_host) == [0, 1, 0]
    assert names(seen_by_host) == [[], ["Anna"], []]
    # Changing one's mind replaces the vote.
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [2]})
    # (An update owed to the room since the first vote may come first.)
    changed = await poll_where(anna, lambda p: p["mine"] != [1])
    assert changed["mine"] == [2] and changed["voters"] == 1
    await ben.send({"type": "poll_vote", "id": poll_id, "choices": [2]})
    await host.send({"type": "poll_close", "id": poll_id})
    for client in (host, anna, ben):
        closed = await poll_where(client, lambda p: not p["open"])
        assert votes(closed) == [0, 0, 2] and closed["voters"] == 2
        assert names(closed) == [[], [], ["Anna", "Ben"]]
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await anna.error("poll_closed")


async def test_live_results_show_the_counts_to_everyone_as_votes_come_in(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    anna, ben = await guests(room, host, "Anna", "Ben")
    poll_id = await started(host, [anna, ben], results="live", multiple=True, anonymous=True)
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0, 2]})
    assert votes(await poll_where(ben, lambda p: p["voters"] == 1)) == [1, 0, 1]
    await ben.send({"type": "poll_vote", "id": poll_id, "choices": [2]})
    live = await poll_where(anna, lambda p: p["voters"] == 2)
    assert votes(live) == [1, 0, 2] and live["mine"] == [0, 2] and live["open"]


async def test_who_leaves_and_comes_back_counts_once(server: Server, sockets: Sockets) -> None:
    room, host = await open_room(server, sockets)
    anna, ben = await guests(room, host, "Anna", "Ben")
    poll_id = await started(host, [anna, ben], results="live")
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await poll_where(ben, lambda p: p["voters"] == 1)
    # Anna leaves (as a page does when it moves into a breakout group) and comes back.
    await anna.send({"type": "leave"})
    assert votes(await poll_where(ben, lambda p: p["voters"] == 0)) == [0, 0, 0]
    anna, back = await room.join("Anna")
    assert back["type"] == "joined"
    again = await anna.next_of("poll")
    assert again["mine"] == [] and again["voters"] == 0
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    assert votes(await poll_where(ben, lambda p: p["voters"] == 1)) == [1, 0, 0]


async def test_an_anonymous_poll_names_nobody_to_anyone_not_even_the_host(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    anna, ben = await guests(room, host, "Anna", "Ben")
    poll_id = await started(host, [anna, ben], anonymous=True)
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await ben.send({"type": "poll_vote", "id": poll_id, "choices": [1]})
    await host.send({"type": "poll_vote", "id": poll_id, "choices": [1]})
    await poll_where(host, lambda p: p["voters"] == 3)
    await host.send({"type": "poll_close", "id": poll_id})
    for client in (host, anna, ben):
        closed = await poll_where(client, lambda p: not p["open"])
        assert votes(closed) == [1, 2, 0]
    late, _ = await room.join("Cem")
    assert votes(await late.next_of("poll")) == [1, 2, 0]
    ids = {anna.id, ben.id, host.id}
    for client in (host, anna, ben, late):
        for frame in client.frames:
            message = json.loads(frame)
            if not message["type"].startswith("poll"):
                continue
            assert names(message) is None if message["type"] == "poll" else True
            text = json.dumps(message)
            assert not any(person in text for person in ("Anna", "Ben", "Hanna", *ids))


async def test_a_late_joiner_gets_the_poll_right_after_joined(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    (anna,) = await guests(room, host, "Anna")
    poll_id = await started(host, [anna], results="live")
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await anna.next_of("poll")
    late, joined = await room.join("Cem")
    assert joined["type"] == "joined"
    poll = await late.next_of("poll")
    assert (poll["id"], poll["question"], poll["open"], poll["mine"]) == (
        poll_id,
        QUESTION,
        True,
        [],
    )
    assert [option["text"] for option in poll["options"]] == OPTIONS
    assert poll["voters"] == 1 and votes(poll) == [1, 0, 0]
    # Removed, it is gone for everyone, and for whoever comes after.
    await host.send({"type": "poll_remove", "id": poll_id})
    for client in (host, anna, late):
        assert await client.next_of("poll_removed") == {"type": "poll_removed", "id": poll_id}
    await anna.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await anna.error("no_poll")
    later, _ = await room.join("Dora")
    assert await later.nothing_pending()


async def test_hostile_votes_and_commands_are_refused_and_change_nothing(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    anna, ben = await guests(room, host, "Anna", "Ben")
    # Guests run no polls.
    await anna.send(start())
    await anna.error("not_host")
    poll_id = await started(host, [anna, ben])
    for bad in (
        {"type": "poll_vote", "id": poll_id, "choices": [3]},  # no such option
        {"type": "poll_vote", "id": poll_id, "choices": [10]},
        {"type": "poll_vote", "id": poll_id, "choices": [-1]},
        {"type": "poll_vote", "id": poll_id, "choices": []},
        {"type": "poll_vote", "id": poll_id, "choices": [0, 1]},  # one only
        {"type": "poll_vote", "id": poll_id, "choices": ["0"]},
        {"type": "poll_vote", "id": poll_id, "choices": [True]},
        {"type": "poll_vote", "id": poll_id, "choices": 0},
        # Nobody votes in someone else's name.
        {"type": "poll_vote", "id": poll_id, "choices": [0], "from": ben.id},
        {"type": "poll_vote", "id": poll_id, "choices": [0], "voter": ben.id},
    ):
        await anna.send(bad)
        refused = await anna.error("bad_message")
        assert refused["ref"] == "poll_vote"
    await anna.send({"type": "poll_vote", "id": "p-00000000", "choices": [0]})
    await anna.error("no_poll")
    for bad_start, code in (
        (start(question="x" * 201), "bad_message"),
        (start(options=["Ja"]), "bad_message"),
        (start(options=[f"Tag {n}" for n in range(11)]), "bad_message"),
        (start(options=["Ja", "n" * 81]), "bad_message"),
        (start(results="sofort"), "bad_message"),
        (start(anonymous="yes"), "bad_message"),
        (start(question="   "), "bad_poll"),
        (start(question="Zeile\nzwei"), "bad_poll"),
        (start(options=["Ja", "ja "]), "bad_poll"),
        (start(options=["Ja", "\u202enieN"]), "bad_poll"),
        (start(), "poll_running"),  # one open poll at a time
    ):
        await host.send(bad_start)
        await host.error(code)
    await anna.send({"type": "poll_close", "id": poll_id})
    await anna.error("not_host")
    await ben.send({"type": "poll_remove", "id": poll_id})
    await ben.error("not_host")
    # Nothing changed: the poll is open, nobody has voted, and the others heard nothing.
    assert await ben.nothing_pending()
    await ben.send({"type": "poll_vote", "id": poll_id, "choices": [2]})
    poll = await ben.next_of("poll")
    assert (poll["id"], poll["open"], poll["voters"], poll["mine"]) == (poll_id, True, 1, [2])


async def test_many_votes_at_once_reach_the_room_as_a_few_updates(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    people = await guests(room, host, *(f"Gast {n}" for n in range(10)))
    poll_id = await started(host, people, results="live")
    for person in people:
        await person.send({"type": "poll_vote", "id": poll_id, "choices": [1]})
    final = await poll_where(host, lambda p: p["voters"] == len(people))
    assert votes(final) == [0, len(people), 0]
    await asyncio.sleep(0.7)  # any update still owed has gone out
    await host.drain()
    updates = [m for m in map(json.loads, host.frames) if m["type"] == "poll"]
    # One at the start, then at most a few while ten votes came in within moments.
    assert 2 <= len(updates) <= 4, [u["voters"] for u in updates]


async def test_nobody_in_the_lobby_sees_or_answers_a_poll(server: Server, sockets: Sockets) -> None:
    room, host = await open_room(server, sockets)
    await host.send({"type": "room_settings", "lobby": True})
    await host.next_of("room_updated")
    poll_id = await started(host, [])
    waiting, answer = await room.join("Wartende")
    assert answer["type"] == "waiting"
    await waiting.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await waiting.error("in_lobby")
    assert all(json.loads(frame)["type"] != "poll" for frame in waiting.frames)
    lobby = await host.next_of("lobby")
    await host.send({"type": "admit", "id": lobby["waiting"][0]["id"]})
    await waiting.expect("joined")
    assert (await waiting.next_of("poll"))["id"] == poll_id


async def test_a_council_room_has_no_polls(tmp_path: Path) -> None:
    async with council_visit(tmp_path) as (run, council):
        chair = await as_member(run, council, "anna")
        await chair.drain()
        await chair.send(start())
        error = await chair.next_of("error")
        assert (error["code"], error["ref"]) == ("poll_in_council", "poll_start")


async def test_a_guest_made_co_host_sees_the_names_of_a_named_poll_from_then_on(
    server: Server, sockets: Sockets
) -> None:
    room, host = await open_room(server, sockets)
    anna, ben = await guests(room, host, "Anna", "Ben")
    poll_id = await started(host, [anna, ben])
    await ben.send({"type": "poll_vote", "id": poll_id, "choices": [0]})
    await poll_where(anna, lambda p: p["voters"] == 1)
    await host.send({"type": "set_role", "id": anna.id, "role": "cohost"})
    promoted = await poll_where(anna, lambda p: names(p) is not None)
    assert names(promoted) == [["Ben"], [], []] and votes(promoted) == [1, 0, 0]
    # A co-host runs polls too.
    await anna.send({"type": "poll_close", "id": poll_id})
    assert not (await poll_where(ben, lambda p: not p["open"]))["open"]
