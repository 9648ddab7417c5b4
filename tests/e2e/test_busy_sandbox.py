"""End to end: a sandbox holding 200 finished-but-unread jobs never freezes the TUI.

Each tab switch and key press at 80x24 shows on the screen within 0.2 s, while ftui's
embedded sandbox catches those jobs up (it runs on its own thread, not the UI's loop).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.e2e.test_tmux import Tmux, tmux  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

JOBS = 200
LIMIT_S = 0.2


def _fill_sandbox(data_dir: Path) -> None:
    """Create JOBS jobs that end at once and are never read (so nothing has caught them up)."""
    import openai

    server = subprocess.Popen(
        [sys.executable, "-m", "ftui", "sandbox", "serve", "--data-dir", str(data_dir), "--speed", "5000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://"), line
        client = openai.OpenAI(base_url=url, api_key="sandbox", max_retries=5)
        with open(SAMPLES / "weather_jokes.jsonl", "rb") as fh:
            file = client.files.create(file=fh, purpose="fine-tune")
        created = [
            client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id).created_at for _ in range(JOBS)
        ]
        assert len(created) == JOBS
    finally:
        server.terminate()
        server.wait(timeout=20)
    time.sleep(1.0)  # simulated time runs 5000x: every job has ended long before this


def _timed(term: Tmux, key: str, text: str, *, absent: str | None = None) -> float:
    """Seconds from sending ``key`` until ``text`` shows (and ``absent`` does not)."""
    start = time.monotonic()
    term.run("send-keys", "-t", term.name, key)
    deadline = start + 15
    while time.monotonic() < deadline:
        screen = term.screen()
        if text in screen and (absent is None or absent not in screen):
            return time.monotonic() - start
    raise AssertionError(f"{text!r} never appeared after {key!r}:\n{term.screen()}")


def test_tab_switches_and_keys_stay_fast_with_200_unread_jobs(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    data_home = Path(os.environ["XDG_DATA_HOME"])
    _fill_sandbox(data_home / "ftui" / "sandbox")
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"))
    command = (
        f"cd {shlex.quote(str(Path.cwd()))} && env {env} TERM=xterm-256color {shlex.quote(sys.executable)} -m ftui "
        f"{shlex.quote(str(SAMPLES / 'weather_jokes.jsonl'))}"
    )
    tmux.run("new-session", "-d", "-x", "80", "-y", "24", "-s", tmux.name, command)
    tmux.wait_for("weather_jokes.jsonl")
    timings: dict[str, float] = {}
    # Straight away, while the embedded sandbox answers its first list of 200 unread jobs.
    timings["2 (Jobs)"] = _timed(tmux, "2", "Base model")
    timings["1 (Data)"] = _timed(tmux, "1", "x Example", absent="Base model")
    timings["3 (Chat)"] = _timed(tmux, "3", "Enter sends")
    timings["alt+2 (Jobs again, from the message box)"] = _timed(tmux, "M-2", "Base model")
    tmux.wait_for("succeeded", timeout=30)  # the list has arrived
    timings["1 (Data again)"] = _timed(tmux, "1", "x Example", absent="Base model")
    timings["f (findings)"] = _timed(tmux, "f", "Findings (")
    slow = {key: round(t, 3) for key, t in timings.items() if t > LIMIT_S}
    assert not slow, f"keys slower than {LIMIT_S} s: {slow} (all: {timings})"
