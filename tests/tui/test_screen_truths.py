"""What the screen says is true, and every key can be found at 80x24 (issue 23): the Data tab's
panes, the shell (top bar, help, notices, focus, dialogs) and the Chat tab."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from textual.widgets import Button, Tabs
from textual.widgets._footer import FooterKey

from ftui.tui.app import NARROW_NOTICE, FtuiApp
from ftui.tui.chat.model_picker import OFF, TYPED, ModelPickerScreen
from ftui.tui.data.lists import FindingsList, Group
from ftui.tui.data.open_file import OpenFileScreen
from ftui.tui.data.stats_view import StatsView, render_stats
from ftui.tui.widgets.dialogs import ConfirmScreen
from ftui.tui.widgets.help import HelpPanel, HelpScreen
from ftui.tui.widgets.virtual_list import VirtualList
from tests.tui.conftest import screen_text, settle, wait_for, wait_validated


def footer_keys(app: FtuiApp) -> dict[str, str]:
    """What the footer on top shows: key -> word."""
    return {k.key: k.description for k in app.screen.query(FooterKey)}


def first_row(view: VirtualList) -> str:
    return view.render_line(0).text


# -- Data tab ---------------------------------------------------------------------------------
async def test_a_clean_files_findings_say_nothing_was_found(sample_copy) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("f")
        findings = app.query_one(FindingsList)
        await wait_for(lambda: findings.has_focus)
        assert findings.count == 0
        assert "No problems found: every line passed every check." in first_row(findings)
        assert "No problems found" in screen_text(app)


async def test_an_empty_list_says_why(sample_copy, tmp_path: Path) -> None:
    from ftui.tui.data.lists import ExampleList

    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("slash", *"zzzq", "enter")
        examples = app.query_one(ExampleList)
        await wait_for(lambda: examples.count == 0)
        assert "No line matches the filter; Esc clears it." in first_row(examples)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    app = FtuiApp(empty, connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: app.data_tab.dataset is not None and app.data_tab.dataset.report is not None)
        assert "This file is empty." in first_row(app.query_one(ExampleList))


async def test_findings_grouped_by_code_show_each_group_with_its_count(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("f", "o")
        findings = app.query_one(FindingsList)
        await wait_for(lambda: findings.by_code)
        groups = [item for item in findings.items if isinstance(item, Group)]
        codes = [f.code for f in findings.findings]
        assert groups and all(g.count == codes.count(g.code) for g in groups)
        assert len(groups) == len(set(codes))  # each code once, with its findings under it
        heading = findings.row_text(0, 80).plain
        assert groups[0].code in heading and f"{groups[0].count} finding" in heading
        # Enter on a heading goes to its first finding's line
        await pilot.press("enter")
        first = next(f for f in findings.items if isinstance(f, type(findings.findings[0])))
        await wait_for(lambda: app.data_tab.shown_line is not None and app.data_tab.shown_line[0] == first.line)


async def test_a_csv_opened_in_data_is_one_sentence_not_json_errors(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text("step,train_loss,valid_loss\n" + "".join(f"{i},{2 - i / 50:.3f},\n" for i in range(1, 45)))
    app = FtuiApp(results, connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: "is a CSV table" in screen_text(app))
        text = screen_text(app)
        assert "results.csv is a CSV table (first line: step,train_loss,valid_loss)" in text
        assert "invalid_json" not in text and app.data_tab.dataset is None
        await wait_for(lambda: "results.csv │ not opened" in app.query_one("#topbar").content.plain)  # no "✗ 0"


async def test_raw_is_in_the_data_footer_at_80_and_120_columns(sample_copy) -> None:
    for size in ((80, 24), (120, 40)):
        app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
        async with app.run_test(size=size) as pilot:
            await wait_validated(app)
            await settle(pilot)
            keys = footer_keys(app)
            assert keys.get("r") == "Raw" and "question_mark" in keys, (size, keys)


async def test_stats_focus_shows_and_the_table_fits_80x24(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        stats = app.query_one(StatsView)
        unfocused = stats.styles.background
        await pilot.press("s")
        await wait_for(lambda: stats.has_focus)
        await settle(pilot)
        assert stats.styles.background != unfocused  # the focus can be seen
        assert stats.max_scroll_y == 0  # everything fits: the table is not cut
        assert "assistant tokens" in screen_text(app)
        report = app.data_tab.dataset.report
        one = dataclasses.replace(report, estimate=dataclasses.replace(report.estimate, epochs=1))
        text = "".join(str(part) for part in render_stats(one, 1.0).renderables[:1])
        assert "1 epoch ×" in text and "1 epochs" not in text


# -- the shell ----------------------------------------------------------------------------------
async def test_the_top_bar_says_what_ftui_is_doing_and_why_it_is_not_connected(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), base_url="http://127.0.0.1:9/v1")
    async with app.run_test(size=(120, 24)):
        bar = app.query_one("#topbar")
        assert app.provider_label.startswith(("connecting to compatible · http://127.0.0.1:9/v1", "checking", "not"))
        await wait_for(lambda: "not connected: could not reach 127.0.0.1:9" in bar.content.plain, timeout=60)
    from tests.tui.conftest import sandbox_settings

    sandboxed = FtuiApp(sample_copy("mistakes.jsonl"), settings=sandbox_settings(tmp_path))
    async with sandboxed.run_test(size=(80, 24)):
        assert sandboxed.provider_label in ("starting the sandbox…", "sandbox (local)")  # never "connecting…"
        await wait_for(lambda: sandboxed.provider is not None, timeout=60)
        assert sandboxed.provider_label == "sandbox (local)"


async def test_help_at_80x24_is_for_the_focused_view_and_scrolls_to_its_end(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("f", "question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen))
        panel = app.screen.query_one(HelpPanel)
        await wait_for(lambda: panel.has_focus and panel.max_scroll_y > 0)
        assert app.screen.text.startswith("## Findings")  # the focused pane first, then its tab
        assert app.screen.text.index("## Findings") < app.screen.text.index("## Data")
        assert "`o` " in app.screen.text and "Keys here" in app.screen.text
        await pilot.press("G")
        await wait_for(lambda: panel.scroll_y == panel.max_scroll_y)
        await settle(pilot)
        assert "Quit" in screen_text(app)  # the last of the keys, reached by scrolling
        assert footer_keys(app).get("escape,question_mark,f1") or "Esc" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, HelpScreen))
        assert app.query_one(FindingsList).has_focus


async def test_notices_at_80_columns_stay_briefly_and_narrow(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.notify("Job ended", timeout=15)
        await pilot.pause()
        assert all(n.timeout <= NARROW_NOTICE for n in app._notifications)
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify("Job ended", timeout=15)
        await pilot.pause()
        assert any(n.timeout == 15 for n in app._notifications)  # wide: as asked


async def test_shift_tab_never_leaves_the_keys_on_the_tab_strip(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        for _ in range(8):
            await pilot.press("shift+tab")
            assert not isinstance(app.focused, Tabs)
        assert not any(t.can_focus for t in app.query(Tabs))


async def test_the_open_dialog_lists_each_file_once_filters_and_completes(tmp_path: Path, monkeypatch) -> None:
    from ftui.state import remember_file

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for name in ("train.jsonl", "valid.jsonl", "other.jsonl"):
        (tmp_path / "data" / name).write_text('{"messages": []}\n')
    remember_file(tmp_path / "data" / "train.jsonl")  # remembered by its absolute path
    app = FtuiApp(tmp_path / "data" / "other.jsonl", connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: app.data_tab.dataset is not None)
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, OpenFileScreen) and app.screen.focused is not None)
        dialog = app.screen
        names = [str(o.id) for o in dialog.query_one("#open-choices").options]
        assert names == ["data/other.jsonl", "data/train.jsonl", "data/valid.jsonl"]  # once each, recent first
        assert set(footer_keys(app).values()) >= {"Open", "Complete", "Choices", "Cancel"}  # the dialog's keys
        await pilot.press(*"val")
        await wait_for(lambda: [str(o.id) for o in dialog.query_one("#open-choices").options] == ["data/valid.jsonl"])
        box = dialog.query_one("#open-path")
        for _ in "val":
            await pilot.press("backspace")
        await pilot.press(*"data/tr")
        await wait_for(lambda: box._suggestion == "data/train.jsonl")
        await pilot.press("tab")
        assert box.value == "data/train.jsonl"
        await pilot.press("down")
        await wait_for(lambda: dialog.query_one("#open-choices").has_focus)
        await pilot.press("shift+tab")
        await wait_for(lambda: box.has_focus)
        assert box.selection.is_empty and box.cursor_position == len(box.value)  # nothing selected
        await pilot.press("enter")
        await wait_for(lambda: app.data_tab.dataset is not None)
        assert app.data_tab.dataset.path.name == "train.jsonl"


async def test_confirm_dialogs_name_their_keys(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    answers: list[bool] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmScreen("Delete it?", "It goes for good.", "Delete", danger=True), answers.append)
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await settle(pilot)
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["Delete (y)", "Back (Esc)"]
        keys = footer_keys(app)
        assert keys.get("y") == "Yes" and keys.get("escape") == "No"
        assert {k.key_display for k in app.screen.query(FooterKey)} >= {"y", "Esc/n"}
        await pilot.press("y")
        await wait_for(lambda: answers == [True])


# -- Chat tab --------------------------------------------------------------------------------------
async def test_the_chat_box_says_how_to_leave_it_and_switch_tabs(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("3")
        await wait_for(lambda: app.chat_tab.prompt.has_focus)
        await settle(pilot)
        text = screen_text(app)
        assert "Esc leaves the box" in text and "alt+1–4" in text
        assert footer_keys(app).get("escape") == "Leave box"


async def test_your_own_message_shows_in_the_next_frame(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(lambda: app.chat_tab.prompt.has_focus)
        await pilot.press("h", "i", "enter")
        await pilot.pause()  # one refresh
        assert "You: hi" in screen_text(app)
        assert "A · gpt-4o-mini" in screen_text(app)  # the reply's place, with its state, at once


async def test_chat_with_a_jobs_model_takes_the_jobs_training_files_system_prompt(sample_copy, tmp_path) -> None:
    from ftui.state import remember_upload

    train = tmp_path / "job_train.jsonl"
    line = (
        '{"messages": [{"role": "system", "content": "You are Captain Cloud."}, {"role": "user", "content": "hi"}]}\n'
    )
    train.write_text(line * 3)
    data = train.read_bytes()
    remember_upload("file-job", hashlib.sha256(data).hexdigest(), len(data), train)
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)  # open: Sunny's dataset
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await wait_for(lambda: "Sunny" in app.chat_tab.settings.system)
        app.chat_tab.open_model("ft:gpt-4o-mini:x", training_file="file-job")
        await wait_for(lambda: app.chat_tab.settings.system == "You are Captain Cloud.")
        await pilot.press("3")
        await settle(pilot)
        assert "system (the job's training file job_train.jsonl): You are Captain Cloud." in screen_text(app)
        app.chat_tab.open_model("ft:gpt-4o-mini:y", training_file="file-elsewhere")
        await settle(pilot)  # not the last job's prompt: the open dataset's, and it says why
        assert "Sunny" in app.chat_tab.settings.system
        shown = app.chat_tab.query_one("#chat-system").content.plain
        why = "the job's training file is not on this machine"
        assert shown.startswith(f"system (the open dataset's most common; {why})")


async def test_compare_off_can_be_found_by_typing(sample_copy) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.chat_tab.open_model("gpt-4o-mini", "gpt-4.1-nano-2025-04-14")
        await pilot.press("3")
        await pilot.press("ctrl+b")
        await wait_for(lambda: isinstance(app.screen, ModelPickerScreen))
        picker = app.screen
        await pilot.press(*"compare")
        ids = [o.id for o in picker.options.options]
        assert ids[0] == OFF and TYPED not in ids  # never "use compare as typed"
        assert picker.options.get_option_at_index(picker.options.highlighted).id == OFF
        assert "Type off" in screen_text(app)
        await pilot.press("enter")
        await wait_for(lambda: not isinstance(app.screen, ModelPickerScreen))
        assert app.chat_tab.models == ["gpt-4o-mini"]


async def test_a_server_without_a_models_list_is_still_connected(sample_copy, monkeypatch) -> None:
    from ftui.config import Profile, Settings
    from tests.recorded_api import RecordedApi, _not_found

    class NoModels(RecordedApi):
        async def _models(self, request):  # a compatible server that lists no models
            raise _not_found("Not found.")

    api = NoModels(jobs=[])
    url = api.start()
    try:
        monkeypatch.setenv("FTUI_RECORDED_KEY", "sk-recorded-0000")
        profile = Profile(name="recorded", provider="openai", base_url=url, api_key_env="FTUI_RECORDED_KEY")
        settings = Settings(default_profile="recorded", profiles={"recorded": profile})
        app = FtuiApp(sample_copy("mistakes.jsonl"), settings=settings)
        async with app.run_test(size=(120, 24)):
            await wait_for(lambda: "/v1/models" in api.requests and app.provider_label == "openai · profile recorded")
            assert "not connected" not in app.query_one("#topbar").content.plain
    finally:
        api.stop()
