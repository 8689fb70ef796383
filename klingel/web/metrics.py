"""Prometheus text exposition of the server's counters: nothing about any person."""

from __future__ import annotations

from collections.abc import Sequence

from klingel.sfu.api import WorkerStats

__all__ = ["render_metrics"]

_WORKER_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("rtp_received", "counter", "RTP packets received from publishers"),
    ("rtp_forwarded", "counter", "RTP packets sent to subscribers"),
    ("rtcp_received", "counter", "RTCP packets received"),
    ("rtcp_sent", "counter", "RTCP packets sent"),
    ("retransmitted", "counter", "RTP packets retransmitted after NACK"),
    ("dropped", "counter", "undecryptable, malformed or unroutable packets"),
    ("cpu_seconds", "counter", "user and system CPU time of the worker"),
    ("layer_switches", "counter", "subscriptions moved from one layer of a stream to another"),
    ("relayed_to_nodes", "counter", "programme datagrams sent to other nodes' workers"),
    ("relayed_from_nodes", "counter", "programme datagrams taken from other nodes' workers"),
    ("held_below_request", "gauge", "video subscriptions bandwidth keeps below their request"),
    ("rooms", "gauge", "rooms with media in the worker"),
    ("transports", "gauge", "media transports in the worker"),
)


def render_metrics(
    workers: Sequence[WorkerStats],
    rooms: int,
    participants: int,
    gauges: Sequence[tuple[str, str, int]] = (),
) -> str:
    """``gauges``: more of the node's own, as name (after ``klingel_``), help text, value."""
    lines = [
        "# HELP klingel_rooms Rooms with at least one participant.",
        "# TYPE klingel_rooms gauge",
        f"klingel_rooms {rooms}",
        "# HELP klingel_participants Participants in all rooms.",
        "# TYPE klingel_participants gauge",
        f"klingel_participants {participants}",
        "# HELP klingel_sfu_workers SFU worker processes answering.",
        "# TYPE klingel_sfu_workers gauge",
        f"klingel_sfu_workers {len(workers)}",
    ]
    for name, help_text, value in gauges:
        lines += [
            f"# HELP klingel_{name} {help_text}",
            f"# TYPE klingel_{name} gauge",
            f"klingel_{name} {value}",
        ]
    for field, kind, help_text in _WORKER_COUNTERS:
        suffix = "_total" if kind == "counter" else ""
        name = f"klingel_sfu_{field}{suffix}"
        lines.append(f"# HELP {name} {help_text[0].upper()}{help_text[1:]}.")
        lines.append(f"# TYPE {name} {kind}")
        for stats in workers:
            lines.append(f'{name}{{worker="{stats.worker}"}} {getattr(stats, field)}')
    return "\n".join(lines) + "\n"
