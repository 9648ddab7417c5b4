"""Pilot tests of the Files tab against the embedded sandbox, at 80x24: the list, upload (local
check, duplicate offered for reuse), download, delete with confirm, filter, sort, `y` copy, and
the fine-tuned models list."""

from __future__ import annotations

import shutil
from pathlib import Path

from ftui import state
from ftui.provider.files import file_sha256, upload_file
from ftui.tui.app import FtuiApp
from ftui.tui.files.dialogs import UploadScreen
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
        await upload_via_dialog(app, pilot, data)
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
        await wait_for(lambda: "fix it first" in screen_text(app), 20)
        assert "bad.jsonl has" in screen_text(app)
        assert app.files_tab.files.items == []
        assert [f async for f in app.provider.client.files.list()] == []  # nothing reached the provider
