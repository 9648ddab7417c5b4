"""TUI test helpers: an app on a copy of a sample file, offline, and waiting for validation."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ftui.tui.app import FtuiApp
from tests.conftest import SAMPLES


@pytest.fixture(autouse=True)
def steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors never blink in tests: a snapshot taken on a slow machine half a second
    later than on a fast one must show the same cursor."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture
def sample_copy(tmp_path: Path):
    """Copy a sample file into a temp dir (tests may change it on disk)."""

    def copy(name: str = "mistakes.jsonl") -> Path:
        target = tmp_path / name
        shutil.copy(SAMPLES / name, target)
        return target

    return copy


async def wait_validated(app: FtuiApp, timeout: float = 40.0) -> None:
    """Wait until the open file is indexed and fully validated, its rows' summaries are read
    and the example view shows the selected line."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if app.data_tab.settled:
            return
        if loop.time() > deadline:
            raise AssertionError("validation did not finish")
        await asyncio.sleep(0.02)


async def wait_for(predicate, timeout: float = 30.0) -> None:
    """Wait until ``predicate()`` holds (the timeout is a bound for a stuck test, not a speed goal:
    a loaded CI machine may take many times longer than a quiet one)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


def sandbox_settings(tmp_path: Path, speed: float = 200.0):
    """Settings for an app on its own embedded sandbox (state under tmp_path)."""
    from ftui.config import SandboxSettings, Settings

    return Settings(sandbox=SandboxSettings(speed=speed, data_dir=str(tmp_path / "sandbox")), bell=True)


async def wait_connected(app: FtuiApp, timeout: float = 40.0) -> None:
    await wait_for(lambda: app.provider is not None, timeout)


def screen_text(app: FtuiApp) -> str:
    """Everything drawn on the current screen, as plain lines (what a user reads)."""
    strips = app.screen._compositor.render_strips()  # the composed frame, as on the terminal
    return "\n".join(strip.text for strip in strips)


async def settle(pilot, timeout: float = 10.0) -> None:
    """Wait until the screen stops changing: the same frame three checks in a row, with every
    queued message handled between checks (what a snapshot or a screen assertion should see)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last, same = None, 0
    while same < 3:
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        frame = screen_text(pilot.app)
        same = same + 1 if frame == last else 0
        last = frame
        if loop.time() > deadline:
            raise AssertionError("the screen kept changing")
        await asyncio.sleep(0.03)
