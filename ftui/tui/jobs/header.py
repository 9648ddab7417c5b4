"""The job view's header: status, progress, timing, hyperparameters, files, error, shutdown date."""

from __future__ import annotations

import math
import time
from typing import Any

from rich.text import Text

from ftui.api_facts import RESUMABLE_STATUSES, TERMINAL_STATUSES, epochs_word
from ftui.data.catalog import Catalog
from ftui.job_options import describe_integrations, describe_metadata
from ftui.session.trace import JobTrace, clock
from ftui.textsafe import safe

STATUS_STYLES = {
    "validating_files": "cyan",
    "queued": "cyan",
    "pending": "cyan",  # Azure's status for a job not started yet
    "running": "bold yellow",
    "pausing": "magenta",
    "paused": "bold magenta",
    "succeeded": "bold green",
    "failed": "bold red",
    "cancelled": "dim",
}
STATUS_MARKS = {"succeeded": "✓", "failed": "✗", "cancelled": "⊘", "paused": "‖", "pausing": "‖", "running": "▶"}


def status_text(status: str | None) -> Text:
    """A status word in its colour; statuses ftui does not know are shown as they come."""
    word = status or "unknown"
    mark = STATUS_MARKS.get(word, "●")
    return Text(f"{mark} {safe(word, one_line=True)}", style=STATUS_STYLES.get(word, "italic"))


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _hp(value: Any) -> str:
    """A hyperparameter as the server gave it: 'auto', a number, or its text (made safe)."""
    if value is None:
        return "auto"
    if isinstance(value, float):
        return f"{value:g}"
    return safe(value, one_line=True)


def _epochs_part(value: Any) -> str:
    """'3 epochs', '1 epoch', or 'epochs auto'."""
    if isinstance(value, int) and not isinstance(value, bool):
        return epochs_word(value)
    return f"epochs {_hp(value)}"


def _bar(fraction: float, width: int = 16) -> str:
    full = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * full + "░" * (width - full)


