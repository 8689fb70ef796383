"""STUN Binding for an ICE-lite agent (RFC 5389, RFC 8445 sections 2.5 and 7.3, RFC 7675).

The SFU only answers connectivity checks; it never sends its own. A check is a Binding request
whose USERNAME is ``<our ufrag>:<their ufrag>``, authenticated by MESSAGE-INTEGRITY with our ICE
password and ending in FINGERPRINT. The answer reflects the source address (XOR-MAPPED-ADDRESS),
which is how the browser learns that the path works. Parsing uses ``aioice.stun``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from aioice import stun

__all__ = [
    "BindingRequest",
    "binding_success",
    "is_stun",
    "parse_binding_request",
    "peek_local_ufrag",
]

_MAGIC_COOKIE = b"\x21\x12\xa4\x42"
_HEADER_LENGTH = 20
# RFC 8489 section 5: the two top bits of a STUN message are zero, and the message length
# is a multiple of four.
_MAX_FIRST_BYTE = 3
_BINDING_REQUEST = b"\x00\x01"
_USERNAME = 0x0006
_ATTRIBUTE = struct.Struct("!HH")
# Browsers put USERNAME among the first attributes of a check; a datagram that hides it deeper
# is not worth walking further.
_MAX_ATTRIBUTES_BEFORE_USERNAME = 8
# What a malformed attribute can make ``aioice.stun.parse_message`` raise.
_PARSE_ERRORS = (ValueError, struct.error, IndexError, KeyError)


@dataclass(frozen=True, slots=True)
class BindingRequest:
    """A well-formed Binding request; its MESSAGE-INTEGRITY is checked with ``authenticates``."""

    transaction_id: bytes
    local_ufrag: str
    remote_ufrag: str
    use_candidate: bool
    message: stun.Message = field(repr=False, compare=False)

    def authenticates(self, local_password: str) -> bool:
        return bool(self.message.check_message_integrity(local_password.encode("utf8")))


def is_stun(datagram: bytes) -> bool:
    """The cheap test of RFC 7983 plus the magic cookie."""
    return (
        len(datagram) >= _HEADER_LENGTH
        and datagram[0] <= _MAX_FIRST_BYTE
        and datagram[4:8] == _MAGIC_COOKIE
    )


def peek_local_ufrag(datagram: bytes) -> bytes | None:
    """Our ufrag as a Binding request's USERNAME names it, read without parsing the message:
    the cheap test that comes first, so that checks for transports nobody has (a flood from
    anywhere) cost next to nothing. None for anything that is no such request."""
    length = len(datagram)
    if (
        length < _HEADER_LENGTH
        or datagram[0:2] != _BINDING_REQUEST
        or datagram[4:8] != _MAGIC_COOKIE
        or int.from_bytes(datagram[2:4], "big") != length - _HEADER_LENGTH
    ):
        return None
    offset = _HEADER_LENGTH
    for _ in range(_MAX_ATTRIBUTES_BEFORE_USERNAME):
        if offset + 4 > length:
            return None
        kind, size = _ATTRIBUTE.unpack_from(datagram, offset)
        offset += 4
        if kind == _USERNAME:
            if offset + size > length:
                return None
            username = datagram[offset : offset + size]
            local, separator, _ = username.partition(b":")
            return local if separator and local else None
        offset += (size + 3) & ~3
    return None


def parse_binding_request(datagram: bytes) -> BindingRequest | None:
    """The Binding request in ``datagram``, or None for anything else or anything malformed:
    other methods or classes, a missing or unsplittable USERNAME, no MESSAGE-INTEGRITY, or
    no valid FINGERPRINT."""
    if not is_stun(datagram) or len(datagram) % 4:
        return None
    try:
        message = stun.parse_message(datagram)
    except _PARSE_ERRORS:
        return None
    if message.message_method != stun.Method.BINDING or message.message_class != stun.Class.REQUEST:
        return None
    attributes = message.attributes
    username = attributes.get("USERNAME")
    if (
        not isinstance(username, str)
        or "MESSAGE-INTEGRITY" not in attributes
        or "FINGERPRINT" not in attributes
    ):
        return None
    local_ufrag, separator, remote_ufrag = username.partition(":")
    if not separator or not local_ufrag:
        return None
    return BindingRequest(
        transaction_id=message.transaction_id,
        local_ufrag=local_ufrag,
        remote_ufrag=remote_ufrag,
        use_candidate="USE-CANDIDATE" in attributes,
        message=message,
    )


def binding_success(request: BindingRequest, source: tuple[str, int], local_password: str) -> bytes:
    """The success response to an authenticated check from ``source``."""
    response = stun.Message(
        message_method=stun.Method.BINDING,
        message_class=stun.Class.RESPONSE,
        transaction_id=request.transaction_id,
    )
    response.attributes["XOR-MAPPED-ADDRESS"] = source
    response.add_message_integrity(local_password.encode("utf8"))
    return bytes(response)
