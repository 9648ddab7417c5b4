"""Benchmark: `ftui validate` on two hostile files against the floor of reading and parsing them.

Usage: python benchmarks/huge_line.py [--mb 50] [--rounds 2] [--keep] [--tui]

The two files of issue 23, each one line of about MB megabytes (plus nothing else):
  - long: one chat example whose user message is a single MB-long string
  - many: one chat example of millions of short messages (2.9 M at 200 MB)
For each file, two contenders run alternately, R rounds, the best round of each is compared:
  - the floor: a fresh Python that reads the file in 4 MB blocks and parses each line with
    pydantic_core.from_json (what any validator must at least do), and
  - ftui: `python -m ftui validate FILE --json`, as a user runs it.
Peak memory is the summed PSS of each contender's process tree (sampled every 0.1 s), shown
beside the longest line's size. Goals: time < 2x the floor, memory < 2x the longest line.

--tui: the same huge line followed by 40 short examples, opened in the TUI (``python -m ftui
FILE`` in an 80x24 tmux pane, as benchmarks/tui.py does); ``j`` every 0.1 s from line 1 while
the file is checked: the median and worst time until the next ``Line N`` shows (goal < 50 ms),
and the time until the status bar shows the check's counts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from terminal import Pane, PeakPss, bench_home, key_latencies

CHECKED = r"✗ [\d,]+  ⚠ [\d,]+\s*$"  # the status bar's counts, shown once the check is done

PY = sys.executable
FLOOR = """
import sys
from pydantic_core import from_json
carry = b""
with open(sys.argv[1], "rb") as fh:
    parts = []
    while block := fh.read(4 << 20):
        *lines, last = block.split(b"\\n")
        for line in lines:
            parts.append(line)
            from_json(b"".join(parts))
            parts.clear()
        if last:
            parts.append(last)
    if parts:
        from_json(b"".join(parts))
"""


def make_files(folder: Path, mb: float) -> dict[str, Path]:
    """Write the two one-line files of about ``mb`` megabytes each."""
    size = int(mb * 1_000_000)
    long_path, many_path = folder / "long.jsonl", folder / "many.jsonl"
    word = "lorem ipsum dolor sit amet "
    text = (word * (size // len(word) + 1))[:size]
    example = {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]}
    long_path.write_text(json.dumps(example) + "\n")
    one = json.dumps({"role": "user", "content": "hi there"})
    count = size // (len(one) + 2)
    with many_path.open("w") as fh:
        fh.write('{"messages": [' + ", ".join([one] * count) + ', {"role": "assistant", "content": "ok"}]}\n')
    return {"long": long_path, "many": many_path}


def tui_keys(files: dict[str, Path], keys: int = 30) -> None:
    """Key latency in the TUI while it checks each huge line (followed by 40 short examples)."""
    home, env = bench_home()  # (removed at the end)
    short = "".join(
        json.dumps({"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}) + "\n"
        for i in range(40)
    )
    print(f"{'file':6} {'keys':>5} {'median ms':>10} {'worst ms':>9} {'checked s':>10}")
    for name, path in files.items():
        with path.open("a") as fh:
            fh.write(short)
        pane = Pane(f"{PY} -m ftui {path}", env)
        try:
            pane.wait(r"^ Line 1\b", pane.started, timeout=120)
            lat, _ = key_latencies(pane, 1, keys)
            checked = pane.wait(CHECKED, pane.started, timeout=600)
        finally:
            pane.close()
        lat.sort()
        mid, worst = lat[len(lat) // 2] * 1000, lat[-1] * 1000
        print(f"{name:6} {len(lat):5} {mid:10.0f} {worst:9.0f} {checked:10.1f}", flush=True)
    shutil.rmtree(home, ignore_errors=True)


def timed(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak PSS in MB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = PeakPss(proc.pid, every=0.1)
    proc.wait()
    seconds = time.perf_counter() - start
    return seconds, peak.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0, help="size of each one-line file (default 50)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tui", action="store_true", help="also time keys in the TUI while it checks")
    parser.add_argument("--keep", action="store_true", help="leave the generated files in benchmarks/.data")
    args = parser.parse_args()
    folder = Path(__file__).resolve().parent / ".data" if args.keep else Path(tempfile.mkdtemp(prefix="ftui-huge-"))
    folder.mkdir(exist_ok=True)
    files = make_files(folder, args.mb)
    print(f"one line of {args.mb:g} MB per file; best of {args.rounds} rounds")
    print(f"{'file':6} {'floor s':>8} {'ftui s':>8} {'ratio':>6} {'floor MB':>9} {'ftui MB':>8} {'mem/line':>8}")
    for name, path in files.items():
        line_mb = path.stat().st_size / 1e6
        floor, ftui = [], []
        for _ in range(args.rounds):
            floor.append(timed([PY, "-c", FLOOR, str(path)]))
            ftui.append(timed([PY, "-m", "ftui", "validate", str(path), "--json"]))
        f_s, f_mb = min(t for t, _ in floor), max(m for _, m in floor)
        u_s, u_mb = min(t for t, _ in ftui), max(m for _, m in ftui)
        print(
            f"{name:6} {f_s:8.2f} {u_s:8.2f} {u_s / f_s:6.2f} {f_mb:9.0f} {u_mb:8.0f} {u_mb / line_mb:8.2f}",
            flush=True,
        )
    if args.tui:
        tui_keys(files)
    if not args.keep:
        for path in files.values():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
