"""``klingel councils``: the town's IT makes a council or committee, hands its clerk the
clerk link, renews that link when it is lost, and deletes a body (``docs/council.md``).

A body's sessions run in the standing room of the same id, made here with it (lobby on, as
for every typed name). Like ``klingel rooms``, this opens the server's store beside a running
server, and secrets go to standard output only, once, as links.

Exit status: 0 done; 1 the id is taken (``create``) or there is no such body; 2 a usage
error or a value the council rules refuse; 74 the store cannot be used.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TextIO, get_args

from klingel.config import add_data_dir_argument, add_redis_arguments, room_name_argument
from klingel.ids import RoomId
from klingel.room_admin import (
    base_url_argument,
    default_base_url,
    run_on_store_of,
)
from klingel.rooms.council.errors import CouncilError
from klingel.rooms.council.roster import MAX_LEGAL_SIZE, QuorumRule
from klingel.rooms.settings import RoomSettings
from klingel.rooms.standing import StandingRooms

__all__ = ["add_councils_arguments", "run_councils_command"]

EXIT_TAKEN_OR_MISSING = 1
EXIT_REFUSED = 2
_PROGRAM = "klingel councils"


def _seats(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_LEGAL_SIZE:
        raise argparse.ArgumentTypeError(f"a body has 1 to {MAX_LEGAL_SIZE} seats")
    return value


def add_councils_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    actions = parser.add_subparsers(dest="councils_action", required=True)
    create = actions.add_parser(
        "create", help="make a council or committee and its room, and print the clerk link"
    )
    create.add_argument(
        "id", type=room_name_argument, help="short id, also the name of the session room"
    )
    create.add_argument("--name", required=True, help='the body\'s name, e.g. "Gemeinderat"')
    create.add_argument(
        "--seats",
        type=_seats,
        required=True,
        help="the legal number of members (gesetzliche Mitgliederzahl), chair included",
    )
    create.add_argument(
        "--quorum",
        choices=get_args(QuorumRule),
        default="at_least_half",
        help="at_least_half (e.g. BW GemO § 37) or more_than_half (e.g. NRW GO § 49)",
    )
    clerk = actions.add_parser(
        "clerk-link", help="a new clerk link for a body; the old one ends at once"
    )
    clerk.add_argument("id", type=room_name_argument)
    delete = actions.add_parser(
        "delete", help="delete a body with its roster, sessions and member links"
    )
    delete.add_argument("id", type=room_name_argument)
    for action in (create, clerk, delete):
        add_data_dir_argument(action, environ)
        add_redis_arguments(action, environ)
    for action in (create, clerk):
        action.add_argument(
            "--base-url",
            type=base_url_argument,
            default=default_base_url(environ),
            help="the address citizens open Klingel under, for the links (KLINGEL_BASE_URL)",
        )


def run_councils_command(arguments: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    action: Callable[[StandingRooms], Awaitable[int]]
    match arguments.councils_action:
        case "create":
            action = functools.partial(_create, arguments=arguments, out=out)
        case "clerk-link":
            action = functools.partial(
                _clerk_link, body_id=arguments.id, base_url=arguments.base_url, out=out
            )
        case _:
            action = functools.partial(_delete, body_id=arguments.id, out=out)
    return run_on_store_of(_PROGRAM, arguments, action)


def _clerk_url(base_url: str, body_id: str, secret: str) -> str:
    return f"{base_url}/rat/{body_id}#clerk={secret}"


async def _create(standing: StandingRooms, arguments: argparse.Namespace, out: TextIO) -> int:
    body_id: str = arguments.id
    try:
        made = await standing.councils.create(
            body_id, arguments.name, arguments.seats, arguments.quorum
        )
    except CouncilError as error:
        print(f"{_PROGRAM}: {error.message}", file=sys.stderr)
        return EXIT_REFUSED
    if made is None:
        print(f"{_PROGRAM}: the body {body_id} exists already", file=sys.stderr)
        return EXIT_TAKEN_OR_MISSING
    keys = standing.new_keys()
    room = await standing.create(RoomId(body_id), keys, RoomSettings(lobby=True))
    room_note = "made" if room is not None else "stood already; its links are unchanged"
    base_url: str = arguments.base_url
    out.write(
        f"body:        {body_id}\n"
        f"clerk link:  {_clerk_url(base_url, body_id, made.clerk_secret)}\n"
        f"room:        {base_url}/r/{body_id} ({room_note})\n"
    )
    if room is not None:
        # For the town's IT only: the chair leads by their member link.
        out.write(f"host link:   {base_url}/r/{body_id}#host={keys.host}\n")
    return 0


async def _clerk_link(standing: StandingRooms, body_id: str, base_url: str, out: TextIO) -> int:
    secret = await standing.councils.renew_clerk_secret(body_id)
    if secret is None:
        print(f"{_PROGRAM}: there is no body {body_id}", file=sys.stderr)
        return EXIT_TAKEN_OR_MISSING
    out.write(f"clerk link:  {_clerk_url(base_url, body_id, secret)}\n")
    return 0


async def _delete(standing: StandingRooms, body_id: str, out: TextIO) -> int:
    if not await standing.councils.delete(body_id):
        print(f"{_PROGRAM}: there is no body {body_id}", file=sys.stderr)
        return EXIT_TAKEN_OR_MISSING
    out.write(f"deleted {body_id} (its room stands until deleted with klingel rooms delete)\n")
    return 0
