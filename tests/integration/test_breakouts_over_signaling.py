"""Breakout rooms over the real server's signaling socket: a host splits the room, each person
moves with a pass of their own into their group (and nowhere else), a host visits any group,
the groups do not hear each other, a message reaches them all, and everyone comes back past
the main room's lobby when a host calls them back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from support.recording_client import Client, Sockets
from support.signaling_server import Server, running_server

from klingel.config import Settings

Message = dict[str, Any]
JoinFn = Callable[..., Awaitable[tuple[Client, Message]]]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    settings = Settings(room_capacity=12, resume_grace_seconds=1.0, join_timeout_seconds=2.0)
    async with running_server(settings) as running:
        yield running


@pytest.fixture
def join(sockets: Sockets) -> JoinFn:
    return sockets.join


async def class_room(server: Server, join: JoinFn, lobby: bool = False) -> dict[str, Any]:
    """Anna hosts a named room; Ben, Cem and Dora are in it."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = (await http.post("/api/rooms", json={"name": "Sprachkurs B1"})).json()
    room = created["room"]
    anna, joined = await join(room, "Anna", hostSecret=created["hostSecret"])
    assert joined["type"] == "joined"
    if not lobby:
        await anna.send({"type": "room_settings", "lobby": False})
    await anna.drain()
    people = {"anna": anna}
    for name in ("Ben", "Cem", "Dora"):
        client, answer = await join(room, name)
        if answer["type"] == "waiting":
            waiting: list[Message] = []
            while not waiting:
                waiting = (await anna.next_of("lobby"))["waiting"]
            lobby_id = waiting[-1]["id"]
            await anna.send({"type": "admit", "id": lobby_id})
            answer = await client.next_of("joined")
            client.id = answer["you"]["id"]
        assert answer["type"] == "joined", answer
        people[name.lower()] = client
    for client in people.values():
        await client.drain()
    return {"room": room, "created": created, **people}


async def open_groups(meeting: dict[str, Any], **options: Any) -> dict[str, Message]:
    """Ben in group 1, Cem in group 2, Dora stays; everyone's ``breakouts`` by name."""
    anna = meeting["anna"]
    command = {
        "type": "breakouts",
        "action": "open",
        "groups": [[meeting["ben"].id], [meeting["cem"].id]],
        "minutes": 15,
        "auto": True,
        **options,
    }
    await anna.send(command)
    return {
        name: await meeting[name].next_of("breakouts") for name in ("anna", "ben", "cem", "dora")
    }


async def test_each_person_gets_a_pass_of_their_own_and_the_plan(
    server: Server, join: JoinFn
) -> None:
    meeting = await class_room(server, join)
    states = await open_groups(meeting)
    passes = {name: state["you"]["pass"] for name, state in states.items()}
    assert len(set(passes.values())) == 4
    assert states["ben"]["you"]["group"] == 1 and states["cem"]["you"]["group"] == 2
    assert states["dora"]["you"]["group"] is None
    assert states["anna"]["you"]["moderator"] is True and states["ben"]["you"]["moderator"] is False
    ben = states["ben"]
    assert ben["open"] is True and ben["closing"] is False and ben["auto"] is True
    assert 890 <= ben["secondsLeft"] <= 900
    assert [g["number"] for g in ben["groups"]] == [1, 2]
    assert ben["groups"][0]["members"] == [{"name": "Ben", "here": False}]
    assert sorted(ben["inMain"]) == ["Anna", "Ben", "Cem", "Dora"]
    # Nobody's pass reaches anyone else.
    for name, client in meeting.items():
        if isinstance(client, Client):
            others = [p for n, p in passes.items() if n != name]
            assert not any(p in frame for frame in client.frames for p in others), name


