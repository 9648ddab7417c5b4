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
from tests.tui.fixed_jobs import JOBS, events


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


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
