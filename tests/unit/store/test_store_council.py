from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from klingel.store import MemberLink, RoomStore, SqliteRoomStore, StoredBody, StoreError
from klingel.store.council import (
    MAX_BODY_DOCUMENT_BYTES,
    MAX_MEMBER_LINKS,
    MAX_MINUTES_PER_BODY,
    MinutesEntry,
    StoredMinutes,
)


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def council(body_id: str = "gemeinderat", *links: tuple[str, str]) -> StoredBody:
    return StoredBody(
        body_id=body_id,
        clerk_digest=digest(f"clerk of {body_id}"),
        document='{"name": "Gemeinderat Bühl"}',
        member_links=tuple(MemberLink(member, digest(secret)) for member, secret in links),
        created_at=1_000,
        updated_at=1_000,
    )


async def test_a_body_comes_back_as_stored_with_its_links(store: RoomStore) -> None:
    councils = store.council()
    body = council("gemeinderat", ("m-anna", "anna's link"), ("m-ben", "ben's link"))
    assert await councils.create_body(body)
    assert await councils.get_body("gemeinderat") == body
    assert await councils.member_of_link(digest("ben's link")) == ("gemeinderat", "m-ben")
    assert await councils.member_of_link(digest("nobody's link")) is None
    assert await councils.get_body("bauausschuss") is None


async def test_an_id_is_taken_once(store: RoomStore) -> None:
    councils = store.council()
    assert await councils.create_body(council("gemeinderat", ("m-anna", "a")))
    other = replace(council("gemeinderat", ("m-cem", "c")), document="{}")
    assert not await councils.create_body(other)
    kept = await councils.get_body("gemeinderat")
    assert kept is not None and kept.document != "{}"
    assert await councils.member_of_link(digest("c")) is None  # nothing of the refused one


async def test_a_renewed_link_replaces_the_old_one(store: RoomStore) -> None:
    councils = store.council()
    body = council("gemeinderat", ("m-anna", "old"), ("m-ben", "ben"))
    assert await councils.create_body(body)
    renewed = replace(
        body,
        member_links=(MemberLink("m-anna", digest("new")), MemberLink("m-ben", digest("ben"))),
        updated_at=2_000,
    )
    assert await councils.update_body(renewed, expected_revision=0)
    assert await councils.member_of_link(digest("old")) is None
    assert await councils.member_of_link(digest("new")) == ("gemeinderat", "m-anna")
    stored = await councils.get_body("gemeinderat")
    assert stored is not None and (stored.revision, stored.updated_at) == (1, 2_000)


async def test_an_update_on_a_stale_revision_writes_nothing(store: RoomStore) -> None:
    councils = store.council()
    body = council("gemeinderat", ("m-anna", "a"))
    assert await councils.create_body(body)
    first = replace(body, document='{"v": 1}', member_links=(MemberLink("m-anna", digest("b")),))
    assert await councils.update_body(first, expected_revision=0)
    second = replace(body, document='{"v": 2}', member_links=(MemberLink("m-anna", digest("c")),))
    assert not await councils.update_body(second, expected_revision=0)  # the other page won
    stored = await councils.get_body("gemeinderat")
    assert stored is not None and stored.document == '{"v": 1}'
    assert await councils.member_of_link(digest("b")) == ("gemeinderat", "m-anna")
    assert await councils.member_of_link(digest("c")) is None
    # a body deleted and made anew is not the one an old page read
    assert await councils.delete_body("gemeinderat")
    assert await councils.create_body(replace(body, created_at=5_000))
    assert not await councils.update_body(second, expected_revision=0)


async def test_a_link_never_leads_to_two_bodies(store: RoomStore) -> None:
    councils = store.council()
    assert await councils.create_body(council("gemeinderat", ("m-anna", "shared")))
    assert not await councils.create_body(council("bauausschuss", ("m-ben", "shared")))
    assert await councils.get_body("bauausschuss") is None
    assert await councils.create_body(council("bauausschuss", ("m-ben", "own")))
    clash = council("bauausschuss", ("m-ben", "shared"))
    assert not await councils.update_body(clash, expected_revision=0)
    assert await councils.member_of_link(digest("own")) == ("bauausschuss", "m-ben")
    assert await councils.member_of_link(digest("shared")) == ("gemeinderat", "m-anna")


