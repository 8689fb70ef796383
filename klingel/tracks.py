"""What a track is, in words every layer shares: its kind and where it comes from.

The protocol (what a browser says), the rooms and the SFU all speak of tracks; these names live
here so that none of them imports another for them.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["MediaKind", "TrackSource"]

MediaKind = Literal["audio", "video"]
TrackSource = Literal["microphone", "camera", "screen"]
