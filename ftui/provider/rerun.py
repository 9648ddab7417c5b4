"""Running a job again elsewhere (`ftui jobs create --like JOB`, the Jobs tab's "Run again on…"):
what the original job was (read from a provider, or from an export folder), its base model as
the target provider names it, and its training bytes on this machine, ready to upload once.

The original's *resolved* hyperparameters are taken (what it trained with, never ``auto``), with
its method, suffix and seed. Plain Python: no Textual; the SDK only through the client given.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftui.data.catalog import load_catalog
from ftui.provider.files import file_sha256, local_name
from ftui.provider.jobs import JobRequest

if TYPE_CHECKING:
    from openai import AsyncOpenAI

HP_KEYS = ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")
HP_OPTIONS = {
    "n_epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate_multiplier": "--lr-multiplier",
    "beta": "--beta",
}
FILE_KINDS = ("training", "validation")


class RerunError(ValueError):
    """The job cannot be run again as asked; the message is one sentence saying what to do."""


@dataclass
class RerunSource:
    """The original job, as far as running it again needs it."""

    job_id: str
    model: str
    method: str
    hyperparameters: dict[str, Any]  # resolved values; "auto" only where the original has not resolved yet
    suffix: str | None
    seed: int | None
    files: dict[str, str]  # "training" / "validation" -> the original's file id
    where: str  # "profile work" or "export /path": for messages
    local: dict[str, Path] = field(default_factory=dict)  # from an export: kind -> the bytes on disk
    filenames: dict[str, str] = field(default_factory=dict)  # kind -> the original file's name

    def unresolved(self) -> list[str]:
        """The hyperparameters still ``auto`` (a job that has not started training yet)."""
        keys = [k for k in HP_KEYS if k != "beta" or self.method == "dpo"]
        return [k for k in keys if not _is_number(self.hyperparameters.get(k))]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _get(obj: Any, key: str) -> Any:
    """A field of an SDK object (declared or extra) or of a plain dict; None when absent."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    value = getattr(obj, key, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(key)
    return value


def job_suffix(job: Any) -> str | None:
    """The suffix the original was created with: the server's own field when it sends one
    (``user_provided_suffix``; Azure: ``suffix``), else read from an OpenAI model name
    ``ft:<base>:<org>:<suffix>:<id>``."""
    for key in ("user_provided_suffix", "suffix"):
        value = _get(job, key)
        if isinstance(value, str):
            return value or None
    name = _get(job, "fine_tuned_model")
    if isinstance(name, str) and name.startswith("ft:"):
        parts = name.split(":")
        if len(parts) >= 5 and parts[3]:
            return parts[3]
    return None


def resolved_hyperparameters(job: Any) -> tuple[str, dict[str, Any]]:
    """(method type, hyperparameters): the method's own values, else the job's top-level ones."""
    method = _get(job, "method")
    mtype = _get(method, "type") or "supervised"
    out: dict[str, Any] = {}
    top = _get(job, "hyperparameters")
    for key in HP_KEYS:
        value = _get(top, key)
        if value is not None:
            out[key] = value
    detail = _get(method, mtype)
    hp = _get(detail, "hyperparameters")
    for key in HP_KEYS:
        value = _get(hp, key)
        if value is not None and (_is_number(value) or key not in out):
            out[key] = value
    return str(mtype), out


def source_from_job(job: Any, where: str) -> RerunSource:
    """A job object (the SDK's, or the JSON a server sent) as the thing to run again."""
    mtype, hp = resolved_hyperparameters(job)
    files = {"training": _get(job, "training_file")}
    if _get(job, "validation_file"):
        files["validation"] = _get(job, "validation_file")
    seed = _get(job, "seed")
    return RerunSource(
        job_id=str(_get(job, "id")),
        model=str(_get(job, "model") or ""),
        method=mtype,
        hyperparameters=hp,
        suffix=job_suffix(job),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        files={k: str(v) for k, v in files.items() if v},
        where=where,
    )


