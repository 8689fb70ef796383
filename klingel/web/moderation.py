"""Host commands: what hosts and co-hosts may do to a room and the people in it and waiting.

Every command checks the sender's role first (``not_host``), then its target: an id that is
not in this room is ``unknown_participant``. A refused command changes nothing.

What a standing room keeps (settings, password, secrets, bans) is written through to the room
store after the change took effect in the meeting: when that fails, the change still holds in
the meeting and the sender gets ``not_saved``. Deleting the room is the other way round: the
store first, and only once the room is gone from it does the meeting end.
"""

from __future__ import annotations

import asyncio
import logging

from klingel.ids import ParticipantId
from klingel.protocol.breakouts import BreakoutCommand
from klingel.protocol.broadcast import (
    AnswerQuestion,
    BroadcastCommand,
    BroadcastPin,
    InviteViewer,
    ShowQuestion,
)
from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.protocol.messages import HostCommand
from klingel.protocol.moderation import (
    Admit,
    AllowUnmute,
    ConversationEnded,
    DeleteRoom,
    Denied,
    Deny,
    EndConversation,
    EndMeeting,
    LobbyChanged,
    MeetingEnded,
    Mute,
    MuteAll,
    MutedByHost,
    Remove,
    Removed,
    RenewSecrets,
    RoomSettingsChange,
    SetPassword,
    SetRole,
    StopVideo,
    UnmuteAllowed,
    VideoStopped,
)
from klingel.protocol.music import MusicByHost, MusicFor
from klingel.protocol.objects import Role, VideoSource
from klingel.rooms.naming import parse_denial_message
from klingel.rooms.participant import Participant
from klingel.rooms.password_guard import MIN_PASSWORD_LENGTH
from klingel.rooms.room import Room
from klingel.rooms.standing import StoredPart
from klingel.web.hub import LobbyTicket, Seat, SignalingHub

__all__ = ["HostCommands"]

logger = logging.getLogger(__name__)


def _unknown() -> ProtocolError:
    return ProtocolError(ErrorCode.UNKNOWN_PARTICIPANT, "Nobody with this id is in this room.")


