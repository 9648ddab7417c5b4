"""Shared by the terminal benchmarks: a program in a real 80x24 terminal (tmux), keys in through
tmux (the app's own driver reads them), the screen out, and the floor app they are compared with."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PY = sys.executable

# The floor: a bare Textual app that shows a marker, then a line number that `j` moves.
BARE_TEXTUAL = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    BINDINGS = [("j", "down")]
    line = 1
    def compose(self):
        yield Static("READY-MARKER")
        yield Static(" Line 1", id="line")
    def action_down(self):
        self.line += 1
        self.query_one("#line").update(f" Line {self.line}")
Bare().run()
"""


def bytecode_env(cache: Path) -> dict[str, str]:
    """This environment with Python's compiled bytecode kept in ``cache`` (a fresh directory).

    The first start compiles every module it imports and writes it there (a cold start); later
    starts load it, as an installed copy does (pip compiles at install, and Python writes the
    cache on a program's first run). Without this, an environment that turns bytecode writing
    off (``PYTHONDONTWRITEBYTECODE``, set on some machines and CI images) makes every start
    compile all of ftui from source, about 0.3 s that no user's second start pays."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def bench_home() -> tuple[Path, dict[str, str]]:
    """A scratch home (config, data and state dirs, the bytecode cache) and the environment
    that points at it."""
    home = Path(tempfile.mkdtemp(prefix="ftui-bench-home-"))
    env = bytecode_env(home / "pycache") | {"XDG_CONFIG_HOME": str(home / "c"), "XDG_DATA_HOME": str(home / "d")}
    env |= {"XDG_STATE_HOME": str(home / "s"), "TERM": "xterm-256color"}
    (home / "bare.py").write_text(BARE_TEXTUAL)
    return home, env


class Pane:
    """A program in a fresh 80x24 tmux pane: keys in, the screen out. ``started`` is taken just
    before tmux starts the process, so times from it include the interpreter's own start."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ftui-bench-tmux-"))
        self.tmux = ["tmux", "-S", str(self.dir / "s")]
        self.started = time.perf_counter()
        size = ["-x", "80", "-y", "24"]
        subprocess.run([*self.tmux, "new-session", "-d", *size, "-s", "b", command], env=env, check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout

    def key(self, key: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", "b", key], check=True)

    @property
    def pid(self) -> int:
        out = subprocess.run([*self.tmux, "display", "-p", "-t", "b", "#{pane_pid}"], capture_output=True, text=True)
        return int(out.stdout.strip())

    def wait(self, marker: str, since: float, timeout: float = 30.0) -> float:
        """Seconds from ``since`` until a line matches the regular expression ``marker`` (the
        pane is read every 5 ms)."""
        pattern = re.compile(marker, re.M)
        shown = ""
        while time.perf_counter() - since < timeout:
            shown = self.screen()
            if pattern.search(shown):
                return time.perf_counter() - since
            time.sleep(0.005)
        raise RuntimeError(f"{marker!r} never showed; the screen was:\n{shown}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def first_screen(command: str, marker: str, env: dict[str, str]) -> float:
    """Seconds from starting ``command`` in a fresh 80x24 tmux pane until ``marker`` shows."""
    pane = Pane(command, env)
    try:
        return pane.wait(marker, pane.started)
    finally:
        pane.close()


def key_latencies(pane: Pane, line: int, n: int, pace: float = 0.1) -> tuple[list[float], int]:
    """``j`` ``n`` times, ``pace`` seconds apart, from line ``line``: seconds until each next
    ``Line N`` shows. Returns the latencies and the line reached."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        pane.key("j")
        line += 1
        out.append(pane.wait(rf"^ Line {line}\b", t))
        time.sleep(pace)
    return out, line


def bare_key_latency(env: dict[str, str], home: Path, n: int = 20) -> list[float]:
    """The floor for a key: the bare Textual app moving its line number on ``j``."""
    pane = Pane(f"{PY} {home / 'bare.py'}", env)
    try:
        pane.wait(r"^ Line 1\b", pane.started)
        return key_latencies(pane, 1, n)[0]
    finally:
        pane.close()


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return pids


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and all its descendants, summed (MB)."""
    total = 0
    for p in _tree(pid):
        try:
            for row in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if row.startswith("Pss:"):
                    total += int(row.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakPss:
    """Samples a process tree's summed PSS every ``every`` seconds on a thread; ``peak`` is the largest."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, tree_pss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak
