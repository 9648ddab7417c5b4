"""A Line-API view over a growing list of log lines: draws only what is on screen, sticks to the end."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

# Line styles by kind (``ftui.provider.events.EventKind``: 1 warn, 2 error, 4 checkpoint).
KIND_STYLES: dict[int, Style] = {1: Style(color="yellow"), 2: Style(color="red", bold=True), 4: Style(color="green")}


class TailView(ScrollView, can_focus=False):
    """Shows ``lines`` (or the subset ``rows``) without copying them; new lines only move the end."""

    # Lines longer than the view scroll sideways (left/right; a scrollbar shows there is more).
    DEFAULT_CSS = "TailView { overflow-x: auto; scrollbar-size-horizontal: 1; background: $surface; }"
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
        self.kinds: bytes | bytearray = b""  # one kind per line (styles); may be shorter than lines
        self.follow = True  # stick to the end until the user scrolls up
        self.widest = 0  # cells of the longest line looked at (the sideways extent)
        self._measured = 0  # lines of ``lines`` measured so far (they only grow)

    @property
    def count(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.lines)

    def show(self, lines: list[str], rows: list[int] | None, kinds: bytes | bytearray = b"") -> None:
        """Point at (possibly grown) lines; keeps following the end unless the user scrolled up."""
        if lines is not self.lines or len(lines) < self._measured:
            self.widest = self._measured = 0
        self.lines, self.rows, self.kinds = lines, rows, kinds
        if len(lines) > self._measured:  # only new lines are measured: O(new) per call
            self.widest = max(self.widest, max(len(line) for line in lines[self._measured :]))
            self._measured = len(lines)
        self.virtual_size = Size(max(self.size.width, self.widest), self.count)
        if self.follow:
            self._to_end()
            self.call_after_refresh(self._to_end)  # again once a just-shown view has its size
        self.refresh()

    def _to_end(self) -> None:
        self.scroll_to(y=max(0, self.count - self.scrollable_content_region.height), animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y - 1:
            self.follow = True
        elif new_value < old_value:
            self.follow = False

    def sideways(self, cells: int) -> None:
        """Scroll ``cells`` to the right (negative: left); the long lines' ends come into view."""
        self.scroll_to(x=max(0, self.scroll_offset.x + cells), animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(max(self.size.width, self.widest), self.count)
        if self.follow:
            self._to_end()

    def line(self, index: int) -> str:
        return self.lines[self._at(index)]

    def _at(self, index: int) -> int:
        return self.rows[index] if self.rows is not None else index

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        if index >= self.count:
            return Strip.blank(width, self.rich_style)
        at = self._at(index)
        x = int(self.scroll_offset.x)
        text = self.lines[at][x : x + width].ljust(width)
        style = self.rich_style
        kind_style = KIND_STYLES.get(self.kinds[at]) if at < len(self.kinds) else None
        if kind_style is not None:
            style = style + kind_style
        return Strip([Segment(text, style)], width)
