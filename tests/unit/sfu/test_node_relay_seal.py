"""The seal on the programme relay between nodes: a node with the town's key opens what another
one sealed and gets back the very datagram, nothing changed on the way or sealed under another
key opens, and no datagram is taken twice, however late or out of order it comes."""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from klingel.sfu.node_relay import RELAY_MAGIC, REPLAY_WINDOW, NodeRelaySeal
from klingel.sfu.relay import KIND_RTP

KEY = bytes(range(32))
START = 1_750_000_000_000_000_000
HEADER = struct.Struct("!BBBxI")  # the relay's own: kind, slot, layer, relay id
PAYLOAD = b"\x80\x60\x00\x01rtp"


def datagram(relay: int = 1, payload: bytes = PAYLOAD) -> bytes:
    return HEADER.pack(KIND_RTP, 2, 0, relay) + payload


def sender(start: int = START, key: bytes = KEY) -> NodeRelaySeal:
    return NodeRelaySeal(key, lambda: start)


def receiver() -> NodeRelaySeal:
    return NodeRelaySeal(KEY, lambda: 0)


def test_a_sealed_datagram_opens_with_the_same_key_as_it_was() -> None:
    inner = datagram(relay=7, payload=bytes(range(200)))
    sealed = sender().seal(inner)
    assert sealed[0] == RELAY_MAGIC
    assert inner not in sealed
    assert receiver().open(sealed) == inner


def test_a_datagram_with_only_the_relay_header_opens() -> None:
    inner = datagram(payload=b"")
    assert receiver().open(sender().seal(inner)) == inner


def test_a_datagram_sealed_under_another_key_is_refused() -> None:
    sealed = sender(key=bytes(32)).seal(datagram())
    assert receiver().open(sealed) is None


def test_the_sealing_key_is_not_the_shared_key_itself() -> None:
    """The seal derives its own key: what AES-GCM under the shared key made does not open."""
    magic, nonce = bytes((RELAY_MAGIC,)), bytes(12)
    forged = magic + nonce + AESGCM(KEY).encrypt(nonce, datagram(), magic)
    assert receiver().open(forged) is None


# The sealed layout: magic (0), salt (1-4), counter (5-12), the inner datagram encrypted
# (13-20 its header, 21- its payload), then GCM's 16-byte tag.
@pytest.mark.parametrize(
    "position",
    [0, 1, 4, 5, 12, 13, 17, 20, 21, -17, -16, -1],
    ids=[
        "magic",
        "salt-first",
        "salt-last",
        "counter-first",
        "counter-last",
        "header-kind",
        "header-relay",
        "header-last",
        "payload-first",
        "payload-last",
        "digest-first",
        "digest-last",
    ],
)
@pytest.mark.parametrize("flip", [0x01, 0x80, 0xFF])
def test_a_datagram_with_any_byte_changed_is_refused(position: int, flip: int) -> None:
    sealed = bytearray(sender().seal(datagram()))
    sealed[position] ^= flip
    assert receiver().open(bytes(sealed)) is None


def test_no_byte_of_a_sealed_datagram_can_be_changed() -> None:
    sealed = sender().seal(datagram())
    for position in range(len(sealed)):
        changed = bytearray(sealed)
        changed[position] ^= 0x01
        assert receiver().open(bytes(changed)) is None, position
    assert receiver().open(sealed) == datagram()


@pytest.mark.parametrize(
    "sealed",
    [
        b"",
        bytes((RELAY_MAGIC,)),
        bytes((RELAY_MAGIC,)) + bytes(35),
        bytes((RELAY_MAGIC,)) + bytes(200),
        bytes(200),
    ],
    ids=["empty", "magic-only", "one-short-of-the-least", "zeros-after-magic", "no-magic"],
)
def test_what_is_too_short_or_no_sealed_datagram_is_refused(sealed: bytes) -> None:
    assert receiver().open(sealed) is None


def test_a_truncated_or_extended_sealed_datagram_is_refused() -> None:
    sealed = sender().seal(datagram())
    assert receiver().open(sealed[:-1]) is None
    assert receiver().open(sealed + b"\x00") is None


def test_a_sealed_datagram_shorter_than_the_relay_header_is_refused() -> None:
    assert receiver().open(sender().seal(bytes(7))) is None


def test_a_replayed_datagram_is_refused() -> None:
    sealed = sender().seal(datagram())
    opener = receiver()
    assert opener.open(sealed) == datagram()
    assert opener.open(sealed) is None


