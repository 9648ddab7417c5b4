"""The whole fine-tuning flow with the real openai SDK against the sandbox over loopback."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from openai import AsyncOpenAI

from ftui.provider.events import EventStream, metric_point
from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job, fetch_results_csv
from ftui.sandbox.server import SandboxServer
from tests.conftest import SAMPLES, sandbox_client


class FakeClock:
    """Sandbox time that moves only when a test moves it (no wall-clock sleeps)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def finished_job(client: AsyncOpenAI, sample: str = "weather_jokes.jsonl", **kw) -> tuple[str, list]:
    file = await upload_file(client, SAMPLES / sample)
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, suffix="w", **kw))
    events = [e async for e in EventStream(client, job.id, min_interval=0.05, running_interval=0.1)]
    return job.id, events


async def test_upload_create_watch_to_success(client: AsyncOpenAI) -> None:
    job_id, events = await finished_job(client)
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids))  # every event exactly once
    messages = [e.message for e in events]
    assert messages[0].startswith("Created fine-tuning job")
    assert messages[-1] == "The job has successfully completed"
    points = [p for p in map(metric_point, events) if p]
    assert [p.step for p in points] == list(range(1, 99))  # 14 examples x 7 epochs, batch 1
    assert points[0].train_loss > 1.5 > 0.6 > points[-1].train_loss  # the loss falls
    job = await client.fine_tuning.jobs.retrieve(job_id)
    assert job.status == "succeeded"
    assert job.fine_tuned_model and job.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:sandbox:w:")
    assert job.trained_tokens == 7 * 1169
    csv = await fetch_results_csv(client, job.result_files[0])
    assert csv.splitlines()[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(csv.splitlines()) == 99


async def test_events_come_newest_first_with_pagination(client: AsyncOpenAI) -> None:
    job_id, events = await finished_job(client)
    page = await client.fine_tuning.jobs.list_events(job_id, limit=5)
    assert page.has_more and len(page.data) == 5
    assert page.data[0].message == "The job has successfully completed"
    older = await client.fine_tuning.jobs.list_events(job_id, limit=5, after=page.data[-1].id)
    walked = [e.id async for e in client.fine_tuning.jobs.list_events(job_id, limit=7)]
    assert walked == [e.id for e in reversed(events)]
    assert older.data[0].id == walked[5]


async def test_checkpoints_for_the_last_three_epochs_chat_like_the_data(client: AsyncOpenAI) -> None:
    job_id, _ = await finished_job(client)
    cps = (await client.fine_tuning.jobs.checkpoints.list(job_id)).data
    assert [c.step_number for c in cps] == [98, 84, 70]
    assert cps[0].fine_tuned_model_checkpoint.endswith(":ckpt-step-98")
    assert cps[0].metrics.train_loss is not None
    job = await client.fine_tuning.jobs.retrieve(job_id)
    reply = await client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "Will it snow in Denver?"}]
    )
    assert "snowflake" in reply.choices[0].message.content  # the trained example's joke
    assert reply.usage.completion_tokens > 0 and reply.usage.prompt_tokens > 0
    ckpt = await client.chat.completions.create(
        model=cps[1].fine_tuned_model_checkpoint, messages=[{"role": "user", "content": "上海明天会下雨吗？"}]
    )
    assert "雨滴" in ckpt.choices[0].message.content
    base = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert "base model" in base.choices[0].message.content


