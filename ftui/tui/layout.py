"""How wide a tab must be to put its panes side by side, and the classes that say which it is."""

from __future__ import annotations

from textual.widget import Widget

WIDE = 110  # columns; below this, panes stack (80x24 is the floor everything must work at)


def set_width_classes(widget: Widget, width: int) -> bool:
    """Give ``widget`` the class ``wide`` or ``narrow`` for ``width``; returns whether it is wide."""
    wide = width >= WIDE
    widget.set_class(wide, "wide")
    widget.set_class(not wide, "narrow")
    return wide
