"""``klingel serve`` and its room store at start-up: a store that cannot be used stops the
start with one sentence and an exit status of its own, before anything else runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from klingel.cli import EXIT_STORE_FAILED, main
from klingel.store.sqlite import DATABASE_FILE_NAME


def test_a_damaged_store_stops_the_start_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / DATABASE_FILE_NAME).write_bytes(b"not a room store\n" * 512)
    status = main(["serve", "--data-dir", str(tmp_path), "--log-level", "error"])
    assert status == EXIT_STORE_FAILED
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"klingel serve: the room store in {tmp_path} cannot be used")
    assert "(store_corrupt)" in err


def test_a_data_dir_that_cannot_be_made_stops_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the data directory cannot be made below a file\n")
    status = main(["serve", "--data-dir", str(blocker / "data"), "--log-level", "error"])
    assert status == EXIT_STORE_FAILED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(store_unavailable)" in err


def test_the_exit_status_is_its_own() -> None:
    # 1: uvicorn's failures, 2: bad flags, 3: uvicorn's failed start-up.
    assert EXIT_STORE_FAILED not in {0, 1, 2, 3}
