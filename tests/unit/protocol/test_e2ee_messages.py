"""The key messages of encrypted rooms: an opaque base64 blob, to one participant or to all."""

from __future__ import annotations

import pytest

from klingel.protocol.e2ee import MAX_E2EE_DATA_LENGTH, E2eeFrom, E2eeTo
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import parse_client_message, parse_server_message
from klingel.protocol.moderation import RoomSettingsChange

DATA = "eyJ0IjoiaGVsbG8ifQ=="


def test_a_key_message_to_one_participant_round_trips() -> None:
    message = parse_client_message({"type": "e2ee", "to": "p-x2", "data": DATA})
    assert message == E2eeTo(to="p-x2", data=DATA)  # type: ignore[arg-type]
    assert message.to_dict() == {"type": "e2ee", "to": "p-x2", "data": DATA}


def test_a_key_message_to_everyone_has_a_null_recipient() -> None:
    message = parse_client_message({"type": "e2ee", "to": None, "data": DATA})
    assert isinstance(message, E2eeTo) and message.to is None


def test_the_relayed_message_names_its_sender() -> None:
    message = parse_server_message({"type": "e2ee", "from": "p-x1", "data": DATA})
    assert message == E2eeFrom(sender="p-x1", data=DATA)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {"data": DATA},  # no recipient field at all
        {"to": "p-x2"},
        {"to": "", "data": DATA},
        {"to": 7, "data": DATA},
        {"to": "p-x2", "data": "not base64!"},
        {"to": "p-x2", "data": "abc"},  # not a whole number of groups
        {"to": "p-x2", "data": "A" * (MAX_E2EE_DATA_LENGTH + 4)},
        {"to": "p-x2", "data": DATA, "from": "p-x9"},  # a client never names the sender
        {"to": "p-x2", "data": {"key": "value"}},
    ],
)
def test_malformed_key_messages_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(KlingelError) as refused:
        parse_client_message({"type": "e2ee", **fields})
    assert refused.value.code is ErrorCode.BAD_MESSAGE
    assert refused.value.ref == "e2ee"


def test_the_largest_allowed_blob_passes() -> None:
    data = "A" * MAX_E2EE_DATA_LENGTH
    assert parse_client_message({"type": "e2ee", "to": None, "data": data}).data == data  # type: ignore[union-attr]


def test_the_data_never_shows_in_a_repr() -> None:
    assert DATA not in repr(E2eeTo(to=None, data=DATA))
    assert DATA not in repr(E2eeFrom(sender="p-x1", data=DATA))  # type: ignore[arg-type]


def test_room_settings_may_switch_encryption() -> None:
    change = parse_client_message({"type": "room_settings", "e2ee": True})
    assert change == RoomSettingsChange(e2ee=True)
    assert change.to_dict() == {"type": "room_settings", "e2ee": True}
