"""``klingel-load``: synthetic participants in one room of a running Klingel server.

    klingel-load URL --room NAME --participants N --duration S [--speakers K]
                     [--simulcast/--no-simulcast] [--view tile|speaker|all] [--visible K]
                     [--processes P] [--json FILE]

The participants are spread over ``P`` processes; each process joins its share (the joins of
the whole run are spaced evenly), lets the media settle, measures for the rest of
``--duration`` and leaves. The summary goes to standard output; ``docs/load.md`` explains it.
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
from klingel.load.summary import summarize
from klingel.load.views import View

__all__ = ["main", "run"]

MAX_PARTICIPANTS = 200
MAX_DURATION = 3600.0
_DEFAULT_VISIBLE = {"tile": 16, "speaker": 5, "all": 0}
_START_DELAY = 2.0  # a spawned process needs about a second to import and load the media


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klingel-load", description="Synthetic participants that do not decode media."
    )
    parser.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--room", required=True, help="room id or name slug")
    parser.add_argument("--participants", type=int, required=True, help="how many (at most 200)")
    parser.add_argument(
        "--duration", type=float, required=True, help="seconds from the last join to the end"
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


def run(plans: Sequence[GroupPlan]) -> list[ParticipantResult]:
    """Run each plan in a process of its own (spawned: no event loop or socket is inherited)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(plans), mp_context=context) as pool:
        futures = [pool.submit(run_group, plan) for plan in plans]
        results: list[ParticipantResult] = []
        for future in futures:
            results.extend(future.result())
    return sorted(results, key=lambda r: int(r.name.rsplit(" ", 1)[-1]))


def _print_summary(summary: dict[str, Any]) -> None:
    print(
        f"participants {summary['participants']}, joined {summary['joined']}, "
        f"failed {summary['failed']}, joins without a picture {summary['joins_without_picture']}"
    )
    for label, key, unit in (
        ("download per subscriber", "download_kbit_s", "kbit/s"),
        ("loss per subscriber", "loss_percent", "%"),
        ("layer switches per subscriber", "layer_switches", ""),
        ("join to first keyframe", "join_ms", "ms"),
    ):
        spread = summary[key]
        if spread is None:
            print(f"{label}: no figure")
            continue
        print(
            f"{label}: median {spread['median']} {unit}, p95 {spread['p95']}, "
            f"min {spread['min']}, max {spread['max']}".replace("  ", " ")
        )
    print("name | kbit/s | loss % | switches | join ms | video/audio receiving | error")
    for s in summary["subscribers"]:
        print(
            f"{s['name']} | {s['download_kbit_s']} | {s['loss_percent']} | {s['layer_switches']} "
            f"| {s['join_ms']} | {s['video_receiving']}/{s['audio_receiving']} | {s['error'] or ''}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.participants <= MAX_PARTICIPANTS:
        parser.error(f"--participants must be 1-{MAX_PARTICIPANTS}")
    if not 0 < arguments.duration <= MAX_DURATION:
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
