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
  for 100 ms and two groups, and not falling. AIMD rate control then decreases (at most once
  per 300 ms, as the queue needs that long to show the effect), holds on underuse (the queue
  drains) and otherwise increases: by 8 % per second while below the link's capacity (next
  point), by about one packet per response time near or above it.
* **The link's capacity** (as libwebrtc's LinkCapacityEstimator). At each decrease, delay- or
  loss-based, the acknowledged rate is a sample of what the link carries; the samples are
  smoothed (5 %) with their deviation, and the decrease goes to 0.85 times that capacity,
  never lower, so that an overflow the estimate reacts to several times does not compound
  it below what the link carries. One sample far below the capacity (beyond three
  deviations) is smoothed in like the others, as it is more likely a burst after a quiet
  spell (the acknowledged rate lags what is sent); a second one in a row means the link got
  worse and the capacity starts afresh from it. The capacity is forgotten once the link has
  carried more than it for a second without overuse or loss: an upgrade held, and the
  increase is multiplicative again.
* **Loss-based** (section 6). Over windows of at least 20 reported packets and a second
  (heavy loss counts as soon as 20 packets show it): more than 10 % lost lowers the bound to
  ``bound * (1 - loss / 2)`` but not below 0.85 times the capacity (at most every 300 ms, as
  the packets lost after a decrease were mostly sent before it), less than 2 % lets it grow
  by 8 % per second, anything between holds it.
* **Keyframe bursts.** When a subscription switches layer or resumes, the router says so
  (``expect_burst``): the keyframe it starts with is far above the layer's rate and the queue
  it builds says nothing about the link. Overuse and loss reported for packets sent in the
  half second after that lower nothing; a link that cannot carry the new layer shows in the
  packets after them, which the burst has left behind a queue for. Only there: keyframes a
  lossy subscriber asks for come often and would hide its congestion. Damping rather than
  pacing the burst: the SFU forwards without a pacer, and holding a keyframe back delays the
  picture the subscriber waits for.
* **REMB**, if the subscriber sends one, is a ceiling.

Choices that depart from a browser's sender, and why:

* The start value is generous (2.5 Mbit/s): the SFU forwards what publishers already send, so
  a subscriber with a good link must not be held back while the estimate ramps up; a short
  link shows up within a few hundred milliseconds and the estimate then falls to what was
  acknowledged.
* The SFU sends no probes. While the subscriber receives less than the estimate (the
  allocator keeps it below), nothing tells whether more would fit. The increase then stops at
  a ceiling: the capacity's upper bound (three deviations above it) at the last decrease,
  rising from there (doubling every 20 s, up to the larger of the start value and twice the
  acknowledged rate) since the link may have got better, and never below that upper bound
  (or, with no capacity known, twice the acknowledged rate) nor 1.5 times the acknowledged
  rate. While video is paused or held on a small layer the acknowledged rate is mostly
  audio, so the capacity, not the acknowledged rate, keeps the estimate up. When the
  estimate allows a higher layer, the allocator (``klingel.sfu.allocation``) tries it; that
  is the probe: if it overflows, the estimate falls back to 0.85 times the capacity and the
  allocator backs off longer; if the link carries it for a second, the capacity is
  forgotten and the estimate climbs on.
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
    "BURST_SECONDS",
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
_OVERUSE_TIME_MS = 100.0  # a loaded machine delays single packets; a queue grows for longer
_BETA = 0.85
_INCREASE_PER_SECOND = 1.08
_DECREASE_INTERVAL = 0.3
_RESPONSE_TIME = 0.3  # seconds: a feedback interval plus a round trip, roughly
_CEILING_DOUBLING = 20.0  # seconds
_CAPACITY_SMOOTHING = 0.05  # weight of a new sample of the link's capacity
_CAPACITY_DEVIATION_RANGE = (400.0, 2500.0)  # bits/s: its normalised variance, clamped
_DOUBT_SECONDS = 1.0  # an overflow far below the capacity that lasts this long: it is less
_CONFIRM_SECONDS = 1.0  # carrying more than the capacity this long shows the link got better
BURST_SECONDS = 0.5  # after a layer switch or a resume: a keyframe burst, not congestion
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


