"""The figures of a load run, from every participant's results (see ``docs/load.md``)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from klingel.load.group import ParticipantResult, StreamResult

__all__ = ["percentile", "subscriber_figures", "summarize", "viewer_slots"]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def subscriber_figures(result: ParticipantResult) -> dict[str, Any]:
    """One subscriber's figures over the measuring window."""
    seconds = result.window_seconds
    received = sum(s.bytes for s in result.streams)
    expected = sum(max(0, s.expected) for s in result.streams)
    lost = sum(max(0, s.lost) for s in result.streams)
    return {
        "name": result.name,
        "joined": result.joined,
        "error": result.error,
        "join_ms": round(result.join_seconds * 1000, 1) if result.join_seconds else None,
        "download_kbit_s": round(received * 8 / seconds / 1000, 1) if seconds > 0 else 0.0,
        "loss_percent": round(100 * lost / expected, 3) if expected else 0.0,
        "layer_switches": sum(s.layer_switches for s in result.streams),
        "streams": len(result.streams),
        "streams_receiving": sum(1 for s in result.streams if s.packets > 0),
        "video_receiving": sum(1 for s in result.streams if s.kind == "video" and s.packets > 0),
        "audio_receiving": sum(1 for s in result.streams if s.kind == "audio" and s.packets > 0),
        "keyframe_requests": result.keyframe_requests,
    }


def _spread(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {
        "median": round(statistics.median(values), 3),
        "p95": round(percentile(values, 0.95), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def summarize(results: Sequence[ParticipantResult]) -> dict[str, Any]:
    """Per-subscriber figures and their spread over the subscribers."""
    subscribers = [subscriber_figures(result) for result in results]
    joined = [s for s in subscribers if s["joined"] and s["error"] is None]
    join_ms = [float(s["join_ms"]) for s in joined if s["join_ms"] is not None]
    return {
        "participants": len(results),
        "joined": sum(1 for s in subscribers if s["joined"]),
        "failed": sum(1 for s in subscribers if not s["joined"] or s["error"] is not None),
        "download_kbit_s": _spread([float(s["download_kbit_s"]) for s in joined]),
        "loss_percent": _spread([float(s["loss_percent"]) for s in joined]),
        "layer_switches": _spread([float(s["layer_switches"]) for s in joined]),
        "join_ms": _spread(join_ms),
        "joins_without_picture": sum(1 for s in joined if s["join_ms"] is None),
        "subscribers": subscribers,
        "results": [asdict(result) for result in results],
    }


def viewer_slots(results: Sequence[ParticipantResult]) -> list[dict[str, Any]]:
    """Viewers' figures per programme slot over the window, in the order first seen: how
    many receive it, packets, mean kbit/s per viewer who has it, loss, and how many viewers
    last saw the camera at each picture size (the simulcast layer they were given)."""
    slots: dict[str, list[tuple[float, StreamResult]]] = {}
    for result in results:
        for stream in result.streams:
            slots.setdefault(stream.stream, []).append((result.window_seconds, stream))
    figures = []
    for slot, entries in slots.items():
        expected = sum(max(0, s.expected) for _seconds, s in entries)
        lost = sum(max(0, s.lost) for _seconds, s in entries)
        rates = [s.bytes * 8 / seconds / 1000 for seconds, s in entries if seconds > 0]
        sizes: dict[str, int] = {}
        for _seconds, s in entries:
            if s.size is not None:
                label = f"{s.size[0]}x{s.size[1]}"
                sizes[label] = sizes.get(label, 0) + 1
        figures.append(
            {
                "slot": slot,
                "viewers": len(entries),
                "receiving": sum(1 for _seconds, s in entries if s.packets > 0),
                "packets": sum(s.packets for _seconds, s in entries),
                "kbit_s_per_viewer": round(statistics.fmean(rates), 1) if rates else 0.0,
                "loss_percent": round(100 * lost / expected, 3) if expected else 0.0,
                "sizes": dict(sorted(sizes.items())),
            }
        )
    return figures
