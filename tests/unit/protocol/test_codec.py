from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klingel.protocol.codec import (
    MAX_DEPTH,
    MAX_FRAME_BYTES,
    MAX_SAFE_INTEGER,
    decode_frame,
    encode_frame,
)
from klingel.protocol.errors import ErrorCode, ProtocolError


def refused(frame: str | bytes) -> ErrorCode:
    with pytest.raises(ProtocolError) as caught:
        decode_frame(frame)
    return caught.value.code


def nested(depth: int) -> str:
    """An object whose innermost value sits ``depth`` levels deep (the top object is 1)."""
    return '{"type":"ping","x":' * (depth - 1) + '{"type":"ping"}' + "}" * (depth - 1)


def test_decodes_an_object() -> None:
    assert decode_frame('{"type": "chat", "text": "Grüß Gott"}') == {
        "type": "chat",
        "text": "Grüß Gott",
    }


@pytest.mark.parametrize("frame", ["", "{", "[1, 2]", '"text"', "42", "null", "{'a': 1}"])
def test_refuses_what_is_not_a_json_object(frame: str) -> None:
    assert refused(frame) is ErrorCode.BAD_JSON


def test_refuses_binary_frames() -> None:
    assert refused(b'{"type": "ping"}') is ErrorCode.BAD_JSON


@pytest.mark.parametrize(
    "frame",
    ['{"type": "chat", "type": "join"}', '{"type": "x", "a": {"b": 1, "b": 2}}'],
)
def test_refuses_duplicate_keys_at_any_level(frame: str) -> None:
    assert refused(frame) is ErrorCode.DUPLICATE_KEY


def test_accepts_nesting_up_to_the_limit() -> None:
    assert decode_frame(nested(MAX_DEPTH))["type"] == "ping"
    assert decode_frame('{"a":' * (MAX_DEPTH - 1) + "[]" + "}" * (MAX_DEPTH - 1))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 50, 500])
def test_refuses_deeper_nesting(depth: int) -> None:
    assert refused(nested(depth)) is ErrorCode.TOO_DEEP


def test_refuses_nesting_beyond_the_parsers_recursion_limit() -> None:
    brackets = 30_000  # within the frame limit, far deeper than Python's recursion limit
    assert refused('{"a":' + "[" * brackets + "]" * brackets + "}") is ErrorCode.TOO_DEEP


def test_refuses_deep_arrays() -> None:
    assert refused('{"a":' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}") is ErrorCode.TOO_DEEP


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_refuses_non_finite_numbers(constant: str) -> None:
    assert refused(f'{{"type": "x", "n": {constant}}}') is ErrorCode.BAD_NUMBER


@pytest.mark.parametrize(
    "number", [str(MAX_SAFE_INTEGER + 1), str(-MAX_SAFE_INTEGER - 1), "1" * 5000, "1e400", "1e20"]
)
def test_refuses_numbers_out_of_range(number: str) -> None:
    assert refused(f'{{"type": "x", "n": {number}}}') is ErrorCode.BAD_NUMBER


def test_accepts_the_largest_safe_integers() -> None:
    frame = f'{{"a": {MAX_SAFE_INTEGER}, "b": {-MAX_SAFE_INTEGER}, "c": 0.5}}'
    assert decode_frame(frame) == {"a": MAX_SAFE_INTEGER, "b": -MAX_SAFE_INTEGER, "c": 0.5}


def test_frame_size_limit_counts_utf8_bytes() -> None:
    padding_for = MAX_FRAME_BYTES - len('{"t":""}')
    assert decode_frame('{"t":"' + "a" * padding_for + '"}')
    assert refused('{"t":"' + "a" * (padding_for + 1) + '"}') is ErrorCode.TOO_LARGE
    # "ä" is two bytes of UTF-8: half as many characters reach the limit.
    assert refused('{"t":"' + "ä" * (padding_for // 2 + 1) + '"}') is ErrorCode.TOO_LARGE


def test_refuses_unpaired_surrogates() -> None:
    assert refused('{"text": "\\ud800"}') is ErrorCode.BAD_JSON
    assert refused('{"\\udfff": 1}') is ErrorCode.BAD_JSON
    assert decode_frame('{"text": "\\ud83d\\ude00"}') == {"text": "😀"}


def test_encodes_compact_utf8_json() -> None:
    assert encode_frame({"type": "chat", "text": "Grüße <b>"}) == (
        '{"type":"chat","text":"Grüße <b>"}'
    )


def test_encoding_refuses_nan() -> None:
    with pytest.raises(ValueError):
        encode_frame({"n": float("nan")})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_what_it_encodes_it_decodes(value: dict[str, object]) -> None:
    try:
        decoded = decode_frame(encode_frame(value))
    except ProtocolError as error:
        assert error.code is ErrorCode.TOO_DEEP
        return
    assert decoded == value


@given(st.text(max_size=200))
def test_any_text_is_decoded_or_refused_with_a_code(text: str) -> None:
    try:
        result = decode_frame(text)
    except ProtocolError as error:
        assert isinstance(error.code, ErrorCode)
    else:
        assert isinstance(result, dict)
        assert json.loads(text) == result
