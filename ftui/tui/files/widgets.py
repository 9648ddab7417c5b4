"""The Files tab's own widgets: a list drawn from its listing, the filter bar; and a path check."""

from __future__ import annotations

import os
from pathlib import Path
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


def cannot_write(path: Path) -> str | None:
    """Why ``path`` cannot be written (a missing folder is never created for the user), or None."""
    from ftui.data.atomic import name_max

    longest = name_max(path.parent) if path.parent.is_dir() else 255
    if len(path.name.encode()) > longest:
        return f"the name is {len(path.name.encode())} bytes long; this filesystem takes at most {longest}."
    try:
        return _cannot_write(path)
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}."


def _cannot_write(path: Path) -> str | None:
    if path.is_dir():
        return f"{path} is a folder; give a file name."
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist. Create it first, or pick another place."
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"ftui may not write in {path.parent}."
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only."
    return None
