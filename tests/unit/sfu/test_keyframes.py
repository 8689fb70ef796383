from __future__ import annotations

import asyncio
import time

import pytest

from klingel.sfu.keyframes import KeyframeRequests


class Publisher:
    def __init__(self, *, reachable: bool = True) -> None:
        self.reachable = reachable
        self.attempts = 0
        self.sent = 0
        self.waiting = True

    def send(self) -> bool:
        self.attempts += 1
        if self.reachable:
            self.sent += 1
        return self.reachable


async def wait_for(condition: object, timeout: float = 5.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.01)


async def test_requests_are_paced_by_the_interval() -> None:
    publisher = Publisher()
    requests = KeyframeRequests(publisher.send, lambda: publisher.waiting, interval=0.3)
    requests.request(100.0)
    requests.request(100.1)
    requests.request(100.29)
    assert publisher.sent == 1
    requests.request(100.31)
    assert publisher.sent == 2


async def test_requests_repeat_while_waiting_and_stop_after() -> None:
    publisher = Publisher()
    requests = KeyframeRequests(publisher.send, lambda: publisher.waiting, interval=0.02)
    requests.until_keyframe(time.monotonic())
    assert publisher.sent == 1 and requests.retrying
    await wait_for(lambda: publisher.sent >= 3)
    publisher.waiting = False
    await wait_for(lambda: not requests.retrying)
    sent = publisher.sent
    await asyncio.sleep(0.1)
    assert publisher.sent == sent
    assert not requests.retrying


async def test_a_paced_request_is_sent_when_the_interval_is_over() -> None:
    publisher = Publisher()
    requests = KeyframeRequests(publisher.send, lambda: publisher.waiting, interval=0.05)
    requests.request(time.monotonic())
    requests.until_keyframe(time.monotonic())
    assert publisher.sent == 1 and requests.retrying
    await wait_for(lambda: publisher.sent == 2)
    requests.cancel()
    assert not requests.retrying


async def test_unknown_source_is_retried_after_an_interval_not_at_once() -> None:
    publisher = Publisher(reachable=False)
    requests = KeyframeRequests(publisher.send, lambda: publisher.waiting, interval=60.0)
    requests.until_keyframe(time.monotonic())
    for _ in range(5):
        await asyncio.sleep(0)
    assert publisher.attempts == 1 and publisher.sent == 0
    assert requests.retrying
    # Once the source is known the next call sends at once: nothing was sent before.
    publisher.reachable = True
    requests.until_keyframe(time.monotonic())
    assert publisher.sent == 1
    requests.cancel()
