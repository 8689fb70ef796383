"""``klingel rooms``: the town's IT makes, lists and deletes standing rooms, while the server
runs or not.

It opens the same room store as ``klingel serve`` (another process on the same SQLite file:
its WAL mode lets both work), so a running server finds a room made here at its next join
(docs/store.md, Changes from outside the server). ``create`` is how a reserved name comes to
stand. The secrets of a new room go to standard output only, once, as links; nothing here
logs them, and ``list`` shows no digest and no setting.

Exit status: 0 done; 1 the room stands already (``create``) or does not (``delete``); 2 a
usage error; 74 the store cannot be used, as for ``klingel serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from klingel.config import (
    add_data_dir_argument,
    add_redis_arguments,
    add_unused_room_days_argument,
    redis_address_from_arguments,
    room_name_argument,
)
from klingel.ids import RoomId
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import SECONDS_PER_DAY, StandingRooms
from klingel.store import StoreError
from klingel.store.redis_store import RedisAddress

__all__ = [
    "EXIT_NO_SUCH_ROOM",
    "EXIT_ROOM_EXISTS",
    "EXIT_STORE_FAILED",
    "add_rooms_arguments",
    "base_url_argument",
    "default_base_url",
    "refusal_of_user",
    "run_on_store",
    "run_on_store_of",
    "run_rooms_command",
    "with_standing_rooms",
]

EXIT_ROOM_EXISTS = 1
EXIT_NO_SUCH_ROOM = 1
EXIT_USAGE = 2
EXIT_STORE_FAILED = 74
"""The room store cannot be opened (sysexits' EX_IOERR): for ``klingel serve`` too, where
starting again does not help, so a supervisor should not (docs/deployment.md)."""
PROGRAM = "klingel rooms"
_TIME_FORMAT = "%Y-%m-%d %H:%M"


def base_url_argument(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        raise argparse.ArgumentTypeError(f"not an http(s) address: {text!r}")
    if parts.fragment or parts.username or parts.password:
        raise argparse.ArgumentTypeError(f"not an http(s) address: {text!r}")
    return text.rstrip("/")


def default_base_url(environ: Mapping[str, str]) -> str:
    """``KLINGEL_BASE_URL``; else the first name the town serves under, with https; else this
    machine's server."""
    if environ.get("KLINGEL_BASE_URL"):
        return environ["KLINGEL_BASE_URL"]
    names = [name.strip() for name in environ.get("KLINGEL_ALLOWED_HOSTS", "").split(",")]
    named = [name for name in names if name]
    if named:
        return f"https://{named[0]}"
    return f"http://localhost:{environ.get('KLINGEL_PORT') or 8080}"


def add_rooms_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """The subcommands of ``klingel rooms``; ``--data-dir`` falls back to ``KLINGEL_DATA_DIR``
    as for ``klingel serve``."""
    actions = parser.add_subparsers(dest="rooms_action", required=True)
    create = actions.add_parser(
        "create",
        help="make a standing room (also of a reserved name) and print its three links",
    )
    create.add_argument(
        "name", type=room_name_argument, help="the room's name; its slug is the room's id"
    )
    add_data_dir_argument(create, environ)
    add_redis_arguments(create, environ)
    create.add_argument(
        "--base-url",
        type=base_url_argument,
        default=default_base_url(environ),
        help="the address citizens open Klingel under, for the links (KLINGEL_BASE_URL; "
        "default: https:// and the first of KLINGEL_ALLOWED_HOSTS)",
    )
    listing = actions.add_parser(
        "list", help="every standing room: id, created, last used, deleted after (UTC)"
    )
    add_data_dir_argument(listing, environ)
    add_redis_arguments(listing, environ)
    add_unused_room_days_argument(listing, environ)
    delete = actions.add_parser("delete", help="delete a standing room and its bans")
    delete.add_argument("room", type=room_name_argument, help="the room's id (or its name)")
    add_data_dir_argument(delete, environ)
    add_redis_arguments(delete, environ)


def run_rooms_command(arguments: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the parsed ``klingel rooms`` subcommand, writing to ``out`` (standard output); the
    exit status."""
    out = out or sys.stdout
    action: Callable[[StandingRooms], Awaitable[int]]
    match arguments.rooms_action:
        case "create":
            action = functools.partial(
                _create, slug=arguments.name, base_url=arguments.base_url, out=out
            )
        case "list":
            action = functools.partial(_list, unused_days=arguments.unused_room_days, out=out)
        case _:
            action = functools.partial(_delete, slug=arguments.room, out=out)
    return run_on_store_of(PROGRAM, arguments, action)


def run_on_store_of(
    program: str,
    arguments: argparse.Namespace,
    action: Callable[[StandingRooms], Awaitable[int]],
) -> int:
    """``run_on_store`` on the store the parsed ``--data-dir`` and ``--redis`` name."""
    try:
        redis = redis_address_from_arguments(arguments)
    except ValueError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return EXIT_USAGE
    return run_on_store(program, arguments.data_dir, action, redis=redis)


def run_on_store(
    program: str,
    data_dir: Path,
    action: Callable[[StandingRooms], Awaitable[int]],
    *,
    redis: RedisAddress | None = None,
) -> int:
    """``action`` on the store of ``data_dir`` (or on ``redis``, with the key of the digests
    in ``data_dir``), as an administrator's command runs it: refused to root in another
    user's data directory, and a store that cannot be used said in one line (a Redis URL
    without its password); the exit status."""
    refusal = refusal_of_user(data_dir)
    if refusal is not None:
        print(f"{program}: {refusal}", file=sys.stderr)
        return EXIT_STORE_FAILED
    try:
        return asyncio.run(with_standing_rooms(data_dir, action, redis=redis))
    except StoreError as error:
        where = f"in {data_dir}" if redis is None else f"at {redis}"
        print(
            f"{program}: the room store {where} cannot be used ({error.code}): {error.message}",
            file=sys.stderr,
        )
        return EXIT_STORE_FAILED


def refusal_of_user(data_dir: Path) -> str | None:
    """root in the server's data directory would leave files the server cannot write (the
    store's journal, a new key): refused, with what to run instead."""
    if os.geteuid() != 0:
        return None
    try:
        owner = data_dir.stat().st_uid
    except OSError:
        return None  # made by this run, as root's: the operator's choice
    if owner == 0:
        return None
    return (
        f"{data_dir} belongs to another user: run this as that user (e.g. sudo -u klingel),"
        " or files made here would keep the server from writing its store"
    )


async def with_standing_rooms(
    data_dir: Path,
    action: Callable[[StandingRooms], Awaitable[int]],
    *,
    redis: RedisAddress | None = None,
) -> int:
    standing = await StandingRooms.open(data_dir, redis=redis)
    try:
        return await action(standing)
    finally:
        await standing.close()


async def _create(standing: StandingRooms, slug: str, base_url: str, out: TextIO) -> int:
    keys = standing.new_keys()
    # A typed name's lobby is on: the name is guessable, as for a room from the start page.
    record = await standing.create(RoomId(slug), keys, RoomSettings(lobby=True))
    if record is None:
        print(f"{PROGRAM}: the room {slug} stands already", file=sys.stderr)
        return EXIT_ROOM_EXISTS
    link = f"{base_url}/r/{slug}"
    out.write(
        f"room:         {slug}\n"
        f"guest link:   {link}\n"
        f"host link:    {link}#host={keys.host}\n"
        f"co-host link: {link}#cohost={keys.cohost}\n"
    )
    return 0


async def _list(standing: StandingRooms, unused_days: int, out: TextIO) -> int:
    rooms = await standing.dates()
    width = max([len("room"), *(len(room.room_id) for room in rooms)])
    out.write(f"{'room':<{width}}  created (UTC)     last used (UTC)   deleted after (UTC)\n")
    for room in rooms:
        expires = room.last_used_at + unused_days * SECONDS_PER_DAY
        out.write(
            f"{room.room_id:<{width}}  {_time(room.created_at)}  {_time(room.last_used_at)}"
            f"  {_time(expires)}\n"
        )
    return 0


async def _delete(standing: StandingRooms, slug: str, out: TextIO) -> int:
    if not await standing.delete(RoomId(slug)):
        print(f"{PROGRAM}: no room {slug} stands", file=sys.stderr)
        return EXIT_NO_SUCH_ROOM
    out.write(f"deleted {slug}\n")
    return 0


def _time(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime(_TIME_FORMAT)
