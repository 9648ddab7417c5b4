"""Fine-tuned models and checkpoints on the provider: list them with their job, base model and
shutdown date, and delete them (housekeeping: each kept model may cost money)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ftui.data.catalog import Catalog, load_catalog
from ftui.provider.errors import ProviderError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

_CKPT = re.compile(r":ckpt-step-(\d+)$")
CHECKPOINT_JOBS = 50  # at most this many succeeded jobs are asked for their checkpoints


@dataclass(frozen=True, slots=True)
class FineTunedModel:
    """One trained model (or a checkpoint of one) the provider keeps."""

    id: str
    base_model: str
    created: int | None = None
    job_id: str | None = None
    step: int | None = None  # set for a checkpoint
    shutdown_date: str | None = None
    shutdown_from_catalog: bool = False  # the server sent none: the date is the base model's, from models.toml
    owned_by: str | None = None

    @property
    def checkpoint(self) -> bool:
        return self.step is not None

    @property
    def kind(self) -> str:
        return "checkpoint" if self.checkpoint else "fine-tuned"


def is_trained_model(model_id: str) -> bool:
    """True for fine-tuned models and checkpoints (OpenAI ``ft:...``, Azure ``<base>.ft-<hex>``)."""
    return model_id.startswith("ft:") or ".ft-" in model_id or bool(_CKPT.search(model_id))


def checkpoint_step(model_id: str) -> int | None:
    """The step of a checkpoint model name (``...:ckpt-step-80``), None for other models."""
    match = _CKPT.search(model_id)
    return int(match.group(1)) if match else None


def _job_of(model_id: str, by_model: dict[str, Any]) -> Any | None:
    """The job that made a model: the job whose fine-tuned model it is, or whose model a checkpoint
    belongs to (``<model>:ckpt-step-N``)."""
    job = by_model.get(model_id)
    if job is None and (match := _CKPT.search(model_id)):
        job = by_model.get(model_id[: match.start()])
    return job


def build_models(
    models: Iterable[Any],
    jobs: Iterable[Any] = (),
    checkpoints: Iterable[Any] = (),
    catalog: Catalog | None = None,
) -> list[FineTunedModel]:
    """Combine the provider's model objects, jobs and job checkpoints into FineTunedModels, newest first.

    ``models``: SDK Model objects (only trained ones are kept); ``jobs``: FineTuningJob objects;
    ``checkpoints``: FineTuningJobCheckpoint objects (OpenAI does not list checkpoints in /models).
    """
    catalog = catalog or load_catalog()
    jobs = list(jobs)
    by_model = {job.fine_tuned_model: job for job in jobs if getattr(job, "fine_tuned_model", None)}
    by_id = {job.id: job for job in jobs}
    found: dict[str, tuple[Any, Any]] = {}  # model id -> (model object or None, job or None)
    for m in models:
        if is_trained_model(m.id):
            found[m.id] = (m, _job_of(m.id, by_model))
    for c in checkpoints:
        name = c.fine_tuned_model_checkpoint
        if name and name not in found:
            found[name] = (None, by_id.get(c.fine_tuning_job_id) or _job_of(name, by_model))
        elif name and found[name][1] is None:
            found[name] = (found[name][0], by_id.get(c.fine_tuning_job_id))
    created_of = {c.fine_tuned_model_checkpoint: c.created_at for c in checkpoints}
    out = []
    for model_id, (obj, job) in found.items():
        base = catalog.base_model_name(model_id)  # the dated name the provider trained
        if base == model_id and job is not None and job.model:  # a name that does not say it
            base = str(job.model)
        sent = getattr(obj, "shutdown_date", None) if obj is not None else None
        sent = sent or _azure_inference_end(obj)
        from_catalog = not sent
        shutdown = sent or catalog.lookup(base).shutdown_date
        created = getattr(obj, "created", None) if obj is not None else created_of.get(model_id)
        if obj is not None and created is None:
            created = getattr(obj, "created_at", None)  # Azure's Model says created_at
        out.append(
            FineTunedModel(
                id=model_id,
                base_model=base,
                created=created,
                job_id=job.id if job is not None else None,
                step=checkpoint_step(model_id),
                shutdown_date=str(shutdown) if shutdown else None,
                shutdown_from_catalog=from_catalog and bool(shutdown),
                owned_by=getattr(obj, "owned_by", None) if obj is not None else None,
            )
        )
    return _grouped(out)


def _azure_inference_end(obj: Any) -> str | None:
    """Azure's ``deprecation.inference`` (the day a model stops answering) as YYYY-MM-DD."""
    deprecation = getattr(obj, "deprecation", None) if obj is not None else None
    end = deprecation.get("inference") if isinstance(deprecation, dict) else None
    if isinstance(end, bool) or not isinstance(end, int) or end <= 0:
        return None
    try:
        return time.strftime("%Y-%m-%d", time.gmtime(end))
    except (OverflowError, OSError, ValueError):
        return None


