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
