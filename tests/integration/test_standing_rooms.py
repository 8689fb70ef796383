"""Standing rooms across a restart of the server, over real WebSockets.

Each test runs the app on uvicorn on 127.0.0.1 (with the recording SFU of the signaling tests),
stops it, and starts a new app on the same data directory: what a standing room keeps (its
secrets as digests, its settings, its password, its bans) must be there again, and its typed
name must still be nobody else's.
"""

from __future__ import annotations

from pathlib import Path

from support.visits import created_with_host, visit

PASSWORD = "Geige am Dienstag"


async def test_a_standing_room_keeps_its_host_name_settings_password_and_bans(
    tmp_path: Path,
) -> None:
    async with visit(tmp_path) as first:
        created, host = await created_with_host(first, "Musikschule Geige", "Lehrerin")
        room = created["room"]
        await host.send({"type": "room_settings", "lobby": False, "chatAllowed": False})
        await host.send({"type": "set_password", "password": PASSWORD})
        await host.drain()
        pupil, joined = await first.join(room, "Paul", password=PASSWORD)
        assert joined["type"] == "joined"
        removed_token = joined["resume"]
        await host.send({"type": "remove", "id": pupil.id})
        assert await pupil.closed_with() == (4002, "removed")
        # Removing turned the lobby on; the teacher wants the door open again, screens off.
        await host.send({"type": "room_settings", "lobby": False, "screenShareAllowed": False})
        await host.drain()
        assert not any(frame.startswith('{"type":"error"') for frame in host.frames)

    async with visit(tmp_path) as second:
        # The typed name is still the teacher's.
        taken = await second.create("musikschule geige")
        assert (taken.status_code, taken.json()) == (409, {"error": "room_taken"})
        # Her host link still makes her host, in the room as she left it.
        host, joined = await second.join(room, "Lehrerin", hostSecret=created["hostSecret"])
        assert joined["you"]["role"] == "host"
        settings = joined["room"]
        assert (settings["lobby"], settings["chatAllowed"], settings["screenShareAllowed"]) == (
            False,
            False,
            False,
        )
        assert settings["hasPassword"] is True
        # The removed pupil does not come back with his token.
        _, refused = await second.join(room, "Paul", resume=removed_token, password=PASSWORD)
        assert refused["code"] == "removed"
        # A guest needs the password, as before, and gets in with it.
        _, missing = await second.join(room, "Greta")
        assert missing["code"] == "password_required"
        _, wrong = await second.join(room, "Greta", password="Geige am Mittwoch")
        assert wrong["code"] == "wrong_password"
        guest, joined = await second.join(room, "Greta", password=PASSWORD)
        assert (joined["type"], joined["you"]["role"]) == ("joined", "guest")
        assert (await host.next_of("participant_joined"))["participant"]["id"] == guest.id
        # The co-host link works too, and passes the password like the host's.
        _, joined = await second.join(room, "Conny", hostSecret=created["cohostSecret"])
        assert joined["you"]["role"] == "cohost"
        # Someone else's guess gives nothing.
        _, guessed = await second.join(room, "Mallory", hostSecret="x" * 32, password=PASSWORD)
        assert guessed["you"]["role"] == "guest"


async def test_new_secrets_replace_the_old_ones_for_good(tmp_path: Path) -> None:
    async with visit(tmp_path) as first:
        created, mayor = await created_with_host(first, "Gemeinderat", "Bürgermeisterin")
        room = created["room"]
        cohost, _ = await first.join(room, "Fraktion", hostSecret=created["cohostSecret"])
        await cohost.expect("host_secrets")
        # The mayor hands over: her host link stops making anyone host.
        await mayor.send({"type": "set_role", "id": cohost.id, "role": "host"})
        new_host_secret = (await cohost.next_of("host_secrets"))["secret"]
        assert new_host_secret != created["hostSecret"]
        await mayor.drain()
        await cohost.drain()

    async with visit(tmp_path) as second:
        # The old host link makes her a guest, at the door of the named room's lobby.
        _, old = await second.join(room, "Bürgermeisterin", hostSecret=created["hostSecret"])
        assert old["type"] == "waiting"
        _, new = await second.join(room, "Fraktion", hostSecret=new_host_secret)
        assert new["you"]["role"] == "host"
        _, cohost_again = await second.join(room, "Fraktion 2", hostSecret=created["cohostSecret"])
        assert cohost_again["you"]["role"] == "cohost"


async def test_a_lobby_the_host_left_on_is_on_after_a_restart(tmp_path: Path) -> None:
    async with visit(tmp_path) as first:
        created, host = await created_with_host(first, "Bürgerbüro", "Amtsleiter")
        room = created["room"]
        await host.send({"type": "room_settings", "officeHours": True, "locked": False})
        await host.drain()

    async with visit(tmp_path) as second:
        _, waiting = await second.join(room, "Bürgerin")
        assert waiting == {"type": "waiting", "v": 1, "officeHours": True}
        host, joined = await second.join(room, "Amtsleiter", hostSecret=created["hostSecret"])
        assert joined["room"]["officeHours"] is True
        assert [person["name"] for person in (await host.next_of("lobby"))["waiting"]] == [
            "Bürgerin"
        ]
