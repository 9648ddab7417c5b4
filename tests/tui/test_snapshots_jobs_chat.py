"""Snapshots of the Jobs tab (fixed jobs and events, no network) and the Chat tab (sandbox, frozen clock)."""

from __future__ import annotations

import asyncio
import collections
import itertools
import time

import pytest
from openai._models import construct_type
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

from ftui.tui.app import FtuiApp
from ftui.tui.jobs.messages import JobEvents, JobsListed
from tests.tui.conftest import sandbox_settings, wait_connected, wait_for, wait_validated

T0 = 1767261600  # 2026-01-01 10:00 UTC


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def job(n: int, status: str, **extra) -> FineTuningJob:
    base = {
        "id": f"ftjob-snapshot{n:04d}",
        "object": "fine_tuning.job",
        "created_at": T0 + 3600 * n,
        "finished_at": T0 + 3600 * n + 754 if status in ("succeeded", "failed", "cancelled") else None,
        "error": None,
        "fine_tuned_model": f"ft:gpt-4o-mini-2024-07-18:acme:weather-{n}:Ab12Cd{n:02d}"
        if status == "succeeded"
        else None,
        "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8},
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8}},
        },
        "model": "gpt-4o-mini-2024-07-18",
        "organization_id": "org-snapshot",
        "result_files": ["file-results0001"] if status == "succeeded" else [],
        "seed": 42,
        "status": status,
        "trained_tokens": 25_233 if status == "succeeded" else None,
        "training_file": "file-train0001",
        "validation_file": "file-valid0001",
    }
    base.update(extra)
    return construct_type(type_=FineTuningJob, value=base)  # lenient, as the SDK parses answers


def events(job_id: str, steps: int = 60) -> list[FineTuningJobEvent]:
    out = [
        FineTuningJobEvent(
            id="ev-0",
            object="fine_tuning.job.event",
            created_at=T0,
            level="info",
            message=f"Created fine-tuning job: {job_id}",
            type="message",
        )
    ]
    for step in range(1, steps + 1):
        loss = 0.25 + 2.0 * 0.93**step + (0.08 if step % 7 == 0 else 0)
        data = {"step": step, "total_steps": steps, "train_loss": loss, "train_mean_token_accuracy": 1 - loss / 3}
        if step % 5 == 0:
            data["valid_loss"] = loss * 1.1 + 0.05
        if step % 20 == 0:
            data["full_valid_loss"] = loss * 1.08 + 0.04
        out.append(
            FineTuningJobEvent(
                id=f"ev-{step}",
                object="fine_tuning.job.event",
                created_at=T0 + 10 * step,
                level="info",
                message=f"Step {step}/{steps}: training loss={loss:.2f}",
                type="metrics",
                data=data,
            )
        )
    out.append(
        FineTuningJobEvent(
            id="ev-end",
            object="fine_tuning.job.event",
            created_at=T0 + 754,
            level="info",
            message="The job has successfully completed",
            type="message",
        )
    )
    return out


JOBS = [
    job(6, "running"),
    job(5, "paused"),
    job(4, "succeeded"),
    job(
        3,
        "failed",
        error={
            "code": "invalid_training_file",
            "message": "Line 12: messages[2].role is missing.",
            "param": "training_file",
        },
    ),
    job(2, "cancelled"),
    job(1, "validating_files"),
    job(0, "reticulating"),  # a status ftui has never heard of is shown as it comes
]


def fill_jobs(app: FtuiApp, open_id: str | None = None):
    async def run_before(pilot) -> None:
        await wait_validated(app)
        await pilot.press("2")
        tab = app.jobs_tab
        tab.post_message(JobsListed(JOBS, more=False, first=True))
        await pilot.pause(0.1)
        if open_id:
            tab.model.traces.clear()
            trace = tab.model.trace(open_id)
            trace.complete = True
            tab.post_message(JobEvents(open_id, events(open_id)))
            await pilot.pause(0.1)
            tab.open_job(open_id)
        await pilot.pause(0.6)

    return run_before


def test_jobs_list_80x24(snap_compare, sample_copy, utc) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=fill_jobs(app))


def test_job_view_80x24(snap_compare, sample_copy, utc) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=fill_jobs(app, "ftjob-snapshot0004"))


def test_job_view_events_80x24(snap_compare, sample_copy, utc) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    before = fill_jobs(app, "ftjob-snapshot0004")

    async def run_before(pilot) -> None:
        await before(pilot)
        await pilot.press("e")
        await pilot.pause(0.4)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_job_view_failed_120x40(snap_compare, sample_copy, utc) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=fill_jobs(app, "ftjob-snapshot0003"))


@pytest.fixture
def frozen_latency(monkeypatch):
    """Each reply's clock moves 50 ms per reading (start, first token, end), whatever the
    interleaving of two streams: the numbers in a reply are fixed."""
    ticks: dict[int, itertools.count] = collections.defaultdict(itertools.count)
    monkeypatch.setattr("ftui.provider.chat.time.perf_counter", lambda: next(ticks[id(asyncio.current_task())]) * 0.05)


def chat_before(app: FtuiApp, prompt: str, models: list[str]):
    async def run_before(pilot) -> None:
        await wait_connected(app)
        await wait_validated(app)
        await pilot.press("3")
        app.chat_tab.open_model(models[0], models[1] if len(models) > 1 else None)
        await pilot.pause(0.1)
        for ch in prompt:
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await wait_for(lambda: not app.chat_tab.exchanges[-1].busy, timeout=15)
        app.chat_tab.prompt.cursor_blink = False  # a blinking cursor would make the picture random
        await pilot.pause(0.4)

    return run_before


def test_chat_80x24(snap_compare, sample_copy, tmp_path, frozen_latency) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1000))
    before = chat_before(app, "Is it windy in Chicago?", ["gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14"])
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_chat_compare_120x40(snap_compare, sample_copy, tmp_path, frozen_latency) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1000))
    before = chat_before(app, "Is it windy in Chicago?", ["gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14"])
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)