class HostCommands:
    def __init__(self, hub: SignalingHub) -> None:
        self._hub = hub

    async def handle(self, seat: Seat, command: HostCommand) -> None:
        if not seat.participant.is_moderator:
            raise UserError(ErrorCode.NOT_HOST, "Only hosts may do that.")
        room, actor = seat.room, seat.participant
        match command:
            case RoomSettingsChange():
                await self._change_settings(room, command)
            case SetPassword(password=password):
                if password is not None and len(password) < MIN_PASSWORD_LENGTH:
                    raise UserError(
                        ErrorCode.PASSWORD_TOO_SHORT,
                        f"A room password has at least {MIN_PASSWORD_LENGTH} characters.",
                    )
                room.set_password(password)
                self._hub.room_changed(room)
                await self._hub.standing.save_password(room, password)
            case Admit(id=person):
                self._admit(room, self._waiting(room, person))
            case Deny(id=person, message=note):
                ticket = self._waiting(room, person)
                self._hub.dismiss(ticket, Denied(parse_denial_message(note)))
            case EndConversation(id=target):
                await self._hub.remove(room, self._target(room, actor, target), ConversationEnded())
            case Mute(id=target):
                await self._mute(room, self._target(room, actor, target))
            case MuteAll():
                for participant in room.others(actor.id):
                    if not participant.is_moderator and room.get(participant.id) is participant:
                        await self._mute(room, participant)
            case AllowUnmute(id=target):
                self._allow_unmute(room, self._target(room, actor, target))
            case MusicFor(id=target, on=on):
                self._hub.send_to_one(self._target(room, actor, target), MusicByHost(on))
            case StopVideo(id=target, source=source):
                await self._stop_video(room, self._target(room, actor, target), source)
            case Remove(id=target):
                await self._remove(room, self._target(room, actor, target))
            case SetRole():
                await self._set_role(room, actor, command)
            case EndMeeting():
                await self._end_meeting(room)
            case RenewSecrets():
                self._only_hosts(actor)
                await self._renew_secrets(room)
            case DeleteRoom():
                self._only_hosts(actor)
                await self._delete_room(room)
            case BroadcastCommand() | BroadcastPin():
                self._hub.broadcasting.command(room, command)
            case AnswerQuestion() | ShowQuestion() | InviteViewer():
                self._hub.broadcasting.question_command(room, command)
            case BreakoutCommand():
                self._hub.breakouts.command(seat, command)

    # --- who a command is about ---------------------------------------------------------------

    @staticmethod
    def _only_hosts(actor: Participant) -> None:
        """What changes the room for good is a host's, not a co-host's."""
        if actor.role != "host":
            raise UserError(ErrorCode.NOT_HOST, "Only a host may do that.")

    def _target(self, room: Room, actor: Participant, target_id: ParticipantId) -> Participant:
        target = room.get(target_id)
        if target is None:
            raise _unknown()
        if target is actor:
            raise UserError(ErrorCode.NOT_ALLOWED, "Not on yourself.")
        if target.role == "host" and actor.role != "host":
            raise UserError(ErrorCode.NOT_ALLOWED, "A co-host cannot do that to a host.")
        return target

    def _waiting(self, room: Room, person: ParticipantId) -> LobbyTicket:
        ticket = self._hub.ticket(room, person)
        if ticket is not None:
            return ticket
        if room.get(person) is not None:
            raise UserError(ErrorCode.NOT_WAITING, "This person is not waiting.")
        raise _unknown()

    # --- the room -----------------------------------------------------------------------------

    async def _change_settings(self, room: Room, change: RoomSettingsChange) -> None:
        before = room.settings
        if change.e2ee is not None and change.e2ee != before.e2ee and len(room) > 1:
            # Pages already in could not follow: they joined with or without their keys.
            raise UserError(ErrorCode.NOT_ALLOWED, "Encryption is set before others join.")
        if change.e2ee and room.broadcast is not None:
            raise UserError(ErrorCode.NOT_ALLOWED, "A public room cannot be end-to-end encrypted.")
        after = before.changed(
            lobby=change.lobby,
            locked=change.locked,
            office_hours=change.office_hours,
            screen_share_allowed=change.screen_share_allowed,
            chat_allowed=change.chat_allowed,
            unmute_allowed=change.unmute_allowed,
            e2ee=change.e2ee,
        )
        if change.music is not None and change.music != room.music:
            room.music = change.music
            if after == before:
                self._hub.room_changed(room)
                return
        if after == before:
            return
        room.settings = after
        self._hub.room_changed(room)
        if after.office_hours != before.office_hours and after.lobby:
            self._hub.lobby_mode_changed(room)
        if before.lobby and not after.lobby:
            # Nobody is left standing at a door that no longer exists.
            for person in room.lobby:
                ticket = self._hub.ticket(room, person.id)
                if ticket is not None and len(room) < room.capacity:
                    self._hub.admit(ticket)
        if before.screen_share_allowed and not after.screen_share_allowed:
            for participant in room:
                if not participant.is_moderator and participant.screen:
                    await self._stop_video(room, participant, "screen")
        await self._hub.standing.save(room, StoredPart.SETTINGS)

    def _admit(self, room: Room, ticket: LobbyTicket) -> None:
        if len(room) >= room.capacity:
            raise UserError(ErrorCode.NOT_ALLOWED, "The room is full.")
        self._hub.admit(ticket)

    async def _end_meeting(self, room: Room) -> None:
        participants = self._hub.end_meeting(room, MeetingEnded())
        logger.info("A host ended a meeting of %d participants", len(participants))
        await self._hub.close_media(room)

    async def _renew_secrets(self, room: Room) -> None:
        """New host and co-host secrets: every link given out before gives no role any more.
        Nobody's role changes; every host and co-host learns what to join with from now on."""
        if room.keys is None:
            return  # a room without keys has no host to send this
        room.keys = room.keys.with_new_host_secret().with_new_cohost_secret()
        self._hub.send_secrets(room, room.moderators())
        await self._hub.standing.save(room, StoredPart.HOST_SECRET | StoredPart.COHOST_SECRET)

    async def _delete_room(self, room: Room) -> None:
        # Nothing ends unless the room is gone from the store (not_saved otherwise).
        await self._hub.standing.delete_room(room)
        participants = self._hub.end_meeting(room, MeetingEnded(deleted=True))
        logger.info("A host deleted a room, ending a meeting of %d", len(participants))
        await self._hub.close_media(room)

    # --- people -------------------------------------------------------------------------------

    async def _mute(self, room: Room, target: Participant) -> None:
        if target.muted_by_host:
            return
        microphone = target.streams.get("microphone")
        if microphone is not None:
            await self._hub.set_forwarding(room, microphone, False)
        if room.get(target.id) is not target:
            return
        target.muted_by_host = True
        target.may_unmute = False
        target.audio = False
        self._hub.send_to_one(target, MutedByHost())
        self._hub.announce_update(room, target)

    def _allow_unmute(self, room: Room, target: Participant) -> None:
        target.may_unmute = True
        self._hub.send_to_one(target, UnmuteAllowed())
        if target.hand:
            target.hand = False
            self._hub.announce_update(room, target)

    async def _stop_video(self, room: Room, target: Participant, source: VideoSource) -> None:
        stream = target.streams.get(source)
        if stream is None or source in target.stopped_sources:
            return
        await self._hub.set_forwarding(room, stream, False)
        if room.get(target.id) is not target or target.streams.get(source) != stream:
            return
        target.stopped_sources.add(source)
        self._hub.send_to_one(target, VideoStopped(source))
        if source == "camera" and target.video:
            target.video = False
            self._hub.announce_update(room, target)

    async def _remove(self, room: Room, target: Participant) -> None:
        token = target.resume_token
        room.ban(token)
        role = target.role
        await self._hub.remove(room, target, Removed())
        changed = self._retire_secrets_of(room, role)
        if not room.settings.lobby:
            # The link alone must not let them back in.
            room.settings = room.settings.changed(lobby=True)
            self._hub.room_changed(room)
            changed |= StoredPart.SETTINGS
        standing = self._hub.standing
        results = await asyncio.gather(
            standing.ban(room, token), standing.save(room, changed), return_exceptions=True
        )
        for failure in results:
            if failure is not None:
                raise failure

    async def _set_role(self, room: Room, actor: Participant, command: SetRole) -> None:
        if actor.role != "host":
            raise UserError(ErrorCode.NOT_HOST, "Only a host may give roles.")
        target = self._target(room, actor, command.id)
        if command.role != "host" and target.role == "host":
            raise UserError(ErrorCode.NOT_ALLOWED, "A host keeps their role.")
        was_moderator = target.is_moderator
        changed = StoredPart.NOTHING
        if command.role == "host":
            # Handing over: the old host stays as co-host, and the host secret they hold no
            # longer makes anyone host; the hosts alone learn the new one.
            actor.role = "cohost"
            self._hub.announce_update(room, actor)
            if room.keys is not None:
                room.keys = room.keys.with_new_host_secret()
                changed = StoredPart.HOST_SECRET
        target.role = command.role
        self._hub.announce_update(room, target)
        self._hub.council.roles_changed(room)
        self._hub.polls.role_changed(room, target)
        if target.is_moderator and not was_moderator:
            self._hub.send_to_one(target, LobbyChanged(room.lobby.entries()))
            self._hub.broadcasting.joined(room, target)  # with the viewer link's key now
        if was_moderator and not target.is_moderator:
            changed |= self._retire_secrets_of(room, "cohost")
        elif command.role == "host":
            hosts = [person for person in room if person.role == "host"]
            self._hub.send_secrets(room, [actor, *hosts])
        elif not was_moderator:
            self._hub.send_secrets(room, [target])
        await self._hub.standing.save(room, changed)

    def _retire_secrets_of(self, room: Room, role: Role) -> StoredPart:
        """Someone who was ``role`` lost it (removed, or made guest): no secret they were given
        may give it back. A co-host knows the co-host secret; a host knows both. Every host and
        co-host still in the room gets the secrets that work now. Returns what changed."""
        if room.keys is None or role == "guest":
            return StoredPart.NOTHING
        keys = room.keys.with_new_cohost_secret()
        changed = StoredPart.COHOST_SECRET
        if role == "host":
            keys = keys.with_new_host_secret()
            changed |= StoredPart.HOST_SECRET
        room.keys = keys
        self._hub.send_secrets(room, room.moderators())
        return changed
