"""The switches hosts set on a room, and how office hours and the lobby go together."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["RoomSettings"]


@dataclass(frozen=True, slots=True)
class RoomSettings:
    lobby: bool = False
    locked: bool = False
    office_hours: bool = False
    screen_share_allowed: bool = True
    chat_allowed: bool = True
    unmute_allowed: bool = True
    e2ee: bool = False
    """Media must be encrypted end to end in the browsers (docs/e2ee.md)."""

    def changed(
        self,
        *,
        lobby: bool | None = None,
        locked: bool | None = None,
        office_hours: bool | None = None,
        screen_share_allowed: bool | None = None,
        chat_allowed: bool | None = None,
        unmute_allowed: bool | None = None,
        e2ee: bool | None = None,
    ) -> RoomSettings:
        """These settings with the given switches changed (None: unchanged).

        Office hours are a lobby that works as a queue: switching them on turns the lobby on,
        switching the lobby off ends them.
        """
        result = replace(
            self,
            lobby=self.lobby if lobby is None else lobby,
            locked=self.locked if locked is None else locked,
            office_hours=self.office_hours if office_hours is None else office_hours,
            screen_share_allowed=(
                self.screen_share_allowed if screen_share_allowed is None else screen_share_allowed
            ),
            chat_allowed=self.chat_allowed if chat_allowed is None else chat_allowed,
            unmute_allowed=self.unmute_allowed if unmute_allowed is None else unmute_allowed,
            e2ee=self.e2ee if e2ee is None else e2ee,
        )
        if office_hours:
            result = replace(result, lobby=True)
        elif lobby is False:
            result = replace(result, office_hours=False)
        return result
