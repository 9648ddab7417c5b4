"""End to end in a real terminal (tmux, 80x24): upload a file in the Files tab, download it
(atomically, next to the original without replacing it) and delete it, by keys only."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.e2e.test_tmux import Tmux, save_exit_code, tmux  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


def test_upload_download_and_delete_a_file(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    exit_file = tmp_path / "exit"
    work = tmp_path / "work"
    work.mkdir()
    data = work / "weather_jokes.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", data)
    env = " ".join(
        f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PATH")
    )
    command = (
        f"cd {shlex.quote(str(work))} && env {env} PYTHONPATH={shlex.quote(str(ROOT))} TERM=xterm-256color "
        f"{shlex.quote(sys.executable)} -m ftui weather_jokes.jsonl; {save_exit_code(exit_file)}"
    )
    tmux.start(command)
    tmux.wait_for("✗ 0  ⚠ 0")
    tmux.keys("4")
    tmux.wait_for("No files yet")

    tmux.keys("u")
    tmux.wait_for("Upload a file", "weather_jokes.jsonl")  # the open dataset is offered
    tmux.keys("Enter")
    screen = tmux.wait_for("Uploaded weather_jokes.jsonl as file-", "processed", "Files (1)")
    file_id = screen.split("Uploaded weather_jokes.jsonl as ")[1].split()[0]

    tmux.keys("d")
    tmux.wait_for("Where to save", f"weather_jokes.{file_id}.jsonl")  # the original is never offered for replacing
    tmux.keys("Enter")
    tmux.wait_for(f"Saved {file_id}")
    copy = work / f"weather_jokes.{file_id}.jsonl"
    assert copy.read_bytes() == data.read_bytes()
    assert sorted(p.name for p in work.iterdir()) == sorted([data.name, copy.name])  # no temp file left

    tmux.keys("x")
    tmux.wait_for("Delete this file?")
    tmux.keys("y")
    tmux.wait_for(f"Deleted {file_id}", "No files yet")

    tmux.keys("q")
    deadline = time.monotonic() + 10
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exit_file.read_text().strip() == "0"
