"""Typed reading of one decoded JSON object, refusing anything the protocol does not define."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

from klingel.protocol.errors import ErrorCode, ProtocolError

__all__ = ["FieldReader"]


class FieldReader:
    """Reads the fields of one object of the protocol; every mistake is ``bad_message``.

    ``what`` names the object in error messages (a message type or an object name of the
    protocol, never client text).
    """

    __slots__ = ("_data", "_what")

    def __init__(
        self,
        data: object,
        what: str,
        required: frozenset[str],
        optional: frozenset[str] = frozenset(),
    ) -> None:
        if not isinstance(data, Mapping):
            _bad(f"{what} must be an object.")
        if not required <= data.keys():
            missing = ", ".join(sorted(required - data.keys()))
            _bad(f"{what} lacks {missing}.")
        if not data.keys() <= required | optional:
            _bad(f"{what} has a field it does not define.")
        self._data: Mapping[str, object] = data
        self._what = what

    def _fail(self, key: str, expected: str) -> NoReturn:
        _bad(f"{self._what}.{key} must be {expected}.")

    def has(self, key: str) -> bool:
        return key in self._data

    def value(self, key: str) -> object:
        return self._data.get(key)

    def string(self, key: str, min_length: int = 0, max_length: int | None = None) -> str:
        value = self._data.get(key)
        if not isinstance(value, str):
            self._fail(key, "a string")
        if len(value) < min_length or (max_length is not None and len(value) > max_length):
            limit = f"{min_length}-{max_length}" if max_length is not None else f">={min_length}"
            self._fail(key, f"a string of {limit} characters")
        return value

    def optional_string(self, key: str, max_length: int) -> str | None:
        if self._data.get(key) is None:
            return None
        return self.string(key, 0, max_length)

    def boolean(self, key: str) -> bool:
        value = self._data.get(key)
        if not isinstance(value, bool):
            self._fail(key, "true or false")
        return value

    def optional_boolean(self, key: str) -> bool | None:
        """A boolean that may be left out (but not null: "no change" is said by leaving out)."""
        if key not in self._data:
            return None
        return self.boolean(key)

    def integer(self, key: str, minimum: int, maximum: int) -> int:
        value = self._data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(key, "an integer")
        if not minimum <= value <= maximum:
            self._fail(key, f"between {minimum} and {maximum}")
        return value

    def array(self, key: str, max_items: int) -> list[object]:
        value = self._data.get(key)
        if not isinstance(value, list):
            self._fail(key, "an array")
        if len(value) > max_items:
            self._fail(key, f"an array of at most {max_items} items")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in allowed:
            self._fail(key, " or ".join(repr(option) for option in allowed))
        return value


def _bad(message: str) -> NoReturn:
    raise ProtocolError(ErrorCode.BAD_MESSAGE, message)
