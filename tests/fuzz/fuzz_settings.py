"""Hypothesis settings shared by the fuzz tests: reproducible on every run."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

__all__ = ["fuzzing"]

_REPRODUCIBLE = settings(
    derandomize=True,  # the same examples on every run: a failure in CI reproduces locally
    database=None,
    deadline=None,  # the machine is shared: a slow example is not a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzzing(examples: int) -> settings:
    return settings(_REPRODUCIBLE, max_examples=examples)
