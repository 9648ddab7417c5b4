"""Files on the provider: upload (/files for small ones, the /uploads API in parts for big ones),
list, download, delete; duplicates by content; which jobs use a file."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiofiles

from ftui.api_facts import TERMINAL_STATUSES
from ftui.data.atomic import TEMP_MARK, AtomicFile, fit_name
from ftui.provider.errors import ProviderError
from ftui.textsafe import is_control

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types import FileObject as FileObject  # named by the CLI

UPLOADS_THRESHOLD = 100 * 1024 * 1024
PART_SIZE = 64 * 1024 * 1024
DOWNLOAD_CHUNK = 1 << 20

Progress = Callable[[int, int], None]


async def upload_file(
    client: AsyncOpenAI,
    path: Path,
    purpose: str = "fine-tune",
    progress: Progress | None = None,
    *,
    threshold: int = UPLOADS_THRESHOLD,
    part_size: int = PART_SIZE,
    wait: bool = True,
) -> FileObject:
    """Upload ``path``; ``progress(done_bytes, total_bytes)`` after each part. Waits until processed."""
    size = path.stat().st_size
    if progress:
        progress(0, size)
    if size <= threshold:
        async with aiofiles.open(path, "rb") as fh:
            data = await fh.read()
        file = await client.files.create(file=(path.name, data), purpose=purpose)  # type: ignore[arg-type]
        if progress:
            progress(size, size)
    else:
        upload = await client.uploads.create(
            bytes=size,
            filename=path.name,
            mime_type="application/jsonl",
            purpose=purpose,  # type: ignore[arg-type]  # the SDK's Literal: any purpose string is sent as is
        )
        part_ids: list[str] = []
        done = 0
        async with aiofiles.open(path, "rb") as fh:
            while chunk := await fh.read(part_size):
                part = await client.uploads.parts.create(upload_id=upload.id, data=chunk)
                part_ids.append(part.id)
                done += len(chunk)
                if progress:
                    progress(done, size)
        completed = await client.uploads.complete(upload_id=upload.id, part_ids=part_ids)
        if completed.file is None:
            raise ProviderError(f"The upload of {path.name} completed without a file.")
        file = completed.file
    return await wait_processed(client, file.id) if wait else file


async def wait_processed(client: AsyncOpenAI, file_id: str, timeout: float = 600.0) -> FileObject:
    """Poll until the provider has processed the file (a job cannot use it before)."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        file = await client.files.retrieve(file_id)
        if file.status == "processed":
            return file
        if file.status == "error":
            detail = getattr(file, "status_details", None) or "no details given"
            raise ProviderError(f"The provider could not process {file.filename}: {detail}.")
        if time.monotonic() > deadline:
            raise ProviderError(f"{file.filename} was still {file.status} after {timeout:.0f} s.")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 5.0)


# -- listing, downloading, deleting -------------------------------------------------------------
async def list_files(client: AsyncOpenAI, purpose: str | None = None, page_size: int = 100) -> list[FileObject]:
    """Every file of the provider (all pages), newest first.

    Azure's files list (api-version 2024-10-21) takes ``purpose`` only and answers all files in
    one page: one request, no ``limit`` or ``after``."""
    from ftui.provider.client import is_azure_client
    from ftui.provider.pages import collect

    kwargs: dict[str, Any] = {"purpose": purpose} if purpose else {}
    if is_azure_client(client):
        return list((await client.files.list(**kwargs)).data)
    return await collect(client.files.list(limit=page_size, **kwargs), "files")


def local_name(filename: str | None, fallback: str) -> str:
    """A name to save a provider's file under, from the name the server sent: its last path part
    only (``/`` and ``\\`` both split), without control characters, never one ftui would take
    for its own temp file, and at most 255 bytes (the extension kept); ``fallback`` (the file id)
    when nothing usable is left. A server's name never chooses the folder a download goes to."""
    last = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in last if not is_control(ch)).strip().replace(TEMP_MARK, "-ftui-tmp-")
    return fallback if name in ("", ".", "..") else fit_name(name)