class _LinkCapacity:
    """What the link carried when it last overflowed (libwebrtc's LinkCapacityEstimator): the
    acknowledged rate at each overuse or loss decrease, smoothed, with its deviation, so that
    the next decrease goes to a fraction of it rather than compounding below it, and the
    increase slows down near it."""

    __slots__ = ("deviation", "doubted_at", "value")

    def __init__(self) -> None:
        self.value: float | None = None  # bits/s; None: unknown (or the link got better)
        self.deviation = _CAPACITY_DEVIATION_RANGE[0]  # normalised variance, bits/s
        self.doubted_at: float | None = None  # when a sample far below it was set aside

    def _spread(self, value: float) -> float:
        return 3 * math.sqrt(value * self.deviation)

    def upper(self) -> float:
        value = self.value
        return math.inf if value is None else value + self._spread(value)

    def lower(self) -> float:
        value = self.value
        return 0.0 if value is None else max(0.0, value - self._spread(value))

    def sample(self, rate: float, now: float) -> bool:
        """One acknowledged rate at a decrease (``now``: when). A sample far below what was
        known is set aside: the link was likely not full (a keyframe overflowed a short queue
        while little else was sent, or the loss and delay of an overflow already answered
        are still being reported). Another one between ``_DOUBT_SECONDS`` later (past the
        tail of the same overflow) and three times that means a lasting overflow at that
        rate: the link got worse, and the capacity starts afresh from it. Returns whether
        the sample was taken."""
        value = self.value
        if value is not None and rate < self.lower():
            doubted_at = self.doubted_at
            if doubted_at is None or now - doubted_at > 3 * _DOUBT_SECONDS:
                self.doubted_at = now
                return False
            if now - doubted_at < _DOUBT_SECONDS:
                return False
            value = None
        self.doubted_at = None
        if value is None:
            self.value = rate
            self.deviation = _CAPACITY_DEVIATION_RANGE[0]
            return True
        value += _CAPACITY_SMOOTHING * (rate - value)
        error = value - rate
        deviation = self.deviation + _CAPACITY_SMOOTHING * (
            error * error / max(value, 1.0) - self.deviation
        )
        low, high = _CAPACITY_DEVIATION_RANGE
        self.deviation = low if deviation < low else high if deviation > high else deviation
        self.value = value
        return True

    def forget(self) -> None:
        """The link carried more than it did when it overflowed: what it can take is unknown
        again."""
        self.value = None
        self.deviation = _CAPACITY_DEVIATION_RANGE[0]
        self.doubted_at = None


