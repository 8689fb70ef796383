"""Three nodes on one real Redis, by their signaling sockets: a room created through one node
is one meeting through the others, held by exactly one node; a node killed with SIGKILL gives
its rooms to the others, whose pages come back with their roles, past the lobby and with the
password still asked of strangers; a drained node moves its rooms and takes no new ones; a
forged seal is refused. The same in Chromium, with media: ``tests/e2e/test_nodes_in_chromium.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from support.node_cluster import NodeCluster, join, next_of, running_cluster
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from klingel.cluster.seal import FORWARDED_HEADER
from klingel_bots.browser import wait_until

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NodeCluster]:
    with running_cluster(tmp_path) as started:
        yield started


def create_room(cluster: NodeCluster, node_id: str, name: str) -> dict[str, Any]:
    answer = httpx.post(cluster.nodes[node_id].base_url + "/api/rooms", json={"name": name})
    answer.raise_for_status()
    created: dict[str, Any] = answer.json()
    return created


async def closed_code(socket: ClientConnection, timeout: float = 20.0) -> int | None:
    """Read until the socket ends; its close code."""
    try:
        async with asyncio.timeout(timeout):
            async for _ in socket:
                pass
    except ConnectionClosed:
        pass
    return socket.close_code


async def rejoin(
    cluster: NodeCluster, node_id: str, room: str, name: str, **fields: Any
) -> tuple[ClientConnection, dict[str, Any]]:
    """Join through ``node_id`` again and again (as a page does after a lost socket) until the
    join is answered; the socket and its first answer (joined, waiting or error)."""
    deadline = time.monotonic() + 45.0
    while True:
        socket = await join(cluster.nodes[node_id], room, name, **fields)
        try:
            while True:
                message = json.loads(await socket.recv())
                if message["type"] in ("joined", "waiting", "error"):
                    return socket, message
        except ConnectionClosed:
            if time.monotonic() > deadline:
                raise AssertionError(f"no join through {node_id}:\n{cluster.logs()}") from None
            await asyncio.sleep(0.5)


async def admit_first(host: ClientConnection) -> None:
    """The host lets in the first person waiting, once the lobby shows one."""
    ring = await next_of(host, "lobby")
    while not ring["waiting"]:
        ring = await next_of(host, "lobby")
    await host.send(json.dumps({"type": "admit", "id": ring["waiting"][0]["id"]}))


async def test_a_room_made_on_one_node_is_one_meeting_through_the_others(
    cluster: NodeCluster,
) -> None:
    created = create_room(cluster, "a", "Musikschule Geige")
    room = created["room"]
    anna = await join(cluster.nodes["b"], room, "Anna", hostSecret=created["hostSecret"])
    joined = await next_of(anna, "joined")
    assert joined["you"]["role"] == "host"
    # Ben rings at the door through another node; Anna lets him in through hers: both
    # sockets end on the one node that holds the room
    ben = await join(cluster.nodes["c"], room, "Ben")
    await next_of(ben, "waiting")
    await admit_first(anna)
    assert (await next_of(ben, "joined"))["you"]["role"] == "guest"
    arrived = await next_of(anna, "participant_joined")
    assert arrived["participant"]["name"] == "Ben"
    holder = await wait_until(cluster.holder, timeout=10, message="one holder")
    assert cluster.rooms_on(holder) == (1, 2)
    assert all(cluster.rooms_on(node)[0] == 0 for node in cluster.nodes if node != holder)
    listed = cluster.admin("nodes")
    assert listed.returncode == 0
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["a", "b", "c"]
    assert cluster.redis.password not in listed.stdout + listed.stderr
    for socket in (anna, ben):
        await socket.close()


async def test_a_killed_node_s_meeting_comes_back_on_the_others_with_roles_lobby_and_password(
    cluster: NodeCluster,
) -> None:
    created = create_room(cluster, "c", "Gemeinderat")
    room, secret = created["room"], created["hostSecret"]
    anna = await join(cluster.nodes["b"], room, "Anna", hostSecret=secret)
    assert (await next_of(anna, "joined"))["you"]["role"] == "host"
    # the lobby is on in a created room; Anna sets a password too
    await anna.send(json.dumps({"type": "set_password", "password": "Geige-2026"}))
    await next_of(anna, "room_updated")
    ben = await join(cluster.nodes["c"], room, "Ben", password="Geige-2026")
    waiting = await next_of(ben, "waiting")
    await admit_first(anna)
    ben_joined = await next_of(ben, "joined")
    assert waiting and ben_joined["you"]["role"] == "guest"
    holder = await wait_until(cluster.holder, timeout=10, message="one holder")
    assert holder == "a", "with equal loads the first node takes the room"

    killed_at = time.monotonic()
    cluster.nodes["a"].kill()
    # both pages lose their socket: the node that passed it on says "try again"
    assert await closed_code(anna) == 1013
    assert await closed_code(ben) == 1013
    anna, anna_back = await rejoin(cluster, "b", room, "Anna", hostSecret=secret)
    ben, ben_back = await rejoin(
        cluster, "c", room, "Ben", password="Geige-2026", resume=ben_joined["resume"]
    )
    recovered = time.monotonic() - killed_at
    assert anna_back["type"] == "joined" and anna_back["you"]["role"] == "host"
    # Ben's seat pass, issued on the lost node, lets him past the lobby on the new one
    assert ben_back["type"] == "joined" and ben_back["you"]["role"] == "guest", ben_back
    new_holder = await wait_until(cluster.holder, timeout=10, message="the new holder")
    assert new_holder in ("b", "c") and cluster.rooms_on(new_holder) == (1, 2)
    print(f"meeting back on node {new_holder} {recovered:.1f} s after the kill")
    # a stranger is still asked for the password, and then waits in the lobby
    cleo = await join(cluster.nodes["b"], room, "Cleo")
    refused = await next_of(cleo, "error")
    assert refused["code"] == "password_required"
    dora = await join(cluster.nodes["c"], room, "Dora", password="Geige-2026")
    assert (await next_of(dora, "waiting"))["type"] == "waiting"
    for socket in (anna, ben, cleo, dora):
        await socket.close()


async def test_a_drained_node_moves_its_rooms_and_takes_no_new_ones(
    cluster: NodeCluster,
) -> None:
    created = create_room(cluster, "b", "Sprachkurs")
    room, secret = created["room"], created["hostSecret"]
    anna = await join(cluster.nodes["b"], room, "Anna", hostSecret=secret)
    anna_joined = await next_of(anna, "joined")
    assert await wait_until(cluster.holder, timeout=10, message="holder") == "a"

    drained = cluster.admin("drain", "a", "--now")
    assert drained.returncode == 0, drained.stderr
    assert await closed_code(anna) == 1013  # moved: the page joins again
    anna, back = await rejoin(
        cluster, "b", room, "Anna", hostSecret=secret, resume=anna_joined["resume"]
    )
    assert back["type"] == "joined" and back["you"]["role"] == "host"
    assert cluster.rooms_on("a") == (0, 0)
    assert await wait_until(cluster.holder, timeout=10, message="holder") != "a"
    listed = cluster.admin("nodes").stdout.splitlines()
    assert [line.split("\t")[3] for line in listed] == ["draining", "open", "open"]
    # a new room goes to another node too, however little the drained node holds
    other = create_room(cluster, "a", "Anderer Raum")
    ben = await join(cluster.nodes["a"], other["room"], "Ben", hostSecret=other["hostSecret"])
    assert (await next_of(ben, "joined"))["you"]["role"] == "host"
    assert cluster.rooms_on("a") == (0, 0)
    unknown = cluster.admin("drain", "z")
    assert unknown.returncode == 3 and "no live node" in unknown.stderr
    for socket in (anna, ben):
        await socket.close()


async def test_a_socket_with_a_forged_seal_is_refused(cluster: NodeCluster) -> None:
    url = cluster.nodes["a"].base_url.replace("http", "ws") + "/ws"
    for header in ("10.1.2.3;b;1750000000;AAAAAAAAAAAAAAAAAAAAAA", "garbage"):
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, additional_headers={FORWARDED_HEADER: header})
        assert refused.value.response.status_code == 403


async def test_a_viewer_on_another_node_watches_and_asks_the_room_s_node(
    cluster: NodeCluster,
) -> None:
    created = create_room(cluster, "a", "Bürgerversammlung")
    anna = await join(cluster.nodes["b"], created["room"], "Anna", hostSecret=created["hostSecret"])
    await next_of(anna, "joined")
    await anna.send(json.dumps({"type": "broadcast", "action": "start"}))
    state = await next_of(anna, "broadcast_state")
    while not state.get("viewerKey"):
        state = await next_of(anna, "broadcast_state")
    url = cluster.nodes["c"].base_url.replace("http", "ws") + "/ws"
    watch = json.dumps({"type": "watch", "v": 1, "key": state["viewerKey"]})

    async def watching() -> ClientConnection | None:
        # the node announces the broadcast with its next beat (within a second)
        viewer = await connect(url)
        await viewer.send(watch)
        answer = json.loads(await viewer.recv())
        if answer["type"] == "watching":
            return viewer
        await viewer.close()
        return None

    viewer = await wait_until(watching, timeout=10, message="the viewer let in through node c")
    await viewer.send(json.dumps({"type": "question", "text": "Wann wird gebaut?", "name": None}))
    inbox = await next_of(anna, "questions")
    while not inbox["items"]:
        inbox = await next_of(anna, "questions")
    assert inbox["items"][0]["text"] == "Wann wird gebaut?"
    assert cluster.rooms_on("c") == (0, 0)
    # an unknown key is refused as on one node
    stranger = await connect(url)
    await stranger.send(json.dumps({"type": "watch", "v": 1, "key": "k" * 22}))
    assert (await next_of(stranger, "error"))["type"] == "error"
    for socket in (anna, viewer, stranger):
        await socket.close()


async def watch_through(cluster: NodeCluster, node_id: str, key: str) -> ClientConnection:
    """A viewer's socket through ``node_id`` once it is let in (the holder announces its
    broadcast with its next beat)."""
    url = cluster.nodes[node_id].base_url.replace("http", "ws") + "/ws"

    async def watching() -> ClientConnection | None:
        viewer = await connect(url)
        await viewer.send(json.dumps({"type": "watch", "v": 1, "key": key}))
        try:
            answer = json.loads(await viewer.recv())
        except ConnectionClosed:
            return None
        if answer["type"] == "watching":
            return viewer
        await viewer.close()
        return None

    found: ClientConnection = await wait_until(
        watching, timeout=20, interval=0.3, message=f"a viewer let in through {node_id}"
    )
    return found


async def broadcast_state_until(host: ClientConnection, wanted: Any) -> dict[str, Any]:
    state: dict[str, Any] = await next_of(host, "broadcast_state")
    while not wanted(state):
        state = await next_of(host, "broadcast_state")
    return state


async def on_air_through_a(
    cluster: NodeCluster, created_on: str, name: str
) -> tuple[str, str, ClientConnection, str, ClientConnection]:
    """Anna's new room (made through ``created_on``), held by node a, joined through node b
    and broadcast; a viewer through node c. The room, its host secret, Anna's socket, the
    viewer key and the viewer's socket."""
    created = create_room(cluster, created_on, name)
    room, secret = created["room"], created["hostSecret"]
    anna = await join(cluster.nodes["b"], room, "Anna", hostSecret=secret)
    await next_of(anna, "joined")
    await anna.send(json.dumps({"type": "broadcast", "action": "start"}))
    key = (await broadcast_state_until(anna, lambda s: s.get("viewerKey")))["viewerKey"]
    assert await wait_until(cluster.holder, timeout=10, message="one holder") == "a"
    return room, secret, anna, key, await watch_through(cluster, "c", key)