def progress_line(trace: JobTrace, now: float) -> Text:
    """Steps (and epochs) done, elapsed time and the ETA."""
    job = trace.job
    line = Text()
    point = trace.last_point
    n_epochs = _epochs(job)
    if point is not None and point.total_steps:
        frac = point.step / point.total_steps
        line.append(_bar(frac), style="yellow" if job.status not in ("succeeded",) else "green")
        line.append(f" step {point.step:,}/{point.total_steps:,} ({frac:.0%})")
        if isinstance(n_epochs, int) and n_epochs > 0:
            per_epoch = max(1, point.total_steps // n_epochs)
            epoch = min(n_epochs, max(1, -(-point.step // per_epoch)))  # the epoch this step belongs to
            line.append(f" · epoch {epoch}/{n_epochs}")
    elif job.status in ("validating_files", "queued", "pending"):
        line.append("waiting to start", style="dim")
    elif job.status == "succeeded":
        line.append(_bar(1.0), style="green")
    elif job.status in TERMINAL_STATUSES:
        line.append(f"{job.status} before any step was reported", style="dim")
    else:
        line.append("no progress reported yet", style="dim")
    start = job.created_at
    end = job.finished_at or now
    if start:
        line.append(f" · elapsed {duration(end - start)}")
    if job.status in RESUMABLE_STATUSES:
        line.append(" · paused: no ETA", style="magenta")  # the clock runs on, the job does not
    elif job.status not in TERMINAL_STATUSES:
        eta = _eta(trace, now)
        if eta is not None:
            line.append(f" · ETA {duration(eta - now)} ({clock(eta, now)})")
    return line


def _epochs(job: Any) -> int | str | None:
    hp = _hyperparameters(job)
    return getattr(hp, "n_epochs", None) if hp is not None else None


def _hyperparameters(job: Any) -> Any:
    method = getattr(job, "method", None)
    if method is not None and method.type:
        inner = getattr(method, method.type, None)
        if inner is not None and getattr(inner, "hyperparameters", None) is not None:
            return inner.hyperparameters
    return getattr(job, "hyperparameters", None)


def _eta(trace: JobTrace, now: float) -> float | None:
    job = trace.job
    if job.estimated_finish:
        return float(job.estimated_finish)
    point = trace.last_point
    if point is None or not point.total_steps or point.step <= 0 or not job.created_at:
        return None
    spent = now - job.created_at
    return now + spent * (point.total_steps - point.step) / point.step


def retry_note(trace: JobTrace, now: float) -> str | None:
    """'reconnecting in 25 s (attempt 3)' while the watcher waits to try again, else its own word."""
    if trace.retry_at is not None:
        left = max(0, math.ceil(trace.retry_at - now))
        when = f"in {left} s" if left else "now"
        return f"reconnecting {when} (attempt {trace.retry_attempt + 1})"
    return trace.reconnecting


def extras_line(job: Any) -> Text | None:
    """'W&B project weather (tags a, b) · team=nlp': the job's integrations and user metadata."""
    parts = describe_integrations(getattr(job, "integrations", None))
    if meta := describe_metadata(getattr(job, "metadata", None)):
        parts.append(meta)
    return Text(safe(" · ".join(parts), one_line=True), style="dim") if parts else None


def deployment_line(deployment: Any) -> Text:
    """'Deployed as weather-bot · Standard ×1 · Succeeded' (an Azure deployment of the job's model)."""
    state = deployment.state
    style = "green" if state == "Succeeded" else "yellow" if state in ("Creating", "Accepted", "Updating") else "red"
    capacity = f" ×{deployment.capacity}" if deployment.capacity is not None else ""
    moving = state in ("Creating", "Accepted", "Updating")
    line = Text("Deploying as " if moving else "Deployed as " if state == "Succeeded" else "Deployment ", style="dim")
    line.append(safe(deployment.name, one_line=True), style="bold")
    line.append(f" · {safe(deployment.sku, one_line=True)}{capacity} · ", style="dim")
    line.append(safe(state, one_line=True) + ("…" if moving else ""), style=style)
    if state == "Succeeded":
        line.append(" · 3 chats with it", style="dim")
    return line


def render_header(trace: JobTrace, catalog: Catalog, now: float | None = None, deployment: Any = None) -> Text:
    """Four lines about the job (more when it has W&B or metadata, failed, its model has a shutdown
    date or an Azure deployment, or watching it failed); one line each. Everything from the server
    is shown made ``safe``."""
    now = time.time() if now is None else now
    job = trace.job
    if job is None:
        return Text(f"{safe(trace.job_id, one_line=True)}: loading…", style="dim")
    lines: list[Text] = []
    first = status_text(job.status)
    first.append(f"  {safe(job.id, one_line=True)}", style="bold")
    note = retry_note(trace, now)
    if note:
        first.append(f"  ⟳ {note}", style="bold red")
    lines.append(first)
    models = Text(safe(job.model, one_line=True))
    if job.fine_tuned_model:
        models.append(" → ")
        models.append(safe(job.fine_tuned_model, one_line=True), style="green")
    lines.append(models)
    lines.append(progress_line(trace, now))
    hp = _hyperparameters(job)
    method = job.method.type if getattr(job, "method", None) and job.method.type else "supervised"
    parts = [safe(method, one_line=True)]
    if hp is not None:
        parts += [
            _epochs_part(getattr(hp, "n_epochs", None)),
            f"batch {_hp(getattr(hp, 'batch_size', None))}",
            f"lr ×{_hp(getattr(hp, 'learning_rate_multiplier', None))}",
        ]
        if method == "dpo":
            parts.append(f"beta {_hp(getattr(hp, 'beta', None))}")
    if job.seed is not None:
        parts.append(f"seed {_hp(job.seed)}")
    if job.trained_tokens:
        parts.append(f"{job.trained_tokens:,} tokens")
    parts.append(f"train {safe(job.training_file, one_line=True)}")
    parts.append(f"valid {safe(job.validation_file or '—', one_line=True)}")
    lines.append(Text(" · ".join(parts), style="dim"))
    if extras := extras_line(job):
        lines.append(extras)
    if deployment is not None:
        lines.append(deployment_line(deployment))
    if job.status == "failed":
        error = getattr(job, "error", None)
        message = (getattr(error, "message", None) if error else None) or "the provider gave no reason"
        lines.append(Text(f"Failed: {safe(message, one_line=True)}", style="bold red"))
    else:
        info = catalog.lookup(job.model)
        if info.shutdown_date:
            lines.append(Text(f"{safe(info.name, one_line=True)} shuts down on {info.shutdown_date}", style="yellow"))
    if trace.retry_at is not None and trace.retry_reason:
        lines.append(Text(f"Watching stopped: {trace.retry_reason}", style="yellow"))
    out = Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
    out.no_wrap, out.overflow = True, "ellipsis"
    return out
