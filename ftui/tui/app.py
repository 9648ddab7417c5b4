"""The ftui application: a top bar, four tabs (Data, Jobs, Chat, Files) and the footer."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

from ftui.config import ConfigError, Settings, load_settings
from ftui.credentials import redact
from ftui.data.catalog import load_catalog
from ftui.session import Session
from ftui.state import recent_files, remember_file
from ftui.textsafe import safe
from ftui.tui.app_messages import (
    DatasetAppended,
    DeploymentsChanged,
    Notice,
    OpenDataset,
    ProviderFailed,
    RefreshDeployments,
)
from ftui.tui.chat.messages import ModelsKnown
from ftui.tui.chat.tab import LIST_MODELS, ChatTab
from ftui.tui.commands import FtuiCommands
from ftui.tui.data.messages import DatasetStatus
from ftui.tui.data.open_file import OpenFileScreen
from ftui.tui.data.tab import DataTab, stop_validation_workers
from ftui.tui.files.tab import FilesTab
from ftui.tui.jobs.messages import OpenInChat, RefreshJobs, StartJob
from ftui.tui.jobs.tab import JobsTab
from ftui.tui.keys import enable_alt_digits
from ftui.tui.layout import fit
from ftui.tui.widgets.fit_footer import FitFooter
from ftui.tui.widgets.help import HelpScreen, help_text

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from ftui.provider.client import Provider
    from ftui.tui.jobs.new_job import NewJob

enable_alt_digits()

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)  # exit code 128 + the signal's number
DEPLOYMENTS_POLL = 10.0  # seconds between lists while a deployment is being provisioned
CLOSE_TIMEOUT = 2.0  # seconds closing the provider may take when the app exits
EXIT_GRACE = 5.0  # seconds after a signal before ftui leaves no matter what
THREAD_GRACE = 1.0  # seconds worker threads get to finish after the UI has gone
NARROW_NOTICE = 4.0  # seconds a notice stays on a screen under 100 columns wide
NARROW_ERROR = 8.0  # ... an error notice
REACH_RETRY = 15.0  # seconds between tries while it cannot be reached
DIALOG_SETTLE = 1.0  # at most this long, keys wait for a dialog that is still opening
NO_PROVIDER_HINT = (
    "Jobs and Chat need a provider: fix the profile (or start without --profile to use the"
    " built-in sandbox), then restart ftui."
)


def shown(widget: Widget) -> bool:
    """True when ``widget`` and every container around it are displayed."""
    return all(node.display and node.visible for node in widget.ancestors_with_self if isinstance(node, Widget))


def topbar_text(provider: str, file: str, counts: str, width: int, notice: tuple[str, str] = ("", "")) -> Text:
    """The top bar in ``width`` cells: the counts always whole, the file name and the provider
    shortened with an ellipsis when they do not all fit. Every part is shown as text, never markup.
    ``notice`` (long, short): a date to heed (new jobs stop), the long form when it leaves room."""
    sep = " │ "
    provider, file = safe(provider, one_line=True), safe(file, one_line=True)
    fixed = cell_len("ftui") + 2 * cell_len(sep) + (cell_len(sep) + cell_len(counts) if counts else 0)
    said = ""
    for said in (*notice, ""):  # the longest form that leaves the provider and file some room
        if not said or width - fixed - cell_len(sep) - cell_len(said) >= 24:
            break
    fixed += cell_len(sep) + cell_len(said) if said else 0
    room = max(0, width - fixed)
    if cell_len(provider) + cell_len(file) > room:
        file_room = max(room - cell_len(provider), min(cell_len(file), max(room // 2, room - 24)))
        file = fit(file, file_room, middle=True)
        provider = fit(provider, max(0, room - cell_len(file)))
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("ftui", style="bold")
    text.append(sep + provider, style="red" if provider.startswith("not connected") else "")
    text.append(sep + file)
    if counts:
        text.append(sep + counts)
    if said:
        text.append(sep + said, style="bold yellow")
    return text


class FtuiTabbedContent(TabbedContent):
    """Tabs that a late focus message cannot switch back.

    Focusing a widget posts a message that activates its tab; when a tab key is pressed before
    that message is handled (e.g. `3` while the first screen is still coming up and the Data
    tab focuses its list), the old message would switch back to Data with the focus left in Chat.
    A tab is activated that way only while the focus is still inside it and was put there
    after the last tab key.
    """

    def on_mount(self) -> None:
        # The tab strip takes no focus: Tab / shift+Tab never leave the keys on a strip where
        # the tab's own keys do nothing (1-4 and alt+1-4 switch tabs; a click still works).
        for tabs in self.query(Tabs):
            tabs.can_focus = False

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        app = self.app
        stale = focused is None or event.tab_pane not in focused.ancestors
        if stale or (isinstance(app, FtuiApp) and app.focus_predates_tab_choice()):
            # The focus moved on since, or a tab was chosen after it was set: keep the tab.
            event.prevent_default()  # (TabbedContent's own handler would switch)
            event.stop()
            if isinstance(app, FtuiApp):
                app.call_after_refresh(app.ensure_focus)


class TopBar(Static):
    """One line: provider, file, counts; redrawn to fit whenever its width changes."""

    def on_resize(self) -> None:
        app = self.app
        if isinstance(app, FtuiApp):
            app._refresh_topbar()


class MainScreen(Screen):
    """The app's screen: whenever it is back on top (a dialog closed), the focus goes back into the open tab."""

    def on_screen_resume(self) -> None:
        app = self.app
        if isinstance(app, FtuiApp):
            app.call_after_refresh(app.ensure_focus)


