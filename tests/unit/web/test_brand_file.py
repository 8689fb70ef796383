"""The brands file: what it accepts, what stops the server at start, and which host gets
which brand."""

from __future__ import annotations

from pathlib import Path

import pytest

from klingel.brands import BrandError, load_brands
from klingel.brands.settings import normalised_host
from klingel.config import parse_serve_arguments

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10"/></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

TWO_TOWNS = """
[[brand]]
id = "buehl"
default = true
hosts = ["bühl.localhost", "video.buehl.example"]
town = "Stadt Bühl"
logo = "logo.svg"
heading = "Videosprechstunde der Stadt Bühl"
text = "Ein Klick, und Sie sind im Bürgerbüro."
colours = { accent = "#0055A4", accent_strong = "#003d75", accent_soft = "#dde9f6" }

[brand.imprint]
controller = "Stadt Bühl"
address = "Hauptstraße 47\\n77815 Bühl"
email = "datenschutz@buehl.example"
dpo = "Datenschutzbeauftragte der Stadt Bühl"

[[brand]]
id = "ottersweier"
hosts = ["ottersweier.localhost"]
town = "Gemeinde Ottersweier"
folder = "otw"
logo = "wappen.png"
colours = { accent = "#8a1c1c" }
"""


def write_towns(directory: Path, text: str = TWO_TOWNS) -> Path:
    (directory / "buehl").mkdir(exist_ok=True)
    (directory / "buehl" / "logo.svg").write_bytes(SVG)
    (directory / "otw").mkdir(exist_ok=True)
    (directory / "otw" / "wappen.png").write_bytes(PNG)
    path = directory / "brands.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_towns_are_read_with_their_details(tmp_path: Path) -> None:
    brands = load_brands(write_towns(tmp_path))
    buehl, otw = brands.by_id["buehl"], brands.by_id["ottersweier"]
    assert buehl.hosts == ("xn--bhl-hoa.localhost", "video.buehl.example")
    assert buehl.colours is not None and buehl.colours.accent == "#0055a4"
    assert buehl.logo is not None and buehl.logo.media_type == "image/svg+xml"
    assert buehl.logo_path == "/brand/buehl/logo.svg"
    assert buehl.imprint.address == "Hauptstraße 47\n77815 Bühl"
    assert otw.logo is not None and otw.logo.content == PNG
    assert otw.logo_path == "/brand/ottersweier/logo.png"
    assert otw.colours is not None and otw.colours.accent_strong is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("xn--bhl-hoa.localhost:8080", "buehl"),
        ("OTTERSWEIER.localhost.", "ottersweier"),
        ("ottersweier.localhost:1234", "ottersweier"),
        ("unknown.example", "buehl"),
        ("", "buehl"),
        (None, "buehl"),
        ("ottersweier.localhost/<script>", "buehl"),
        ("[::1]:8080", "buehl"),
    ],
)
def test_the_host_header_picks_the_brand_and_anything_else_gets_the_default(
    tmp_path: Path, host: str | None, expected: str
) -> None:
    brands = load_brands(write_towns(tmp_path))
    assert brands.for_host(host).id == expected


def test_the_first_brand_is_the_default_unless_one_says_so(tmp_path: Path) -> None:
    text = TWO_TOWNS.replace("default = true\n", "").replace(
        'id = "ottersweier"', 'id = "ottersweier"\ndefault = true'
    )
    assert load_brands(write_towns(tmp_path, text)).default.id == "ottersweier"
    plain = TWO_TOWNS.replace("default = true\n", "")
    assert load_brands(write_towns(tmp_path, plain)).default.id == "buehl"


def test_normalised_host_drops_port_case_and_dot() -> None:
    assert normalised_host("Video.Buehl.Example.:443") == "video.buehl.example"
    assert normalised_host("a b") == ""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (('accent = "#0055A4"', 'accent = "blue"'), "colour 'accent' must look like #0b6e63"),
        (('accent = "#0055A4"', 'accent = "#0055A4; x"'), "colour 'accent'"),
        (('accent = "#8a1c1c"', 'accent = "#8a1c1"'), "brand 'ottersweier': colour 'accent'"),
        (('town = "Stadt Bühl"', 'town = "Stadt Bühl"\nslogan = "x"'), "unknown key(s): slogan"),
        (('dpo = "', 'dpo_name = "'), "imprint: unknown key(s): dpo_name"),
        (('logo = "logo.svg"', 'logo = "missing.svg"'), "cannot read the logo"),
        (('logo = "logo.svg"', 'logo = "../otw/wappen.png"'), "inside the brand's folder"),
        (('logo = "logo.svg"', 'logo = "logo.gif"'), "must be an .svg or .png"),
        (('logo = "wappen.png"', 'logo = "../buehl/logo.svg"'), "inside the brand's folder"),
        (('"ottersweier.localhost"]', '"bühl.localhost"]'), "belongs to two brands"),
        (('id = "ottersweier"', 'id = "buehl"'), "defined twice"),
        (('id = "ottersweier"', 'id = "Otters Weier"'), "'id' must be"),
        (('town = "Gemeinde Ottersweier"', 'town = ""'), "'town' is missing"),
        (('hosts = ["ottersweier.localhost"]', 'hosts = ["otters/weier"]'), "not a host name"),
    ],
)
def test_a_bad_brands_file_is_refused_with_a_clear_reason(
    tmp_path: Path, change: tuple[str, str], reason: str
) -> None:
    old, new = change
    assert old in TWO_TOWNS
    with pytest.raises(BrandError, match=None) as refused:
        load_brands(write_towns(tmp_path, TWO_TOWNS.replace(old, new, 1)))
    assert reason in str(refused.value)


def test_a_logo_that_is_not_what_its_name_says_is_refused(tmp_path: Path) -> None:
    path = write_towns(tmp_path)
    (tmp_path / "otw" / "wappen.png").write_bytes(SVG)
    with pytest.raises(BrandError, match="is not a png file"):
        load_brands(path)


def test_broken_toml_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BrandError, match="not valid TOML"):
        load_brands(write_towns(tmp_path, "[[brand]\n"))
    with pytest.raises(BrandError, match="cannot read the brands file"):
        load_brands(tmp_path / "nowhere.toml")
    with pytest.raises(BrandError, match=r"at least one \[\[brand\]\]"):
        load_brands(write_towns(tmp_path, "# nothing\n"))


def test_serve_reads_the_file_from_the_flag_or_the_environment(tmp_path: Path) -> None:
    path = write_towns(tmp_path)
    from_flag = parse_serve_arguments(["--brands", str(path)], {})
    from_env = parse_serve_arguments([], {"KLINGEL_BRANDS": str(path)})
    assert from_flag.brands is not None and from_flag.brands.default.id == "buehl"
    assert from_env.brands is not None and set(from_env.brands.by_id) == {"buehl", "ottersweier"}
    assert parse_serve_arguments([], {}).brands is None


def test_serve_stops_at_start_on_a_bad_brands_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_towns(tmp_path, TWO_TOWNS.replace('"#8a1c1c"', '"red"'))
    with pytest.raises(SystemExit):
        parse_serve_arguments(["--brands", str(path)], {})
    assert "brand 'ottersweier': colour 'accent'" in capsys.readouterr().err