async def test_a_broadcast_comes_back_paused_with_its_link_when_its_node_is_lost(
    cluster: NodeCluster,
) -> None:
    room, secret, anna, key, viewer = await on_air_through_a(cluster, "a", "Neujahrsansprache")
    await asyncio.sleep(1.5)  # a beat keeps the key, sealed, for the next node

    cluster.nodes["a"].kill()
    assert await closed_code(anna) == 1013
    assert await closed_code(viewer) == 1013
    await asyncio.sleep(3.0)  # node a has missed its beats: the room goes elsewhere
    # Before anyone of the room is back, the viewer is asked to try again, not refused.
    early = await connect(cluster.nodes["c"].base_url.replace("http", "ws") + "/ws")
    await early.send(json.dumps({"type": "watch", "v": 1, "key": key}))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            frame = json.loads(await early.recv())
            assert frame["type"] != "error", frame
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

    anna, back = await rejoin(cluster, "b", room, "Anna", hostSecret=secret)
    assert back["type"] == "joined" and back["you"]["role"] == "host"
    state = await broadcast_state_until(anna, lambda s: s["on"])
    assert (state["live"], state["viewerKey"]) == (False, key), "back paused, same link"
    viewer = await watch_through(cluster, "c", key)
    await anna.send(json.dumps({"type": "broadcast", "action": "resume"}))
    assert (await next_of(viewer, "broadcast_live"))["live"] is True
    # Ending it ends the link everywhere: a new viewer is refused, not asked to wait.
    await anna.send(json.dumps({"type": "broadcast", "action": "stop"}))
    assert (await next_of(viewer, "broadcast_ended"))["type"] == "broadcast_ended"
    late = await connect(cluster.nodes["b"].base_url.replace("http", "ws") + "/ws")
    await late.send(json.dumps({"type": "watch", "v": 1, "key": key}))
    assert (await next_of(late, "error"))["code"] == "unknown_broadcast"
    for socket in (anna, viewer, early, late):
        await socket.close()


