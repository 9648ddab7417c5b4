"""The Data tab's UI loop never reads the file or parses JSON: rows and the example are filled
by threads; an append is re-checked from the tail with the known findings kept meanwhile."""

from __future__ import annotations

import builtins
import json
import sys
import threading
from pathlib import Path

import pytest

from ftui.data import validate as validate_module
from ftui.data.atomic import append_line
from ftui.tui.app import FtuiApp
from ftui.tui.data import dataset as dataset_module
from ftui.tui.data.lists import ExampleList
from ftui.tui.data.tab import DataTab
from tests.tui.conftest import screen_text, wait_for, wait_validated


def list_rows(app: FtuiApp) -> list[str]:
    lst = app.query_one(ExampleList)
    return [lst.render_line(y).text for y in range(min(lst.size.height, lst.count))]


def first_row(app: FtuiApp) -> str:
    rows = list_rows(app)
    return rows[0] if rows else ""


@pytest.fixture
def on_the_ui_loop(monkeypatch: pytest.MonkeyPatch):
    """Record each time the data file is opened or a line parsed on the main thread (the UI loop)."""
    seen: list[str] = []

    def track(path: Path) -> None:
        real_open = builtins.open

        def spy_open(file, *args, **kwargs):
            if threading.current_thread() is threading.main_thread() and str(file) == str(path):
                seen.append(f"open {file}")
            return real_open(file, *args, **kwargs)

        real_parse = dataset_module.from_json

        def spy_parse(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                seen.append("from_json")
            return real_parse(*args, **kwargs)

        monkeypatch.setattr(builtins, "open", spy_open)
        monkeypatch.setattr(dataset_module, "from_json", spy_parse)

    return seen, track


async def test_rows_are_shown_without_the_ui_loop_reading_the_file(sample_copy, on_the_ui_loop) -> None:
    path = sample_copy()
    seen, track = on_the_ui_loop
    track(path)
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        rows = list_rows(app)
        assert rows[0].startswith("✓    1   3m") and "Weather in Rome?" in rows[0]
        await pilot.press("G")
        await wait_for(lambda: app.data_tab.settled)
        assert "24" in list_rows(app)[-1]
        await pilot.press("g", "r")
        await wait_for(lambda: app.data_tab.settled)
    assert seen == []  # every read and parse of the file ran in a thread


def spy_draws(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(line, width) of every example a thread reads and lays out from now on."""
    draws: list[tuple[int, int]] = []
    real = DataTab._draw_example

    def spy(ds, line, findings, raw, width):
        draws.append((line, width))
        return real(ds, line, findings, raw, width)

    monkeypatch.setattr(DataTab, "_draw_example", staticmethod(spy))
    return draws


def held_summaries(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Row summaries that the list asks for as it draws wait until the returned event is set
    (those read with the index, for the first screen, do not)."""
    gate = threading.Event()
    real = dataset_module.summarize_lines

    def held(index, lines):
        if sys._getframe(1).f_code.co_name == "_fill_summaries":
            gate.wait(10)
        return real(index, lines)

    monkeypatch.setattr("ftui.tui.data.tab.summarize_lines", held)
    return gate


async def test_the_first_screen_is_drawn_with_its_rows(sample_copy, monkeypatch) -> None:
    gate = held_summaries(monkeypatch)
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: len(list_rows(app)) > 0)
        rows = list_rows(app)
        assert "Weather in Rome?" in rows[0]  # read with the index: no frame of placeholders first
        ds = app.data_tab.dataset
        assert all(ds.summary(ds.line_at(row)) is not None for row in range(len(rows)))
        gate.set()


async def test_a_row_is_a_placeholder_until_its_summary_is_read(write_jsonl, monkeypatch) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"Question {n}"}, {"role": "assistant", "content": "ok"}]}
        for n in range(1, 301)
    ]
    gate = held_summaries(monkeypatch)
    app = FtuiApp(write_jsonl(rows), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: "Question 1" in first_row(app))
        await pilot.press("G")  # far from the first screen: drawn at once, filled in later
        await wait_for(lambda: list_rows(app) and list_rows(app)[-1].rstrip().endswith("  …"))
        gate.set()
        await wait_for(lambda: "Question 300" in list_rows(app)[-1])


