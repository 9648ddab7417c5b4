"""The Files tab's talks with the provider: each worker posts a message with what it got
(``ftui.tui.files.messages``) and never touches a widget; the tab's handlers do."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widget import Widget
from textual.worker import get_current_worker

from ftui import state
from ftui.tui.files.messages import (
    Deleted,
    Downloaded,
    FilesListed,
    ListFailed,
    ModelsListed,
    UploadChecked,
    UploadEnded,
    UploadProgress,
)

if TYPE_CHECKING:
    from ftui.session import Session

JOBS_LIMIT = 500  # the newest jobs read to tell which files they use


class FilesWork(Widget):
    """The Files tab's workers (the tab is a FilesWork): it gives them ``session`` and the lists."""

    session: Session
    files_loaded: bool
    jobs: list[Any]
    uploaded: dict[str, str]

    def _client(self) -> Any:
        provider = self.session.provider
        if provider is None:
            raise RuntimeError("not connected")
        return provider.client

    def _describe(self, exc: BaseException, action: str) -> str:
        from ftui.provider.errors import describe

        provider = self.session.provider
        return describe(exc, action, provider.secrets if provider else ())

    # -- workers: they post messages, never touch widgets --------------------------------------
    @work(group="files-list", exit_on_error=False)
    async def _load_files(self) -> None:
        from ftui.provider.files import list_files
        from ftui.provider.jobs import list_jobs

        client = self._client()
        try:
            files = await list_files(client)
        except Exception as exc:
            self.post_message(ListFailed("files", self._describe(exc, "Listing files")))
            return
        jobs: list[Any] = []
        jobs_error = None
        try:
            jobs = await list_jobs(client, limit=JOBS_LIMIT)
        except Exception as exc:
            jobs_error = self._describe(exc, "Listing jobs (to tell which use each file)")
        with contextlib.suppress(OSError):
            self.uploaded = await asyncio.to_thread(state.uploaded_files)
        self.post_message(FilesListed(files, jobs, jobs_error))

    @work(group="files-models", exit_on_error=False)
    async def _load_models(self) -> None:
        from ftui.provider.models import list_fine_tuned_models

        try:
            models = await list_fine_tuned_models(self._client(), self.jobs if self.files_loaded else None)
        except Exception as exc:
            self.post_message(ListFailed("models", self._describe(exc, "Listing fine-tuned models")))
            return
        self.post_message(ModelsListed(models))

    @work(thread=True, exclusive=True, group="files-check", exit_on_error=False)
    def _check_upload(self, path: Path, purpose: str, files: list[Any], uploaded: dict[str, str]) -> None:
        """The local check before an upload (blocking: a thread): a fine-tune JSONL file through the
        validation pipeline, then its sha256 against the files ftui uploaded."""
        from ftui.data.upload_check import check_for_upload, needs_check
        from ftui.data.validate import DatasetReadError, Stopped
        from ftui.provider.files import file_sha256, find_duplicate

        worker = get_current_worker()
        problem = note = None
        try:
            if needs_check(path, purpose):  # as `ftui files upload` checks: no model's rules, the file has none yet
                checked = check_for_upload(path, nice=True, cancelled=lambda: worker.is_cancelled)
                problem, note = checked.problem, checked.note
            sha = file_sha256(path)
            duplicate = find_duplicate(path, files, uploaded, sha256=sha)
        except Stopped:
            return
        except (DatasetReadError, OSError) as exc:
            self.post_message(UploadChecked(path, purpose, f"{path} cannot be read: {exc}", None, None))
            return
        self.post_message(UploadChecked(path, purpose, problem, duplicate, sha, note))

    @work(group="files-upload", exit_on_error=False)
    async def _upload(self, path: Path, purpose: str, sha256: str) -> None:
        from ftui.provider.errors import is_connection_error, is_storage_error, status_of
        from ftui.provider.files import upload_file

        name = path.name

        def progress(done: int, total: int) -> None:
            self.post_message(UploadProgress(name, done, total))

        try:
            file = await upload_file(self._client(), path, purpose, progress)
        except Exception as exc:
            status = status_of(exc)
            answered_no = status is not None and (status < 500 or is_storage_error(exc))  # a full disk: nothing stored
            if answered_no or not (status is not None or is_connection_error(exc)):
                self.post_message(UploadEnded(path, None, self._describe(exc, f"Uploading {name}")))
            else:  # a 5xx or no answer: the upload may have happened
                self.post_message(UploadEnded(path, None, self._unknown(name, exc)))
            return
        with contextlib.suppress(OSError):
            await asyncio.to_thread(state.remember_upload, file.id, sha256, path.stat().st_size, path)
        self.post_message(UploadEnded(path, file))

    def _unknown(self, name: str, exc: BaseException) -> str:
        """The upload may have reached the provider: never say "failed"; say how to check."""
        why = self._describe(exc, f"Uploading {name}")
        return f"{why} The file may have been stored anyway: ctrl+r lists the files; check before uploading again."

    @work(group="files-download", exit_on_error=False)
    async def _download(self, file_id: str, dest: Path, open_after: bool = False) -> None:
        from ftui.provider.files import download_file

        try:
            size = await download_file(self._client(), file_id, dest)
        except OSError as exc:
            from ftui.data.atomic import full_disk_text, is_disk_full

            why = full_disk_text(dest) if is_disk_full(exc) else exc.strerror or exc
            self.post_message(Downloaded(file_id, dest, 0, f"Could not write {dest}: {why}."))
            return
        except Exception as exc:
            self.post_message(Downloaded(file_id, dest, 0, self._describe(exc, f"Downloading {file_id}")))
            return
        self.post_message(Downloaded(file_id, dest, size, open_after=open_after))

    async def _delete_deployment(self, name: str) -> None:
        """Delete an Azure deployment (already gone counts as done); its errors are one sentence."""
        from ftui.config import ConfigError
        from ftui.provider.azure_deploy import DeployError
        from ftui.provider.errors import ProviderError

        provider = self.session.provider
        directory = provider.deployment_directory() if provider is not None else None
        if directory is None:
            raise ProviderError("This profile names no Azure resource, so it has no deployments to delete.")
        try:
            await directory.plane.delete_deployment(name)
        except (DeployError, ConfigError) as exc:
            raise ProviderError(str(exc)) from None

    @work(group="files-delete", exit_on_error=False)
    async def _delete(self, what: str, ident: str) -> None:
        from ftui.provider.files import delete_file
        from ftui.provider.models import delete_model

        provider = self.session.provider
        azure = provider is not None and provider.profile.provider == "azure"
        try:
            if what == "file":
                await delete_file(self._client(), ident)
            elif what == "deployment":
                await self._delete_deployment(ident)
            else:
                await delete_model(self._client(), ident, azure=azure)
        except Exception as exc:
            self.post_message(Deleted(what, ident, self._describe(exc, f"Deleting {ident}")))
            return
        if what == "file":
            with contextlib.suppress(OSError):
                await asyncio.to_thread(state.forget_upload, ident)
        self.post_message(Deleted(what, ident))
