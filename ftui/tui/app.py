"""The ftui application: a top bar, four tabs (Data, Jobs, Chat, Files) and the footer."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static, TabbedContent, TabPane, Tabs

from ftui.config import ConfigError, Settings, load_settings
from ftui.data.catalog import load_catalog
from ftui.state import recent_files, remember_file
from ftui.tui.chat.tab import ChatTab
from ftui.tui.commands import FtuiCommands
from ftui.tui.data.messages import DatasetStatus
from ftui.tui.data.open_file import OpenFileScreen
from ftui.tui.data.tab import DataTab
from ftui.tui.jobs.messages import OpenInChat
from ftui.tui.jobs.tab import JobsTab
from ftui.tui.keys import enable_alt_digits

if TYPE_CHECKING:
    from ftui.provider.client import Provider
    from ftui.tui.jobs.new_job import NewJob

enable_alt_digits()

PLACEHOLDERS = {
    "files": "Files: the uploaded-file browser is coming.\nMeanwhile: `ftui files list`, `ftui files upload FILE`.",
}


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
        Binding("ctrl+o", "open_file", "Open", id="app.open"),
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
    ) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        self.initial_path = path
        self.profile_name = profile
        self.base_url = base_url
        self.connect = connect
        self.provider: Provider | None = None
        self.provider_label = "connecting…"
        self._file_label = "no file"
        self._counts = ""

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        with TabbedContent(initial="data", id="tabs"):
            with TabPane("1 Data", id="data"):
                yield DataTab(load_catalog().default_model, id="data-tab")
            with TabPane("2 Jobs", id="jobs"):
                yield JobsTab(id="jobs-tab")
            with TabPane("3 Chat", id="chat"):
                yield ChatTab(id="chat-tab")
            for key, title in (("files", "4 Files"),):
                with TabPane(title, id=key):
                    yield Static(PLACEHOLDERS[key], classes="placeholder", markup=False)
        yield Footer()

    @property
    def data_tab(self) -> DataTab:
        return self.query_one(DataTab)

    @property
    def jobs_tab(self) -> JobsTab:
        return self.query_one(JobsTab)

    @property
    def chat_tab(self) -> ChatTab:
        return self.query_one(ChatTab)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self._refresh_topbar()
        if self.connect:
            self._connect()
        else:
            self.provider_label = "offline"
        path = self.initial_path
        if path is None:
            recent = recent_files()
            path = recent[0] if recent else None
        if path is not None:
            self.open_path(path)
        else:
            self.call_after_refresh(self.action_open_file)

    def open_path(self, path: Path) -> None:
        self._file_label = str(path)
        self.data_tab.open(path)
        with contextlib.suppress(OSError):  # remembering is a nicety; never fail opening over it
            remember_file(path)
        self._refresh_topbar()

    @work(exclusive=True, group="provider")
    async def _connect(self) -> None:
        # The SDK is heavy (about half a second of imports): import it on a thread, not on this
        # loop, so keys pressed meanwhile are answered. The sandbox, when it is the provider, runs
        # in a child process: nothing it does can delay this loop.
        await asyncio.to_thread(importlib.import_module, "ftui.connect")
        from ftui.connect import open_provider
        from ftui.provider.errors import describe

        try:
            self.provider = await open_provider(self.profile_name, self.base_url, self.settings, isolate=True)
        except ConfigError as exc:
            self.provider_label = "not connected"
            self.notify(reason := str(exc), title="Provider", severity="error", timeout=10, markup=False)
        except Exception as exc:
            self.provider_label = "not connected"
            reason = describe(exc, "Connecting to the provider")
            self.notify(reason, title="Provider", severity="error", timeout=10, markup=False)
        else:
            self.provider_label = self.provider.label
            self.jobs_tab.provider_ready()
            self.chat_tab.provider_ready()
        for tab in (self.jobs_tab, self.chat_tab) if self.provider is None else ():
            tab.provider_failed(reason)  # hook: the tabs say why, never "Connecting…" forever
        self._refresh_topbar()

    def start_job(self, plan: NewJob) -> None:
        """Upload and create a confirmed job (with progress), then open it in the Jobs tab."""
        if self.provider is None:
            self.notify("Not connected to a provider yet; try again in a moment.", severity="warning")
            return

        def started(job: object) -> None:
            if job is not None:
                self.action_show_tab("jobs")
                self.jobs_tab.job_created(job)
                self.notify(f"Started {job.id}.", title="Jobs", timeout=5)  # type: ignore[attr-defined]

        from ftui.tui.jobs.start_job import StartJobScreen

        self.push_screen(StartJobScreen(self.provider, plan), started)

    async def on_unmount(self) -> None:
        if self.provider is not None:
            await self.provider.close()

    @on(DatasetStatus)
    def _dataset_status(self, message: DatasetStatus) -> None:
        if not self.is_running or not self.screen_stack:
            return  # a late message while closing
        if message.path is not None:
            self._file_label = message.path.name
        tabs, chats = self.screen.query(DataTab), self.screen.query(ChatTab)
        ds = tabs.first().dataset if tabs else None  # none while closing
        if message.progress >= 1 and ds is not None and ds.report is not None and chats:
            chats.first().dataset_system(ds.report.most_common_system_message)
        checking = f" · checking {message.progress:.0%}" if message.progress < 1 else ""
        self._counts = f"✗ {message.errors:,}  ⚠ {message.warnings:,}{checking}"
        self._refresh_topbar()

    @on(OpenInChat)
    def _open_in_chat(self, message: OpenInChat) -> None:
        self.action_show_tab("chat")
        self.chat_tab.open_model(message.model, message.base)

    def dataset_appended(self, path: Path) -> None:
        """ftui appended to ``path``: when it is the open dataset, the Data tab re-checks it now."""
        ds = self.data_tab.dataset
        if ds is not None and ds.path.resolve() == Path(path).resolve():
            self.data_tab.check_file()

    def _refresh_topbar(self) -> None:
        if not self.is_running or not self.screen_stack or not self.screen.query("#topbar"):
            return  # a late message while closing
        parts = ["[b]ftui[/b]", self.provider_label, self._file_label]
        if self._counts:
            parts.append(self._counts)
        self.query_one("#topbar", Static).update(" │ ".join(parts), layout=False)  # fixed 1-line bar

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "data":
            self.data_tab.query_one("#examples").focus()
        elif tab == "jobs":
            self.jobs_tab.focus_default()
            if self.provider is not None:
                self.jobs_tab.action_refresh()  # fresh on every visit, not only on the timer
        elif tab == "chat":
            self.chat_tab.prompt.focus()
        else:
            self.query_one(TabbedContent).query_one(Tabs).focus()  # keep focus off hidden tabs

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_open_file(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self.open_path(path)

        self.push_screen(OpenFileScreen(), chosen)


def run_app(path: str | None, profile: str | None = None, base_url: str | None = None) -> int:
    """Run the TUI; returns the exit code."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"ftui: {exc}")
        return 2
    target = Path(path) if path else None
    if target is not None and not target.is_file():
        print(f"ftui: {target}: no such file." if not target.exists() else f"ftui: {target} is not a file.")
        return 2
    FtuiApp(target, profile=profile, base_url=base_url, settings=settings).run()
    return 0
