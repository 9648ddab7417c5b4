"""Terminal-hostile text in a dataset (and its file name) is shown escaped, never obeyed."""

from __future__ import annotations

from pathlib import Path

from ftui.tui.app import FtuiApp
from tests.hostile import raw_controls_in, write_hostile
from tests.tui.conftest import screen_text, wait_for, wait_validated


async def test_hostile_dataset_is_drawn_escaped_everywhere(tmp_path: Path) -> None:
    path = write_hostile(tmp_path)
    app = FtuiApp(path, connect=False)
    seen: dict[str, str] = {}

    async def look(name: str, until: str) -> str:
        try:
            await wait_for(lambda: until in screen_text(app))
        except AssertionError:
            print(screen_text(app))
            raise
        text = screen_text(app)
        seen[name] = text
        assert raw_controls_in(text) == [], f"{name}: raw controls on screen"
        return text

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_validated(app)
        # The list, the top bar (file name) and the first example as a conversation.
        await wait_for(lambda: "⚠ 0" in screen_text(app))  # the counts: the top bar has the file's name
        text = await look("list and conversation", "Hi \\x1b[2J there \\x9b31m red\\x0dover\\x07")
        assert (
            "evil[reverse][@click=app.quit]\\x1b]0;pwned-name\\x07.jsonl" in text
        )  # the name as it is, markup and all
        assert "Hi \\x1b[2J there \\x9b31m red\\x0dover\\x07" in text  # the user turn, escaped
        assert "[bold red]styled[/] and an unmatched [/b]" in text  # markup shown, not applied
        assert "→ fn\\x1b]0;pwned\\x07(" in text  # a tool call's name
        assert "\\x1b[2J" in text and "\\x9b" in text
        # The raw JSON.
        await pilot.press("r")
        await look("raw JSON", '"tool_calls"')
        await pilot.press("escape")
        # The broken line (not JSON: its raw bytes are the preview and the body).
        await pilot.press("j")
        await look("broken line", "Line 2")
        await pilot.press("j")
        text = await look("odd role", "Line 3")
        assert "BOSS\\X1B]0;PWNED\\X07" in text  # the role header (upper-cased), escaped
        # Findings: the unrecognized role's sentence quotes the role.
        await pilot.press("f")
        text = await look("findings", "unrecognized_role")
        # Stats.
        await pilot.press("s")
        await look("stats", "examples (")
        # A notification naming the file (it changed on disk).
        with path.open("ab") as fh:
            fh.write(b'{"messages": []}\n')
        await wait_for(lambda: any("changed on disk" in n.message for n in app._notifications))
        note = next(n for n in app._notifications if "changed on disk" in n.message)
        assert note.message.startswith("evil[reverse][@click=app.quit]\\x1b]0;pwned-name\\x07.jsonl changed")
        await wait_for(lambda: bool(app.screen.query("Toast")))
        await look("notification", "on disk")  # the toast on screen (its text wraps)
    assert len(seen) == 7


async def test_a_filter_with_markup_is_shown_as_typed(sample_copy) -> None:
    app = FtuiApp(sample_copy(), connect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_validated(app)
        await pilot.press("slash", *"[b]x[/]", "enter")
        await wait_for(lambda: app.data_tab.dataset.rows is not None)
        await wait_for(lambda: 'filter: "[b]x[/]"' in screen_text(app))
