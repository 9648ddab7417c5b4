"""The app shell's edge states: empty files, lines out of range, the footer and top bar at 80
columns, a provider that cannot connect, and quitting (q, signals) that never hangs."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

from rich.cells import cell_len
from textual.widgets import Footer, Static

from ftui.config import Profile
from ftui.tui.app import FtuiApp
from ftui.tui.data.lists import ExampleList
from tests.conftest import SAMPLES
from tests.tui.conftest import screen_text, wait_for, wait_validated
from tests.tui.test_data_tab import example_text, shown


def notices(app: FtuiApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_an_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await wait_for(lambda: "This file is empty: no lines to show." in example_text(app))
        assert "No lines match" not in example_text(app)
        await pilot.press("colon")
        await wait_for(lambda: "This file is empty: there is no line to go to." in notices(app))


async def test_a_line_out_of_range_is_explained(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)  # 24 lines
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        lst = app.query_one(ExampleList)
        await pilot.press("colon", *"999", "enter")
        await wait_for(lambda: "Line 999 is past the end (24 lines); showing the last line." in notices(app))
        assert lst.cursor == 23
        await pilot.press("colon", "0", "enter")
        await wait_for(lambda: "Line 0 is before the first line; showing line 1." in notices(app))
        assert lst.cursor == 0
        await pilot.press("j", "j", "colon", *"-5", "enter")
        await wait_for(lambda: "Line -5 is before the first line; showing line 1." in notices(app))
        assert lst.cursor == 0
        await pilot.press("colon", *"12", "enter")  # in range: no notice, just there
        assert lst.cursor == 11 and not any("Line 12" in n for n in notices(app))


def footer_fits(app: FtuiApp) -> bool:
    footer = app.screen.query_one(Footer)
    text = screen_text(app).splitlines()[-1]
    return footer.virtual_size.width <= footer.size.width == app.size.width and "Help" in text


async def test_the_footer_is_never_cut_off_at_80_columns(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        states = [
            ((), "list"),
            (("f",), "findings"),
            (("s",), "stats"),
            (("x", "enter"), "example view"),
            (("r",), "raw JSON"),
            (("escape", "slash"), "filter prompt"),
            (("escape", "colon"), "jump prompt"),
            (("escape", "2"), "jobs"),
            (("3",), "chat"),
            (("escape", "4"), "files"),
            (("1",), "back to data"),
        ]
        for keys, name in states:
            await pilot.press(*keys)
            try:
                await wait_for(lambda: footer_fits(app), timeout=5)
            except AssertionError:
                raise AssertionError(f"{name}: the footer is cut off: {screen_text(app).splitlines()[-1]!r}") from None


async def test_the_top_bar_fits_at_80_columns_with_a_long_file_name(tmp_path: Path) -> None:
    path = tmp_path / ("customer_support_bot_training_examples_collected_in_2025_cleaned_final_v2" + ".jsonl")
    shutil.copy(SAMPLES / "weather_jokes.jsonl", path)
    app = FtuiApp(path, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await wait_for(lambda: shown(app, "#topbar").rstrip().endswith("⚠ 0"))  # checked: counts, no progress
        bar = shown(app, "#topbar").rstrip("\n")
        assert cell_len(bar) <= 78, bar  # 80 less the bar's padding
        assert bar.startswith("ftui │ offline │ customer_support") and bar.endswith(".jsonl │ ✗ 0  ⚠ 0"), bar
        assert "…" in bar
        assert screen_text(app).splitlines()[0].rstrip().endswith("✗ 0  ⚠ 0")
        await pilot.resize_terminal(120, 30)  # wider: the whole name
        await wait_for(lambda: path.name in shown(app, "#topbar"))


async def test_a_provider_that_fails_says_why_in_the_top_bar_and_the_jobs_tab(sample_copy) -> None:
    app = FtuiApp(sample_copy(), profile="nope")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: app.provider_error is not None, timeout=15)
        assert app.provider_error.startswith("No profile named 'nope'")
        assert app.provider is None
        await wait_for(lambda: "not connected: No profile named 'nope'" in shown(app, "#topbar"))
        status = app.jobs_tab.query_one("#jobs-status", Static)
        await wait_for(lambda: "Not connected to a provider. No profile named 'nope'" in shown(app, "#jobs-status"))
        assert status.display and "Connecting" not in shown(app, "#jobs-status")
        await pilot.press("2")
        await wait_for(lambda: "Not connected to a provider" in screen_text(app))
        assert "No profile named" in screen_text(app)


async def test_q_exits_with_0_and_stops_the_workers(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("q")
        assert app._exiting
        assert all(w.is_cancelled or w.is_finished for w in app.workers)
    assert app.return_code == 0


async def test_a_signal_exits_with_128_plus_its_number(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(80, 24)):
        await wait_validated(app)
        app._on_signal(signal.SIGTERM)
    assert app.return_code == 128 + signal.SIGTERM


class StuckProvider:
    """A provider whose close never returns (a stream that will not end, a dead server)."""

    label = "stuck"
    profile = Profile(name="stuck", provider="compatible", base_url="http://127.0.0.1:9/v1")  # as a real one has

    async def close(self) -> None:
        await asyncio.Event().wait()


async def test_quitting_does_not_wait_for_a_stuck_provider(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_validated(app)
            app.session.provider = StuckProvider()  # type: ignore[assignment]
            await pilot.press("q")

    await asyncio.wait_for(run(), timeout=15)
    assert app.return_code == 0
