"""Fine-tuning jobs: create (never twice), list, control, checkpoints, models."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from openai import AsyncOpenAI
from openai.types.fine_tuning import FineTuningJob

from ftui.provider.errors import is_transient

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
TAG_KEY = "ftui_request"


@dataclass
class JobRequest:
    """What to train: supervised or DPO, with hyperparameters as 'auto' or numbers."""

    model: str
    training_file: str
    validation_file: str | None = None
    method: str = "supervised"
    n_epochs: int | str = "auto"
    batch_size: int | str = "auto"
    learning_rate_multiplier: float | str = "auto"
    beta: float | str = "auto"
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def body(self, tag: str) -> dict[str, Any]:
        hp: dict[str, Any] = {
            "n_epochs": self.n_epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        }
        if self.method == "dpo":
            hp["beta"] = self.beta
        body: dict[str, Any] = {
            "model": self.model,
            "training_file": self.training_file,
            "method": {"type": self.method, self.method: {"hyperparameters": hp}},
            "metadata": {**self.metadata, TAG_KEY: tag},
        }
        for key in ("validation_file", "suffix", "seed"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        return body


async def find_tagged_job(client: AsyncOpenAI, tag: str) -> FineTuningJob | None:
    """The job created by a request carrying ``tag`` (by metadata filter, then by a scan)."""
    page = await client.fine_tuning.jobs.list(metadata={TAG_KEY: tag}, limit=10)
    for job in page.data:
        if (job.metadata or {}).get(TAG_KEY) == tag:
            return job
    page = await client.fine_tuning.jobs.list(limit=50)  # servers that ignore the filter
    for job in page.data:
        if (job.metadata or {}).get(TAG_KEY) == tag:
            return job
    return None


async def create_job(
    client: AsyncOpenAI, request: JobRequest, *, attempts: int = 5, base_delay: float = 0.5
) -> FineTuningJob:
    """Create a job exactly once, even when a request times out or its answer is lost.

    The SDK's own retries are turned off for this POST: before each retry, ftui looks for
    a job carrying this request's tag and returns it if the lost request did create one.
    """
    tag = uuid.uuid4().hex
    body = request.body(tag)
    once = client.with_options(max_retries=0)
    last: BaseException | None = None
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(base_delay * 2 ** (attempt - 1))
            try:
                found = await find_tagged_job(client, tag)
            except Exception as exc:  # looking failed too: keep trying later
                if not is_transient(exc):
                    raise
                last = exc
                continue
            if found is not None:
                return found
        try:
            return await once.fine_tuning.jobs.create(**body)
        except Exception as exc:
            if not is_transient(exc):
                raise
            last = exc
    assert last is not None
    raise last


async def list_jobs(client: AsyncOpenAI, limit: int = 100) -> list[FineTuningJob]:
    """Jobs newest first, walking pages up to ``limit``."""
    out: list[FineTuningJob] = []
    async for job in client.fine_tuning.jobs.list(limit=min(limit, 100)):
        out.append(job)
        if len(out) >= limit:
            break
    return out


async def fetch_results_csv(client: AsyncOpenAI, file_id: str) -> str:
    """The job's results CSV; some servers return it base64-encoded, so decode when needed."""
    raw = (await client.files.content(file_id)).content
    text = raw.decode("utf-8", errors="replace")
    if not text.lstrip().startswith("step"):
        with contextlib.suppress(ValueError):
            text = base64.b64decode(raw, validate=False).decode("utf-8", errors="replace")
    return text
