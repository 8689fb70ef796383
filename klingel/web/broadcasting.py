"""A room's public side (docs/public-viewing.md). Hosts and co-hosts open it, pause, resume,
stop it, pin someone on stage and replace the viewer link; anyone keeps themselves out of it;
everyone in the room always learns how it stands and how many watch, and hosts and co-hosts
alone learn the viewer link's key. Viewers come by that key on a socket of their own, are
counted, hear when it pauses, resumes or ends, and never reach the meeting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from klingel.config import DEFAULT_MAX_VIEWERS
from klingel.ids import ParticipantId, RoomId
from klingel.protocol.broadcast import (
    AnswerQuestion,
    Ask,
    BroadcastCommand,
    BroadcastEnded,
    BroadcastLive,
    BroadcastPin,
    BroadcastState,
    Invited,
    InviteViewer,
    OnStage,
    QuestionItem,
    QuestionReceived,
    Questions,
    ShownQuestion,
    ShowQuestion,
    Watch,
    Watching,
)
from klingel.protocol.codec import encode_frame
from klingel.protocol.errors import ErrorCode, UserError
from klingel.protocol.messages import ServerMessage, Subscribe, SubscribeAnswer
from klingel.rooms.abuse import address_key
from klingel.rooms.broadcast import Broadcast
from klingel.rooms.identifiers import new_viewer_id
from klingel.rooms.participant import Participant
from klingel.rooms.room import Room
from klingel.sfu.api import PROGRAMME_SLOTS, MediaBackend, Stage, StageChanged, Subscription
from klingel.web.connection import CLOSE_ENDED, CLOSE_GOING_AWAY, CLOSE_MOVED, Connection
from klingel.web.media_requests import ask_media

if TYPE_CHECKING:
    from klingel.cluster.on_air import BroadcastsOnAir
    from klingel.web.hub import SignalingHub
    from klingel.web.programme_links import ProgrammeLinks

__all__ = [
    "DEFAULT_MAX_VIEWERS",
    "VIEWERS_PER_ADDRESS",
    "VIEWER_COUNT_INTERVAL_SECONDS",
    "Broadcasting",
    "Viewer",
]

logger = logging.getLogger(__name__)

VIEWERS_PER_ADDRESS = 50
VIEWER_COUNT_INTERVAL_SECONDS = 1.0
"""Participants hear the audience's size at most this often, however many come and go."""
QUESTIONS_INTERVAL_SECONDS = 1.0
"""Hosts get the questions inbox at most this often, however many ask."""


@dataclass(eq=False, slots=True)
class Viewer:
    """One viewer socket: which room it watches, from which address (as the per-address
    limits key it)."""

    room: Room
    connection: Connection
    address: str
    id: ParticipantId = field(default_factory=new_viewer_id)
    """The viewer's name towards the SFU: never shown, never a participant's."""
    subscribed: bool = field(default=False)
    gone: bool = field(default=False)
    via: str = ""
    """The node that passed the viewer's socket on ("" if none did)."""
    served_by: str = ""
    """The node whose SFU serves the viewer's programme ("": this one)."""


_SLOT_IDS = frozenset(slot.stream_id for slot in PROGRAMME_SLOTS)


