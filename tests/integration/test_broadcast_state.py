"""A room's public side as the participants handle it, against the real server over real
WebSockets (docs/public-viewing.md): hosts open it, pause, pin, renew the viewer link and stop
it; everyone hears how it stands; only hosts and co-hosts learn the viewer key; anyone keeps
themselves out, also before it starts; guests cannot switch it; encrypted rooms stay private;
bad commands change nothing."""

from __future__ import annotations

from pathlib import Path

from support.broadcasts import hosted, state_until
from support.visits import visit


async def test_a_host_opens_the_room_to_the_public_and_everyone_hears_it(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host = await hosted(run, "Bürgersprechstunde", "Bürgermeisterin")
        room = created["room"]
        cohost, _ = await run.join(room, "Amtsleiter", hostSecret=created["cohostSecret"])
        await cohost.expect("host_secrets")
        guest, _ = await run.join(room, "Erika")
        assert await guest.nothing_pending(), "nothing is said of a room that is not public"

        await guest.send({"type": "broadcast", "action": "start"})
        await guest.error("not_host")
        assert await guest.nothing_pending(), "a guest's attempt changed nothing"

        await host.send({"type": "broadcast", "action": "start"})
        mine = await host.next_of("broadcast_state")
        theirs = await guest.next_of("broadcast_state")
        cohosts = await cohost.next_of("broadcast_state")
        assert mine["on"] and mine["live"] and mine["viewers"] == 0
        assert len(mine["viewerKey"]) >= 22
        assert cohosts["viewerKey"] == mine["viewerKey"]
        assert "viewerKey" not in theirs, "a guest never learns the viewer link"
        assert theirs == {k: v for k, v in mine.items() if k != "viewerKey"}
        assert mine["viewerKey"] not in room and room not in mine["viewerKey"]

        await host.send({"type": "broadcast", "action": "pause"})
        assert (await guest.next_of("broadcast_state"))["live"] is False
        await cohost.send({"type": "broadcast", "action": "resume"})
        assert (await guest.next_of("broadcast_state"))["live"] is True

        await host.drain()
        await host.send({"type": "broadcast", "action": "new_link"})
        renewed = await host.next_of("broadcast_state")
        assert renewed["viewerKey"] != mine["viewerKey"]

        await guest.drain()
        await host.send({"type": "broadcast", "action": "stop"})
        stopped = await guest.next_of("broadcast_state")
        assert stopped == {
            "type": "broadcast_state",
            "on": False,
            "live": False,
            "viewers": 0,
            "pinned": None,
            "hidden": [],
        }
        assert "viewerKey" not in await host.next_of("broadcast_state")


async def test_a_latecomer_learns_that_the_room_is_public(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host = await hosted(run, "Ratssitzung", "Vorsitz")
        await host.send({"type": "broadcast", "action": "start"})
        key = (await host.next_of("broadcast_state"))["viewerKey"]
        late, joined = await run.join(created["room"], "Ratsmitglied")
        assert joined["type"] == "joined"
        state = await late.next_of("broadcast_state")
        assert state["on"] and "viewerKey" not in state
        # made co-host, the latecomer learns the viewer link at once
        await host.send({"type": "set_role", "id": late.id, "role": "cohost"})
        state = await late.next_of("broadcast_state")
        assert state["viewerKey"] == key


async def test_anyone_keeps_themselves_out_and_cannot_be_pinned_then(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host = await hosted(run, "Gemeinderat", "Vorsitz")
        member, _ = await run.join(created["room"], "Ratsmitglied")
        member_id = member.id
        await host.drain()
        # Said before the room is public: it holds once it is.
        await member.send({"type": "public_consent", "shown": False})
        assert await member.nothing_pending()
        await host.send({"type": "broadcast", "action": "start"})
        state = await member.next_of("broadcast_state")
        assert state["hidden"] == [member_id]
        await host.drain()

        await host.send({"type": "broadcast_pin", "id": member_id})
        await host.error("not_allowed")
        await host.send({"type": "broadcast_pin", "id": "p-nobody"})
        await host.error("unknown_participant")

        await member.send({"type": "public_consent", "shown": True})
        assert (await host.next_of("broadcast_state"))["hidden"] == []
        await member.drain()
        await host.send({"type": "broadcast_pin", "id": member_id})
        assert (await member.next_of("broadcast_state"))["pinned"] == member_id

        # Keeping out ends the pin; leaving ends it too.
        await member.send({"type": "public_consent", "shown": False})
        after = await state_until(host, lambda state: state["hidden"] == [member_id])
        assert after["pinned"] is None
        await member.send({"type": "public_consent", "shown": True})
        await state_until(host, lambda state: state["hidden"] == [])
        await host.send({"type": "broadcast_pin", "id": member_id})
        await state_until(host, lambda state: state["pinned"] == member_id)
        await member.send({"type": "leave"})
        assert (await state_until(host, lambda state: state["pinned"] is None))["on"]


async def test_an_encrypted_room_is_never_public_and_a_public_room_is_not_encrypted(
    tmp_path: Path,
) -> None:
    async with visit(tmp_path) as run:
        _, host = await hosted(run, "Vertraulich", "Vorsitz")
        await host.send({"type": "room_settings", "e2ee": True})
        await host.next_of("room_updated")
        await host.send({"type": "broadcast", "action": "start"})
        await host.error("not_allowed")
        await host.send({"type": "room_settings", "e2ee": False})
        await host.next_of("room_updated")
        await host.send({"type": "broadcast", "action": "start"})
        await host.next_of("broadcast_state")
        await host.send({"type": "room_settings", "e2ee": True})
        await host.error("not_allowed")


async def test_commands_on_a_room_that_is_not_public_and_bad_ones_change_nothing(
    tmp_path: Path,
) -> None:
    async with visit(tmp_path) as run:
        created, host = await hosted(run, "Vereinsabend", "Vorstand")
        guest, _ = await run.join(created["room"], "Mitglied")
        await host.drain()
        for action in ("pause", "resume", "new_link"):
            await host.send({"type": "broadcast", "action": action})
            await host.error("not_allowed")
        await host.send({"type": "broadcast_pin", "id": None})
        await host.error("not_allowed")
        await host.send({"type": "broadcast", "action": "explode"})
        await host.error("bad_message")
        await host.send({"type": "public_consent", "shown": "ja"})
        await host.error("bad_message")
        await host.send({"type": "broadcast", "action": "stop"})
        assert await host.nothing_pending(), "stopping what is not on says nothing"
        assert await guest.nothing_pending(), "nobody else heard any of it"
