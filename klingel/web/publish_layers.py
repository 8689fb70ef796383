"""What each publisher was last told about its simulcast layers (``publish_layers``), kept to
be sent again on a resume: one that came while the socket was gone would otherwise leave a
layer switched off (or on) for good. Only the publisher hears it, and only about streams that
are still theirs."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from klingel.ids import ParticipantId, StreamId
from klingel.protocol.layers import MAX_LAYER, PublishLayers
from klingel.rooms.participant import Participant
from klingel.sfu.api import PublisherLayers

__all__ = ["PublishedLayers"]

logger = logging.getLogger(__name__)


class PublishedLayers:
    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[ParticipantId, dict[StreamId, PublishLayers]] = {}

    def told(self, participant: Participant, event: PublisherLayers) -> PublishLayers | None:
        """The message to send ``participant`` for the SFU's ``event``, remembered; None if
        the stream is no longer theirs or the protocol cannot carry the layers."""
        if event.stream_id not in participant.streams.values():
            return None
        wanted = event.wanted
        if not 1 <= len(wanted) <= MAX_LAYER + 1 or not wanted[0]:
            logger.debug("Ignoring publisher layers the protocol cannot carry: %s", wanted)
            return None
        message = PublishLayers(event.stream_id, wanted)
        self._last.setdefault(participant.id, {})[event.stream_id] = message
        return message

    def again(self, participant: Participant) -> Iterable[PublishLayers]:
        """What to tell a resumed publisher again, about the streams still theirs."""
        self.forget_ended(participant)
        return tuple(self._last.get(participant.id, {}).values())

    def forget_ended(self, participant: Participant) -> None:
        known = self._last.get(participant.id)
        if known is None:
            return
        for stream_id in set(known) - set(participant.streams.values()):
            del known[stream_id]
        if not known:
            del self._last[participant.id]

    def forget(self, participant: ParticipantId) -> None:
        self._last.pop(participant, None)
