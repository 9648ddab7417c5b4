"""What the Files tab shows under its list for the selected file or model (server text made safe)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from ftui.textsafe import safe
from ftui.tui.files.listing import human_size, when


def file_detail(f: Any, uses: list[Any], duplicate_of: str | None, loaded: bool) -> Text:
    """The lines under the list for a file: id, name, size, created; why it failed; the jobs that
    use it; the older file it repeats."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(safe(f.id, one_line=True), "bold")
    text.append(f" · {safe(f.filename or '', one_line=True)} · {human_size(f.bytes)} · {when(f.created_at)}")
    if f.status == "error":
        text.append("\nProcessing failed: ", "bold red")
        text.append(safe(getattr(f, "status_details", None) or "the provider gave no details", one_line=True))
    text.append("\n")
    if uses:
        text.append("Used by: ")
        for i, use in enumerate(uses):
            if i:
                text.append(", ")
            text.append(safe(use.job_id, one_line=True), "bold yellow" if use.active else "")
            text.append(f" ({use.role}, {safe(use.status, one_line=True)})")
    elif loaded:
        text.append("No job uses it.", "dim")
    if duplicate_of:
        text.append("\n≡ Same content as ", "yellow")
        text.append(safe(duplicate_of, one_line=True), "yellow")
        text.append(" (x deletes this copy)", "dim")
    return text


def model_detail(m: Any, deployment: Any = None) -> Text:
    """The lines under the list for a model: its name, what it is, its job, created, shutdown,
    and the Azure deployment that serves it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(safe(m.id, one_line=True), "bold")
    text.append(f"\n{m.kind} of {safe(m.base_model, one_line=True)} · created {when(m.created)}")
    text.append("\nshutdown ")
    if m.shutdown_date:
        text.append(safe(m.shutdown_date, one_line=True), "yellow")
        if m.shutdown_from_catalog:
            text.append(" (the base model's)", "dim")
    else:
        text.append("none announced", "dim")
    if m.job_id:
        text.append(" · job " + safe(m.job_id, one_line=True))
    if deployment is not None:
        text.append("\nDeployed as ", "dim")
        text.append(safe(f"{deployment.name} ({deployment.state})", one_line=True), "green")
    return text


def _iso_when(stamp: str) -> str:
    """An ISO time from Azure as the lists show times (the text as it is when it does not parse)."""
    try:
        return when(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return safe(stamp, one_line=True)


def deployment_detail(d: Any) -> Text:
    """The lines under the list for an Azure deployment: what it serves, how, since when."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(safe(d.name, one_line=True), "bold")
    text.append(" serves ")
    text.append(safe(d.model, one_line=True))
    capacity = f" ×{d.capacity}" if d.capacity is not None else ""
    text.append(f"\n{safe(d.sku, one_line=True)}{capacity} · {safe(d.state, one_line=True)}")
    if d.created_at:
        text.append(f" · created {_iso_when(d.created_at)}", "dim")
    if d.state == "Succeeded":
        text.append("\nBills hourly while it exists; chat with it in 3 (x deletes it).", "dim")
    else:
        text.append("\nServes nothing until it is Succeeded (x deletes it).", "dim")
    return text
