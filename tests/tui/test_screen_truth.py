"""Issue 23, Jobs/Files/new-job items: what the user did is never lost, and the screen says
what is true now (Pilot, against the embedded sandbox)."""

from __future__ import annotations

from ftui.tui.app import FtuiApp
from ftui.tui.jobs.new_job import NewJobScreen
from ftui.tui.jobs.start_job import StartJobScreen
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.tui.conftest import sandbox_settings, screen_text, wait_connected, wait_for, wait_validated


async def open_form(app: FtuiApp, pilot) -> NewJobScreen:
    await pilot.press("2")
    await wait_for(lambda: app.jobs_tab.loaded)
    await pilot.press("n")
    await wait_for(lambda: isinstance(app.screen, NewJobScreen))
    return app.screen  # type: ignore[return-value]


async def test_a_job_confirmed_while_connecting_waits_for_the_connection_and_starts(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        form = await open_form(app, pilot)
        form.query_one("#suffix").value = "kept"
        provider, app.session.provider = app.session.provider, None  # as in the seconds after a start
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        await pilot.press("y")
        await wait_for(lambda: isinstance(app.screen, StartJobScreen))
        await wait_for(lambda: "Waiting for the connection" in screen_text(app))
        assert "Not connected" not in screen_text(app)
        app.session.provider = provider  # connected now
        await wait_for(lambda: not isinstance(app.screen, StartJobScreen), timeout=30)
        jobs = (await provider.client.fine_tuning.jobs.list()).data
        assert len(jobs) == 1 and "kept" in str(jobs[0].user_provided_suffix)
        # the list cursor is on the job just started: Esc, Enter opens that one
        assert app.jobs_tab.current == jobs[0].id
        assert app.jobs_tab.table.selected == jobs[0].id
        # the next form offers the last job's settings
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        assert app.screen.query_one("#suffix").value == "kept"


async def test_esc_keeps_the_forms_values_for_the_next_form(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        form = await open_form(app, pilot)
        form.query_one("#epochs").value = "3"
        form.query_one("#seed").value = "42"
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, NewJobScreen))
        assert any("n opens it with them again" in n.message for n in app._notifications)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        assert app.screen.query_one("#epochs").value == "3"
        assert app.screen.query_one("#seed").value == "42"


async def test_a_start_that_cannot_connect_says_why_and_keeps_the_values(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        form = await open_form(app, pilot)
        form.query_one("#seed").value = "7"
        app.session.provider = None
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        await pilot.press("y")
        await wait_for(lambda: "Waiting for the connection" in screen_text(app))
        app.session.provider_error = "the sandbox is down"
        await wait_for(lambda: "No job was started" in screen_text(app))
        assert "the sandbox is down" in screen_text(app)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, StartJobScreen))
        app.session.provider_error = None
        assert app.jobs_tab._form_draft is not None and app.jobs_tab._form_draft[1]["seed"] == "7"


async def test_back_at_replace_the_file_goes_back_to_the_path_and_the_old_saved_line_goes(tmp_path) -> None:
    from ftui.provider.files import upload_file
    from ftui.tui.widgets.dialogs import AskScreen
    from tests.conftest import SAMPLES

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        file_id = (await upload_file(app.provider.client, SAMPLES / "weather_jokes.jsonl")).id
        await pilot.press("4")
        await wait_for(lambda: app.files_tab.selected is not None and app.files_tab.selected.id == file_id)
        first = tmp_path / "first.jsonl"
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        app.screen.query_one("#ask-value").value = str(first)
        await pilot.press("enter")
        await wait_for(lambda: "Saved" in screen_text(app), 20)
        taken = tmp_path / "taken.jsonl"
        taken.write_text("mine\n")
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        assert "Saved" not in screen_text(app)  # the last download's line does not speak for this one
        app.screen.query_one("#ask-value").value = str(taken)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Back (Esc)" in screen_text(app)
        await pilot.press("escape")  # Back: the path again, as typed
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        assert app.screen.query_one("#ask-value").value == str(taken)
        app.screen.query_one("#ask-value").value = str(tmp_path / "other.jsonl")
        await pilot.press("enter")
        await wait_for(lambda: "Saved" in screen_text(app), 20)
        assert taken.read_text() == "mine\n" and (tmp_path / "other.jsonl").exists()