async def download_file(client: AsyncOpenAI, file_id: str, dest: Path, progress: Progress | None = None) -> int:
    """Stream the file's content to ``dest`` atomically (a temp file beside it, renamed when
    whole); returns the number of bytes written. A missing folder is an error, never made.

    The temp file names this process: one left by a download that was killed (kill -9, power)
    is removed by the next write into that folder. ``progress(done_bytes, total_bytes or 0)``
    after each piece. The one download helper: every command that saves a file uses it."""
    out = await asyncio.to_thread(AtomicFile, Path(dest))
    try:
        async with client.files.with_streaming_response.content(file_id) as response:
            total = int(response.headers.get("content-length") or 0)
            async for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                await asyncio.to_thread(out.write, chunk)
                if progress:
                    progress(out.size, total)
        await asyncio.to_thread(out.commit)
    except BaseException:
        await asyncio.shield(asyncio.to_thread(out.abort))
        raise
    return out.size


async def delete_file(client: AsyncOpenAI, file_id: str) -> bool:
    """Delete a file; True when the provider says it is gone."""
    result = await client.files.delete(file_id)
    return bool(result.deleted)


# -- duplicates ---------------------------------------------------------------------------------
def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 of a local file, read in pieces (blocking: run it in a thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def find_duplicate(
    path: Path, files: Iterable[FileObject], uploaded: Mapping[str, str], sha256: str | None = None
) -> FileObject | None:
    """An existing file with the same content as ``path``: same size, and the sha256 ftui kept
    when it uploaded that file (``uploaded``: file id -> sha256). Files that failed processing
    are never offered. Hashes the local file only when some size matches (blocking)."""
    size = Path(path).stat().st_size
    listed = list(files)
    candidates = [
        (f.created_at, -i, f)
        for i, f in enumerate(listed)
        if f.bytes == size and f.id in uploaded and f.status != "error"
    ]
    if not candidates:
        return None
    digest = sha256 or file_sha256(Path(path))
    same = [c for c in candidates if uploaded[c[2].id] == digest]
    return min(same, key=lambda c: c[:2])[2] if same else None  # the oldest copy (lists come newest first)


async def existing_copy(client: AsyncOpenAI, path: Path, uploaded: Mapping[str, str]) -> tuple[FileObject | None, str]:
    """Before an upload: the provider's file with the same content as ``path`` (None when there
    is none, or the files could not be listed), and the local sha256 (for ``remember_upload``)."""
    digest = await asyncio.to_thread(file_sha256, Path(path))
    try:
        files = await list_files(client)
    except Exception:  # the check is a saving, never a reason not to upload
        return None, digest
    found = await asyncio.to_thread(find_duplicate, Path(path), files, uploaded, digest)
    return found, digest


def duplicates(files: Iterable[FileObject], uploaded: Mapping[str, str]) -> dict[str, str]:
    """Files whose content another listed file already has: duplicate id -> the oldest copy's id."""
    groups: dict[tuple[int, str], list[tuple[int, int, str]]] = {}
    for i, f in enumerate(files):  # newest first: a later place in the list is older
        if f.id in uploaded:
            groups.setdefault((f.bytes, uploaded[f.id]), []).append((f.created_at, -i, f.id))
    out: dict[str, str] = {}
    for same in groups.values():
        if len(same) > 1:
            same.sort()
            out.update({file_id: same[0][2] for _, _, file_id in same[1:]})
    return out


# -- which jobs use a file ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FileUse:
    """One job that uses a file: as its ``training`` or ``validation`` file, or wrote it (``results``)."""

    job_id: str
    role: str
    status: str

    @property
    def active(self) -> bool:
        """The job has not ended: it still needs the file."""
        return self.status not in TERMINAL_STATUSES


def jobs_using(file_id: str, jobs: Iterable[Any]) -> list[FileUse]:
    """The jobs (FineTuningJob objects) that use ``file_id`` as training or validation file (or
    made it: ``results``)."""
    return uses_by_file(jobs).get(file_id, [])


def uses_by_file(jobs: Iterable[Any]) -> dict[str, list[FileUse]]:
    """File id -> the jobs that use it, for a whole list of jobs at once."""
    out: dict[str, list[FileUse]] = {}
    for job in jobs:
        roles = [("training", job.training_file), ("validation", job.validation_file)]
        roles += [("results", f) for f in getattr(job, "result_files", None) or []]
        for role, file_id in roles:
            if file_id:
                out.setdefault(file_id, []).append(FileUse(job.id, role, str(job.status)))
    return out
