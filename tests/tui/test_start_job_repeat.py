"""The TUI's start screen shares the CLI's create path: the same job started again within a day
is named and asked about before anything is spent, and a lost answer's wait is said on screen
(Pilot, against the embedded sandbox)."""

from __future__ import annotations

import asyncio

from ftui.tui.app import FtuiApp
from ftui.tui.jobs.new_job import NewJobScreen
from ftui.tui.jobs.start_job import StartJobScreen
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.tui.conftest import sandbox_settings, screen_text, wait_connected, wait_for, wait_validated


async def start_from_form(app: FtuiApp, pilot) -> None:
    """Open the new-job form from the Jobs tab, check it and confirm "Upload and start"."""
    await pilot.press("2")
    await wait_for(lambda: app.jobs_tab.loaded)
    await pilot.press("n")
    await wait_for(lambda: isinstance(app.screen, NewJobScreen), timeout=20)
    await pilot.press("ctrl+s")
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
    await pilot.press("y")


async def jobs_on_server(app: FtuiApp) -> list[str]:
    return [j.id for j in (await app.provider.client.fine_tuning.jobs.list()).data]


async def test_the_same_job_started_again_is_named_and_asked_about(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await start_from_form(app, pilot)
        await wait_for(lambda: not isinstance(app.screen, (StartJobScreen, ConfirmScreen)), timeout=30)
        first = await jobs_on_server(app)
        assert len(first) == 1

        await pilot.press("escape")
        await start_from_form(app, pilot)  # the same file, model and settings
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen) and "same job" in screen_text(app), timeout=30)
        text = screen_text(app)
        assert "Start the same job again?" in text and first[0] in text and "billed again" in text
        await pilot.press("n")
        await wait_for(lambda: not isinstance(app.screen, (StartJobScreen, ConfirmScreen)), timeout=20)
        assert await jobs_on_server(app) == first  # nothing created, nothing spent

        await pilot.press("escape")
        await start_from_form(app, pilot)
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen) and "same job" in screen_text(app), timeout=30)
        await pilot.press("y")  # asked, and the user wants another one
        await wait_for(lambda: not isinstance(app.screen, (StartJobScreen, ConfirmScreen)), timeout=30)
        assert len(await jobs_on_server(app)) == 2


async def test_the_wait_for_a_lost_answer_is_said_on_the_start_screen(sample_copy, tmp_path, monkeypatch) -> None:
    from ftui.provider import jobs

    real_create = jobs.create_job
    shown = asyncio.Event()
    line = "The answer was lost (the provider did not answer in time); looking for the job (up to 30 s)…"

    async def slow_answer(client, request, **kwargs):
        kwargs["on_wait"](line)  # what create_job says while it looks
        await asyncio.wait_for(shown.wait(), 20)
        return await real_create(client, request, **kwargs)

    monkeypatch.setattr(jobs, "create_job", slow_answer)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await start_from_form(app, pilot)

        def status() -> str:
            return str(app.screen.query_one("#start-step").render()) if isinstance(app.screen, StartJobScreen) else ""

        await wait_for(lambda: status() == line, timeout=30)
        assert "The answer was lost" in screen_text(app)
        shown.set()
        await wait_for(lambda: not isinstance(app.screen, StartJobScreen), timeout=30)
        assert len(await jobs_on_server(app)) == 1
