"""The Jobs tab's "Run again on…" (`R`): the selected job again on a profile the user picks, with
the same bytes, method, resolved hyperparameters, suffix and seed (ftui.provider.rerun). The form
downloads the job's files once, picks the model as the chosen provider names it (or asks for one
where ftui knows no mapping), shows the cost there, and asks before anything is uploaded; the
upload and the create request are the new-job form's (StartJobScreen, on the target provider)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ftui.api_facts import HyperparameterError, check_suffix
from ftui.data.catalog import load_catalog
from ftui.data.stats import job_cost
from ftui.textsafe import safe
from ftui.tui.widgets.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ftui.config import Profile, Settings
    from ftui.provider.client import Provider
    from ftui.provider.rerun import RerunSource


def profiles_of(settings: Settings | None, current: Profile) -> dict[str, Profile]:
    """The profiles to offer: config.toml's, the one in use, and the built-in sandbox."""
    from ftui.config import Profile

    out: dict[str, Profile] = {current.name: current}
    if settings is not None:
        out.update(settings.profiles)
    out.setdefault("sandbox", Profile(name="sandbox", provider="sandbox"))
    return out


def open_run_again(tab: Any, job: Any, provider: Provider) -> None:
    """Open the form for ``job`` (of ``provider``); a job started on the tab's own profile is
    opened in the tab."""
    settings = getattr(tab.app, "settings", None)
    screen = RunAgainScreen(job, provider, profiles_of(settings, provider.profile), settings)

    def done(job: Any) -> None:
        if job is not None and screen.target_name == provider.profile.name:
            tab.job_created(job)

    tab.app.push_screen(screen, done)


