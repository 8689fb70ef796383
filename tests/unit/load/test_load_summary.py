"""The run's figures from the participants' results, and the command's bounds."""

from __future__ import annotations

import pytest

from klingel.load.cli import main
from klingel.load.group import ParticipantResult, StreamResult
from klingel.load.summary import percentile, summarize


def stream(
    kind: str, packets: int, size: int, expected: int, lost: int, switches: int = 0
) -> StreamResult:
    return StreamResult("s", kind, packets, size, expected, lost, switches, 1, None)


def result(
    name: str, streams: tuple[StreamResult, ...], join: float | None = 0.2, error: str | None = None
) -> ParticipantResult:
    return ParticipantResult(name, True, error, join, 10.0, 0, streams)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.5) == 10.0
    assert percentile([3.0], 0.95) == 3.0


def test_summary_counts_download_loss_and_failures() -> None:
    results = [
        result("Load 1", (stream("video", 100, 125_000, 100, 0, 2), stream("audio", 50, 0, 52, 2))),
        result("Load 2", (stream("video", 0, 0, 0, 0), stream("audio", 40, 25_000, 40, 0))),
        result("Load 3", (), join=None, error="SignalingError('room_full')"),
    ]
    summary = summarize(results)
    assert (summary["participants"], summary["joined"], summary["failed"]) == (3, 3, 1)
    first, second, _third = summary["subscribers"]
    assert first["download_kbit_s"] == 100.0  # 125,000 bytes in 10 s
    assert first["loss_percent"] == round(100 * 2 / 152, 3)
    assert (first["video_receiving"], first["audio_receiving"], first["layer_switches"]) == (
        1,
        1,
        2,
    )
    assert (second["video_receiving"], second["loss_percent"]) == (0, 0.0)
    assert summary["download_kbit_s"]["max"] == 100.0
    assert summary["join_ms"]["median"] == 200.0


@pytest.mark.parametrize(
    "arguments",
    [
        ["--participants", "201", "--duration", "5"],
        ["--participants", "0", "--duration", "5"],
        ["--participants", "3"],
        ["--participants", "3", "--duration", "0"],
    ],
)
def test_the_command_refuses_unbounded_runs(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["http://127.0.0.1:9", "--room", "r", *arguments])
    assert raised.value.code == 2
