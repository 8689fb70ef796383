"""Dominant speaker detection from RFC 6464 client-to-mixer audio levels.

The level in each audio packet is 0-127 "-dBov" (0 is loudest, 127 silence). Per participant,
the loudness (127 - level) is averaged over each evaluation window and smoothed across windows.
The dominant speaker changes only when someone else has been clearly louder (``margin_db``)
for ``hold`` evaluations in a row, so short noises and overlapping words do not make the
highlight flicker; after ``silence_timeout`` seconds of nobody speaking there is none.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["SpeakerDetector", "SpeakerSettings", "parse_audio_level"]

Key = TypeVar("Key", bound=Hashable)


def parse_audio_level(byte: int) -> int:
    """The level (0-127 -dBov) of an RFC 6464 one-byte element; the top bit is voice activity."""
    return byte & 0x7F


@dataclass(frozen=True, slots=True)
class SpeakerSettings:
    speaking_threshold: float = 127 - 55  # loudness above -55 dBov counts as speech
    margin_db: float = 6.0
    hold: int = 2  # evaluations a challenger must lead
    smoothing: float = 0.5  # weight of the newest window
    silence_timeout: float = 2.0


class _Voice:
    __slots__ = ("loudness_sum", "packets", "smoothed")

    def __init__(self) -> None:
        self.loudness_sum = 0
        self.packets = 0
        self.smoothed = 0.0


class SpeakerDetector(Generic[Key]):
    """Feed ``add_level`` per audio packet and call ``evaluate`` every few hundred ms."""

    def __init__(self, settings: SpeakerSettings | None = None) -> None:
        self._settings = settings or SpeakerSettings()
        self._voices: dict[Key, _Voice] = {}
        self._dominant: Key | None = None
        self._challenger: Key | None = None
        self._challenger_windows = 0
        self._last_speech = -1.0

    @property
    def dominant(self) -> Key | None:
        return self._dominant

    def add_level(self, key: Key, level: int) -> None:
        voice = self._voices.get(key)
        if voice is None:
            voice = self._voices[key] = _Voice()
        voice.loudness_sum += 127 - (level & 0x7F)
        voice.packets += 1

    def remove(self, key: Key) -> None:
        self._voices.pop(key, None)
        if self._challenger == key:
            self._challenger = None
            self._challenger_windows = 0

    def evaluate(self, now: float) -> bool:
        """Close the current window. True when ``dominant`` changed."""
        settings = self._settings
        loudest: Key | None = None
        loudest_level = -1.0
        for key, voice in self._voices.items():
            window = voice.loudness_sum / voice.packets if voice.packets else 0.0
            voice.smoothed += settings.smoothing * (window - voice.smoothed)
            voice.loudness_sum = 0
            voice.packets = 0
            if voice.smoothed >= settings.speaking_threshold and voice.smoothed > loudest_level:
                loudest, loudest_level = key, voice.smoothed
        if loudest is not None:
            self._last_speech = now
        dominant = self._dominant
        if dominant is not None and dominant not in self._voices:
            return self._set(loudest)
        if loudest is None:
            self._challenger = None
            self._challenger_windows = 0
            if dominant is not None and now - self._last_speech >= settings.silence_timeout:
                return self._set(None)
            return False
        if loudest == dominant:
            self._challenger = None
            self._challenger_windows = 0
            return False
        current = self._voices[dominant].smoothed if dominant is not None else 0.0
        defended = dominant is not None and current >= settings.speaking_threshold
        if defended and loudest_level < current + settings.margin_db:
            self._challenger = None
            self._challenger_windows = 0
            return False
        if loudest == self._challenger:
            self._challenger_windows += 1
        else:
            self._challenger = loudest
            self._challenger_windows = 1
        if self._challenger_windows >= settings.hold:
            return self._set(loudest)
        return False

    def _set(self, key: Key | None) -> bool:
        self._challenger = None
        self._challenger_windows = 0
        if key == self._dominant:
            return False
        self._dominant = key
        return True