async def test_deleting_a_body_ends_its_links(store: RoomStore) -> None:
    councils = store.council()
    assert await councils.create_body(council("gemeinderat", ("m-anna", "a")))
    assert await councils.delete_body("gemeinderat")
    assert not await councils.delete_body("gemeinderat")
    assert await councils.get_body("gemeinderat") is None
    assert await councils.member_of_link(digest("a")) is None


async def test_bodies_outlive_the_process(tmp_path: Path) -> None:
    first = await SqliteRoomStore.open(tmp_path / "data")
    body = council("gemeinderat", ("m-anna", "a"))
    assert await first.council().create_body(body)
    await first.close()
    again = await SqliteRoomStore.open(tmp_path / "data")
    try:
        assert await again.council().get_body("gemeinderat") == body
    finally:
        await again.close()
    with pytest.raises(StoreError):
        await first.council().get_body("gemeinderat")  # a closed store says so


async def test_two_racing_creates_of_one_id_give_one_body(store: RoomStore) -> None:
    councils = store.council()
    made = await asyncio.gather(
        *(councils.create_body(council("gemeinderat", (f"m-{i}", f"{i}"))) for i in range(8))
    )
    assert made.count(True) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"body_id": ""},
        {"body_id": "x" * 65},
        {"clerk_digest": b"short"},
        {"document": "x" * (MAX_BODY_DOCUMENT_BYTES + 1)},
        {"member_links": (MemberLink("m-a", digest("1")), MemberLink("m-a", digest("2")))},
        {"member_links": (MemberLink("m-a", digest("1")), MemberLink("m-b", digest("1")))},
        {
            "member_links": tuple(
                MemberLink(f"m-{i}", digest(str(i))) for i in range(MAX_MEMBER_LINKS + 1)
            )
        },
        {"revision": -1},
    ],
)
def test_a_body_that_cannot_be_stored_is_refused_before_the_store(
    change: dict[str, object],
) -> None:
    with pytest.raises(ValueError):
        replace(council("gemeinderat"), **change)  # type: ignore[arg-type]


def test_a_member_link_needs_a_digest_and_an_id() -> None:
    with pytest.raises(ValueError):
        MemberLink("", digest("a"))
    with pytest.raises(ValueError):
        MemberLink("m-anna", b"\x00" * 31)


def minutes(body_id: str, minutes_id: str, closed_at: int) -> StoredMinutes:
    entry = MinutesEntry(body_id, minutes_id, "2026-12-10", "Öffentliche Sitzung", closed_at)
    return StoredMinutes(
        entry, f'{{"id": "{minutes_id}"}}'.encode(), b"%PDF-1.7 " + minutes_id.encode()
    )


async def test_minutes_are_kept_listed_newest_first_and_go_with_their_body(
    store: RoomStore,
) -> None:
    councils = store.council()
    assert not await councils.add_minutes(minutes("gemeinderat", "m1", 100))  # no body yet
    assert await councils.create_body(council("gemeinderat"))
    assert await councils.add_minutes(minutes("gemeinderat", "m1", 100))
    assert await councils.add_minutes(minutes("gemeinderat", "m2", 200))
    assert not await councils.add_minutes(minutes("gemeinderat", "m2", 300))  # id taken
    assert [e.minutes_id for e in await councils.list_minutes("gemeinderat")] == ["m2", "m1"]
    assert await councils.get_minutes("gemeinderat", "m1") == minutes("gemeinderat", "m1", 100)
    assert await councils.get_minutes("ortsrat", "m1") is None
    assert await councils.delete_minutes("gemeinderat", "m1")
    assert not await councils.delete_minutes("gemeinderat", "m1")
    assert await councils.delete_body("gemeinderat")
    assert await councils.list_minutes("gemeinderat") == []


async def test_old_minutes_age_out_and_a_body_keeps_its_newest(store: RoomStore) -> None:
    councils = store.council()
    assert await councils.create_body(council("gemeinderat"))
    for n in range(MAX_MINUTES_PER_BODY + 5):
        assert await councils.add_minutes(minutes("gemeinderat", f"m{n:03d}", 1_000 + n))
    kept = await councils.list_minutes("gemeinderat")
    assert len(kept) == MAX_MINUTES_PER_BODY and kept[-1].minutes_id == "m005"
    assert await councils.delete_minutes_before(1_050) == 45
    assert len(await councils.list_minutes("gemeinderat")) == MAX_MINUTES_PER_BODY - 45
