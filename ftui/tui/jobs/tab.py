"""The Jobs tab: the job list, and the open job's header, live chart, event log and checkpoints.

What is known about jobs lives in the session's ``JobsModel`` (plain Python, unit-tested);
this tab is its view and controller: workers talk to the provider and post messages, the
handlers here update the model and redraw (the open job at most a few times a second).
"""

from __future__ import annotations

import asyncio
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
from textual.worker import Worker

from ftui import state
from ftui.api_facts import PAUSABLE_STATUSES, RESUMABLE_STATUSES, TERMINAL_STATUSES
from ftui.data.atomic import write_atomic
from ftui.data.catalog import load_catalog
from ftui.session import Session
from ftui.session.jobs import PAGE_SIZE
from ftui.textsafe import safe
from ftui.tui.app_messages import DeploymentsChanged, Notice, RefreshDeployments
from ftui.tui.jobs.deploy import DeployEnded, DeployPlan, DeployState
from ftui.tui.jobs.event_log import EventLog
from ftui.tui.jobs.follow import follow_job
from ftui.tui.jobs.header import render_header
from ftui.tui.jobs.job_list import JobList, JobListDetail, JobListHead
from ftui.tui.jobs.job_view import CheckpointTable, JobView
from ftui.tui.jobs.loss_chart import LossChart
from ftui.tui.jobs.messages import (
    CheckpointsListed,
    JobChanged,
    JobEvents,
    JobReconnecting,
    JobRetrying,
    JobsListed,
    JobsListFailed,
    OpenInChat,
    ResultsFetched,
    StartJob,
    WatchEnded,
)
from ftui.tui.layout import fit, set_width_classes
from ftui.tui.save_path import ask_save_path
from ftui.tui.widgets.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ftui.session.jobs import JobsModel
    from ftui.session.trace import JobTrace

REFRESH_SECONDS = 10.0
BILLING_EVERY_TICKS = 3  # the open job's deployment state is read again every 30 s while shown
LIST_RETRY_MAX = 120.0  # during an outage the list is asked again after 10, 20, 40 … at most this many seconds
REDRAW_SECONDS = 0.25
CHART_SECONDS = 1.0  # while points stream in, the chart (the costly part) redraws at most this often
PROBLEM_QUIET_SECONDS = 60.0
VIEW_LABELS = (("loss", "l Loss"), ("accuracy", "a Accuracy"), ("events", "e Events"), ("checkpoints", "c Checkpoints"))
VIEWS = {"loss": "chart", "accuracy": "chart", "events": "events", "checkpoints": "checkpoints"}

__all__ = ["PAGE_SIZE", "JobsTab"]


def _metric(metrics: Any, name: str) -> str:
    value = getattr(metrics, name, None) if metrics is not None else None
    return f"{value:.4f}" if isinstance(value, int | float) else "—"


CHECKPOINT_COLUMNS = ("Checkpoint", "Train loss", "Valid loss", "Full valid acc", "Model")


def _cell(value: object) -> Text:
    """A table cell from server text: escaped, one line, never read as markup."""
    return Text(safe(value, one_line=True)) if value else Text("—")


