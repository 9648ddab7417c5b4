"""Pilot tests of the Files tab against the embedded sandbox, at 80x24: the list, upload (local
check, duplicate offered for reuse), download, delete with confirm, filter, sort, `y` copy, and
the fine-tuned models list."""

from __future__ import annotations

import shutil
from pathlib import Path

from ftui import state
from ftui.provider.files import file_sha256, upload_file
from ftui.tui.app import FtuiApp
from ftui.tui.files.dialogs import DuplicateScreen, UploadScreen
from ftui.tui.jobs.new_job import OPTION_WIDTH
from ftui.tui.widgets.dialogs import AskScreen, ConfirmScreen
from tests.conftest import SAMPLES
from tests.tui.conftest import sandbox_settings, screen_text, settle, wait_connected, wait_for


async def open_files(app: FtuiApp, pilot) -> None:
    await wait_connected(app)
    await pilot.press("4")
    await wait_for(lambda: app.files_tab.files_loaded)


async def api_upload(app: FtuiApp, path: Path, remember: bool = True) -> str:
    """A file uploaded behind the tab's back (by the CLI, say), remembered as ftui remembers it."""
    file = await upload_file(app.provider.client, path)
    if remember:
        state.remember_upload(file.id, file_sha256(path), path.stat().st_size, path)
    return file.id


async def succeeded_model(app: FtuiApp, pilot) -> str:
    """A job run to success through the API (the sandbox runs fast); its fine-tuned model."""
    from ftui.provider.jobs import JobRequest, create_job

    client = app.provider.client
    file_id = await api_upload(app, SAMPLES / "weather_jokes.jsonl")
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file_id, suffix="t"))
    await wait_for_async(lambda: client.fine_tuning.jobs.retrieve(job.id), lambda j: j.status == "succeeded")
    return (await client.fine_tuning.jobs.retrieve(job.id)).fine_tuned_model


