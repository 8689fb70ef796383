"""The minutes of a council session as JSON (format klingel-minutes/1): drawn from the event
log of a scripted session, canonical (the same minutes, the same bytes, the same digest), with
attendance and live media, quorum snapshots, items and the public switch, votes by name,
bias, speakers, faults and pauses; typed text stays the text it was."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from support.council_script import (
    HOSTILE_MOTION,
    HOSTILE_NAME,
    LONG_MOTION,
    T0,
    prepared_session,
    scripted_session,
)

from klingel.rooms.council.minutes import build_minutes, minutes_digest, minutes_json
from klingel.rooms.council.votes import MAJORITY_RULE

Fields = dict[str, Any]


def minutes_of(**options: Any) -> Fields:
    script = scripted_session(**options)
    data: Fields = json.loads(minutes_json(build_minutes(script.prepared, script.session)))
    return data


def at(seconds: float) -> Fields:
    """A time as the JSON gives it, ``seconds`` after the script's start."""
    unix = T0 + seconds
    whole = int(seconds)
    minute, second = divmod(whole, 60)
    return {"utc": f"2026-12-10T11:{minute:02d}:{second:02d}.000Z", "unix": unix}


def test_the_session_and_the_body() -> None:
    data = minutes_of()
    assert data["format"] == "klingel-minutes/1"
    assert data["body"] == {
        "id": "gemeinderat",
        "name": "Gemeinderat Bühl",
        "legal_size": 5,
        "quorum_rule": "at_least_half",
        "quorum_needed": 3,
    }
    assert data["session"] == {
        "id": "2026-12-10",
        "title": "Öffentliche Sitzung des Gemeinderats",
        "starts_at": at(0),
        "place": "Rathaus, Großer Saal",
        "opened": at(10),
        "closed": at(300),
    }
    assert [(m["id"], m["role"]) for m in data["members"]][:2] == [
        ("anna", "chair"),
        ("bernd", "member"),
    ]


def test_attendance_with_join_and_leave_times_and_when_picture_and_sound_were_live() -> None:
    stretches: dict[str, list[Fields]] = {}
    for presence in minutes_of()["attendance"]:
        stretches.setdefault(presence["member"], []).append(presence)
    assert "eve" not in stretches  # never there
    (carla,) = stretches["carla"]
    assert (carla["place"], carla["joined"], carla["left"], carla["media"]) == (
        "hall",
        at(1),
        at(120),
        [],
    )
    assert carla["live"] == [{"from": at(1), "to": at(120)}]
    first, second = stretches["dora"]
    # Audio only at first, live from 25 s, the camera off from 121 s to 130 s, gone at 141 s.
    assert [(m["at"], m["camera"], m["microphone"]) for m in first["media"]] == [
        (at(2), False, True),
        (at(25), True, True),
        (at(121), False, True),
        (at(130), True, True),
    ]
    assert first["live"] == [{"from": at(25), "to": at(121)}, {"from": at(130), "to": at(141)}]
    assert (first["left"], second["joined"], second["left"]) == (at(141), at(150), None)
    assert second["live"] == [{"from": at(150), "to": None}]


def test_quorum_snapshots_at_the_opening_each_change_and_each_vote() -> None:
    quorum = minutes_of()["quorum"]
    assert [(q["at"], q["occasion"], q["counted"], q["reached"], q["vote"]) for q in quorum] == [
        (at(10), "opened", 3, True, None),
        (at(100), "vote", 3, True, "v1"),
        (at(121), "changed", 2, False, None),
        (at(130), "changed", 3, True, None),
        (at(141), "changed", 2, False, None),
        (at(150), "changed", 3, True, None),
        (at(250), "vote", 3, True, "v2"),
    ]
    assert {(q["needed"], q["legal_size"]) for q in quorum} == {(3, 5)}


def test_items_their_motions_and_each_switch_of_the_public_output() -> None:
    data = minutes_of()
    assert [(i["number"], i["public"]) for i in data["items"]] == [
        ("1", True),
        ("2", False),
        ("3", True),
    ]
    assert data["items"][1]["motions"] == [HOSTILE_MOTION, LONG_MOTION]
    assert data["agenda_log"] == [
        {"at": at(20), "item": "1", "public": True, "public_output_changed": False},
        {"at": at(230), "item": "2", "public": False, "public_output_changed": True},
        {"at": at(260), "item": "3", "public": True, "public_output_changed": True},
    ]


