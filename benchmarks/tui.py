"""Benchmark: the Data tab on the 100k-example file of benchmarks/validate.py, in a real terminal.

Usage: python benchmarks/tui.py [--examples N] [--keys 20] [--starts 5]

ftui is started as a user starts it (``python -m ftui FILE``) in a fresh 80x24 tmux pane; keys
go in through tmux (ftui's own driver reads them from the terminal) and the screen is read
back every 5 ms. Times run from process start, or from the key to the screen that shows its
result. In the same run, the floors: a bare Textual app started and keyed the same way, and
``ftui validate`` (the CLI) checking the same file.

- first screen, rows drawn, from process start (goal: under 1 s): the median of ``--starts``
  starts alternating with the bare app's, after a first start that compiles the bytecode
  (shown too: the first start ever)
- ``j`` at a person's pace (every 0.1 s) while the file is still being checked, until the
  example pane shows the next line (goal: median under 50 ms)
- ``G`` to the last example shown (goal: under 0.2 s)
- the check: process start to the counts in the status bar, against ``ftui validate`` on the
  CLI (the TUI checks on every core at low priority)
- ``j`` again once the file is checked
- peak memory of the whole process tree (the TUI and its checking workers), summed PSS
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from terminal import PY, Pane, PeakPss, bare_key_latency, bench_home, first_screen, key_latencies  # noqa: E402

FIRST_ROW = r"^.{0,3}\s+1\s.*\s[A-Za-z]{3,}"  # the list's first row: its number and first user words
CHECKED = r"✗ [\d,]+  ⚠ [\d,]+\s*$"  # the status bar's counts, shown once the check is done


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=20, help="keys timed in each phase")
    parser.add_argument("--starts", type=int, default=5, help="first screens timed (the median is shown)")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        sys.exit("this benchmark needs tmux")
    from validate import DATA, dataset  # the same seeded file as the validate benchmark

    DATA.mkdir(parents=True, exist_ok=True)
    path = dataset(DATA, args.examples)
    home, env = bench_home()
    command, bare = f"{PY} -m ftui {path}", f"{PY} {home / 'bare.py'}"
    # The very first start compiles every module (see terminal.bytecode_env) and warms the page
    # cache; then first screens of ftui and of the bare app alternate.
    cold = first_screen(command, FIRST_ROW, env)
    first_screen(bare, "READY-MARKER", env)
    starts, bare_starts = [], []
    for _ in range(args.starts):
        starts.append(first_screen(command, FIRST_ROW, env))
        bare_starts.append(first_screen(bare, "READY-MARKER", env))

    pane = Pane(command, env)
    try:
        pane.wait(FIRST_ROW, pane.started)
        peak = PeakPss(pane.pid)
        pane.wait(r"^ Line 1\b", pane.started)
        busy, _ = key_latencies(pane, 1, args.keys)
        still_checking = "checking" in pane.screen()
        t = time.perf_counter()
        pane.key("G")
        last = pane.wait(rf"^ Line {args.examples}\b", t)
        checked = pane.wait(CHECKED, pane.started, timeout=600)
        pane.key("g")
        pane.wait(r"^ Line 1\b", time.perf_counter())
        time.sleep(0.3)
        idle, _ = key_latencies(pane, 1, args.keys)
        pss = peak.stop()
    finally:
        pane.close()

    bare_keys = statistics.median(bare_key_latency(env, home, args.keys))
    start = time.perf_counter()
    subprocess.run([PY, "-m", "ftui", "validate", str(path), "--json"], env=env, capture_output=True, check=False)
    cli = time.perf_counter() - start
    shutil.rmtree(home, ignore_errors=True)

    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB, {args.examples:,} examples; tmux 80x24")
    shown, bare_shown = statistics.median(starts), statistics.median(bare_starts)
    print(
        f"first screen, rows drawn        {ms(shown):>9}   bare Textual app {ms(bare_shown):>8}   (goal < 1 s;"
        f" median of {args.starts}, best {ms(min(starts))} / {ms(min(bare_starts))})"
    )
    print(f"  the first start ever          {ms(cold):>9}   (every module compiled first, Textual's too)")
    note = "" if still_checking else "  (the check ended before the last key)"
    print(
        f"j while checking, median        {ms(statistics.median(busy)):>9}   bare app key {ms(bare_keys):>12}"
        f"   (goal < 50 ms; worst {ms(max(busy))}){note}"
    )
    print(f"G to the last example shown     {ms(last):>9}   (goal < 200 ms)")
    print(f"checked, from process start     {ms(checked):>9}   ftui validate (CLI) {ms(cli):>8}   {checked / cli:.2f}x")
    print(f"j once checked, median          {ms(statistics.median(idle)):>9}   bare app key {ms(bare_keys):>12}")
    print(f"peak memory, process tree (PSS) {pss:>6.0f} MB")


if __name__ == "__main__":
    main()
