"""The sandbox off the caller's loop: its own thread and loop, quick to stop, and cheap catch-up."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import openai
import pytest

from ftui.config import SandboxSettings, Settings
from ftui.connect import open_provider
from ftui.sandbox import store as store_module
from ftui.sandbox.embedded import EmbeddedSandbox, start_in_thread
from ftui.sandbox.server import SandboxServer
from ftui.sandbox.simulate import JobPlan
from ftui.sandbox.store import Store, new_id
from tests.conftest import sandbox_client
from tests.sandbox.conftest import Clock


def add_jobs(data_dir: Path, n: int, *, speed: float = 1.0, age: float = 0.0, clock=time.time) -> list[str]:
    """``n`` jobs of 14 examples x 7 epochs written straight into the store (created ``age`` s ago)."""
    store = Store(data_dir, clock=lambda: clock() - age)
    ids = []
    try:
        for i in range(n):
            job_id = new_id("ftjob-")
            plan = JobPlan(job_id, "file-x", None, f"ft:gpt-4o-mini-2024-07-18:sandbox::{job_id[-8:]}", i, 14, 1, 7)
            hp = {"n_epochs": 7, "batch_size": 1, "learning_rate_multiplier": 1.8}
            static = {
                "id": job_id,
                "object": "fine_tuning.job",
                "created_at": int(clock() - age),
                "model": "gpt-4o-mini-2024-07-18",
                "training_file": "file-x",
                "validation_file": None,
                "seed": i,
                "hyperparameters": hp,
                "hyperparameters_requested": hp,
                "method": {"type": "supervised", "supervised": {"hyperparameters": hp}},
                "metadata": {"batch": str(i % 2)},
                "organization_id": "org-sandbox",
                "integrations": [],
                "user_provided_suffix": None,
                "error": None,
                "_trained_tokens": 1000,
            }
            store.add_job(plan, static, speed)
            ids.append(job_id)
    finally:
        store.close()
    return ids


async def test_embedded_sandbox_has_its_own_thread_and_stops_quickly(tmp_path: Path) -> None:
    sandbox = start_in_thread(tmp_path / "s", speed=100)
    try:
        assert sandbox.running and sandbox._thread is not threading.current_thread()
        async with sandbox_client(sandbox) as client:
            assert any(m.id == "gpt-4o-mini-2024-07-18" for m in (await client.models.list()).data)
    finally:
        t = time.perf_counter()
        await sandbox.aclose()
        assert time.perf_counter() - t < 3
    assert not sandbox.running
    assert (tmp_path / "s" / "sandbox.log").exists()


async def test_open_provider_starts_the_sandbox_off_the_loop_and_close_stops_it(tmp_path: Path) -> None:
    settings = Settings(sandbox=SandboxSettings(speed=50, data_dir=str(tmp_path / "s")))
    provider = await open_provider(settings=settings)
    try:
        assert provider.label == "sandbox (local)"
        sandbox = provider.local_server
        assert isinstance(sandbox, EmbeddedSandbox) and sandbox.running
        assert (await provider.client.fine_tuning.jobs.list()).data == []
    finally:
        await provider.close()
    assert not sandbox.running


async def test_nothing_the_sandbox_does_delays_the_callers_loop(tmp_path: Path) -> None:
    """200 finished-but-unread jobs: catching them all up happens on the sandbox's thread."""
    data = tmp_path / "s"
    add_jobs(data, 200, speed=1.0, age=10_000)
    provider = await open_provider(settings=Settings(sandbox=SandboxSettings(data_dir=str(data))))
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            t = loop.time()
            await asyncio.sleep(0.005)
            lags.append(loop.time() - t - 0.005)

    try:
        await provider.client.files.list()  # the client's first request sets up TLS defaults: not the sandbox
        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        t = time.perf_counter()
        raw = await provider.client.fine_tuning.jobs.with_raw_response.list(limit=200)  # writes ~22,000 events
        took = time.perf_counter() - t
        done.set()
        await tick
        jobs = raw.parse().data  # (parsing 200 jobs is this loop's own work: not measured)
        models = (await provider.client.models.list()).data
    finally:
        await provider.close()
    assert [j.status for j in jobs] == ["succeeded"] * 200
    assert sum(m.id.startswith("ft:") and ":ckpt-step-" not in m.id for m in models) == 200
    # Work done on the caller's loop would stall it for all of ``took`` (3.4 s before the sandbox
    # had its own thread). On its own thread the loop only waits for the GIL and the CPU now and
    # then: a small part of it, however loaded the machine (0.25 s of 2 s on a loaded CI run).
    stalled = max(lags)
    assert stalled < max(0.2, took / 4), (
        f"the caller's loop stalled {stalled:.3f} s while the sandbox worked {took:.3f} s"
    )


