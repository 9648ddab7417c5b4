"""The most common system message of a local JSONL training file (plain Python, run in a thread)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic_core import from_json

MAX_BYTES = 64 * 1024 * 1024  # a huge file is sampled from its start, not read whole


def most_common_system(path: Path) -> str | None:
    """The system message most examples of ``path`` start with; None when none has one (or the
    file cannot be read). Lines that are not chat examples are skipped."""
    counts: Counter[str] = Counter()
    read = 0
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                read += len(raw)
                if read > MAX_BYTES:
                    break
                try:
                    example = from_json(raw)
                except ValueError:
                    continue
                messages = example.get("messages") if isinstance(example, dict) else None
                first = messages[0] if isinstance(messages, list) and messages else None
                if isinstance(first, dict) and first.get("role") == "system" and isinstance(first.get("content"), str):
                    counts[first["content"]] += 1
    except OSError:
        return None
    top = counts.most_common(1)
    return top[0][0] if top else None