async def test_a_public_room_moved_at_once_takes_its_broadcast_along(
    cluster: NodeCluster,
) -> None:
    room, secret, anna, key, viewer = await on_air_through_a(cluster, "b", "Bürgersprechstunde")

    assert cluster.admin("drain", "a", "--now").returncode == 0
    # Neither is told it ended: both are asked to come again (1012, passed on as 1013).
    assert await closed_code(viewer) == 1013
    assert await closed_code(anna) == 1013
    anna, back = await rejoin(cluster, "b", room, "Anna", hostSecret=secret)
    assert back["type"] == "joined"
    state = await broadcast_state_until(anna, lambda s: s["on"])
    assert (state["live"], state["viewerKey"]) == (False, key)
    assert await wait_until(cluster.holder, timeout=10, message="the new holder") != "a"
    viewer = await watch_through(cluster, "c", key)
    await anna.send(json.dumps({"type": "broadcast", "action": "resume"}))
    assert (await next_of(viewer, "broadcast_live"))["live"] is True
    for socket in (anna, viewer):
        await socket.close()


async def test_with_redis_away_a_meeting_goes_on_and_what_needs_redis_says_so(
    cluster: NodeCluster,
) -> None:
    created = create_room(cluster, "a", "Elternabend")
    room = created["room"]
    anna = await join(cluster.nodes["a"], room, "Anna", hostSecret=created["hostSecret"])
    await next_of(anna, "joined")
    ben = await join(cluster.nodes["b"], room, "Ben")
    await next_of(ben, "waiting")
    await admit_first(anna)
    await next_of(ben, "joined")

    cluster.redis.stop()
    # both sockets, the one passed on by node b too, still carry the meeting
    for socket in (anna, ben):
        await socket.send(json.dumps({"type": "ping"}))
        await next_of(socket, "pong")
    # the node that holds the room still lets people ring at its door
    cleo = await join(cluster.nodes["a"], room, "Cleo")
    await next_of(cleo, "waiting")
    # a node that would have to read the room from the store says it cannot
    dora = await join(cluster.nodes["c"], room, "Dora")
    refused = await next_of(dora, "error")
    assert refused["code"] == "store_unavailable", refused
    answer = httpx.post(cluster.nodes["b"].base_url + "/api/rooms", json={"name": "Neu"})
    assert (answer.status_code, answer.json()) == (503, {"error": "store_unavailable"})
    await wait_until(
        lambda: "beat failed: store_unavailable" in cluster.nodes["a"].log_tail(200),
        timeout=10,
        message="the failed beat logged",
    )
    assert cluster.redis.password not in cluster.logs()
    for socket in (anna, ben, cleo, dora):
        await socket.close()