def _grouped(models: list[FineTunedModel]) -> list[FineTunedModel]:
    """Newest first, each fine-tuned model followed by its checkpoints (latest step first)."""
    parent = {m.id: _CKPT.sub("", m.id) for m in models}
    newest: dict[str, int] = {}
    for m in models:
        newest[parent[m.id]] = max(newest.get(parent[m.id], 0), m.created or 0)
    return sorted(models, key=lambda m: (-newest[parent[m.id]], parent[m.id], m.checkpoint, -(m.step or 0)))


async def _checkpoints(client: AsyncOpenAI, jobs: list[Any]) -> list[Any]:
    """Checkpoints of the newest succeeded jobs, a few requests at a time."""
    done = [j for j in jobs if j.status == "succeeded"][:CHECKPOINT_JOBS]
    gate = asyncio.Semaphore(4)

    from ftui.provider.jobs import list_checkpoints

    async def one(job_id: str) -> list[Any]:
        async with gate:
            return await list_checkpoints(client, job_id)

    pages = await asyncio.gather(*(one(j.id) for j in done))
    return [c for page in pages for c in page]


async def list_fine_tuned_models(
    client: AsyncOpenAI,
    jobs: Iterable[Any] | None = None,
    *,
    with_checkpoints: bool = True,
    catalog: Catalog | None = None,
) -> list[FineTunedModel]:
    """The provider's fine-tuned models and checkpoints with job, base model, created and shutdown date.

    ``jobs`` defaults to the provider's jobs (up to 500, newest first); checkpoints come from
    /models and, with ``with_checkpoints``, from the checkpoints of the newest succeeded jobs."""
    from ftui.provider.jobs import list_jobs

    job_list = list(jobs) if jobs is not None else await list_jobs(client, limit=500)
    raw = await client.models.with_raw_response.list()
    page = await asyncio.to_thread(raw.parse)  # hundreds of objects: not on the caller's loop
    checkpoints = await _checkpoints(client, job_list) if with_checkpoints else []
    return build_models(page.data, job_list, checkpoints, catalog)


async def delete_model(client: AsyncOpenAI, model: str, *, azure: bool = False) -> bool:
    """Delete a fine-tuned model; True when the provider says it is gone.

    On Azure a deployed model cannot be deleted: a refusal there says to delete the deployment first.
    Azure's data plane (api-version 2024-10-21) has no model delete: a fine-tuned model goes with
    the job that made it (``DELETE /fine_tuning/jobs/{id}``, the job named by the model's
    ``fine_tune``); a checkpoint cannot go alone."""
    import openai

    from ftui.provider.client import is_azure_client

    if is_azure_client(client):
        return await _delete_azure_model(client, model)

    try:
        result = await client.models.delete(model)
    except openai.APIStatusError as exc:
        if azure and exc.status_code in (400, 409):
            raise ProviderError(
                f"Azure refused to delete {model} ({exc.status_code}): a deployed model cannot be deleted; "
                "delete its deployment first."
            ) from exc
        raise
    return bool(result.deleted)


async def _delete_azure_model(client: AsyncOpenAI, model: str) -> bool:
    """Azure: delete the job that made ``model`` (its checkpoints go with it)."""
    import json

    import httpx2
    import openai

    if checkpoint_step(model) is not None:
        raise ProviderError(
            f"Azure cannot delete the checkpoint {model} on its own: it goes when its fine-tuned model does "
            "(delete that model, and its job, instead)."
        )
    raw = await client.models.with_raw_response.retrieve(model)
    try:
        job_id = json.loads(raw.content).get("fine_tune")
    except (ValueError, AttributeError):
        job_id = None
    if not isinstance(job_id, str) or not job_id:
        raise ProviderError(f"Azure does not say which job made {model}, so ftui cannot delete it.")
    try:
        await client.delete(f"/fine_tuning/jobs/{job_id}", cast_to=httpx2.Response)
    except openai.APIStatusError as exc:
        if exc.status_code in (400, 409):
            raise ProviderError(
                f"Azure refused to delete {model} ({exc.status_code}): a deployed model cannot be deleted; "
                "delete its deployment first."
            ) from exc
        raise
    return True
