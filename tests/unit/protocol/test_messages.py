from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.messages import (
    CLIENT_MESSAGES,
    MAX_CANDIDATES,
    MAX_CHAT_LENGTH,
    MAX_SUBSCRIPTIONS,
    SERVER_MESSAGES,
    ChatLine,
    Error,
    Join,
    Publish,
    client_message_type,
    parse_client_message,
    parse_server_message,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "protocol"


def fixture(direction: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / direction / f"{kind}.json").read_text())
    return data


def client_refusal(data: dict[str, Any]) -> KlingelError:
    with pytest.raises(KlingelError) as caught:
        parse_client_message(data)
    return caught.value


@pytest.mark.parametrize("kind", sorted(CLIENT_MESSAGES))
def test_client_messages_round_trip(kind: str) -> None:
    data = fixture("client", kind)
    message = parse_client_message(data)
    assert type(message) is CLIENT_MESSAGES[kind]
    assert message.to_dict() == data


@pytest.mark.parametrize("kind", sorted(SERVER_MESSAGES))
def test_server_messages_round_trip(kind: str) -> None:
    data = fixture("server", kind)
    message = parse_server_message(data)
    assert type(message) is SERVER_MESSAGES[kind]
    assert message.to_dict() == data


@pytest.mark.parametrize(("direction", "kind"), [
    *[("client", kind) for kind in sorted(CLIENT_MESSAGES)],
    *[("server", kind) for kind in sorted(SERVER_MESSAGES)],
])  # fmt: skip
def test_unknown_fields_are_refused_with_ref(direction: str, kind: str) -> None:
    data = {**fixture(direction, kind), "admin": True}
    parse = parse_client_message if direction == "client" else parse_server_message
    with pytest.raises(KlingelError) as caught:
        parse(data)
    assert (caught.value.code, caught.value.ref) == (ErrorCode.BAD_MESSAGE, kind)


OPTIONAL_FIELDS = {
    "join": {"resume", "hostSecret", "password", "invitation", "member"},
    "council": {"item", "member", "on"},
    "deny": {"message"},
    "question": {"name"},
    "room_settings": {
        "lobby", "locked", "officeHours", "screenShareAllowed", "chatAllowed", "unmuteAllowed",
    },
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CLIENT_MESSAGES))
def test_every_defined_field_is_required_or_typed(kind: str) -> None:
    data = fixture("client", kind)
    optional = OPTIONAL_FIELDS.get(kind, set())
    for field in [key for key in data if key != "type"]:
        if field not in optional:
            missing = {key: value for key, value in data.items() if key != field}
            assert client_refusal(missing).code is ErrorCode.BAD_MESSAGE
        wrong = {**data, field: {"not": "this"}}
        assert client_refusal(wrong).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize("data", [{}, {"type": 7}, {"type": "shout"}, {"type": "joined"}])
def test_unknown_types_are_refused(data: dict[str, Any]) -> None:
    error = client_refusal(data)
    assert (error.code, error.ref) == (ErrorCode.UNKNOWN_TYPE, None)


def test_server_only_types_are_unknown_from_a_client() -> None:
    assert client_refusal(fixture("server", "pong")).code is ErrorCode.UNKNOWN_TYPE


def test_join_resume_and_secrets_are_optional() -> None:
    data = fixture("client", "join")
    for optional in OPTIONAL_FIELDS["join"]:
        data.pop(optional, None)
    assert parse_client_message(data) == Join(v=1, room="musikschule-geige", name="Anna")


def test_a_join_never_shows_its_secrets() -> None:
    join = Join(v=1, room="r", name="n", host_secret="Kq9zHostKey", password="Geige2026")
    for shown in (repr(join), str(join)):
        assert "Kq9zHostKey" not in shown and "Geige2026" not in shown
    assert parse_client_message(join.to_dict()) == join


@pytest.mark.parametrize("version", [0, 2, 99])
def test_join_of_another_version_is_unsupported(version: int) -> None:
    # Checked first: a newer page may send fields this version does not know.
    data = {**fixture("client", "join"), "v": version, "future": 1}
    error = client_refusal(data)
    assert (error.code, error.ref, error.closes) == (ErrorCode.UNSUPPORTED_VERSION, "join", True)


@pytest.mark.parametrize("version", ["1", True, 1.5, None])
def test_join_version_must_be_an_integer(version: object) -> None:
    assert client_refusal({**fixture("client", "join"), "v": version}).code is (
        ErrorCode.BAD_MESSAGE
    )