async def test_catching_up_costs_the_new_events_not_all_jobs(tmp_path: Path, monkeypatch) -> None:
    """/models writes nothing; a page of jobs catches up that page; ended jobs cost a fixed few queries."""
    data = tmp_path / "s"
    clock = Clock()
    server = SandboxServer(data, speed=1, clock=clock)
    await server.start()
    decoded: list[str] = []

    class CountingPlan(JobPlan):
        __slots__ = ()

        def __init__(self, *args, **kwargs) -> None:
            decoded.append(kwargs.get("job_id", ""))
            super().__init__(*args, **kwargs)

    statements: list[str] = []
    db = server.store.db

    def caught_up() -> int:
        return db.execute("SELECT COUNT(DISTINCT job_id) FROM events").fetchone()[0]

    async def costs() -> tuple[int, int, int, int]:
        """(plans decoded, queries run) for one page of jobs, then for the model list."""
        decoded.clear()
        statements.clear()
        await client.fine_tuning.jobs.list(limit=20)
        list_cost = (len(decoded), len(statements))
        decoded.clear()
        statements.clear()
        await client.models.list()
        return (*list_cost, len(decoded), len(statements))

    client = sandbox_client(server)
    try:
        add_jobs(data, 50, clock=clock)
        clock.advance(10_000)  # all 50 have finished, none has been read
        monkeypatch.setattr(store_module, "JobPlan", CountingPlan)
        models = [m.id for m in (await client.models.list()).data]
        assert sum(m.startswith("ft:") and ":ckpt-step-" not in m for m in models) == 50
        assert caught_up() == 0  # the model list advanced no job
        decoded.clear()
        await client.fine_tuning.jobs.list(limit=20)
        assert len(decoded) == 20 and caught_up() == 20  # the page's jobs, each once
        decoded.clear()
        await client.fine_tuning.jobs.list(limit=100)
        assert len(decoded) == 30 and caught_up() == 50  # then only the other 30

        db.set_trace_callback(statements.append)
        settled = await costs()
        assert settled[0] == 0 and settled[2] == 0  # ended jobs: no plan decoded
        db.set_trace_callback(None)
        add_jobs(data, 250, clock=clock)
        clock.advance(10_000)
        await client.fine_tuning.jobs.list(limit=1000)  # catch the newcomers up
        db.set_trace_callback(statements.append)
        more = await costs()
        assert more == settled  # the same few queries for 300 ended jobs as for 50
    finally:
        db.set_trace_callback(None)
        await client.close()
        await server.stop()


