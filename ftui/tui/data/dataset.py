"""What the Data tab knows about the open file: index, findings by line, rows shown, summaries.

Plain Python (no Textual): workers compute, handlers store, widgets only read. Nothing here
that a widget calls while drawing reads the file or parses JSON: a row's summary is either
known or asked for (``wanted``) and filled later by a thread (``summarize_lines``).
"""

from __future__ import annotations

import bisect
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic_core import from_json

from ftui.data.findings import Finding, Severity
from ftui.data.index import LineIndex
from ftui.data.validate import Report

PREVIEW_CHARS = 200
READ_CAP = 64 * 1024  # bytes of a line read for its row: a multi-MB line costs no more
CACHE_ROWS = 4000


SNIFF_BYTES = 8192  # how much of a file is read to tell JSON Lines from a table


def not_jsonl(path: Path) -> str | None:
    """One sentence when ``path`` is plainly not JSON Lines (a CSV or TSV table, e.g. a job's
    results file): no line in its first few KB starts like JSON. None when it may be JSONL."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return None  # the load itself says why it cannot be read
    lines = [line.strip() for line in head.removeprefix(b"\xef\xbb\xbf").splitlines() if line.strip()]
    if len(lines) > 1 and len(head) == SNIFF_BYTES:
        lines.pop()  # the last line may be cut off
    if not lines or any(line[:1] in (b"{", b"[", b'"') for line in lines):
        return None
    first = lines[0].decode("utf-8", "replace")
    kind = "TSV" if "\t" in first else "CSV" if "," in first or path.suffix.lower() == ".csv" else None
    if kind is None:
        return None
    shown = " ".join(first.split())
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    return (
        f"{path.name} is a {kind} table (first line: {shown}), not a JSONL training file:"
        " the Data tab opens files with one JSON example per line."
    )


@dataclass(frozen=True, slots=True)
class RowSummary:
    """What a list row shows for one line: message count (when known) and a preview."""

    messages: int | None
    preview: str


def summarize(raw: bytes, whole: bool = True) -> RowSummary:
    """Message count and the first user message (or the first text) of a line.

    ``whole`` False: ``raw`` is only the start of a long line; it is parsed as far as it
    goes (the preview is right, the message count unknown)."""
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    if not text:
        return RowSummary(None, "(blank line)")
    try:
        obj = from_json(text, allow_partial=False if whole else "trailing-strings")
    except ValueError:
        return RowSummary(None, text[:PREVIEW_CHARS])
    if not isinstance(obj, dict):
        return RowSummary(None, text[:PREVIEW_CHARS])
    messages = obj.get("messages")
    if not isinstance(messages, list) and isinstance(obj.get("input"), dict):
        messages = obj["input"].get("messages")
    if isinstance(messages, list):
        preview = ""
        for m in messages:
            if isinstance(m, dict) and m.get("role") == "user":
                preview = _text_of(m.get("content"))
                break
        return RowSummary(len(messages) if whole else None, _one_line(preview))
    if "prompt" in obj:
        prompt = obj.get("prompt")
        return RowSummary(2, _one_line(prompt if isinstance(prompt, str) else text))
    return RowSummary(None, text[:PREVIEW_CHARS])


def _one_line(text: str) -> str:
    return " ".join(text[: PREVIEW_CHARS * 4].split())[:PREVIEW_CHARS]


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


def summarize_lines(index: LineIndex, lines: Iterable[int]) -> dict[int, RowSummary]:
    """Row summaries of some lines, reading at most READ_CAP bytes of each (for a thread)."""
    out: dict[int, RowSummary] = {}
    try:
        fh = open(index.path, "rb")  # noqa: SIM115
    except OSError:
        return {line: RowSummary(None, "(the file cannot be read now)") for line in lines}
    with fh:
        for line in lines:
            try:
                start, end = index.span(line)
                fh.seek(start)
                raw = fh.read(min(end - start, READ_CAP))
            except (OSError, IndexError):
                out[line] = RowSummary(None, "(the file cannot be read now)")
                continue
            whole = end - start <= READ_CAP
            if whole and raw.endswith(b"\r"):
                raw = raw[:-1]
            out[line] = summarize(raw, whole)
    return out


@dataclass(repr=False)
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
    line_messages: array = field(default_factory=lambda: array("i"))  # per line, from validation
    text_filter: str = ""
    errors_only: bool = False
    rows: list[int] | None = None  # None: every line in order
    wanted: set[int] = field(default_factory=set)  # lines drawn before their summary was known
    _summaries: OrderedDict[int, RowSummary] = field(default_factory=OrderedDict)

    def __repr__(self) -> str:
        # Short and constant: Textual's @work spells out its arguments' reprs on the UI loop at
        # every worker start, and the default repr wrote out every line's counts and findings
        # (~30 ms a key on a checked 100k-line file).
        return f"Dataset({self.path.name!r}, {self.line_count} lines)"

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

    # -- row summaries (the draw path only reads; a thread fills) -------------------------
    def summary(self, line: int) -> RowSummary | None:
        """The row summary of a line, or None (and the line is ``wanted``) until a fill has read it."""
        hit = self._summaries.get(line)
        if hit is None:
            self.wanted.add(line)
        return hit

    def messages(self, line: int, summary: RowSummary | None) -> int | None:
        """Messages in a line: from its summary, else from validation once it got there."""
        if summary is not None and summary.messages is not None:
            return summary.messages
        if line <= len(self.line_messages):
            n = self.line_messages[line - 1]
            return n if n >= 0 else None
        return None

    def missing(self, lines: Iterable[int]) -> list[int]:
        """Those of ``lines`` (in range) whose summary is not known yet."""
        known, count = self._summaries, self.line_count
        return [n for n in lines if 1 <= n <= count and n not in known]

    def add_summaries(self, found: dict[int, RowSummary]) -> None:
        cache = self._summaries
        cache.update(found)
        self.wanted.difference_update(found)
        while len(cache) > CACHE_ROWS:
            cache.popitem(last=False)

    def forget_summaries(self, from_line: int = 1) -> None:
        """Drop what is known of lines from ``from_line`` on (they changed on disk)."""
        for line in [n for n in self._summaries if n >= from_line]:
            del self._summaries[line]
