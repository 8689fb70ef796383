"""A body as its clerk prepared it, the way the store keeps it: the roster and the sessions
to come with their agendas, as one JSON document (``klingel.store.council.StoredBody``).

Read back strictly: a document the store hands over is checked as if a person had typed it
(every name, title and motion through the same rules as the domain's), with unknown fields,
duplicate keys and wrong types refused, so that a file changed from outside can never put a
disguised name into a session or its minutes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, get_args

from klingel.rooms.council.agenda import MAX_ITEMS, Agenda, AgendaItem
from klingel.rooms.council.errors import CouncilCode, CouncilError
from klingel.rooms.council.roster import Body, Member, MemberId, QuorumRule, Role
from klingel.rooms.council.text import clean_text, parse_id
from klingel.store.council import MAX_BODY_DOCUMENT_BYTES

__all__ = [
    "DOCUMENT_FORMAT",
    "MAX_PLACE_LENGTH",
    "MAX_SESSIONS",
    "BodyDocument",
    "PreparedSession",
    "decode_document",
    "document_fields",
    "document_from_fields",
    "encode_document",
    "strict_json",
]

DOCUMENT_FORMAT = "klingel-council-body"
_VERSION = 1
MAX_SESSIONS = 60
"""Sessions a body keeps prepared: a year of weekly committee meetings; past ones go."""
MAX_PLACE_LENGTH = 200
_MAX_SECONDS = 2**40  # unix seconds, far beyond any session


@dataclass(frozen=True, slots=True)
class PreparedSession:
    """One session as the clerk prepared it: when, where and its agenda."""

    id: str
    title: str
    starts_at: int  # unix seconds
    place: str
    items: tuple[AgendaItem, ...]

    def __post_init__(self) -> None:
        parse_id(self.id, "session")
        object.__setattr__(self, "title", clean_text(self.title, "title", 200))
        object.__setattr__(
            self, "place", clean_text(self.place, "place", MAX_PLACE_LENGTH, empty=True)
        )
        if (
            isinstance(self.starts_at, bool)
            or not isinstance(self.starts_at, int)
            or not 0 <= self.starts_at < _MAX_SECONDS
        ):
            raise CouncilError(CouncilCode.BAD_VALUE, "A session starts at a time in seconds.")
        if len(self.items) > MAX_ITEMS:
            raise CouncilError(CouncilCode.TOO_MANY, f"At most {MAX_ITEMS} agenda items.")
        Agenda(self.items)  # numbers unique

    def agenda(self) -> Agenda:
        return Agenda(self.items)


@dataclass(frozen=True, slots=True)
class BodyDocument:
    body: Body
    sessions: tuple[PreparedSession, ...] = ()

    def __post_init__(self) -> None:
        if len(self.sessions) > MAX_SESSIONS:
            raise CouncilError(CouncilCode.TOO_MANY, f"At most {MAX_SESSIONS} sessions.")
        if len({session.id for session in self.sessions}) != len(self.sessions):
            raise CouncilError(CouncilCode.BAD_VALUE, "Each session id appears once.")

    def session(self, session_id: str) -> PreparedSession:
        for session in self.sessions:
            if session.id == session_id:
                return session
        raise CouncilError(CouncilCode.BAD_VALUE, "There is no such session.")


def encode_document(document: BodyDocument) -> str:
    """The document as the store keeps it; refused (too_many) if it would not fit there."""
    data = {"format": DOCUMENT_FORMAT, "version": _VERSION, **document_fields(document)}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_BODY_DOCUMENT_BYTES:
        raise CouncilError(
            CouncilCode.TOO_MANY, "The body's sessions and agendas are too long to keep."
        )
    return text


def decode_document(text: str) -> BodyDocument:
    """The document the store kept; ``CouncilError`` (bad_value or the domain's code) if it
    is not one this version wrote or its content breaks the domain's rules."""
    top = _fields(
        strict_json(text), {"format": str, "version": int, "body": dict, "sessions": list}
    )
    if top["format"] != DOCUMENT_FORMAT or top["version"] != _VERSION:
        raise _bad("not a body document of this version")
    return document_from_fields({"body": top["body"], "sessions": top["sessions"]})


def document_fields(document: BodyDocument) -> dict[str, Any]:
    """The body and its sessions as JSON-ready fields: what the store keeps inside its
    envelope, and what the clerk's page reads and sends back."""
    body = document.body
    return {
        "body": {
            "id": body.id,
            "name": body.name,
            "legal_size": body.legal_size,
            "rule": body.rule,
            "members": [
                {"id": m.id, "name": m.name, "faction": m.faction, "role": m.role}
                for m in body.members
            ],
        },
        "sessions": [
            {
                "id": s.id,
                "title": s.title,
                "starts_at": s.starts_at,
                "place": s.place,
                "items": [
                    {
                        "number": i.number,
                        "title": i.title,
                        "public": i.public,
                        "motions": list(i.motions),
                    }
                    for i in s.items
                ],
            }
            for s in document.sessions
        ],
    }


def document_from_fields(data: object) -> BodyDocument:
    """The inverse of ``document_fields``, as strict as ``decode_document``: exactly these
    fields of these types, every text through the domain's rules."""
    top = _fields(data, {"body": dict, "sessions": list})
    body = _fields(
        top["body"], {"id": str, "name": str, "legal_size": int, "rule": str, "members": list}
    )
    if body["rule"] not in get_args(QuorumRule):
        raise _bad("unknown quorum rule")
    members = []
    for entry in body["members"]:
        member = _fields(entry, {"id": str, "name": str, "faction": str, "role": str})
        if member["role"] not in get_args(Role):
            raise _bad("unknown role")
        members.append(
            Member(MemberId(member["id"]), member["name"], member["faction"], member["role"])
        )
    sessions = []
    for entry in top["sessions"]:
        session = _fields(
            entry, {"id": str, "title": str, "starts_at": int, "place": str, "items": list}
        )
        items = []
        for raw in session["items"]:
            item = _fields(raw, {"number": str, "title": str, "public": bool, "motions": list})
            if not all(isinstance(motion, str) for motion in item["motions"]):
                raise _bad("a motion is text")
            items.append(
                AgendaItem(item["number"], item["title"], item["public"], tuple(item["motions"]))
            )
        sessions.append(
            PreparedSession(
                session["id"],
                session["title"],
                session["starts_at"],
                session["place"],
                tuple(items),
            )
        )
    return BodyDocument(
        Body(body["id"], body["name"], body["legal_size"], body["rule"], members), tuple(sessions)
    )


def strict_json(text: str | bytes) -> Any:
    """JSON with no key twice (the last would silently win otherwise); ``CouncilError``
    bad_value if it is not."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as error:
        raise _bad("not JSON") from error


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _fields(value: object, expected: dict[str, type]) -> dict[str, Any]:
    """``value`` as an object with exactly these fields of these types (a bool is no int)."""
    if not isinstance(value, dict) or set(value) != set(expected):
        raise _bad("unexpected or missing fields")
    for key, kind in expected.items():
        field = value[key]
        if not isinstance(field, kind) or (kind is int and isinstance(field, bool)):
            raise _bad(f"{key} has the wrong type")
    return value


def _bad(why: str) -> CouncilError:
    return CouncilError(CouncilCode.BAD_VALUE, f"The body document is invalid: {why}.")
