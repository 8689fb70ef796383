"""A council's roll-call votes: from the chair's ``close_vote`` to every member's screen
holding the result.

One Klingel server (2 SFU workers), a body of ``--members`` (40 by default: a large town
council) whose members all join by their personal links as signaling clients of
``klingel.client`` in this process (no media: the chair records them present in the hall,
so that the quorum holds without a camera each). The chair opens a session, calls an item,
and runs ``--votes`` roll calls: each opens, every member casts a ballot, and the chair
closes it. For each close, every member's time from the moment the chair sends
``close_vote`` to the moment its socket delivers the ``council_state`` that lists the new
result. In the same run, the floor: a chat line from one member to every member on the
same sockets, between the votes (the same fan-out without the council's work), so that the
ratio says what the council mode adds to the plain signaling path.

Run inside the isolated namespace: ``scripts/netns-run .venv/bin/python bench/council_vote.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import WORK, median, percentile, require_netns, save
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from klingel.ids import RoomId
from klingel.rooms.council.agenda import AgendaItem
from klingel.rooms.council.document import BodyDocument, PreparedSession
from klingel.rooms.council.roster import Body, Member, MemberId
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms
from klingel_bots.server_process import ServerProcess

NAME = "council_vote"
BODY = "gemeinderat"


@dataclass
class Seat:
    """One member's socket and what it saw. Frames are read with ``json.loads`` only, as a
    browser's ``JSON.parse`` would: the strict parser of ``klingel.client`` would make this
    process, which holds every member, the slowest part of the measurement."""

    member: str
    socket: ClientConnection | None = None
    reader: asyncio.Task[None] | None = None
    results_seen: int = 0
    ballots_seen: int = 0
    result_times: dict[int, float] = field(default_factory=dict)
    """When the state with this many results arrived (monotonic)."""
    chats: dict[str, float] = field(default_factory=dict)
    """When each chat line (by its text) arrived."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def join(self, base_url: str, secret: str) -> None:
        self.socket = await connect(base_url.replace("http", "ws") + "/ws", max_size=2**20)
        await self.send({"type": "join", "v": 1, "room": BODY, "name": "x", "member": secret})
        joined = json.loads(await self.socket.recv())
        assert joined["type"] == "joined", joined
        self.reader = asyncio.get_running_loop().create_task(self.read())

    async def send(self, message: dict[str, Any]) -> None:
        assert self.socket is not None
        await self.socket.send(json.dumps(message))

    async def read(self) -> None:
        assert self.socket is not None
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.socket:
                self.on_message(json.loads(frame))

    def on_message(self, message: dict[str, Any]) -> None:
        now = time.monotonic()
        if message["type"] == "council_state":
            vote = message["vote"]
            self.ballots_seen = 0 if vote is None else len(vote["ballots"])
            if len(message["results"]) > self.results_seen:
                self.results_seen = len(message["results"])
                self.result_times[self.results_seen] = now
        elif message["type"] == "chat":
            self.chats[message["text"]] = now
        elif message["type"] == "error":
            raise RuntimeError(f"refused: {message}")
        self.arrived.set()


async def prepare(data_dir: Path, members: int) -> dict[str, str]:
    """The body, its room and a personal link per member, straight into the store."""
    standing = await StandingRooms.open(data_dir)
    try:
        made = await standing.councils.create(BODY, "Gemeinderat", members, "at_least_half")
        assert made is not None
        await standing.create(RoomId(BODY), standing.new_keys(), RoomSettings(lobby=True))
        roster = [
            Member(MemberId(f"m{n:03d}"), f"Mitglied {n}", "", "chair" if n == 0 else "member")
            for n in range(members)
        ]
        item = AgendaItem("1", "Haushalt", True, ("Der Haushalt wird beschlossen.",))
        session = PreparedSession("s1", "Sitzung", 1_800_000_000, "Rathaus", (item,))
        document = BodyDocument(
            Body(BODY, "Gemeinderat", members, "at_least_half", roster), (session,)
        )
        view = await standing.councils.replace_document(BODY, made.clerk_secret, document, 0)
        revision, links = view.revision, {}
        for member in roster:
            links[member.id], revision = await standing.councils.renew_member_link(
                BODY, made.clerk_secret, member.id, revision
            )
        return links
    finally:
        await standing.close()