class DownlinkEstimator:
    """The bitrate one subscriber's downlink carries (see the module doc)."""

    __slots__ = (
        "_above_since",
        "_acked",
        "_acked_bytes",
        "_acked_rate",
        "_burst_until",
        "_capacity",
        "_ceiling",
        "_delay_bound",
        "_detector",
        "_initial",
        "_last_decrease",
        "_last_increase",
        "_last_loss_decrease",
        "_last_loss_increase",
        "_last_sample",
        "_last_sent",
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
        self._capacity = _LinkCapacity()
        self._above_since: float | None = None  # it has carried more than the capacity since
        self._ceiling = float(initial)  # how far an increase may go without a probe
        self._last_decrease = float("-inf")
        self._last_sample = float("-inf")  # when the capacity last took a sample
        self._last_increase: float | None = None
        self._last_loss_decrease = float("-inf")
        self._last_loss_increase: float | None = None
        self._reported = 0
        self._lost = 0
        self._loss_window_start: float | None = None
        self._burst_until = float("-inf")  # packets sent before this may be a keyframe burst
        self._last_sent = float("-inf")  # send time of the newest packet reported received

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

    @property
    def link_capacity(self) -> int | None:
        """Bits per second the link carried when it last overflowed, smoothed (None: unknown,
        or it has carried more since)."""
        value = self._capacity.value
        return None if value is None else int(value)

    def on_remb(self, bitrate: int) -> None:
        self._remb = max(self._minimum, bitrate)

    def expect_burst(self, now: float) -> None:
        """A video stream switches layer or resumes at ``now`` (the SFU's clock): what is sent
        for the next half second starts with a keyframe, larger than the layer's rate, and the
        queue it builds on the way says nothing about the link. Overuse and loss reported for
        those packets lower nothing; a link that cannot carry the new layer shows in the
        packets after them."""
        until = now + BURST_SECONDS
        if until > self._burst_until:
            self._burst_until = until

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
            self._last_sent = sent[-1][1]
            self._acknowledge(
                self._detector.update(sent, reference, deltas),
                (reference + deltas[0]) * TICK,
                (reference + sum(deltas)) * TICK,
            )
        else:
            self._last_sent = math.inf  # all lost: whatever they were, no burst to forgive
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
        # the newest stays even if it alone spans more (a feedback after a stall)
        while len(acked) > 1 and acked[0][0] < oldest:
            acked_bytes -= acked.popleft()[2]
        self._acked_bytes = acked_bytes
        span = last - acked[0][0]
        self._acked_rate = int(acked_bytes * 8 / span) if span >= 0.1 else 0

    def _in_burst(self) -> bool:
        return self._last_sent < self._burst_until

    def _update_delay_bound(self, now: float) -> None:
        state = self._detector.state
        acked = self._acked_rate
        last_increase = self._last_increase
        self._last_increase = now
        if state is _OVERUSING:
            self._above_since = None
            if now - self._last_decrease >= _DECREASE_INTERVAL and not self._in_burst():
                self._delay_bound = self._decreased(self._delay_bound, acked, now)
                self._last_decrease = now
            return
        if last_increase is None:
            return
        elapsed = now - last_increase
        if elapsed > 1.0:
            elapsed = 1.0
        elif elapsed < 0.0:
            elapsed = 0.0
        capacity = self._capacity
        upper = capacity.upper()
        if acked <= upper:
            self._above_since = None
        elif self._above_since is None:
            self._above_since = now
        elif now - self._above_since >= _CONFIRM_SECONDS:
            capacity.forget()  # it carried more than when it overflowed: the upgrade held
            self._above_since = None
            upper = math.inf
        # the link may have got better since it overflowed: the ceiling rises slowly
        ceiling = self._ceiling
        highest = 2.0 * acked if 2.0 * acked > self._initial else float(self._initial)
        if ceiling < highest:
            ceiling *= 2 ** (elapsed / _CEILING_DOUBLING)
        self._ceiling = ceiling = ceiling if ceiling < highest else highest
        if state is _UNDERUSING:
            return
        # no lower than what the link carried: while the allocator holds video back, what is
        # acknowledged (the audio, say) tells nothing about the link
        known = capacity.value
        floor = upper if known is not None else 2.0 * acked
        if floor < 1.5 * acked + 10_000:
            floor = 1.5 * acked + 10_000
        if ceiling < floor:
            ceiling = floor
        bound = self._delay_bound
        if bound >= ceiling:
            return
        if known is not None and bound >= capacity.lower():
            # near where the link overflowed last time: about one packet per response time
            bound += _NEAR_CAPACITY_INCREASE * elapsed
        else:
            bound *= _INCREASE_PER_SECOND**elapsed
        self._delay_bound = min(bound, ceiling, float(self._maximum))

    def _decreased(self, bound: float, acked: int, now: float) -> float:
        """Overuse or heavy loss: the acknowledged rate is a sample of the link's capacity (one
        per 300 ms, however many signals show the same overflow), and the bound goes down to
        0.85 times that capacity (never up). Before anything was acknowledged, one step
        halves it."""
        capacity = self._capacity
        if acked and now - self._last_sample >= _DECREASE_INTERVAL:
            self._last_sample = now
            if capacity.sample(acked, now):
                self._ceiling = capacity.upper()
        value = capacity.value
        lowered = _BETA * bound / 2 if value is None else _BETA * value
        if lowered >= bound:
            return bound
        return lowered if lowered > self._minimum else float(self._minimum)

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
            self._above_since = None
            # once per response time: the packets lost after a decrease were mostly sent
            # before it
            if now - self._last_loss_decrease >= _DECREASE_INTERVAL and not self._in_burst():
                start = min(self._loss_bound, self._delay_bound)
                lowered = max(start * (1 - loss / 2), self._decreased(start, self._acked_rate, now))
                self._loss_bound = max(float(self._minimum), lowered)
                self._last_loss_decrease = now
        elif loss < _LOW_LOSS and last_increase is not None:
            elapsed = min(max(now - last_increase, 0.0), 1.0)
            self._loss_bound = min(
                self._loss_bound * _INCREASE_PER_SECOND**elapsed, float(self._maximum)
            )
