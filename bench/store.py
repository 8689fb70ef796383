"""The room store: its reads and writes per join, and a start with 10,000 standing rooms.

Store calls per join: the whole server runs in this process (``store_counting.py``: uvicorn,
the real SFU worker pool, the hub and ``StandingRooms``) on a SQLite store in a temporary data
directory, wrapped so that every call is counted on its way to the real store. Clients speak
the signaling protocol over a real WebSocket (``klingel.client``). The server is started three
times on the same data directory, each a week after the last by the store's wall clock, as a
weekly lesson's server would be: a room created and used, then brought back from the store
by its host, then by a guest.

Start-up: a data directory is filled with 10,000 standing rooms (some with a password, 1,000
with two bans each) through the store's own API, then ``python -m klingel serve`` is started on
a copy of it five times, and five times on an empty data directory (the floor), alternating;
a sample is the time from starting the process to ``/healthz`` answering ok with both SFU
workers up (asked every 10 ms). After each start, the first join of a room: on the full store,
a standing room brought back by its host (its secret, to ``joined``); on the empty one, a bare
name that does not stand (the store is asked and finds nothing). Also: the store file's size,
the store's open in this process, and ``delete_unused`` over 10,000 rooms of which half are
past the retention.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from harness import WORK, median, percentile, require_netns, save
from store_counting import READS, WRITES, CountingStore, counted_server

from klingel.client import Refused, SignalingClient
from klingel.ids import ParticipantId, RoomId
from klingel.protocol.messages import Joined, ServerMessage
from klingel.protocol.moderation import Remove, RoomSettingsChange, SetPassword, Waiting
from klingel.rooms.keys import new_host_keys
from klingel.rooms.naming import new_room_id
from klingel.store import SecretDigester, SqliteRoomStore, StandingRoom, StoredSettings
from klingel.store.passwords import hash_password
from klingel.store.sqlite import DATABASE_FILE_NAME
from klingel_bots.server_process import ServerProcess

NAME = "store"
ROOM_NAME = "Musikschule Geige"
PASSWORD = "Geige am Dienstag"
WEEK_SECONDS = 7 * 86_400
DAY_SECONDS = 86_400

ROOMS = 10_000
BANNED_ROOMS = 1_000
BANS_PER_ROOM = 2
PASSWORD_EVERY = 10  # every tenth room has a password
RUNS = 5
UNUSED_DAYS = 90


# --- store calls per join ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counted:
    label: str
    calls: tuple[str, ...]

    @property
    def reads(self) -> int:
        return sum(call in READS for call in self.calls)

    @property
    def writes(self) -> int:
        return sum(call in WRITES for call in self.calls)

    def to_dict(self) -> dict[str, object]:
        return {"reads": self.reads, "writes": self.writes, "calls": list(self.calls)}


class Person:
    """One signaling socket and what the server told it."""

    def __init__(self, client: SignalingClient, messages: list[ServerMessage]) -> None:
        self.client = client
        self.messages = messages
        self.id: ParticipantId | None = None
        self.resume: str | None = None

    @classmethod
    async def connect(cls, base_url: str) -> Person:
        messages: list[ServerMessage] = []
        client = await SignalingClient.connect(base_url, messages.append, ping_every=None)
        return cls(client, messages)

    async def join(self, room: str, name: str, **secrets: str | None) -> Joined | Waiting:
        answer = await self.client.join(room, name, **secrets)
        if isinstance(answer, Joined):
            self.id, self.resume = answer.you.id, answer.resume
        return answer


class Week:
    """One run of the server on the lesson's data directory: its people, and what each step
    cost the store."""

    def __init__(self, base_url: str, store: CountingStore) -> None:
        self.base_url = base_url
        self.store = store
        self.results: list[Counted] = []
        self._people: list[Person] = []

    async def count(self, label: str, action: Callable[[], Awaitable[object]]) -> None:
        await self.store.quiet()
        before = len(self.store.calls)
        await action()
        await self.store.quiet()
        self.results.append(Counted(label, tuple(self.store.calls[before:])))

    async def join(
        self,
        label: str,
        room: str,
        name: str,
        *,
        refused_as: str | None = None,
        **fields: str | None,
    ) -> Person:
        """A new socket's join (``host_secret``, ``password``, ``resume`` as given), counted;
        with ``refused_as``, the join must be refused with that code."""
        person = await Person.connect(self.base_url)
        self._people.append(person)
        if refused_as is None:
            await self.count(label, lambda: person.join(room, name, **fields))
        else:
            await self.count(label, lambda: _refused(person.join(room, name, **fields), refused_as))
        return person

    async def close(self) -> None:
        for person in self._people:
            await person.client.close()


async def _refused(join: Awaitable[object], code: str) -> None:
    try:
        await join
    except Refused as refusal:
        if refusal.code != code:
            raise
        return
    raise RuntimeError(f"a join that should be refused ({code}) got in")


@contextlib.asynccontextmanager
async def week(data_dir: Path, number: int) -> AsyncIterator[Week]:
    """The server of week ``number`` (its store's clock that many weeks on)."""
    async with counted_server(data_dir, later_seconds=number * WEEK_SECONDS) as server:
        running = Week(server.base_url, server.store)
        try:
            yield running
        finally:
            await running.close()


async def count_calls(data_dir: Path) -> list[Counted]:
    """The weekly lesson in three server runs on one data directory; what each step cost."""
    # Week 0: the teacher creates the room, opens it, sets it up; pupils join; one is removed.
    async with week(data_dir, 0) as first:
        created: dict[str, Any] = {}

        async def create() -> None:
            async with httpx.AsyncClient(base_url=first.base_url) as http:
                answer = await http.post("/api/rooms", json={"name": ROOM_NAME})
                answer.raise_for_status()
                created.update(answer.json())

        await first.count("room created from the start page (POST /api/rooms)", create)
        room, host_secret = str(created["room"]), str(created["hostSecret"])
        host = await first.join(
            "host's first join, room just created (in memory)",
            room,
            "Lehrerin",
            host_secret=host_secret,
        )
        await first.count(
            "host's settings change (lobby off)",
            lambda: host.client.send(RoomSettingsChange(lobby=False)),
        )
        await first.join("guest's join, room in memory, no password", room, "Anna")
        await first.count("host sets a password", lambda: host.client.send(SetPassword(PASSWORD)))
        removed = await first.join(
            "guest's join with the password, room in memory (password set here)",
            room,
            "Ben",
            password=PASSWORD,
        )
        removed_id, token = removed.id, removed.resume
        assert removed_id is not None and token is not None
        await first.count(
            "host removes a guest (ban, lobby on)", lambda: host.client.send(Remove(removed_id))
        )
        await first.join(
            "removed guest's rejoin with its token, room in memory (refused)",
            room,
            "Ben",
            refused_as="removed",
            password=PASSWORD,
            resume=token,
        )
        await first.count(
            "host's settings change again (lobby off after the removal)",
            lambda: host.client.send(RoomSettingsChange(lobby=False)),
        )
    # Week 1: the host brings the room back; the pupils' password is checked against the store.
    async with week(data_dir, 1) as second:
        await second.join(
            "host's first join, room not in memory (brought back from the store)",
            room,
            "Lehrerin",
            host_secret=host_secret,
        )
        pupil = await second.join(
            "guest's join with the password, room in memory (password from the store: scrypt)",
            room,
            "Anna",
            password=PASSWORD,
        )
        await second.join(
            "another guest's join with the password, room in memory",
            room,
            "Clara",
            password=PASSWORD,
        )
        await second.join(
            "removed guest's rejoin with its token, room in memory (ban from the store, refused)",
            room,
            "Ben",
            refused_as="removed",
            password=PASSWORD,
            resume=token,
        )
    # Week 2: guests come before the host.
    async with week(data_dir, 2) as third:
        await third.join(
            "removed guest's rejoin with its token, room not in memory (refused)",
            room,
            "Ben",
            refused_as="removed",
            password=PASSWORD,
            resume=token,
        )
        await third.join(
            "guest's first join with the password, room not in memory",
            room,
            "Clara",
            password=PASSWORD,
        )
        await third.join(
            "guest's join with an old resume token (a page back after a restart), room in memory",
            room,
            "Anna",
            password=PASSWORD,
            resume=pupil.resume,
        )
    return [*first.results, *second.results, *third.results]


# --- 10,000 standing rooms ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FilledStore:
    directory: Path
    room: RoomId  # a standing room whose host secret is known
    host_secret: str
    fill_seconds: float
    file_bytes: int


async def fill(directory: Path, *, rooms: int, expired_share: float, now: int) -> FilledStore:
    """``rooms`` standing rooms through the store's API (one ``create`` each), a tenth with a
    password, ``BANNED_ROOMS`` with bans; ``expired_share`` of them unused beyond the
    retention, the others used within the last 60 days."""
    rng = random.Random(13)
    digester = SecretDigester.open(directory)
    store = await SqliteRoomStore.open(directory)
    password = hash_password(PASSWORD)  # scrypt once: every tenth room shares this digest
    chosen: tuple[RoomId, str] | None = None
    started = time.perf_counter()
    ids: list[RoomId] = []
    for index in range(rooms):
        keys = new_host_keys(digester)
        expired = index < rooms * expired_share
        age_days = rng.uniform(UNUSED_DAYS + 1, 3 * UNUSED_DAYS) if expired else rng.uniform(0, 60)
        last_used = now - int(age_days * DAY_SECONDS)
        room_id = new_room_id()
        record = StandingRoom(
            room_id=room_id,
            host_digest=keys.host_digest,
            cohost_digest=keys.cohost_digest,
            settings=StoredSettings(lobby=index % 3 == 0),
            password=password if index % PASSWORD_EVERY == 0 else None,
            created_at=last_used - rng.randrange(0, 300 * DAY_SECONDS),
            last_used_at=last_used,
        )
        if not await store.create(record):
            raise RuntimeError("a new room id stood already")
        ids.append(room_id)
        if not expired and index % PASSWORD_EVERY and chosen is None and keys.host:
            chosen = (room_id, keys.host)
    for room_id in rng.sample(ids, BANNED_ROOMS):
        for _ in range(BANS_PER_ROOM):
            await store.add_ban(room_id, digester.digest(new_room_id()))
    fill_seconds = time.perf_counter() - started
    await store.close()
    assert chosen is not None
    return FilledStore(directory, chosen[0], chosen[1], fill_seconds, store_bytes(directory))


def store_bytes(directory: Path) -> int:
    """The store's files: the database and, while open, its journal."""
    return sum(
        path.stat().st_size for path in directory.glob(f"{DATABASE_FILE_NAME}*") if path.is_file()
    )


def copy_of(template: Path, into: Path) -> Path:
    shutil.copytree(template, into)
    return into


@dataclass(frozen=True, slots=True)
class Start:
    ready_seconds: float
    first_join_ms: float


async def timed_start(data_dir: Path, log: Path, room: str, host_secret: str | None) -> Start:
    """Start ``klingel serve`` on ``data_dir``; the time to ready, then the first join of
    ``room`` (with ``host_secret``: must make its holder host)."""
    server = ServerProcess(log_path=log, data_dir=data_dir, metrics=False, ready_poll_seconds=0.01)
    await asyncio.to_thread(server.start)
    try:
        started = time.perf_counter()
        person = await Person.connect(server.base_url)
        answer = await person.join(room, "Lehrerin", host_secret=host_secret)
        joined_ms = (time.perf_counter() - started) * 1000
        await person.client.close()
        if not isinstance(answer, Joined):
            raise RuntimeError("the first join did not get in")
        if host_secret is not None and answer.you.role != "host":
            raise RuntimeError("the stored host secret did not make its holder host")
        return Start(server.ready_after, joined_ms)
    finally:
        await asyncio.to_thread(server.stop)


async def open_seconds(data_dir: Path) -> float:
    started = time.perf_counter()
    store = await SqliteRoomStore.open(data_dir)
    elapsed = time.perf_counter() - started
    await store.close()
    return elapsed


def spread(samples: Sequence[float], scale: float = 1.0, digits: int = 1) -> dict[str, object]:
    return {
        "p50": round(median(samples) * scale, digits),
        "p95": round(percentile(samples, 0.95) * scale, digits),
        "samples": [round(s * scale, digits) for s in samples],
    }


async def measure_start(work: Path, runs: int) -> dict[str, object]:
    now = int(time.time())
    template = await fill(work / "standing", rooms=ROOMS, expired_share=0.0, now=now)
    print(
        f"filled {ROOMS} rooms in {template.fill_seconds:.1f} s; "
        f"store {template.file_bytes / 2**20:.2f} MiB",
        file=sys.stderr,
    )
    full: list[Start] = []
    empty: list[Start] = []
    full_open: list[float] = []
    empty_open: list[float] = []
    for run in range(runs):
        order = ("full", "empty") if run % 2 == 0 else ("empty", "full")
        for kind in order:
            if kind == "full":
                directory = copy_of(template.directory, work / f"full-{run}")
                full_open.append(await open_seconds(copy_of(directory, work / f"open-{run}")))
                full.append(
                    await timed_start(
                        directory,
                        WORK / f"store-full-{run}.log",
                        template.room,
                        template.host_secret,
                    )
                )
            else:
                directory = work / f"empty-{run}"
                empty_open.append(await open_seconds(work / f"empty-open-{run}"))
                empty.append(
                    await timed_start(
                        directory, WORK / f"store-empty-{run}.log", f"bare-{run}", None
                    )
                )
            print(f"run {run} {kind}: {(full if kind == 'full' else empty)[-1]}", file=sys.stderr)
    expiry = await measure_delete_unused(work, runs, now)
    return {
        "rooms": ROOMS,
        "banned_rooms": BANNED_ROOMS,
        "bans": BANNED_ROOMS * BANS_PER_ROOM,
        "rooms_with_password": ROOMS // PASSWORD_EVERY,
        "fill_seconds": round(template.fill_seconds, 2),
        "store_file_bytes": template.file_bytes,
        "ready_ms_10000_rooms": spread([s.ready_seconds for s in full], 1000),
        "ready_ms_empty": spread([s.ready_seconds for s in empty], 1000),
        "store_open_ms_10000_rooms": spread(full_open, 1000, 2),
        "store_open_ms_empty": spread(empty_open, 1000, 2),
        "first_join_ms_standing_room": spread([s.first_join_ms for s in full]),
        "first_join_ms_bare_name_empty_store": spread([s.first_join_ms for s in empty]),
        **expiry,
    }


async def measure_delete_unused(work: Path, runs: int, now: int) -> dict[str, object]:
    template = await fill(work / "half-expired", rooms=ROOMS, expired_share=0.5, now=now)
    cutoff = now - UNUSED_DAYS * DAY_SECONDS
    seconds: list[float] = []
    deleted = 0
    for run in range(runs):
        store = await SqliteRoomStore.open(copy_of(template.directory, work / f"expire-{run}"))
        try:
            started = time.perf_counter()
            deleted = await store.delete_unused(cutoff)
            seconds.append(time.perf_counter() - started)
            left = await store.count()
        finally:
            await store.close()
        if deleted != ROOMS // 2 or left != ROOMS - deleted:
            raise RuntimeError(f"delete_unused deleted {deleted}, left {left}")
    return {
        "delete_unused_rooms": ROOMS,
        "delete_unused_deleted": deleted,
        "delete_unused_ms": spread(seconds, 1000),
    }


# --- the table ---------------------------------------------------------------------------------


def _p(figure: Mapping[str, Any], unit: str) -> str:
    return f"{figure['p50']:g} / {figure['p95']:g} {unit} (p50 / p95)"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (measure, result, target, verdict) for ``bench/table.py``."""
    rows = [
        (
            f"store calls: {label}",
            f"{c['reads']} reads, {c['writes']} writes ({', '.join(c['calls']) or 'none'})",
            "—",
            "counted",
        )
        for label, c in results.get("calls_per_step", {}).items()
    ]
    start = results.get("start")
    if not start:
        return rows
    rooms = f"{start['rooms']:,}"
    figures = (
        (f"start to ready with {rooms} standing rooms", _p(start["ready_ms_10000_rooms"], "ms")),
        (
            "start to ready, empty data directory (floor, same run)",
            _p(start["ready_ms_empty"], "ms"),
        ),
        (
            "first join of a standing room after that start (host, to joined)",
            _p(start["first_join_ms_standing_room"], "ms"),
        ),
        (
            "first join of a bare name after the empty start (floor)",
            _p(start["first_join_ms_bare_name_empty_store"], "ms"),
        ),
        (
            f"store open in process, {rooms} rooms / empty",
            f"{start['store_open_ms_10000_rooms']['p50']:g} / "
            f"{start['store_open_ms_empty']['p50']:g} ms (p50)",
        ),
        (
            f"store file with {rooms} rooms and {start['bans']:,} bans",
            f"{start['store_file_bytes'] / 2**20:.2f} MiB",
        ),
        (
            f"delete_unused over {start['delete_unused_rooms']:,} rooms, "
            f"{start['delete_unused_deleted']:,} of them expired",
            _p(start["delete_unused_ms"], "ms"),
        ),
    )
    return rows + [(label, figure, "—", "measured") for label, figure in figures]


async def measure(arguments: argparse.Namespace) -> dict[str, object]:
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="klingel-store-bench-") as temporary:
        work = Path(temporary)
        if not arguments.skip_counts:
            counted = await count_calls(work / "lesson")
            result["calls_per_step"] = {c.label: c.to_dict() for c in counted}
            for c in counted:
                print(f"{c.reads} R {c.writes} W  {c.label}: {', '.join(c.calls)}", file=sys.stderr)
        if not arguments.skip_start:
            result["start"] = await measure_start(work, arguments.runs)
    return result


def main() -> None:
    require_netns()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS, help="starts of each kind")
    parser.add_argument("--skip-counts", action="store_true", help="only the start-up figures")
    parser.add_argument("--skip-start", action="store_true", help="only the store calls per join")
    arguments = parser.parse_args()
    results = asyncio.run(measure(arguments))
    save(NAME, results)
    for row in table_rows(results):
        print(" | ".join(row))


if __name__ == "__main__":
    main()
