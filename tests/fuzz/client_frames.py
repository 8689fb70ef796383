"""Hypothesis strategies for the client-to-server frames of docs/protocol.md, well-formed and
hostile, and the judge that says what the server must make of one frame.

``valid_messages`` draws, for every client message type, a message the protocol accepts;
``hostile_frames`` draws what a broken or malicious client sends: valid-shaped messages with one
field wrong, missing or added, wrong ``v``, numbers JavaScript cannot hold, deep nesting, odd
Unicode, duplicated keys, truncated JSON, binary frames and plain random text. ``FrameMutator``
makes many such frames from one message in microseconds each, for the bulk. A hostile frame
carries the outcomes it may get (the codes its damage decides), so that a test checks more than
"some error"; ``judge`` runs the server's decode and validate path on one frame.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from klingel.protocol.codec import (
    MAX_DEPTH,
    MAX_FRAME_BYTES,
    MAX_SAFE_INTEGER,
    decode_frame,
    encode_frame,
)
from klingel.protocol.errors import ErrorCode, KlingelError
from klingel.protocol.layers import MAX_LAYER
from klingel.protocol.messages import (
    CLIENT_MESSAGES,
    MAX_CHAT_LENGTH,
    ClientMessage,
    parse_client_message,
)
from klingel.protocol.moderation import MAX_DENIAL_LENGTH, MAX_PASSWORD_LENGTH, ROOM_SETTING_FIELDS
from klingel.protocol.objects import ROLES, VIDEO_SOURCES
from klingel.protocol.reactions import REACTIONS

__all__ = [
    "CLIENT_TYPES",
    "STRATEGY_TYPES",
    "FrameMutator",
    "HostileFrame",
    "Verdict",
    "hostile_frames",
    "judge",
    "valid_message_of",
    "valid_messages",
]

Message = dict[str, Any]
Frame = str | bytes

SDP_FIXTURES = Path(__file__).parent.parent / "fixtures" / "sdp"
CLIENT_TYPES: tuple[str, ...] = tuple(CLIENT_MESSAGES)

# --- text -------------------------------------------------------------------------------------

# Strings a person or an attacker types: scripts, right-to-left overrides, zero-width and
# control characters, astral characters (surrogate pairs in JSON), combining marks.
ODD_SNIPPETS = (
    "<script>alert(1)</script>",
    "\u202eevil\u202c",
    "\u200b\u200d\ufeff",
    "\x00\x01\x1b[31m\x7f",
    "\u2028\u2029",
    "😀👩‍👩‍👧",
    "Z\u0351\u0334\u0358a\u0353l\u0335go",
    "ä ö ü ß",
    "\\u0000",
    '"}{"',
    "\ufffd\uffff",
)
texts = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=80),
    st.sampled_from(ODD_SNIPPETS),
    st.builds(lambda part, count: part * count, st.sampled_from(ODD_SNIPPETS), st.integers(1, 300)),
)
"""Well-formed Unicode only: lone surrogates are made at the frame level, as JSON escapes."""


def bounded_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(min_size=min_size, max_size=min(max_size, 40)),
        st.sampled_from(ODD_SNIPPETS).filter(lambda s: min_size <= len(s) <= max_size),
        st.just("x" * max_size),
    )


ids = bounded_text(1, 64)
mids = st.one_of(
    st.sampled_from(["0", "1", "2", "audio", "v-1"]),
    st.from_regex(r"[0-9a-z]{1,32}", fullmatch=True),
)


def _sdp_fixtures() -> list[str]:
    return [path.read_text() for path in sorted(SDP_FIXTURES.glob("*.sdp"))]


sdp_offers = st.one_of(
    st.sampled_from(_sdp_fixtures()),
    st.builds(lambda rest: "v=0\r\n" + rest, st.text(max_size=200)),
)

# --- valid-shaped messages of every client type ------------------------------------------------


def _tracks() -> st.SearchStrategy[list[Message]]:
    sources = st.lists(
        st.sampled_from([("audio", "microphone"), ("video", "camera"), ("video", "screen")]),
        max_size=3,
        unique=True,
    )
    return st.builds(
        lambda chosen, names: [
            {"mid": mid, "kind": kind, "source": source}
            for (kind, source), mid in zip(chosen, names, strict=False)
        ],
        sources,
        st.lists(mids, min_size=3, max_size=3, unique=True),
    )


def _stream_requests() -> st.SearchStrategy[list[Message]]:
    return st.lists(
        st.fixed_dictionaries({"mid": mids, "stream": ids}),
        max_size=12,
        unique_by=lambda request: request["mid"],
    )


def _layer_requests() -> st.SearchStrategy[list[Message]]:
    return st.lists(
        st.fixed_dictionaries({"stream": ids, "layer": st.none() | st.integers(0, MAX_LAYER)}),
        min_size=1,
        max_size=12,
        unique_by=lambda request: request["stream"],
    )


def _settings() -> st.SearchStrategy[Message]:
    return st.dictionaries(st.sampled_from(ROOM_SETTING_FIELDS), st.booleans(), min_size=1).map(
        lambda changes: {"type": "room_settings", **changes}
    )


def _with_id(kind: str) -> st.SearchStrategy[Message]:
    return st.fixed_dictionaries({"type": st.just(kind), "id": ids})


def _bare(kind: str) -> st.SearchStrategy[Message]:
    return st.just({"type": kind})


def _breakouts() -> st.SearchStrategy[Message]:
    groups = st.lists(ids, unique=True, max_size=8).flatmap(
        lambda people: st.integers(1, 4).map(
            lambda count: [people[start::count] for start in range(count)]
        )
    )
    return st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("breakouts"),
                "action": st.just("open"),
                "groups": groups,
                "minutes": st.integers(0, 240),
                "auto": st.booleans(),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("breakouts"),
                "action": st.just("message"),
                "text": bounded_text(1, 500),
            }
        ),
        st.just({"type": "breakouts", "action": "close"}),
    )


_VALID: dict[str, st.SearchStrategy[Message]] = {
    "join": st.fixed_dictionaries(
        {
            "type": st.just("join"),
            "v": st.just(1),
            "room": bounded_text(0, 256),
            "name": bounded_text(0, 256),
        },
        optional={
            "resume": st.none() | bounded_text(0, 128),
            "hostSecret": st.none() | bounded_text(0, 128),
            "password": st.none() | bounded_text(0, MAX_PASSWORD_LENGTH),
            "invitation": st.none() | bounded_text(0, 64),
            "member": st.none() | bounded_text(0, 128),
        },
    ),
    "publish": st.fixed_dictionaries(
        {"type": st.just("publish"), "sdp": sdp_offers, "tracks": _tracks()}
    ),
    "subscribe": st.fixed_dictionaries(
        {"type": st.just("subscribe"), "sdp": sdp_offers, "streams": _stream_requests()}
    ),
    "set_layers": st.fixed_dictionaries(
        {"type": st.just("set_layers"), "layers": _layer_requests()}
    ),
    "media_state": st.fixed_dictionaries(
        {"type": st.just("media_state"), "audio": st.booleans(), "video": st.booleans()}
    ),
    "chat": st.fixed_dictionaries(
        {"type": st.just("chat"), "text": bounded_text(1, MAX_CHAT_LENGTH)}
    ),
    "hand": st.fixed_dictionaries({"type": st.just("hand"), "raised": st.booleans()}),
    "breakouts": _breakouts(),
    "music": st.fixed_dictionaries({"type": st.just("music"), "on": st.booleans()}),
    "react": st.fixed_dictionaries(
        {"type": st.just("react"), "reaction": st.sampled_from(REACTIONS)}
    ),
    "ping": _bare("ping"),
    "leave": _bare("leave"),
    "unmute": _bare("unmute"),
    "room_settings": _settings(),
    "set_password": st.fixed_dictionaries(
        {"type": st.just("set_password"), "password": st.none() | bounded_text(1, 64)}
    ),
    "admit": _with_id("admit"),
    "deny": st.fixed_dictionaries(
        {"type": st.just("deny"), "id": ids},
        optional={"message": st.none() | bounded_text(0, MAX_DENIAL_LENGTH)},
    ),
    "end_conversation": _with_id("end_conversation"),
    "mute": _with_id("mute"),
    "mute_all": _bare("mute_all"),
    "allow_unmute": _with_id("allow_unmute"),
    "music_for": st.fixed_dictionaries(
        {"type": st.just("music_for"), "id": ids, "on": st.booleans()}
    ),
    "stop_video": st.fixed_dictionaries(
        {"type": st.just("stop_video"), "id": ids, "source": st.sampled_from(VIDEO_SOURCES)}
    ),
    "remove": _with_id("remove"),
    "set_role": st.fixed_dictionaries(
        {"type": st.just("set_role"), "id": ids, "role": st.sampled_from(ROLES)}
    ),
    "end_meeting": _bare("end_meeting"),
    "renew_secrets": _bare("renew_secrets"),
    "delete_room": _bare("delete_room"),
    "e2ee": st.fixed_dictionaries(
        {
            "type": st.just("e2ee"),
            "to": st.none() | ids,
            "data": st.binary(min_size=3, max_size=1000).map(
                lambda b: base64.b64encode(b).decode()
            ),
        }
    ),
    "public_consent": st.fixed_dictionaries(
        {"type": st.just("public_consent"), "shown": st.booleans()}
    ),
    "watch": st.fixed_dictionaries(
        {"type": st.just("watch"), "v": st.just(1), "key": bounded_text(16, 64)}
    ),
    "broadcast": st.fixed_dictionaries(
        {
            "type": st.just("broadcast"),
            "action": st.sampled_from(["start", "stop", "pause", "resume", "new_link"]),
        }
    ),
    "broadcast_pin": st.fixed_dictionaries(
        {"type": st.just("broadcast_pin"), "id": st.none() | ids}
    ),
    "question": st.fixed_dictionaries(
        {"type": st.just("question"), "text": bounded_text(1, 500)},
        optional={"name": st.none() | bounded_text(1, 64)},
    ),
    "answer_question": st.fixed_dictionaries(
        {"type": st.just("answer_question"), "id": bounded_text(1, 16)}
    ),
    "show_question": st.fixed_dictionaries(
        {"type": st.just("show_question"), "id": st.none() | bounded_text(1, 16)}
    ),
    "invite_viewer": st.fixed_dictionaries(
        {"type": st.just("invite_viewer"), "id": bounded_text(1, 16)}
    ),
    "council": st.fixed_dictionaries(
        {
            "type": st.just("council"),
            "action": st.sampled_from(
                [
                    "open",
                    "close",
                    "pause",
                    "resume",
                    "item",
                    "floor",
                    "end_floor",
                    "vote",
                    "close_vote",
                    "hall_counts",
                    "by_post",
                    "bias",
                    "hall",
                    "hand",
                    "withdraw",
                    "ballot",
                ]
            ),
        },
        optional={
            "session": st.none() | bounded_text(1, 64),
            "item": bounded_text(1, 24),
            "member": bounded_text(1, 64),
            "motion": st.integers(0, 49),
            "kind": st.sampled_from(["open", "roll_call", "secret"]),
            "choice": st.sampled_from(["yes", "no", "abstain"]),
            "yes": st.integers(0, 1000),
            "no": st.integers(0, 1000),
            "abstain": st.integers(0, 1000),
            "limit": st.integers(10, 3600),
            "reason": bounded_text(1, 200),
            "on": st.booleans(),
            "pointOfOrder": st.booleans(),
        },
    ),
    "poll_start": st.fixed_dictionaries(
        {
            "type": st.just("poll_start"),
            "question": bounded_text(1, 200),
            "options": st.lists(bounded_text(1, 80), min_size=2, max_size=10),
            "anonymous": st.booleans(),
            "multiple": st.booleans(),
            "results": st.sampled_from(["live", "end"]),
        }
    ),
    "poll_close": st.fixed_dictionaries({"type": st.just("poll_close"), "id": bounded_text(1, 16)}),
    "poll_remove": st.fixed_dictionaries(
        {"type": st.just("poll_remove"), "id": bounded_text(1, 16)}
    ),
    "poll_vote": st.fixed_dictionaries(
        {
            "type": st.just("poll_vote"),
            "id": bounded_text(1, 16),
            "choices": st.lists(st.integers(0, 9), min_size=1, max_size=10),
        }
    ),
}
STRATEGY_TYPES: frozenset[str] = frozenset(_VALID)
"""The client message types with a strategy: every one of the protocol, as a test checks."""


def valid_message_of(kind: str) -> st.SearchStrategy[Message]:
    return _VALID[kind]


valid_messages: st.SearchStrategy[Message] = st.sampled_from(CLIENT_TYPES).flatmap(valid_message_of)

# --- hostile values ---------------------------------------------------------------------------

# Numbers beyond what JavaScript holds exactly, and floats that look like integers.
out_of_range_numbers = st.one_of(
    st.integers(MAX_SAFE_INTEGER + 1, 2**200),
    st.integers(-(2**200), -MAX_SAFE_INTEGER - 1),
    st.floats(min_value=MAX_SAFE_INTEGER * 2.0, max_value=1e308),
)
wrong_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([-1, 0, 1, 2, 3, 4, 100, 101, 2000, 2001]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.just(1.0),
    st.just(-0.0),
    texts,
    st.lists(st.integers(-5, 5), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(-9, 9), max_size=3),
    st.builds(lambda n: "x" * n, st.integers(1000, 70_000)),
    st.builds(lambda n: [{}] * n, st.integers(100, 3000)),
)


def _nest(depth: int) -> object:
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


# --- frame-level damage -----------------------------------------------------------------------

ANY_OUTCOME: frozenset[ErrorCode | None] = frozenset()
KNOWN_FIELDS = frozenset(
    {
        "type", "v", "room", "name", "resume", "hostSecret", "password", "sdp", "tracks",
        "streams", "layers", "audio", "video", "text", "raised", "id", "message", "source",
        "role", "to", "data", *ROOM_SETTING_FIELDS,
    }
)  # fmt: skip
# What replacing one field's value may lead to: the value happens to be valid, or the wrong
# type, a number beyond JavaScript's, a frame too big, another version, an offer not SDP.
REPLACED_OUTCOMES: frozenset[ErrorCode | None] = frozenset(
    {
        None,
        ErrorCode.BAD_MESSAGE,
        ErrorCode.BAD_NUMBER,
        ErrorCode.TOO_LARGE,
        ErrorCode.UNSUPPORTED_VERSION,
        ErrorCode.BAD_SDP,
    }
)


@dataclass(frozen=True, slots=True)
class HostileFrame:
    """A frame and the outcomes the server may answer it with: None stands for acceptance,
    a code for that refusal. An empty set allows anything of ``ErrorCode`` but ``internal``."""

    frame: Frame
    outcomes: frozenset[ErrorCode | None]
    what: str

    def allows(self, code: ErrorCode | None) -> bool:
        if code is ErrorCode.INTERNAL:
            return False
        return not self.outcomes or code in self.outcomes


def _is_client_type(value: object) -> bool:
    return isinstance(value, str) and value in CLIENT_MESSAGES


def _frame(frame: str, *outcomes: ErrorCode | None, what: str) -> HostileFrame:
    """A text frame; one over the size limit can only be ``too_large``, whatever else it is."""
    if len(frame.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        return HostileFrame(frame, frozenset({ErrorCode.TOO_LARGE}), what)
    return HostileFrame(frame, frozenset(outcomes), what)


def _encoded(message: Message, *outcomes: ErrorCode | None, what: str) -> HostileFrame:
    try:
        frame = encode_frame(message)
    except ValueError:  # a float the compact encoder refuses to write
        frame = json.dumps(message)
    return _frame(frame, *outcomes, what=what)


def _field_mutation(draw: st.DrawFn, message: Message) -> HostileFrame:
    keys = [key for key in message if key != "type"]
    choice = draw(st.sampled_from(["drop", "add", "replace", "replace", "type", "version"]))
    damaged = dict(message)
    if choice == "drop" and keys:
        del damaged[draw(st.sampled_from(keys))]
        # join, deny and room_settings have optional fields: losing one may be fine.
        return _encoded(damaged, None, ErrorCode.BAD_MESSAGE, what="field dropped")
    if choice == "add" or not keys:
        name = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in KNOWN_FIELDS))
        damaged[name] = draw(wrong_values)
        return _encoded(damaged, ErrorCode.BAD_MESSAGE, what="unknown field added")
    if choice == "type":
        damaged["type"] = draw(
            st.one_of(st.text(max_size=20), wrong_values).filter(lambda k: not _is_client_type(k))
        )
        return _encoded(damaged, ErrorCode.UNKNOWN_TYPE, what="unknown type")
    if choice == "version":
        join = draw(valid_message_of("join"))
        join["v"] = draw(st.integers(-(2**31), 2**31).filter(lambda v: v != 1))
        return _encoded(join, ErrorCode.UNSUPPORTED_VERSION, what="wrong version")
    key = draw(st.sampled_from(keys))
    damaged[key] = draw(st.one_of(wrong_values, out_of_range_numbers))
    return _encoded(damaged, *REPLACED_OUTCOMES, what=f"{key} replaced")


_DAMAGE = ("truncate", "duplicate", "surrogate", "constant", "huge", "deep", "flip", "binary")


def _text_damage(draw: st.DrawFn, message: Message) -> HostileFrame:
    text = encode_frame(message)
    body = text[:-1]  # the object without its closing brace, to append members to
    choice = draw(st.sampled_from([*_DAMAGE, "oversized"]))
    if choice == "truncate":
        cut = draw(st.integers(0, len(text) - 1))
        return _frame(text[:cut], ErrorCode.BAD_JSON, what="truncated")
    if choice == "duplicate":
        # The same key twice; a lax parser lets the later value win. "type" is the worst one.
        key = draw(st.sampled_from(sorted(message)))
        again = json.dumps(draw(st.one_of(st.sampled_from(CLIENT_TYPES), wrong_values)))
        return _frame(f"{body},{json.dumps(key)}:{again}}}", ErrorCode.DUPLICATE_KEY, what="dup")
    if choice == "surrogate":
        lone = draw(st.sampled_from(["\\ud800", "\\udfff", "\\udbff\\u0041", "x\\udc00"]))
        return _frame(f'{body},"note":"{lone}"}}', ErrorCode.BAD_JSON, what="lone surrogate")
    if choice == "constant":
        constant = draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))
        return _frame(f'{body},"n":{constant}}}', ErrorCode.BAD_NUMBER, what="constant")
    if choice == "huge":
        number = draw(
            st.one_of(
                out_of_range_numbers.map(str),
                st.sampled_from(["1e400", "-1e400", "9" * 5000, "1" + "0" * 16, "2e16"]),
            )
        )
        return _frame(f'{body},"n":{number}}}', ErrorCode.BAD_NUMBER, what="huge number")
    if choice == "deep":
        depth = draw(st.integers(MAX_DEPTH, 20_000))
        nested = "[" * depth + "]" * depth
        return _frame(f'{body},"n":{nested}}}', ErrorCode.TOO_DEEP, what="too deep")
    if choice == "binary":
        return HostileFrame(text.encode(), frozenset({ErrorCode.BAD_JSON}), "binary frame")
    if choice == "oversized":
        size = draw(st.integers(MAX_FRAME_BYTES + 1, MAX_FRAME_BYTES + 4096))
        return _frame(f'{body},"pad":"{"ä" * (size // 2)}"}}', what="oversized")
    position = draw(st.integers(0, len(text) - 1))
    replacement = draw(st.sampled_from(list('{}[]",:\\0-e.n \x00\u2028')))
    return _frame(text[:position] + replacement + text[position + 1 :], what="flipped")


@st.composite
def hostile_frames(draw: st.DrawFn) -> HostileFrame:
    """One hostile frame: a damaged valid-shaped message, or junk from scratch."""
    message = draw(valid_messages)
    kind = draw(st.sampled_from(["field", "field", "text", "text", "junk"]))
    if kind == "field":
        return _field_mutation(draw, message)
    if kind == "text":
        return _text_damage(draw, message)
    junk = draw(
        st.one_of(
            st.text(max_size=100),
            st.binary(max_size=100),
            st.sampled_from(["", "null", "[]", "{}", "1", '"type"', '{"type":null}']),
            st.just(json.dumps({"type": "chat", "text": _nest(12)})),
        )
    )
    return HostileFrame(junk, ANY_OUTCOME, "junk")


# --- many cheap mutations of one message -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hostile:
    value: object
    bad_number: bool = False  # refused by the decoder before any field is looked at


# Wrong types, edges of every range, strings too long, arrays too long, nesting within limits.
_HARMLESS: tuple[object, ...] = (
    None, True, False, 0, -1, 1, 2, 3, 4, 64, 65, 101, 2001, -0.0, 1.0, 0.5, -2.5,
    MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 1e15, "", " ", "x" * 65, "x" * 2001,
    "\u202e\u0000", "😀" * 40, "ping", "join", "v=0", "v=0\r\na=candidate:1",
    [], [None], [1, 2, 3], {}, {"mid": "0"}, [[[[]]]], {"a": {"b": {"c": 1}}},
    [{"mid": "0", "kind": "audio", "source": "microphone"}] * 4,
    [{"stream": "s", "layer": 0}] * 101, list(range(300)),
)  # fmt: skip
_BEYOND_JAVASCRIPT: tuple[object, ...] = (
    MAX_SAFE_INTEGER + 1,
    -(2**63),
    2**64,
    10**40,
    1e300,
    -1e17,
)
_PALETTE: tuple[_Hostile, ...] = (
    *(_Hostile(value) for value in _HARMLESS),
    *(_Hostile(value, bad_number=True) for value in _BEYOND_JAVASCRIPT),
)
_JSONISH = '{}[]",:\\/0123456789-+.eEnulltrufasx \t\n\u2028\u00e4\U0001f600'
_LONE_SURROGATES = ("\\ud800", "\\udfff", "\\udbff\\u0041")


class FrameMutator:
    """Many hostile frames from one valid-shaped message, quickly: a seeded ``random.Random``
    picks the damage, so that the bulk of the fuzzing costs microseconds per frame. Each frame
    carries the outcomes it may get, as ``hostile_frames`` does."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def frames(self, message: Message, count: int) -> list[HostileFrame]:
        damage = (
            self._replace, self._replace, self._replace_nested, self._drop, self._add,
            self._swap_type, self._version, self._truncate, self._flip, self._insert,
            self._duplicate, self._constant, self._surrogate, self._deep, self._binary,
        )  # fmt: skip
        return [self._rng.choice(damage)(message) for _ in range(count)]

    def _hostile(self) -> _Hostile:
        return self._rng.choice(_PALETTE)

    def _replace(self, message: Message) -> HostileFrame:
        keys = [key for key in message if key != "type"]
        if not keys:
            return self._add(message)
        hostile = self._hostile()
        damaged = {**message, self._rng.choice(keys): hostile.value}
        outcomes = {ErrorCode.BAD_NUMBER} if hostile.bad_number else REPLACED_OUTCOMES
        return _encoded(damaged, *outcomes, what="replaced")

    def _replace_nested(self, message: Message) -> HostileFrame:
        lists = [
            key
            for key, value in message.items()
            if isinstance(value, list) and value and all(isinstance(item, dict) for item in value)
        ]
        if not lists:
            return self._replace(message)  # no list of objects: lists of values are values
        key = self._rng.choice(lists)
        items = list(message[key])
        index = self._rng.randrange(len(items))
        item = dict(items[index])
        hostile = self._hostile()
        item[self._rng.choice([*item, "extra"])] = hostile.value
        items[index] = item
        outcomes = {ErrorCode.BAD_NUMBER} if hostile.bad_number else REPLACED_OUTCOMES
        return _encoded({**message, key: items}, *outcomes, what="nested replaced")

    def _drop(self, message: Message) -> HostileFrame:
        keys = list(message)
        damaged = dict(message)
        dropped = self._rng.choice(keys)
        del damaged[dropped]
        if dropped == "type":
            return _encoded(damaged, ErrorCode.UNKNOWN_TYPE, what="type dropped")
        return _encoded(damaged, None, ErrorCode.BAD_MESSAGE, what="field dropped")

    def _add(self, message: Message) -> HostileFrame:
        hostile = self._hostile()
        name = self._rng.choice(["from", "sender", "role", "isHost", "__proto__", "x", "Type"])
        if name in message:
            name += "_"
        outcome = ErrorCode.BAD_NUMBER if hostile.bad_number else ErrorCode.BAD_MESSAGE
        return _encoded({**message, name: hostile.value}, outcome, what="field added")

    def _swap_type(self, message: Message) -> HostileFrame:
        kind = self._rng.choice(CLIENT_TYPES)
        return _encoded({**message, "type": kind}, *REPLACED_OUTCOMES, what="type swapped")

    def _version(self, message: Message) -> HostileFrame:
        join = {"v": 1, "room": "r", "name": "n", **message}
        join["type"] = "join"
        version = self._rng.choice([0, 2, -1, 99, 2**31, 1.0, 1.5, True, "1", None, [1]])
        # Another integer means another page version; anything else is no version at all.
        is_integer = isinstance(version, int) and not isinstance(version, bool)
        outcome = ErrorCode.UNSUPPORTED_VERSION if is_integer else ErrorCode.BAD_MESSAGE
        return _encoded({**join, "v": version}, outcome, what="version")

    def _text(self, message: Message) -> str:
        return encode_frame(message)

    def _truncate(self, message: Message) -> HostileFrame:
        text = self._text(message)
        return _frame(text[: self._rng.randrange(len(text))], ErrorCode.BAD_JSON, what="cut")

    def _flip(self, message: Message) -> HostileFrame:
        text = self._text(message)
        at = self._rng.randrange(len(text))
        return _frame(text[:at] + self._rng.choice(_JSONISH) + text[at + 1 :], what="flip")

    def _insert(self, message: Message) -> HostileFrame:
        text = self._text(message)
        at = self._rng.randrange(len(text))
        junk = "".join(self._rng.choices(_JSONISH, k=self._rng.randrange(1, 6)))
        return _frame(text[:at] + junk + text[at:], what="insert")

    def _duplicate(self, message: Message) -> HostileFrame:
        key = self._rng.choice(list(message))
        again: object = self._rng.choice(["join", "chat", 1, None, [], {}, "x"])
        text = f"{self._text(message)[:-1]},{json.dumps(key)}:{json.dumps(again)}}}"
        return _frame(text, ErrorCode.DUPLICATE_KEY, what="duplicate key")

    def _constant(self, message: Message) -> HostileFrame:
        constant = self._rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "9" * 17])
        text = f'{self._text(message)[:-1]},"n":[{constant}]}}'
        return _frame(text, ErrorCode.BAD_NUMBER, what="constant")

    def _surrogate(self, message: Message) -> HostileFrame:
        lone = self._rng.choice(_LONE_SURROGATES)
        text = f'{self._text(message)[:-1]},"{lone}":1}}'
        return _frame(text, ErrorCode.BAD_JSON, what="lone surrogate")

    def _deep(self, message: Message) -> HostileFrame:
        depth = self._rng.choice([MAX_DEPTH, MAX_DEPTH + 1, 100, 1000, 30_000])
        opener = self._rng.choice(['{"a":', "["])
        closer = "}" if opener.startswith("{") else "]"
        nested = opener * depth + "0" + closer * depth
        text = f'{self._text(message)[:-1]},"n":{nested}}}'
        return _frame(text, ErrorCode.TOO_DEEP, what="deep")

    def _binary(self, message: Message) -> HostileFrame:
        data = self._text(message).encode()
        if self._rng.random() < 0.5:
            data = self._rng.randbytes(self._rng.randrange(0, 64))
        return HostileFrame(data, frozenset({ErrorCode.BAD_JSON}), "binary frame")


# --- the judge --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the server makes of one frame: the parsed message, or the refusal's code."""

    message: ClientMessage | None
    code: ErrorCode | None


def judge(frame: Frame) -> Verdict:
    """The server's decode and validate path for one frame. Anything it raises but a
    ``KlingelError`` escapes: that is the failure the fuzz tests look for."""
    try:
        return Verdict(parse_client_message(decode_frame(frame)), None)
    except KlingelError as error:
        return Verdict(None, error.code)
