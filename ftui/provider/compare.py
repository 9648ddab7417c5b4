"""Two runs side by side (`ftui jobs compare A B`): per job its final and best losses and token
accuracy, steps, trained tokens, duration and training cost, read from the job and its metrics
events. Plain Python: no Textual; the SDK only through the client given."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ftui.data.catalog import load_catalog
from ftui.data.stats import training_cost
from ftui.provider.events import metric_point

if TYPE_CHECKING:
    from openai import AsyncOpenAI

# (key in the summary, the metric it reads, lower is better)
METRICS = (
    ("train_loss", "train_loss", True),
    ("valid_loss", "valid_loss", True),
    ("full_valid_loss", "full_valid_loss", True),
    ("train_accuracy", "train_mean_token_accuracy", False),
    ("valid_accuracy", "valid_mean_token_accuracy", False),
)
# The rows of the side-by-side table: (label, key in the summary)
ROWS = (
    ("status", "status"),
    ("model", "model"),
    ("final train loss", "final_train_loss"),
    ("best train loss", "best_train_loss"),
    ("final valid loss", "final_valid_loss"),
    ("best valid loss", "best_valid_loss"),
    ("final full valid loss", "final_full_valid_loss"),
    ("final train accuracy", "final_train_accuracy"),
    ("best train accuracy", "best_train_accuracy"),
    ("final valid accuracy", "final_valid_accuracy"),
    ("steps", "steps"),
    ("trained tokens", "trained_tokens"),
    ("duration", "duration_s"),
    ("cost", "cost_usd"),
)


def summarize(job: Any, events: list[Any]) -> dict[str, Any]:
    """One job's numbers: ``final_*`` is the last step's value, ``best_*`` the lowest loss (or the
    highest accuracy) over all steps; None where the job has no such metric (yet)."""
    points = sorted((p for p in (metric_point(e) for e in events) if p is not None), key=lambda p: p.step)
    out: dict[str, Any] = {"id": job.id, "status": job.status, "model": job.model}
    for key, attr, lower in METRICS:
        values = [(p.step, getattr(p, attr)) for p in points if getattr(p, attr) is not None]
        out[f"final_{key}"] = values[-1][1] if values else None
        pick = min if lower else max
        out[f"best_{key}"] = pick(v for _, v in values) if values else None
        if values:
            out[f"best_{key}_step"] = next(s for s, v in values if v == out[f"best_{key}"])
        else:
            out[f"best_{key}_step"] = None
    last = points[-1] if points else None
    out["steps"] = last.step if last else 0
    out["total_steps"] = next((p.total_steps for p in reversed(points) if p.total_steps), None)
    out["trained_tokens"] = job.trained_tokens
    started = _started_at(events)
    begin = started if started is not None else job.created_at
    out["duration_s"] = (job.finished_at - begin) if job.finished_at and begin else None
    price = load_catalog().lookup(job.model or "").training_price
    cost = training_cost(job.trained_tokens, price) if job.trained_tokens else None
    out["cost_usd"] = None if cost is None else round(cost, 6)
    return out


def _started_at(events: list[Any]) -> int | None:
    """When training began: the "Fine-tuning job started" event, else the first metrics event."""
    times = [e.created_at for e in events if "job started" in (e.message or "").lower()]
    if not times:
        times = [e.created_at for e in events if metric_point(e) is not None]
    return min(times) if times else None


async def job_summary(client: AsyncOpenAI, job_id: str) -> dict[str, Any]:
    """Fetch ``job_id`` and all its events, and summarize them."""
    job, events = await asyncio.gather(
        client.fine_tuning.jobs.retrieve(job_id),
        _all_events(client, job_id),
    )
    return summarize(job, events)


async def _all_events(client: AsyncOpenAI, job_id: str) -> list[Any]:
    return [e async for e in client.fine_tuning.jobs.list_events(job_id, limit=100)]
