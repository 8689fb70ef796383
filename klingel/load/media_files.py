"""Pre-encoded media for load participants: VP8 in IVF for each simulcast layer, Opus in Ogg.

The files are made once with ffmpeg (libvpx, libopus) and cached in a directory the caller
chooses; a file that exists is used as it is. Every video layer has a keyframe each second, so
a subscriber or a layer switch waits at most a second for its picture, and a keyframe request
can be answered by jumping to the next one in the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AUDIO_FILE", "SIMULCAST_LAYERS", "LayerSpec", "MediaSet", "ensure_media"]


@dataclass(frozen=True, slots=True)
class LayerSpec:
    rid: str
    width: int
    height: int
    fps: int
    kbit_per_second: int

    @property
    def file_name(self) -> str:
        return f"vp8-{self.width}x{self.height}-{self.fps}fps-{self.kbit_per_second}k.ivf"


SIMULCAST_LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec("q", 320, 180, 15, 150),
    LayerSpec("h", 640, 360, 30, 500),
    LayerSpec("f", 1280, 720, 30, 1500),
)
"""Smallest first, as a browser lists its encodings; ``q``/``h``/``f`` as in the SDP."""

AUDIO_FILE = "opus-20ms-32k.ogg"
_SECONDS = 10
_TIMEOUT = 300


@dataclass(frozen=True, slots=True)
class MediaSet:
    video: tuple[Path, ...]  # one IVF per layer of SIMULCAST_LAYERS
    audio: Path


def ensure_media(directory: Path) -> MediaSet:
    """The media files in ``directory``, made first if missing (a few seconds of ffmpeg)."""
    directory.mkdir(parents=True, exist_ok=True)
    video = []
    for index, layer in enumerate(SIMULCAST_LAYERS):
        path = directory / layer.file_name
        if not path.exists():
            _run_ffmpeg(_video_arguments(layer, index), path)
        video.append(path)
    audio = directory / AUDIO_FILE
    if not audio.exists():
        _run_ffmpeg(_audio_arguments(), audio)
    return MediaSet(tuple(video), audio)


def _video_arguments(layer: LayerSpec, index: int) -> list[str]:
    rate = f"{layer.kbit_per_second}k"
    return [
        "-f",
        "lavfi",
        # a different picture per layer, so a layer switch is visible in a recording
        "-i",
        f"testsrc2=size={layer.width}x{layer.height}:rate={layer.fps},hue=h={index * 120}",
        "-t",
        str(_SECONDS),
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        rate,
        "-minrate",
        rate,
        "-maxrate",
        rate,
        "-g",
        str(layer.fps),
        "-keyint_min",
        str(layer.fps),
        "-pix_fmt",
        "yuv420p",
        "-f",
        "ivf",
    ]


def _audio_arguments() -> list[str]:
    return [
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(_SECONDS),
        "-c:a",
        "libopus",
        "-b:a",
        "32k",
        "-frame_duration",
        "20",
        "-ac",
        "2",
        "-f",
        "ogg",
    ]


def _run_ffmpeg(arguments: list[str], path: Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is needed to make the load media (Debian package ffmpeg)")
    # Written aside and renamed, so a crash or a parallel process never sees half a file.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    command = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", *arguments, str(partial)]
    subprocess.run(command, check=True, timeout=_TIMEOUT)
    partial.replace(path)
