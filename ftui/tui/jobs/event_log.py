"""The job's event log: one Line-API view over the trace's lines, tailing live, with a text filter."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input

from ftui.session.trace import JobTrace
from ftui.tui.widgets.tail_view import TailView


class EventLog(Vertical):
    """Shows a trace's log lines; ``sync`` appends only what is new since the last call."""

    DEFAULT_CSS = """
    EventLog { height: 1fr; }
    EventLog #log-filter { display: none; }
    EventLog.filtering #log-filter { display: block; }
    EventLog TailView { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.filter_text = ""
        self._job_id: str | None = None
        self._rows: list[int] | None = None  # matching line indices when filtering
        self._scanned = 0  # lines already tested against the filter

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter events (Enter applies, Esc clears)", id="log-filter", compact=True)
        yield TailView(id="log")

    @property
    def log_widget(self) -> TailView:
        return self.query_one(TailView)

    def sync(self, trace: JobTrace | None) -> None:
        """Show the trace's lines; only lines new since the last call are looked at."""
        lines = trace.lines if trace is not None else []
        kinds = trace.kinds if trace is not None else b""
        job_id = trace.job_id if trace is not None else None
        if job_id != self._job_id or len(lines) < self._scanned:
            self._job_id, self._scanned = job_id, 0
            self._rows = [] if self.filter_text else None
        if self.filter_text:
            assert self._rows is not None
            needle = self.filter_text
            self._rows.extend(i for i in range(self._scanned, len(lines)) if needle in lines[i].lower())
        self._scanned = len(lines)
        self.log_widget.show(lines, self._rows, kinds)

    def start_filter(self) -> None:
        self.add_class("filtering")
        self.query_one("#log-filter", Input).focus()

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip().lower()
        self._job_id = None  # redraw from the start on the next sync
        self.post_message(EventLog.FilterChanged())

    @on(Input.Submitted, "#log-filter")
    def _filter_done(self) -> None:
        self.post_message(EventLog.FilterDone())

    def clear_filter(self) -> bool:
        """Drop the filter; False when there was none to drop."""
        field = self.query_one("#log-filter", Input)
        if not self.has_class("filtering") and not field.value:
            return False
        self.remove_class("filtering")
        field.value = ""
        self.filter_text = ""
        self._job_id = None
        self.post_message(EventLog.FilterChanged())
        self.post_message(EventLog.FilterDone())
        return True

    class FilterChanged(Message):
        """The filter changed: the owner should call ``sync`` again."""

    class FilterDone(Message):
        """Typing the filter is over: the owner takes the focus back."""
