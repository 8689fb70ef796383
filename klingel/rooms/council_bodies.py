"""Councils and committees as the clerk keeps them: the bridge between the council domain and
the store (``docs/council.md``, Who comes in how).

A body is made by the town's IT (``klingel councils create``), which hands its clerk a secret
link. With it the clerk reads and replaces the body's document (roster, sessions, agendas)
and makes or renews each member's personal link. Like host secrets, these secrets are known
to the server only in the moment they are made or presented: the store keeps keyed digests.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from klingel.rooms.council.document import BodyDocument, decode_document, encode_document
from klingel.rooms.council.errors import CouncilCode, CouncilError
from klingel.rooms.council.roster import Body, Member, MemberId, QuorumRule
from klingel.rooms.keys import SECRET_BYTES
from klingel.store import SecretDigester
from klingel.store.council import (
    CouncilStore,
    MemberLink,
    MinutesEntry,
    StoredBody,
    StoredMinutes,
)

__all__ = [
    "BodyAccessError",
    "ClerkView",
    "CouncilBodies",
    "MadeBody",
    "MemberEntry",
]


MINUTES_KEPT_DAYS = 90
"""How long the minutes of a closed session are kept for the clerk (docs/council.md)."""
_SECONDS_PER_DAY = 86_400
_MAX_SECRET_LENGTH = 64
"""Twice what a secret of ours is long: anything longer is not worth a digest."""


class BodyAccessError(CouncilError):
    """A refused request of the clerk's: forbidden, conflict, unknown_member or
    body_unreadable (``CouncilCode``). ``StoreError`` passes."""


@dataclass(frozen=True, slots=True)
class MadeBody:
    body_id: str
    clerk_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ClerkView:
    """What the clerk's page shows: the document, its revision (sent back with a change) and
    which members have a personal link (the links themselves are never shown again)."""

    document: BodyDocument
    revision: int
    linked: frozenset[MemberId]


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """Whom a personal link names: the member, with their body's document as it is now."""

    document: BodyDocument
    member: Member

    @property
    def body(self) -> Body:
        return self.document.body