def test_a_roll_call_with_names_a_changed_ballot_a_biased_member_and_the_rule() -> None:
    roll_call, by_post = minutes_of()["votes"]
    assert roll_call["id"] == "v1" and roll_call["kind"] == "roll_call"
    assert (roll_call["item"], roll_call["motion"]) == ("1", 0)
    assert roll_call["motion_text"] == "Der Haushalt 2027 wird beschlossen."
    assert (roll_call["opened"], roll_call["closed"]) == (at(90), at(100))
    assert (roll_call["eligible"], roll_call["eligible_count"]) == (["anna", "carla", "dora"], 3)
    assert roll_call["biased"] == ["bernd"]
    assert (roll_call["outcome"], roll_call["counts"]) == (
        "adopted",
        {"yes": 2, "no": 1, "abstain": 0},
    )
    assert roll_call["ballots"] == [
        {"member": "anna", "name": "Anna Müller", "choice": "yes"},
        {"member": "carla", "name": "Carla Weiß", "choice": "no"},
        {"member": "dora", "name": "Dora Schäfer", "choice": "yes"},
    ]
    assert [(b["member"], b["choice"], b["before"]) for b in roll_call["ballot_log"]] == [
        ("anna", "yes", None),
        ("dora", "no", None),
        ("dora", "yes", "no"),
        ("carla", "no", None),
    ]
    assert roll_call["majority_rule"] == MAJORITY_RULE
    # A secret vote the chair sent to be held by post afterwards.
    assert (by_post["kind"], by_post["outcome"], by_post["opened"]) == ("secret", "by_post", None)
    assert (by_post["ballots"], by_post["eligible_count"], by_post["item"]) == ([], 3, "2")


def test_bias_speakers_faults_and_pauses() -> None:
    data = minutes_of()
    assert data["bias"] == [
        {"at": at(80), "member": "bernd", "item": "1", "action": "marked"},
        {"at": at(110), "member": "bernd", "item": "1", "action": "lifted"},
    ]
    assert data["speakers"] == [
        {
            "member": "bernd",
            "item": "1",
            "from": at(40),
            "to": at(50),
            "limit_seconds": 120.0,
            "point_of_order": True,
        },
        {
            "member": "dora",
            "item": "1",
            "from": at(50),
            "to": at(70),
            "limit_seconds": None,
            "point_of_order": False,
        },
    ]
    assert data["faults"] == [
        {
            "at": at(140),
            "side": "member",
            "member": "dora",
            "detail": "connection lost",
            "remote_counted": 3,
        },
        {
            "at": at(240),
            "side": "server",
            "member": None,
            "detail": "media server restarted",
            "remote_counted": 3,
        },
    ]
    assert data["pauses"] == [
        {"from": at(160), "to": at(220), "reason": "Technische Störung {pages}"}
    ]


def test_the_json_is_canonical_and_its_digest_stable() -> None:
    script = scripted_session()
    data = minutes_json(build_minutes(script.prepared, script.session))
    again = minutes_json(build_minutes(script.prepared, script.session))
    assert data == again
    canonical = json.dumps(
        json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert data == canonical
    assert "Bühl".encode() in data and b"\\u" not in data.replace(b"\\u05d0", b"")
    digest = minutes_digest(data)
    assert digest == hashlib.sha256(data).hexdigest() and len(digest) == 64
    assert minutes_digest(data.replace(b"adopted", b"rejected")) != digest


def test_typed_text_stays_text() -> None:
    data = minutes_of()
    eve = next(m for m in data["members"] if m["id"] == "eve")
    assert (eve["name"], eve["faction"]) == (HOSTILE_NAME, "{counted} Liste")
    assert data["format"] == "klingel-minutes/1"  # nothing typed reached the structure
    assert set(data) == {
        "format",
        "body",
        "session",
        "members",
        "attendance",
        "quorum",
        "items",
        "agenda_log",
        "votes",
        "bias",
        "speakers",
        "faults",
        "pauses",
    }


def test_a_session_not_closed_gives_a_draft() -> None:
    data = minutes_of(close=False)
    assert data["session"]["closed"] is None
    assert data["session"]["opened"] == at(10)


def test_a_start_beyond_the_year_9999_keeps_its_seconds() -> None:
    far = prepared_session(starts_at=2**40 - 1)
    data = json.loads(minutes_json(build_minutes(far, scripted_session().session)))
    assert data["session"]["starts_at"] == {"utc": None, "unix": float(2**40 - 1)}
