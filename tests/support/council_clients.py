"""Members of a prepared council in a run of the real server, as raw clients: joining by
their personal links, waiting for the session's state, giving council commands, switching
camera and microphone on. For the tests of sessions over the wire."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from support.councils import PreparedCouncil, prepared_council
from support.recording_client import Client
from support.visits import Visit, visit
from websockets.exceptions import ConnectionClosed

Message = dict[str, Any]
CAMERA_AND_MICROPHONE = [
    {"mid": "0", "kind": "audio", "source": "microphone"},
    {"mid": "1", "kind": "video", "source": "camera"},
]


@contextlib.asynccontextmanager
async def council_visit(data_dir: Path) -> AsyncIterator[tuple[Visit, PreparedCouncil]]:
    """A run of the server on ``data_dir`` with the prepared council in its store."""
    async with visit(data_dir) as run:
        yield run, await prepared_council(data_dir, run.server.url)
        # What nobody read would hold up each socket's closing handshake.
        for client in run.clients:
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                await client.drain()


async def as_member(run: Visit, council: PreparedCouncil, member: str) -> Client:
    client, joined = await run.join("gemeinderat", "Irgendwer", member=council.links[member])
    assert joined["type"] == "joined", joined
    return client


async def state(client: Client, check: Any = None) -> Message:
    """The next ``council_state`` (that satisfies ``check``)."""
    while True:
        message = await client.next_of("council_state")
        if check is None or check(message):
            return message


async def command(client: Client, action: str, **fields: Any) -> None:
    await client.send({"type": "council", "action": action, **fields})


async def on_camera(client: Client) -> None:
    """Publishes camera and microphone and switches both on: counted as present remotely."""
    await client.publish(CAMERA_AND_MICROPHONE)
    await client.send({"type": "media_state", "audio": True, "video": True})
