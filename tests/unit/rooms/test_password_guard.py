from __future__ import annotations

from klingel.rooms.password_guard import (
    ADDRESS_WRONG_PASSWORDS,
    ROOM_WRONG_PASSWORDS,
    PasswordGuard,
)


def test_each_address_has_ten_tries_then_one_every_ten_seconds() -> None:
    guard = PasswordGuard(now=0.0)
    for _ in range(int(ADDRESS_WRONG_PASSWORDS.burst)):
        assert guard.allows("a", 0.0)
        guard.wrong("a", 0.0)
    assert not guard.allows("a", 0.0)
    assert guard.allows("b", 0.0), "another address is not limited by it"
    assert guard.allows("a", 10.0)


def test_too_many_wrong_tries_from_everywhere_close_the_door() -> None:
    guard = PasswordGuard(now=0.0)
    burst = int(ROOM_WRONG_PASSWORDS.burst)
    closes = [guard.wrong(f"address-{n}", 0.0) for n in range(burst + 1)]
    assert closes == [False] * burst + [True]
    assert guard.addresses == burst + 1
    # The room-wide count refills slowly: an hour later there is room for more tries again.
    assert guard.wrong("late", 3600.0) is False


def test_the_door_closes_again_while_guessing_goes_on() -> None:
    """A host who switches the lobby off meets it switched on again by the next wrong try,
    as long as the room's count has not refilled."""
    guard = PasswordGuard(now=0.0)
    for n in range(int(ROOM_WRONG_PASSWORDS.burst)):
        guard.wrong(f"address-{n}", 0.0)
    assert guard.wrong("x", 1.0) is True
    assert guard.wrong("y", 60.0) is True, "one try refills only after two minutes"
    assert guard.wrong("z", 60.0 + 1 / ROOM_WRONG_PASSWORDS.rate) is False


def test_honest_typos_spread_over_hours_never_close_the_door() -> None:
    guard = PasswordGuard(now=0.0)
    burst = int(ROOM_WRONG_PASSWORDS.burst)
    # Twice the burst, one wrong try every three minutes: the refill keeps up.
    tries = [guard.wrong(f"typo-{n}", n * 180.0) for n in range(2 * burst)]
    assert not any(tries)
