"""Seat passes: a standing room's resume tokens, honoured once after a restart of the server."""

from __future__ import annotations

import pytest
from support.clock import Clock

from klingel.ids import RoomId
from klingel.protocol.messages import MAX_RESUME_LENGTH
from klingel.rooms.seat_passes import MAX_AGE_SECONDS, RETURN_WINDOW_SECONDS, SeatPasses
from klingel.store import SecretDigester

DIGESTER = SecretDigester(bytes(range(32)))
ROOM = RoomId("musikschule-geige")
START = 1_750_000_000.0


def restarted(downtime: float = 3.0) -> tuple[str, SeatPasses, Clock]:
    """A pass issued in the run before a restart, and the run after it, on one wall clock."""
    wall = Clock(START)
    token = SeatPasses(DIGESTER, wall).issue(ROOM)
    wall.now += downtime
    return token, SeatPasses(DIGESTER, wall), wall


def test_a_pass_of_the_run_before_lets_in_once_after_the_restart() -> None:
    wall = Clock(START)
    before = SeatPasses(DIGESTER, wall)
    wall.now += 600  # someone let in during the meeting
    token = before.issue(ROOM)
    wall.now += 1800
    after = SeatPasses(DIGESTER, wall)
    wall.now += 5
    assert len(token) <= MAX_RESUME_LENGTH
    assert after.from_before_restart(ROOM, token)
    after.spend(token)
    assert not after.from_before_restart(ROOM, token), "a pass lets in once"


def test_passes_are_long_random_and_different() -> None:
    passes = SeatPasses(DIGESTER, Clock(START))
    tokens = {passes.issue(ROOM) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token.split(".")[0]) >= 32 for token in tokens)  # 192 random bits


def test_a_pass_of_this_run_means_nothing_beyond_its_resume() -> None:
    _, after, wall = restarted()
    wall.now += 10
    assert not after.from_before_restart(ROOM, after.issue(ROOM))


def test_a_pass_is_for_its_own_room_only() -> None:
    token, after, _ = restarted()
    assert not after.from_before_restart(RoomId("musikschule-bratsche"), token)


def test_a_pass_is_honoured_only_right_after_the_start() -> None:
    token, after, wall = restarted()
    wall.now += RETURN_WINDOW_SECONDS
    assert after.from_before_restart(ROOM, token)
    wall.now += 1
    assert not after.from_before_restart(ROOM, token)


def test_an_old_pass_is_not_honoured() -> None:
    wall = Clock(START)
    token = SeatPasses(DIGESTER, wall).issue(ROOM)
    wall.now += MAX_AGE_SECONDS + 1
    assert not SeatPasses(DIGESTER, wall).from_before_restart(ROOM, token)


def test_a_pass_made_with_another_key_is_not_honoured() -> None:
    wall = Clock(START)
    token = SeatPasses(SecretDigester(bytes(32)), wall).issue(ROOM)
    wall.now += 3
    assert not SeatPasses(DIGESTER, wall).from_before_restart(ROOM, token)


@pytest.mark.parametrize(
    "changed",
    [
        lambda token: None,
        lambda token: "",
        lambda token: token + "x",
        lambda token: token.replace(".", "", 1),
        lambda token: token + ".x",
        lambda token: token.rsplit(".", 1)[0] + ".ü" + token.rsplit(".", 1)[1][1:],
        lambda token: ".".join([token.split(".")[0], "zz", token.split(".")[2]]),
        # An earlier time is the likeliest forgery: the digest covers it.
        lambda token: ".".join([token.split(".")[0], "1", token.split(".")[2]]),
        lambda token: "A" + token[1:] if token[0] != "A" else "B" + token[1:],
    ],
)
def test_a_changed_or_malformed_pass_is_not_honoured(changed: object) -> None:
    token, after, _ = restarted()
    assert callable(changed)
    assert not after.from_before_restart(ROOM, changed(token))


def test_a_pass_of_another_node_lets_in_where_its_room_arrived_once() -> None:
    wall = Clock(START)
    here = SeatPasses(DIGESTER, wall)  # this node runs since long before the meeting
    wall.now += 3600
    token = SeatPasses(DIGESTER, wall).issue(ROOM)  # the node that held the room
    other_room = RoomId("musikschule-bratsche")
    other_token = SeatPasses(DIGESTER, wall).issue(other_room)
    wall.now += 4
    assert not here.from_before_restart(ROOM, token), "not before the room came here"
    here.arrived(ROOM, int(wall.now))
    assert here.from_before_restart(ROOM, token)
    assert not here.from_before_restart(other_room, other_token), "only the room that came"
    here.spend(token)
    assert not here.from_before_restart(ROOM, token), "a pass lets in once"


def test_a_pass_issued_after_the_room_arrived_or_long_after_is_not_honoured() -> None:
    wall = Clock(START)
    here = SeatPasses(DIGESTER, wall)
    wall.now += 3600
    here.arrived(ROOM, int(wall.now))
    wall.now += 2
    later = SeatPasses(DIGESTER, wall).issue(ROOM)
    assert not here.from_before_restart(ROOM, later)
    earlier = SeatPasses(DIGESTER, Clock(wall.now - 10)).issue(ROOM)
    wall.now += RETURN_WINDOW_SECONDS
    assert not here.from_before_restart(ROOM, earlier), "the window after the arrival is over"


def test_an_arrival_reported_too_late_is_not_kept() -> None:
    wall = Clock(START)
    here = SeatPasses(DIGESTER, wall)
    token = SeatPasses(DIGESTER, Clock(START + 100)).issue(ROOM)
    wall.now += 1000
    here.arrived(ROOM, int(wall.now) - RETURN_WINDOW_SECONDS - 1)
    assert not here.from_before_restart(ROOM, token)
