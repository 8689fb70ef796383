"""What outlives the server process: standing rooms, their digests, settings and bans, and
councils and committees with the digests of their members' links.

The store knows nothing of the room domain; the domain converts its rooms to and from the
records here. docs/store.md says what is stored, where, and for how long.
"""

from klingel.store.api import RoomStore, StoreError, StoreErrorCode
from klingel.store.council import CouncilStore, MemberLink, StoredBody
from klingel.store.digests import SecretDigester
from klingel.store.passwords import PasswordDigest, hash_password
from klingel.store.records import RoomDates, StandingRoom, StoredSettings
from klingel.store.sqlite import SqliteRoomStore

__all__ = [
    "CouncilStore",
    "MemberLink",
    "PasswordDigest",
    "RoomDates",
    "RoomStore",
    "SecretDigester",
    "SqliteRoomStore",
    "StandingRoom",
    "StoreError",
    "StoreErrorCode",
    "StoredBody",
    "StoredSettings",
    "hash_password",
]