class FtuiApp(App[int]):
    """Fine-tune chat models from the terminal."""

    CSS_PATH = "ftui.tcss"
    TITLE = "ftui"
    COMMANDS = App.COMMANDS | {FtuiCommands}
    HELP = """
## ftui
`1`–`4` switch tabs (`alt+1`–`alt+4` also while typing), `ctrl+p` opens the command palette, `?` or `F1` shows help for
the focused pane, `ctrl+o` opens a file, `q` quits. Keys can be remapped in the
`[keymap]` table of config.toml by binding id.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "toggle_help", "Help", id="app.help"),
        # while help shows, Escape closes it (and does nothing else); otherwise it goes on as usual
        Binding("escape", "close_help", "Close help", show=False, priority=True, id="app.help.close"),
        # priority: handled the moment it is read, so the keys typed after it reach the dialog
        Binding("ctrl+o", "open_file", "Open", priority=True, id="app.open"),
        Binding("1", "show_tab('data')", "Data", show=False, id="app.tab.data"),
        Binding("alt+1", "show_tab('data')", "Data", show=False, priority=True, id="app.tab.data.alt"),
        Binding("2", "show_tab('jobs')", "Jobs", show=False, id="app.tab.jobs"),
        Binding("alt+2", "show_tab('jobs')", "Jobs", show=False, priority=True, id="app.tab.jobs.alt"),
        Binding("3", "show_tab('chat')", "Chat", show=False, id="app.tab.chat"),
        Binding("alt+3", "show_tab('chat')", "Chat", show=False, priority=True, id="app.tab.chat.alt"),
        Binding("4", "show_tab('files')", "Files", show=False, id="app.tab.files"),
        Binding("alt+4", "show_tab('files')", "Files", show=False, priority=True, id="app.tab.files.alt"),
    ]

    def __init__(
        self,
        path: Path | None = None,
        *,
        profile: str | None = None,
        base_url: str | None = None,
        settings: Settings | None = None,
        connect: bool = True,
        handle_signals: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        self.initial_path = path
        self.profile_name = profile
        self.base_url = base_url
        self.connect = connect
        self.handle_signals = handle_signals  # run_app sets it: SIGTERM/SIGHUP/SIGINT end the app cleanly
        # What the app knows now (provider, open dataset and report, jobs, models): tabs read
        # it; only the app's handlers (and each tab's own part: the Jobs tab its jobs) change it.
        self.session = Session(model=load_catalog().default_model)
        self.provider_label = "connecting…"
        self._said: dict[str, float] = {}  # notice text -> when it was last shown (Notice.quiet)
        self._file_label = "no file"
        self._counts = ""
        self._exiting = False
        self._watchdog: threading.Timer | None = None
        self._held_keys: list[events.Key] = []
        self._held_since = 0.0
        self._pushed_at = 0.0
        self._order = itertools.count(1)
        self._focus_order = 0  # when the focus last moved / a tab was last chosen, in event order
        self._tab_order = 0

    @property
    def provider(self) -> Provider | None:
        return self.session.provider

    @property
    def provider_error(self) -> str | None:
        """Why connecting failed, for any tab to show."""
        return self.session.provider_error

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with FtuiTabbedContent(initial="data", id="tabs"):
            with TabPane("1 Data", id="data"):
                yield DataTab(self.session.model, id="data-tab")
            with TabPane("2 Jobs", id="jobs"):
                yield JobsTab(self.session, id="jobs-tab")
            with TabPane("3 Chat", id="chat"):
                yield ChatTab(self.session, id="chat-tab")
            with TabPane("4 Files", id="files"):
                yield FilesTab(self.session, id="files-tab")
        yield FitFooter()

    @property
    def data_tab(self) -> DataTab:
        return self.query_one(DataTab)

    @property
    def jobs_tab(self) -> JobsTab:
        return self.query_one(JobsTab)

    @property
    def chat_tab(self) -> ChatTab:
        return self.query_one(ChatTab)

    @property
    def files_tab(self) -> FilesTab:
        return self.query_one(FilesTab)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        for warning in self.settings.warnings:  # a typo in config.toml does nothing: say so
            self.notify(safe(warning), title="config.toml", severity="warning", timeout=10, markup=False)
        if self.handle_signals:
            self._install_signal_handlers()
        self.watch(self.screen, "focused", self._focus_moved, init=False)
        if self.connect:
            self.provider_label = self._connecting_label()
            self._connect()
        else:
            self.provider_label = "offline"
        self._refresh_topbar()
        path = self.initial_path
        if path is None:
            recent = recent_files()
            path = recent[0] if recent else None
        if path is not None:
            self.open_path(path)
        else:
            self.action_open_file()  # now, so keys typed from the start go to it

    # -- focus and keys ----------------------------------------------------------------------
    def focus_predates_tab_choice(self) -> bool:
        """True when a tab was chosen (a tab key) after the focus was last set."""
        return self._focus_order < self._tab_order

    def _focus_moved(self, widget: Widget | None) -> None:
        self._focus_order = next(self._order)
        if widget is None and not self._exiting:
            self.call_after_refresh(self.ensure_focus)  # e.g. the focused pane was just hidden

    def ensure_focus(self) -> None:
        """Keys must always reach something: when nothing visible in the open tab has the focus
        (a pane was hidden, a dialog closed, a tab switched by a late message), focus its default."""
        if not self.is_running or self._exiting or not isinstance(self.screen, MainScreen):
            return
        tabs = self.screen.query(FtuiTabbedContent)
        if not tabs:
            return
        pane = tabs.first().active_pane
        focused = self.screen.focused
        if focused is not None and shown(focused) and pane is not None and pane in focused.ancestors:
            return
        self._focus_tab(tabs.first().active)

    def _focus_tab(self, tab: str) -> None:
        if tab == "data":
            self.data_tab.focus_default()
        elif tab == "jobs":
            self.jobs_tab.focus_default()
        elif tab == "chat":
            self.chat_tab.prompt.focus()
        else:
            self.files_tab.focus_default()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.call_after_refresh(self.ensure_focus)  # a click on a tab leaves the focus in the old one

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        self._pushed_at = time.monotonic()
        return super().push_screen(*args, **kwargs)

    def _dialog_opening(self) -> bool:
        """A dialog was just pushed and cannot take keys yet: not mounted, or its focus not set yet."""
        if not self.screen_stack:  # closing: the screens are gone, a late key has nowhere to go
            return False
        screen = self.screen
        if isinstance(screen, MainScreen) or time.monotonic() - self._pushed_at > DIALOG_SETTLE:
            return False
        return not screen.is_mounted or (screen.focused is None and bool(screen.focus_chain))

    async def on_event(self, event: events.Event) -> None:
        # Keys typed right after e.g. ctrl+o, before the dialog is up, belong to the dialog: hold
        # them (in order) until it can take them instead of letting them fall on nothing.
        if isinstance(event, events.Key) and not event.is_forwarded and (self._held_keys or self._dialog_opening()):
            if not self._held_keys:
                self._held_since = time.monotonic()
                self.set_timer(0.01, self._release_keys)
            self._held_keys.append(event)
            return
        await super().on_event(event)

    def _release_keys(self) -> None:
        if self._dialog_opening() and time.monotonic() - self._held_since < DIALOG_SETTLE:
            self.set_timer(0.01, self._release_keys)
            return
        held, self._held_keys = self._held_keys, []
        for key in held:
            replay = events.Key(key.key, key.character)
            replay.set_sender(self)
            self.post_message(replay)

    # -- quitting --------------------------------------------------------------------------
    async def action_quit(self) -> None:
        self.shutdown(0)

    def shutdown(self, code: int = 0) -> None:
        """Leave now: stop the workers (a scan in a thread stops at its next chunk) and exit."""
        self._exiting = True
        self.workers.cancel_all()
        self.exit(return_code=code)

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: int) -> None:
        """SIGTERM, SIGHUP (the SSH connection dropped) or SIGINT: restore the terminal and exit
        with 128 + the signal number. A second signal, or a shutdown stuck for EXIT_GRACE
        seconds, ends the process at once."""
        code = 128 + sig
        if self.handle_signals:  # the real thing (run_app), not a test calling this
            if self._exiting:
                _leave_now(code)
            self._watchdog = threading.Timer(EXIT_GRACE, _leave_now, args=(code,))
            self._watchdog.daemon = True
            self._watchdog.start()
        self.shutdown(code)

    # -- files and the provider -----------------------------------------------------------------
    def open_path(self, path: Path) -> None:
        self._file_label = str(path)
        self.data_tab.open(path)
        with contextlib.suppress(OSError):  # remembering is a nicety; never fail opening over it
            remember_file(path)
        self._refresh_topbar()

    def _connecting_label(self) -> str:
        """What ftui is doing while it connects: starting its own sandbox, or reaching a provider."""
        from ftui.config import resolve_profile

        try:
            profile = resolve_profile(self.settings, self.profile_name, self.base_url)
        except ConfigError:
            return "connecting…"  # connecting says why it cannot
        return "starting the sandbox…" if profile.provider == "sandbox" else f"connecting to {profile.label}…"

    @work(exclusive=True, group="provider", exit_on_error=False)
    async def _connect(self) -> None:
        # The SDK is heavy (about half a second of imports): import it on a thread, not on this
        # loop, so keys pressed meanwhile are answered. The sandbox, when it is the provider, runs
        # in a child process: nothing it does can delay this loop.
        await asyncio.to_thread(importlib.import_module, "ftui.connect")
        from ftui.connect import open_provider
        from ftui.provider.errors import describe

        try:
            provider = await open_provider(self.profile_name, self.base_url, self.settings, isolate=True)
        except ConfigError as exc:
            self._provider_failed(str(exc))
        except Exception as exc:
            self._provider_failed(describe(exc, "Connecting to the provider"))
        else:
            self.session.provider, self.session.provider_error = provider, None
            remote = provider.local_server is None  # known to work once it answers (_provider_answered)
            self.provider_label = f"checking {provider.label}…" if remote else provider.label
            self.jobs_tab.provider_ready()
            self.chat_tab.provider_ready()
            self.files_tab.provider_ready()
            if provider.manages_deployments:
                self._list_deployments()
        self._refresh_topbar()

    @on(ModelsKnown)
    def _provider_answered(self, message: ModelsKnown) -> None:
        """A remote provider is only known to work once it answers: the Chat tab's list of its
        models (asked for when connected) is that first question. While it cannot be reached the
        top bar says ``not connected: <why>``, and the list is asked for again now and then."""
        provider = self.session.provider
        if provider is None or provider.local_server is not None:
            return
        if not message.unreachable:  # it answered (a server without a models list answers too)
            self.provider_label = provider.label
        else:
            why = (message.error or "").removeprefix(f"{LIST_MODELS} failed: ")
            self.provider_label = f"not connected: {why}"
            self.set_timer(REACH_RETRY, self._ask_again, name="reach-retry")
        self._refresh_topbar()

    def _ask_again(self) -> None:
        if not self._exiting and self.provider is not None and self.provider_label.startswith("not connected"):
            self.chat_tab.provider_ready()

    @on(RefreshDeployments)
    def _refresh_deployments(self) -> None:
        if self.session.manages_deployments:
            self._list_deployments()

    @work(exclusive=True, group="deployments", exit_on_error=False)
    async def _list_deployments(self) -> None:
        """List the Azure resource's deployments; again every little while as long as one of
        them is still being provisioned (by ftui or anyone else), so its state shows as it moves."""
        from ftui.provider.azure_deploy import DONE_STATES, DeployError

        provider = self.session.provider
        directory = provider.deployment_directory() if provider is not None else None
        if directory is None:
            return
        while True:
            try:
                items = await directory.refresh()
            except (DeployError, ConfigError) as exc:
                self.post_message(DeploymentsChanged(None, str(exc)))
                return
            self.post_message(DeploymentsChanged(items))
            if all(d.state in DONE_STATES for d in items):
                return
            await asyncio.sleep(DEPLOYMENTS_POLL)

    @on(DeploymentsChanged)
    def _deployments_changed(self, message: DeploymentsChanged) -> None:
        first_error = message.error is not None and self.session.deployments_error != message.error
        if message.deployments is not None:
            self.session.deployments, self.session.deployments_error = list(message.deployments), None
        else:
            self.session.deployments_error = message.error
        if first_error:
            self.notify(f"Azure deployments: {message.error}", severity="warning", timeout=10, markup=False)
        self.jobs_tab.deployments_changed()
        self.files_tab.deployments_changed()

    def _provider_failed(self, reason: str) -> None:
        """Say everywhere that there is no provider, and why (instead of "connecting…" forever):
        ``provider_error`` for anyone who asks, and a ProviderFailed message to the app and each tab."""
        reason = redact(reason)
        self.session.provider_error = reason
        self.provider_label = f"not connected: {reason}"
        self.notify(reason, title="Not connected", severity="error", timeout=10, markup=False)
        with contextlib.suppress(NoMatches):  # closing already
            for tab in (self.jobs_tab, self.chat_tab, self.files_tab):
                tab.provider_failed(reason)  # each says why in its own words
            self.post_message(ProviderFailed(reason))

    @on(ProviderFailed)
    def _show_provider_failed(self, message: ProviderFailed) -> None:
        self._refresh_topbar()

    @on(RefreshJobs)
    def _refresh_jobs(self) -> None:
        self.jobs_tab.action_refresh()

    @on(StartJob)
    def _start_job(self, message: StartJob) -> None:
        self.start_job(message.request)

    def start_job(self, plan: NewJob) -> None:
        """Upload and create a confirmed job (with progress), then open it in the Jobs tab."""
        provider = self.provider
        if provider is None and self.provider_error:
            self.notify(
                f"Not connected: {self.provider_error}. Nothing was started; n opens the form with your values.",
                severity="error",
                markup=False,
            )
            return
        # Still connecting: the start screen waits for the connection and says so.

        def started(job: object) -> None:
            if job is not None:
                self.action_show_tab("jobs")
                self.jobs_tab.job_created(job)
                self.notify(f"Started {job.id}.", title="Jobs", timeout=5, markup=False)  # type: ignore[attr-defined]

        from ftui.tui.jobs.start_job import StartJobScreen

        self.push_screen(StartJobScreen(provider, plan), started)

    async def on_unmount(self) -> None:
        self._exiting = True
        self.workers.cancel_all()
        if self.provider is not None:
            # Bounded: an open stream or a stuck server must not keep the terminal waiting.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.provider.close(), CLOSE_TIMEOUT)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice is shown with control characters escaped and credentials redacted, whoever
        raises it. On a narrow screen (under 100 columns) a notice covers what it sits on: it stays
        NARROW_NOTICE seconds at most (an error NARROW_ERROR), and the toasts are narrower (ftui.tcss)."""
        if self.size.width < 100:
            limit = NARROW_ERROR if severity == "error" else NARROW_NOTICE
            timeout = min(timeout if timeout is not None else self.NOTIFICATION_TIMEOUT, limit)
        super().notify(
            safe(redact(message)),
            title=safe(redact(title), one_line=True),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    @on(Notice)
    def _notice(self, message: Notice) -> None:
        """Every notice from a tab or a worker, shown once (see ``Notice.quiet``)."""
        now = time.monotonic()
        if message.quiet and now - self._said.get(message.text, -1e9) < message.quiet:
            return
        self._said[message.text] = now
        severity: SeverityLevel = message.severity  # type: ignore[assignment]
        self.notify(message.text, title=message.title, severity=severity, timeout=message.timeout, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker errors in one place: a worker that raised what it did not expect is said once,
        in one sentence, and the app carries on (workers run with exit_on_error=False)."""
        if event.state != WorkerState.ERROR or self._exiting:
            return
        error = event.worker.error
        what = (event.worker.name or event.worker.group or "a task").strip("_").replace("_", " ")
        self.post_message(
            Notice(
                f"Something went wrong in {what}: {type(error).__name__}: {error}",
                title="Unexpected error",
                severity="error",
                timeout=12,
            )
        )

    @on(DatasetStatus)
    def _dataset_status(self, message: DatasetStatus) -> None:
        if not self.is_running or not self.screen_stack:
            return  # a late message while closing
        session = self.session
        if message.failed and message.path is not None:  # could not be opened: no counts to show
            self._file_label, self._counts = message.path.name, "not opened"
            self._refresh_topbar()
            return
        if message.path is not None:
            self._file_label = message.path.name
            session.open_dataset(message.path)
        if message.model is not None:
            session.model = message.model
        if message.report is not None and message.progress >= 1:
            session.report = message.report
            chats = self.screen.query(ChatTab)
            if chats:
                chats.first().dataset_system(message.report.most_common_system_message)
        checking = f" · checking {message.progress:.0%}" if message.progress < 1 else ""
        self._counts = f"✗ {message.errors:,}  ⚠ {message.warnings:,}{checking}"
        self._refresh_topbar()

    @on(OpenInChat)
    def _open_in_chat(self, message: OpenInChat) -> None:
        self.action_show_tab("chat")
        self.chat_tab.open_model(message.model, message.base, message.training_file)

    @on(OpenDataset)
    def _open_dataset(self, message: OpenDataset) -> None:
        self.open_path(message.path)
        self.action_show_tab("data")

    @on(DatasetAppended)
    def _dataset_appended(self, message: DatasetAppended) -> None:
        """ftui appended to a file: when it is the open dataset, the Data tab re-checks it now."""
        ds = self.data_tab.dataset
        if ds is not None and ds.path.resolve() == Path(message.path).resolve():
            self.data_tab.check_file()

    def _sunset(self) -> tuple[str, str]:
        """(long, short): when the provider stops taking new jobs (OpenAI), else nothing."""
        provider = self.session.provider
        if provider is None:
            return ("", "")
        from ftui.data.catalog import load_catalog

        notice = load_catalog().new_jobs_notice(provider.profile.provider, base_url=provider.profile.base_url)
        return (notice.long().rstrip("."), notice.short()) if notice is not None else ("", "")

    def _refresh_topbar(self) -> None:
        if not self.is_running or not self.screen_stack:
            return
        bars = [screen.query("#topbar") for screen in self.screen_stack if isinstance(screen, MainScreen)]
        if not bars or not bars[0]:
            return  # a late message while closing
        bar = bars[0].first(Static)
        width = bar.size.width or self.size.width - 2  # the content width (padding 0 1)
        text = topbar_text(redact(self.provider_label), self._file_label, self._counts, width, self._sunset())
        bar.update(text, layout=False)  # fixed 1-line bar

    def action_show_tab(self, tab: str) -> None:
        self._tab_order = next(self._order)
        self.query_one(FtuiTabbedContent).active = tab
        self._focus_tab(tab)
        if tab == "jobs" and self.provider is not None:
            self.jobs_tab.action_refresh()  # fresh on every visit, not only on the timer
        elif tab == "files":
            self.files_tab.visited()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_help":
            return isinstance(self.screen, HelpScreen)
        return True

    def action_close_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)

    def action_toggle_help(self) -> None:
        """Help for what has the focus (the open dialog's, or the focused pane's), over the app."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(help_text(self.screen)))

    def action_show_help_panel(self) -> None:  # Textual's palette entry "Keys": the same help
        if not isinstance(self.screen, HelpScreen):
            self.action_toggle_help()

    def action_hide_help_panel(self) -> None:
        self.action_close_help()

    def action_open_file(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self.open_path(path)

        self.push_screen(OpenFileScreen(), chosen)


_terminal_modes: list[Any] | None = None  # the tty's modes before the app started (run_app)


def _leave_now(code: int) -> None:
    """The last resort when shutting down is stuck: put the terminal back as well as we can
    (main screen, cursor, no mouse reports, the modes it had) and end the process."""
    with contextlib.suppress(Exception):
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2  # Textual draws on stderr
        if os.isatty(fd):
            os.write(fd, b"\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h")
            if _terminal_modes is not None:
                import termios

                termios.tcsetattr(fd, termios.TCSANOW, _terminal_modes)
    os._exit(code)


def _wait_for_threads(timeout: float) -> bool:
    """Give worker threads (a scan of a big file, say) ``timeout`` seconds; True when all ended."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread())


def run_app(path: str | None, profile: str | None = None, base_url: str | None = None) -> int:
    """Run the TUI, then end the process with its exit code (0 after `q`, 128 + N after signal N);
    returns only when it cannot start (2)."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"ftui: {exc}")
        return 2
    target = Path(path) if path else None
    if target is not None and not target.is_file():
        print(f"ftui: {target}: no such file." if not target.exists() else f"ftui: {target} is not a file.")
        return 2
    global _terminal_modes
    with contextlib.suppress(Exception):
        import termios

        _terminal_modes = termios.tcgetattr(sys.__stderr__.fileno())  # type: ignore[union-attr]
    app = FtuiApp(target, profile=profile, base_url=base_url, settings=settings, handle_signals=True)
    # Our own loop, closed without waiting for the default executor: asyncio.run would wait for
    # every thread worker to finish its work before returning, long after the UI is gone.
    loop = asyncio.new_event_loop()
    try:
        app.run(loop=loop)
    finally:
        if app._watchdog is not None:
            app._watchdog.cancel()  # the terminal is back: the rest of the way out cannot hurt it
        with contextlib.suppress(Exception):
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=THREAD_GRACE))
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    code = app.return_code or 0
    stop_validation_workers()  # no worker process outlives ftui
    _wait_for_threads(THREAD_GRACE)  # a scan stops at its next chunk; a busy one is not waited for
    # The terminal is back and everything ftui keeps is written. Tearing the interpreter down
    # (freeing the tokenizer's tables: seconds on a busy machine) would only keep the prompt
    # waiting, as would a thread still busy: leave now.
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
