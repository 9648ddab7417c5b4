"""Snapshots at 80x24 of the screens issue 23 changed in the Jobs tab: the new-job form (no blank
rows, every model entry on one line with its price), the job list's whole-row line and the
event log scrolled sideways. Fixed jobs served over loopback (tests.tui.test_snapshots_jobs_chat)."""

from __future__ import annotations

from ftui.tui.app import FtuiApp
from ftui.tui.jobs.new_job import NewJobScreen
from tests.tui.conftest import screen_text, settle, wait_for
from tests.tui.test_snapshots_jobs_chat import fill_jobs, recorded, utc  # noqa: F401  (fixtures)


def open_form(app: FtuiApp, *, dropdown: bool = False):
    before = fill_jobs(app)

    async def run_before(pilot) -> None:
        await before(pilot)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        form = app.screen
        form.query_one("#training").value = "train.jsonl"  # not the test's temporary folder
        await wait_for(lambda: any("Ab12Cd04" in str(o[0]) for o in form._model_options()))
        if dropdown:
            await pilot.press("tab", "tab", "enter")
        await settle(pilot)

    return run_before


def test_new_job_form_80x24(snap_compare, sample_copy, recorded) -> None:  # noqa: F811
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form(app))


def test_new_job_form_models_80x24(snap_compare, sample_copy, recorded) -> None:  # noqa: F811
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_form(app, dropdown=True))


def test_jobs_list_selected_row_whole_80x24(snap_compare, sample_copy, recorded) -> None:  # noqa: F811
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    before = fill_jobs(app)

    async def run_before(pilot) -> None:
        await before(pilot)
        await pilot.press("j", "j")  # the job that succeeded: its fine-tuned model under the list
        await wait_for(lambda: "Ab12Cd04" in screen_text(app))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_job_events_scrolled_sideways_80x24(snap_compare, sample_copy, recorded) -> None:  # noqa: F811
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=recorded)
    before = fill_jobs(app, "ftjob-snapshot0004")

    async def run_before(pilot) -> None:
        await before(pilot)
        await pilot.press("e")
        await wait_for(lambda: "The job has successfully completed" in screen_text(app))
        await pilot.press("right", "right", "right")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
