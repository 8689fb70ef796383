"""A viewer key kept in Redis for the node a room comes to next: sealed under the town's key
and bound to its room; nothing else opens it."""

from __future__ import annotations

import base64

import pytest

from klingel.cluster.at_rest import SecretsAtRest
from klingel.ids import RoomId
from klingel.store import SecretDigester

KEY = SecretDigester(bytes(range(32)))
ROOM = RoomId("neujahrsansprache")
VIEWER_KEY = "q3Vd0cLw7sRkZ1mN8aTj2Q"


def test_a_sealed_key_opens_for_its_room_on_another_node_with_the_same_key() -> None:
    sealed = SecretsAtRest(KEY).seal(VIEWER_KEY, ROOM)
    assert VIEWER_KEY not in sealed
    assert SecretsAtRest(SecretDigester(bytes(range(32)))).open(sealed, ROOM) == VIEWER_KEY


def test_each_seal_differs_so_equal_keys_cannot_be_told_apart() -> None:
    at_rest = SecretsAtRest(KEY)
    assert at_rest.seal(VIEWER_KEY, ROOM) != at_rest.seal(VIEWER_KEY, ROOM)


def test_another_room_or_another_town_key_does_not_open_it() -> None:
    sealed = SecretsAtRest(KEY).seal(VIEWER_KEY, ROOM)
    assert SecretsAtRest(KEY).open(sealed, RoomId("ratssitzung")) is None
    assert SecretsAtRest(SecretDigester(bytes(32))).open(sealed, ROOM) is None


def _with_one_byte_flipped(sealed: str, index: int) -> str:
    # Flipping a byte of the decoded entry, not a base64 letter: the last letter before
    # the padding carries bits the decoder ignores, so changing it may change nothing.
    data = bytearray(base64.urlsafe_b64decode(sealed))
    data[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(data)).decode()


@pytest.mark.parametrize(
    "change",
    [
        lambda sealed: _with_one_byte_flipped(sealed, 0),
        lambda sealed: _with_one_byte_flipped(sealed, 20),
        lambda sealed: _with_one_byte_flipped(sealed, -1),
        lambda sealed: sealed[:10],
        lambda sealed: "",
        lambda sealed: "ä" + sealed,
        lambda sealed: "!!!!",
        lambda sealed: sealed * 20,
    ],
)
def test_a_changed_or_malformed_entry_opens_to_nothing(change: object) -> None:
    sealed = SecretsAtRest(KEY).seal(VIEWER_KEY, ROOM)
    assert callable(change)
    assert SecretsAtRest(KEY).open(change(sealed), ROOM) is None
