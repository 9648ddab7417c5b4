"""Keeping a good chat exchange: build the training example, check it, append it (one whole line, never a rewrite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ftui.data.atomic import append_line, full_disk_text, is_disk_full
from ftui.data.catalog import load_catalog
from ftui.data.findings import Finding, Severity
from ftui.data.formats import detect_format
from ftui.data.validate import make_checker


class KeepError(ValueError):
    """The example cannot be appended; the message says why (and names the field or file)."""


def exchange_example(system: str | None, user: str, reply: str) -> dict[str, Any]:
    """A chat training example: the system prompt (if any), the user turn and the chosen reply."""
    messages: list[dict[str, str]] = []
    if system and system.strip():
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": user})
    messages.append({"role": "assistant", "content": reply})
    return {"messages": messages}


def check_example(example: dict[str, Any], model: str) -> list[Finding]:
    """The findings ftui's validator reports for this one example."""
    catalog = load_catalog()
    checker = make_checker(catalog.lookup(model), model)
    raw = json.dumps(example, ensure_ascii=False).encode()
    return checker.check_line(1, raw).findings


def _file_format(path: Path) -> str | None:
    """The format of the first parseable example of an existing file (None when empty/unknown)."""
    try:
        with path.open("rb") as fh:
            for _, raw in zip(range(200), fh, strict=False):
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    return str(detect_format(obj).value)
    except FileNotFoundError:
        return None
    return None


def append_example(path: Path, example: dict[str, Any], model: str) -> int:
    """Check the example and append it to ``path`` atomically; returns its line number.

    Refuses (KeepError) when the example has errors, when the file holds another format,
    or when the path is a directory.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise KeepError(f"{path} is a directory; give a .jsonl file.")
    errors = [f for f in check_example(example, model) if f.severity is Severity.ERROR]
    if errors:
        first = errors[0]
        where = f" at {first.field}" if first.field else ""
        raise KeepError(f"The example has {len(errors)} error(s){where}: {first.message}")
    existing = _file_format(path)
    if existing not in (None, "chat"):
        raise KeepError(f"{path.name} holds {existing} examples; a chat exchange belongs in a chat dataset.")
    line = json.dumps(example, ensure_ascii=False)
    try:
        return append_line(path, line)
    except OSError as exc:
        if is_disk_full(exc):
            needed = len(line.encode()) + 2
            raise KeepError(f"Could not add the example to {path}: {full_disk_text(path, needed)}.") from None
        raise KeepError(f"Could not write {path}: {exc.strerror or exc}.") from None
