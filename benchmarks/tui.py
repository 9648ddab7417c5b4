"""Benchmark: the Data tab on the 100k-example file of benchmarks/validate.py.

Usage: python benchmarks/tui.py [--examples N]
Measures, in one run with Textual's headless Pilot at 120x40:
  - launch to the first screen of examples drawn (target < 1 s)
  - `G` to the last example drawn (target < 0.2 s)
  - key latency (`j`) while validation runs in its thread (target < 50 ms)
  - peak memory of the process (target < 400 MB)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from textual import events

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from frames import record_frames  # noqa: E402


async def key_latencies(app, examples, frames: list[float], key: str, n: int = 20) -> list[float]:
    """Seconds from each key event to the first frame showing the moved cursor, sorted."""
    latencies = []
    for _ in range(n):
        before = examples.cursor
        t = time.perf_counter()
        app.post_message(events.Key(key, key))
        while examples.cursor == before:
            await asyncio.sleep(0.0005)
        moved = time.perf_counter()
        while not frames or frames[-1] < moved:  # the frame that shows the new cursor
            await asyncio.sleep(0.0005)
        latencies.append(frames[-1] - t)
        await asyncio.sleep(0.1)  # a person's typing pace; lets the example view catch up
    return sorted(latencies)


async def measure(path: Path) -> dict[str, float]:
    t0 = time.perf_counter()  # "launch": before ftui's UI modules are imported
    from ftui.tui.app import FtuiApp
    from ftui.tui.data.lists import ExampleList

    app = FtuiApp(path, connect=False)
    out: dict[str, float] = {}
    frames = record_frames(app)
    async with app.run_test(size=(120, 40)):
        examples = app.query_one(ExampleList)
        while examples.count == 0:
            await asyncio.sleep(0.002)
        ready = time.perf_counter()
        while not frames or frames[-1] < ready:
            await asyncio.sleep(0.002)
        out["first_screen_s"] = frames[-1] - t0
        data = app.data_tab
        latencies = await key_latencies(app, examples, frames, "j")
        out["validating_during_keys"] = float(data.dataset.report is None)  # still running after the keys?
        out["key_latency_median_ms"] = latencies[len(latencies) // 2] * 1000
        out["key_latency_max_ms"] = latencies[-1] * 1000

        t = time.perf_counter()
        app.post_message(events.Key("G", "G"))
        while examples.cursor != examples.count - 1:
            await asyncio.sleep(0.0005)
        moved = time.perf_counter()
        while frames[-1] < moved:
            await asyncio.sleep(0.0005)
        out["G_s"] = frames[-1] - t
        out["last_row"] = examples.cursor + 1

        while data.dataset.report is None:
            await asyncio.sleep(0.05)
        out["validation_done_s"] = time.perf_counter() - t0
        await asyncio.sleep(0.5)
        idle = await key_latencies(app, examples, frames, "k")
        out["idle_latency_median_ms"] = idle[len(idle) // 2] * 1000
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from validate import DATA, generate  # the same seeded file as the validate benchmark

    path = DATA / f"chat_{args.examples}.jsonl"
    if not path.exists():
        print(f"generating {args.examples:,} examples -> {path} ...", flush=True)
        generate(path, args.examples)
    os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp())
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp())
    r = asyncio.run(measure(path))
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB")
    print(f"first screen of examples: {r['first_screen_s']:.2f} s (target < 1 s)")
    print(f"G to the last example:    {r['G_s'] * 1000:.0f} ms (target < 200 ms), row {int(r['last_row']):,}")
    print(
        f"key latency while validating: median {r['key_latency_median_ms']:.0f} ms, "
        f"max {r['key_latency_max_ms']:.0f} ms (target < 50 ms; "
        f"validation still running after the keys: {bool(r['validating_during_keys'])})"
    )
    print(f"key latency once validation is done (floor): median {r['idle_latency_median_ms']:.0f} ms")
    print(f"validation finished after {r['validation_done_s']:.1f} s")
    print(f"peak memory: {r['peak_rss_mb']:.0f} MB (target < 400 MB)")


if __name__ == "__main__":
    main()
