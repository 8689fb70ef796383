"""The room store on a real ``redis-server`` that takes clients only with TLS and a password:
``rediss://127.0.0.1:PORT/0?ssl_ca_certs=CA`` with a throwaway CA and a certificate for
127.0.0.1, as docs/store.md (Running Redis for Klingel) tells operators to set it up."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.redis_server import RedisServer, make_tls_files, running_redis
from support.standing_rooms import standing_room

from klingel.ids import RoomId
from klingel.room_admin import EXIT_STORE_FAILED
from klingel.store import StoreError, StoreErrorCode
from klingel.store.redis_store import RedisAddress, RedisRoomStore
from klingel_bots.server_process import ServerProcess, free_tcp_port, free_udp_port_range

ROOM = RoomId("stadtrat-tls")
REFUSED_CERTIFICATE = (
    "The TLS certificate of the room store's Redis was not accepted (not signed by a trusted"
    " CA, not for the URL's host, or expired)."
)


@pytest.fixture
def tls_redis() -> Iterator[RedisServer]:
    yield from running_redis(tls=True)


def password_file(redis_server: RedisServer, directory: Path) -> Path:
    path = directory / "redis-password"
    path.write_text(redis_server.password + "\n")
    path.chmod(0o600)
    return path


async def refusal(url: str) -> StoreError:
    with pytest.raises(StoreError) as caught:
        await RedisRoomStore.open(RedisAddress(url))
    return caught.value


async def test_the_store_opens_over_tls_with_the_password_and_the_ca(
    tls_redis: RedisServer,
) -> None:
    store = await RedisRoomStore.open(RedisAddress(tls_redis.tls_url()))
    try:
        assert await store.create(standing_room(ROOM))
        assert await store.get(ROOM) == standing_room(ROOM)
    finally:
        await store.close()
    # It is this Redis that holds the room (read over its Unix socket, without TLS).
    beside = await RedisRoomStore.open(tls_redis.address())
    try:
        assert await beside.get(ROOM) == standing_room(ROOM)
    finally:
        await beside.close()


async def test_the_tls_port_takes_neither_plain_redis_nor_a_client_without_the_password(
    tls_redis: RedisServer,
) -> None:
    plain = await refusal(tls_redis.tls_url().replace("rediss://", "redis://", 1).split("?")[0])
    assert plain.code is StoreErrorCode.UNAVAILABLE
    no_password = await refusal(tls_redis.tls_url(with_password=False))
    assert no_password.code is StoreErrorCode.UNAVAILABLE
    assert no_password.message == "Redis refused the password of the room store."


async def test_a_certificate_of_another_ca_is_refused_without_showing_the_password(
    tls_redis: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other_ca = make_tls_files(tmp_path / "other", "Another").ca
    url = tls_redis.tls_url(ca=other_ca)
    error = await refusal(url)
    assert error.code is StoreErrorCode.UNAVAILABLE
    assert error.message == REFUSED_CERTIFICATE
    assert error.__cause__ is None  # the store's error, not redis-py's with the URL in it
    captured = capsys.readouterr()
    for shown in (str(error), repr(error), repr(RedisAddress(url)), captured.out, captured.err):
        assert tls_redis.password not in shown


async def test_the_certificate_must_name_the_host_of_the_url(tls_redis: RedisServer) -> None:
    """The certificate is for the address 127.0.0.1 alone: reached as ``localhost``, the
    same server, CA and certificate are refused (redis-py checks the host name)."""
    error = await refusal(tls_redis.tls_url().replace("127.0.0.1", "localhost", 1))
    assert (error.code, error.message) == (StoreErrorCode.UNAVAILABLE, REFUSED_CERTIFICATE)


async def test_klingel_serve_keeps_its_rooms_in_a_redis_over_tls(
    tls_redis: RedisServer, tmp_path: Path
) -> None:
    extra = (
        "--redis",
        tls_redis.tls_url(with_password=False),
        "--redis-password-file",
        str(password_file(tls_redis, tmp_path)),
    )
    with ServerProcess(log_path=tmp_path / "klingel.log", workers=1, extra_args=extra) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            answer = await http.post("/api/rooms", json={"name": "Stadtrat"})
            assert answer.status_code == 200, answer.text
            created = answer.json()
            assert (await http.get("/healthz")).json()["status"] == "ok"
        assert server.is_running()
    beside = await RedisRoomStore.open(tls_redis.address())
    try:
        stored = await beside.get(RoomId(created["room"]))
    finally:
        await beside.close()
    assert stored is not None
    assert tls_redis.password not in (tmp_path / "klingel.log").read_text()


def test_klingel_serve_with_a_wrong_ca_stops_with_one_line(
    tls_redis: RedisServer, tmp_path: Path
) -> None:
    other_ca = make_tls_files(tmp_path / "other", "Another").ca
    server = ServerProcess(
        log_path=tmp_path / "klingel.log",
        data_dir=tmp_path / "data",
        extra_args=(
            "--redis",
            tls_redis.tls_url(ca=other_ca, with_password=False),
            "--redis-password-file",
            str(password_file(tls_redis, tmp_path)),
        ),
    )
    server.port = free_tcp_port()
    server.udp_ports = free_udp_port_range(4)
    finished = subprocess.run(server.command(), capture_output=True, text=True, timeout=60)
    assert finished.returncode == EXIT_STORE_FAILED
    assert "Traceback" not in finished.stderr
    assert finished.stderr.strip().splitlines()[-1:] == [
        f"klingel serve: the room store at rediss://127.0.0.1:{tls_redis.tls_port}/0 cannot be"
        f" used (store_unavailable): {REFUSED_CERTIFICATE}"
    ]
    assert tls_redis.password not in finished.stderr + finished.stdout
