"""A snapshot of the Files tab at 80x24: fixed files (one failed, one a duplicate, one with a
hostile name) and the jobs that use them, fed to the tab as its worker would."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from openai.types import FileObject

from ftui.tui.app import FtuiApp
from ftui.tui.files.messages import FilesListed
from tests.conftest import SAMPLES
from tests.tui.conftest import sandbox_settings, settle, wait_connected, wait_for

T0 = 1_709_600_000  # 2024-03-05


def fixed_files() -> list[FileObject]:
    rows = [
        ("file-snap000000000000000005", "weather_jokes.jsonl", 5_612, T0 + 500, "processed", None),
        ("file-snap000000000000000004", "weather_jokes.jsonl", 5_612, T0 + 400, "processed", None),
        ("file-snap000000000000000003", "broken.jsonl", 1_234, T0 + 300, "error", "Line 3: invalid JSON."),
        ("file-snap000000000000000002", "[bold]evil\x1b[2J.jsonl", 77, T0 + 200, "processed", None),
        ("file-snap000000000000000001", "validation.jsonl", 2_048_000, T0 + 100, "processed", None),
    ]
    return [
        FileObject(
            id=i, object="file", bytes=b, created_at=c, filename=n, purpose="fine-tune", status=s, status_details=d
        )
        for i, n, b, c, s, d in rows
    ]


JOBS = [
    SimpleNamespace(
        id="ftjob-snap01",
        training_file="file-snap000000000000000005",
        validation_file="file-snap000000000000000001",
        status="running",
    ),
    SimpleNamespace(
        id="ftjob-snap00",
        training_file="file-snap000000000000000004",
        validation_file=None,
        status="succeeded",
    ),
]


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_files_tab_80x24(snap_compare, tmp_path, utc) -> None:
    app = FtuiApp(SAMPLES / "weather_jokes.jsonl", settings=sandbox_settings(tmp_path))

    async def run_before(pilot) -> None:
        await wait_connected(app)
        await pilot.press("4")
        tab = app.files_tab
        await wait_for(lambda: tab.files_loaded)
        tab.uploaded = {"file-snap000000000000000005": "a" * 64, "file-snap000000000000000004": "a" * 64}
        tab.post_message(FilesListed(fixed_files(), JOBS))
        await wait_for(lambda: len(tab.files.items) == 5)
        await pilot.press("j", "j")  # the file that failed processing: the detail says why
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
