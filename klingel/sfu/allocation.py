"""Which layer of each subscribed video stream one subscriber gets within its downlink
estimate (``klingel.sfu.bandwidth``).

``allocate`` is the budget split at one moment. Audio is reserved first and never cut. The
video streams are served in priority order (a screen share before the active speaker before
everyone else; among equals, the one asking for the larger layer first): first every stream
gets its smallest layer while that fits, and a stream whose smallest layer no longer fits is
paused, so the least important ones pause first. Then, in the same order, each stream moves up
to the largest layer at or below its request that the rest of the budget still pays for.

``LayerAllocator`` adds hysteresis over time, because every switch costs a keyframe and a
visible change of picture:

* Down at once: when the current choice needs more than the estimate, the split is done
  anew, down to the smallest layers.
* Pause only on a lasting shortage: a stream that plays is paused only once the estimate has
  been below what the audio and the smallest layers of the playing streams need for
  ``PAUSE_AFTER`` seconds (2 s), and never while it is above ``PAUSE_FRACTION`` (90 %) of
  that. A dip of the estimate (an overflow the estimate overshoots, a keyframe burst) would
  otherwise pause the picture and, with only audio left to measure, keep it paused; the
  smallest layer is held instead.
* Up slowly: only to a choice that the estimate has exceeded by at least 25 % during the whole
  of the last ``wait`` seconds (2 s). Every stream starts (and resumes) on its smallest layer,
  so that its first keyframe is small and quick, and stays there for 1 s; a fresh subscriber
  takes its first step after that 1 s too.
* Back off: an upgrade undone within 5 s doubles the wait (up to 30 s), since the link
  evidently could not carry it; once per upgrade, however many steps the fall after it takes.
  A downgrade long after the last upgrade resets it, and so does an upgrade that held for
  5 s: the link carried it, and the next step need not wait for the last failure.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "PRIORITY_OTHER",
    "PRIORITY_SCREEN",
    "PRIORITY_SPEAKER",
    "LayerAllocator",
    "VideoDemand",
    "allocate",
    "bitrate_needed",
]

PRIORITY_SCREEN = 2
PRIORITY_SPEAKER = 1
PRIORITY_OTHER = 0

UPGRADE_MARGIN = 1.25
BASE_WAIT = 2.0
FIRST_WAIT = 1.0
MAX_WAIT = 30.0
UNDO_WINDOW = 5.0
PAUSE_AFTER = 2.0
PAUSE_FRACTION = 0.9

Key = TypeVar("Key", bound=Hashable)
Choice = int | None  # a layer index, or None: paused


@dataclass(frozen=True, slots=True)
class VideoDemand(Generic[Key]):
    """One subscribed video stream: its request (None: the subscriber paused it), the
    bitrate of each of the publisher's layers (bits/s, smallest first) and its priority."""

    key: Key
    requested: int | None
    bitrates: tuple[int, ...]
    priority: int = PRIORITY_OTHER

    def __post_init__(self) -> None:
        if not self.bitrates:
            raise ValueError("a video stream has at least one layer")

    @property
    def ceiling(self) -> int | None:
        """The largest layer it may get: its request, bounded by the layers there are."""
        if self.requested is None:
            return None
        return min(self.requested, len(self.bitrates) - 1)


def bitrate_needed(
    audio: int, demands: Sequence[VideoDemand[Key]], choice: Mapping[Key, Choice]
) -> int:
    total = audio
    for demand in demands:
        layer = choice.get(demand.key)
        if layer is not None:
            total += demand.bitrates[layer]
    return total


def allocate(budget: float, audio: int, demands: Sequence[VideoDemand[Key]]) -> dict[Key, Choice]:
    """The layer for each video stream within ``budget`` bits/s (see the module doc)."""
    order = sorted(
        demands, key=lambda d: (-d.priority, -(d.ceiling if d.ceiling is not None else -1))
    )
    left = budget - audio
    choice: dict[Key, Choice] = {}
    for demand in order:
        if demand.ceiling is not None and demand.bitrates[0] <= left:
            choice[demand.key] = 0
            left -= demand.bitrates[0]
        else:
            choice[demand.key] = None
    for demand in order:
        ceiling = demand.ceiling
        if choice[demand.key] is None or ceiling is None:
            continue
        left += demand.bitrates[0]
        best = 0
        for layer in range(ceiling, 0, -1):
            if demand.bitrates[layer] <= left:
                best = layer
                break
        choice[demand.key] = best
        left -= demand.bitrates[best]
    return choice


def _is_higher(new: Choice, old: Choice) -> bool:
    if new is None:
        return False
    return old is None or new > old


