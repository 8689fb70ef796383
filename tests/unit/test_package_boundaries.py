"""The packages depend on each other in one direction only: the protocol and the SFU share
nothing but identifiers and track words, the domain knows nothing of the web edge. Read from
the source with ``ast``, so that an import inside a function counts too."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "klingel"

# What each package may import from klingel (itself always).
ALLOWED = {
    "protocol": {"klingel.ids", "klingel.tracks"},
    "sfu": {"klingel.ids", "klingel.tracks"},
    # The domain converts its rooms to and from the store's records.
    "rooms": {"klingel.ids", "klingel.tracks", "klingel.protocol", "klingel.sfu", "klingel.store"},
    "client": {"klingel.ids", "klingel.tracks", "klingel.protocol"},
    # The store knows no room domain: the domain converts its rooms to the store's records.
    "store": {"klingel.ids"},
}


def imported_modules(source: Path) -> set[str]:
    """Every module a file imports, absolute names only."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def klingel_imports(source: Path) -> set[str]:
    """The ``klingel.*`` modules a file imports, by their first two parts."""
    return {
        ".".join(name.split(".")[:2])
        for name in imported_modules(source)
        if name.split(".")[0] == "klingel"
    }


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_lies_below_it(package: str) -> None:
    allowed = ALLOWED[package] | {f"klingel.{package}"}
    strays = {
        f"{source.relative_to(PACKAGE.parent)}: {module}"
        for source in sorted((PACKAGE / package).rglob("*.py"))
        for module in klingel_imports(source) - allowed
    }
    assert not strays, f"klingel/{package} reaches up or across:\n" + "\n".join(sorted(strays))


def test_the_signaling_client_needs_no_media_stack_browser_or_test_runner() -> None:
    """``klingel-load`` ships it: the standard library, websockets and klingel only."""
    strays = {
        f"{source.relative_to(PACKAGE.parent)}: {module}"
        for source in sorted((PACKAGE / "client").rglob("*.py"))
        for module in imported_modules(source)
        if module.split(".")[0] not in {"klingel", "websockets", *sys.stdlib_module_names}
    }
    assert not strays, "klingel/client imports beyond websockets:\n" + "\n".join(sorted(strays))


REDIS_STORE = {"redis_store.py", "redis_council.py"}
"""The Redis store's modules, which alone may use the Redis client (``redis``)."""


def test_the_store_needs_nothing_beyond_the_standard_library() -> None:
    def allowed(source: Path) -> set[str]:
        redis = {"redis"} if source.name in REDIS_STORE else set()
        return {"klingel", *sys.stdlib_module_names, *redis}

    strays = {
        f"{source.relative_to(PACKAGE.parent)}: {module}"
        for source in sorted((PACKAGE / "store").rglob("*.py"))
        for module in imported_modules(source)
        if module.split(".")[0] not in allowed(source)
    }
    assert not strays, "klingel/store imports beyond the standard library:\n" + "\n".join(
        sorted(strays)
    )


def test_the_reader_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import os\nfrom klingel.ids import RoomId\n"
        "def late():\n    from klingel.web.app import create_app\n    import klingel.sfu.pool\n"
    )
    assert klingel_imports(source) == {"klingel.ids", "klingel.web", "klingel.sfu"}
