"""Splitting one subscriber's downlink estimate over its video streams, and the hysteresis
around it (with a fake clock)."""

from __future__ import annotations

import pytest

from klingel.sfu.allocation import (
    BASE_WAIT,
    MAX_WAIT,
    PAUSE_AFTER,
    PAUSE_FRACTION,
    PRIORITY_SCREEN,
    PRIORITY_SPEAKER,
    UNDO_WINDOW,
    LayerAllocator,
    VideoDemand,
    allocate,
    bitrate_needed,
)

LAYERS = (150_000, 500_000, 1_500_000)
AUDIO = 50_000


def camera(key: str, requested: int | None = 2, priority: int = 0) -> VideoDemand[str]:
    return VideoDemand(key, requested, LAYERS, priority)


# --- one split ------------------------------------------------------------------------------


def test_everyone_gets_the_request_when_it_fits() -> None:
    demands = [camera("a"), camera("b", 1), camera("c", 0)]
    assert allocate(3_000_000, AUDIO, demands) == {"a": 2, "b": 1, "c": 0}


def test_a_request_above_the_layers_there_are_means_the_largest() -> None:
    assert allocate(10_000_000, AUDIO, [camera("a", 7)]) == {"a": 2}
    single = VideoDemand("s", 2, (800_000,))
    assert allocate(10_000_000, AUDIO, [single]) == {"s": 0}


def test_audio_is_reserved_first() -> None:
    # 700 kbit/s would carry the middle layer and the smallest, but not with the audio
    demands = [camera("a", 1), camera("b", 0)]
    assert allocate(650_000, 0, demands) == {"a": 1, "b": 0}
    assert allocate(650_000, AUDIO, demands) == {"a": 0, "b": 0}


def test_priority_decides_who_gets_the_larger_layer() -> None:
    demands = [camera("other"), camera("speaker", priority=PRIORITY_SPEAKER)]
    assert allocate(1_900_000, AUDIO, demands) == {"other": 0, "speaker": 2}
    demands.append(camera("screen", priority=PRIORITY_SCREEN))
    assert allocate(1_900_000, AUDIO, demands) == {"other": 0, "speaker": 0, "screen": 2}


def test_among_equals_the_larger_request_goes_first() -> None:
    demands = [camera("small", 1), camera("large", 2)]
    assert allocate(1_800_000, AUDIO, demands) == {"small": 0, "large": 2}


def test_video_pauses_lowest_priority_first_when_even_the_smallest_layers_do_not_fit() -> None:
    demands = [
        camera("other"),
        camera("screen", priority=PRIORITY_SCREEN),
        camera("speaker", priority=PRIORITY_SPEAKER),
    ]
    assert allocate(380_000, AUDIO, demands) == {"screen": 0, "speaker": 0, "other": None}
    assert allocate(220_000, AUDIO, demands) == {"screen": 0, "speaker": None, "other": None}
    assert allocate(100_000, AUDIO, demands) == {"screen": None, "speaker": None, "other": None}


def test_a_paused_request_gets_nothing() -> None:
    assert allocate(10_000_000, AUDIO, [camera("a", None)]) == {"a": None}


def test_what_a_choice_needs() -> None:
    demands = [camera("a"), camera("b")]
    assert bitrate_needed(AUDIO, demands, {"a": 1, "b": None}) == AUDIO + 500_000


def test_a_stream_has_a_layer() -> None:
    with pytest.raises(ValueError):
        VideoDemand("a", 0, ())


# --- over time ------------------------------------------------------------------------------


class Clock:
    """Drives a LayerAllocator every 300 ms, as the router's tick does."""

    def __init__(self, demands: list[VideoDemand[str]]) -> None:
        self.now = 100.0
        self.allocator: LayerAllocator[str] = LayerAllocator()
        self.demands = demands

    def step(self, estimate: int, seconds: float = 0.3) -> dict[str, int | None]:
        choice: dict[str, int | None] = {}
        end = self.now + seconds
        while self.now < end - 1e-9:
            choice = self.allocator.update(self.now, estimate, AUDIO, self.demands)
            self.now += 0.3
        return choice

    def until(self, estimate: int, wanted: dict[str, int | None], limit: float = 60) -> float:
        """Seconds until the choice is ``wanted``."""
        start = self.now
        while self.step(estimate) != wanted:
            assert self.now - start < limit, "never reached"
        return self.now - start


def test_new_streams_start_on_the_smallest_layer_and_step_up_soon() -> None:
    clock = Clock([camera("a"), camera("b", 1)])
    assert clock.step(5_000_000, 0.3) == {"a": 0, "b": 0}
    waited = clock.until(5_000_000, {"a": 2, "b": 1})
    assert 0.9 < waited <= 1.5  # the first step is quick


def test_down_at_once_when_over_budget() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    assert clock.step(1_000_000) == {"a": 1}
    assert clock.step(200_000) == {"a": 0}
    assert clock.step(150_000) == {"a": 0}  # the smallest layer is held at first
    assert clock.step(150_000, PAUSE_AFTER + 0.3) == {"a": None}