async def until(seat: Seat, condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        seat.arrived.clear()
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{seat.member} waited in vain")
        await asyncio.wait_for(seat.arrived.wait(), left)


async def run(members: int, votes: int) -> dict[str, object]:
    WORK.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="council-bench-", dir=WORK))
    links = await prepare(data_dir, members)
    server = ServerProcess(log_path=WORK / f"{NAME}.log", workers=2, data_dir=data_dir)
    server.start()
    seats = [Seat(member) for member in links]
    try:
        for seat in seats:
            await seat.join(server.base_url, links[seat.member])
        chair = seats[0]

        async def say(seat: Seat, **fields: Any) -> None:
            await seat.send({"type": "council", **fields})

        await say(chair, action="open", session="s1")
        for seat in seats:
            await say(chair, action="hall", member=seat.member, on=True)
        await say(chair, action="item", item="1")
        closes: list[float] = []
        floors: list[float] = []
        for vote in range(1, votes + 1):
            await say(chair, action="vote", motion=0, kind="roll_call")
            await asyncio.sleep(0.2)
            await asyncio.gather(*(say(seat, action="ballot", choice="yes") for seat in seats))
            # Every screen shows every ballot before the chair closes, as in a chamber.
            await asyncio.gather(
                *(until(seat, lambda s=seat: s.ballots_seen == len(seats)) for seat in seats)
            )
            closed_at = time.monotonic()
            await say(chair, action="close_vote")
            await asyncio.gather(
                *(until(seat, lambda s=seat, v=vote: s.results_seen >= v) for seat in seats)
            )
            closes.extend(seat.result_times[vote] - closed_at for seat in seats)
            # The floor on the same sockets, between the votes: a chat line from one member
            # to all, the same fan-out without the council's work (each time another
            # member's line, so that no chat limit is met).
            speaker = seats[vote % len(seats)]
            text = f"Zwischenruf {vote}"
            sent = time.monotonic()
            await speaker.send({"type": "chat", "text": text})
            await asyncio.gather(
                *(until(seat, lambda s=seat, t=text: t in s.chats) for seat in seats)
            )
            floors.extend(seat.chats[text] - sent for seat in seats)
        close_ms = [1000 * t for t in closes]
        floor_ms = [1000 * t for t in floors]
        return {
            "members": members,
            "votes": votes,
            "close_to_result_ms": {
                "p50": median(close_ms),
                "p95": percentile(close_ms, 0.95),
                "max": max(close_ms),
            },
            "chat_to_all_ms": {"p50": median(floor_ms), "p95": percentile(floor_ms, 0.95)},
            "ratio_p50": median(close_ms) / median(floor_ms),
        }
    finally:
        for seat in seats:
            if seat.socket is not None:
                await seat.socket.close()
            if seat.reader is not None:
                await seat.reader
        server.stop()


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--votes", type=int, default=20)
    arguments = parser.parse_args()
    if not 2 <= arguments.members <= 200 or not 1 <= arguments.votes <= 100:
        parser.error("2-200 members, 1-100 votes")
    result = asyncio.run(run(arguments.members, arguments.votes))
    save(NAME, result)
    close, ping = result["close_to_result_ms"], result["chat_to_all_ms"]
    assert isinstance(close, dict) and isinstance(ping, dict)
    print(
        f"{result['members']} members, {result['votes']} roll calls:"
        f" close -> result on every member's socket p50 {close['p50']:.1f} ms,"
        f" p95 {close['p95']:.1f} ms, max {close['max']:.1f} ms;"
        f" a chat line to every member p50 {ping['p50']:.1f} ms, p95 {ping['p95']:.1f} ms;"
        f" ratio of the p50s {result['ratio_p50']:.2f}"
    )


if __name__ == "__main__":
    main()
