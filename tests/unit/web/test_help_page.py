from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from klingel.web import static


async def test_the_help_page_is_served_once_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static, "STATIC_DIRECTORY", tmp_path)
    app = Starlette(routes=static.static_routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://klingel.test") as client:
        assert (await client.get("/help")).status_code == 404
        (tmp_path / "help.html").write_text("<h1>Hilfe / Help</h1>", encoding="utf-8")
        page = await client.get("/help")
    assert page.status_code == 200 and "Hilfe" in page.text
    assert page.headers["content-type"].startswith("text/html")


async def test_the_plain_language_help_has_a_short_and_a_long_address() -> None:
    app = Starlette(routes=static.static_routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://klingel.test") as client:
        page = await client.get("/leicht")
        head = await client.head("/leicht")
        longer = await client.get("/leichte-sprache")
        followed = await client.get("/leichte-sprache", follow_redirects=True)
    assert page.status_code == 200 and head.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in page.text and 'data-i18n="easy.heading"' in page.text
    assert page.text.count("<h1") == 1 and "<ol" in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    assert longer.status_code == 301 and longer.headers["location"] == "/leicht"
    assert followed.status_code == 200 and followed.text == page.text
