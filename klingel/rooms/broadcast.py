"""A room's public side (docs/public-viewing.md): its viewer key, whether it is live or
paused, who a host pinned on stage, who said they are not to be shown, how many watch, and
the viewers' questions.

Pure state with the clock passed in; the hub wires it to sockets and the SFU. The viewer key
is independent of the room's name, so a viewer link never leads into the meeting.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from klingel.ids import ParticipantId
from klingel.protocol.errors import ErrorCode, ProtocolError, UserError
from klingel.rooms.naming import MAX_DISPLAY_NAME_LENGTH

__all__ = [
    "INVITATION_SECONDS",
    "MAX_INVITATIONS",
    "MAX_OPEN_QUESTIONS",
    "MAX_QUESTION_LENGTH",
    "QUESTION_INTERVAL_SECONDS",
    "VIEWER_KEY_BYTES",
    "Broadcast",
    "BroadcastPhase",
    "Question",
    "new_viewer_key",
]

VIEWER_KEY_BYTES = 16
"""128 random bits (URL-safe base64: 22 characters)."""

MAX_QUESTION_LENGTH = 500
MAX_OPEN_QUESTIONS = 200
"""Questions the inbox keeps; answered ones make room first."""
QUESTION_INTERVAL_SECONDS = 30.0
"""One question per asker (a viewer socket) in this time."""
MAX_ASKERS_REMEMBERED = 5_000
INVITATION_SECONDS = 600.0
"""An invited viewer has this long to click and join."""
MAX_INVITATIONS = 20

# Control, format (bidi overrides, zero-width), separators, lone surrogates; a question may
# have line breaks, which are kept as "\n".
_FORBIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

BroadcastPhase = Literal["live", "paused"]


def new_viewer_key() -> str:
    return secrets.token_urlsafe(VIEWER_KEY_BYTES)


@dataclass(slots=True)
class Question:
    """One viewer's question, as plain text; ``name`` only if they gave one."""

    id: str
    text: str
    name: str | None
    asked_at: float
    answered: bool = False


