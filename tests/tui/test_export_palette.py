"""The Files tab's palette offers "Export everything…": it asks for a folder and runs the same
export as `ftui export DIR`, with its progress (items, bytes, rate) on the status line (Pilot,
against the embedded sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from ftui.tui.app import FtuiApp
from ftui.tui.widgets.dialogs import AskScreen
from tests.tui.conftest import sandbox_settings, wait_connected, wait_for

CONTENT = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


async def test_export_everything_from_the_palette(sample_copy, tmp_path: Path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_connected(app)
        uploaded = await app.provider.client.files.create(file=("hello.jsonl", CONTENT), purpose="fine-tune")
        tab = app.files_tab
        said: list[str] = []
        shown = tab._set_status

        def record(text, *, problem: bool = False) -> None:
            said.append(str(text))
            shown(text, problem=problem)

        tab._set_status = record  # type: ignore[method-assign]
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Export everything")
        await wait_for(lambda: app.screen.query_one(CommandList).highlighted is not None)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        target = tmp_path / "backup"
        app.screen.query_one("#ask-value", Input).value = str(target)
        await pilot.press("enter")
        await wait_for(lambda: any("Exported everything to" in s for s in said), timeout=30)
        assert app.query_one("#files-status").display
        assert any(s.startswith("Exporting: files ") and "fetched at" in s and "/s" in s for s in said), said
        manifest = json.loads((target / "manifest.json").read_text())
        (entry,) = [f for f in manifest["files"] if f["id"] == uploaded.id]
        assert (target / entry["path"]).read_bytes() == CONTENT and manifest["complete"] is True
        assert f"{len(manifest['files'])} file" in said[-1] and "1 model" not in said[-1]
