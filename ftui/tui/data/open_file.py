"""A modal that asks for a JSONL file to open (typed path with suggestions)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ftui.state import recent_files
from ftui.textsafe import has_controls, safe


def candidate_files(root: Path, limit: int = 200) -> list[str]:
    """JSONL files near the working directory (two levels), for suggestions."""
    found: list[str] = []
    for pattern in ("*.jsonl", "*/*.jsonl", "*/*/*.jsonl"):
        for p in sorted(root.glob(pattern)):
            if ".venv" not in p.parts and len(found) < limit:
                found.append(str(p.relative_to(root)))
    return found


class OpenFileScreen(ModalScreen[Path | None]):
    """Type a path (Tab completes) or pick a recent / nearby file."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="open.cancel"),
        # Enter typed before ftui put the terminal in raw mode arrives as a newline (ctrl+j).
        Binding("ctrl+j", "open_typed", "Open", show=False, id="open.typed"),
    ]
    HELP = "## Open a file\nType a path to a JSONL file (Tab accepts the suggestion) or pick one below."

    def compose(self) -> ComposeResult:
        cwd = Path.cwd()
        nearby = candidate_files(cwd)
        recent = [str(p) for p in recent_files()]
        names = list(dict.fromkeys(recent + nearby))
        with Vertical(id="open-dialog"):
            yield Label("Open a JSONL training file")
            # A name with control characters is never typed into the box (it would be drawn raw).
            typed = [p for p in names if not has_controls(p)]
            yield Input(placeholder="path/to/train.jsonl", suggester=SuggestFromList(typed), id="open-path")
            # Shown escaped and as plain text (a file name is not markup); the id keeps the real name.
            options = [Option(Content(safe(p, one_line=True)), id=p) for p in names]
            yield OptionList(*options, id="open-choices")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._try(event.value.strip())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._try(str(event.option.id))

    def action_open_typed(self) -> None:
        self._try(self.query_one("#open-path", Input).value.strip())

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
