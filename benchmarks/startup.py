"""Benchmark: how fast ftui starts, each figure against its floor measured in the same run.

Usage: python benchmarks/startup.py [--runs 7] [--examples 100000] [--no-tui]

- ``ftui --help`` vs ``python -c "import argparse"`` (goal: within 6x)
- ``ftui validate`` on the 14-line sample vs loading tiktoken with one bundled encoding
  (import, read the ranks, build the Encoding; goal: within 1.6x)
- the TUI: from process start to the first screen of the 100k-example file with its rows drawn,
  in a real terminal (tmux, 80x24), vs a bare Textual app drawing one line the same way
  (goal: under 1 s)

The TUI's keys, its check and its memory in that terminal are in ``benchmarks/tui.py``.

Each pair runs interleaved, ``--runs`` times; medians are reported.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from terminal import PY, bench_home, bytecode_env, first_screen  # noqa: E402

SAMPLE = ROOT / "sample_data" / "weather_jokes.jsonl"

TIKTOKEN_FLOOR = """
import tiktoken
from tiktoken.load import load_tiktoken_bpe
from ftui.data.tokens import ENCODINGS_DIR, _PATTERNS, _SPECIAL
ranks = load_tiktoken_bpe(str(ENCODINGS_DIR / "o200k_base.tiktoken"))
tiktoken.Encoding(name="o200k_base", pat_str=_PATTERNS["o200k_base"], mergeable_ranks=ranks,
                  special_tokens=_SPECIAL["o200k_base"])
"""


ENV = bytecode_env(Path(tempfile.mkdtemp(prefix="ftui-bench-pycache-")))


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


def paired(a: list[str], b: list[str], runs: int) -> tuple[float, float]:
    """Medians of ``a`` and ``b``, run alternately (after one warm-up each: the page cache and
    the compiled bytecode, see ``terminal.bytecode_env``)."""
    wall(a), wall(b)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(wall(a))
        tb.append(wall(b))
    return statistics.median(ta), statistics.median(tb)


def tui(runs: int, examples: int) -> tuple[float, float]:
    """Medians of the first screen of the 100k file and of the bare app's, run alternately."""
    from validate import DATA, dataset  # the benchmark's own data generator

    DATA.mkdir(parents=True, exist_ok=True)
    path = dataset(DATA, examples)
    home, env = bench_home()
    # Drawn: the example list's first row shows line 1's number and its first user words.
    first_row = r"^.{0,3}\s+1\s.*\s[A-Za-z]{3,}"
    ftui = f"{PY} -m ftui {path}"
    ours, floor = [], []
    first_screen(ftui, first_row, env)  # warm the page cache and write the bytecode
    first_screen(f"{PY} {home / 'bare.py'}", "READY-MARKER", env)
    for _ in range(runs):
        ours.append(first_screen(ftui, first_row, env))
        floor.append(first_screen(f"{PY} {home / 'bare.py'}", "READY-MARKER", env))
    shutil.rmtree(home, ignore_errors=True)
    return statistics.median(ours), statistics.median(floor)


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
        ours, floor = tui(max(3, args.runs // 2), args.examples)
        report(f"TUI first screen, {args.examples:,} examples", ours, "a bare Textual app", floor, "goal < 1 s")


if __name__ == "__main__":
    main()
