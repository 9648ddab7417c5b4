"""Messages that workers post; handlers on the Data tab own the state they carry."""

from __future__ import annotations

import threading
from array import array
from pathlib import Path

from textual.message import Message

from ftui.data.findings import Finding
from ftui.data.index import LineIndex
from ftui.data.validate import Report


class IndexReady(Message):
    """The file is indexed; ``drawn`` is set once the list has been drawn."""

    def __init__(
        self, path: Path, index: LineIndex, keep_line: int | None, drawn: threading.Event | None = None
    ) -> None:
        super().__init__()
        self.path, self.index, self.keep_line, self.drawn = path, index, keep_line, drawn


class ValidationProgress(Message):
    """One more range of the file is checked (in file order)."""

    def __init__(self, findings: list[Finding], line_tokens: array, done: int, total: int) -> None:
        super().__init__()
        self.findings, self.line_tokens, self.done, self.total = findings, line_tokens, done, total


class ValidationDone(Message):
    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


class LoadFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


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
    ) -> None:
        super().__init__()
        self.path, self.errors, self.warnings, self.progress = path, errors, warnings, progress
        self.model, self.report = model, report

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DatasetStatus)  # only the newest status matters
