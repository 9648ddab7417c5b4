"""How wide a tab must be to put its panes side by side, the classes that say which it is, and
fitting text into a number of cells."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widget import Widget

WIDE = 110  # columns; below this, panes stack (80x24 is the floor everything must work at)


def set_width_classes(widget: Widget, width: int) -> bool:
    """Give ``widget`` the class ``wide`` or ``narrow`` for ``width``; returns whether it is wide."""
    wide = width >= WIDE
    widget.set_class(wide, "wide")
    widget.set_class(not wide, "narrow")
    return wide


def fit(text: str, width: int, *, middle: bool = False) -> str:
    """``text`` cut to ``width`` cells with an ellipsis (in the middle keeps a file's extension)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    if not middle:
        while cell_len(text) > width - 1:
            text = text[:-1]
        return text + "…"
    head, tail = text[: len(text) // 2], text[len(text) // 2 :]
    while cell_len(head) + cell_len(tail) > width - 1:
        if cell_len(head) >= cell_len(tail):
            head = head[:-1]
        else:
            tail = tail[1:]
    return head + "…" + tail
