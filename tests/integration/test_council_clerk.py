"""The town's IT makes a council with ``klingel councils`` beside the running server; its
clerk prepares roster and sessions and hands out personal member links over the clerk's
HTTP API. Against the real server and its store: the secret is the only way in, bad input
changes nothing, and the body outlives a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from support.councils import CLERK_LINK, as_clerk, made_council
from support.visits import klingel_command, visit

ROSTER: dict[str, Any] = {
    "body": {
        "id": "gemeinderat",
        "name": "Gemeinderat Bühl",
        "legal_size": 22,
        "rule": "at_least_half",
        "members": [
            {"id": "anna", "name": "Anna Müller", "faction": "Freie Wähler", "role": "chair"},
            {"id": "bernd", "name": "Bernd Öztürk", "faction": "SPD", "role": "member"},
        ],
    },
    "sessions": [
        {
            "id": "2026-12-10",
            "title": "Öffentliche Sitzung",
            "starts_at": 1_796_000_000,
            "place": "Rathaus, Großer Saal",
            "items": [
                {
                    "number": "1",
                    "title": "Haushalt 2027",
                    "public": True,
                    "motions": ["Der Haushalt wird beschlossen."],
                },
                {"number": "2", "title": "Grundstücksverkauf", "public": False, "motions": []},
            ],
        }
    ],
}


async def test_the_clerk_prepares_a_body_that_outlives_a_restart(tmp_path: Path) -> None:
    async with visit(tmp_path) as run, httpx.AsyncClient(base_url=run.server.url) as http:
        clerk = await made_council(tmp_path)
        first = await http.get("/api/councils/gemeinderat", headers=as_clerk(clerk))
        assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
        assert first.json() == {
            "revision": 0,
            "linked": [],
            "body": {
                "id": "gemeinderat",
                "name": "Gemeinderat Bühl",
                "legal_size": 22,
                "rule": "at_least_half",
                "members": [],
            },
            "sessions": [],
        }
        saved = await http.put(
            "/api/councils/gemeinderat", json={"revision": 0, **ROSTER}, headers=as_clerk(clerk)
        )
        assert saved.json() == {"revision": 1, "linked": [], **ROSTER}
        link = await http.post(
            "/api/councils/gemeinderat/member-links",
            json={"revision": 1, "member": "bernd"},
            headers=as_clerk(clerk),
        )
        assert link.status_code == 200
        assert link.json()["revision"] == 2 and len(link.json()["secret"]) == 32
        # The room of the body's sessions stands, as the IT's command made it.
        _, joined = await run.join("gemeinderat", "Gast")
        assert joined["type"] == "waiting"

    async with visit(tmp_path) as again, httpx.AsyncClient(base_url=again.server.url) as http:
        read = await http.get("/api/councils/gemeinderat", headers=as_clerk(clerk))
        assert read.json() == {"revision": 2, "linked": ["bernd"], **ROSTER}


async def test_only_the_clerks_secret_opens_the_body(tmp_path: Path) -> None:
    async with visit(tmp_path) as run, httpx.AsyncClient(base_url=run.server.url) as http:
        clerk = await made_council(tmp_path)
        for path, headers in (
            ("/api/councils/gemeinderat", {}),
            ("/api/councils/gemeinderat", as_clerk("x" * 32)),
            ("/api/councils/gemeinderat", {"authorization": f"Basic {clerk}"}),
            ("/api/councils/ortsrat", as_clerk(clerk)),
            ("/api/councils/%E2%80%AEbad", as_clerk(clerk)),
        ):
            refused = await http.get(path, headers=headers)
            assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
        renewed_code, out, _ = await klingel_command(
            tmp_path, "councils", "clerk-link", "gemeinderat"
        )
        new = CLERK_LINK.search(out)
        assert renewed_code == 0 and new is not None
        old = await http.get("/api/councils/gemeinderat", headers=as_clerk(clerk))
        assert old.status_code == 403
        ok = await http.get("/api/councils/gemeinderat", headers=as_clerk(new.group(3)))
        assert ok.status_code == 200


async def test_bad_changes_are_refused_with_a_code_and_change_nothing(tmp_path: Path) -> None:
    async with visit(tmp_path) as run, httpx.AsyncClient(base_url=run.server.url) as http:
        clerk = await made_council(tmp_path)
        headers = as_clerk(clerk)
        disguised = {"revision": 0, **ROSTER}
        disguised["body"] = {
            **ROSTER["body"],
            "members": [{"id": "x", "name": "Anna\u202eMüller", "faction": "", "role": "member"}],
        }
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"content": b"{", "headers": {"content-type": "application/json"}}, 400, "bad_json"),
            (
                {
                    "content": b'{"revision":0,"revision":1}',
                    "headers": {"content-type": "application/json"},
                },
                400,
                "bad_json",
            ),
            ({"content": b"revision=0"}, 415, "not_json"),
            ({"json": {"revision": 0}}, 400, "bad_value"),
            ({"json": {"revision": 5, **ROSTER}}, 409, "conflict"),
            ({"json": {"revision": True, **ROSTER}}, 400, "bad_value"),
            ({"json": disguised}, 400, "bad_text"),
            (
                {"json": {"revision": 0, **ROSTER, "body": {**ROSTER["body"], "legal_size": 0}}},
                400,
                "bad_roster",
            ),
            (
                {"json": {"revision": 0, **ROSTER, "body": {**ROSTER["body"], "id": "ortsrat"}}},
                403,
                "forbidden",
            ),
            (
                {
                    "content": b'{"revision":0,"x":"' + b"a" * (1_100_000) + b'"}',
                    "headers": {"content-type": "application/json"},
                },
                413,
                "too_large",
            ),
        ]
        for request, status, code in cases:
            extra = request.pop("headers", {})
            answer = await http.put(
                "/api/councils/gemeinderat", headers={**headers, **extra}, **request
            )
            assert (answer.status_code, answer.json()["error"]) == (status, code), request
        foreign = await http.put(
            "/api/councils/gemeinderat",
            json={"revision": 0, **ROSTER},
            headers={**headers, "origin": "https://evil.example"},
        )
        assert (foreign.status_code, foreign.json()["error"]) == (403, "foreign_origin")
        for link_request, status, code in (
            ({"revision": 0, "member": "carla"}, 404, "unknown_member"),
            ({"revision": 0}, 400, "bad_value"),
            ({"revision": 0, "member": "anna", "more": 1}, 400, "bad_value"),
        ):
            answer = await http.post(
                "/api/councils/gemeinderat/member-links", json=link_request, headers=headers
            )
            assert (answer.status_code, answer.json()["error"]) == (status, code)
        unchanged = await http.get("/api/councils/gemeinderat", headers=headers)
        assert unchanged.json()["revision"] == 0 and unchanged.json()["body"]["members"] == []


async def test_the_towns_it_cannot_make_a_body_twice_or_delete_one_that_is_not(
    tmp_path: Path,
) -> None:
    await made_council(tmp_path)
    code, _, err = await klingel_command(
        tmp_path, "councils", "create", "gemeinderat", "--name", "Zweiter", "--seats", "5"
    )
    assert code == 1 and "exists already" in err
    code, _, err = await klingel_command(
        tmp_path, "councils", "create", "ortsrat", "--name", "Ort\u0007srat", "--seats", "5"
    )
    assert code == 2 and "control characters" in err
    assert (await klingel_command(tmp_path, "councils", "delete", "gemeinderat"))[0] == 0
    code, _, err = await klingel_command(tmp_path, "councils", "delete", "gemeinderat")
    assert code == 1 and "no body" in err


async def test_minutes_are_listed_for_the_clerk_only(tmp_path: Path) -> None:
    async with visit(tmp_path) as run, httpx.AsyncClient(base_url=run.server.url) as http:
        clerk = await made_council(tmp_path)
        listed = await http.get("/api/councils/gemeinderat/minutes", headers=as_clerk(clerk))
        assert listed.json() == {"minutes": []}
        assert (await http.get("/api/councils/gemeinderat/minutes")).status_code == 403
        for name in ("m1.pdf", "m1.exe", ".x.pdf", "m1"):
            missing = await http.get(
                f"/api/councils/gemeinderat/minutes/{name}", headers=as_clerk(clerk)
            )
            assert (missing.status_code, missing.json()["error"]) == (404, "unknown_minutes")
        gone = await http.delete("/api/councils/gemeinderat/minutes/m1", headers=as_clerk(clerk))
        assert (gone.status_code, gone.json()["error"]) == (404, "unknown_minutes")
        foreign = await http.delete(
            "/api/councils/gemeinderat/minutes/m1",
            headers={**as_clerk(clerk), "origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
