"""What the benchmarks share: a server on loopback, its counters, and how results are kept.

Benchmarks are not tests: they measure and print, and leave judging to ``bench/README.md``.
They run only inside ``scripts/netns-run`` (see ``bench/run.sh``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from klingel_bots.metrics import parse_metrics, sum_metric
from klingel_bots.server_process import ServerProcess

RESULTS = Path(__file__).parent / "results"
WORK = Path(tempfile.gettempdir()) / "klingel-bench"


def require_netns() -> None:
    if os.environ.get("KLINGEL_NETNS") != "1":
        sys.exit("run benchmarks inside the isolated namespace: scripts/netns-run ... (or run.sh)")


def start_server(name: str, *, workers: int = 2) -> ServerProcess:
    server = ServerProcess(log_path=WORK / f"{name}.log", workers=workers, metrics=True)
    server.log_path.unlink(missing_ok=True)
    server.start()
    return server


@dataclass(frozen=True, slots=True)
class SfuReading:
    at: float
    cpu_seconds: float
    forwarded: int
    received: int


def read_sfu(server: ServerProcess) -> SfuReading:
    samples = parse_metrics(server.get_text("/metrics"))
    return SfuReading(
        at=time.monotonic(),
        cpu_seconds=sum_metric(samples, "klingel_sfu_cpu_seconds_total", "klingel_sfu_cpu_seconds"),
        forwarded=int(
            sum_metric(samples, "klingel_sfu_rtp_forwarded_total", "klingel_sfu_rtp_forwarded")
        ),
        received=int(
            sum_metric(samples, "klingel_sfu_rtp_received_total", "klingel_sfu_rtp_received")
        ),
    )


def cost_between(before: SfuReading, after: SfuReading) -> dict[str, float]:
    forwarded = after.forwarded - before.forwarded
    seconds = after.at - before.at
    cpu = after.cpu_seconds - before.cpu_seconds
    return {
        "seconds": round(seconds, 1),
        "forwarded_packets": forwarded,
        "forwarded_per_second": round(forwarded / seconds, 1),
        "received_per_second": round((after.received - before.received) / seconds, 1),
        "sfu_cpu_share_of_one_core": round(cpu / seconds, 4),
        "us_per_forwarded_packet": round(cpu / forwarded * 1e6, 2) if forwarded else float("nan"),
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def save(name: str, result: dict[str, object]) -> None:
    result = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        **result,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