class JobsTab(Widget, can_focus=False):
    """Every job of the provider; open one to watch it live."""

    HELP = """
## Jobs
The list shows every job of the provider, newest first; it refreshes by itself.
`Enter` opens a job and watches it live: its header, the loss chart (`l`), token accuracy (`a`),
the event log (`e`, filter with `/`) and checkpoints (`c`; `Enter` or `o` opens one in Chat).
Lines wider than the screen scroll sideways with `←`/`→`; the line under the list shows the
selected job in full (its id, suffix and fine-tuned model).

`n` starts a new job from the open dataset (checked and priced before anything is spent).
`x` cancels, `p` pauses, `r` resumes (each asks first). `s` saves the results CSV.
`w` stops or starts watching: watched jobs notify you when they end, even after a restart.
`ctrl+r` asks for the list now, and a watch that failed tries again now.
`y` copies the selected job's id (in the checkpoints view: the checkpoint's model name).
`v` draws another job's curves over this one's (pick it; "No overlay" takes them away).
`R` runs the job again on a profile you pick (same data, settings and seed; the model as that
provider names it): it shows the cost there and asks first.
`D` (Azure) deploys the job's fine-tuned model, or the checkpoint under the cursor: it asks the
name, SKU and capacity, says that a deployment bills by the hour, asks once more, and shows the
provisioning state in the header until it serves; then the Chat tab talks to it.
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
        Binding("y", "copy_id", "Copy id", show=False, id="jobs.copy"),
        Binding("D", "deploy", "Deploy", id="jobs.deploy"),
        Binding("v", "overlay", "Compare", show=False, id="jobs.overlay"),
        Binding("R", "run_again", "Run again", show=False, id="jobs.rerun"),
        Binding("escape", "back", "Back", show=False, id="jobs.back"),
    ]

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.catalog = load_catalog()
        self.view = "loss"
        self._drawn_version: tuple[str | None, int, int] = (None, -1, -1)
        self._chart_drawn_at = 0.0
        self._chart_key: tuple[str | None, str, str | None] = (None, "", None)
        self._detail_dirty = False
        self._list_worker: Worker[None] | None = None
        self._older_worker: Worker[None] | None = None
        self._older_after = ""
        self._list_failures = 0
        # The last new-job form's values (closed or started) and the dataset open then.
        self._form_draft: tuple[str, dict[str, str]] | None = None
        self._billing_ticks = 0
        self._list_retry_at = 0.0  # monotonic; the timer does not ask for the list before this
        self._list_problem = ""
        self._retry_now: dict[str, asyncio.Event] = {}  # ctrl+r wakes a watcher waiting to try again
        self.overlay: str | None = None  # the job whose curves the chart draws over the open job's (v)

    # -- what it shows: the session's jobs ------------------------------------------------------
    @property
    def model(self) -> JobsModel:
        return self.session.jobs

    @property
    def current(self) -> str | None:
        return self.model.current

    @property
    def loaded(self) -> bool:
        return self.model.loaded

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="jobs-split"):
            with Vertical(id="job-table"):
                yield JobListHead(id="job-list-head")
                job_list = JobList(self.model, id="job-list")
                yield job_list
                yield JobListDetail(self.model, job_list, id="job-list-detail")
            with JobView(id="job-view"):
                yield Static("", id="job-header")
                yield Static("", id="job-viewbar")
                with ContentSwitcher(initial="chart", id="job-switcher"):
                    yield LossChart(id="chart")
                    yield EventLog(id="events")
                    yield CheckpointTable(id="checkpoints", cursor_type="row")
        yield Static("Connecting to the provider…", id="jobs-status")

    @property
    def table(self) -> JobList:
        return self.query_one(JobList)

    def on_mount(self) -> None:
        ck = self.query_one(CheckpointTable)
        for label in CHECKPOINT_COLUMNS:
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
        self._set_status("Loading jobs…")
        self.refresh_list(by_user=True)
        with contextlib.suppress(OSError):
            for job_id in state.watched_jobs():
                self.model.watched.add(job_id)
                self._follow_job(job_id)
            last = state.last_job()
            if last:
                self.model.current = last
                self.model.trace(last)
                self._follow_job(last)
                self._detail_dirty = True

    def provider_failed(self, reason: str) -> None:
        """Called by the app when connecting failed: say why, instead of "Connecting…" forever."""
        self._set_status(
            Text.assemble(
                ("Not connected to a provider. ", "bold"),
                safe(reason),
                "\nNothing here works until ftui starts with a profile that connects "
                "(see `ftui --help` and the [profiles] of config.toml).",
            )
        )

    def _client(self) -> Any:
        provider = self.session.provider
        if provider is None:
            raise RuntimeError("not connected")
        return provider.client

    def _describe(self, exc: BaseException, action: str) -> str:
        from ftui.provider.errors import describe

        provider = self.session.provider
        return describe(exc, action, provider.secrets if provider else ())

    def _problem(self, text: str, *, title: str = "Jobs") -> None:
        """Say a failure once (the same one again only after a minute: an outage repeats itself)."""
        self.post_message(Notice(text, title=title, severity="error", quiet=PROBLEM_QUIET_SECONDS))

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
        if self.session.provider is None:
            return
        if self._list_worker is not None and not self._list_worker.is_finished:
            return
        if not by_user and time.monotonic() < self._list_retry_at:
            return
        self._list_worker = self._load_newest()

    # -- workers: they post messages, never touch widgets ----------------------------------------
    @work(group="jobs-list", exit_on_error=False)
    async def _load_newest(self) -> None:
        """The newest page (one request at a time: see ``refresh_list``)."""
        await self._fetch_page(None)

    def _ask_older(self, after: str) -> None:
        """Load the page after ``after`` unless that very page is on its way already (the cursor
        lands on the "more" row again each time the list redraws)."""
        worker = self._older_worker
        if worker is not None and not worker.is_finished and self._older_after == after:
            return
        self._older_after = after
        self._older_worker = self._load_older(after)

    @work(group="jobs-older", exclusive=True, exit_on_error=False)
    async def _load_older(self, after: str) -> None:
        """An older page, in a group of its own: a list refresh never cancels it (nor it a refresh)."""
        await self._fetch_page(after)

    async def _fetch_page(self, after: str | None) -> None:
        try:
            page = await self._client().fine_tuning.jobs.list(limit=PAGE_SIZE, **({"after": after} if after else {}))
        except Exception as exc:
            text = self._describe(exc, "Listing jobs")
            if after is None:
                self.post_message(JobsListFailed(text))
            else:
                self._problem(text)
            return
        self.post_message(JobsListed(list(page.data), bool(page.has_more), first=after is None))

    def _follow_job(self, job_id: str) -> None:
        if self.session.provider is None or not self.model.should_follow(job_id):
            return
        self.model.following.add(job_id)
        self._follow(job_id, set(self.model.trace(job_id).event_ids))

    # description: else Textual writes out the arguments' reprs (every seen event id) on this loop
    @work(group="follow", exit_on_error=False, description="follow a job's events")
    async def _follow(self, job_id: str, seen: set[str]) -> None:
        """Stream a job's events until it ends (see ``follow_job``)."""
        await follow_job(
            self._client(),
            job_id,
            seen,
            post=self.post_message,
            describe=self._describe,
            wanted=lambda: (
                self.session.provider is not None and job_id in (self.current, self.overlay, *self.model.watched)
            ),
            wake=self._retry_now.setdefault(job_id, asyncio.Event()),
        )

    @work(group="jobs-extra", exit_on_error=False)
    async def _load_checkpoints(self, job_id: str) -> None:
        try:
            page = await self._client().fine_tuning.jobs.checkpoints.list(job_id, limit=100)
        except Exception as exc:
            self._problem(self._describe(exc, "Listing checkpoints"))
            return
        self.post_message(CheckpointsListed(job_id, list(page.data)))

    @work(group="jobs-extra", exit_on_error=False)
    async def _load_results(self, job_id: str, file_id: str, save_to: Path | None = None) -> None:
        from ftui.provider.jobs import fetch_results_csv

        try:
            text = await fetch_results_csv(self._client(), file_id)
        except Exception as exc:
            self._problem(self._describe(exc, "Fetching the results CSV"))
            return
        if save_to is not None:
            try:
                await asyncio.to_thread(write_atomic, save_to, text.encode())
            except OSError as exc:
                self._problem(f"Could not write {save_to}: {exc.strerror or exc}.")
                return
            self.post_message(Notice(f"Saved the results of {job_id} to {save_to}.", title="Saved"))
        self.post_message(ResultsFetched(job_id, text))

    @work(group="jobs-control", exit_on_error=False)
    async def _control(self, job_id: str, action: str) -> None:
        jobs = self._client().fine_tuning.jobs
        call = {"cancel": jobs.cancel, "pause": jobs.pause, "resume": jobs.resume}[action]
        try:
            job = await call(job_id)
        except Exception as exc:
            self._problem(self._describe(exc, f"{action.title()} {job_id}"))
            return
        self.post_message(JobChanged(job))

    # -- handlers: update the model, then the view -------------------------------------------------
    @on(JobsListed)
    def _jobs_listed(self, message: JobsListed) -> None:
        if message.first:
            self._list_failures, self._list_retry_at, self._list_problem = 0, 0.0, ""
        stuck = self.model.listed(message.jobs, message.more, first=message.first)
        self._set_status("" if self.model.order else "No jobs yet. Press n to start one from the open dataset.")
        self.table.sync()
        self.query_one(JobListDetail).refresh(layout=True)  # the selected job's whole row, as listed now
        if stuck:
            from ftui.provider.pages import stuck_sentence

            sentence = stuck_sentence("jobs", len(self.model.order), "sent the same page again")
            self._set_status(sentence, problem=True)
            self._problem(sentence)

    @on(JobsListFailed)
    def _list_failed(self, message: JobsListFailed) -> None:
        """The list could not be fetched: back off, and keep saying so (with a countdown) until it can."""
        self._list_failures += 1
        delay = min(LIST_RETRY_MAX, REFRESH_SECONDS * 2 ** (self._list_failures - 1))
        self._list_retry_at = time.monotonic() + delay
        self._list_problem = safe(message.text)
        self._draw_list_problem()
        self._problem(message.text)  # a notice too (once a minute at most)

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
        trace = self.model.trace(message.job_id)
        if message.delay is None:
            trace.retry_at, trace.retry_attempt, trace.retry_reason = None, 0, ""
        else:
            trace.retry_at = time.time() + message.delay
            trace.retry_attempt, trace.retry_reason = message.attempt, safe(message.reason, one_line=True)
            if message.attempt == 1 and message.delay:
                self.post_message(Notice(message.reason, title="Jobs", severity="warning"))
        trace.version += 1

    @on(JobChanged)
    def _job_changed(self, message: JobChanged) -> None:
        job = message.job
        update = self.model.update(job)
        if update.new:
            self.table.sync()
        elif update.status_changed:
            self.table.refresh()  # the rows on screen only
        if update.new or job.id == self.table.selected:
            self.query_one(JobListDetail).refresh(layout=True)
        if message.created:
            self.open_job(job.id)
        if update.status_changed:
            self.refresh_bindings()
            if job.status in TERMINAL_STATUSES and job.result_files and job.id == self.current:
                self._maybe_backfill(job.id)
        if job.id == self.current:
            self._detail_dirty = True

    @on(JobReconnecting)
    def _reconnecting(self, message: JobReconnecting) -> None:
        trace = self.model.trace(message.job_id)
        if trace.reconnecting != message.reconnecting:
            if trace.reconnecting is None:
                trace.reconnects += 1
            trace.reconnecting = message.reconnecting
            trace.version += 1

    @on(JobEvents)
    def _job_events(self, message: JobEvents) -> None:
        checkpoints = self.model.trace(message.job_id).add_events(message.events)
        if checkpoints and message.job_id == self.current:
            self._load_checkpoints(message.job_id)

    @on(WatchEnded)
    def _watch_ended(self, message: WatchEnded) -> None:
        if message.error:
            self.model.following.discard(message.job_id)
            trace = self.model.trace(message.job_id)
            trace.reconnecting = "stopped watching"
            trace.retry_at = None
            trace.version += 1
            self.post_message(Notice(message.error, title="Jobs", severity="error", timeout=10))
            return
        was_watched = message.job_id in self.model.watched
        if self.model.stream_ended(message.job_id, message.status):
            self._announce_end(message.job_id)
        if was_watched and message.job_id not in self.model.watched:
            self._save_watched()
        if message.job_id == self.current:
            self._load_checkpoints(message.job_id)

    def _announce_end(self, job_id: str) -> None:
        job = self.model.jobs.get(job_id)
        status = job.status if job else "ended"
        detail = ""
        if job is not None and job.status == "succeeded" and job.fine_tuned_model:
            detail = f"\n{safe(job.fine_tuned_model, one_line=True)}"
        elif job is not None and job.status == "failed" and job.error and job.error.message:
            detail = f"\n{safe(job.error.message)}"
        severity = "information" if status == "succeeded" else "warning" if status == "cancelled" else "error"
        text = f"Job {safe(job_id, one_line=True)} {safe(status, one_line=True)}.{detail}"
        self.post_message(Notice(text, title="Job ended", severity=severity, timeout=15))
        if self.app.settings.bell:  # type: ignore[attr-defined]
            self.app.bell()

    @on(CheckpointsListed)
    def _checkpoints_listed(self, message: CheckpointsListed) -> None:
        trace = self.model.trace(message.job_id)
        from ftui.provider.jobs import newest_first

        trace.checkpoints = newest_first(message.checkpoints)  # as `ftui jobs checkpoints` lists them
        trace.version += 1
        if message.job_id == self.current:
            self._fill_checkpoints()
            self.refresh_bindings()

    @on(ResultsFetched)
    def _results_fetched(self, message: ResultsFetched) -> None:
        self.model.trace(message.job_id).fill_from_csv(message.text)

    @on(EventLog.FilterChanged)
    def _filter_changed(self) -> None:
        self._detail_dirty = True

    @on(EventLog.FilterDone)
    def _filter_done(self) -> None:
        self._focus_view()

    # -- drawing -----------------------------------------------------------------------------------
    def _fill_checkpoints(self) -> None:
        ck = self.query_one(CheckpointTable)
        ck.clear()
        trace = self.model.traces.get(self.current or "")
        if trace is None:
            return
        # the model id fits what the other columns leave, cut in its middle (its end names the
        # step); Enter opens the whole id in Chat and y copies it
        pad = 2 * ck.cell_padding
        first, *metrics, _ = CHECKPOINT_COLUMNS  # the metrics' values are never wider than their titles
        steps = max([len(first)] + [len(f"ckpt-step-{c.step_number}") for c in trace.checkpoints])
        others = steps + pad + sum(len(label) + pad for label in metrics)
        room = max(12, (ck.size.width or self.size.width) - others - pad - 2)  # 2: the scrollbar
        for c in trace.checkpoints:
            m = c.metrics
            model = safe(c.fine_tuned_model_checkpoint or "—", one_line=True)
            ck.add_row(
                f"ckpt-step-{c.step_number}",
                _metric(m, "train_loss"),
                _metric(m, "valid_loss"),
                _metric(m, "full_valid_mean_token_accuracy"),
                Text(fit(model, room, middle=True)),
                key=c.fine_tuned_model_checkpoint,
            )

    def _draw_viewbar(self) -> None:
        parts = []
        for key, label in VIEW_LABELS:
            parts.append(f"[reverse b] {label} [/]" if key == self.view else f" {label} ")
        trace = self.model.traces.get(self.current or "")
        if trace is not None and self.view == "checkpoints":
            parts.append(f"  {len(trace.checkpoints)} kept")
        elif trace is not None and self.view == "events":
            parts.append(f"  {len(trace.lines):,} events")
        self.query_one("#job-viewbar", Static).update(" ".join(parts), layout=False)

    def _redraw(self) -> None:
        """Redraw the open job when its trace changed (a few times a second at most)."""
        trace: JobTrace | None = self.model.traces.get(self.current or "")
        over = self.model.traces.get(self.overlay or "") if self.overlay != self.current else None
        key = (self.current, trace.version if trace else -1, over.version if over else -1)
        if key == self._drawn_version and not self._detail_dirty:
            return
        self._drawn_version = key
        self._detail_dirty = False
        self.query_one("#job-header", Static).update(
            render_header(trace, self.catalog, deployment=self._deployment(trace))
            if trace
            else Text("Select a job and press Enter.", style="dim")
        )
        self._draw_viewbar()
        if self.view in ("loss", "accuracy"):
            now = time.monotonic()
            moved = self._chart_key != (self.current, self.view, self.overlay)
            if moved or now - self._chart_drawn_at >= CHART_SECONDS:
                self._chart_key, self._chart_drawn_at = (self.current, self.view, self.overlay), now
                loading = trace is not None and not trace.lines and self.current in self.model.following
                self.query_one(LossChart).show(trace, self.view, loading=loading, overlay=over)
            else:
                self._detail_dirty = True  # draw the rest now, the chart on a later tick
        elif self.view == "events":
            self.query_one(EventLog).sync(trace)

    def _tick(self) -> None:
        """Elapsed time, ETA and retry countdowns move on even when no event arrives."""
        job = self.model.current_job
        trace = self.model.traces.get(self.current or "")
        if (job is not None and job.status not in TERMINAL_STATUSES) or (trace is not None and trace.retry_at):
            self._detail_dirty = True
        if self._list_problem and not (self._list_worker and not self._list_worker.is_finished):
            self._draw_list_problem()

    def _refresh_tick(self) -> None:
        self.refresh_list()
        self._billing_ticks += 1
        if self._billing_ticks % BILLING_EVERY_TICKS == 0 and self.display and not self.has_class("list-mode"):
            self._reread_billing()

    def _reread_billing(self) -> None:
        """The open job's model may be deployed (billing hourly) or deleted from elsewhere (the CLI,
        the portal): read the deployments again when a job is opened and while it is shown."""
        job = self.model.current_job
        if job is not None and job.fine_tuned_model and self.session.manages_deployments:
            self.post_message(RefreshDeployments())

    # -- opening a job -----------------------------------------------------------------------------
    @on(JobList.Highlighted, "#job-list")
    def _highlighted(self, event: JobList.Highlighted) -> None:
        self.query_one(JobListDetail).refresh(layout=True)
        table = self.table
        if table.on_more_row and self.model.order:
            self._ask_older(self.model.order[-1])
            return
        key = table.job_id_at(event.index)
        if key and self.has_class("wide") and key != self.current:
            self.open_job(key, focus=False)

    @on(JobList.Selected, "#job-list")
    def _selected(self, event: JobList.Selected) -> None:
        key = self.table.job_id_at(event.index)
        if key:
            self.open_job(key)

    def open_job(self, job_id: str, *, focus: bool = True) -> None:
        """Show a job and follow its events; a job still running is watched."""
        self.model.current = job_id
        self.table.show(job_id)  # Esc, Enter opens this job again, not the one the cursor was on
        trace = self.model.trace(job_id)
        job = self.model.jobs.get(job_id)
        if job is not None and job.status not in TERMINAL_STATUSES and job_id not in self.model.watched:
            self.model.watched.add(job_id)
            self._save_watched()
        self._follow_job(job_id)
        if job is not None and job.status in TERMINAL_STATUSES and self.session.provider is not None:
            self._load_checkpoints(job_id)
            if job.result_files and not trace.from_csv:
                self._maybe_backfill(job_id)
        with contextlib.suppress(OSError):
            state.remember_job(job_id)
        self.set_list_mode(False)
        self._reread_billing()
        self._fill_checkpoints()
        self._detail_dirty = True
        self._redraw()
        self.refresh_bindings()
        if focus:
            self._focus_view()

    def _maybe_backfill(self, job_id: str) -> None:
        job = self.model.jobs.get(job_id)
        trace = self.model.trace(job_id)
        if job is None or not job.result_files or trace.from_csv or self.session.provider is None:
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
            state.save_watched_jobs(sorted(self.model.watched))

    # -- actions -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.model.current_job
        open_ = not self.has_class("list-mode") or self.has_class("wide")
        if action in ("view", "filter", "toggle_watch", "overlay"):
            return job is not None and open_
        if action == "run_again":
            return self._job_to_run_again() is not None and self.session.provider is not None
        if action == "control":
            if job is None or not open_:
                return False
            what = parameters[0]
            if what == "cancel":
                return job.status not in TERMINAL_STATUSES
            if self.session.provider is not None and self.session.provider.profile.provider == "azure":
                return False  # Azure's API (2024-10-21) has no pause or resume
            if what == "pause":
                return job.status in PAUSABLE_STATUSES
            return job.status in RESUMABLE_STATUSES
        if action == "save_results":
            return bool(job is not None and job.result_files and open_)
        if action == "open_in_chat":
            return bool(job is not None and open_ and (job.fine_tuned_model or self._checkpoint_under_cursor()))
        if action == "deploy":
            azure = self.session.provider is not None and self.session.provider.profile.provider == "azure"
            return bool(
                azure and job is not None and open_ and (job.fine_tuned_model or self._checkpoint_under_cursor())
            )
        if action == "back":
            return not self.has_class("list-mode")
        return True

    def action_view(self, view: str) -> None:
        self.view = view
        self.query_one("#job-switcher", ContentSwitcher).current = VIEWS[view]
        if view == "checkpoints" and self.current and self.session.provider is not None:
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
        if job_id in self.model.watched:
            self.model.watched.discard(job_id)
            self.post_message(Notice(f"Not watching {shown} any more.", timeout=4))
        else:
            self.model.watched.add(job_id)
            self._follow_job(job_id)
            self.post_message(Notice(f"Watching {shown}: you will hear when it ends.", timeout=4))
        self._save_watched()

    def action_control(self, action: str) -> None:
        job_id = self.current
        if job_id is None:
            return
        job = self.model.jobs.get(job_id)
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
        job = self.model.current_job
        if job is None or not job.result_files:
            return
        default = str(Path.cwd() / f"{job.id}-results.csv")

        def problem(why: str) -> None:  # said before anything is downloaded; no folder is made on the way
            self._problem(f"Cannot save the results CSV: {why}")

        def save(target: Path) -> None:
            self._load_results(job.id, job.result_files[0], target)

        ask_save_path(self.app, "Save the results CSV", "Save to (written atomically):", default, save, problem)

    def _checkpoint_under_cursor(self) -> str | None:
        if self.view != "checkpoints":
            return None
        ck = self.query_one(CheckpointTable)
        if not ck.row_count or ck.cursor_row >= ck.row_count:
            return None
        key = ck.coordinate_to_cell_key(ck.cursor_coordinate).row_key.value
        return str(key) if key else None

    def copied_id(self) -> str | None:
        """What `y` copies: the checkpoint under the cursor, the job under the list's cursor, or the open job."""
        if not self.has_class("list-mode") and (ckpt := self._checkpoint_under_cursor()):
            return ckpt
        if self.has_class("list-mode") or self.table.has_focus:
            return self.table.selected
        return self.current

    def action_copy_id(self) -> None:
        ident = self.copied_id()
        if ident:
            self.app.copy_to_clipboard(ident)
            self.post_message(Notice(f"Copied {ident}.", title="Jobs", timeout=3))

    def action_open_in_chat(self) -> None:
        job = self.model.current_job
        if job is None:
            return
        model = self._checkpoint_under_cursor() or job.fine_tuned_model
        if model:
            self.post_message(OpenInChat(model, base=self._chat_base(job.model), training_file=job.training_file))

    def _chat_base(self, base: str | None) -> str | None:
        """The base model to compare with, unless it cannot answer: on Azure only a deployed model chats."""
        provider = self.session.provider
        if base is None or provider is None or provider.profile.provider != "azure":
            return base
        found = self.session.deployment_of(base)
        deployed = found is not None and found.state == "Succeeded"
        return base if deployed or base in provider.profile.deployments else None

    @on(DataTable.RowSelected, "#checkpoints")
    def _checkpoint_selected(self, event: DataTable.RowSelected) -> None:
        job = self.model.current_job
        if event.row_key and event.row_key.value:
            base, training_file = (job.model, job.training_file) if job else (None, None)
            self.post_message(
                OpenInChat(str(event.row_key.value), base=self._chat_base(base), training_file=training_file)
            )

    # -- deploying on Azure ------------------------------------------------------------------------
    def _deployment(self, trace: JobTrace) -> Any:
        job = trace.job
        return self.session.deployment_of(job.fine_tuned_model) if job is not None else None

    def deployments_changed(self) -> None:
        """The session's deployments changed (the app calls this): the header shows the new state."""
        self._detail_dirty = True

    def action_deploy(self) -> None:
        """D: deploy the open job's model (or the checkpoint under the cursor) on Azure."""
        from ftui.tui.jobs.deploy import DeployScreen

        job = self.model.current_job
        provider = self.session.provider
        model = self._checkpoint_under_cursor() or (job.fine_tuned_model if job is not None else None)
        if provider is None or not model:
            return
        if not provider.manages_deployments:
            name = safe(provider.profile.name, one_line=True)
            self._problem(
                f"To deploy from ftui, name the Azure resource in profile {name!r}: subscription_id, resource_group "
                "and account (see the README's Azure section).",
                title="Deploy",
            )
            return
        if (found := self.session.deployment_of(model)) is not None and found.state == "Succeeded":
            self.post_message(
                Notice(f"{model} is deployed already, as {found.name}: 3 chats with it.", title="Deploy", timeout=6)
            )
            return
        taken = {d.name for d in self.session.deployments or []}
        account = provider.profile.account or ""
        self.app.push_screen(DeployScreen(model, taken, account), self._confirm_deploy)

    def _confirm_deploy(self, plan: DeployPlan | None) -> None:
        if plan is None:
            return
        body = f"{safe(plan.model, one_line=True)} as {safe(plan.name, one_line=True)}\n{plan.cost_sentence()}"

        def answered(ok: bool | None) -> None:
            if ok:
                self.post_message(
                    Notice(f"Deploying {plan.name}: Azure is provisioning it.", title="Deploy", timeout=5)
                )
                self._deploy(plan)

        self.app.push_screen(ConfirmScreen("Deploy it? It bills hourly", body, "Deploy"), answered)

    @work(group="deploy", exit_on_error=False)
    async def _deploy(self, plan: DeployPlan) -> None:
        """Create the deployment and watch it provision; every state is a DeployState message."""
        from ftui.config import ConfigError
        from ftui.provider.azure_deploy import DeployError, DeploymentMayExist

        provider = self.session.provider
        directory = provider.deployment_directory() if provider is not None else None
        if directory is None:
            return
        plane = directory.plane
        try:
            if (existing := await plane.get_deployment(plan.name)) is not None:
                self.post_message(
                    DeployEnded(
                        plan, None, f"A deployment named {plan.name} exists already (serving {existing.model})."
                    )
                )
                return
            created = await plane.create_deployment(plan.name, plan.model, sku=plan.sku, capacity=plan.capacity)
            self.post_message(DeployState(created))
            done = await plane.wait_until_provisioned(plan.name, on_state=lambda d: self.post_message(DeployState(d)))
        except DeploymentMayExist as exc:
            self.post_message(DeployEnded(plan, None, str(exc), unknown=True))
        except (DeployError, ConfigError) as exc:
            self.post_message(DeployEnded(plan, None, str(exc)))
        else:
            self.post_message(DeployEnded(plan, done))

    @on(DeployState)
    def _deploy_state(self, message: DeployState) -> None:
        """A new provisioning state: remember it, and let every tab see it."""
        provider = self.session.provider
        directory = provider.deployment_directory() if provider is not None else None
        if directory is not None:
            directory.note(message.deployment)
            self.post_message(DeploymentsChanged(directory.items))

    @on(DeployEnded)
    def _deploy_ended(self, message: DeployEnded) -> None:
        plan = message.plan
        if message.deployment is not None:
            self.post_message(
                Notice(
                    f"{plan.name} serves {plan.model}: 3 chats with it (it bills hourly until you delete it).",
                    title="Deployed",
                    timeout=10,
                )
            )
        elif message.unknown:
            self.post_message(
                Notice(message.error or "", title="Deploy: outcome unknown", severity="warning", timeout=20)
            )
            self.post_message(RefreshDeployments())
        else:
            self.post_message(Notice(message.error or "", title="Deploy", severity="error", timeout=12))
            self.post_message(RefreshDeployments())

    def action_overlay(self) -> None:
        """Pick another job whose curves the chart draws over the open job's (ftui.tui.jobs.overlay)."""
        from ftui.tui.jobs.overlay import OverlayPicker

        if self.current:
            picker = OverlayPicker(self.current, self.model.listed_jobs(), self.overlay)
            self.app.push_screen(picker, self.set_overlay)

    def set_overlay(self, job_id: str | None) -> None:
        """Overlay ``job_id``'s curves (loading its events), or none (``NO_OVERLAY``); None: no change."""
        from ftui.tui.jobs.overlay import NO_OVERLAY

        if job_id is None:
            return
        self.overlay = None if job_id in (NO_OVERLAY, self.current) else job_id
        if self.overlay is not None:
            self.model.trace(self.overlay)
            self._follow_job(self.overlay)
            self._maybe_backfill(self.overlay)
        if self.view not in ("loss", "accuracy"):
            self.action_view("loss")
        self._detail_dirty = True
        self._redraw()

    def action_run_again(self) -> None:
        """Run the selected job again on a profile the user picks (ftui.tui.jobs.rerun)."""
        from ftui.tui.jobs.rerun import open_run_again

        job = self._job_to_run_again()
        if job is not None and self.session.provider is not None:
            open_run_again(self, job, self.session.provider)

    def _job_to_run_again(self) -> Any:
        """The job under the cursor in the list, else the open one."""
        listed = self.table.selected if self.has_class("list-mode") else None
        return self.model.jobs.get(listed or "") or self.model.current_job

    def action_new_job(self) -> None:
        """Open the new-job form on the session's open dataset (the app starts what it returns)."""
        from ftui.tui.jobs.new_job import NewJobScreen

        session = self.session
        if session.provider_error is not None:
            self._problem(f"Not connected, so no job can start: {session.provider_error}")
            return
        method = "dpo" if session.dataset_format == "dpo" else "supervised"
        azure = session.provider is not None and session.provider.profile.provider == "azure"

        dataset = str(session.dataset_path or "")
        draft = dict(self._form_draft[1]) if self._form_draft is not None else {}
        if self._form_draft is not None and self._form_draft[0] != dataset:
            draft.pop("training", None)  # another file is open in Data now: offer it, the rest as last time
            draft.pop("method", None)

        def submitted(request: Any) -> None:
            self._form_draft = (dataset, form.values)  # never lost: the next form offers them again
            if request is not None:
                self.post_message(StartJob(request))
            elif form.values != form.opened_with:
                self.post_message(Notice("The form's values are kept: n opens it with them again.", timeout=5))

        trained = session.trained_models()
        sunset = None
        if session.provider is not None:
            from ftui.data.catalog import load_catalog

            profile = session.provider.profile
            sunset = load_catalog().new_jobs_notice(profile.provider, base_url=profile.base_url)
        form = NewJobScreen(
            session.dataset_path,
            session.model,
            method=method,
            azure=azure,
            trained=trained,
            more_trained=self._trained_models if session.provider is not None else None,
            notice=sunset.long() if sunset is not None else None,
            draft=draft,
        )
        self.app.push_screen(form, submitted)

    async def _trained_models(self) -> dict[str, str]:
        """Every fine-tuned model and checkpoint of the provider (for continued fine-tuning)."""
        from ftui.provider.models import list_fine_tuned_models

        models = await list_fine_tuned_models(self._client(), self.model.listed_jobs())
        return {m.id: m.kind for m in models}

    def job_created(self, job: Any) -> None:
        """A job started from the form: list it, open it, watch it."""
        self.model.watched.add(job.id)
        self._save_watched()
        self.post_message(JobChanged(job, created=True))
