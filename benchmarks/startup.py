"""Benchmark: how fast ftui starts, each figure against its floor measured in the same run.

Usage: python benchmarks/startup.py [--runs 7] [--examples 100000] [--no-tui]

- ``ftui --help`` vs ``python -c "import argparse"`` (goal: within 6x)
- ``ftui validate`` on the 14-line sample vs loading tiktoken with one bundled encoding
  (import, read the ranks, build the Encoding; goal: within 1.6x)
- the TUI: from process start to the first screen of the 100k-example file with its rows drawn,
  in a real terminal (tmux, 80x24), vs a bare Textual app drawing one line the same way
  (goal: under 1 s)
- the TUI's keys in that terminal: ``j`` sent through tmux at a person's pace, timed until the
  example pane shows the next line, while the file is still being checked (on every core, at
  low priority) and again once it is checked; the floor is the bare Textual app moving a line
  number on ``j``, timed the same way (tmux's own send and read are in every figure)

Each pair runs interleaved, ``--runs`` times; medians are reported.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
SAMPLE = ROOT / "sample_data" / "weather_jokes.jsonl"

TIKTOKEN_FLOOR = """
import tiktoken
from tiktoken.load import load_tiktoken_bpe
from ftui.data.tokens import ENCODINGS_DIR, _PATTERNS, _SPECIAL
ranks = load_tiktoken_bpe(str(ENCODINGS_DIR / "o200k_base.tiktoken"))
tiktoken.Encoding(name="o200k_base", pat_str=_PATTERNS["o200k_base"], mergeable_ranks=ranks,
                  special_tokens=_SPECIAL["o200k_base"])
"""

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


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def paired(a: list[str], b: list[str], runs: int) -> tuple[float, float]:
    """Medians of ``a`` and ``b``, run alternately (after one warm-up each: the page cache)."""
    wall(a), wall(b)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(wall(a))
        tb.append(wall(b))
    return statistics.median(ta), statistics.median(tb)


class Pane:
    """A program in a fresh 80x24 tmux pane: keys in, the screen out."""

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

    def wait(self, marker: str, since: float, timeout: float = 30.0) -> float:
        """Seconds from ``since`` until a line matches the regular expression ``marker`` (the
        pane is read every 5 ms)."""
        pattern = re.compile(marker, re.M)
        while time.perf_counter() - since < timeout:
            shown = self.screen()
            if pattern.search(shown):
                return time.perf_counter() - since
            time.sleep(0.005)
        raise RuntimeError(f"{marker!r} never showed; the screen was:\n{shown}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def tmux_first_screen(command: str, marker: str, env: dict[str, str]) -> float:
    """Seconds from starting ``command`` in a fresh 80x24 tmux pane until ``marker`` shows."""
    pane = Pane(command, env)
    try:
        return pane.wait(marker, pane.started)
    finally:
        pane.close()


def key_latencies(pane: Pane, line: int, n: int) -> tuple[list[float], int]:
    """``j`` ``n`` times at a person's pace from line ``line``; seconds until each next line shows."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        pane.key("j")
        line += 1
        out.append(pane.wait(rf"^ Line {line}\b", t))
        time.sleep(0.1)
    return out, line


def tui_keys(path: Path, env: dict[str, str], n: int = 20) -> tuple[float, float, bool]:
    """Median key latency while the file is checked, and once it is (same process)."""
    pane = Pane(f"{PY} -m ftui {path}", env)
    try:
        pane.wait(r"^ Line 1\b", pane.started)
        busy, line = key_latencies(pane, 1, n)
        still_checking = "checking" in pane.screen()
        pane.wait(r"✗ [\d,]+  ⚠ [\d,]+\s*$", time.perf_counter(), timeout=300)  # checked
        idle, _ = key_latencies(pane, line, n)
    finally:
        pane.close()
    return statistics.median(busy), statistics.median(idle), still_checking


def tui(runs: int, examples: int) -> tuple[float, float, float, float, bool, float]:
    sys.path.insert(0, str(HERE))
    from validate import DATA, dataset  # the benchmark's own data generator

    DATA.mkdir(parents=True, exist_ok=True)
    path = dataset(DATA, examples)
    home = Path(tempfile.mkdtemp(prefix="ftui-bench-home-"))
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "c"), "XDG_DATA_HOME": str(home / "d")}
    env |= {"XDG_STATE_HOME": str(home / "s"), "TERM": "xterm-256color"}
    bare = home / "bare.py"
    bare.write_text(BARE_TEXTUAL)
    # Drawn: the example list's first row shows line 1's number and its first user words.
    first_row = r"^.{0,3}\s+1\s.*\s[A-Za-z]{3,}"
    ftui = f"{PY} -m ftui {path}"
    ours, floor = [], []
    tmux_first_screen(ftui, first_row, env)  # warm the page cache
    for _ in range(runs):
        ours.append(tmux_first_screen(ftui, first_row, env))
        floor.append(tmux_first_screen(f"{PY} {bare}", "READY-MARKER", env))
    busy, idle, checking = tui_keys(path, env)
    pane = Pane(f"{PY} {bare}", env)
    try:
        pane.wait(r"^ Line 1\b", pane.started)
        bare_keys = statistics.median(key_latencies(pane, 1, 20)[0])
    finally:
        pane.close()
    shutil.rmtree(home, ignore_errors=True)
    return statistics.median(ours), statistics.median(floor), busy, idle, checking, bare_keys


def report(what: str, ours: float, baseline: str, floor: float, goal: str) -> None:
    print(f"{what:34} {ours * 1000:6.0f} ms   {baseline:22} {floor * 1000:6.0f} ms   {ours / floor:4.1f}x ({goal})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--no-tui", action="store_true", help="skip the TUI figure (needs tmux)")
    args = parser.parse_args()

    ours, floor = paired([PY, "-m", "ftui", "--help"], [PY, "-c", "import argparse"], args.runs)
    report("ftui --help", ours, "import argparse", floor, "goal 6x")
    ours, floor = paired([PY, "-m", "ftui", "validate", str(SAMPLE)], [PY, "-c", TIKTOKEN_FLOOR], args.runs)
    report("ftui validate, 14 lines", ours, "tiktoken + 1 encoding", floor, "goal 1.6x")
    if not args.no_tui and shutil.which("tmux"):
        ours, floor, busy, idle, checking, bare_keys = tui(max(3, args.runs // 2), args.examples)
        report(f"TUI first screen, {args.examples:,} examples", ours, "a bare Textual app", floor, "goal < 1 s")
        note = "" if checking else " (the check ended before the last key)"
        report("TUI key (j), while checking" + note, busy, "bare Textual app key", bare_keys, "goal < 50 ms")
        report("TUI key (j), once checked", idle, "bare Textual app key", bare_keys, "")


if __name__ == "__main__":
    main()
