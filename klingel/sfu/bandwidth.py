"""How much one subscriber's downlink carries: a send-side estimate after Google Congestion
Control (draft-ietf-rmcat-gcc-02), fed by the subscriber's transport-wide feedback
(``klingel.sfu.twcc``).

The estimator is pure: the router passes in what each feedback reports (``FeedbackReport``,
made by ``twcc.SendHistory``) and the time, so traces can be replayed in tests. It combines
three bounds and reports the smallest:

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
* The acknowledged rate is measured over the packets of the feedbacks of the last half second
  of arrivals, not packet by packet.
* Sizes are the packets' sizes on the wire as far as the SFU knows them: RTP plus the SRTP tag
  and UDP/IPv4 headers (``PACKET_OVERHEAD``), so that the estimate and the layer bitrates the
  allocator compares it with count the same bytes.

Every packet sent to a subscriber is reported once, so the feedback costs nearly as much as
forwarding unless it is cheap: no object per packet (the history's own tuples and the
feedback's delta bytes are passed through), arrival times stay integer ticks, the delay-based
part is one loop with its state in locals, and the trendline keeps running sums instead of
fitting 20 points per group.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from enum import Enum

__all__ = [
    "INITIAL_BITRATE",
    "MAXIMUM_BITRATE",
    "MINIMUM_BITRATE",
    "PACKET_OVERHEAD",
    "TICK",
    "BandwidthUsage",
    "DownlinkEstimator",
    "FeedbackReport",
    "SentPacket",
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


SentPacket = tuple[int, float, int]
"""A packet as the send history remembers it: transport-wide sequence number, send time (the
SFU's clock, seconds) and size on the wire (bytes)."""


FeedbackReport = tuple[list[SentPacket], int, Sequence[int], int]
"""What one transport-wide feedback says about the packets the SFU still remembers, in
sequence order: those received, as remembered (``SentPacket``); the feedback's reference time
and, per received packet, its arrival after the one before (the first: after the reference
time), both in the feedback's units of 250 us on the subscriber's clock; and how many were
lost. Sequences in a plain tuple rather than an object per packet: every packet sent to a
subscriber is reported once."""

TICK = 0.00025  # seconds: the unit of the arrival times in a ``FeedbackReport``

_NORMAL = BandwidthUsage.NORMAL
_OVERUSING = BandwidthUsage.OVERUSING
_UNDERUSING = BandwidthUsage.UNDERUSING
_THRESHOLD_LOW, _THRESHOLD_HIGH = _THRESHOLD_RANGE_MS
_REBASE_LAPS = 4
_SMOOTHING_REST = 1 - _SMOOTHING
_TICK_MS = TICK * 1000
_NEAR_CAPACITY_INCREASE = max(1000.0, 1200 * 8 / _RESPONSE_TIME)  # bits/s per second


_DetectorState = tuple[
    float,  # the group being filled: first send time (seconds, the SFU's clock)
    float,  # its last send time
    int,  # its last arrival (ticks, the subscriber's clock)
    float,  # the group before it: last send time (infinite while there is none)
    int,  # its last arrival
    int,  # group pairs seen, up to _MAX_DELTAS
    float,  # their delay gradients summed (ms)
    float,  # that sum, smoothed
    int,  # points in the trendline's ring
    int,  # where the next one goes
    int,  # rounds of the ring since the origin moved
    float,  # the origin: arrival (ticks)
    float,  # and smoothed delay (ms)
    float,  # sums over the ring: x (arrival, ms after the origin)
    float,  # y (smoothed delay, ms above the origin)
    float,  # x * x
    float,  # x * y
    float,  # the trend: the ring's least-squares slope
    float,  # the modified trend at the last group pair
    float,  # the adaptive threshold (ms)
    int | None,  # when the threshold was last adapted (ticks)
    float,  # how long the modified trend has been over the threshold (ms), -1: not over
    int,  # group pairs over it
]


class _DelayDetector:
    """Sections 5.2-5.4: reported packets into groups, the delay gradients of consecutive
    groups into a trendline, its modified trend (ms) against an adaptive threshold into an
    overuse verdict (``state``).

    This runs for nearly every packet sent to a subscriber, so ``update`` is one loop over a
    feedback's packets with its state in locals (loaded from and stored to one tuple), arrival
    times stay in the feedback's integer ticks, and the trendline's least-squares slope comes
    from running sums: the ring holds the last ``_TRENDLINE_WINDOW`` points relative to an
    origin that moves up to the oldest point every few rounds of the ring (the sums are then
    computed afresh), so that they neither drift nor lose precision over a long call."""

    __slots__ = ("_started", "_values", "_variables", "_xs", "state")

    def __init__(self) -> None:
        self._started = False  # a first packet was seen
        self._variables: _DetectorState = (
            0.0, 0.0, 0, math.inf, 0, 0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, _INITIAL_THRESHOLD_MS, None, -1.0, 0,
        )  # fmt: skip
        # the trendline's ring: arrival and smoothed delay, both in ms from the origin
        self._xs = [0.0] * _TRENDLINE_WINDOW
        self._values = [0.0] * _TRENDLINE_WINDOW
        self.state = BandwidthUsage.NORMAL

    def update(self, sent: list[SentPacket], ticks: int, deltas: Sequence[int]) -> int:
        """Fold in the received packets of one feedback (see ``FeedbackReport``). Returns
        their bytes."""
        (
            first, last, group_arrival, previous_last, previous_arrival,
            deltas_seen, accumulated, smoothed,
            filled, position, laps, origin_ticks, origin_value,
            sum_x, sum_y, sum_xx, sum_xy, trend,
            previous_trend, threshold, last_threshold_update, time_over, overuse_count,
        ) = self._variables  # fmt: skip
        state = self.state
        xs, values = self._xs, self._values
        window = _TRENDLINE_WINDOW
        packets = zip(sent, deltas)  # noqa: B905 (equal lengths; the keyword costs a slow call)
        received = 0
        if not self._started:
            self._started = True
            (_, first, received), delta = next(packets)
            ticks += delta
            last, group_arrival, origin_ticks = first, ticks, ticks
        for (_, send, size), delta in packets:
            received += size
            ticks += delta
            if send - first <= _GROUP_SPAN:
                if send >= first:  # one sent before its group's first says nothing here
                    if send > last:
                        last = send
                    if ticks > group_arrival:
                        group_arrival = ticks
                continue
            # a new group starts: the one it closes pairs with the one before
            send_delta = last - previous_last  # negative while there is no group before
            arrival_delta = group_arrival - previous_arrival
            previous_last = last
            previous_arrival = closed_arrival = group_arrival
            first = last = send
            group_arrival = ticks
            if send_delta < 0:
                continue
            send_delta_ms = send_delta * 1000
            # the trendline (section 5.3)
            if deltas_seen < _MAX_DELTAS:
                deltas_seen += 1
            accumulated += arrival_delta * _TICK_MS - send_delta_ms
            smoothed = _SMOOTHING * smoothed + _SMOOTHING_REST * accumulated
            x = (closed_arrival - origin_ticks) * _TICK_MS
            y = smoothed - origin_value
            if filled == window:  # the new point replaces the oldest
                old_x = xs[position]
                old_y = values[position]
                sum_x += x - old_x
                sum_y += y - old_y
                sum_xx += x * x - old_x * old_x
                sum_xy += x * y - old_x * old_y
            else:
                filled += 1
                sum_x += x
                sum_y += y
                sum_xx += x * x
                sum_xy += x * y
            xs[position] = x
            values[position] = y
            position += 1
            if position == window:
                position = 0
                laps += 1
                if laps == _REBASE_LAPS:
                    laps = 0
                    shift_x, shift_y = xs[0], values[0]  # the oldest point
                    origin_ticks += shift_x / _TICK_MS
                    origin_value += shift_y
                    sum_x = sum_y = sum_xx = sum_xy = 0.0
                    for index in range(window):
                        x = xs[index] = xs[index] - shift_x
                        y = values[index] = values[index] - shift_y
                        sum_x += x
                        sum_y += y
                        sum_xx += x * x
                        sum_xy += x * y
            if filled == window:
                denominator = window * sum_xx - sum_x * sum_x
                if denominator >= 1e-9 or denominator <= -1e-9:
                    trend = (window * sum_xy - sum_x * sum_y) / denominator
            if deltas_seen < 2:
                continue
            # the overuse detector (section 5.4)
            modified = deltas_seen * trend * _TREND_GAIN
            if modified > threshold:
                if time_over < 0:
                    time_over = send_delta_ms / 2  # assume half the gap was over already
                else:
                    time_over += send_delta_ms
                overuse_count += 1
                if (
                    time_over > _OVERUSE_TIME_MS
                    and overuse_count > 1
                    and modified >= previous_trend
                ):
                    time_over = 0.0
                    overuse_count = 0
                    state = _OVERUSING
            elif modified < -threshold:
                time_over = -1.0
                overuse_count = 0
                state = _UNDERUSING
            else:
                time_over = -1.0
                overuse_count = 0
                state = _NORMAL
            previous_trend = modified
            # the adaptive threshold (section 5.4): follows the trend quickly inside, slowly
            # outside, not at all after a spike (a route change, a paused sender)
            since = last_threshold_update
            last_threshold_update = closed_arrival
            if since is None:
                continue
            magnitude = modified if modified >= 0 else -modified
            if magnitude > threshold + _MAX_THRESHOLD_JUMP_MS:
                continue
            elapsed_ms = (closed_arrival - since) * _TICK_MS
            if elapsed_ms > 100.0:
                elapsed_ms = 100.0
            elif elapsed_ms < 0.0:
                elapsed_ms = 0.0
            if magnitude < threshold:
                threshold += _THRESHOLD_GAIN_INSIDE * (magnitude - threshold) * elapsed_ms
            else:
                threshold += _THRESHOLD_GAIN_OUTSIDE * (magnitude - threshold) * elapsed_ms
            if threshold < _THRESHOLD_LOW:
                threshold = _THRESHOLD_LOW
            elif threshold > _THRESHOLD_HIGH:
                threshold = _THRESHOLD_HIGH
        self._variables = (
            first, last, group_arrival, previous_last, previous_arrival,
            deltas_seen, accumulated, smoothed,
            filled, position, laps, origin_ticks, origin_value,
            sum_x, sum_y, sum_xx, sum_xy, trend,
            previous_trend, threshold, last_threshold_update, time_over, overuse_count,
        )  # fmt: skip
        self.state = state
        return received


class DownlinkEstimator:
    """The bitrate one subscriber's downlink carries (see the module doc)."""

    __slots__ = (
        "_acked",
        "_acked_bytes",
        "_acked_rate",
        "_ceiling",
        "_delay_bound",
        "_detector",
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
        "_remb",
        "_reported",
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
        self._detector = _DelayDetector()
        # (first arrival, last arrival, bytes) of the packets of each recent feedback
        self._acked: deque[tuple[float, float, int]] = deque()
        self._acked_bytes = 0  # their bytes summed
        self._acked_rate = 0  # bits/s over them, 0 until they span 100 ms
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
        bound = self._delay_bound
        if self._loss_bound < bound:
            bound = self._loss_bound
        remb = self._remb
        if remb is not None and remb < bound:
            bound = remb
        if bound > self._maximum:
            return self._maximum
        return int(bound) if bound > self._minimum else self._minimum

    @property
    def usage(self) -> BandwidthUsage:
        return self._detector.state

    @property
    def acknowledged_bitrate(self) -> int | None:
        """Bits per second the subscriber received over about the last half second of
        arrivals (None: too little to tell)."""
        return self._acked_rate or None

    def on_remb(self, bitrate: int) -> None:
        self._remb = max(self._minimum, bitrate)

    def on_feedback(self, report: FeedbackReport, now: float) -> int:
        """Fold in what one feedback reported; ``now`` is the SFU's clock. Returns the new
        estimate."""
        sent, reference, deltas, lost = report
        reported = self._reported
        if not reported:
            self._loss_window_start = now
        reported += len(sent) + lost
        self._reported = reported
        if lost:
            self._lost += lost
        if sent:
            self._acknowledge(
                self._detector.update(sent, reference, deltas),
                (reference + deltas[0]) * TICK,
                (reference + sum(deltas)) * TICK,
            )
        self._update_delay_bound(now)
        if reported >= _LOSS_WINDOW_PACKETS:
            self._update_loss_bound(now)
        return self.estimate

    def _acknowledge(self, received: int, first: float, last: float) -> None:
        """The bytes of one feedback's packets and when the first and the last arrived."""
        acked = self._acked
        acked.append((first, last, received))
        acked_bytes = self._acked_bytes + received
        oldest = last - _ACKED_WINDOW
        while acked[0][0] < oldest:
            acked_bytes -= acked.popleft()[2]
        self._acked_bytes = acked_bytes
        span = last - acked[0][0]
        self._acked_rate = int(acked_bytes * 8 / span) if span >= 0.1 else 0

    def _update_delay_bound(self, now: float) -> None:
        state = self._detector.state
        acked = self._acked_rate
        last_increase = self._last_increase
        self._last_increase = now
        if state is _OVERUSING:
            if now - self._last_decrease >= _DECREASE_INTERVAL:
                self._decrease(now, acked)
            return
        if last_increase is None:
            return
        elapsed = now - last_increase
        if elapsed > 1.0:
            elapsed = 1.0
        elif elapsed < 0.0:
            elapsed = 0.0
        # the link may have got better since it overflowed: the ceiling rises slowly
        ceiling = self._ceiling
        highest = 2.0 * acked if 2.0 * acked > self._initial else float(self._initial)
        if ceiling < highest:
            ceiling *= 2 ** (elapsed / _CEILING_DOUBLING)
        self._ceiling = ceiling = ceiling if ceiling < highest else highest
        if state is _UNDERUSING:
            return
        if ceiling < 1.5 * acked + 10_000:
            ceiling = 1.5 * acked + 10_000
        bound = self._delay_bound
        if bound >= ceiling:
            return
        capacity = self._link_capacity
        if capacity is not None and 0.85 * capacity <= bound <= 1.15 * capacity:
            # near where the link overflowed last time: about one packet per response time
            bound += _NEAR_CAPACITY_INCREASE * elapsed
        else:
            bound *= _INCREASE_PER_SECOND**elapsed
        self._delay_bound = min(bound, ceiling, float(self._maximum))

    def _decrease(self, now: float, acked: int) -> None:
        """Overuse: down to 0.85 times the acknowledged rate. Overuse often shows before the
        acknowledged rate does (a keyframe burst of a higher layer): one step never goes below
        half the estimate, the next one 300 ms later goes on down if the queue still grows."""
        basis = max(acked, self._delay_bound / 2)
        lowered = _BETA * basis
        if lowered < self._delay_bound:
            self._delay_bound = max(float(self._minimum), lowered)
        self._last_decrease = now
        if acked:
            capacity = self._link_capacity
            self._link_capacity = acked if capacity is None else 0.9 * capacity + 0.1 * acked
            self._ceiling = _CEILING_ABOVE_CAPACITY * acked

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
