"""Pilot tests for the Jobs tab against the embedded sandbox (running fast)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.screen import ModalScreen

from ftui import state
from ftui.provider.jobs import JobRequest, create_job
from ftui.tui.app import FtuiApp
from ftui.tui.jobs.new_job import NewJobScreen
from ftui.tui.widgets.dialogs import AskScreen, ConfirmScreen
from tests.tui.conftest import sandbox_settings, screen_text, wait_connected, wait_for, wait_validated


async def open_jobs(app: FtuiApp, pilot) -> None:
    await wait_connected(app)
    await wait_validated(app)
    await pilot.press("2")
    await wait_for(lambda: app.jobs_tab.loaded)


async def start_job_via_api(app: FtuiApp, path: Path, **kwargs) -> str:
    """A job created behind the UI's back (as another tool or person would)."""
    from ftui.provider.files import upload_file

    client = app.provider.client
    file = await upload_file(client, path)
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, **kwargs))
    return job.id


async def listed_job(app: FtuiApp, pilot) -> str:
    """Start a job via the API, refresh the list (as the timer would) and wait until it shows."""
    job_id = await start_job_via_api(app, app.data_tab.dataset.path)
    await pilot.press("ctrl+r")
    await wait_for(lambda: job_id in app.session.jobs.jobs)
    return job_id


async def test_create_from_form_with_confirm_then_watch_to_success(sample_copy, tmp_path, monkeypatch) -> None:
    from ftui.tui.jobs import start_job

    steps: list[tuple[str, int | None, int | None]] = []

    class Recorded(start_job.StartProgress):  # what the progress screen was told, step by step
        def __init__(self, text: str, done: int | None = None, total: int | None = None) -> None:
            super().__init__(text, done, total)
            steps.append((text, done, total))

    monkeypatch.setattr(start_job, "StartProgress", Recorded)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=150))
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jobs(app, pilot)
        assert "No jobs yet" in screen_text(app)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        assert "weather_jokes.jsonl" in app.screen.query_one("#training").value
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        text = screen_text(app)
        assert "14 examples" in text and "no errors" in text and "≈ $" in text
        assert app.session.jobs.jobs == {}  # nothing was spent before the confirm
        await pilot.press("y")
        tab = app.jobs_tab
        await wait_for(lambda: tab.current is not None, timeout=20)
        job_id = tab.current
        size = app.data_tab.dataset.path.stat().st_size
        counted = [step for step in steps if step[1] is not None]  # the bar's steps (a name is said first)
        assert steps[0][0] == f"Uploading {app.data_tab.dataset.path.name}…"
        assert counted[0][1:] == (0, size) and any(done == total == size for _, done, total in steps)  # it filled
        assert "Uploading the training file" in counted[0][0] and steps[-1][0] == "Creating the job…"
        await wait_for(
            lambda: tab.model.jobs[job_id].status == "succeeded" and tab.model.traces[job_id].complete, timeout=30
        )
        trace = tab.model.traces[job_id]
        assert sum("successfully completed" in line for line in trace.lines) == 1
        assert len(trace.event_ids) == len(trace.lines)
        assert trace.points > 10
        await wait_for(lambda: all(t in screen_text(app) for t in ("✓ succeeded", job_id, "Loss by step")))
        await wait_for(lambda: any("Job ended" in n.title and job_id in n.message for n in app._notifications))
        assert bells
        await pilot.press("c")
        await wait_for(lambda: len(trace.checkpoints) == 3)
        await wait_for(lambda: "ckpt-step-" in screen_text(app))
        await pilot.press("e")
        await wait_for(lambda: "The job has successfully completed" in screen_text(app))
        assert job_id not in state.watched_jobs()  # it ended: nothing left to watch


async def test_form_refuses_a_file_with_errors_and_bad_hyperparameters(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jobs(app, pilot)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        form = app.screen
        form.query_one("#epochs").value = "99"
        await pilot.press("ctrl+s")
        await wait_for(lambda: "Epochs: 99 is out of range" in screen_text(app))
        form.query_one("#epochs").value = "auto"
        await pilot.press("ctrl+s")
        await wait_for(lambda: "nothing was uploaded" in screen_text(app), timeout=20)
        assert "The training file has 17 errors; line 2" in screen_text(app)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, ModalScreen))
        page = await app.provider.client.fine_tuning.jobs.list()
        assert page.data == [] and app.provider is not None


