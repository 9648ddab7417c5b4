"""Snapshots of the Data tab at 80x24 and 120x40 (offline, after validation finishes)."""

from __future__ import annotations

import pytest

from ftui.tui.app import FtuiApp
from tests.tui.conftest import settle, wait_validated


def make_run_before(*keys: str):
    async def run_before(pilot) -> None:
        await wait_validated(pilot.app)
        for key in keys:
            await pilot.press(key)
        await wait_validated(pilot.app)  # the example of the line the keys led to is drawn
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_data_tab_mistakes(snap_compare, sample_copy, size) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=size, run_before=make_run_before())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_data_tab_findings(snap_compare, sample_copy, size) -> None:
    app = FtuiApp(sample_copy("mistakes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=size, run_before=make_run_before("f"))


def test_data_tab_stats_80x24(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=make_run_before("s"))


def test_data_tab_tool_calls_120x40(snap_compare, sample_copy) -> None:
    app = FtuiApp(sample_copy("tool_calls.jsonl"), connect=False)
    assert snap_compare(app, terminal_size=(120, 40), run_before=make_run_before("j", "j", "j", "enter"))
