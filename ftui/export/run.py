"""``ftui export DIR``: copy everything a provider holds into a folder, resumably and idempotently.

Every list goes through the provider's guarded listers (a server that repeats pages stops the
export with one sentence). Each download streams into ``DIR/.partial/``, is checked by size
(against what the provider lists) and sha256 (read back from the disk), fsynced, and only then
renamed into place: a killed run leaves nothing torn outside ``.partial``, which the next run
empties first. A file already in place with the size listed and the sha256 the last manifest
holds is not fetched again; a job that had ended and whose JSON is unchanged is not asked for
its events again; a file whose bytes would not change is never rewritten, nor is the manifest
when nothing in it changed but the time. No Textual: the CLI and the TUI both drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ftui.api_facts import TERMINAL_STATUSES
from ftui.export.manifest import (
    MANIFEST,
    PARTIAL,
    FileEntry,
    JobEntry,
    Manifest,
    Missing,
    file_rel,
    job_rel,
)

try:
    import fcntl
except ImportError:  # pragma: no cover (not on Windows)
    fcntl = None  # type: ignore[assignment]

ATTEMPTS = 3  # a download whose connection drops, or whose size is wrong, is tried this often


class ExportError(Exception):
    """The export cannot run at all (the folder cannot be written, another export holds it)."""


@dataclass
class Progress:
    """Where an export stands: items and bytes, and the rate of the bytes fetched."""

    phase: str = "listing"
    files_done: int = 0
    files_total: int = 0
    jobs_done: int = 0
    jobs_total: int = 0
    bytes_fetched: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Bytes fetched per second so far."""
        return self.bytes_fetched / max(time.monotonic() - self.started, 1e-3)

    def line(self) -> str:
        """'files 3/10 · jobs 2/5 · 1.2 MB fetched at 3.4 MB/s'."""
        if self.phase == "listing":
            return "listing files and jobs…"
        return (
            f"files {self.files_done}/{self.files_total} · jobs {self.jobs_done}/{self.jobs_total} · "
            f"{human_bytes(self.bytes_fetched)} fetched at {human_bytes(self.rate)}/s"
            + (f" · {self.phase}" if self.phase not in ("files", "jobs") else "")
        )


def counted(n: int, word: str) -> str:
    """'1 file', '3 files'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def human_bytes(n: float) -> str:
    """1234567 -> '1.2 MB'."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


