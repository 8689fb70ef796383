"""A council as the town's IT and its clerk prepare it, through the real command and the real
clerk's API: for the tests of the clerk and of sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from support.visits import klingel_command

CLERK_LINK = re.compile(r"clerk link:  (\S+)/rat/(\S+)#clerk=([A-Za-z0-9_-]{32})$", re.M)

MEMBERS: list[dict[str, str]] = [
    {"id": "anna", "name": "Anna Müller", "faction": "Freie Wähler", "role": "chair"},
    {"id": "bernd", "name": "Bernd Öztürk", "faction": "SPD", "role": "member"},
    {"id": "carla", "name": "Carla Weiß", "faction": "CDU", "role": "member"},
    {"id": "dora", "name": "Dora Schäfer", "faction": "Grüne", "role": "member"},
]
SESSION: dict[str, Any] = {
    "id": "2026-12-10",
    "title": "Öffentliche Sitzung des Gemeinderats",
    "starts_at": 1_796_900_400,
    "place": "Rathaus, Großer Saal",
    "items": [
        {
            "number": "1",
            "title": "Haushalt 2027",
            "public": True,
            "motions": ["Der Haushalt 2027 wird beschlossen."],
        },
        {
            "number": "2",
            "title": "Grundstücksverkauf Flurstück 12",
            "public": False,
            "motions": ["Das Grundstück wird verkauft."],
        },
    ],
}


def roster(legal_size: int = 5, members: list[dict[str, str]] = MEMBERS) -> dict[str, Any]:
    """The document the clerk sends: a body of ``legal_size`` seats (quorum at least half)."""
    return {
        "body": {
            "id": "gemeinderat",
            "name": "Gemeinderat Bühl",
            "legal_size": legal_size,
            "rule": "at_least_half",
            "members": members,
        },
        "sessions": [SESSION],
    }


def as_clerk(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


async def made_council(data_dir: Path, body: str = "gemeinderat") -> str:
    """``klingel councils create`` beside the server; the clerk's secret."""
    code, out, err = await klingel_command(
        data_dir, "councils", "create", body, "--name", "Gemeinderat Bühl", "--seats", "22"
    )
    assert (code, err) == (0, ""), err
    found = CLERK_LINK.search(out)
    assert found is not None and found.group(2) == body
    assert re.search(rf"^host link:   \S+/r/{body}#host=[A-Za-z0-9_-]{{32}}$", out, re.M)
    return found.group(3)


@dataclass(frozen=True, slots=True)
class PreparedCouncil:
    clerk: str
    links: dict[str, str]
    """Each member's personal link secret, by member id."""


async def prepared_council(
    data_dir: Path, base_url: str, document: dict[str, Any] | None = None
) -> PreparedCouncil:
    """A body with its roster and session, and a personal link for every member."""
    clerk = await made_council(data_dir)
    document = document or roster()
    async with httpx.AsyncClient(base_url=base_url, headers=as_clerk(clerk)) as http:
        saved = await http.put("/api/councils/gemeinderat", json={"revision": 0, **document})
        assert saved.status_code == 200, saved.text
        revision = saved.json()["revision"]
        links = {}
        for member in document["body"]["members"]:
            made = await http.post(
                "/api/councils/gemeinderat/member-links",
                json={"revision": revision, "member": member["id"]},
            )
            assert made.status_code == 200, made.text
            revision = made.json()["revision"]
            links[member["id"]] = made.json()["secret"]
    return PreparedCouncil(clerk, links)