class CouncilBodies:
    """The council part of the store and the digester of its secrets."""

    __slots__ = ("_digester", "_now", "_store")

    def __init__(
        self,
        store: CouncilStore,
        digester: SecretDigester,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._digester = digester
        self._now = now

    def _time(self) -> int:
        return int(self._now())

    async def create(
        self, body_id: str, name: str, legal_size: int, rule: QuorumRule
    ) -> MadeBody | None:
        """A new body with an empty roster, and its clerk's secret; None if the id is taken.
        ``CouncilError`` if the values break the domain's rules; ``StoreError`` passes."""
        document = BodyDocument(Body(body_id, name, legal_size, rule, ()))
        secret = _new_secret()
        now = self._time()
        stored = StoredBody(
            body_id=document.body.id,
            clerk_digest=self._digester.digest(secret),
            document=encode_document(document),
            member_links=(),
            created_at=now,
            updated_at=now,
        )
        if not await self._store.create_body(stored):
            return None
        return MadeBody(stored.body_id, secret)

    async def delete(self, body_id: str) -> bool:
        return await self._store.delete_body(body_id)

    async def renew_clerk_secret(self, body_id: str) -> str | None:
        """For the town's IT when a clerk's link is lost or leaked: a new secret, the old one
        ends at once; None if there is no such body."""
        for _ in range(3):  # a clerk's change in between is the only reason to try again
            stored = await self._store.get_body(body_id)
            if stored is None:
                return None
            secret = _new_secret()
            renewed = replace(
                stored, clerk_digest=self._digester.digest(secret), updated_at=self._time()
            )
            if await self._store.update_body(renewed, stored.revision):
                return secret
        raise BodyAccessError(CouncilCode.CONFLICT, "The body keeps changing; try again.")

    async def view(self, body_id: str, clerk_secret: str) -> ClerkView:
        stored = await self._clerks_body(body_id, clerk_secret)
        return ClerkView(
            document=_document_of(stored),
            revision=stored.revision,
            linked=frozenset(MemberId(link.member_id) for link in stored.member_links),
        )

    async def replace_document(
        self, body_id: str, clerk_secret: str, document: BodyDocument, revision: int
    ) -> ClerkView:
        """The clerk's new document in place of the one of ``revision``; the links of members
        no longer in the roster end. ``BodyAccessError`` conflict if it changed meanwhile;
        ``CouncilError`` (too_many) if it would not fit the store."""
        stored = await self._clerks_body(body_id, clerk_secret)
        if document.body.id != stored.body_id:
            raise BodyAccessError(CouncilCode.FORBIDDEN, "This is another body's document.")
        if stored.revision != revision:
            raise _conflict()
        links = tuple(link for link in stored.member_links if document.body.has(link.member_id))
        changed = replace(
            stored,
            document=encode_document(document),
            member_links=links,
            updated_at=self._time(),
        )
        if not await self._store.update_body(changed, revision):
            raise _conflict()
        return ClerkView(
            document, revision + 1, frozenset(MemberId(link.member_id) for link in links)
        )

    async def renew_member_link(
        self, body_id: str, clerk_secret: str, member_id: str, revision: int
    ) -> tuple[str, int]:
        """A new personal link secret for the member, and the body's new revision; the
        member's old link, if any, leads nowhere from now on."""
        stored = await self._clerks_body(body_id, clerk_secret)
        if stored.revision != revision:
            raise _conflict()
        if not _document_of(stored).body.has(member_id):
            raise BodyAccessError(CouncilCode.UNKNOWN_MEMBER, "This person is not a member.")
        secret = _new_secret()
        links = tuple(link for link in stored.member_links if link.member_id != member_id)
        links += (MemberLink(member_id, self._digester.digest(secret)),)
        changed = replace(stored, member_links=links, updated_at=self._time())
        if not await self._store.update_body(changed, revision):
            raise _conflict()
        return secret, revision + 1

    async def member_of(self, secret: str) -> MemberEntry | None:
        """Whom a personal link names, or None (unknown, renewed, or the member was removed)."""
        if not secret or len(secret) > _MAX_SECRET_LENGTH:
            return None
        found = await self._store.member_of_link(self._digester.digest(secret))
        if found is None:
            return None
        body_id, member_id = found
        stored = await self._store.get_body(body_id)
        if stored is None:
            return None
        document = _document_of(stored)
        if not document.body.has(member_id):
            return None
        return MemberEntry(document, document.body.member(member_id))

    async def document(self, body_id: str) -> BodyDocument | None:
        """The body's document for the session in its room; None if it does not stand."""
        stored = await self._store.get_body(body_id)
        return None if stored is None else _document_of(stored)

    # --- minutes ------------------------------------------------------------------------

    async def keep_minutes(self, minutes: StoredMinutes) -> bool:
        """A closed session's minutes, for the clerk; False if the body is gone meanwhile."""
        return await self._store.add_minutes(minutes)

    async def minutes_list(self, body_id: str, clerk_secret: str) -> list[MinutesEntry]:
        await self._clerks_body(body_id, clerk_secret)
        return await self._store.list_minutes(body_id)

    async def minutes(self, body_id: str, clerk_secret: str, minutes_id: str) -> StoredMinutes:
        await self._clerks_body(body_id, clerk_secret)
        found = await self._store.get_minutes(body_id, minutes_id)
        if found is None:
            raise BodyAccessError(CouncilCode.UNKNOWN_MINUTES, "There are no such minutes.")
        return found

    async def delete_minutes(self, body_id: str, clerk_secret: str, minutes_id: str) -> None:
        await self._clerks_body(body_id, clerk_secret)
        if not await self._store.delete_minutes(body_id, minutes_id):
            raise BodyAccessError(CouncilCode.UNKNOWN_MINUTES, "There are no such minutes.")

    async def delete_old_minutes(self, days: int = MINUTES_KEPT_DAYS) -> int:
        """Minutes of sessions closed more than ``days`` ago, of every body; how many."""
        return await self._store.delete_minutes_before(self._time() - days * _SECONDS_PER_DAY)

    async def _clerks_body(self, body_id: str, clerk_secret: str) -> StoredBody:
        stored = await self._store.get_body(body_id)
        # The digest is compared even when there is no body, so that timing tells nothing.
        given = self._digester.digest(clerk_secret)
        expected = stored.clerk_digest if stored is not None else bytes(len(given))
        if not hmac.compare_digest(given, expected) or stored is None:
            raise BodyAccessError(CouncilCode.FORBIDDEN, "This clerk link is not valid.")
        return stored


def _new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def _document_of(stored: StoredBody) -> BodyDocument:
    try:
        return decode_document(stored.document)
    except CouncilError as error:
        # Only a file changed from outside gets here; the body is then unusable, not wrong.
        raise BodyAccessError(CouncilCode.UNREADABLE, error.message) from None


def _conflict() -> BodyAccessError:
    return BodyAccessError(
        CouncilCode.CONFLICT, "The body was changed meanwhile: load it again and repeat."
    )
