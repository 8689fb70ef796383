"""``klingel-load``: synthetic participants in one room of a running Klingel server, or
synthetic viewers of a public broadcast.

    klingel-load URL --room NAME --participants N --duration S [--speakers K]
                     [--simulcast/--no-simulcast] [--view tile|speaker|all] [--visible K]
                     [--processes P] [--json FILE]
    klingel-load URL --watch=KEY --viewers N [--processes P] [--join-interval S]
                     [--duration S] [--addresses A] [--screen] [--json FILE]

The participants (or viewers) are spread over ``P`` processes; each process joins its share
(the joins of the whole run are spaced evenly), lets the media settle, measures for the rest
of ``--duration`` and leaves. The summary goes to standard output; ``docs/load.md`` explains
it. Viewers (``klingel.load.viewer``) receive the programme's camera and voices and count them
per slot; a server allows 50 viewers per client address, so for more, start it with
``--proxy-headers`` and give ``--addresses``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from klingel.load.group import GroupPlan, ParticipantResult, run_group
from klingel.load.media_files import ensure_media
from klingel.load.summary import summarize, viewer_slots
from klingel.load.viewer import VIEWERS_PER_ADDRESS, ViewerPlan, run_viewer_group
from klingel.load.views import View

__all__ = ["main", "run"]

MAX_PARTICIPANTS = 200
MAX_VIEWERS = 2000  # the server's default --max-viewers
MAX_DURATION = 3600.0
_VIEWER_DURATION = 30.0
_DEFAULT_VISIBLE = {"tile": 16, "speaker": 5, "all": 0}
_START_DELAY = 2.0  # a spawned process needs about a second to import and load the media


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klingel-load", description="Synthetic participants that do not decode media."
    )
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--room", help="room id or name slug (participants)")
    parser.add_argument("--participants", type=int, help="how many (at most 200)")
    parser.add_argument(
        "--watch",
        metavar="KEY",
        help="watch the public broadcast of this viewer key instead; write --watch=KEY, "
        "since a key may begin with '-'",
    )
    parser.add_argument("--viewers", type=int, help="with --watch: how many (at most 2000)")
    parser.add_argument(
        "--screen", action="store_true", help="viewers also receive the screen slot"
    )
    parser.add_argument(
        "--addresses",
        type=int,
        help="viewers name this many client addresses (198.18.0.0/15) in X-Forwarded-For, "
        "for a server with --proxy-headers (default: one per 40 viewers beyond 40, else none)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds from the last join to the end (required for participants; "
        f"viewers: default {_VIEWER_DURATION:.0f})",
    )
    parser.add_argument("--speakers", type=int, help="how many also send audio (default: all)")
    parser.add_argument(
        "--simulcast",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="camera in three layers (default) or one",
    )
    parser.add_argument("--no-video", action="store_true", help="nobody sends a camera")
    parser.add_argument(
        "--follow-publish-layers",
        action="store_true",
        help="stop sending the simulcast layers publish_layers says nobody receives",
    )
    parser.add_argument(
        "--view",
        choices=("tile", "speaker", "all"),
        default="all",
        help="which layers to ask for (default all: never set_layers, the server's top layer)",
    )
    parser.add_argument("--visible", type=int, help="tile: cameras shown; speaker: filmstrip")
    parser.add_argument("--tile-layer", type=int, choices=(0, 1), default=0)
    parser.add_argument("--warmup", type=float, help="seconds before measuring (default 5)")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--join-interval", type=float, default=0.1, help="seconds between joins")
    parser.add_argument("--media-dir", type=Path, help="where the media files are cached")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    return parser


def _plans(arguments: argparse.Namespace, media_dir: Path) -> list[GroupPlan]:
    count = arguments.participants
    processes = max(1, min(arguments.processes, count))
    visible = arguments.visible
    if visible is None:
        visible = _DEFAULT_VISIBLE[arguments.view]
    view = View(arguments.view, visible=visible, tile_layer=arguments.tile_layer)
    speakers = count if arguments.speakers is None else arguments.speakers
    warmup = arguments.warmup
    if warmup is None:
        warmup = min(5.0, arguments.duration / 3)
    started_at = time.time() + _START_DELAY
    return [
        GroupPlan(
            base_url=arguments.url,
            room=arguments.room,
            # round-robin, so every process has early and late joiners
            indices=tuple(range(process, count, processes)),
            speakers=speakers,
            simulcast=arguments.simulcast,
            publish_video=not arguments.no_video,
            view=view,
            media_dir=str(media_dir),
            started_at=started_at,
            join_interval=arguments.join_interval,
            duration=arguments.duration,
            warmup=warmup,
            follow_publish_layers=arguments.follow_publish_layers,
        )
        for process in range(processes)
    ]


def _viewer_plans(arguments: argparse.Namespace) -> list[ViewerPlan]:
    count = arguments.viewers
    processes = max(1, min(arguments.processes, count))
    addresses = arguments.addresses
    if addresses is None:
        addresses = 0 if count <= VIEWERS_PER_ADDRESS else -(-count // VIEWERS_PER_ADDRESS)
    warmup = arguments.warmup
    if warmup is None:
        warmup = min(5.0, arguments.duration / 3)
    started_at = time.time() + _START_DELAY
    return [
        ViewerPlan(
            base_url=arguments.url,
            key=arguments.watch,
            indices=tuple(range(process, count, processes)),
            screen=arguments.screen,
            addresses=addresses,
            started_at=started_at,
            join_interval=arguments.join_interval,
            duration=arguments.duration,
            warmup=warmup,
        )
        for process in range(processes)
    ]


def run_viewers(plans: Sequence[ViewerPlan]) -> list[ParticipantResult]:
    """Run each viewer plan in a process of its own, as ``run`` does participants."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(plans), mp_context=context) as pool:
        futures = [pool.submit(run_viewer_group, plan) for plan in plans]
        results: list[ParticipantResult] = []
        for future in futures:
            results.extend(future.result())
    return sorted(results, key=lambda r: int(r.name.rsplit(" ", 1)[-1]))


