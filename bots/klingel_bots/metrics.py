"""Reading the server's Prometheus text exposition (``GET /metrics``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["MetricSample", "parse_metrics", "sum_metric"]

_SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r"(?:\{(?P<labels>[^}]*)\})?"
    r"\s+(?P<value>\S+)"
)
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class MetricSample:
    name: str
    labels: Mapping[str, str]
    value: float


def parse_metrics(text: str) -> list[MetricSample]:
    """Parse the samples of a Prometheus text exposition; comments and blank lines are skipped."""
    samples: list[MetricSample] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        try:
            value = float(match["value"])
        except ValueError:
            continue
        labels = dict(_LABEL.findall(match["labels"] or ""))
        samples.append(MetricSample(match["name"], labels, value))
    return samples


def sum_metric(samples: Iterable[MetricSample], *names: str) -> float:
    """Sum every finite sample whose name is one of ``names`` (e.g. the same counter with and
    without the ``_total`` suffix), over all label sets such as one per worker."""
    wanted = set(names)
    return sum(s.value for s in samples if s.name in wanted and math.isfinite(s.value))
