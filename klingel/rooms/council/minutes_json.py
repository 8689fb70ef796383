"""The minutes as canonical JSON, format ``klingel-minutes/1`` (docs/council.md, Minutes).

Canonical: keys sorted, no spaces, UTF-8 as is (no ``\\u`` escapes beyond what JSON needs),
so equal minutes give equal bytes and their SHA-256 names the file. A time is an object
``{"utc": "2026-12-10T17:00:05.250Z", "unix": 1796900405.25}`` (``utc`` null beyond the year
9999); a duration is in seconds.
"""

from __future__ import annotations

import json
from typing import Any

from klingel.rooms.council.minutes_model import (
    MINUTES_FORMAT,
    Minutes,
    PresenceRecord,
    Span,
    Tally,
    VoteRecord,
    moment,
)

__all__ = ["minutes_fields", "minutes_json"]


def minutes_json(minutes: Minutes) -> bytes:
    return json.dumps(
        minutes_fields(minutes),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def minutes_fields(minutes: Minutes) -> dict[str, Any]:
    """The minutes as JSON-ready fields."""
    session = minutes.session
    return {
        "format": MINUTES_FORMAT,
        "body": {
            "id": session.body_id,
            "name": session.body_name,
            "legal_size": session.legal_size,
            "quorum_rule": session.quorum_rule,
            "quorum_needed": session.quorum_needed,
        },
        "session": {
            "id": session.session_id,
            "title": session.title,
            "starts_at": _time(session.starts_at),
            "place": session.place,
            "opened": _time(session.opened_at),
            "closed": _time(session.closed_at),
        },
        "members": [
            {"id": m.id, "name": m.name, "faction": m.faction, "role": m.role}
            for m in minutes.members
        ],
        "attendance": [_presence(presence) for presence in minutes.attendance],
        "quorum": [
            {
                "at": _time(q.at),
                "occasion": q.occasion,
                "counted": q.counted,
                "needed": q.needed,
                "legal_size": q.legal_size,
                "reached": q.reached,
                "vote": q.vote_id,
            }
            for q in minutes.quorum
        ],
        "items": [
            {"number": i.number, "title": i.title, "public": i.public, "motions": list(i.motions)}
            for i in minutes.items
        ],
        "agenda_log": [
            {
                "at": _time(c.at),
                "item": c.item,
                "public": c.public,
                "public_output_changed": c.public_changed,
            }
            for c in minutes.calls
        ],
        "votes": [_vote(vote) for vote in minutes.votes],
        "bias": [
            {
                "at": _time(b.at),
                "member": b.member,
                "item": b.item,
                "action": "marked" if b.marked else "lifted",
            }
            for b in minutes.bias
        ],
        "speakers": [
            {
                "member": t.member,
                "item": t.item,
                "from": _time(t.started_at),
                "to": _time(t.ended_at),
                "limit_seconds": t.limit,
                "point_of_order": t.point_of_order,
            }
            for t in minutes.speakers
        ],
        "faults": [
            {
                "at": _time(f.at),
                "side": f.side,
                "member": f.member,
                "detail": f.detail,
                "remote_counted": f.remote_counted,
            }
            for f in minutes.faults
        ],
        "pauses": [
            {"from": _time(p.at), "to": _time(p.resumed_at), "reason": p.reason}
            for p in minutes.pauses
        ],
    }


def _time(at: float | None) -> dict[str, Any] | None:
    if at is None:
        return None
    when = moment(at)
    utc = (
        None
        if when is None
        else when.strftime("%Y-%m-%dT%H:%M:%S.") + (f"{when.microsecond // 1000:03d}Z")
    )
    return {"utc": utc, "unix": round(at, 3)}


def _span(span: Span) -> dict[str, Any]:
    return {"from": _time(span.start), "to": _time(span.end)}


def _presence(presence: PresenceRecord) -> dict[str, Any]:
    return {
        "member": presence.member,
        "place": presence.place,
        "joined": _time(presence.joined_at),
        "left": _time(presence.left_at),
        "media": [
            {"at": _time(m.at), "camera": m.camera, "microphone": m.microphone}
            for m in presence.media
        ],
        "live": [_span(span) for span in presence.live],
    }


def _tally(tally: Tally) -> dict[str, int]:
    return {"yes": tally.yes, "no": tally.no, "abstain": tally.abstain}


def _vote(vote: VoteRecord) -> dict[str, Any]:
    return {
        "id": vote.vote_id,
        "item": vote.item,
        "motion": vote.motion,
        "motion_text": vote.motion_text,
        "kind": vote.kind,
        "outcome": vote.outcome,
        "opened": _time(vote.opened_at),
        "closed": _time(vote.closed_at),
        "eligible": list(vote.eligible),
        "eligible_count": vote.eligible_count,
        "biased": list(vote.biased),
        "counts": _tally(vote.counts),
        "hall": _tally(vote.hall),
        "ballots": [{"member": b.member, "name": b.name, "choice": b.choice} for b in vote.ballots],
        "ballot_log": [
            {"at": _time(b.at), "member": b.member, "choice": b.choice, "before": b.before}
            for b in vote.ballot_log
        ],
        "majority_rule": vote.rule,
    }
