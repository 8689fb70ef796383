"""One process's share of a load run: some participants of the room, started one after the
other, measured over a window, then closed.

``run_group`` is a plain function of picklable values, so a process pool can run it; it returns
one ``ParticipantResult`` per participant.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from klingel.load.media_files import ensure_media
from klingel.load.participant import LoadParticipant, ParticipantOptions, ParticipantSnapshot
from klingel.load.receiving import StreamSnapshot
from klingel.load.sending import Pacer, PreparedMedia
from klingel.load.views import View
from klingel.sfu.dtls import DtlsIdentity

__all__ = ["GroupPlan", "ParticipantResult", "StreamResult", "result_between", "run_group"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GroupPlan:
    base_url: str
    room: str
    indices: tuple[int, ...]  # which participants of the run (0-based); names follow
    speakers: int  # participants with an index below this send audio
    simulcast: bool
    publish_video: bool
    view: View
    media_dir: str
    started_at: float  # time.time() the run began: joins are spread from there
    join_interval: float  # seconds between two joins of the run
    duration: float  # from the last join of the group to the end
    warmup: float  # the window starts this long after the last join
    follow_publish_layers: bool = False


@dataclass(frozen=True, slots=True)
class StreamResult:
    stream: str
    kind: str
    packets: int  # in the window
    bytes: int  # in the window
    expected: int  # in the window
    lost: int  # in the window
    layer_switches: int  # over the whole run
    keyframes: int  # over the whole run
    size: tuple[int, int] | None  # of the last keyframe


@dataclass(frozen=True, slots=True)
class ParticipantResult:
    name: str
    joined: bool
    error: str | None
    join_seconds: float | None
    window_seconds: float
    keyframe_requests: int
    streams: tuple[StreamResult, ...]


def run_group(plan: GroupPlan) -> list[ParticipantResult]:
    return asyncio.run(_run(plan))


async def _run(plan: GroupPlan) -> list[ParticipantResult]:
    media = PreparedMedia.load(ensure_media(Path(plan.media_dir)))
    identity = DtlsIdentity.generate()
    pacer = Pacer()
    participants: list[LoadParticipant] = []
    failures: dict[str, str] = {}
    try:
        for index in plan.indices:
            delay = plan.started_at + index * plan.join_interval - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            participant = LoadParticipant(
                plan.base_url,
                plan.room,
                f"Load {index + 1}",
                media=media,
                identity=identity,
                pacer=pacer,
                options=ParticipantOptions(
                    audio=index < plan.speakers,
                    video=plan.publish_video,
                    simulcast=plan.simulcast,
                    view=plan.view,
                    follow_publish_layers=plan.follow_publish_layers,
                ),
            )
            participants.append(participant)
            try:
                await participant.start()
            except Exception as error:  # any failure of one join is a figure, not a crash
                logger.debug("join failed", exc_info=True)
                failures[participant.name] = repr(error)
        await asyncio.sleep(plan.warmup)
        before = {p.name: p.snapshot() for p in participants}
        await asyncio.sleep(max(0.0, plan.duration - plan.warmup))
        after = {p.name: p.snapshot() for p in participants}
    finally:
        for participant in participants:
            await participant.close()
        await pacer.close()
    return [
        result_between(p.name, before[p.name], after[p.name], failures.get(p.name))
        for p in participants
    ]


def result_between(
    name: str, before: ParticipantSnapshot, after: ParticipantSnapshot, failure: str | None
) -> ParticipantResult:
    """What one participant (or viewer) received between two of its snapshots."""
    streams = []
    for stream_id, last in after.streams.items():
        first = before.streams.get(stream_id)
        streams.append(_stream_result(stream_id, first, last))
    return ParticipantResult(
        name=name,
        joined=after.joined,
        error=failure or after.error,
        join_seconds=after.join_seconds,
        window_seconds=after.at - before.at,
        keyframe_requests=after.keyframe_requests,
        streams=tuple(streams),
    )


def _stream_result(
    stream_id: str, first: StreamSnapshot | None, last: StreamSnapshot
) -> StreamResult:
    packets = last.packets - (first.packets if first else 0)
    return StreamResult(
        stream=stream_id,
        kind=last.kind,
        packets=packets,
        bytes=last.bytes - (first.bytes if first else 0),
        expected=last.expected - (first.expected if first else 0),
        lost=last.lost - (first.lost if first else 0),
        layer_switches=last.layer_switches,
        keyframes=last.keyframes,
        size=last.size,
    )
