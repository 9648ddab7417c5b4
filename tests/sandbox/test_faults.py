"""Under injected faults (429, 500, dropped connections) nothing is lost or doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftui.provider.events import EventStream, StreamState
from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job
from ftui.sandbox.faults import Faults, FaultSpecError
from ftui.sandbox.server import SandboxServer
from tests.conftest import SAMPLES, sandbox_client


def test_fault_spec_parsing() -> None:
    f = Faults("429=0.2,500=0.1,drop=0.05,slow=0.1:2.0,seed=7")
    assert (f.p429, f.p500, f.pdrop, f.pslow, f.slow_seconds) == (0.2, 0.1, 0.05, 0.1, 2.0)
    with pytest.raises(FaultSpecError):
        Faults("teapot=1")
    half = Faults("429=0.5,seed=1")
    kinds = {half.draw().kind for _ in range(50)}
    assert kinds == {"429", None}
    with pytest.raises(FaultSpecError, match="streak"):
        Faults("500=0.1,streak=0")


def test_a_streak_repeats_a_fault_on_its_route_and_routes_draw_independently() -> None:
    spec = "429=0.25,500=0.15,drop=0.15,streak=3,seed=11"
    events, models = "GET /v1/fine_tuning/jobs/{id}/events", "GET /v1/models"
    alone = Faults(spec)
    expected = [alone.draw(events).kind for _ in range(30)]
    kinds = [k for k in expected if k]
    assert kinds and len(kinds) % 3 == 0  # every fault comes three times in a row
    runs = "".join("x" if k else "." for k in expected).split(".")
    assert all(len(run) % 3 == 0 for run in runs)
    mixed = Faults(spec)  # requests to another route in between change nothing on this one
    got = []
    for _ in range(30):
        mixed.draw(models)
        got.append(mixed.draw(events).kind)
    assert got == expected


@pytest.mark.parametrize(
    "spec", ["429=0.3,seed=1", "500=0.3,seed=2", "drop=0.25,seed=3", "429=0.1,500=0.1,drop=0.1,seed=4"]
)
async def test_event_stream_yields_every_event_exactly_once(tmp_path: Path, spec: str) -> None:
    server = SandboxServer(tmp_path / "s", speed=100)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        server.faults = Faults(spec)
        states: list[str | None] = []
        stream = EventStream(
            client,
            job.id,
            min_interval=0.02,
            running_interval=0.05,
            max_interval=0.3,
            max_backoff=0.3,  # correctness under faults, not the backoff schedule
            page_size=7,
            on_state=lambda s: states.append(s.reconnecting),
        )
        got = [e.id async for e in stream]
        server.faults = Faults(None)
        truth = [e.id async for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
        assert got == list(reversed(truth))
        assert any(states)  # the watcher said it was reconnecting
        assert stream.state.job is not None and stream.state.job.status == "succeeded"
        assert isinstance(stream.state, StreamState)
    finally:
        await client.close()
        await server.stop()


async def test_job_is_created_once_when_answers_are_lost(tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "s", speed=100)
    await server.start()
    client = sandbox_client(server, max_retries=3)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        server.faults = Faults("drop=0.6,seed=11")
        jobs = []
        for _ in range(3):
            jobs.append(
                await create_job(
                    client, JobRequest(model="gpt-4o-mini", training_file=file.id), attempts=12, base_delay=0.01
                )
            )
        server.faults = Faults(None)
        listed = (await client.fine_tuning.jobs.list(limit=50)).data
        assert len(listed) == 3  # three requests, three jobs: none doubled by a retry
        assert {j.id for j in jobs} == {j.id for j in listed}
    finally:
        await client.close()
        await server.stop()
