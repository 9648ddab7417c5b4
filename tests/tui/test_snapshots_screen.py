"""Snapshots at 80x24 of the screens issue 23 changed: grouped and empty findings, a CSV opened
in Data, the focused stats, help, the open-file, confirm and model-picker dialogs. Each waits for
its state (and clears passing notices), never a fixed time."""

from __future__ import annotations

from pathlib import Path

from ftui.tui.app import FtuiApp
from ftui.tui.chat.model_picker import ModelPickerScreen
from ftui.tui.data.lists import FindingsList
from ftui.tui.data.open_file import OpenFileScreen
from ftui.tui.data.stats_view import StatsView
from ftui.tui.widgets.dialogs import ConfirmScreen
from ftui.tui.widgets.help import HelpPanel, HelpScreen
from tests.tui.conftest import screen_text, settle, wait_for, wait_validated

SIZE = (80, 24)


def then(*keys: str, until=None, validated: bool = True, before=None):
    async def run_before(pilot) -> None:
        app = pilot.app
        if validated:
            await wait_validated(app)
        if before is not None:
            before(app)
        await pilot.press(*keys)
        if until is not None:
            await wait_for(lambda: until(app))
        app.clear_notifications()
        await settle(pilot)

    return run_before


def test_findings_grouped_by_code_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=then("f", "o", until=lambda a: a.query_one(FindingsList).by_code)
    )


def test_findings_of_a_clean_file_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    assert snap_compare(
        app, terminal_size=SIZE, run_before=then("f", until=lambda a: a.query_one(FindingsList).has_focus)
    )


def test_a_csv_in_the_data_tab_80x24(snap_compare, tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text("step,train_loss,valid_loss\n1,2.31,2.40\n2,2.10,2.22\n")
    app = FtuiApp(results, connect=False)
    run_before = then(validated=False, until=lambda a: "not opened" in a.query_one("#topbar").content.plain)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_stats_focused_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=then("s", until=lambda a: a.query_one(StatsView).has_focus))


def test_help_for_the_findings_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)

    def ready(a: FtuiApp) -> bool:
        return isinstance(a.screen, HelpScreen) and a.screen.query_one(HelpPanel).has_focus

    assert snap_compare(app, terminal_size=SIZE, run_before=then("f", "question_mark", until=ready))


def test_open_file_dialog_filtered_80x24(snap_compare, sample_copy, monkeypatch) -> None:
    monkeypatch.chdir(Path(__file__).parents[2])  # the repository: sample_data/ is nearby
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)

    def ready(a: FtuiApp) -> bool:
        return isinstance(a.screen, OpenFileScreen) and a.screen.query_one("#open-choices").option_count == 1

    assert snap_compare(app, terminal_size=SIZE, run_before=then("ctrl+o", *"jokes", until=ready))


def test_confirm_dialog_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)

    def ask(a: FtuiApp) -> None:
        a.push_screen(ConfirmScreen("Delete the file?", "file-abc (train.jsonl) goes for good.", "Delete", danger=True))

    run_before = then(before=ask, until=lambda a: isinstance(a.screen, ConfirmScreen))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_model_picker_compare_off_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)

    def ready(a: FtuiApp) -> bool:
        return isinstance(a.screen, ModelPickerScreen) and "use " not in screen_text(a) and a.screen.typed == "off"

    def compare(a: FtuiApp) -> None:
        a.chat_tab.open_model("gpt-4o-mini", "gpt-4.1-nano-2025-04-14")

    assert snap_compare(app, terminal_size=SIZE, run_before=then("3", "ctrl+b", *"off", before=compare, until=ready))