class Broadcast:
    """The public side of one room while a host has it switched on."""

    __slots__ = (
        "_askers",
        "_hidden",
        "_invitations",
        "_key",
        "_phase",
        "_pinned",
        "_question_sequence",
        "_questions",
        "_viewers",
        "_withheld",
        "shown_question",
    )

    def __init__(self, key: str | None = None) -> None:
        self._key = key or new_viewer_key()
        self._phase: BroadcastPhase = "live"
        self._withheld = False
        self._pinned: ParticipantId | None = None
        self._hidden: set[ParticipantId] = set()
        self._viewers = 0
        self._questions: OrderedDict[str, Question] = OrderedDict()
        self._question_sequence = 0
        self._askers: OrderedDict[str, float] = OrderedDict()
        self.shown_question: Question | None = None
        """The question a host shows the viewers, None: none."""
        # one-time tokens that let an invited viewer in as a guest, and until when
        self._invitations: OrderedDict[str, float] = OrderedDict()

    # --- the link and the phase ---------------------------------------------------------

    @property
    def key(self) -> str:
        return self._key

    def opens_with(self, key: str) -> bool:
        """Whether ``key`` is this broadcast's viewer key (constant time)."""
        return hmac.compare_digest(key.encode(), self._key.encode())

    def renew_key(self) -> str:
        """A new viewer link; the old one leads nowhere from now on."""
        self._key = new_viewer_key()
        return self._key

    @property
    def phase(self) -> BroadcastPhase:
        return self._phase

    @property
    def live(self) -> bool:
        """Viewers get the programme: a host has not paused it, and no non-public part of a
        council session runs."""
        return self._phase == "live" and not self._withheld

    @property
    def withheld(self) -> bool:
        return self._withheld

    def withhold(self, withheld: bool) -> bool:
        """A council session's non-public part starts (True) or ends; whether ``live``
        changed. Apart from the hosts' pause, so that a host's resume never opens it."""
        was_live = self.live
        self._withheld = withheld
        return was_live != self.live

    def pause(self) -> bool:
        """Viewers see that it is paused and get no media; whether that changed anything."""
        changed = self._phase != "paused"
        self._phase = "paused"
        return changed

    def resume(self) -> bool:
        changed = self._phase != "live"
        self._phase = "live"
        return changed

    # --- the stage ----------------------------------------------------------------------

    @property
    def pinned(self) -> ParticipantId | None:
        return self._pinned

    def pin(self, participant: ParticipantId | None) -> None:
        """A host puts ``participant`` on stage (None: whoever speaks again)."""
        if participant is not None and participant in self._hidden:
            raise UserError(
                ErrorCode.NOT_ALLOWED, "This person does not want to be in the broadcast."
            )
        self._pinned = participant

    def set_shown(self, participant: ParticipantId, shown: bool) -> None:
        """A participant's own choice: ``shown=False`` keeps them off the programme for good
        (until they change it), pinned or speaking."""
        if shown:
            self._hidden.discard(participant)
            return
        self._hidden.add(participant)
        if self._pinned == participant:
            self._pinned = None

    def is_shown(self, participant: ParticipantId) -> bool:
        return participant not in self._hidden

    def on_stage(self, speaker: ParticipantId | None) -> ParticipantId | None:
        """Who the programme's camera shows: the pinned participant, else ``speaker`` (the
        active speaker), never anyone who opted out; None while paused."""
        if not self.live:
            return None
        chosen = self._pinned if self._pinned is not None else speaker
        if chosen is None or chosen in self._hidden:
            return None
        return chosen

    def forget(self, participant: ParticipantId) -> None:
        """``participant`` left the room."""
        self._hidden.discard(participant)
        if self._pinned == participant:
            self._pinned = None

    # --- the audience -------------------------------------------------------------------

    @property
    def viewers(self) -> int:
        return self._viewers

    def viewer_came(self) -> int:
        self._viewers += 1
        return self._viewers

    def viewer_left(self) -> int:
        if self._viewers == 0:
            raise ValueError("no viewer to leave")
        self._viewers -= 1
        return self._viewers

    # --- questions ----------------------------------------------------------------------

    def ask(self, asker: str, text: str, name: str | None, now: float) -> Question:
        """A viewer's question into the hosts' inbox. ``asker`` identifies the viewer's
        socket for the pacing (one question per ``QUESTION_INTERVAL_SECONDS``)."""
        cleaned = _question_text(text)
        shown_name = _asker_name(name)
        last = self._askers.get(asker)
        if last is not None and now - last < QUESTION_INTERVAL_SECONDS:
            raise UserError(ErrorCode.RATE_LIMITED, "One question each half minute, please.")
        if len(self._questions) >= MAX_OPEN_QUESTIONS and not self._drop_oldest_answered():
            raise UserError(
                ErrorCode.RATE_LIMITED, "The hosts have many questions open; try again later."
            )
        self._askers[asker] = now
        self._askers.move_to_end(asker)
        while len(self._askers) > MAX_ASKERS_REMEMBERED:
            self._askers.popitem(last=False)
        self._question_sequence += 1
        question = Question(f"q{self._question_sequence}", cleaned, shown_name, now)
        self._questions[question.id] = question
        return question

    def questions(self) -> tuple[Question, ...]:
        """The inbox, oldest first."""
        return tuple(self._questions.values())

    def question(self, question_id: str) -> Question:
        found = self._questions.get(question_id)
        if found is None:
            raise UserError(ErrorCode.BAD_MESSAGE, "There is no such question.")
        return found

    def mark_answered(self, question_id: str) -> Question:
        found = self.question(question_id)
        found.answered = True
        return found

    def show(self, question_id: str | None) -> Question | None:
        """A host shows a question to the viewers (None: takes it away)."""
        self.shown_question = None if question_id is None else self.question(question_id)
        return self.shown_question

    # --- invitations --------------------------------------------------------------------

    def invite(self, now: float) -> str:
        """A one-time token that lets a viewer a host invited join as a guest, past the
        lobby, the lock and the password, within ``INVITATION_SECONDS``."""
        self._drop_expired(now)
        while len(self._invitations) >= MAX_INVITATIONS:
            self._invitations.popitem(last=False)
        token = secrets.token_urlsafe(VIEWER_KEY_BYTES)
        self._invitations[token] = now + INVITATION_SECONDS
        return token

    def admits(self, token: str | None, now: float) -> bool:
        """Whether ``token`` is a live invitation (it stays one until ``spend``)."""
        if not token:
            return False
        self._drop_expired(now)
        return any(hmac.compare_digest(token.encode(), held.encode()) for held in self._invitations)

    def spend(self, token: str) -> None:
        self._invitations.pop(token, None)

    def _drop_expired(self, now: float) -> None:
        for token, until in list(self._invitations.items()):
            if until <= now:
                del self._invitations[token]

    def _drop_oldest_answered(self) -> bool:
        for question_id, question in self._questions.items():
            if question.answered and question is not self.shown_question:
                del self._questions[question_id]
                return True
        return False


def _question_text(text: str) -> str:
    cleaned = "\n".join(line.strip() for line in text.strip().splitlines())
    if not 1 <= len(cleaned) <= MAX_QUESTION_LENGTH:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "A question has 1 to 500 characters.")
    if any(char != "\n" and unicodedata.category(char) in _FORBIDDEN for char in cleaned):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "A question may not hold control characters.")
    return cleaned


def _asker_name(name: str | None) -> str | None:
    if name is None or not (trimmed := name.strip()):
        return None
    if len(trimmed) > MAX_DISPLAY_NAME_LENGTH or any(
        unicodedata.category(char) in _FORBIDDEN for char in trimmed
    ):
        raise UserError(ErrorCode.BAD_NAME, "A name has at most 64 characters, no control ones.")
    return trimmed
