"""Pick a chat model: fine-tuned models and checkpoints from jobs, the provider's models, base models,
Azure deployments, or any name typed in."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

OFF = "__off__"
GROUP_ORDER = ("fine-tuned", "checkpoint", "deployment", "provider", "base")
GROUP_TITLES = {
    "fine-tuned": "Fine-tuned models",
    "checkpoint": "Checkpoints",
    "deployment": "Azure deployments",
    "provider": "Models the provider lists",
    "base": "Base models",
}


class ModelPickerScreen(ModalScreen[str | None]):
    """Type to filter; Enter in the box uses exactly what is typed; Down then Enter picks from the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "to_list", "List", show=False, id="picker.list"),
    ]
    HELP = "## Pick a model\nType to filter. `Enter` in the box uses the typed name; `↓` then `Enter` picks one."

    def __init__(self, title: str, choices: dict[str, str], current: str | None, allow_off: bool = False) -> None:
        super().__init__()
        self.title_text, self.choices, self.current, self.allow_off = title, choices, current, allow_off

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Label(f"[b]{self.title_text}[/b]")
            yield Input(placeholder="type a model or deployment name, or filter", id="picker-input")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-input", Input).focus()

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        needle = text.lower().strip()
        if self.allow_off and not needle:
            options.add_option(Option("compare off (one model)", id=OFF))
        for group in GROUP_ORDER:
            names = [m for m, g in self.choices.items() if g == group and needle in m.lower()]
            if not names:
                continue
            options.add_option(Option(f"── {GROUP_TITLES[group]}", disabled=True))
            for name in names:
                mark = "● " if name == self.current else "  "
                options.add_option(Option(mark + name, id=name))
        if options.option_count == 0:
            options.add_option(Option(f"no match: Enter uses {text.strip()!r} as typed", disabled=True))

    @on(Input.Changed, "#picker-input")
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-input")
    def _typed(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(value)
        else:
            self.action_to_list()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)

    def action_to_list(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if options.highlighted is None:
            options.action_first()

    def action_cancel(self) -> None:
        self.dismiss(None)
