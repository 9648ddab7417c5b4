"""Pilot tests: press keys as a user would and check what the Data tab shows."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets import ContentSwitcher, Select, Static

from ftui.tui.app import FtuiApp
from ftui.tui.data.example_view import ExampleView
from ftui.tui.data.lists import ExampleList, FindingsList
from tests.tui.conftest import settle, wait_for, wait_validated


def shown(app: FtuiApp, selector: str) -> str:
    """The plain text a Static shows."""
    content = app.query_one(selector, Static).content
    if isinstance(content, str):
        return Text.from_markup(content).plain
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def example_text(app: FtuiApp) -> str:
    """The plain text of the example the view shows."""
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(app.query_one(ExampleView).renderable)
    return console.export_text()


def list_rows(app: FtuiApp) -> list[str]:
    lst = app.query_one(ExampleList)
    return [lst.render_line(y).text for y in range(min(lst.size.height, lst.count))]


async def test_opens_file_shows_rows_counts_and_the_first_example(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        await wait_for(lambda: "✗ 17" in shown(app, "#topbar"))
        top = shown(app, "#topbar")
        assert "mistakes.jsonl" in top and "✗ 17" in top and "⚠ 7" in top
        rows = list_rows(app)
        assert rows[0].startswith("✓    1   3m") and "Weather in Rome?" in rows[0]
        assert rows[1].startswith("✗    2")
        assert "Line 1" in example_text(app) and "SYSTEM" in example_text(app)


async def test_navigation_keys(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        lst = app.query_one(ExampleList)
        await pilot.press("j", "j")
        assert lst.cursor == 2
        await pilot.press("G")
        assert lst.cursor == lst.count - 1 == 23
        await pilot.press("g")
        assert lst.cursor == 0
        await pilot.press("ctrl+d")
        assert lst.cursor > 0
        await pilot.press("k")
        await wait_for(lambda: f"Line {lst.cursor + 1}" in example_text(app))


async def test_jump_to_line_and_filter(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("colon", *"11", "enter")
        await wait_for(lambda: "Line 11" in example_text(app))
        assert "invalid_weight" in example_text(app)
        await pilot.press("slash", *"Rome", "enter")
        await wait_for(lambda: 'filter: "Rome" (2 lines)' in shown(app, "#detail-title"))
        assert app.data_tab.dataset.rows == [1, 19]
        assert 'filter: "Rome" (2 lines)' in shown(app, "#detail-title")
        await pilot.press("escape")  # clears the filter
        await wait_for(lambda: app.data_tab.dataset.rows is None)


async def test_problems_only_toggle(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("e")
        await wait_for(lambda: app.data_tab.dataset.rows is not None)
        assert 1 not in app.data_tab.dataset.rows and 22 not in app.data_tab.dataset.rows
        assert app.data_tab.dataset.rows[:3] == [2, 3, 4]
        await pilot.press("e")
        await wait_for(lambda: app.data_tab.dataset.rows is None)


async def test_findings_list_jumps_to_the_example(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("f")
        findings = app.query_one(FindingsList)
        assert app.focused is findings
        assert findings.count == 24
        assert "Findings (24)" in shown(app, "#detail-title")
        # Row 0 and 1 are file-level; row 2 is line 2's invalid_json.
        await pilot.press("j", "j", "enter")
        await wait_for(lambda: "Line 2" in example_text(app))
        assert app.query_one("#detail", ContentSwitcher).current == "example-view"
        assert app.query_one(ExampleList).cursor == 1
        assert "Line 2" in example_text(app) and "invalid_json" in example_text(app)


async def test_raw_json_view(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("r")
        await wait_for(lambda: '"messages": [' in example_text(app))
        await pilot.press("escape")
        await wait_for(lambda: "SYSTEM" in example_text(app))


async def test_model_change_updates_the_estimate(sample_copy) -> None:
    path = sample_copy("weather_jokes.jsonl")
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_validated(app)
        await pilot.press("s")
        await wait_for(lambda: "$3.00/1M" in shown(app, "#stats-body"))
        assert "$3.00/1M" in shown(app, "#stats-body")
        app.query_one("#model-select", Select).value = "gpt-4.1-2025-04-14"
        await wait_for(lambda: app.data_tab.dataset.report is not None and app.data_tab.model == "gpt-4.1-2025-04-14")
        await wait_validated(app)
        await wait_for(lambda: "$25.00/1M" in shown(app, "#stats-body"))
        stats = shown(app, "#stats-body")
        assert "$25.00/1M" in stats and "gpt-4.1-2025-04-14 shuts down on 2027-01-14" in stats


async def test_file_changed_on_disk_is_revalidated_keeping_the_line(sample_copy) -> None:
    path = sample_copy()
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("colon", *"7", "enter")
        with open(path, "ab") as fh:  # a user appends an example in their editor
            fh.write(json.dumps({"messages": [{"role": "user", "content": "Weather in Oslo?"}]}).encode() + b"\n")
        await wait_for(lambda: app.data_tab.dataset.line_count == 25, timeout=10)
        await wait_validated(app)
        await settle(pilot)
        assert app.query_one(ExampleList).cursor == 6  # still on line 7
        assert any(
            f.line == 25 and f.code == "example_missing_assistant_message" for f in app.data_tab.dataset.findings
        )


async def test_vanished_file_gives_a_notice_not_a_crash(sample_copy) -> None:
    path = sample_copy()
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        path.unlink()
        await wait_for(lambda: any("was removed" in n.message for n in app._notifications), timeout=5)
        await pilot.press("j")
        assert app.query_one(ExampleList).count == 24  # what was loaded stays browsable


async def test_tabs_switch_with_number_keys_and_q_quits(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        for key, tab in (("2", "jobs"), ("3", "chat"), ("4", "files"), ("1", "data")):
            await pilot.press(key)
            assert app.query_one("#tabs").active == tab
            if tab == "chat":  # the message box has the focus: digits are text there
                await pilot.press("4")
                assert app.chat_tab.prompt.text == "4" and app.query_one("#tabs").active == "chat"
                await pilot.press("escape")  # leave the box; 1-4 switch tabs again
                await wait_for(lambda: not app.chat_tab.prompt.has_focus)
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_q_types_into_the_filter_instead_of_quitting(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("slash", "q")
        assert app.is_running
        assert app.data_tab.query_one("#prompt-bar").value == "q"


async def test_help_panel_and_palette_commands(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_validated(app)
        await pilot.press("question_mark")
        assert app.screen.query("HelpPanel")
        await pilot.press("f1")
        assert not app.screen.query("HelpPanel")
        await pilot.press("s", "question_mark")  # the stats, then help over them
        await wait_for(lambda: bool(app.screen.query("HelpPanel")))
        await pilot.press("escape")  # closes the help, and only the help
        await wait_for(lambda: not app.screen.query("HelpPanel"))
        await settle(pilot)
        assert app.query_one("#detail", ContentSwitcher).current == "stats"
        await pilot.press("escape")  # now it goes back from the stats as usual
        await wait_for(lambda: app.query_one("#detail", ContentSwitcher).current != "stats")
        from ftui.tui.commands import FtuiCommands

        names = [name for name, _, _ in FtuiCommands(app.screen)._commands()]
        assert "Jump to line…" in names and "Toggle problems only" in names


async def test_palette_hides_data_commands_without_a_file(tmp_path: Path) -> None:
    app = FtuiApp(None, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: app.screen.__class__.__name__ == "OpenFileScreen")  # nothing recent: it asks
        await pilot.press("escape")
        from ftui.tui.commands import FtuiCommands

        names = [name for name, _, _ in FtuiCommands(app.screen)._commands()]
        assert "Open file…" in names and "Jump to line…" not in names


async def test_keymap_from_config_remaps_a_binding(sample_copy) -> None:
    from ftui.config import Settings

    app = FtuiApp(sample_copy(), connect=False, settings=Settings(keymap={"list.down": "n"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("n")
        assert app.query_one(ExampleList).cursor == 1


async def test_recent_file_is_reopened(sample_copy) -> None:
    path = sample_copy("weather_jokes.jsonl")
    async with FtuiApp(path, connect=False).run_test(size=(80, 24)):
        pass
    app = FtuiApp(None, connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        assert app.data_tab.dataset.path == path.resolve()


async def test_sandbox_provider_is_named_in_the_top_bar(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=True)
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: app.provider is not None, timeout=15)
        await wait_for(lambda: "sandbox (local)" in shown(app, "#topbar"))
        assert app.provider.local_server is not None


async def test_example_view_formats_tools_weights_and_images(sample_copy) -> None:
    path = sample_copy("tool_calls.jsonl")
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_validated(app)
        await pilot.press("colon", *"4", "enter")
        await wait_for(lambda: "Line 4" in example_text(app))
        text = example_text(app)
        assert "weight 0: not trained" in text
        assert "→ get_weather(" in text and "← result of call_003lim" in text
        assert "tools: get_weather" in text
    assert isinstance(ExampleView, type)


async def test_palette_jump_to_line(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Jump to line")
        await wait_for(lambda: app.screen.query_one(CommandList).highlighted is not None)
        await pilot.press("enter")
        await wait_for(lambda: app.query_one("#prompt-bar").has_focus)
        await pilot.press("5", "enter")
        await wait_for(lambda: "Line 5" in example_text(app))
        assert app.query_one(ExampleList).cursor == 4
        assert "Line 5" in example_text(app) and "missing_messages_list" in example_text(app)


async def test_opening_another_file_drops_the_last_files_findings_count(sample_copy, monkeypatch) -> None:
    """While the new file is checked, the bar counts its findings (none yet), not the last file's."""
    import threading

    from ftui.data.validate import Validation

    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        assert "Findings (24)" in shown(app, "#detail-title")
        gate = threading.Event()
        real_run = Validation.run

        def held(self, **kwargs):
            gate.wait(30)
            return real_run(self, **kwargs)

        monkeypatch.setattr(Validation, "run", held)
        app.open_path(sample_copy("weather_jokes.jsonl"))
        await wait_for(lambda: app.data_tab.dataset.path.name == "weather_jokes.jsonl")
        await wait_for(lambda: "Findings (0)" in shown(app, "#detail-title"), timeout=5)
        gate.set()
