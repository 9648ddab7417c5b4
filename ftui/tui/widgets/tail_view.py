"""A Line-API view over a growing list of log lines: draws only what is on screen, sticks to the end."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

LEVEL_STYLES = {" error ": Style(color="red", bold=True), " warn  ": Style(color="yellow")}


class TailView(ScrollView, can_focus=False):
    """Shows ``lines`` (or the subset ``rows``) without copying them; new lines only move the end."""

    DEFAULT_CSS = "TailView { overflow-x: hidden; background: $surface; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Down", show=False, id="tail.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="tail.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="tail.top"),
        Binding("G,end", "scroll_end", "End", show=False, id="tail.end"),
        Binding("ctrl+d,pagedown", "page_down", "Page down", show=False, id="tail.page_down"),
        Binding("ctrl+u,pageup", "page_up", "Page up", show=False, id="tail.page_up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.rows: list[int] | None = None  # indices into lines when filtered
        self.follow = True  # stick to the end until the user scrolls up

    @property
    def count(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.lines)

    def show(self, lines: list[str], rows: list[int] | None) -> None:
        """Point at (possibly grown) lines; keeps following the end unless the user scrolled up."""
        self.lines, self.rows = lines, rows
        self.virtual_size = Size(self.size.width, self.count)
        if self.follow:
            self._to_end()
            self.call_after_refresh(self._to_end)  # again once a just-shown view has its size
        self.refresh()

    def _to_end(self) -> None:
        self.scroll_to(y=max(0, self.count - self.size.height), animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y - 1:
            self.follow = True
        elif new_value < old_value:
            self.follow = False

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)
        if self.follow:
            self._to_end()

    def line(self, index: int) -> str:
        return self.lines[self.rows[index] if self.rows is not None else index]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        if index >= self.count:
            return Strip.blank(width, self.rich_style)
        text = self.line(index)[:width].ljust(width)
        style = self.rich_style
        for marker, level_style in LEVEL_STYLES.items():
            if marker in text[:22]:
                style = style + level_style
                break
        return Strip([Segment(text, style)], width)
