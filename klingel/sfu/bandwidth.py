"""How much one subscriber's downlink carries: a send-side estimate after Google Congestion
Control (draft-ietf-rmcat-gcc-02), fed by the subscriber's transport-wide feedback
(``klingel.sfu.twcc``).

The estimator is pure: the router passes in every packet result and the time, so traces can be
replayed in tests. It combines three bounds and reports the smallest:

* **Delay-based** (sections 5.2-5.5). Packets sent within 5 ms of the first of a group form
  one group; for two consecutive groups the difference between their arrival spacing and
  their send spacing is the one-way delay gradient. Its running sum, smoothed (0.9), goes
  into a trendline: the least-squares slope over the last 20 groups, scaled by the number of
  groups seen (at most 60) and a gain of 4, is the "modified trend" in milliseconds. An
  overuse detector compares it with an adaptive threshold (12.5 ms to start, within 6-600 ms;
  it follows the trend quickly when the trend is inside it and slowly when outside, so
  competing loss-based flows do not starve us): overuse needs the trend above the threshold
  for 10 ms and two groups, and not falling. AIMD rate control then decreases to 0.85 times
  the acknowledged rate on overuse (at most once per 300 ms, as the queue needs that long to
  show the effect; and per step to no less than half the estimate, because overuse often
  shows before the acknowledged rate has caught up with what was sent), holds on underuse
  (the queue drains) and otherwise increases: by 8 % per second while far from the rate at
  which the link last overflowed, by about one packet per response time near it.
* **Loss-based** (section 6). Over windows of at least 20 reported packets and a second
  (heavy loss counts as soon as 20 packets show it): more than 10 % lost lowers the bound to
  ``bound * (1 - loss / 2)`` (again at most every 300 ms), less than 2 % lets it grow by 8 %
  per second, anything between holds it.
* **REMB**, if the subscriber sends one, is a ceiling.

Choices that depart from a browser's sender, and why:

* The start value is generous (2.5 Mbit/s): the SFU forwards what publishers already send, so
  a subscriber with a good link must not be held back while the estimate ramps up; a short
  link shows up within a few hundred milliseconds and the estimate then falls to what was
  acknowledged.
* The SFU sends no probes. While the subscriber receives less than the estimate (the
  allocator keeps it below), nothing tells whether more would fit. The increase then stops at
  a ceiling: 1.25 times the acknowledged rate at the last overuse (the link's capacity as far
  as known), rising from there slowly (doubling per minute, up to the larger of the start
  value and twice the acknowledged rate) since the link may have got better, and never below
  1.5 times the acknowledged rate. When the estimate allows a higher layer, the allocator
  (``klingel.sfu.allocation``) tries it; that is the probe, and the allocator backs off
  longer each time one had to be undone.
* Sizes are the packets' sizes on the wire as far as the SFU knows them: RTP plus the SRTP tag
  and UDP/IPv4 headers (``PACKET_OVERHEAD``), so that the estimate and the layer bitrates the
  allocator compares it with count the same bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

__all__ = [
    "INITIAL_BITRATE",
    "MAXIMUM_BITRATE",
    "MINIMUM_BITRATE",
    "PACKET_OVERHEAD",
    "BandwidthUsage",
    "DownlinkEstimator",
    "PacketResult",
]

INITIAL_BITRATE = 2_500_000
MINIMUM_BITRATE = 100_000
MAXIMUM_BITRATE = 20_000_000
PACKET_OVERHEAD = 20 + 8 + 10  # IPv4 and UDP headers, SRTP authentication tag

_GROUP_SPAN = 0.005  # packets sent within 5 ms of a group's first belong to it
_TRENDLINE_WINDOW = 20
_SMOOTHING = 0.9
_TREND_GAIN = 4.0
_MAX_DELTAS = 60
_INITIAL_THRESHOLD_MS = 12.5
_THRESHOLD_RANGE_MS = (6.0, 600.0)
_THRESHOLD_GAIN_OUTSIDE = 0.0087  # per ms: the threshold follows a trend outside it slowly
_THRESHOLD_GAIN_INSIDE = 0.039
_MAX_THRESHOLD_JUMP_MS = 15.0
_OVERUSE_TIME_MS = 10.0
_BETA = 0.85
_INCREASE_PER_SECOND = 1.08
_DECREASE_INTERVAL = 0.3
_RESPONSE_TIME = 0.3  # seconds: a feedback interval plus a round trip, roughly
_CEILING_ABOVE_CAPACITY = 1.25
_CEILING_DOUBLING = 60.0  # seconds
_ACKED_WINDOW = 0.5  # seconds of arrivals the acknowledged rate is measured over
_LOSS_WINDOW_PACKETS = 20
_LOSS_WINDOW_SECONDS = 1.0
_HIGH_LOSS = 0.10
_LOW_LOSS = 0.02


class BandwidthUsage(Enum):
    NORMAL = "normal"
    OVERUSING = "overusing"
    UNDERUSING = "underusing"


class PacketResult(NamedTuple):
    """One packet the feedback reported: when the SFU sent it (its clock, seconds), its size
    in bytes, and when it arrived (the subscriber's clock, seconds; None if lost). A tuple, not
    a dataclass: one is made for every packet sent, and a tuple is the cheapest value."""

    send_time: float
    size: int
    arrival: float | None


class _Trendline:
    """Delay gradients of packet groups to a modified trend (ms) and an overuse verdict."""

    __slots__ = (
        "_accumulated",
        "_deltas",
        "_first_arrival",
        "_last_threshold_update",
        "_overuse_count",
        "_points",
        "_previous_trend",
        "_smoothed",
        "_time_over",
        "state",
        "threshold",
        "trend",
    )

    def __init__(self) -> None:
        self._accumulated = 0.0
        self._smoothed = 0.0
        self._deltas = 0
        self._first_arrival: float | None = None
        self._points: deque[tuple[float, float]] = deque(maxlen=_TRENDLINE_WINDOW)
        self.trend = 0.0
        self._previous_trend = 0.0
        self.threshold = _INITIAL_THRESHOLD_MS
        self._last_threshold_update: float | None = None
        self._time_over = -1.0
        self._overuse_count = 0
        self.state = BandwidthUsage.NORMAL

    def update(self, arrival_delta: float, send_delta: float, arrival: float) -> None:
        """One pair of consecutive groups: spacing at arrival and at sending (seconds), and the
        later group's arrival time (subscriber's clock)."""
        gradient_ms = (arrival_delta - send_delta) * 1000
        self._deltas = min(self._deltas + 1, 1000)
        self._accumulated += gradient_ms
        self._smoothed = _SMOOTHING * self._smoothed + (1 - _SMOOTHING) * self._accumulated
        if self._first_arrival is None:
            self._first_arrival = arrival
        self._points.append(((arrival - self._first_arrival) * 1000, self._smoothed))
        if len(self._points) == _TRENDLINE_WINDOW:
            slope = _slope(self._points)
            if slope is not None:
                self.trend = slope
        modified = min(self._deltas, _MAX_DELTAS) * self.trend * _TREND_GAIN
        self._detect(modified, send_delta * 1000, arrival)

    def _detect(self, modified: float, send_delta_ms: float, arrival: float) -> None:
        if self._deltas < 2:
            return
        if modified > self.threshold:
            if self._time_over < 0:
                self._time_over = send_delta_ms / 2  # assume half the gap was already over
            else:
                self._time_over += send_delta_ms
            self._overuse_count += 1
            if (
                self._time_over > _OVERUSE_TIME_MS
                and self._overuse_count > 1
                and modified >= self._previous_trend
            ):
                self._time_over = 0.0
                self._overuse_count = 0
                self.state = BandwidthUsage.OVERUSING
        elif modified < -self.threshold:
            self._time_over = -1.0
            self._overuse_count = 0
            self.state = BandwidthUsage.UNDERUSING
        else:
            self._time_over = -1.0
            self._overuse_count = 0
            self.state = BandwidthUsage.NORMAL
        self._previous_trend = modified
        self._adapt_threshold(modified, arrival)

    def _adapt_threshold(self, modified: float, arrival: float) -> None:
        last = self._last_threshold_update
        self._last_threshold_update = arrival
        if last is None:
            return
        magnitude = abs(modified)
        if magnitude > self.threshold + _MAX_THRESHOLD_JUMP_MS:
            return  # a spike (a route change, a paused sender) must not drag the threshold
        gain = _THRESHOLD_GAIN_INSIDE if magnitude < self.threshold else _THRESHOLD_GAIN_OUTSIDE
        elapsed_ms = min((arrival - last) * 1000, 100.0)
        self.threshold += gain * (magnitude - self.threshold) * max(elapsed_ms, 0.0)
        low, high = _THRESHOLD_RANGE_MS
        self.threshold = min(max(self.threshold, low), high)


def _slope(points: deque[tuple[float, float]]) -> float | None:
    """Least-squares slope, in one pass: it runs for every packet group."""
    count = len(points)
    sum_x = sum_y = sum_xx = sum_xy = 0.0
    for x, y in points:
        sum_x += x
        sum_y += y
        sum_xx += x * x
        sum_xy += x * y
    denominator = count * sum_xx - sum_x * sum_x
    if abs(denominator) < 1e-9:
        return None
    return (count * sum_xy - sum_x * sum_y) / denominator


class DownlinkEstimator:
    """The bitrate one subscriber's downlink carries (see the module doc)."""

    __slots__ = (
        "_acked",
        "_acked_bytes",
        "_ceiling",
        "_delay_bound",
        "_group",
        "_initial",
        "_last_decrease",
        "_last_increase",
        "_last_loss_decrease",
        "_last_loss_increase",
        "_link_capacity",
        "_loss_bound",
        "_loss_window_start",
        "_lost",
        "_maximum",
        "_minimum",
        "_previous_group",
        "_remb",
        "_reported",
        "_trendline",
    )

    def __init__(
        self,
        *,
        initial: int = INITIAL_BITRATE,
        minimum: int = MINIMUM_BITRATE,
        maximum: int = MAXIMUM_BITRATE,
    ) -> None:
        self._initial = initial
        self._minimum = minimum
        self._maximum = maximum
        self._delay_bound = float(initial)
        self._loss_bound = float(initial)
        self._remb: int | None = None
        self._trendline = _Trendline()
        # (first send, last send, last arrival) of the group being filled and the one before
        self._group: tuple[float, float, float] | None = None
        self._previous_group: tuple[float, float, float] | None = None
        self._acked: deque[tuple[float, int]] = deque()  # (arrival, size) of recent packets
        self._acked_bytes = 0  # their sizes summed
        self._link_capacity: float | None = None  # acknowledged rate at overuse, smoothed
        self._ceiling = float(initial)  # how far an increase may go without a probe
        self._last_decrease = float("-inf")
        self._last_increase: float | None = None
        self._last_loss_decrease = float("-inf")
        self._last_loss_increase: float | None = None
        self._reported = 0
        self._lost = 0
        self._loss_window_start: float | None = None

    @property
    def estimate(self) -> int:
        bound = min(self._delay_bound, self._loss_bound)
        if self._remb is not None:
            bound = min(bound, self._remb)
        return int(max(self._minimum, min(self._maximum, bound)))

    @property
    def usage(self) -> BandwidthUsage:
        return self._trendline.state

    @property
    def acknowledged_bitrate(self) -> int | None:
        """Bits per second the subscriber received over the last half second of arrivals."""
        acked = self._acked
        if len(acked) < 2:
            return None
        span = acked[-1][0] - acked[0][0]
        if span < 0.1:
            return None
        return int(self._acked_bytes * 8 / span)

    def on_remb(self, bitrate: int) -> None:
        self._remb = max(self._minimum, bitrate)

    def on_feedback(self, results: Sequence[PacketResult], now: float) -> int:
        """Fold in the packets one feedback reported, in sequence order; ``now`` is the SFU's
        clock. Returns the new estimate."""
        if self._reported == 0:
            self._loss_window_start = now
        for result in results:
            self._reported += 1
            if result.arrival is None:
                self._lost += 1
                continue
            self._add_acked(result.arrival, result.size)
            self._add_to_group(result.send_time, result.arrival)
        self._update_delay_bound(now)
        self._update_loss_bound(now)
        return self.estimate

    def _add_acked(self, arrival: float, size: int) -> None:
        acked = self._acked
        acked.append((arrival, size))
        self._acked_bytes += size
        while acked[0][0] < arrival - _ACKED_WINDOW:
            self._acked_bytes -= acked.popleft()[1]

    def _add_to_group(self, send_time: float, arrival: float) -> None:
        group = self._group
        if group is None:
            self._group = (send_time, send_time, arrival)
            return
        if send_time < group[0]:
            return  # reordered behind its group: it says nothing about the gradient
        if send_time - group[0] <= _GROUP_SPAN:
            self._group = (group[0], max(group[1], send_time), max(group[2], arrival))
            return
        previous = self._previous_group
        if previous is not None:
            send_delta = group[1] - previous[1]
            arrival_delta = group[2] - previous[2]
            if send_delta >= 0:
                self._trendline.update(arrival_delta, send_delta, group[2])
        self._previous_group = group
        self._group = (send_time, send_time, arrival)

    def _update_delay_bound(self, now: float) -> None:
        state = self._trendline.state
        acked = self.acknowledged_bitrate
        last_increase = self._last_increase
        self._last_increase = now
        if state is BandwidthUsage.OVERUSING:
            if now - self._last_decrease >= _DECREASE_INTERVAL:
                # Overuse often shows before the acknowledged rate does (a keyframe burst of a
                # higher layer): one step never goes below half the estimate, the next one 300 ms
                # later goes on down if the queue still grows.
                basis = max(acked or 0, self._delay_bound / 2)
                lowered = _BETA * basis
                if lowered < self._delay_bound:
                    self._delay_bound = max(float(self._minimum), lowered)
                self._last_decrease = now
                if acked is not None:
                    capacity = self._link_capacity
                    self._link_capacity = (
                        acked if capacity is None else 0.9 * capacity + 0.1 * acked
                    )
                    self._ceiling = _CEILING_ABOVE_CAPACITY * acked
            return
        if last_increase is None:
            return
        elapsed = min(max(now - last_increase, 0.0), 1.0)
        # the link may have got better since it overflowed: the ceiling rises slowly
        self._ceiling = min(
            self._ceiling * 2 ** (elapsed / _CEILING_DOUBLING),
            max(float(self._initial), 2.0 * (acked or 0)),
        )
        if state is BandwidthUsage.UNDERUSING:
            return
        ceiling = max(self._ceiling, 1.5 * (acked or 0) + 10_000)
        if self._delay_bound >= ceiling:
            return
        capacity = self._link_capacity
        if capacity is not None and 0.85 * capacity <= self._delay_bound <= 1.15 * capacity:
            # near where the link overflowed last time: about one packet per response time
            self._delay_bound += max(1000.0, 1200 * 8 / _RESPONSE_TIME) * elapsed
        else:
            self._delay_bound *= _INCREASE_PER_SECOND**elapsed
        self._delay_bound = min(self._delay_bound, ceiling, float(self._maximum))

    def _update_loss_bound(self, now: float) -> None:
        if self._reported < _LOSS_WINDOW_PACKETS:
            return
        loss = self._lost / self._reported
        started = self._loss_window_start
        if loss <= _HIGH_LOSS and started is not None and now - started < _LOSS_WINDOW_SECONDS:
            return  # heavy loss counts at once, the rest over a second
        self._loss_window_start = None
        last_increase = self._last_loss_increase
        self._last_loss_increase = now
        self._reported = self._lost = 0
        if loss > _HIGH_LOSS:
            if now - self._last_loss_decrease >= _DECREASE_INTERVAL:
                start = min(self._loss_bound, self._delay_bound)
                self._loss_bound = max(float(self._minimum), start * (1 - loss / 2))
                self._last_loss_decrease = now
        elif loss < _LOW_LOSS and last_increase is not None:
            elapsed = min(max(now - last_increase, 0.0), 1.0)
            self._loss_bound = min(
                self._loss_bound * _INCREASE_PER_SECOND**elapsed, float(self._maximum)
            )
