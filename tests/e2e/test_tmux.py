"""End to end: ftui in a real terminal (tmux, 80x24), driven by keys, read from the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


def save_exit_code(exit_file: Path) -> str:
    """Shell that writes the last command's exit code to ``exit_file`` whole (written, then
    renamed), so a test waiting for the file never reads it created but still empty."""
    partial = shlex.quote(f"{exit_file}.partial")
    return f"echo $? > {partial}; mv {partial} {shlex.quote(str(exit_file))}"


class Tmux:
    def __init__(self, name: str, socket: Path) -> None:
        self.name, self.socket = name, socket

    def run(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True, text=True, timeout=10)
        return proc.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        """Send keys in order, with no pause between them: tmux delivers them as typed.

        ``Escape`` is the one key a following key can merge with: a terminal app reads ESC and
        a key right behind it as Alt+key. The test server's escape-time is 0 (``start``), and
        after Escape the driver waits for the screen to show it (bounded: an Escape that
        changes nothing shows nothing), so the next key arrives on its own.
        """
        for key in keys:
            before = self.screen() if key == "Escape" else ""
            self.run("send-keys", "-t", self.name, key)
            if key == "Escape":
                self._wait_change(before, timeout=1.0)

    def _wait_change(self, before: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.screen() == before:
            time.sleep(0.02)

    def start(self, command: str, width: int = 80, height: int = 24) -> None:
        """Open the session running ``command``; the server joins no keys (escape-time 0)."""
        self.run("new-session", "-d", "-x", str(width), "-y", str(height), "-s", self.name, command)
        self.run("set-option", "-s", "escape-time", "0")

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        """The screen once every one of ``texts`` is on it (a dialog may draw in more than one frame)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            time.sleep(0.1)
        missing = [text for text in texts if text not in self.screen()]
        raise AssertionError(f"{missing!r} never appeared; the screen was:\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path: Path, isolated_env: Path):
    socket = tmp_path / "tmux.sock"
    session = Tmux("ftui-e2e", socket)
    yield session
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True)


def test_open_browse_switch_tabs_and_quit(tmux: Tmux, tmp_path: Path) -> None:
    exit_file = tmp_path / "exit"
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"))
    command = (
        f"cd {shlex.quote(str(Path.cwd()))} && env {env} TERM=xterm-256color {shlex.quote(sys.executable)} -m ftui "
        f"{shlex.quote(str(SAMPLES / 'mistakes.jsonl'))}; {save_exit_code(exit_file)}"
    )
    tmux.start(command)

    # validated (counts in the top bar), examples listed, the first shown as a conversation
    tmux.wait_for("✗ 17  ⚠ 7", "mistakes.jsonl", "Weather in Rome?", "SYSTEM")

    tmux.keys("f")
    tmux.wait_for("invalid_json", "mixed_formats", "line 2")  # findings with their lines

    tmux.keys("2")
    tmux.wait_for("Base model")  # the job list's header
    tmux.keys("3")
    tmux.wait_for("Enter sends")  # the chat's message box
    tmux.keys("Escape")  # leave the box: digits switch tabs again
    tmux.keys("4")
    tmux.wait_for("No files yet")  # the Files tab, on the sandbox
    tmux.keys("1")
    tmux.wait_for("Findings (24)")

    tmux.keys("q")
    deadline = time.monotonic() + 10
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exit_file.read_text().strip() == "0"


def test_train_watch_then_chat_with_the_result(tmux: Tmux, tmp_path: Path) -> None:
    """The whole loop at 80x24: new job from the open file, confirm, watch it finish, open it in
    Chat, type a prompt, send, read the trained reply."""
    exit_file = tmp_path / "exit"
    data = tmp_path / "weather_jokes.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", data)
    env = " ".join(
        f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PATH")
    )
    command = (
        f"cd {shlex.quote(str(Path.cwd()))} && env {env} FTUI_SANDBOX_SPEED=200 TERM=xterm-256color "
        f"{shlex.quote(sys.executable)} -m ftui {shlex.quote(str(data))}; {save_exit_code(exit_file)}"
    )
    tmux.start(command)
    tmux.wait_for("✗ 0  ⚠ 0")
    tmux.keys("2")
    tmux.wait_for("No jobs yet")
    tmux.keys("n")
    tmux.wait_for("New fine-tuning job")
    tmux.keys("C-s")
    tmux.wait_for("Start this fine-tuning job?", "14 examples", "≈ $")
    tmux.keys("y")
    tmux.wait_for("✓ succeeded", "ft:gpt-4o-mini", timeout=40)
    tmux.keys("o")
    tmux.wait_for("Enter sends")
    for word in ("Will", "Space", "it", "Space", "snow", "Space", "in", "Space", "Denver?"):
        tmux.keys(word)
    tmux.keys("Enter")
    # the reply's numbers: it is complete
    screen = tmux.wait_for(" s · total ", "You: Will it snow in Denver?", timeout=20)
    assert "snow" in screen.split("You: Will it snow in Denver?", 1)[1]  # the trained answer
    tmux.keys("Escape")
    tmux.keys("q")
    deadline = time.monotonic() + 10
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exit_file.read_text().strip() == "0"
