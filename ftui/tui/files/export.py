"""The Files tab's "Export everything…": ask for a folder, run the same exporter as `ftui export`
in a worker, and show its progress (items, bytes, rate) and its outcome on the status line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widget import Widget

from ftui.textsafe import safe
from ftui.tui.widgets.dialogs import AskScreen

if TYPE_CHECKING:
    from ftui.export.run import ExportResult
    from ftui.session import Session


class ExportProgress(Message):
    """A line of progress from a running export."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class ExportEnded(Message):
    """An export ended: its result, or the sentence saying why it could not run."""

    def __init__(self, root: Path, result: ExportResult | None, error: str | None = None) -> None:
        super().__init__()
        self.root, self.result, self.error = root, result, error


def outcome(root: Path, result: ExportResult) -> Text:
    """'Exported everything to DIR: 3 files, 2 jobs, 4 models.' or what is missing, in red."""
    m = result.manifest
    counts = result.counts()
    if m.complete:
        return Text(safe(f"✓ Exported everything to {root}: {counts} ({len(result.written)} written)."), style="green")
    listed = "; ".join(f"{x.kind} {x.id}: {x.reason}" if x.id else f"{x.kind}: {x.reason}" for x in m.missing[:3])
    more = f" and {len(m.missing) - 3} more (see manifest.json)" if len(m.missing) > 3 else ""
    text = f"✗ Exported to {root}, but {len(m.missing)} missing: {listed}{more}. Run it again once they are back."
    return Text(safe(text), style="red")


class ExportWork(Widget):
    """The Files tab's export (the tab is an ExportWork): it gives ``session``, ``busy`` and the status line."""

    session: Session
    busy: str | None

    if TYPE_CHECKING:  # the tab's own, and FilesWork's

        def _set_status(self, text: str | Text, *, problem: bool = False) -> None: ...

        def _describe(self, exc: BaseException, action: str) -> str: ...

    def action_export(self) -> None:
        """Ask for a folder, then export everything into it (a folder exported before is brought up to date)."""
        provider = self.session.provider
        if provider is None or self.busy:
            return
        suggested = Path.cwd() / f"ftui-export-{provider.profile.name}"

        def chosen(value: str | None) -> None:
            if not value or not value.strip():
                return
            root = Path(value.strip()).expanduser()
            self.busy = f"Exporting to {root}"
            self._set_status(Text(safe(f"Exporting everything to {root}…"), style="yellow"))
            self._export(root)

        prompt = (
            "Every file, job (with its events and checkpoints), model and deployment goes into this folder, "
            "with manifest.json. A folder exported before gets only what is new or changed."
        )
        self.app.push_screen(AskScreen("Export everything", prompt, str(suggested)), chosen)

    @work(group="files-export", exclusive=True, exit_on_error=False)
    async def _export(self, root: Path) -> None:
        from ftui.export.run import Exporter, ExportError, Progress

        provider = self.session.provider
        if provider is None:
            return
        directory = provider.deployment_directory()

        def progress(state: Progress) -> None:
            self.post_message(ExportProgress(state.line()))

        exporter = Exporter(
            provider.client,
            root,
            profile=provider.profile.name,
            provider=provider.profile.provider,
            deployments=directory.refresh if directory is not None else None,
            progress=progress,
        )
        try:
            result = await exporter.run()
        except ExportError as exc:
            self.post_message(ExportEnded(root, None, str(exc)))
        except Exception as exc:
            self.post_message(ExportEnded(root, None, self._describe(exc, f"Exporting to {root}")))
        else:
            self.post_message(ExportEnded(root, result))

    def on_export_progress(self, message: ExportProgress) -> None:
        if self.busy and self.busy.startswith("Exporting"):
            self._set_status(Text(safe(f"Exporting: {message.line}", one_line=True), style="yellow"))

    def on_export_ended(self, message: ExportEnded) -> None:
        self.busy = None
        if message.result is None:
            self._set_status(
                Text("✗ " + safe(message.error or "The export did not finish."), style="red"), problem=True
            )
            return
        self._set_status(outcome(message.root, message.result), problem=not message.result.complete)


__all__ = ["ExportEnded", "ExportProgress", "ExportWork", "outcome"]
