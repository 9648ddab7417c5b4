"""What the Files tab lists, in plain Python: files (or models) filtered and sorted, and each
row's text. The tab owns one ``Listing`` per list; the lists only draw what it says."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from ftui.session.trace import clock
from ftui.textsafe import safe

SORTS = ("created", "size", "name")  # `s` cycles through these
MODEL_SORTS = ("created", "name", "base")
DEPLOYMENT_SORTS = ("name", "model", "state")


def human_size(n: int | None) -> str:
    """Bytes as a short size: 812 B, 14.2 KB, 3.1 MB, 1.2 GB."""
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def when(ts: int | float | None) -> str:
    """A created time: the clock today, the date otherwise (as the Jobs list shows it)."""
    return clock(ts, time.time()) if ts else "—"


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells (an ellipsis when cut), then a space."""
    text = safe(text, one_line=True)
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text.ljust(width) + " "


@dataclass
class Listing:
    """Items filtered by ``query`` (any part of the searchable text) and sorted by ``sort``."""

    key: Callable[[Any, str], Any]  # (item, sort) -> sort key
    words: Callable[[Any], str]  # the text `/` searches
    sorts: tuple[str, ...] = SORTS
    items: list[Any] = field(default_factory=list)
    query: str = ""
    sort: str = "created"
    visible: list[Any] = field(default_factory=list)

    def set_items(self, items: list[Any]) -> None:
        self.items = list(items)
        self.update()

    def update(self) -> None:
        q = self.query.casefold()
        shown = [(n, i) for n, i in enumerate(self.items) if not q or q in self.words(i).casefold()]
        down = self.sort in ("created", "size")  # biggest / newest first
        # Ties keep the provider's order (newest first), whichever way the sort goes.
        shown.sort(key=lambda ni: (self.key(ni[1], self.sort), -ni[0] if down else ni[0]), reverse=down)
        self.visible = [i for _, i in shown]

    def next_sort(self) -> str:
        self.sort = self.sorts[(self.sorts.index(self.sort) + 1) % len(self.sorts)]
        self.update()
        return self.sort

    def index_of(self, ident: str | None) -> int | None:
        for i, item in enumerate(self.visible):
            if item.id == ident:
                return i
        return None


def file_key(f: Any, sort: str) -> Any:
    if sort == "size":
        return f.bytes or 0
    if sort == "name":
        return (f.filename or "").casefold()
    return f.created_at or 0


def file_words(f: Any) -> str:
    return f"{f.id} {f.filename} {f.purpose} {f.status}"


def model_key(m: Any, sort: str) -> Any:
    if sort == "name":
        return m.id.casefold()
    if sort == "base":
        return m.base_model
    return 0  # the provider layer's order: newest first, each model followed by its checkpoints


def model_words(m: Any) -> str:
    return f"{m.id} {m.base_model} {m.job_id or ''} {m.kind}"


def deployment_key(d: Any, sort: str) -> Any:
    if sort == "model":
        return (d.model.casefold(), d.name.casefold())
    if sort == "state":
        return (d.state != "Succeeded", d.state, d.name.casefold())
    return d.name.casefold()


def deployment_words(d: Any) -> str:
    return f"{d.name} {d.model} {d.sku} {d.state}"


# (title, width); the last takes what is left. At 80 columns: name, purpose, size, created, status, jobs.
FILE_COLUMNS = (("Filename", 24), ("Purpose", 10), ("Size", 8), ("Created", 12), ("Status", 10), ("Jobs", 0))
MODEL_COLUMNS = (("Model", 26), ("Kind", 4), ("Base model", 20), ("Created", 12), ("Shutdown", 0))
DEPLOYMENT_COLUMNS = (("Deployment", 20), ("Model", 30), ("SKU", 17), ("State", 0))
DEPLOYMENT_STATE_STYLES = {"Succeeded": "green", "Creating": "yellow", "Updating": "yellow", "Failed": "bold red"}
STATUS_STYLES = {"processed": "green", "error": "bold red", "uploaded": "yellow", "deleted": "dim"}


def header(columns: tuple[tuple[str, int], ...]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", style="bold")
    for title, size in columns:
        text.append(fit(title, size) if size else title)
    return text


def file_row(f: Any, uses: list[Any], duplicate_of: str | None) -> Text:
    """One file: filename (marked when it duplicates another), purpose, size, created, status, jobs."""
    text = Text(no_wrap=True, overflow="ellipsis")
    mark = "≡ " if duplicate_of else ""
    widths = dict(FILE_COLUMNS)
    text.append(mark, "yellow")
    text.append(fit(f.filename or f.id, widths["Filename"] - len(mark)))
    text.append(fit(f.purpose or "—", widths["Purpose"]), "dim")
    text.append(fit(human_size(f.bytes), widths["Size"]))
    text.append(fit(when(f.created_at), widths["Created"]), "dim")
    status = str(f.status or "—")
    text.append(fit(status, widths["Status"]), STATUS_STYLES.get(status, ""))
    if uses:
        active = [u for u in uses if u.active]
        text.append(f"{len(uses)} job{'s' if len(uses) != 1 else ''}", "bold yellow" if active else "")
    else:
        text.append("—", "dim")
    return text


def model_row(m: Any) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    widths = dict(MODEL_COLUMNS)
    name = m.id
    if len(name) > widths["Model"]:  # the tail tells fine-tunes apart: keep it
        name = "…" + name[-(widths["Model"] - 1) :]
    text.append(fit(name, widths["Model"]), "" if not m.checkpoint else "cyan")
    text.append(fit("ckpt" if m.checkpoint else "ft", widths["Kind"]), "dim")
    text.append(fit(m.base_model, widths["Base model"]))
    text.append(fit(when(m.created), widths["Created"]), "dim")
    if m.shutdown_date:
        text.append(safe(m.shutdown_date, one_line=True) + (" (base)" if m.shutdown_from_catalog else ""), "yellow")
    else:
        text.append("—", "dim")
    return text


def deployment_row(d: Any) -> Text:
    """One Azure deployment: name, the model it serves (its tail when long), SKU × capacity, state."""
    text = Text(no_wrap=True, overflow="ellipsis")
    widths = dict(DEPLOYMENT_COLUMNS)
    text.append(fit(d.name, widths["Deployment"]), "bold")
    model = d.model
    if len(model) > widths["Model"]:
        model = "…" + model[-(widths["Model"] - 1) :]
    text.append(fit(model, widths["Model"]))
    capacity = f" ×{d.capacity}" if d.capacity is not None else ""
    text.append(fit(f"{d.sku}{capacity}", widths["SKU"]), "dim")
    text.append(safe(d.state, one_line=True), DEPLOYMENT_STATE_STYLES.get(d.state, ""))
    return text
