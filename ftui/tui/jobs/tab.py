"""The Jobs tab: the job list, and the open job's header, live chart, event log and checkpoints.

Workers talk to the provider and post messages; the handlers here own the state
(``jobs``, ``traces``, ``watched``) and redraw at most a few times a second.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Static

from ftui import state
from ftui.data.atomic import write_atomic
from ftui.data.catalog import load_catalog
from ftui.session.trace import JobTrace, clock
from ftui.tui.jobs.event_log import EventLog
from ftui.tui.jobs.header import render_header, status_text
from ftui.tui.jobs.loss_chart import LossChart
from ftui.tui.jobs.messages import (
    CheckpointsListed,
    JobChanged,
    JobEvents,
    JobReconnecting,
    JobsListed,
    JobsProblem,
    OpenInChat,
    ResultsFetched,
    WatchEnded,
)
from ftui.tui.layout import set_width_classes
from ftui.tui.widgets.dialogs import AskScreen, ConfirmScreen
from ftui.tui.widgets.tail_view import TailView

if TYPE_CHECKING:
    from ftui.tui.app import FtuiApp

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
PAGE_SIZE = 50
REFRESH_SECONDS = 10.0
REDRAW_SECONDS = 0.25
CHART_SECONDS = 1.0  # while points stream in, the chart (the costly part) redraws at most this often
PROBLEM_QUIET_SECONDS = 60.0
MORE_ROW = "__more__"
VIEW_LABELS = (("loss", "l Loss"), ("accuracy", "a Accuracy"), ("events", "e Events"), ("checkpoints", "c Checkpoints"))
VIEWS = {"loss": "chart", "accuracy": "chart", "events": "events", "checkpoints": "checkpoints"}


class JobTable(DataTable):
    """The job list: one row per job, newest first; j/k move."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="jobs.list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.list.up"),
        Binding("g", "scroll_top", "Top", show=False, id="jobs.list.top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="jobs.list.bottom"),
    ]


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
            }[how]()


def _metric(metrics: Any, name: str) -> str:
    value = getattr(metrics, name, None) if metrics is not None else None
    return f"{value:.4f}" if isinstance(value, int | float) else "—"


