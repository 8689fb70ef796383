"""The brand endpoint, the logos and the legal pages, as the real app serves them."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import httpx

from klingel.brands import load_brands
from klingel.config import Settings
from klingel.rooms.standing import StandingRooms
from klingel.sfu.api import MediaBackend
from klingel.web.app import create_app
from klingel.web.security import CONTENT_SECURITY_POLICY

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 16
TOWNS = """
[[brand]]
id = "buehl"
hosts = ["bühl.localhost"]
town = "Stadt Bühl"
logo = "logo.svg"
colours = { accent = "#0055A4" }
imprint = { dpo = "Datenschutzbeauftragte der Stadt Bühl" }

[[brand]]
id = "ottersweier"
hosts = ["ottersweier.localhost"]
town = "Gemeinde Ottersweier"
logo = "logo.png"
colours = { accent = "#8a1c1c", accent_soft = "#f6e3e3" }
"""

# The lifespan never runs here, so the SFU is never asked for anything.
NO_MEDIA = cast(MediaBackend, object())


def client(brands_dir: Path | None, standing: StandingRooms) -> httpx.AsyncClient:
    brands = None
    if brands_dir is not None:
        for brand, name, content in (("buehl", "logo.svg", SVG), ("ottersweier", "logo.png", PNG)):
            (brands_dir / brand).mkdir()
            (brands_dir / brand / name).write_bytes(content)
        (brands_dir / "brands.toml").write_text(TOWNS, encoding="utf-8")
        brands = load_brands(brands_dir / "brands.toml")
    app = create_app(Settings(brands=brands), NO_MEDIA, standing)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://klingel")


async def test_each_host_gets_its_own_town(tmp_path: Path, standing: StandingRooms) -> None:
    http = client(tmp_path, standing)
    buehl = await http.get("/api/brand", headers={"host": "xn--bhl-hoa.localhost:8080"})
    otw = await http.get("/api/brand", headers={"host": "ottersweier.localhost:8080"})
    assert buehl.json()["town"] == "Stadt Bühl"
    assert buehl.json()["colours"]["accent"] == "#0055a4"
    assert buehl.json()["logo"] == "/brand/buehl/logo.svg"
    assert buehl.json()["imprint"]["dpo"] == "Datenschutzbeauftragte der Stadt Bühl"
    assert otw.json()["town"] == "Gemeinde Ottersweier"
    assert otw.json()["logo"] == "/brand/ottersweier/logo.png"
    assert otw.json()["colours"]["accentStrong"] == "#8a1c1c", "follows accent when missing"
    assert "host" in buehl.headers["vary"].lower()


async def test_an_unknown_host_gets_the_default_and_is_never_echoed(
    tmp_path: Path, standing: StandingRooms
) -> None:
    evil = "evil.example<script>alert(1)</script>"
    answer = await client(tmp_path, standing).get("/api/brand", headers={"host": evil})
    assert answer.json()["town"] == "Stadt Bühl"
    assert "evil" not in answer.text


async def test_without_a_brands_file_the_pages_keep_klingels_look(standing: StandingRooms) -> None:
    http = client(None, standing)
    assert (await http.get("/api/brand")).json() == {}
    assert (await http.get("/brand/buehl/logo.svg")).status_code == 404


async def test_logos_are_served_as_files_under_the_strict_csp(
    tmp_path: Path, standing: StandingRooms
) -> None:
    http = client(tmp_path, standing)
    svg = await http.get("/brand/buehl/logo.svg")
    assert svg.status_code == 200 and svg.content == SVG
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    png = await http.get("/brand/ottersweier/logo.png")
    assert png.headers["content-type"] == "image/png" and png.content == PNG
    assert (await http.get("/brand/buehl/logo.png")).status_code == 404
    assert (await http.get("/brand/nobody/logo.svg")).status_code == 404


async def test_the_imprint_and_the_privacy_policy_are_pages(standing: StandingRooms) -> None:
    http = client(None, standing)
    for path, key in (("/impressum", "imprint.title"), ("/datenschutz", "privacy.title")):
        answer = await http.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        assert f'data-i18n="{key}"' in answer.text
        assert "<script>" not in answer.text and "style=" not in answer.text


async def test_the_privacy_figures_name_how_long_an_unused_room_stands(
    standing: StandingRooms,
) -> None:
    app = create_app(Settings(unused_room_days=30), NO_MEDIA, standing)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://klingel")
    answer = await http.get("/api/privacy")
    assert answer.status_code == 200
    assert answer.json() == {"unusedRoomDays": 30}
