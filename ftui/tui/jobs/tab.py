"""The Jobs tab: the job list, and the open job's header, live chart, event log and checkpoints.

Workers talk to the provider and post messages; the handlers here own the state
(``jobs``, ``traces``, ``watched``) and redraw at most a few times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
from textual.worker import Worker

from ftui import state
from ftui.api_facts import PAUSABLE_STATUSES, RESUMABLE_STATUSES, TERMINAL_STATUSES
from ftui.data.atomic import write_atomic
from ftui.data.catalog import load_catalog
from ftui.session.trace import JobTrace, clock
from ftui.textsafe import safe
from ftui.tui.jobs.event_log import EventLog
from ftui.tui.jobs.header import render_header, status_text
from ftui.tui.jobs.loss_chart import LossChart
from ftui.tui.jobs.messages import (
    CheckpointsListed,
    JobChanged,
    JobEvents,
    JobReconnecting,
    JobRetrying,
    JobsListed,
    JobsListFailed,
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

PAGE_SIZE = 50
REFRESH_SECONDS = 10.0
LIST_RETRY_MAX = 120.0  # during an outage the list is asked again after 10, 20, 40 … at most this many seconds
WATCH_RETRY_FIRST = 5.0  # watching a job that failed for good is tried again after this, doubling …
WATCH_RETRY_MAX = 60.0  # … up to this: slowly, for as long as the job is open or watched
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


def cannot_write(path: Path) -> str | None:
    """Why ``path`` cannot be written (a missing folder is never created), or None."""
    if path.is_dir():
        return f"{path} is a folder; give a file name."
    parent = path.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist. Create it first, or pick another place."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"ftui may not write in {parent}."
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only."
    return None


def _metric(metrics: Any, name: str) -> str:
    value = getattr(metrics, name, None) if metrics is not None else None
    return f"{value:.4f}" if isinstance(value, int | float) else "—"


def _cell(value: object) -> Text:
    """A table cell from server text: escaped, one line, never read as markup."""
    return Text(safe(value, one_line=True)) if value else Text("—")


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
`ctrl+r` asks for the list now, and a watch that failed tries again now.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer must fit 80 columns in every state (with q, ?, ^o and the palette key):
        # secondary keys are show=False; all of them are in the F1 help.
        Binding("n", "new_job", "New job", id="jobs.new"),
        Binding("l", "view('loss')", "Loss", show=False, id="jobs.view.loss"),
        Binding("a", "view('accuracy')", "Accuracy", show=False, id="jobs.view.accuracy"),
        Binding("e", "view('events')", "Events", show=False, id="jobs.view.events"),
        Binding("c", "view('checkpoints')", "Checkpoints", show=False, id="jobs.view.checkpoints"),
        Binding("slash", "filter", "Filter", show=False, id="jobs.filter"),
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
        self.provider_error: str | None = None
        self._list_worker: Worker[None] | None = None
        self._list_failures = 0
        self._list_retry_at = 0.0  # monotonic; the timer does not ask for the list before this
        self._list_problem = ""
        self._retry_now: dict[str, asyncio.Event] = {}  # ctrl+r wakes a watcher waiting to try again

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
        # At 80 columns the first four show: status, what tells jobs apart, model, time.
        table.add_column("Status", width=14, key="status")
        table.add_column("Job", width=20, key="label")
        table.add_column("Base model", width=22, key="model")
        table.add_column("Created", width=12, key="created")
        table.add_column("Tokens", width=9, key="tokens")
        table.add_column("Fine-tuned model", key="ft")
        table.add_column("Job id", key="id")
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
        self.set_interval(REFRESH_SECONDS, self._refresh_tick)  # not _auto_refresh: Textual uses that name
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
        self.provider_error = None
        self._set_status("Loading jobs…")
        self.refresh_list(by_user=True)
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

    def provider_failed(self, reason: str) -> None:
        """Called by the app when connecting failed: say why, instead of "Connecting…" forever."""
        self.provider_error = reason
        self._set_status(
            Text.assemble(
                ("Not connected to a provider. ", "bold"),
                safe(reason),
                "\nNothing here works until ftui starts with a profile that connects "
                "(see `ftui --help` and the [profiles] of config.toml).",
            )
        )

    def _client(self) -> Any:
        provider = self.ftui.provider
        if provider is None:
            raise RuntimeError("not connected")
        return provider.client

    def _describe(self, exc: BaseException, action: str) -> str:
        from ftui.provider.errors import describe

        provider = self.ftui.provider
        return describe(exc, action, provider.secrets if provider else ())

    def _set_status(self, text: str | Text, *, problem: bool = False) -> None:
        """The line under the list; ``str`` is ftui's own words, server text comes as ``Text``."""
        status = self.query_one("#jobs-status", Static)
        status.update(text)
        status.display = bool(text)
        status.set_class(problem, "problem")

    def refresh_list(self, *, by_user: bool = False) -> None:
        """Ask for the newest page of jobs, one request at a time.

        A request still out is left to finish (never stacked, never restarted). During an
        outage the timer backs off (10 s, 20 s, … 2 min); the user's ctrl+r asks at once."""
        if self.ftui.provider is None:
            return
        if self._list_worker is not None and not self._list_worker.is_finished:
            return
        if not by_user and time.monotonic() < self._list_retry_at:
            return
        self._list_worker = self._load_newest()

    # -- workers: they post messages, never touch widgets ----------------------------------------
    @work(group="jobs-list")
    async def _load_newest(self) -> None:
        """The newest page (one request at a time: see ``refresh_list``)."""
        await self._fetch_page(None)

    @work(group="jobs-older", exclusive=True)
    async def _load_older(self, after: str) -> None:
        """An older page, in a group of its own: a list refresh never cancels it (nor it a refresh)."""
        await self._fetch_page(after)

    async def _fetch_page(self, after: str | None) -> None:
        try:
            page = await self._client().fine_tuning.jobs.list(limit=PAGE_SIZE, **({"after": after} if after else {}))
        except Exception as exc:
            text = self._describe(exc, "Listing jobs")
            self.post_message(JobsListFailed(text) if after is None else JobsProblem(text))
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
        """Stream a job's events until it ends. When the stream fails for good (an error it
        does not retry, a server that misbehaves, or one day its own give-up), wait and start
        again, slowly (5 s, 10 s, … 1 min), saying so in the header: never silent, never spinning.
        A job that does not exist (404) stops the watch."""
        import openai

        from ftui.provider.events import EventStream, StreamState

        buffer: list[Any] = []
        attempt = 0

        def flush() -> None:
            if buffer:
                self.post_message(JobEvents(job_id, buffer.copy()))
                buffer.clear()

        def on_state(st: StreamState) -> None:
            nonlocal attempt
            flush()
            if st.job is not None and not st.reconnecting:
                self.post_message(JobChanged(st.job))
                if attempt:  # watching works again
                    attempt = 0
                    self.post_message(JobRetrying(job_id, "", 0, None))
            self.post_message(JobReconnecting(job_id, st.reconnecting))

        while True:
            stream: EventStream | None = None
            try:
                # TODO(provider branch): pass give_up_after=None here once EventStream has it
                # (the stream then retries transient errors forever; this loop still covers the rest).
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
                return
            except Exception as exc:
                flush()
                reason = self._describe(exc, f"Watching {job_id}")
                if isinstance(exc, openai.NotFoundError) or self.ftui.provider is None:
                    self.post_message(WatchEnded(job_id, None, reason))
                    return
                if job_id != self.current and job_id not in self.watched:
                    self.post_message(WatchEnded(job_id, None))  # nobody looks at it any more: stop quietly
                    return
                if stream is not None:
                    seen = set(stream.seen)
                attempt += 1
                delay = min(WATCH_RETRY_MAX, WATCH_RETRY_FIRST * 2 ** (attempt - 1))
                self.post_message(JobRetrying(job_id, reason, attempt, delay))
                wake = self._retry_now.setdefault(job_id, asyncio.Event())
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), delay)
                self.post_message(JobRetrying(job_id, reason, attempt, 0.0))

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
            self._list_failures, self._list_retry_at, self._list_problem = 0, 0.0, ""
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

    @on(JobsListFailed)
    def _list_failed(self, message: JobsListFailed) -> None:
        """The list could not be fetched: back off, and keep saying so (with a countdown) until it can."""
        self._list_failures += 1
        delay = min(LIST_RETRY_MAX, REFRESH_SECONDS * 2 ** (self._list_failures - 1))
        self._list_retry_at = time.monotonic() + delay
        self._list_problem = safe(message.text)
        self._draw_list_problem()
        self.post_message(JobsProblem(message.text))  # a notice too (once a minute at most)

    def _draw_list_problem(self) -> None:
        if not self._list_problem:
            return
        left = max(0, round(self._list_retry_at - time.monotonic()))
        when = f"Asking again in {left} s" if left else "Asking again now"
        self._set_status(
            Text.assemble(
                ("⚠ ", "bold yellow"),
                self._list_problem,
                f" {when} (attempt {self._list_failures + 1}); ctrl+r asks at once.",
            ),
            problem=True,
        )

    @on(JobRetrying)
    def _retrying(self, message: JobRetrying) -> None:
        trace = self._trace(message.job_id)
        if message.delay is None:
            trace.retry_at, trace.retry_attempt, trace.retry_reason = None, 0, ""
        else:
            trace.retry_at = time.time() + message.delay
            trace.retry_attempt, trace.retry_reason = message.attempt, safe(message.reason, one_line=True)
            if message.attempt == 1 and message.delay:
                self.ftui.notify(safe(message.reason), title="Jobs", severity="warning", timeout=8, markup=False)
        trace.version += 1

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
            if job.status in TERMINAL_STATUSES and job.result_files and job.id == self.current:
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
        if message.status in TERMINAL_STATUSES:
            self._trace(message.job_id).complete = True
        if message.error:
            trace = self._trace(message.job_id)
            trace.reconnecting = "stopped watching"
            trace.retry_at = None
            trace.version += 1
            self.ftui.notify(safe(message.error), title="Jobs", severity="error", timeout=10, markup=False)
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
            detail = f"\n{safe(job.fine_tuned_model, one_line=True)}"
        elif job is not None and job.status == "failed" and job.error and job.error.message:
            detail = f"\n{safe(job.error.message)}"
        severity = "information" if status == "succeeded" else "warning" if status == "cancelled" else "error"
        text = f"Job {safe(job_id, one_line=True)} {safe(status, one_line=True)}.{detail}"
        self.ftui.notify(text, title="Job ended", severity=severity, timeout=15, markup=False)
        if self.ftui.settings.bell:
            self.ftui.bell()

    @on(CheckpointsListed)
    def _checkpoints_listed(self, message: CheckpointsListed) -> None:
        trace = self._trace(message.job_id)
        trace.checkpoints = sorted(message.checkpoints, key=lambda c: c.step_number)
        trace.version += 1
        if message.job_id == self.current:
            self._fill_checkpoints()
            self.refresh_bindings()

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
        severity = "information" if saved else "error"
        self.ftui.notify(safe(message.text), title=message.title, severity=severity, timeout=8, markup=False)
        if not self.loaded and not saved and not self._list_problem:
            self._set_status(Text(safe(message.text)), problem=True)

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
        if self.order and not self._list_problem:
            self._set_status("")
        now = time.time()
        for job_id in self.order:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            table.add_row(  # server text in Text cells: a str cell would be read as markup
                status_text(job.status),
                _cell(job_label(job)),
                _cell(job.model),
                clock(job.created_at, now),
                f"{job.trained_tokens:,}" if job.trained_tokens else "—",
                _cell(job.fine_tuned_model),
                _cell(job.id),
                key=job.id,
            )
        if self.more:
            more = Text("… more", style="dim")
            table.add_row(more, "older jobs load", "when you get here", "", "", "", "", key=MORE_ROW)
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
                _cell(c.fine_tuned_model_checkpoint),
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
        """Elapsed time, ETA and retry countdowns move on even when no event arrives."""
        job = self.jobs.get(self.current or "")
        trace = self.traces.get(self.current or "")
        if (job is not None and job.status not in TERMINAL_STATUSES) or (trace is not None and trace.retry_at):
            self._detail_dirty = True
        if self._list_problem and not (self._list_worker and not self._list_worker.is_finished):
            self._draw_list_problem()

    def _refresh_tick(self) -> None:
        self.refresh_list()

    # -- opening a job -----------------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#job-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key else None
        if key == MORE_ROW and self.more and self.order:
            self._load_older(self.order[-1])
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
        if job is not None and job.status not in TERMINAL_STATUSES and job_id not in self.watched:
            self.watched.add(job_id)
            self._save_watched()
        self._follow_job(job_id)
        if job is not None and job.status in TERMINAL_STATUSES and self.ftui.provider is not None:
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
                return job.status not in TERMINAL_STATUSES
            if what == "pause":
                return job.status in PAUSABLE_STATUSES
            return job.status in RESUMABLE_STATUSES
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
        self.refresh_bindings()  # "o Chat" follows the checkpoint under the cursor

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
        """ctrl+r (and every visit to the tab): the list now, and a waiting watcher tries again now."""
        self.refresh_list(by_user=True)
        if self.current:
            self._follow_job(self.current)
            if (wake := self._retry_now.get(self.current)) is not None:
                wake.set()

    def action_toggle_watch(self) -> None:
        job_id = self.current
        if job_id is None:
            return
        shown = safe(job_id, one_line=True)
        if job_id in self.watched:
            self.watched.discard(job_id)
            self.ftui.notify(f"Not watching {shown} any more.", timeout=4, markup=False)
        else:
            self.watched.add(job_id)
            self._follow_job(job_id)
            self.ftui.notify(f"Watching {shown}: you will hear when it ends.", timeout=4, markup=False)
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
        model = f" ({safe(job.model, one_line=True)})" if job is not None else ""

        def answered(ok: bool | None) -> None:
            if ok:
                self._control(job_id, action)

        shown = f"{safe(job_id, one_line=True)}{model}\n{body}"
        self.app.push_screen(ConfirmScreen(title, shown, yes, danger=action == "cancel"), answered)

    def action_save_results(self) -> None:
        job = self.jobs.get(self.current or "")
        if job is None or not job.result_files:
            return
        default = str(Path.cwd() / f"{job.id}-results.csv")

        def chosen(value: str | None) -> None:
            if not value:
                return
            target = Path(value).expanduser()
            problem = cannot_write(target)
            if problem:  # said before anything is downloaded; no folder is made on the way
                self.post_message(JobsProblem(f"Cannot save the results CSV: {problem}"))
                return
            self._load_results(job.id, job.result_files[0], target)

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

        if self.provider_error is not None:
            self.post_message(JobsProblem(f"Not connected, so no job can start: {self.provider_error}"))
            return
        data = self.ftui.data_tab
        path = data.dataset.path if data.dataset is not None else None
        report = data.dataset.report if data.dataset is not None else None
        method = "dpo" if report is not None and report.format == "dpo" else "supervised"
        provider = self.ftui.provider
        azure = provider is not None and provider.profile.provider == "azure"

        def submitted(request: Any) -> None:
            if request is not None:
                self.ftui.start_job(request)

        self.app.push_screen(NewJobScreen(path, data.model, method=method, azure=azure), submitted)

    def job_created(self, job: Any) -> None:
        """A job started from the form: list it, open it, watch it."""
        self.watched.add(job.id)
        self._save_watched()
        self.post_message(JobChanged(job, created=True))