def read_export_job(folder: Path, job_id: str) -> RerunSource:
    """The job ``job_id`` of an ``ftui export`` folder, with its files' bytes on disk (checked
    against the manifest's sha256). RerunError names the folder, the file or the field at fault.

    The manifest (``DIR/manifest.json``): ``{"files":[{"id","filename","purpose","bytes","sha256",
    "path"}], "jobs":[{"id","path",...}]}``, paths relative to DIR; a job's JSON at ``path`` is the
    server's job object."""
    folder = Path(folder)
    shown = str(folder)
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RerunError(f"--from: {shown} has no manifest.json; give a folder written by `ftui export`.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RerunError(f"--from: {manifest_path} cannot be read ({exc}).") from None
    if not isinstance(manifest, dict):
        raise RerunError(f"--from: {manifest_path} is not an object.")

    def inside(rel: Any, what: str) -> Path:
        if not isinstance(rel, str) or not rel:
            raise RerunError(f"--from: {manifest_path}: {what} has no path.")
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise RerunError(f"--from: {manifest_path}: {what}'s path {rel!r} leads outside the folder.")
        return path

    listed = manifest.get("jobs")
    jobs = listed if isinstance(listed, list) else []
    entry = next((j for j in jobs if isinstance(j, dict) and j.get("id") == job_id), None)
    if entry is None:
        raise RerunError(f"--from: the export in {shown} has no job {job_id}.")
    job_path = inside(entry.get("path"), f"job {job_id}")
    try:
        job = json.loads(job_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RerunError(f"--from: {job_path} cannot be read ({exc}).") from None
    if not isinstance(job, dict):
        raise RerunError(f"--from: {job_path} is not a job object.")
    source = source_from_job(job, f"export {shown}")
    files = {f.get("id"): f for f in manifest.get("files") or [] if isinstance(f, dict)}
    for kind, file_id in source.files.items():
        info = files.get(file_id)
        if info is None:
            raise RerunError(f"--from: the export in {shown} does not hold {kind} file {file_id} of job {job_id}.")
        path = inside(info.get("path"), f"file {file_id}")
        if not path.is_file():
            raise RerunError(f"--from: {path} ({kind} file {file_id}) is missing; run `ftui export` again.")
        digest = file_sha256(path)
        if isinstance(info.get("sha256"), str) and info["sha256"].lower() != digest:
            raise RerunError(f"--from: {path} does not have the sha256 the manifest gives; the export is damaged.")
        source.local[kind] = path
        source.filenames[kind] = local_name(info.get("filename"), file_id)
    return source


def target_model(source: RerunSource, provider: str, given: str | None, *, same_place: bool, target: str) -> str:
    """The base model on the target: ``--model`` when given, the same name when the job runs again
    where it came from, else the catalogue's mapping (OpenAI snapshot <-> Azure name). RerunError
    when there is none (a local server's own model names, a fine-tuned base model)."""
    if given:
        return given
    if same_place:
        return source.model
    mapped = load_catalog().name_on(source.model, provider)
    if mapped is None:
        raise RerunError(
            f"--model is required: ftui knows no name on profile {target} ({provider}) for {source.model}, "
            f"the base model of {source.job_id}; give the model to train there with --model."
        )
    return mapped


async def fetch_inputs(client: AsyncOpenAI, source: RerunSource, folder: Path) -> dict[str, Path]:
    """The original's training (and validation) bytes as files in ``folder``, under their original
    names: linked from an export, downloaded from the provider otherwise."""
    import asyncio

    out: dict[str, Path] = {}
    for kind, file_id in source.files.items():
        sub = folder / kind  # one folder per kind: both files may carry the same name
        sub.mkdir(parents=True, exist_ok=True)
        if kind in source.local:
            dest = sub / source.filenames.get(kind, source.local[kind].name)
            with contextlib.suppress(FileExistsError):
                os.symlink(source.local[kind], dest)
            out[kind] = dest
            continue
        info = await client.files.retrieve(file_id)
        dest = sub / local_name(info.filename, file_id)
        data = (await client.files.content(file_id)).content
        await asyncio.to_thread(dest.write_bytes, data)
        source.filenames[kind] = dest.name
        out[kind] = dest
    return out


def rerun_request(source: RerunSource, model: str, training_file: str, validation_file: str | None) -> JobRequest:
    """The new job: the original's method, resolved hyperparameters, suffix and seed on ``model``."""
    hp = source.hyperparameters
    return JobRequest(
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        method=source.method,
        n_epochs=hp.get("n_epochs", "auto"),
        batch_size=hp.get("batch_size", "auto"),
        learning_rate_multiplier=hp.get("learning_rate_multiplier", "auto"),
        beta=hp.get("beta", "auto"),
        suffix=source.suffix,
        seed=source.seed,
    )
