"""The brands file (docs/branding.md): parsed and checked once, at start.

Everything a page later shows comes from here, so every value is checked now: colours are
``#rrggbb``, texts are bounded plain text, host names are plain names, a logo is a readable
SVG or PNG of bounded size inside the brand's folder. A bad file stops the server with an
error that names the brand and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_LOGO_BYTES",
    "Brand",
    "BrandError",
    "Brands",
    "Colours",
    "Imprint",
    "Logo",
    "load_brands",
    "parse_brands",
]

MAX_LOGO_BYTES = 256 * 1024
MAX_TEXT_CHARS = 2000
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_BRAND_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}

_BRAND_KEYS = frozenset(
    {"id", "default", "hosts", "town", "folder", "logo", "colours", "heading", "text", "imprint"}
)
_COLOUR_KEYS = ("accent", "accent_strong", "accent_soft")
_IMPRINT_KEYS = (
    "controller",
    "address",
    "email",
    "phone",
    "representative",
    "dpo",
    "supervisory_authority",
    "hosting",
    "access_logs",
    "turn_logs",
    "log_retention",
    "legal_basis",
)


class BrandError(ValueError):
    """The brands file is unreadable or holds something Klingel will not serve."""


@dataclass(frozen=True, slots=True)
class Colours:
    """CSS colours as ``#rrggbb``; the two optional ones follow ``accent`` when missing."""

    accent: str
    accent_strong: str | None = None
    accent_soft: str | None = None


@dataclass(frozen=True, slots=True)
class Imprint:
    """The town's details for the imprint and the privacy policy; empty: the town must fill it."""

    controller: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    representative: str = ""
    dpo: str = ""
    supervisory_authority: str = ""
    hosting: str = ""
    access_logs: str = ""
    """What the town's reverse proxy logs, and for how long."""
    turn_logs: str = ""
    log_retention: str = ""
    """Where Klingel's own log is kept, and for how long."""
    legal_basis: str = ""


@dataclass(frozen=True, slots=True)
class Logo:
    content: bytes
    media_type: str
    suffix: str
    """``svg`` or ``png``: the logo's address ends with it."""


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    town: str
    hosts: tuple[str, ...]
    """Lower-case host names without port, IDNA-encoded as browsers send them."""
    colours: Colours | None = None
    logo: Logo | None = None
    heading: str = ""
    text: str = ""
    imprint: Imprint = Imprint()

    @property
    def logo_path(self) -> str | None:
        return None if self.logo is None else f"/brand/{self.id}/logo.{self.logo.suffix}"


@dataclass(frozen=True, slots=True)
class Brands:
    """All brands of one server; ``default`` answers every host no brand names."""

    default: Brand
    by_host: Mapping[str, Brand]
    by_id: Mapping[str, Brand]

    def for_host(self, host_header: str | None) -> Brand:
        """The brand of a ``Host`` header; anything unknown or malformed gets the default."""
        return self.by_host.get(normalised_host(host_header or ""), self.default)


def normalised_host(header: str) -> str:
    """``Host`` without port, lower case, no trailing dot; "" when it is not a plain name."""
    name = header.strip().lower()
    if name.startswith("["):
        return ""
    name = name.rsplit(":", 1)[0] if ":" in name else name
    name = name.rstrip(".")
    return name if _HOST.fullmatch(name) else ""


