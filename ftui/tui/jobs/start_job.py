"""Starting a confirmed job: upload its files with a progress bar, then create it exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from ftui import state
from ftui.textsafe import safe
from ftui.tui.jobs.messages import RefreshJobs
from ftui.tui.jobs.new_job import NewJob, describe_upload
from ftui.tui.widgets.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ftui.job_intent import JobIntent
    from ftui.provider.client import Provider


class StartProgress(Message):
    def __init__(self, text: str, done: int | None = None, total: int | None = None) -> None:
        super().__init__()
        self.text, self.done, self.total = text, done, total


class StartFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StartUnknown(Message):
    """The create request's outcome is unknown: a job may exist. ``text`` says what failed."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def outcome_unknown(exc: BaseException) -> bool:
    """True when a failed create request may still have made a job.

    The provider layer raises ``JobMayExist`` when it could not tell (looked up by name, so
    this works before and after that exception exists); a dropped connection or a timeout
    while creating means the same: the server may have acted on the request.
    """
    from ftui.provider import jobs as jobs_module
    from ftui.provider.errors import is_connection_error

    may_exist = getattr(jobs_module, "JobMayExist", ())
    return isinstance(exc, may_exist) or is_connection_error(exc)  # timeouts included


def why_unknown(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """What happened to the create request, without the usual "failed" or "try again"."""
    from ftui.provider.errors import is_connection_error, is_timeout, redact

    if is_timeout(exc):
        return "The provider did not answer the create request in time."
    if is_connection_error(exc):
        return "The connection dropped while the create request was out."
    return redact(str(exc), secrets) or "The provider could not say whether the job was created."


class StartDeclined(Message):
    """The same job was started before and the user chose not to start another."""


class StartDone(Message):
    def __init__(self, job: Any) -> None:
        super().__init__()
        self.job = job


STARTING = "Starting… (checking whether the same job was started before)"


def _import_start_modules() -> None:
    """Import what starting a job needs (the provider's SDK among them), off the UI's thread."""
    for name in ("ftui.job_intent", "ftui.provider.errors", "ftui.provider.files"):
        importlib.import_module(name)


def _uploaded() -> dict[str, str]:
    """The sha256 of the files ftui uploaded (none when the state cannot be read)."""
    try:
        return state.uploaded_files()
    except OSError:
        return {}


class StartJobScreen(ModalScreen[Any]):
    """Shows each step; dismisses with the created job, or with None after a failure (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="startjob.close")]

    def __init__(self, provider: Provider | None, plan: NewJob) -> None:
        """``provider`` None: the app is still connecting; the screen waits for it (saying so)."""
        super().__init__()
        self.provider: Provider | None = provider
        self.plan = plan
        self.failed = False
        self.waiting = provider is None  # nothing uploaded yet: Esc goes back

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]Starting the fine-tuning job[/b]")
            yield Static(STARTING, id="start-step")
            yield ProgressBar(total=100, show_eta=False, id="start-bar")
            yield Static("", id="start-error")

    def on_mount(self) -> None:
        self.call_after_refresh(self._run)  # "Starting…" is on screen before any of the work

    @work(group="start-job", exclusive=True, exit_on_error=False)
    async def _run(self) -> None:
        await asyncio.to_thread(_import_start_modules)  # (their first import took the UI's frames)
        from ftui.job_intent import create_with_intent
        from ftui.provider.errors import describe
        from ftui.provider.files import existing_copy, upload_file

        if self.provider is None and not await self._connected():
            return
        assert self.provider is not None
        client = self.provider.client
        ids: dict[str, str | None] = {"training": None, "validation": None}
        step = "Checking whether the same job was started before"
        try:
            intent = await self._intent()
            if not await self._go_on_after_repeat(intent):
                self.post_message(StartDeclined())
                return
            step = "Uploading"
            for kind, ref in (("training", self.plan.training), ("validation", self.plan.validation)):
                if ref is None:
                    continue
                if isinstance(ref, Path):
                    step = f"Uploading {ref.name}"
                    self.post_message(StartProgress(f"{step}…"))

                    def progress(done: int, total: int, kind: str = kind) -> None:
                        self.post_message(StartProgress(describe_upload(kind, done, total), done, total))

                    uploaded = await asyncio.to_thread(_uploaded)
                    same, sha256 = await existing_copy(client, ref, uploaded)
                    if same is not None:  # the same bytes are there already: no second copy
                        ids[kind] = same.id
                        self.post_message(StartProgress(f"{ref.name} is already uploaded as {same.id}: reused", 1, 1))
                        continue
                    file = await upload_file(client, ref, progress=progress)
                    ids[kind] = file.id
                    with contextlib.suppress(OSError):
                        await asyncio.to_thread(state.remember_upload, file.id, sha256, ref.stat().st_size, ref)
                    self.post_message(StartProgress(f"{ref.name} uploaded as {file.id}", 1, 1))
                else:
                    ids[kind] = ref
            step = "Creating the job"
            self.post_message(StartProgress("Creating the job…"))
            assert ids["training"] is not None
            request = dataclasses.replace(
                self.plan.request, training_file=ids["training"], validation_file=ids["validation"]
            )

            def waiting(line: str) -> None:
                self.post_message(StartProgress(line))

            azure = self.provider.profile.provider == "azure"
            job = await create_with_intent(client, request, intent, azure=azure, on_wait=waiting)
        except Exception as exc:
            if step == "Creating the job" and outcome_unknown(exc):
                self.post_message(StartUnknown(why_unknown(exc, self.provider.secrets)))
            else:
                self.post_message(StartFailed(describe(exc, step, self.provider.secrets)))
            return
        self.post_message(StartDone(job))

    async def _connected(self) -> bool:
        """Wait for the app's connection (it ends in a provider or in a reason there is none)."""
        waiting = "Waiting for the connection to the provider; nothing is sent yet (Esc goes back)."
        self.post_message(StartProgress(waiting))
        app: Any = self.app
        while app.provider is None and app.provider_error is None:
            await asyncio.sleep(0.05)
        if app.provider is None:
            self.post_message(StartFailed(f"Not connected: {app.provider_error}"))
            return False
        self.provider = app.provider
        self.waiting = False
        return True

    async def _intent(self) -> JobIntent:
        """The plan's intent, its local files named by their sha256."""
        from ftui.job_intent import intent_for, place
        from ftui.provider.files import file_sha256

        named: dict[str, str | None] = {"training": None, "validation": None}
        for kind, ref in (("training", self.plan.training), ("validation", self.plan.validation)):
            if isinstance(ref, Path):
                named[kind] = "sha256:" + await asyncio.to_thread(file_sha256, ref)
            else:
                named[kind] = ref
        assert named["training"] is not None and self.provider is not None  # connected before the work
        where = place(self.provider.profile)
        return intent_for(self.plan.request, named["training"], named["validation"], where=where)

    async def _go_on_after_repeat(self, intent: JobIntent) -> bool:
        """When the same job was started (or requested) in the last day, say which and ask."""
        from ftui.job_intent import find_repeat

        assert self.provider is not None  # connected before the work
        repeat = await find_repeat(self.provider.client, intent)
        if repeat is None:
            return True
        said = safe(repeat.describe())  # ids and statuses come from the server
        self.post_message(StartProgress(said))
        question = ConfirmScreen(
            "Start the same job again?", f"{said}\n\nStart another one (billed again)?", "Start another"
        )
        again = await self.app.push_screen(question, wait_for_dismiss=True)
        return bool(again)

    @on(StartProgress)
    def _progress(self, message: StartProgress) -> None:
        self.query_one("#start-step", Static).update(Text(safe(message.text, one_line=True)))  # holds file ids
        bar = self.query_one(ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done or 0)

    @on(StartFailed)
    def _failed(self, message: StartFailed) -> None:
        self.failed = True
        shown = Text()
        shown.append(f"✗ {safe(message.text)}", style="red")
        shown.append("\nNo job was started. Press Esc to go back; n opens the form with your values.")
        self.query_one("#start-error", Static).update(shown)

    @on(StartUnknown)
    def _unknown(self, message: StartUnknown) -> None:
        """Never say "failed" here: the provider may have made the job (and may be billing it)."""
        self.failed = True
        self.query_one("#start-step", Static).update("Creating the job: no answer from the provider.")
        shown = Text()
        shown.append("? A job may have been created.", style="bold yellow")
        shown.append(f" {safe(message.text)}\n")
        shown.append(
            "Check before you start it again: the Jobs list is refreshing now (or run `ftui jobs list`); "
            "a new job there with this model and training file is the one. Press Esc to go back."
        )
        self.query_one("#start-error", Static).update(shown)
        self.post_message(RefreshJobs())

    @on(StartDeclined)
    def _declined(self) -> None:
        self.notify("Nothing was started.", timeout=4)
        self.dismiss(None)

    @on(StartDone)
    def _done(self, message: StartDone) -> None:
        self.dismiss(message.job)

    def action_close(self) -> None:
        if self.waiting:
            self.workers.cancel_group(self, "start-job")
            self.notify("Nothing was started; n opens the form with your values.", timeout=5)
            self.dismiss(None)
        elif self.failed:
            self.dismiss(None)
        else:
            self.notify("The job is being started; wait for it to finish.", timeout=3)