async def test_an_append_is_rechecked_from_the_tail_keeping_the_findings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(validate_module, "RANGE_BYTES", 4096)
    monkeypatch.setattr(validate_module, "MIN_RANGE_BYTES", 1024)
    path = tmp_path / "big.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": f"q{i} " + "word " * 20}, {"role": "assistant", "content": "a"}]}
        for i in range(300)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    kept_meanwhile: list[int] = []
    grew = DataTab._index_grew

    def spy(self: DataTab, ds, message) -> None:
        grew(self, ds, message)
        kept_meanwhile.append(len(ds.findings))

    monkeypatch.setattr(DataTab, "_index_grew", spy)
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        before = len(app.data_tab.dataset.findings)
        assert before == 300  # no system message on each line
        append_line(path, json.dumps({"messages": [{"role": "user", "content": "no answer"}]}))
        app.data_tab.check_file()
        await wait_for(lambda: kept_meanwhile != [])
        await wait_for(lambda: app.data_tab.dataset.line_count == 301 and app.data_tab.settled)
        assert kept_meanwhile == [before]  # the known findings stayed while the tail was checked
        assert app.data_tab._validation is not None and app.data_tab._validation.rechecked_from > 0
        ds = app.data_tab.dataset
        assert any(f.line == 301 and f.code == "example_missing_assistant_message" for f in ds.findings)
        assert ds.tokens(301) is not None and len(ds.line_tokens) == 301


async def test_an_example_is_laid_out_off_the_ui_loop(sample_copy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Laying out a conversation (350 ms for an 800 KB line) happens in the thread that read it;
    the UI loop only copies the rows on screen."""
    from ftui.tui.data import tab as data_tab_module

    where: list[bool] = []
    real = data_tab_module.render_lines

    def spy(renderable, width):
        where.append(threading.current_thread() is threading.main_thread())
        return real(renderable, width)

    monkeypatch.setattr(data_tab_module, "render_lines", spy)
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("j", "j", "r")
        await wait_for(lambda: app.data_tab.settled and app.data_tab.shown_line == (3, True))
        assert "USER" not in screen_text(app) and '"role"' in screen_text(app)  # the raw JSON of line 3
    assert where and not any(where)


async def test_the_next_example_is_read_ahead_and_shown_with_the_cursor(sample_copy, monkeypatch) -> None:
    """`j` at a person's pace shows the next example at once: a thread has already read and laid
    out the rows beside the shown one, so no read is left for the key to wait on."""
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        tab = app.data_tab
        await wait_for(lambda: tab.settled and tab.shown_line == (1, False))
        width = app.query_one("#example-view").text_width
        await wait_for(lambda: tab._drawn.has(tab.dataset, 2, False, width, tab.dataset.by_line.get(2, [])))
        # An earlier read-ahead (cancelled when the findings came) may still be laying out in its
        # thread: wait for the drawing threads to end, so the spy sees only what `j` reads.
        await wait_for(lambda: not any(w.group in ("example", "prefetch") and not w.is_finished for w in app.workers))
        draws = spy_draws(monkeypatch)
        await pilot.press("j")
        await wait_for(lambda: tab.shown_line == (2, False))
        reads = [line for line, _ in draws]
        assert 2 not in reads  # shown from what was read ahead
        assert "Line 2" in screen_text(app)
        await wait_for(lambda: tab._drawn.has(tab.dataset, 3, False, width))  # and the next one is read ahead
        assert 3 in [line for line, _ in draws]


async def test_the_first_example_is_laid_out_once_for_the_views_width(sample_copy, monkeypatch) -> None:
    """The example view is hidden until the file is indexed: the first example waits for its
    layout, so the thread lays it out (and the rows beside it) at the width it is shown at."""
    draws = spy_draws(monkeypatch)
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        tab = app.data_tab
        await wait_for(lambda: tab.shown_line == (1, False))
        width = app.query_one("#example-view").text_width
        await wait_for(lambda: tab._drawn.has(tab.dataset, 2, False, width))
        assert {w for _, w in draws} == {width} and width > 40


def test_a_checked_dataset_is_named_in_a_few_characters(tmp_path: Path) -> None:
    """Textual's @work writes out its arguments' reprs on the UI loop each time a worker starts
    (every key in the Data tab starts one with the dataset): that must not grow with the file."""
    from array import array

    from ftui.data.index import LineIndex

    path = tmp_path / "big.jsonl"
    path.write_text('{"messages": []}\n' * 2000)
    ds = dataset_module.Dataset(path, LineIndex(path).build(), "gpt-4o-mini-2024-07-18")
    ds.line_tokens = array("q", range(2000))
    ds.line_messages = array("i", range(2000))
    ds.by_line = {n: [] for n in range(2000)}
    assert repr(ds) == "Dataset('big.jsonl', 2000 lines)"
