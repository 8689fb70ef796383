"""Two neighbouring towns on one server: each host name shows its own town, logo and colour,
and its own details on the privacy policy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial

import pytest
from playwright.async_api import Page

from klingel_bots.browser import PageOpener, csp_violations, wait_until
from klingel_bots.room_page import ENGLISH_SWITCH
from klingel_bots.server_process import ServerProcess

BRANDS = """
[[brand]]
id = "buehl"
hosts = ["bühl.localhost"]
town = "Stadt Bühl"
logo = "logo.svg"
heading = "Videosprechstunde der Stadt Bühl"
text = "Ein Klick, und Sie sind im Bürgerbüro."
colours = { accent = "#0055a4", accent_strong = "#003d75" }

[brand.imprint]
controller = "Stadt Bühl, Der Oberbürgermeister"
address = "Hauptstraße 47, 77815 Bühl"
dpo = "Datenschutzbeauftragte der Stadt Bühl, datenschutz@buehl.example"

[[brand]]
id = "ottersweier"
hosts = ["ottersweier.localhost"]
town = "Gemeinde Ottersweier"
logo = "wappen.svg"
colours = { accent = "#8a1c1c" }
"""
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="4"/></svg>'
)


@pytest.fixture(scope="module")
def branded_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A server of its own with both towns' brands; its port."""
    if os.environ.get("KLINGEL_NETNS") != "1":
        pytest.fail("run inside scripts/netns-run: this test starts a server", pytrace=False)
    directory = tmp_path_factory.mktemp("brands")
    for brand, logo in (("buehl", "logo.svg"), ("ottersweier", "wappen.svg")):
        (directory / brand).mkdir()
        (directory / brand / logo).write_bytes(LOGO)
    (directory / "brands.toml").write_text(BRANDS, encoding="utf-8")
    process = ServerProcess(
        log_path=directory / "klingel.log",
        workers=1,
        metrics=False,
        extra_args=("--brands", str(directory / "brands.toml")),
    )
    process.start()
    try:
        yield process.port
    finally:
        process.stop()


async def _branded(page: Page) -> dict[str, str]:
    look: dict[str, str] = await page.evaluate(
        """() => document.documentElement.dataset.branded !== 'true' ? {} : {
            town: document.querySelector('[data-brand-name]').textContent,
            logo: new URL(document.querySelector('img.brand-logo').src).pathname,
            accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
            heading: document.querySelector('h1').textContent,
        }"""
    )
    return look


async def test_each_host_name_shows_its_own_town(open_page: PageOpener, branded_port: int) -> None:
    buehl = (await open_page(f"http://bühl.localhost:{branded_port}/")).page
    otw = (await open_page(f"http://ottersweier.localhost:{branded_port}/")).page
    buehl_look = await wait_until(partial(_branded, buehl), message="Bühl's look")
    otw_look = await wait_until(partial(_branded, otw), message="Ottersweier's look")
    assert buehl_look == {
        "town": "Stadt Bühl",
        "logo": "/brand/buehl/logo.svg",
        "accent": "#0055a4",
        "heading": "Videosprechstunde der Stadt Bühl",
    }
    assert otw_look["town"] == "Gemeinde Ottersweier"
    assert otw_look["logo"] == "/brand/ottersweier/logo.svg"
    assert otw_look["accent"] == "#8a1c1c"
    assert otw_look["heading"] == "Klingel \u2013 Videotreffen", "no heading set: Klingel's own"
    logo_loaded = "() => document.querySelector('img.brand-logo').naturalWidth > 0"
    assert await wait_until(lambda: buehl.evaluate(logo_loaded), message="logo loaded")
    assert await csp_violations(buehl) == [] and await csp_violations(otw) == []


async def _detail(page: Page, field: str) -> str:
    text: str = await page.evaluate(
        "(field) => document.querySelector(`[data-brand='${field}']`).textContent", field
    )
    return text


async def _heading_is(page: Page, wanted: str) -> bool:
    return bool(await page.evaluate("() => document.querySelector('h1').textContent") == wanted)


async def test_the_privacy_policy_names_the_towns_own_controller_in_both_languages(
    open_page: PageOpener, branded_port: int
) -> None:
    page = (await open_page(f"http://bühl.localhost:{branded_port}/datenschutz")).page
    controller = "Stadt Bühl, Der Oberbürgermeister"
    await wait_until(lambda: _detail_is(page, "controller", controller), message="controller")
    assert "Datenschutzbeauftragte der Stadt Bühl" in await _detail(page, "dpo")
    assert await _detail(page, "hosting") == "[von der Stadt einzutragen]"
    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_heading_is, page, "Privacy policy"), message="English policy")
    assert await _detail(page, "controller") == controller
    assert await _detail(page, "hosting") == "[to be filled in by the town]"

    other = (await open_page(f"http://ottersweier.localhost:{branded_port}/impressum")).page
    await wait_until(lambda: _detail_is(other, "town", "Gemeinde Ottersweier"), message="town")


async def _detail_is(page: Page, field: str, wanted: str) -> bool:
    return await _detail(page, field) == wanted


async def _brand_names(page: Page) -> list[str]:
    names: list[str] = await page.evaluate(
        "() => [...document.querySelectorAll('[data-brand-name]')].map((e) => e.textContent)"
    )
    return names


async def test_the_plain_language_help_names_the_town_in_both_languages(
    open_page: PageOpener, branded_port: int
) -> None:
    page = (await open_page(f"http://bühl.localhost:{branded_port}/leicht")).page
    await wait_until(
        lambda: _all_are(page, "Stadt Bühl"), message="the town's name everywhere on the page"
    )
    assert len(await _brand_names(page)) == 2, "the top bar and the text both name the town"
    await page.get_by_role("button", name=ENGLISH_SWITCH).click()
    await wait_until(partial(_heading_is, page, "Help in plain language"), message="English")
    assert set(await _brand_names(page)) == {"Stadt Bühl"}


async def _all_are(page: Page, wanted: str) -> bool:
    return set(await _brand_names(page)) == {wanted}
