"""``klingel serve``: the web server, its signaling and the SFU workers in one command.
``klingel turn-config``: the configuration of the coturn relay that runs next to it.
``klingel rooms``: standing rooms for the town's IT (``klingel.room_admin``).
``klingel councils``: councils and committees and their clerk links (``klingel.council_admin``).
``klingel nodes``, ``klingel drain``: the nodes of a town on one Redis (``klingel.node_admin``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp

from klingel.config import (
    Settings,
    TurnConfigRequest,
    add_serve_arguments,
    add_turn_config_arguments,
    settings_from_arguments,
    turn_config_from_arguments,
)
from klingel.council_admin import add_councils_arguments, run_councils_command
from klingel.node_admin import add_drain_arguments, add_nodes_arguments, run_node_command
from klingel.protocol.codec import MAX_FRAME_BYTES
from klingel.room_admin import EXIT_STORE_FAILED, add_rooms_arguments, run_rooms_command
from klingel.rooms.standing import StandingRooms
from klingel.store import StoreError
from klingel.turn.coturn_config import write_coturn_config
from klingel.web.app import create_app
from klingel.web.http_transport import BoundedHttpProtocol
from klingel.web.websocket_transport import SignalingWebSocketProtocol

__all__ = ["EXIT_STORE_FAILED", "WS_MAX_SIZE", "main", "uvicorn_config"]

logger = logging.getLogger(__name__)

WS_MAX_SIZE = MAX_FRAME_BYTES + 4096
"""Frames a little over the protocol's limit still arrive, so the codec can answer
``too_large``; anything bigger is cut off by the WebSocket layer (close 1009)."""
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host = self.config.host
            shown = f"[{host}]" if ":" in host else host
            logger.info("Klingel ready on http://%s:%d", shown, self.config.port)


def configure_logging(level_name: str) -> None:
    level = getattr(logging, level_name.upper())
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr, force=True)
    # uvicorn logs every WebSocket handshake with the client's address at INFO on this
    # logger, and every request on the access logger: addresses are personal data.
    logging.getLogger("uvicorn.error").setLevel(max(level, logging.WARNING))
    logging.getLogger("uvicorn.access").disabled = True


def uvicorn_config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """How uvicorn serves the app. With ``proxy_headers`` the client address, and so every
    per-address limit, is the one the proxy on this host names in ``X-Forwarded-For``."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=settings.proxy_headers,
        forwarded_allow_ips="127.0.0.1" if settings.proxy_headers else None,
        http=BoundedHttpProtocol,
        ws=SignalingWebSocketProtocol,
        ws_max_size=WS_MAX_SIZE,
        lifespan="on",
        server_header=False,
    )


def serve(settings: Settings) -> int:
    """Run the server until it is stopped; the exit status."""
    try:
        standing = asyncio.run(StandingRooms.open(settings.data_dir, redis=settings.redis))
    except StoreError as error:
        # One sentence for the operator, no traceback: the code says what to look at. The
        # Redis URL is shown without its password.
        where = f"in {settings.data_dir}" if settings.redis is None else f"at {settings.redis}"
        print(
            f"klingel serve: the room store {where} cannot be used ({error.code}): {error.message}",
            file=sys.stderr,
        )
        return EXIT_STORE_FAILED
    # Imported here: the pool pulls in the whole SFU, which nothing else of the CLI needs.
    from klingel.sfu.pool import WorkerPool

    app = create_app(settings, WorkerPool(settings.sfu), standing)
    _Server(uvicorn_config(app, settings)).run()
    return 0


def write_turn_config(request: TurnConfigRequest) -> None:
    write_coturn_config(request.coturn, request.output)
    # The path only, never the content: the file holds the secret.
    print(
        f"wrote {request.output} (mode 0600, it holds the TURN secret); see docs/turn.md "
        "for the owner coturn needs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="klingel", description="One-click video rooms on your own server."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the server")
    add_serve_arguments(serve_parser, os.environ)
    turn_parser = commands.add_parser(
        "turn-config", help="write the configuration of the coturn TURN relay"
    )
    add_turn_config_arguments(turn_parser, os.environ)
    rooms_parser = commands.add_parser(
        "rooms", help="make, list or delete standing rooms (also while the server runs)"
    )
    add_rooms_arguments(rooms_parser, os.environ)
    councils_parser = commands.add_parser(
        "councils", help="make a council or committee and its clerk link (docs/council.md)"
    )
    add_councils_arguments(councils_parser, os.environ)
    nodes_parser = commands.add_parser("nodes", help="list the live nodes on the shared Redis")
    add_nodes_arguments(nodes_parser, os.environ)
    drain_parser = commands.add_parser(
        "drain", help="let a node take no new rooms and move its rooms (docs/scaling.md)"
    )
    add_drain_arguments(drain_parser, os.environ)
    arguments = parser.parse_args(argv)
    if arguments.command in ("nodes", "drain"):
        return run_node_command(arguments)
    if arguments.command == "rooms":
        return run_rooms_command(arguments)
    if arguments.command == "councils":
        return run_councils_command(arguments)
    if arguments.command == "turn-config":
        try:
            write_turn_config(turn_config_from_arguments(arguments))
        except (ValueError, OSError) as error:
            turn_parser.error(str(error))
        return 0
    try:
        settings = settings_from_arguments(arguments)
    except ValueError as error:
        serve_parser.error(str(error))
    configure_logging(settings.log_level)
    return serve(settings)
