"""The server's seams: the chat engine it is given answers chat requests (whole and streamed),
and the trainer it is given makes its jobs progress (events, checkpoints, model, results file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job, fetch_results_csv
from ftui.sandbox.chat_engine import ChatModel, ChatParams, Completion, Piece
from ftui.sandbox.server import SandboxServer
from ftui.sandbox.trainer import Checkpoint, Happening, JobRun, JobState
from tests.conftest import SAMPLES, sandbox_client


class EchoEngine:
    """Replies with the last message in capitals, a word at a time; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[ChatModel, ChatParams]] = []
        self.forgotten: list[str] = []

    def _text(self, messages: list[dict]) -> str:
        return "ECHO " + str(messages[-1]["content"]).upper()

    async def complete(self, model: ChatModel, messages: list[dict], params: ChatParams) -> Completion:
        self.asked.append((model, params))
        return Completion(self._text(messages), "stop", {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})

    async def stream(self, model: ChatModel, messages: list[dict], params: ChatParams) -> AsyncIterator[Piece]:
        self.asked.append((model, params))
        for word in self._text(messages).split(" "):
            yield Piece(word + " ")
        yield Piece("", "length", {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})

    def forget(self, job_id: str) -> None:
        self.forgotten.append(job_id)


async def test_the_given_chat_engine_answers(tmp_path: Path) -> None:
    engine = EchoEngine()
    server = SandboxServer(tmp_path / "sb", chat_engine=engine)
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        whole = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}], n=2, max_tokens=7
        )
        assert [c.message.content for c in whole.choices] == ["ECHO HELLO THERE"] * 2
        assert whole.usage is not None and whole.usage.total_tokens == 5
        model, params = engine.asked[-1]
        assert (model.id, model.job_id, params.n, params.max_tokens) == ("gpt-4o-mini", None, 2, 7)

        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "one two"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "ECHO ONE TWO "
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5

        with pytest.raises(openai.NotFoundError):  # the route finds the model; the engine is not asked
            await client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
        assert len(engine.asked) == 2
    finally:
        await client.close()
        await server.stop()


class OneStepTrainer:
    """Trains every job in one step, done as soon as it is read."""

    def mark(self, run: JobRun, now: float) -> float:
        return 1.0

    def happenings(self, run: JobRun, t0: float, t1: float) -> list[Happening]:
        if not t0 < 1.0 <= t1:
            return []
        at = int(run.created_real)
        ckpt = Checkpoint(1, run.plan.fine_tuned_model + ":ckpt-step-1", {"step": 1, "train_loss": 0.5})
        return [
            Happening(at, "One step trainer began"),
            Happening(at, "Step 1/1: training loss=0.50", type="metrics", data={"step": 1, "train_loss": 0.5}),
            Happening(at, "Checkpoint created at step 1", checkpoint=ckpt),
            Happening(at, "The job has successfully completed", final=True, results_csv="step,train_loss\n1,0.5\n"),
        ]

    def state(self, run: JobRun, t: float, now: float) -> JobState:
        return JobState("succeeded", fine_tuned_model=run.plan.fine_tuned_model)

    def models(self, run: JobRun, now: float) -> list[tuple[str, int]]:
        at = int(run.created_real)
        return [(run.plan.fine_tuned_model, at), (run.plan.fine_tuned_model + ":ckpt-step-1", at)]


async def test_the_given_trainer_runs_the_jobs(tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "sb", trainer=OneStepTrainer())
    await server.start()
    client = sandbox_client(server, max_retries=0)
    try:
        file = await upload_file(client, SAMPLES / "weather_jokes.jsonl")
        created = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, suffix="one"))
        job = await client.fine_tuning.jobs.retrieve(created.id)
        assert job.status == "succeeded" and job.fine_tuned_model and ":sandbox:one:" in job.fine_tuned_model
        events = (await client.fine_tuning.jobs.list_events(created.id)).data
        assert events[-1].message == "One step trainer began"
        assert len(events) == 4  # written once, though the job was read three times
        checkpoints = (await client.fine_tuning.jobs.checkpoints.list(created.id)).data
        assert [c.step_number for c in checkpoints] == [1]
        models = {m.id for m in (await client.models.list()).data}
        assert {job.fine_tuned_model, job.fine_tuned_model + ":ckpt-step-1"} <= models
        assert await fetch_results_csv(client, job.result_files[0]) == "step,train_loss\n1,0.5\n"
    finally:
        await client.close()
        await server.stop()
