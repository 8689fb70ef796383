"""Viewers of a public broadcast, against the real server over real WebSockets
(docs/public-viewing.md): a viewer link lets in to watch and nothing else; the participants
hear how many watch, never who; pausing, a new link, stopping and the meeting's end reach the
viewers; wrong and old links, a full server and one address holding too many viewers are
refused, and the meeting notices none of it."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from support.broadcasts import public_room, state_until, viewer
from support.visits import SETTINGS, visit

from klingel.rooms.broadcast import new_viewer_key
from klingel.web.broadcasting import VIEWER_COUNT_INTERVAL_SECONDS, VIEWERS_PER_ADDRESS


async def test_a_viewer_watches_and_the_room_hears_how_many_but_not_who(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host, key = await public_room(run, "Neujahrsansprache")
        guest, _ = await run.join(created["room"], "Erika")
        first, answer = await viewer(run, key)
        assert answer == {"type": "watching", "v": 1, "live": True, "iceServers": []}
        assert (await state_until(guest, lambda s: s["viewers"] == 1))["on"]
        second, _ = await viewer(run, key)
        await state_until(host, lambda s: s["viewers"] == 2)
        await first.send({"type": "leave"})
        await first.closed_with()
        await second.socket.close()
        await state_until(guest, lambda s: s["viewers"] == 0)
        # Nothing of the viewers reached the meeting but their number.
        for frame in guest.frames + host.frames:
            assert "watch" not in frame or "broadcast_state" in frame


async def test_a_viewer_only_watches(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        created, host, key = await public_room(run, "Ratssitzung")
        watcher, _ = await viewer(run, key)
        for message in (
            {"type": "chat", "text": "Hallo"},
            {"type": "hand", "raised": True},
            {"type": "media_state", "audio": True, "video": True},
            {"type": "public_consent", "shown": False},
            {"type": "broadcast", "action": "stop"},
        ):
            await watcher.send(message)
            await watcher.error("not_allowed")
        await watcher.send({"type": "join", "v": 1, "room": created["room"], "name": "Eve"})
        await watcher.error("not_allowed")
        await watcher.send({"type": "watch", "v": 1, "key": key})
        await watcher.error("already_joined")
        assert await watcher.nothing_pending()
        await host.drain()
        assert await host.nothing_pending(), "the meeting heard none of it"
        assert len([p for p in (await run.join(created["room"], "Probe"))[1]["participants"]]) == 1


async def test_pause_resume_new_link_and_stop_reach_the_viewers(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Bürgerversammlung")
        watcher, _ = await viewer(run, key)
        await host.send({"type": "broadcast", "action": "pause"})
        assert await watcher.expect("broadcast_live") == {"type": "broadcast_live", "live": False}
        late, answer = await viewer(run, key)
        assert answer["live"] is False, "who comes while paused hears it at once"
        await host.send({"type": "broadcast", "action": "resume"})
        assert (await watcher.expect("broadcast_live"))["live"] is True

        await host.send({"type": "broadcast", "action": "new_link"})
        assert (await watcher.expect("broadcast_ended"))["type"] == "broadcast_ended"
        assert await watcher.closed_with() == (4002, "broadcast_ended")
        await late.next_of("broadcast_ended")
        renewed = await state_until(host, lambda s: s.get("viewerKey") not in (None, key))
        old, refused = await viewer(run, key)
        assert (refused["type"], refused["code"]) == ("error", "unknown_broadcast")
        assert await old.closed_with() == (4000, "unknown_broadcast")

        again, answer = await viewer(run, str(renewed["viewerKey"]))
        assert answer["type"] == "watching"
        await host.send({"type": "broadcast", "action": "stop"})
        await again.next_of("broadcast_ended")
        assert await again.closed_with() == (4002, "broadcast_ended")
        _, refused = await viewer(run, str(renewed["viewerKey"]))
        assert refused["code"] == "unknown_broadcast"


async def test_the_broadcast_ends_with_the_meeting(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Sprechstunde")
        watcher, _ = await viewer(run, key)
        await host.send({"type": "end_meeting"})
        await watcher.next_of("broadcast_ended")
        assert await watcher.closed_with() == (4002, "broadcast_ended")

        _, host, key = await public_room(run, "Vereinsabend")
        watcher, _ = await viewer(run, key)
        await host.send({"type": "leave"})
        await watcher.next_of("broadcast_ended")
        _, refused = await viewer(run, key)
        assert refused["code"] == "unknown_broadcast"


async def test_wrong_keys_are_refused_and_change_nothing(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Haushaltsrede")
        near_miss = key[:-2] + ("xx" if not key.endswith("xx") else "yy")
        for wrong in (new_viewer_key(), near_miss, "k" * 16):
            client, refused = await viewer(run, wrong)
            assert (refused["type"], refused["code"]) == ("error", "unknown_broadcast")
            assert await client.closed_with() == (4000, "unknown_broadcast")
        for malformed in ("", "short", "x" * 65):
            client, refused = await viewer(run, malformed)
            assert refused["code"] == "bad_message"
        assert await host.nothing_pending()
        assert (await viewer(run, key))[1]["type"] == "watching"


async def test_a_full_server_refuses_viewers_and_the_meeting_goes_on(tmp_path: Path) -> None:
    async with visit(tmp_path, replace(SETTINGS, max_viewers=2)) as run:
        created, host, key = await public_room(run, "Stadtfest")
        guest, _ = await run.join(created["room"], "Erika")
        await viewer(run, key)
        await viewer(run, key)
        third, refused = await viewer(run, key)
        assert (refused["type"], refused["code"]) == ("error", "server_full")
        assert await third.closed_with() == (4000, "server_full")
        await guest.drain()
        await host.send({"type": "chat", "text": "Weiter geht's"})
        assert (await guest.next_of("chat"))["text"] == "Weiter geht's"


async def test_one_address_holds_a_bounded_number_of_viewers(tmp_path: Path) -> None:
    async with visit(tmp_path) as run:
        _, host, key = await public_room(run, "Livestream")
        started = time.monotonic()
        for _ in range(VIEWERS_PER_ADDRESS):
            assert (await viewer(run, key))[1]["type"] == "watching"
        _, refused = await viewer(run, key)
        assert (refused["type"], refused["code"]) == ("error", "rate_limited")
        await state_until(host, lambda s: s["viewers"] == VIEWERS_PER_ADDRESS)
        # A crowd arriving reaches the meeting as a count, at most once a second.
        elapsed = time.monotonic() - started
        counts = [frame for frame in host.frames if '"broadcast_state"' in frame]
        assert len(counts) <= 1 + elapsed / VIEWER_COUNT_INTERVAL_SECONDS + 1, (
            len(counts),
            elapsed,
        )
