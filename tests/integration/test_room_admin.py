"""What hosts and the town's IT do to a standing room, against the real server over real
WebSockets: new links for old (also after a restart), the room deleted, names the town
reserved, the cap on standing rooms, and ``klingel rooms`` run as its own process beside the
running server on the same store."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from support.visits import SETTINGS, created_with_host, klingel_command, visit

from klingel.store.sqlite import DATABASE_FILE_NAME

ROOT = Path(__file__).resolve().parents[2]
LINKS = re.compile(r"#(host|cohost)=([A-Za-z0-9_-]{32})$", re.MULTILINE)
RESERVED = replace(SETTINGS, reserved_names=("gemeinderat",))


async def klingel_rooms(data_dir: Path, *arguments: str) -> tuple[int, str, str]:
    return await klingel_command(data_dir, "rooms", *arguments)


async def test_new_links_replace_the_old_ones_for_every_host_and_after_a_restart(
    tmp_path: Path,
) -> None:
    async with visit(tmp_path) as first:
        created, host = await created_with_host(first, "Elternabend 3b", "Lehrerin")
        room = created["room"]
        cohost, _ = await first.join(room, "Elternsprecher", hostSecret=created["cohostSecret"])
        await cohost.expect("host_secrets")
        await cohost.send({"type": "renew_secrets"})
        await cohost.error("not_host")
        await host.send({"type": "renew_secrets"})
        new = await host.next_of("host_secrets")
        assert await cohost.next_of("host_secrets") == {
            "type": "host_secrets",
            "secret": new["cohostSecret"],
            "cohostSecret": new["cohostSecret"],
        }
        assert {new["secret"], new["cohostSecret"]}.isdisjoint(
            {created["hostSecret"], created["cohostSecret"]}
        )
        # Nobody's role changed, and nothing else was said.
        assert await host.nothing_pending() and await cohost.nothing_pending()
        # In this run already the old links give no role: the lobby, as for any guest.
        _, old = await first.join(room, "Alte Verknüpfung", hostSecret=created["cohostSecret"])
        assert old["type"] == "waiting"

    async with visit(tmp_path) as second:
        for secret in (created["hostSecret"], created["cohostSecret"]):
            _, old = await second.join(room, "Jemand", hostSecret=secret)
            assert old["type"] == "waiting"
        _, as_host = await second.join(room, "Lehrerin", hostSecret=new["secret"])
        assert as_host["you"]["role"] == "host"
        _, as_cohost = await second.join(room, "Elternsprecher", hostSecret=new["cohostSecret"])
        assert as_cohost["you"]["role"] == "cohost"


async def test_deleting_the_room_ends_it_for_everyone_and_frees_its_name(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host = await created_with_host(run, "Musikschule Cello", "Lehrer")
        room = created["room"]
        cohost, _ = await run.join(room, "Assistentin", hostSecret=created["cohostSecret"])
        await cohost.expect("host_secrets")
        waiting, answer = await run.join(room, "Schülerin")
        assert answer["type"] == "waiting"
        await cohost.send({"type": "delete_room"})
        refused = await cohost.next_of("error")
        assert (refused["code"], refused["ref"]) == ("not_host", "delete_room")

        await host.send({"type": "delete_room"})
        for client in (host, cohost, waiting):
            assert await client.next_of("meeting_ended") == {
                "type": "meeting_ended",
                "deleted": True,
            }
            assert await client.closed_with() == (4002, "meeting_ended")
        # The name is free, and the old host link makes nobody host.
        _, guest = await run.join(room, "Lehrer", hostSecret=created["hostSecret"])
        assert (guest["type"], guest["you"]["role"]) == ("joined", "guest")
        assert guest["room"]["lobby"] is False, "a room nobody created, as any other"
        await run.clients[-1].send({"type": "leave"})
        await run.clients[-1].closed_with()
        again = await run.create("musikschule cello")
        assert again.status_code == 200 and again.json()["hostSecret"] != created["hostSecret"]
    code, out, _ = await klingel_rooms(tmp_path, "list")
    assert code == 0 and "musikschule-cello" in out


async def test_a_reserved_name_waits_for_the_town_and_then_is_its_room(tmp_path: Path) -> None:
    async with visit(tmp_path, RESERVED) as run:
        refused = await run.create("Gemeinderat")
        assert (refused.status_code, refused.json()) == (409, {"error": "room_reserved"})
        squatter, answer = await run.join("gemeinderat", "Schüler")
        assert (answer["type"], answer["code"]) == ("error", "room_reserved")
        assert await squatter.closed_with() == (4000, "room_reserved")

        # The town's IT makes it, from another process, while the server runs.
        code, out, err = await klingel_rooms(tmp_path, "create", "Gemeinderat")
        assert (code, err) == (0, "")
        secrets = dict(LINKS.findall(out))
        taken = await run.create("GEMEINDERAT")
        assert (taken.status_code, taken.json()) == (409, {"error": "room_taken"})
        mayor, joined = await run.join("gemeinderat", "Bürgermeisterin", hostSecret=secrets["host"])
        assert joined["you"]["role"] == "host" and joined["room"]["lobby"] is True
        _, citizen = await run.join("gemeinderat", "Bürgerin")
        assert citizen["type"] == "waiting"
        assert (await mayor.next_of("lobby_ring"))["type"] == "lobby_ring"
    # Its host link holds after a restart too.
    async with visit(tmp_path, RESERVED) as run:
        _, joined = await run.join("gemeinderat", "Fraktion", hostSecret=secrets["cohost"])
        assert joined["you"]["role"] == "cohost"


async def test_a_room_deleted_by_the_town_in_a_meeting_ends_with_the_meeting(
    tmp_path: Path,
) -> None:
    code, out, _ = await klingel_rooms(tmp_path, "create", "Klasse 3b")
    assert code == 0
    host_secret = dict(LINKS.findall(out))["host"]
    async with visit(tmp_path) as run:
        teacher, joined = await run.join("klasse-3b", "Lehrer", hostSecret=host_secret)
        assert joined["you"]["role"] == "host"
        await teacher.send({"type": "room_settings", "lobby": False})
        await teacher.drain()
        code, out, _ = await klingel_rooms(tmp_path, "delete", "klasse-3b")
        assert (code, out) == (0, "deleted klasse-3b\n")
        assert await klingel_rooms(tmp_path, "delete", "klasse-3b") == (
            1,
            "",
            "klingel rooms: no room klasse-3b stands\n",
        )
        # The meeting goes on as it is.
        pupil, joined = await run.join("klasse-3b", "Paul")
        assert (joined["type"], joined["you"]["role"]) == ("joined", "guest")
        await teacher.send({"type": "chat", "text": "Weiter geht's"})
        assert (await pupil.next_of("chat"))["text"] == "Weiter geht's"
        for client in (pupil, teacher):
            await client.send({"type": "leave"})
            await client.closed_with()
        # Once it is over, the room is gone: the host link makes a guest of a room nobody
        # created, and the name is anyone's.
        _, after = await run.join("klasse-3b", "Lehrer", hostSecret=host_secret)
        assert (after["you"]["role"], after["room"]["lobby"]) == ("guest", False)
        await run.clients[-1].send({"type": "leave"})
        await run.clients[-1].closed_with()
        assert (await run.create("Klasse 3b")).status_code == 200


async def test_no_standing_room_beyond_the_cap(tmp_path: Path) -> None:
    async with visit(tmp_path, replace(SETTINGS, max_standing_rooms=1)) as run:
        assert (await run.create("Geige")).status_code == 200
        full = await run.create("Cello")
        assert (full.status_code, full.json()) == (503, {"error": "standing_rooms_full"})
        taken = await run.create("geige")
        assert (taken.status_code, taken.json()) == (409, {"error": "room_taken"})
    # The town's IT is not held to it.
    assert (await klingel_rooms(tmp_path, "create", "Cello"))[0] == 0
    assert (tmp_path / DATABASE_FILE_NAME).exists()
