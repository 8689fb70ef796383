"""The web edge as an outsider meets it: origins, host names, redirects and room creation,
against a real ``klingel serve`` on loopback with its log in a file."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from klingel.brands import load_brands
from klingel.config import Settings
from klingel.rooms.registry import MAX_RESERVATIONS_PER_ADDRESS
from klingel_bots.server_process import ServerProcess

TOWN = "klingel.example.de"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log_path = tmp_path_factory.mktemp("edge") / "klingel.log"
    process = ServerProcess(
        log_path=log_path,
        workers=1,
        metrics=False,
        extra_args=("--allowed-hosts", f"{TOWN},bühl.example", "--max-rooms", "3"),
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def handshake(server: ServerProcess, headers: dict[str, str]) -> int:
    """The HTTP status of a WebSocket handshake on ``/ws`` with these headers, sent as given."""
    lines = [
        "GET /ws HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_a_malformed_origin_gets_400_and_the_log_one_short_line(edge: ServerProcess) -> None:
    before = edge.log_path.read_text(encoding="utf-8", errors="replace")
    host = f"127.0.0.1:{edge.port}"
    for origin in ["http://[", "http://[::1", "http://a:99999", "ht tp://x", "http://é.de"] * 40:
        assert handshake(edge, {"Host": host, "Origin": origin}) == 400
    added = edge.log_path.read_text(encoding="utf-8", errors="replace")[len(before) :]
    assert "Traceback" not in added
    assert len(added.splitlines()) <= 2, added
    assert all(len(line) < 200 for line in added.splitlines())
    # The server still answers everyone else.
    assert handshake(edge, {"Host": host, "Origin": f"http://{host}"}) == 101


def test_only_pages_of_the_served_hosts_may_use_the_socket(edge: ServerProcess) -> None:
    rebinding = {"Host": "evil.example", "Origin": "http://evil.example"}
    assert handshake(edge, rebinding) == 403
    assert handshake(edge, {"Host": TOWN, "Origin": f"https://{TOWN}"}) == 101
    assert (
        handshake(edge, {"Host": "xn--bhl-hoa.example", "Origin": "https://xn--bhl-hoa.example"})
        == 101
    )
    assert (
        handshake(edge, {"Host": f"localhost:{edge.port}", "Origin": "http://localhost:8080"})
        == 101
    )
    assert handshake(edge, {"Host": TOWN, "Origin": "null"}) == 403
    assert handshake(edge, {"Host": TOWN}) == 101  # no browser: no page can be behind it


async def test_rooms_are_created_only_by_pages_of_ours_and_only_as_json(
    edge: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as http:
        rebinding = {"host": "evil.example", "origin": "http://evil.example", **JSON}
        refused = await http.post("/api/rooms", json={}, headers=rebinding)
        assert (refused.status_code, refused.json()) == (403, {"error": "foreign_origin"})
        # What a foreign page can send without a preflight: a form or a no-cors fetch.
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"origin": f"http://127.0.0.1:{edge.port}"}
            if content_type:
                headers["content-type"] = content_type
            simple = await http.post("/api/rooms", content=b'{"name": "Rathaus"}', headers=headers)
            assert (simple.status_code, simple.json()) == (415, {"error": "not_json"})
        malformed = await http.post("/api/rooms", json={}, headers={"origin": "http://["})
        assert (malformed.status_code, malformed.json()) == (400, {"error": "bad_origin"})
        ours = await http.post(
            "/api/rooms",
            json={"name": "Rathaus"},
            headers={"host": TOWN, "origin": f"https://{TOWN}"},
        )
        assert ours.status_code == 200 and ours.json()["room"] == "rathaus"


async def test_redirects_stay_on_this_server(edge: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as http:
        for path in (
            "/static",
            "/help/",
            "/r/elternabend/",
            "/r/Elternabend-3b",
            "/leichte-sprache",
            "//evil.example/",
            "/\\evil.example/",
        ):
            answer = await http.get(path, headers={"host": "evil.example"})
            if answer.status_code in (301, 302, 307, 308):
                location = answer.headers["location"]
                assert location.startswith("/") and not location.startswith(("//", "/\\"))
                assert "evil.example" not in location.split("/")[1:2]
                assert "://" not in location
        assert (await http.get("/static", headers={"host": "evil.example"})).status_code in (
            301,
            302,
            307,
            308,
        )


async def test_room_paths_are_taken_as_typed_and_unknown_paths_get_the_404_page(
    edge: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=edge.base_url) as http:
        for typed in ("/r/Elternabend-3b", "/r/elternabend%203b", "/r/ELTERNABEND_3B"):
            answer = await http.get(f"{typed}?x=1", headers={"host": "evil.example"})
            assert answer.status_code == 307, typed
            assert answer.headers["location"] == "/r/elternabend-3b?x=1"
        room = await http.get("/r/Elternabend-3b", follow_redirects=True)
        assert room.status_code == 200 and room.url.path == "/r/elternabend-3b"
        for path in ("/nowhere", "/r/%21%21%21"):
            missing = await http.get(path)
            assert missing.status_code == 404
            assert missing.headers["content-type"].startswith("text/html")
            assert '<html lang="de">' in missing.text and "Seite nicht gefunden" in missing.text
            assert "script-src 'self'" in missing.headers["content-security-policy"]
        api = await http.get("/api/nowhere")
        assert (api.status_code, api.json()) == (404, {"error": "not_found"})


async def test_one_address_cannot_fill_the_server_with_reservations(edge: ServerProcess) -> None:
    """``--max-rooms 3``: one address creates rooms until refused; others still meet."""
    flooder = httpx.AsyncHTTPTransport(local_address="127.0.0.5")
    async with httpx.AsyncClient(base_url=edge.base_url, transport=flooder) as http:
        codes = []
        for _ in range(MAX_RESERVATIONS_PER_ADDRESS + 2):
            answer = await http.post("/api/rooms", json={})
            codes.append(answer.json().get("error", "created"))
            if answer.status_code == 429 and codes[-1] == "rate_limited":
                await asyncio.sleep(1.1)
                codes[-1] = (await http.post("/api/rooms", json={})).json().get("error", "created")
    assert codes.count("created") == MAX_RESERVATIONS_PER_ADDRESS, codes
    assert codes[-1] == "too_many_rooms"

    # Another address creates a room and meets in it; a room joined by its name opens too.
    other = httpx.AsyncHTTPTransport(local_address="127.0.0.6")
    async with httpx.AsyncClient(base_url=edge.base_url, transport=other) as http:
        created = await http.post("/api/rooms", json={})
    assert created.status_code == 200
    url = edge.base_url.replace("http", "ws") + "/ws"
    for room in (created.json()["room"], "chor"):
        async with connect(url) as ws:
            await ws.send(f'{{"type": "join", "v": 1, "room": "{room}", "name": "Anna"}}')
            assert '"type":"joined"' in str(await asyncio.wait_for(ws.recv(), 10)).replace(" ", "")


def test_served_host_names_include_the_brands(tmp_path: Path) -> None:
    brands_file = tmp_path / "brands.toml"
    brands_file.write_text(
        '[[brand]]\nid = "buehl"\ntown = "Stadt Bühl"\nhosts = ["bühl.example"]\n',
        encoding="utf-8",
    )
    settings = Settings(brands=load_brands(brands_file), allowed_hosts=(TOWN,))
    assert settings.served_host_names() == (TOWN, "xn--bhl-hoa.example")