class RunAgainScreen(ModalScreen[Any]):
    """Pick the profile and the model; shows the cost there; Enter asks, then starts the job.
    Dismisses with the new job (or None)."""

    DEFAULT_CSS = """
    RunAgainScreen { align: center middle; }
    #rerun-dialog .rerun-row { height: 1; margin-top: 1; }
    #rerun-dialog .rerun-label { width: 9; }
    #rerun-dialog #rerun-profile, #rerun-dialog #rerun-model { width: 1fr; }
    #rerun-dialog #rerun-what, #rerun-dialog #rerun-cost { height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rerun.cancel"),
        Binding("ctrl+s", "go", "Run again", id="rerun.go"),
    ]
    HELP = (
        "## Run again on…\nThe same job on another profile: its training and validation bytes (uploaded once: "
        "a copy already there is reused), its method, the hyperparameters it trained with, its suffix and seed. "
        "The model is named as that provider names it; where ftui knows no name (a local server), type it. "
        "`Enter` (or `ctrl+s`) shows the cost and asks before anything is uploaded."
    )

    def __init__(self, job: Any, provider: Provider, profiles: dict[str, Profile], settings: Settings | None) -> None:
        super().__init__()
        self.job, self.provider, self.profiles, self.settings = job, provider, profiles, settings
        self.source: RerunSource | None = None
        self.paths: dict[str, Path] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="ftui-rerun-"))
        self.problem: str | None = "Reading the job's files…"
        self.cost: str = ""
        self.blocked: str | None = None  # what the local check of the files found for this model
        others = [n for n in profiles if n != provider.profile.name]
        self.target_name = others[0] if others else provider.profile.name

    def compose(self) -> ComposeResult:
        with Vertical(id="rerun-dialog", classes="dialog"):
            yield Label(Text(f"Run {safe(self.job.id, one_line=True)} again on…", style="bold"))
            with Horizontal(classes="rerun-row"):
                yield Label("Profile", classes="rerun-label")
                options = [(f"{name}  ({p.provider})", name) for name, p in self.profiles.items()]
                yield Select(options, value=self.target_name, allow_blank=False, id="rerun-profile", compact=True)
            with Horizontal(classes="rerun-row"):
                yield Label("Model", classes="rerun-label")
                yield Input("", id="rerun-model", compact=True, placeholder="the base model there")
            yield Static("", id="rerun-what")
            yield Static("", id="rerun-cost")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run again… (Enter)", variant="primary", id="rerun-go", compact=True)
                yield Button("Cancel (Esc)", id="rerun-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#rerun-profile", Select).focus()
        self._show()
        self._fetch()

    # -- the original's files and settings ------------------------------------------------
    @work(group="rerun-fetch", exclusive=True, exit_on_error=False)
    async def _fetch(self) -> None:
        from ftui.provider.errors import describe
        from ftui.provider.rerun import fetch_inputs, source_from_job

        try:
            self.job = await self.provider.client.fine_tuning.jobs.retrieve(self.job.id)  # as it trains now
            source = source_from_job(self.job, f"profile {self.provider.profile.name}")
            paths = await fetch_inputs(self.provider.client, source, self.folder)
        except Exception as exc:
            self.problem = describe(exc, "Downloading the job's files", self.provider.secrets)
            self._show()
            return
        self.source, self.paths, self.problem = source, paths, None
        self._profile_changed()

    @property
    def target(self) -> Profile:
        return self.profiles[self.target_name]

    def _mapped_model(self) -> str:
        """The original's model as the chosen profile names it ('' where ftui knows none)."""
        if self.source is None:
            return ""
        if self.target_name == self.provider.profile.name:
            return self.source.model
        return load_catalog().name_on(self.source.model, self.target.provider) or ""

    @on(Select.Changed, "#rerun-profile")
    def _profile_changed(self) -> None:
        value = self.query_one("#rerun-profile", Select).value
        if isinstance(value, str):
            self.target_name = value
        model = self.query_one("#rerun-model", Input)
        model.value = self._mapped_model()
        self._price()

    @on(Input.Changed, "#rerun-model")
    def _model_changed(self) -> None:
        self._price()

    def _plan_problem(self) -> str | None:
        """Why the job cannot run again as set (one sentence), or None."""
        if self.problem is not None:
            return self.problem
        assert self.source is not None
        if not self.query_one("#rerun-model", Input).value.strip():
            return (
                f"Model is required: ftui knows no name on profile {self.target_name} for "
                f"{self.source.model}; type the model to train there."
            )
        if missing := self.source.unresolved():
            return f"{self.job.id} has not resolved {', '.join(missing)} yet (it has not started training)."
        try:
            check_suffix(self.source.suffix, azure=self.target.provider == "azure")
        except HyperparameterError as exc:
            return f"The original's suffix cannot be used on {self.target_name}: {exc}"
        return None

    @work(group="rerun-price", exclusive=True, exit_on_error=False)
    async def _price(self) -> None:
        """The cost on the chosen profile, from the bytes and the model there (a worker thread)."""
        self.cost, self.blocked = "", None
        self._show()
        if self._plan_problem() is not None or self.source is None:
            return
        from ftui.data.validate import validate_file

        model = self.query_one("#rerun-model", Input).value.strip()
        report = await asyncio.to_thread(validate_file, self.paths["training"], model)
        epochs = self.source.hyperparameters.get("n_epochs")
        cost = job_cost(report.estimate, int(epochs) if epochs else None)
        self.cost = f"{cost.words()} on {self.target_name}."
        name = self.paths["training"].name
        if summary := report.error_summary():
            self.blocked = f"{name} has {summary} for {model}: it cannot run there as it is."
        elif fits := _method_fits(self.source.method, report.format):
            self.blocked = f"{name}: {fits}."
        self._show()

    def _what(self) -> str:
        if self.source is None:
            return ""
        hp = self.source.hyperparameters
        parts = [self.source.method, f"epochs {hp.get('n_epochs')}", f"batch {hp.get('batch_size')}"]
        parts.append(f"lr x{hp.get('learning_rate_multiplier')}")
        if self.source.method == "dpo":
            parts.append(f"beta {hp.get('beta')}")
        parts.append(f"seed {self.source.seed}" if self.source.seed is not None else "seed random")
        if self.source.suffix:
            parts.append(f"suffix {self.source.suffix}")
        files = ", ".join(p.name for p in self.paths.values())
        return f"{', '.join(parts)}; files {files}"

    def _show(self) -> None:
        self.query_one("#rerun-what", Static).update(Text(safe(self._what())))
        problem = self._plan_problem()
        cost = self.query_one("#rerun-cost", Static)
        if problem is not None:
            cost.update(Text(safe(problem), style="red" if self.source is not None else "dim"))
        elif self.blocked is not None:
            cost.update(Text(safe(f"{self.cost} {self.blocked}"), style="red"))
        else:
            cost.update(Text(safe(self.cost or "Working out the cost…"), style="yellow"))

    # -- going ahead -------------------------------------------------------------------------
    @on(Input.Submitted)
    @on(Button.Pressed, "#rerun-go")
    def action_go(self) -> None:
        problem = self._plan_problem()
        if problem is not None or self.blocked is not None or not self.cost or self.source is None:
            self._show()
            return
        model = self.query_one("#rerun-model", Input).value.strip()
        body = f"{safe(self.job.id, one_line=True)} again on {self.target_name} as {safe(model, one_line=True)}: "
        body += f"{self._what()}.\n{self.cost}\nThe files are uploaded unless that profile holds them already."
        self.app.push_screen(ConfirmScreen("Run again?", body, "Upload and start"), self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if yes:
            self._start(self.query_one("#rerun-model", Input).value.strip())

    @work(group="rerun-start", exclusive=True, exit_on_error=False)
    async def _start(self, model: str) -> None:
        from ftui.config import ConfigError
        from ftui.connect import open_provider
        from ftui.provider.rerun import rerun_request
        from ftui.tui.jobs.new_job import NewJob
        from ftui.tui.jobs.start_job import StartJobScreen

        assert self.source is not None
        if self.target_name == self.provider.profile.name:
            target, own = self.provider, False
        else:
            self.query_one("#rerun-cost", Static).update(Text(f"Connecting to {self.target_name}…", style="dim"))
            try:
                target = await open_provider(self.target_name, None, self.settings, isolate=True)
            except ConfigError as exc:
                self.query_one("#rerun-cost", Static).update(Text(safe(str(exc)), style="red"))
                return
            own = True
        plan = NewJob(
            training=self.paths["training"],
            validation=self.paths.get("validation"),
            request=rerun_request(self.source, model, "", None),
            summary=f"{self.job.id} again on {self.target_name}",
        )

        def started(job: Any) -> None:
            if own:
                self._close_later(target)
            if job is not None:
                where = "" if not own else f" on profile {self.target_name}"
                self.app.notify(f"Started {job.id}{where}.", title="Run again", timeout=8, markup=False)
                self.dismiss(job)

        self.app.push_screen(StartJobScreen(target, plan), started)

    def _close_later(self, provider: Provider) -> None:
        async def close() -> None:
            with contextlib.suppress(Exception):
                await provider.close()

        self.app.run_worker(close(), group="rerun-close", exit_on_error=False)

    @on(Button.Pressed, "#rerun-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _method_fits(method: str, fmt: str | None) -> str | None:
    """Why a file in ``fmt`` cannot train with ``method`` (as `jobs create` says it), or None."""
    if fmt is None:
        return None
    if method == "dpo" and fmt != "dpo":
        return f"the file is in {fmt} format, but DPO needs preference pairs"
    if method == "supervised" and fmt not in ("chat", "completion"):
        return f"the file is in {fmt} format, but supervised fine-tuning needs chat examples"
    return None


__all__ = ["RunAgainScreen", "open_run_again", "profiles_of"]