def test_a_short_dip_below_the_smallest_layer_holds_it() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    assert clock.step(120_000, PAUSE_AFTER - 0.3) == {"a": 0}
    assert clock.step(400_000) == {"a": 0}
    # the shortage must last PAUSE_AFTER seconds in one piece
    assert clock.step(120_000, PAUSE_AFTER - 0.3) == {"a": 0}
    assert clock.step(120_000, 0.6) == {"a": None}


def test_an_estimate_just_short_of_the_smallest_layer_never_pauses_it() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    needed = AUDIO + 150_000
    assert clock.step(int(PAUSE_FRACTION * needed) + 1_000, 30) == {"a": 0}
    assert clock.step(int(PAUSE_FRACTION * needed) - 1_000, PAUSE_AFTER + 0.3) == {"a": None}


def test_the_least_important_stream_pauses_first_after_a_lasting_shortage() -> None:
    clock = Clock([camera("a", priority=1), camera("b")])
    clock.until(5_000_000, {"a": 2, "b": 2})
    assert clock.step(250_000) == {"a": 0, "b": 0}
    assert clock.step(250_000, PAUSE_AFTER + 0.3) == {"a": 0, "b": None}


def test_up_only_after_two_seconds_with_a_quarter_to_spare() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    clock.step(5_000_000, 6)  # the upgrade held
    clock.step(600_000)  # down to the middle layer
    # 1.6 Mbit/s would carry the largest layer with the audio, but not with 25 % to spare
    assert clock.step(1_600_000, 10) == {"a": 1}
    needed = (1_500_000 + AUDIO) * 1.25
    waited = clock.until(int(needed) + 1, {"a": 2})
    assert 1.9 < waited <= 2.5


def test_a_dip_restarts_the_wait() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    clock.step(5_000_000, 6)
    clock.step(600_000)
    clock.step(3_000_000, 1.5)
    clock.step(1_600_000, 0.3)  # still carries the middle layer, but not the upgrade
    assert clock.step(3_000_000, 1.5) == {"a": 1}
    assert clock.step(3_000_000, 0.9) == {"a": 2}


def test_an_upgrade_undone_soon_doubles_the_wait_up_to_a_limit() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    clock.step(600_000)
    waits = []
    for _ in range(6):
        waits.append(clock.until(3_000_000, {"a": 2}))
        clock.step(600_000)  # the link could not carry it after all
    assert waits[1] > 1.8 * waits[0]
    assert waits[2] > 1.8 * waits[1]
    assert waits[-1] <= MAX_WAIT + 0.6
    assert clock.allocator.wait == MAX_WAIT


def test_a_fall_in_several_steps_after_one_upgrade_doubles_the_wait_once() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    before = clock.allocator.wait
    assert clock.step(1_000_000) == {"a": 1}
    assert clock.step(200_000) == {"a": 0}
    assert clock.step(150_000, PAUSE_AFTER + 0.3) == {"a": None}
    assert clock.allocator.wait == 2 * before


def test_an_upgrade_that_held_resets_the_wait() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    for _ in range(3):
        clock.step(600_000)
        clock.until(3_000_000, {"a": 2})
    assert clock.allocator.wait > 2 * BASE_WAIT
    clock.step(3_000_000, UNDO_WINDOW + 0.3)  # it held
    assert clock.allocator.wait == BASE_WAIT


def test_a_downgrade_long_after_an_upgrade_resets_the_wait() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    clock.step(600_000)
    clock.until(3_000_000, {"a": 2})
    clock.step(600_000)
    assert clock.allocator.wait > 2.0
    clock.until(3_000_000, {"a": 2})
    clock.step(3_000_000, 10)  # it held
    clock.step(600_000)
    assert clock.allocator.wait == 2.0


def test_a_lowered_request_applies_at_once_and_a_raised_one_waits_for_the_budget() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    clock.step(5_000_000, 6)
    clock.demands = [camera("a", 0)]
    assert clock.step(5_000_000) == {"a": 0}
    clock.demands = [camera("a", 2)]
    assert clock.step(5_000_000) == {"a": 2}  # the estimate has long been high enough
    clock.step(600_000)
    assert clock.step(600_000, 6) == {"a": 1}
    clock.demands = [camera("a", 2)]
    assert clock.step(600_000, 6) == {"a": 1}  # a request is no budget


def test_a_resumed_stream_starts_small_again() -> None:
    clock = Clock([camera("a")])
    clock.until(5_000_000, {"a": 2})
    clock.step(5_000_000, 6)
    clock.demands = [camera("a", None)]
    assert clock.step(5_000_000) == {"a": None}
    clock.demands = [camera("a", 2)]
    assert clock.step(5_000_000) == {"a": 0}
    assert clock.until(5_000_000, {"a": 2}) <= 2.5
