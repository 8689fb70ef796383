"""Strict decoding and encoding of one signaling frame.

The limits are those of docs/protocol.md: one JSON object per text frame, at most 256 KiB of
UTF-8, no duplicate keys (two parsers must never read the same frame differently), nesting of at
most 8 levels, and only numbers JavaScript represents exactly.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from klingel.protocol.errors import ErrorCode, ProtocolError

__all__ = [
    "MAX_DEPTH",
    "MAX_FRAME_BYTES",
    "MAX_SAFE_INTEGER",
    "decode_frame",
    "encode_frame",
]

MAX_FRAME_BYTES = 256 * 1024
"""A ``subscribe`` of a full room must fit: Chromium's offer for 100 received streams (the most a
client asks for) is at most 161 KB of JSON with the codecs narrowed to what the SFU forwards, and
each stream that ended since keeps a rejected m-section of about 4.5 KB until a new one reuses
it. 256 KiB holds 100 streams plus about twenty such leftovers."""
MAX_DEPTH = 8
"""The top-level object is level 1; a value nested in it is level 2, and so on."""
MAX_SAFE_INTEGER = 2**53 - 1
"""JavaScript's ``Number.MAX_SAFE_INTEGER``: the largest integer both sides read exactly."""

_MAX_INTEGER_DIGITS = len(str(MAX_SAFE_INTEGER)) + 1  # room for a sign
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse(code: ErrorCode, message: str) -> NoReturn:
    raise ProtocolError(code, message)


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        _refuse(ErrorCode.DUPLICATE_KEY, "An object has the same key twice.")
    return result


def _reject_constant(name: str) -> NoReturn:
    _refuse(ErrorCode.BAD_NUMBER, "NaN and Infinity are not allowed.")


def _bounded_int(text: str) -> int:
    # Checked on the text first: int() of a very long digit string is itself costly.
    if len(text) > _MAX_INTEGER_DIGITS or abs(value := int(text)) > MAX_SAFE_INTEGER:
        _refuse(ErrorCode.BAD_NUMBER, "An integer is out of range.")
    return value


def _bounded_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
        _refuse(ErrorCode.BAD_NUMBER, "A number is out of range.")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
    parse_constant=_reject_constant,
    parse_int=_bounded_int,
    parse_float=_bounded_float,
)


def _check_depth_and_text(root: dict[str, Any]) -> None:
    """Walk the decoded value without recursion: depth limit and well-formed Unicode."""
    pending: list[tuple[Any, int]] = [(root, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                _refuse(ErrorCode.TOO_DEEP, f"Nesting deeper than {MAX_DEPTH} levels.")
            for key, item in value.items():
                _check_text(key)
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                _refuse(ErrorCode.TOO_DEEP, f"Nesting deeper than {MAX_DEPTH} levels.")
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)


def _check_text(text: str) -> None:
    # "\ud800" is valid JSON but not valid Unicode: it could never be sent on as UTF-8.
    if not text.isascii() and _LONE_SURROGATE.search(text):
        _refuse(ErrorCode.BAD_JSON, "A string holds an unpaired surrogate.")


def decode_frame(frame: str | bytes) -> dict[str, Any]:
    """Decode one WebSocket frame into a JSON object, or raise ``ProtocolError``.

    ``bytes`` stands for a binary frame, which the protocol does not use.
    """
    if isinstance(frame, bytes):
        _refuse(ErrorCode.BAD_JSON, "Binary frames are not used.")
    # A character takes at most four bytes of UTF-8: only long frames need encoding to measure.
    if len(frame) > MAX_FRAME_BYTES // 4 and len(frame.encode("utf-8", "surrogatepass")) > (
        MAX_FRAME_BYTES
    ):
        _refuse(ErrorCode.TOO_LARGE, f"The frame is larger than {MAX_FRAME_BYTES // 1024} KiB.")
    try:
        value = _DECODER.decode(frame)
    except RecursionError:
        _refuse(ErrorCode.TOO_DEEP, f"Nesting deeper than {MAX_DEPTH} levels.")
    except ValueError:
        _refuse(ErrorCode.BAD_JSON, "The frame is not valid JSON.")
    if not isinstance(value, dict):
        _refuse(ErrorCode.BAD_JSON, "The frame is not a JSON object.")
    _check_depth_and_text(value)
    return value


def encode_frame(message: dict[str, Any]) -> str:
    """Encode one message as compact JSON text."""
    return json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
