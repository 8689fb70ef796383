"""Every frame the server sends is read by the protocol's own parser, into a typed message."""

from __future__ import annotations

import pytest

from klingel.client.signaling import decode_server_frame
from klingel.protocol.errors import ErrorCode, ProtocolError
from klingel.protocol.messages import Error, Pong


def test_a_frame_becomes_its_typed_message() -> None:
    assert decode_server_frame('{"type":"pong"}') == Pong()
    error = decode_server_frame(
        '{"type":"error","code":"room_full","message":"Voll.","ref":"join"}'
    )
    assert error == Error(ErrorCode.ROOM_FULL, "Voll.", "join")


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type":"pong","extra":1}', ErrorCode.BAD_MESSAGE),
        ('{"type":"publish","sdp":"v=0","tracks":[]}', ErrorCode.UNKNOWN_TYPE),  # client's
        ('{"type":"pong","type":"pong"}', ErrorCode.DUPLICATE_KEY),
        ("[]", ErrorCode.BAD_JSON),
        (b'{"type":"pong"}', ErrorCode.BAD_JSON),
    ],
)
def test_a_frame_that_is_not_server_protocol_is_refused(
    frame: str | bytes, code: ErrorCode
) -> None:
    with pytest.raises(ProtocolError) as refused:
        decode_server_frame(frame)
    assert refused.value.code is code
