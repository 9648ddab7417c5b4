"""Pick a chat model: fine-tuned models and checkpoints from jobs, the provider's models, base models,
Azure deployments, or any name typed in."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ftui.textsafe import safe

OFF = "__off__"
OFF_LABEL = "compare off (one model)"
TYPED = "__typed__"
GROUP_ORDER = ("fine-tuned", "checkpoint", "deployment", "provider", "base")
GROUP_TITLES = {
    "fine-tuned": "Fine-tuned models",
    "checkpoint": "Checkpoints",
    "deployment": "Azure deployments",
    "provider": "Models the provider lists",
    "base": "Base models",
}


class ModelPickerScreen(ModalScreen[str | None]):
    """Type to filter; ↑/↓ move the highlight while typing; Enter picks the highlighted model.

    The best match is highlighted as you type (an exact name, then a name that starts with
    what is typed, then the first that holds it). A name no list holds
    (an Azure deployment, a model the provider does not list) is the first line,
    "use … as typed": ↑ reaches it, and it is the only line when nothing matches."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
        Binding("pagedown", "move(8)", "Page down", show=False, id="picker.page_down"),
        Binding("pageup", "move(-8)", "Page up", show=False, id="picker.page_up"),
    ]
    HELP = (
        "## Pick a model\nType to filter; `↑`/`↓` move the highlight, `Enter` picks it. "
        "The line *use … as typed* takes exactly what you typed (a deployment, a model the list lacks)."
    )

    def __init__(
        self,
        title: str,
        choices: dict[str, str],
        current: str | None,
        allow_off: bool = False,
        notes: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.choices, self.current, self.allow_off = title, choices, current, allow_off
        self.notes = notes or {}  # a dim word after a name (an Azure deployment's model)
        self.typed = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Label(Text(self.title_text, style="bold"))
            if self.allow_off:
                yield Label(Text("Type off (or pick the first line) for one model again.", style="dim"))
            yield Input(placeholder="type to filter, or a model or deployment name", id="picker-input")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-input", Input).focus()

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    def _fill(self, text: str) -> None:
        """List the matches of ``text``, grouped; highlight an exact match, else the first one."""
        options = self.options
        options.clear_options()
        self.typed = text.strip()
        needle = self.typed.lower()
        # "compare off" is found by typing any part of it ("off", "comp", "one"), and while it
        # matches, what is typed is not offered as a model name ("use compare as typed")
        off = self.allow_off and needle in OFF_LABEL.lower()
        if off:
            options.add_option(Option(OFF_LABEL, id=OFF))
        if self.typed and self.typed not in self.choices and not off:
            shown = safe(self.typed, one_line=True)
            options.add_option(Option(Text.assemble("use ", (shown, "bold"), " as typed"), id=TYPED))
        listed: list[str] = []
        for group in GROUP_ORDER:
            names = [
                m
                for m, g in self.choices.items()
                if g == group and (needle in m.lower() or needle in self.notes.get(m, "").lower())
            ]
            if not names:
                continue
            options.add_option(Option(Text(f"── {GROUP_TITLES[group]}", style="dim"), disabled=True))
            for name in names:
                mark = "● " if name == self.current else "  "
                line = Text(mark + safe(name, one_line=True), no_wrap=True, overflow="ellipsis")
                if note := self.notes.get(name):
                    line.append(f"  {safe(note, one_line=True)}", style="dim")
                options.add_option(Option(line, id=name))
            listed += names
        # The line Enter would pick: the exact name, else the current model (nothing typed),
        # else the first name that starts with what is typed, else the first that holds it.
        prefixed = [m for m in listed if m.lower().startswith(needle)]
        if self.typed in listed:
            best: str | None = self.typed
        elif not needle and self.current in listed:
            best = self.current
        elif off:
            best = OFF
        else:
            best = (prefixed or listed)[0] if prefixed or listed else None
        if best is not None:
            options.highlighted = options.get_option_index(best)
        elif options.option_count:
            options.action_first()

    @on(Input.Changed, "#picker-input")
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        """↑/↓ while typing move the list's highlight; the typing stays where it is."""
        options = self.options
        action = options.action_cursor_down if step > 0 else options.action_cursor_up
        for _ in range(abs(step)):
            action()

    def _pick(self, option_id: str | None) -> None:
        if option_id == TYPED:
            self.dismiss(self.typed)
        elif option_id is not None:
            self.dismiss(option_id)

    @on(Input.Submitted, "#picker-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter picks the highlighted line (never the filter text, unless that line says so)."""
        options = self.options
        index = options.highlighted
        if index is not None:
            option = options.get_option_at_index(index)
            if not option.disabled:
                self._pick(option.id)
                return
        if self.typed:
            self.dismiss(self.typed)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
