"""A modal that asks for a JSONL file to open: a path box that completes from the disk (Tab),
and the recent and nearby files below it, filtered by what is typed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ftui.state import recent_files
from ftui.textsafe import safe
from ftui.tui.widgets.fit_footer import FitFooter
from ftui.tui.widgets.path_input import PathInput, PathSuggester


def candidate_files(root: Path, limit: int = 200) -> list[str]:
    """JSONL files near the working directory (two levels), for suggestions."""
    found: list[str] = []
    for pattern in ("*.jsonl", "*/*.jsonl", "*/*/*.jsonl"):
        for p in sorted(root.glob(pattern)):
            if ".venv" not in p.parts and len(found) < limit:
                found.append(str(p.relative_to(root)))
    return found


def shown_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside it, else as it is."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def choices(root: Path, recent: list[Path], nearby: list[str]) -> list[str]:
    """Recent files first, then nearby ones: each file once, named relative to ``root`` when it is
    inside it (a recent file remembered by its absolute path is the same file as its relative name)."""
    seen: set[str] = set()
    names: list[str] = []
    for path in [*recent, *(root / n for n in nearby)]:
        absolute = Path(os.path.abspath(root / path))
        key = os.path.normcase(str(absolute))
        if key not in seen:
            seen.add(key)
            names.append(shown_name(absolute, root))
    return names


class OpenPathInput(PathInput):
    """The dialog's path box: its keys are the footer's (Enter opens, Tab completes, ↓ the list)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Open", id="open.enter"),
        Binding("tab", "complete", "Complete", id="open.complete"),
        Binding("down", "screen.to_list", "Choices", key_display="↓", id="open.choices"),
    ]


class OpenFileScreen(ModalScreen[Path | None]):
    """Type a path (Tab completes) or pick a recent / nearby file (the list follows the typing)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="open.cancel"),
        Binding("shift+tab", "back_to_path", "Path", show=False, id="open.path"),
        # Enter typed before ftui put the terminal in raw mode arrives as a newline (ctrl+j).
        Binding("ctrl+j", "open_typed", "Open", show=False, id="open.typed"),
    ]
    HELP = (
        "## Open a file\nType a path to a JSONL file: `Tab` completes it from the disk, the list below "
        "keeps the recent and nearby files that match. `↓` moves into the list, `Enter` opens, `Esc` cancels."
    )

    def compose(self) -> ComposeResult:
        root = Path.cwd()
        self.names = choices(root, recent_files(), candidate_files(root))
        with Vertical(id="open-dialog"):
            yield Label("Open a JSONL training file")
            yield OpenPathInput(placeholder="path/to/train.jsonl", suggester=PathSuggester(), id="open-path")
            yield OptionList(*self._options(""), id="open-choices")
        yield FitFooter()

    def _options(self, typed: str) -> list[Option]:
        # Shown escaped and as plain text (a file name is not markup); the id keeps the real name.
        needle = typed.strip().lower()
        return [Option(Content(safe(n, one_line=True)), id=n) for n in self.names if needle in n.lower()]

    @on(Input.Changed, "#open-path")
    def _typed(self, event: Input.Changed) -> None:
        options = self.query_one("#open-choices", OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._try(event.value.strip())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._try(str(event.option.id))

    def action_open_typed(self) -> None:
        box = self.query_one("#open-path", PathInput)
        options = self.query_one("#open-choices", OptionList)
        if options.has_focus and options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            self._try(str(option.id))
        else:
            self._try(box.value.strip())

    def action_back_to_path(self) -> None:
        """Back to the path box with the cursor after what was typed (nothing selected)."""
        box = self.query_one("#open-path", PathInput)
        box.focus()
        box.cursor_position = len(box.value)

    def action_to_list(self) -> None:
        options = self.query_one("#open-choices", OptionList)
        if options.has_focus:
            options.action_cursor_down()
        elif options.option_count:
            options.focus()
            if options.highlighted is None:
                options.highlighted = 0

    def _try(self, value: str) -> None:
        if not value:
            return
        path = Path(value).expanduser()
        if not path.is_file():
            self.notify(f"{path} is not a file.", severity="warning", timeout=4, markup=False)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
