"""What the Data tab knows about the open file: index, findings by line, rows shown, summaries.

Plain Python (no Textual): workers fill it through messages, widgets read it.
"""

from __future__ import annotations

import json
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ftui.data.findings import Finding, Severity
from ftui.data.index import LineIndex
from ftui.data.validate import Report

PREVIEW_CHARS = 200


@dataclass(frozen=True, slots=True)
class RowSummary:
    """What a list row shows for one line."""

    messages: int | None
    tokens: int | None
    preview: str


def summarize(raw: bytes) -> RowSummary:
    """Message count and the first user message (or the first text) of a line; tokens come
    from validation (``Dataset.line_tokens``), so the UI process needs no tokenizer."""
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    if not text:
        return RowSummary(None, None, "(blank line)")
    try:
        obj = json.loads(text)
    except ValueError:
        return RowSummary(None, None, text[:PREVIEW_CHARS])
    if not isinstance(obj, dict):
        return RowSummary(None, None, text[:PREVIEW_CHARS])
    messages = obj.get("messages")
    if not isinstance(messages, list) and isinstance(obj.get("input"), dict):
        messages = obj["input"].get("messages")
    if isinstance(messages, list):
        preview = ""
        for m in messages:
            if isinstance(m, dict) and m.get("role") == "user":
                preview = _text_of(m.get("content"))
                break
        return RowSummary(len(messages), None, " ".join(preview.split())[:PREVIEW_CHARS])
    if "prompt" in obj:
        prompt = obj.get("prompt")
        preview = prompt if isinstance(prompt, str) else text
        return RowSummary(2, None, " ".join(preview.split())[:PREVIEW_CHARS])
    return RowSummary(None, None, text[:PREVIEW_CHARS])


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str):
                parts.append(p["text"])
            elif isinstance(p, dict) and p.get("type") == "image_url":
                parts.append("[image]")
        return " ".join(parts)
    return ""


@dataclass
class Dataset:
    """The open file and everything learned about it so far."""

    path: Path
    index: LineIndex
    model: str
    findings: list[Finding] = field(default_factory=list)
    by_line: dict[int, list[Finding]] = field(default_factory=dict)
    report: Report | None = None
    progress: float = 0.0  # 0..1 while validating
    line_tokens: array = field(default_factory=lambda: array("q"))  # per line, from validation
    text_filter: str = ""
    errors_only: bool = False
    rows: list[int] | None = None  # None: every line in order
    _cache: OrderedDict[int, RowSummary] = field(default_factory=OrderedDict)

    @property
    def line_count(self) -> int:
        return len(self.index)

    @property
    def row_count(self) -> int:
        return self.line_count if self.rows is None else len(self.rows)

    def line_at(self, row: int) -> int:
        """The 1-based file line shown at a 0-based row."""
        return row + 1 if self.rows is None else self.rows[row]

    def row_of(self, line: int) -> int:
        """The row showing ``line``, or the nearest row after it (the last row if none)."""
        if self.rows is None:
            return max(0, min(line - 1, self.line_count - 1))
        import bisect

        pos = bisect.bisect_left(self.rows, line)
        return min(pos, max(0, len(self.rows) - 1))

    def add_findings(self, found: list[Finding]) -> None:
        for f in found:
            self.findings.append(f)
            if f.line is not None:
                self.by_line.setdefault(f.line, []).append(f)

    def severity(self, line: int) -> Severity | None:
        found = self.by_line.get(line)
        if not found:
            return None
        return Severity.ERROR if any(f.severity is Severity.ERROR for f in found) else Severity.WARNING

    @property
    def counts(self) -> tuple[int, int]:
        errors = sum(1 for f in self.findings if f.severity is Severity.ERROR)
        return errors, len(self.findings) - errors

    def tokens(self, line: int) -> int | None:
        """Tokens of a line once validation has reached it (None: not yet, or no example)."""
        if line <= len(self.line_tokens):
            n = self.line_tokens[line - 1]
            return n if n >= 0 else None
        return None

    def checked(self, line: int) -> bool:
        return line <= len(self.line_tokens)

    def summary(self, line: int) -> RowSummary:
        hit = self._cache.get(line)
        if hit is not None:
            return hit
        try:
            raw = self.index.line_bytes(line)
        except OSError:
            return RowSummary(None, None, "(the file cannot be read now)")
        summary = summarize(raw)
        self._cache[line] = summary
        if len(self._cache) > 4000:
            self._cache.popitem(last=False)
        return summary
