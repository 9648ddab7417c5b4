"""A path box that completes from the disk: Tab takes the suggestion (shared by the open-file
and upload dialogs)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input

from ftui.textsafe import has_controls

MAX_ENTRIES = 2000  # a huge folder is not read whole to complete one name


class PathSuggester(Suggester):
    """Completes the last part of a typed path from what is on disk (folders get a trailing /)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)  # a slow disk never holds up the keys


def complete_path(value: str) -> str | None:
    """``value`` with its last part completed from the disk: folders first, then JSONL files,
    then the rest (hidden names only when asked for with a leading dot); None when nothing fits."""
    if not value:
        return None
    folder, sep, prefix = value.rpartition(os.sep)
    where = Path(os.path.expanduser(folder + sep)) if sep else Path(".")
    names: list[tuple[str, bool]] = []
    try:
        with os.scandir(where) as entries:
            for i, entry in enumerate(entries):
                if i >= MAX_ENTRIES:
                    break
                if entry.name.startswith(prefix) and (prefix.startswith(".") or not entry.name.startswith(".")):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    names = [(n, d) for n, d in names if not has_controls(n)]  # never typed into the box raw
    if not names:
        return None
    names.sort(key=lambda nd: (not nd[1], not nd[0].endswith(".jsonl"), nd[0]))
    name, is_dir = names[0]
    return value[: len(value) - len(prefix)] + name + (os.sep if is_dir else "")


class PathInput(Input):
    """An Input for a path: Tab takes the suggestion when there is one (else moves on). Coming
    back to it (shift+tab) puts the cursor at the end instead of selecting all that was typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False, id="path.complete"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def action_complete(self) -> None:
        suggestion = self._suggestion
        if suggestion and len(suggestion) > len(self.value):
            self.value = suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()
