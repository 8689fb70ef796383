"""Prints the saved benchmark results (``bench/results/*.json``) as a Markdown table."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable
from pathlib import Path
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
    for measure, figure, aim, judged in extra_rows(results):
        print(f"| {measure} | {figure} | {aim} | {judged} |")
    for name, result in results.items():
        print(f"\n`{name}` ({result.get('date')}, {result.get('machine')})")


TableRow = tuple[str, str, str, str]

SCENARIOS = (("rooms_of_8", "3 rooms of 8"), ("room_of_30", "1 room of 30"))
SERVERS = (
    ("klingel", "Klingel"),
    ("janus", "Janus VideoRoom"),
    ("janus_event_loops_2", "Janus VideoRoom, 2 event loops"),
)


def forwarding_rows(result: dict[str, Any]) -> list[TableRow]:
    """Rows of ``bench/forwarding.py``: Klingel and the Janus VideoRoom under the same load."""
    rows: list[TableRow] = []
    janus_missing = not result.get("janus_installed", False)
    for key, label in SCENARIOS:
        scenario = result.get(key, {})
        for server, name in SERVERS:
            measured = scenario.get(server)
            if server != "klingel" and janus_missing:
                rows.append((f"forwarding, {label}, {name}", "Janus not installed", "—", "—"))
                continue
            if not measured or "error" in measured:
                failed = measured.get("error", "not run") if measured else "not run"
                rows.append((f"forwarding, {label}, {name}", failed, "—", "no figure"))
                continue
            text = (
                f"{_figure(measured.get('packets_per_cpu_second'), ',.0f')} packets/s per core "
                f"({_figure(measured.get('us_per_forwarded_packet'), 'g')} µs per packet, "
                f"loss {_figure(measured.get('loss_percent'), 'g')} %, "
                f"{measured.get('streams_flowing')}/{measured.get('streams_expected')} streams)"
            )
            rows.append((f"forwarding, {label}, {name}", text, "—", _judged(measured)))
            ratio = scenario.get(f"klingel_to_{server}_cpu_per_packet")
            if isinstance(ratio, (int, float)):
                comparable = all(
                    _judged(m) == "measured" for m in (measured, scenario.get("klingel", {}))
                )
                rows.append(
                    (
                        f"forwarding, {label}, CPU per packet Klingel / {name}",
                        f"{ratio:.2f}",
                        "—",
                        ("Klingel cheaper" if ratio < 1 else f"{name} cheaper")
                        if comparable
                        else "not comparable: streams missing or overloaded",
                    )
                )
    return rows


def _complete(measured: dict[str, Any]) -> bool:
    expected = measured.get("streams_expected")
    return bool(expected) and measured.get("streams_flowing") == expected


LOSS_TRUSTED_PERCENT = 5.0
"""Above this receiver loss the machine or the server was overloaded: the figure says little."""


def _judged(measured: dict[str, Any]) -> str:
    if not _complete(measured):
        return "incomplete: not every stream flowed"
    loss = measured.get("loss_percent")
    if isinstance(loss, (int, float)) and loss > LOSS_TRUSTED_PERCENT:
        return f"overloaded: {loss:g} % loss"
    return "measured"


def _figure(value: object, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) else "no figure"


def extra_rows(results: dict[str, dict[str, Any]]) -> list[TableRow]:
    """Rows of benchmarks that describe their own figures."""
    rows: list[TableRow] = []
    if "forwarding" in results:
        rows.extend(forwarding_rows(results["forwarding"]))
    for name, label in SELF_DESCRIBING:
        if name in results and (Path(__file__).parent / f"{name}.py").is_file():
            try:
                module = importlib.import_module(name)
            except ImportError as problem:
                rows.append((label, f"cannot read: {problem}", "", "no figure"))
            else:
                rows.extend(module.table_rows(results[name]))
    return rows


SELF_DESCRIBING = (
    ("join_latency", "join latency"),
    ("class30", "class of 30"),
    ("downlink", "500 kbit/s downlink"),
    ("signaling_load", "signaling clients"),
    ("store", "room store"),
    ("audience", "audience of a broadcast"),
    ("nodes", "several nodes"),
    ("hall_soak", "hall view soak"),
    ("music", "music mode"),
    ("breakouts", "breakout rooms"),
)
"""Benchmarks whose module has ``table_rows(results)``, with the label of their rows."""


if __name__ == "__main__":
    main()
