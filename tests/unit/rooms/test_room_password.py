"""A room's password: quick in memory while known, the stored scrypt digest otherwise."""

from __future__ import annotations

from klingel.rooms.room_password import RoomPassword
from klingel.store import hash_password


def test_a_password_set_here_is_checked_quickly() -> None:
    password = RoomPassword.of("Geige am Dienstag")
    assert password.quick_verdict("Geige am Dienstag") is True
    assert password.quick_verdict("Geige am Mittwoch") is False
    assert password.stored is None


def test_a_password_from_the_store_needs_the_slow_check_until_it_was_given_right() -> None:
    stored = hash_password("Geige am Dienstag")
    password = RoomPassword.from_store(stored)
    assert password.quick_verdict("Geige am Dienstag") is None
    assert password.quick_verdict("anything") is None
    assert stored.matches("Geige am Dienstag")
    known = password.knowing("Geige am Dienstag")
    assert known.stored is stored
    assert known.quick_verdict("Geige am Dienstag") is True
    assert known.quick_verdict("Geige am Mittwoch") is False


def test_the_stored_digest_joins_the_quick_one() -> None:
    password = RoomPassword.of("Bürgerbüro")
    stored = hash_password("Bürgerbüro")
    both = password.with_stored(stored)
    assert (both.quick, both.stored) == (password.quick, stored)
    assert both is not password  # each change is a new object
    assert "Bürgerbüro" not in repr(both) and repr(both.quick) not in repr(both)
