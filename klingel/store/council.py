"""What the store keeps of councils and committees (``docs/council.md``), behind one protocol.

A body is kept as its clerk prepared it: a digest of the clerk's secret, the body's document
(its roster, sessions and agendas, as the council domain writes it: the store does not read
it) and, beside it, a digest of each member's personal link, so that a member's link finds
its body and member in one look-up. Names of members are public office holders' names, which
the privacy page says the store keeps; never who was connected from where.

As with rooms, every method is one atomic step, and a body is changed only by compare and
set on its revision: the clerk's page may be open twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from klingel.store.records import check_digest

__all__ = [
    "MAX_BODY_DOCUMENT_BYTES",
    "MAX_BODY_ID_LENGTH",
    "MAX_MEMBER_LINKS",
    "MAX_MINUTES_BYTES",
    "MAX_MINUTES_PER_BODY",
    "CouncilStore",
    "MemberLink",
    "MinutesEntry",
    "StoredBody",
    "StoredMinutes",
]

MAX_BODY_ID_LENGTH = 64
MAX_BODY_DOCUMENT_BYTES = 512 * 1024
"""A roster of 200 and a year of sessions with their agendas fit many times over."""
MAX_MEMBER_LINKS = 200
MAX_MINUTES_PER_BODY = 100
"""Minutes kept per body; a new one past this replaces the oldest."""
MAX_MINUTES_BYTES = 16 * 1024 * 1024
"""Per file (the JSON or the PDF) of one session's minutes."""


@dataclass(frozen=True, slots=True)
class MemberLink:
    """Where a member's personal link leads: the digest of its secret, and whose it is."""

    member_id: str
    digest: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not 0 < len(self.member_id) <= MAX_BODY_ID_LENGTH:
            raise ValueError("a member id is 1 to 64 characters")
        check_digest(self.digest)


@dataclass(frozen=True, slots=True)
class StoredBody:
    """One council or committee. Times are unix seconds; ``revision`` counts updates."""

    body_id: str
    clerk_digest: bytes = field(repr=False)
    document: str = field(repr=False)
    member_links: tuple[MemberLink, ...] = field(repr=False)
    created_at: int
    updated_at: int
    revision: int = 0

    def __post_init__(self) -> None:
        if not 0 < len(self.body_id) <= MAX_BODY_ID_LENGTH:
            raise ValueError("a body id is 1 to 64 characters")
        check_digest(self.clerk_digest)
        if len(self.document.encode("utf-8", "surrogatepass")) > MAX_BODY_DOCUMENT_BYTES:
            raise ValueError("a body's document is at most 512 KiB")
        if len(self.member_links) > MAX_MEMBER_LINKS:
            raise ValueError("a body has at most 200 member links")
        members = {link.member_id for link in self.member_links}
        digests = {link.digest for link in self.member_links}
        if len(members) != len(self.member_links) or len(digests) != len(self.member_links):
            raise ValueError("each member has one link, and each link one member")
        if not all(0 <= n < 2**63 for n in (self.created_at, self.updated_at, self.revision)):
            raise ValueError("times and revision are whole numbers from 0 to 2**63 - 1")


@dataclass(frozen=True, slots=True)
class MinutesEntry:
    """One session's minutes as the clerk's list shows them."""

    body_id: str
    minutes_id: str
    session_id: str
    title: str
    closed_at: int

    def __post_init__(self) -> None:
        for text in (self.body_id, self.minutes_id, self.session_id):
            if not 0 < len(text) <= 2 * MAX_BODY_ID_LENGTH:
                raise ValueError("an id is 1 to 128 characters")
        if not 0 <= self.closed_at < 2**63:
            raise ValueError("a time is a whole number from 0 to 2**63 - 1")


@dataclass(frozen=True, slots=True)
class StoredMinutes:
    """A closed session's minutes, as JSON and as PDF."""

    entry: MinutesEntry
    json: bytes = field(repr=False)
    pdf: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if max(len(self.json), len(self.pdf)) > MAX_MINUTES_BYTES:
            raise ValueError("minutes are at most 16 MiB a file")


class CouncilStore(Protocol):
    """Bodies and their member links. Every method may raise ``StoreError``."""

    async def create_body(self, body: StoredBody) -> bool:
        """Store a new body with its member links; False if the id is taken, or if one of
        its link digests already leads elsewhere (nothing is stored then)."""
        ...

    async def get_body(self, body_id: str) -> StoredBody | None: ...

    async def update_body(self, body: StoredBody, expected_revision: int) -> bool:
        """Compare and set: the document, the clerk digest, the member links (a renewed link
        replaces the old one, which leads nowhere from then on) and ``updated_at``, if the
        stored revision is still ``expected_revision`` and the body was not deleted and made
        anew; the revision becomes ``expected_revision + 1``. False, with nothing written,
        otherwise, or if a link digest already leads to another body."""
        ...

    async def delete_body(self, body_id: str) -> bool:
        """The body and its member links; False if there was none."""
        ...

    async def member_of_link(self, digest: bytes) -> tuple[str, str] | None:
        """The (body id, member id) a member link's digest leads to, or None."""
        ...

    async def add_minutes(self, minutes: StoredMinutes) -> bool:
        """Keep a session's minutes (the body's oldest give way past
        ``MAX_MINUTES_PER_BODY``); False if the body is gone or the id is taken."""
        ...

    async def list_minutes(self, body_id: str) -> list[MinutesEntry]:
        """The body's minutes, newest first."""
        ...

    async def get_minutes(self, body_id: str, minutes_id: str) -> StoredMinutes | None: ...

    async def delete_minutes(self, body_id: str, minutes_id: str) -> bool: ...

    async def delete_minutes_before(self, closed_before: int) -> int:
        """Every body's minutes of sessions closed before that time; how many."""
        ...
