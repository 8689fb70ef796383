"""End-to-end tests share one Chromium, so they run on the session's event loop.

No page may break our policies: every page opened through ``klingel_bots.browser`` logs each
Content-Security-Policy violation (and each complaint about our Permissions-Policy) on
``POLICY_LOGGER``, and a test during which one was logged fails at teardown, whichever page,
module-wide or the test's own, open or already closed, it came from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_asyncio import is_async_test

from klingel_bots.browser import POLICY_LOGGER

E2E_DIR = Path(__file__).parent
POLICY_VIOLATION_EXPECTED = "policy_violation_expected"
"""Marks the test that proves a violation is caught: it fails unless one was logged."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{POLICY_VIOLATION_EXPECTED}: the test provokes a policy violation on purpose",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
            if is_async_test(item):
                item.add_marker(session_loop, append=False)


def _policy_violations(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for phase in ("setup", "call", "teardown")
        for record in caplog.get_records(phase)
        if record.name == POLICY_LOGGER and record.levelno >= logging.WARNING
    ]


@pytest.fixture(autouse=True)
def no_policy_violations(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Fails the test if any page reported a policy violation while it ran."""
    caplog.set_level(logging.WARNING, logger=POLICY_LOGGER)
    yield
    violations = _policy_violations(caplog)
    if request.node.get_closest_marker(POLICY_VIOLATION_EXPECTED) is not None:
        assert violations, "the test expected a policy violation, and no page reported one"
        return
    assert not violations, "pages reported policy violations:\n" + "\n".join(violations)
