"""ICE-lite Binding request parsing and answering (RFC 5389, RFC 8445)."""

from __future__ import annotations

from aioice import stun
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.stun import binding_success, is_stun, parse_binding_request, peek_local_ufrag

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


def test_the_local_ufrag_is_read_without_parsing() -> None:
    assert peek_local_ufrag(check("sfu1:web1")) == b"sfu1"
    assert peek_local_ufrag(check("sfu1:web1", use_candidate=True)) == b"sfu1"
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    request.attributes["PRIORITY"] = 1
    request.attributes["USERNAME"] = "late:web"
    request.add_message_integrity(PASSWORD.encode())
    assert peek_local_ufrag(bytes(request)) == b"late"


def test_the_peek_refuses_what_is_no_check() -> None:
    valid = check("sfu1:web1")
    response = binding_success(parse_binding_request(valid), ("127.0.0.1", 5000), PASSWORD)  # type: ignore[arg-type]
    for datagram in (
        b"",
        valid[:19],
        valid[:-4],  # the length field no longer matches
        b"\x00\x02" + valid[2:],  # not a Binding request
        valid[:4] + b"\x00\x00\x00\x00" + valid[8:],  # no magic cookie
        response,
        check("sfu1web1"),  # no colon
        check(":web1"),  # no local ufrag
    ):
        assert peek_local_ufrag(datagram) is None, datagram[:24]


@given(st.binary(max_size=200))
def test_the_peek_never_raises(data: bytes) -> None:
    header = b"\x00\x01" + len(data).to_bytes(2, "big") + b"\x21\x12\xa4\x42" + b"t" * 12
    result = peek_local_ufrag(header + data)
    assert result is None or isinstance(result, bytes)
