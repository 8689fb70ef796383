"""Prints the saved benchmark results (``bench/results/*.json``) as a Markdown table."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from harness import RESULTS

Row = tuple[str, str, Callable[[dict[str, Any]], float], float, str]

ROWS: tuple[Row, ...] = (
    (
        "join → first remote frame, p50",
        "join_latency",
        lambda r: r["join_to_first_frame_ms_p50"],
        200,
        "ms",
    ),
    (
        "join → first remote frame, p95",
        "join_latency",
        lambda r: r["join_to_first_frame_ms_p95"],
        400,
        "ms",
    ),
    (
        "SFU CPU per forwarded packet, 3 Chromium",
        "sfu_cpu",
        lambda r: r["chromium_3"]["us_per_forwarded_packet"],
        20,
        "µs",
    ),
    (
        "SFU CPU per forwarded packet, 10 bots",
        "sfu_cpu",
        lambda r: r["bots_10"]["us_per_forwarded_packet"],
        20,
        "µs",
    ),
    (
        "idle server memory (server + 2 workers)",
        "idle",
        lambda r: r["idle_rss_mib_median"],
        150,
        "MiB",
    ),
    (
        "idle server memory, shared pages counted once (PSS)",
        "idle",
        lambda r: r["idle_pss_mib_median"],
        150,
        "MiB",
    ),
    ("start to ready", "idle", lambda r: r["ready_seconds_median"], 2, "s"),
)


def verdict(value: float, target: float) -> str:
    if math.isnan(value):
        return "no figure"
    if value <= target:
        return "met"
    return f"short by {value - target:.3g} ({value / target - 1:.0%} over)"


def main() -> None:
    results = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}
    print("| measure | result | target | verdict |")
    print("|---|---|---|---|")
    for label, name, read, target, unit in ROWS:
        if name not in results:
            print(f"| {label} | not run | ≤ {target} {unit} | no figure |")
            continue
        try:
            value = float(read(results[name]))
        except (KeyError, TypeError, ValueError):
            value = math.nan
        print(f"| {label} | {value:g} {unit} | ≤ {target} {unit} | {verdict(value, target)} |")
    for name, result in results.items():
        print(f"\n`{name}` ({result.get('date')}, {result.get('machine')})")


if __name__ == "__main__":
    main()
