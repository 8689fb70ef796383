"""The Opus format parameters of the SFU's answers (RFC 7587, section 6.1).

The SFU never decodes Opus; it only tells each browser, in its answers, how to encode and how
to decode. Speech is the default: mono, the browser's own bitrate, in-band FEC. Music mode
(docs/music-mode.md) asks for stereo at a high bitrate without DTX, and a publisher asks for it
in its offer by declaring that it sends stereo (``sprop-stereo=1``), optionally with the
bitrate it wants (``maxaveragebitrate``). The SFU then answers ``stereo=1`` with a bitrate it
bounds itself, so Chromium's encoder sends two channels at that rate. A subscriber that can
decode two channels says so in its offer (``stereo=1``), and the subscribe answer declares the
forwarded stream stereo (``sprop-stereo=1``) when its publisher sends in music mode.
"""

from __future__ import annotations

from klingel.sfu.sdp import Codec

__all__ = [
    "MUSIC_BITRATE",
    "MUSIC_BITRATE_RANGE",
    "is_music",
    "music_bitrate",
    "publish_parameters",
    "subscribe_parameters",
]

SPEECH_PARAMETERS = "minptime=10;useinbandfec=1"
MUSIC_BITRATE = 128_000
"""Stereo Opus at 128 kbit/s is transparent for instruments and voice in listening tests (the
Opus codec's own recommendation for stereo music is 96-128 kbit/s); above it a pupil's upload
pays for no audible gain."""
MUSIC_BITRATE_RANGE = (32_000, 256_000)
"""What the SFU grants of a publisher's ``maxaveragebitrate``. RFC 7587 allows 6000-510000;
below 32 kbit/s stereo music sounds worse than speech mode, and above 256 kbit/s one publisher
would make every subscriber of the room receive more than a whole camera layer of audio."""
_MAX_DIGITS = 7


def is_music(codec: Codec) -> bool:
    """Whether this Opus offer (or the publisher's codec) declares that it sends stereo."""
    return codec.mime_name == "opus" and codec.parameter("sprop-stereo") == "1"


def music_bitrate(codec: Codec) -> int:
    """The bitrate to grant: the offer's ``maxaveragebitrate`` bounded to
    ``MUSIC_BITRATE_RANGE``, or ``MUSIC_BITRATE`` when it names none or not a plain number."""
    text = codec.parameter("maxaveragebitrate") or ""
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_DIGITS:
        return MUSIC_BITRATE
    low, high = MUSIC_BITRATE_RANGE
    return min(max(int(text), low), high)


def publish_parameters(offered: Codec) -> str:
    """The fmtp of a publish answer: what the publisher's encoder follows."""
    if not is_music(offered):
        return SPEECH_PARAMETERS
    return (
        f"{SPEECH_PARAMETERS};stereo=1;sprop-stereo=1;"
        f"maxaveragebitrate={music_bitrate(offered)};usedtx=0"
    )


def subscribe_parameters(published: Codec) -> str:
    """The fmtp of a subscribe answer for a stream whose publisher negotiated ``published``."""
    if not is_music(published):
        return SPEECH_PARAMETERS
    return f"{SPEECH_PARAMETERS};stereo=1;sprop-stereo=1"