@dataclass
class ExportResult:
    """What one run did: the manifest now on disk, what it wrote, and what is missing."""

    root: Path
    manifest: Manifest
    written: list[str]
    fetched_bytes: int

    @property
    def complete(self) -> bool:
        return self.manifest.complete

    def counts(self) -> str:
        """'3 files, 1 job, 4 models' (and the deployments when there are any)."""
        m = self.manifest
        out = [counted(len(m.files), "file"), counted(len(m.jobs), "job"), counted(len(m.models), "model")]
        if m.deployments:
            out.append(counted(len(m.deployments), "deployment"))
        return ", ".join(out)

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` summary."""
        m = self.manifest
        return {
            "dir": str(self.root),
            "complete": m.complete,
            "files": len(m.files),
            "jobs": len(m.jobs),
            "models": len(m.models),
            "deployments": len(m.deployments),
            "written": self.written,
            "fetched_bytes": self.fetched_bytes,
            "missing": [x.as_json() for x in m.missing],
        }


def _dump(obj: Any, *, indent: int | None = 2) -> bytes:
    """JSON bytes as ftui writes them into an export (the same value gives the same bytes)."""
    seps = (",", ":") if indent is None else None
    return (json.dumps(obj, ensure_ascii=False, indent=indent, separators=seps) + "\n").encode("utf-8")


def _plain(obj: Any) -> Any:
    """An SDK object as the JSON the server sent (extra fields kept, fields it left out left out)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", exclude_unset=True)
    return obj


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class Folder:
    """The export folder on disk: paths kept inside it, atomic writes through ``.partial``, the lock."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()
        self.partial = self.root / PARTIAL
        self.written: list[str] = []
        self._lock_fd: int | None = None

    def open(self) -> None:
        """Make the folder, take its lock, and empty ``.partial`` of what a killed run left."""
        try:
            self.partial.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.partial / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ExportError(f"Cannot write to {self.root}: {exc.strerror or exc}.") from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise ExportError(f"Another ftui export is writing to {self.root}; wait for it to end.") from None
        self._lock_fd = fd
        for entry in os.scandir(self.partial):
            if entry.name != "lock" and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def path(self, rel: str) -> Path:
        """``rel`` under the root; never a path outside it (whatever a server named things)."""
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ExportError(f"Refusing to write {rel!r}: it would land outside {self.root}.")
        return path

    def temp(self, hint: str) -> Path:
        return self.partial / f"{hint[:60]}.{uuid.uuid4().hex[:12]}.part"

    def place(self, tmp: Path, rel: str) -> None:
        """Move a finished, fsynced temp file into place (atomic), and note it as written."""
        path = self.path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self.written.append(rel)

    def put(self, rel: str, data: bytes) -> bool:
        """Write ``data`` at ``rel`` unless the file already holds exactly it; True when written."""
        path = self.path(rel)
        with contextlib.suppress(OSError):
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return False
        tmp = self.temp(path.name)
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            self.place(tmp, rel)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return True

    def read_json(self, rel: str) -> Any:
        """The JSON at ``rel``, or None when it is missing or unreadable."""
        try:
            return json.loads(self.path(rel).read_bytes())
        except (OSError, ValueError, ExportError):
            return None


class Exporter:
    """One export run of one provider into one folder (see the module's docstring)."""

    def __init__(
        self,
        client: Any,
        root: Path,
        *,
        profile: str,
        provider: str,
        deployments: Callable[[], Awaitable[list[Any]]] | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.client = client
        self.folder = Folder(root)
        self.profile, self.provider = profile, provider
        self._deployments = deployments
        self._progress = progress
        self.state = Progress()
        self.missing: list[Missing] = []
        self._missed_before: set[str] = set()

    def _tell(self, phase: str | None = None) -> None:
        if phase:
            self.state.phase = phase
        if self._progress is not None:
            self._progress(self.state)

    async def run(self) -> ExportResult:
        """Export everything; ``ExportError`` when the folder cannot be used, the SDK's errors
        (and ``PagingStuck``) when the provider cannot be read at all."""
        await asyncio.to_thread(self.folder.open)
        try:
            return await self._run()
        finally:
            self.folder.close()

    async def _run(self) -> ExportResult:
        from ftui.provider.files import list_files
        from ftui.provider.jobs import list_jobs

        old_raw = self.folder.read_json(MANIFEST)
        old = _old_manifest(old_raw)
        self._tell("listing")
        files = await list_files(self.client)
        jobs = await list_jobs(self.client, 0)
        files += await self._referenced(files, jobs, old)
        self.state.files_total, self.state.jobs_total = len(files), len(jobs)
        self._tell("files")
        old_files = {f.id: f for f in old.files} if old else {}
        entries = []
        for file in files:
            entry = await self._file(file, old_files.get(file.id))
            if entry is not None:
                entries.append(entry)
            self.state.files_done += 1
            self._tell()
        entries += await self._kept(files, old_files)
        self._tell("jobs")
        old_jobs = {j.id: j for j in old.jobs} if old else {}
        self._missed_before = {m.id for m in old.missing} if old else set()
        job_entries: list[JobEntry] = []
        checkpoints: list[Any] = []
        for job in jobs:
            job_entry, points = await self._job(job, old_jobs.get(job.id))
            job_entries.append(job_entry)
            checkpoints += points
            self.state.jobs_done += 1
            self._tell()
        self._tell("models")
        models = await self._models(jobs, checkpoints)
        self._tell("deployments")
        deployments = await self._list_deployments()
        manifest = Manifest(
            profile=self.profile,
            provider=self.provider,
            exported_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            complete=not self.missing,
            files=entries,
            jobs=job_entries,
            models=models,
            deployments=deployments,
            missing=self.missing,
        )
        self._write_manifest(manifest, old_raw)
        self._tell("done")
        return ExportResult(self.folder.root, manifest, self.folder.written, self.state.bytes_fetched)

    # -- files ----------------------------------------------------------------------------------
    async def _referenced(self, files: list[Any], jobs: Iterable[Any], old: Manifest | None) -> list[Any]:
        """Files the jobs name that the list left out: asked for one by one (a 404 is missing,
        unless an earlier export holds the file: then that copy stands)."""
        from ftui.provider.content import is_refusal, requestable, retrieve_file
        from ftui.provider.errors import describe

        listed = {f.id for f in files}
        kept = {f.id for f in old.files} if old else set()
        found: list[Any] = []
        for job in jobs:
            roles = [("training", job.training_file), ("validation", job.validation_file)]
            roles += [("results", f) for f in getattr(job, "result_files", None) or []]
            for role, file_id in roles:
                if not file_id or file_id in listed or not requestable(file_id):
                    continue
                listed.add(file_id)
                try:
                    found.append(await retrieve_file(self.client, file_id))
                except Exception as exc:
                    if not is_refusal(exc):
                        raise
                    if file_id in kept:
                        continue  # gone from the provider, but the last export has it
                    gone = getattr(exc, "status_code", None) == 404
                    why = "the provider has deleted it (404)" if gone else describe(exc, f"Fetching {file_id}")
                    self.missing.append(Missing("file", file_id, f"{why}; it is the {role} file of {job.id}"))
        return found

    async def _file(self, file: Any, old: FileEntry | None) -> FileEntry | None:
        """The file in place: kept when its copy checks out, else downloaded (None: missing)."""
        rel = file_rel(file.id, file.filename)
        path = self.folder.path(rel)
        listed = file.bytes if isinstance(file.bytes, int) and not isinstance(file.bytes, bool) else None
        entry = dict(id=file.id, filename=str(file.filename or ""), purpose=str(file.purpose or ""))
        entry |= dict(path=rel, created_at=getattr(file, "created_at", None))
        with contextlib.suppress(OSError):
            size = path.stat().st_size
            if listed is None or size == listed:
                sha = await asyncio.to_thread(_sha256, path)
                if old is None or (old.sha256 == sha and old.path == rel):
                    return FileEntry(bytes=size, sha256=sha, **entry)
        got = await self._download(file, rel, listed)
        return FileEntry(bytes=got[0], sha256=got[1], **entry) if got else None

    async def _download(self, file: Any, rel: str, listed: int | None) -> tuple[int, str] | None:
        """Stream the file into ``.partial``, check size and sha256, move it into place."""
        from ftui.provider.content import is_refusal, requestable, stream_content
        from ftui.provider.errors import describe, is_transient

        if not requestable(file.id):
            self.missing.append(Missing("file", file.id, "the server gave it an id no request can name"))
            return None
        problem = ""
        for attempt in range(ATTEMPTS):
            tmp = self.folder.temp(Path(rel).parent.name)
            digest = hashlib.sha256()
            try:
                with open(tmp, "wb") as fh:

                    def sink(piece: bytes, fh: Any = fh, digest: Any = digest) -> None:
                        fh.write(piece)
                        digest.update(piece)
                        self.state.bytes_fetched += len(piece)

                    size = await stream_content(self.client, file.id, sink)
                    fh.flush()
                    os.fsync(fh.fileno())
                on_disk = await asyncio.to_thread(_sha256, tmp)
                if listed is not None and size != listed:
                    problem = f"the provider sent {size:,} bytes but lists {listed:,}"
                elif on_disk != digest.hexdigest():
                    problem = "the bytes on disk differ from those received (sha256)"
                else:
                    await asyncio.to_thread(self.folder.place, tmp, rel)
                    return size, on_disk
            except Exception as exc:
                tmp.unlink(missing_ok=True)
                if is_refusal(exc):
                    gone = getattr(exc, "status_code", None) == 404
                    why = "the provider has deleted it (404)" if gone else describe(exc, f"Downloading {file.id}")
                    self.missing.append(Missing("file", file.id, why))
                    return None
                if not is_transient(exc) or attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            tmp.unlink(missing_ok=True)
        self.missing.append(Missing("file", file.id, f"{problem} (tried {ATTEMPTS} times)"))
        return None

    async def _kept(self, files: list[Any], old_files: dict[str, FileEntry]) -> list[FileEntry]:
        """Files of the last export that the provider no longer lists: their copies still stand."""
        listed = {f.id for f in files}
        out = []
        for entry in old_files.values():
            if entry.id in listed:
                continue
            with contextlib.suppress(OSError, ExportError):
                path = self.folder.path(entry.path)
                if path.stat().st_size == entry.bytes and await asyncio.to_thread(_sha256, path) == entry.sha256:
                    out.append(dataclasses.replace(entry, on_provider=False))
        return out

    # -- jobs -----------------------------------------------------------------------------------
    async def _job(self, job: Any, old: JobEntry | None) -> tuple[JobEntry, list[Any]]:
        """The job's JSON, events and checkpoints; an ended job seen before is not asked again."""
        from ftui.provider.content import is_refusal, requestable
        from ftui.provider.errors import describe
        from ftui.provider.events import fetch_events
        from ftui.provider.jobs import list_checkpoints

        base = job_rel(job.id)
        rels = (f"{base}/job.json", f"{base}/events.jsonl", f"{base}/checkpoints.json")
        changed = await asyncio.to_thread(self.folder.put, rels[0], _dump(_plain(job)))
        ended = str(job.status) in TERMINAL_STATUSES
        again = old is None or not ended or changed or job.id in self._missed_before
        saved = None if again else self.folder.read_json(rels[2])
        if isinstance(saved, list) and await asyncio.to_thread(self._events_intact, rels[1], old):
            assert old is not None
            blank = {"fine_tuned_model_checkpoint": None, "fine_tuning_job_id": job.id, "created_at": None}
            kept = [SimpleNamespace(**{**blank, **c}) for c in saved if isinstance(c, dict)]
            return dataclasses.replace(old, status=str(job.status)), kept
        events: list[dict[str, Any]] = []
        points: list[Any] = []
        if not requestable(job.id):
            self.missing.append(Missing("events", job.id, "the server gave the job an id no request can name"))
        else:
            what = "events"
            try:
                events = await fetch_events(self.client, job.id)
                what = "checkpoints"
                points = await list_checkpoints(self.client, job.id)
            except Exception as exc:
                if not is_refusal(exc):
                    raise
                self.missing.append(Missing(what, job.id, describe(exc, f"Listing the {what} of {job.id}")))
        events.reverse()  # the API sends newest first; the file reads oldest first
        body = b"".join(_dump(e, indent=None) for e in events)
        await asyncio.to_thread(self.folder.put, rels[1], body)
        await asyncio.to_thread(self.folder.put, rels[2], _dump([_plain(c) for c in points]))
        entry = JobEntry(job.id, rels[0], rels[1], len(events), rels[2], len(points), str(job.status))
        return entry, points

    def _events_intact(self, rel: str, old: JobEntry | None) -> bool:
        """The events file holds the whole lines the last manifest counted."""
        if old is None:
            return False
        try:
            data = self.folder.path(rel).read_bytes()
        except (OSError, ExportError):
            return False
        return (not data or data.endswith(b"\n")) and data.count(b"\n") == old.events

    # -- models and deployments -----------------------------------------------------------------
    async def _models(self, jobs: list[Any], checkpoints: list[Any]) -> list[dict[str, Any]]:
        from ftui.provider.content import is_refusal, list_models
        from ftui.provider.errors import describe
        from ftui.provider.models import build_models

        try:
            listed = await list_models(self.client)
        except Exception as exc:
            if not is_refusal(exc):
                raise
            self.missing.append(Missing("models", "", describe(exc, "Listing models")))
            listed = []
        models = await asyncio.to_thread(build_models, listed, jobs, checkpoints)
        out = [{**dataclasses.asdict(m), "kind": m.kind} for m in models]
        await asyncio.to_thread(self.folder.put, "models.json", _dump(out))
        return out

    async def _list_deployments(self) -> list[dict[str, Any]]:
        if self._deployments is None:
            return []
        from ftui.config import ConfigError
        from ftui.provider.azure_deploy import DeployError

        try:
            items = await self._deployments()
        except (DeployError, ConfigError) as exc:
            self.missing.append(Missing("deployments", "", str(exc)))
            return []
        out = [d.as_json() for d in items]
        raw = [d.raw or d.as_json() for d in items]
        await asyncio.to_thread(self.folder.put, "deployments.json", _dump(raw))
        return out

    def _write_manifest(self, manifest: Manifest, old_raw: Any) -> None:
        """Write the manifest, unless only its time would change (a second run rewrites nothing)."""
        new = manifest.as_json()
        if isinstance(old_raw, dict) and {**old_raw, "exported_at": ""} == {**new, "exported_at": ""}:
            return
        self.folder.put(MANIFEST, _dump(new))


def _old_manifest(raw: Any) -> Manifest | None:
    if raw is None:
        return None
    try:
        return Manifest.from_json(raw)
    except (KeyError, TypeError, ValueError):
        return None  # not ours, or damaged: everything is checked again


__all__ = ["ExportError", "ExportResult", "Exporter", "Folder", "Progress", "counted", "human_bytes"]
