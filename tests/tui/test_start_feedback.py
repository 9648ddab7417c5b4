"""Feedback within a frame: after `y` on "Upload and start", the start screen says "Starting…"
at once, while the work behind it has not answered yet (issue 23)."""

from __future__ import annotations

import asyncio

from ftui.tui.app import FtuiApp
from ftui.tui.jobs.start_job import StartJobScreen
from tests.tui.conftest import sandbox_settings, wait_connected, wait_for, wait_validated
from tests.tui.test_start_job_repeat import start_from_form


async def test_the_start_screen_says_starting_then_uploading_before_the_work_answers(
    sample_copy, tmp_path, monkeypatch
) -> None:
    from ftui import job_intent

    real_find = job_intent.find_repeat
    release = asyncio.Event()

    async def slow_find(client, intent):  # a provider slow to answer the first question
        await asyncio.wait_for(release.wait(), 20)
        return await real_find(client, intent)

    monkeypatch.setattr(job_intent, "find_repeat", slow_find)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await start_from_form(app, pilot)

        def status() -> str:
            return str(app.screen.query_one("#start-step").render()) if isinstance(app.screen, StartJobScreen) else ""

        await wait_for(lambda: isinstance(app.screen, StartJobScreen), timeout=10)
        assert status().startswith("Starting…")  # drawn with the screen, before any answer
        release.set()
        seen: set[str] = set()

        def uploading_seen() -> bool:
            seen.add(status())
            return any(s.startswith("Uploading weather_jokes.jsonl") for s in seen) or not isinstance(
                app.screen, StartJobScreen
            )

        await wait_for(uploading_seen, timeout=30)
        await wait_for(lambda: not isinstance(app.screen, StartJobScreen), timeout=30)
        assert any(s.startswith("Uploading") or "uploaded" in s for s in seen), seen