def publish_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(fixture("client", "publish"))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "tracks",
    [
        [{"mid": "0", "kind": "video", "source": "microphone"}],
        [{"mid": "0", "kind": "audio", "source": "camera"}],
        [{"mid": "0", "kind": "audio", "source": "screen"}],
        [
            {"mid": "0", "kind": "video", "source": "camera"},
            {"mid": "1", "kind": "video", "source": "camera"},
        ],
        [
            {"mid": "0", "kind": "audio", "source": "microphone"},
            {"mid": "0", "kind": "video", "source": "camera"},
        ],
        [{"mid": "", "kind": "audio", "source": "microphone"}],
        [{"mid": "a b", "kind": "audio", "source": "microphone"}],
        [{"mid": "0", "kind": "audio", "source": "speaker"}],
        [{"mid": "0", "kind": "audio", "source": "microphone", "ssrc": 1}],
        ["0"],
    ],
)
def test_publish_tracks_are_checked(tracks: list[Any]) -> None:
    error = client_refusal(publish_with(tracks=tracks))
    assert (error.code, error.ref) == (ErrorCode.BAD_MESSAGE, "publish")


def test_publish_may_end_every_track() -> None:
    message = parse_client_message(publish_with(tracks=[]))
    assert isinstance(message, Publish)
    assert message.tracks == ()


def test_an_offer_must_be_sdp() -> None:
    error = client_refusal(publish_with(sdp="<html>"))
    assert (error.code, error.ref) == (ErrorCode.BAD_SDP, "publish")


def test_candidates_in_an_offer_are_bounded() -> None:
    lines = ["v=0"] + [
        f"a=candidate:{n} 1 udp 1 127.0.0.2 9 typ host" for n in range(MAX_CANDIDATES)
    ]
    # The same candidate repeated in every bundled m-section counts once.
    assert parse_client_message(publish_with(sdp="\r\n".join([*lines, *lines[1:]])))
    extra = "a=candidate:x 1 udp 1 127.0.0.2 10 typ host"
    error = client_refusal(publish_with(sdp="\r\n".join([*lines, extra])))
    assert (error.code, error.ref) == (ErrorCode.TOO_MANY_CANDIDATES, "publish")


def test_subscribe_names_at_most_100_streams_once_per_mid() -> None:
    data = copy.deepcopy(fixture("client", "subscribe"))
    data["streams"] = [{"mid": str(i), "stream": f"s-{i}"} for i in range(MAX_SUBSCRIPTIONS)]
    assert parse_client_message(data)
    data["streams"].append({"mid": "x", "stream": "s-x"})
    assert client_refusal(data).code is ErrorCode.BAD_MESSAGE
    data["streams"] = [{"mid": "0", "stream": "s-1"}, {"mid": "0", "stream": "s-2"}]
    assert client_refusal(data).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize(("length", "ok"), [(0, False), (1, True), (MAX_CHAT_LENGTH, True),
                                           (MAX_CHAT_LENGTH + 1, False)])  # fmt: skip
def test_chat_text_length(length: int, ok: bool) -> None:
    data = {"type": "chat", "text": "x" * length}
    if ok:
        assert parse_client_message(data).to_dict() == data
    else:
        assert client_refusal(data).code is ErrorCode.BAD_MESSAGE


def test_booleans_are_not_numbers() -> None:
    assert client_refusal({"type": "hand", "raised": 1}).code is ErrorCode.BAD_MESSAGE
    assert client_refusal({"type": "media_state", "audio": True, "video": 0}).code is (
        ErrorCode.BAD_MESSAGE
    )


def test_chat_line_says_from_on_the_wire() -> None:
    line = parse_server_message(fixture("server", "chat"))
    assert isinstance(line, ChatLine)
    assert line.sender == "p-x2"
    assert line.to_dict()["from"] == "p-x2"


def test_error_ref_is_left_out_when_unknown() -> None:
    assert Error(ErrorCode.BAD_JSON, "x").to_dict() == {
        "type": "error",
        "code": "bad_json",
        "message": "x",
    }


def test_error_codes_are_checked_when_read() -> None:
    data = {**fixture("server", "error"), "code": "oops"}
    with pytest.raises(KlingelError):
        parse_server_message(data)


def test_only_client_types_name_a_refused_message() -> None:
    assert client_message_type({"type": "chat"}) == "chat"
    assert client_message_type({"type": "pong"}) is None
    assert client_message_type({"type": ["chat"]}) is None
