"""Three Klingel nodes on one real ``redis-server`` (a Unix socket with a password), each a
``klingel serve`` process of its own on loopback (or, with ``own_namespaces``, in a network
namespace of its own on an address of its own: ``support.node_namespaces``), sharing the key
of the store's digests; and the signaling sockets and metrics the node tests read."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.node_namespaces import NodeNamespace, bridge, node_address
from support.redis_server import RedisServer, running_redis
from websockets.asyncio.client import ClientConnection, connect

from klingel_bots.metrics import parse_metrics, sum_metric
from klingel_bots.server_process import ServerProcess

__all__ = ["NODE_IDS", "NodeCluster", "join", "next_of", "running_cluster"]

NODE_IDS = ("a", "b", "c")
"""A room goes to the least-loaded node; among equals, to the first of these."""
NODE_ADDRESSES = tuple(node_address(index) for index in range(len(NODE_IDS)))
"""The nodes' addresses when each has a network namespace of its own."""


@dataclass
class NodeCluster:
    redis: RedisServer
    nodes: dict[str, ServerProcess]
    password_file: Path

    def redis_arguments(self) -> list[str]:
        return ["--redis", self.redis.bare_url, "--redis-password-file", str(self.password_file)]

    def rooms_on(self, node_id: str) -> tuple[int, int]:
        """The rooms in use and participants a node holds (its ``/metrics``)."""
        samples = parse_metrics(self.nodes[node_id].get_text("/metrics"))
        rooms = sum_metric(samples, "klingel_rooms")
        people = sum_metric(samples, "klingel_participants")
        return int(rooms), int(people)

    def holder(self) -> str | None:
        """The one live node that holds a room, if exactly one does."""
        holding = [
            node_id
            for node_id, node in self.nodes.items()
            if node.is_running() and self.rooms_on(node_id)[0] > 0
        ]
        return holding[0] if len(holding) == 1 else None

    def admin(self, *words: str) -> subprocess.CompletedProcess[str]:
        """``klingel WORDS --redis ...`` (``nodes``, ``drain``)."""
        return subprocess.run(
            [sys.executable, "-m", "klingel", *words, *self.redis_arguments()],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- node {node_id}:\n{node.log_tail(60)}" for node_id, node in self.nodes.items()
        )


@contextlib.contextmanager
def running_cluster(
    log_dir: Path,
    *,
    workers: int = 1,
    extra_args: tuple[str, ...] = (),
    own_namespaces: bool = False,
) -> Iterator[NodeCluster]:
    """The three nodes, started one after the other and stopped after; ``extra_args`` go to
    each ``klingel serve``."""
    with contextlib.ExitStack() as stack:
        if own_namespaces:
            stack.enter_context(bridge())
        redis = stack.enter_context(contextlib.contextmanager(running_redis)())
        shared = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="klingel-nodes-")))
        password_file = shared / "redis-password"
        password_file.write_text(redis.password + "\n")
        password_file.chmod(0o600)
        cluster = NodeCluster(redis, {}, password_file)
        for index, node_id in enumerate(NODE_IDS):
            node = ServerProcess(
                log_path=log_dir / f"node-{node_id}.log",
                workers=workers,
                data_dir=shared / "data",  # one key of the digests for all: as docs/scaling.md
                node_id=node_id,
                extra_args=(*cluster.redis_arguments(), *extra_args),
            )
            if own_namespaces:
                namespace = NodeNamespace(index)
                node.host = node.announce_ip = namespace.address
                node.launcher, node.on_spawn = namespace.hooks
                # pages of any node's address may drive any node (one host name, in a town)
                node.extra_args += ("--allowed-hosts", ",".join(NODE_ADDRESSES))
            node.start()
            stack.callback(node.stop)
            cluster.nodes[node_id] = node
        yield cluster


async def join(node: ServerProcess, room: str, name: str, **fields: Any) -> ClientConnection:
    """A signaling socket to ``node`` that has sent its ``join``."""
    socket = await connect(node.base_url.replace("http", "ws") + "/ws", max_size=2**22)
    await socket.send(json.dumps({"type": "join", "v": 1, "room": room, "name": name, **fields}))
    return socket


async def next_of(socket: ClientConnection, kind: str, timeout: float = 15.0) -> dict[str, Any]:
    """The next message of ``kind``, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if message["type"] == kind:
                return message
