"""The export folder of ``ftui export DIR``: its layout, and a reader with typed accessors.

Layout (every path in the manifest is relative to DIR)::

    DIR/manifest.json                      what is here (below), written last, atomically
    DIR/files/<file id>/<file name>        each file's bytes, as the provider holds them
    DIR/jobs/<job id>/job.json             the job object as the server returned it
    DIR/jobs/<job id>/events.jsonl         all its events, oldest first, one JSON object a line
    DIR/jobs/<job id>/checkpoints.json     its checkpoints (a JSON list, newest first)
    DIR/models.json                        the fine-tuned models and checkpoints (with shutdown dates)
    DIR/deployments.json                   Azure only: the resource's deployments
    DIR/.partial/                          downloads in flight; emptied when an export starts

Ids and names from the server never choose a folder: each becomes one path component of
letters, digits, ``.``, ``_`` and ``-`` (anything else, or a changed name, gets a short hash
so two ids never share a folder).

    export = ExportDir.open(Path("backup"))
    job = export.job("ftjob-abc")
    job.hyperparameters, job.method, job.suffix, job.seed       # from the job's JSON
    export.file_path(job.training_file)                         # Path to its bytes, or None

No Textual, no SDK, no network: it reads the folder only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
PARTIAL = ".partial"
FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
NAME_BYTES = 200  # a file name is cut to this many bytes (file systems allow 255)


class ExportReadError(Exception):
    """The folder is not a readable ftui export: one sentence naming the path and what is wrong."""


def component(text: str) -> str:
    """One safe path component for an id: ``[A-Za-z0-9._-]`` only, never hidden, ``.`` or ``..``;
    any change adds a short hash of the original so different ids stay apart."""
    clean = _UNSAFE.sub("_", text)[:80]
    if clean != text or not clean or clean.startswith("."):
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        clean = f"{clean.lstrip('.') or 'id'}-{digest}"
    return clean


def file_name(filename: str | None, fallback: str) -> str:
    """The name a provider's file is saved under: its last path part without control characters,
    cut to ``NAME_BYTES`` (keeping the extension); ``fallback`` when nothing usable is left."""
    last = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in last if ch.isprintable() and ch not in "\x00").strip()
    if name in ("", ".", ".."):
        return fallback
    if len(name.encode("utf-8", "surrogatepass")) > NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        room = NAME_BYTES - len(ext.encode()) - 1
        stem = (stem if ext else name).encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore")
        name = f"{stem}.{ext}" if ext else stem
    return name


def file_rel(file_id: str, filename: str | None) -> str:
    """Where a file's bytes go, relative to DIR."""
    return f"files/{component(file_id)}/{file_name(filename, component(file_id))}"


def job_rel(job_id: str) -> str:
    """A job's folder, relative to DIR."""
    return f"jobs/{component(job_id)}"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class FileEntry:
    """One file of the export: its id on the provider, and where its checked bytes lie."""

    id: str
    filename: str
    purpose: str
    bytes: int
    sha256: str
    path: str
    created_at: int | None = None
    on_provider: bool = True  # False: the provider has since deleted it; the copy here is all there is

    def as_json(self) -> dict[str, Any]:
        out = {"id": self.id, "filename": self.filename, "purpose": self.purpose, "bytes": self.bytes}
        out |= {"sha256": self.sha256, "path": self.path, "created_at": self.created_at}
        return out | {"on_provider": self.on_provider}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FileEntry:
        return cls(
            id=str(raw["id"]),
            filename=str(raw.get("filename") or ""),
            purpose=str(raw.get("purpose") or ""),
            bytes=int(raw["bytes"]),
            sha256=str(raw["sha256"]),
            path=str(raw["path"]),
            created_at=_int(raw.get("created_at")),
            on_provider=raw.get("on_provider") is not False,
        )