async def test_pause_resume_and_cancel_with_confirm(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=4))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jobs(app, pilot)
        job_id = await listed_job(app, pilot)
        tab = app.jobs_tab
        await wait_for(lambda: tab.table.selected == job_id)
        await pilot.press("enter")
        await wait_for(lambda: tab.current == job_id)
        await wait_for(lambda: tab.model.jobs[job_id].status == "running", timeout=20)
        await pilot.press("p")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(lambda: tab.model.jobs[job_id].status in ("pausing", "paused"))
        await wait_for(lambda: "‖ paus" in screen_text(app))
        await pilot.press("r")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(lambda: tab.model.jobs[job_id].status == "running", timeout=20)
        await pilot.press("x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # changed my mind: nothing happens
        await wait_for(lambda: not isinstance(app.screen, ConfirmScreen))
        assert not tab.workers or all(w.group != "jobs-control" or w.is_finished for w in tab.workers)
        assert tab.model.jobs[job_id].status == "running"
        await pilot.press("x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(lambda: tab.model.jobs[job_id].status == "cancelled")
        await wait_for(lambda: "⊘ cancelled" in screen_text(app))


async def test_injected_faults_still_show_every_event_once(sample_copy, tmp_path, monkeypatch) -> None:
    # Each fault lasts 3 requests to its route (outlasting the SDK's 2 retries). With seed 11 the
    # watcher's first events request meets three 429s in every run (so it must reconnect), and
    # later ones meet dropped connections and 500s.
    monkeypatch.setenv("FTUI_SANDBOX_FAULTS", "429=0.1,500=0.05,drop=0.05,streak=3,seed=11")
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=60))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await pilot.press("2")
        job_id = None
        for _ in range(20):  # the setup calls meet the faults too
            try:
                job_id = await start_job_via_api(app, app.data_tab.dataset.path)
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert job_id is not None
        tab = app.jobs_tab
        tab.open_job(job_id)
        await wait_for(lambda: tab.model.traces[job_id].complete, timeout=60)
        trace = tab.model.traces[job_id]
        # The sandbox (a child process) still misbehaves: read the truth back with ample retries.
        patient = app.provider.client.with_options(max_retries=25)
        expected = [e.id async for e in patient.fine_tuning.jobs.list_events(job_id, limit=100)]
        assert sorted(trace.event_ids) == sorted(expected)
        assert len(trace.lines) == len(expected)  # every event once
        assert trace.lines[-1].endswith("The job has successfully completed")
        assert trace.reconnects > 0 and trace.reconnecting is None  # it said "reconnecting", then recovered


