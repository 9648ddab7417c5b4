"""Messages the Files tab's workers post (workers never touch widgets; the tab's handlers do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message


class FilesListed(Message):
    """Every file of the provider, newest first, with the jobs known to use them.

    ``jobs_error`` says why the jobs could not be listed (the "used by" column is then unknown)."""

    def __init__(self, files: list[Any], jobs: list[Any], jobs_error: str | None = None) -> None:
        super().__init__()
        self.files, self.jobs, self.jobs_error = files, jobs, jobs_error


class ModelsListed(Message):
    """The provider's fine-tuned models and checkpoints (``FineTunedModel``s), newest first."""

    def __init__(self, models: list[Any]) -> None:
        super().__init__()
        self.models = models


class ListFailed(Message):
    """Listing files (``what="files"``) or models failed; ``text`` is one sentence."""

    def __init__(self, what: str, text: str) -> None:
        super().__init__()
        self.what, self.text = what, text


class UploadChecked(Message):
    """The local check before an upload finished: ``problem`` says why not to upload (None: go
    ahead); ``duplicate`` is an existing file with the same content; ``sha256`` the local hash."""

    def __init__(
        self,
        path: Path,
        purpose: str,
        problem: str | None,
        duplicate: Any | None,
        sha256: str | None,
        note: str | None = None,
    ) -> None:
        super().__init__()
        self.path, self.purpose, self.problem, self.duplicate, self.sha256 = path, purpose, problem, duplicate, sha256
        self.note = note  # what depends on a model (a warning; the model is checked when a job uses the file)


class UploadProgress(Message):
    """``done`` of ``total`` bytes of ``name`` are sent."""

    def __init__(self, name: str, done: int, total: int) -> None:
        super().__init__()
        self.name, self.done, self.total = name, done, total


class UploadEnded(Message):
    """An upload ended: ``file`` is the new FileObject, or ``error`` says what happened."""

    def __init__(self, path: Path, file: Any | None, error: str | None = None) -> None:
        super().__init__()
        self.path, self.file, self.error = path, file, error


class Downloaded(Message):
    """A download ended: ``size`` bytes written to ``path``, or ``error``; ``open_after`` opens it
    in the Data tab."""

    def __init__(self, file_id: str, path: Path, size: int, error: str | None = None, open_after: bool = False) -> None:
        super().__init__()
        self.file_id, self.path, self.size, self.error, self.open_after = file_id, path, size, error, open_after


class Deleted(Message):
    """A delete ended (``what`` is "file" or "model"): ``error`` says why it did not."""

    def __init__(self, what: str, ident: str, error: str | None = None) -> None:
        super().__init__()
        self.what, self.ident, self.error = what, ident, error
