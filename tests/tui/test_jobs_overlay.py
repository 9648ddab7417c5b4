"""Comparing runs in the Jobs tab: `v` picks another job, whose curves the chart draws over the open
job's on the same step axis, with a legend that names both; "No overlay" takes them away. Fixed
jobs served over loopback (nothing moves), so the 80x24 snapshot is stable."""

from __future__ import annotations

import time

import pytest

from ftui.config import Profile, Settings
from ftui.tui.app import FtuiApp
from ftui.tui.jobs.loss_chart import LossChart
from ftui.tui.jobs.overlay import OverlayPicker, short_id
from tests.recorded_api import RecordedApi
from tests.tui.conftest import screen_text, settle, wait_connected, wait_for, wait_validated
from tests.tui.fixed_jobs import T0, event, job

OPEN = "ftjob-snapshot0004"
OTHER = "ftjob-snapshot0007"


def other_events(job_id: str, steps: int = 40) -> list[dict]:
    """A shorter run that learns more slowly (its curve sits above the open job's)."""
    out = [event("ov-0", T0, f"Created fine-tuning job: {job_id}")]
    for step in range(1, steps + 1):
        loss = 0.6 + 2.2 * 0.95**step
        data = {"step": step, "total_steps": steps, "train_loss": loss, "train_mean_token_accuracy": 1 - loss / 3}
        if step % 5 == 0:
            data["valid_loss"] = loss * 1.05 + 0.1
        out.append(
            event(f"ov-{step}", T0 + 10 * step, f"Step {step}/{steps}: training loss={loss:.2f}", "metrics", **data)
        )
    out.append(event("ov-end", T0 + 500, "The job has successfully completed"))
    return out


def open_events(job_id: str, steps: int = 60) -> list[dict]:
    from tests.tui.fixed_jobs import events

    return events(job_id, steps)


@pytest.fixture
def two_runs(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    jobs = [job(7, "succeeded", result_files=[]), job(4, "succeeded", result_files=[])]
    api = RecordedApi(jobs=jobs, events={OPEN: open_events(OPEN), OTHER: other_events(OTHER)})
    url = api.start()
    monkeypatch.setenv("FTUI_RECORDED_KEY", "sk-recorded-0000")
    profile = Profile(name="recorded", provider="openai", base_url=url, api_key_env="FTUI_RECORDED_KEY")
    yield Settings(default_profile="recorded", profiles={"recorded": profile})
    api.stop()
    monkeypatch.undo()
    time.tzset()


def overlay_shown(app: FtuiApp):
    """Open OPEN, press v, pick OTHER; wait until both jobs' curves are drawn."""

    async def run_before(pilot) -> None:
        await wait_validated(app)
        await wait_connected(app)
        await pilot.press("2")
        tab = app.jobs_tab
        await wait_for(lambda: tab.loaded and tab.table.row_count == 2)
        while tab.table.selected != OPEN:
            await pilot.press("j")
        await pilot.press("enter")
        await wait_for(lambda: tab.model.trace(OPEN).complete and "(60 points)" in screen_text(app))
        await pilot.press("v")
        await wait_for(lambda: isinstance(app.screen, OverlayPicker))
        await pilot.press("enter")  # the first row: the other job
        await wait_for(lambda: tab.overlay == OTHER and tab.model.trace(OTHER).complete)
        await wait_for(lambda: app.jobs_tab.query_one(LossChart).overlaid == ["train", "valid"])
        await settle(pilot)

    return run_before


async def test_overlay_draws_both_jobs_and_names_them(sample_copy, two_runs) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=two_runs)
    async with app.run_test(size=(80, 24)) as pilot:
        await overlay_shown(app)(pilot)
        text = screen_text(app)
        lines = text.splitlines()
        mine = next(line for line in lines if short_id(OPEN) in line)
        theirs = next(line for line in lines if short_id(OTHER) in line)
        assert "train" in mine and "valid" in mine and "train" in theirs
        # The legend gives each job's last value: the other run's last train loss.
        last = other_events(OTHER)[-2]["data"]["train_loss"]
        assert f"{last:.3f}" in theirs
        # One step axis: the longer run's 60 steps.
        plot = app.jobs_tab.query_one(LossChart)._plot
        assert plot._x_max == 60
        # Accuracy overlays too.
        await pilot.press("a")
        await wait_for(lambda: app.jobs_tab.query_one(LossChart).overlaid == ["train"])
        # "No overlay" takes the other job away.
        await pilot.press("v")
        await wait_for(lambda: isinstance(app.screen, OverlayPicker))
        await pilot.press("enter")  # the first row now: No overlay
        await wait_for(lambda: app.jobs_tab.overlay is None)
        await wait_for(lambda: short_id(OTHER) not in screen_text(app))
        assert app.jobs_tab.query_one(LossChart).overlaid == []


def test_overlay_80x24(snap_compare, sample_copy, two_runs) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=two_runs)
    assert snap_compare(app, terminal_size=(80, 24), run_before=overlay_shown(app))
