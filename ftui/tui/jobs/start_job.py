"""Starting a confirmed job: upload its files with a progress bar, then create it exactly once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static

from ftui.tui.jobs.new_job import NewJob, describe_upload

if TYPE_CHECKING:
    from ftui.provider.client import Provider


class StartProgress(Message):
    def __init__(self, text: str, done: int | None = None, total: int | None = None) -> None:
        super().__init__()
        self.text, self.done, self.total = text, done, total


class StartFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StartDone(Message):
    def __init__(self, job: Any) -> None:
        super().__init__()
        self.job = job


class StartJobScreen(ModalScreen[Any]):
    """Shows each step; dismisses with the created job, or with None after a failure (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="startjob.close")]

    def __init__(self, provider: Provider, plan: NewJob) -> None:
        super().__init__()
        self.provider, self.plan = provider, plan
        self.failed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]Starting the fine-tuning job[/b]")
            yield Static("Preparing…", id="start-step")
            yield ProgressBar(total=100, show_eta=False, id="start-bar")
            yield Static("", id="start-error")

    def on_mount(self) -> None:
        self._run()

    @work(group="start-job", exclusive=True)
    async def _run(self) -> None:
        from ftui.provider.errors import describe
        from ftui.provider.files import upload_file
        from ftui.provider.jobs import create_job

        client = self.provider.client
        ids: dict[str, str | None] = {"training": None, "validation": None}
        step = "Uploading"
        try:
            for kind, ref in (("training", self.plan.training), ("validation", self.plan.validation)):
                if ref is None:
                    continue
                if isinstance(ref, Path):
                    step = f"Uploading {ref.name}"

                    def progress(done: int, total: int, kind: str = kind) -> None:
                        self.post_message(StartProgress(describe_upload(kind, done, total), done, total))

                    file = await upload_file(client, ref, progress=progress)
                    ids[kind] = file.id
                    self.post_message(StartProgress(f"{ref.name} uploaded as {file.id}", 1, 1))
                else:
                    ids[kind] = ref
            step = "Creating the job"
            self.post_message(StartProgress("Creating the job…"))
            assert ids["training"] is not None
            request = dataclasses.replace(
                self.plan.request, training_file=ids["training"], validation_file=ids["validation"]
            )
            job = await create_job(client, request)
        except Exception as exc:
            self.post_message(StartFailed(describe(exc, step, self.provider.secrets)))
            return
        self.post_message(StartDone(job))

    @on(StartProgress)
    def _progress(self, message: StartProgress) -> None:
        self.query_one("#start-step", Static).update(message.text)
        bar = self.query_one(ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done or 0)

    @on(StartFailed)
    def _failed(self, message: StartFailed) -> None:
        self.failed = True
        self.query_one("#start-error", Static).update(
            f"[red]✗ {message.text}[/red]\nNo job was started. Press Esc to go back."
        )

    @on(StartDone)
    def _done(self, message: StartDone) -> None:
        self.dismiss(message.job)

    def action_close(self) -> None:
        if self.failed:
            self.dismiss(None)
        else:
            self.notify("The job is being started; wait for it to finish.", timeout=3)
