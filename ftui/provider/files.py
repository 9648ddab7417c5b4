"""Uploading training files: /files for small ones, the /uploads API in parts for big ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import aiofiles
from openai import AsyncOpenAI
from openai.types import FileObject

from ftui.provider.errors import ProviderError

UPLOADS_THRESHOLD = 100 * 1024 * 1024
PART_SIZE = 64 * 1024 * 1024

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
            bytes=size, filename=path.name, mime_type="application/jsonl", purpose=purpose
        )  # type: ignore[arg-type]
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
