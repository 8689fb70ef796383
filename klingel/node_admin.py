"""``klingel nodes``: the live nodes of a town's service on one Redis, with their load.
``klingel drain NODE``: that node takes no new rooms; each of its rooms moves at a quiet moment
(nobody speaking, no broadcast, no council session running) or when its last participant has
left, or all at once with ``--now`` but for running council sessions (their pages join again
on other nodes)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from typing import TextIO

from klingel.cluster.directory import NodeDirectory
from klingel.config import add_redis_arguments, redis_address_from_arguments
from klingel.room_admin import EXIT_STORE_FAILED
from klingel.store import StoreError
from klingel.store.redis_store import RedisAddress, RedisRoomStore

__all__ = ["EXIT_NO_SUCH_NODE", "add_drain_arguments", "add_nodes_arguments", "run_node_command"]

EXIT_NO_SUCH_NODE = 3


def add_nodes_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    add_redis_arguments(parser, environ)


def add_drain_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument("node", metavar="NODE", help="the node's name (--node-id)")
    parser.add_argument(
        "--now",
        action="store_true",
        help="move its rooms at once (each page joins again on another node within seconds)",
    )
    add_redis_arguments(parser, environ)


def run_node_command(arguments: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        address = redis_address_from_arguments(arguments)
    except ValueError as error:
        print(f"klingel {arguments.command}: {error}", file=sys.stderr)
        return 2
    if address is None:
        print(
            f"klingel {arguments.command}: the nodes share a Redis: give --redis", file=sys.stderr
        )
        return 2
    try:
        return asyncio.run(_run(arguments, address, out))
    except StoreError as error:
        print(
            f"klingel {arguments.command}: the Redis at {address} cannot be used "
            f"({error.code}): {error.message}",
            file=sys.stderr,
        )
        return EXIT_STORE_FAILED


async def _run(arguments: argparse.Namespace, address: RedisAddress, out: TextIO) -> int:
    store = await RedisRoomStore.open(address)
    try:
        directory = NodeDirectory(store)
        if arguments.command == "drain":
            if not await directory.drain(arguments.node, now=arguments.now):
                print(f"klingel drain: no live node is called {arguments.node}", file=sys.stderr)
                return EXIT_NO_SUCH_NODE
            when = "now" if arguments.now else "at quiet moments"
            print(
                f"{arguments.node} drains: it takes no new rooms; its rooms move {when}", file=out
            )
            return 0
        for node in await directory.nodes():
            state = "draining" if node.draining else "open"
            print(f"{node.node_id}\t{node.url}\tload {node.load}\t{state}", file=out)
        return 0
    finally:
        await store.close()