def test_datagrams_out_of_order_within_the_window_are_each_taken_once() -> None:
    seal = sender()
    inner = [datagram(payload=n.to_bytes(2)) for n in range(REPLAY_WINDOW)]
    sealed = [seal.seal(d) for d in inner]
    opener = receiver()
    # the newest first, then every older one in the window, the oldest first
    order = [REPLAY_WINDOW - 1, *range(REPLAY_WINDOW - 1)]
    assert [opener.open(sealed[n]) for n in order] == [inner[n] for n in order]
    assert [opener.open(s) for s in sealed] == [None] * REPLAY_WINDOW


def test_a_datagram_the_window_below_the_highest_is_refused_and_one_less_is_taken() -> None:
    seal = sender()
    sealed = [seal.seal(datagram(payload=bytes([n & 0xFF]))) for n in range(REPLAY_WINDOW + 1)]
    opener = receiver()
    assert opener.open(sealed[-1]) is not None
    assert opener.open(sealed[0]) is None  # REPLAY_WINDOW below the highest
    assert opener.open(sealed[1]) == datagram(payload=b"\x01")  # REPLAY_WINDOW - 1 below


def test_a_datagram_never_seen_but_too_old_is_refused() -> None:
    old = sender(START).seal(datagram())
    new = sender(START + 5 * REPLAY_WINDOW).seal(datagram())
    opener = receiver()
    assert opener.open(new) is not None
    assert opener.open(old) is None


def test_a_high_counter_on_one_relay_does_not_refuse_another() -> None:
    early = sender(START).seal(datagram(relay=2))
    late = sender(START + 10 * REPLAY_WINDOW).seal(datagram(relay=1))
    opener = receiver()
    assert opener.open(late) == datagram(relay=1)
    assert opener.open(early) == datagram(relay=2)


def test_the_same_counter_on_two_relays_is_taken_for_each() -> None:
    first = sender(START).seal(datagram(relay=1))
    second = sender(START).seal(datagram(relay=2))
    opener = receiver()
    assert opener.open(first) == datagram(relay=1)
    assert opener.open(second) == datagram(relay=2)


def test_a_forgotten_relay_starts_afresh() -> None:
    old = sender(START).seal(datagram(relay=3))
    new = sender(START + 10 * REPLAY_WINDOW).seal(datagram(relay=3))
    opener = receiver()
    assert opener.open(new) is not None
    assert opener.open(old) is None
    opener.forget(3)
    assert opener.open(old) == datagram(relay=3)


def test_forgetting_one_relay_keeps_what_another_has_seen() -> None:
    sealed = sender().seal(datagram(relay=4))
    opener = receiver()
    assert opener.open(sealed) is not None
    opener.forget(5)  # never seen: nothing happens
    opener.forget(3)
    assert opener.open(sealed) is None


def test_a_restarted_sender_is_taken_after_the_old_one() -> None:
    before = sender(START)
    old = [before.seal(datagram(payload=bytes([n]))) for n in range(3)]
    opener = receiver()
    assert all(opener.open(s) is not None for s in old)
    # Restarted a moment later: its clock is past every counter the old one used.
    after = sender(START + 1_000_000)
    assert opener.open(after.seal(datagram(payload=b"new"))) == datagram(payload=b"new")
    assert all(opener.open(s) is None for s in old)


def test_each_seal_uses_a_new_nonce() -> None:
    seal = sender()
    first, second = seal.seal(datagram()), seal.seal(datagram())
    assert first[1:13] != second[1:13]
    assert int.from_bytes(second[5:13]) == int.from_bytes(first[5:13]) + 1 == START + 2


@pytest.mark.parametrize("length", [0, 1, 15])
def test_a_key_shorter_than_16_bytes_is_refused(length: int) -> None:
    with pytest.raises(ValueError):
        NodeRelaySeal(bytes(length))


def test_a_key_of_16_bytes_will_do() -> None:
    key = bytes(range(16))
    sealed = NodeRelaySeal(key).seal(datagram())
    assert NodeRelaySeal(key).open(sealed) == datagram()


@given(st.integers(min_value=1, max_value=64).flatmap(lambda n: st.permutations(range(n))))
def test_any_order_of_a_relays_datagrams_takes_each_exactly_once(order: list[int]) -> None:
    seal = sender()
    sealed = [seal.seal(datagram(relay=9, payload=bytes([n]))) for n in range(len(order))]
    opener = receiver()
    taken = [opener.open(sealed[n]) for n in order]
    assert taken == [datagram(relay=9, payload=bytes([n])) for n in order]
    assert [opener.open(sealed[n]) for n in order] == [None] * len(order)