async def test_the_files_list_is_read_again_on_every_visit_and_names_ctrl_r(sample_copy, tmp_path) -> None:
    from ftui.provider.files import upload_file
    from tests.conftest import SAMPLES

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await pilot.press("4")
        await wait_for(lambda: app.files_tab.files_loaded)
        await wait_for(lambda: "No files yet" in screen_text(app))
        assert "^r Refresh" in screen_text(app)
        await pilot.press("1")
        file_id = (await upload_file(app.provider.client, SAMPLES / "weather_jokes.jsonl")).id  # another shell
        await pilot.press("4")
        await wait_for(lambda: file_id in screen_text(app))
        await wait_for(lambda: "d Save" in screen_text(app))
        assert "^r Refresh" in screen_text(app)  # with every file key shown too


async def test_the_files_tab_uploads_what_the_cli_uploads_whatever_model_data_has(tmp_path) -> None:
    from tests.conftest import SAMPLES
    from tests.tui.test_files_tab import upload_via_dialog

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await pilot.press("4")
        await wait_for(lambda: app.files_tab.files_loaded)
        await upload_via_dialog(app, pilot, SAMPLES / "completion.jsonl")  # the Data tab's model takes no completion
        await wait_for(lambda: "Uploaded completion.jsonl" in screen_text(app), 30)
        assert any("not every model trains on them" in n.message for n in app._notifications)


async def test_o_on_a_results_csv_says_it_is_not_a_training_file(sample_copy, tmp_path) -> None:
    from ftui.provider.files import upload_file
    from ftui.provider.jobs import JobRequest, create_job
    from tests.tui.test_files_tab import wait_for_async

    data = sample_copy("weather_jokes.jsonl")
    app = FtuiApp(data, settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        client = app.provider.client
        file_id = (await upload_file(client, data)).id
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file_id))
        done = await wait_for_async(lambda: client.fine_tuning.jobs.retrieve(job.id), lambda j: bool(j.result_files))
        results = done.result_files[0]
        await pilot.press("4")
        await wait_for(lambda: app.files_tab.files.index_of(results) is not None)
        app.files_tab._draw(keep=results)
        await wait_for(lambda: app.files_tab.selected is not None and app.files_tab.selected.id == results)
        await pilot.press("o")
        await wait_for(lambda: "not a training file" in " ".join(screen_text(app).split()))
        assert app.data_tab.dataset.path == data  # nothing opened in Data, nothing asked
        assert app.screen is app.screen_stack[0]


async def test_at_80_columns_long_event_lines_scroll_sideways_and_the_list_shows_the_row_whole(
    sample_copy, tmp_path
) -> None:
    from ftui.provider.files import upload_file
    from ftui.provider.jobs import JobRequest, create_job
    from tests.tui.test_files_tab import wait_for_async

    data = sample_copy("weather_jokes.jsonl")
    app = FtuiApp(data, settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        client = app.provider.client
        file_id = (await upload_file(client, data)).id
        job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file_id, suffix="wide"))
        done = await wait_for_async(lambda: client.fine_tuning.jobs.retrieve(job.id), lambda j: j.status == "succeeded")
        await pilot.press("2")
        await wait_for(lambda: job.id in app.jobs_tab.model.jobs and app.jobs_tab.table.selected == job.id)
        await wait_for(lambda: done.fine_tuned_model in screen_text(app))  # the list's cut columns, in full
        assert job.id in screen_text(app)
        await pilot.press("enter", "e")
        trace = app.jobs_tab.model.trace(job.id)
        await wait_for(lambda: trace.complete)
        await pilot.press("end")
        longest = max(trace.lines[-12:], key=len)
        assert len(longest) > 80 and longest[-20:] not in screen_text(app)  # cut at first
        for _ in range(len(longest) // 8 + 1):
            await pilot.press("right")
        await wait_for(lambda: longest[-20:] in screen_text(app))