async def test_a_pass_leads_into_ones_own_group_only_and_groups_do_not_hear_each_other(
    server: Server, join: JoinFn
) -> None:
    meeting = await class_room(server, join)
    states = await open_groups(meeting)
    room = meeting["room"]
    ben, in_one = await join(room, "Ben", breakout=states["ben"]["you"]["pass"], group=1)
    assert in_one["type"] == "joined" and in_one["room"]["id"] != room
    assert in_one["you"]["role"] == "guest" and in_one["participants"] == []
    cem, refused = await join(room, "Cem", breakout=states["cem"]["you"]["pass"], group=1)
    assert (refused["type"], refused["code"]) == ("error", "not_your_group")
    assert (await cem.closed_with())[0] == 4000
    _, forged = await join(room, "Cem", breakout="x" * 24, group=2)
    assert forged["code"] == "breakout_over"
    _, no_group = await join(room, "Cem", breakout=states["cem"]["you"]["pass"], group=3)
    assert no_group["code"] == "not_your_group"
    cem, in_two = await join(room, "Cem", breakout=states["cem"]["you"]["pass"], group=2)
    assert in_two["type"] == "joined" and in_two["room"]["id"] not in (room, in_one["room"]["id"])
    # The host visits group 2, as host.
    anna, visiting = await join(room, "Anna", breakout=states["anna"]["you"]["pass"], group=2)
    assert visiting["you"]["role"] == "host"
    assert [p["name"] for p in visiting["participants"]] == ["Cem"]
    await ben.drain()
    await cem.next_of("participant_joined")
    await cem.drain()
    await cem.send({"type": "chat", "text": "Hallo Gruppe 2"})
    assert (await anna.next_of("chat"))["text"] == "Hallo Gruppe 2"
    assert await ben.nothing_pending()
    # Everyone sees who is where now.
    seen = await meeting["dora"].next_of("breakouts")
    while [m["here"] for g in seen["groups"] for m in g["members"]] != [True, True]:
        seen = await meeting["dora"].next_of("breakouts")
    assert seen["inMain"] == ["Dora"] or "Dora" in seen["inMain"]


async def test_a_message_reaches_every_group_and_the_main_room(
    server: Server, join: JoinFn
) -> None:
    meeting = await class_room(server, join)
    states = await open_groups(meeting)
    room = meeting["room"]
    ben, _ = await join(room, "Ben", breakout=states["ben"]["you"]["pass"], group=1)
    cem, _ = await join(room, "Cem", breakout=states["cem"]["you"]["pass"], group=2)
    await meeting["anna"].send({"type": "breakouts", "action": "message", "text": "Noch 5 Minuten"})
    for client in (ben, cem, meeting["dora"], meeting["anna"]):
        heard = await client.next_of("breakout_message")
        assert heard == {"type": "breakout_message", "name": "Anna", "text": "Noch 5 Minuten"}
    await ben.send({"type": "breakouts", "action": "message", "text": "Ich bin Gast"})
    assert (await ben.next_of("error"))["code"] == "not_host"


async def test_calling_back_brings_everyone_into_the_main_room_past_its_lobby(
    server: Server, join: JoinFn
) -> None:
    meeting = await class_room(server, join, lobby=True)
    states = await open_groups(meeting)
    room = meeting["room"]
    ben, _ = await join(room, "Ben", breakout=states["ben"]["you"]["pass"], group=1)
    await meeting["ben"].send({"type": "leave"})
    cem, _ = await join(room, "Cem", breakout=states["cem"]["you"]["pass"], group=2)
    await meeting["cem"].send({"type": "leave"})
    await meeting["anna"].send({"type": "breakouts", "action": "close"})
    for client in (ben, cem):
        state = await client.next_of("breakouts")
        while not state["closing"]:
            state = await client.next_of("breakouts")
        assert state["open"] is False and state["you"] is not None
    # Back with the pass: straight in, though the main room has its lobby on.
    for client, name in ((ben, "ben"), (cem, "cem")):
        await client.send({"type": "leave"})
        _, back = await join(room, name.title(), breakout=states[name]["you"]["pass"], group=0)
        assert back["type"] == "joined" and back["room"]["id"] == room
    # A group is closed now, and a stranger still rings at the lobby.
    _, late = await join(room, "Ben", breakout=states["ben"]["you"]["pass"], group=1)
    assert late["code"] == "breakout_over"
    _, stranger = await join(room, "Eve")
    assert stranger["type"] == "waiting"