def run(plans: Sequence[GroupPlan]) -> list[ParticipantResult]:
    """Run each plan in a process of its own (spawned: no event loop or socket is inherited)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(plans), mp_context=context) as pool:
        futures = [pool.submit(run_group, plan) for plan in plans]
        results: list[ParticipantResult] = []
        for future in futures:
            results.extend(future.result())
    return sorted(results, key=lambda r: int(r.name.rsplit(" ", 1)[-1]))


def _print_spreads(summary: dict[str, Any], figures: tuple[tuple[str, str, str], ...]) -> None:
    """Median, p95, minimum and maximum of each figure (label, key in ``summary``, unit)."""
    for label, key, unit in figures:
        spread = summary[key]
        if spread is None:
            print(f"{label}: no figure")
            continue
        print(
            f"{label}: median {spread['median']} {unit}, p95 {spread['p95']}, "
            f"min {spread['min']}, max {spread['max']}".replace("  ", " ")
        )


def _print_summary(summary: dict[str, Any]) -> None:
    print(
        f"participants {summary['participants']}, joined {summary['joined']}, "
        f"failed {summary['failed']}, joins without a picture {summary['joins_without_picture']}"
    )
    _print_spreads(
        summary,
        (
            ("download per subscriber", "download_kbit_s", "kbit/s"),
            ("loss per subscriber", "loss_percent", "%"),
            ("layer switches per subscriber", "layer_switches", ""),
            ("join to first keyframe", "join_ms", "ms"),
        ),
    )
    print("name | kbit/s | loss % | switches | join ms | video/audio receiving | error")
    for s in summary["subscribers"]:
        print(
            f"{s['name']} | {s['download_kbit_s']} | {s['loss_percent']} | {s['layer_switches']} "
            f"| {s['join_ms']} | {s['video_receiving']}/{s['audio_receiving']} | {s['error'] or ''}"
        )


def _print_viewer_summary(summary: dict[str, Any]) -> None:
    print(
        f"viewers {summary['participants']}, watching {summary['joined']}, "
        f"failed {summary['failed']}, without a camera keyframe {summary['joins_without_picture']}"
    )
    _print_spreads(
        summary,
        (
            ("download per viewer", "download_kbit_s", "kbit/s"),
            ("loss per viewer", "loss_percent", "%"),
            ("watch to first camera keyframe", "join_ms", "ms"),
        ),
    )
    print("slot | viewers receiving | packets | kbit/s per viewer | loss % | camera sizes")
    for slot in summary["slots"]:
        sizes = ", ".join(f"{size}: {n}" for size, n in slot["sizes"].items())
        print(
            f"{slot['slot']} | {slot['receiving']} | {slot['packets']} | "
            f"{slot['kbit_s_per_viewer']} | {slot['loss_percent']} | {sizes}"
        )
    for s in summary["subscribers"]:
        if s["error"]:
            print(f"{s['name']}: {s['error']}")


def _watch(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> int:
    if arguments.room is not None or arguments.participants is not None:
        parser.error("--watch takes --viewers, not --room or --participants")
    if arguments.viewers is None or not 1 <= arguments.viewers <= MAX_VIEWERS:
        parser.error(f"--viewers must be 1-{MAX_VIEWERS}")
    if arguments.duration is None:
        arguments.duration = _VIEWER_DURATION
    if not 0 < arguments.duration <= MAX_DURATION:
        parser.error(f"--duration must be above 0 and at most {MAX_DURATION:.0f} s")
    if arguments.processes < 1:
        parser.error("--processes must be at least 1")
    if arguments.addresses is not None and arguments.addresses < 0:
        parser.error("--addresses must be 0 or more")
    results = run_viewers(_viewer_plans(arguments))
    summary = summarize(results)
    summary["slots"] = viewer_slots(results)
    summary["config"] = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in vars(arguments).items()
    }
    _print_viewer_summary(summary)
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["failed"] == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.watch is not None:
        return _watch(parser, arguments)
    if arguments.room is None or arguments.viewers is not None:
        parser.error("give --room and --participants, or --watch and --viewers")
    if arguments.participants is None or not 1 <= arguments.participants <= MAX_PARTICIPANTS:
        parser.error(f"--participants must be 1-{MAX_PARTICIPANTS}")
    if arguments.duration is None or not 0 < arguments.duration <= MAX_DURATION:
        parser.error(f"--duration must be above 0 and at most {MAX_DURATION:.0f} s")
    if arguments.processes < 1:
        parser.error("--processes must be at least 1")
    media_dir = arguments.media_dir or Path(tempfile.gettempdir()) / "klingel-load-media"
    ensure_media(media_dir)  # once here, not in every process at the same time
    plans = _plans(arguments, media_dir)
    results = run(plans)
    summary = summarize(results)
    summary["config"] = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in vars(arguments).items()
    }
    _print_summary(summary)
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
