"""An unwritable sandbox.log or state folder: one sentence naming the path, never a traceback,
and the command's own work (an upload, a delete) still done and reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.fullfs import read_only_dir
from tests.test_cli_headless import run

JOKES = SAMPLES / "weather_jokes.jsonl"


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "200")


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "Logging error" not in err, err


def test_an_unwritable_sandbox_log_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    log = Path(os.environ["XDG_DATA_HOME"]) / "ftui" / "sandbox" / "sandbox.log"
    log.mkdir(parents=True)  # a folder where the file should be: unwritable, even for root
    code, out, err = run(capsys, "files", "upload", str(JOKES))
    no_traceback(err)
    assert code == 0 and "weather_jokes.jsonl" in out and "processed" in out
    (line,) = [line for line in err.splitlines() if "log" in line]
    assert f"The sandbox cannot write its log {log} (Is a directory); it runs without one." in line


def test_an_unwritable_state_folder_still_reports_the_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sandbox]\ndata_dir = "{tmp_path / "sandbox"}"\n')
    with read_only_dir(tmp_path / "ro") as ro:
        monkeypatch.setenv("XDG_DATA_HOME", str(ro))
        code, out, err = run(capsys, "files", "upload", str(JOKES))
        no_traceback(err)
        assert code == 0 and "weather_jokes.jsonl" in out and "processed" in out
        file_id = out.split()[0]
        notes = [line for line in err.splitlines() if line.startswith("ftui: note:")]
        assert len(notes) == 1 and f"cannot write {ro}" in notes[0]
        assert "will not remember this upload" in notes[0]
        code, out, err = run(capsys, "files", "delete", file_id, "--yes")
        no_traceback(err)
        assert code == 0 and f"{file_id} deleted" in out