class LayerAllocator(Generic[Key]):
    """The hysteresis around ``allocate`` for one subscriber; time is passed in."""

    __slots__ = (
        "_choice",
        "_estimates",
        "_last_upgrade",
        "_short_since",
        "_started",
        "_undone",
        "_wait",
    )

    def __init__(self) -> None:
        self._choice: dict[Key, Choice] = {}
        self._estimates: deque[tuple[float, float]] = deque()
        self._wait = FIRST_WAIT
        self._last_upgrade = float("-inf")
        self._undone = False  # the last upgrade was undone already (and the wait doubled)
        self._started: dict[Key, float] = {}  # when each stream (re)started
        self._short_since: float | None = None  # the smallest layers have not fitted since

    @property
    def wait(self) -> float:
        """Seconds the estimate must stay above an upgrade's needs before it is made."""
        return self._wait

    def update(
        self, now: float, estimate: int, audio: int, demands: Sequence[VideoDemand[Key]]
    ) -> dict[Key, Choice]:
        self._remember(now, estimate)
        keys = {demand.key for demand in demands}
        # new streams (and resumed ones) start on their smallest layer; a lowered request
        # applies at once
        current: dict[Key, Choice] = {}
        started = {d.key: self._started.get(d.key, now) for d in demands if d.requested is not None}
        self._started = started
        for demand in demands:
            ceiling = demand.ceiling
            held = self._choice.get(demand.key, 0)
            if ceiling is None or held is None:
                current[demand.key] = None if ceiling is None else held
            else:
                current[demand.key] = min(held, ceiling)
        if not self._undone and self._wait > BASE_WAIT and now - self._last_upgrade >= UNDO_WINDOW:
            self._wait = BASE_WAIT  # the last upgrade held
        pause = self._may_pause(now, estimate, audio, demands, current)
        if bitrate_needed(audio, demands, current) > estimate:
            fitting = allocate(estimate, audio, demands)
            if not pause:
                fitting = {
                    key: 0 if layer is None and current[key] is not None else layer
                    for key, layer in fitting.items()
                }
            self._choice = {
                key: (fitting[key] if not _is_higher(fitting[key], current[key]) else current[key])
                for key in keys
            }
            if bitrate_needed(audio, demands, self._choice) > estimate:
                self._choice = fitting
            self._downgraded(now)
            result = dict(self._choice)
            self._remember_choice(result, demands)
            return result
        sustained = self._sustained_estimate(now)
        if sustained is not None:
            candidate = allocate(sustained / UPGRADE_MARGIN, audio, demands)
            # a stream that just started stays on its smallest layer for its first keyframe
            settled = {key for key, at in started.items() if now - at >= FIRST_WAIT}
            raised = {
                key: candidate[key]
                if key in settled and _is_higher(candidate[key], current[key])
                else current[key]
                for key in keys
            }
            if raised != current and bitrate_needed(audio, demands, raised) <= estimate:
                current = raised
                self._last_upgrade = now
                self._undone = False
                self._wait = max(self._wait, BASE_WAIT)  # the quick first step is spent
        self._remember_choice(current, demands)
        return dict(current)

    def _may_pause(
        self,
        now: float,
        estimate: int,
        audio: int,
        demands: Sequence[VideoDemand[Key]],
        current: Mapping[Key, Choice],
    ) -> bool:
        """Whether a playing stream may be paused now: the estimate has been short of what
        the smallest layers of the playing streams need for ``PAUSE_AFTER`` seconds, and is
        well below it now."""
        smallest = {key: 0 for key, layer in current.items() if layer is not None}
        needed = bitrate_needed(audio, demands, smallest)
        if estimate >= needed:
            self._short_since = None
            return False
        if self._short_since is None:
            self._short_since = now
        return estimate < PAUSE_FRACTION * needed and now - self._short_since >= PAUSE_AFTER

    def _remember_choice(
        self, choice: dict[Key, Choice], demands: Sequence[VideoDemand[Key]]
    ) -> None:
        """Keep the choice for next time; a stream its subscriber paused is forgotten, so that
        it starts again like a new one, on its smallest layer."""
        self._choice = {d.key: choice[d.key] for d in demands if d.requested is not None}

    def _remember(self, now: float, estimate: int) -> None:
        estimates = self._estimates
        estimates.append((now, float(estimate)))
        while len(estimates) > 1 and estimates[1][0] <= now - MAX_WAIT:
            estimates.popleft()

    def _sustained_estimate(self, now: float) -> float | None:
        """The lowest estimate over the last ``wait`` seconds, None without that much
        history (or while the last upgrade is more recent than that)."""
        since = now - self._wait
        if self._estimates[0][0] > since or self._last_upgrade > since:
            return None
        lowest = min(value for at, value in self._estimates if at >= since)
        # the sample taken just before the window still held when the window began
        before = [value for at, value in self._estimates if at < since]
        if before:
            lowest = min(lowest, before[-1])
        return lowest

    def _downgraded(self, now: float) -> None:
        if now - self._last_upgrade < UNDO_WINDOW:
            if not self._undone:
                self._wait = min(max(self._wait, BASE_WAIT) * 2, MAX_WAIT)
                self._undone = True
        else:
            self._wait = BASE_WAIT
