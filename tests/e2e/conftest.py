"""End-to-end tests share one Chromium, so they run on the session's event loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_asyncio import is_async_test

E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
            if is_async_test(item):
                item.add_marker(session_loop, append=False)
