"""ICE-lite Binding request parsing and answering (RFC 5389, RFC 8445)."""

from __future__ import annotations

from aioice import stun
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.stun import binding_success, is_stun, parse_binding_request

PASSWORD = "0123456789abcdef0123456789abcdef"


def check(
    username: str = "sfu1:web1",
    *,
    password: str = PASSWORD,
    use_candidate: bool = False,
    integrity: bool = True,
) -> bytes:
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    request.attributes["USERNAME"] = username
    request.attributes["PRIORITY"] = 1853824767
    request.attributes["ICE-CONTROLLING"] = 42
    if use_candidate:
        request.attributes["USE-CANDIDATE"] = None
    if integrity:
        request.add_message_integrity(password.encode())
    else:
        request.add_fingerprint()
    return bytes(request)


def test_valid_check_is_parsed_and_authenticates() -> None:
    request = parse_binding_request(check(use_candidate=True))
    assert request is not None
    assert (request.local_ufrag, request.remote_ufrag) == ("sfu1", "web1")
    assert request.use_candidate
    assert request.authenticates(PASSWORD)
    assert not request.authenticates("another-password-entirely")


def test_check_without_use_candidate() -> None:
    request = parse_binding_request(check())
    assert request is not None and not request.use_candidate


def test_success_response_reflects_the_source_and_is_signed() -> None:
    request = parse_binding_request(check())
    assert request is not None
    response = stun.parse_message(binding_success(request, ("127.0.0.2", 50123), PASSWORD))
    assert response.message_method == stun.Method.BINDING
    assert response.message_class == stun.Class.RESPONSE
    assert response.transaction_id == request.transaction_id
    assert response.attributes["XOR-MAPPED-ADDRESS"] == ("127.0.0.2", 50123)
    assert response.check_message_integrity(PASSWORD.encode())
    assert "FINGERPRINT" in response.attributes


def test_requests_that_are_not_checks_are_refused() -> None:
    no_integrity = check(integrity=False)
    response = stun.Message(stun.Method.BINDING, stun.Class.RESPONSE)
    response.attributes["USERNAME"] = "sfu1:web1"
    response.add_message_integrity(PASSWORD.encode())
    no_colon = check("sfu1web1")
    empty_local = check(":web1")
    valid = check()
    broken_fingerprint = valid[:-1] + bytes([valid[-1] ^ 1])
    for datagram in (no_integrity, bytes(response), no_colon, empty_local, broken_fingerprint):
        assert parse_binding_request(datagram) is None


def test_truncated_and_foreign_datagrams_are_refused() -> None:
    valid = check()
    for length in range(len(valid)):
        assert parse_binding_request(valid[:length]) is None
    assert not is_stun(b"\x17\xfe\xfd" + bytes(40))
    assert not is_stun(b"\x00\x01\x00\x00" + b"\x00\x00\x00\x00" + bytes(12))


@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert parse_binding_request(data) is None or data[:2] == b"\x00\x01"


@given(st.binary(min_size=1, max_size=120), st.integers(min_value=0, max_value=200))
def test_corrupted_checks_never_raise(noise: bytes, position: int) -> None:
    valid = check(use_candidate=True)
    cut = position % len(valid)
    corrupted = valid[:cut] + noise + valid[cut + len(noise) :]
    request = parse_binding_request(corrupted[: len(valid)])
    if request is not None:
        request.authenticates(PASSWORD)
