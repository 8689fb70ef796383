"""Nothing a person typed reaches the disk or the log, but the room's id in the room store.

A session full of unique marker strings (room name, display names, chat, password, a host's
message to a denied guest) runs against a real ``python -m klingel serve`` with its SFU workers
and a publishing participant, started in an empty working directory with its own ``HOME`` and
``TMPDIR``. Afterwards the server's log output and every file written anywhere under those
directories, its data directory, ``/tmp``, ``/var/tmp`` and ``/dev/shm`` during the session are
searched for the markers: zero hits, and the server's own directories stay empty. The one
exception is by design (docs/store.md): the room store keeps the id of the standing room, the
slug of its typed name, which is its link; nothing else of the session.

Run inside the isolated namespace:
``scripts/netns-run .venv/bin/pytest tests/integration/test_privacy_canary.py``.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from klingel.protocol.moderation import Waiting
from klingel.protocol.polls import PollClose, PollStart
from klingel_bots.browser import wait_until
from klingel_bots.client import ProtocolClient
from klingel_bots.server_process import ServerProcess

Message = dict[str, Any]
SHARED_PLACES = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
LARGEST_FILE_READ = 64 * 1024 * 1024


def files_changed_since(roots: tuple[Path, ...], since: float) -> Iterator[Path]:
    for root in roots:
        for directory, _subdirectories, names in os.walk(root, onerror=lambda _error: None):
            for name in names:
                path = Path(directory) / name
                try:
                    status = path.lstat()
                except OSError:
                    continue
                if path.is_file() and not path.is_symlink() and status.st_mtime >= since:
                    yield path


def holders_of(markers: list[bytes], paths: Iterator[Path]) -> list[str]:
    found = []
    for path in paths:
        try:
            if path.stat().st_size > LARGEST_FILE_READ:
                continue
            content = path.read_bytes()
        except OSError:
            continue
        found.extend(f"{path}: {marker.decode()}" for marker in markers if marker in content)
    return found


async def receive_until(socket: ClientConnection, kind: str) -> Message:
    while True:
        message: Message = json.loads(await socket.recv())
        if message["type"] == kind:
            return message


async def test_markers_reach_neither_the_log_nor_any_file(tmp_path: Path, test_media: Path) -> None:
    home, temporary, workdir = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for directory in (home, temporary, workdir):
        directory.mkdir()
    log_path = tmp_path / "log" / "server.log"
    data_dir = tmp_path / "data"
    server = ServerProcess(
        log_path,
        cwd=workdir,
        data_dir=data_dir,
        env={"HOME": str(home), "TMPDIR": str(temporary), "KLINGEL_LOG_LEVEL": "info"},
    )
    marker = uuid.uuid4().hex
    started = time.time() - 1.0  # file times are coarse on some file systems
    server.start()
    try:
        base = server.base_url
        async with httpx.AsyncClient(base_url=base) as http:
            created = (await http.post("/api/rooms", json={"name": f"Klasse {marker}"})).json()
        room = created["room"]
        assert marker in room

        host = ProtocolClient(base, room, f"Lehrerin{marker}")
        await host.join(host_secret=created["hostSecret"])
        await host.set_password(f"Geheim{marker}")
        await host.chat(f"Hausaufgaben {marker} https://example.invalid/{marker}")

        pupil = ProtocolClient(base, room, f"Schüler{marker}")
        # a room made with a name starts with its lobby on
        assert isinstance(await pupil.join(password=f"Geheim{marker}"), Waiting)
        await host.admit((await host.wait_lobby(1))[0].id)
        await pupil.wait_admitted()
        await pupil.publish_file(test_media)
        await wait_until(lambda: len(host.others_streams()) == 2, message="the pupil's streams")
        await host.wait_receiving(list(host.others_streams()), timeout=30)
        await pupil.chat(f"Frage {marker}")
        question = f"Umfrage {marker}"
        await host.send(PollStart(question, (f"Ja {marker}", "Nein"), False, False, "live"))
        await host.send(PollClose(id="p-00000000"))  # refused: nothing of it is logged either

        async with connect(base.replace("http", "ws") + "/ws", origin=Origin(base)) as denied:
            await denied.send(
                json.dumps(
                    {
                        "type": "join",
                        "v": 1,
                        "room": room,
                        "name": f"Fremd{marker}",
                        "password": f"Geheim{marker}",
                    }
                )
            )
            await receive_until(denied, "waiting")
            rings = await host.wait_lobby(1)
            await host.deny(rings[0].id, f"Nein {marker}")
            assert (await receive_until(denied, "denied"))["message"] == f"Nein {marker}"

        for client in (pupil, host):
            await client.leave()
            await client.close()
    finally:
        server.stop()

    markers = [marker.encode(), marker[:16].encode()]
    log = log_path.read_bytes()
    assert b"Klingel ready" in log  # the log was captured at all
    assert [m for m in markers if m in log] == []
    assert sorted(p.name for p in workdir.rglob("*")) == []
    written = files_changed_since((home, temporary, *SHARED_PLACES), started)
    own_files = {log_path, test_media}
    others = (p for p in written if p not in own_files and data_dir not in p.parents)
    assert holders_of(markers, others) == []
    # The room store: the standing room's id, and not one more byte of the session.
    stored = b"".join(path.read_bytes() for path in sorted(data_dir.iterdir()))
    assert room.encode() in stored
    assert [m for m in markers if m in stored.replace(room.encode(), b"")] == []
