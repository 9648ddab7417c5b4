"""Chat dialogs: the conversation settings, and saving a good exchange to a dataset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from ftui.data.keep import KeepError, append_example
from ftui.textsafe import safe


@dataclass
class ChatSettings:
    """What every request of the conversation carries."""

    system: str = ""
    temperature: float | None = None
    max_tokens: int | None = None


class ChatSettingsScreen(ModalScreen[ChatSettings | None]):
    """Edit the system prompt, temperature and max tokens; ctrl+s applies, Esc drops.

    ("Apply", not "Keep" nor "Save": in the Chat tab ctrl+s *saves* an exchange to a dataset.)"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="chatsettings.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="chatsettings.keep"),  # id kept: keymaps name it
    ]

    def __init__(self, settings: ChatSettings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(classes="dialog", id="chat-settings"):
            yield Label("[b]Conversation settings[/b]  ·  ctrl+s apply  ·  Esc cancel")
            yield Label("System prompt (applies to the next message)")
            yield TextArea(s.system, id="system", soft_wrap=True, compact=True)
            with Grid(id="chat-settings-grid"):
                yield Label("Temperature")
                yield Input(
                    "" if s.temperature is None else f"{s.temperature:g}",
                    placeholder="default, 0–2",
                    id="temp",
                    compact=True,
                )
                yield Label("Max tokens")
                yield Input(
                    "" if s.max_tokens is None else str(s.max_tokens), placeholder="default", id="max", compact=True
                )
            yield Static("", id="chat-settings-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="apply", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#system", TextArea).focus()

    def _read(self) -> ChatSettings:
        temp_text = self.query_one("#temp", Input).value.strip()
        max_text = self.query_one("#max", Input).value.strip()
        temperature = max_tokens = None
        if temp_text:
            try:
                temperature = float(temp_text)
            except ValueError:
                raise ValueError(f"Temperature: {temp_text!r} is not a number.") from None
            if not 0 <= temperature <= 2:
                raise ValueError("Temperature: it must be between 0 and 2.")
        if max_text:
            try:
                max_tokens = int(max_text)
            except ValueError:
                raise ValueError(f"Max tokens: {max_text!r} is not a whole number.") from None
            if max_tokens < 1:
                raise ValueError("Max tokens: it must be at least 1.")
        return ChatSettings(self.query_one("#system", TextArea).text, temperature, max_tokens)

    def action_apply(self) -> None:
        try:
            self.dismiss(self._read())
        except ValueError as exc:
            self.query_one("#chat-settings-error", Static).update(Text(f"✗ {safe(exc)}", style="red"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_apply() if event.button.id == "apply" else self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Saved(Message):
    def __init__(self, path: Path | None, line: int | None, error: str | None) -> None:
        super().__init__()
        self.path, self.line, self.error = path, line, error


class SaveExampleScreen(ModalScreen[tuple[Path, int] | None]):
    """Choose the file (and the reply, when two models answered); the example is checked, then appended."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="save.cancel")]

    def __init__(self, system: str, user: str, replies: list[tuple[str, str]], path: Path | None, model: str) -> None:
        super().__init__()
        self.system, self.user, self.replies, self.path, self.model = system, user, replies, path, model

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="save-dialog"):
            yield Label("[b]Save this exchange as a training example[/b]")
            yield Static(self._preview(0), id="save-preview", markup=False)
            if len(self.replies) > 1:
                yield Label("Reply to save")
                options = [
                    (Text(f"{'AB'[i]} · {safe(model, one_line=True)}"), i) for i, (model, _) in enumerate(self.replies)
                ]
                yield Select(options, value=0, allow_blank=False, id="save-choice", compact=True)
            yield Label("Append to (checked first, written atomically)")
            yield Input(str(self.path or ""), placeholder="dataset.jsonl", id="save-path")
            yield Static("", id="save-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Append", variant="primary", id="save", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    def _choice(self) -> int:
        if len(self.replies) < 2:
            return 0
        value = self.query_one("#save-choice", Select).value
        return value if isinstance(value, int) else 0

    def _preview(self, choice: int) -> str:
        def short(text: str, n: int = 140) -> str:
            one = " ".join(text.split())
            return one if len(one) <= n else one[: n - 1] + "…"

        lines = []
        if self.system.strip():
            lines.append(f"system: {short(self.system, 80)}")
        lines.append(f"user: {short(self.user)}")
        lines.append(f"assistant: {short(self.replies[choice][1])}")
        return safe("\n".join(lines))

    @on(Select.Changed, "#save-choice")
    def _choice_changed(self) -> None:
        self.query_one("#save-preview", Static).update(self._preview(self._choice()))

    def on_input_submitted(self) -> None:
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._save() if event.button.id == "save" else self.action_cancel()

    def _save(self) -> None:
        text = self.query_one("#save-path", Input).value.strip()
        if not text:
            self.query_one("#save-error", Static).update(Text("✗ Give the file to append to.", style="red"))
            return
        from ftui.data.keep import exchange_example

        example = exchange_example(self.system, self.user, self.replies[self._choice()][1])
        self._write(Path(text).expanduser(), example)

    @work(thread=True, exclusive=True, group="save-example", exit_on_error=False)
    def _write(self, path: Path, example: dict[str, Any]) -> None:
        try:
            line = append_example(path, example, self.model)
        except KeepError as exc:
            self.post_message(Saved(None, None, str(exc)))
            return
        self.post_message(Saved(path, line, None))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        if message.error:
            self.query_one("#save-error", Static).update(Text(f"✗ {safe(message.error)}", style="red"))
            return
        assert message.path is not None and message.line is not None
        self.dismiss((message.path, message.line))

    def action_cancel(self) -> None:
        self.dismiss(None)