async def wait_for_async(ask, ok, timeout: float = 30.0):
    """Ask (a coroutine factory) until ``ok(answer)``, polling without fixed sleeps in the test's logic."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ok(answer := await ask()):
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)
    return answer


async def upload_via_dialog(app: FtuiApp, pilot, path: Path) -> None:
    await pilot.press("u")
    await wait_for(lambda: isinstance(app.screen, UploadScreen))
    app.screen.query_one("#upload-path").value = str(path)
    await pilot.press("enter")


async def test_upload_checks_then_lists_the_file(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", data)
    app = FtuiApp(data, settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_files(app, pilot)
        assert "No files yet" in screen_text(app)
        await pilot.press("u")
        await wait_for(lambda: isinstance(app.screen, UploadScreen))
        box = app.screen.query_one("#upload-path")
        box.value = ""
        await pilot.press(*(str(tmp_path) + "/tr"))
        await wait_for(lambda: box._suggestion == str(data))  # completed from the disk
        await pilot.press("tab")
        assert box.value == str(data)
        await pilot.press("enter")
        await wait_for(lambda: len(app.files_tab.files.items) == 1, 20)
        await settle(pilot)
        text = screen_text(app)
        assert "train.jsonl" in text and "fine-tune" in text and "processed" in text
        assert "Uploaded train.jsonl as file-" in text
        file_id = app.files_tab.files.items[0].id
        assert state.uploaded_files()[file_id] == file_sha256(data)  # kept for duplicate checks


async def test_a_file_with_errors_is_not_uploaded(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    shutil.copy(SAMPLES / "mistakes.jsonl", bad)
    app = FtuiApp(bad, settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_files(app, pilot)
        await upload_via_dialog(app, pilot, bad)
        status = app.files_tab.query_one("#files-status")
        said = lambda: " ".join(str(status.render()).split())  # noqa: E731  (a toast may lie over the screen)
        await wait_for(lambda: "Nothing was uploaded" in said(), 20)
        await pilot.pause()
        assert "bad.jsonl has" in said() and f"`ftui validate {bad}` lists every finding." in said()
        assert status.size.height >= status.get_content_height(status.size, status.size, status.size.width)  # whole
        assert app.files_tab.files.items == []
        assert [f async for f in app.provider.client.files.list()] == []  # nothing reached the provider


async def test_a_duplicate_is_offered_for_reuse_and_marked(tmp_path: Path) -> None:
    app = FtuiApp(None, settings=sandbox_settings(tmp_path), connect=True)
    copy = tmp_path / "same-content.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", copy)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        first = await api_upload(app, SAMPLES / "weather_jokes.jsonl")
        if not isinstance(app.screen, type(app.get_default_screen())):
            await pilot.press("escape")  # the open-file dialog of a start without a file
        await open_files(app, pilot)
        await upload_via_dialog(app, pilot, copy)
        await wait_for(lambda: isinstance(app.screen, DuplicateScreen), 20)
        assert first in screen_text(app) and "same content" in screen_text(app)
        await pilot.press("r")  # reuse: nothing uploaded, the existing file selected and its id copied
        await wait_for(lambda: not isinstance(app.screen, DuplicateScreen))
        assert app.clipboard == first
        assert app.files_tab.selected.id == first
        assert [f.id async for f in app.provider.client.files.list()] == [first]
        # upload anyway: a second copy, marked as a duplicate of the first
        await upload_via_dialog(app, pilot, copy)
        await wait_for(lambda: isinstance(app.screen, DuplicateScreen), 20)
        await pilot.press("u")
        await wait_for(lambda: len(app.files_tab.files.items) == 2, 20)
        second = app.files_tab.files.items[0].id
        assert app.files_tab.dupes == {second: first}
        await settle(pilot)
        text = screen_text(app)
        assert "≡ same-content.jsonl" in text and f"Same content as {first}" in text


async def test_download_asks_the_path_and_writes_it_atomically(tmp_path: Path) -> None:
    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        file_id = await api_upload(app, SAMPLES / "weather_jokes.jsonl")
        await open_files(app, pilot)
        await wait_for(lambda: app.files_tab.selected is not None and app.files_tab.selected.id == file_id)
        # a folder that does not exist: said plainly, nothing created
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        assert app.screen.query_one("#ask-value").value.endswith("weather_jokes.jsonl")
        app.screen.query_one("#ask-value").value = str(tmp_path / "nope" / "x.jsonl")
        await pilot.press("enter")
        await wait_for(lambda: "Cannot save there" in screen_text(app), 5)
        assert not (tmp_path / "nope").exists()
        out = tmp_path / "out"
        out.mkdir()
        await pilot.press("d")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        app.screen.query_one("#ask-value").value = str(out / "copy.jsonl")
        await pilot.press("enter")
        await wait_for(lambda: "Saved" in screen_text(app), 20)
        assert (out / "copy.jsonl").read_bytes() == (SAMPLES / "weather_jokes.jsonl").read_bytes()
        assert [p.name for p in out.iterdir()] == ["copy.jsonl"]  # no temp file left behind


async def test_delete_asks_first_and_warns_when_a_job_uses_the_file(tmp_path: Path) -> None:
    from ftui.provider.jobs import JobRequest, create_job

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path, speed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        used = await api_upload(app, SAMPLES / "weather_jokes.jsonl")
        spare = await api_upload(app, SAMPLES / "tool_calls.jsonl")
        job = await create_job(app.provider.client, JobRequest(model="gpt-4o-mini", training_file=used))
        await open_files(app, pilot)
        tab = app.files_tab
        assert [u.job_id for u in tab.uses[used]] == [job.id]
        await pilot.press("s", "s")  # by name: tool_calls, then weather_jokes
        assert tab.files.sort == "name" and [f.id for f in tab.files.visible] == [spare, used]
        await pilot.press("j")
        assert tab.selected.id == used
        await settle(pilot)
        assert "1 job" in screen_text(app) and f"Used by: {job.id} (training" in screen_text(app)
        await pilot.press("x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Still used by" in screen_text(app) and job.id in screen_text(app)
        await pilot.press("escape")  # not deleted
        await wait_for(lambda: not isinstance(app.screen, ConfirmScreen))
        assert {f.id async for f in app.provider.client.files.list()} == {used, spare}
        await pilot.press("k", "x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Still used" not in screen_text(app)
        await pilot.press("y")
        await wait_for(lambda: [f.id for f in tab.files.items] == [used], 20)
        assert f"Deleted {spare}" in screen_text(app)
        assert [f.id async for f in app.provider.client.files.list()] == [used]


async def test_filter_sort_and_copy(tmp_path: Path) -> None:
    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        ids = {}
        for name in ("weather_jokes.jsonl", "tool_calls.jsonl", "dpo.jsonl"):
            ids[name] = await api_upload(app, SAMPLES / name)
        await open_files(app, pilot)
        tab = app.files_tab
        assert [f.id for f in tab.files.visible] == list(ids.values())[::-1]  # newest first
        await pilot.press("slash")
        await pilot.press(*"tool")
        await wait_for(lambda: len(tab.files.visible) == 1)
        assert "filter: tool" in screen_text(app) and "tool_calls.jsonl" in screen_text(app)
        assert "dpo.jsonl" not in screen_text(app)
        await pilot.press("enter")  # keep the filter, back to the list
        await pilot.press("y")
        assert app.clipboard == ids["tool_calls.jsonl"]
        await pilot.press("escape")  # clears the filter
        await wait_for(lambda: len(tab.files.visible) == 3)
        await pilot.press("s")  # by size, biggest first
        sizes = [f.bytes for f in tab.files.visible]
        assert tab.files.sort == "size" and sizes == sorted(sizes, reverse=True)
        assert "sorted by size" in screen_text(app)
        await pilot.press("s")
        assert [f.filename for f in tab.files.visible] == ["dpo.jsonl", "tool_calls.jsonl", "weather_jokes.jsonl"]


async def test_open_in_the_data_tab_uses_the_local_file(tmp_path: Path) -> None:
    local = tmp_path / "mine.jsonl"
    shutil.copy(SAMPLES / "tool_calls.jsonl", local)
    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await api_upload(app, local)
        await open_files(app, pilot)
        await pilot.press("o")
        await wait_for(lambda: app.data_tab.dataset is not None and app.data_tab.dataset.path == local)
        assert app.query_one("#tabs").active == "data"
        # a file ftui did not upload: downloaded first (asks where), then opened
        other = await api_upload(app, SAMPLES / "dpo.jsonl", remember=False)
        await pilot.press("4", "ctrl+r")
        await wait_for(lambda: app.files_tab.selected is not None and app.files_tab.selected.id == other)
        await pilot.press("o")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        copy = tmp_path / "dpo-copy.jsonl"
        app.screen.query_one("#ask-value").value = str(copy)
        await pilot.press("enter")
        await wait_for(lambda: app.data_tab.dataset is not None and app.data_tab.dataset.path == copy, 20)
        assert copy.read_bytes() == (SAMPLES / "dpo.jsonl").read_bytes()
        assert app.query_one("#tabs").active == "data"


async def test_fine_tuned_models_listed_copied_and_deleted(tmp_path: Path) -> None:

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path, speed=2000))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        client = app.provider.client
        model = await succeeded_model(app, pilot)
        job = (await client.fine_tuning.jobs.list()).data[0]
        await open_files(app, pilot)
        await pilot.press("m")
        tab = app.files_tab
        await wait_for(lambda: tab.models_loaded, 20)
        assert tab.models.visible[0].id == model
        assert sum(m.checkpoint for m in tab.models.visible) == 3
        await settle(pilot)
        text = screen_text(app)
        assert "Fine-tuned models and checkpoints (4)" in text and f"job {job.id}" in text
        assert "fine-tuned of gpt-4o-mini-2024-07-18" in text
        await pilot.press("y")
        assert app.clipboard == model
        await pilot.press("x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert model in screen_text(app)
        await pilot.press("y")
        await wait_for(lambda: model not in [m.id for m in tab.models.items], 20)
        assert model not in [m.id async for m in client.models.list()]
        await pilot.press("m")  # back to the files
        await wait_for(lambda: tab.mode == "files")
        assert "Filename" in screen_text(app)


async def test_y_copies_the_selected_job_id_in_the_jobs_list(tmp_path: Path) -> None:
    from ftui.provider.jobs import JobRequest, create_job

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path, speed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        file_id = await api_upload(app, SAMPLES / "weather_jokes.jsonl")
        job = await create_job(app.provider.client, JobRequest(model="gpt-4o-mini", training_file=file_id))
        await pilot.press("2")
        await wait_for(lambda: job.id in app.session.jobs.jobs)
        await pilot.press("y")
        assert app.clipboard == job.id


async def test_the_new_job_form_offers_fine_tuned_models_and_checkpoints(tmp_path: Path) -> None:
    from ftui.tui.jobs.new_job import NewJobScreen

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path, speed=2000))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        model = await succeeded_model(app, pilot)
        await pilot.press("2")
        await wait_for(lambda: model in app.session.trained_models())  # the jobs list knows the model
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        await wait_for(lambda: f"{model}:ckpt-step-98" in app.screen.trained)  # asked from the provider
        options = {value: str(label) for label, value in app.screen._model_options()}
        # the base model's limit and price; the name (which holds the base) cut to keep one line at 80 columns
        assert options[model].endswith(" · fine-tuned · 64k · $3/1M") and len(options[model]) <= OPTION_WIDTH
        assert options[f"{model}:ckpt-step-98"].endswith("step-98 · checkpoint · 64k · $3/1M")  # its step shows


async def test_hostile_file_names_and_status_details_are_shown_escaped(tmp_path: Path) -> None:
    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        evil = "[bold red]x\u202e\x9b2J.jsonl"  # markup, a right-to-left override and a C1 escape
        await app.provider.client.files.create(file=(evil, b"{}\n"), purpose="fine-tune")
        await open_files(app, pilot)
        await settle(pilot)
        text = screen_text(app)
        assert "\u202e" not in text and "\x9b" not in text
        assert "[bold red]x" in text  # markup shown as text, never obeyed
        # a server's status_details for a file that failed processing: shown, never obeyed
        from openai.types import FileObject

        from ftui.tui.files.messages import FilesListed

        failed = FileObject(
            id="file-failed",
            object="file",
            bytes=3,
            created_at=1,
            filename="f.jsonl",
            purpose="fine-tune",
            status="error",
            status_details="\x1b]0;pwned\x07[red]boom\x1b[2J",
        )
        app.files_tab.post_message(FilesListed([failed], []))
        await wait_for(lambda: [f.id for f in app.files_tab.files.items] == ["file-failed"])
        await settle(pilot)
        text = screen_text(app)
        assert "Processing failed: \\x1b]0;pwned\\x07[red]boom" in text and "\x1b" not in text


async def test_starting_a_job_twice_from_the_same_file_uploads_it_once(tmp_path: Path) -> None:
    """The new-job flow remembers what it uploads and reuses a file with the same content."""
    from ftui.provider.jobs import JobRequest
    from ftui.tui.jobs.new_job import NewJob

    data = tmp_path / "train.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", data)
    app = FtuiApp(data, settings=sandbox_settings(tmp_path, speed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        client = app.provider.client
        for n in (1, 2):
            app.start_job(NewJob(data, None, JobRequest(model="gpt-4o-mini", training_file=""), ""))
            if n == 2:  # the same job again within a day: asked about first, and the user wants it
                await wait_for(lambda: isinstance(app.screen, ConfirmScreen) and "same job" in screen_text(app))
                await pilot.press("y")
            await wait_for_async(lambda: client.fine_tuning.jobs.list(), lambda page, n=n: len(page.data) == n)
            await wait_for(lambda: app.screen.__class__.__name__ == "MainScreen")
        files = [f async for f in client.files.list()]
        jobs = (await client.fine_tuning.jobs.list()).data
        assert len(files) == 1 and {j.training_file for j in jobs} == {files[0].id}
        assert state.uploaded_files() == {files[0].id: file_sha256(data)}


async def test_palette_offers_file_commands_only_when_they_apply(tmp_path: Path) -> None:
    from ftui.tui.commands import FtuiCommands

    def names() -> list[str]:
        return [name for name, _, _ in FtuiCommands(app.screen)._commands()]

    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await open_files(app, pilot)
        assert "Files: upload a file…" in names()
        assert not any(n.startswith(("Files: download", "Files: delete", "Files: copy")) for n in names())
        file_id = await api_upload(app, SAMPLES / "weather_jokes.jsonl")
        await pilot.press("ctrl+r")
        await wait_for(lambda: app.files_tab.selected is not None)
        assert {f"Files: download {file_id}…", f"Files: delete {file_id}…", f"Files: copy {file_id}"} <= set(names())
        await pilot.press("m")  # models: no upload, no download
        assert "Files: show the files" in names() and "Files: upload a file…" not in names()


def test_path_completion_from_the_disk(tmp_path: Path, monkeypatch) -> None:
    from ftui.tui.widgets.path_input import complete_path

    (tmp_path / "data").mkdir()
    (tmp_path / "train.jsonl").write_text("{}\n")
    (tmp_path / "train.txt").write_text("")
    (tmp_path / ".hidden.jsonl").write_text("")
    (tmp_path / "evil\x1b.jsonl").write_text("")
    base = str(tmp_path) + "/"
    assert complete_path(base + "tr") == base + "train.jsonl"  # a JSONL file before other files
    assert complete_path(base + "d") == base + "data/"  # a folder gets its slash
    assert complete_path(base + "e") is None  # a name with control characters is never typed in
    assert complete_path(base + "zz") is None
    assert complete_path(base + ".h") == base + ".hidden.jsonl"
    assert complete_path(str(tmp_path / "missing" / "x")) is None
    monkeypatch.chdir(tmp_path)
    assert complete_path("tra") == "train.jsonl"  # relative to where ftui runs


async def test_download_of_a_name_longer_than_the_filesystem_takes(tmp_path: Path, monkeypatch) -> None:
    """A server's 541-byte name: `d` offers a name the filesystem takes (twice: the second time
    beside the first copy) and saves, instead of crashing."""
    long_name = "résumé-" * 60 + ".jsonl"
    data = (SAMPLES / "weather_jokes.jsonl").read_bytes()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        file = await app.provider.client.files.create(file=(long_name, data), purpose="fine-tune")
        await open_files(app, pilot)
        await wait_for(lambda: app.files_tab.selected is not None and app.files_tab.selected.id == file.id)
        for saved in (1, 2):
            await pilot.press("d")
            await wait_for(lambda: isinstance(app.screen, AskScreen))
            offered = Path(app.screen.query_one("#ask-value").value)
            assert offered.suffix == ".jsonl" and len(offered.name.encode()) <= 255
            await pilot.press("enter")
            await wait_for(lambda n=saved: len(list(here.iterdir())) == n and "Saved" in screen_text(app), 20)
            assert offered.read_bytes() == data
        names = sorted(p.name for p in here.iterdir())
        assert all(len(n.encode()) <= 255 and ".ftui-tmp-" not in n for n in names) and file.id in names[0] + names[1]


async def test_an_upload_onto_the_sandbox_s_full_disk_says_so(tmp_path: Path) -> None:
    """The sandbox's disk is full: the status names the disk and what is needed, and does not
    suggest that the file may have been stored anyway."""
    import json

    from ftui.config import SandboxSettings, Settings
    from tests.fullfs import fill, small_fs

    big = tmp_path / "big.jsonl"
    row = {"messages": [{"role": "user", "content": "hello " * 20}, {"role": "assistant", "content": "hi"}]}
    big.write_text((json.dumps(row) + "\n") * 3000)
    with small_fs(tmp_path / "fs") as fs:
        settings = Settings(sandbox=SandboxSettings(speed=200, data_dir=str(fs / "sandbox")), bell=True)
        app = FtuiApp(big, settings=settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_files(app, pilot)
            fill(fs)
            await upload_via_dialog(app, pilot, big)
            status = app.files_tab.query_one("#files-status")
            try:
                await wait_for(lambda: "✗" in str(status.render()), 60)
            except AssertionError:
                raise AssertionError(screen_text(app)) from None
            said = str(status.render())
            assert f"the disk holding {fs / 'sandbox'} is full" in said and "needed" in said
            assert "may have been stored" not in said and "internal error" not in said
            assert app.files_tab.files.items == []
