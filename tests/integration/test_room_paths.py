"""Room paths as people type them, and the 404 page, as the whole app answers them: the real
``create_app`` with its security headers, driven in process (no media is ever asked for)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import httpx
import pytest
import pytest_asyncio
from support.signaling_server import standing_rooms

from klingel.config import Settings
from klingel.sfu.api import MediaBackend
from klingel.web.app import create_app
from klingel.web.security import CONTENT_SECURITY_POLICY

# The lifespan never runs here, so the SFU is never asked for anything.
NO_MEDIA = cast(MediaBackend, object())
ONE_CLICK = "abcdefghijklmnopqrstuvwxyz"


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with standing_rooms() as standing:
        app = create_app(Settings(), NO_MEDIA, standing)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as client:
            yield client


@pytest.mark.parametrize(
    "typed",
    [
        "/r/Elternabend-3b",
        "/r/elternabend 3b",
        "/r/elternabend%203b",
        "/r/ELTERNABEND_3B",
        "/r/Elternabend%20%203B!",
        "/r/elternabend--3b",
    ],
)
async def test_a_room_path_as_typed_leads_to_the_room(http: httpx.AsyncClient, typed: str) -> None:
    answer = await http.get(typed)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/r/elternabend-3b"
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    landed = await http.get(typed, follow_redirects=True)
    assert landed.status_code == 200
    assert landed.url.path == "/r/elternabend-3b"
    assert '<html lang="de"' in landed.text


async def test_umlauts_and_upper_case_ids_become_the_slug_the_start_page_makes(
    http: httpx.AsyncClient,
) -> None:
    for typed, room in (
        ("/r/Gemeinderat%20%C3%96hringen", "gemeinderat-oehringen"),
        ("/r/Stra%C3%9Fe", "strasse"),
        (f"/r/{ONE_CLICK.upper()}", ONE_CLICK),
    ):
        answer = await http.get(typed)
        assert (answer.status_code, answer.headers["location"]) == (307, f"/r/{room}"), typed


async def test_the_redirect_keeps_the_query_and_never_names_a_host(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get("/r/Elternabend-3b?lang=de&x=%2F%2Fevil.example")
    assert answer.headers["location"] == "/r/elternabend-3b?lang=de&x=%2F%2Fevil.example"
    trailing = await http.get("/r/Elternabend-3b/", follow_redirects=True)
    assert trailing.status_code == 200 and trailing.url.path == "/r/elternabend-3b"
    for hop in trailing.history:
        assert hop.headers["location"].startswith("/")
        assert not hop.headers["location"].startswith("//")
    head = await http.head("/r/ELTERNABEND_3B")
    assert (head.status_code, head.headers["location"]) == (307, "/r/elternabend-3b")


async def test_room_ids_are_served_as_they_are(http: httpx.AsyncClient) -> None:
    for room in ("elternabend-3b", ONE_CLICK, "a", "x" * 64):
        answer = await http.get(f"/r/{room}")
        assert answer.status_code == 200, room
        assert answer.headers["content-type"].startswith("text/html")


def assert_is_the_404_page(answer: httpx.Response) -> None:
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    page = answer.text
    assert '<html lang="de">' in page
    assert '<title data-i18n="notFound.title">Seite nicht gefunden</title>' in page
    assert "Diese Seite gibt es nicht. Vielleicht ist der Link falsch abgetippt." in page
    assert 'href="/" data-i18n="notFound.back">Zur Startseite</a>' in page
    assert 'id="language"' in page, "English is one click away"
    assert "<script>" not in page and "<style" not in page and "style=" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/gibt-es-nicht",
        "/Elternabend-3b",
        "/r/",
        "/r/!!!",
        "/r/%20",
        "/r/a/b",
        "/help/x/y",
        "/static/js/gibt-es-nicht.js",
        "/metrics",
    ],
)
async def test_unknown_paths_get_the_german_404_page(http: httpx.AsyncClient, path: str) -> None:
    assert_is_the_404_page(await http.get(path))


async def test_the_404_page_answers_head_without_a_body(http: httpx.AsyncClient) -> None:
    answer = await http.head("/gibt-es-nicht")
    assert answer.status_code == 404 and answer.content == b""
    assert answer.headers["content-type"].startswith("text/html")


async def test_the_api_keeps_answering_json(http: httpx.AsyncClient) -> None:
    for path in ("/api", "/api/gibt-es-nicht", "/api/rooms/x"):
        answer = await http.get(path)
        assert (answer.status_code, answer.json()) == (404, {"error": "not_found"}), path
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    refused = await http.get("/api/rooms")
    assert refused.status_code == 405


async def test_a_clerks_link_gets_the_clerks_page(http: httpx.AsyncClient) -> None:
    for body in ("gemeinderat", "Ausschuss_2.bau", "a", "x" * 64):
        answer = await http.get(f"/rat/{body}")
        assert answer.status_code == 200, body
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["cache-control"] == "no-cache"
        assert 'src="/static/js/clerk.js"' in answer.text
        assert "<script>" not in answer.text and "style=" not in answer.text
    head = await http.head("/rat/gemeinderat")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    "path", ["/rat/", "/rat/-x", "/rat/.x", f"/rat/{'x' * 65}", "/rat/a%20b", "/rat/a/b"]
)
async def test_a_path_that_names_no_body_gets_the_404_page(
    http: httpx.AsyncClient, path: str
) -> None:
    assert_is_the_404_page(await http.get(path))
