from __future__ import annotations

from support.clock import ManualTimers

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


def paced(publisher: Publisher, timers: ManualTimers, interval: float) -> KeyframeRequests:
    return KeyframeRequests(
        publisher.send,
        lambda: publisher.waiting,
        clock=timers,
        scheduler=timers,
        interval=interval,
    )


def test_requests_are_paced_by_the_interval() -> None:
    publisher = Publisher()
    requests = paced(publisher, ManualTimers(), 0.3)
    requests.request(100.0)
    requests.request(100.1)
    requests.request(100.29)
    assert publisher.sent == 1
    requests.request(100.31)
    assert publisher.sent == 2


def test_requests_repeat_while_waiting_and_stop_after() -> None:
    publisher, timers = Publisher(), ManualTimers()
    requests = paced(publisher, timers, 0.02)
    requests.until_keyframe(timers.now())
    assert publisher.sent == 1 and requests.retrying
    timers.advance(0.05)
    assert publisher.sent == 3
    publisher.waiting = False
    timers.advance(0.02)
    assert not requests.retrying
    sent = publisher.sent
    timers.advance(0.1)
    assert publisher.sent == sent
    assert not requests.retrying and timers.pending == 0


def test_a_paced_request_is_sent_when_the_interval_is_over() -> None:
    publisher, timers = Publisher(), ManualTimers()
    requests = paced(publisher, timers, 0.05)
    requests.request(timers.now())
    timers.advance(0.01)
    requests.until_keyframe(timers.now())
    assert publisher.sent == 1 and requests.retrying
    timers.advance(0.039)
    assert publisher.sent == 1
    timers.advance(0.002)
    assert publisher.sent == 2
    requests.cancel()
    assert not requests.retrying


def test_unknown_source_is_retried_after_an_interval_not_at_once() -> None:
    publisher, timers = Publisher(reachable=False), ManualTimers()
    requests = paced(publisher, timers, 60.0)
    requests.until_keyframe(timers.now())
    timers.advance(59.0)
    assert publisher.attempts == 1 and publisher.sent == 0
    assert requests.retrying
    # Once the source is known the next call sends at once: nothing was sent before.
    publisher.reachable = True
    requests.until_keyframe(timers.now())
    assert publisher.sent == 1
    requests.cancel()
