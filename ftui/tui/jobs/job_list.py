"""The job list: a Line-API view over the session's jobs, drawing only the rows on screen.

200 jobs or 20,000 cost the same to draw: a status change repaints the visible rows, never
rebuilds a table (the DataTable it replaces rebuilt every row on every change).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widget import Widget

from ftui.session.jobs import JobsModel
from ftui.session.trace import clock
from ftui.textsafe import safe
from ftui.tui.jobs.header import STATUS_MARKS, STATUS_STYLES
from ftui.tui.widgets.virtual_list import VirtualList

# (title, width) of each column; the last one takes what is left. At 80 columns the first
# four show: status, what tells jobs apart, base model, created.
COLUMNS = (("Status", 13), ("Job", 20), ("Base model", 22), ("Created", 12), ("Tokens", 9), ("Fine-tuned model", 0))
MORE_TEXT = "… more: older jobs load when you get here"


def job_suffix(job: Any) -> str | None:
    """The suffix the job was started with: the server's field, or the fine-tuned model's name."""
    for name in ("user_provided_suffix", "suffix"):
        value = getattr(job, name, None)
        if isinstance(value, str) and value:
            return value
    parts = (job.fine_tuned_model or "").split(":")
    return parts[3] if len(parts) >= 5 and parts[0] == "ft" and parts[3] else None


def job_label(job: Any) -> str:
    """What tells two jobs apart in a narrow list: the id's tail, then the suffix when there is one."""
    tail = "…" + job.id[-8:] if len(job.id) > 9 else job.id
    suffix = job_suffix(job)
    return f"{tail} {suffix}" if suffix else tail


def _fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells (an ellipsis when cut), then a space."""
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text.ljust(width) + " "


def header_text(width: int) -> Text:
    """The column titles, cut where the rows are cut."""
    text = Text(no_wrap=True, overflow="ellipsis", style="bold")
    for title, size in COLUMNS:
        text.append(_fit(title, size) if size else title)
    text.truncate(width, overflow="ellipsis")
    return text


class JobListHead(Widget):
    """The column titles above the list, cut to its width."""

    def render(self) -> Text:
        return header_text(self.size.width)


class JobList(VirtualList):
    """One row per job of ``model`` (newest first), and a last row that loads older pages."""

    HELP = """
## Job list
Every job of the provider, newest first; it refreshes by itself.

- `j`/`k` or arrows move, `g`/`G` first/last; reaching the end loads older jobs
- `Enter` opens the job and watches it live
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="jobs.list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="jobs.list.up"),
        Binding("g,home", "first", "Top", show=False, id="jobs.list.top"),
        Binding("G,end", "last", "Bottom", show=False, id="jobs.list.bottom"),
    ]

    def __init__(self, model: JobsModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self._ids: list[str] = []

    @property
    def row_count(self) -> int:
        return self.count

    def job_id_at(self, index: int) -> str | None:
        """The job on row ``index``; None for the row that loads more (or past the end)."""
        return self._ids[index] if 0 <= index < len(self._ids) else None

    @property
    def selected(self) -> str | None:
        """The job under the cursor."""
        return self.job_id_at(self.cursor) if self.count else None

    @property
    def on_more_row(self) -> bool:
        return self.model.more and self.count > 0 and self.cursor == self.count - 1

    def sync(self, keep: str | None = None) -> None:
        """The model's list changed (new jobs, a new page): take its order, cursor on ``keep``
        (else on the job it was on). Costs O(jobs) once; drawing stays O(rows on screen)."""
        keep = keep or self.selected
        self._ids = [i for i in self.model.order if i in self.model.jobs]
        rows = len(self._ids) + (1 if self.model.more else 0)
        index = self._ids.index(keep) if keep in self._ids else None
        self.set_count(rows, keep=index)

    def show(self, job_id: str) -> None:
        """Put the cursor on ``job_id`` (the job just opened), so the list and the view agree."""
        if self.selected != job_id and job_id in self._ids:
            self.cursor = self._ids.index(job_id)

    def row_text(self, index: int, width: int) -> Text:
        job_id = self.job_id_at(index)
        if job_id is None:
            return Text(MORE_TEXT, style="dim")
        job = self.model.jobs[job_id]
        status = job.status or "unknown"
        mark = STATUS_MARKS.get(status, "●")
        (_, w_status), (_, w_label), (_, w_model), (_, w_created), (_, w_tokens), _ = COLUMNS
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(_fit(f"{mark} {safe(status, one_line=True)}", w_status), STATUS_STYLES.get(status, "italic"))
        text.append(_fit(safe(job_label(job), one_line=True), w_label), "bold")
        text.append(_fit(safe(job.model or "—", one_line=True), w_model))
        text.append(_fit(clock(job.created_at, time.time()), w_created), "dim")
        tokens = getattr(job, "trained_tokens", None)
        text.append(_fit(f"{tokens:,}" if tokens else "—", w_tokens), "cyan")
        text.append(safe(job.fine_tuned_model or "—", one_line=True), "green")
        return text


class JobListDetail(Widget):
    """The selected job in full under the list: what the narrow columns cut (the whole id, the
    suffix, the tokens and the fine-tuned model), wrapped to the width."""

    DEFAULT_CSS = "JobListDetail { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }"

    def __init__(self, model: JobsModel, job_list: JobList, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model, self.job_list = model, job_list

    def render(self) -> Text:
        job = self.model.jobs.get(self.job_list.selected or "")
        if job is None:
            return Text("")
        tokens = getattr(job, "trained_tokens", None)
        parts = [
            safe(job.id, one_line=True),
            safe(job.status or "unknown", one_line=True),
            safe(job.model or "—", one_line=True),
        ]
        if suffix := job_suffix(job):
            parts.append(f"suffix {safe(suffix, one_line=True)}")
        if tokens:
            parts.append(f"{tokens:,} tokens")
        text = Text(" · ".join(parts))
        if job.fine_tuned_model:
            text.append(" → ")
            text.append(safe(job.fine_tuned_model, one_line=True), "green")
        return text
