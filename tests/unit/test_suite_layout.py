"""The test suite's own order: what tests share lives in ``tests/support``, so no test module
imports another test module (each can be read, moved or deleted alone)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imported_test_modules(source: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[-1].startswith("test_")}


def test_no_test_module_imports_another() -> None:
    strays = {
        f"{source.relative_to(TESTS)} imports {module}"
        for source in sorted(TESTS.rglob("*.py"))
        for module in imported_test_modules(source)
    }
    assert not strays, "move what is shared to tests/support:\n" + "\n".join(sorted(strays))


def test_the_check_sees_a_test_module_imported(tmp_path: Path) -> None:
    source = tmp_path / "test_sample.py"
    source.write_text("from test_signaling import Client\nfrom support.clock import Clock\n")
    assert imported_test_modules(source) == {"test_signaling"}