@dataclass(frozen=True)
class JobEntry:
    """One job of the export: where its JSON, events and checkpoints lie, and the job itself
    (``raw``: the JSON the server returned, read from ``path`` by ``ExportDir.job``)."""

    id: str
    path: str
    events_path: str
    events: int
    checkpoints_path: str
    checkpoints: int
    status: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        out = {"id": self.id, "path": self.path, "events_path": self.events_path, "events": self.events}
        return out | {"checkpoints_path": self.checkpoints_path, "checkpoints": self.checkpoints, "status": self.status}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> JobEntry:
        return cls(
            id=str(raw["id"]),
            path=str(raw["path"]),
            events_path=str(raw["events_path"]),
            events=int(raw.get("events") or 0),
            checkpoints_path=str(raw.get("checkpoints_path") or ""),
            checkpoints=int(raw.get("checkpoints") or 0),
            status=str(raw.get("status") or ""),
        )

    # -- the job's own facts, from its JSON (``raw``) -----------------------------------------
    @property
    def model(self) -> str | None:
        """The base model the job trained (as the server named it)."""
        return _str(self.raw.get("model"))

    @property
    def fine_tuned_model(self) -> str | None:
        return _str(self.raw.get("fine_tuned_model"))

    @property
    def training_file(self) -> str | None:
        return _str(self.raw.get("training_file"))

    @property
    def validation_file(self) -> str | None:
        return _str(self.raw.get("validation_file"))

    @property
    def result_files(self) -> list[str]:
        files = self.raw.get("result_files")
        return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []

    @property
    def method(self) -> str:
        """``supervised``, ``dpo`` or ``reinforcement`` (``supervised`` when the server sent none)."""
        method = self.raw.get("method")
        kind = method.get("type") if isinstance(method, dict) else None
        return kind if isinstance(kind, str) and kind else "supervised"

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The resolved hyperparameters: the method's own, over the job's top-level ones."""
        out: dict[str, Any] = {}
        top = self.raw.get("hyperparameters")
        if isinstance(top, dict):
            out.update({k: v for k, v in top.items() if v is not None})
        method = self.raw.get("method")
        detail = method.get(self.method) if isinstance(method, dict) else None
        inner = detail.get("hyperparameters") if isinstance(detail, dict) else None
        if isinstance(inner, dict):
            out.update({k: v for k, v in inner.items() if v is not None})
        return out

    @property
    def suffix(self) -> str | None:
        """The suffix the job was created with: ``user_provided_suffix`` when the server sends it,
        else the suffix part of an OpenAI model name (``ft:<base>:<org>:<suffix>:<id>``)."""
        given = _str(self.raw.get("user_provided_suffix")) or _str(self.raw.get("suffix"))
        if given:
            return given
        parts = (self.fine_tuned_model or "").split(":")
        return parts[3] or None if len(parts) == 5 and parts[0] == "ft" else None

    @property
    def seed(self) -> int | None:
        return _int(self.raw.get("seed"))

    @property
    def metadata(self) -> dict[str, str]:
        meta = self.raw.get("metadata")
        return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}

    @property
    def integrations(self) -> list[dict[str, Any]]:
        items = self.raw.get("integrations")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


@dataclass(frozen=True)
class Missing:
    """Something the export could not hold, and why (one sentence)."""

    kind: str  # "file", "events", "checkpoints", "models", "deployments"
    id: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Manifest:
    """``DIR/manifest.json`` as typed entries."""

    profile: str
    provider: str
    exported_at: str
    complete: bool
    files: list[FileEntry]
    jobs: list[JobEntry]
    models: list[dict[str, Any]]
    deployments: list[dict[str, Any]]
    missing: list[Missing] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "profile": self.profile,
            "provider": self.provider,
            "exported_at": self.exported_at,
            "complete": self.complete,
            "files": [f.as_json() for f in self.files],
            "jobs": [j.as_json() for j in self.jobs],
            "models": self.models,
            "deployments": self.deployments,
            "missing": [m.as_json() for m in self.missing],
        }

    @classmethod
    def from_json(cls, raw: Any) -> Manifest:
        """KeyError / TypeError / ValueError on a document of another shape."""
        if not isinstance(raw, dict):
            raise TypeError("not an object")
        return cls(
            profile=str(raw.get("profile") or ""),
            provider=str(raw.get("provider") or ""),
            exported_at=str(raw.get("exported_at") or ""),
            complete=bool(raw.get("complete")),
            files=[FileEntry.from_json(f) for f in raw.get("files") or []],
            jobs=[JobEntry.from_json(j) for j in raw.get("jobs") or []],
            models=[m for m in raw.get("models") or [] if isinstance(m, dict)],
            deployments=[d for d in raw.get("deployments") or [] if isinstance(d, dict)],
            missing=[Missing(str(m["kind"]), str(m["id"]), str(m["reason"])) for m in raw.get("missing") or []],
        )


def read_manifest(root: Path) -> Manifest:
    """The manifest of the export at ``root`` (ExportReadError, one sentence, when it cannot be read)."""
    path = Path(root) / MANIFEST
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ExportReadError(
            f"{path} does not exist: {root} is not an ftui export (run `ftui export {root}`)."
        ) from None
    except OSError as exc:
        raise ExportReadError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise ExportReadError(f"{path} is not valid JSON ({exc}).") from None
    try:
        return Manifest.from_json(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ExportReadError(f"{path} is not an ftui export manifest ({type(exc).__name__}: {exc}).") from None


@dataclass
class ExportDir:
    """An export folder opened for reading: the manifest, and each entry's file by id."""

    root: Path
    manifest: Manifest

    @classmethod
    def open(cls, root: Path) -> ExportDir:
        """Read ``root/manifest.json`` (ExportReadError when it is not an export)."""
        return cls(Path(root), read_manifest(Path(root)))

    def inside(self, rel: str) -> Path:
        """``rel`` under the root; ExportReadError for a path that would leave it."""
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ExportReadError(f"{self.root / MANIFEST} names a path outside the export: {rel!r}.")
        return path

    def file(self, file_id: str) -> FileEntry | None:
        """The file entry of ``file_id`` (None when the export has none)."""
        return next((f for f in self.manifest.files if f.id == file_id), None)

    def file_path(self, file_id: str) -> Path | None:
        """Where the bytes of ``file_id`` lie (None when the export has none)."""
        entry = self.file(file_id)
        return self.inside(entry.path) if entry is not None else None

    def job_ids(self) -> list[str]:
        return [j.id for j in self.manifest.jobs]

    def job(self, job_id: str) -> JobEntry | None:
        """The job entry with its JSON read (``raw``), or None when the export has no such job."""
        entry = next((j for j in self.manifest.jobs if j.id == job_id), None)
        if entry is None:
            return None
        path = self.inside(entry.path)
        try:
            raw = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ExportReadError(f"Cannot read the job {job_id} at {path}: {exc}.") from None
        if not isinstance(raw, dict):
            raise ExportReadError(f"{path} does not hold a job object.")
        return JobEntry(**{**entry.__dict__, "raw": raw})

    def events(self, job_id: str) -> list[dict[str, Any]]:
        """The job's events, oldest first (empty when the export has no such job)."""
        entry = next((j for j in self.manifest.jobs if j.id == job_id), None)
        if entry is None:
            return []
        path = self.inside(entry.events_path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ExportReadError(f"Cannot read the events of {job_id} at {path}: {exc.strerror or exc}.") from None
        return [json.loads(line) for line in lines if line.strip()]


__all__ = [
    "MANIFEST",
    "PARTIAL",
    "ExportDir",
    "ExportReadError",
    "FileEntry",
    "JobEntry",
    "Manifest",
    "Missing",
    "component",
    "file_name",
    "file_rel",
    "job_rel",
    "read_manifest",
]
