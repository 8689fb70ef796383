"""Viewers' questions, against the real server over real WebSockets (docs/public-viewing.md):
a question reaches the hosts' inbox and nobody else; hosts mark it answered, show it to the
viewers, and invite the viewer who asked, who then joins once past the lobby and the password;
floods and bad questions are refused and change nothing."""

from __future__ import annotations

from pathlib import Path

from support.broadcasts import public_room, viewer
from support.recording_client import Client
from support.visits import Message, visit


async def inbox_until(host: Client, count: int) -> Message:
    """The hosts' next ``questions`` message with ``count`` questions in it."""
    while len((inbox := await host.next_of("questions"))["items"]) != count:
        pass
    return inbox


async def test_a_question_reaches_the_hosts_and_nobody_else(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host, key = await public_room(run, "Bürgerfragestunde")
        guest, _ = await run.join(created["room"], "Erika")
        asking, _ = await viewer(run, key)
        other, _ = await viewer(run, key)
        text = "Wann wird die <b>Brücke</b> fertig?\nUnd was kostet sie?"
        await asking.send({"type": "question", "text": text, "name": "Anna K."})
        received = await asking.next_of("question_received")
        inbox = await inbox_until(host, 1)
        (item,) = inbox["items"]
        assert item == {
            "id": received["id"],
            "text": text,
            "name": "Anna K.",
            "answered": False,
            "invitable": True,
        }
        assert inbox["shown"] is None
        await guest.drain()
        for frame in guest.frames + other.frames:
            assert "Brücke" not in frame, "a question reaches the hosts only"

        await asking.send({"type": "question", "text": "Noch eine Frage"})
        await asking.error("rate_limited")
        for bad in ({"text": ""}, {"text": "x" * 501}, {"text": "a\u202eb"}, {"name": 5}):
            await other.send({"type": "question", "text": "Frage", **bad})
            assert (await other.next_of("error"))["code"] in ("bad_message", "bad_name")
        await guest.send({"type": "answer_question", "id": received["id"]})
        await guest.error("not_host")


async def test_hosts_answer_show_and_take_back_a_question(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Einwohnerversammlung")
        asking, _ = await viewer(run, key)
        await asking.send({"type": "question", "text": "Gibt es mehr Parkplätze?"})
        question = (await asking.next_of("question_received"))["id"]
        await inbox_until(host, 1)

        await host.send({"type": "show_question", "id": question})
        shown = await asking.next_of("shown_question")
        assert shown == {"type": "shown_question", "text": "Gibt es mehr Parkplätze?", "name": None}
        assert (await host.next_of("questions"))["shown"] == question
        late, _ = await viewer(run, key)
        assert (await late.next_of("shown_question"))["text"] == "Gibt es mehr Parkplätze?"

        await host.send({"type": "answer_question", "id": question})
        assert (await host.next_of("questions"))["items"][0]["answered"] is True
        await host.send({"type": "show_question", "id": None})
        assert await late.next_of("shown_question") == {
            "type": "shown_question",
            "text": None,
            "name": None,
        }
        assert (await host.next_of("questions"))["shown"] is None
        await host.send({"type": "show_question", "id": "q999"})
        await host.error("bad_message")


async def test_an_invited_viewer_joins_once_past_lobby_and_password(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host, key = await public_room(run, "Ratssitzung")
        room = created["room"]
        await host.send({"type": "room_settings", "lobby": True})
        await host.next_of("room_updated")
        await host.send({"type": "set_password", "password": "geheim123"})
        await host.next_of("room_updated")
        asking, _ = await viewer(run, key)
        await asking.send({"type": "question", "text": "Darf ich selbst etwas sagen?"})
        question = (await asking.next_of("question_received"))["id"]
        await inbox_until(host, 1)

        await host.send({"type": "invite_viewer", "id": question})
        invited = await asking.next_of("invited")
        assert invited["room"] == room
        token = invited["invitation"]
        assert len(token) >= 22 and token != key

        guest, joined = await run.join(room, "Frau Yilmaz", invitation=token)
        assert joined["type"] == "joined"
        assert joined["you"]["role"] == "guest"
        _, answer = await run.join(room, "Jemand anderes", invitation=token)
        assert (answer["type"], answer.get("code")) == ("error", "password_required")
        assert guest.id is not None


async def test_a_viewer_who_left_cannot_be_invited(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Sprechstunde")
        asking, _ = await viewer(run, key)
        await asking.send({"type": "question", "text": "Hallo?"})
        question = (await asking.next_of("question_received"))["id"]
        await inbox_until(host, 1)
        await asking.send({"type": "leave"})
        await asking.closed_with()
        assert (await host.next_of("questions"))["items"][0]["invitable"] is False
        await host.send({"type": "invite_viewer", "id": question})
        assert (await host.next_of("error"))["code"] == "unknown_participant"


async def test_the_hosts_learn_when_a_viewer_who_asked_leaves(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Fragestunde")
        asking, _ = await viewer(run, key)
        await asking.send({"type": "question", "text": "Kurze Frage"})
        await asking.next_of("question_received")
        assert (await inbox_until(host, 1))["items"][0]["invitable"] is True
        await asking.socket.close()
        assert (await host.next_of("questions"))["items"][0]["invitable"] is False