def _encoded_host(brand_id: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise BrandError(f"brand {brand_id!r}: every entry of 'hosts' must be a string")
    name = raw.strip().lower().rstrip(".")
    try:
        encoded = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise BrandError(f"brand {brand_id!r}: not a host name: {raw!r}") from None
    if not _HOST.fullmatch(encoded):
        raise BrandError(f"brand {brand_id!r}: not a host name: {raw!r}")
    return encoded


def _text(brand_id: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise BrandError(f"brand {brand_id!r}: {key!r} must be a string")
    if len(value) > MAX_TEXT_CHARS:
        raise BrandError(f"brand {brand_id!r}: {key!r} is longer than {MAX_TEXT_CHARS} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise BrandError(f"brand {brand_id!r}: {key!r} holds control characters")
    return value.strip()


def _unknown_keys(where: str, table: Mapping[str, Any], known: Iterable[str]) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise BrandError(f"{where}: unknown key(s): {', '.join(unknown)}")


def _colours(brand_id: str, raw: object) -> Colours | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BrandError(f"brand {brand_id!r}: 'colours' must be a table")
    _unknown_keys(f"brand {brand_id!r}, colours", raw, _COLOUR_KEYS)
    values: dict[str, str | None] = {}
    for key in _COLOUR_KEYS:
        value = raw.get(key)
        if value is None:
            values[key] = None
            continue
        if not isinstance(value, str) or not _COLOUR.fullmatch(value):
            raise BrandError(
                f"brand {brand_id!r}: colour {key!r} must look like #0b6e63, not {value!r}"
            )
        values[key] = value.lower()
    accent = values["accent"]
    if accent is None:
        raise BrandError(f"brand {brand_id!r}: 'colours' needs 'accent'")
    return Colours(accent, values["accent_strong"], values["accent_soft"])


def _imprint(brand_id: str, raw: object) -> Imprint:
    if raw is None:
        return Imprint()
    if not isinstance(raw, dict):
        raise BrandError(f"brand {brand_id!r}: 'imprint' must be a table")
    _unknown_keys(f"brand {brand_id!r}, imprint", raw, _IMPRINT_KEYS)
    return Imprint(**{key: _text(brand_id, key, raw[key]) for key in _IMPRINT_KEYS if key in raw})


def _logo(brand_id: str, base: Path, folder: object, name: object) -> Logo | None:
    if name is None:
        return None
    if not isinstance(name, str) or not isinstance(folder, str):
        raise BrandError(f"brand {brand_id!r}: 'logo' needs 'folder', both strings")
    directory = (base / folder).resolve()
    path = (directory / name).resolve()
    if not path.is_relative_to(directory):
        raise BrandError(f"brand {brand_id!r}: the logo must lie inside the brand's folder")
    suffix = path.suffix.lower()
    if suffix not in _LOGO_TYPES:
        raise BrandError(f"brand {brand_id!r}: the logo must be an .svg or .png file")
    try:
        content = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BrandError(f"brand {brand_id!r}: cannot read the logo {path}: {reason}") from None
    if len(content) > MAX_LOGO_BYTES:
        raise BrandError(f"brand {brand_id!r}: the logo is larger than {MAX_LOGO_BYTES} bytes")
    looks_right = (
        content.startswith(_PNG_SIGNATURE) if suffix == ".png" else b"<svg" in content[:4096]
    )
    if not looks_right:
        raise BrandError(f"brand {brand_id!r}: the logo {path} is not a {suffix[1:]} file")
    return Logo(content, _LOGO_TYPES[suffix], suffix[1:])


def _brand(raw: object, base: Path, index: int) -> tuple[Brand, bool]:
    if not isinstance(raw, dict):
        raise BrandError(f"brand number {index + 1} must be a table")
    brand_id = raw.get("id")
    if not isinstance(brand_id, str) or not _BRAND_ID.fullmatch(brand_id):
        raise BrandError(
            f"brand number {index + 1}: 'id' must be lower-case letters, digits and dashes"
        )
    _unknown_keys(f"brand {brand_id!r}", raw, _BRAND_KEYS)
    hosts = raw.get("hosts", [])
    if not isinstance(hosts, list):
        raise BrandError(f"brand {brand_id!r}: 'hosts' must be a list of host names")
    town = _text(brand_id, "town", raw.get("town", ""))
    if not town:
        raise BrandError(f"brand {brand_id!r}: 'town' is missing")
    default = raw.get("default", False)
    if not isinstance(default, bool):
        raise BrandError(f"brand {brand_id!r}: 'default' must be true or false")
    brand = Brand(
        id=brand_id,
        town=town,
        hosts=tuple(_encoded_host(brand_id, host) for host in hosts),
        colours=_colours(brand_id, raw.get("colours")),
        logo=_logo(brand_id, base, raw.get("folder", brand_id), raw.get("logo")),
        heading=_text(brand_id, "heading", raw.get("heading", "")),
        text=_text(brand_id, "text", raw.get("text", "")),
        imprint=_imprint(brand_id, raw.get("imprint")),
    )
    return brand, default


def parse_brands(document: Mapping[str, Any], base: Path) -> Brands:
    """The brands of a parsed TOML document; logo paths are relative to ``base``."""
    _unknown_keys("the brands file", document, ("brand",))
    raw_brands = document.get("brand")
    if not isinstance(raw_brands, list) or not raw_brands:
        raise BrandError("the brands file needs at least one [[brand]] table")
    brands: list[Brand] = []
    defaults: list[Brand] = []
    by_host: dict[str, Brand] = {}
    by_id: dict[str, Brand] = {}
    for index, raw in enumerate(raw_brands):
        brand, is_default = _brand(raw, base, index)
        if brand.id in by_id:
            raise BrandError(f"brand {brand.id!r} is defined twice")
        by_id[brand.id] = brand
        for host in brand.hosts:
            if host in by_host:
                raise BrandError(f"host {host!r} belongs to two brands")
            by_host[host] = brand
        brands.append(brand)
        if is_default:
            defaults.append(brand)
    if len(defaults) > 1:
        raise BrandError("only one brand may have 'default = true'")
    return Brands(default=(defaults or brands)[0], by_host=by_host, by_id=by_id)


def load_brands(path: Path) -> Brands:
    """Reads and checks the brands file; raises ``BrandError`` with a clear reason."""
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BrandError(f"cannot read the brands file {path}: {reason}") from None
    except tomllib.TOMLDecodeError as error:
        raise BrandError(f"the brands file {path} is not valid TOML: {error}") from None
    return parse_brands(document, path.resolve().parent)