class JobsTab(Widget, can_focus=False):
    """Every job of the provider; open one to watch it live."""

    HELP = """
## Jobs
The list shows every job of the provider, newest first; it refreshes by itself.
`Enter` opens a job and watches it live: its header, the loss chart (`l`), token accuracy (`a`),
the event log (`e`, filter with `/`) and checkpoints (`c`; `Enter` or `o` opens one in Chat).

`n` starts a new job from the open dataset (checked and priced before anything is spent).
`x` cancels, `p` pauses, `r` resumes (each asks first). `s` saves the results CSV.
`w` stops or starts watching: watched jobs notify you when they end, even after a restart.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_job", "New job", id="jobs.new"),
        Binding("l", "view('loss')", "Loss", show=False, id="jobs.view.loss"),
        Binding("a", "view('accuracy')", "Accuracy", show=False, id="jobs.view.accuracy"),
        Binding("e", "view('events')", "Events", show=False, id="jobs.view.events"),
        Binding("c", "view('checkpoints')", "Checkpoints", show=False, id="jobs.view.checkpoints"),
        Binding("slash", "filter", "Filter", id="jobs.filter"),
        Binding("x", "control('cancel')", "Cancel job", id="jobs.cancel"),
        Binding("p", "control('pause')", "Pause", id="jobs.pause"),
        Binding("r", "control('resume')", "Resume", id="jobs.resume"),
        Binding("s", "save_results", "Save CSV", id="jobs.save"),
        Binding("o", "open_in_chat", "Chat", id="jobs.chat"),
        Binding("w", "toggle_watch", "Watch", show=False, id="jobs.watch"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="jobs.refresh"),
        Binding("escape", "back", "Back", show=False, id="jobs.back"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalog = load_catalog()
        self.jobs: dict[str, Any] = {}
        self.order: list[str] = []
        self.more = False
        self.traces: dict[str, JobTrace] = {}
        self.watched: set[str] = set()
        self.following: set[str] = set()
        self.current: str | None = None
        self.view = "loss"
        self.loaded = False
        self._drawn_version: tuple[str | None, int] = (None, -1)
        self._chart_drawn_at = 0.0
        self._chart_key: tuple[str | None, str] = (None, "")
        self._list_dirty = False
        self._detail_dirty = False
        self._ended_notified: set[str] = set()
        self._last_problem: tuple[str, float] = ("", 0.0)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="jobs-split"):
            yield JobTable(id="job-table", cursor_type="row", zebra_stripes=True)
            with JobView(id="job-view"):
                yield Static("", id="job-header")
                yield Static("", id="job-viewbar")
                with ContentSwitcher(initial="chart", id="job-switcher"):
                    yield LossChart(id="chart")
                    yield EventLog(id="events")
                    yield CheckpointTable(id="checkpoints", cursor_type="row")
        yield Static("Connecting to the provider…", id="jobs-status")

    @property
    def ftui(self) -> FtuiApp:
        return self.app  # type: ignore[return-value]

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("Status", width=18, key="status")
        table.add_column("Base model", width=22, key="model")
        table.add_column("Created", width=12, key="created")
        table.add_column("Tokens", width=9, key="tokens")
        table.add_column("Fine-tuned model", key="ft")
        table.add_column("Job", key="id")
        ck = self.query_one(CheckpointTable)
        for label in (
            "Checkpoint",
            "Train loss",
            "Valid loss",
            "Full valid acc",
            "Model (Enter or o: Chat)",
        ):
            ck.add_column(label)
        self.set_list_mode(True)
        self.set_interval(REDRAW_SECONDS, self._redraw)
        self.set_interval(REFRESH_SECONDS, self._auto_refresh)
        self.set_interval(1.0, self._tick)
        self._draw_viewbar()

    def set_list_mode(self, on: bool) -> None:
        """At 80 columns the list and the open job take turns; wide screens show both."""
        self.set_class(on, "list-mode")
        self.set_class(not on, "view-mode")

    def on_resize(self, event: Resize) -> None:
        set_width_classes(self, event.size.width)

    # -- provider -----------------------------------------------------------------------------
    def provider_ready(self) -> None:
        """Called by the app once the provider is connected: list jobs, resume watched ones."""
        self._set_status("Loading jobs…")
        self._load_page(None)
        with contextlib.suppress(OSError):
            for job_id in state.watched_jobs():
                self.watched.add(job_id)
                self._follow_job(job_id)
            last = state.last_job()
            if last:
                self.current = last
                self._trace(last)
                self._follow_job(last)
                self._detail_dirty = True

    def _client(self) -> Any:
        provider = self.ftui.provider
        if provider is None:
            raise RuntimeError("not connected")
        return provider.client

    def _describe(self, exc: BaseException, action: str) -> str:
        from ftui.provider.errors import describe

        provider = self.ftui.provider
        return describe(exc, action, provider.secrets if provider else ())

    def _set_status(self, text: str) -> None:
        status = self.query_one("#jobs-status", Static)
        status.update(text)
        status.display = bool(text)

    # -- workers: they post messages, never touch widgets ----------------------------------------
    @work(group="jobs-list", exclusive=True)
    async def _load_page(self, after: str | None) -> None:
        try:
            page = await self._client().fine_tuning.jobs.list(limit=PAGE_SIZE, **({"after": after} if after else {}))
        except Exception as exc:
            self.post_message(JobsProblem(self._describe(exc, "Listing jobs")))
            return
        self.post_message(JobsListed(list(page.data), bool(page.has_more), first=after is None))

    def _follow_job(self, job_id: str) -> None:
        trace = self._trace(job_id)
        if job_id in self.following or trace.complete or self.ftui.provider is None:
            return
        self.following.add(job_id)
        self._follow(job_id, set(trace.event_ids))

    @work(group="follow")
    async def _follow(self, job_id: str, seen: set[str]) -> None:
        from ftui.provider.events import EventStream, StreamState

        buffer: list[Any] = []

        def flush() -> None:
            if buffer:
                self.post_message(JobEvents(job_id, buffer.copy()))
                buffer.clear()

        def on_state(st: StreamState) -> None:
            flush()
            if st.job is not None and not st.reconnecting:
                self.post_message(JobChanged(st.job))
            self.post_message(JobReconnecting(job_id, st.reconnecting))

        try:
            stream = EventStream(self._client(), job_id, seen=seen, on_state=on_state, max_interval=5.0)
            async for event in stream:
                buffer.append(event)
                if len(buffer) >= 500:
                    flush()
            flush()
            job = stream.state.job
            if job is not None:
                self.post_message(JobChanged(job))
            self.post_message(WatchEnded(job_id, job.status if job else None))
        except Exception as exc:
            flush()
            self.post_message(WatchEnded(job_id, None, self._describe(exc, f"Watching {job_id}")))

    @work(group="jobs-extra")
    async def _load_checkpoints(self, job_id: str) -> None:
        try:
            page = await self._client().fine_tuning.jobs.checkpoints.list(job_id, limit=100)
        except Exception as exc:
            self.post_message(JobsProblem(self._describe(exc, "Listing checkpoints")))
            return
        self.post_message(CheckpointsListed(job_id, list(page.data)))

    @work(group="jobs-extra")
    async def _load_results(self, job_id: str, file_id: str, save_to: Path | None = None) -> None:
        from ftui.provider.jobs import fetch_results_csv

        try:
            text = await fetch_results_csv(self._client(), file_id)
        except Exception as exc:
            self.post_message(JobsProblem(self._describe(exc, "Fetching the results CSV")))
            return
        if save_to is not None:
            try:
                write_atomic(save_to, text.encode())
            except OSError as exc:
                self.post_message(JobsProblem(f"Could not write {save_to}: {exc.strerror or exc}."))
                return
            self.post_message(JobsProblem(f"Saved the results of {job_id} to {save_to}.", title="Saved"))
        self.post_message(ResultsFetched(job_id, text))

    @work(group="jobs-control")
    async def _control(self, job_id: str, action: str) -> None:
        jobs = self._client().fine_tuning.jobs
        call = {"cancel": jobs.cancel, "pause": jobs.pause, "resume": jobs.resume}[action]
        try:
            job = await call(job_id)
        except Exception as exc:
            self.post_message(JobsProblem(self._describe(exc, f"{action.title()} {job_id}")))
            return
        self.post_message(JobChanged(job))

    # -- handlers: own the state -------------------------------------------------------------------
    def _trace(self, job_id: str) -> JobTrace:
        trace = self.traces.get(job_id)
        if trace is None:
            trace = self.traces[job_id] = JobTrace(job_id, job=self.jobs.get(job_id))
        return trace

    @on(JobsListed)
    def _jobs_listed(self, message: JobsListed) -> None:
        self.loaded = True
        if message.first:
            fresh = [j.id for j in message.jobs]
            listed = set(fresh)
            older = [i for i in self.order if i not in listed]
            # Keep older pages we already loaded, behind the fresh first page.
            self.order = fresh + (older if len(fresh) >= PAGE_SIZE or self.more else [])
            if not self.more:
                self.more = message.more
        else:
            self.order += [j.id for j in message.jobs if j.id not in self.jobs]
            self.more = message.more
        for job in message.jobs:
            self._set_job(job)
        self._set_status("" if self.order else "No jobs yet. Press n to start one from the open dataset.")
        self._fill_table()

    def _set_job(self, job: Any) -> None:
        self.jobs[job.id] = job
        if job.id not in self.order:
            self.order.insert(0, job.id)
        if job.id in self.traces:
            self.traces[job.id].job = job
            self.traces[job.id].version += 1

    @on(JobChanged)
    def _job_changed(self, message: JobChanged) -> None:
        job = message.job
        before = self.jobs.get(job.id)
        self._set_job(job)
        if message.created:
            self.open_job(job.id)
        if before is None or before.status != job.status or before.fine_tuned_model != job.fine_tuned_model:
            self._fill_table()
            self.refresh_bindings()
            if job.status in TERMINAL and job.result_files and job.id == self.current:
                self._maybe_backfill(job.id)
        if job.id == self.current:
            self._detail_dirty = True

    @on(JobReconnecting)
    def _reconnecting(self, message: JobReconnecting) -> None:
        trace = self._trace(message.job_id)
        if trace.reconnecting != message.reconnecting:
            if trace.reconnecting is None:
                trace.reconnects += 1
            trace.reconnecting = message.reconnecting
            trace.version += 1

    @on(JobEvents)
    def _job_events(self, message: JobEvents) -> None:
        trace = self._trace(message.job_id)
        trace.add_events(message.events)
        if any("Checkpoint" in (e.message or "") for e in message.events) and message.job_id == self.current:
            self._load_checkpoints(message.job_id)

    @on(WatchEnded)
    def _watch_ended(self, message: WatchEnded) -> None:
        self.following.discard(message.job_id)
        if message.status in TERMINAL:
            self._trace(message.job_id).complete = True
        if message.error:
            trace = self._trace(message.job_id)
            trace.reconnecting = "stopped watching"
            trace.version += 1
            self.ftui.notify(message.error, title="Jobs", severity="error", timeout=10)
            return
        if message.job_id in self.watched:
            self.watched.discard(message.job_id)
            self._save_watched()
            self._announce_end(message.job_id)
        if message.job_id == self.current:
            self._load_checkpoints(message.job_id)

    def _announce_end(self, job_id: str) -> None:
        if job_id in self._ended_notified:
            return
        self._ended_notified.add(job_id)
        job = self.jobs.get(job_id)
        status = job.status if job else "ended"
        detail = ""
        if job is not None and job.status == "succeeded" and job.fine_tuned_model:
            detail = f"\n{job.fine_tuned_model}"
        elif job is not None and job.status == "failed" and job.error and job.error.message:
            detail = f"\n{job.error.message}"
        severity = "information" if status == "succeeded" else "warning" if status == "cancelled" else "error"
        self.ftui.notify(f"Job {job_id} {status}.{detail}", title="Job ended", severity=severity, timeout=15)
        if self.ftui.settings.bell:
            self.ftui.bell()

    @on(CheckpointsListed)
    def _checkpoints_listed(self, message: CheckpointsListed) -> None:
        trace = self._trace(message.job_id)
        trace.checkpoints = sorted(message.checkpoints, key=lambda c: c.step_number)
        trace.version += 1
        if message.job_id == self.current:
            self._fill_checkpoints()

    @on(ResultsFetched)
    def _results_fetched(self, message: ResultsFetched) -> None:
        self._trace(message.job_id).fill_from_csv(message.text)

    @on(JobsProblem)
    def _problem(self, message: JobsProblem) -> None:
        saved = message.title == "Saved"
        now = time.monotonic()
        if not saved and self._last_problem[0] == message.text and now - self._last_problem[1] < PROBLEM_QUIET_SECONDS:
            return  # the same failure again (say, the list refresh during an outage): once is enough
        self._last_problem = (message.text, now)
        self.ftui.notify(message.text, title=message.title, severity="information" if saved else "error", timeout=8)
        if not self.loaded and not saved:
            self._set_status(message.text)

    @on(EventLog.FilterChanged)
    def _filter_changed(self) -> None:
        self._detail_dirty = True

    @on(EventLog.FilterDone)
    def _filter_done(self) -> None:
        self._focus_view()

    # -- drawing -----------------------------------------------------------------------------------
    def _fill_table(self) -> None:
        table = self.table
        keep = self.current
        if table.row_count and table.cursor_row < table.row_count:
            with contextlib.suppress(Exception):
                keep = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        table.clear()
        if self.order:
            self._set_status("")
        now = time.time()
        for job_id in self.order:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            table.add_row(
                status_text(job.status),
                job.model,
                clock(job.created_at, now),
                f"{job.trained_tokens:,}" if job.trained_tokens else "—",
                job.fine_tuned_model or "—",
                job.id,
                key=job.id,
            )
        if self.more:
            more = Text("… more", style="dim")
            table.add_row(more, "older jobs load when you get here", "", "", "", "", key=MORE_ROW)
        if keep is not None and keep in self.jobs:
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(keep), animate=False)

    def _fill_checkpoints(self) -> None:
        ck = self.query_one(CheckpointTable)
        ck.clear()
        trace = self.traces.get(self.current or "")
        if trace is None:
            return
        for c in trace.checkpoints:
            m = c.metrics
            ck.add_row(
                f"ckpt-step-{c.step_number}",
                _metric(m, "train_loss"),
                _metric(m, "valid_loss"),
                _metric(m, "full_valid_mean_token_accuracy"),
                c.fine_tuned_model_checkpoint,
                key=c.fine_tuned_model_checkpoint,
            )

    def _draw_viewbar(self) -> None:
        parts = []
        for key, label in VIEW_LABELS:
            parts.append(f"[reverse b] {label} [/]" if key == self.view else f" {label} ")
        trace = self.traces.get(self.current or "")
        if trace is not None and self.view == "checkpoints":
            parts.append(f"  {len(trace.checkpoints)} kept")
        elif trace is not None and self.view == "events":
            parts.append(f"  {len(trace.lines):,} events")
        self.query_one("#job-viewbar", Static).update(" ".join(parts), layout=False)

    def _redraw(self) -> None:
        """Redraw the open job when its trace changed (a few times a second at most)."""
        trace = self.traces.get(self.current or "")
        key = (self.current, trace.version if trace else -1)
        if key == self._drawn_version and not self._detail_dirty:
            return
        self._drawn_version = key
        self._detail_dirty = False
        self.query_one("#job-header", Static).update(
            render_header(trace, self.catalog) if trace else Text("Select a job and press Enter.", style="dim")
        )
        self._draw_viewbar()
        if self.view in ("loss", "accuracy"):
            now = time.monotonic()
            moved = self._chart_key != (self.current, self.view)
            if moved or now - self._chart_drawn_at >= CHART_SECONDS:
                self._chart_key, self._chart_drawn_at = (self.current, self.view), now
                loading = trace is not None and not trace.lines and self.current in self.following
                self.query_one(LossChart).show(trace, self.view, loading=loading)
            else:
                self._detail_dirty = True  # draw the rest now, the chart on a later tick
        elif self.view == "events":
            self.query_one(EventLog).sync(trace)

    def _tick(self) -> None:
        """Elapsed time and ETA move on even when no event arrives."""
        job = self.jobs.get(self.current or "")
        if job is not None and job.status not in TERMINAL:
            self._detail_dirty = True

    def _auto_refresh(self) -> None:
        if self.ftui.provider is not None:
            self._load_page(None)

    # -- opening a job -----------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#job-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key else None
        if key == MORE_ROW and self.more and self.order:
            self._load_page(self.order[-1])
        elif key and self.has_class("wide") and key != self.current:
            self.open_job(str(key), focus=False)

    @on(DataTable.RowSelected, "#job-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value if event.row_key else None
        if key and key != MORE_ROW:
            self.open_job(str(key))

    def open_job(self, job_id: str, *, focus: bool = True) -> None:
        """Show a job and follow its events; a job still running is watched."""
        self.current = job_id
        trace = self._trace(job_id)
        job = self.jobs.get(job_id)
        if job is not None and job.status not in TERMINAL and job_id not in self.watched:
            self.watched.add(job_id)
            self._save_watched()
        self._follow_job(job_id)
        if job is not None and job.status in TERMINAL and self.ftui.provider is not None:
            self._load_checkpoints(job_id)
            if job.result_files and not trace.from_csv:
                self._maybe_backfill(job_id)
        with contextlib.suppress(OSError):
            state.remember_job(job_id)
        self.set_list_mode(False)
        self._fill_checkpoints()
        self._detail_dirty = True
        self._redraw()
        self.refresh_bindings()
        if focus:
            self._focus_view()

    def _maybe_backfill(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        trace = self._trace(job_id)
        if job is None or not job.result_files or trace.from_csv or self.ftui.provider is None:
            return
        self._load_results(job_id, job.result_files[0])

    def _focus_view(self) -> None:
        self.query_one(JobView).focus()

    def focus_default(self) -> None:
        """Focus the list, or the open job's view when the list is hidden."""
        if self.has_class("list-mode") or self.current is None:
            self.table.focus()
        else:
            self._focus_view()

    def _save_watched(self) -> None:
        with contextlib.suppress(OSError):
            state.save_watched_jobs(sorted(self.watched))

    # -- actions -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.jobs.get(self.current or "")
        open_ = not self.has_class("list-mode") or self.has_class("wide")
        if action in ("view", "filter", "toggle_watch"):
            return job is not None and open_
        if action == "control":
            if job is None or not open_:
                return False
            what = parameters[0]
            if what == "cancel":
                return job.status not in TERMINAL
            if what == "pause":
                return job.status == "running"
            return job.status in ("paused", "pausing")
        if action == "save_results":
            return bool(job is not None and job.result_files and open_)
        if action == "open_in_chat":
            return bool(job is not None and open_ and (job.fine_tuned_model or self._checkpoint_under_cursor()))
        if action == "back":
            return not self.has_class("list-mode")
        return True

    def action_view(self, view: str) -> None:
        self.view = view
        self.query_one("#job-switcher", ContentSwitcher).current = VIEWS[view]
        if view == "checkpoints" and self.current and self.ftui.provider is not None:
            self._load_checkpoints(self.current)
        self._detail_dirty = True
        self._redraw()
        self._focus_view()

    def action_filter(self) -> None:
        if self.view != "events":
            self.action_view("events")
        self.query_one(EventLog).start_filter()

    def action_back(self) -> None:
        if self.view == "events" and self.query_one(EventLog).clear_filter():
            return
        self.set_list_mode(True)
        self.table.focus()
        self.refresh_bindings()

    def action_refresh(self) -> None:
        self._load_page(None)
        if self.current:
            self._follow_job(self.current)

    def action_toggle_watch(self) -> None:
        job_id = self.current
        if job_id is None:
            return
        if job_id in self.watched:
            self.watched.discard(job_id)
            self.ftui.notify(f"Not watching {job_id} any more.", timeout=4)
        else:
            self.watched.add(job_id)
            self._follow_job(job_id)
            self.ftui.notify(f"Watching {job_id}: you will hear when it ends.", timeout=4)
        self._save_watched()

    def action_control(self, action: str) -> None:
        job_id = self.current
        if job_id is None:
            return
        job = self.jobs.get(job_id)
        words = {
            "cancel": ("Cancel this job?", "Cancel job", "It stops for good; a cancelled job cannot be resumed."),
            "pause": ("Pause this job?", "Pause", "Training stops at the next step; resume it later with r."),
            "resume": ("Resume this job?", "Resume", "Training carries on from where it paused."),
        }
        title, yes, body = words[action]
        model = f" ({job.model})" if job is not None else ""

        def answered(ok: bool | None) -> None:
            if ok:
                self._control(job_id, action)

        self.app.push_screen(ConfirmScreen(title, f"{job_id}{model}\n{body}", yes, danger=action == "cancel"), answered)

    def action_save_results(self) -> None:
        job = self.jobs.get(self.current or "")
        if job is None or not job.result_files:
            return
        default = str(Path.cwd() / f"{job.id}-results.csv")

        def chosen(value: str | None) -> None:
            if value:
                self._load_results(job.id, job.result_files[0], Path(value).expanduser())

        self.app.push_screen(AskScreen("Save the results CSV", "Save to (written atomically):", default), chosen)

    def _checkpoint_under_cursor(self) -> str | None:
        if self.view != "checkpoints":
            return None
        ck = self.query_one(CheckpointTable)
        if not ck.row_count:
            return None
        with contextlib.suppress(Exception):
            return str(ck.coordinate_to_cell_key(ck.cursor_coordinate).row_key.value)
        return None

    def action_open_in_chat(self) -> None:
        job = self.jobs.get(self.current or "")
        if job is None:
            return
        model = self._checkpoint_under_cursor() or job.fine_tuned_model
        if model:
            self.post_message(OpenInChat(model, base=job.model))

    @on(DataTable.RowSelected, "#checkpoints")
    def _checkpoint_selected(self, event: DataTable.RowSelected) -> None:
        job = self.jobs.get(self.current or "")
        if event.row_key and event.row_key.value:
            self.post_message(OpenInChat(str(event.row_key.value), base=job.model if job else None))

    def action_new_job(self) -> None:
        from ftui.tui.jobs.new_job import NewJobScreen

        data = self.ftui.data_tab
        path = data.dataset.path if data.dataset is not None else None
        report = data.dataset.report if data.dataset is not None else None
        method = "dpo" if report is not None and report.format == "dpo" else "supervised"

        def submitted(request: Any) -> None:
            if request is not None:
                self.ftui.start_job(request)

        self.app.push_screen(NewJobScreen(path, data.model, method=method), submitted)

    def job_created(self, job: Any) -> None:
        """A job started from the form: list it, open it, watch it."""
        self.watched.add(job.id)
        self._save_watched()
        self.post_message(JobChanged(job, created=True))