async def test_a_draining_node_moves_a_quiet_room_and_keeps_a_broadcast_until_it_ends(
    cluster: NodeCluster,
) -> None:
    quiet = create_room(cluster, "c", "Stille Runde")
    public = create_room(cluster, "c", "Bürgerfragestunde")
    anna = await join(cluster.nodes["c"], quiet["room"], "Anna", hostSecret=quiet["hostSecret"])
    await next_of(anna, "joined")
    ben = await join(cluster.nodes["c"], public["room"], "Ben", hostSecret=public["hostSecret"])
    await next_of(ben, "joined")
    await ben.send(json.dumps({"type": "broadcast", "action": "start"}))
    await next_of(ben, "broadcast_state")
    # the two rooms went to the two least-loaded nodes, a and b; both drain
    assert (cluster.rooms_on("a"), cluster.rooms_on("b")) == ((1, 1), (1, 1))
    for node_id in ("a", "b"):
        assert cluster.admin("drain", node_id).returncode == 0
    # nobody speaks in Anna's room: it moves with its node's next beats, to node c
    assert await closed_code(anna) == 1013
    anna, back = await rejoin(cluster, "c", quiet["room"], "Anna", hostSecret=quiet["hostSecret"])
    assert back["type"] == "joined" and back["you"]["role"] == "host"
    assert cluster.rooms_on("c")[0] == 1
    # Ben's room is open to the public: its viewers hold a link that only its node knows
    await asyncio.sleep(3)
    await ben.send(json.dumps({"type": "ping"}))
    await next_of(ben, "pong")
    assert cluster.rooms_on("a")[0] + cluster.rooms_on("b")[0] == 1
    await ben.send(json.dumps({"type": "broadcast", "action": "stop"}))
    assert await closed_code(ben) == 1013
    ben, back = await rejoin(cluster, "c", public["room"], "Ben", hostSecret=public["hostSecret"])
    assert back["type"] == "joined"
    assert (cluster.rooms_on("a"), cluster.rooms_on("b"), cluster.rooms_on("c")) == (
        (0, 0),
        (0, 0),
        (2, 2),
    )
    for socket in (anna, ben):
        await socket.close()


async def test_a_flood_of_joins_asks_redis_no_more_than_the_address_may_join(
    cluster: NodeCluster,
) -> None:
    sockets, answers = [], []
    for index in range(75):
        socket = await join(cluster.nodes["b"], f"flut-{index}", "Flut")
        sockets.append(socket)
        answers.append(json.loads(await asyncio.wait_for(socket.recv(), 15)))
    refused = [answer for answer in answers if answer["type"] == "error"]
    assert refused and all(answer["code"] == "rate_limited" for answer in refused)
    client = aioredis.Redis.from_url(cluster.redis.url)
    try:
        placed = [key async for key in client.scan_iter(match="klingel:place:flut-*")]
    finally:
        await client.aclose()
    # the join limit's burst (60), and a little for the tokens it regained meanwhile
    assert len(placed) == len(answers) - len(refused) <= 70
    for socket in sockets:
        await socket.close()
