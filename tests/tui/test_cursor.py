"""The selected row shows in every list: the cursor is drawn over the row's own colours."""

from __future__ import annotations

from ftui.tui.app import FtuiApp
from ftui.tui.data.lists import ExampleList, FindingsList
from ftui.tui.widgets.virtual_list import VirtualList
from tests.tui.conftest import wait_for, wait_validated


def cursor_bg(lst: VirtualList):
    return lst.get_component_rich_style("virtual-list--cursor").bgcolor


def row_backgrounds(lst: VirtualList, index: int) -> set:
    """The backgrounds of the drawn pieces of row ``index`` (which must be on screen)."""
    strip = lst.render_line(index - lst.scroll_offset.y)
    return {seg.style.bgcolor for seg in strip if seg.text and seg.style is not None}


async def test_example_cursor_shows_focused_and_dimmer_unfocused(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        lst = app.query_one(ExampleList)
        await pilot.press("j")  # line 2: an error row (red mark, dim number, cyan counts)
        assert lst.has_focus and lst.cursor == 1
        focused = cursor_bg(lst)
        assert focused is not None and focused != lst.rich_style.bgcolor
        assert row_backgrounds(lst, 1) == {focused}  # every piece of the row, mark included
        strip = lst.render_line(1 - lst.scroll_offset.y)
        assert all(seg.style.bold for seg in strip if seg.text.strip())  # bold where the keys go
        assert focused not in row_backgrounds(lst, 0) | row_backgrounds(lst, 2)
        mark = next(seg for seg in strip if seg.text.strip())
        assert mark.text.startswith("✗") and mark.style.color is not None  # the mark keeps its colour

        await pilot.press("f")  # the findings take the focus; the example cursor stays, dimmer
        await wait_for(lambda: not lst.has_focus and cursor_bg(lst) != focused)
        blurred = cursor_bg(lst)
        assert blurred not in (None, lst.rich_style.bgcolor)
        assert row_backgrounds(lst, 1) == {blurred}
        assert blurred not in row_backgrounds(lst, 0)


async def test_findings_cursor_shows_sorted_and_grouped(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("f", "j", "j")
        findings = app.query_one(FindingsList)
        assert findings.has_focus and findings.cursor == 2
        bg = cursor_bg(findings)
        assert row_backgrounds(findings, 2) == {bg}
        assert bg not in row_backgrounds(findings, 1) | row_backgrounds(findings, 3)
        await pilot.press("o")  # grouped by code
        assert findings.by_code
        cursor = findings.cursor
        assert row_backgrounds(findings, cursor) == {bg}
        assert bg not in row_backgrounds(findings, cursor + 1)
