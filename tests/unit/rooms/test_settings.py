from __future__ import annotations

from klingel.rooms.settings import RoomSettings


def test_switches_left_out_stay() -> None:
    settings = RoomSettings(lobby=True, chat_allowed=False)
    assert settings.changed(locked=True) == RoomSettings(
        lobby=True, locked=True, chat_allowed=False
    )
    assert settings.changed() == settings


def test_office_hours_need_the_lobby() -> None:
    on = RoomSettings().changed(office_hours=True)
    assert (on.office_hours, on.lobby) == (True, True)
    off = on.changed(lobby=False)
    assert (off.office_hours, off.lobby) == (False, False)
    # Ending office hours keeps the lobby.
    ended = on.changed(office_hours=False)
    assert (ended.office_hours, ended.lobby) == (False, True)
    # Asking for both at once: office hours win, the lobby stays on.
    both = RoomSettings().changed(office_hours=True, lobby=False)
    assert (both.office_hours, both.lobby) == (True, True)
