"""A Line-API list: renders only the rows on screen, however many there are."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ftui.textsafe import safe


class VirtualList(ScrollView, can_focus=True):
    """Rows come from ``row_text(index)``; one widget for 100k rows."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"virtual-list--cursor"}
    # The cursor row is drawn on top of the row's own colours (see render_line): a bright bar
    # where the keys go, a dimmer one when another pane has the focus.
    DEFAULT_CSS = """
    VirtualList { background: $surface; overflow-x: hidden; }
    VirtualList > .virtual-list--cursor { background: $primary 35%; }
    VirtualList:focus > .virtual-list--cursor { background: $primary; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("ctrl+d,pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("ctrl+u,pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("enter", "select", "Open", show=False, id="list.select"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to ``index``."""

        def __init__(self, sender: VirtualList, index: int) -> None:
            super().__init__()
            self.list = sender
            self.index = index

        @property
        def control(self) -> VirtualList:
            return self.list

    class Selected(Highlighted):
        """Enter was pressed on ``index``."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._count = 0
        self.empty = ""  # said on the first row while the list has no rows (never a blank pane)

    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int, keep: int | None = None) -> None:
        """Change the number of rows; the cursor moves to ``keep`` (or stays in range)."""
        self._count = count
        self.virtual_size = Size(self.size.width, count)
        target = self.cursor if keep is None else keep
        self.cursor = max(0, min(target, count - 1)) if count else 0
        self.refresh()

    def set_empty(self, text: str) -> None:
        """What the list says while it has no rows."""
        if text != self.empty:
            self.empty = text
            self.refresh()

    def row_text(self, index: int, width: int) -> Text:  # pragma: no cover - overridden
        return Text(str(index))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= self._count:
            if y == 0 and not self._count and self.empty:
                text = Text(" " + safe(self.empty, one_line=True), style="italic", no_wrap=True, overflow="ellipsis")
                text.truncate(width, overflow="ellipsis", pad=True)
                return Strip(list(text.render(self.app.console)), width).simplify()
            return Strip.blank(width, self.rich_style)
        text = self.row_text(index, width)
        text.truncate(width, overflow="ellipsis", pad=True)
        base = self.rich_style
        segments = [Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console)]
        if index == self.cursor:
            # On top of each piece's own style (a background under the text would hide it).
            segments = list(Segment.apply_style(segments, post_style=self.cursor_style))
        return Strip(segments, width).crop(scroll_x, scroll_x + width).simplify()

    @property
    def cursor_style(self) -> Style:
        """What the cursor row adds over its pieces: the cursor background (and bold when focused)."""
        style = self.get_component_rich_style("virtual-list--cursor")
        return Style(bgcolor=style.bgcolor, bold=style.bold)

    def watch_cursor(self, old: int, new: int) -> None:
        if self._count:
            self._scroll_to_cursor()
            # The row count may have just changed: scroll again once the new size is laid out.
            self.call_after_refresh(self._scroll_to_cursor)
            self.post_message(self.Highlighted(self, new))
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        if self._count:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)

    def _move(self, delta: int) -> None:
        if self._count:
            self.cursor = max(0, min(self._count - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_first(self) -> None:
        self._move(-self._count)

    def action_last(self) -> None:
        self._move(self._count)

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height // 2))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height // 2))

    def action_select(self) -> None:
        if self._count:
            self.post_message(self.Selected(self, self.cursor))

    @staticmethod
    def styled(*parts: tuple[str, str | Style]) -> Text:
        """Build a row from (text, style) pieces; text is made terminal-safe and kept on one line."""
        text = Text(no_wrap=True, overflow="ellipsis")
        for content, style in parts:
            text.append(safe(content, one_line=True), style)
        return text
