"""Public rooms for the tests of broadcasting (docs/public-viewing.md): a hosted room with its
lobby off, made public, viewers by its key, and the broadcast states its people hear."""

from __future__ import annotations

from collections.abc import Callable

from support.recording_client import Client
from support.visits import Message, Visit, created_with_host
from websockets.asyncio.client import connect


async def state_until(client: Client, check: Callable[[Message], bool]) -> Message:
    """The next ``broadcast_state`` that passes ``check`` (those before it are passed over; a
    state that never comes fails on the client's receive timeout)."""
    while not check(state := await client.next_of("broadcast_state")):
        pass
    return state


async def hosted(run: Visit, name: str, host_name: str) -> tuple[Message, Client]:
    """A room made on the start page (lobby on), its host in it, the lobby switched off."""
    created, host = await created_with_host(run, name, host_name)
    await host.send({"type": "room_settings", "lobby": False})
    await host.next_of("room_updated")
    return created, host


async def public_room(run: Visit, name: str) -> tuple[Message, Client, str]:
    """A hosted room made public: the viewer key its host learns."""
    created, host = await hosted(run, name, "Bürgermeisterin")
    await host.send({"type": "broadcast", "action": "start"})
    state = await host.next_of("broadcast_state")
    return created, host, str(state["viewerKey"])


async def viewer(run: Visit, key: str) -> tuple[Client, Message]:
    """A viewer's socket that sent ``watch``, and the first answer."""
    socket = await connect(run.server.url.replace("http", "ws") + "/ws")
    client = Client(socket)
    run.clients.append(client)
    await client.send({"type": "watch", "v": 1, "key": key})
    return client, await client.receive()