async def test_streaming_chat_with_usage(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4.1-mini",
        messages=[{"role": "user", "content": "hello there"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, usage = [], None
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert len(pieces) > 5
    assert "".join(pieces).startswith("[sandbox: gpt-4.1-mini, a base model]")
    assert usage is not None and usage.completion_tokens > 10


async def test_bad_training_file_fails_naming_the_line(client: AsyncOpenAI) -> None:
    file = await upload_file(client, SAMPLES / "mistakes.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
    events = [e async for e in EventStream(client, job.id, min_interval=0.05)]
    job = await client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed"
    assert job.error.code == "invalid_training_file"
    assert "line 2:" in job.error.message
    assert events[-1].level == "error"


async def test_not_found_errors_look_like_openai(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as exc:
        await client.fine_tuning.jobs.retrieve("ftjob-missing")
    assert exc.value.body["code"] == "fine_tune_not_found"
    with pytest.raises(openai.NotFoundError) as exc:
        await client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
    assert exc.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        await client.files.retrieve("file-missing")
    with pytest.raises(openai.BadRequestError) as bad:
        await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing")
    assert bad.value.param == "training_file"


async def test_hyperparameters_are_range_checked(client: AsyncOpenAI) -> None:
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    with pytest.raises(openai.BadRequestError, match="n_epochs"):
        await client.fine_tuning.jobs.create(
            model="gpt-4o-mini",
            training_file=file.id,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 99}}},
        )


async def test_cancel_pause_resume(tmp_path: Path) -> None:
    clock = FakeClock()
    server = SandboxServer(tmp_path / "slow", speed=20, clock=clock)  # 1 step every 50 ms of its time
    await server.start()
    client = sandbox_client(server)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        with pytest.raises(openai.BadRequestError, match="only be paused while running"):
            await client.fine_tuning.jobs.pause(job.id)
        while (await client.fine_tuning.jobs.retrieve(job.id)).status != "running":
            clock.advance(0.05)
        paused = await client.fine_tuning.jobs.pause(job.id)
        assert paused.status == "paused"
        steps_then = [metric_point(e) for e in (await client.fine_tuning.jobs.list_events(job.id, limit=1)).data]
        clock.advance(30)  # 600 steps' worth of time
        steps_later = [metric_point(e) for e in (await client.fine_tuning.jobs.list_events(job.id, limit=1)).data]
        assert steps_then == steps_later  # nothing moves while paused
        resumed = await client.fine_tuning.jobs.resume(job.id)
        assert resumed.status == "running"
        cancelled = await client.fine_tuning.jobs.cancel(job.id)
        assert cancelled.status == "cancelled"
        assert (await client.fine_tuning.jobs.retrieve(job.id)).status == "cancelled"
        with pytest.raises(openai.BadRequestError):
            await client.fine_tuning.jobs.cancel(job.id)
        messages = [e.message async for e in client.fine_tuning.jobs.list_events(job.id)]
        assert {"Fine-tuning job paused", "Fine-tuning job resumed", "Fine-tuning job cancelled"} <= set(messages)
    finally:
        await client.close()
        await server.stop()


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "state"
    clock = FakeClock()
    server = SandboxServer(data, speed=20, clock=clock)
    await server.start()
    client = sandbox_client(server)
    file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
    clock.advance(2.0)  # validation and queueing, then some steps
    before = [e.id async for e in client.fine_tuning.jobs.list_events(job.id)]
    steps_before = [p.step for p in [metric_point(e) async for e in client.fine_tuning.jobs.list_events(job.id)] if p]
    assert steps_before  # it was training when ftui closed
    await client.close()
    await server.stop()
    clock.advance(0.5)  # time passes while ftui is closed

    server = SandboxServer(data, speed=1, clock=clock)  # a different speed must not move the old job
    await server.start()
    client = sandbox_client(server)
    try:
        assert (await client.files.retrieve(file.id)).filename == "weather_jokes.jsonl"
        after = [e.id async for e in client.fine_tuning.jobs.list_events(job.id)]
        assert after[-len(before) :] == before  # old events kept, in place, none duplicated
        assert len(after) > len(before)  # and the job moved on while we were away
        assert len(set(after)) == len(after)
        points = [metric_point(e) async for e in client.fine_tuning.jobs.list_events(job.id)]
        steps = [p.step for p in points if p]
        assert max(steps) >= max(steps_before, default=0) + 5  # ~0.5 s away at 20 steps/s
    finally:
        await client.close()
        await server.stop()


async def test_api_key_is_required_when_configured(tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "k", api_key="sk-sandbox-secret-123456")
    await server.start()
    try:
        wrong = AsyncOpenAI(base_url=server.base_url, api_key="sk-wrong-key-999999", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await wrong.models.list()
        right = AsyncOpenAI(base_url=server.base_url, api_key="sk-sandbox-secret-123456")
        assert (await right.models.list()).data
        await wrong.close()
        await right.close()
    finally:
        await server.stop()


async def test_uploads_api_in_parts_with_progress(client: AsyncOpenAI) -> None:
    path = SAMPLES / "tool_calls.jsonl"
    seen: list[tuple[int, int]] = []
    file = await upload_file(client, path, progress=lambda d, t: seen.append((d, t)), threshold=1000, part_size=2048)
    size = path.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert len(seen) == 1 + -(-size // 2048)  # one report per part
    assert (await client.files.content(file.id)).content == path.read_bytes()


async def test_models_list_shows_shutdown_dates_and_fine_tunes(client: AsyncOpenAI) -> None:
    await finished_job(client)
    models = {m.id: m for m in (await client.models.list()).data}
    assert models["gpt-4o-mini-2024-07-18"].shutdown_date == "2027-01-14"
    assert any(m.startswith("ft:gpt-4o-mini-2024-07-18:sandbox:w:") for m in models)
