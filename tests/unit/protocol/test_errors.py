from __future__ import annotations

import pytest

from klingel.protocol.errors import ErrorCode, ProtocolError, UserError, error_for

USER_CODES = {
    "bad_room", "bad_name", "room_full", "media_unavailable", "internal", "not_host",
    "not_waiting", "not_allowed", "password_required", "wrong_password", "room_locked",
    "removed", "screen_share_not_allowed", "chat_not_allowed", "unmute_not_allowed",
    "server_full", "password_too_short", "store_unavailable", "not_saved", "room_reserved",
    "unknown_broadcast",
    # polls
    "bad_poll", "poll_running", "no_poll", "poll_closed", "poll_in_council",
    # breakout rooms
    "breakout_over", "not_your_group", "breakouts_running", "no_breakouts", "breakouts_not_here",
    # the council mode
    "member_link_invalid", "not_member", "not_chair", "no_council", "held", "unknown_member",
    "unknown_item", "unknown_motion", "no_current_item", "session_not_open", "session_closed",
    "session_paused", "no_quorum", "vote_running", "no_vote", "vote_closed", "not_eligible",
    "biased", "secret_with_remote", "secret_ballot", "hall_counts", "already_listed",
    "not_listed", "no_speaker",
}  # fmt: skip
CLOSING_CODES = {
    "too_large", "unsupported_version", "bad_room", "bad_name", "room_full",
    "password_required", "wrong_password", "room_locked", "removed", "server_full",
    "store_unavailable", "room_reserved", "unknown_broadcast", "breakout_over", "not_your_group",
    "member_link_invalid",
}  # fmt: skip


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_has_its_kind_and_closing_rule(code: ErrorCode) -> None:
    error = error_for(code, "text", ref="chat")
    expected_kind = UserError if code.value in USER_CODES else ProtocolError
    assert type(error) is expected_kind
    assert error.closes is (code.value in CLOSING_CODES)
    assert (error.code, error.message, error.ref) == (code, "text", "chat")


def test_codes_are_their_wire_strings() -> None:
    assert str(ErrorCode.BAD_JSON) == "bad_json"
    assert ErrorCode("room_full") is ErrorCode.ROOM_FULL


def test_with_ref_keeps_an_existing_ref() -> None:
    error = ProtocolError(ErrorCode.BAD_MESSAGE, "x", ref="join")
    assert error.with_ref("chat").ref == "join"
    fresh = ProtocolError(ErrorCode.BAD_MESSAGE, "x").with_ref("chat")
    assert (fresh.ref, type(fresh)) == ("chat", ProtocolError)
