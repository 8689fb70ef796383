"""Which server message answers which request: by type, errors by their ``ref``."""

from __future__ import annotations

import asyncio

import pytest

from klingel.client.errors import Ended, Refused
from klingel.client.pairing import PendingRequests
from klingel.ids import ParticipantId, RoomId, StreamId
from klingel.protocol.errors import ErrorCode
from klingel.protocol.messages import (
    ChatLine,
    Error,
    Joined,
    Pong,
    PublishAnswer,
    ServerMessage,
    StreamRemoved,
    SubscribeAnswer,
)
from klingel.protocol.moderation import Denied, Waiting
from klingel.protocol.objects import ParticipantInfo, RoomInfo

YOU = ParticipantInfo(ParticipantId("p-1"), "Anna", False, False, False, False, True)
JOINED = Joined(1, YOU, "r" * 20, False, RoomInfo(RoomId("rathaus"), 50), (YOU,), ())


def refused(reply: asyncio.Future[ServerMessage]) -> Refused:
    error = reply.exception()
    assert isinstance(error, Refused)
    return error


async def test_an_answer_goes_to_the_request_of_its_type() -> None:
    pending = PendingRequests()
    publish = pending.expect("publish")
    subscribe = pending.expect("subscribe")
    assert pending.settle(SubscribeAnswer("v=0\r\n"))
    assert subscribe.result() == SubscribeAnswer("v=0\r\n")
    assert not publish.done()
    assert pending.settle(PublishAnswer("v=0\r\n", ()))
    assert publish.result() == PublishAnswer("v=0\r\n", ())
    assert len(pending) == 0


async def test_join_is_answered_by_joined_or_waiting() -> None:
    pending = PendingRequests()
    first, second = pending.expect("join"), pending.expect("join")
    assert pending.settle(Waiting(1, office_hours=False))
    assert pending.settle(JOINED)
    assert (first.result(), second.result()) == (Waiting(1, office_hours=False), JOINED)


async def test_announcements_answer_nothing() -> None:
    pending = PendingRequests()
    ping = pending.expect("ping")
    line = ChatLine("c-1", ParticipantId("p-2"), "Ben", "Hallo", 1)
    assert not pending.settle(line)
    assert not pending.settle(StreamRemoved(StreamId("s-1")))
    assert not pending.settle(JOINED)  # an admission from the lobby, nobody asked
    assert not ping.done()
    assert pending.settle(Pong())
    assert ping.result() == Pong()


async def test_an_error_fails_the_request_it_names() -> None:
    pending = PendingRequests()
    publish = pending.expect("publish")
    subscribe = pending.expect("subscribe")
    error = Error(ErrorCode.UNKNOWN_STREAM, "No such stream.", "subscribe")
    assert pending.settle(error)
    assert not publish.done()
    assert refused(subscribe).code is ErrorCode.UNKNOWN_STREAM
    assert refused(subscribe).ref == "subscribe"


async def test_an_error_about_a_message_without_answer_fails_no_request() -> None:
    pending = PendingRequests()
    publish = pending.expect("publish")
    assert not pending.settle(Error(ErrorCode.UNKNOWN_STREAM, "No such stream.", "set_layers"))
    assert not publish.done()


async def test_an_error_without_ref_fails_the_oldest_request() -> None:
    pending = PendingRequests()
    older, newer = pending.expect("subscribe"), pending.expect("publish")
    assert pending.settle(Error(ErrorCode.RATE_LIMITED, "Too many messages."))
    assert refused(older).code is ErrorCode.RATE_LIMITED
    assert not newer.done()


async def test_requests_of_one_type_are_answered_in_order() -> None:
    pending = PendingRequests()
    first, second = pending.expect("subscribe"), pending.expect("subscribe")
    pending.settle(Error(ErrorCode.BAD_SDP, "Not SDP.", "subscribe"))
    pending.settle(SubscribeAnswer("v=0\r\n"))
    assert refused(first).code is ErrorCode.BAD_SDP
    assert second.result() == SubscribeAnswer("v=0\r\n")


async def test_a_request_given_up_is_skipped() -> None:
    pending = PendingRequests()
    abandoned, waiting = pending.expect("ping"), pending.expect("ping")
    abandoned.cancel()
    assert pending.settle(Pong())
    assert waiting.result() == Pong()


async def test_an_ending_fails_every_request() -> None:
    pending = PendingRequests()
    join = pending.expect("join")
    assert pending.settle(Denied("Heute nicht."))
    error = join.exception()
    assert isinstance(error, Ended) and error.ending == Denied("Heute nicht.")


async def test_a_closed_socket_fails_every_request() -> None:
    pending = PendingRequests()
    requests = [pending.expect("join"), pending.expect("ping")]
    pending.fail_all(ConnectionError("gone"))
    assert all(isinstance(r.exception(), ConnectionError) for r in requests)
    assert len(pending) == 0


async def test_only_requests_with_an_answer_can_be_awaited() -> None:
    with pytest.raises(ValueError):
        PendingRequests().expect("chat")
