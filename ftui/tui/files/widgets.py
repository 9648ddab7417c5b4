"""The Files tab's own widgets: a list drawn from its listing, the filter bar; and a path check."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Input

from ftui.tui.widgets.virtual_list import VirtualList


class RowList(VirtualList):
    """A list whose rows come from its tab's listing."""

    def __init__(self, row: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._row = row

    def row_text(self, index: int, width: int) -> Text:
        return self._row(index)


class FilterBar(Input):
    """The `/` filter: the list follows each key; Enter keeps the filter, Esc clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="files.filter.clear"),
    ]

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, ""))
