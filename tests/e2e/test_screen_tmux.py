"""End to end at 80x24 in a real terminal: findings grouped with counts, help that scrolls to
its last key, and the open-file dialog filtering as you type (issue 23)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.e2e.test_tmux import Tmux, tmux  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


def test_findings_help_and_open_dialog_at_80x24(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"))
    command = (
        f"cd {shlex.quote(str(Path.cwd()))} && env {env} TERM=xterm-256color {shlex.quote(sys.executable)} -m ftui "
        f"{shlex.quote(str(SAMPLES / 'mistakes.jsonl'))}"
    )
    tmux.start(command)
    tmux.wait_for("✗ 17  ⚠ 7", "r Raw")  # validated; Raw is in the footer at 80 columns

    tmux.keys("f", "o")
    tmux.wait_for("✗ data_type  1 finding", "✗ invalid_json  1 finding")  # each group with its count

    tmux.keys("?")
    tmux.wait_for("Findings", "Esc Close help")  # the focused pane's help first
    tmux.keys("G")
    tmux.wait_for("• q Quit", "Open the command palette")  # scrolled to its last line (the keys)
    tmux.keys("Escape")
    tmux.wait_for("o Group")

    tmux.keys("C-o")
    tmux.wait_for("Open a JSONL training file", "tab Complete")
    for key in "jokes":
        tmux.keys(key)
    tmux.wait_for("sample_data/weather_jokes.jsonl")
    deadline = time.monotonic() + 20
    while "sample_data/dpo.jsonl" in tmux.screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "sample_data/dpo.jsonl" not in tmux.screen()  # the list keeps only the matches
    tmux.keys("Escape")
    tmux.wait_for("o Group")