async def test_a_job_caught_up_at_once_has_every_event_once(tmp_path: Path) -> None:
    data = tmp_path / "s"
    sandbox = start_in_thread(data, speed=1)
    try:
        (job_id,) = add_jobs(data, 1, age=10_000)
        async with sandbox_client(sandbox) as client:
            job = await client.fine_tuning.jobs.retrieve(job_id)
            assert job.status == "succeeded" and job.result_files
            events = [e async for e in client.fine_tuning.jobs.list_events(job_id, limit=50)][::-1]
            steps = [e.data["step"] for e in events if e.type == "metrics"]
            assert steps == list(range(1, 99))
            assert events[0].message.startswith("Created fine-tuning job")
            assert events[-1].message == "The job has successfully completed"
            assert len({e.id for e in events}) == len(events)
            csv = (await client.files.content(job.result_files[0])).text
            assert len(csv.splitlines()) == 99
            row = sandbox.server.store.db.execute("SELECT settled, obj FROM jobs").fetchone()  # type: ignore[union-attr]
            assert row["settled"] == 1 and json.loads(row["obj"])["status"] == "succeeded"
            again = await client.fine_tuning.jobs.retrieve(job_id)
            assert again.model_dump() == job.model_dump()
    finally:
        sandbox.stop()


async def test_models_of_a_running_job_not_read_yet(tmp_path: Path) -> None:
    """The model list knows which checkpoints an unread job has reached, without advancing it."""
    data = tmp_path / "s"
    clock = Clock()
    server = SandboxServer(data, speed=1, clock=clock)
    await server.start()
    client = sandbox_client(server)
    try:
        (job_id,) = add_jobs(data, 1, clock=clock)  # 7 epochs of 14 steps: checkpoints at 70, 84, 98
        clock.advance(6 + 90)  # step 90: two checkpoints reached, the job still running
        models = [m.id for m in (await client.models.list()).data if m.id.startswith("ft:")]
        assert [m.rsplit("-", 1)[1] for m in models] == ["70", "84"]
        reply = await client.chat.completions.create(model=models[0], messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content
        cps = (await client.fine_tuning.jobs.checkpoints.list(job_id)).data  # reading the job writes them down
        assert sorted(c.fine_tuned_model_checkpoint for c in cps) == sorted(models)
        assert sorted(m.id for m in (await client.models.list()).data if m.id.startswith("ft:")) == sorted(models)
        await client.models.delete(models[0])
        clock.advance(100)
        models = [m.id for m in (await client.models.list()).data if m.id.startswith("ft:")]
        assert len(models) == 3 and not any(m.endswith("-70") for m in models)  # the model, steps 84 and 98
    finally:
        await client.close()
        await server.stop()


async def test_stopping_never_waits_for_a_slow_request(tmp_path: Path) -> None:
    sandbox = start_in_thread(tmp_path / "s", faults="slow=1:60")  # every answer takes a minute
    client = sandbox_client(sandbox, max_retries=0)
    try:
        pending = asyncio.ensure_future(client.models.list())
        for _ in range(500):
            if sandbox.server.requests:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.01)
        assert sandbox.server.requests == 1  # type: ignore[union-attr]
        t = time.perf_counter()
        await sandbox.aclose()
        assert time.perf_counter() - t < 3
        assert not sandbox.running
        with pytest.raises(openai.APIConnectionError):
            await pending
    finally:
        await client.close()


def test_an_event_page_is_the_events_as_the_api_sends_them_old_rows_too(tmp_path: Path) -> None:
    """The events endpoint joins each event's stored JSON; rows an older version wrote (no
    stored JSON) are built by SQLite the same way, and the page equals the events' objects."""
    import json

    (job_id,) = add_jobs(tmp_path, 1, age=10_000)  # long finished: every event is written
    store = Store(tmp_path)
    try:
        assert store.catch_up(job_id) and not store.catch_up("ftjob-nope")
        events, _ = store.events(job_id, None, 1000)
        with store.tx() as db:  # half of them as an older version kept them
            db.execute("UPDATE events SET obj=NULL WHERE job_id=? AND seq % 2 = 0", (job_id,))
        pages, after = [], None
        while True:
            page = json.loads(store.events_page(job_id, after, 7))
            pages += page["data"]
            if not page["has_more"]:
                break
            after = page["data"][-1]["id"]
        assert pages == events and len(events) > 7
        assert {type(e["data"]) for e in pages} == {dict}
    finally:
        store.close()
