from __future__ import annotations

import pytest

from klingel.rooms.abuse import AddressLimits, ConnectionSlots, SustainedRefusals, address_key


def test_slots_per_key_up_to_the_limit() -> None:
    slots = ConnectionSlots(limit=2)
    assert slots.acquire("a") and slots.acquire("a")
    assert not slots.acquire("a")
    assert slots.acquire("b")  # another address has its own
    assert (slots.held("a"), slots.held("b")) == (2, 1)


def test_released_slots_are_free_again_and_leave_nothing_behind() -> None:
    slots = ConnectionSlots(limit=1)
    assert slots.acquire("a")
    slots.release("a")
    assert slots.acquire("a")
    slots.release("a")
    slots.release("a")  # a second release of the same socket takes nothing from anyone
    assert (slots.held("a"), len(slots)) == (0, 0)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        ConnectionSlots(limit=0)


def test_refusals_in_one_streak_close_after_the_limit() -> None:
    watch = SustainedRefusals(limit_seconds=10.0, gap_seconds=1.0)
    closes = [watch.refused(now=t * 0.5) for t in range(21)]  # every 0.5 s for 10 s
    assert closes[:20] == [False] * 20
    assert closes[20] is True


def test_a_pause_in_the_refusals_starts_a_new_streak() -> None:
    watch = SustainedRefusals(limit_seconds=3.0, gap_seconds=1.0)
    for t in (0.0, 0.9, 1.8, 2.7):
        assert not watch.refused(now=t)
    assert not watch.refused(now=5.0)  # 2.3 s without a refusal: a fresh start
    assert not watch.refused(now=7.9)  # and 2.9 s later the old streak is not counted
    assert not watch.refused(now=8.0)


def test_address_limits_keep_addresses_apart() -> None:
    limits = AddressLimits(connections_per_address=1)
    assert limits.connections.acquire("a") and limits.connections.acquire("b")
    joins = [limits.joins.take("a", now=0.0) for _ in range(70)]
    assert sum(joins) == 60  # the burst of a whole class, then the rate
    assert limits.joins.take("b", now=0.0)


def test_address_keys_count_an_ipv6_network_as_one_address() -> None:
    assert address_key("192.0.2.10") == "192.0.2.10"
    assert address_key("::ffff:192.0.2.10") == "192.0.2.10"
    assert address_key("2001:db8:5:7::1") == address_key("2001:db8:5:7:ffff:ffff:ffff:ffff")
    assert address_key("2001:db8:5:7::1") == "2001:db8:5:7::/64"
    assert address_key("2001:db8:5:7::1") != address_key("2001:db8:5:8::1")
    assert address_key("fe80::1%eth0") == "fe80::/64"
    assert address_key("") == "" and address_key("testclient") == "testclient"
