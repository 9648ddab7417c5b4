"""Snapshots of the Jobs tab (fixed jobs and events served over loopback to ftui's real
provider path) and the Chat tab (sandbox, frozen clock)."""

from __future__ import annotations

import asyncio
import collections
import itertools
import time

import pytest

from ftui.config import Profile, Settings
from ftui.tui.app import FtuiApp
from tests.recorded_api import RecordedApi
from tests.tui.conftest import sandbox_settings, screen_text, settle, wait_connected, wait_for, wait_validated

T0 = 1767261600  # 2026-01-01 10:00 UTC


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def job(n: int, status: str, **extra) -> dict:
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
    return base


def event(id: str, created_at: int, message: str, type: str = "message", **data) -> dict:
    out = {"id": id, "object": "fine_tuning.job.event", "created_at": created_at, "level": "info"}
    return out | {"message": message, "type": type, **({"data": data} if data else {})}


def events(job_id: str, steps: int = 60) -> list[dict]:
    out = [event("ev-0", T0, f"Created fine-tuning job: {job_id}")]
    for step in range(1, steps + 1):
        loss = 0.25 + 2.0 * 0.93**step + (0.08 if step % 7 == 0 else 0)
        data = {"step": step, "total_steps": steps, "train_loss": loss, "train_mean_token_accuracy": 1 - loss / 3}
        if step % 5 == 0:
            data["valid_loss"] = loss * 1.1 + 0.05
        if step % 20 == 0:
            data["full_valid_loss"] = loss * 1.08 + 0.04
        message = f"Step {step}/{steps}: training loss={loss:.2f}"
        out.append(event(f"ev-{step}", T0 + 10 * step, message, "metrics", **data))
    out.append(event("ev-end", T0 + 754, "The job has successfully completed"))
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


def results_csv(job_id: str) -> str:
    """The results file of a job, holding the same steps as its metric events."""
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    for e in events(job_id):
        if d := e.get("data"):
            rows.append(f"{d['step']},{d['train_loss']},{d['train_mean_token_accuracy']},{d.get('valid_loss', '')},")
    return "\n".join(rows) + "\n"


@pytest.fixture
def recorded(monkeypatch, utc):
    """An app on a provider that serves JOBS and their events (no sandbox, nothing moves)."""
    api = RecordedApi(
        jobs=JOBS,
        events={j["id"]: events(j["id"]) for j in JOBS if j["status"] != "validating_files"},
        files={"file-results0001": results_csv("ftjob-snapshot0004")},
    )
    url = api.start()
    monkeypatch.setenv("FTUI_RECORDED_KEY", "sk-recorded-0000")
    profile = Profile(name="recorded", provider="openai", base_url=url, api_key_env="FTUI_RECORDED_KEY")
    settings = Settings(default_profile="recorded", profiles={"recorded": profile})
    yield settings
    api.stop()


def fill_jobs(app: FtuiApp, open_id: str | None = None):
    """Open the Jobs tab (the list comes from the provider) and, with ``open_id``, that job."""

    async def run_before(pilot) -> None:
        await wait_validated(app)
        await wait_connected(app)
        await pilot.press("2")
        await wait_for(lambda: app.jobs_tab.loaded and app.jobs_tab.table.row_count == len(JOBS))
        if open_id:
            while app.jobs_tab.table.selected != open_id:
                await pilot.press("j")
            await pilot.press("enter")
            trace = app.jobs_tab.model.trace(open_id)
            await wait_for(lambda: trace.complete and app.jobs_tab.current == open_id)
            await wait_for(lambda: "(60 points)" in screen_text(app))  # the chart is drawn
        await settle(pilot)

    return run_before


def test_jobs_list_80x24(snap_compare, sample_copy, recorded) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    assert snap_compare(app, terminal_size=(80, 24), run_before=fill_jobs(app))


def test_job_view_80x24(snap_compare, sample_copy, recorded) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    assert snap_compare(app, terminal_size=(80, 24), run_before=fill_jobs(app, "ftjob-snapshot0004"))


def test_job_view_events_80x24(snap_compare, sample_copy, recorded) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    before = fill_jobs(app, "ftjob-snapshot0004")

    async def run_before(pilot) -> None:
        await before(pilot)
        await pilot.press("e")
        await wait_for(lambda: "The job has successfully completed" in screen_text(app))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_job_view_failed_120x40(snap_compare, sample_copy, recorded) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
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
        await pilot.pause()
        for ch in prompt:
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await wait_for(lambda: not app.chat_tab.exchanges[-1].busy, timeout=15)
        app.chat_tab.prompt.cursor_blink = False  # a blinking cursor would make the picture random
        await settle(pilot)

    return run_before


def test_chat_80x24(snap_compare, sample_copy, tmp_path, frozen_latency) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1000))
    before = chat_before(app, "Is it windy in Chicago?", ["gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14"])
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_chat_compare_120x40(snap_compare, sample_copy, tmp_path, frozen_latency) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1000))
    before = chat_before(app, "Is it windy in Chicago?", ["gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14"])
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)
