"""The open job's pane: it keeps the focus while its views (chart, events, checkpoints) switch."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, DataTable

from ftui.tui.widgets.tail_view import TailView

SIDEWAYS = 8  # cells one left/right moves the event log


class CheckpointTable(DataTable, can_focus=False):
    """Checkpoints of the open job; moved by the job view's keys (focus stays put)."""


class JobView(Vertical, can_focus=True):
    """The open job. It keeps the focus while views switch (no re-layout of the footer) and
    passes the moving keys to whichever view shows: the event log scrolls, checkpoints move."""

    DEFAULT_CSS = "JobView:focus #job-viewbar { background: $accent 30%; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "move('down')", "Down", show=False, id="jobs.view.down"),
        Binding("k,up", "move('up')", "Up", show=False, id="jobs.view.up"),
        Binding("g,home", "move('home')", "Top", show=False, id="jobs.view.top"),
        Binding("G,end", "move('end')", "End", show=False, id="jobs.view.end"),
        Binding("ctrl+d,pagedown", "move('page_down')", "Page down", show=False, id="jobs.view.page_down"),
        Binding("ctrl+u,pageup", "move('page_up')", "Page up", show=False, id="jobs.view.page_up"),
        Binding("enter", "move('enter')", "Open", show=False, id="jobs.view.enter"),
        Binding("left", "move('left')", "Left", show=False, id="jobs.view.left"),
        Binding("right", "move('right')", "Right", show=False, id="jobs.view.right"),
    ]

    def action_move(self, how: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        if switcher.current == "events":
            tail = self.query_one(TailView)
            {
                "down": tail.action_scroll_down,
                "up": tail.action_scroll_up,
                "home": tail.action_scroll_home,
                "end": tail.action_scroll_end,
                "page_down": tail.action_page_down,
                "page_up": tail.action_page_up,
                "left": lambda: tail.sideways(-SIDEWAYS),
                "right": lambda: tail.sideways(SIDEWAYS),
            }.get(how, lambda: None)()
        elif switcher.current == "checkpoints":
            table = self.query_one(CheckpointTable)
            if how == "enter":
                table.action_select_cursor()
                return
            {
                "down": table.action_cursor_down,
                "up": table.action_cursor_up,
                "home": table.action_scroll_top,
                "end": table.action_scroll_bottom,
                "page_down": table.action_page_down,
                "page_up": table.action_page_up,
                "left": table.action_scroll_left,
                "right": table.action_scroll_right,
            }[how]()
