"""Benchmark: the Jobs tab fed 100k metric events while a person presses keys.

Usage: python benchmarks/jobs.py [--events N]
In one run with Textual's headless Pilot at 120x40, on an open job:
  - baseline: key latency (switching chart / accuracy / events views) with nothing arriving
  - the same keys, pressed for as long as the feed lasts, while N metric events arrive in
    batches of 250 on a 25 ms schedule (10,000 a second asked, ten times a fast back-fill;
    the rate reached is reported): median and worst latency, and the ratio to the baseline
  - one chart redraw with all N points: ftui's min/max downsampling vs plotting every point
  - one event-log redraw of N lines, timed to the frame that shows it
  - peak memory of the process
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from textual import events

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from frames import record_frames  # noqa: E402

BATCH = 250  # events per delivery (the watcher posts what one or a few pages hold)
EVERY = 0.025  # seconds between deliveries: 10,000 events/s, ten times a fast API back-fill
KEYS = ("a", "l", "e", "l")


def make_page(n: int, first: int = 1, count: int | None = None) -> bytes:
    """The JSON of an events page holding metric events ``first`` .. ``first + count - 1`` of a
    job with ``n`` steps, newest first, as the API sends it."""
    out = []
    last = n if count is None else min(n, first + count - 1)
    for step in range(first, last + 1):
        loss = 0.25 + 2.0 * 0.9999**step + (step % 13) * 0.004
        data = {"step": step, "total_steps": n, "train_loss": loss, "train_mean_token_accuracy": 1 - loss / 3}
        if step % 10 == 0:
            data["valid_loss"] = loss * 1.1
        out.append(
            {
                "id": f"ev-{step}",
                "object": "fine_tuning.job.event",
                "created_at": 1767261600 + step,
                "level": "info",
                "message": f"Step {step}/{n}: training loss={loss:.2f}",
                "type": "metrics",
                "data": data,
            }
        )
    return json.dumps({"object": "list", "data": out[::-1], "has_more": False}).encode()


def make_job():
    from openai._models import construct_type
    from openai.types.fine_tuning import FineTuningJob

    return construct_type(
        type_=FineTuningJob,
        value={
            "id": "ftjob-bench",
            "object": "fine_tuning.job",
            "created_at": int(time.time()) - 600,
            "model": "gpt-4o-mini-2024-07-18",
            "status": "running",
            "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8},
            "training_file": "file-bench",
            "result_files": [],
            "seed": 1,
            "organization_id": "org",
        },
    )


async def key_latencies(app, tab, frames: list[float], rounds: int, until: asyncio.Future | None = None) -> list[float]:
    """Seconds from each key to the first frame drawn after the view changed, sorted: ``rounds``
    keys, and with ``until`` as many more as it takes for it to finish (the whole feed)."""
    out = []
    i = 0
    while i < rounds or (until is not None and not until.done()):
        key = KEYS[i % len(KEYS)]
        want = {"a": "accuracy", "l": "loss", "e": "events"}[key]
        t = time.perf_counter()
        app.post_message(events.Key(key, key))
        while tab.view != want:
            await asyncio.sleep(0.0005)
        changed = time.perf_counter()
        while not frames or frames[-1] < changed:
            await asyncio.sleep(0.0005)
        out.append(frames[-1] - t)
        i += 1
        await asyncio.sleep(0.08)  # a person's pace
    return sorted(out)


async def measure(n: int, sample: Path) -> dict[str, float]:
    from ftui.session.trace import JobTrace
    from ftui.tui.app import FtuiApp
    from ftui.tui.jobs.event_log import EventLog
    from ftui.tui.jobs.loss_chart import LossChart, _Plot
    from ftui.tui.jobs.messages import JobEvents, JobsListed

    app = FtuiApp(sample, connect=False)
    frames = record_frames(app)
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        tab = app.jobs_tab
        job = make_job()
        tab.post_message(JobsListed([job], more=False, first=True))
        await pilot.pause(0.2)
        tab.model.trace(job.id).complete = True  # nothing to follow: the benchmark is the feed
        tab.open_job(job.id)
        await pilot.pause(0.3)

        idle = await key_latencies(app, tab, frames, 16)
        out["idle_median_ms"] = idle[len(idle) // 2] * 1000

        from ftui.provider.events import parse_event_page

        pages = [make_page(n, i + 1, BATCH) for i in range(0, n, BATCH)]  # what the network brings

        async def pump(start: float) -> None:
            for k, page in enumerate(pages):  # read per page on the loop, as the watcher does
                tab.post_message(JobEvents(job.id, parse_event_page(page)[0][::-1]))
                # On a fixed schedule: a late batch is not followed by a full pause.
                await asyncio.sleep(max(0.0, start + (k + 1) * EVERY - time.perf_counter()))

        async def all_in() -> None:
            await feeder
            while tab.model.traces[job.id].points < n:
                await asyncio.sleep(0.005)

        t = time.perf_counter()
        feeder = asyncio.create_task(pump(t))
        done = asyncio.ensure_future(all_in())
        busy = await key_latencies(app, tab, frames, 40, until=done)
        await done
        out["feed_s"] = time.perf_counter() - t
        out["keys_while_feeding"] = len(busy)
        out["busy_median_ms"] = busy[len(busy) // 2] * 1000
        out["busy_max_ms"] = busy[-1] * 1000

        # One redraw with every point: downsampled (what ftui does) vs plotting them all.
        trace: JobTrace = tab.model.traces[job.id]
        await pilot.press("l")
        await pilot.pause(0.3)
        chart = app.query_one(LossChart)
        plot = chart.query_one(_Plot)
        trace.version += 1
        t = time.perf_counter()
        chart.show(trace, "loss")
        plot._render_plot()  # type: ignore[attr-defined]
        out["chart_downsampled_ms"] = (time.perf_counter() - t) * 1000
        series = trace.series["train_loss"]
        t = time.perf_counter()
        plot.clear()
        plot.plot(list(series.steps), list(series.values))
        plot._render_plot()  # type: ignore[attr-defined]
        out["chart_all_points_ms"] = (time.perf_counter() - t) * 1000

        log = app.query_one(EventLog)
        await pilot.press("e")
        await pilot.pause(0.3)
        log._job_id = None
        t = time.perf_counter()
        log.sync(trace)
        log.refresh()
        while not frames or frames[-1] < t:  # until a frame with the rebuilt log is drawn
            await asyncio.sleep(0.0005)
        out["log_redraw_ms"] = (frames[-1] - t) * 1000
        out["log_lines"] = log.log_widget.count
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    os.environ.setdefault("XDG_DATA_HOME", str(tmp / "data"))
    os.environ.setdefault("XDG_CONFIG_HOME", str(tmp / "config"))
    sample = tmp / "weather_jokes.jsonl"
    shutil.copy(HERE.parent / "sample_data" / "weather_jokes.jsonl", sample)
    r = asyncio.run(measure(args.events, sample))
    print(
        f"metric events fed: {args.events:,} in batches of {BATCH} every {EVERY * 1000:.0f} ms asked "
        f"({BATCH / EVERY:,.0f}/s; each page read from its JSON on the UI loop, as ftui does); all in after "
        f"{r['feed_s']:.1f} s: {args.events / r['feed_s']:,.0f} events/s reached"
    )
    print(f"key latency, nothing arriving (baseline): median {r['idle_median_ms']:.0f} ms")
    print(
        f"key latency while events arrive ({int(r['keys_while_feeding'])} keys, the whole feed): "
        f"median {r['busy_median_ms']:.0f} ms, "
        f"max {r['busy_max_ms']:.0f} ms (ratio {r['busy_median_ms'] / r['idle_median_ms']:.2f}x; target < 50 ms)"
    )
    print(
        f"chart redraw with {args.events:,} points: {r['chart_downsampled_ms']:.0f} ms downsampled vs "
        f"{r['chart_all_points_ms']:.0f} ms plotting every point "
        f"({r['chart_all_points_ms'] / r['chart_downsampled_ms']:.1f}x faster)"
    )
    print(f"event log redraw of {int(r['log_lines']):,} lines: {r['log_redraw_ms']:.0f} ms")
    print(f"peak memory: {r['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