async def test_watched_jobs_resume_after_a_restart(sample_copy, tmp_path) -> None:
    path = sample_copy("weather_jokes.jsonl")
    settings = sandbox_settings(tmp_path, speed=15)
    app = FtuiApp(path, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jobs(app, pilot)
        job_id = await start_job_via_api(app, path)
        await pilot.press("ctrl+r")
        await wait_for(lambda: job_id in app.session.jobs.jobs)
        app.jobs_tab.open_job(job_id)
        await wait_for(lambda: app.session.jobs.traces[job_id].lines)
        seen_before = len(app.session.jobs.traces[job_id].lines)
    assert state.watched_jobs() == [job_id] and state.last_job() == job_id

    again = FtuiApp(path, settings=settings)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_connected(again)
        tab = again.jobs_tab
        await wait_for(lambda: job_id in tab.model.traces and tab.model.traces[job_id].complete, timeout=40)
        trace = tab.model.traces[job_id]
        assert len(trace.lines) >= seen_before and len(set(trace.lines)) == len(trace.lines)
        await wait_for(lambda: any("Job ended" in n.title for n in again._notifications))
    assert state.watched_jobs() == []


async def test_save_results_csv_atomically(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jobs(app, pilot)
        job_id = await listed_job(app, pilot)
        tab = app.jobs_tab
        tab.open_job(job_id)
        await wait_for(
            lambda: tab.model.jobs[job_id].status == "succeeded" and tab.model.jobs[job_id].result_files, timeout=30
        )
        await pilot.press("s")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        missing = tmp_path / "missing" / "dir" / "results.csv"
        app.screen.query_one("#ask-value").value = str(missing)
        await pilot.press("enter")
        said = f"Cannot save the results CSV: the folder {missing.parent} does not exist"
        await wait_for(lambda: any(said in n.message for n in app._notifications))
        assert not (tmp_path / "missing").exists()  # no folder is made on the way
        await pilot.press("s")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        target = tmp_path / "out" / "results.csv"
        target.parent.mkdir()
        app.screen.query_one("#ask-value").value = str(target)
        await pilot.press("enter")
        await wait_for(lambda: target.exists())
        text = target.read_text()
        assert text.startswith("step,train_loss") and len(text.splitlines()) > 10
        assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("key", ["o"])
async def test_open_fine_tuned_model_in_chat(sample_copy, tmp_path, key) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_jobs(app, pilot)
        job_id = await listed_job(app, pilot)
        tab = app.jobs_tab
        tab.open_job(job_id)
        await wait_for(
            lambda: tab.model.traces[job_id].complete and tab.model.jobs[job_id].fine_tuned_model, timeout=30
        )
        await pilot.press("c")
        await wait_for(lambda: len(tab.model.traces[job_id].checkpoints) == 3)
        await wait_for(lambda: tab.query_one("#checkpoints").row_count == 3)
        await pilot.pause()
        rows = [line.rstrip() for line in screen_text(app).splitlines() if line.startswith(" ckpt-step-")]
        assert len(rows) == 3
        steps = [int(r.split()[0].removeprefix("ckpt-step-")) for r in rows]
        assert steps == sorted(steps, reverse=True)  # newest first, in the order `ftui jobs checkpoints` prints
        from ftui.provider.jobs import list_checkpoints

        assert [c.step_number for c in await list_checkpoints(app.provider.client, job_id)] == steps
        for row, c in zip(rows, tab.model.traces[job_id].checkpoints, strict=True):
            # at 80 columns each model id is cut in its middle, so its end (the step) shows
            assert "…" in row and row.endswith(c.fine_tuned_model_checkpoint[-8:])
        from ftui.tui.commands import FtuiCommands

        names = [name for name, _, _ in FtuiCommands(app.screen)._commands()]
        assert "Save results CSV…" in names and "Chat with the fine-tuned model" in names
        assert not [n for n in names if n.startswith(("Cancel job", "Pause job", "Resume job"))]  # it ended
        await pilot.press(key)
        chat = app.chat_tab
        await wait_for(
            lambda: chat.models[0].endswith(":ckpt-step-" + str(tab.model.traces[job_id].checkpoints[0].step_number))
        )
        assert chat.models[0].endswith(":ckpt-step-" + str(tab.model.traces[job_id].checkpoints[0].step_number))
        assert chat.models[1] == tab.model.jobs[job_id].model
        assert "ckpt-step-" in screen_text(app)


async def test_event_log_filters_with_slash_and_esc_clears(sample_copy, tmp_path) -> None:
    from tests.tui.fixed_jobs import JOB_OBJECTS as JOBS
    from tests.tui.fixed_jobs import event_objects as events

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("2")
        tab = app.jobs_tab
        from ftui.tui.jobs.messages import JobEvents, JobsListed

        tab.post_message(JobsListed(JOBS, more=False, first=True))
        await wait_for(lambda: tab.table.row_count == len(JOBS))
        tab.model.trace("ftjob-snapshot0004").complete = True
        tab.post_message(JobEvents("ftjob-snapshot0004", events("ftjob-snapshot0004")))
        await wait_for(lambda: len(tab.model.trace("ftjob-snapshot0004").lines) == 62)
        tab.open_job("ftjob-snapshot0004")
        await pilot.press("slash")
        for ch in "val_loss":
            await pilot.press(ch if ch != "_" else "underscore")
        await pilot.press("enter")
        from ftui.tui.widgets.tail_view import TailView

        tail = app.query_one(TailView)
        await wait_for(lambda: tail.count == 12)
        shown = [tail.line(i) for i in range(tail.count)]
        assert len(shown) == 12 and all("val_loss" in line for line in shown)
        await pilot.press("j", "k", "G")  # moving keys reach the log while the job view has focus
        await pilot.press("escape")
        await wait_for(lambda: tail.count == 62)
        assert tab.has_class("view-mode")
        await pilot.press("escape")
        assert tab.has_class("list-mode")


async def test_job_list_pages_and_keeps_the_selection_on_refresh(sample_copy, tmp_path) -> None:
    from ftui.provider.files import upload_file
    from ftui.tui.jobs.tab import PAGE_SIZE

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=0.01))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        client = app.provider.client
        file = await upload_file(client, app.data_tab.dataset.path)
        ids = [
            (await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, suffix=f"n{i}"))).id
            for i in range(PAGE_SIZE + 5)
        ]
        await wait_validated(app)
        await pilot.press("2")
        tab = app.jobs_tab
        table = tab.table
        await wait_for(lambda: table.row_count == PAGE_SIZE + 1)  # a page, and the row that loads more
        await pilot.press("k")
        await pilot.press("j", "j", "j")
        picked = table.selected
        assert picked == ids[-4]  # newest first
        worker = tab._list_worker
        await pilot.press("ctrl+r")  # what the timer does every few seconds
        await wait_for(lambda: tab._list_worker is not worker and tab._list_worker.is_finished)
        await pilot.pause()  # the page it posted is handled
        assert table.selected == picked
        await pilot.press("G")  # reaching the end loads the next page
        await wait_for(lambda: table.row_count == PAGE_SIZE + 5)
        assert not tab.model.more and set(ids) <= set(tab.model.order)
