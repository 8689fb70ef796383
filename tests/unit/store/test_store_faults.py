"""The store's files and what goes wrong with them: modes, a full disk, a read-only data
directory, a damaged file, a file from a newer version. All on real files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.standing_rooms import standing_room

import klingel
from klingel.ids import RoomId
from klingel.store import SecretDigester, SqliteRoomStore, StoreError, StoreErrorCode

DATABASE = "rooms.sqlite3"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that takes nothing away: the modes seen are the ones the store asked for."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
async def test_the_data_directory_and_every_file_in_it_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "town" / "data"
    SecretDigester.open(data_dir)
    store = await SqliteRoomStore.open(data_dir)
    try:
        await store.create(standing_room())
        files = {path.name: mode(path) for path in data_dir.iterdir()}
    finally:
        await store.close()
    assert mode(data_dir) == 0o700
    # The journal files exist while the store is open and take the database file's mode.
    assert files == {
        "store.key": 0o600,
        DATABASE: 0o600,
        f"{DATABASE}-wal": 0o600,
        f"{DATABASE}-shm": 0o600,
    }


async def test_an_existing_data_directory_keeps_its_mode_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o750)
    os.chmod(data_dir, 0o750)
    store = await SqliteRoomStore.open(data_dir)
    await store.close()
    assert mode(data_dir) == 0o750
    assert "may be read by other users" in caplog.text


async def test_a_full_store_refuses_new_rooms_and_keeps_the_ones_before(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path, max_pages=12)
    created: list[RoomId] = []
    with pytest.raises(StoreError) as caught:
        for n in range(5_000):
            room = standing_room(f"room-{n}")
            await store.create(room)
            created.append(room.room_id)
    assert caught.value.code is StoreErrorCode.FULL
    assert len(created) > 50, len(created)
    assert await store.count() == len(created)
    assert await store.get(created[-1]) == standing_room(created[-1])
    await store.close()

    reopened = await SqliteRoomStore.open(tmp_path)
    try:
        assert await reopened.count() == len(created)
        assert await reopened.create(standing_room("without-the-cap"))
        for room_id in created:
            assert await reopened.get(room_id) == standing_room(room_id)
    finally:
        await reopened.close()


async def test_a_file_that_is_no_database_is_refused_as_corrupt(tmp_path: Path) -> None:
    (tmp_path / DATABASE).write_bytes(b"these are not the rooms you are looking for\n" * 100)
    with pytest.raises(StoreError) as caught:
        await SqliteRoomStore.open(tmp_path)
    assert caught.value.code is StoreErrorCode.CORRUPT
    assert str(tmp_path) not in caught.value.message


async def test_a_damaged_database_is_refused_as_corrupt_at_open(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path)
    for n in range(200):
        await store.create(standing_room(f"room-{n}"))
    await store.close()
    with (tmp_path / DATABASE).open("r+b") as file:
        file.seek(4096)  # the second page: past the header, into the tables
        file.write(b"\xa5" * 8192)
    with pytest.raises(StoreError) as caught:
        await SqliteRoomStore.open(tmp_path)
    assert caught.value.code is StoreErrorCode.CORRUPT


async def test_a_store_of_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    store = await SqliteRoomStore.open(tmp_path)
    await store.create(standing_room())
    await store.close()
    with sqlite3.connect(tmp_path / DATABASE) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(StoreError) as caught:
        await SqliteRoomStore.open(tmp_path)
    assert caught.value.code is StoreErrorCode.UNAVAILABLE
    assert "newer version" in caught.value.message
    connection = sqlite3.connect(tmp_path / DATABASE)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (99,)
        assert connection.execute("SELECT count(*) FROM rooms").fetchone() == (1,)
    finally:
        connection.close()


# A read-only data directory needs a process that file modes bind: root (or a process with
# CAP_DAC_OVERRIDE) writes through mode 0500. So the store is opened in a child process; run
# by root, the child runs without those capabilities (setpriv), where that can be done.
_OPEN_IN_CHILD = """
import asyncio, os, sys
from pathlib import Path
from klingel.store import SecretDigester, SqliteRoomStore, StoreError

data_dir, guarded, what = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if os.access(guarded, os.W_OK):
    print("writable")
    sys.exit()

async def main():
    try:
        if what == "key":
            SecretDigester.open(data_dir)
        else:
            store = await SqliteRoomStore.open(data_dir)
            await store.close()
    except StoreError as error:
        print(error.code)
    else:
        print("opened")

asyncio.run(main())
"""


def open_where_modes_bind(data_dir: Path, guarded: Path, what: str) -> str:
    """How opening the store (``what``: "store" or "key") ends in a process that cannot write
    ``guarded``; skips the test where no such process can be made."""
    command = [sys.executable, "-c", _OPEN_IN_CHILD, str(data_dir), str(guarded), what]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, which writes through mode 0500, and no setpriv here")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    environment = {**os.environ, "PYTHONPATH": str(Path(klingel.__file__).parents[1])}
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot start a process that file modes bind: {result.stderr.strip()}")
    answer = result.stdout.strip()
    if answer == "writable":
        pytest.skip("this process writes through mode 0500 (root or CAP_DAC_OVERRIDE)")
    return answer


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Paths made read-only by the test, writable again afterwards (for the clean-up)."""
    paths: list[Path] = []
    try:
        yield paths
    finally:
        for path in paths:
            os.chmod(path, 0o700)


def test_a_fresh_read_only_data_directory_is_refused(tmp_path: Path, read_only: list[Path]) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    os.chmod(data_dir, 0o500)
    read_only.append(data_dir)
    assert open_where_modes_bind(data_dir, data_dir, "store") == "store_read_only"
    assert open_where_modes_bind(data_dir, data_dir, "key") == "store_read_only"
    assert list(data_dir.iterdir()) == []


async def test_a_store_whose_directory_became_read_only_is_refused(
    tmp_path: Path, read_only: list[Path]
) -> None:
    store = await SqliteRoomStore.open(tmp_path / "data")
    await store.create(standing_room())
    await store.close()
    os.chmod(tmp_path / "data", 0o500)
    read_only.append(tmp_path / "data")
    assert open_where_modes_bind(tmp_path / "data", tmp_path / "data", "store") == "store_read_only"


async def test_a_store_file_that_cannot_be_written_is_refused_at_open(
    tmp_path: Path, read_only: list[Path]
) -> None:
    """SQLite opens such a file for reading without a word; the store finds out at open."""
    store = await SqliteRoomStore.open(tmp_path)
    await store.create(standing_room())
    await store.close()
    database = tmp_path / DATABASE
    os.chmod(database, 0o400)
    read_only.append(database)
    assert open_where_modes_bind(tmp_path, database, "store") == "store_read_only"
