"""Fixed jobs and events (API-shaped dicts, and the SDK objects they parse to) for the Jobs tab's
snapshots and tests: every status, one unknown; a 60-step run with validation points."""

from __future__ import annotations

from openai._models import construct_type
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

T0 = 1767261600  # 2026-01-01 10:00 UTC


def job(n: int, status: str, **extra) -> dict:
    base = {
        "id": f"ftjob-snapshot{n:04d}",
        "object": "fine_tuning.job",
        "created_at": T0 + 3600 * n,
        "finished_at": T0 + 3600 * n + 754 if status in ("succeeded", "failed", "cancelled") else None,
        "error": None,
        "fine_tuned_model": f"ft:gpt-4o-mini-2024-07-18:acme:weather-{n}:Ab12Cd{n:02d}"
        if status == "succeeded"
        else None,
        "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8},
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8}},
        },
        "model": "gpt-4o-mini-2024-07-18",
        "organization_id": "org-snapshot",
        "result_files": ["file-results0001"] if status == "succeeded" else [],
        "seed": 42,
        "status": status,
        "trained_tokens": 25_233 if status == "succeeded" else None,
        "training_file": "file-train0001",
        "validation_file": "file-valid0001",
    }
    base.update(extra)
    return base


def event(id: str, created_at: int, message: str, type: str = "message", **data) -> dict:
    out = {"id": id, "object": "fine_tuning.job.event", "created_at": created_at, "level": "info"}
    return out | {"message": message, "type": type, **({"data": data} if data else {})}


def events(job_id: str, steps: int = 60) -> list[dict]:
    out = [event("ev-0", T0, f"Created fine-tuning job: {job_id}")]
    for step in range(1, steps + 1):
        loss = 0.25 + 2.0 * 0.93**step + (0.08 if step % 7 == 0 else 0)
        data = {"step": step, "total_steps": steps, "train_loss": loss, "train_mean_token_accuracy": 1 - loss / 3}
        if step % 5 == 0:
            data["valid_loss"] = loss * 1.1 + 0.05
        if step % 20 == 0:
            data["full_valid_loss"] = loss * 1.08 + 0.04
        message = f"Step {step}/{steps}: training loss={loss:.2f}"
        out.append(event(f"ev-{step}", T0 + 10 * step, message, "metrics", **data))
    out.append(event("ev-end", T0 + 754, "The job has successfully completed"))
    return out


JOBS = [
    job(6, "running"),
    job(5, "paused"),
    job(4, "succeeded"),
    job(
        3,
        "failed",
        error={
            "code": "invalid_training_file",
            "message": "Line 12: messages[2].role is missing.",
            "param": "training_file",
        },
    ),
    job(2, "cancelled"),
    job(1, "validating_files"),
    job(0, "reticulating"),  # a status ftui has never heard of is shown as it comes
]


def job_object(n: int, status: str, **extra) -> FineTuningJob:
    """``job(...)`` as the SDK parses it (leniently, as it parses answers)."""
    return construct_type(type_=FineTuningJob, value=job(n, status, **extra))


def event_objects(job_id: str, steps: int = 60) -> list[FineTuningJobEvent]:
    return [FineTuningJobEvent.model_validate(e) for e in events(job_id, steps)]


JOB_OBJECTS = [construct_type(type_=FineTuningJob, value=j) for j in JOBS]
