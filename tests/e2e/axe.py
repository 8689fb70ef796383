"""axe-core in a Playwright page: its violations as data, and an assertion on the serious ones.

The axe-core script (4.12.1, MPL-2.0) comes from the ``axe-playwright-python`` test
dependency, which ships it as ``axe_playwright_python/axe.min.js``; only that file is used.

Our pages forbid inline scripts and ``eval`` (Content-Security-Policy), so the script is not
added as a ``<script>`` element: its source goes to ``page.evaluate``, which runs it through
the DevTools protocol the way Playwright runs every evaluation. The page keeps its policy all
along, and anything axe tried that the policy forbids would be reported as a violation (the
e2e suite fails a test on any).

Every state checked is recorded in ``RESULTS``; ``write_report`` writes them as JSON, or as
Markdown when the path ends in ``.md``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from playwright.async_api import Page

__all__ = [
    "FAILING_IMPACTS",
    "RESULTS",
    "Violation",
    "assert_no_serious_violations",
    "axe_violations",
    "write_report",
]

FAILING_IMPACTS = ("serious", "critical")
IMPACT_ORDER = ("critical", "serious", "moderate", "minor")


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule axe found broken: its id, impact, what it asks for, and the nodes (each as
    axe's CSS selector path) that break it."""

    id: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]


RESULTS: dict[str, list[Violation]] = {}
"""Every state checked in this session, by name, with all its violations (any impact)."""


@cache
def axe_source() -> str:
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


_RUN_AXE = """
async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact || "unknown",
    help: violation.help,
    helpUrl: violation.helpUrl,
    targets: violation.nodes.map((node) => node.target.map(String).join(" >> ")),
  }));
}
"""


async def axe_violations(page: Page) -> list[Violation]:
    """Run axe-core on the page as it is now; loads the script first if the page lacks it."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    found: list[dict[str, Any]] = await page.evaluate(_RUN_AXE)
    return [
        Violation(
            id=str(entry["id"]),
            impact=str(entry["impact"]),
            help=str(entry["help"]),
            help_url=str(entry["helpUrl"]),
            targets=tuple(str(target) for target in entry["targets"]),
        )
        for entry in found
    ]


def describe(violations: list[Violation]) -> str:
    return "\n".join(
        f"  [{violation.impact}] {violation.id}: {violation.help}\n"
        + "\n".join(f"      {target}" for target in violation.targets)
        for violation in violations
    )


async def assert_no_serious_violations(page: Page, state_name: str) -> list[Violation]:
    """Run axe, record every violation under ``state_name``, and fail on serious or critical
    ones, naming each rule and its targets. Returns all violations found."""
    violations = await axe_violations(page)
    RESULTS[state_name] = violations
    failing = [violation for violation in violations if violation.impact in FAILING_IMPACTS]
    assert not failing, (
        f"axe found {len(failing)} serious or critical violation(s) in {state_name!r} "
        f"({page.url}):\n{describe(failing)}"
    )
    return violations


def _counts(violations: list[Violation]) -> dict[str, int]:
    counted = Counter(violation.impact for violation in violations)
    return {impact: counted[impact] for impact in IMPACT_ORDER if counted[impact]} | {
        impact: count for impact, count in counted.items() if impact not in IMPACT_ORDER
    }


def write_report(path: Path) -> None:
    """Write what ``RESULTS`` holds: JSON, or a Markdown table if ``path`` ends in ``.md``."""
    states = dict(sorted(RESULTS.items()))
    if path.suffix == ".md":
        lines = [
            "| state | violations by impact | rules (impact: nodes) |",
            "|---|---|---|",
        ]
        for state, violations in states.items():
            counts = ", ".join(f"{impact} {n}" for impact, n in _counts(violations).items())
            rules = ", ".join(
                f"`{violation.id}` ({violation.impact}: {len(violation.targets)})"
                for violation in violations
            )
            lines.append(f"| {state} | {counts or 'none'} | {rules or '-'} |")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    report = {
        state: {
            "counts": _counts(violations),
            "violations": [asdict(violation) for violation in violations],
        }
        for state, violations in states.items()
    }
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
