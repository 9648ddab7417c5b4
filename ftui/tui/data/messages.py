"""Messages that workers post; handlers on the Data tab own the state they carry."""

from __future__ import annotations

import threading
from array import array
from pathlib import Path

from rich.console import RenderableType
from textual.message import Message

from ftui.data.findings import Finding
from ftui.data.index import LineIndex
from ftui.data.validate import Report
from ftui.tui.data.dataset import RowSummary


class IndexReady(Message):
    """The file is indexed; ``drawn`` is set once the list has been drawn. ``recheck``: the file
    changed on disk and only what changed is being checked; the known findings stay meanwhile.
    ``summaries``: the rows of the first screen, read with the index so the list draws them with it."""

    def __init__(
        self,
        path: Path,
        index: LineIndex,
        keep_line: int | None,
        drawn: threading.Event | None = None,
        recheck: bool = False,
        summaries: dict[int, RowSummary] | None = None,
    ) -> None:
        super().__init__()
        self.path, self.index, self.keep_line, self.drawn, self.recheck = path, index, keep_line, drawn, recheck
        self.summaries = summaries or {}


class ValidationProgress(Message):
    """One more range of the file is checked (in file order); ``done`` is the fraction checked."""

    def __init__(self, findings: list[Finding], line_tokens: array, line_messages: array, done: float) -> None:
        super().__init__()
        self.findings, self.line_tokens, self.line_messages, self.done = findings, line_tokens, line_messages, done


class ValidationDone(Message):
    """The whole file is checked: the report, and tokens and messages per line."""

    def __init__(self, report: Report, line_tokens: array, line_messages: array) -> None:
        super().__init__()
        self.report, self.line_tokens, self.line_messages = report, line_tokens, line_messages


class SummariesReady(Message):
    """Row summaries a thread read for ``dataset`` (the one open when it was asked)."""

    def __init__(self, dataset: object, summaries: dict[int, RowSummary]) -> None:
        super().__init__()
        self.dataset, self.summaries = dataset, summaries


class ExampleReady(Message):
    """The selected line, drawn by a thread, for ``dataset`` and ``line``: ``renderable``, and
    its ``lines`` laid out ``width`` cells wide (None: lay it out on arrival)."""

    def __init__(
        self,
        dataset: object,
        line: int,
        raw: bool,
        renderable: RenderableType,
        lines: list | None = None,
        width: int = 0,
    ) -> None:
        super().__init__()
        self.dataset, self.line, self.raw, self.renderable = dataset, line, raw, renderable
        self.lines, self.width = lines, width


class ExamplesPrefetched(Message):
    """Rows beside the shown one, read and laid out ahead by a thread: each drawing with the
    findings it was drawn with."""

    def __init__(self, dataset: object, drawn: list[tuple[ExampleReady, list[Finding]]]) -> None:
        super().__init__()
        self.dataset, self.drawn = dataset, drawn


class LoadFailed(Message):
    """Reading failed; ``path``: the file being opened could not be shown at all."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__()
        self.message = message
        self.path = path


class FilterReady(Message):
    def __init__(self, rows: list[int] | None, text: str) -> None:
        super().__init__()
        self.rows, self.text = rows, text


class DatasetStatus(Message):
    """The Data tab tells the app what is open: the top bar's counts, and for the session the
    file, the base model it is checked against, and the full report once checked."""

    def __init__(
        self,
        path: Path | None,
        errors: int,
        warnings: int,
        progress: float,
        *,
        model: str | None = None,
        report: Report | None = None,
        failed: bool = False,
    ) -> None:
        super().__init__()
        self.path, self.errors, self.warnings, self.progress = path, errors, warnings, progress
        self.model, self.report, self.failed = model, report, failed

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DatasetStatus)  # only the newest status matters
