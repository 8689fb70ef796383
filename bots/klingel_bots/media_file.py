"""Pre-encoded test media for synthetic publishers, and a steady voice for a browser's fake
microphone.

A bot that sends a pre-encoded VP8 + Opus file does not encode, so dozens fit on one core. It
cannot make a keyframe on request, so the file has a short keyframe interval: a new subscriber
waits at most ``keyframe_interval`` frames for its first picture.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["make_test_media", "make_voice"]


def make_test_media(
    path: Path,
    *,
    seconds: int = 60,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    keyframe_interval: int = 20,
) -> Path:
    """Write a WebM of a moving test pattern (VP8) and a sine tone (Opus) to ``path``.

    Does nothing when the file already exists, so a caller may cache it.
    """
    if path.exists():
        return path
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is needed to make test media (Debian package ffmpeg)")
    partial = path.with_name(path.name + ".partial.webm")
    command = [
        ffmpeg,
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={width}x{height}:rate={fps}",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(seconds),
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "300k",
        "-g",
        str(keyframe_interval),
        "-keyint_min",
        str(keyframe_interval),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
        "-b:a",
        "32k",
        "-ac",
        "2",
        "-ar",
        "48000",
        str(partial),
    ]
    subprocess.run(command, check=True, timeout=300)
    partial.replace(path)
    return path


def make_voice(path: Path, *, seconds: int = 30) -> Path:
    """A steady tone as a WAV file, for Chromium's ``--use-file-for-fake-audio-capture``
    (which plays it in a loop): a participant who speaks all the time, loud enough to be
    the active speaker (Chromium's own fake microphone only beeps now and then)."""
    if path.exists():
        return path
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is needed to make test media (Debian package ffmpeg)")
    partial = path.with_name(path.name + ".partial.wav")
    command = [
        ffmpeg, "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={seconds}",
        "-ac", "1", "-c:a", "pcm_s16le", str(partial),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=60)
    partial.replace(path)
    return path