async def test_what_is_refused_changes_nothing(server: Server, join: JoinFn) -> None:
    meeting = await class_room(server, join)
    anna, ben = meeting["anna"], meeting["ben"]
    for command, code in (
        (
            {"action": "open", "groups": [["p-nobody"]], "minutes": 5, "auto": True},
            "unknown_participant",
        ),
        (
            {"action": "open", "groups": [[ben.id], [ben.id]], "minutes": 5, "auto": True},
            "bad_message",
        ),
        ({"action": "open", "groups": [[ben.id]], "minutes": 241, "auto": True}, "bad_message"),
        ({"action": "open", "groups": [[ben.id]]}, "bad_message"),
        ({"action": "open", "groups": [[ben.id]] * 21, "minutes": 5, "auto": True}, "bad_message"),
        ({"action": "message", "text": "x"}, "no_breakouts"),
        ({"action": "close"}, "no_breakouts"),
        ({"action": "close", "text": "x"}, "bad_message"),
    ):
        await anna.send({"type": "breakouts", **command})
        assert (await anna.next_of("error"))["code"] == code, command
    await ben.send(
        {"type": "breakouts", "action": "open", "groups": [[ben.id]], "minutes": 5, "auto": True}
    )
    assert (await ben.next_of("error"))["code"] == "not_host"
    for name in ("anna", "ben", "cem", "dora"):
        assert await meeting[name].nothing_pending(), name
    # Opened once, not twice; no broadcast while the groups are open.
    await open_groups(meeting)
    await anna.send(
        {"type": "breakouts", "action": "open", "groups": [[ben.id]], "minutes": 0, "auto": False}
    )
    assert (await anna.next_of("error"))["code"] == "breakouts_running"
    await anna.send({"type": "broadcast", "action": "start"})
    assert (await anna.next_of("error"))["code"] == "breakouts_running"


async def test_ending_the_meeting_ends_its_groups(server: Server, join: JoinFn) -> None:
    meeting = await class_room(server, join)
    states = await open_groups(meeting)
    ben, _ = await join(meeting["room"], "Ben", breakout=states["ben"]["you"]["pass"], group=1)
    await ben.drain()
    await meeting["anna"].send({"type": "end_meeting"})
    code, reason = await ben.closed_with()
    assert (code, reason) == (1012, "breakout_over")
    _, over = await join(meeting["room"], "Ben", breakout=states["ben"]["you"]["pass"], group=1)
    assert over["code"] == "breakout_over"


async def test_groups_open_again_right_after_everyone_came_back(
    server: Server, join: JoinFn
) -> None:
    meeting = await class_room(server, join)
    first = await open_groups(meeting)
    room = meeting["room"]
    ben, _ = await join(room, "Ben", breakout=first["ben"]["you"]["pass"], group=1)
    await meeting["ben"].send({"type": "leave"})
    await meeting["anna"].send({"type": "breakouts", "action": "close"})
    await ben.send({"type": "leave"})
    ben, back = await join(room, "Ben", breakout=first["ben"]["you"]["pass"], group=0)
    assert back["type"] == "joined"
    # Nobody in a group any more: nothing left to show, though the way back stays open.
    state = await ben.next_of("breakouts")
    while state["closing"]:
        state = await ben.next_of("breakouts")
    assert (state["open"], state["you"]) == (False, None)
    meeting["ben"] = ben
    second = await open_groups(meeting)
    assert second["ben"]["you"]["pass"] != first["ben"]["you"]["pass"]
    _, old = await join(room, "Ben", breakout=first["ben"]["you"]["pass"], group=1)
    assert old["code"] == "breakout_over"
    _, new = await join(room, "Ben", breakout=second["ben"]["you"]["pass"], group=1)
    assert new["type"] == "joined"


async def test_a_dropped_socket_in_a_group_resumes_there(server: Server, join: JoinFn) -> None:
    meeting = await class_room(server, join)
    states = await open_groups(meeting)
    room, pass_ = meeting["room"], states["ben"]["you"]["pass"]
    ben, joined = await join(room, "Ben", breakout=pass_, group=1)
    await ben.socket.close()
    _, resumed = await join(room, "Ben", breakout=pass_, group=1, resume=joined["resume"])
    assert resumed["type"] == "joined" and resumed["resumed"] is True
    assert resumed["you"]["id"] == joined["you"]["id"]
    assert resumed["room"]["id"] == joined["room"]["id"]
    # A resume token of the group does not lead into another room's seat.
    _, elsewhere = await join(room, "Ben", resume=resumed["resume"])
    assert elsewhere["type"] == "joined" and elsewhere["you"]["id"] != joined["you"]["id"]
