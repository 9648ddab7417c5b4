"""The focus is never lost: after pane keys, dialogs and early tab keys, keys keep working."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widget import Widget
from textual.widgets import Input, Select

from ftui.tui.app import FtuiApp
from ftui.tui.data.example_view import ExampleView
from ftui.tui.data.lists import ExampleList, FindingsList
from ftui.tui.data.open_file import OpenFileScreen
from ftui.tui.data.stats_view import StatsView
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.tui.conftest import wait_for, wait_validated


def shown(widget: Widget) -> bool:
    return all(node.display and node.visible for node in widget.ancestors_with_self if isinstance(node, Widget))


def focus_ok(app: FtuiApp) -> bool:
    """Something visible inside the open tab has the focus."""
    focused = app.focused
    pane = app.query_one("#tabs").active_pane
    return focused is not None and shown(focused) and pane in focused.ancestors


def type_now(app: FtuiApp, *keys: str) -> None:
    """Keys as a fast typist sends them: all queued at once, none waiting for the screen."""
    for key in keys:
        char = key if len(key) == 1 else None
        app.post_message(events.Key(key, char).set_sender(app))


async def test_s_and_x_leave_the_focus_where_keys_work(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        lst = app.query_one(ExampleList)
        await pilot.press("s")
        assert isinstance(app.focused, StatsView) and focus_ok(app)
        await pilot.press("x")  # back to the example: the stats pane is hidden, the list has the keys
        await wait_for(lambda: focus_ok(app))
        assert app.focused is lst
        await pilot.press("j")
        assert lst.cursor == 1

        await pilot.press("s", "m")  # the model picker opens...
        select = app.query_one("#model-select", Select)
        assert select.expanded and select in app.focused.ancestors_with_self
        await pilot.press("escape")  # ...and closes
        await wait_for(lambda: not select.expanded)
        await pilot.press("x")
        await wait_for(lambda: app.focused is lst)
        await pilot.press("j")
        assert lst.cursor == 2

        await pilot.press("f", "x")  # from the findings straight back to the example
        await wait_for(lambda: app.focused is lst)
        await pilot.press("k")
        assert lst.cursor == 1

        await pilot.press("enter")  # the example view itself keeps the focus on x
        assert isinstance(app.focused, ExampleView)
        await pilot.press("x")
        assert isinstance(app.focused, ExampleView) and focus_ok(app)
        await pilot.press("escape")
        assert app.focused is lst


async def test_focus_comes_back_after_dialogs_close(sample_copy) -> None:
    path = sample_copy()
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("f")
        findings = app.query_one(FindingsList)
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, OpenFileScreen))
        await pilot.press("escape")
        await wait_for(lambda: app.focused is findings)
        await pilot.press("j")
        assert findings.cursor == 1

        app.push_screen(ConfirmScreen("Sure?", "Nothing happens either way."))
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen) and app.screen.focused is not None)
        await pilot.press("y")  # confirmed
        await wait_for(lambda: app.focused is findings)

        await pilot.press("ctrl+p")
        await wait_for(lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press("escape")
        await wait_for(lambda: focus_ok(app))

        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, OpenFileScreen) and app.screen.focused is not None)
        await pilot.press(*str(path), "enter")  # open (the same file) from the dialog
        await wait_for(lambda: not isinstance(app.screen, OpenFileScreen) and focus_ok(app))
        await wait_validated(app)
        await pilot.press("x")
        await wait_for(lambda: app.focused is app.query_one(ExampleList))
        await pilot.press("j")
        assert app.query_one(ExampleList).cursor == 1


async def test_no_file_then_esc_focuses_the_visible_hint_and_keys_work(tmp_path: Path) -> None:
    app = FtuiApp(None, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: isinstance(app.screen, OpenFileScreen))  # nothing recent: it asks
        await pilot.press("escape")
        await wait_for(lambda: focus_ok(app))
        assert app.focused.id == "empty-hint"
        await pilot.press("2")
        await wait_for(lambda: app.query_one("#tabs").active == "jobs" and focus_ok(app))
        await pilot.press("4")
        await wait_for(lambda: app.query_one("#tabs").active == "files" and focus_ok(app))
        await pilot.press("1", "ctrl+o")
        await wait_for(lambda: isinstance(app.screen, OpenFileScreen))


async def test_keys_typed_right_after_ctrl_o_go_to_the_dialog(sample_copy) -> None:
    path = sample_copy("weather_jokes.jsonl")
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        type_now(app, "ctrl+o", *str(path))  # typed before the dialog is up
        await wait_for(lambda: isinstance(app.screen, OpenFileScreen))
        box = app.screen.query_one("#open-path", Input)
        await wait_for(lambda: box.value == str(path))
        assert app.query_one(ExampleList).cursor == 0  # nothing leaked into the list behind
        type_now(app, "enter")
        await wait_for(lambda: app.data_tab.dataset is not None and app.data_tab.dataset.path == path)


async def test_a_tab_key_during_start_up_is_not_undone_by_a_late_focus(sample_copy) -> None:
    """At start-up the Data tab focuses its list; when `3` is pressed before that focus has
    reached the tabs, the late message must not switch back to Data (with the focus left in Chat)."""
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        lst = app.query_one(ExampleList)
        app.query_one(FindingsList).focus()
        await wait_for(lambda: app.focused is app.query_one(FindingsList))
        lst.focus()  # as the Data tab does when the file is indexed...
        app.action_show_tab("chat")  # ...and the user's `3` arrives in the same moment
        await wait_for(lambda: app.focused is app.chat_tab.prompt)
        await pilot.pause()  # let the focus messages of both reach the tabs
        await wait_for(lambda: focus_ok(app))
        assert app.query_one("#tabs").active == "chat"
        assert app.focused is app.chat_tab.prompt
        await pilot.press("h", "i")
        assert app.chat_tab.prompt.text == "hi"

        app.chat_tab.query_one("#transcript").focus()  # leave the box; `1` goes back to Data
        await wait_for(lambda: not app.chat_tab.prompt.has_focus)
        await pilot.press("1")
        await wait_for(lambda: app.query_one("#tabs").active == "data" and app.focused is lst)
        await pilot.press("j")
        assert lst.cursor == 1


async def test_keys_typed_right_after_a_pane_or_prompt_key_go_there(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)  # 24 lines
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        lst, findings = app.query_one(ExampleList), app.query_one(FindingsList)
        type_now(app, "colon", *"999", "enter")  # typed in one go
        await wait_for(lambda: any("Line 999 is past the end" in n.message for n in app._notifications))
        assert lst.cursor == 23
        type_now(app, "f", "j", "j")  # to the findings, and down in them
        await wait_for(lambda: findings.cursor == 2)
        assert lst.cursor == 23 and app.focused is findings
        type_now(app, "x", "k")  # back to the examples, and up in them
        await wait_for(lambda: lst.cursor == 22)
        assert findings.cursor == 2
        type_now(app, "slash", *"Rome", "enter")
        await wait_for(lambda: app.data_tab.dataset.rows == [1, 19])
