from __future__ import annotations

from klingel.sfu.api import WorkerStats
from klingel.web.metrics import render_metrics


def test_metrics_text() -> None:
    workers = [
        WorkerStats(0, 11, 2, 4, 100, 300, 5, 6, 7, 8, 1.25),
        WorkerStats(1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0.0),
    ]
    text = render_metrics(workers, rooms=2, participants=5)
    lines = text.splitlines()
    assert "klingel_rooms 2" in lines and "klingel_participants 5" in lines
    assert 'klingel_sfu_rtp_forwarded_total{worker="0"} 300' in lines
    assert 'klingel_sfu_cpu_seconds_total{worker="0"} 1.25' in lines
    assert 'klingel_sfu_transports{worker="1"} 0' in lines
    assert "# TYPE klingel_sfu_dropped_total counter" in lines
    samples = [line for line in lines if not line.startswith("#")]
    assert len(samples) == 3 + 13 * 2
    assert text.endswith("\n")


def test_a_node_s_own_gauges_are_named_described_and_typed() -> None:
    text = render_metrics(
        [], rooms=0, participants=0, gauges=[("viewers_of_other_nodes", "Viewers here.", 7)]
    )
    lines = text.splitlines()
    start = lines.index("# HELP klingel_viewers_of_other_nodes Viewers here.")
    assert lines[start : start + 3] == [
        "# HELP klingel_viewers_of_other_nodes Viewers here.",
        "# TYPE klingel_viewers_of_other_nodes gauge",
        "klingel_viewers_of_other_nodes 7",
    ]
