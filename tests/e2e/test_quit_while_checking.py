"""End to end: `q` while a big file is being checked exits at once, and no process is left."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.test_tmux import Tmux, save_exit_code, tmux  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def _processes_marked(mark: str) -> list[int]:
    """Pids whose environment carries ``FTUI_TEST_MARK=mark`` (ftui and any child it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"FTUI_TEST_MARK={mark}".encode() in env.split(b"\0"):
            found.append(int(entry.name))
    return found


def test_q_during_a_big_check_exits_and_leaves_no_process(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    big = tmp_path / "big.jsonl"  # over 8 MB: validated by worker processes
    with big.open("w") as fh:
        for i in range(30_000):
            user = {"role": "user", "content": f"What is the weather in city {i}? " * 8}
            answer = {"role": "assistant", "content": "Sun. " * 40}
            fh.write(json.dumps({"messages": [user, answer]}) + "\n")
    mark = uuid.uuid4().hex
    exit_file = tmp_path / "exit"
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"))
    done = f"{save_exit_code(exit_file)}; sleep 60"
    command = (
        f"cd {shlex.quote(str(Path.cwd()))} && env {env} FTUI_TEST_MARK={mark} TERM=xterm-256color "
        f"{shlex.quote(sys.executable)} -m ftui {shlex.quote(str(big))}; {done}"
    )
    tmux.start(command)
    tmux.wait_for("checking", timeout=30)
    deadline = time.monotonic() + 30
    while len(_processes_marked(mark)) < 2 and time.monotonic() < deadline:  # the workers have started
        time.sleep(0.1)
    start = time.monotonic()
    tmux.run("send-keys", "-t", tmux.name, "q")
    while not exit_file.exists() and time.monotonic() - start < 15:
        time.sleep(0.05)
    took = time.monotonic() - start
    assert exit_file.exists() and exit_file.read_text().strip() == "0", tmux.screen()
    assert took < 8, f"q took {took:.1f} s"
    deadline = time.monotonic() + 5
    while _processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_marked(mark) == []  # no worker left behind
