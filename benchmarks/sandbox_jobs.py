"""Benchmark: the sandbox with 200 finished-but-unread jobs, through the real SDK.

Usage: python benchmarks/sandbox_jobs.py [--jobs N] [--rounds R]

In one process:
  - an embedded sandbox (its own thread and loop, as ftui runs it) gets N jobs created
    through the SDK at a high speed; the injectable clock then moves past their end, so all
    N are finished and none has been read (as after a night away)
  - cold: the first jobs.list (one page: catches up 20 jobs), the first models.list (advances
    no job), an event page of an unread job, then all jobs in one page (catches up the rest),
    each with the longest stall of the caller's event loop meanwhile
  - warm: the median of R rounds of jobs.list, models.list and an event page
  - baseline: a bare aiohttp handler on its own thread and loop, serving the same bytes
    (same size, same JSON) for each of the three requests; the warm medians are given as
    a ratio to it
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiohttp import web
from openai import AsyncOpenAI

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ftui.provider.files import upload_file  # noqa: E402
from ftui.sandbox.embedded import EmbeddedSandbox  # noqa: E402

SAMPLE = HERE.parent / "sample_data" / "weather_jokes.jsonl"


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class Baseline:
    """A bare aiohttp server on its own thread: each route answers fixed bytes."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies
        self.base_url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        for path, body in self.bodies.items():

            async def handler(request: web.Request, body: bytes = body) -> web.Response:
                return web.Response(body=body, content_type="application/json")

            app.router.add_get(path, handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def start(self) -> str:
        self._thread.start()
        self._ready.wait()
        return self.base_url

    def stop(self) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


async def timed(call) -> tuple[float, object]:
    t = time.perf_counter()
    result = await call()
    return time.perf_counter() - t, result


async def max_stall_during(call) -> tuple[float, float]:
    """(seconds the call took, longest stall of this loop meanwhile)."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    stalls: list[float] = [0.0]

    async def ticker() -> None:
        while not done.is_set():
            t = loop.time()
            await asyncio.sleep(0.002)
            stalls.append(loop.time() - t - 0.002)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    took, _ = await timed(call)
    done.set()
    await tick
    return took, max(stalls)


async def measure(n_jobs: int, rounds: int, data: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    clock = Clock()
    sandbox = EmbeddedSandbox(data, speed=1000, clock=clock)
    await sandbox.astart()
    client = AsyncOpenAI(base_url=sandbox.base_url, api_key=sandbox.api_key)
    try:
        file = await upload_file(client, SAMPLE)
        t = time.perf_counter()
        ids = []
        for _ in range(n_jobs):
            ids.append((await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)).id)
        out["create_s"] = time.perf_counter() - t
        clock.offset += 3600  # every job has finished; none has been read since its creation
        job = ids[len(ids) // 2]

        out["cold_list_s"], out["cold_list_stall_s"] = await max_stall_during(
            lambda: client.fine_tuning.jobs.with_raw_response.list()
        )
        out["cold_models_s"], out["cold_models_stall_s"] = await max_stall_during(
            lambda: client.models.with_raw_response.list()
        )
        out["cold_events_s"], _ = await timed(lambda: client.fine_tuning.jobs.list_events(job, limit=20))
        out["cold_all_s"], out["cold_all_stall_s"] = await max_stall_during(
            lambda: client.fine_tuning.jobs.with_raw_response.list(limit=n_jobs)
        )
        statuses = {j.status for j in (await client.fine_tuning.jobs.list(limit=n_jobs)).data}
        assert statuses == {"succeeded"}, statuses

        calls = {
            "list": lambda: client.fine_tuning.jobs.with_raw_response.list(),
            "models": lambda: client.models.with_raw_response.list(),
            "events": lambda: client.fine_tuning.jobs.with_raw_response.list_events(job, limit=20),
        }
        bodies = {}
        for name, call in calls.items():
            raw = await call()
            bodies[name] = raw.content
        warm = {name: [] for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                warm[name].append((await timed(call))[0])
        for name, times in warm.items():
            out[f"warm_{name}_ms"] = statistics.median(times) * 1000
            out[f"{name}_bytes"] = len(bodies[name])
    finally:
        await client.close()
        await sandbox.aclose()

    baseline = Baseline(
        {
            "/v1/fine_tuning/jobs": bodies["list"],
            "/v1/models": bodies["models"],
            f"/v1/fine_tuning/jobs/{job}/events": bodies["events"],
        }
    )
    await asyncio.to_thread(baseline.start)
    client = AsyncOpenAI(base_url=baseline.base_url, api_key="bench")
    try:
        calls = {
            "list": lambda: client.fine_tuning.jobs.with_raw_response.list(),
            "models": lambda: client.models.with_raw_response.list(),
            "events": lambda: client.fine_tuning.jobs.with_raw_response.list_events(job, limit=20),
        }
        for call in calls.values():
            await call()  # warm up
        base = {name: [] for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                base[name].append((await timed(call))[0])
        for name, times in base.items():
            out[f"base_{name}_ms"] = statistics.median(times) * 1000
    finally:
        await client.close()
        await asyncio.to_thread(baseline.stop)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ftui-bench-")) / "sandbox"
    r = asyncio.run(measure(args.jobs, args.rounds, data))
    print(f"{args.jobs} jobs of 98 steps created through the SDK in {r['create_s']:.1f} s; {os.cpu_count()} cores")
    n = args.jobs
    print("cold (all jobs finished, none read yet; the caller's loop keeps ticking meanwhile):")
    print(
        f"  jobs.list, one page of 20 (catches up 20 jobs):  {r['cold_list_s'] * 1000:6.0f} ms, "
        f"caller's loop stalled at most {r['cold_list_stall_s'] * 1000:.0f} ms"
    )
    print(
        f"  models.list (advances no job):                   {r['cold_models_s'] * 1000:6.0f} ms, "
        f"caller's loop stalled at most {r['cold_models_stall_s'] * 1000:.0f} ms"
    )
    print(f"  event page of an unread job (catches up 1 job):  {r['cold_events_s'] * 1000:6.0f} ms")
    print(
        f"  jobs.list, all {n} (catches up the other {n - 21}): {r['cold_all_s'] * 1000:6.0f} ms, "
        f"caller's loop stalled at most {r['cold_all_stall_s'] * 1000:.0f} ms"
    )
    print(f"warm (median of {args.rounds}), vs a bare aiohttp handler sending the same bytes:")
    for name, label in (("list", "jobs.list"), ("models", "models.list"), ("events", "event page")):
        ours, base = r[f"warm_{name}_ms"], r[f"base_{name}_ms"]
        print(
            f"  {label:<12} {ours:6.1f} ms vs {base:5.1f} ms baseline ({ours / base:.2f}x), "
            f"body {r[f'{name}_bytes'] / 1024:.0f} KB"
        )


if __name__ == "__main__":
    main()
