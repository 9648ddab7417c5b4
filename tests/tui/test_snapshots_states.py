"""Snapshots at 80x24 of the Data tab's other states: prompts, an unfocused cursor, no file, and a
dataset full of terminal controls (shown escaped). Each waits for its state, never a fixed time."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from ftui.tui.app import FtuiApp
from ftui.tui.data.lists import ExampleList, FindingsList
from ftui.tui.data.open_file import OpenFileScreen
from tests.hostile import write_hostile
from tests.tui.conftest import screen_text, wait_for, wait_validated
from tests.tui.conftest import settle as settle_screen


def settle(*keys: str, until=None):
    """Wait for validation, press ``keys``, wait until ``until(app)`` holds, then until what the
    keys started (a live filter, the example of a moved cursor) is drawn and the screen is still."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_validated(app)
        await wait_for(lambda: app.query_one("#topbar").content.plain.rstrip().endswith(tuple("0123456789")))
        await pilot.press(*keys)
        if until is not None:
            await wait_for(lambda: until(app))
        await wait_validated(app)
        await settle_screen(pilot)

    return run_before


def prompt(app: FtuiApp, value: str) -> bool:
    bar = app.query_one("#prompt-bar", Input)
    return bar.display and bar.has_focus and bar.value == value


def test_filter_prompt_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    run_before = settle("slash", *"Rome", until=lambda a: prompt(a, "Rome"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_jump_prompt_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    run_before = settle("colon", "1", "2", until=lambda a: prompt(a, "12"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_findings_focused_example_cursor_dimmed_80x24(snap_compare, sample_copy) -> None:
    """Both cursors show: the findings' (focused, bright) and the examples' (dimmer)."""
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)

    def ready(a: FtuiApp) -> bool:
        return a.query_one(FindingsList).has_focus and a.query_one(ExampleList).cursor == 2

    assert snap_compare(app, terminal_size=(80, 24), run_before=settle("j", "j", "f", "j", until=ready))


def test_no_file_80x24(snap_compare) -> None:
    app = FtuiApp(None, connect=False)

    async def run_before(pilot) -> None:
        await wait_for(lambda: isinstance(pilot.app.screen, OpenFileScreen))
        await pilot.press("escape")
        await wait_for(lambda: pilot.app.focused is not None and pilot.app.focused.id == "empty-hint")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_hostile_dataset_80x24(snap_compare, tmp_path: Path) -> None:
    app = FtuiApp(write_hostile(tmp_path), connect=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle(until=lambda a: "Line 1" in screen_text(a)))
