"""The Files tab's dialogs: upload (a path with completion, and the purpose), a duplicate found
before uploading (reuse the existing file or upload anyway), and a path input that completes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ftui.textsafe import safe
from ftui.tui.files.listing import human_size, when
from ftui.tui.widgets.path_input import PathInput, PathSuggester

PURPOSES = ("fine-tune", "batch", "assistants", "vision", "user_data", "evals")


class UploadScreen(ModalScreen[tuple[Path, str] | None]):
    """Ask for the file to upload and its purpose; Enter uploads (after the local check)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="upload.cancel"),
        Binding("ctrl+s", "submit", "Upload", show=False, id="upload.submit"),
    ]
    HELP = """
## Upload a file
Type a path (`Tab` completes it from what is on disk), pick the purpose, then `Enter`.
A JSONL file for fine-tuning is checked locally first, and a file ftui already uploaded
with the same content is offered for reuse instead of a second copy.
"""

    def __init__(self, value: str = "") -> None:
        super().__init__()
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="upload-dialog"):
            yield Label("[b]Upload a file[/b]  ·  Tab completes  ·  Enter uploads  ·  Esc cancels")
            yield PathInput(self.value, placeholder="path/to/train.jsonl", suggester=PathSuggester(), id="upload-path")
            with Horizontal(id="upload-purpose-row"):
                yield Label("Purpose ", id="upload-purpose-label")
                yield Select(
                    [(p, p) for p in PURPOSES], value="fine-tune", allow_blank=False, id="upload-purpose", compact=True
                )
            yield Static("", id="upload-problem")

    def on_mount(self) -> None:
        self.query_one("#upload-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        raw = self.query_one("#upload-path", Input).value.strip()
        if not raw:
            return
        path = Path(raw).expanduser()
        problem = None
        if not path.exists():
            problem = f"{path} does not exist."
        elif not path.is_file():
            problem = f"{path} is not a file."
        elif not os.access(path, os.R_OK):
            problem = f"ftui may not read {path}."
        if problem:
            self.query_one("#upload-problem", Static).update(Text("✗ " + safe(problem), style="red"))
            return
        self.dismiss((path, str(self.query_one("#upload-purpose", Select).value)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DuplicateScreen(ModalScreen[str | None]):
    """The file to upload is already there: reuse it (Enter), upload a copy anyway (`u`), or not (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer('')", "Cancel", id="duplicate.cancel"),
        Binding("r", "answer('reuse')", "Reuse", id="duplicate.reuse"),
        Binding("u", "answer('upload')", "Upload anyway", id="duplicate.upload"),
    ]

    HELP = """
## Already uploaded
The provider already has a file ftui uploaded with exactly these bytes (same size and sha256).
`r` reuses it: nothing is uploaded, the file is selected and its id copied. `u` uploads a second
copy anyway. `Esc` does neither.
"""

    def __init__(self, path: Path, existing: Any) -> None:
        super().__init__()
        self.path, self.existing = path, existing

    def compose(self) -> ComposeResult:
        f = self.existing
        body = Text()
        body.append(safe(self.path.name, one_line=True), "bold")
        body.append(" has the same content (size and sha256) as a file already uploaded:\n")
        body.append(safe(f.id, one_line=True), "bold")
        body.append(f"  {safe(f.filename or '', one_line=True)} · {human_size(f.bytes)} · {when(f.created_at)}\n")
        body.append("Reuse it (its id is copied and selected) instead of paying to store a second copy?")
        with Vertical(classes="dialog"):
            yield Label("[b]Already uploaded[/b]")
            yield Static(body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reuse it (r)", variant="primary", id="reuse", compact=True)
                yield Button("Upload anyway (u)", id="upload", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#reuse", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"reuse": "reuse", "upload": "upload"}.get(str(event.button.id)))

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer or None)
