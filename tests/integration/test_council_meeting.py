"""A council session over the real server's signaling (media recorded, not forwarded): members
come in by their personal links, the chair leads, attendance follows the members' media and
the chair's word for the hall, a biased member waits outside, a non-public item shuts out the
public and the guests, and the rules refuse what they must, with their codes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from support.council_clients import (
    Message,
    as_member,
    command,
    council_visit,
    on_camera,
    state,
)
from support.councils import PreparedCouncil
from support.recording_client import Client
from support.visits import Visit
from websockets.asyncio.client import connect


@pytest_asyncio.fixture
async def chamber(tmp_path: Path) -> AsyncIterator[tuple[Visit, PreparedCouncil]]:
    async with council_visit(tmp_path) as run_and_council:
        yield run_and_council


async def refused(client: Client, code: str) -> None:
    """The next ``error`` (past the announcements before it) has this code."""
    error = await client.next_of("error")
    assert error["code"] == code, error


def member(message: Message, member_id: str) -> Message:
    found: Message = next(m for m in message["members"] if m["id"] == member_id)
    return found


async def test_members_come_in_by_their_links_under_the_rosters_names(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair, joined = await run.join("gemeinderat", "Chefin", member=council.links["anna"])
    assert (joined["you"]["name"], joined["you"]["role"]) == ("Anna Müller", "host")
    first = await state(chair)
    assert (first["body"], first["phase"], first["legalSize"]) == (
        "Gemeinderat Bühl",
        "prepared",
        5,
    )
    assert [s["id"] for s in first["sessions"]] == ["2026-12-10"]
    assert member(first, "anna")["participant"] == joined["you"]["id"]
    _, joined = await run.join("gemeinderat", "Ich bin Anna Müller", member=council.links["bernd"])
    assert (joined["you"]["name"], joined["you"]["role"]) == ("Bernd Öztürk", "guest")
    # A guest waits in the lobby as always (the room stands with its lobby on).
    _, waiting = await run.join("gemeinderat", "Gast")
    assert waiting["type"] == "waiting"
    # A wrong, a foreign and a renewed link get nobody in.
    for secret in ("x" * 32, council.clerk):
        stranger, answer = await run.join("gemeinderat", "Jemand", member=secret)
        assert (answer["type"], answer["code"]) == ("error", "member_link_invalid")
        assert (await stranger.closed_with())[1] == "member_link_invalid"


async def test_a_session_with_quorum_bias_a_vote_and_a_non_public_part(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair = await as_member(run, council, "anna")
    bernd = await as_member(run, council, "bernd")
    dora = await as_member(run, council, "dora")
    await chair.send({"type": "room_settings", "lobby": False})
    guest, joined = await run.join("gemeinderat", "Frau Berger (Kämmerei)")
    assert joined["type"] == "joined"
    await chair.send({"type": "broadcast", "action": "start"})
    key = (await chair.next_of("broadcast_state"))["viewerKey"]
    viewer = Client(await connect(run.server.url.replace("http", "ws") + "/ws"))
    run.clients.append(viewer)
    await viewer.send({"type": "watch", "v": 1, "key": key})
    assert (await viewer.expect("watching"))["live"] is True

    # Only the chair leads; a guest is no member.
    await command(bernd, "open", session="2026-12-10")
    await refused(bernd, "not_chair")
    await command(guest, "hand")
    await refused(guest, "not_member")
    await command(chair, "item", item="1")
    await refused(chair, "session_not_open")

    await command(chair, "open", session="2026-12-10")
    opened = await state(chair, lambda m: m["phase"] == "open")
    assert opened["quorum"] == {"counted": 0, "needed": 3, "legalSize": 5, "reached": False}
    assert opened["chairAlert"] is True
    # Picture and sound make a remote member count; the chair's word counts for the hall.
    for client in (chair, bernd, dora):
        await on_camera(client)
    counted = await state(chair, lambda m: m["quorum"]["counted"] == 3)
    assert counted["quorum"]["reached"] and not counted["chairAlert"]
    assert member(counted, "bernd")["status"] == "counted"
    await command(chair, "hall", member="carla", on=True)
    await state(chair, lambda m: m["quorum"]["counted"] == 4)

    await command(chair, "item", item="1")
    public = await viewer.next_of("council_public")
    while public["item"] is None:
        public = await viewer.next_of("council_public")
    assert (public["public"], public["item"]["title"]) == (True, "Haushalt 2027")
    assert public["quorum"] == {"counted": 4, "needed": 3, "legalSize": 5, "reached": True}
    assert {person["id"]: person["name"] for person in public["members"]}["bernd"] == "Bernd Öztürk"

    # The speaker list: a point of order goes first.
    await command(dora, "hand")
    await command(bernd, "hand", pointOfOrder=True)
    listed = await state(chair, lambda m: len(m["waiting"]) == 2)
    assert listed["waiting"] == [
        {"member": "bernd", "pointOfOrder": True},
        {"member": "dora", "pointOfOrder": False},
    ]
    await command(chair, "floor", limit=120)
    speaking = await state(chair, lambda m: m["speaker"] is not None)
    assert (speaking["speaker"]["name"], speaking["speaker"]["faction"]) == ("Bernd Öztürk", "SPD")
    assert 110 <= speaking["speaker"]["left"] <= 120
    await command(chair, "end_floor")

    # Bernd is biased: he waits outside, sees nothing, and cannot vote.
    await command(chair, "bias", member="bernd", item="1", on=True)
    held = await bernd.next_of("council_held")
    assert held == {"type": "council_held", "held": True, "reason": "biased", "item": "1"}
    after = await state(chair, lambda m: member(m, "bernd")["held"])
    assert after["quorum"]["counted"] == 3
    await command(bernd, "ballot", choice="yes")
    await refused(bernd, "held")
    await bernd.send({"type": "chat", "text": "Hallo?"})
    await refused(bernd, "held")

    await command(chair, "vote", motion=0, kind="roll_call")
    running = await state(chair, lambda m: m["vote"] is not None)
    assert running["vote"]["eligible"] == ["anna", "carla", "dora"]
    await command(chair, "ballot", choice="yes")
    await command(dora, "ballot", choice="no")
    await state(dora, lambda m: m["vote"] and len(m["vote"]["ballots"]) == 2)
    # A roll call takes names, also from the hall: the chair records Carla's.
    await command(chair, "hall_counts", yes=1, no=0, abstain=0)
    await refused(chair, "hall_counts")
    await command(dora, "ballot", choice="yes", member="carla")
    await refused(dora, "not_chair")
    await command(chair, "ballot", choice="yes", member="dora")
    await refused(chair, "not_allowed")
    await command(chair, "ballot", choice="yes", member="carla")
    await state(chair, lambda m: m["vote"] and len(m["vote"]["ballots"]) == 3)
    closed_at = time.monotonic()
    await command(chair, "close_vote")
    for client in (chair, dora):
        done = await state(client, lambda m: m["results"])
    assert time.monotonic() - closed_at < 10
    result = done["results"][0]
    assert (result["outcome"], result["counts"]) == ("adopted", {"yes": 2, "no": 1, "abstain": 0})
    assert result["ballots"] == [
        {"member": "anna", "choice": "yes"},
        {"member": "carla", "choice": "yes"},
        {"member": "dora", "choice": "no"},
    ]
    assert "majority" in result["rule"]
    shown = await viewer.next_of("council_public")
    while shown["result"] is None:
        shown = await viewer.next_of("council_public")
    assert shown["result"]["outcome"] == "adopted"
    # Bernd saw none of it, and comes back when the bias is lifted.
    assert not any('"council_state"' in frame and '"v1"' in frame for frame in bernd.frames)
    await command(chair, "bias", member="bernd", item="1", on=False)
    assert (await bernd.next_of("council_held"))["held"] is False

    # The non-public item: the public and the guests are out, the room locked.
    await command(chair, "item", item="2")
    assert (await viewer.next_of("broadcast_live"))["live"] is False
    secret = await viewer.next_of("council_public")
    assert (secret["public"], secret["item"], secret["quorum"], secret["members"]) == (
        False,
        None,
        None,
        [],
    )
    assert (await guest.next_of("council_held"))["reason"] == "non_public"
    locked = await chair.next_of("room_updated")
    assert locked["room"]["locked"] is True
    _, answer = await run.join("gemeinderat", "Neugierig")
    assert (answer["type"], answer["code"]) == ("error", "room_locked")
    await guest.send({"type": "publish", "sdp": "v=0", "tracks": []})
    await refused(guest, "held")
    # Members still come in by their links.
    carla = await as_member(run, council, "carla")
    assert (await state(carla))["item"]["number"] == "2"

    await command(chair, "item", item="1")
    assert (await viewer.next_of("broadcast_live"))["live"] is True
    assert (await guest.next_of("council_held"))["held"] is False
    assert (await chair.next_of("room_updated"))["room"]["locked"] is False

    # Quorum lost and regained: the chair is alerted, and no vote without it.
    await command(chair, "hall", member="carla", on=False)
    await dora.send({"type": "media_state", "audio": True, "video": False})
    lost = await state(chair, lambda m: not m["quorum"]["reached"])
    assert lost["chairAlert"] is True
    await command(chair, "vote", motion=0)
    await refused(chair, "no_quorum")
    await dora.send({"type": "media_state", "audio": True, "video": True})
    regained = await state(chair, lambda m: m["quorum"]["reached"])
    assert regained["chairAlert"] is False

    # Dora's line drops: the chair sees it and the fault is on record.
    await dora.socket.close()
    dropped = await state(chair, lambda m: m["faults"])
    assert dropped["faults"][0]["side"] == "member" and dropped["faults"][0]["member"] == "dora"
    assert member(dropped, "dora")["connected"] is False

    await command(chair, "close")
    assert (await state(chair, lambda m: m["phase"] == "closed"))["phase"] == "closed"


async def test_bad_council_commands_are_refused_and_change_nothing(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair = await as_member(run, council, "anna")
    await command(chair, "open", session="2026-12-10")
    before = await state(chair, lambda m: m["phase"] == "open")
    for fields, code in (
        ({"action": "shout"}, "bad_message"),
        ({"action": "item"}, "bad_message"),
        ({"action": "item", "item": "99"}, "unknown_item"),
        ({"action": "item", "item": None}, "bad_message"),
        ({"action": "ballot", "choice": "yes"}, "no_vote"),
        ({"action": "vote", "motion": 0}, "no_current_item"),
        ({"action": "floor", "limit": 5}, "bad_message"),
        ({"action": "bias", "member": "zoe", "item": "1", "on": True}, "unknown_member"),
        ({"action": "open", "session": "2026-12-10"}, "not_allowed"),
        ({"action": "pause", "reason": "a\u202eb"}, "bad_message"),
        ({"action": "withdraw"}, "not_listed"),
        ({"action": "end_floor", "extra": 1}, "bad_message"),
    ):
        await chair.send({"type": "council", **fields})
        error = await chair.next_of("error")
        assert error["code"] == code, (fields, error)
    assert await chair.nothing_pending()
    await command(chair, "hand")
    after = await state(chair)
    assert {k: v for k, v in after.items() if k not in ("waiting", "itemSeconds")} == {
        k: v for k, v in before.items() if k not in ("waiting", "itemSeconds")
    }
    # Another room notices nothing: a council command there has no council.
    other, _ = await run.join("andere-runde", "Jemand")
    await command(other, "hand")
    await refused(other, "no_council")


async def test_a_guest_made_cohost_stays_and_a_held_member_who_resumes_still_waits(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair = await as_member(run, council, "anna")
    bernd, joined = await run.join("gemeinderat", "x", member=council.links["bernd"])
    await chair.send({"type": "room_settings", "lobby": False})
    guest, _ = await run.join("gemeinderat", "Herr Kaya (Bauamt)")
    await command(chair, "open", session="2026-12-10")
    await command(chair, "item", item="2")
    assert (await guest.next_of("council_held"))["reason"] == "non_public"
    await chair.send({"type": "set_role", "id": guest.id, "role": "cohost"})
    assert (await guest.next_of("council_held"))["held"] is False

    await command(chair, "bias", member="bernd", item="2", on=True)
    assert (await bernd.next_of("council_held"))["reason"] == "biased"
    await bernd.socket.close()
    again, resumed = await run.join("gemeinderat", "x", resume=joined["resume"])
    assert resumed["resumed"] is True and resumed["you"]["name"] == "Bernd Öztürk"
    assert (await again.next_of("council_held"))["held"] is True
    await command(again, "hand")
    await refused(again, "held")


async def test_a_secret_vote_with_remote_members_is_refused_and_may_go_by_post(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    members = [await as_member(run, council, name) for name in ("anna", "bernd", "dora")]
    chair = members[0]
    await command(chair, "open", session="2026-12-10")
    for client in members:
        await on_camera(client)
    await state(chair, lambda m: m["quorum"]["reached"])
    await command(chair, "item", item="1")
    await command(chair, "vote", motion=0, kind="secret")
    error = await chair.next_of("error")
    assert error["code"] == "secret_with_remote" and error["message"]
    await command(chair, "by_post", motion=0)
    recorded = await state(chair, lambda m: m["results"])
    assert recorded["results"][0]["outcome"] == "by_post"
    assert recorded["results"][0]["ballots"] == [] and recorded["vote"] is None


async def test_a_member_whose_page_comes_back_before_the_old_line_closed_is_a_fault(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair = await as_member(run, council, "anna")
    _, joined = await run.join("gemeinderat", "Bernd", member=council.links["bernd"])
    assert joined["type"] == "joined", joined
    await command(chair, "open", session="2026-12-10")
    await state(chair, lambda m: m["phase"] == "open")
    # A network switch: the page resumes on a new socket while its old one still stands.
    _, resumed = await run.join(
        "gemeinderat", "Bernd", member=council.links["bernd"], resume=joined["resume"]
    )
    assert resumed["type"] == "joined" and resumed["resumed"] is True, resumed
    lost = await state(chair, lambda m: m["faults"])
    assert [(f["side"], f["member"]) for f in lost["faults"]] == [("member", "bernd")]
    assert member(lost, "bernd")["connected"] is True


async def test_the_broadcast_shows_who_has_the_floor_else_the_chair(
    chamber: tuple[Visit, PreparedCouncil],
) -> None:
    run, council = chamber
    chair = await as_member(run, council, "anna")
    bernd = await as_member(run, council, "bernd")
    await chair.send({"type": "broadcast", "action": "start"})
    started = await chair.next_of("broadcast_state")
    assert started["pinned"] is None

    async def pinned(wanted: str | None) -> None:
        while (await chair.next_of("broadcast_state"))["pinned"] != wanted:
            pass

    await command(chair, "open", session="2026-12-10")
    await pinned(chair.id)
    await command(bernd, "hand")
    await command(chair, "floor")
    await pinned(bernd.id)
    await command(chair, "end_floor")
    await pinned(chair.id)
    # A host's own choice stands until the floor moves again.
    await chair.send({"type": "broadcast_pin", "id": bernd.id})
    await pinned(bernd.id)
    await command(chair, "close")
    await pinned(None)
