"""End to end, the shell's promises in a real terminal: hostile text is not obeyed, the selected
row is visible, and q, SIGTERM, SIGHUP and a dropped connection all leave the terminal as it was."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.e2e.test_tmux import Tmux
from tests.hostile import write_hostile

STARTUP = 60.0  # seconds to open and check a small file (the tokenizer loads first; CI machines are busy)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]


@pytest.fixture
def term(tmp_path: Path, isolated_env: Path):
    socket = tmp_path / "tmux.sock"
    session = Tmux("ftui-shell", socket)
    yield session
    subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True)


def start(term: Tmux, tmp_path: Path, data: Path | None) -> Path:
    """Run ftui on ``data`` (None: no file) under ``sh``, which says EXITED <code> after it;
    returns the pid file."""
    pid_file = tmp_path / "ftui.pid"
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"))
    # The inner sh writes its pid and becomes ftui (exec): that pid is ftui's.
    ftui = f"{shlex.quote(sys.executable)} -m ftui" + (f" {shlex.quote(str(data))}" if data else "")
    inner = f"echo $$ > {shlex.quote(str(pid_file))}; exec {ftui}"
    command = (
        f"cd {shlex.quote(str(Path.cwd()))} && env {env} TERM=xterm-256color sh -c {shlex.quote(inner)}; "
        "echo EXITED $?; sleep 60"
    )
    term.start(command)
    return pid_file


def pane(term: Tmux, fmt: str) -> str:
    return term.run("display-message", "-p", "-t", term.name, fmt).strip()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def terminal_restored(term: Tmux) -> None:
    """The pane is back on the normal screen, with a cursor and no mouse reporting."""
    assert pane(term, "#{alternate_on}") == "0", "still on the alternate screen"
    assert pane(term, "#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}") == "000", "mouse still reported"
    assert pane(term, "#{cursor_flag}") == "1", "the cursor is still hidden"


def test_hostile_file_cannot_retitle_or_wipe_the_terminal(term: Tmux, tmp_path: Path) -> None:
    data = write_hostile(tmp_path)
    start(term, tmp_path, data)
    title = pane(term, "#{pane_title}")
    # the top bar, with the counts, after validation; the list shows the escapes
    # (once connected: "starting the sandbox…" leaves the name less room)
    screen = term.wait_for("✗ 3  ⚠ 0", "Hi \\x1b[2J there", "sandbox (local)", timeout=STARTUP)
    top = screen.splitlines()[0]  # the name (shortened to fit), as it is: markup and escapes shown
    assert "evil[reverse][@click" in top and "pwned-name\\x07.jsonl │ ✗ 3" in top
    assert "Hi \\x1b[2J there" in screen  # the list shows the escapes
    term.keys("j", "r")  # line 2 (raw bytes, not JSON), in the raw view
    term.wait_for('"\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x0d[bold red]styled[/]')
    term.keys("f")
    term.wait_for("unrecognized_role")
    after = pane(term, "#{pane_title}")
    assert "pwned" not in after and after == title
    assert term.screen().splitlines()[0].startswith(" ftui │ ")  # nothing cleared the screen under it


def background_of(line: str) -> str | None:
    """The first background colour an SGR sequence in ``line`` sets (as "5;N" or "2;R;G;B")."""
    for sgr in re.finditer(r"\x1b\[([0-9;]*)m", line):
        params = sgr.group(1).split(";")
        for i, param in enumerate(params):
            if param == "48" and i + 1 < len(params):
                size = 2 if params[i + 1] == "5" else 4
                return ";".join(params[i + 1 : i + 1 + size])
    return None


def test_the_selected_row_has_its_own_background(term: Tmux, tmp_path: Path) -> None:
    start(term, tmp_path, SAMPLES / "mistakes.jsonl")
    term.wait_for("✗ 17  ⚠ 7", timeout=STARTUP)
    rows = term.run("capture-pane", "-p", "-e", "-t", term.name).splitlines()[3:6]  # list rows 1-3
    first, second, third = (background_of(r) for r in rows)
    assert first and second and first != second and second == third, rows
    term.keys("j")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = term.run("capture-pane", "-p", "-e", "-t", term.name).splitlines()[3:6]
        if background_of(rows[1]) == first:
            break
        time.sleep(0.1)
    assert background_of(rows[1]) == first and background_of(rows[0]) == second, rows


def wait_exited(term: Tmux, pid: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = term.screen()
        if "EXITED" in screen and not alive(pid):
            return screen
        time.sleep(0.05)
    raise AssertionError(f"ftui did not exit within {timeout}s; the screen was:\n{term.screen()}")


def test_q_exits_at_once_and_restores_the_terminal(term: Tmux, tmp_path: Path) -> None:
    pid_file = start(term, tmp_path, SAMPLES / "mistakes.jsonl")
    term.wait_for("✗ 17  ⚠ 7", timeout=STARTUP)
    pid = int(pid_file.read_text())
    term.keys("q")
    screen = wait_exited(term, pid, 5)
    assert "EXITED 0" in screen
    terminal_restored(term)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_restores_the_terminal_and_exits(term: Tmux, tmp_path: Path, sig: signal.Signals) -> None:
    pid_file = start(term, tmp_path, SAMPLES / "mistakes.jsonl")
    term.wait_for("✗ 17  ⚠ 7", timeout=STARTUP)
    pid = int(pid_file.read_text())
    os.kill(pid, sig)
    screen = wait_exited(term, pid, 8)
    assert f"EXITED {128 + sig}" in screen
    assert "ftui │" not in screen  # the app's screen is gone: the shell's is back
    terminal_restored(term)


def test_a_dropped_connection_ends_ftui(term: Tmux, tmp_path: Path) -> None:
    """Closing the terminal (an SSH drop) hangs up ftui's tty: it must end, not linger."""
    pid_file = start(term, tmp_path, SAMPLES / "mistakes.jsonl")
    term.wait_for("✗ 17  ⚠ 7", timeout=STARTUP)
    pid = int(pid_file.read_text())
    term.run("kill-session", "-t", term.name)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)


def test_a_path_typed_at_start_up_goes_to_the_open_dialog(term: Tmux, tmp_path: Path) -> None:
    """No file and nothing recent: the open dialog comes first. A path typed (and Enter) while
    ftui is still starting lands in it, even before ftui has set up the terminal."""
    data = tmp_path / "typed.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", data)
    start(term, tmp_path, None)
    term.run("send-keys", "-t", term.name, str(data), "Enter")  # at once, as a fast typist would
    screen = term.wait_for("✗ 0  ⚠ 0", "What's the weather like in London today?", timeout=STARTUP)
    assert "typed.jsonl" in screen.splitlines()[0]
    assert "What's the weather like in London today?" in screen