class Broadcasting:
    def __init__(
        self, hub: SignalingHub, media: MediaBackend, max_viewers: int = DEFAULT_MAX_VIEWERS
    ) -> None:
        self._hub = hub
        self._media = media
        # the programme's rules as last sent to the SFU, and whom it shows, by room
        self._stages: dict[Room, Stage] = {}
        self._on_stage: dict[Room, OnStage] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # who asked each question, by room, while they watch (to invite them)
        self._askers: dict[Room, dict[str, Viewer]] = {}
        self._questions_pending: set[Room] = set()
        self._max_viewers = max_viewers
        self._rooms_by_key: dict[str, Room] = {}
        self._viewers: dict[Room, set[Viewer]] = {}
        self._per_address: dict[str, int] = {}
        self._count_pending: set[Room] = set()
        # what viewers of a room read beside the programme (a council session's item,
        # speaker and votes), sent again to each new viewer
        self._notices: dict[Room, ServerMessage] = {}
        self._links: ProgrammeLinks | None = None
        self._on_air: BroadcastsOnAir | None = None

    def keep_on_air(self, on_air: BroadcastsOnAir) -> None:
        """With several nodes: a broadcast comes back with its room if the room's node is lost."""
        self._on_air = on_air

    async def come_back(self, room: Room) -> None:
        """``room``'s first participant is coming (the room is new in this node's memory, or
        was only reserved here for its creator): if its broadcast was on air when the node
        that held it was lost, it is on again here, paused, with the same link. The
        hosts resume it: until they do, nobody is seen or heard who did not choose so again."""
        if self._on_air is None or room.broadcast is not None or room.settings.e2ee:
            return
        key = await self._on_air.recall(room.id)
        if key is None or room.broadcast is not None or key in self._rooms_by_key:
            return
        broadcast = room.broadcast = Broadcast(key)
        broadcast.pause()
        self._rooms_by_key[key] = room
        self._on_air.announce(room.id, key)
        for person in room:
            if not person.public_shown:
                broadcast.set_shown(person.id, False)
        logger.info("A public broadcast came back with its room, paused")

    def serve_on_nodes(self, links: ProgrammeLinks) -> None:
        """With several nodes: viewers are served by the node they came through."""
        self._links = links

    @property
    def viewer_count(self) -> int:
        return sum(len(viewers) for viewers in self._viewers.values())

    # --- viewers ------------------------------------------------------------------------

    def watch(self, connection: Connection, message: Watch, address: str, via: str = "") -> Viewer:
        """A viewer socket's ``watch``: counted and told whether it is live, or refused."""
        room = self._rooms_by_key.get(message.key)
        broadcast = None if room is None else room.broadcast
        if room is None or broadcast is None or not broadcast.opens_with(message.key):
            raise UserError(ErrorCode.UNKNOWN_BROADCAST, "There is no such broadcast.")
        if self.viewer_count >= self._max_viewers:
            raise UserError(ErrorCode.SERVER_FULL, "No more viewers fit on this server now.")
        if self._per_address.get(address_key(address), 0) >= VIEWERS_PER_ADDRESS:
            raise UserError(ErrorCode.RATE_LIMITED, "Too many viewers from one address.")
        viewer = Viewer(room, connection, address_key(address), via=via)
        self._viewers.setdefault(room, set()).add(viewer)
        self._per_address[viewer.address] = self._per_address.get(viewer.address, 0) + 1
        broadcast.viewer_came()
        connection.send(Watching(v=1, live=broadcast.live, ice_servers=self._hub.ice_servers()))
        on_stage = self._on_stage.get(room)
        if on_stage is not None and broadcast.live:
            connection.send(on_stage)
        if broadcast.shown_question is not None:
            connection.send(_shown(broadcast))
        notice = self._notices.get(room)
        if notice is not None:
            connection.send(notice)
        self._count_changed(room)
        return viewer

    async def subscribe(self, viewer: Viewer, message: Subscribe) -> None:
        """A viewer's offer for the programme's slots (``PROGRAMME_SLOTS``), answered by the
        SFU like a participant's."""
        if any(request.stream not in _SLOT_IDS for request in message.streams):
            raise UserError(ErrorCode.UNKNOWN_STREAM, "Viewers receive the programme only.")
        room = viewer.room
        await self._stage_in_place(room)
        subscriptions = [Subscription(request.mid, request.stream) for request in message.streams]
        viewer.subscribed = True
        answer = await self._answer(viewer, message.sdp, subscriptions)
        if not viewer.gone:
            viewer.connection.send(SubscribeAnswer(sdp=answer))

    async def _answer(self, viewer: Viewer, sdp: str, subscriptions: list[Subscription]) -> str:
        """The SFU's answer, from the node the viewer came through if it can serve it."""
        room_id, links = viewer.room.id, self._links
        if links is not None and links.serves_elsewhere(viewer.via):
            asked = links.watch(room_id, viewer.id, viewer.via, sdp, subscriptions)
            answer = await ask_media(asked)
            if answer is not None:
                viewer.served_by = viewer.via
                return answer
            if viewer.served_by:  # served there before, here from now on
                links.leave(room_id, viewer.id, viewer.served_by)
                viewer.served_by = ""
        return await ask_media(self._media.watch(room_id, viewer.id, sdp, subscriptions))

    def viewers_lost(self, room_id: RoomId, viewers: frozenset[ParticipantId]) -> None:
        """The node that served these viewers no longer does: they come back and watch anew."""
        room = self._hub.registry.get(room_id)
        for viewer in list(self._viewers.get(room, ())) if room is not None else []:
            if viewer.id in viewers:
                viewer.subscribed = False
                viewer.connection.close(CLOSE_GOING_AWAY, "media_reset")
                self.viewer_gone(viewer)

    def viewer_gone(self, viewer: Viewer) -> None:
        """The viewer's socket closed (or it was sent away)."""
        if viewer.gone:
            return
        viewer.gone = True
        viewers = self._viewers.get(viewer.room)
        if viewers is not None:
            viewers.discard(viewer)
            if not viewers:
                del self._viewers[viewer.room]
        left = self._per_address.get(viewer.address, 1) - 1
        if left > 0:
            self._per_address[viewer.address] = left
        else:
            self._per_address.pop(viewer.address, None)
        broadcast = viewer.room.broadcast
        if broadcast is not None and broadcast.viewers > 0:
            broadcast.viewer_left()
            self._count_changed(viewer.room)
        if viewer.subscribed and viewer.served_by and self._links is not None:
            self._links.leave(viewer.room.id, viewer.id, viewer.served_by)
        elif viewer.subscribed:
            self._in_background(self._media.remove_participant(viewer.room.id, viewer.id))
        if viewer in self._askers.get(viewer.room, {}).values():
            self._questions_changed(viewer.room)  # their questions can be invited no more

    def _send_viewers_away(self, room: Room) -> None:
        for viewer in list(self._viewers.get(room, ())):
            viewer.connection.send(BroadcastEnded())
            viewer.connection.close(CLOSE_ENDED, BroadcastEnded.TYPE)
            self.viewer_gone(viewer)

    # --- questions ----------------------------------------------------------------------

    def ask(self, viewer: Viewer, message: Ask) -> None:
        """A viewer's question goes to the hosts' inbox, never to other viewers."""
        broadcast = viewer.room.broadcast
        if broadcast is None:
            raise UserError(ErrorCode.NOT_ALLOWED, "The broadcast has ended.")
        question = broadcast.ask(viewer.id, message.text, message.name, self._hub.clock())
        self._askers.setdefault(viewer.room, {})[question.id] = viewer
        viewer.connection.send(QuestionReceived(question.id))
        self._questions_changed(viewer.room)

    def question_command(
        self, room: Room, command: AnswerQuestion | ShowQuestion | InviteViewer
    ) -> None:
        """A moderator's answer, show or invitation (the caller checked the role)."""
        broadcast = room.broadcast
        if broadcast is None:
            raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
        match command:
            case AnswerQuestion(id=question):
                broadcast.mark_answered(question)
            case ShowQuestion(id=question):
                broadcast.show(question)
                frame = encode_frame(_shown(broadcast).to_dict())
                for viewer in self._viewers.get(room, ()):
                    viewer.connection.send_encoded(frame)
            case InviteViewer(id=question):
                broadcast.question(question)
                asker = self._askers.get(room, {}).get(question)
                if asker is None or asker.gone:
                    self._tell_questions(room)
                    raise UserError(ErrorCode.UNKNOWN_PARTICIPANT, "The viewer who asked is gone.")
                token = broadcast.invite(self._hub.clock())
                asker.connection.send(Invited(room=room.id, invitation=token))
        self._tell_questions(room)

    def _questions_changed(self, room: Room) -> None:
        """The inbox reaches the moderators once per interval at most."""
        if room in self._questions_pending:
            return
        self._questions_pending.add(room)
        asyncio.get_running_loop().call_later(
            QUESTIONS_INTERVAL_SECONDS, self._announce_questions, room
        )

    def _announce_questions(self, room: Room) -> None:
        self._questions_pending.discard(room)
        if room.broadcast is not None and len(room) > 0:
            self._tell_questions(room)

    def _tell_questions(self, room: Room, people: tuple[Participant, ...] | None = None) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            return
        askers = self._askers.get(room, {})
        open_ids = {question.id for question in broadcast.questions()}
        for gone in [question for question in askers if question not in open_ids]:
            del askers[gone]
        items = tuple(
            QuestionItem(
                id=question.id,
                text=question.text,
                name=question.name,
                answered=question.answered,
                invitable=question.id in askers and not askers[question.id].gone,
            )
            for question in broadcast.questions()
        )
        shown = broadcast.shown_question
        message = Questions(items=items, shown=None if shown is None else shown.id)
        everyone = people if people is not None else tuple(room)
        self._hub.send_to([p for p in everyone if p.is_moderator], message)

    def notice(self, room: Room, message: ServerMessage) -> None:
        """``message`` to every viewer of ``room`` now and to each who comes later, while it
        is public; sent only when it changed."""
        if self._notices.get(room) == message:
            return
        self._notices[room] = message
        viewers = self._viewers.get(room, ())
        if viewers:
            frame = encode_frame(message.to_dict())
            for viewer in viewers:
                viewer.connection.send_encoded(frame)

    def live_changed(self, room: Room) -> None:
        """The broadcast went live or stopped being so for a reason other than a host's
        command (a council session's non-public part)."""
        broadcast = room.broadcast
        if broadcast is not None:
            self._tell_viewers(room, broadcast.live)
            self.tell(room)

    def _tell_viewers(self, room: Room, live: bool) -> None:
        for viewer in self._viewers.get(room, ()):
            viewer.connection.send(BroadcastLive(live))

    # --- the programme ------------------------------------------------------------------

    def _stage_rules(self, room: Room) -> Stage:
        broadcast = room.broadcast
        if broadcast is None:
            return Stage()
        hidden = frozenset(person.id for person in room if not broadcast.is_shown(person.id))
        return Stage(live=broadcast.live, hidden=hidden, pinned=broadcast.pinned)

    def _restage(self, room: Room) -> None:
        """The SFU learns the programme's rules when they change (and only then)."""
        stage = self._stage_rules(room)
        if self._stages.get(room, Stage()) != stage:
            self._stages[room] = stage
            self._in_background(self._send_stage(room, stage))

    async def _stage_in_place(self, room: Room) -> None:
        """A viewer's subscription needs the programme's slots: made with the first rules."""
        stage = self._stage_rules(room)
        if room not in self._stages:
            self._stages[room] = stage
            await ask_media(self._media.set_stage(room.id, stage))

    async def _send_stage(self, room: Room, stage: Stage) -> None:
        await self._media.set_stage(room.id, stage)

    def stage_changed(self, event: StageChanged) -> None:
        """The SFU put someone else on the programme: the viewers read who it is."""
        room = self._hub.registry.get(event.room)
        if room is None:
            return
        camera = None if event.camera is None else room.get(event.camera)
        screen = None if event.screen is None else room.get(event.screen)
        on_stage = OnStage(
            camera=None if camera is None else camera.name,
            screen=None if screen is None else screen.name,
        )
        if self._on_stage.get(room) == on_stage:
            return
        self._on_stage[room] = on_stage
        viewers = self._viewers.get(room, ())
        if viewers:
            frame = encode_frame(on_stage.to_dict())
            for viewer in viewers:
                viewer.connection.send_encoded(frame)

    def media_reset(self, room: Room) -> None:
        """The room's SFU worker was replaced: the programme is made anew, and its viewers
        come back by themselves (their page reconnects)."""
        self._stages.pop(room, None)
        self._on_stage.pop(room, None)
        for viewer in list(self._viewers.get(room, ())):
            viewer.subscribed = False
            viewer.connection.close(CLOSE_GOING_AWAY, "media_reset")
            self.viewer_gone(viewer)
        if self._links is not None:
            self._links.room_reset(room.id)
        self._restage(room)

    def _in_background(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception as error:  # a viewer or a rule change is not worth a crash
                logger.warning("The SFU did not take a programme change: %s", type(error).__name__)
                logger.debug("programme change failure", exc_info=True)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _count_changed(self, room: Room) -> None:
        """The audience's size reaches the participants once per interval at most."""
        if room in self._count_pending:
            return
        self._count_pending.add(room)
        asyncio.get_running_loop().call_later(
            VIEWER_COUNT_INTERVAL_SECONDS, self._announce_count, room
        )

    def _announce_count(self, room: Room) -> None:
        self._count_pending.discard(room)
        if room.broadcast is not None and len(room) > 0:
            self.tell(room)

    # --- participants -------------------------------------------------------------------

    def command(self, room: Room, command: BroadcastCommand | BroadcastPin) -> None:
        """A moderator's command (the caller checked the role)."""
        if isinstance(command, BroadcastPin):
            self._pin(room, command.id)
            return
        broadcast = room.broadcast
        match command.action:
            case "start":
                if room.breakouts is not None:
                    raise UserError(
                        ErrorCode.BREAKOUTS_RUNNING, "Not while the room is split into groups."
                    )
                if room.settings.e2ee:
                    raise UserError(
                        ErrorCode.NOT_ALLOWED,
                        "An end-to-end encrypted room is for its participants only.",
                    )
                if broadcast is not None:
                    return
                broadcast = room.broadcast = Broadcast()
                self._rooms_by_key[broadcast.key] = room
                if self._on_air is not None:
                    self._on_air.announce(room.id, broadcast.key)
                for person in room:
                    if not person.public_shown:
                        broadcast.set_shown(person.id, False)
            case "stop":
                if broadcast is None:
                    return
                self._end(room)
            case "pause" | "resume" | "new_link":
                if broadcast is None:
                    raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
                if command.action == "new_link":
                    # Whoever watched by the old link is sent away with it.
                    self._send_viewers_away(room)
                    self._rooms_by_key.pop(broadcast.key, None)
                    self._rooms_by_key[broadcast.renew_key()] = room
                    if self._on_air is not None:
                        self._on_air.announce(room.id, broadcast.key)
                elif broadcast.pause() if command.action == "pause" else broadcast.resume():
                    self._tell_viewers(room, broadcast.live)
        self.tell(room)

    def room_ended(self, room: Room, *, moved: bool = False) -> None:
        """The meeting ended for everyone (or the room was deleted): so does its broadcast.
        A room ``moved`` to another node takes its broadcast along: the viewers come back to
        it there (``come_back``)."""
        self._end(room, moved=moved)
        self._count_pending.discard(room)
        self._notices.pop(room, None)

    def _end(self, room: Room, *, moved: bool = False) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            return
        if moved:
            for viewer in list(self._viewers.get(room, ())):
                viewer.connection.close(CLOSE_MOVED, "moved")
                self.viewer_gone(viewer)
        else:
            self._send_viewers_away(room)
            if self._on_air is not None:
                self._on_air.forget(room.id, broadcast.key)
        self._rooms_by_key.pop(broadcast.key, None)
        room.broadcast = None
        self._on_stage.pop(room, None)
        self._askers.pop(room, None)
        self._questions_pending.discard(room)
        if len(room) > 0:
            self._restage(room)
        else:
            self._stages.pop(room, None)

    def consent(self, room: Room, participant: Participant, shown: bool) -> None:
        """Whether ``participant`` may be seen and heard by the public; kept for the meeting,
        also while the room is not public."""
        if participant.public_shown == shown:
            return
        participant.public_shown = shown
        if room.broadcast is not None:
            room.broadcast.set_shown(participant.id, shown)
            self.tell(room)

    def joined(self, room: Room, participant: Participant) -> None:
        """A new or resumed participant learns how the public side stands (a moderator also
        the questions)."""
        if room.broadcast is not None:
            self.tell(room, (participant,))
            if participant.is_moderator and room.broadcast.questions():
                self._tell_questions(room, (participant,))

    def left(self, room: Room, participant: ParticipantId) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            return
        if len(room) == 0:
            self._end(room)  # the room ends, and its broadcast with it
            return
        was_pinned = broadcast.pinned == participant
        was_hidden = not broadcast.is_shown(participant)
        broadcast.forget(participant)
        if was_pinned or was_hidden:
            self.tell(room)

    def tell(self, room: Room, people: tuple[Participant, ...] | None = None) -> None:
        """``broadcast_state`` to ``people`` (everyone by default)."""
        broadcast = room.broadcast
        public = BroadcastState(on=False, live=False, viewers=0)
        if broadcast is not None:
            public = BroadcastState(
                on=True,
                live=broadcast.live,
                viewers=broadcast.viewers,
                pinned=broadcast.pinned,
                hidden=tuple(p.id for p in room if not broadcast.is_shown(p.id)),
            )
        everyone = people if people is not None else tuple(room)
        if people is None:
            self._restage(room)
        if broadcast is None:
            self._hub.send_to(everyone, public)
            return
        # One frame for the guests and one for the moderators, each encoded once.
        self._hub.send_to([p for p in everyone if not p.is_moderator], public)
        own = replace(public, viewer_key=broadcast.key)
        self._hub.send_to([p for p in everyone if p.is_moderator], own)

    def _pin(self, room: Room, participant: ParticipantId | None) -> None:
        broadcast = room.broadcast
        if broadcast is None:
            raise UserError(ErrorCode.NOT_ALLOWED, "The room is not public.")
        if participant is not None and room.get(participant) is None:
            raise UserError(ErrorCode.UNKNOWN_PARTICIPANT, "There is nobody with that id.")
        broadcast.pin(participant)
        self.tell(room)


def _shown(broadcast: Broadcast) -> ShownQuestion:
    question = broadcast.shown_question
    if question is None:
        return ShownQuestion()
    return ShownQuestion(text=question.text, name=question.name)
